//! `/routing bgp connection` and `template` resolved into what a session runs with:
//! a connection's own values first, then its templates' (in order, recursively), then
//! the defaults of RouterOS v7.

use crate::config::menus::MENUS;
use crate::config::store::{m, Item, Store};
use crate::config::value;
use crate::plan::Plan;
use shared::types::TableId;
use std::net::Ipv4Addr;

/// `local.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `ibgp`.
    Ibgp,
    /// `ibgp-rr`: a route reflector's client side.
    IbgpRr,
    /// `ebgp` and the RFC 9234 roles.
    Ebgp,
}

/// `nexthop-choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHopChoice {
    /// RFC 4271: self towards eBGP, unchanged towards iBGP.
    Default,
    /// Always self.
    ForceSelf,
    /// Never self.
    Propagate,
}

/// `output.default-originate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultOriginate {
    /// Never.
    Never,
    /// When the table has an active default route.
    IfInstalled,
    /// Always.
    Always,
}

/// A connection, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerConfig {
    /// The connection's name.
    pub name: String,
    /// `remote.address`.
    pub remote: Ipv4Addr,
    /// `remote.port`.
    pub remote_port: u16,
    /// `remote.as`: only this AS is accepted (learnt from OPEN when unset).
    pub remote_as: Option<u32>,
    /// `local.address`: the update source.
    pub local_address: Option<Ipv4Addr>,
    /// `local.port`.
    pub local_port: u16,
    /// `local.role`.
    pub role: Role,
    /// `as`.
    pub local_as: u32,
    /// The BGP identifier.
    pub router_id: u32,
    /// Hold time offered, seconds (0: infinity).
    pub hold_time: u16,
    /// Keepalive interval, seconds (`None`: a third of the hold time).
    pub keepalive: Option<u16>,
    /// `multihop`.
    pub multihop: bool,
    /// `nexthop-choice`.
    pub nexthop_choice: NextHopChoice,
    /// The VRF (`main` by default): where the socket lives.
    pub vrf: String,
    /// Its number in the plan.
    pub vrf_id: usize,
    /// The routing table routes go to and come from.
    pub table: TableId,
    /// `connect`.
    pub connect: bool,
    /// `listen`.
    pub listen: bool,
    /// `tcp-md5-key`.
    pub md5: Option<String>,
    /// `afi` contains `ip`.
    pub ipv4: bool,
    /// `afi` contains `vpnv4`.
    pub vpnv4: bool,
    /// `output.redistribute`.
    pub redistribute: Vec<String>,
    /// `output.network`: an `/ip firewall address-list` whose prefixes are each advertised
    /// (ORIGIN igp) while the table has an active route of exactly that prefix. The lists'
    /// contents go to the instance apart ([`address_lists`]): editing a list does not
    /// restart the sessions.
    pub network: Option<String>,
    /// `output.default-originate`.
    pub default_originate: DefaultOriginate,
    /// `input.allow-as`.
    pub allow_as: u8,
    /// `input.limit-process-routes-ipv4`: more prefixes than this stop the session.
    pub limit_v4: Option<u32>,
    /// `input.ignore-as-path-len`.
    pub ignore_as_path_len: bool,
    /// `output.keep-sent-attributes`.
    pub keep_sent: bool,
    /// `output.default-prepend`.
    pub default_prepend: u8,
    /// `output.remove-private-as`.
    pub remove_private_as: bool,
    /// `output.as-override`.
    pub as_override: bool,
    /// `output.no-client-to-client-reflection`.
    pub no_c2c_reflection: bool,
}

impl PeerConfig {
    /// Whether the peer is in another AS (by role).
    pub fn ebgp(&self) -> bool {
        self.role == Role::Ebgp
    }
}

/// A connection that cannot run, with why (printed as inactive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    /// The connection's name.
    pub name: String,
    /// Why.
    pub why: String,
}

struct Lookup<'a> {
    store: &'a Store,
    conn_menu: usize,
    tmpl_menu: usize,
    item: &'a Item,
}

impl Lookup<'_> {
    /// The item's own value, then its templates', then the default.
    fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.item.values.get(name) {
            return Some(v.clone());
        }
        let mut seen = Vec::new();
        if let Some(v) = self.inherited(self.item, self.conn_menu, name, &mut seen) {
            return Some(v);
        }
        MENUS[self.conn_menu]
            .param(name)
            .and_then(|p| p.default)
            .map(str::to_owned)
    }

    fn inherited(
        &self,
        item: &Item,
        menu: usize,
        name: &str,
        seen: &mut Vec<String>,
    ) -> Option<String> {
        let list = item
            .values
            .get("templates")
            .cloned()
            .or_else(|| (menu == self.conn_menu).then(|| "default".to_owned()))?;
        for t in list.split(',').filter(|t| !t.is_empty()) {
            if seen.iter().any(|s| s == t) || seen.len() > 16 {
                continue;
            }
            seen.push(t.to_owned());
            let items = self.store.items(self.tmpl_menu);
            let Some(ti) = items
                .iter()
                .find(|i| i.values.get("name").map(String::as_str) == Some(t))
            else {
                continue;
            };
            if ti.disabled() {
                continue;
            }
            if let Some(v) = ti.values.get(name) {
                return Some(v.clone());
            }
            if ti.values.contains_key("templates") {
                if let Some(v) = self.inherited(ti, self.tmpl_menu, name, seen) {
                    return Some(v);
                }
            }
        }
        None
    }
}

fn secs(v: &str) -> Option<u16> {
    if v == "infinity" {
        return Some(0);
    }
    value::time(v).map(|ms| u16::try_from(ms / 1000).unwrap_or(u16::MAX))
}

/// Every enabled connection of the configuration: those that can run, and those that
/// cannot with why.
pub fn peers(store: &Store, plan: &Plan) -> (Vec<PeerConfig>, Vec<Inactive>) {
    let conn_menu = m(&["routing", "bgp", "connection"]);
    let tmpl_menu = m(&["routing", "bgp", "template"]);
    let id_menu = m(&["routing", "id"]);
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for item in store.items(conn_menu).iter() {
        if item.disabled() {
            continue;
        }
        let l = Lookup {
            store,
            conn_menu,
            tmpl_menu,
            item,
        };
        let name = l.get("name").unwrap_or_default();
        let fail = |why: &str| Inactive {
            name: name.clone(),
            why: why.to_owned(),
        };
        let remote = match l
            .get("remote.address")
            .as_deref()
            .map(str::parse::<Ipv4Addr>)
        {
            Some(Ok(a)) => a,
            _ => {
                bad.push(fail(
                    "remote.address is a prefix or not IPv4: dynamic peers are not served",
                ));
                continue;
            }
        };
        let Some(local_as) = l.get("as").and_then(|a| a.parse::<u32>().ok()) else {
            bad.push(fail("no AS: set as= on the connection or a template"));
            continue;
        };
        let role = match l.get("local.role").as_deref() {
            Some("ibgp") => Role::Ibgp,
            Some("ibgp-rr") => Role::IbgpRr,
            Some(_) => Role::Ebgp,
            None => {
                bad.push(fail("local.role is mandatory"));
                continue;
            }
        };
        let vrf = l.get("vrf").unwrap_or_else(|| "main".into());
        let Some(vrf_id) = plan.vrfs.iter().position(|v| *v == vrf) else {
            bad.push(fail(&format!("VRF {vrf} is not configured")));
            continue;
        };
        let table = match l.get("routing-table") {
            Some(t) => match plan.tables.iter().position(|x| *x == t) {
                Some(i) => TableId(i as u16),
                None => {
                    bad.push(fail(&format!("routing table {t} does not exist")));
                    continue;
                }
            },
            None => plan.vrf_table.get(vrf_id).copied().unwrap_or(TableId::MAIN),
        };
        let rid_text = l.get("router-id");
        let router_id = match rid_text.as_deref().map(|r| (r, r.parse::<Ipv4Addr>())) {
            Some((_, Ok(ip))) => Some(u32::from(ip)),
            Some((idname, Err(_))) => store
                .items(id_menu)
                .iter()
                .find(|i| i.values.get("name").map(String::as_str) == Some(idname))
                .and_then(|i| i.values.get("id"))
                .and_then(|a| a.parse::<Ipv4Addr>().ok())
                .map(u32::from)
                .or_else(|| plan.auto_id(vrf_id)),
            None => plan.auto_id(vrf_id),
        };
        let Some(router_id) = router_id else {
            bad.push(fail(
                "no router id: no address to take one from; set router-id=",
            ));
            continue;
        };
        let afi = l.get("afi").unwrap_or_else(|| "ip".into());
        let afis: Vec<&str> = afi.split(',').collect();
        let yes = |k: &str| l.get(k).as_deref() == Some("yes");
        ok.push(PeerConfig {
            name: name.clone(),
            remote,
            remote_port: l
                .get("remote.port")
                .and_then(|p| p.parse().ok())
                .unwrap_or(179),
            remote_as: l.get("remote.as").and_then(|a| a.parse().ok()),
            local_address: l.get("local.address").and_then(|a| a.parse().ok()),
            local_port: l
                .get("local.port")
                .and_then(|p| p.parse().ok())
                .unwrap_or(179),
            role,
            local_as,
            router_id,
            hold_time: l.get("hold-time").and_then(|h| secs(&h)).unwrap_or(180),
            keepalive: l.get("keepalive-time").and_then(|h| secs(&h)),
            multihop: yes("multihop"),
            nexthop_choice: match l.get("nexthop-choice").as_deref() {
                Some("force-self") => NextHopChoice::ForceSelf,
                Some("propagate") => NextHopChoice::Propagate,
                _ => NextHopChoice::Default,
            },
            vrf,
            vrf_id,
            table,
            connect: l.get("connect").as_deref() != Some("no"),
            listen: l.get("listen").as_deref() != Some("no"),
            md5: l.get("tcp-md5-key").filter(|k| !k.is_empty()),
            ipv4: afis.contains(&"ip"),
            vpnv4: afis.contains(&"vpnv4"),
            redistribute: l
                .get("output.redistribute")
                .map(|r| r.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            default_originate: match l.get("output.default-originate").as_deref() {
                Some("always") => DefaultOriginate::Always,
                Some("if-installed") => DefaultOriginate::IfInstalled,
                _ => DefaultOriginate::Never,
            },
            allow_as: l
                .get("input.allow-as")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            limit_v4: l
                .get("input.limit-process-routes-ipv4")
                .and_then(|a| a.parse().ok()),
            ignore_as_path_len: yes("input.ignore-as-path-len"),
            keep_sent: yes("output.keep-sent-attributes"),
            default_prepend: l
                .get("output.default-prepend")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            remove_private_as: yes("output.remove-private-as"),
            as_override: yes("output.as-override"),
            no_c2c_reflection: yes("output.no-client-to-client-reflection"),
            network: l.get("output.network").filter(|n| !n.is_empty()),
        });
    }
    (ok, bad)
}

/// The prefixes (and addresses, as /32) of every enabled `/ip firewall address-list`
/// entry, by list name, sorted.
pub fn address_lists(store: &Store) -> NetworkLists {
    let mut out = NetworkLists::new();
    for it in store.items(m(&["ip", "firewall", "address-list"])).iter() {
        let (Some(list), Some(addr)) = (it.values.get("list"), it.values.get("address")) else {
            continue;
        };
        if it.disabled() {
            continue;
        }
        if let Some(p) = value::prefix(addr).and_then(|p| p.parse().ok()) {
            out.entry(list.clone()).or_default().push(p);
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

/// Address lists by name: what `output.network` names.
pub type NetworkLists = std::collections::BTreeMap<String, Vec<shared::types::Prefix4>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::store_from_config;

    fn store_of(cfg: &str) -> (Store, Plan) {
        let (store, bases) = store_from_config(cfg, 2).unwrap();
        let plan = Plan::from_store(&store, &bases);
        (store, plan)
    }

    #[test]
    fn templates_and_defaults() {
        let (s, p) = store_of(
            "/ip vrf add name=cust interfaces=ether2\n\
             /ip address add address=10.0.0.1/24 interface=ether1\n\
             /ip address add address=10.9.0.1/24 interface=ether2\n\
             /routing bgp template set default as=65000 hold-time=90s\n\
             /routing bgp template add name=t2 templates=default keepalive-time=10s multihop=yes\n\
             /routing bgp connection add name=a remote.address=10.0.0.2 local.role=ibgp\n\
             /routing bgp connection add name=b remote.address=10.9.0.2 remote.as=65009 \
               local.role=ebgp templates=t2 vrf=cust output.redistribute=connected,static\n\
             /routing bgp connection add name=d remote.address=10.0.0.0/24 local.role=ebgp as=1",
        );
        let (ok, bad) = peers(&s, &p);
        assert_eq!(ok.len(), 2, "{ok:?} {bad:?}");
        let a = &ok[0];
        assert_eq!((a.local_as, a.hold_time, a.keepalive), (65000, 90, None));
        assert_eq!(a.router_id, u32::from(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(
            (a.role, a.vrf.as_str(), a.table),
            (Role::Ibgp, "main", TableId::MAIN)
        );
        let b = &ok[1];
        assert_eq!(
            (b.local_as, b.hold_time, b.keepalive),
            (65000, 90, Some(10))
        );
        assert!(b.multihop && b.ebgp());
        assert_eq!(b.remote_as, Some(65009));
        assert_eq!(b.vrf, "cust");
        assert_ne!(b.table, TableId::MAIN);
        assert_eq!(b.router_id, u32::from(Ipv4Addr::new(10, 9, 0, 1)));
        assert_eq!(b.redistribute, ["connected", "static"]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].why.contains("dynamic"));
    }
}
