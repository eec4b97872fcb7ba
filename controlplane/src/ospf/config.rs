//! What an OSPF instance runs with, read from `/routing ospf instance`, `area` and
//! `interface-template` and the plan (addresses, VRFs, tables).

use super::area::{AreaConfig, AreaKind, Range, Translator};
use crate::config::store::{m, Item, Store};
use crate::plan::Plan;
use crate::rib::Source;
pub use crate::system::speaker::Inactive;
use shared::types::{Prefix4, TableId};
use std::net::Ipv4Addr;

/// Authentication on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfAuth {
    /// None.
    None,
    /// A simple password (8 bytes at most).
    Simple([u8; 8]),
    /// MD5 with a key id.
    Md5 {
        /// `auth-id`.
        key_id: u8,
        /// `auth-key`.
        key: Vec<u8>,
    },
}

/// One interface the instance runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfConfig {
    /// Its interface id (a port, or a loopback from `LOOPBACK_BASE`).
    pub port: u16,
    /// Its name.
    pub name: String,
    /// Its address and prefix length.
    pub addr: (u32, u8),
    /// Its IP MTU.
    pub mtu: u16,
    /// The area id.
    pub area: u32,
    /// The area's name (`/routing ospf area`), as prints show it.
    pub area_name: String,
    /// Point-to-point (else broadcast).
    pub ptp: bool,
    /// Cost.
    pub cost: u16,
    /// Router priority.
    pub priority: u8,
    /// HelloInterval (s).
    pub hello: u16,
    /// RouterDeadInterval (s).
    pub dead: u32,
    /// RxmtInterval (s).
    pub rxmt: u16,
    /// Passive: advertised, no Hellos (loopbacks are always).
    pub passive: bool,
    /// Authentication.
    pub auth: IfAuth,
}

/// One OSPF instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// Its item id.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its VRF.
    pub vrf: String,
    /// The VRF's number.
    pub vrf_id: usize,
    /// The table it installs into (`routing-table`, else the VRF's).
    pub table: TableId,
    /// The table whose routes it redistributes and whose interfaces it uses (the VRF's).
    pub vrf_table: TableId,
    /// Router id.
    pub router_id: u32,
    /// Sources it redistributes as AS-external routes.
    pub redistribute: Vec<Source>,
    /// `originate-default`: `always`, `if-installed` or `never`.
    pub originate_default: String,
    /// Its interfaces.
    pub interfaces: Vec<IfConfig>,
    /// Its areas that have interfaces, by id.
    pub areas: std::collections::BTreeMap<u32, AreaConfig>,
}

fn secs(v: Option<&str>, default: u32) -> u32 {
    v.and_then(crate::config::value::time)
        .map(|ms| (ms / 1000).clamp(1, 65_535) as u32)
        .unwrap_or(default)
}

fn ip(v: &str) -> Option<u32> {
    v.parse::<Ipv4Addr>().ok().map(u32::from)
}

/// The interface template `t` (of `menu`) as it applies to an interface named `name` with
/// address `addr`.
fn matches(t: &Item, menu: usize, name: &str, addr: (u32, u8)) -> bool {
    let by_name = t
        .get(menu, "interfaces")
        .is_some_and(|l| l.split(',').any(|n| n == name || n == "all"));
    let by_net = t.get(menu, "networks").is_some_and(|l| {
        l.split(',').any(|p| {
            p.parse::<Prefix4>()
                .is_ok_and(|p| p.contains(addr.0) && addr.1 >= p.len())
        })
    });
    by_name || by_net
}

/// The interfaces of VRF `vrf_id` that a template of the instance (areas `areas`) matches.
fn interfaces_of(
    store: &Store,
    plan: &Plan,
    vrf_id: usize,
    areas: &[(String, u32)],
) -> Vec<IfConfig> {
    let tm = m(&["routing", "ospf", "interface-template"]);
    let in_vrf = |v: shared::types::VrfId| usize::from(v.0) == vrf_id;
    let mut interfaces = Vec::new();
    let ifaces = plan
        .ports
        .iter()
        .filter(|p| p.enabled && in_vrf(p.vrf))
        .map(|p| (p.id, p.name.clone(), p.addrs.clone(), p.mtu, false))
        .chain(
            plan.loopbacks
                .iter()
                .filter(|l| l.enabled && in_vrf(l.vrf))
                .map(|l| (l.id, l.name.clone(), l.addrs.clone(), 1500, true)),
        );
    let templates = store.items(tm);
    for (port, ifname, addrs, mtu, loopback) in ifaces {
        for &addr in &addrs {
            // The first template of this instance's areas: templates of other instances
            // (the seed's leaking example has one per VRF on the same networks) do not
            // hide it.
            let area_of = |t: &Item| {
                areas
                    .iter()
                    .find(|(n, _)| Some(n.as_str()) == t.get(tm, "area"))
            };
            let Some((t, (area_name, area))) = templates
                .iter()
                .filter(|t| !t.disabled())
                .filter(|t| matches(t, tm, &ifname, addr))
                .find_map(|t| Some((t, area_of(t)?)))
            else {
                continue;
            };
            let auth = auth_of(t, tm);
            let num = |k: &str, d: u32| t.get(tm, k).and_then(|v| v.parse().ok()).unwrap_or(d);
            interfaces.push(IfConfig {
                port,
                name: ifname.clone(),
                addr,
                mtu,
                area: *area,
                area_name: area_name.clone(),
                ptp: t.get(tm, "type") == Some("ptp") || addr.1 >= 31,
                cost: num("cost", 1) as u16,
                priority: num("priority", 128) as u8,
                hello: secs(t.get(tm, "hello-interval"), 10) as u16,
                dead: secs(t.get(tm, "dead-interval"), 40),
                rxmt: secs(t.get(tm, "retransmit-interval"), 5) as u16,
                passive: loopback || t.get(tm, "passive") == Some("yes"),
                auth,
            });
        }
    }
    interfaces
}

/// The authentication a template asks for.
fn auth_of(t: &Item, tm: usize) -> IfAuth {
    match t.get(tm, "auth") {
        Some("simple") => {
            let mut k = [0u8; 8];
            let key = t.get(tm, "auth-key").unwrap_or("").as_bytes();
            let n = key.len().min(8);
            k[..n].copy_from_slice(&key[..n]);
            IfAuth::Simple(k)
        }
        Some("md5") => IfAuth::Md5 {
            key_id: t
                .get(tm, "auth-id")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            key: t.get(tm, "auth-key").unwrap_or("").as_bytes().to_vec(),
        },
        _ => IfAuth::None,
    }
}

/// Every enabled instance: those that can run, and those that cannot with why.
pub fn instances(store: &Store, plan: &Plan) -> (Vec<InstanceConfig>, Vec<Inactive>) {
    let im = m(&["routing", "ospf", "instance"]);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for it in store.items(im).iter().filter(|i| !i.disabled()) {
        let fail = |why: String| Inactive { id: it.id, why };
        let name = it.values.get("name").cloned().unwrap_or_default();
        if it.get(im, "version") == Some("3") {
            bad.push(fail("version 3 (OSPFv3) is not built".into()));
            continue;
        }
        let vrf = it.get(im, "vrf").unwrap_or("main").to_owned();
        let Some(vrf_id) = plan.vrfs.iter().position(|v| *v == vrf) else {
            bad.push(fail(format!("VRF {vrf} does not exist")));
            continue;
        };
        let vrf_table = plan.vrf_table[vrf_id];
        let table = match it.get(im, "routing-table") {
            Some(t) => match plan.tables.iter().position(|x| x == t) {
                Some(i) => TableId(i as u16),
                None => {
                    bad.push(fail(format!("routing table {t} does not exist")));
                    continue;
                }
            },
            None => vrf_table,
        };
        let router_id = match it.get(im, "router-id").and_then(ip) {
            Some(id) => Some(id),
            None => plan.auto_id(vrf_id),
        };
        let Some(router_id) = router_id else {
            bad.push(fail("no router id: no address to take one from".into()));
            continue;
        };
        let (areas, area_cfgs) = areas_of(store, &name);
        let interfaces = interfaces_of(store, plan, vrf_id, &areas);
        let areas = area_cfgs
            .into_iter()
            .filter(|a| interfaces.iter().any(|i| i.area == a.id))
            .map(|a| (a.id, a))
            .collect();
        let redistribute = it
            .get(im, "redistribute")
            .unwrap_or("")
            .split(',')
            .filter_map(|s| match s {
                "connected" => Some(Source::Connected),
                "static" => Some(Source::Static),
                "bgp" => Some(Source::Bgp),
                "copy" | "bgp-mpls-vpn" | "vpn" => Some(Source::BgpVpn),
                _ => None,
            })
            .collect();
        ok.push(InstanceConfig {
            id: it.id,
            name,
            vrf,
            vrf_id,
            table,
            vrf_table,
            router_id,
            redistribute,
            originate_default: it
                .get(im, "originate-default")
                .unwrap_or("never")
                .to_owned(),
            interfaces,
            areas,
        });
    }
    (ok, bad)
}

/// The areas of instance `name`: (area name, id) pairs for the templates, and each area's
/// configuration with its ranges.
fn areas_of(store: &Store, name: &str) -> (Vec<(String, u32)>, Vec<AreaConfig>) {
    let am = m(&["routing", "ospf", "area"]);
    let rm = m(&["routing", "ospf", "area", "range"]);
    let (mut names, mut cfgs) = (Vec::new(), Vec::new());
    for a in store.items(am).iter().filter(|a| !a.disabled()) {
        if a.get(am, "instance") != Some(name) {
            continue;
        }
        let (Some(id), Some(area_name)) = (
            ip(a.get(am, "area-id").unwrap_or("0.0.0.0")),
            a.values.get("name"),
        ) else {
            continue;
        };
        let kind = match a.get(am, "type") {
            Some("stub") => AreaKind::Stub,
            Some("nssa") => AreaKind::Nssa,
            _ => AreaKind::Normal,
        };
        let ranges = store
            .items(rm)
            .iter()
            .filter(|r| !r.disabled() && r.get(rm, "area") == Some(area_name.as_str()))
            .filter_map(|r| {
                Some(Range {
                    prefix: r.get(rm, "prefix")?.parse().ok()?,
                    advertise: r.get(rm, "advertise") != Some("no"),
                    cost: r.get(rm, "cost").and_then(|c| c.parse().ok()),
                })
            })
            .collect();
        names.push((area_name.clone(), id));
        cfgs.push(AreaConfig {
            id,
            kind,
            no_summaries: a.get(am, "no-summaries") == Some("yes"),
            default_cost: a
                .get(am, "default-cost")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1),
            translator: match a.get(am, "nssa-translator") {
                Some("yes") => Translator::Always,
                Some("no") => Translator::Never,
                _ => Translator::Candidate,
            },
            ranges,
        });
    }
    (names, cfgs)
}
