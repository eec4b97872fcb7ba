//! The control plane's side of forwarding: it turns the configuration into a [`Plan`], keeps
//! the neighbour table from what the workers report, sends ARP requests, keeps the kernel
//! twins in step, and publishes a new snapshot whenever one of these changes.

use crate::plan::{Plan, PortBase};
use crate::rib::builder::Builder;
use crate::system::neighbor::{Action, Key, Neighbors};
use crate::system::twins::{specs, Twins};
use dataplane::conntrack::Conntrack;
use dataplane::exception::Exception;
use dataplane::pipeline::Event;
use dataplane::wire::arp;
use shared::rcu::Publisher;
use shared::snapshot::Snapshot;
use std::sync::Arc;

/// How often the neighbour table ages (ns).
const TICK_NS: u64 = 1_000_000_000;

/// Forwarding state owned by the control plane.
pub struct Forwarder {
    ports: Vec<PortBase>,
    plan: Plan,
    builder: Builder,
    neighbors: Neighbors,
    publisher: Publisher<Snapshot>,
    generation: u64,
    exception: Arc<Exception>,
    twins: Option<Twins>,
    netns_prefix: String,
    last_tick: u64,
    conntrack: Arc<Conntrack>,
    /// When each address conflict (port, address, claiming MAC) was last logged.
    conflicts: std::collections::HashMap<(u16, u32, [u8; 6]), u64>,
    keepalives: crate::system::keepalive::Keepalives,
    /// The tunnels keepalives found down, for prints.
    tunnels_down: Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>>,
    /// Which VTEP each neighbour behind a VXLAN tunnel is at.
    fdb: shared::tunnel::Fdb,
}

/// MACs learned behind VXLAN tunnels at most (a VTEP sending ARP from ever new MACs
/// teaches no more).
const MAX_FDB: usize = 65_536;

/// An address conflict is logged at most once a minute.
const CONFLICT_LOG_NS: u64 = 60_000_000_000;

/// An ARP request for `target` from `src` (`src_mac`), broadcast, padded to 60 bytes.
pub fn arp_request(src_mac: [u8; 6], src: u32, target: u32) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&src_mac);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    // 60 bytes hold the 28 of an ARP packet after the 14 of the header.
    let _ = arp::Packet::emit(
        &mut f[14..42],
        arp::OP_REQUEST,
        (src_mac, src),
        ([0; 6], target),
    );
    f
}

impl Forwarder {
    /// A forwarder for `ports` publishing through `publisher`.
    pub fn new(
        ports: Vec<PortBase>,
        publisher: Publisher<Snapshot>,
        exception: Arc<Exception>,
        twins: Option<Twins>,
        netns_prefix: String,
        conntrack: Arc<Conntrack>,
    ) -> Forwarder {
        Forwarder {
            ports,
            plan: Plan::default(),
            builder: Builder::new(),
            neighbors: Neighbors::default(),
            publisher,
            generation: 0,
            exception,
            twins,
            netns_prefix,
            last_tick: 0,
            conntrack,
            conflicts: std::collections::HashMap::new(),
            keepalives: Default::default(),
            tunnels_down: Default::default(),
            fdb: Default::default(),
        }
    }

    /// The configuration changed (`plan` is what it means now): when forwarding changes,
    /// the twins are brought in step, the builder follows and a snapshot is published.
    /// Returns the selected entries that changed.
    pub fn configure(&mut self, plan: Plan) -> crate::rib::Changes {
        if plan == self.plan && self.generation > 0 {
            return Default::default();
        }
        self.plan = plan;
        let plan = &self.plan;
        // Neighbours on networks that are gone are forgotten.
        self.neighbors.retain(|k| plan.on_link(k.port, k.ip));
        if let Some(t) = &self.twins {
            t.apply(specs(&self.plan, &self.netns_prefix));
        }
        self.conntrack.set_max(self.plan.tracking.max_entries);
        if let Some(t) = self.plan.tracking.timeouts {
            self.conntrack.set_timeouts(t);
        }
        if self.plan.firewall.is_none() {
            // Tracking off: nothing is tracked any more.
            self.conntrack.flush();
        }
        let changes = self.builder.apply_plan(self.plan.clone());
        self.builder
            .set_neighbors(self.neighbors.usable().collect());
        self.publish();
        let now = crate::now_ns();
        self.keepalives.configure(&self.plan, &self.current(), now);
        *crate::lock(&self.tunnels_down) = self.keepalives.down();
        changes
    }

    /// The tunnels keepalives found down (shared: prints read it).
    pub fn tunnels_down(&self) -> Arc<std::sync::Mutex<std::collections::BTreeSet<u16>>> {
        self.tunnels_down.clone()
    }

    /// Sends the keepalives that are due and follows tunnels going down or up; `true` when
    /// the RIB has changes to commit.
    fn keepalives(&mut self, now: u64, heard: &[u16]) -> bool {
        let mut changed: Vec<(u16, bool)> = heard
            .iter()
            .filter_map(|&p| self.keepalives.heard(p, now))
            .collect();
        let (send, down) = self.keepalives.tick(now);
        changed.extend(down);
        for (port, frame) in send {
            // Full queue: the next interval sends another.
            self.exception.send(port, frame);
        }
        for &(port, up) in &changed {
            let name = self.plan.port(port).map_or("?", |p| p.name.as_str());
            eprintln!(
                "rspe: tunnel {name} is {} (keepalive)",
                if up { "up" } else { "down" }
            );
            self.builder.set_tunnel_down(port, !up);
        }
        if !changed.is_empty() {
            *crate::lock(&self.tunnels_down) = self.keepalives.down();
        }
        !changed.is_empty()
    }

    /// The DPDK ports the plan is made for.
    pub fn ports(&self) -> &[PortBase] {
        &self.ports
    }

    /// Whether the ports have kernel twins (and the VRFs namespaces).
    pub fn has_twins(&self) -> bool {
        self.twins.is_some()
    }

    /// The prefix of the VRF namespaces' names.
    pub fn netns_prefix(&self) -> &str {
        &self.netns_prefix
    }

    /// A handle reading the newest snapshot from any thread.
    pub fn watch(&self) -> shared::rcu::Watch<Snapshot> {
        self.publisher.watch()
    }

    /// The plan in force.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The newest published snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.publisher.current()
    }

    /// The exception path.
    pub fn exception(&self) -> Arc<Exception> {
        self.exception.clone()
    }

    /// The name of VRF number `vrf`'s namespace (main's too), whether or not it exists yet
    /// (`None`: no twins, the daemon's own namespace).
    pub fn netns_name(&self, vrf: usize) -> Option<String> {
        self.twins.as_ref()?;
        let name = match vrf {
            0 => "main",
            v => self.plan.vrfs.get(v).map_or("", String::as_str),
        };
        Some(format!("{}{name}", self.netns_prefix))
    }

    /// The namespace of VRF number `vrf`; `None` without twins.
    pub fn netns_of(&self, vrf: usize) -> Option<std::io::Result<crate::system::netns::Netns>> {
        let name = self.netns_name(vrf)?;
        Some(crate::system::netns::Netns::open(&name))
    }

    /// Something of the router's own wants `ip`'s MAC on `port`: an ARP request from `src`
    /// within the neighbour table's limits.
    pub fn want(&mut self, port: u16, ip: u32, src: u32) {
        if !self.plan.on_link(port, ip) {
            return;
        }
        if let Some(Action::Request(k)) = self.neighbors.want(Key { port, ip }, crate::now_ns()) {
            if let Some(p) = self.plan.port(k.port) {
                self.exception.send(k.port, arp_request(p.mac, src, k.ip));
            }
        }
    }

    /// The builder (the RIB and the FIBs).
    pub fn builder(&mut self) -> &mut Builder {
        &mut self.builder
    }

    /// Publishes the builder's state as the next snapshot.
    pub fn publish(&mut self) {
        let mut snap = self.builder.snapshot();
        self.generation += 1;
        snap.generation = self.generation;
        self.publisher.publish(snap);
    }

    /// The generation of the newest snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Logs that `mac` on port `port` claimed the router's address `ip` (at most once a
    /// minute per conflict; the drops are counted as `arp-address-conflict`).
    fn conflict(&mut self, port: u16, ip: u32, mac: [u8; 6], now: u64) {
        let key = (port, ip, mac);
        if self
            .conflicts
            .get(&key)
            .is_some_and(|t| now.saturating_sub(*t) < CONFLICT_LOG_NS)
        {
            return;
        }
        if self.conflicts.len() >= 1024 {
            self.conflicts
                .retain(|_, t| now.saturating_sub(*t) < CONFLICT_LOG_NS);
        }
        self.conflicts.insert(key, now);
        let name = self.plan.port(port).map_or("?", |p| p.name.as_str());
        eprintln!(
            "rspe: address conflict: {} on {name} is claimed by {}",
            std::net::Ipv4Addr::from(ip),
            mac.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        );
    }

    /// Takes in what the workers reported, ages the table every second, sends the ARP
    /// requests and tunnel keepalives that are due, and republishes when a neighbour
    /// changed. `true`: a tunnel went down or up, and the RIB has changes to commit.
    pub fn poll(&mut self, now: u64) -> bool {
        let mut changed = false;
        let mut requests = Vec::new();
        let mut alive = Vec::new();
        while let Some(e) = self.exception.events.pop() {
            match e {
                Event::Heard {
                    port,
                    ip,
                    mac,
                    for_us,
                } => {
                    // Only neighbours on the port's own networks: a spoofed sender from
                    // elsewhere teaches nothing.
                    if !self.plan.on_link(port.0, ip) {
                        continue;
                    }
                    let key = Key { port: port.0, ip };
                    if let Some(Action::Resolved(..)) = self.neighbors.heard(key, mac, for_us, now)
                    {
                        changed = true;
                    }
                }
                Event::Conflict { port, ip, mac } => self.conflict(port.0, ip, mac, now),
                Event::TunnelAlive { port } => alive.push(port.0),
                Event::Vtep { port, mac, vtep } => changed |= self.learn_vtep(port.0, mac, vtep),
                Event::Want { port, ip, src } => {
                    if !self.plan.on_link(port.0, ip) {
                        continue;
                    }
                    if let Some(Action::Request(k)) =
                        self.neighbors.want(Key { port: port.0, ip }, now)
                    {
                        requests.push((k, src));
                    }
                }
            }
        }
        if now.saturating_sub(self.last_tick) >= TICK_NS {
            self.last_tick = now;
            self.conntrack.expire(now);
            for a in self.neighbors.tick(now) {
                match a {
                    Action::Lost(_) | Action::Resolved(..) => changed = true,
                    Action::Request(k) => {
                        if let Some(src) = self.plan.source_for(k.port, k.ip) {
                            requests.push((k, src));
                        }
                    }
                }
            }
        }
        for (k, src) in requests {
            if let Some(p) = self.plan.port(k.port) {
                // Full queue: the next request, a second later, tries again.
                self.exception.send(k.port, arp_request(p.mac, src, k.ip));
            }
        }
        if changed {
            self.builder
                .set_neighbors(self.neighbors.usable().collect());
            self.builder.set_fdb(self.fdb.clone());
            self.publish();
        }
        self.publisher.reclaim();
        self.keepalives(now, &alive)
    }

    /// `mac` is behind VTEP address `ip` of VXLAN tunnel `port`: `true` when that is news.
    fn learn_vtep(&mut self, port: u16, mac: [u8; 6], ip: u32) -> bool {
        let Some(vtep) = self
            .plan
            .port(port)
            .and_then(|p| p.tunnel.as_ref())
            .and_then(|t| t.vteps.iter().find(|v| v.ip == ip).copied())
        else {
            return false;
        };
        let full = self.fdb.len() >= MAX_FDB && !self.fdb.contains_key(&(port, mac));
        if full || self.fdb.get(&(port, mac)) == Some(&vtep) {
            return false;
        }
        self.fdb.insert((port, mac), vtep);
        true
    }

    /// What the VXLAN tunnels learned: (tunnel, MAC, VTEP).
    pub fn fdb(&self) -> &shared::tunnel::Fdb {
        &self.fdb
    }

    /// The neighbour table.
    pub fn neighbors(&self) -> &Neighbors {
        &self.neighbors
    }

    /// The connection table.
    pub fn conntrack(&self) -> &Arc<Conntrack> {
        &self.conntrack
    }

    /// Stops the twins (deletes them and the VRF namespaces).
    pub fn shutdown(&mut self) {
        if let Some(t) = self.twins.take() {
            t.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dataplane::pipeline::Event;
    use shared::types::PortId;

    #[test]
    fn learns_requests_and_republishes() {
        let ports = vec![PortBase {
            id: 0,
            default_name: "ether1".into(),
            mac: [2, 0, 0, 0, 0, 1],
        }];
        let publisher = Publisher::new(Snapshot::default());
        let mut reader = publisher.reader();
        let ex = Arc::new(Exception::new(vec![None]));
        let mut f = Forwarder::new(
            ports.clone(),
            publisher,
            ex.clone(),
            None,
            "t-".into(),
            Arc::new(Conntrack::new(16)),
        );
        let descs = vec![crate::config::store::PortDesc {
            default_name: "ether1".into(),
            mac: "02:00:00:00:00:01".into(),
            driver: "x".into(),
        }];
        let mut store = crate::config::store::Store::new(&descs);
        let pristine = store.clone();
        let mut session = crate::config::exec::Session::default();
        let mut ctx = crate::config::exec::Ctx {
            store: &mut store,
            pristine: &pristine,
            session: &mut session,
            live: &crate::config::exec::NoLive,
            format: crate::config::exec::Format::Text,
        };
        crate::config::exec::run(
            &mut ctx,
            "/ip address add address=10.0.0.1/24 interface=ether1",
        )
        .ok()
        .unwrap();
        let ports = f.ports().to_vec();
        f.configure(Plan::from_store(&store, &ports));
        assert_eq!(reader.begin().generation, 1);
        let ip = u32::from(std::net::Ipv4Addr::new(10, 0, 0, 5));
        ex.events
            .push(Event::Want {
                port: PortId(0),
                ip,
                src: u32::from(std::net::Ipv4Addr::new(10, 0, 0, 1)),
            })
            .unwrap();
        // Off-link: ignored.
        ex.events
            .push(Event::Want {
                port: PortId(0),
                ip: 0x0b00_0001,
                src: 0,
            })
            .unwrap();
        f.poll(1);
        let out = ex.inject.pop().expect("an ARP request");
        assert_eq!(out.port, 0);
        assert_eq!(out.frame, arp_request([2, 0, 0, 0, 0, 1], 0x0a00_0001, ip));
        assert!(ex.inject.pop().is_none());
        ex.events
            .push(Event::Heard {
                port: PortId(0),
                ip,
                mac: [2, 0, 0, 0, 0, 9],
                for_us: true,
            })
            .unwrap();
        f.poll(2);
        let snap = reader.begin();
        assert_eq!(snap.generation, 2, "a resolved neighbour republishes");
        let nh = snap.lookup(shared::types::TableId::MAIN, ip).unwrap();
        assert!(matches!(
            snap.next_hops.resolve(nh, 0),
            shared::adj::Resolved::Forward(a) if a.dst_mac == [2, 0, 0, 0, 0, 9]
        ));
        let items = crate::northbound::live_print::arp_items(&f);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].values["interface"], "ether1");
    }
}
