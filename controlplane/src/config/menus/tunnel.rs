//! `/interface ipip` and `/interface gre`: layer-3 tunnels. A tunnel is an interface like
//! any other (VRF member, addresses, routes, OSPF); `remote-address=IP@vrf` puts its
//! underlay in a VRF, as the seed writes it.

use super::{COMMENT, DISABLED};
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
