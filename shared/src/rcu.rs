//! Lock-free publication of immutable versions (read-copy-update).
//!
//! The control plane publishes with [`Publisher::publish`]; each worker reads through its own
//! [`Reader`], an `arc-swap` cache (a plain pointer read when nothing changed). Versions are
//! never freed on a worker: the publisher keeps every replaced version until each reader has
//! passed a quiescent point ([`Reader::begin`]) after the swap, and only then drops it, on
//! the control plane's thread.

use arc_swap::{ArcSwap, Cache};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A reader that has left: it holds no version.
const OFFLINE: u64 = u64::MAX;

#[derive(Debug)]
struct Slot {
    /// The last publication epoch this reader has caught up with.
    seen: AtomicU64,
}

struct Shared<T> {
    current: Arc<ArcSwap<T>>,
    /// The epoch of the newest publication.
    epoch: AtomicU64,
    readers: Mutex<Vec<Arc<Slot>>>,
}

/// The writing side: one, on the control plane.
pub struct Publisher<T> {
    shared: Arc<Shared<T>>,
    retired: VecDeque<(u64, Arc<T>)>,
}

/// A reading side for threads that are not workers (see [`Publisher::watch`]).
pub struct Watch<T> {
    current: Arc<ArcSwap<T>>,
}

impl<T> Clone for Watch<T> {
    fn clone(&self) -> Self {
        Watch {
            current: self.current.clone(),
        }
    }
}

impl<T> Watch<T> {
    /// The current version.
    pub fn current(&self) -> Arc<T> {
        self.current.load_full()
    }
}

/// A worker's reading side.
pub struct Reader<T> {
    cache: Option<Cache<Arc<ArcSwap<T>>, Arc<T>>>,
    slot: Arc<Slot>,
    shared: Arc<Shared<T>>,
}

impl<T> Publisher<T> {
    /// Starts with `first` as the current version.
    pub fn new(first: T) -> Self {
        Publisher {
            shared: Arc::new(Shared {
                current: Arc::new(ArcSwap::from_pointee(first)),
                epoch: AtomicU64::new(0),
                readers: Mutex::new(Vec::new()),
            }),
            retired: VecDeque::new(),
        }
    }

    /// A reader for one worker.
    pub fn reader(&self) -> Reader<T> {
        // Registered as caught up with the current epoch: its cache starts empty and loads
        // the current version at its first `begin`.
        let slot = Arc::new(Slot {
            seen: AtomicU64::new(self.shared.epoch.load(Ordering::Acquire)),
        });
        self.shared
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot.clone());
        Reader {
            cache: Some(Cache::new(self.shared.current.clone())),
            slot,
            shared: self.shared.clone(),
        }
    }

    /// The current version.
    pub fn current(&self) -> Arc<T> {
        self.shared.current.load_full()
    }

    /// A handle that reads the current version from any thread (the console, `/ping`),
    /// without the publisher. What it returns is an `Arc`: a version it holds stays alive
    /// after it is retired, and is freed where the last holder drops it, never on a worker.
    pub fn watch(&self) -> Watch<T> {
        Watch {
            current: self.shared.current.clone(),
        }
    }

    /// Makes `next` the current version; frees the versions no reader can hold any more.
    pub fn publish(&mut self, next: T) {
        let old = self.shared.current.swap(Arc::new(next));
        // Release: a reader that sees this epoch (Acquire) also sees the swap above.
        let epoch = self.shared.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        self.retired.push_back((epoch, old));
        self.reclaim();
    }

    /// Frees retired versions that every reader has moved past. Call it now and then even
    /// without publishing, so that memory goes back soon after the last swap.
    pub fn reclaim(&mut self) -> usize {
        let oldest_seen = {
            let mut readers = self
                .shared
                .readers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Forget readers that are gone.
            readers.retain(|s| s.seen.load(Ordering::Acquire) != OFFLINE);
            readers
                .iter()
                .map(|s| s.seen.load(Ordering::Acquire))
                .min()
                .unwrap_or(OFFLINE)
        };
        let mut freed = 0;
        while let Some((epoch, _)) = self.retired.front() {
            if *epoch > oldest_seen {
                break;
            }
            self.retired.pop_front();
            freed += 1;
        }
        freed
    }

    /// Versions retired but not yet freed.
    pub fn pending(&self) -> usize {
        self.retired.len()
    }
}

impl<T> Reader<T> {
    /// A quiescent point, then the current version: the reader gives up whatever it read
    /// before and may use the returned reference until its next call. Call it once per
    /// poll loop; it costs two atomic loads and a store when nothing changed.
    #[inline]
    pub fn begin(&mut self) -> &T {
        // Acquire pairs with the publisher's AcqRel increment: after it, the cache load
        // below sees that publication or a newer one.
        let epoch = self.shared.epoch.load(Ordering::Acquire);
        let cache = self
            .cache
            .as_mut()
            .unwrap_or_else(|| unreachable!("cache is taken only in drop"));
        let v: &Arc<T> = cache.load();
        // Release: the publisher that reads this (Acquire) knows we dropped older versions.
        self.slot.seen.store(epoch, Ordering::Release);
        v
    }
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        // Drop what we hold first (not the last reference: the publisher's retired list or
        // the current pointer holds it), then announce that we hold nothing.
        drop(self.cache.take());
        self.slot.seen.store(OFFLINE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_freed_once_readers_move_on() {
        let mut p = Publisher::new(1u32);
        let mut r = p.reader();
        assert_eq!(*r.begin(), 1);
        p.publish(2);
        assert_eq!(p.pending(), 1, "the reader may still hold version 1");
        assert_eq!(*r.begin(), 2);
        assert_eq!(p.reclaim(), 1);
        p.publish(3);
        p.publish(4);
        assert_eq!(p.pending(), 2);
        drop(r);
        assert_eq!(p.reclaim(), 2, "a reader that left holds nothing");
        assert_eq!(*p.current(), 4);
    }
}
