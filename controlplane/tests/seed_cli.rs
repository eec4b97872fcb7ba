//! The seed's RouterOS blocks through the command engine, and the prints it shows.

use rspe_controlplane::config::exec::{run, Ctx, Format, NoLive, Session};
use rspe_controlplane::config::store::{PortDesc, Store};

struct R {
    store: Store,
    pristine: Store,
    session: Session,
}

impl R {
    fn new(ports: usize) -> R {
        let p: Vec<PortDesc> = (1..=ports)
            .map(|i| PortDesc {
                default_name: format!("ether{i}"),
                mac: format!("02:00:00:00:00:{i:02X}"),
                driver: "net_null".into(),
            })
            .collect();
        let store = Store::new(&p);
        R {
            pristine: store.clone(),
            store,
            session: Session::default(),
        }
    }

    fn run(&mut self, src: &str) -> Result<String, String> {
        let mut ctx = Ctx {
            store: &mut self.store,
            pristine: &self.pristine,
            session: &mut self.session,
            live: &NoLive,
            format: Format::Text,
        };
        run(&mut ctx, src)
            .map(|o| o.output)
            .map_err(|f| f.error.to_string())
    }

    fn ok(&mut self, src: &str) -> String {
        self.run(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }
}

#[test]
fn vrf_print_move_and_tables() {
    let mut r = R::new(4);
    r.ok("/interface bridge add name=lo_vrf");
    assert_eq!(
        r.ok("/ip vrf print"),
        "Flags: X - disabled; * - builtin\n 0  * name=\"main\" interfaces=all\n"
    );
    assert_eq!(
        r.ok("/routing table print"),
        "Flags: D - dynamic; X - disabled, I - invalid; U - used\n 0 D   name=\"main\" fib\n"
    );
    r.ok("/ip vrf add name=myVrf interfaces=lo_vrf");
    assert_eq!(
        r.ok("/ip vrf print"),
        "Flags: X - disabled; * - builtin\n 0  * name=\"main\" interfaces=all\n 1    name=\"myVrf\" interfaces=lo_vrf\n"
    );
    r.ok("/ip vrf move 1 0");
    assert_eq!(
        r.ok("/ip vrf print"),
        "Flags: X - disabled; * - builtin\n 0    name=\"myVrf\" interfaces=lo_vrf\n 1  * name=\"main\" interfaces=all\n"
    );
    let t = r.ok("/routing table print");
    assert!(t.contains(" 1 D   name=\"myVrf\" fib"), "{t}");
    assert!(r.run("/ip vrf remove 1").unwrap_err().contains("builtin"));
}

#[test]
fn services() {
    let mut r = R::new(1);
    r.ok("/interface bridge add name=lo_vrf\n/ip vrf add name=myVrf interfaces=lo_vrf");
    r.ok("/ip service set ssh vrf=myVrf");
    let expected = "\
Flags: X, I - INVALID
Columns: NAME, PORT, CERTIFICATE, VRF
#   NAME     PORT  CERTIFICATE  VRF
0   telnet     23               main
1   ftp        21
2   www        80               main
3   ssh        22               myVrf
4 X www-ssl   443  none         main
5   api      8728               main
6   winbox   8291               main
7   api-ssl  8729  none         main
";
    assert_eq!(r.ok("/ip/service print"), expected);
    assert!(r
        .run("/ip service set ftp vrf=myVrf")
        .unwrap_err()
        .contains("ftp"));
}

#[test]
fn vrf_lite_block_verbatim() {
    let mut r = R::new(3);
    r.ok("/interface ethernet set [ find default-name=ether3 ] name=public");
    r.ok(r#"/ip address
add address=172.16.1.2/24 interface=public
add address=192.168.1.1/24 interface=ether1
add address=192.168.2.1/24 interface=ether2
/ip route
add gateway=172.16.1.1
# add VRF configuration
/ip vrf
add name=cust_a interface=ether1 place-before 0
add name=cust_b interface=ether2 place-before 0
# add vrf routes
/ip route
add gateway=172.16.1.1@main routing-table=cust_a
add gateway=172.16.1.1@main routing-table=cust_b
# masquerade local source
/ip firewall nat add chain=srcnat out-interface=public action=masquerade
# mark new customer connections
/ip firewall mangle
add action=mark-connection chain=prerouting connection-state=new new-connection-mark=\
    cust_a_conn src-address=192.168.1.0/24 passthrough=no
add action=mark-connection chain=prerouting connection-state=new new-connection-mark=\
    cust_b_conn src-address=192.168.2.0/24 passthrough=no
# mark routing
/ip firewall mangle 
add action=mark-routing chain=prerouting connection-mark=cust_a_conn \
    in-interface=public new-routing-mark=cust_a
add action=mark-routing chain=prerouting connection-mark=cust_b_conn \
    in-interface=public new-routing-mark=cust_b
"#);
    let v = r.ok("/ip vrf print");
    assert!(v.contains(" 0    name=\"cust_b\" interfaces=ether2\n 1    name=\"cust_a\" interfaces=ether1\n 2  * name=\"main\""), "{v}");
    let m = r.ok("/ip firewall mangle print");
    assert!(m.contains("new-connection-mark=cust_a_conn"), "{m}");
    assert_eq!(r.ok("/ip route print count-only"), "3\n");
    assert_eq!(
        r.ok("/ip route print count-only where routing-table=cust_a"),
        "1\n"
    );
}

#[test]
fn pe1_block_with_old_spellings() {
    let mut r = R::new(2);
    r.ok(r#"/interface bridge add name=lobridge
/ip address add address=10.1.1.2/24 interface=ether1
/ip address add address=10.2.2.2/24 interface=ether2
/ip address add address=10.5.5.2/32 interface=lobridge
/ip vrf add name=cust-one interfaces=ether1
/mpls ldp add enabled=yes transport-address=10.5.5.2 lsr-id=10.5.5.2
/mpls ldp interface add interface=ether2
/routing bgp template set default as=65000
/routing bgp vpn
add vrf=cust-one \
  route-distinguisher=1.1.1.1:111 \
  import.route-targets=1.1.1.1:111 \
  import.router-id=cust-one \
  export.redistribute=connected \
  export.route-targets=1.1.1.1:111 \
  label-allocation-policy=per-vrf
/routing bgp connection
add template=default remote.address=10.5.5.3 address-families=vpnv4 local.address=10.5.5.2
# add route to the remote BGP peer's loopback address
/ip route add dst-address=10.5.5.3/32 gateway=10.2.2.3
"#);
    let c = r.ok("/routing bgp connection print");
    assert!(c.contains("name=\"bgp1\" remote.address=10.5.5.3"), "{c}");
    assert!(c.contains("afi=vpnv4"), "{c}");
    let l = r.ok("/mpls ldp print");
    assert!(l.contains("transport-addresses=10.5.5.2"), "{l}");
    let v = r.ok("/routing bgp vpn print");
    assert!(v.contains("name=\"bgp-mpls-vpn-1\""), "{v}");
}

#[test]
fn errors_name_line_and_column_and_change_nothing() {
    let mut r = R::new(2);
    let before = r.ok("/export");
    let e = r.run("/ip vrf add name=x interfaces=ether9").unwrap_err();
    assert!(
        e.starts_with("line 1, column 20:") && e.contains("no such interface"),
        "{e}"
    );
    let e = r.run("/ip vrf add name=x").unwrap_err();
    assert!(e.contains("missing mandatory parameter interfaces"), "{e}");
    let e = r.run("/ip vfr print").unwrap_err();
    assert!(e.contains("unknown menu or command \"vfr\""), "{e}");
    let e = r.run("/ip route add gateway=1.2.3.4 di=5").unwrap_err();
    assert!(e.contains("ambiguous parameter \"di\""), "{e}");
    let e = r
        .run("/ip route add gateway=1.2.3.4 distance=300")
        .unwrap_err();
    assert!(e.contains("integer 1..255"), "{e}");
    let e = r
        .run("/ip route add gateway=1.2.3.4 routing-table=nope")
        .unwrap_err();
    assert!(e.contains("no such routing table"), "{e}");
    let e = r
        .run("/ip firewall mangle add chain=prerouting action=mark-routing new-routing-mark=nope")
        .unwrap_err();
    assert!(e.contains("no such routing table"), "{e}");
    let e = r
        .run("/ip vrf\nadd name=a interfaces=ether1\nadd name=b interfaces=bad")
        .unwrap_err();
    assert!(e.starts_with("line 3,"), "{e}");
    // The first add of that script ran; the failing one changed nothing.
    assert!(r.ok("/ip vrf print").contains("name=\"a\""));
    r.ok("/ip vrf remove [find name=a]");
    assert_eq!(r.ok("/export"), before);
}

#[test]
fn abbreviations_where_get_find() {
    let mut r = R::new(2);
    r.ok("/ip ro ad dst-address=10.0.0.0/8 gateway=1.1.1.1 dist=5; /ip route add dst-address=10.1.0.0/16 gateway=ether1");
    assert_eq!(r.ok("/ip route print count-only where distance>1"), "1\n");
    assert_eq!(
        r.ok("/ip route get [find where dst-address=10.0.0.0/8] gateway"),
        "1.1.1.1\n"
    );
    assert_eq!(
        r.ok("/ip route find where dst-address in 10.0.0.0/8"),
        "*1;*2\n"
    );
    r.ok("/ip route disable 0");
    let p = r.ok("/ip route print");
    assert!(p.contains("\n0  Xs   10.0.0.0/8"), "{p}");
    r.ok("/ip route comment 1 comment=\"to ether one\"");
    assert!(r.ok("/ip route print detail").contains(";;; to ether one"));
    r.ok("/ip route set 1 !gateway gateway=ether2");
    assert_eq!(r.ok("/ip route get 1 gateway"), "ether2\n");
    assert_eq!(r.ok("/system identity print"), "  name: rspe\n");
    r.ok("/system identity set name=PE1");
    assert_eq!(r.ok("/system identity get name"), "PE1\n");
}

#[test]
fn export_loads_back_identically() {
    let mut r = R::new(3);
    r.ok(r#"/interface ethernet set [ find default-name=ether3 ] name=public
/interface bridge add name=lo0
/ip vrf add name=v1 interfaces=ether1 place-before 0
/ip address add address=10.0.0.1/24 interface=ether1 comment="customer one"
/ip route add dst-address=5.5.5.0/24 gateway=10.3.0.1@main routing-table=v1
/routing table add name=t1 fib
/ip firewall mangle add chain=prerouting action=mark-routing new-routing-mark=t1 passthrough=no
/routing bgp template set default as=65000 address-families=ip,vpn4
/routing bgp connection add name=pe2 remote.address=10.5.5.3 .as=65000 local.address=10.5.5.2 .role=ibgp templates=default
/routing bgp vpn add vrf=v1 route-distinguisher=1.1.1.1:111 import.route-targets=1.1.1.1:111 export.route-targets=1.1.1.1:111 export.redistribute=connected
/routing ospf instance add name=o1 vrf=v1 routing-table=v1 redistribute=connected,copy
/routing ospf area add name=a0 instance=o1
/routing ospf interface-template add area=a0 networks=10.0.0.0/24 passive
/mpls settings set dynamic-label-range=10000-19999
/system identity set name="PE one"
"#);
    let e1 = r.ok("/export");
    assert!(e1.contains("/routing bgp connection\nadd disabled=no local.address=10.5.5.2 .role=ibgp name=pe2 \\\n    remote.address=10.5.5.3 .as=65000 templates=default\n"), "{e1}");
    assert!(
        e1.contains("set [ find default-name=ether3 ] name=public"),
        "{e1}"
    );
    assert!(
        e1.contains("add interfaces=ether1 name=v1 place-before=main"),
        "{e1}"
    );
    assert!(e1.contains("set default afi=ip,vpnv4 as=65000"), "{e1}");
    let mut r2 = R::new(3);
    r2.ok(&e1);
    assert_eq!(r2.ok("/export"), e1);
    let v = r2.ok("/export verbose");
    let mut r3 = R::new(3);
    r3.ok(&v);
    assert_eq!(r3.ok("/export"), e1);
    let t = r2.ok("/export terse");
    let mut r4 = R::new(3);
    r4.ok(&t);
    assert_eq!(r4.ok("/export"), e1);
}

#[test]
fn seed_leaking_block_with_tunnels_exports_and_loads_back() {
    let mut r = R::new(2);
    r.ok(r#"/interface bridge
add name=dummy_custC
add name=dummy_custB
add name=lo1
add name=lo2
/ip address
add address=111.255.255.1 interface=lo1 network=111.255.255.1
add address=111.255.255.2 interface=lo2 network=111.255.255.2
add address=172.16.1.0/24 interface=dummy_custC network=172.16.1.0
add address=172.16.2.0/24 interface=dummy_custB network=172.16.2.0
/interface ipip
add local-address=111.255.255.1 name=ipip-tunnel1 remote-address=111.255.255.2
add local-address=111.255.255.2 name=ipip-tunnel2 remote-address=111.255.255.1
/ip address
add address=192.168.1.1/24 interface=ipip-tunnel1 network=192.168.1.0
add address=192.168.1.2/24 interface=ipip-tunnel2 network=192.168.1.0
/ip vrf
add interfaces=ipip-tunnel1,dummy_custC name=custC
add interfaces=ipip-tunnel2,dummy_custB name=custB
/interface gre add name=gre1 local-address=10.0.0.1 remote-address=10.0.0.2@custB key=7 keepalive=1s,3 dscp=46 dont-fragment=inherit
"#);
    let print = r.ok("/interface ipip print");
    assert!(
        print.contains("ipip-tunnel1  auto        1480  111.255.255.1  111.255.255.2"),
        "{print}"
    );
    assert!(r
        .ok("/interface print")
        .contains("ipip-tunnel2  ipip-tunnel"));
    assert!(r
        .ok("/interface gre print detail")
        .contains("actual-mtu=1472"));
    let e1 = r.ok("/export");
    assert!(
        e1.contains(
            "/interface gre\nadd dont-fragment=inherit dscp=46 keepalive=1s,3 key=7 local-address=10.0.0.1 \\\n    name=gre1 remote-address=10.0.0.2@custB\n"
        ),
        "{e1}"
    );
    // Tunnels come before the VRFs that list them.
    assert!(e1.find("/interface ipip").unwrap() < e1.find("/ip vrf").unwrap());
    let mut r2 = R::new(2);
    r2.ok(&e1);
    assert_eq!(r2.ok("/export"), e1);
    // Keepalives off.
    r.ok(r#"/interface ipip set ipip-tunnel1 keepalive="""#);
    assert!(
        r.ok("/export").contains("keepalive=\"\""),
        "keepalive off is exported"
    );
    // The underlay's VRF follows a rename.
    r.ok("/ip vrf set custB name=custB2");
    assert!(r
        .ok("/interface gre print detail")
        .contains("remote-address=10.0.0.2@custB2"));
    // Bad values are refused with what was expected, and change nothing.
    for (cmd, want) in [
        (
            "/interface ipip add name=x remote-address=1.2.3.999",
            "expected an IPv4 address",
        ),
        (
            "/interface ipip add name=x remote-address=1.2.3.4@",
            "expected an IPv4 address",
        ),
        (
            "/interface ipip add name=x remote-address=1.2.3.4 keepalive=0s,3",
            "interval,retries",
        ),
        (
            "/interface gre add name=x remote-address=1.2.3.4 dscp=64",
            "inherit or an integer 0..63",
        ),
        (
            "/interface ipip add name=x remote-address=1.2.3.4 mtu=big",
            "auto or an integer",
        ),
        (
            "/interface ipip add name=x remote-address=1.2.3.4 ipsec-secret=s3cret",
            "IPsec",
        ),
        (
            "/interface ipip add name=lo1 remote-address=1.2.3.4",
            "already taken",
        ),
    ] {
        let e = r.run(cmd).unwrap_err();
        assert!(e.contains(want), "{cmd}: {e}");
    }
    assert!(!r.ok("/interface print").contains(" x "));
}

#[test]
fn layer2_tunnels_export_and_load_back() {
    let mut r = R::new(2);
    r.ok(r#"/interface eoip add name=eoip1 local-address=10.0.0.1 remote-address=10.0.0.2@wan tunnel-id=300
/interface eoip add name=eoip2 remote-address=10.0.0.3 tunnel-id=301 mac-address=02:aa:bb:cc:dd:ee keepalive=""
/interface vxlan add name=vx1 vni=5000 local-address=10.0.0.1 vrf=wan
/interface vxlan vteps add interface=vx1 remote-ip=10.0.0.2
/interface vxlan vteps add interface=vx1 remote-ip=10.0.0.3 port=8472
/ip vrf add name=wan interfaces=ether1
/ip vrf add name=cust interfaces=ether2,eoip1,vx1
/ip address add address=10.9.9.1/24 interface=eoip1
"#);
    let print = r.ok("/interface eoip print");
    assert!(
        print.contains("eoip1  auto        1458  02:4C:45:"),
        "{print}"
    );
    assert!(print.contains("02:AA:BB:CC:DD:EE"), "{print}");
    let vx = r.ok("/interface vxlan print");
    assert!(vx.contains("vx1   auto        1450"), "{vx}");
    assert!(r
        .ok("/interface vxlan vteps print")
        .contains("vx1        10.0.0.3   8472"));
    let all = r.ok("/interface print");
    assert!(all.contains("eoip1") && all.contains("eoip-tunnel") && all.contains("vxlan"));
    let e1 = r.ok("/export");
    assert!(e1.contains("/interface eoip\nadd "), "{e1}");
    assert!(
        e1.contains("/interface vxlan vteps\nadd interface=vx1 remote-ip=10.0.0.2\n"),
        "{e1}"
    );
    // Tunnels come before the VRFs that list them, VTEPs after their interface.
    assert!(e1.find("/interface eoip").unwrap() < e1.find("/ip vrf").unwrap());
    assert!(e1.find("/interface vxlan\n").unwrap() < e1.find("/interface vxlan vteps").unwrap());
    let mut r2 = R::new(2);
    r2.ok(&e1);
    assert_eq!(r2.ok("/export"), e1);
    // The underlay VRF follows a rename; a VRF in use is not removed.
    r.ok("/ip vrf set wan name=wan2");
    assert!(r.ok("/interface vxlan print detail").contains("vrf=wan2"));
    assert!(r.run("/ip vrf remove wan2").is_err());
    for (cmd, want) in [
        ("/interface eoip add name=x remote-address=1.2.3.4", "tunnel-id"),
        (
            "/interface eoip add name=x remote-address=1.2.3.4 tunnel-id=70000",
            "0..65535",
        ),
        (
            "/interface eoip add name=x remote-address=1.2.3.4 tunnel-id=1 mac-address=01:00:00:00:00:01",
            "unicast MAC",
        ),
        ("/interface vxlan add name=x vni=0", "1..16777215"),
        ("/interface vxlan add name=x", "vni"),
        (
            "/interface vxlan vteps add interface=eoip1 remote-ip=1.2.3.4",
            "not a VXLAN interface",
        ),
        (
            "/interface vxlan add name=x vni=5 group=239.0.0.1",
            "group",
        ),
    ] {
        let e = r.run(cmd).unwrap_err();
        assert!(e.contains(want), "{cmd}: {e}");
    }
}

#[test]
fn address_lists_and_tracking_settings_are_exported() {
    let mut r = R::new(1);
    r.ok("/ip firewall address-list add list=nets address=10.1.0.0/16");
    r.ok("/ip firewall connection tracking set udp-timeout=45s");
    let e1 = r.ok("/export");
    assert!(
        e1.contains("/ip firewall address-list\nadd address=10.1.0.0/16 list=nets\n"),
        "{e1}"
    );
    assert!(
        e1.contains("/ip firewall connection tracking\nset udp-timeout=45s\n"),
        "{e1}"
    );
    let mut r2 = R::new(1);
    r2.ok(&e1);
    assert_eq!(r2.ok("/export"), e1);
}
