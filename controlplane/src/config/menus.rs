//! Every menu rspe serves, as data. Parameters, defaults and flags follow RouterOS v7
//! (`../shared/reference/routeros.md` §2-§8).

use super::schema::{Kind, Menu, Param, PrintStyle, RefTo};

mod firewall;
mod interface;
mod tunnel;
pub use firewall::firewall_chains;
use firewall::{firewall, FILTER_PARAMS, MANGLE_PARAMS, NAT_PARAMS};

const IFACE: RefTo = RefTo::Interface { lists: false };
const IFACES: RefTo = RefTo::Interface { lists: true };
const DISABLED: Param = Param::def("disabled", Kind::Bool, "no");
const COMMENT: Param = Param::opt("comment", Kind::Text);

/// Routing protocols a route may be redistributed from.
pub const REDISTRIBUTE: &[&str] = &[
    "connected",
    "static",
    "rip",
    "ospf",
    "isis",
    "bgp",
    "vpn",
    "dhcp",
    "fantasy",
    "modem",
    "bgp-mpls-vpn",
    "slaac",
];
/// BGP address families.
pub const AFI: &[&str] = &[
    "ip",
    "ipv6",
    "l2vpn",
    "l2vpn-cisco",
    "vpnv4",
    "vpnv6",
    "evpn",
];
/// Connection states a firewall rule can match.
pub const CONN_STATES: &[&str] = &["established", "invalid", "new", "related", "untracked"];
/// Address types a firewall rule can match.
pub const ADDR_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
];

/// Parameters a BGP template and a connection share.
macro_rules! bgp_template_params {
    () => {
        [
            Param::opt("as", Kind::AsNum),
            Param::opt("router-id", Kind::RouterId),
            Param::def("afi", Kind::EnumList(AFI), "ip"),
            Param::def("hold-time", Kind::TimeOrInfinity, "3m"),
            Param::opt("keepalive-time", Kind::Time),
            Param::def("multihop", Kind::Bool, "no"),
            Param::def(
                "nexthop-choice",
                Kind::Enum(&["default", "force-self", "propagate"]),
                "default",
            ),
            Param::opt("routing-table", Kind::Ref(RefTo::Table)),
            Param::opt("vrf", Kind::Ref(RefTo::Vrf)),
            Param::def("use-bfd", Kind::Bool, "no"),
            Param::opt("templates", Kind::RefList(RefTo::BgpTemplate)),
            Param::opt("input.filter", Kind::Text),
            Param::opt("input.accept-nlri", Kind::Text),
            Param::opt("input.allow-as", Kind::Int(0, 10)),
            Param::opt(
                "input.limit-process-routes-ipv4",
                Kind::Int(0, 4_294_967_295),
            ),
            Param::def("input.ignore-as-path-len", Kind::Bool, "no"),
            Param::opt("output.filter-chain", Kind::Text),
            Param::opt("output.filter-select", Kind::Text),
            Param::opt("output.network", Kind::Text),
            Param::opt("output.redistribute", Kind::EnumList(REDISTRIBUTE)),
            Param::def(
                "output.default-originate",
                Kind::Enum(&["never", "if-installed", "always"]),
                "never",
            ),
            Param::def("output.as-override", Kind::Bool, "no"),
            Param::def("output.remove-private-as", Kind::Bool, "no"),
            Param::opt("output.default-prepend", Kind::Int(0, 16)),
            Param::def("output.no-client-to-client-reflection", Kind::Bool, "no"),
            Param::def("output.keep-sent-attributes", Kind::Bool, "no"),
        ]
    };
}

const BGP_TEMPLATE_COMMON: [Param; 26] = bgp_template_params!();

const fn concat<const A: usize, const B: usize, const C: usize>(
    a: [Param; A],
    b: [Param; B],
) -> [Param; C] {
    let mut out = [Param::opt("", Kind::Text); C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

const BGP_TEMPLATE: [Param; 29] = concat(
    [Param::req("name", Kind::Name)],
    concat::<26, 2, 28>(BGP_TEMPLATE_COMMON, [COMMENT, DISABLED]),
);

const BGP_CONNECTION: [Param; 42] = concat(
    [
        Param::req("name", Kind::Name),
        Param::req("remote.address", Kind::AddrOrPrefix),
        Param::opt("remote.as", Kind::AsNum),
        Param::def("remote.port", Kind::Int(1, 65535), "179"),
        Param::opt("remote.ttl", Kind::Int(1, 255)),
        Param::opt("local.address", Kind::Ip),
        Param::opt(
            "local.role",
            Kind::Enum(&[
                "ibgp",
                "ibgp-rr",
                "ebgp",
                "ebgp-customer",
                "ebgp-peer",
                "ebgp-provider",
                "ebgp-rs",
                "ebgp-rs-client",
            ]),
        ),
        Param::def("local.port", Kind::Int(1, 65535), "179"),
        Param::opt("local.ttl", Kind::Int(1, 255)),
        Param::def("connect", Kind::Bool, "yes"),
        Param::def("listen", Kind::Bool, "yes"),
        Param::opt("tcp-md5-key", Kind::Text),
        COMMENT,
        DISABLED,
    ],
    concat::<26, 2, 28>(
        BGP_TEMPLATE_COMMON,
        [Param::opt("", Kind::Text), Param::opt("", Kind::Text)],
    ),
);

/// The menus, in export order.
pub static MENUS: &[Menu] = &[
    Menu::settings(
        &["system", "identity"],
        &[Param::def("name", Kind::Name, "rspe").shown()],
    ),
    // A view of every interface (ethernet ports and bridges); items are not stored
    // here but derived, and `set` acts on the underlying item.
    Menu::list(
        &["interface"],
        &[
            Param::req("name", Kind::Name),
            Param::ro("type", Kind::Text),
            Param::opt("mtu", Kind::Int(68, 65535)),
            Param::ro("mac-address", Kind::Text),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Table(&["name", "type", "mtu", "mac-address"]),
        &[&[('X', "DISABLED")], &[('R', "RUNNING")]],
    )
    .fixed(),
    interface::BRIDGE,
    tunnel::EOIP,
    tunnel::IPIP,
    tunnel::GRE,
    tunnel::VXLAN,
    tunnel::VXLAN_VTEPS,
    tunnel::VXLAN_FDB,
    Menu::list(
        &["interface", "list"],
        &[Param::req("name", Kind::Name), COMMENT],
        Some("name"),
        PrintStyle::Table(&["name"]),
        &[],
    ),
    Menu::list(
        &["interface", "list", "member"],
        &[
            Param::req("list", Kind::Ref(RefTo::InterfaceList)),
            Param::req("interface", Kind::Ref(IFACE)),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["list", "interface"]),
        &[&[('X', "DISABLED")]],
    ),
    interface::ETHERNET,
    interface::VLAN,
    Menu::list(
        &["ip", "vrf"],
        &[
            Param::req("name", Kind::Name),
            Param::req("interfaces", Kind::RefList(IFACES)),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled")], &[('*', "builtin")]],
    ),
    Menu::list(
        &["routing", "table"],
        &[
            Param::req("name", Kind::Name),
            Param::def("fib", Kind::Switch, "no"),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[
            &[('D', "dynamic")],
            &[('X', "disabled"), ('I', "invalid")],
            &[('U', "used")],
        ],
    )
    .export_disabled(),
    Menu::list(
        &["routing", "id"],
        &[
            Param::req("name", Kind::Name),
            Param::opt("id", Kind::Ip),
            Param::opt(
                "select-dynamic-id",
                Kind::Enum(&[
                    "any",
                    "lowest",
                    "only-active",
                    "only-loopback",
                    "only-static",
                    "only-vrf",
                ]),
            ),
            Param::opt("select-from-vrf", Kind::Ref(RefTo::Vrf)),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")], &[('D', "dynamic")]],
    ),
    Menu::list(
        &["ip", "address"],
        &[
            Param::req("address", Kind::IfAddress),
            Param::opt("network", Kind::Ip).shown(),
            Param::req("interface", Kind::Ref(IFACE)),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["address", "network", "interface"]),
        &[&[('X', "DISABLED"), ('I', "INVALID")], &[('D', "DYNAMIC")]],
    ),
    // Every route of every source, read-only: items come from the running router.
    Menu::list(
        &["routing", "route"],
        &[
            Param::ro("dst-address", Kind::Text),
            Param::ro("routing-table", Kind::Text),
            Param::ro("gateway", Kind::Text),
            Param::ro("immediate-gw", Kind::Text),
            Param::ro("mpls.out-label", Kind::Word),
            Param::ro("label", Kind::Word),
            Param::ro("bgp.ext-communities", Kind::Text),
            Param::ro("afi", Kind::Text),
            Param::ro("distance", Kind::Text),
            Param::ro("scope", Kind::Text),
            Param::ro("target-scope", Kind::Text),
            Param::ro("belongs-to", Kind::Text),
            Param::ro("local-address", Kind::Text),
            Param::ro("contribution", Kind::Text),
        ],
        None,
        PrintStyle::Table(&[
            "dst-address",
            "gateway",
            "afi",
            "distance",
            "scope",
            "target-scope",
            "immediate-gw",
        ]),
        &[
            &[('X', "DISABLED"), ('I', "INACTIVE"), ('A', "ACTIVE")],
            &[
                ('c', "CONNECT"),
                ('s', "STATIC"),
                ('b', "BGP"),
                ('o', "OSPF"),
                ('y', "BGP-MPLS-VPN"),
            ],
            &[('B', "BLACKHOLE")],
            &[('+', "ECMP")],
        ],
    )
    .fixed(),
    // The neighbour table: items come from the running router (`Live::items`).
    Menu::list(
        &["ip", "arp"],
        &[
            Param::ro("address", Kind::Ip),
            Param::ro("mac-address", Kind::Text),
            Param::ro("interface", Kind::Text),
            Param::ro("status", Kind::Text),
        ],
        None,
        PrintStyle::Table(&["address", "mac-address", "interface"]),
        &[&[('D', "DYNAMIC")], &[('C', "COMPLETE")]],
    )
    .fixed(),
    Menu::list(
        &["ip", "route"],
        &[
            Param::def("dst-address", Kind::Prefix, "0.0.0.0/0").shown(),
            Param::opt("gateway", Kind::Gateway).shown(),
            Param::def("routing-table", Kind::Ref(RefTo::Table), "main").shown(),
            Param::def("distance", Kind::Int(1, 255), "1").shown(),
            Param::def("scope", Kind::Int(0, 255), "30").shown(),
            Param::def("target-scope", Kind::Int(0, 255), "10").shown(),
            Param::opt(
                "check-gateway",
                Kind::Enum(&["none", "arp", "ping", "bfd", "bfd-multihop"]),
            ),
            Param::opt("pref-src", Kind::Ip),
            Param::def("blackhole", Kind::Switch, "no"),
            Param::def("suppress-hw-offload", Kind::Bool, "no").shown(),
            Param::opt("vrf-interface", Kind::Ref(IFACE)),
            Param::ro("immediate-gw", Kind::Text),
            Param::ro("mpls.out-label", Kind::Word),
            Param::ro("local-address", Kind::Text),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["dst-address", "gateway", "distance"]),
        &[
            &[('D', "DYNAMIC")],
            &[('X', "DISABLED"), ('I', "INACTIVE"), ('A', "ACTIVE")],
            &[
                ('c', "CONNECT"),
                ('s', "STATIC"),
                ('b', "BGP"),
                ('o', "OSPF"),
                ('y', "BGP-MPLS-VPN"),
            ],
            &[('B', "BLACKHOLE")],
            &[('+', "ECMP")],
        ],
    )
    .export_disabled(),
    Menu::settings(
        &["ip", "settings"],
        &[Param::def("rp-filter", Kind::Enum(&["no", "strict", "loose"]), "no").shown()],
    ),
    Menu::list(
        &["ip", "service"],
        &[
            Param::ro("name", Kind::Name),
            Param::req("port", Kind::Int(1, 65535)),
            Param::opt("address", Kind::PrefixList),
            Param::opt("certificate", Kind::Text),
            Param::opt("vrf", Kind::Ref(RefTo::Vrf)),
            Param::def("max-sessions", Kind::Int(1, 1000), "20"),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Table(&["name", "port", "certificate", "vrf"]),
        &[&[('X', ""), ('I', "INVALID")]],
    )
    .fixed(),
    Menu::list(
        &["ip", "firewall", "address-list"],
        &[
            Param::req("list", Kind::Word),
            Param::req("address", Kind::FwAddress),
            Param::opt("timeout", Kind::Time),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["list", "address"]),
        &[&[('X', "DISABLED")], &[('D', "DYNAMIC")]],
    ),
    firewall(&["ip", "firewall", "filter"], FILTER_PARAMS),
    // The connection table: items come from the running router.
    Menu::list(
        &["ip", "firewall", "connection"],
        &[
            Param::ro("protocol", Kind::Word),
            Param::ro("src-address", Kind::Word),
            Param::ro("dst-address", Kind::Word),
            Param::ro("reply-src-address", Kind::Word),
            Param::ro("reply-dst-address", Kind::Word),
            Param::ro("tcp-state", Kind::Word),
            Param::ro("timeout", Kind::Word),
            Param::ro("connection-mark", Kind::Word),
            Param::ro("vrf", Kind::Word),
            Param::ro("orig-packets", Kind::Word),
            Param::ro("repl-packets", Kind::Word),
            Param::ro("orig-bytes", Kind::Word),
            Param::ro("repl-bytes", Kind::Word),
        ],
        None,
        PrintStyle::Table(&[
            "protocol",
            "src-address",
            "dst-address",
            "reply-dst-address",
            "tcp-state",
            "timeout",
            "connection-mark",
        ]),
        &[
            &[('S', "SEEN-REPLY")],
            &[('A', "ASSURED")],
            &[('C', "CONFIRMED")],
            &[('s', "SRCNAT")],
            &[('d', "DSTNAT")],
        ],
    )
    .fixed(),
    Menu::settings(
        &["ip", "firewall", "connection", "tracking"],
        &[
            Param::def("enabled", Kind::Enum(&["yes", "no", "auto"]), "auto").shown(),
            Param::def("loose-tcp-tracking", Kind::Bool, "yes").shown(),
            Param::def("tcp-syn-sent-timeout", Kind::Time, "5s").shown(),
            Param::def("tcp-syn-received-timeout", Kind::Time, "5s").shown(),
            Param::def("tcp-established-timeout", Kind::Time, "1d").shown(),
            Param::def("tcp-fin-wait-timeout", Kind::Time, "10s").shown(),
            Param::def("tcp-close-wait-timeout", Kind::Time, "10s").shown(),
            Param::def("tcp-last-ack-timeout", Kind::Time, "10s").shown(),
            Param::def("tcp-time-wait-timeout", Kind::Time, "10s").shown(),
            Param::def("tcp-close-timeout", Kind::Time, "10s").shown(),
            Param::def("udp-timeout", Kind::Time, "30s").shown(),
            Param::def("udp-stream-timeout", Kind::Time, "3m").shown(),
            Param::def("icmp-timeout", Kind::Time, "10s").shown(),
            Param::def("generic-timeout", Kind::Time, "10m").shown(),
            Param::def("max-entries", Kind::Int(1, 16_777_216), "1048576").shown(),
        ],
    ),
    firewall(&["ip", "firewall", "nat"], NAT_PARAMS),
    firewall(&["ip", "firewall", "mangle"], MANGLE_PARAMS),
    Menu::settings(
        &["mpls", "settings"],
        &[
            Param::def("dynamic-label-range", Kind::LabelRange, "16-1048575").shown(),
            Param::def("propagate-ttl", Kind::Bool, "yes").shown(),
            Param::def("allow-fast-path", Kind::Bool, "yes").shown(),
        ],
    ),
    Menu::list(
        &["mpls", "interface"],
        &[
            Param::req("interface", Kind::Ref(IFACES)),
            Param::def("mpls-mtu", Kind::Int(512, 65535), "1508"),
            Param::def("input", Kind::Bool, "yes"),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["interface", "mpls-mtu", "input"]),
        &[&[('X', "DISABLED"), ('I', "INACTIVE")]],
    ),
    Menu::list(
        &["mpls", "ldp"],
        &[
            Param::def("vrf", Kind::Ref(RefTo::Vrf), "main").shown(),
            Param::opt("lsr-id", Kind::Ip).shown(),
            Param::opt("transport-addresses", Kind::IpList).shown(),
            Param::def("afi", Kind::EnumList(&["ip", "ipv6"]), "ip").shown(),
            Param::def("preferred-afi", Kind::Enum(&["ip", "ipv6"]), "ipv6"),
            Param::def("distribute-for-default", Kind::Bool, "no"),
            Param::def("use-explicit-null", Kind::Bool, "no"),
            Param::def("loop-detect", Kind::Bool, "no"),
            Param::def("hop-limit", Kind::Int(1, 255), "255"),
            Param::def("path-vector-limit", Kind::Int(1, 255), "255"),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")]],
    ),
    Menu::list(
        &["mpls", "ldp", "interface"],
        &[
            Param::req("interface", Kind::Ref(IFACES)),
            Param::def("hello-interval", Kind::Time, "5s"),
            Param::def("hold-time", Kind::Time, "15s"),
            Param::opt("transport-addresses", Kind::IpList),
            Param::def("accept-dynamic-neighbors", Kind::Bool, "yes"),
            Param::opt("afi", Kind::EnumList(&["ip", "ipv6"])),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["interface", "hello-interval", "hold-time"]),
        &[&[('X', "DISABLED"), ('I', "INACTIVE")]],
    ),
    Menu::list(
        &["mpls", "ldp", "advertise-filter"],
        &[
            Param::opt("prefix", Kind::Prefix),
            Param::opt("neighbor", Kind::Ip),
            Param::def("vrf", Kind::Ref(RefTo::Vrf), "main"),
            Param::def("advertise", Kind::Bool, "yes"),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["prefix", "neighbor", "vrf", "advertise"]),
        &[&[('X', "DISABLED")]],
    ),
    Menu::list(
        &["mpls", "ldp", "accept-filter"],
        &[
            Param::opt("prefix", Kind::Prefix),
            Param::opt("neighbor", Kind::Ip),
            Param::def("vrf", Kind::Ref(RefTo::Vrf), "main"),
            Param::def("accept", Kind::Bool, "yes"),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["prefix", "neighbor", "vrf", "accept"]),
        &[&[('X', "DISABLED")]],
    ),
    // Read-only: the OSPF instances' state.
    Menu::list(
        &["routing", "ospf", "neighbor"],
        &[
            Param::ro("instance", Kind::Word),
            Param::ro("area", Kind::Word),
            Param::ro("interface", Kind::Word),
            Param::ro("address", Kind::Word),
            Param::ro("priority", Kind::Word),
            Param::ro("router-id", Kind::Word),
            Param::ro("dr", Kind::Word),
            Param::ro("bdr", Kind::Word),
            Param::ro("state", Kind::Text),
            Param::ro("state-changes", Kind::Word),
            Param::ro("ls-retransmits", Kind::Word),
            Param::ro("ls-requests", Kind::Word),
            Param::ro("db-summaries", Kind::Word),
        ],
        None,
        PrintStyle::Detail,
        &[&[('V', "virtual")], &[('D', "dynamic")]],
    )
    .fixed(),
    Menu::list(
        &["routing", "ospf", "interface"],
        &[
            Param::ro("address", Kind::Word),
            Param::ro("instance", Kind::Word),
            Param::ro("area", Kind::Word),
            Param::ro("state", Kind::Word),
            Param::ro("network-type", Kind::Word),
            Param::ro("dr", Kind::Word),
            Param::ro("bdr", Kind::Word),
            Param::ro("cost", Kind::Word),
            Param::ro("priority", Kind::Word),
            Param::ro("hello-interval", Kind::Word),
            Param::ro("dead-interval", Kind::Word),
            Param::ro("retransmit-interval", Kind::Word),
            Param::ro("instance-drops", Kind::Word),
        ],
        None,
        PrintStyle::Detail,
        &[&[('D', "dynamic")]],
    )
    .fixed(),
    Menu::list(
        &["routing", "ospf", "lsa"],
        &[
            Param::ro("instance", Kind::Word),
            Param::ro("area", Kind::Word),
            Param::ro("type", Kind::Word),
            Param::ro("originator", Kind::Word),
            Param::ro("id", Kind::Word),
            Param::ro("sequence", Kind::Word),
            Param::ro("age", Kind::Word),
            Param::ro("checksum", Kind::Word),
            Param::ro("body", Kind::Text),
        ],
        None,
        PrintStyle::Table(&["instance", "area", "type", "originator", "id", "age"]),
        &[&[('D', "dynamic")]],
    )
    .fixed(),
    // Read-only: the LDP instances' state.
    Menu::list(
        &["mpls", "ldp", "neighbor"],
        &[
            Param::ro("transport", Kind::Word),
            Param::ro("local-transport", Kind::Word),
            Param::ro("peer", Kind::Word),
            Param::ro("addresses", Kind::Word),
            Param::ro("vrf", Kind::Word),
            Param::ro("last-error", Kind::Text),
        ],
        None,
        PrintStyle::Table(&["transport", "local-transport", "peer", "addresses"]),
        &[
            &[('D', ""), ('I', "INACTIVE")],
            &[('O', ""), ('T', "THROTTLED")],
            &[('p', "PASSIVE")],
        ],
    )
    .fixed(),
    Menu::list(
        &["mpls", "ldp", "local-mapping"],
        &[
            Param::ro("vrf", Kind::Word),
            Param::ro("dst-address", Kind::Word),
            Param::ro("label", Kind::Word),
            Param::ro("peers", Kind::Word),
        ],
        None,
        PrintStyle::Table(&["vrf", "dst-address", "label", "peers"]),
        &[
            &[('I', "INACTIVE")],
            &[('D', "DYNAMIC")],
            &[('E', "EGRESS")],
            &[('G', "GATEWAY")],
            &[('L', "LOCAL")],
        ],
    )
    .fixed(),
    Menu::list(
        &["mpls", "ldp", "remote-mapping"],
        &[
            Param::ro("vrf", Kind::Word),
            Param::ro("dst-address", Kind::Word),
            Param::ro("nexthop", Kind::Word),
            Param::ro("label", Kind::Word),
            Param::ro("peer", Kind::Word),
        ],
        None,
        PrintStyle::Table(&["vrf", "dst-address", "nexthop", "label", "peer"]),
        &[&[('I', "INACTIVE")], &[('D', "DYNAMIC")]],
    )
    .fixed(),
    Menu::list(
        &["mpls", "forwarding-table"],
        &[
            Param::ro("label", Kind::Word),
            Param::ro("vrf", Kind::Word),
            Param::ro("prefix", Kind::Word),
            Param::ro("nexthops", Kind::Word),
            Param::ro("type", Kind::Word),
        ],
        None,
        PrintStyle::Table(&["label", "vrf", "prefix", "nexthops"]),
        &[&[
            ('L', "ldp"),
            ('P', "vpn"),
            ('T', "traffic-eng"),
            ('V', "vpls"),
        ]],
    )
    .fixed(),
    Menu::list(
        &["routing", "bgp", "template"],
        &BGP_TEMPLATE,
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled")], &[('*', "builtin")]],
    )
    .auto_name("template"),
    Menu::list(
        &["routing", "bgp", "connection"],
        BGP_CONNECTION_PARAMS,
        Some("name"),
        PrintStyle::Detail,
        &[&[('D', "dynamic")], &[('X', "disabled"), ('I', "inactive")]],
    )
    .auto_name("bgp")
    .export_disabled(),
    // Read-only: the running sessions and what was sent to them.
    Menu::list(
        &["routing", "bgp", "session"],
        &[
            Param::ro("name", Kind::Text),
            Param::ro("remote.address", Kind::Word),
            Param::ro("remote.as", Kind::Word),
            Param::ro("remote.id", Kind::Word),
            Param::ro("remote.capabilities", Kind::Word),
            Param::ro("remote.afi", Kind::Word),
            Param::ro("remote.hold-time", Kind::Word),
            Param::ro("remote.messages", Kind::Word),
            Param::ro("remote.bytes", Kind::Word),
            Param::ro("local.address", Kind::Word),
            Param::ro("local.as", Kind::Word),
            Param::ro("local.id", Kind::Word),
            Param::ro("local.capabilities", Kind::Word),
            Param::ro("local.messages", Kind::Word),
            Param::ro("local.bytes", Kind::Word),
            Param::ro("local.role", Kind::Word),
            Param::ro("output.keep-sent-attributes", Kind::Word),
            Param::ro("output.last-notification", Kind::Word),
            Param::ro("input.last-notification", Kind::Word),
            Param::ro("input.limit-process-routes", Kind::Word),
            Param::ro("ebgp", Kind::Switch),
            Param::ro("ibgp", Kind::Switch),
            Param::ro("limit-exceeded", Kind::Switch),
            Param::ro("vrf", Kind::Word),
            Param::ro("hold-time", Kind::Word),
            Param::ro("keepalive-time", Kind::Word),
            Param::ro("uptime", Kind::Word),
            Param::ro("prefix-count", Kind::Word),
            Param::ro("state", Kind::Word),
            Param::ro("last-error", Kind::Text),
        ],
        None,
        PrintStyle::Detail,
        &[&[('E', "established")]],
    )
    .fixed(),
    Menu::list(
        &["routing", "bgp", "advertisements"],
        &[
            Param::ro("peer", Kind::Word),
            Param::ro("dst", Kind::Word),
            Param::ro("afi", Kind::Word),
            Param::ro("nexthop", Kind::Word),
            Param::ro("local-pref", Kind::Word),
            Param::ro("med", Kind::Word),
            Param::ro("origin", Kind::Word),
            Param::ro("as-path", Kind::Word),
            Param::ro("communities", Kind::Word),
            Param::ro("ext-communities", Kind::Word),
            Param::ro("large-communities", Kind::Word),
            Param::ro("atomic-aggregate", Kind::Word),
        ],
        None,
        PrintStyle::Detail,
        &[],
    )
    .fixed(),
    // RouterOS lists it as mandatory, yet the seed adds VPNs without one; an entry
    // without it is kept and simply exports nothing.
    Menu::list(
        &["routing", "bgp", "vpn"],
        &[
            Param::req("name", Kind::Name),
            Param::req("vrf", Kind::Ref(RefTo::Vrf)),
            Param::opt("route-distinguisher", Kind::RouteTarget { list: false }).shown(),
            Param::opt("route-targets", Kind::RouteTarget { list: true }),
            Param::opt("import.route-targets", Kind::RouteTarget { list: true }).shown(),
            Param::opt("import.filter-chain", Kind::Text),
            Param::opt("import.router-id", Kind::RouterId),
            Param::opt("export.route-targets", Kind::RouteTarget { list: true }).shown(),
            Param::opt("export.redistribute", Kind::EnumList(REDISTRIBUTE)).shown(),
            Param::opt("export.filter-chain", Kind::Text),
            Param::opt("export.filter-select", Kind::Text),
            Param::def(
                "label-allocation-policy",
                Kind::Enum(&["per-vrf", "per-prefix"]),
                "per-vrf",
            )
            .shown(),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")]],
    )
    .auto_name("bgp-mpls-vpn-"),
    Menu::list(
        &["routing", "ospf", "instance"],
        &[
            Param::req("name", Kind::Name),
            Param::def("version", Kind::Enum(&["2", "3"]), "2").shown(),
            Param::def("vrf", Kind::Ref(RefTo::Vrf), "main").shown(),
            Param::opt("routing-table", Kind::Ref(RefTo::Table)),
            Param::def("router-id", Kind::RouterId, "main").shown(),
            Param::opt("redistribute", Kind::EnumList(REDISTRIBUTE)),
            Param::def(
                "originate-default",
                Kind::Enum(&["always", "if-installed", "never"]),
                "never",
            ),
            Param::opt("in-filter-chain", Kind::Text),
            Param::opt("out-filter-chain", Kind::Text),
            Param::opt("out-filter-select", Kind::Text),
            Param::opt("domain-id", Kind::Text),
            Param::opt("domain-tag", Kind::Int(0, 4_294_967_295)),
            Param::def("use-dn", Kind::Bool, "no"),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")]],
    )
    .auto_name("ospf-instance-")
    .export_disabled(),
    Menu::list(
        &["routing", "ospf", "area"],
        &[
            Param::req("name", Kind::Name),
            Param::req("instance", Kind::Ref(RefTo::OspfInstance)),
            Param::def("area-id", Kind::Ip, "0.0.0.0").shown(),
            Param::def("type", Kind::Enum(&["default", "stub", "nssa"]), "default").shown(),
            Param::opt("default-cost", Kind::Int(0, 16_777_215)),
            Param::def("no-summaries", Kind::Switch, "no"),
            Param::opt("nssa-translator", Kind::Enum(&["yes", "no", "candidate"])),
            COMMENT,
            DISABLED,
        ],
        Some("name"),
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")]],
    )
    .auto_name("ospf-area-")
    .export_disabled(),
    Menu::list(
        &["routing", "ospf", "area", "range"],
        &[
            Param::req("area", Kind::Ref(RefTo::OspfArea)),
            Param::req("prefix", Kind::Prefix),
            Param::def("advertise", Kind::Bool, "yes"),
            Param::opt("cost", Kind::Int(0, 16_777_215)),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Table(&["area", "prefix", "advertise", "cost"]),
        &[&[('X', "disabled")]],
    )
    .export_disabled(),
    Menu::list(
        &["routing", "ospf", "interface-template"],
        &[
            Param::opt("interfaces", Kind::RefList(IFACES)).shown(),
            Param::opt("networks", Kind::PrefixList).shown(),
            Param::req("area", Kind::Ref(RefTo::OspfArea)),
            Param::def(
                "type",
                Kind::Enum(&[
                    "broadcast",
                    "nbma",
                    "ptp",
                    "ptp-unnumbered",
                    "ptmp",
                    "ptmp-broadcast",
                    "virtual-link",
                ]),
                "broadcast",
            ),
            Param::def("cost", Kind::Int(1, 65535), "1"),
            Param::def("priority", Kind::Int(0, 255), "128"),
            Param::def("hello-interval", Kind::Time, "10s"),
            Param::def("dead-interval", Kind::Time, "40s"),
            Param::def("retransmit-interval", Kind::Time, "5s"),
            Param::def("transmit-delay", Kind::Time, "1s"),
            Param::def("passive", Kind::Switch, "no"),
            Param::opt(
                "auth",
                Kind::Enum(&["simple", "md5", "sha1", "sha256", "sha384", "sha512"]),
            ),
            Param::opt("auth-key", Kind::Text),
            Param::opt("auth-id", Kind::Int(0, 255)),
            Param::def("instance-id", Kind::Int(0, 255), "0"),
            Param::def("use-bfd", Kind::Bool, "no"),
            COMMENT,
            DISABLED,
        ],
        None,
        PrintStyle::Detail,
        &[&[('X', "disabled"), ('I', "inactive")]],
    )
    .export_disabled(),
];

/// The connection's parameters: its own, then every template parameter (the padding
/// entries of [`BGP_CONNECTION`] have empty names and are dropped here).
static BGP_CONNECTION_PARAMS: &[Param] = &{
    let mut out = [Param::opt("", Kind::Text); 40];
    let mut i = 0;
    let mut j = 0;
    while i < BGP_CONNECTION.len() {
        if !BGP_CONNECTION[i].name.is_empty() {
            out[j] = BGP_CONNECTION[i];
            j += 1;
        }
        i += 1;
    }
    assert!(j == 40, "connection parameter count");
    out
};

/// The built-in `/ip service` entries: name, port, certificate, vrf, disabled.
pub const SERVICES: &[(&str, &str, &str, &str, bool)] = &[
    ("telnet", "23", "", "main", false),
    ("ftp", "21", "", "", false),
    ("www", "80", "", "main", false),
    ("ssh", "22", "", "main", false),
    ("www-ssl", "443", "none", "main", true),
    ("api", "8728", "", "main", false),
    ("winbox", "8291", "", "main", false),
    ("api-ssl", "8729", "none", "main", false),
];

/// The interface lists every router has: `all` (every interface), `none`, `dynamic` (none
/// here: rspe makes no interfaces of its own), `static` (every interface).
pub const BUILTIN_LISTS: &[&str] = &["all", "none", "dynamic", "static"];

/// The menus whose items are interfaces, with the `type` the `/interface` view shows.
pub const INTERFACE_MENUS: &[(&[&str], &str)] = &[
    (&["interface", "ethernet"], "ether"),
    (&["interface", "bridge"], "bridge"),
    (&["interface", "ipip"], "ipip-tunnel"),
    (&["interface", "gre"], "gre-tunnel"),
    (&["interface", "eoip"], "eoip-tunnel"),
    (&["interface", "vxlan"], "vxlan"),
    (&["interface", "vlan"], "vlan"),
];

/// Whether items of the menu at `path` are interfaces.
pub fn is_interface_menu(path: &[&str]) -> bool {
    INTERFACE_MENUS.iter().any(|(p, _)| *p == path)
}

/// Index of the `/interface` view in [`MENUS`].
pub const INTERFACE_VIEW: usize = 1;

/// The menu whose path is exactly `path`.
pub fn menu(path: &[&str]) -> Option<&'static Menu> {
    MENUS.iter().find(|m| m.path == path)
}

/// Index of a menu in [`MENUS`].
pub fn menu_index(path: &[&str]) -> Option<usize> {
    MENUS.iter().position(|m| m.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menus_are_well_formed() {
        for m in MENUS {
            let mut names: Vec<&str> = m.params.iter().map(|p| p.name).collect();
            assert!(names.iter().all(|n| !n.is_empty()), "{}", m.path_text());
            names.sort();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "duplicate parameter in {}", m.path_text());
            if let Some(k) = m.key {
                assert!(m.param(k).is_some(), "key of {}", m.path_text());
            }
        }
        assert_eq!(MENUS[INTERFACE_VIEW].path, &["interface"]);
        assert!(menu(&["routing", "bgp", "connection"])
            .unwrap()
            .param("remote.address")
            .is_some());
        assert!(menu(&["routing", "bgp", "connection"])
            .unwrap()
            .param("output.redistribute")
            .is_some());
        assert_eq!(
            menu(&["ip", "firewall", "nat"])
                .unwrap()
                .param("action")
                .unwrap()
                .kind,
            Kind::Enum(firewall::NAT.actions)
        );
    }
}
