//! The store's rules: built-ins, references, renames, failed changes.

use super::*;

fn store() -> Store {
    Store::new(&[
        PortDesc {
            default_name: "ether1".into(),
            mac: "02:00:00:00:00:01".into(),
            driver: "net_null".into(),
        },
        PortDesc {
            default_name: "ether2".into(),
            mac: "02:00:00:00:00:02".into(),
            driver: "net_null".into(),
        },
    ])
}

#[test]
fn every_path_used_here_exists() {
    for p in [
        &["interface", "ethernet"][..],
        &["interface", "bridge"],
        &["ip", "vrf"],
        &["routing", "table"],
        &["ip", "service"],
        &["routing", "bgp", "template"],
        &["system", "identity"],
        &["mpls", "ldp"],
        &["routing", "ospf", "instance"],
        &["routing", "ospf", "area"],
    ] {
        assert!(menu_index(p).is_some(), "{p:?}");
    }
}

#[test]
fn vrf_owns_a_dynamic_table_and_main_is_builtin() {
    let mut s = store();
    let vrf = m(&["ip", "vrf"]);
    let t = m(&["routing", "table"]);
    let id = s
        .add(
            vrf,
            vals(&[("name", "cust"), ("interfaces", "ether1")]),
            Some(0),
        )
        .unwrap();
    assert_eq!(s.items(vrf)[0].values["name"], "cust");
    assert!(s
        .items(t)
        .iter()
        .any(|i| i.dynamic && i.values["name"] == "cust"));
    s.set(vrf, &[id], &vals(&[("name", "cust2")]), &[]).unwrap();
    assert!(s.items(t).iter().any(|i| i.values["name"] == "cust2"));
    let main = s.items(vrf)[1].id;
    assert!(s.remove(vrf, &[main]).unwrap_err().contains("builtin"));
    s.remove(vrf, &[id]).unwrap();
    assert_eq!(s.items(t).len(), 1);
    assert!(s
        .add(vrf, vals(&[("name", "main"), ("interfaces", "all")]), None)
        .is_err());
}

#[test]
fn a_new_address_brings_its_network() {
    let mut s = store();
    let a = m(&["ip", "address"]);
    let id = s
        .add(
            a,
            vals(&[("address", "10.1.0.1/24"), ("interface", "ether1")]),
            None,
        )
        .unwrap();
    assert_eq!(s.item(a, id).unwrap().values["network"], "10.1.0.0");
    s.set(a, &[id], &vals(&[("address", "192.168.7.9/16")]), &[])
        .unwrap();
    assert_eq!(s.item(a, id).unwrap().values["network"], "192.168.0.0");
    s.set(a, &[id], &vals(&[("network", "192.168.5.0")]), &[])
        .unwrap();
    assert_eq!(
        s.item(a, id).unwrap().values["network"],
        "192.168.5.0",
        "given: kept"
    );
}

#[test]
fn failed_changes_change_nothing() {
    let mut s = store();
    let before = s.clone();
    let eth = m(&["interface", "ethernet"]);
    let ids: Vec<u32> = s.items(eth).iter().map(|i| i.id).collect();
    assert!(s.set(eth, &ids, &vals(&[("name", "x")]), &[]).is_err());
    assert!(s
        .set(eth, &[ids[0]], &vals(&[("name", "ether2")]), &[])
        .is_err());
    assert_eq!(s, before);
}

#[test]
fn renames_follow_references_and_used_items_stay() {
    let mut s = store();
    let vrf = m(&["ip", "vrf"]);
    let eth = m(&["interface", "ethernet"]);
    let id = s
        .add(
            vrf,
            vals(&[("name", "v"), ("interfaces", "ether1,ether2")]),
            None,
        )
        .unwrap();
    let e1 = s.items(eth)[0].id;
    s.set(eth, &[e1], &vals(&[("name", "public")]), &[])
        .unwrap();
    assert_eq!(
        s.item(vrf, id).unwrap().values["interfaces"],
        "public,ether2"
    );
    let route = m(&["ip", "route"]);
    s.add(
        route,
        vals(&[("gateway", "10.0.0.1@v"), ("routing-table", "v")]),
        None,
    )
    .unwrap();
    assert!(s
        .remove(vrf, &[id])
        .unwrap_err()
        .contains("in use by /ip route"));
}
