//! Menus RouterOS v7 has and rspe does not: a line naming one is refused with "not
//! supported by rspe: /ip dhcp-client" rather than as an unknown word, so a person loading
//! an existing router's export sees at once what rspe leaves out (and `rspectl import
//! --keep-going` lists each such line).

/// RouterOS v7 menus (below the root) that rspe does not have, as space-separated paths.
/// A submenu of one is covered by it (`ip dhcp-server network` by `ip dhcp-server`).
const NOT_BUILT: &[&str] = &[
    "caps-man",
    "certificate",
    "console",
    "container",
    "disk",
    "file",
    "interface bonding",
    "interface bridge port",
    "interface bridge settings",
    "interface bridge vlan",
    "interface bridge filter",
    "interface bridge nat",
    "interface detect-internet",
    "interface eoipv6",
    "interface ethernet switch",
    "interface gre6",
    "interface ipipv6",
    "interface l2tp-client",
    "interface l2tp-server",
    "interface lte",
    "interface macvlan",
    "interface ovpn-client",
    "interface ovpn-server",
    "interface pppoe-client",
    "interface pppoe-server",
    "interface pptp-client",
    "interface pptp-server",
    "interface sstp-client",
    "interface sstp-server",
    "interface veth",
    "interface vpls",
    "interface vrrp",
    "interface wifi",
    "interface wireguard",
    "interface wireless",
    "ip cloud",
    "ip dhcp-client",
    "ip dhcp-relay",
    "ip dhcp-server",
    "ip dns",
    "ip hotspot",
    "ip ipsec",
    "ip kid-control",
    "ip neighbor",
    "ip pool",
    "ip proxy",
    "ip smb",
    "ip socks",
    "ip ssh",
    "ip tftp",
    "ip traffic-flow",
    "ip upnp",
    "ip firewall layer7-protocol",
    "ip firewall raw",
    "ip firewall service-port",
    "ipv6",
    "lcd",
    "mpls traffic-eng",
    "port",
    "ppp",
    "queue",
    "radius",
    "routing bfd",
    "routing filter",
    "routing igmp-proxy",
    "routing pimsm",
    "routing rip",
    "routing rpki",
    "routing rule",
    "snmp",
    "system clock",
    "system console",
    "system leds",
    "system logging",
    "system note",
    "system ntp",
    "system package",
    "system resource",
    "system routerboard",
    "system scheduler",
    "system script",
    "system watchdog",
    "tool",
    "user",
];

/// The menu RouterOS has at `path` + `word` (or above it) that rspe does not, as
/// `/ip dhcp-client`; `None` when RouterOS has none there either (a typing error).
pub fn not_built(path: &[&str], word: &str) -> Option<String> {
    let mut words: Vec<&str> = path.to_vec();
    words.push(word);
    (1..=words.len()).find_map(|n| {
        let p = words[..n].join(" ");
        NOT_BUILT
            .contains(&p.as_str())
            .then(|| format!("/{}", words[..n].join(" ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_submenus_and_not_typing_errors() {
        assert_eq!(
            not_built(&["ip"], "dhcp-client").as_deref(),
            Some("/ip dhcp-client")
        );
        assert_eq!(
            not_built(&["interface", "bridge"], "port").as_deref(),
            Some("/interface bridge port")
        );
        assert_eq!(
            not_built(&["ipv6", "firewall"], "filter").as_deref(),
            Some("/ipv6")
        );
        assert_eq!(
            not_built(&["interface"], "vrrp").as_deref(),
            Some("/interface vrrp")
        );
        assert_eq!(not_built(&["interface"], "vrpp"), None);
        // Nothing rspe builds is listed.
        for p in NOT_BUILT {
            let words: Vec<&str> = p.split(' ').collect();
            assert!(
                crate::config::menus::MENUS
                    .iter()
                    .all(|m| m.path != words.as_slice()),
                "{p} is built"
            );
        }
    }
}
