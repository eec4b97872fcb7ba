//! VLAN interfaces as the workers see them (`/interface vlan`): which logical interface a
//! tagged frame arriving on a port belongs to, and which tags a frame sent out of one gets.
//!
//! A VLAN interface's id is [`VLAN_BASE`] plus its index in [`Vlans::list`] (below the
//! tunnels' `0x4000`). A VLAN on a VLAN is QinQ: the interface carries both tags, the outer
//! one first, and is classified on both. Classification is one array read for the common
//! case (one 802.1Q tag): a table of 4,096 entries per port that has VLANs; two tags, or an
//! 802.1ad outer tag, go through a hash.

use crate::snapshot::PortIface;
use crate::types::{PortId, VrfId};
use rustc_hash::FxHashMap;

/// VLAN interfaces have ids from here up (DPDK ports are below, tunnels from `0x4000`).
pub const VLAN_BASE: u16 = 0x2000;
/// VLAN interfaces a router has at most.
pub const MAX_VLANS: usize = 0x2000;
/// The tag protocol of 802.1Q (a customer tag).
pub const TPID_8021Q: u16 = 0x8100;
/// The tag protocol of 802.1ad (a service tag, `use-service-tag=yes`).
pub const TPID_8021AD: u16 = 0x88a8;
/// Tags a frame carries at most here (QinQ).
pub const MAX_TAGS: usize = 2;

/// One tag: its protocol (0x8100 or 0x88a8) and VLAN id (1..4094).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tag {
    /// Tag protocol identifier.
    pub tpid: u16,
    /// VLAN id.
    pub vid: u16,
}

/// One VLAN interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vlan {
    /// Its interface id.
    pub id: PortId,
    /// The DPDK port its frames go in and out of (below any VLANs it is stacked on).
    pub port: PortId,
    /// Its tags, outermost first; `tags[1]` counts only when `depth` is 2.
    pub tags: [Tag; MAX_TAGS],
    /// How many tags it carries: 1, or 2 for QinQ.
    pub depth: u8,
    /// Whether it forwards (it and what it is stacked on enabled).
    pub up: bool,
    /// Its VRF.
    pub vrf: VrfId,
    /// What the pipeline reads of an interface (MAC, first address, MTU, labels).
    pub iface: PortIface,
    /// Its tags as they are on the wire (TPID and TCI of each, PCP 0), for writing at once;
    /// [`Vlans::new`] fills it in.
    pub wire: [u8; 4 * MAX_TAGS],
}

impl Vlan {
    /// Its tags, outermost first.
    #[inline]
    pub fn tags(&self) -> &[Tag] {
        &self.tags[..usize::from(self.depth.min(2))]
    }
}

/// No VLAN interface (in [`Vlans`]' per-port tables).
const NONE: u16 = u16::MAX;

/// Every VLAN interface, by interface id and by (port, tags).
#[derive(Debug, Clone, Default)]
pub struct Vlans {
    /// By `id - VLAN_BASE`.
    pub list: Vec<Vlan>,
    /// Per DPDK port, the index in `list` of the single-tagged 802.1Q interface of each VLAN
    /// id ([`NONE`]: none); `None` for a port without one.
    by_vid: Vec<Option<Box<[u16; 4096]>>>,
    /// Everything else: (port, tags) → index.
    by_tags: FxHashMap<(u16, [Tag; MAX_TAGS]), u16>,
    /// Whether any VLAN interface is up: only then do tagged frames go further than a drop.
    pub any: bool,
}

impl Vlans {
    /// The VLAN interfaces `list` (each at its index), indexed for classification; those
    /// that are down classify nothing.
    pub fn new(mut list: Vec<Vlan>) -> Vlans {
        for v in &mut list {
            for (i, t) in v.tags.iter().enumerate() {
                v.wire[4 * i..4 * i + 2].copy_from_slice(&t.tpid.to_be_bytes());
                v.wire[4 * i + 2..4 * i + 4].copy_from_slice(&t.vid.to_be_bytes());
            }
        }
        let mut by_vid: Vec<Option<Box<[u16; 4096]>>> = Vec::new();
        let mut by_tags = FxHashMap::default();
        for (i, v) in list.iter().enumerate().filter(|(_, v)| v.up) {
            let port = usize::from(v.port.0);
            let simple = v.depth == 1 && v.tags[0].tpid == TPID_8021Q;
            if simple {
                if by_vid.len() <= port {
                    by_vid.resize(port + 1, None);
                }
                let t = by_vid[port].get_or_insert_with(|| Box::new([NONE; 4096]));
                let slot = &mut t[usize::from(v.tags[0].vid & 0xfff)];
                if *slot == NONE {
                    *slot = i as u16;
                }
            } else {
                let mut key = v.tags;
                if v.depth < 2 {
                    key[1] = Tag::default();
                }
                by_tags.entry((v.port.0, key)).or_insert(i as u16);
            }
        }
        let any = by_vid.iter().any(Option::is_some) || !by_tags.is_empty();
        Vlans {
            list,
            by_vid,
            by_tags,
            any,
        }
    }

    /// The VLAN interface with id `id`.
    #[inline]
    pub fn get(&self, id: PortId) -> Option<&Vlan> {
        self.list.get(usize::from(id.0.checked_sub(VLAN_BASE)?))
    }

    /// The 802.1Q VLAN interface of VLAN `vid` on `port` (one customer tag: the common
    /// case, one array read).
    #[inline(always)]
    pub fn classify_q(&self, port: PortId, vid: u16) -> Option<&Vlan> {
        let table = self.by_vid.get(usize::from(port.0))?.as_ref()?;
        self.list.get(usize::from(table[usize::from(vid & 0xfff)]))
    }

    /// The VLAN interface a frame arriving on `port` with `tags` (outermost first; one or
    /// two) belongs to.
    #[inline(always)]
    pub fn classify(&self, port: PortId, tags: &[Tag]) -> Option<&Vlan> {
        let i = match tags {
            [t] if t.tpid == TPID_8021Q => {
                let table = self.by_vid.get(usize::from(port.0))?.as_ref()?;
                table[usize::from(t.vid & 0xfff)]
            }
            [t] => *self.by_tags.get(&(port.0, [*t, Tag::default()]))?,
            [a, b] => *self.by_tags.get(&(port.0, [*a, *b]))?,
            _ => return None,
        };
        self.list.get(usize::from(i))
    }
}

/// Whether `port` is a VLAN interface's id.
#[inline]
pub fn is_vlan(port: PortId) -> bool {
    (VLAN_BASE..VLAN_BASE + MAX_VLANS as u16).contains(&port.0)
}

/// Whether `ethertype` is a tag's (802.1Q or 802.1ad).
#[inline]
pub fn is_tag(ethertype: u16) -> bool {
    matches!(ethertype, TPID_8021Q | TPID_8021AD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vlan(i: u16, port: u16, tags: &[Tag]) -> Vlan {
        let mut t = [Tag::default(); 2];
        t[..tags.len()].copy_from_slice(tags);
        Vlan {
            id: PortId(VLAN_BASE + i),
            port: PortId(port),
            tags: t,
            depth: tags.len() as u8,
            up: true,
            vrf: VrfId(i),
            iface: PortIface {
                mac: [2, 0, 0, 0, 0, 1],
                ipv4: None,
                mtu: 1500,
                mpls_input: false,
                mpls_mtu: 1508,
            },
            wire: [0; 8],
        }
    }

    const fn q(vid: u16) -> Tag {
        Tag {
            tpid: TPID_8021Q,
            vid,
        }
    }

    #[test]
    fn frames_find_their_interface_by_port_and_every_tag() {
        let ad = Tag {
            tpid: TPID_8021AD,
            vid: 100,
        };
        let mut down = vlan(4, 0, &[q(40)]);
        down.up = false;
        let v = Vlans::new(vec![
            vlan(0, 0, &[q(10)]),
            vlan(1, 1, &[q(10)]),
            vlan(2, 0, &[q(30), q(7)]),
            vlan(3, 0, &[ad]),
            down,
        ]);
        assert!(v.any);
        let id = |port, tags: &[Tag]| v.classify(PortId(port), tags).map(|x| x.id.0 - VLAN_BASE);
        assert_eq!(id(0, &[q(10)]), Some(0));
        assert_eq!(id(1, &[q(10)]), Some(1), "the same VLAN on another port");
        assert_eq!(id(2, &[q(10)]), None, "a port without VLANs");
        assert_eq!(id(0, &[q(30), q(7)]), Some(2));
        assert_eq!(
            id(0, &[q(30)]),
            None,
            "only the QinQ interface has outer tag 30"
        );
        assert_eq!(
            id(0, &[q(10), q(7)]),
            None,
            "double tags where one is configured"
        );
        assert_eq!(id(0, &[ad]), Some(3));
        assert_eq!(
            id(0, &[q(100)]),
            None,
            "a customer tag is not a service tag"
        );
        assert_eq!(id(0, &[q(40)]), None, "down");
        assert_eq!(v.get(PortId(VLAN_BASE + 2)).map(|x| x.depth), Some(2));
        assert!(is_vlan(PortId(VLAN_BASE)) && !is_vlan(PortId(0x4000)) && !is_vlan(PortId(3)));
        assert!(!Vlans::new(vec![]).any);
        let wire = v.get(PortId(VLAN_BASE + 2)).unwrap().wire;
        assert_eq!(wire, [0x81, 0, 0, 30, 0x81, 0, 0, 7]);
        assert_eq!(
            v.classify_q(PortId(1), 10).map(|x| x.id),
            Some(PortId(VLAN_BASE + 1))
        );
    }
}
