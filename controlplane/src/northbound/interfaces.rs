//! The DPDK ports as the configuration sees them (`ether1`..`etherN` in port order) and the
//! live data `/interface print` shows: link state and the workers' counters. The device
//! itself is behind [`PortDevice`] (the binary gives DPDK's ports), so the control plane
//! builds and tests without DPDK.

use crate::config::exec::{IfStats, Live};
use crate::config::store::PortDesc;
use dataplane::counters::{sum_port, DropReason, WorkerCounters};
use std::sync::Arc;

/// The counters a device keeps of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Packets the device dropped because no rx descriptor was free.
    pub rx_missed: u64,
    /// Packets dropped for want of a buffer.
    pub rx_nombuf: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
}

/// A port's device: its link and its own counters.
pub trait PortDevice: Send + Sync {
    /// Whether the link is up.
    fn link_up(&self) -> bool;
    /// The device's counters (zero when it cannot say).
    fn stats(&self) -> DeviceStats;
    /// Stops the device (at shutdown).
    fn stop(&self);
}

/// One port.
pub struct Interface {
    /// The name it starts with (`ether1`): its `default-name`.
    pub default_name: String,
    /// Its port id.
    pub id: u16,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Its driver's name.
    pub driver: String,
    /// The device.
    pub port: Box<dyn PortDevice>,
}

/// Every port and every worker's counters.
pub struct Interfaces {
    /// In port order.
    pub list: Vec<Interface>,
    /// One block per worker.
    pub counters: Vec<Arc<WorkerCounters>>,
}

/// The default name of the `index`-th port (0-based): `ether1`, `ether2`, …
pub fn ether_name(index: usize) -> String {
    format!("ether{}", index + 1)
}

pub use crate::config::value::mac_text;

impl Interfaces {
    /// The ports as the configuration store describes them.
    pub fn describe(&self) -> Vec<PortDesc> {
        self.list
            .iter()
            .map(|i| PortDesc {
                default_name: i.default_name.clone(),
                mac: mac_text(&i.mac),
                driver: i.driver.clone(),
            })
            .collect()
    }

    fn find(&self, default_name: &str) -> Option<&Interface> {
        self.list.iter().find(|i| i.default_name == default_name)
    }
}

impl Live for Interfaces {
    fn running(&self, default_name: &str) -> bool {
        self.find(default_name).is_some_and(|i| i.port.link_up())
    }

    fn stats(&self, default_name: &str) -> Option<IfStats> {
        let ifc = self.find(default_name)?;
        let c = sum_port(self.counters.iter().map(|c| &**c), ifc.id);
        let dev = ifc.port.stats();
        let drops = DropReason::ALL
            .iter()
            .map(|&r| (r.name(), c.dropped(r)))
            .collect();
        let workers = self
            .counters
            .iter()
            .map(|w| {
                let p = sum_port([&**w], ifc.id);
                (p.rx_packets, p.tx_packets)
            })
            .collect();
        Some(IfStats {
            drops,
            workers,
            rx_bytes: c.rx_bytes,
            tx_bytes: c.tx_bytes,
            rx_packets: c.rx_packets,
            tx_packets: c.tx_packets,
            rx_drop: dev.rx_missed + dev.rx_nombuf + c.drops.iter().sum::<u64>()
                - c.dropped(DropReason::TxQueueFull),
            tx_drop: 0,
            tx_queue_drop: c.dropped(DropReason::TxQueueFull),
            rx_error: dev.rx_errors,
            tx_error: dev.tx_errors,
        })
    }
}

/// What `print` shows of the running router: the ports' state and counters, and the
/// neighbour table (`/ip arp`).
pub struct RouterLive {
    /// The ports.
    pub interfaces: Arc<Interfaces>,
    /// The forwarding state (`None`: a patch panel, nothing routed).
    pub rib: Option<crate::system::rib_service::RibHandle>,
    /// The BGP speaker.
    pub bgp: Option<Arc<crate::bgp::Bgp>>,
    /// The LDP speaker.
    pub ldp: Option<Arc<crate::ldp::Ldp>>,
    /// The OSPF speaker.
    pub ospf: Option<Arc<crate::ospf::Ospf>>,
}

impl Live for RouterLive {
    fn running(&self, default_name: &str) -> bool {
        self.interfaces.running(default_name)
    }

    fn stats(&self, default_name: &str) -> Option<IfStats> {
        self.interfaces.stats(default_name)
    }

    fn tunnel_running(&self, name: &str) -> bool {
        self.rib.as_ref().is_some_and(|r| r.tunnel_running(name))
    }

    fn tunnel_stats(&self, name: &str) -> Option<IfStats> {
        let plan = self.rib.as_ref()?.plan();
        let id = plan
            .ports
            .iter()
            .find(|p| p.name == name && !p.is_dpdk())?
            .id;
        let mut s = IfStats::default();
        for w in &self.interfaces.counters {
            let [rp, rb, tp, tb] = w.logical.read(id);
            s.rx_packets += rp;
            s.rx_bytes += rb;
            s.tx_packets += tp;
            s.tx_bytes += tb;
            s.workers.push((rp, tp));
        }
        Some(s)
    }

    fn inactive(&self, path: &[&str], item: &crate::config::store::Item) -> Option<String> {
        match (path, &self.bgp, &self.ldp) {
            (["routing", "bgp", "connection"], Some(b), _) => {
                b.shared.inactive_reason(item.values.get("name")?)
            }
            (["mpls", "ldp"], _, Some(l)) => l.speaker.inactive_reason(item.id),
            (["routing", "ospf", "instance"], _, _) => {
                self.ospf.as_ref()?.speaker.inactive_reason(item.id)
            }
            _ => None,
        }
    }

    fn items(
        &self,
        path: &[&str],
        store: &crate::config::store::Store,
    ) -> Option<Vec<crate::config::store::Item>> {
        match (path, &self.bgp) {
            (["routing", "bgp", "session"], Some(b)) => return Some(b.session_items()),
            (["routing", "bgp", "advertisements"], Some(b)) => {
                return Some(b.advertisement_items())
            }
            (["routing", "bgp", "session" | "advertisements"], None) => return Some(Vec::new()),
            _ => {}
        }
        if let ["routing", "ospf", which @ ("neighbor" | "interface" | "lsa")] = path {
            let Some(o) = &self.ospf else {
                return Some(Vec::new());
            };
            return Some(match *which {
                "neighbor" => o.neighbor_items(),
                "interface" => o.interface_items(),
                _ => o.lsa_items(),
            });
        }
        if let ["mpls", "ldp", "neighbor" | "local-mapping" | "remote-mapping"]
        | ["mpls", "forwarding-table"] = path
        {
            let plan = self.rib.as_ref().map(|r| r.plan()).unwrap_or_default();
            let mut items = match (path, &self.ldp) {
                (_, None) => Vec::new(),
                ([_, _, "neighbor"], Some(l)) => l.neighbor_items(),
                ([_, _, "local-mapping"], Some(l)) => l.local_mapping_items(),
                ([_, _, "remote-mapping"], Some(l)) => l.remote_mapping_items(),
                (_, Some(l)) => l.forwarding_items(&plan),
            };
            if let (["mpls", "forwarding-table"], Some(b)) = (path, &self.bgp) {
                for mut m in b.vpn_label_items(&plan) {
                    m.insert("_flagP".into(), "yes".into());
                    let id = items.len() as u32;
                    items.push(crate::config::store::Item::live(id, m));
                }
            }
            return Some(items);
        }
        let rib = self.rib.as_ref()?;
        let now = crate::now_ns();
        let routes = |all: bool| {
            let configured = store
                .items(crate::config::store::m(&["ip", "route"]))
                .to_vec();
            rib.query(move |f| crate::northbound::route_print::items(f.builder(), &configured, all))
        };
        match path {
            ["ip", "arp"] => rib.query(|f| super::live_print::arp_items(f)),
            ["interface", "vxlan", "fdb"] => rib.query(|f| super::live_print::fdb_items(f)),
            ["ip", "route"] => routes(false),
            ["routing", "route"] => {
                let mut items = routes(true)?;
                if let Some(b) = &self.bgp {
                    items.extend(b.vpn_route_items(&rib.plan()));
                }
                Some(items)
            }
            ["ip", "firewall", "connection"] => {
                rib.query(move |f| super::live_print::connection_items(f, now))
            }
            _ => None,
        }
    }

    fn act(
        &self,
        action: &crate::config::action::Action,
        args: &crate::config::action::ActionArgs,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<String, String> {
        match action.verb {
            "ping" => {
                let rib = self
                    .rib
                    .as_ref()
                    .ok_or("ping: this rspe is a patch panel (--patch), it does not route")?;
                let words: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                crate::northbound::ping::parse(&words)
                    .and_then(|a| crate::northbound::ping::run(rib, &a, cancel))
                    .map_err(|e| format!("ping: {e}"))
            }
            verb => {
                let bgp = self.bgp.as_ref().ok_or("this rspe runs no BGP")?;
                let names: Vec<&str> = args.iter().map(|(_, v)| v.as_str()).collect();
                bgp.session_command(verb, &names)
            }
        }
    }

    fn count(&self, path: &[&str], store: &crate::config::store::Store) -> Option<usize> {
        if !matches!(path, ["ip", "route"] | ["routing", "route"]) {
            return None;
        }
        let configured = store.items(crate::config::store::m(&["ip", "route"])).len();
        let vpn = match (path, &self.bgp) {
            (["routing", "route"], Some(b)) => b.vpn_route_count(),
            _ => 0,
        };
        self.rib
            .as_ref()?
            .query(move |f| crate::northbound::route_print::count(f.builder(), configured))
            .map(|n| n + vpn)
    }

    fn narrowed(
        &self,
        path: &[&str],
        store: &crate::config::store::Store,
        hint: &crate::config::exec::Hint,
    ) -> Option<crate::config::exec::Narrowed> {
        let all = match path {
            ["ip", "route"] => false,
            ["routing", "route"] => true,
            _ => return None,
        };
        let dst: shared::types::Prefix4 = hint.get("dst-address")?.parse().ok()?;
        let rib = self.rib.as_ref()?;
        let configured = store.items(crate::config::store::m(&["ip", "route"]));
        let tally = crate::northbound::route_print::tally(&rib.plan(), &configured, dst);
        rib.query(move |f| crate::northbound::route_print::narrowed(f.builder(), tally, all, dst))
    }
}
