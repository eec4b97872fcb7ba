//! LDP (RFC 5036): label distribution between LSRs, for the label-switched paths between PE
//! loopbacks. Built room by room like `bgp/`: the codecs ([`packet`]), the session state
//! machine ([`fsm`]), hello discovery ([`discovery`]) and the label information base
//! ([`labels`]), each pure and tested step by step; the configuration ([`config`]), the
//! sessions over TCP ([`session`]), the instance that ties them to the sockets and the RIB
//! ([`instance`]) and the prints ([`print`]).
//!
//! Everything runs on a thread of its own ("ldp") with a single-threaded tokio runtime: a
//! manager following the configuration, one task per instance (one per VRF, its sockets in
//! the VRF's namespace), one per session.

pub mod config;
pub mod discovery;
pub mod fsm;
pub mod instance;
pub mod labels;
pub mod packet;
pub mod print;
pub mod session;

use crate::config::store::Store;
use crate::system::rib_service::RibHandle;
use crate::system::speaker::{self, Speaker};
use config::InstanceConfig;
use instance::View;

impl speaker::Instance for InstanceConfig {
    fn id(&self) -> u32 {
        self.id
    }
}

/// The LDP speaker: one instance per `/mpls ldp` entry, on a thread of its own ("ldp").
pub struct Ldp {
    /// The instances, their views and those that cannot run.
    pub speaker: Speaker<InstanceConfig, View>,
}

impl Ldp {
    /// Starts the speaker's thread; label state goes to `rib`. Every instance takes its
    /// labels from the router's pool (the LFIB is one label space; BGP VPNs take theirs
    /// there too), made again when `dynamic-label-range` changes (every instance restarts
    /// then: their configurations carry the range).
    pub fn start(rib: RibHandle) -> std::io::Result<Ldp> {
        let run = |cfg: InstanceConfig, netns, rib: RibHandle, view, stop| {
            let pool = rib.label_pool(cfg.label_range);
            instance::run(cfg, netns, rib, pool, view, stop)
        };
        Ok(Ldp {
            speaker: Speaker::start("ldp", rib, run)?,
        })
    }

    /// Follows a new configuration.
    pub fn configure(&self, store: &Store, rib: &RibHandle) {
        let plan = rib.plan();
        let (ok, inactive) = config::instances(store, &plan);
        self.speaker
            .configure(ok, inactive, |c| rib.netns_name(c.vrf_id));
    }

    /// Ends every session (Notification, shutdown) and the thread.
    pub fn shutdown(&self) {
        self.speaker.shutdown();
    }
}
