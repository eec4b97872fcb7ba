//! What interfaces are made of: the ethernet port under a VLAN (its MAC, its link).

use super::{m, Item, Store};

impl Store {
    /// The `/interface ethernet` item under the interface named `name` (itself for a
    /// port, the port a VLAN or a VLAN on a VLAN is on), and whether every VLAN on the way
    /// is enabled.
    pub fn port_under(&self, name: &str) -> Option<(&Item, bool)> {
        let (eth, vlan) = (m(&["interface", "ethernet"]), m(&["interface", "vlan"]));
        let mut name = name;
        let mut enabled = true;
        // A VLAN on a VLAN on a port at most: the store refuses deeper stacks.
        for _ in 0..3 {
            if let Some(p) = self.lists[eth]
                .iter()
                .find(|i| i.values.get("name").map(String::as_str) == Some(name))
            {
                return Some((p, enabled));
            }
            let v = self.lists[vlan]
                .iter()
                .find(|i| i.values.get("name").map(String::as_str) == Some(name))?;
            enabled &= !v.disabled();
            name = v.get(vlan, "interface")?;
        }
        None
    }

    /// Shows VLAN item `it` with the MAC of the port it is on (its frames' source).
    pub(super) fn vlan_mac(&self, it: &mut Item) {
        let name = it.values.get("name").cloned().unwrap_or_default();
        if let Some(mac) = self
            .port_under(&name)
            .and_then(|(p, _)| p.values.get("mac-address"))
        {
            it.values.insert("mac-address".into(), mac.clone());
        }
    }
}
