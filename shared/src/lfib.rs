//! The LFIB: incoming label → action, over the whole 20-bit label space, in copy-on-write
//! chunks of 4,096 labels (an all-drop chunk costs nothing), so versions share memory the
//! way FIB versions do. Reserved labels are handled here, where they belong: 0 (IPv4
//! explicit null) pops and looks up in `main`; 3 (implicit null) is never valid on the wire;
//! the other reserved labels are dropped.

use crate::types::{AdjId, Label, TableId};
use std::sync::Arc;

const CHUNK_BITS: u32 = 12;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
const CHUNKS: usize = (1 << 20) / CHUNK_LEN;

/// What to do with a packet whose top label is the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelAction {
    /// Drop (no binding).
    #[default]
    Drop,
    /// Pop, then look the IPv4 header up in table T (per-VRF VPN labels, explicit null).
    PopLookup(TableId),
    /// Swap to `label` and send through `via`.
    Swap {
        /// The outgoing label.
        label: Label,
        /// The adjacency.
        via: AdjId,
    },
    /// Pop and send through the adjacency (penultimate hop, or a per-prefix VPN label).
    PopForward(AdjId),
}

/// The dynamic label range (`/mpls settings dynamic-label-range`), 16..1048575 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRange {
    /// The first label.
    pub first: Label,
    /// The last label.
    pub last: Label,
}

impl Default for LabelRange {
    fn default() -> Self {
        LabelRange {
            first: Label::FIRST_UNRESERVED,
            last: Label::MAX,
        }
    }
}

/// A binding the LFIB refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LfibError {
    /// Labels 0..15 are reserved.
    #[error("label {0} is reserved (0..15) and cannot be bound")]
    Reserved(Label),
    /// The range is empty or starts in the reserved labels.
    #[error("label range {0}-{1} is invalid (it must lie within 16-1048575, first <= last)")]
    BadRange(u32, u32),
    /// Every label of the dynamic range is in use.
    #[error("the dynamic label range is exhausted")]
    Exhausted,
}

impl LabelRange {
    /// The range `first..=last`, which must avoid the reserved labels.
    pub fn new(first: u32, last: u32) -> Result<LabelRange, LfibError> {
        match (Label::try_from(first), Label::try_from(last)) {
            (Ok(f), Ok(l)) if !f.is_reserved() && f <= l => Ok(LabelRange { first: f, last: l }),
            _ => Err(LfibError::BadRange(first, last)),
        }
    }
}

/// Hands out labels of a [`LabelRange`], reusing freed ones.
#[derive(Debug, Clone)]
pub struct LabelAllocator {
    range: LabelRange,
    next: u32,
    free: Vec<Label>,
}

impl LabelAllocator {
    /// An allocator over `range`.
    pub fn new(range: LabelRange) -> Self {
        LabelAllocator {
            range,
            next: range.first.get(),
            free: Vec::new(),
        }
    }

    /// A label nobody holds.
    pub fn allocate(&mut self) -> Result<Label, LfibError> {
        if let Some(l) = self.free.pop() {
            return Ok(l);
        }
        if self.next > self.range.last.get() {
            return Err(LfibError::Exhausted);
        }
        let l = Label::try_from(self.next).map_err(|_| LfibError::Exhausted)?;
        self.next += 1;
        Ok(l)
    }

    /// Gives `label` back.
    pub fn release(&mut self, label: Label) {
        if label >= self.range.first && label <= self.range.last && label.get() < self.next {
            self.free.push(label);
        }
    }
}

/// Label → action for the whole label space. Cloning is a publish: chunks are shared.
#[derive(Clone)]
pub struct Lfib {
    chunks: Box<[Option<Arc<[LabelAction; CHUNK_LEN]>>]>,
    bindings: usize,
}

impl Default for Lfib {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Lfib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lfib({} bindings)", self.bindings)
    }
}

impl Lfib {
    /// No bindings.
    pub fn new() -> Self {
        Lfib {
            chunks: (0..CHUNKS).map(|_| None).collect(),
            bindings: 0,
        }
    }

    /// The action for an incoming top label.
    #[inline]
    pub fn lookup(&self, label: Label) -> LabelAction {
        let l = label.get();
        if l == Label::IPV4_EXPLICIT_NULL.get() {
            return LabelAction::PopLookup(TableId::MAIN);
        }
        if label.is_reserved() {
            return LabelAction::Drop;
        }
        match &self.chunks[(l >> CHUNK_BITS) as usize] {
            Some(c) => c[l as usize & (CHUNK_LEN - 1)],
            None => LabelAction::Drop,
        }
    }

    /// Brings the action of the 20-bit `label` towards the cache (a burst's label lookups
    /// then overlap their misses, as the FIB's bulk lookup does).
    #[inline]
    pub fn prefetch(&self, label: u32) {
        let l = label & ((1 << 20) - 1);
        if let Some(c) = &self.chunks[(l >> CHUNK_BITS) as usize] {
            crate::fib::prefetch(&c[l as usize & (CHUNK_LEN - 1)]);
        }
    }

    /// Binds `label` to `action` (`Drop` unbinds).
    pub fn set(&mut self, label: Label, action: LabelAction) -> Result<(), LfibError> {
        if label.is_reserved() {
            return Err(LfibError::Reserved(label));
        }
        let l = label.get() as usize;
        let slot = &mut self.chunks[l >> CHUNK_BITS];
        if slot.is_none() && action == LabelAction::Drop {
            return Ok(());
        }
        let chunk =
            Arc::make_mut(slot.get_or_insert_with(|| Arc::new([LabelAction::Drop; CHUNK_LEN])));
        let old = std::mem::replace(&mut chunk[l & (CHUNK_LEN - 1)], action);
        match (old == LabelAction::Drop, action == LabelAction::Drop) {
            (true, false) => self.bindings += 1,
            (false, true) => self.bindings -= 1,
            _ => {}
        }
        if action == LabelAction::Drop && chunk.iter().all(|a| *a == LabelAction::Drop) {
            *slot = None;
        }
        Ok(())
    }

    /// Number of bound labels.
    pub fn len(&self) -> usize {
        self.bindings
    }

    /// Whether no label is bound.
    pub fn is_empty(&self) -> bool {
        self.bindings == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(v: u32) -> Label {
        Label::try_from(v).unwrap()
    }

    #[test]
    fn reserved_labels_where_they_belong() {
        let mut f = Lfib::new();
        assert_eq!(
            f.lookup(Label::IPV4_EXPLICIT_NULL),
            LabelAction::PopLookup(TableId::MAIN)
        );
        assert_eq!(f.lookup(Label::IMPLICIT_NULL), LabelAction::Drop);
        assert_eq!(f.lookup(Label::ROUTER_ALERT), LabelAction::Drop);
        assert_eq!(
            f.set(Label::IMPLICIT_NULL, LabelAction::Drop),
            Err(LfibError::Reserved(Label::IMPLICIT_NULL))
        );
        assert!(f.set(l(15), LabelAction::PopLookup(TableId(1))).is_err());
    }

    #[test]
    fn bind_lookup_unbind_and_versions_share() {
        let mut f = Lfib::new();
        f.set(l(16), LabelAction::PopLookup(TableId(3))).unwrap();
        f.set(
            l(1_048_575),
            LabelAction::Swap {
                label: l(200),
                via: AdjId(1),
            },
        )
        .unwrap();
        let v1 = f.clone();
        f.set(l(16), LabelAction::PopForward(AdjId(2))).unwrap();
        assert_eq!(
            v1.lookup(l(16)),
            LabelAction::PopLookup(TableId(3)),
            "old version unchanged"
        );
        assert_eq!(f.lookup(l(16)), LabelAction::PopForward(AdjId(2)));
        assert_eq!(f.lookup(l(17)), LabelAction::Drop);
        assert_eq!(f.len(), 2);
        f.set(l(16), LabelAction::Drop).unwrap();
        f.set(l(1_048_575), LabelAction::Drop).unwrap();
        assert!(f.is_empty());
        assert!(
            f.chunks.iter().all(Option::is_none),
            "empty chunks are released"
        );
    }

    #[test]
    fn allocator_stays_in_its_range() {
        assert!(LabelRange::new(3, 100).is_err());
        assert!(LabelRange::new(200, 100).is_err());
        let mut a = LabelAllocator::new(LabelRange::new(1000, 1001).unwrap());
        let x = a.allocate().unwrap();
        let y = a.allocate().unwrap();
        assert_eq!((x.get(), y.get()), (1000, 1001));
        assert_eq!(a.allocate(), Err(LfibError::Exhausted));
        a.release(x);
        assert_eq!(a.allocate().unwrap(), x);
    }
}
