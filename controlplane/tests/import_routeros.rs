//! Loading another RouterOS router's export: menus rspe does not have are refused as "not
//! supported by rspe", a mistyped menu as unknown, and `--keep-going` applies every whole
//! command it can and lists each refused line (the lines under a refused menu line too).

mod common;

use common::{one, store};
use rspe_controlplane::config::exec::{run, run_keep_going, Ctx, Format, NoLive, Session};

#[test]
fn menus_rspe_lacks_are_named_as_such() {
    let (mut s, p) = store(2);
    for (cmd, want) in [
        (
            "/ip dhcp-client add interface=ether1",
            "not supported by rspe: /ip dhcp-client",
        ),
        (
            "/interface vrrp add interface=ether1",
            "not supported by rspe: /interface vrrp",
        ),
        (
            "/interface bridge port add bridge=b interface=ether1",
            "not supported by rspe: /interface bridge port",
        ),
        (
            "/ip dhcp-server network add address=10.0.0.0/24",
            "not supported by rspe: /ip dhcp-server",
        ),
        (
            "/ipv6 settings set disable-ipv6=yes",
            "not supported by rspe: /ipv6",
        ),
        (
            "/system clock set time-zone-name=Europe/Riga",
            "not supported by rspe: /system clock",
        ),
        (
            "/interface vrpp add interface=ether1",
            "unknown menu \"vrpp\" in /interface",
        ),
    ] {
        let e = one(&mut s, &p, cmd).unwrap_err();
        assert!(e.contains(want), "{cmd}: {e}");
    }
    assert_eq!(s.total_items(), p.total_items(), "nothing changed");
}

/// A RouterOS v7 CHR export with menus rspe has and menus it does not.
const CHR_EXPORT: &str = r#"# 2026-11-30 10:00:00 by RouterOS 7.16
# software id =
#
/interface bridge
add name=lo0
/interface bonding
add mode=802.3ad name=bond1 slaves=ether3,ether4
/interface vlan
add interface=ether1 name=vlan10 vlan-id=10
/ip pool
add name=dhcp ranges=10.0.0.100-10.0.0.200
/ip dhcp-server
add address-pool=dhcp interface=ether2 name=dhcp1
/ip vrf
add interfaces=ether2 name=cust
/ip address
add address=10.255.0.1 interface=lo0 network=10.255.0.1
add address=10.0.0.1/24 interface=ether2 network=10.0.0.0
add address=192.0.2.1/24 interface=nonexistent network=192.0.2.0
/ip dhcp-server network
add address=10.0.0.0/24 gateway=10.0.0.1
/ip dns
set servers=9.9.9.9
/ip route
add dst-address=0.0.0.0/0 gateway=192.0.2.254
/system identity
set name=chr1
/system note
set show-at-login=no
"#;

#[test]
fn keep_going_applies_what_it_can_and_lists_the_rest() {
    let (mut s, p) = store(2);
    let mut session = Session::default();
    let mut ctx = Ctx {
        store: &mut s,
        pristine: &p,
        session: &mut session,
        live: &NoLive,
        format: Format::Text,
    };
    let (out, refused) = run_keep_going(&mut ctx, CHR_EXPORT);
    let lines: Vec<String> = refused.iter().map(|e| e.to_string()).collect();
    let line_of = |e: &rspe_controlplane::config::lex::Error| e.pos.line;
    // The menu lines rspe lacks, the lines under them, and a bad reference.
    let want = [
        (6, "not supported by rspe: /interface bonding"),
        (7, "skipped: its menu /interface bonding was refused"),
        (10, "not supported by rspe: /ip pool"),
        (11, "skipped"),
        (12, "not supported by rspe: /ip dhcp-server"),
        (13, "skipped"),
        (19, "nonexistent"),
        (20, "not supported by rspe: /ip dhcp-server"),
        (21, "skipped"),
        (22, "not supported by rspe: /ip dns"),
        (23, "skipped"),
        (28, "not supported by rspe: /system note"),
        (29, "skipped"),
    ];
    assert_eq!(refused.len(), want.len(), "{lines:#?}");
    for (e, (line, text)) in refused.iter().zip(want) {
        assert_eq!(line_of(e), line, "{lines:#?}");
        assert!(e.to_string().contains(text), "line {line}: {e}");
    }
    assert!(out.changed);
    // Everything else is in.
    let export = one(&mut s, &p, "/export").unwrap();
    for line in [
        "add name=lo0",
        "add interface=ether1 name=vlan10 vlan-id=10",
        "add interfaces=ether2 name=cust",
        "add address=10.0.0.1/24 interface=ether2 network=10.0.0.0",
        "gateway=192.0.2.254",
        "set name=chr1",
    ] {
        assert!(export.contains(line), "{line}\n{export}");
    }
    assert!(!export.contains("192.0.2.1/24"));
}

#[test]
fn without_keep_going_a_script_stops_at_the_first_refused_line() {
    let (mut s, p) = store(2);
    let e = one(&mut s, &p, CHR_EXPORT).unwrap_err();
    assert!(
        e.contains("line 6") && e.contains("/interface bonding"),
        "{e}"
    );
    let export = one(&mut s, &p, "/export").unwrap();
    assert!(export.contains("add name=lo0"), "what came before stays");
    assert!(!export.contains("name=cust"));
}

#[test]
fn chr_link_and_bridge_settings_load_warn_and_export_back() {
    let (mut s, p) = store(2);
    let src = "/interface bridge
add admin-mac=02:11:22:33:44:55 auto-mac=no name=bridge protocol-mode=none vlan-filtering=yes
/interface ethernet
set [ find default-name=ether1 ] disable-running-check=no
set [ find default-name=ether2 ] auto-negotiation=no speed=1G-baseT-full l2mtu=1514 name=wan
";
    let mut session = Session::default();
    let mut ctx = Ctx {
        store: &mut s,
        pristine: &p,
        session: &mut session,
        live: &NoLive,
        format: Format::Text,
    };
    run(&mut ctx, src).map_err(|f| f.error.to_string()).unwrap();
    let warnings = session.warnings.join("\n");
    for w in [
        "/interface ethernet disable-running-check has no effect",
        "/interface bridge vlan-filtering has no effect",
        "/interface ethernet speed has no effect",
    ] {
        assert!(warnings.contains(w), "{w}\n{warnings}");
    }
    let e1 = one(&mut s, &p, "/export").unwrap();
    for line in [
        "set [ find default-name=ether1 ] disable-running-check=no",
        "auto-negotiation=no",
        "name=wan",
        "admin-mac=02:11:22:33:44:55 auto-mac=no",
        "protocol-mode=none",
    ] {
        assert!(e1.contains(line), "{line}\n{e1}");
    }
    let (mut s2, p2) = store(2);
    one(&mut s2, &p2, &e1).unwrap();
    assert_eq!(one(&mut s2, &p2, "/export").unwrap(), e1);
    assert!(one(&mut s, &p, "/interface ethernet print detail")
        .unwrap()
        .contains("disable-running-check=no"));
}

#[test]
fn interface_lists_as_routeros_exports_write_them() {
    let (mut s, p) = store(3);
    let src = "/interface list
add name=WAN
add name=LAN
/interface list member
add interface=ether1 list=WAN
add interface=ether2 list=LAN
/ip firewall filter
add action=drop chain=input in-interface-list=!LAN
/ip firewall nat
add action=masquerade chain=srcnat out-interface-list=WAN
";
    one(&mut s, &p, src).unwrap();
    let e1 = one(&mut s, &p, "/export").unwrap();
    assert!(
        e1.contains("/interface list member\nadd interface=ether1 list=WAN\n"),
        "{e1}"
    );
    assert!(e1.contains("in-interface-list=!LAN"), "{e1}");
    assert!(e1.find("/interface list").unwrap() < e1.find("/ip firewall").unwrap());
    let (mut s2, p2) = store(3);
    one(&mut s2, &p2, &e1).unwrap();
    assert_eq!(one(&mut s2, &p2, "/export").unwrap(), e1);
    // A rename follows everywhere; a list in use stays; builtin lists are refused.
    one(&mut s, &p, "/interface list set LAN name=inside").unwrap();
    let e2 = one(&mut s, &p, "/export").unwrap();
    assert!(
        e2.contains("in-interface-list=!inside") && e2.contains("list=inside"),
        "{e2}"
    );
    assert!(one(&mut s, &p, "/interface list remove inside").is_err());
    for (cmd, want) in [
        ("/interface list add name=all", "built in"),
        (
            "/interface list member add list=all interface=ether3",
            "built in",
        ),
        (
            "/ip firewall filter add chain=input in-interface-list=nosuch",
            "no such interface list",
        ),
        (
            "/interface list member add list=WAN interface=nosuch",
            "no such interface",
        ),
    ] {
        let e = one(&mut s, &p, cmd).unwrap_err();
        assert!(e.contains(want), "{cmd}: {e}");
    }
    one(
        &mut s,
        &p,
        "/ip firewall filter add chain=input in-interface-list=all action=accept",
    )
    .unwrap();
}
