//! The interfaces a router is wired with: `/interface ethernet` (its DPDK ports),
//! `/interface vlan` (802.1Q and 802.1ad subinterfaces, stacked for QinQ) and
//! `/interface bridge` (a bridge without ports: a loopback).

use super::{COMMENT, DISABLED, IFACE};
use crate::config::schema::{Kind, Menu, Param, PrintStyle};

/// `/interface ethernet`: the DPDK ports, one item each (never added or removed).
pub const ETHERNET: Menu = Menu::list(
    &["interface", "ethernet"],
    &[
        Param::req("name", Kind::Name),
        Param::ro("default-name", Kind::Name),
        Param::def("mtu", Kind::Int(68, 9216), "1500"),
        Param::opt("mac-address", Kind::Mac).shown(),
        Param::ro("orig-mac-address", Kind::Mac),
        Param::ro("driver", Kind::Text),
        // RouterOS's link settings, kept so its exports load (inert: DPDK brings the
        // link up as the NIC negotiates it).
        Param::opt("l2mtu", Kind::Int(0, 65535)),
        Param::def("arp-timeout", Kind::Text, "auto"),
        Param::def("auto-negotiation", Kind::Bool, "yes"),
        Param::opt("advertise", Kind::Text),
        Param::opt("speed", Kind::Text),
        Param::def("full-duplex", Kind::Bool, "yes"),
        Param::def("rx-flow-control", Kind::Enum(&["on", "off", "auto"]), "off"),
        Param::def("tx-flow-control", Kind::Enum(&["on", "off", "auto"]), "off"),
        Param::def("mdix-enable", Kind::Bool, "yes"),
        Param::def(
            "loop-protect",
            Kind::Enum(&["default", "on", "off"]),
            "default",
        ),
        Param::def("loop-protect-disable-time", Kind::Time, "5m"),
        Param::def("loop-protect-send-interval", Kind::Time, "5s"),
        Param::def("disable-running-check", Kind::Bool, "yes"),
        Param::def("bandwidth", Kind::Text, "unlimited/unlimited"),
        COMMENT,
        DISABLED,
    ],
    Some("name"),
    PrintStyle::Table(&["name", "mtu", "mac-address", "driver"]),
    &[&[('X', "DISABLED")], &[('R', "RUNNING")]],
)
.fixed();

/// `/interface vlan`: a VLAN on a port, or on another VLAN (QinQ: the frame carries both
/// tags, the outer one first). An interface like any other: VRF member, addresses,
/// routes, firewall matchers, kernel twin.
pub const VLAN: Menu = Menu::list(
    &["interface", "vlan"],
    &[
        Param::req("name", Kind::Name),
        Param::def("mtu", Kind::Int(68, 9214), "1500"),
        Param::ro("mac-address", Kind::Mac),
        Param::req("interface", Kind::Ref(IFACE)),
        Param::req("vlan-id", Kind::Int(1, 4094)),
        Param::def("use-service-tag", Kind::Bool, "no"),
        Param::def("arp", Kind::Enum(&["enabled"]), "enabled"),
        Param::def(
            "loop-protect",
            Kind::Enum(&["default", "on", "off"]),
            "default",
        ),
        Param::def("loop-protect-disable-time", Kind::Time, "5m"),
        Param::def("loop-protect-send-interval", Kind::Time, "5s"),
        COMMENT,
        DISABLED,
    ],
    Some("name"),
    PrintStyle::Table(&["name", "mtu", "arp", "vlan-id", "interface"]),
    &[&[('X', "DISABLED")], &[('R', "RUNNING")]],
)
.auto_name("vlan");

/// `/interface bridge`: rspe has no bridging; a bridge is a loopback.
pub const BRIDGE: Menu = Menu::list(
    &["interface", "bridge"],
    &[
        Param::req("name", Kind::Name),
        Param::opt("mtu", Kind::Int(68, 65535)),
        Param::ro("mac-address", Kind::Text),
        // RouterOS's bridge settings, kept so its exports load (inert: a bridge here
        // has no ports; it is a loopback).
        Param::opt("admin-mac", Kind::Mac),
        Param::def("auto-mac", Kind::Bool, "yes"),
        Param::def("ageing-time", Kind::Time, "5m"),
        Param::def("arp-timeout", Kind::Text, "auto"),
        Param::def(
            "protocol-mode",
            Kind::Enum(&["none", "stp", "rstp", "mstp"]),
            "rstp",
        ),
        Param::def("priority", Kind::Text, "0x8000"),
        Param::def("vlan-filtering", Kind::Bool, "no"),
        Param::def("igmp-snooping", Kind::Bool, "no"),
        Param::def("dhcp-snooping", Kind::Bool, "no"),
        Param::def("fast-forward", Kind::Bool, "yes"),
        Param::def("forward-delay", Kind::Time, "15s"),
        Param::def("max-message-age", Kind::Time, "20s"),
        Param::def("transmit-hold-count", Kind::Int(1, 10), "6"),
        Param::def("ether-type", Kind::Text, "0x8100"),
        Param::def("pvid", Kind::Int(1, 4094), "1"),
        Param::def(
            "frame-types",
            Kind::Enum(&[
                "admit-all",
                "admit-only-untagged-and-priority-tagged",
                "admit-only-vlan-tagged",
            ]),
            "admit-all",
        ),
        Param::def("ingress-filtering", Kind::Bool, "yes"),
        Param::def("port-cost-mode", Kind::Enum(&["long", "short"]), "long"),
        COMMENT,
        DISABLED,
    ],
    Some("name"),
    PrintStyle::Table(&["name", "mtu", "mac-address"]),
    &[&[('X', "DISABLED")], &[('R', "RUNNING")]],
)
.auto_name("bridge");
