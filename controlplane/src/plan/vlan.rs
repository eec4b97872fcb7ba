//! VLAN interfaces (`/interface vlan`) in the plan: each is a [`PortPlan`] with an id from
//! [`VLAN_BASE`] and a [`VlanPlan`] (the DPDK port below it and its tags), so everything
//! that takes ports (VRF membership, addresses, connected routes, neighbours, OSPF, LDP,
//! kernel twins) takes VLANs.

use super::PortPlan;
use crate::config::store::{m, Item, Store};
use shared::types::VrfId;
use shared::vlan::{Tag, MAX_TAGS, MAX_VLANS, TPID_8021AD, TPID_8021Q, VLAN_BASE};

/// What makes a port a VLAN interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VlanPlan {
    /// The DPDK port its frames go in and out of.
    pub port: u16,
    /// Its tags, outermost first (two for a VLAN on a VLAN).
    pub tags: Vec<Tag>,
}

/// The VLAN interfaces of the configuration, in order, on the DPDK `ports` (a VLAN on a
/// VLAN takes the tags of the one below first). A VLAN whose interface is missing is
/// left out (the store refuses one; a port can vanish between starts).
pub fn vlans(
    store: &Store,
    ports: &[PortPlan],
    vrf_named: &dyn Fn(&str) -> VrfId,
    addrs_of: &dyn Fn(&str) -> Vec<(u32, u8)>,
) -> Vec<PortPlan> {
    let menu = m(&["interface", "vlan"]);
    let items = store.items(menu);
    let mut out = Vec::new();
    for it in items.iter() {
        if out.len() >= MAX_VLANS {
            break;
        }
        let Some((port, tags, enabled)) = below(menu, &items, it, ports, MAX_TAGS) else {
            continue;
        };
        let name = it.get(menu, "name").unwrap_or("").to_owned();
        let mac = ports
            .iter()
            .find(|p| p.id == port)
            .map_or([0; 6], |p| p.mac);
        out.push(PortPlan {
            id: VLAN_BASE + out.len() as u16,
            mac,
            mtu: it
                .get(menu, "mtu")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1500),
            enabled,
            vrf: vrf_named(&name),
            addrs: addrs_of(&name),
            mpls: super::mpls::input_of(store, &name),
            tunnel: None,
            vlan: Some(VlanPlan { port, tags }),
            name,
        });
    }
    out
}

/// The DPDK port under VLAN item `it`, its tags (outermost first) and whether it and
/// everything under it are enabled; `None` when it is not on a port within `room` tags.
fn below(
    menu: usize,
    items: &[Item],
    it: &Item,
    ports: &[PortPlan],
    room: usize,
) -> Option<(u16, Vec<Tag>, bool)> {
    if room == 0 {
        return None;
    }
    let tag = Tag {
        tpid: if it.get(menu, "use-service-tag") == Some("yes") {
            TPID_8021AD
        } else {
            TPID_8021Q
        },
        vid: it.get(menu, "vlan-id")?.parse().ok()?,
    };
    let parent = it.get(menu, "interface")?;
    let (port, mut tags, enabled) = match ports.iter().find(|p| p.name == parent) {
        Some(p) if p.tunnel.is_none() && p.vlan.is_none() => (p.id, Vec::new(), p.enabled),
        Some(_) => return None,
        None => {
            let under = items.iter().find(|o| o.get(menu, "name") == Some(parent))?;
            below(menu, items, under, ports, room - 1)?
        }
    };
    tags.push(tag);
    Some((port, tags, enabled && !it.disabled()))
}
