//! What the configuration takes but does not act on yet, said out loud.
//!
//! Every parameter the store accepts either acts, or is refused ([`REFUSED`]: acting as if
//! it were absent would be unsafe, e.g. a firewall rule or a routing filter that would let
//! everything through), or is inert ([`INERT`]: kept so that RouterOS exports load and
//! export back, with a warning whenever it is set). `docs/architecture.md` lists both; a
//! test keeps the list and the document in step.

/// A parameter (or, with `param: None`, every parameter of a menu) and why it does not act.
#[derive(Debug, Clone, Copy)]
pub struct Note {
    /// The menu's path.
    pub menu: &'static [&'static str],
    /// The parameter, or `None` for the whole menu.
    pub param: Option<&'static str>,
    /// Why, in a few words.
    pub why: &'static str,
}

const fn note(
    menu: &'static [&'static str],
    param: Option<&'static str>,
    why: &'static str,
) -> Note {
    Note { menu, param, why }
}

const ROUTING_FILTERS: &str =
    "routing filters are not built yet: refused rather than letting every route through";
const NO_IPSEC: &str =
    "IPsec is not built: refused rather than sending the tunnel's traffic in the clear";

const LINK: &str = "DPDK brings the link up as the NIC negotiates it; rspe sets no link \
    parameters (and its neighbour timers are its own)";
const NO_BRIDGING: &str = "rspe has no bridging: a bridge is a loopback, with no ports";

/// Parameters refused when set.
pub static REFUSED: &[Note] = &[
    note(
        &["routing", "ospf", "instance"],
        Some("in-filter-chain"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "ospf", "instance"],
        Some("out-filter-chain"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "ospf", "instance"],
        Some("out-filter-select"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "template"],
        Some("input.filter"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "template"],
        Some("input.accept-nlri"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "template"],
        Some("output.filter-chain"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "template"],
        Some("output.filter-select"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "connection"],
        Some("input.filter"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "connection"],
        Some("input.accept-nlri"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "connection"],
        Some("output.filter-chain"),
        ROUTING_FILTERS,
    ),
    note(
        &["routing", "bgp", "connection"],
        Some("output.filter-select"),
        ROUTING_FILTERS,
    ),
    note(&["interface", "ipip"], Some("ipsec-secret"), NO_IPSEC),
    note(&["interface", "gre"], Some("ipsec-secret"), NO_IPSEC),
    note(&["interface", "eoip"], Some("ipsec-secret"), NO_IPSEC),
    note(
        &["ip", "firewall", "filter"],
        Some("src-address-type"),
        "the dataplane matches dst-address-type only",
    ),
    note(
        &["ip", "firewall", "nat"],
        Some("src-address-type"),
        "the dataplane matches dst-address-type only",
    ),
    note(
        &["ip", "firewall", "mangle"],
        Some("src-address-type"),
        "the dataplane matches dst-address-type only",
    ),
];

const VPN_FILTERS: &str =
    "routing filters are not built for VPN routes: every exported route goes to every VRF whose import RTs match";
const VPN_SESSIONS: &str =
    "one BGP instance here: imported VPN routes are selected by it, whatever router id is named";
const VPN_AGAIN: &str = "routes imported from a VPN are never exported again (no leaking loops)";
const PE_CE: &str = "RFC 4577's PE-CE knobs belong to BGP/MPLS IP VPNs, not built yet";
const OSPF_TYPE: &str =
    "only broadcast and point-to-point are built: the interface runs as broadcast";
const OSPF_AUTH: &str = "only simple and MD5 authentication are built: the interface sends none";
const NO_LOOP_DETECTION: &str =
    "LDP loop detection is not built: sessions negotiate it off (TTL guards the LSPs)";
const NO_BFD: &str = "BFD is not built";
const ONE_PATH: &str = "rspe has one forwarding path: tunnels are encapsulated in the workers";
const NO_TTL: &str = "sessions use the kernel's default TTL";
const ONE_CLOSING_STATE: &str = "the tracker keeps one closing state, timed by tcp-close-timeout";

/// Parameters and menus stored and exported but without effect yet.
pub static INERT: &[Note] = &[
    note(&["interface", "ethernet"], Some("l2mtu"), LINK),
    note(&["interface", "ethernet"], Some("arp-timeout"), LINK),
    note(&["interface", "ethernet"], Some("auto-negotiation"), LINK),
    note(&["interface", "ethernet"], Some("advertise"), LINK),
    note(&["interface", "ethernet"], Some("speed"), LINK),
    note(&["interface", "ethernet"], Some("full-duplex"), LINK),
    note(&["interface", "ethernet"], Some("rx-flow-control"), LINK),
    note(&["interface", "ethernet"], Some("tx-flow-control"), LINK),
    note(&["interface", "ethernet"], Some("mdix-enable"), LINK),
    note(&["interface", "vlan"], Some("loop-protect"), LINK),
    note(
        &["interface", "vlan"],
        Some("loop-protect-disable-time"),
        LINK,
    ),
    note(
        &["interface", "vlan"],
        Some("loop-protect-send-interval"),
        LINK,
    ),
    note(&["interface", "ethernet"], Some("loop-protect"), LINK),
    note(
        &["interface", "ethernet"],
        Some("loop-protect-disable-time"),
        LINK,
    ),
    note(
        &["interface", "ethernet"],
        Some("loop-protect-send-interval"),
        LINK,
    ),
    note(
        &["interface", "ethernet"],
        Some("disable-running-check"),
        LINK,
    ),
    note(&["interface", "ethernet"], Some("bandwidth"), LINK),
    note(&["interface", "bridge"], Some("admin-mac"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("auto-mac"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("ageing-time"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("arp-timeout"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("protocol-mode"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("priority"), NO_BRIDGING),
    note(
        &["interface", "bridge"],
        Some("vlan-filtering"),
        NO_BRIDGING,
    ),
    note(&["interface", "bridge"], Some("igmp-snooping"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("dhcp-snooping"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("fast-forward"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("forward-delay"), NO_BRIDGING),
    note(
        &["interface", "bridge"],
        Some("max-message-age"),
        NO_BRIDGING,
    ),
    note(
        &["interface", "bridge"],
        Some("transmit-hold-count"),
        NO_BRIDGING,
    ),
    note(&["interface", "bridge"], Some("ether-type"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("pvid"), NO_BRIDGING),
    note(&["interface", "bridge"], Some("frame-types"), NO_BRIDGING),
    note(
        &["interface", "bridge"],
        Some("ingress-filtering"),
        NO_BRIDGING,
    ),
    note(
        &["interface", "bridge"],
        Some("port-cost-mode"),
        NO_BRIDGING,
    ),
    note(
        &["ip", "service"],
        None,
        "rspe runs none of RouterOS's services; it is managed over its control socket",
    ),
    note(
        &["mpls", "settings"],
        Some("allow-fast-path"),
        "rspe has one forwarding path; there is no slow path to allow a fast one beside",
    ),
    note(&["interface", "ipip"], Some("allow-fast-path"), ONE_PATH),
    note(&["interface", "gre"], Some("allow-fast-path"), ONE_PATH),
    note(&["interface", "eoip"], Some("allow-fast-path"), ONE_PATH),
    note(&["interface", "vxlan"], Some("allow-fast-path"), ONE_PATH),
    note(&["mpls", "ldp"], Some("loop-detect"), NO_LOOP_DETECTION),
    note(&["mpls", "ldp"], Some("hop-limit"), NO_LOOP_DETECTION),
    note(
        &["mpls", "ldp"],
        Some("path-vector-limit"),
        NO_LOOP_DETECTION,
    ),
    note(
        &["mpls", "ldp"],
        Some("preferred-afi"),
        "rspe's LDP runs IPv4 only: there is no other family to prefer",
    ),
    note(
        &["mpls", "ldp", "interface"],
        Some("accept-dynamic-neighbors"),
        "every neighbour heard on an LDP interface is accepted (no static neighbours yet)",
    ),
    note(
        &["mpls", "ldp", "interface"],
        Some("afi"),
        "rspe's LDP runs IPv4 only",
    ),
    note(
        &["routing", "bgp", "vpn"],
        Some("import.filter-chain"),
        VPN_FILTERS,
    ),
    note(
        &["routing", "bgp", "vpn"],
        Some("export.filter-chain"),
        VPN_FILTERS,
    ),
    note(
        &["routing", "bgp", "vpn"],
        Some("export.filter-select"),
        VPN_FILTERS,
    ),
    note(
        &["routing", "bgp", "vpn"],
        Some("import.router-id"),
        VPN_SESSIONS,
    ),
    note(&["routing", "ospf", "instance"], Some("domain-id"), PE_CE),
    note(&["routing", "ospf", "instance"], Some("domain-tag"), PE_CE),
    note(&["routing", "ospf", "instance"], Some("use-dn"), PE_CE),
    note(
        &["routing", "ospf", "interface-template"],
        Some("transmit-delay"),
        "LSAs leave with the age they have: links here add no delay worth a second",
    ),
    note(
        &["routing", "ospf", "interface-template"],
        Some("instance-id"),
        "an OSPFv3 parameter: OSPFv2 has no instance id",
    ),
    note(
        &["routing", "ospf", "interface-template"],
        Some("use-bfd"),
        NO_BFD,
    ),
    note(&["routing", "bgp", "template"], Some("use-bfd"), NO_BFD),
    note(&["routing", "bgp", "connection"], Some("use-bfd"), NO_BFD),
    note(
        &["routing", "bgp", "connection"],
        Some("remote.ttl"),
        NO_TTL,
    ),
    note(&["routing", "bgp", "connection"], Some("local.ttl"), NO_TTL),
    note(
        &["routing", "id"],
        Some("select-from-vrf"),
        "a router id is taken from its own VRF's addresses",
    ),
    note(
        &["ip", "route"],
        Some("pref-src"),
        "the router's own packets take the egress interface's address",
    ),
    note(
        &["ip", "route"],
        Some("suppress-hw-offload"),
        "there is no hardware offload",
    ),
    note(
        &["ip", "route"],
        Some("vrf-interface"),
        "use gateway=IP%interface or routing-table=",
    ),
    note(
        &["ip", "firewall", "address-list"],
        Some("timeout"),
        "entries do not expire",
    ),
    note(
        &["ip", "firewall", "filter"],
        Some("log"),
        "rules do not log",
    ),
    note(
        &["ip", "firewall", "filter"],
        Some("log-prefix"),
        "rules do not log",
    ),
    note(&["ip", "firewall", "nat"], Some("log"), "rules do not log"),
    note(
        &["ip", "firewall", "nat"],
        Some("log-prefix"),
        "rules do not log",
    ),
    note(
        &["ip", "firewall", "mangle"],
        Some("log"),
        "rules do not log",
    ),
    note(
        &["ip", "firewall", "mangle"],
        Some("log-prefix"),
        "rules do not log",
    ),
    note(
        &["ip", "firewall", "connection", "tracking"],
        Some("tcp-syn-received-timeout"),
        ONE_CLOSING_STATE,
    ),
    note(
        &["ip", "firewall", "connection", "tracking"],
        Some("tcp-fin-wait-timeout"),
        ONE_CLOSING_STATE,
    ),
    note(
        &["ip", "firewall", "connection", "tracking"],
        Some("tcp-close-wait-timeout"),
        ONE_CLOSING_STATE,
    ),
    note(
        &["ip", "firewall", "connection", "tracking"],
        Some("tcp-last-ack-timeout"),
        ONE_CLOSING_STATE,
    ),
    note(
        &["ip", "firewall", "connection", "tracking"],
        Some("tcp-time-wait-timeout"),
        ONE_CLOSING_STATE,
    ),
];

/// Values of list parameters that are stored but not acted on: (menu, parameter, value, why).
pub static INERT_VALUES: &[(&[&str], &str, &str, &str)] = &[
    (
        &["routing", "ospf", "interface-template"],
        "type",
        "nbma",
        OSPF_TYPE,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "type",
        "ptmp",
        OSPF_TYPE,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "type",
        "ptmp-broadcast",
        OSPF_TYPE,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "type",
        "virtual-link",
        OSPF_TYPE,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "type",
        "ptp-unnumbered",
        OSPF_TYPE,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "auth",
        "sha1",
        OSPF_AUTH,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "auth",
        "sha256",
        OSPF_AUTH,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "auth",
        "sha384",
        OSPF_AUTH,
    ),
    (
        &["routing", "ospf", "interface-template"],
        "auth",
        "sha512",
        OSPF_AUTH,
    ),
    (
        &["routing", "bgp", "vpn"],
        "export.redistribute",
        "vpn",
        VPN_AGAIN,
    ),
    (
        &["routing", "bgp", "vpn"],
        "export.redistribute",
        "bgp-mpls-vpn",
        VPN_AGAIN,
    ),
];

/// Why `value` (a comma list) of `param` in `menu` has no effect in part, if it has none.
pub fn inert_value(
    menu: &[&str],
    param: &str,
    value: &str,
) -> Option<(&'static str, &'static str)> {
    INERT_VALUES
        .iter()
        .find(|(m, p, v, _)| *m == menu && *p == param && value.split(',').any(|x| x == *v))
        .map(|(_, _, v, why)| (*v, *why))
}

fn find(list: &'static [Note], menu: &[&str], param: &str) -> Option<&'static Note> {
    list.iter()
        .find(|n| n.menu == menu && n.param.is_none_or(|p| p == param))
}

/// Why setting `param` in `menu` is refused, if it is.
pub fn refused(menu: &[&str], param: &str) -> Option<&'static str> {
    find(REFUSED, menu, param).map(|n| n.why)
}

/// Why `param` in `menu` has no effect, if it has none. `name`, `comment` and `disabled`
/// of an inert menu are not worth a warning of their own.
pub fn inert(menu: &[&str], param: &str) -> Option<&'static str> {
    let n = find(INERT, menu, param)?;
    if n.param.is_none() && matches!(param, "name" | "comment") {
        return None;
    }
    Some(n.why)
}

/// The warning for setting `param` in `menu`.
pub fn warning(menu: &[&str], param: &str, why: &str) -> String {
    format!("warning: /{} {param} has no effect: {why}", menu.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::menus::menu_index;
    use crate::config::menus::MENUS;

    #[test]
    fn every_note_names_a_real_parameter_and_the_document_lists_it() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/architecture.md"
        ))
        .unwrap();
        for (menu, param, value, _) in INERT_VALUES {
            let path = format!("/{} {param}={value}", menu.join(" "));
            assert!(
                doc.contains(&format!("`{path}`")),
                "docs/architecture.md does not list `{path}`"
            );
        }
        for n in REFUSED.iter().chain(INERT) {
            let mi = menu_index(n.menu).unwrap_or_else(|| panic!("no menu {:?}", n.menu));
            let path = format!("/{}", n.menu.join(" "));
            match n.param {
                Some(p) => {
                    assert!(MENUS[mi].param(p).is_some(), "{path} has no {p}");
                    assert!(
                        doc.contains(&format!("`{path} {p}`")),
                        "docs/architecture.md does not list `{path} {p}`"
                    );
                }
                None => assert!(
                    doc.contains(&format!("`{path}`")),
                    "docs/architecture.md does not list `{path}`"
                ),
            }
        }
    }
}
