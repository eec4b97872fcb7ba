//! What the plan takes from `/mpls`: where labelled frames are accepted and with what
//! `mpls-mtu`, and the settings the dataplane follows.
//!
//! `/mpls interface` is ordered, first match (`interface=<name>` or `all`); `input=no`
//! refuses labels there. An interface no entry matches accepts labels when LDP runs on it
//! (`/mpls ldp interface` with an enabled `/mpls ldp` instance): labels are expected there,
//! and nowhere else. RouterOS has a built-in `interface=all` entry accepting labels
//! everywhere; rspe has none, so a customer-facing port never takes a label (a VPN label
//! from a CE would reach into any VRF). docs/architecture.md notes the difference.

use crate::config::store::{m, Store};
use shared::snapshot::DEFAULT_MPLS_MTU;

/// `/mpls settings` as the dataplane and label distribution need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MplsSettings {
    /// `propagate-ttl`.
    pub propagate_ttl: bool,
    /// `dynamic-label-range`, first and last.
    pub label_range: (u32, u32),
}

impl Default for MplsSettings {
    fn default() -> Self {
        MplsSettings {
            propagate_ttl: true,
            label_range: (16, 1_048_575),
        }
    }
}

/// Reads `/mpls settings`.
pub fn settings(store: &Store) -> MplsSettings {
    let menu = m(&["mpls", "settings"]);
    let Some(it) = store.settings(menu) else {
        return MplsSettings::default();
    };
    let range = it
        .get(menu, "dynamic-label-range")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .unwrap_or((16, 1_048_575));
    MplsSettings {
        propagate_ttl: it.get(menu, "propagate-ttl") != Some("no"),
        label_range: range,
    }
}

/// The `mpls-mtu` of interface `name` when it accepts labels, `None` when it does not.
pub fn input_of(store: &Store, name: &str) -> Option<u16> {
    let menu = m(&["mpls", "interface"]);
    let matches = |i: Option<&str>| i.is_some_and(|i| i == name || i == "all");
    let items = store.items(menu);
    if let Some(it) = items
        .iter()
        .filter(|it| !it.disabled())
        .find(|it| matches(it.get(menu, "interface")))
    {
        if it.get(menu, "input") == Some("no") {
            return None;
        }
        return Some(
            it.get(menu, "mpls-mtu")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_MPLS_MTU),
        );
    }
    let ldp = m(&["mpls", "ldp"]);
    let running = store.items(ldp).iter().any(|it| !it.disabled());
    let ldp_if = m(&["mpls", "ldp", "interface"]);
    let on = store
        .items(ldp_if)
        .iter()
        .any(|it| !it.disabled() && matches(it.get(ldp_if, "interface")));
    (running && on).then_some(DEFAULT_MPLS_MTU)
}
