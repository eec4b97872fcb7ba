//! `/interface vlan` in the configuration: what it accepts and refuses (tags 0 and 4095,
//! a VLAN on something that is not a port or a VLAN, three tags, one tag twice on a port),
//! what it shows (the port's MAC, in `/interface` as type vlan), and an export that loads
//! back to the same configuration.

mod common;

use common::{one, store};
use rspe_controlplane::config::store::Store;

const VLANS: &str = "\
/interface vlan add name=v10 interface=ether1 vlan-id=10
/interface vlan add name=s100 interface=ether1 vlan-id=100 use-service-tag=yes mtu=1504
/interface vlan add name=q7 interface=s100 vlan-id=7 comment=\"QinQ customer\"
/interface vlan add name=v20 interface=ether2 vlan-id=20 disabled=yes
/ip vrf add name=cust interfaces=v10,q7
/ip address add address=192.168.1.1/24 interface=v10
";

#[test]
fn bad_vlans_are_refused_with_the_reason() {
    let (mut s, p) = store(2);
    one(&mut s, &p, VLANS).unwrap();
    let before = s.total_items();
    for (cmd, want) in [
        (
            "/interface vlan add name=x interface=ether1 vlan-id=0",
            "vlan-id",
        ),
        (
            "/interface vlan add name=x interface=ether1 vlan-id=4095",
            "vlan-id",
        ),
        (
            "/interface vlan add name=x interface=ether1 vlan-id=10",
            "already has a VLAN with vlan-id 10",
        ),
        (
            "/interface vlan add name=x interface=q7 vlan-id=3",
            "more than two tags",
        ),
        (
            "/interface vlan set s100 interface=v10",
            "more than two tags",
        ),
        (
            "/interface vlan add name=x interface=nothing vlan-id=3",
            "nothing",
        ),
        ("/interface vlan add name=x vlan-id=3", "interface"),
        ("/interface vlan add name=x interface=ether1", "vlan-id"),
        (
            "/interface vlan add name=ether2 interface=ether1 vlan-id=3",
            "already taken",
        ),
        (
            "/interface vlan add name=x interface=ether1 vlan-id=3 arp=proxy-arp",
            "arp",
        ),
        (
            "/interface vlan set v10 interface=v10",
            "cannot be on itself",
        ),
    ] {
        let e = one(&mut s, &p, cmd).expect_err(cmd);
        assert!(e.contains(want), "{cmd}: {e}");
    }
    assert_eq!(s.total_items(), before, "nothing changed");
    // The same VLAN id as a service tag, or on another port, is another VLAN.
    one(
        &mut s,
        &p,
        "/interface vlan add name=v10ad interface=ether1 vlan-id=10 use-service-tag=yes\n\
         /interface vlan add name=v10b interface=ether2 vlan-id=10",
    )
    .unwrap();
    // A port a VLAN is on is still a port; a VLAN with VLANs on it cannot go.
    let e = one(&mut s, &p, "/interface vlan remove s100").unwrap_err();
    assert!(e.contains("in use by /interface vlan"), "{e}");
}

#[test]
fn vlans_show_their_port_mac_and_type() {
    let (mut s, p) = store(2);
    one(&mut s, &p, VLANS).unwrap();
    let out = one(&mut s, &p, "/interface vlan print detail").unwrap();
    assert!(out.contains("name=\"v10\""), "{out}");
    assert!(out.contains("mac-address=02:00:00:00:00:01 "), "{out}");
    assert!(out.contains("use-service-tag=yes"), "{out}");
    let out = one(&mut s, &p, "/interface print where type=vlan").unwrap();
    for name in ["v10", "s100", "q7", "v20"] {
        assert!(out.contains(name), "{out}");
    }
    let n = one(&mut s, &p, "/interface vlan get q7 mac-address").unwrap();
    assert_eq!(n.trim(), "02:00:00:00:00:01");
}

#[test]
fn an_export_with_vlans_loads_back_the_same() {
    let (mut s, p) = store(2);
    one(&mut s, &p, VLANS).unwrap();
    let export = one(&mut s, &p, "/export").unwrap();
    assert!(export.contains("/interface vlan"), "{export}");
    assert!(
        export.contains("add interface=ether1 name=s100 use-service-tag=yes vlan-id=100")
            || export.contains("use-service-tag=yes"),
        "{export}"
    );
    assert!(
        !export.contains("mac-address=02:00:00:00:00:01"),
        "read-only: {export}"
    );
    let (mut t, p2) = store(2);
    one(&mut t, &p2, &export).unwrap();
    assert_eq!(one(&mut t, &p2, "/export").unwrap(), export);
}

#[test]
fn a_port_mac_is_settable_and_shows_on_its_vlans() {
    let (mut s, p) = store(2);
    one(&mut s, &p, VLANS).unwrap();
    let export = one(&mut s, &p, "/export").unwrap();
    assert!(
        !export.contains("mac-address"),
        "unchanged: not exported\n{export}"
    );
    one(
        &mut s,
        &p,
        "/interface ethernet set ether1 mac-address=02:aa:bb:cc:dd:01",
    )
    .unwrap();
    let get = |s: &mut Store, cmd: &str| one(s, &p, cmd).unwrap().trim().to_owned();
    assert_eq!(
        get(&mut s, "/interface ethernet get ether1 mac-address"),
        "02:AA:BB:CC:DD:01"
    );
    assert_eq!(
        get(&mut s, "/interface ethernet get ether1 orig-mac-address"),
        "02:00:00:00:00:01"
    );
    assert_eq!(
        get(&mut s, "/interface vlan get q7 mac-address"),
        "02:AA:BB:CC:DD:01",
        "a VLAN sends from its port's MAC"
    );
    let export = one(&mut s, &p, "/export").unwrap();
    assert!(
        export.contains("set [ find default-name=ether1 ] mac-address=02:AA:BB:CC:DD:01"),
        "{export}"
    );
    for bad in [
        "/interface ethernet set ether1 orig-mac-address=02:00:00:00:00:09",
        "/interface ethernet set ether1 mac-address=01:00:5e:00:00:01",
        "/interface ethernet set ether1 mac-address=nonsense",
    ] {
        assert!(one(&mut s, &p, bad).is_err(), "{bad}");
    }
    // The forwarding state takes it: the port's and its VLANs' MAC.
    let snap = rspe_controlplane::rib::builder::snapshot_from_config(
        &format!("{VLANS}/interface ethernet set ether1 mac-address=02:aa:bb:cc:dd:01\n"),
        2,
        &[],
    )
    .unwrap();
    let mac = [2, 0xaa, 0xbb, 0xcc, 0xdd, 1];
    assert_eq!(snap.port(shared::types::PortId(0)).unwrap().mac, mac);
    let v10 = shared::types::PortId(shared::vlan::VLAN_BASE);
    assert_eq!(snap.port(v10).unwrap().mac, mac);
    // Back to the original: nothing to export.
    one(
        &mut s,
        &p,
        "/interface ethernet set ether1 mac-address=02:00:00:00:00:01",
    )
    .unwrap();
    assert!(!one(&mut s, &p, "/export").unwrap().contains("mac-address"));
}
