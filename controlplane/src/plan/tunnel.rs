//! Tunnel interfaces (`/interface ipip`, `gre`, `eoip`, `vxlan`) in the plan: each is a
//! [`PortPlan`] with an id from [`TUNNEL_BASE`] and a [`TunnelPlan`], so everything that
//! takes ports (VRF membership, addresses, connected routes, OSPF, kernel twins) takes
//! tunnels; the builder gives them adjacencies without neighbours and the snapshot their
//! outer headers.

use super::{ip_of, PortPlan};
use crate::config::store::{m, Item, Store};
use shared::tunnel::{TunnelKind, Vtep, MAX_TUNNELS, TUNNEL_BASE};
use shared::types::VrfId;

/// What makes a port a tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelPlan {
    /// IPIP, GRE (with its key), EoIP (its tunnel id) or VXLAN (its VNI and port).
    pub kind: TunnelKind,
    /// Outer source; `None`: not set (the tunnel does not run).
    pub local: Option<u32>,
    /// Outer destination (VXLAN: the first VTEP, 0 without one).
    pub remote: u32,
    /// A VXLAN tunnel's far ends (`/interface vxlan vteps`), in order.
    pub vteps: Vec<Vtep>,
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

/// The menus whose items are tunnels, in the order their ids are given.
const MENUS: [&[&str]; 4] = [
    &["interface", "ipip"],
    &["interface", "gre"],
    &["interface", "eoip"],
    &["interface", "vxlan"],
];

/// The tunnels of the configuration, in menu order (ipip, gre, eoip, vxlan), as ports.
pub fn tunnels(
    store: &Store,
    vrf_named: &dyn Fn(&str) -> VrfId,
    vrf_id: &dyn Fn(&str) -> Option<VrfId>,
    addrs_of: &dyn Fn(&str) -> Vec<(u32, u8)>,
) -> Vec<PortPlan> {
    let mut out = Vec::new();
    let vteps = vteps(store);
    for path in MENUS {
        let menu = m(path);
        for it in store.items(menu).iter() {
            if out.len() >= MAX_TUNNELS {
                break;
            }
            let id = TUNNEL_BASE + out.len() as u16;
            if let Some(mut p) = tunnel(menu, it, id, vrf_named, vrf_id, addrs_of) {
                if let Some(t) = p.tunnel.as_mut().filter(|t| t.kind.is_l2()) {
                    t.vteps = vteps.get(&p.name).cloned().unwrap_or_default();
                    if matches!(t.kind, TunnelKind::Vxlan { .. }) {
                        t.remote = t.vteps.first().map_or(0, |v| v.ip);
                    }
                }
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
    let path = crate::config::menus::MENUS[menu].path;
    let (remote, underlay) = match (path, get("remote-address")) {
        (["interface", "vxlan"], _) => (0, vrf_id(get("vrf").unwrap_or("main"))),
        (_, Some(r)) => match r.split_once('@') {
            Some((a, v)) => (ip_of(a)?, vrf_id(v)),
            None => (ip_of(r)?, Some(VrfId::MAIN)),
        },
        (_, None) => return None,
    };
    let kind = match path {
        ["interface", "ipip"] => TunnelKind::Ipip,
        ["interface", "eoip"] => TunnelKind::Eoip {
            id: get("tunnel-id")?.parse().ok()?,
        },
        ["interface", "vxlan"] => TunnelKind::Vxlan {
            vni: get("vni")?.parse().ok()?,
            port: get("port").and_then(|p| p.parse().ok()).unwrap_or(4789),
        },
        _ => TunnelKind::Gre {
            key: get("key").and_then(|k| k.parse().ok()),
        },
    };
    let mtu = match get("mtu") {
        Some(v) if v != "auto" => v.parse().unwrap_or(UNDERLAY_MTU),
        _ => UNDERLAY_MTU - kind.overhead() as u16,
    };
    let b = id.to_be_bytes();
    let mac = get("mac-address")
        .and_then(crate::config::value::mac)
        .unwrap_or([0x02, 0x54, 0x4e, 0x00, b[0], b[1]]);
    Some(PortPlan {
        id,
        mac,
        mtu,
        enabled: !it.disabled(),
        vrf: vrf_named(&name),
        addrs: addrs_of(&name),
        mpls: None,
        vlan: None,
        tunnel: Some(TunnelPlan {
            kind,
            local: get("local-address").and_then(ip_of),
            remote,
            vteps: Vec::new(),
            underlay,
            dscp: get("dscp").and_then(|d| d.parse().ok()),
            df_inherit: get("dont-fragment") == Some("inherit"),
            clamp_mss: get("clamp-tcp-mss") == Some("yes"),
            keepalive: get("keepalive").and_then(keepalive),
            local_ours: false,
        }),
        name,
    })
}

/// Every VXLAN interface's VTEPs, by interface name, in order.
fn vteps(store: &Store) -> std::collections::HashMap<String, Vec<Vtep>> {
    let menu = m(&["interface", "vxlan", "vteps"]);
    let mut out: std::collections::HashMap<String, Vec<Vtep>> = Default::default();
    for it in store.items(menu).iter() {
        let (Some(iface), Some(ip)) = (it.get(menu, "interface"), it.get(menu, "remote-ip")) else {
            continue;
        };
        let Some(ip) = ip_of(ip) else { continue };
        let port = it
            .get(menu, "port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(shared::tunnel::VXLAN_PORT);
        let v = out.entry(iface.to_owned()).or_default();
        if !v.iter().any(|x| x.ip == ip) {
            v.push(Vtep { ip, port });
        }
    }
    out
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
