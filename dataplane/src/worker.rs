//! Workers: one per worker lcore, each polling its (port, queue) pairs run-to-completion.
//!
//! For now a worker is a patch panel: what arrives on port 0 leaves on port 1 and back, 2↔3,
//! and so on. The forwarding pipeline replaces the patch in a later stage.

use crate::counters::{DropReason, WorkerCounters};
use crate::dpdk::{pause, MbufBurst, RxQueue, TxQueue};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How a worker waits when there is no traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollMode {
    /// Spin, then pause, then sleep in growing steps: an idle worker costs about 1% of a core,
    /// so several routers can share the machine. The first packet after a quiet spell waits
    /// up to [`Backoff::MAX_SLEEP`].
    Adaptive,
    /// Spin always: lowest latency and highest rate, a full core even when idle.
    Busy,
}

/// The idle strategy of [`PollMode::Adaptive`].
#[derive(Debug, Default)]
pub struct Backoff {
    idle_polls: u32,
    sleep: Duration,
}

impl Backoff {
    /// Empty polls spent spinning before pausing.
    pub const SPIN: u32 = 64;
    /// Empty polls spent with a `pause` before sleeping.
    pub const PAUSE: u32 = 1024;
    /// The first sleep; each further empty poll doubles it up to [`Self::MAX_SLEEP`].
    pub const MIN_SLEEP: Duration = Duration::from_micros(16);
    /// The longest sleep between polls.
    pub const MAX_SLEEP: Duration = Duration::from_millis(1);

    /// A poll found work: wake up fully.
    #[inline]
    pub fn reset(&mut self) {
        self.idle_polls = 0;
        self.sleep = Duration::ZERO;
    }

    /// A poll found nothing: wait a little, longer the longer it has been quiet.
    #[inline]
    pub fn idle(&mut self) {
        self.idle_polls = self.idle_polls.saturating_add(1);
        if self.idle_polls < Self::SPIN {
            return;
        }
        if self.idle_polls < Self::PAUSE {
            pause();
            return;
        }
        self.sleep = if self.sleep.is_zero() {
            Self::MIN_SLEEP
        } else {
            (self.sleep * 2).min(Self::MAX_SLEEP)
        };
        std::thread::sleep(self.sleep);
    }
}

/// Everything one worker owns.
pub struct PatchWorker {
    /// The receive queues this worker polls.
    pub rx: Vec<RxQueue>,
    /// This worker's transmit queue on each port, indexed by port id.
    pub tx: Vec<Option<TxQueue>>,
    /// The patch peer of each port, indexed by port id.
    pub peer: Vec<Option<u16>>,
    /// This worker's counters.
    pub counters: Arc<WorkerCounters>,
    /// Set by the control plane to stop the worker.
    pub stop: Arc<AtomicBool>,
    /// Idle behaviour.
    pub mode: PollMode,
}

/// The patch peers of `ports` ports: 0↔1, 2↔3, …; an odd last port has none.
pub fn patch_peers(ports: usize) -> Vec<Option<u16>> {
    (0..ports)
        .map(|p| {
            let peer = p ^ 1;
            (peer < ports).then_some(peer as u16)
        })
        .collect()
}

impl PatchWorker {
    /// Polls until `stop` is set.
    pub fn run(mut self) {
        let mut burst = MbufBurst::new();
        let mut backoff = Backoff::default();
        // Relaxed: the flag carries no data; the worker only needs to see it eventually.
        while !self.stop.load(Ordering::Relaxed) {
            let mut busy = false;
            for rxq in &mut self.rx {
                let n = rxq.rx_burst(&mut burst);
                if n == 0 {
                    continue;
                }
                busy = true;
                let port = rxq.port();
                let bytes: u64 = burst
                    .as_slice()
                    .iter()
                    .map(|m| u64::from(m.pkt_len()))
                    .sum();
                if let Some(c) = self.counters.port(port) {
                    c.rx(n as u64, bytes);
                }
                let out = self.peer.get(usize::from(port)).copied().flatten();
                let txq = out.and_then(|p| self.tx.get_mut(usize::from(p))?.as_mut());
                let Some(txq) = txq else {
                    if let Some(c) = self.counters.port(port) {
                        c.drop(DropReason::NoPeer, n as u64);
                    }
                    burst.clear();
                    continue;
                };
                let sent = txq.tx_burst(&mut burst);
                let unsent_bytes: u64 = burst
                    .as_slice()
                    .iter()
                    .map(|m| u64::from(m.pkt_len()))
                    .sum();
                if let Some(c) = self.counters.port(txq.port()) {
                    c.tx(sent as u64, bytes - unsent_bytes);
                    if !burst.is_empty() {
                        c.drop(DropReason::TxQueueFull, burst.len() as u64);
                    }
                }
                burst.clear();
            }
            match (busy, self.mode) {
                (true, _) => backoff.reset(),
                (false, PollMode::Busy) => pause(),
                (false, PollMode::Adaptive) => backoff.idle(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_pair_ports() {
        assert_eq!(patch_peers(0), vec![]);
        assert_eq!(patch_peers(1), vec![None]);
        assert_eq!(patch_peers(2), vec![Some(1), Some(0)]);
        assert_eq!(
            patch_peers(5),
            vec![Some(1), Some(0), Some(3), Some(2), None]
        );
    }

    #[test]
    fn backoff_grows_then_caps_and_resets() {
        let mut b = Backoff::default();
        for _ in 1..Backoff::PAUSE {
            b.idle();
        }
        assert!(b.sleep.is_zero(), "no sleep while spinning and pausing");
        b.idle();
        assert_eq!(b.sleep, Backoff::MIN_SLEEP);
        for _ in 0..10 {
            b.idle();
        }
        assert_eq!(b.sleep, Backoff::MAX_SLEEP);
        b.reset();
        assert!(b.sleep.is_zero());
        assert_eq!(b.idle_polls, 0);
    }
}
