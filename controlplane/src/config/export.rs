//! `export`: the configuration as RouterOS commands that load back to the same state.
//! Compact (only what differs from defaults; routing menus keep `disabled=no`), verbose
//! (every property, unset ones as `!name`), terse (full path on every line, no wrapping).
//! Arguments are in alphabetical order with `.x=` group compression; long lines wrap with
//! ` \` and a 4-space indent.

use super::exec::{ExportMode, ItemView, Live};
use super::expr::{self, Expr};
use super::menus::MENUS;
use super::print::{compress, prop};
use super::schema::{Kind, MenuKind};
use super::store::{m, Store};

/// The order menus are exported in: everything a line refers to comes before it.
pub const EXPORT_ORDER: &[&[&str]] = &[
    &["interface", "ethernet"],
    &["interface", "bridge"],
    &["interface", "eoip"],
    &["interface", "gre"],
    &["interface", "ipip"],
    &["interface", "vlan"],
    &["interface", "vxlan"],
    &["interface", "vxlan", "vteps"],
    &["interface", "list"],
    &["interface", "list", "member"],
    &["routing", "table"],
    &["ip", "vrf"],
    &["routing", "id"],
    &["ip", "address"],
    &["ip", "route"],
    &["ip", "settings"],
    &["ip", "service"],
    &["ip", "firewall", "address-list"],
    &["ip", "firewall", "connection", "tracking"],
    &["ip", "firewall", "filter"],
    &["ip", "firewall", "nat"],
    &["ip", "firewall", "mangle"],
    &["mpls", "settings"],
    &["mpls", "interface"],
    &["mpls", "ldp"],
    &["mpls", "ldp", "interface"],
    &["mpls", "ldp", "advertise-filter"],
    &["mpls", "ldp", "accept-filter"],
    &["routing", "bgp", "template"],
    &["routing", "bgp", "connection"],
    &["routing", "bgp", "vpn"],
    &["routing", "ospf", "instance"],
    &["routing", "ospf", "area"],
    &["routing", "ospf", "area", "range"],
    &["routing", "ospf", "interface-template"],
    &["system", "identity"],
];

/// Wraps `cmd args...` at about 80 columns between arguments.
fn wrap(cmd: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut line = cmd.to_string();
    for a in args {
        if line.len() + 1 + a.len() > 78 && line.trim() != cmd {
            out.push_str(&line);
            out.push_str(" \\\n");
            line = format!("    {a}");
        } else {
            line.push(' ');
            line.push_str(a);
        }
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Exports the menus at and below `path`.
pub fn export(
    store: &Store,
    pristine: &Store,
    live: &dyn Live,
    path: &[&str],
    mode: ExportMode,
    filter: Option<&Expr>,
) -> String {
    let mut out = String::new();
    if path.is_empty() {
        out.push_str(&format!("# by rspe {}\n#\n", env!("CARGO_PKG_VERSION")));
    }
    for p in EXPORT_ORDER {
        if p.len() < path.len() || p[..path.len()] != *path {
            continue;
        }
        let mi = m(p);
        let menu = &MENUS[mi];
        let mut lines: Vec<(String, Vec<String>)> = Vec::new();
        if menu.kind == MenuKind::Settings {
            let Some(it) = store.settings(mi) else {
                continue;
            };
            let mut args = Vec::new();
            for prm in menu.params {
                match (it.values.get(prm.name), mode) {
                    (Some(v), _)
                        if Some(v.as_str()) != prm.default || mode != ExportMode::Compact =>
                    {
                        args.extend(prop(prm.kind, prm.name, v, false))
                    }
                    (None, ExportMode::Verbose | ExportMode::Terse)
                        if mode == ExportMode::Verbose =>
                    {
                        if let Some(d) = prm.default {
                            args.extend(prop(prm.kind, prm.name, d, false));
                        }
                    }
                    _ => {}
                }
            }
            args.sort();
            if !args.is_empty() {
                lines.push(("set".into(), compress(&args)));
            }
        } else {
            let list = store.items(mi);
            for (pos, it) in list.iter().enumerate() {
                if it.dynamic {
                    continue;
                }
                if let Some(f) = filter {
                    if !expr::eval(
                        f,
                        &ItemView {
                            ctx_store: store,
                            live,
                            mi,
                            it,
                        },
                    ) {
                        continue;
                    }
                }
                if it.builtin {
                    let Some(orig) = pristine.item(mi, it.id) else {
                        continue;
                    };
                    let mut args = Vec::new();
                    for prm in menu.params {
                        if prm.read_only {
                            continue;
                        }
                        match (it.values.get(prm.name), orig.values.get(prm.name)) {
                            (Some(a), b) if Some(a) != b => {
                                args.extend(prop(prm.kind, prm.name, a, false))
                            }
                            (None, Some(_)) => args.push(format!("!{}", prm.name)),
                            _ => {}
                        }
                    }
                    if args.is_empty() {
                        continue;
                    }
                    args.sort_by(|a, b| a.trim_start_matches('!').cmp(b.trim_start_matches('!')));
                    let target = if menu.path == ["interface", "ethernet"] {
                        format!(
                            "[ find default-name={} ]",
                            it.values.get("default-name").map_or("", String::as_str)
                        )
                    } else {
                        menu.key
                            .and_then(|k| orig.values.get(k))
                            .cloned()
                            .unwrap_or_else(|| format!("*{:X}", it.id))
                    };
                    lines.push((format!("set {target}"), compress(&args)));
                    continue;
                }
                let mut args = Vec::new();
                for prm in menu.params {
                    if prm.read_only {
                        continue;
                    }
                    let v = it.values.get(prm.name);
                    match (v, mode) {
                        (Some(v), ExportMode::Compact) => {
                            if Some(v.as_str()) != prm.default
                                || (prm.name == "disabled" && menu.export_disabled)
                            {
                                args.extend(prop(prm.kind, prm.name, v, false));
                            }
                        }
                        (None, ExportMode::Compact) => {
                            if prm.name == "disabled" && menu.export_disabled {
                                args.push("disabled=no".into());
                            }
                        }
                        (Some(v), _) => args.extend(prop(prm.kind, prm.name, v, false)),
                        (None, _) => match prm.default {
                            Some(d) if prm.kind == Kind::Switch => {
                                args.extend(prop(prm.kind, prm.name, d, false))
                            }
                            Some(d) => args.extend(prop(prm.kind, prm.name, d, false)),
                            None => args.push(format!("!{}", prm.name)),
                        },
                    }
                }
                // Items that sit before a built-in item are placed there on import.
                if let Some(b) = list[pos..].iter().find(|x| x.builtin && !x.dynamic) {
                    let key = menu
                        .key
                        .and_then(|k| b.values.get(k))
                        .cloned()
                        .unwrap_or_default();
                    if !key.is_empty() {
                        args.push(format!("place-before={key}"));
                    }
                }
                args.sort_by(|a, b| a.trim_start_matches('!').cmp(b.trim_start_matches('!')));
                lines.push(("add".into(), compress(&args)));
            }
        }
        if lines.is_empty() {
            continue;
        }
        let path_text = menu.path_text();
        if mode == ExportMode::Terse {
            for (cmd, args) in lines {
                out.push_str(&format!("{path_text} {cmd} {}\n", args.join(" ")));
            }
        } else {
            out.push_str(&path_text);
            out.push('\n');
            for (cmd, args) in lines {
                out.push_str(&wrap(&cmd, &args));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A menu missing from [`EXPORT_ORDER`] would be left out of every export (and lost by
    /// an export and import): every menu with a value to set is in it.
    #[test]
    fn every_settable_menu_is_exported() {
        let missing: Vec<String> = MENUS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != super::super::menus::INTERFACE_VIEW)
            .filter(|(_, m)| m.params.iter().any(|p| !p.read_only))
            .filter(|(_, m)| !EXPORT_ORDER.contains(&m.path))
            .map(|(_, m)| m.path.join(" "))
            .collect();
        assert!(missing.is_empty(), "not exported: {missing:?}");
    }
}
