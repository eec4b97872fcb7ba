//! BGP/MPLS IP VPNs (RFC 4364): the codec of route distinguishers, route targets and
//! labelled NLRI ([`codec`]), `/routing bgp vpn` ([`config`]) and what needs no session:
//! leaking between the VRFs of this router by route targets ([`leak`]), run by [`Vpn`] on
//! a thread of its own ("vpn") that hears the RIB's changes and answers with batches.

pub mod codec;
pub mod config;
pub mod export;
pub mod leak;
pub mod out;
pub mod rib;
pub mod update;

use crate::rib::Source;
use crate::system::rib_service::{Batch, Filter, Owner, RibHandle};
use crate::system::speaker::Speaker;
use config::VpnConfig;
use std::sync::{Arc, Mutex};

/// The VPN speaker: one "instance" holding every `/routing bgp vpn` entry.
pub struct Vpn {
    /// The running entries and those that cannot run.
    pub speaker: Speaker<VpnConfig, ()>,
}

impl Vpn {
    /// Starts the thread; leaked routes go to `rib`.
    pub fn start(rib: RibHandle) -> std::io::Result<Vpn> {
        Ok(Vpn {
            speaker: Speaker::start("vpn", rib, run)?,
        })
    }

    /// Follows a new configuration (a change restarts the whole: routes are purged and
    /// leaked again from the RIB's current state).
    pub fn configure(&self, store: &crate::config::store::Store, rib: &RibHandle) {
        let (cfg, inactive) = config::entries(store, &rib.plan());
        let ok = if cfg.entries.is_empty() {
            Vec::new()
        } else {
            vec![cfg]
        };
        self.speaker.configure(ok, inactive, |_| None);
    }

    /// Stops the thread (its routes purged).
    pub fn shutdown(&self) {
        self.speaker.shutdown();
    }
}

const OWNER: Owner = Owner {
    source: Source::BgpVpn,
    instance: 0,
};

async fn run(
    cfg: VpnConfig,
    _netns: Option<String>,
    rib: RibHandle,
    _view: Arc<Mutex<()>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut sources: Vec<Source> = cfg
        .entries
        .iter()
        .flat_map(|e| e.redistribute.iter().copied())
        .collect();
    sources.sort();
    sources.dedup();
    let mut events = rib.subscribe(Filter {
        sources,
        defaults: false,
    });
    let mut leaks = leak::Leaks::default();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(evs) = events.recv() => {
                let mut changes = Vec::new();
                for e in evs {
                    changes.extend(leaks.event(&cfg, e.table, e.dst, e.best.as_ref()));
                }
                if !changes.is_empty() {
                    rib.submit(Batch { owner: OWNER, purge: false, changes });
                }
            }
        }
    }
    rib.submit(Batch {
        owner: OWNER,
        purge: true,
        changes: Vec::new(),
    });
}
