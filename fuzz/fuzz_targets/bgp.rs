//! Any bytes as the body of a BGP UPDATE (and as OPEN, NOTIFICATION, ROUTE-REFRESH and a
//! raw stream): never a panic. Differentially, against netgauze-bgp-pkt in strict mode:
//! * what we reset the session for, netgauze refuses too (except the resets RFC 7606 and
//!   RFC 4271 require of things a lenient codec accepts: an unrecognized well-known
//!   attribute, MP_REACH_NLRI/MP_UNREACH_NLRI twice, an MP attribute with wrong flags);
//! * what both accept without any RFC 7606 treatment has the same withdrawn routes, NLRI,
//!   ORIGIN, NEXT_HOP, MED, LOCAL_PREF and communities.
//! And labelled NLRI (VPN-IPv4, labelled IPv4) in MP_REACH/MP_UNREACH: what decodes
//! encodes to what decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netgauze_bgp_pkt::path_attribute::PathAttributeValue as V;
use netgauze_bgp_pkt::wire::deserializer::BgpParsingContext;
use netgauze_bgp_pkt::BgpMessage;
use netgauze_parse_utils::reader::SliceReader;
use netgauze_parse_utils::traits::ParseFromWithOneInput;
use rspe_controlplane::bgp::packet::{self as ours, err, Ctx, Treatment};
use rspe_controlplane::bgp::vpn::codec as vpn;

/// Labelled NLRI decoded, encoded and decoded again: the same routes.
fn labelled_round_trip(nlri: &[u8], safi: u8, withdraw: bool, max_labels: usize) {
    let vpn_safi = match safi {
        ours::afi::VPN => true,
        ours::afi::LABELED => false,
        _ => return,
    };
    let Ok(routes) = vpn::decode(nlri, vpn_safi, withdraw, max_labels) else {
        return;
    };
    let mut b = bytes::BytesMut::new();
    for r in &routes {
        vpn::encode(&mut b, r);
    }
    let again = vpn::decode(&b, vpn_safi, withdraw, max_labels).expect("ours decodes");
    assert_eq!(routes, again);
}

fn theirs(msg: &[u8], as4: bool) -> Option<BgpMessage> {
    let mut ctx = BgpParsingContext::new(
        as4,
        Default::default(),
        Default::default(),
        false,
        false,
        true,
        true,
    );
    let mut cur = SliceReader::new(msg);
    let m = BgpMessage::parse(&mut cur, &mut ctx).ok()?;
    // Strict: nothing skipped silently either.
    let e = ctx.parsing_errors();
    if !e.path_attr_errors().is_empty()
        || !e.non_unicast_update_nlri().is_empty()
        || !e.non_unicast_withdraw_nlri().is_empty()
    {
        return None;
    }
    Some(m)
}

fn prefixes(v: &[rspe_shared::types::Prefix4]) -> Vec<(u32, u8)> {
    v.iter().map(|p| (p.addr(), p.len())).collect()
}

fuzz_target!(|data: &[u8]| {
    let (flags, body) = match data.split_first() {
        Some((f, b)) => (*f, b),
        None => return,
    };
    let as4 = flags & 1 == 1;
    let ebgp = flags & 2 == 2;
    let body = &body[..body.len().min(ours::MAX_LEN - ours::HEADER_LEN)];
    // The other message types and the framer: only "no panic".
    let _ = ours::Open::decode(body);
    let _ = ours::Notification::decode(body);
    let _ = ours::decode_route_refresh(body);
    let _ = ours::frame(body);

    let mut msg = vec![0xff; 16];
    msg.extend(((ours::HEADER_LEN + body.len()) as u16).to_be_bytes());
    msg.push(ours::msg::UPDATE);
    msg.extend_from_slice(body);
    let mine = ours::decode_update(body, Ctx { as4, ebgp });
    if let Ok(u) = &mine {
        let max_labels = usize::from(flags >> 5) + 1;
        if let Some(r) = &u.mp_reach {
            let _ = vpn::decode_next_hop(&r.next_hop);
            labelled_round_trip(&r.nlri, r.safi, false, max_labels);
        }
        if let Some(w) = &u.mp_unreach {
            labelled_round_trip(&w.withdrawn, w.safi, true, max_labels);
        }
    }
    let other = theirs(&msg, as4);
    match (&mine, &other) {
        (Err(n), Some(_)) => {
            let rfc_reset = n.code == err::UPDATE
                && matches!(n.subcode, err::UNRECOGNIZED_WELL_KNOWN | err::MALFORMED_ATTRS | 4);
            assert!(rfc_reset, "we reset ({n}) on an UPDATE netgauze accepts strictly");
        }
        (Ok(u), Some(BgpMessage::Update(t))) if u.treatment == Treatment::None => {
            let tw: Vec<(u32, u8)> = t
                .withdraw_routes()
                .iter()
                .map(|a| {
                    let n = a.network().address().trunc();
                    (u32::from(n.addr()), n.prefix_len())
                })
                .collect();
            let tn: Vec<(u32, u8)> = t
                .nlri()
                .iter()
                .map(|a| {
                    let n = a.network().address().trunc();
                    (u32::from(n.addr()), n.prefix_len())
                })
                .collect();
            // netgauze keeps IPv4 unicast MP_REACH NLRI in the attribute; ours merges it.
            let mp_v4 = t.path_attributes().iter().any(|a| {
                matches!(a.value(), V::MpReach(_) | V::MpUnreach(_))
            });
            if !mp_v4 {
                assert_eq!(prefixes(&u.withdrawn), tw, "withdrawn routes differ");
                assert_eq!(prefixes(&u.nlri), tn, "NLRI differs");
            }
            // RFC 7606 §3(g): a repeated attribute counts once, the first time.
            let mut seen = std::collections::HashSet::new();
            for a in t.path_attributes() {
                if !seen.insert(std::mem::discriminant(a.value())) {
                    continue;
                }
                match a.value() {
                    V::Origin(o) => assert_eq!(u.attrs.origin, Some(*o as u8)),
                    V::NextHop(n) if !mp_v4 => {
                        assert_eq!(u.attrs.next_hop, Some(u32::from(n.next_hop())))
                    }
                    V::MultiExitDiscriminator(m) => assert_eq!(u.attrs.med, Some(m.metric())),
                    V::LocalPreference(l) if !ebgp => {
                        assert_eq!(u.attrs.local_pref, Some(l.metric()))
                    }
                    V::Communities(c) => {
                        let c: Vec<u32> = c.communities().iter().map(|x| x.value()).collect();
                        assert_eq!(u.attrs.communities, c);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
});
