//! The checks an item passes before it is stored: unique keys and interface names, what
//! one menu requires of its items (a firewall action's parameters, a VTEP's interface),
//! and what may change on built-in items.

use super::{m, menus, Item, Store, MAX_TABLES, MENUS};

impl Store {
    pub(super) fn check_new_table(&self, name: &str) -> Result<(), String> {
        if self.has_name(m(&["routing", "table"]), name) {
            return Err(format!("routing table {name:?} already exists"));
        }
        if self.lists[m(&["routing", "table"])].len() >= MAX_TABLES {
            return Err(format!("at most {MAX_TABLES} routing tables"));
        }
        Ok(())
    }

    pub(super) fn check_builtin_change(
        &self,
        menu: usize,
        old: &Item,
        new: &Item,
    ) -> Result<(), String> {
        let path = MENUS[menu].path;
        let changed = |k: &str| old.values.get(k) != new.values.get(k);
        match path {
            ["ip", "vrf"] if changed("name") || changed("interfaces") => {
                Err("the builtin main VRF cannot be renamed or given other interfaces".into())
            }
            ["routing", "bgp", "template"] if changed("name") => {
                Err("the builtin default template cannot be renamed".into())
            }
            ["ip", "service"] if changed("name") => Err("services cannot be renamed".into()),
            ["ip", "service"]
                if changed("vrf") && old.values.get("name").map(String::as_str) == Some("ftp") =>
            {
                Err("the ftp service does not support a VRF".into())
            }
            ["interface", "ethernet"]
                if changed("default-name") || changed("orig-mac-address") || changed("driver") =>
            {
                Err("default-name, orig-mac-address and driver are read-only".into())
            }
            _ => Ok(()),
        }
    }

    /// Checks one item as it would be stored at `pos` (None: a new item).
    pub(super) fn check(&self, menu: usize, it: &Item, pos: Option<usize>) -> Result<(), String> {
        let def = &MENUS[menu];
        let others = self.lists[menu]
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != pos)
            .map(|(_, x)| x);
        if let Some(key) = def.key {
            if let Some(name) = it.values.get(key) {
                let taken = if key == "name" && pos.is_none() {
                    self.has_name(menu, name)
                } else {
                    others.clone().any(|o| o.values.get(key) == Some(name))
                };
                if taken {
                    return Err(format!("{key} {name:?} already exists"));
                }
            }
        }
        let path = def.path;
        let v = |k: &str| it.values.get(k).map(String::as_str);
        match path {
            _ if menus::is_interface_menu(path) => {
                let name = v("name").unwrap_or("");
                let taken = menus::INTERFACE_MENUS
                    .iter()
                    .map(|&(p, _)| m(p))
                    .any(|other| other != menu && self.has_name(other, name));
                if taken || matches!(name, "all" | "none" | "dynamic" | "static") {
                    return Err(format!("interface name {name:?} is already taken"));
                }
                if path == ["interface", "vlan"] {
                    self.check_vlan(menu, it, pos)?;
                }
            }
            ["interface", "list"] if menus::BUILTIN_LISTS.contains(&v("name").unwrap_or("")) => {
                return Err(format!(
                    "interface list {:?} is built in",
                    v("name").unwrap_or("")
                ));
            }
            ["interface", "list", "member"]
                if menus::BUILTIN_LISTS.contains(&v("list").unwrap_or("")) =>
            {
                return Err(format!(
                    "list {:?} is built in: its members are not chosen",
                    v("list").unwrap_or("")
                ));
            }
            ["interface", "vxlan", "vteps"] => {
                let iface = v("interface").unwrap_or("");
                if !self.has_name(m(&["interface", "vxlan"]), iface) {
                    return Err(format!("{iface:?} is not a VXLAN interface"));
                }
            }
            ["mpls", "ldp"] => {
                let vrf = it.get(menu, "vrf").unwrap_or("main");
                if others
                    .clone()
                    .any(|o| o.get(menu, "vrf").unwrap_or("main") == vrf)
                {
                    return Err(format!("an LDP instance for VRF {vrf:?} already exists"));
                }
            }
            ["ip", "firewall", table] => {
                let action = it.get(menu, "action").unwrap_or("accept");
                let need = |k: &str| -> Result<(), String> {
                    if v(k).is_none() {
                        Err(format!("action={action} needs {k}"))
                    } else {
                        Ok(())
                    }
                };
                match action {
                    "mark-connection" => need("new-connection-mark")?,
                    "mark-routing" => need("new-routing-mark")?,
                    "mark-packet" => need("new-packet-mark")?,
                    "jump" => need("jump-target")?,
                    "src-nat" | "dst-nat" | "netmap"
                        if v("to-addresses").is_none() && v("to-ports").is_none() =>
                    {
                        return Err(format!("action={action} needs to-addresses or to-ports"));
                    }
                    _ => {}
                }
                let chain = v("chain").unwrap_or("");
                let builtin = menus::firewall_chains(path).contains(&chain);
                if builtin {
                    let wrong = match (*table, action) {
                        ("nat", "masquerade" | "src-nat") => chain != "srcnat",
                        ("nat", "dst-nat" | "redirect") => chain != "dstnat",
                        ("mangle", "mark-routing") => !matches!(chain, "prerouting" | "output"),
                        _ => false,
                    };
                    if wrong {
                        return Err(format!("action={action} does not work in chain={chain}"));
                    }
                }
                if v("passthrough").is_some() && *table != "mangle" {
                    return Err("passthrough is a mangle parameter".into());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A VLAN is on a port or on a VLAN that is on a port (QinQ: two tags at most), and
    /// no other VLAN of its interface has its tag.
    fn check_vlan(&self, menu: usize, it: &Item, pos: Option<usize>) -> Result<(), String> {
        let v = |it: &Item, k: &str| it.get(menu, k).unwrap_or("").to_owned();
        let (name, parent) = (v(it, "name"), v(it, "interface"));
        let vlans = &self.lists[menu];
        let on_vlan = |n: &str| vlans.iter().find(|o| o.get(menu, "name") == Some(n));
        if parent == name {
            return Err(format!("VLAN {name:?} cannot be on itself"));
        }
        match on_vlan(&parent) {
            Some(p) if on_vlan(&v(p, "interface")).is_some() || self.stacked_on(menu, &name) => {
                return Err(format!(
                    "VLAN {name:?} on {parent:?} would carry more than two tags"
                ));
            }
            Some(_) => {}
            None if self.has_name(m(&["interface", "ethernet"]), &parent) => {}
            None => {
                return Err(format!(
                    "{parent:?} is neither an ethernet port nor a VLAN: VLANs go on those"
                ))
            }
        }
        let same = |o: &Item| {
            v(o, "interface") == parent
                && v(o, "vlan-id") == v(it, "vlan-id")
                && v(o, "use-service-tag") == v(it, "use-service-tag")
        };
        let taken = vlans
            .iter()
            .enumerate()
            .any(|(i, o)| Some(i) != pos && v(o, "name") != name && same(o));
        if taken {
            return Err(format!(
                "{parent:?} already has a VLAN with vlan-id {}",
                v(it, "vlan-id")
            ));
        }
        Ok(())
    }

    /// Whether some VLAN is on the VLAN named `name`.
    fn stacked_on(&self, menu: usize, name: &str) -> bool {
        self.lists[menu]
            .iter()
            .any(|o| o.get(menu, "interface") == Some(name))
    }
}
