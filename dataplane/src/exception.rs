//! The exception path between the workers and the rest of the router: events the workers
//! report (ARP heard, neighbours wanted), frames to send out of ports (what the kernel twins
//! send, the control plane's ARP requests), and the kernel twins themselves, which punted
//! packets are written to.

use crate::pipeline::Event;
use crossbeam_queue::ArrayQueue;
use std::sync::Arc;
use tun_tap::Iface;

/// Frames waiting to be sent out of a port, at most.
pub const INJECT_QUEUE: usize = 4096;
/// Events waiting for the control plane, at most.
pub const EVENT_QUEUE: usize = 8192;
/// The largest frame a twin may send (an IP MTU of 9,000 plus Ethernet and a VLAN tag).
pub const MAX_FRAME: usize = 9018;

/// A frame to send out of a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// DPDK port id.
    pub port: u16,
    /// The whole Ethernet frame.
    pub frame: Vec<u8>,
    /// Routed first (the router's own packet from a twin, see `pipeline::own`): `port`
    /// is the twin's port, whose VRF's table decides where it goes.
    pub route: bool,
}

/// Shared by the workers, the twin reader and the control plane.
pub struct Exception {
    /// Workers → control plane. Full: the event is dropped (the next one will do).
    pub events: ArrayQueue<Event>,
    /// → worker 0, which sends them. Full: the frame is dropped and counted.
    pub inject: ArrayQueue<Outbound>,
    /// The kernel twin of each port, by port id (`None`: the daemon runs without twins).
    pub twins: Vec<Option<Arc<Iface>>>,
    /// The kernel twins of the interfaces that are not DPDK ports (VLANs, tunnels), by
    /// `id - VLAN_BASE` (made and removed as the interfaces come and go; punts to them
    /// are rare next to forwarding, so a lock is fine).
    pub logical_twins: std::sync::RwLock<Vec<Option<Arc<Iface>>>>,
}

impl Exception {
    /// Queues with `twins` (by port id).
    pub fn new(twins: Vec<Option<Arc<Iface>>>) -> Exception {
        Exception {
            events: ArrayQueue::new(EVENT_QUEUE),
            inject: ArrayQueue::new(INJECT_QUEUE),
            twins,
            logical_twins: Default::default(),
        }
    }

    /// Hands `frame`, received on `port`, to the port's twin. `false` when there is no twin
    /// or it did not take the frame (down, or its queue full).
    pub fn punt(&self, port: u16, frame: &[u8]) -> bool {
        match self.twins.get(usize::from(port)) {
            Some(Some(t)) => t.send(frame).is_ok(),
            _ => self
                .logical_twin(port)
                .is_some_and(|t| t.send(frame).is_ok()),
        }
    }

    /// The kernel twin of VLAN or tunnel interface `port`, if it has one.
    pub fn logical_twin(&self, port: u16) -> Option<Arc<Iface>> {
        let i = usize::from(port.checked_sub(shared::vlan::VLAN_BASE)?);
        let twins = self.logical_twins.read().unwrap_or_else(|e| e.into_inner());
        twins.get(i).cloned().flatten()
    }

    /// Sets (or, with `None`, forgets) the kernel twin of VLAN or tunnel interface `port`.
    pub fn set_logical_twin(&self, port: u16, twin: Option<Arc<Iface>>) {
        let Some(i) = port.checked_sub(shared::vlan::VLAN_BASE).map(usize::from) else {
            return;
        };
        let mut twins = self
            .logical_twins
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if twins.len() <= i {
            twins.resize(i + 1, None);
        }
        twins[i] = twin;
    }

    /// Queues a frame to send out of `port`; `false` when the queue is full.
    pub fn send(&self, port: u16, frame: Vec<u8>) -> bool {
        self.inject
            .push(Outbound {
                port,
                frame,
                route: false,
            })
            .is_ok()
    }

    /// Queues one of the router's own packets, sent by the twin of `port`, to be routed
    /// by that port's VRF; `false` when the queue is full.
    pub fn route(&self, port: u16, frame: Vec<u8>) -> bool {
        self.inject
            .push(Outbound {
                port,
                frame,
                route: true,
            })
            .is_ok()
    }
}
