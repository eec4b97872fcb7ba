//! The firewall menus' tables: chains, actions and parameters of `/ip firewall filter`,
//! `nat` and `mangle`.

use super::{ADDR_TYPES, COMMENT, CONN_STATES, DISABLED};
use crate::config::schema::{Kind, Menu, Param, PrintStyle, RefTo};

/// Firewall tables: chains and actions.
pub(super) struct FwTable {
    chains: &'static [&'static str],
    pub(super) actions: &'static [&'static str],
    default_action: &'static str,
}

const FILTER: FwTable = FwTable {
    chains: &["input", "forward", "output"],
    actions: &[
        "accept",
        "drop",
        "reject",
        "jump",
        "return",
        "log",
        "passthrough",
        "fasttrack-connection",
        "tarpit",
        "add-dst-to-address-list",
        "add-src-to-address-list",
    ],
    default_action: "accept",
};
pub(super) const NAT: FwTable = FwTable {
    chains: &["srcnat", "dstnat", "input", "output"],
    actions: &[
        "accept",
        "src-nat",
        "dst-nat",
        "masquerade",
        "redirect",
        "netmap",
        "same",
        "endpoint-independent-nat",
        "jump",
        "return",
        "log",
        "passthrough",
        "add-dst-to-address-list",
        "add-src-to-address-list",
    ],
    default_action: "accept",
};
const MANGLE: FwTable = FwTable {
    chains: &["prerouting", "input", "forward", "output", "postrouting"],
    actions: &[
        "accept",
        "mark-connection",
        "mark-packet",
        "mark-routing",
        "passthrough",
        "jump",
        "return",
        "log",
        "change-dscp",
        "change-mss",
        "change-ttl",
        "clear-df",
        "fasttrack-connection",
        "route",
        "set-priority",
        "strip-ipv4-options",
        "add-dst-to-address-list",
        "add-src-to-address-list",
    ],
    default_action: "accept",
};

/// The built-in chains of a firewall table (any other chain name is a user chain).
pub fn firewall_chains(path: &[&str]) -> &'static [&'static str] {
    match path.last() {
        Some(&"filter") => FILTER.chains,
        Some(&"nat") => NAT.chains,
        Some(&"mangle") => MANGLE.chains,
        _ => &[],
    }
}

macro_rules! fw_params {
    ($actions:expr, $default:expr) => {
        &[
            Param::req("chain", Kind::Word),
            Param::def("action", Kind::Enum($actions), $default).shown(),
            Param::opt("src-address", Kind::FwAddress),
            Param::opt("dst-address", Kind::FwAddress),
            Param::opt("src-address-list", Kind::Word),
            Param::opt("dst-address-list", Kind::Word),
            Param::opt("protocol", Kind::FwProtocol),
            Param::opt("src-port", Kind::FwPorts),
            Param::opt("dst-port", Kind::FwPorts),
            Param::opt("in-interface", Kind::FwInterface),
            Param::opt("out-interface", Kind::FwInterface),
            Param::opt("in-interface-list", Kind::FwInterfaceList),
            Param::opt("out-interface-list", Kind::FwInterfaceList),
            Param::opt("connection-state", Kind::FwEnumList(CONN_STATES)),
            Param::opt("connection-mark", Kind::Word),
            Param::opt(
                "connection-nat-state",
                Kind::FwEnumList(&["srcnat", "dstnat"]),
            ),
            Param::opt("routing-mark", Kind::FwTable),
            Param::opt("packet-mark", Kind::Word),
            Param::opt("src-address-type", Kind::FwEnumList(ADDR_TYPES)),
            Param::opt("dst-address-type", Kind::FwEnumList(ADDR_TYPES)),
            Param::opt("new-connection-mark", Kind::Word),
            Param::opt("new-routing-mark", Kind::Ref(RefTo::Table)),
            Param::opt("new-packet-mark", Kind::Word),
            Param::opt("passthrough", Kind::Bool),
            Param::opt("jump-target", Kind::Word),
            Param::opt("to-addresses", Kind::FwAddress),
            Param::opt("to-ports", Kind::FwPorts),
            Param::opt(
                "reject-with",
                Kind::Enum(&[
                    "icmp-network-unreachable",
                    "icmp-host-unreachable",
                    "icmp-port-unreachable",
                    "icmp-protocol-unreachable",
                    "icmp-net-prohibited",
                    "icmp-host-prohibited",
                    "icmp-admin-prohibited",
                    "tcp-reset",
                ]),
            ),
            Param::def("log", Kind::Bool, "no"),
            Param::opt("log-prefix", Kind::Text),
            COMMENT,
            DISABLED,
        ]
    };
}

pub(super) static FILTER_PARAMS: &[Param] = fw_params!(FILTER.actions, FILTER.default_action);
pub(super) static NAT_PARAMS: &[Param] = fw_params!(NAT.actions, NAT.default_action);
pub(super) static MANGLE_PARAMS: &[Param] = fw_params!(MANGLE.actions, MANGLE.default_action);

pub(super) const fn firewall(path: &'static [&'static str], params: &'static [Param]) -> Menu {
    Menu::list(path, params, None, PrintStyle::Detail, LEGEND_XI_D)
}

const LEGEND_XI_D: &[&[(char, &str)]] =
    &[&[('X', "disabled"), ('I', "invalid")], &[('D', "dynamic")]];
