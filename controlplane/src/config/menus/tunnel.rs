//! `/interface ipip` and `/interface gre` (layer-3 tunnels), `/interface eoip` and
//! `/interface vxlan` (layer-2 tunnels: Ethernet interfaces with a MAC and ARP). A tunnel is
//! an interface like any other (VRF member, addresses, routes, OSPF); `remote-address=IP@vrf`
//! puts its underlay in a VRF, as the seed writes it (VXLAN: `vrf=`).

use super::{COMMENT, DISABLED, IFACE};
use crate::config::schema::{Kind, Menu, Param, PrintStyle};

/// What ipip and gre share, in print order.
macro_rules! tunnel_params {
    ($($extra:expr),*) => {
        &[
            Param::req("name", Kind::Name),
            Param::def("mtu", Kind::IntOr("auto", 68, 65535), "auto"),
            Param::ro("actual-mtu", Kind::Int(0, 65535)),
            Param::opt("local-address", Kind::Ip),
            Param::req("remote-address", Kind::IpAtVrf),
            $($extra,)*
            Param::def("keepalive", Kind::Keepalive, "10s,10"),
            Param::def("dscp", Kind::IntOr("inherit", 0, 63), "inherit"),
            Param::def("dont-fragment", Kind::Enum(&["no", "inherit"]), "no"),
            Param::def("clamp-tcp-mss", Kind::Bool, "yes"),
            Param::def("allow-fast-path", Kind::Bool, "yes"),
            Param::opt("ipsec-secret", Kind::Text),
            COMMENT,
            DISABLED,
        ]
    };
}

const LEGEND: &[&[(char, &str)]] = &[&[('X', "DISABLED")], &[('R', "RUNNING")]];

/// `/interface ipip`: IPv4 in IPv4 (protocol 4).
pub const IPIP: Menu = Menu::list(
    &["interface", "ipip"],
    tunnel_params!(),
    Some("name"),
    PrintStyle::Table(&[
        "name",
        "mtu",
        "actual-mtu",
        "local-address",
        "remote-address",
    ]),
    LEGEND,
)
.auto_name("ipip-tunnel");

/// `/interface gre`: IPv4 in GRE (protocol 47, RFC 2784/2890), with an optional key.
pub const GRE: Menu = Menu::list(
    &["interface", "gre"],
    tunnel_params!(Param::opt("key", Kind::Int(0, 4_294_967_295))),
    Some("name"),
    PrintStyle::Table(&[
        "name",
        "mtu",
        "actual-mtu",
        "local-address",
        "remote-address",
    ]),
    LEGEND,
)
.auto_name("gre-tunnel");

/// `/interface eoip`: MikroTik's Ethernet over IP (GRE protocol type 0x6400).
pub const EOIP: Menu = Menu::list(
    &["interface", "eoip"],
    tunnel_params!(
        Param::req("tunnel-id", Kind::Int(0, 65535)),
        Param::opt("mac-address", Kind::Mac).shown()
    ),
    Some("name"),
    PrintStyle::Table(&[
        "name",
        "mtu",
        "actual-mtu",
        "mac-address",
        "local-address",
        "remote-address",
        "tunnel-id",
    ]),
    LEGEND,
)
.auto_name("eoip-tunnel");

/// `/interface vxlan`: VXLAN (RFC 7348) to the VTEPs of `/interface vxlan vteps`, the
/// underlay in `vrf`.
pub const VXLAN: Menu = Menu::list(
    &["interface", "vxlan"],
    &[
        Param::req("name", Kind::Name),
        Param::def("mtu", Kind::IntOr("auto", 68, 65535), "auto"),
        Param::ro("actual-mtu", Kind::Int(0, 65535)),
        Param::opt("mac-address", Kind::Mac).shown(),
        Param::req("vni", Kind::Int(1, 16_777_215)),
        Param::def("port", Kind::Int(1, 65535), "4789"),
        Param::opt("local-address", Kind::Ip),
        Param::def("vrf", Kind::VrfLater, "main"),
        Param::def("dscp", Kind::IntOr("inherit", 0, 63), "inherit"),
        Param::def(
            "dont-fragment",
            Kind::Enum(&["disabled", "inherit"]),
            "disabled",
        ),
        Param::def("allow-fast-path", Kind::Bool, "yes"),
        COMMENT,
        DISABLED,
    ],
    Some("name"),
    PrintStyle::Table(&[
        "name",
        "mtu",
        "actual-mtu",
        "mac-address",
        "vni",
        "port",
        "vrf",
    ]),
    LEGEND,
)
.auto_name("vxlan");

/// `/interface vxlan fdb`: where each MAC learned behind a VXLAN interface is (items
/// come from the running router).
pub const VXLAN_FDB: Menu = Menu::list(
    &["interface", "vxlan", "fdb"],
    &[
        Param::ro("interface", Kind::Text),
        Param::ro("mac-address", Kind::Text),
        Param::ro("remote-ip", Kind::Ip),
    ],
    None,
    PrintStyle::Table(&["interface", "mac-address", "remote-ip"]),
    &[&[('D', "DYNAMIC")]],
)
.fixed();

/// `/interface vxlan vteps`: a VXLAN interface's far ends (unicast; what the interface
/// floods goes to each).
pub const VXLAN_VTEPS: Menu = Menu::list(
    &["interface", "vxlan", "vteps"],
    &[
        Param::req("interface", Kind::Ref(IFACE)),
        Param::req("remote-ip", Kind::Ip),
        Param::def("port", Kind::Int(1, 65535), "4789"),
        COMMENT,
    ],
    None,
    PrintStyle::Table(&["interface", "remote-ip", "port"]),
    &[],
);
