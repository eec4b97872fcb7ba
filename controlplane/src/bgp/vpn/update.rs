//! UPDATE messages of VPN-IPv4 (RFC 4364 §4.3.2, RFC 4760): announcements carry the path
//! attributes, then MP_REACH_NLRI (AFI 1, SAFI 128, the next hop as RD 0 and an IPv4
//! address, the labelled NLRI); withdrawals MP_UNREACH_NLRI alone; End-of-RIB is an empty
//! MP_UNREACH_NLRI (RFC 4724 §2). As many routes per message as fit in 4,096 octets.

use super::codec::{self, Labelled};
use crate::bgp::packet::{self, afi, attr, flag, msg, Attrs};
use bytes::{BufMut, Bytes, BytesMut};

/// Octets an UPDATE leaves for its path attributes: the header and the two length fields.
fn attr_room() -> usize {
    packet::MAX_LEN - packet::HEADER_LEN - 4
}

/// The NLRI of `routes` cut into pieces of at most `room` octets each.
fn chunks(routes: &[Labelled], room: usize) -> Vec<BytesMut> {
    let mut out = vec![BytesMut::new()];
    for r in routes {
        let mut one = BytesMut::new();
        codec::encode(&mut one, r);
        let last = out.last_mut().filter(|b| b.len() + one.len() <= room);
        match last {
            Some(b) => b.put_slice(&one),
            None => out.push(one),
        }
    }
    out.retain(|b| !b.is_empty());
    out
}

fn update(attrs: &[u8]) -> Bytes {
    let mut b = packet::header(msg::UPDATE, 4 + attrs.len());
    b.put_u16(0);
    b.put_u16(attrs.len() as u16);
    b.put_slice(attrs);
    b.freeze()
}

/// UPDATEs announcing `routes` (each with its label) with `attrs` (their NEXT_HOP unused)
/// and `next_hop` as the VPN-IPv4 next hop.
pub fn announce(
    attrs: &Attrs,
    as4: bool,
    next_hop: u32,
    routes: &[Labelled],
    out: &mut Vec<Bytes>,
) {
    let mut a = attrs.clone();
    a.next_hop = None;
    let mut base = BytesMut::new();
    a.encode(as4, &mut base);
    // The MP_REACH_NLRI's own header (4 octets, extended length) and fixed fields: AFI,
    // SAFI, next-hop length, next hop, reserved.
    let fixed = 4 + 2 + 1 + 1 + 12 + 1;
    let Some(room) = attr_room().checked_sub(base.len() + fixed) else {
        return;
    };
    for nlri in chunks(routes, room) {
        let mut v = BytesMut::with_capacity(fixed + nlri.len());
        v.put_u16(afi::IPV4);
        v.put_u8(afi::VPN);
        v.put_u8(12);
        v.put_slice(&codec::encode_next_hop(next_hop));
        v.put_u8(0);
        v.put_slice(&nlri);
        let mut all = base.clone();
        mp_attr(&mut all, attr::MP_REACH, &v);
        out.push(update(&all));
    }
}

/// An MP attribute, always with the two-octet length (as most speakers send it).
fn mp_attr(b: &mut BytesMut, code: u8, v: &[u8]) {
    b.put_u8(flag::OPTIONAL | flag::EXTENDED);
    b.put_u8(code);
    b.put_u16(v.len() as u16);
    b.put_slice(v);
}

/// UPDATEs withdrawing `routes` (their labels are not sent: 0x800000 stands in).
pub fn withdraw(routes: &[Labelled], out: &mut Vec<Bytes>) {
    let fixed = 4 + 3;
    let bare: Vec<Labelled> = routes
        .iter()
        .map(|r| Labelled {
            labels: Vec::new(),
            ..r.clone()
        })
        .collect();
    for nlri in chunks(&bare, attr_room() - fixed) {
        let mut v = BytesMut::with_capacity(3 + nlri.len());
        v.put_u16(afi::IPV4);
        v.put_u8(afi::VPN);
        v.put_slice(&nlri);
        let mut all = BytesMut::new();
        mp_attr(&mut all, attr::MP_UNREACH, &v);
        out.push(update(&all));
    }
}

/// The End-of-RIB marker of VPN-IPv4.
pub fn end_of_rib() -> Bytes {
    let mut all = BytesMut::new();
    let mut v = BytesMut::new();
    v.put_u16(afi::IPV4);
    v.put_u8(afi::VPN);
    mp_attr(&mut all, attr::MP_UNREACH, &v);
    update(&all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::packet::{decode_update, Ctx};
    use crate::bgp::vpn::codec::Rd;

    fn route(i: u32, label: u32) -> Labelled {
        Labelled {
            labels: vec![label],
            rd: Rd::parse("65000:100"),
            prefix: shared::types::Prefix4::new(0x0a00_0000 | (i << 8), 24).unwrap(),
        }
    }

    fn body(m: &Bytes) -> &[u8] {
        &m[packet::HEADER_LEN..]
    }

    #[test]
    fn an_announcement_decodes_to_what_was_sent_and_many_routes_split() {
        let attrs = Attrs {
            origin: Some(2),
            local_pref: Some(100),
            ext_communities: vec![codec::route_target("65000:100").unwrap()],
            ..Attrs::default()
        };
        let routes: Vec<Labelled> = (0..1000).map(|i| route(i, 16 + i)).collect();
        let mut out = Vec::new();
        announce(&attrs, true, 0x0aff_0001, &routes, &mut out);
        assert!(out.len() > 1, "1,000 routes need several messages");
        let mut back = Vec::new();
        for m in &out {
            assert!(m.len() <= packet::MAX_LEN);
            let u = decode_update(body(m), Ctx::default()).expect("decodes");
            let r = u.mp_reach.expect("MP_REACH");
            assert_eq!((r.afi, r.safi), (afi::IPV4, afi::VPN));
            assert_eq!(codec::decode_next_hop(&r.next_hop), Some(0x0aff_0001));
            assert_eq!(u.attrs.ext_communities, attrs.ext_communities);
            assert_eq!(u.attrs.next_hop, None);
            back.extend(codec::decode(&r.nlri, true, false, 1).unwrap());
        }
        assert_eq!(back, routes);
    }

    #[test]
    fn a_withdrawal_carries_the_withdraw_label_and_end_of_rib_is_empty() {
        let mut out = Vec::new();
        withdraw(&[route(1, 99)], &mut out);
        assert_eq!(out.len(), 1);
        let u = decode_update(body(&out[0]), Ctx::default()).unwrap();
        let w = u.mp_unreach.expect("MP_UNREACH");
        assert_eq!(&w.withdrawn[1..4], &[0x80, 0, 0]);
        let gone = codec::decode(&w.withdrawn, true, true, 1).unwrap();
        assert_eq!(gone[0].prefix, route(1, 99).prefix);
        let eor = decode_update(body(&end_of_rib()), Ctx::default()).unwrap();
        let w = eor.mp_unreach.expect("MP_UNREACH");
        assert!(w.withdrawn.is_empty());
    }
}
