//! The control plane's side of forwarding: it turns the configuration into a [`Plan`], keeps
//! the neighbour table from what the workers report, sends ARP requests, keeps the kernel
//! twins in step, and publishes a new snapshot whenever one of these changes.

use crate::config::store::{Item, Store};
use crate::fwd::{build, Plan, PortBase};
use crate::neighbor::{Action, Key, Neighbors};
use crate::twins::{specs, Twins};
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
    neighbors: Neighbors,
    publisher: Publisher<Snapshot>,
    generation: u64,
    exception: Arc<Exception>,
    twins: Option<Twins>,
    netns_prefix: String,
    last_tick: u64,
}

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
    ) -> Forwarder {
        Forwarder {
            ports,
            plan: Plan::default(),
            neighbors: Neighbors::default(),
            publisher,
            generation: 0,
            exception,
            twins,
            netns_prefix,
            last_tick: 0,
        }
    }

    /// The configuration changed: re-plan, and when forwarding changes, republish and
    /// bring the twins in step.
    pub fn configure(&mut self, store: &Store) {
        let plan = Plan::from_store(store, &self.ports);
        if plan == self.plan && self.generation > 0 {
            return;
        }
        self.plan = plan;
        let plan = &self.plan;
        // Neighbours on networks that are gone are forgotten.
        self.neighbors.retain(|k| plan.on_link(k.port, k.ip));
        if let Some(t) = &self.twins {
            t.apply(specs(&self.plan, &self.netns_prefix));
        }
        self.publish();
    }

    fn publish(&mut self) {
        let mut snap = build(&self.plan, &self.neighbors);
        self.generation += 1;
        snap.generation = self.generation;
        self.publisher.publish(snap);
    }

    /// The generation of the newest snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Takes in what the workers reported, ages the table every second, sends the ARP
    /// requests that are due, and republishes when a neighbour changed.
    pub fn poll(&mut self, now: u64) {
        let mut changed = false;
        let mut requests = Vec::new();
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
            self.publish();
        }
        self.publisher.reclaim();
    }

    /// `/ip arp` items.
    pub fn arp_items(&self) -> Vec<Item> {
        self.neighbors.items(|port| {
            self.plan
                .port(port)
                .map_or_else(|| format!("port{port}"), |p| p.name.clone())
        })
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
        let mut f = Forwarder::new(ports.clone(), publisher, ex.clone(), None, "t-".into());
        let descs = vec![crate::config::store::PortDesc {
            default_name: "ether1".into(),
            mac: "02:00:00:00:00:01".into(),
            driver: "x".into(),
        }];
        let mut store = Store::new(&descs);
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
        f.configure(&store);
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
        let items = f.arp_items();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].values["interface"], "ether1");
    }
}
