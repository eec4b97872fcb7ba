//! The MPLS label stack (RFC 3032): 32-bit entries of label (20 bits), traffic class (3),
//! bottom of stack (1) and TTL (8).

use super::{be32, put32, WireError};
use shared::types::Label;

/// The most labels a stack may have before rspe gives up on it.
pub const MAX_DEPTH: usize = 8;

/// One label stack entry, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The label.
    pub label: Label,
    /// Traffic class.
    pub tc: u8,
    /// Bottom of stack.
    pub bos: bool,
    /// Time to live.
    pub ttl: u8,
}

impl Entry {
    /// Decodes 4 bytes.
    pub fn decode(w: u32) -> Entry {
        Entry {
            label: Label::try_from(w >> 12).unwrap_or(Label::IMPLICIT_NULL),
            tc: ((w >> 9) & 7) as u8,
            bos: w & 0x100 != 0,
            ttl: (w & 0xff) as u8,
        }
    }

    /// Encodes to 4 bytes.
    pub fn encode(&self) -> u32 {
        (self.label.get() << 12)
            | (u32::from(self.tc & 7) << 9)
            | (u32::from(self.bos) << 8)
            | u32::from(self.ttl)
    }
}

/// A view of a label stack and what follows it.
#[derive(Debug, Clone, Copy)]
pub struct Stack<T: AsRef<[u8]>> {
    buf: T,
    depth: usize,
}

impl<T: AsRef<[u8]>> Stack<T> {
    /// Walks to the bottom-of-stack entry; refuses a stack that runs off the buffer or is
    /// deeper than [`MAX_DEPTH`].
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        let mut depth = 0;
        loop {
            if b.len() < (depth + 1) * 4 {
                return Err(WireError::Truncated);
            }
            let e = Entry::decode(be32(b, depth * 4));
            depth += 1;
            if e.bos {
                break;
            }
            if depth == MAX_DEPTH {
                return Err(WireError::Unsupported);
            }
        }
        Ok(Stack { buf, depth })
    }

    /// Number of entries.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Entry `i` (0 = top).
    pub fn entry(&self, i: usize) -> Option<Entry> {
        (i < self.depth).then(|| Entry::decode(be32(self.buf.as_ref(), i * 4)))
    }

    /// The top entry.
    pub fn top(&self) -> Entry {
        Entry::decode(be32(self.buf.as_ref(), 0))
    }

    /// What follows the stack.
    pub fn payload(&self) -> &[u8] {
        &self.buf.as_ref()[self.depth * 4..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Stack<T> {
    /// Replaces the top entry (swap).
    pub fn set_top(&mut self, e: Entry) {
        put32(self.buf.as_mut(), 0, e.encode());
    }
}

#[cfg(test)]
mod tests {
    use super::super::hex;
    use super::*;

    #[test]
    fn real_labels_from_the_lsp_ping_capture() {
        // shared/data/pcaps/lspping-fec-ldp.pcap frame 1: label 100656, tc 6, [S], ttl 64.
        let b = hex("0x0000:  ff03 0281 1893 0d40 45c0 0047");
        let s = Stack::new_checked(&b[4..]).unwrap();
        assert_eq!(s.depth(), 1);
        let e = s.top();
        assert_eq!((e.label.get(), e.tc, e.bos, e.ttl), (100_656, 6, true, 64));
        assert_eq!(s.payload()[0], 0x45);
        assert_eq!(Entry::decode(e.encode()), e);
    }

    #[test]
    fn deep_and_broken_stacks() {
        let l = |v| Label::try_from(v).unwrap();
        let mut b = Vec::new();
        for (i, label) in [16u32, 17, 18].iter().enumerate() {
            b.extend(
                Entry {
                    label: l(*label),
                    tc: 0,
                    bos: i == 2,
                    ttl: 64,
                }
                .encode()
                .to_be_bytes(),
            );
        }
        b.push(0x45);
        let mut s = Stack::new_checked(&mut b[..]).unwrap();
        assert_eq!(s.depth(), 3);
        assert_eq!(s.entry(2).unwrap().label, l(18));
        assert_eq!(s.entry(3), None);
        s.set_top(Entry {
            label: l(99),
            tc: 1,
            bos: false,
            ttl: 63,
        });
        assert_eq!(Stack::new_checked(&b[..]).unwrap().top().label, l(99));
        assert_eq!(
            Stack::new_checked(&b[..8]).unwrap_err(),
            WireError::Truncated
        );
        let no_bottom: Vec<u8> = std::iter::repeat_n([0u8, 1, 0, 64], 9).flatten().collect();
        assert_eq!(
            Stack::new_checked(&no_bottom[..]).unwrap_err(),
            WireError::Unsupported
        );
    }
}
