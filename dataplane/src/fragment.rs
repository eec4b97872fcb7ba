//! IPv4 fragmentation (RFC 791 §3.2, RFC 1812 §4.2.2.7): a packet larger than the way out,
//! without DF, leaves as fragments. Each fragment is built in a buffer on the stack and
//! handed to the caller (the worker copies it into an mbuf of its own).
//!
//! The first fragment carries every option; later ones only the options whose copied flag
//! is set. Data is cut at multiples of 8 bytes; every fragment but the last has MF set
//! (the last keeps the original's MF, so a fragment of a fragment stays a fragment); the
//! offset counts from the original's offset; each header checksum is computed anew.

use crate::wire::checksum;

/// The largest frame a fragment is built in (a 9,216-byte IP MTU and two VLAN tags).
pub const MAX_FRAME: usize = 9216 + 22;

/// Why a packet could not be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragError {
    /// The frame does not hold the IPv4 header its own fields describe.
    Malformed,
    /// DF is set: it may not be cut (the pipeline answers with "fragmentation needed").
    DontFragment,
    /// The MTU leaves no room for 8 bytes of data after the header.
    MtuTooSmall,
    /// The caller refused a fragment (no buffer): the rest were not built.
    Refused,
}

/// The options of a header (`opts`, the bytes after the fixed 20) that every fragment
/// carries (the copied flag, bit 0x80 of the type), padded with zeros to a multiple of 4,
/// into `out`; returns their length.
fn copied_options(opts: &[u8], out: &mut [u8; 40]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < opts.len() {
        let kind = opts[i];
        match kind {
            0 => break,
            1 => i += 1,
            _ => {
                let len = usize::from(*opts.get(i + 1).unwrap_or(&0));
                if len < 2 || i + len > opts.len() {
                    break;
                }
                if kind & 0x80 != 0 && n + len <= out.len() {
                    out[n..n + len].copy_from_slice(&opts[i..i + len]);
                    n += len;
                }
                i += len;
            }
        }
    }
    let padded = n.div_ceil(4) * 4;
    out[n..padded].fill(0);
    padded
}

/// Cuts `frame` (an Ethernet header of `eh` bytes, then an IPv4 packet) into fragments of
/// at most `mtu` bytes of IP each and hands each whole frame to `emit`, in order; `emit`
/// returns false to stop (no buffer). Returns how many fragments were emitted.
pub fn fragment(
    frame: &[u8],
    eh: usize,
    mtu: u16,
    emit: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<usize, FragError> {
    let ip = frame.get(eh..).ok_or(FragError::Malformed)?;
    if ip.len() < 20 || ip[0] >> 4 != 4 {
        return Err(FragError::Malformed);
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if ihl < 20 || total < ihl || total > ip.len() {
        return Err(FragError::Malformed);
    }
    let flags_off = u16::from_be_bytes([ip[6], ip[7]]);
    if flags_off & 0x4000 != 0 {
        return Err(FragError::DontFragment);
    }
    let orig_mf = flags_off & 0x2000 != 0;
    let orig_off = usize::from(flags_off & 0x1fff) * 8;
    let mut later_opts = [0u8; 40];
    let later_opts_len = copied_options(&ip[20..ihl], &mut later_opts);
    let mtu = usize::from(mtu).min(MAX_FRAME - eh);
    let data = &ip[ihl..total];
    let mut buf = [0u8; MAX_FRAME];
    let (mut at, mut count) = (0, 0);
    while at < data.len() || (count == 0 && data.is_empty()) {
        let hl = if count == 0 { ihl } else { 20 + later_opts_len };
        let room = mtu.checked_sub(hl).ok_or(FragError::MtuTooSmall)? / 8 * 8;
        if room == 0 {
            return Err(FragError::MtuTooSmall);
        }
        let take = room.min(data.len() - at);
        let last = at + take == data.len();
        let out = &mut buf[..eh + hl + take];
        out[..eh].copy_from_slice(&frame[..eh]);
        out[eh..eh + 20].copy_from_slice(&ip[..20]);
        if count == 0 {
            out[eh + 20..eh + ihl].copy_from_slice(&ip[20..ihl]);
        } else {
            out[eh + 20..eh + hl].copy_from_slice(&later_opts[..later_opts_len]);
        }
        out[eh + hl..].copy_from_slice(&data[at..at + take]);
        let h = &mut out[eh..eh + hl];
        h[0] = 0x40 | (hl / 4) as u8;
        h[2..4].copy_from_slice(&((hl + take) as u16).to_be_bytes());
        let mf = !last || orig_mf;
        let off = ((orig_off + at) / 8) as u16 & 0x1fff;
        h[6..8].copy_from_slice(&((u16::from(mf) << 13) | off).to_be_bytes());
        h[10..12].fill(0);
        let c = checksum::finish(checksum::sum(h, 0));
        h[10..12].copy_from_slice(&c.to_be_bytes());
        if !emit(out) {
            return Err(FragError::Refused);
        }
        count += 1;
        at += take;
        if data.is_empty() {
            break;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/UDP frame with `payload` bytes of UDP data and `opts` as options.
    fn packet(payload: usize, opts: &[u8], flags_off: u16) -> Vec<u8> {
        let ihl = 20 + opts.len();
        let total = ihl + 8 + payload;
        let mut f = vec![0u8; 14 + total];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let ip = &mut f[14..];
        ip[0] = 0x40 | (ihl / 4) as u8;
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
        ip[6..8].copy_from_slice(&flags_off.to_be_bytes());
        ip[8] = 63;
        ip[9] = 17;
        ip[12..16].copy_from_slice(&[10, 0, 0, 2]);
        ip[16..20].copy_from_slice(&[10, 1, 0, 2]);
        ip[20..ihl].copy_from_slice(opts);
        for (i, b) in ip[ihl..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let c = checksum::finish(checksum::sum(&ip[..ihl], 0));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        f
    }

    fn cut(f: &[u8], mtu: u16) -> Result<Vec<Vec<u8>>, FragError> {
        let mut out = Vec::new();
        fragment(f, 14, mtu, &mut |x| {
            out.push(x.to_vec());
            true
        })?;
        Ok(out)
    }

    /// Reassembles fragments (by offset) into the original IP payload; checks each header.
    fn reassemble(frags: &[Vec<u8>], mtu: usize) -> Vec<u8> {
        let mut data = Vec::new();
        for (i, f) in frags.iter().enumerate() {
            let ip = &f[14..];
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            assert_eq!(total, ip.len(), "total length");
            assert!(
                total <= mtu,
                "fragment {i} of {total} bytes over the MTU {mtu}"
            );
            assert_eq!(
                checksum::finish(checksum::sum(&ip[..ihl], 0)),
                0,
                "checksum"
            );
            assert_eq!(&ip[4..6], &[0x12, 0x34], "the identification is kept");
            let fo = u16::from_be_bytes([ip[6], ip[7]]);
            let (mf, off) = (fo & 0x2000 != 0, usize::from(fo & 0x1fff) * 8);
            assert_eq!(mf, i + 1 < frags.len(), "MF on all but the last");
            assert_eq!(off, data.len(), "offsets follow each other");
            if i + 1 < frags.len() {
                assert_eq!((total - ihl) % 8, 0, "data in multiples of 8");
            }
            data.extend_from_slice(&ip[ihl..]);
        }
        data
    }

    #[test]
    fn a_1478_byte_packet_through_a_1400_byte_port() {
        let f = packet(1450, &[], 0);
        assert_eq!(f.len() - 14, 1478);
        let frags = cut(&f, 1400).unwrap();
        assert_eq!(frags.len(), 2);
        assert_eq!(
            frags[0].len() - 14,
            1396,
            "20 + 1376: the largest multiple of 8"
        );
        assert_eq!(reassemble(&frags, 1400), f[14 + 20..].to_vec());
    }

    #[test]
    fn options_only_copied_ones_follow_and_offsets_add_up() {
        // Record route (7, not copied) and a copied option (0x94, router alert), 4 + 4.
        let opts = [7, 4, 4, 0, 0x94, 4, 0, 0];
        let f = packet(3000, &opts, 0);
        let frags = cut(&f, 576).unwrap();
        assert!(frags.len() >= 6);
        assert_eq!(frags[0][14] & 0x0f, 7, "the first keeps every option");
        for g in &frags[1..] {
            assert_eq!(g[14] & 0x0f, 6, "later ones only the copied option");
            assert_eq!(&g[14 + 20..14 + 24], &[0x94, 4, 0, 0]);
        }
        // Fragments of a fragment: offsets continue, the last keeps MF.
        let mid = packet(1000, &[], 0x2000 | 100);
        let frags = cut(&mid, 500).unwrap();
        let last = frags.last().unwrap();
        let fo = u16::from_be_bytes([last[14 + 6], last[14 + 7]]);
        assert!(fo & 0x2000 != 0, "still more of the original to come");
        let first = u16::from_be_bytes([frags[0][20], frags[0][21]]);
        assert_eq!(first & 0x1fff, 100);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            cut(&packet(2000, &[], 0x4000), 1400),
            Err(FragError::DontFragment)
        );
        assert_eq!(cut(&packet(2000, &[], 0), 24), Err(FragError::MtuTooSmall));
        assert_eq!(cut(&[0u8; 20], 1400), Err(FragError::Malformed));
        let mut lying = packet(100, &[], 0);
        lying[14 + 2..14 + 4].copy_from_slice(&9000u16.to_be_bytes());
        assert_eq!(cut(&lying, 1400), Err(FragError::Malformed));
        let f = packet(3000, &[], 0);
        let mut n = 0;
        let r = fragment(&f, 14, 1400, &mut |_| {
            n += 1;
            n < 2
        });
        assert_eq!(r, Err(FragError::Refused));
    }
}
