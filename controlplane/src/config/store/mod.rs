//! The configuration: one ordered list of items per menu, and the rules that tie menus
//! together (a VRF owns a dynamic routing table of its name, references must name existing
//! items, built-in items cannot be removed, names are unique).
//!
//! Every mutation validates first and changes nothing when it fails.

use super::journal::{Change, Target};
use super::menus::{self, menu_index, INTERFACE_VIEW, MENUS, SERVICES};
use super::schema::{Kind, MenuKind, RefTo};
use super::value::Resolver;
use std::collections::{BTreeMap, HashSet};

/// At most this many routing tables (RouterOS: 4096).
pub const MAX_TABLES: usize = 4096;

/// One item of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Internal id, shown as `*N` (hex).
    pub id: u32,
    /// Values by parameter name, canonical. Unset parameters are absent.
    pub values: BTreeMap<String, String>,
    /// Built in (cannot be removed).
    pub builtin: bool,
    /// Made by the system (a VRF's routing table); not exported, not editable.
    pub dynamic: bool,
}

impl Item {
    /// An item the running router reports (dynamic, not configuration).
    pub fn live(id: u32, values: BTreeMap<String, String>) -> Item {
        Item {
            id,
            values,
            builtin: false,
            dynamic: true,
        }
    }

    /// A value, or the parameter's default.
    pub fn get(&self, menu: usize, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .or_else(|| MENUS[menu].param(name).and_then(|p| p.default))
    }

    /// Whether the item is disabled.
    pub fn disabled(&self) -> bool {
        self.values.get("disabled").map(String::as_str) == Some("yes")
    }
}

/// A DPDK port as the configuration sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortDesc {
    /// `ether1`, `ether2`, …
    pub default_name: String,
    /// `AA:BB:CC:DD:EE:FF`.
    pub mac: String,
    /// Driver name.
    pub driver: String,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    lists: Vec<Vec<Item>>,
    next_id: Vec<u32>,
    /// The `name` of every item, per menu (menus named by `name` only): references and
    /// uniqueness checks are lookups, not scans.
    names: Vec<HashSet<String>>,
    /// The changes made since [`Store::take_changes`] last took them, for the journal.
    pending: Pending,
}

/// Changes not yet journaled. Not part of the configuration's value: two stores with the
/// same items are equal whatever they have pending.
#[derive(Debug, Clone, Default)]
struct Pending(Vec<Change>);

impl PartialEq for Pending {
    fn eq(&self, _: &Pending) -> bool {
        true
    }
}

impl Eq for Pending {}

/// Index of the menu at `path` (the paths used here exist: a test checks them).
pub fn m(path: &[&str]) -> usize {
    menu_index(path).unwrap_or(usize::MAX)
}

fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Store {
    /// A fresh configuration for a router with `ports`.
    pub fn new(ports: &[PortDesc]) -> Store {
        let mut s = Store {
            lists: MENUS.iter().map(|_| Vec::new()).collect(),
            next_id: MENUS.iter().map(|_| 1).collect(),
            names: MENUS.iter().map(|_| HashSet::new()).collect(),
            pending: Pending::default(),
        };
        for (i, menu) in MENUS.iter().enumerate() {
            if menu.kind == MenuKind::Settings {
                s.push(i, BTreeMap::new(), true, false);
            }
        }
        for p in ports {
            // The canonical form, as a MAC typed in would be stored.
            let mac =
                super::value::mac(&p.mac).map_or(p.mac.clone(), |m| super::value::mac_text(&m));
            s.push(
                m(&["interface", "ethernet"]),
                vals(&[
                    ("name", &p.default_name),
                    ("default-name", &p.default_name),
                    ("mac-address", &mac),
                    ("orig-mac-address", &mac),
                    ("driver", &p.driver),
                ]),
                true,
                false,
            );
        }
        s.push(
            m(&["ip", "vrf"]),
            vals(&[("name", "main"), ("interfaces", "all")]),
            true,
            false,
        );
        s.push(
            m(&["routing", "table"]),
            vals(&[("name", "main"), ("fib", "yes")]),
            true,
            true,
        );
        for (name, port, cert, vrf, disabled) in SERVICES {
            let mut v = vals(&[("name", name), ("port", port)]);
            if !cert.is_empty() {
                v.insert("certificate".into(), cert.to_string());
            }
            if !vrf.is_empty() {
                v.insert("vrf".into(), vrf.to_string());
            }
            if *disabled {
                v.insert("disabled".into(), "yes".into());
            }
            s.push(m(&["ip", "service"]), v, true, false);
        }
        s.push(
            m(&["routing", "bgp", "template"]),
            vals(&[("name", "default")]),
            true,
            false,
        );
        s
    }

    fn index_name(&mut self, menu: usize, it: &Item) {
        if MENUS[menu].key == Some("name") {
            if let Some(n) = it.values.get("name") {
                self.names[menu].insert(n.clone());
            }
        }
    }

    fn reindex(&mut self, menu: usize) {
        if MENUS[menu].key == Some("name") {
            self.names[menu] = self.lists[menu]
                .iter()
                .filter_map(|i| i.values.get("name").cloned())
                .collect();
        }
    }

    fn has_name(&self, menu: usize, name: &str) -> bool {
        self.names[menu].contains(name)
    }

    fn push(
        &mut self,
        menu: usize,
        values: BTreeMap<String, String>,
        builtin: bool,
        dynamic: bool,
    ) -> u32 {
        if MENUS[menu].key == Some("name") {
            if let Some(n) = values.get("name") {
                self.names[menu].insert(n.clone());
            }
        }
        let id = self.next_id[menu];
        self.next_id[menu] += 1;
        self.lists[menu].push(Item {
            id,
            values,
            builtin,
            dynamic,
        });
        id
    }

    /// The items of a menu, in order. For the `/interface` view: ethernet ports, then
    /// bridges, with a `type`.
    pub fn items(&self, menu: usize) -> std::borrow::Cow<'_, [Item]> {
        if menu == INTERFACE_VIEW {
            let mut out = Vec::new();
            for &(path, ty) in menus::INTERFACE_MENUS {
                let src = m(path);
                for it in &self.lists[src] {
                    let mut it = it.clone();
                    // View ids: the source menu in the high bits keeps them unique.
                    it.id |= (src as u32) << 24;
                    it.values.insert("type".into(), ty.into());
                    let mtu = it.get(src, "mtu").unwrap_or("1500").to_string();
                    it.values.insert("mtu".into(), mtu);
                    if path == ["interface", "vlan"] {
                        self.vlan_mac(&mut it);
                    }
                    out.push(it);
                }
            }
            return std::borrow::Cow::Owned(out);
        }
        if MENUS[menu].path == ["interface", "vlan"] {
            let mut out = self.lists[menu].clone();
            out.iter_mut().for_each(|it| self.vlan_mac(it));
            return std::borrow::Cow::Owned(out);
        }
        if let Some(overhead) = tunnel_overhead(MENUS[menu].path) {
            // `actual-mtu`: what `mtu=auto` comes to (a 1500-byte underlay).
            let mut out = self.lists[menu].clone();
            for it in &mut out {
                let key = it.values.contains_key("key");
                let mtu = match it.get(menu, "mtu") {
                    Some(v) if v != "auto" => v.to_owned(),
                    _ => (1500 - overhead - if key { 4 } else { 0 }).to_string(),
                };
                it.values.insert("actual-mtu".into(), mtu);
            }
            return std::borrow::Cow::Owned(out);
        }
        std::borrow::Cow::Borrowed(&self.lists[menu])
    }

    /// The item behind a `/interface` view id: (menu, id).
    pub fn view_source(id: u32) -> (usize, u32) {
        ((id >> 24) as usize, id & 0x00ff_ffff)
    }

    fn pos(&self, menu: usize, id: u32) -> Option<usize> {
        self.lists[menu].iter().position(|i| i.id == id)
    }

    /// The item with `id`.
    pub fn item(&self, menu: usize, id: u32) -> Option<&Item> {
        self.lists[menu].iter().find(|i| i.id == id)
    }

    /// Names of every interface (ports, bridges, tunnels).
    pub fn interface_names(&self) -> impl Iterator<Item = &str> {
        menus::INTERFACE_MENUS
            .iter()
            .map(|&(path, _)| m(path))
            .flat_map(move |i| {
                self.lists[i]
                    .iter()
                    .filter_map(|it| it.values.get("name").map(String::as_str))
            })
    }

    fn names(&self, menu: usize) -> impl Iterator<Item = &str> {
        self.lists[menu]
            .iter()
            .filter_map(|it| it.values.get("name").map(String::as_str))
    }

    /// The settings item of a settings menu.
    pub fn settings(&self, menu: usize) -> Option<&Item> {
        self.lists[menu].first()
    }

    /// The router's identity.
    pub fn identity(&self) -> String {
        let i = m(&["system", "identity"]);
        self.lists[i]
            .first()
            .and_then(|it| it.get(i, "name"))
            .unwrap_or("rspe")
            .to_owned()
    }

    /// Adds an item with `values` (canonical), before position `before` or at the end.
    /// Returns its id.
    pub fn add(
        &mut self,
        menu: usize,
        values: BTreeMap<String, String>,
        before: Option<usize>,
    ) -> Result<u32, String> {
        let before_target = before.and_then(|b| {
            let id = self.lists[menu].get(b)?.id;
            self.target(menu, id)
        });
        let id = self.add_item(menu, values.clone(), before)?;
        self.record(Change::Add {
            menu: MENUS[menu].path.join("/"),
            before: before_target,
            values,
        });
        Ok(id)
    }

    fn add_item(
        &mut self,
        menu: usize,
        mut values: BTreeMap<String, String>,
        before: Option<usize>,
    ) -> Result<u32, String> {
        let def = &MENUS[menu];
        if !def.can_add {
            return Err(format!("items cannot be added to {}", def.path_text()));
        }
        if let (Some(key), Some(prefix)) = (def.key, def.auto_name) {
            if !values.contains_key(key) {
                let taken: Vec<&str> = self.names(menu).collect();
                let name = (1..)
                    .map(|n| format!("{prefix}{n}"))
                    .find(|c| !taken.contains(&c.as_str()))
                    .unwrap_or_default();
                values.insert(key.into(), name);
            }
        }
        for p in def.params {
            if p.mandatory && !values.contains_key(p.name) {
                return Err(format!("missing mandatory parameter {}", p.name));
            }
        }
        if def.path == ["ip", "address"] && !values.contains_key("network") {
            // The network is computed from the address and its length unless given.
            if let Some(net) = values.get("address").and_then(|a| super::value::prefix(a)) {
                let addr = net.split('/').next().unwrap_or_default().to_string();
                values.insert("network".into(), addr);
            }
        }
        let candidate = Item {
            id: self.next_id[menu],
            values,
            builtin: false,
            dynamic: false,
        };
        self.check(menu, &candidate, None)?;
        let vrf_menu = m(&["ip", "vrf"]);
        if menu == vrf_menu {
            self.check_new_table(
                candidate
                    .values
                    .get("name")
                    .map(String::as_str)
                    .unwrap_or(""),
            )?;
        }
        let before = before.map(|b| b.min(self.lists[menu].len()));
        let id = candidate.id;
        let mut candidate = candidate;
        if def.path == ["interface", "bridge"] {
            // A locally administered address derived from the bridge's id.
            let b = id.to_be_bytes();
            candidate.values.insert(
                "mac-address".into(),
                format!("02:42:{:02X}:{:02X}:{:02X}:{:02X}", b[0], b[1], b[2], b[3]),
            );
        }
        let l2_tunnel = match def.path {
            ["interface", "eoip"] => Some(0x45),
            ["interface", "vxlan"] => Some(0x56),
            _ => None,
        };
        if let (Some(kind), false) = (l2_tunnel, candidate.values.contains_key("mac-address")) {
            // As RouterOS makes one: locally administered, here derived from the id.
            let b = id.to_be_bytes();
            candidate.values.insert(
                "mac-address".into(),
                format!("02:4C:{kind:02X}:{:02X}:{:02X}:{:02X}", b[1], b[2], b[3]),
            );
        }
        self.next_id[menu] += 1;
        self.index_name(menu, &candidate);
        match before {
            Some(b) => self.lists[menu].insert(b, candidate.clone()),
            None => self.lists[menu].push(candidate.clone()),
        }
        if menu == vrf_menu {
            let name = candidate.values.get("name").cloned().unwrap_or_default();
            self.push(
                m(&["routing", "table"]),
                vals(&[("name", &name), ("fib", "yes")]),
                false,
                true,
            );
        }
        Ok(id)
    }

    /// Sets `values` and clears `unset` on the items `ids`, all or none.
    /// Sets `values` and unsets `unset` on the items `ids`.
    pub fn set(
        &mut self,
        menu: usize,
        ids: &[u32],
        values: &BTreeMap<String, String>,
        unset: &[String],
    ) -> Result<(), String> {
        let targets = self.targets(menu, ids);
        self.set_items(menu, ids, values, unset)?;
        if menu != INTERFACE_VIEW {
            // The view's changes were recorded on the menus behind it.
            self.record(Change::Set {
                menu: MENUS[menu].path.join("/"),
                targets,
                values: values.clone(),
                unset: unset.to_vec(),
            });
        }
        Ok(())
    }

    fn set_items(
        &mut self,
        menu: usize,
        ids: &[u32],
        values: &BTreeMap<String, String>,
        unset: &[String],
    ) -> Result<(), String> {
        if menu == INTERFACE_VIEW {
            // Act on the underlying ethernet or bridge item.
            let mut by_menu: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
            for &id in ids {
                let (src, sid) = Self::view_source(id);
                by_menu.entry(src).or_default().push(sid);
            }
            let mut trial = self.clone();
            for (src, sids) in by_menu {
                trial.set(src, &sids, values, unset)?;
            }
            *self = trial;
            return Ok(());
        }
        let def = &MENUS[menu];
        let mut updated = Vec::new();
        for &id in ids {
            let pos = self
                .pos(menu, id)
                .ok_or_else(|| format!("no such item *{id:X}"))?;
            let old = &self.lists[menu][pos];
            if old.dynamic {
                return Err(format!("cannot change dynamic item *{id:X}"));
            }
            let mut new = old.clone();
            for k in unset {
                let p = def
                    .param(k)
                    .ok_or_else(|| format!("unknown parameter {k}"))?;
                if p.mandatory {
                    return Err(format!("cannot unset mandatory parameter {k}"));
                }
                new.values.remove(k);
            }
            for (k, v) in values {
                new.values.insert(k.clone(), v.clone());
            }
            if def.path == ["ip", "address"]
                && values.contains_key("address")
                && !values.contains_key("network")
            {
                // A new address brings its own network, as on `add` (RouterOS does so).
                if let Some(net) = new
                    .values
                    .get("address")
                    .and_then(|a| super::value::prefix(a))
                {
                    let addr = net.split('/').next().unwrap_or_default().to_string();
                    new.values.insert("network".into(), addr);
                }
            }
            if old.builtin {
                self.check_builtin_change(menu, old, &new)?;
            }
            updated.push((pos, new));
        }
        if updated.len() > 1 {
            if let Some(key) = def.key {
                if values.contains_key(key) {
                    return Err(format!(
                        "{key} must be unique: cannot set it on several items"
                    ));
                }
            }
        }
        // Validate every change against the others before applying any.
        let mut trial = self.clone();
        for (pos, new) in &updated {
            trial.lists[menu][*pos] = new.clone();
        }
        trial.reindex(menu);
        for (pos, new) in &updated {
            trial.check(menu, new, Some(*pos))?;
        }
        // Renames propagate to references and to a VRF's table.
        for (pos, new) in &updated {
            let old = &self.lists[menu][*pos];
            let (Some(key), Some(o), Some(n)) =
                (def.key, old.values.get("name"), new.values.get("name"))
            else {
                continue;
            };
            if key != "name" || o == n {
                continue;
            }
            if let Some(to) = ref_kind(menu) {
                trial.rename_refs(to, o, n);
            }
            if menu == m(&["ip", "vrf"]) {
                trial.check_new_table(n)?;
                let t = m(&["routing", "table"]);
                if let Some(table) = trial.lists[t]
                    .iter_mut()
                    .find(|i| i.dynamic && i.values.get("name") == Some(o))
                {
                    table.values.insert("name".into(), n.clone());
                }
                trial.rename_refs(RefTo::Table, o, n);
            }
        }
        *self = trial;
        Ok(())
    }

    /// Removes the items `ids`, all or none.
    /// Removes the items `ids`.
    pub fn remove(&mut self, menu: usize, ids: &[u32]) -> Result<(), String> {
        let targets = self.targets(menu, ids);
        self.remove_items(menu, ids)?;
        self.record(Change::Remove {
            menu: MENUS[menu].path.join("/"),
            targets,
        });
        Ok(())
    }

    fn remove_items(&mut self, menu: usize, ids: &[u32]) -> Result<(), String> {
        let def = &MENUS[menu];
        if !def.can_remove {
            return Err(format!("items cannot be removed from {}", def.path_text()));
        }
        let mut trial = self.clone();
        for &id in ids {
            let pos = trial
                .pos(menu, id)
                .ok_or_else(|| format!("no such item *{id:X}"))?;
            let it = &trial.lists[menu][pos];
            if it.builtin {
                return Err(format!("cannot remove builtin item *{id:X}"));
            }
            if it.dynamic {
                return Err(format!("cannot remove dynamic item *{id:X}"));
            }
            let name = it.values.get("name").cloned();
            trial.lists[menu].remove(pos);
            trial.reindex(menu);
            if let (Some(to), Some(name)) = (ref_kind(menu), &name) {
                if let Some(user) = trial.user_of(to, name) {
                    return Err(format!("{name:?} is in use by {user}"));
                }
            }
            if menu == m(&["ip", "vrf"]) {
                let name = name.unwrap_or_default();
                let t = m(&["routing", "table"]);
                trial.lists[t].retain(|i| !(i.dynamic && i.values.get("name") == Some(&name)));
                trial.reindex(t);
                if let Some(user) = trial.user_of(RefTo::Table, &name) {
                    return Err(format!(
                        "routing table {name:?} of this VRF is in use by {user}"
                    ));
                }
            }
        }
        *self = trial;
        Ok(())
    }

    /// Moves the items `ids` (in their current order) before the item at position `dest`,
    /// or to the end.
    pub fn move_items(
        &mut self,
        menu: usize,
        ids: &[u32],
        dest: Option<u32>,
    ) -> Result<(), String> {
        let targets = self.targets(menu, ids);
        let dest_target = dest.and_then(|d| self.target(menu, d));
        self.move_list(menu, ids, dest)?;
        self.record(Change::Move {
            menu: MENUS[menu].path.join("/"),
            targets,
            dest: dest_target,
        });
        Ok(())
    }

    fn move_list(&mut self, menu: usize, ids: &[u32], dest: Option<u32>) -> Result<(), String> {
        if MENUS[menu].kind != MenuKind::List || menu == INTERFACE_VIEW {
            return Err(format!(
                "items of {} cannot be moved",
                MENUS[menu].path_text()
            ));
        }
        let list = &mut self.lists[menu];
        if let Some(d) = dest {
            if !list.iter().any(|i| i.id == d) {
                return Err(format!("no such item *{d:X}"));
            }
        }
        let mut moving = Vec::new();
        for &id in ids {
            if !list.iter().any(|i| i.id == id) {
                return Err(format!("no such item *{id:X}"));
            }
        }
        list.retain(|i| {
            if ids.contains(&i.id) {
                moving.push(i.clone());
                false
            } else {
                true
            }
        });
        let at = match dest {
            Some(d) => list.iter().position(|i| i.id == d).unwrap_or(list.len()),
            None => list.len(),
        };
        for (k, it) in moving.into_iter().enumerate() {
            list.insert(at + k, it);
        }
        Ok(())
    }

    /// Sets values of a settings menu.
    pub fn set_settings(
        &mut self,
        menu: usize,
        values: &BTreeMap<String, String>,
        unset: &[String],
    ) -> Result<(), String> {
        // Values are checked by the caller; nothing here can fail halfway.
        let it = self.lists[menu].first_mut().ok_or("no settings item")?;
        for k in unset {
            it.values.remove(k);
        }
        for (k, v) in values {
            it.values.insert(k.clone(), v.clone());
        }
        self.record(Change::Settings {
            menu: MENUS[menu].path.join("/"),
            values: values.clone(),
            unset: unset.to_vec(),
        });
        Ok(())
    }

    fn record(&mut self, c: Change) {
        self.pending.0.push(c);
    }

    /// The changes made since the last call, in order: what the journal appends.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.pending.0)
    }

    /// Whether every pending change is to one of `menus` (paths as `system/identity`).
    pub fn pending_only_in(&self, menus: &[&str]) -> bool {
        self.pending.0.iter().all(|c| menus.contains(&c.menu()))
    }

    /// Forgets pending changes (a configuration loaded from the file is already saved).
    pub fn clear_changes(&mut self) {
        self.pending.0.clear();
    }

    /// How the journal names the item `id`: its place among the menu's configured (not
    /// dynamic) items, which an export keeps, and a fingerprint of its values.
    fn target(&self, menu: usize, id: u32) -> Option<Target> {
        self.lists[menu]
            .iter()
            .filter(|i| !i.dynamic)
            .enumerate()
            .find(|(_, i)| i.id == id)
            .map(|(pos, i)| Target::of(menu, pos, &i.values))
    }

    fn targets(&self, menu: usize, ids: &[u32]) -> Vec<Target> {
        if menu == INTERFACE_VIEW {
            return Vec::new();
        }
        ids.iter().filter_map(|&id| self.target(menu, id)).collect()
    }

    /// The id of the item a journal [`Target`] names; an error when the item there is not
    /// the one the journal saw.
    pub fn target_id(&self, menu: usize, t: &Target) -> Result<u32, String> {
        let it = self.lists[menu]
            .iter()
            .filter(|i| !i.dynamic)
            .nth(t.pos)
            .ok_or_else(|| {
                format!(
                    "no item {} in {} (the journal does not match the configuration)",
                    t.pos,
                    MENUS[menu].path_text()
                )
            })?;
        if Target::of(menu, t.pos, &it.values) != *t {
            return Err(format!(
                "item {} of {} differs from what the journal recorded",
                t.pos,
                MENUS[menu].path_text()
            ));
        }
        Ok(it.id)
    }

    /// The position in the whole list (dynamic items included) of the item with `id`.
    pub fn position(&self, menu: usize, id: u32) -> Option<usize> {
        self.pos(menu, id)
    }

    /// The first item (as `menu *id`) that refers to `name` of kind `to`.
    fn user_of(&self, to: RefTo, name: &str) -> Option<String> {
        for (mi, menu) in MENUS.iter().enumerate() {
            if mi == INTERFACE_VIEW {
                continue;
            }
            for it in &self.lists[mi] {
                for p in menu.params {
                    let Some(v) = it.values.get(p.name) else {
                        continue;
                    };
                    if refers(p.kind, to, v, name) {
                        return Some(format!(
                            "{} *{:X} ({}={v})",
                            menu.path_text(),
                            it.id,
                            p.name
                        ));
                    }
                }
            }
        }
        None
    }

    fn rename_refs(&mut self, to: RefTo, old: &str, new: &str) {
        for (mi, menu) in MENUS.iter().enumerate() {
            if mi == INTERFACE_VIEW {
                continue;
            }
            for it in &mut self.lists[mi] {
                for p in menu.params {
                    if let Some(v) = it.values.get_mut(p.name) {
                        if refers(p.kind, to, v, old) {
                            *v = rewrite(p.kind, v, old, new);
                        }
                    }
                }
            }
        }
    }

    /// Number of items across the configuration (for tests and benchmarks).
    pub fn total_items(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }
}

/// The bytes a tunnel menu's items put in front of what they carry (GRE's key aside).
fn tunnel_overhead(path: &[&str]) -> Option<u16> {
    match path {
        ["interface", "ipip"] => Some(20),
        ["interface", "gre"] => Some(24),
        ["interface", "eoip"] => Some(42),
        ["interface", "vxlan"] => Some(50),
        _ => None,
    }
}

/// The kind of reference that names items of `menu`, if items of it can be referenced.
fn ref_kind(menu: usize) -> Option<RefTo> {
    match MENUS[menu].path {
        p if menus::is_interface_menu(p) => Some(RefTo::Interface { lists: false }),
        ["ip", "vrf"] => Some(RefTo::Vrf),
        ["routing", "table"] => Some(RefTo::Table),
        ["routing", "bgp", "template"] => Some(RefTo::BgpTemplate),
        ["routing", "ospf", "instance"] => Some(RefTo::OspfInstance),
        ["routing", "ospf", "area"] => Some(RefTo::OspfArea),
        ["interface", "list"] => Some(RefTo::InterfaceList),
        _ => None,
    }
}

fn same_target(a: RefTo, b: RefTo) -> bool {
    match (a, b) {
        (RefTo::Interface { .. }, RefTo::Interface { .. }) => true,
        _ => a == b,
    }
}

/// The parts of a gateway value that name interfaces and tables.
fn gateway_parts(g: &str) -> (Option<&str>, Option<&str>) {
    let (target, table) = match g.split_once('@') {
        Some((t, tab)) => (t, Some(tab)),
        None => (g, None),
    };
    let iface = match target.split_once('%') {
        Some((_, i)) => Some(i),
        None if super::value::ip(target).is_some() => None,
        None => Some(target),
    };
    (iface, table)
}

/// Whether a stored value of `kind` refers to `name` of kind `to`.
fn refers(kind: Kind, to: RefTo, v: &str, name: &str) -> bool {
    match kind {
        Kind::Ref(k) => same_target(k, to) && v == name,
        Kind::RefList(k) => same_target(k, to) && v.split(',').any(|x| x == name),
        Kind::FwInterface => {
            matches!(to, RefTo::Interface { .. }) && v.trim_start_matches('!') == name
        }
        Kind::FwInterfaceList => to == RefTo::InterfaceList && v.trim_start_matches('!') == name,
        Kind::FwTable => to == RefTo::Table && v.trim_start_matches('!') == name,
        Kind::IpAtVrf => to == RefTo::Vrf && v.split_once('@').is_some_and(|(_, x)| x == name),
        Kind::VrfLater => to == RefTo::Vrf && v == name,
        Kind::Gateway => v.split(',').any(|g| {
            let (iface, table) = gateway_parts(g);
            match to {
                RefTo::Interface { .. } => iface == Some(name),
                RefTo::Table => table == Some(name),
                _ => false,
            }
        }),
        _ => false,
    }
}

fn rewrite(kind: Kind, v: &str, old: &str, new: &str) -> String {
    match kind {
        Kind::Ref(_) | Kind::VrfLater => new.to_owned(),
        Kind::RefList(_) => v
            .split(',')
            .map(|x| if x == old { new } else { x })
            .collect::<Vec<_>>()
            .join(","),
        Kind::FwInterface | Kind::FwTable | Kind::FwInterfaceList => {
            if v.starts_with('!') {
                format!("!{new}")
            } else {
                new.to_owned()
            }
        }
        Kind::IpAtVrf => match v.split_once('@') {
            Some((a, x)) if x == old => format!("{a}@{new}"),
            _ => v.to_owned(),
        },
        Kind::Gateway => v
            .split(',')
            .map(|g| {
                let (target, table) = match g.split_once('@') {
                    Some((t, tab)) => (t.to_owned(), Some(if tab == old { new } else { tab })),
                    None => (g.to_owned(), None),
                };
                let target = match target.split_once('%') {
                    Some((a, i)) => format!("{a}%{}", if i == old { new } else { i }),
                    None if target == old => new.to_owned(),
                    None => target,
                };
                match table {
                    Some(t) => format!("{target}@{t}"),
                    None => target,
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => v.to_owned(),
    }
}

impl Resolver for Store {
    fn exists(&self, to: RefTo, name: &str) -> bool {
        match to {
            RefTo::Interface { .. } => menus::INTERFACE_MENUS
                .iter()
                .any(|&(p, _)| self.has_name(m(p), name)),
            RefTo::Vrf => self.has_name(m(&["ip", "vrf"]), name),
            RefTo::Table => self.has_name(m(&["routing", "table"]), name),
            RefTo::BgpTemplate => self.has_name(m(&["routing", "bgp", "template"]), name),
            RefTo::OspfInstance => self.has_name(m(&["routing", "ospf", "instance"]), name),
            RefTo::OspfArea => self.has_name(m(&["routing", "ospf", "area"]), name),
            RefTo::InterfaceList => {
                menus::BUILTIN_LISTS.contains(&name)
                    || self.has_name(m(&["interface", "list"]), name)
            }
        }
    }
}

mod check;
mod iface;
#[cfg(test)]
mod tests;
