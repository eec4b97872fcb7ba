//! Tunnel interfaces (`/interface ipip`, `/interface gre`) in the plan: each is a
//! [`PortPlan`] with an id from [`TUNNEL_BASE`] and a [`TunnelPlan`], so everything that
//! takes ports (VRF membership, addresses, connected routes, OSPF, kernel twins) takes
//! tunnels; the builder gives them adjacencies without neighbours and the snapshot their
//! outer headers.

use super::{ip_of, PortPlan};
use crate::config::store::{m, Item, Store};
use shared::tunnel::{TunnelKind, MAX_TUNNELS, TUNNEL_BASE};
use shared::types::VrfId;

/// What makes a port a tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelPlan {
    /// IPIP or GRE (with its key).
    pub kind: TunnelKind,
    /// Outer source; `None`: not set (the tunnel does not run).
    pub local: Option<u32>,
    /// Outer destination.
    pub remote: u32,
    /// The underlay's VRF (`remote-address=IP@vrf`); `None`: a VRF that does not exist.
    pub underlay: Option<VrfId>,
    /// Outer DSCP; `None`: inherit.
    pub dscp: Option<u8>,
    /// `dont-fragment=inherit`.
    pub df_inherit: bool,
    /// `clamp-tcp-mss`.
    pub clamp_mss: bool,
    /// `keepalive`: (interval in ms, retries); `None`: none sent.
    pub keepalive: Option<(u64, u32)>,
    /// Whether `local` is one of the router's addresses in the underlay VRF (else the
    /// tunnel would take in packets meant for another host).
    pub local_ours: bool,
}

impl TunnelPlan {
    /// Whether it can forward: a local address of the router's in a known underlay.
    pub fn runnable(&self) -> bool {
        self.local.is_some() && self.underlay.is_some() && self.local_ours
    }
}

/// The underlay MTU `mtu=auto` starts from (the ports' default).
const UNDERLAY_MTU: u16 = 1500;

/// The tunnels of the configuration, in menu order (ipip, then gre), as ports.
pub fn tunnels(
    store: &Store,
    vrf_named: &dyn Fn(&str) -> VrfId,
    vrf_id: &dyn Fn(&str) -> Option<VrfId>,
    addrs_of: &dyn Fn(&str) -> Vec<(u32, u8)>,
) -> Vec<PortPlan> {
    let mut out = Vec::new();
    for path in [&["interface", "ipip"][..], &["interface", "gre"][..]] {
        let menu = m(path);
        for it in store.items(menu).iter() {
            if out.len() >= MAX_TUNNELS {
                break;
            }
            let id = TUNNEL_BASE + out.len() as u16;
            if let Some(p) = tunnel(menu, it, id, vrf_named, vrf_id, addrs_of) {
                out.push(p);
            }
        }
    }
    out
}

fn tunnel(
    menu: usize,
    it: &Item,
    id: u16,
    vrf_named: &dyn Fn(&str) -> VrfId,
    vrf_id: &dyn Fn(&str) -> Option<VrfId>,
    addrs_of: &dyn Fn(&str) -> Vec<(u32, u8)>,
) -> Option<PortPlan> {
    let get = |k| it.get(menu, k);
    let name = get("name")?.to_owned();
    let (remote, underlay) = match get("remote-address")?.split_once('@') {
        Some((a, v)) => (ip_of(a)?, vrf_id(v)),
        None => (ip_of(get("remote-address")?)?, Some(VrfId::MAIN)),
    };
    let kind = match get("key") {
        _ if crate::config::menus::MENUS[menu].path == ["interface", "ipip"] => TunnelKind::Ipip,
        Some(k) => TunnelKind::Gre {
            key: k.parse().ok(),
        },
        None => TunnelKind::Gre { key: None },
    };
    let mtu = match get("mtu") {
        Some(v) if v != "auto" => v.parse().unwrap_or(UNDERLAY_MTU),
        _ => UNDERLAY_MTU - kind.overhead() as u16,
    };
    let b = id.to_be_bytes();
    Some(PortPlan {
        id,
        mac: [0x02, 0x54, 0x4e, 0x00, b[0], b[1]],
        mtu,
        enabled: !it.disabled(),
        vrf: vrf_named(&name),
        addrs: addrs_of(&name),
        mpls: None,
        tunnel: Some(TunnelPlan {
            kind,
            local: get("local-address").and_then(ip_of),
            remote,
            underlay,
            dscp: get("dscp").and_then(|d| d.parse().ok()),
            df_inherit: get("dont-fragment") == Some("inherit"),
            clamp_mss: get("clamp-tcp-mss") != Some("no"),
            keepalive: get("keepalive").and_then(keepalive),
            local_ours: false,
        }),
        name,
    })
}

/// `10s,10` as (10,000 ms, 10); an empty value: none.
fn keepalive(v: &str) -> Option<(u64, u32)> {
    let (t, n) = v.split_once(',')?;
    Some((crate::config::value::time(t)?, n.parse().ok()?))
}

/// Marks the tunnels whose local address is one of the router's (an enabled port's,
/// tunnel's or loopback's) in their underlay VRF.
pub fn check_locals(ports: &mut [PortPlan], loopbacks: &[super::LoopbackPlan]) {
    let ours: std::collections::HashSet<(VrfId, u32)> = ports
        .iter()
        .filter(|p| p.enabled)
        .map(|p| (p.vrf, &p.addrs))
        .chain(
            loopbacks
                .iter()
                .filter(|l| l.enabled)
                .map(|l| (l.vrf, &l.addrs)),
        )
        .flat_map(|(v, a)| a.iter().map(move |&(ip, _)| (v, ip)))
        .collect();
    for p in ports.iter_mut() {
        if let Some(t) = &mut p.tunnel {
            t.local_ours = match (t.underlay, t.local) {
                (Some(v), Some(a)) => ours.contains(&(v, a)),
                _ => false,
            };
        }
    }
}
