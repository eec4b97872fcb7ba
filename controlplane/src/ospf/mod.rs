//! OSPFv2 (RFC 2328), one instance per VRF. Built room by room like `bgp/` and `ldp/`: the
//! codec ([`packet`]), the neighbour state machine ([`neighbor`]), the DR election
//! ([`interface`]), the link-state database ([`lsdb`]) and SPF ([`spf`]), each pure and
//! tested step by step; the configuration ([`config`]), the socket ([`io`]), the instance
//! ([`instance`], packets in [`adjacency`], our LSAs in [`originate`]) and the prints
//! ([`print`]).
//!
//! Everything runs on a thread of its own ("ospf") with a single-threaded tokio runtime: a
//! manager following the configuration and one task per instance, its raw socket in its
//! VRF's namespace.

pub mod abr;
pub mod adjacency;
pub mod area;
pub mod config;
pub mod instance;
pub mod interface;
pub mod io;
pub mod lsdb;
pub mod neighbor;
pub mod originate;
pub mod packet;
pub mod print;
pub mod spf;

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

/// The OSPF speaker: one instance per `/routing ospf instance`, on a thread of its own
/// ("ospf").
pub struct Ospf {
    /// The instances, their views and those that cannot run.
    pub speaker: Speaker<InstanceConfig, View>,
}

impl Ospf {
    /// Starts the speaker's thread; routes go to `rib`.
    pub fn start(rib: RibHandle) -> std::io::Result<Ospf> {
        Ok(Ospf {
            speaker: Speaker::start("ospf", rib, instance::run)?,
        })
    }

    /// Follows a new configuration.
    pub fn configure(&self, store: &Store, rib: &RibHandle) {
        let plan = rib.plan();
        let (ok, inactive) = config::instances(store, &plan);
        self.speaker
            .configure(ok, inactive, |c| rib.netns_name(c.vrf_id));
    }

    /// Stops every instance and the thread.
    pub fn shutdown(&self) {
        self.speaker.shutdown();
    }
}
