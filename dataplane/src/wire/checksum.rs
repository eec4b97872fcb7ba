//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

/// One's-complement sum of `data` as 16-bit big-endian words, added to `initial`, not folded.
#[inline]
pub fn sum(data: &[u8], initial: u32) -> u32 {
    let mut acc = u64::from(initial);
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    while acc > 0xffff_ffff {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// Whether `data` (an even number of bytes, as IP headers are) sums to all ones, i.e. its
/// checksum field is right. Adds 32-bit words in native order: the one's-complement sum is
/// independent of byte order (RFC 1071 §2(B)), and all ones reads the same either way.
#[inline(always)]
pub fn verify(data: &[u8]) -> bool {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]));
    }
    for h in words.remainder().chunks(2) {
        let hi = h[0];
        let lo = h.get(1).copied().unwrap_or(0);
        acc += u64::from(u16::from_ne_bytes([hi, lo]));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc == 0xffff
}

/// Folds a sum to 16 bits and complements it: the checksum field's value.
#[inline]
pub fn finish(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The sum of the IPv4 pseudo-header for a TCP or UDP checksum.
#[inline]
pub fn pseudo_header(src: u32, dst: u32, protocol: u8, len: u16) -> u32 {
    (src >> 16)
        + (src & 0xffff)
        + (dst >> 16)
        + (dst & 0xffff)
        + u32::from(protocol)
        + u32::from(len)
}

/// A checksum updated for one 16-bit word changing from `old` to `new` (RFC 1624, eqn. 3):
/// HC' = ~(~HC + ~m + m').
#[inline]
pub fn update(check: u16, old: u16, new: u16) -> u16 {
    let acc = u32::from(!check) + u32::from(!old) + u32::from(new);
    finish(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_verify_agrees_with_the_plain_sum() {
        let mut x: u32 = 7;
        for len in [20usize, 24, 28, 60, 22, 2] {
            for _ in 0..500 {
                let mut d: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (x >> 16) as u8
                    })
                    .collect();
                let plain = |d: &[u8]| finish(sum(d, 0)) == 0;
                assert_eq!(verify(&d), plain(&d), "{d:?}");
                // Make it right: put the checksum in the first word.
                d[0] = 0;
                d[1] = 0;
                let c = finish(sum(&d, 0));
                d[0..2].copy_from_slice(&c.to_be_bytes());
                assert!(verify(&d) && plain(&d), "{d:?}");
            }
        }
    }

    #[test]
    fn rfc1071_example_and_incremental_update() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (folded).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(!finish(sum(&data, 0)), 0xddf2);
        let mut d = data;
        let c = finish(sum(&d, 0));
        d[2] = 0x12;
        let full = finish(sum(&d, 0));
        assert_eq!(update(c, 0xf203, 0x1203), full);
        assert_eq!(finish(sum(&[0xff], 0)), !0xff00);
    }
}
