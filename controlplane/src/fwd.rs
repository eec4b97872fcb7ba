//! From configuration to forwarding state: the [`Plan`] (ports, their VRFs and addresses,
//! routing tables, static routes) read from the configuration, and the [`Snapshot`] built
//! from a plan and the neighbour table.
//!
//! This is the part of the routing information base that forwarding needs now: connected
//! networks (from `/ip address`, in the table of the interface's VRF), the router's own
//! addresses (delivered to the kernel twin), static routes with `gateway=IP` (resolved on a
//! connected network of `main`, or of the table named by `IP@table`), `IP%interface`,
//! `interface` and `interface@vrf`, blackhole routes, and lowest distance first. Recursive
//! resolution, ECMP between routes and leaking rules beyond these forms belong to the RIB.

use crate::config::store::{m, Item, Store};
use crate::neighbor::{Key, Neighbors};
use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
use shared::fib::FibBuilder;
use shared::snapshot::{PortIface, Snapshot};
use shared::types::{AdjId, NextHopId, PortId, Prefix4, TableId, VrfId};
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// A DPDK port as the builder needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBase {
    /// DPDK port id.
    pub id: u16,
    /// `ether1`, …: the `default-name` that ties it to its configuration item.
    pub default_name: String,
    /// Its MAC address.
    pub mac: [u8; 6],
}

/// One port as the configuration has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlan {
    /// DPDK port id.
    pub id: u16,
    /// Its name now (`ether1`, or what it was renamed to).
    pub name: String,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// IP MTU.
    pub mtu: u16,
    /// Not disabled.
    pub enabled: bool,
    /// Its VRF (first match of `/ip vrf`; main when none).
    pub vrf: VrfId,
    /// Its enabled addresses: (address, prefix length).
    pub addrs: Vec<(u32, u8)>,
}

/// A static route's gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gateway {
    /// A neighbour's address, resolved on a connected network of `table`, or of `port` only.
    Ip {
        ip: u32,
        table: TableId,
        port: Option<u16>,
    },
    /// Out of a port, the destination itself on link.
    Port(u16),
}

/// A static route.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StaticRoute {
    table: TableId,
    dst: Prefix4,
    distance: u8,
    blackhole: bool,
    gateways: Vec<Gateway>,
}

/// What the configuration says forwarding should be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Ports, in port order.
    pub ports: Vec<PortPlan>,
    /// VRF names by [`VrfId`] (0: `main`).
    pub vrfs: Vec<String>,
    /// The table of each VRF, by [`VrfId`].
    pub vrf_table: Vec<TableId>,
    /// Table names by [`TableId`] (0: `main`).
    pub tables: Vec<String>,
    routes: Vec<StaticRoute>,
}

fn ip_of(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

fn if_addr(s: &str) -> Option<(u32, u8)> {
    let (a, l) = s.split_once('/')?;
    Some((ip_of(a)?, l.parse().ok().filter(|&l: &u8| l <= 32)?))
}

impl Plan {
    /// Reads the plan from the configuration for the router's `ports`.
    pub fn from_store(store: &Store, ports: &[PortBase]) -> Plan {
        let eth = m(&["interface", "ethernet"]);
        let items = store.items(eth);
        let by_default: HashMap<&str, &Item> = items
            .iter()
            .filter_map(|it| Some((it.values.get("default-name")?.as_str(), it)))
            .collect();

        // Routing tables: main first, then /routing table in order (a VRF's own table is
        // a dynamic item there). At most 4,096.
        let mut tables = vec!["main".to_string()];
        for it in store.items(m(&["routing", "table"])).iter() {
            if let Some(name) = it.values.get("name") {
                if name != "main" && !it.disabled() && tables.len() < TableId::MAX_TABLES {
                    tables.push(name.clone());
                }
            }
        }
        let table_id = |name: &str| {
            tables
                .iter()
                .position(|t| t == name)
                .map(|i| TableId(i as u16))
        };

        // VRFs in configuration order: the first that lists an interface gets it.
        let mut vrfs = vec!["main".to_string()];
        let mut vrf_table = vec![TableId::MAIN];
        let mut members: Vec<(VrfId, Vec<String>)> = Vec::new();
        for it in store.items(m(&["ip", "vrf"])).iter() {
            let Some(name) = it.values.get("name") else {
                continue;
            };
            if it.disabled() || name == "main" {
                continue;
            }
            let Some(t) = table_id(name) else { continue };
            let id = VrfId(vrfs.len() as u16);
            vrfs.push(name.clone());
            vrf_table.push(t);
            let list = it.values.get("interfaces").cloned().unwrap_or_default();
            members.push((id, list.split(',').map(str::to_owned).collect()));
        }

        let addr_menu = m(&["ip", "address"]);
        let addresses = store.items(addr_menu);
        let mut plan_ports = Vec::new();
        for p in ports {
            let it = by_default.get(p.default_name.as_str());
            let name = it
                .and_then(|i| i.values.get("name").cloned())
                .unwrap_or_else(|| p.default_name.clone());
            let mtu = it
                .and_then(|i| i.get(eth, "mtu"))
                .and_then(|v| v.parse().ok())
                .unwrap_or(1500);
            let enabled = !it.is_some_and(|i| i.disabled());
            let vrf = members
                .iter()
                .find(|(_, l)| l.iter().any(|n| *n == name || n == "all"))
                .map_or(VrfId::MAIN, |(id, _)| *id);
            let addrs = addresses
                .iter()
                .filter(|a| !a.disabled() && a.values.get("interface") == Some(&name))
                .filter_map(|a| if_addr(a.values.get("address")?))
                .collect();
            plan_ports.push(PortPlan {
                id: p.id,
                name,
                mac: p.mac,
                mtu,
                enabled,
                vrf,
                addrs,
            });
        }

        let port_named = |n: &str| plan_ports.iter().find(|p| p.name == n).map(|p| p.id);
        let route_menu = m(&["ip", "route"]);
        let mut routes = Vec::new();
        for it in store.items(route_menu).iter() {
            if it.disabled() {
                continue;
            }
            let get = |k| it.get(route_menu, k).unwrap_or("");
            let Ok(dst) = get("dst-address").parse::<Prefix4>() else {
                continue;
            };
            let Some(table) = table_id(get("routing-table")) else {
                continue;
            };
            let gateways = it
                .values
                .get("gateway")
                .map(|g| {
                    g.split(',')
                        .filter_map(|g| parse_gateway(g, &table_id, &port_named))
                        .collect()
                })
                .unwrap_or_default();
            routes.push(StaticRoute {
                table,
                dst,
                distance: get("distance").parse().unwrap_or(1),
                blackhole: get("blackhole") == "yes",
                gateways,
            });
        }
        Plan {
            ports: plan_ports,
            vrfs,
            vrf_table,
            tables,
            routes,
        }
    }

    /// The port with DPDK id `id`.
    pub fn port(&self, id: u16) -> Option<&PortPlan> {
        self.ports.iter().find(|p| p.id == id)
    }

    /// The router's address on `port` in the network that holds `ip`.
    pub fn source_for(&self, port: u16, ip: u32) -> Option<u32> {
        let p = self.port(port)?;
        p.addrs
            .iter()
            .find(|&&(a, l)| Prefix4::new(a, l).is_ok_and(|n| n.contains(ip)))
            .map(|&(a, _)| a)
    }

    /// Whether `ip` is on a network the router has on `port` (so it may be a neighbour).
    pub fn on_link(&self, port: u16, ip: u32) -> bool {
        self.source_for(port, ip).is_some()
            || self.routes.iter().any(|r| {
                r.dst.contains(ip)
                    && r.gateways.contains(&Gateway::Port(port))
                    && self.port(port).is_some_and(|p| p.enabled)
            })
    }
}

/// `10.0.0.1`, `10.0.0.1@table`, `10.0.0.1%ether1`, `ether1`, `ether1@vrf`.
fn parse_gateway(
    g: &str,
    table_id: &dyn Fn(&str) -> Option<TableId>,
    port_named: &dyn Fn(&str) -> Option<u16>,
) -> Option<Gateway> {
    let (head, at) = match g.split_once('@') {
        Some((h, t)) => (h, Some(t)),
        None => (g, None),
    };
    let (head, iface) = match head.split_once('%') {
        Some((h, i)) => (h, Some(i)),
        None => (head, None),
    };
    match ip_of(head) {
        Some(ip) => Some(Gateway::Ip {
            ip,
            // A plain address is resolved in main, also for a route in a VRF's table.
            table: match at {
                Some(t) => table_id(t)?,
                None => TableId::MAIN,
            },
            port: match iface {
                Some(i) => Some(port_named(i)?),
                None => None,
            },
        }),
        None => Some(Gateway::Port(port_named(head)?)),
    }
}

/// Collects next hops and adjacencies without duplicates.
#[derive(Default)]
struct HopSet {
    hops: Vec<NextHop>,
    ids: HashMap<NextHop, NextHopId>,
    adjacencies: Vec<Adjacency>,
    adj_ids: HashMap<Adjacency, AdjId>,
}

impl HopSet {
    fn hop(&mut self, nh: NextHop) -> NextHopId {
        *self.ids.entry(nh).or_insert_with(|| {
            self.hops.push(nh);
            NextHopId(self.hops.len() as u32 - 1)
        })
    }

    fn adj(&mut self, a: Adjacency) -> NextHopId {
        let id = *self.adj_ids.entry(a).or_insert_with(|| {
            self.adjacencies.push(a);
            AdjId(self.adjacencies.len() as u32 - 1)
        });
        self.hop(NextHop::Forward(id))
    }
}

/// Distance of connected networks and the router's own addresses.
const CONNECTED: u8 = 0;
/// Neighbour host entries yield to any route of the same prefix.
const NEIGHBOUR: u16 = 256;

/// Builds the forwarding snapshot for `plan` with the neighbours in `neigh`. The generation
/// is left 0: the publisher numbers versions.
pub fn build(plan: &Plan, neigh: &Neighbors) -> Snapshot {
    let mut hs = HopSet::default();
    // Per table: prefix → (distance, next hop); lowest distance wins, first one on a tie.
    let mut entries: Vec<BTreeMap<Prefix4, (u16, NextHopId)>> =
        vec![BTreeMap::new(); plan.tables.len()];
    let put = |entries: &mut Vec<BTreeMap<Prefix4, (u16, NextHopId)>>,
               t: TableId,
               p: Prefix4,
               d: u16,
               nh: NextHopId| {
        if let Some(tab) = entries.get_mut(usize::from(t.0)) {
            let e = tab.entry(p).or_insert((d, nh));
            if d < e.0 {
                *e = (d, nh);
            }
        }
    };
    let mac_of = |port: u16, ip: u32| neigh.get(Key { port, ip }).and_then(|e| e.mac);
    let usable: HashMap<Key, [u8; 6]> = neigh.usable().collect();
    let adjacency = |p: &PortPlan, mac: [u8; 6]| Adjacency {
        port: PortId(p.id),
        dst_mac: mac,
        src_mac: p.mac,
        push: LabelStack::default(),
        mtu: p.mtu,
    };

    for port in &plan.ports {
        let table = plan.vrf_table[usize::from(port.vrf.0)];
        let addrs = if port.enabled { &port.addrs[..] } else { &[] };
        for &(addr, len) in addrs {
            let Ok(net) = Prefix4::new(addr & shared::types::mask(len), len) else {
                continue;
            };
            let glean = hs.hop(NextHop::Glean {
                port: PortId(port.id),
                src: addr,
                target: 0,
            });
            put(&mut entries, table, net, u16::from(CONNECTED), glean);
            let local = hs.hop(NextHop::Local);
            if let Ok(me) = Prefix4::new(addr, 32) {
                put(&mut entries, table, me, u16::from(CONNECTED), local);
            }
            if len <= 30 {
                let bcast = addr | !shared::types::mask(len);
                if let Ok(b) = Prefix4::new(bcast, 32) {
                    put(&mut entries, table, b, u16::from(CONNECTED), local);
                }
            }
        }
    }

    for r in &plan.routes {
        let nh = if r.blackhole {
            Some(hs.hop(NextHop::Blackhole))
        } else {
            r.gateways.iter().find_map(|g| match *g {
                Gateway::Port(id) => {
                    let p = plan.port(id).filter(|p| p.enabled)?;
                    let src = p.addrs.first().map_or(0, |a| a.0);
                    Some(hs.hop(NextHop::Glean {
                        port: PortId(id),
                        src,
                        target: 0,
                    }))
                }
                Gateway::Ip { ip, table, port } => {
                    // The connected network of `table` (or of `port`) that holds the gateway.
                    let p = plan.ports.iter().find(|p| {
                        p.enabled
                            && port.is_none_or(|want| want == p.id)
                            && (port.is_some() || plan.vrf_table[usize::from(p.vrf.0)] == table)
                            && plan.source_for(p.id, ip).is_some()
                    })?;
                    let src = plan.source_for(p.id, ip)?;
                    Some(
                        match mac_of(p.id, ip)
                            .filter(|_| usable.contains_key(&Key { port: p.id, ip }))
                        {
                            Some(mac) => hs.adj(adjacency(p, mac)),
                            None => hs.hop(NextHop::Glean {
                                port: PortId(p.id),
                                src,
                                target: ip,
                            }),
                        },
                    )
                }
            })
        };
        if let Some(nh) = nh {
            put(&mut entries, r.table, r.dst, u16::from(r.distance), nh);
        }
    }

    // Resolved neighbours: a host entry in every table that reaches them on link.
    for (key, mac) in &usable {
        let Some(p) = plan.port(key.port).filter(|p| p.enabled) else {
            continue;
        };
        let Ok(host) = Prefix4::new(key.ip, 32) else {
            continue;
        };
        let nh = hs.adj(adjacency(p, *mac));
        let own = plan.vrf_table[usize::from(p.vrf.0)];
        if plan.source_for(p.id, key.ip).is_some() {
            put(&mut entries, own, host, NEIGHBOUR, nh);
        }
        for r in &plan.routes {
            if r.dst.contains(key.ip) && r.gateways.contains(&Gateway::Port(p.id)) {
                put(&mut entries, r.table, host, NEIGHBOUR, nh);
            }
        }
    }

    let mut tables: Vec<Option<Arc<shared::fib::FibTable>>> = vec![None; TableId::MAX_TABLES];
    for (t, tab) in entries.iter().enumerate() {
        let mut fib = FibBuilder::new();
        // Shortest first, so each insert only overwrites what it covers.
        let mut list: Vec<_> = tab.iter().collect();
        list.sort_by_key(|(p, _)| (p.len(), p.addr()));
        for (p, (_, nh)) in list {
            // Next-hop ids here are small: an insert cannot fail on their size.
            let _ = fib.insert(*p, *nh);
        }
        tables[t] = Some(fib.publish());
    }

    let max_port = plan.ports.iter().map(|p| usize::from(p.id) + 1).max();
    let mut port_vrf = vec![VrfId::MAIN; max_port.unwrap_or(0)];
    let mut ports = vec![
        PortIface {
            mac: [0; 6],
            ipv4: None,
            mtu: 1500,
        };
        max_port.unwrap_or(0)
    ];
    for p in &plan.ports {
        port_vrf[usize::from(p.id)] = p.vrf;
        ports[usize::from(p.id)] = PortIface {
            mac: p.mac,
            ipv4: p.addrs.first().map(|a| a.0).filter(|_| p.enabled),
            mtu: p.mtu,
        };
    }
    Snapshot {
        generation: 0,
        tables: tables.into(),
        lfib: shared::lfib::Lfib::new(),
        next_hops: Arc::new(NextHops {
            hops: hs.hops,
            members: Vec::new(),
            adjacencies: hs.adjacencies,
        }),
        port_vrf: port_vrf.into(),
        vrf_table: plan.vrf_table.clone().into(),
        ports: ports.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::exec::{self, Ctx, Format, NoLive, Session};
    use crate::config::store::PortDesc;
    use shared::adj::Resolved;

    fn ports(n: u16) -> Vec<PortBase> {
        (0..n)
            .map(|i| PortBase {
                id: i,
                default_name: format!("ether{}", i + 1),
                mac: [2, 0, 0, 0, 0, i as u8 + 1],
            })
            .collect()
    }

    fn store(n: u16, script: &str) -> Store {
        let descs: Vec<PortDesc> = ports(n)
            .iter()
            .map(|p| PortDesc {
                default_name: p.default_name.clone(),
                mac: crate::interfaces::mac_text(&p.mac),
                driver: "net_null".into(),
            })
            .collect();
        let pristine = Store::new(&descs);
        let mut s = pristine.clone();
        let mut session = Session::default();
        let mut ctx = Ctx {
            store: &mut s,
            pristine: &pristine,
            session: &mut session,
            live: &NoLive,
            format: Format::Text,
        };
        if let Err(f) = exec::run(&mut ctx, script) {
            panic!("{}", f.error);
        }
        s
    }

    fn ip(s: &str) -> u32 {
        ip_of(s).unwrap()
    }

    fn resolve<'a>(snap: &'a Snapshot, port: u16, dst: &str) -> Option<Resolved<'a>> {
        let nh = snap.lookup(snap.ingress_table(PortId(port)), ip(dst))?;
        Some(snap.next_hops.resolve(nh, 0))
    }

    const TWO_VRFS: &str = "\
/ip vrf add name=cust-a interfaces=ether1,ether2
/ip vrf add name=cust-b interfaces=ether3,ether4
/ip address add address=192.168.1.1/24 interface=ether1
/ip address add address=10.1.1.1/24 interface=ether2
/ip address add address=192.168.1.1/24 interface=ether3
/ip address add address=10.1.1.1/24 interface=ether4
/ip address add address=10.0.0.1/24 interface=ether5
";

    #[test]
    fn overlapping_networks_stay_in_their_vrfs() {
        let s = store(5, TWO_VRFS);
        let plan = Plan::from_store(&s, &ports(5));
        assert_eq!(plan.vrfs, vec!["main", "cust-a", "cust-b"]);
        assert_eq!(plan.ports[0].vrf, VrfId(1));
        assert_eq!(plan.ports[2].vrf, VrfId(2));
        assert_eq!(plan.ports[4].vrf, VrfId::MAIN);
        let mut n = Neighbors::default();
        n.heard(
            Key {
                port: 0,
                ip: ip("192.168.1.2"),
            },
            [2, 0, 0, 0, 0xaa, 1],
            true,
            1,
        );
        let snap = build(&plan, &n);
        // From ether2 (cust-a) the host on ether1 is known; from ether4 (cust-b) the same
        // address is a neighbour of ether3 still to be resolved.
        match resolve(&snap, 1, "192.168.1.2") {
            Some(Resolved::Forward(a)) => {
                assert_eq!(a.port, PortId(0));
                assert_eq!(a.dst_mac, [2, 0, 0, 0, 0xaa, 1]);
                assert_eq!(a.src_mac, [2, 0, 0, 0, 0, 1]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            resolve(&snap, 3, "192.168.1.2"),
            Some(Resolved::Glean {
                port: PortId(2),
                src: ip("192.168.1.1"),
                target: 0
            })
        );
        // The router's addresses are local in their own VRF only.
        assert_eq!(resolve(&snap, 0, "10.1.1.1"), Some(Resolved::Local));
        assert_eq!(resolve(&snap, 0, "10.0.0.1"), None, "main's address");
        assert_eq!(resolve(&snap, 4, "10.1.1.1"), None);
        assert_eq!(resolve(&snap, 4, "10.0.0.255"), Some(Resolved::Local));
        assert_eq!(snap.port(PortId(2)).unwrap().ipv4, Some(ip("192.168.1.1")));
    }

    #[test]
    fn static_routes_by_gateway_form_and_distance() {
        let s = store(
            5,
            &format!(
                "{TWO_VRFS}\
/ip route add dst-address=172.16.0.0/16 gateway=10.0.0.9
/ip route add dst-address=172.16.0.0/16 gateway=10.0.0.8 distance=5
/ip route add dst-address=172.17.0.0/16 gateway=10.1.1.7%ether2
/ip route add dst-address=172.18.0.0/16 gateway=10.1.1.7@cust-b routing-table=cust-b
/ip route add dst-address=172.19.0.0/16 gateway=ether1
/ip route add dst-address=172.20.0.0/16 blackhole
/ip route add dst-address=172.21.0.0/16 gateway=10.99.0.1
/ip route add dst-address=172.22.0.0/16 gateway=10.0.0.9 disabled=yes
"
            ),
        );
        let plan = Plan::from_store(&s, &ports(5));
        let mut n = Neighbors::default();
        let mac = [2, 0, 0, 0, 0xbb, 9];
        n.heard(
            Key {
                port: 4,
                ip: ip("10.0.0.9"),
            },
            mac,
            true,
            1,
        );
        let snap = build(&plan, &n);
        let fwd = |port, dst| match resolve(&snap, port, dst) {
            Some(Resolved::Forward(a)) => Some((a.port.0, a.dst_mac)),
            _ => None,
        };
        assert_eq!(fwd(4, "172.16.1.1"), Some((4, mac)), "distance 1 wins");
        assert_eq!(
            resolve(&snap, 4, "172.17.1.1"),
            Some(Resolved::Glean {
                port: PortId(1),
                src: ip("10.1.1.1"),
                target: ip("10.1.1.7")
            })
        );
        assert_eq!(
            resolve(&snap, 2, "172.18.1.1"),
            Some(Resolved::Glean {
                port: PortId(3),
                src: ip("10.1.1.1"),
                target: ip("10.1.1.7")
            })
        );
        assert!(matches!(
            resolve(&snap, 4, "172.19.0.5"),
            Some(Resolved::Glean {
                port: PortId(0),
                target: 0,
                ..
            })
        ));
        assert_eq!(resolve(&snap, 4, "172.20.0.1"), Some(Resolved::Blackhole));
        assert_eq!(
            resolve(&snap, 4, "172.21.0.1"),
            None,
            "unresolvable gateway"
        );
        assert_eq!(resolve(&snap, 4, "172.22.0.1"), None, "disabled route");
        assert!(plan.on_link(0, ip("172.19.0.5")));
        assert!(!plan.on_link(0, ip("172.21.0.5")));
    }

    #[test]
    fn disabled_ports_and_addresses_connect_nothing() {
        let s = store(
            2,
            "/ip address add address=10.0.0.1/24 interface=ether1\n\
             /ip address add address=10.0.1.1/24 interface=ether2 disabled=yes\n\
             /interface ethernet set ether1 disabled=yes mtu=1400 name=wan\n",
        );
        let plan = Plan::from_store(&s, &ports(2));
        assert_eq!(plan.ports[0].name, "wan");
        assert_eq!(plan.ports[0].mtu, 1400);
        assert!(!plan.ports[0].enabled);
        assert!(plan.ports[1].addrs.is_empty());
        let snap = build(&plan, &Neighbors::default());
        assert_eq!(resolve(&snap, 1, "10.0.0.5"), None);
        assert_eq!(resolve(&snap, 1, "10.0.1.5"), None);
    }
}
