//! What the configuration means for forwarding: the [`Plan`] (ports and loopbacks, their
//! VRFs and addresses, routing tables, the routes of `/ip address` and `/ip route`, the
//! compiled firewall, `/ip settings`), read from the configuration store. The RIB and the
//! FIB builder ([`crate::rib`]) take it from here.

pub mod firewall;
pub mod mpls;
pub mod tunnel;
pub mod vlan;

use crate::config::store::{m, Item, Store};
use crate::route::{Gateway, RouteSpec, Source};
use shared::types::{Prefix4, TableId, VrfId};
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

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
    /// Its `mpls-mtu` when it accepts labelled frames (see [`mpls::input_of`]).
    pub mpls: Option<u16>,
    /// Set for a tunnel interface (its id from `shared::tunnel::TUNNEL_BASE`).
    pub tunnel: Option<tunnel::TunnelPlan>,
    /// Set for a VLAN interface (its id from `shared::vlan::VLAN_BASE`).
    pub vlan: Option<vlan::VlanPlan>,
}

impl PortPlan {
    /// Whether it is a DPDK port (not a tunnel or a VLAN).
    pub fn is_dpdk(&self) -> bool {
        self.tunnel.is_none() && self.vlan.is_none()
    }
}

/// Interfaces that are not DPDK ports (loopback bridges) have ids from here up, clear of
/// every port id.
pub const LOOPBACK_BASE: u16 = 0x8000;

/// A VRF is also an interface of its own name (`gateway=vrf1@vrf1`: on in that VRF's
/// table); its id is this plus the VRF's id.
pub const VRF_IFACE_BASE: u16 = 0xc000;

/// The VRF whose interface has id `id`.
pub fn vrf_of_iface(id: u16) -> Option<VrfId> {
    id.checked_sub(VRF_IFACE_BASE).map(VrfId)
}

/// A bridge without ports: a loopback, as RouterOS users make them (`/interface bridge add
/// name=lo0` and a /32 on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackPlan {
    /// Its interface id ([`LOOPBACK_BASE`] + its place among the bridges).
    pub id: u16,
    /// Its name.
    pub name: String,
    /// Not disabled.
    pub enabled: bool,
    /// Its VRF.
    pub vrf: VrfId,
    /// Its enabled addresses: (address, prefix length).
    pub addrs: Vec<(u32, u8)>,
}

/// Where a route of the plan comes from: the configuration item (or a port's network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// The connected network of an address on a port.
    Connected {
        /// DPDK port id.
        port: u16,
        /// The network.
        net: Prefix4,
    },
    /// The `/ip route` item with this id.
    Route(u32),
    /// A route a protocol installs (BGP, BGP VPN, OSPF): one per instance, table and
    /// prefix.
    Protocol {
        /// Which protocol.
        source: Source,
        /// Which of its instances.
        instance: u32,
        /// The table.
        table: TableId,
        /// The prefix.
        dst: Prefix4,
    },
}

/// What the configuration says forwarding should be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Ports, in port order.
    pub ports: Vec<PortPlan>,
    /// Loopbacks (bridges without ports), in configuration order.
    pub loopbacks: Vec<LoopbackPlan>,
    /// VRF names by [`VrfId`] (0: `main`).
    pub vrfs: Vec<String>,
    /// The table of each VRF, by [`VrfId`].
    pub vrf_table: Vec<TableId>,
    /// Table names by [`TableId`] (0: `main`).
    pub tables: Vec<String>,
    /// Every route: connected networks and enabled static routes.
    pub routes: Vec<(Origin, RouteSpec)>,
    /// The firewall rules, compiled (`None`: no rule).
    pub firewall: Option<shared::firewall::Firewall>,
    /// `/ip firewall connection tracking`.
    pub tracking: firewall::Tracking,
    /// `/ip settings rp-filter`.
    pub rp_filter: shared::snapshot::RpFilter,
    /// `/mpls settings`.
    pub mpls: mpls::MplsSettings,
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
        // Interface name → its VRF (the first VRF that lists it), and `all`'s VRF.
        let mut vrf_of: HashMap<&str, VrfId> = HashMap::new();
        for (id, list) in &members {
            for n in list {
                vrf_of.entry(n.as_str()).or_insert(*id);
            }
        }
        let all_vrf = members
            .iter()
            .find(|(_, l)| l.iter().any(|n| n == "all"))
            .map(|(id, _)| *id);
        let vrf_named = |name: &str| -> VrfId {
            // The first VRF listing the name or `all`.
            match (vrf_of.get(name), all_vrf) {
                (Some(a), Some(b)) => *a.min(&b),
                (Some(a), None) => *a,
                (None, Some(b)) => b,
                (None, None) => VrfId::MAIN,
            }
        };

        let addr_menu = m(&["ip", "address"]);
        let addresses = store.items(addr_menu);
        // Interface name → its enabled addresses, in configuration order.
        let mut addrs_of: HashMap<&str, Vec<(u32, u8)>> = HashMap::new();
        for a in addresses.iter().filter(|a| !a.disabled()) {
            let (Some(i), Some(v)) = (a.values.get("interface"), a.values.get("address")) else {
                continue;
            };
            if let Some(x) = if_addr(v) {
                addrs_of.entry(i.as_str()).or_default().push(x);
            }
        }
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
            let vrf = vrf_named(&name);
            let addrs = addrs_of.get(name.as_str()).cloned().unwrap_or_default();
            let mpls = mpls::input_of(store, &name);
            // `mac-address` as set (the port is promiscuous: frames to it are taken).
            let mac = it
                .and_then(|i| i.get(eth, "mac-address"))
                .and_then(crate::config::value::mac)
                .unwrap_or(p.mac);
            plan_ports.push(PortPlan {
                id: p.id,
                name,
                mac,
                mtu,
                enabled,
                vrf,
                addrs,
                mpls,
                tunnel: None,
                vlan: None,
            });
        }
        let vrf_id = |n: &str| vrfs.iter().position(|v| v == n).map(|i| VrfId(i as u16));
        let addrs_named = |n: &str| addrs_of.get(n).cloned().unwrap_or_default();
        let vlans = vlan::vlans(store, &plan_ports, &vrf_named, &addrs_named);
        plan_ports.extend(vlans);
        plan_ports.extend(tunnel::tunnels(store, &vrf_named, &vrf_id, &addrs_named));

        let mut loopbacks = Vec::new();
        for (i, it) in store.items(m(&["interface", "bridge"])).iter().enumerate() {
            let Some(name) = it.values.get("name").cloned() else {
                continue;
            };
            let vrf = vrf_named(&name);
            let addrs = addrs_of.get(name.as_str()).cloned().unwrap_or_default();
            loopbacks.push(LoopbackPlan {
                id: LOOPBACK_BASE.saturating_add(i as u16),
                name,
                enabled: !it.disabled(),
                vrf,
                addrs,
            });
        }

        tunnel::check_locals(&mut plan_ports, &loopbacks);
        let port_named = |n: &str| plan_ports.iter().find(|p| p.name == n).map(|p| p.id);
        // As a gateway, a VRF's name is the VRF's interface (interfaces first).
        let gateway_named = |n: &str| port_named(n).or_else(|| Some(VRF_IFACE_BASE + vrf_id(n)?.0));
        let route_menu = m(&["ip", "route"]);
        let mut routes = Vec::new();
        // Connected networks, in the table of the interface's VRF (one per network and
        // interface).
        let interfaces = plan_ports
            .iter()
            .map(|p| (p.id, p.vrf, &p.addrs))
            .chain(loopbacks.iter().map(|l| (l.id, l.vrf, &l.addrs)));
        for (id, vrf, addrs) in interfaces {
            let table = vrf_table[usize::from(vrf.0)];
            let mut nets = BTreeSet::new();
            for &(a, len) in addrs {
                if let Ok(net) = Prefix4::new(a & shared::types::mask(len), len) {
                    nets.insert(net);
                }
            }
            for net in nets {
                routes.push((
                    Origin::Connected { port: id, net },
                    RouteSpec {
                        table,
                        dst: net,
                        source: Source::Connected,
                        distance: 0,
                        scope: 10,
                        target_scope: 0,
                        gateways: [Gateway::Port(id)].into(),
                        blackhole: false,
                        labels: Default::default(),
                    },
                ));
            }
        }
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
                        .filter_map(|g| parse_gateway(g, &table_id, &gateway_named))
                        .collect()
                })
                .unwrap_or_default();
            let blackhole = get("blackhole") == "yes";
            routes.push((
                Origin::Route(it.id),
                RouteSpec {
                    table,
                    dst,
                    source: Source::Static,
                    distance: get("distance").parse().unwrap_or(1),
                    scope: get("scope").parse().unwrap_or(30),
                    target_scope: get("target-scope").parse().unwrap_or(10),
                    gateways: if blackhole {
                        Default::default()
                    } else {
                        gateways
                    },
                    blackhole,
                    labels: Default::default(),
                },
            ));
        }
        let tracking = firewall::tracking(store);
        let firewall = firewall::compile(
            store,
            &firewall::Names {
                port: &|n| port_named(n),
                table: &|n| table_id(n),
                list: &|n| interface_list(store, &plan_ports, n),
            },
            &tracking,
        );
        let settings = m(&["ip", "settings"]);
        let rp_filter = match store
            .settings(settings)
            .and_then(|it| it.get(settings, "rp-filter"))
        {
            Some("strict") => shared::snapshot::RpFilter::Strict,
            Some("loose") => shared::snapshot::RpFilter::Loose,
            _ => shared::snapshot::RpFilter::No,
        };
        Plan {
            ports: plan_ports,
            loopbacks,
            vrfs,
            vrf_table,
            tables,
            routes,
            firewall,
            tracking,
            rp_filter,
            mpls: mpls::settings(store),
        }
    }

    /// The highest address of the VRF's interfaces, loopbacks included (RouterOS's dynamic
    /// router id picks the highest address); any VRF's when the VRF has none.
    pub fn auto_id(&self, vrf: usize) -> Option<u32> {
        let of = |only: Option<usize>| {
            let ports = self.ports.iter().map(|p| (p.vrf, &p.addrs));
            let loopbacks = self.loopbacks.iter().map(|l| (l.vrf, &l.addrs));
            ports
                .chain(loopbacks)
                .filter(|(v, _)| only.is_none_or(|o| usize::from(v.0) == o))
                .flat_map(|(_, a)| a.iter().map(|a| a.0))
                .max()
        };
        of(Some(vrf)).or_else(|| of(None))
    }

    /// The port with DPDK id `id`.
    pub fn port(&self, id: u16) -> Option<&PortPlan> {
        // Ports are in port order and DPDK numbers them from 0: found at their place,
        // without a scan (a route refresh asks several times).
        match self.ports.get(usize::from(id)) {
            Some(p) if p.id == id => Some(p),
            _ => self.ports.iter().find(|p| p.id == id),
        }
    }

    /// Whether `id` is a point-to-point tunnel (IPIP, GRE): routes through it need no
    /// neighbour (EoIP and VXLAN have neighbours, as Ethernet ports do).
    pub fn is_p2p_tunnel(&self, id: u16) -> bool {
        shared::tunnel::is_tunnel(shared::types::PortId(id))
            && self
                .port(id)
                .and_then(|p| p.tunnel.as_ref())
                .is_some_and(|t| !t.kind.is_l2())
    }

    /// The loopback with interface id `id`.
    pub fn loopback(&self, id: u16) -> Option<&LoopbackPlan> {
        let at = usize::from(id.checked_sub(LOOPBACK_BASE)?);
        match self.loopbacks.get(at) {
            Some(l) if l.id == id => Some(l),
            _ => self.loopbacks.iter().find(|l| l.id == id),
        }
    }

    /// The name of interface `id` (a port or a loopback), with `@vrf` outside main.
    pub fn interface_name(&self, id: u16) -> String {
        let (name, vrf) = match (self.port(id), self.loopback(id), vrf_of_iface(id)) {
            (Some(p), _, _) => (p.name.as_str(), p.vrf),
            (None, Some(l), _) => (l.name.as_str(), l.vrf),
            (None, None, Some(v)) if usize::from(v.0) < self.vrfs.len() => {
                let name = &self.vrfs[usize::from(v.0)];
                return format!("{name}@{name}");
            }
            (None, None, _) => return format!("port{id}"),
        };
        match vrf.0 {
            0 => name.to_owned(),
            v => format!("{name}@{}", self.vrfs[usize::from(v)]),
        }
    }

    /// The router's address on interface `port` (a port or a loopback) in the network
    /// that holds `ip`.
    pub fn source_for(&self, port: u16, ip: u32) -> Option<u32> {
        let addrs = match (self.port(port), self.loopback(port)) {
            (Some(p), _) => &p.addrs,
            (None, Some(l)) => &l.addrs,
            (None, None) => return None,
        };
        addrs
            .iter()
            .find(|&&(a, l)| Prefix4::new(a, l).is_ok_and(|n| n.contains(ip)))
            .map(|&(a, _)| a)
    }

    /// Whether `ip` is on a network the router has on `port` (so it may be a neighbour):
    /// a network of its addresses, or of a route with the port as its gateway.
    pub fn on_link(&self, port: u16, ip: u32) -> bool {
        self.source_for(port, ip).is_some()
            || self.routes.iter().any(|(_, r)| {
                r.dst.contains(ip)
                    && r.gateways.contains(&Gateway::Port(port))
                    && self.port(port).is_some_and(|p| p.enabled)
            })
    }

    /// The router's own addresses and the broadcast addresses of its networks, per table.
    pub fn locals(&self) -> BTreeSet<(TableId, Prefix4)> {
        let mut out = BTreeSet::new();
        let enabled = self
            .ports
            .iter()
            .filter(|p| p.enabled)
            .map(|p| (p.vrf, &p.addrs))
            .chain(
                self.loopbacks
                    .iter()
                    .filter(|l| l.enabled)
                    .map(|l| (l.vrf, &l.addrs)),
            );
        for (vrf, addrs) in enabled {
            let table = self.vrf_table[usize::from(vrf.0)];
            for &(addr, len) in addrs {
                if let Ok(me) = Prefix4::new(addr, 32) {
                    out.insert((table, me));
                }
                if len <= 30 {
                    if let Ok(b) = Prefix4::new(addr | !shared::types::mask(len), 32) {
                        out.insert((table, b));
                    }
                }
            }
        }
        out
    }
}

/// For tests, benchmarks and fuzzing: the configuration of a router with `ports` ports
/// (`ether1`.., MAC 02:00:00:00:00:0N) after the script `config`.
pub fn store_from_config(config: &str, ports: u16) -> Result<(Store, Vec<PortBase>), String> {
    use crate::config::exec::{self, Ctx, Format, NoLive, Session};
    use crate::config::store::PortDesc;
    let bases: Vec<PortBase> = (0..ports)
        .map(|i| PortBase {
            id: i,
            default_name: format!("ether{}", i + 1),
            mac: [2, 0, 0, 0, 0, i as u8 + 1],
        })
        .collect();
    let descs: Vec<PortDesc> = bases
        .iter()
        .map(|p| PortDesc {
            default_name: p.default_name.clone(),
            mac: crate::config::value::mac_text(&p.mac),
            driver: "none".into(),
        })
        .collect();
    let pristine = Store::new(&descs);
    let mut store = pristine.clone();
    let mut session = Session::default();
    let mut ctx = Ctx {
        store: &mut store,
        pristine: &pristine,
        session: &mut session,
        live: &NoLive,
        format: Format::Text,
    };
    exec::run(&mut ctx, config).map_err(|f| f.error.to_string())?;
    Ok((store, bases))
}

/// The port ids of interface list `name`: its enabled members' (`/interface list
/// member`), every interface's for the builtin `all` and `static`, none for `none` and
/// `dynamic` (rspe makes no interfaces of its own).
fn interface_list(store: &Store, ports: &[PortPlan], name: &str) -> Vec<u16> {
    if matches!(name, "all" | "static") {
        return ports.iter().map(|p| p.id).collect();
    }
    let menu = m(&["interface", "list", "member"]);
    let mut ids: Vec<u16> = store
        .items(menu)
        .iter()
        .filter(|it| !it.disabled() && it.get(menu, "list") == Some(name))
        .filter_map(|it| it.get(menu, "interface"))
        .filter_map(|i| ports.iter().find(|p| p.name == i).map(|p| p.id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// For tests, benchmarks and fuzzing: the plan of a router with `ports` ports (`ether1`..,
/// MAC 02:00:00:00:00:0N) configured by the script `config`.
pub fn plan_from_config(config: &str, ports: u16) -> Result<(Plan, Vec<PortBase>), String> {
    let (store, bases) = store_from_config(config, ports)?;
    Ok((Plan::from_store(&store, &bases), bases))
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
