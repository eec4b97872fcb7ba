//! The codec of BGP/MPLS IP VPNs (RFC 4364) and labelled routes (RFC 8277): route
//! distinguishers, route targets, labelled NLRI (VPN-IPv4, SAFI 128, and labelled IPv4,
//! SAFI 4) and the VPN-IPv4 next hop. Pure: bytes in, values out, every length checked.

use crate::bgp::packet::{afi, err, Notification, Update};
use bytes::{BufMut, BytesMut};
use shared::types::Prefix4;
use std::fmt;
use std::net::Ipv4Addr;

/// The label field of a withdrawal (RFC 8277 §2.4); 0x000000 is accepted too.
pub const WITHDRAW_LABEL: u32 = 0x80_0000;
/// The highest label value (20 bits).
pub const MAX_LABEL: u32 = 0xF_FFFF;

/// A route distinguisher (RFC 4364 §4.2): a type (0: 2-octet AS and 4-octet number, 1:
/// IPv4 address and 2-octet number, 2: 4-octet AS and 2-octet number) and six octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rd(pub u64);

impl Rd {
    /// Parses RouterOS's (and everyone's) forms: `65000:1` (type 0), `10.0.0.1:1` (type 1),
    /// `4200000000:1` or `64000.1:1` (type 2: an AS above 65535).
    pub fn parse(s: &str) -> Option<Rd> {
        two_part(s).map(|(kind, v)| Rd((u64::from(kind) << 48) | v))
    }

    /// Its type.
    pub fn kind(self) -> u16 {
        (self.0 >> 48) as u16
    }

    /// Its eight octets.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for Rd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&two_part_text(self.kind(), self.0 & 0xFFFF_FFFF_FFFF))
    }
}

/// `(type, six octets)` of a two-part value (`admin:assigned`), the type chosen as RFC 4364
/// and RFC 4360 choose it: an IPv4 address, else an AS that fits two octets, else four.
fn two_part(s: &str) -> Option<(u16, u64)> {
    let (a, n) = s.rsplit_once(':')?;
    let n: u64 = n.parse().ok()?;
    if let Ok(ip) = a.parse::<Ipv4Addr>() {
        return (n <= 0xFFFF).then(|| (1, (u64::from(u32::from(ip)) << 16) | n));
    }
    let asn = as_num(a)?;
    if asn <= 0xFFFF && n <= 0xFFFF_FFFF {
        return Some((0, (asn << 32) | n));
    }
    (n <= 0xFFFF).then_some((2, (asn << 16) | n))
}

fn as_num(s: &str) -> Option<u64> {
    if let Some((hi, lo)) = s.split_once('.') {
        let (hi, lo) = (hi.parse::<u16>().ok()?, lo.parse::<u16>().ok()?);
        return Some((u64::from(hi) << 16) | u64::from(lo));
    }
    s.parse::<u32>().ok().map(u64::from)
}

fn two_part_text(kind: u16, v: u64) -> String {
    match kind {
        0 => format!("{}:{}", v >> 32, v & 0xFFFF_FFFF),
        1 => format!("{}:{}", Ipv4Addr::from((v >> 16) as u32), v & 0xFFFF),
        2 => format!("{}:{}", v >> 16, v & 0xFFFF),
        k => format!("{k}:{v:012x}"),
    }
}

/// The route-target extended community (RFC 4360 §4, RFC 5668) for `s` in the forms of
/// [`Rd::parse`]: transitive, sub-type 0x02.
pub fn route_target(s: &str) -> Option<u64> {
    two_part(s).map(|(kind, v)| (u64::from(kind) << 56) | (0x02 << 48) | v)
}

/// The text of an extended community as RouterOS shows it: `rt:65000:1` for a route target,
/// `soo:...` for a site of origin, else its sixteen hex digits.
pub fn ext_community_text(ec: u64) -> String {
    let (kind, sub) = ((ec >> 56) as u8, (ec >> 48) as u8);
    let v = ec & 0xFFFF_FFFF_FFFF;
    match (kind, sub) {
        (0..=2, 0x02) => format!("rt:{}", two_part_text(u16::from(kind), v)),
        (0..=2, 0x03) => format!("soo:{}", two_part_text(u16::from(kind), v)),
        _ => format!("0x{ec:016x}"),
    }
}

/// Whether `ec` is a route target.
pub fn is_route_target(ec: u64) -> bool {
    matches!(((ec >> 56) as u8, (ec >> 48) as u8), (0..=2, 0x02))
}

/// A labelled route of an NLRI: its labels (top first; none in a withdrawal), its route
/// distinguisher (VPN-IPv4 only) and its prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Labelled {
    /// Label values, top of the stack first.
    pub labels: Vec<u32>,
    /// The route distinguisher (`None` for labelled IPv4).
    pub rd: Option<Rd>,
    /// The prefix.
    pub prefix: Prefix4,
}

/// What is wrong with a labelled NLRI (RFC 7606 §5.3: the session or the family goes, as
/// the routes cannot be told apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NlriError {
    /// A route's length runs past the end.
    Truncated,
    /// A route's length leaves fewer bits than its labels and RD need, or more than 32 for
    /// the prefix.
    BadLength(u8),
    /// More labels than negotiated before the bottom of the stack.
    TooManyLabels,
}

impl fmt::Display for NlriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NlriError::Truncated => f.write_str("labelled NLRI truncated"),
            NlriError::BadLength(l) => write!(f, "labelled NLRI with impossible length {l}"),
            NlriError::TooManyLabels => f.write_str("labelled NLRI without bottom of stack"),
        }
    }
}

impl std::error::Error for NlriError {}

/// Decodes a labelled NLRI (RFC 8277 §2): each route its length in bits, its labels (up to
/// `max_labels`, the bottom one flagged; a withdrawal has one label field of any value),
/// an RD when `vpn`, then the prefix's significant octets.
pub fn decode(
    mut v: &[u8],
    vpn: bool,
    withdraw: bool,
    max_labels: usize,
) -> Result<Vec<Labelled>, NlriError> {
    let mut out = Vec::new();
    let rd_bits = if vpn { 64 } else { 0 };
    while let Some((&bits, rest)) = v.split_first() {
        let mut rest = rest;
        let mut left = usize::from(bits);
        let mut labels = Vec::new();
        loop {
            if left < 24 + rd_bits {
                return Err(NlriError::BadLength(bits));
            }
            let [a, b, c, tail @ ..] = rest else {
                return Err(NlriError::Truncated);
            };
            rest = tail;
            left -= 24;
            if withdraw {
                break;
            }
            labels.push((u32::from(*a) << 12) | (u32::from(*b) << 4) | (u32::from(*c) >> 4));
            if c & 1 == 1 {
                break;
            }
            if labels.len() == max_labels {
                return Err(NlriError::TooManyLabels);
            }
        }
        let rd = if vpn {
            let (r, tail) = rest.split_first_chunk::<8>().ok_or(NlriError::Truncated)?;
            rest = tail;
            left -= 64;
            Some(Rd(u64::from_be_bytes(*r)))
        } else {
            None
        };
        if left > 32 {
            return Err(NlriError::BadLength(bits));
        }
        let n = left.div_ceil(8);
        let bytes = rest.get(..n).ok_or(NlriError::Truncated)?;
        let mut a = [0u8; 4];
        a[..n].copy_from_slice(bytes);
        let prefix = Prefix4::new(u32::from_be_bytes(a), left as u8)
            .map_err(|_| NlriError::BadLength(bits))?;
        out.push(Labelled { labels, rd, prefix });
        v = &rest[n..];
    }
    Ok(out)
}

/// Appends `r` in labelled NLRI encoding; a withdrawal (no labels) carries 0x800000.
pub fn encode(b: &mut BytesMut, r: &Labelled) {
    let fields = r.labels.len().max(1);
    let rd_bits = if r.rd.is_some() { 64 } else { 0 };
    b.put_u8((fields * 24 + rd_bits + usize::from(r.prefix.len())) as u8);
    if r.labels.is_empty() {
        b.put_slice(&WITHDRAW_LABEL.to_be_bytes()[1..]);
    }
    for (i, l) in r.labels.iter().enumerate() {
        let bottom = u32::from(i + 1 == r.labels.len());
        let field = ((l & MAX_LABEL) << 4) | bottom;
        b.put_slice(&field.to_be_bytes()[1..]);
    }
    if let Some(rd) = r.rd {
        b.put_slice(&rd.to_bytes());
    }
    let n = usize::from(r.prefix.len()).div_ceil(8);
    b.put_slice(&r.prefix.addr().to_be_bytes()[..n]);
}

/// The IPv4 address of a VPN-IPv4 next hop (RFC 4364 §4.3.2: an RD of zero, then the
/// address); `None` for any other length or a non-zero RD.
pub fn decode_next_hop(v: &[u8]) -> Option<u32> {
    let [0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d] = v else {
        return None;
    };
    Some(u32::from_be_bytes([*a, *b, *c, *d]))
}

/// A VPN-IPv4 next hop for `addr`.
pub fn encode_next_hop(addr: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[8..].copy_from_slice(&addr.to_be_bytes());
    out
}

/// The VPN-IPv4 routes of a decoded UPDATE: dropped unless the family was `negotiated`
/// (RFC 4760 §6); NLRI that cannot be parsed, or a next hop that is not RD 0 and an
/// address, are a session reset (RFC 7606 §5.3, §7.11: the routes cannot be told apart to
/// withdraw them), with the NOTIFICATION to send.
pub fn check_update(u: &mut Update, negotiated: bool) -> Result<(), Notification> {
    let bad = |why: String| Notification::new(err::UPDATE, err::OPTIONAL_ATTR, why.into_bytes());
    if u.mp_reach.as_ref().is_some_and(|r| r.safi == afi::VPN) {
        match &u.mp_reach {
            Some(_) if !negotiated => u.mp_reach = None,
            Some(r) => {
                decode(&r.nlri, true, false, 1).map_err(|e| bad(e.to_string()))?;
                if decode_next_hop(&r.next_hop).is_none() {
                    let n = r.next_hop.len();
                    return Err(bad(format!("VPN-IPv4 next hop of {n} octets")));
                }
            }
            None => {}
        }
    }
    if u.mp_unreach.as_ref().is_some_and(|w| w.safi == afi::VPN) {
        match &u.mp_unreach {
            Some(_) if !negotiated => u.mp_unreach = None,
            Some(w) => {
                decode(&w.withdrawn, true, true, 1).map_err(|e| bad(e.to_string()))?;
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
