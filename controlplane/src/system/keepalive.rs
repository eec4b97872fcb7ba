//! Tunnel keepalives (`keepalive=10s,10` on `/interface ipip` and `/interface gre`): every
//! interval a keepalive goes into each tunnel that asks for them
//! ([`dataplane::pipeline::keepalive_frame`]: the far end sends it straight back); a
//! tunnel whose keepalives have not come back for `retries` intervals is down (its routes
//! inactive, not running in `/interface print`) until one does.

use crate::plan::Plan;
use std::collections::{BTreeSet, HashMap};

/// One tunnel's keepalive state.
#[derive(Debug, Clone)]
struct State {
    interval_ns: u64,
    retries: u32,
    frame: Vec<u8>,
    last_sent: u64,
    last_heard: u64,
    up: bool,
}

/// A keepalive to send: (tunnel interface, frame).
pub type Due = (u16, Vec<u8>);

/// The keepalive state of every tunnel that sends keepalives.
#[derive(Debug, Default)]
pub struct Keepalives {
    tunnels: HashMap<u16, State>,
}

impl Keepalives {
    /// Follows the plan: tunnels that send keepalives (enabled ones) are kept, with their
    /// state when their settings did not change; new ones start up (RouterOS brings a
    /// tunnel up at once and takes it down when keepalives stay away).
    pub fn configure(&mut self, plan: &Plan, snapshot: &shared::snapshot::Snapshot, now: u64) {
        let mut next = HashMap::new();
        for p in &plan.ports {
            let Some(t) = &p.tunnel else { continue };
            let Some((interval_ms, retries)) = t.keepalive else {
                continue;
            };
            let Some(st) = snapshot.tunnels.get(shared::types::PortId(p.id)) else {
                continue;
            };
            if !p.enabled || !st.up {
                continue;
            }
            let frame = dataplane::pipeline::keepalive_frame(st);
            let interval_ns = interval_ms.max(1) * 1_000_000;
            let state = match self.tunnels.remove(&p.id) {
                Some(s) if s.frame == frame && s.interval_ns == interval_ns => {
                    State { retries, ..s }
                }
                _ => State {
                    interval_ns,
                    retries,
                    frame,
                    last_sent: 0,
                    last_heard: now,
                    up: true,
                },
            };
            next.insert(p.id, state);
        }
        self.tunnels = next;
    }

    /// A keepalive of ours came back through tunnel `port`.
    pub fn heard(&mut self, port: u16, now: u64) -> Option<(u16, bool)> {
        let s = self.tunnels.get_mut(&port)?;
        s.last_heard = now;
        if s.up {
            return None;
        }
        s.up = true;
        Some((port, true))
    }

    /// Keepalives due now (tunnel, frame), and tunnels that went down.
    pub fn tick(&mut self, now: u64) -> (Vec<Due>, Vec<(u16, bool)>) {
        let (mut send, mut changed) = (Vec::new(), Vec::new());
        for (&port, s) in &mut self.tunnels {
            if now.saturating_sub(s.last_sent) >= s.interval_ns {
                s.last_sent = now;
                send.push((port, s.frame.clone()));
            }
            let silent = now.saturating_sub(s.last_heard);
            if s.up && silent > s.interval_ns.saturating_mul(u64::from(s.retries)) {
                s.up = false;
                changed.push((port, false));
            }
        }
        (send, changed)
    }

    /// The tunnels that keepalives found down.
    pub fn down(&self) -> BTreeSet<u16> {
        self.tunnels
            .iter()
            .filter(|(_, s)| !s.up)
            .map(|(&p, _)| p)
            .collect()
    }
}
