//! `print` output as RouterOS v7 renders it: tables (flags legend, `Columns:` line, header,
//! number, flag columns, values with numbers right-aligned), detail lists (`name="x"
//! interfaces=all`), settings (`name: value`), `as-value`, and JSON.

use super::exec::{item_json, IfStats, ItemView, PrintOpts};
use super::lex::quote_always;
use super::menus::INTERFACE_VIEW;
use super::schema::{Kind, Menu, MenuKind, PrintStyle};
use serde_json::Value;

/// `2101838` → `2 101 838`, as RouterOS prints counters.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The legend line, or nothing when the menu has no flags.
fn legend(menu: &Menu) -> Option<String> {
    if menu.legend.is_empty() {
        return None;
    }
    let groups: Vec<String> = menu
        .legend
        .iter()
        .map(|g| {
            g.iter()
                .map(|(c, n)| {
                    if n.is_empty() {
                        c.to_string()
                    } else {
                        format!("{c} - {n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    Some(format!("Flags: {}", groups.join("; ")))
}

/// One character per legend group: the first flag of the group that applies.
fn flags(menu: &Menu, v: &ItemView<'_>) -> String {
    menu.legend
        .iter()
        .map(|g| {
            g.iter()
                .find(|(c, _)| v.has_flag(*c))
                .map_or(' ', |(c, _)| *c)
        })
        .collect()
}

/// A property as `name=value` for detail views and exports (`None`: not shown).
pub fn prop(kind: Kind, name: &str, value: &str, quote_strings: bool) -> Option<String> {
    match kind {
        Kind::Switch => (value == "yes").then(|| name.to_owned()),
        k if k.quoted() && quote_strings => Some(format!("{name}={}", quote_always(value))),
        _ => Some(format!("{name}={}", super::lex::quote(value))),
    }
}

/// Joins `name=value` words, writing a dotted name as `.x=` when the one before it is in
/// the same group (`local.address=10.0.0.1 .role=ibgp`).
pub fn compress(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut prev_group: Option<&str> = None;
    for a in args {
        if a.starts_with('!') {
            // Unset properties keep their full name.
            out.push(a.clone());
            prev_group = None;
            continue;
        }
        let name = a.split('=').next().unwrap_or(a);
        let group = name.split_once('.').map(|(g, _)| g);
        match (group, prev_group) {
            (Some(g), Some(p)) if g == p => out.push(a[g.len()..].to_string()),
            _ => out.push(a.clone()),
        }
        prev_group = group;
    }
    out
}

fn shown_props(menu: &Menu, v: &ItemView<'_>, o: &PrintOpts) -> Vec<String> {
    let mut out = Vec::new();
    for p in menu.params {
        if matches!(p.name, "disabled" | "comment") {
            continue;
        }
        if let Some(pl) = &o.proplist {
            if !pl.iter().any(|n| n == p.name) {
                continue;
            }
        }
        let val = match v.it.values.get(p.name) {
            Some(x) => Some(x.as_str()),
            None if p.show_default || o.proplist.is_some() => p.default,
            None => None,
        };
        if let Some(val) = val {
            if let Some(s) = prop(p.kind, p.name, val, true) {
                out.push(s);
            }
        }
    }
    compress(&out)
}

/// Console text.
pub fn text(menu: &Menu, rows: &[(usize, ItemView<'_>)], o: &PrintOpts) -> String {
    if menu.kind == MenuKind::Settings {
        return settings(menu, rows);
    }
    if o.stats && menu.path == ["interface", "ethernet"] {
        return ethernet_stats(rows);
    }
    if o.stats {
        return stats_table(menu, rows);
    }
    match (menu.style, o.detail || o.terse) {
        (PrintStyle::Table(cols), false) => table(menu, cols, rows, o),
        _ => detail(menu, rows, o),
    }
}

fn settings(menu: &Menu, rows: &[(usize, ItemView<'_>)]) -> String {
    let Some((_, v)) = rows.first() else {
        return String::new();
    };
    let pairs: Vec<(&str, String)> = menu
        .params
        .iter()
        .filter_map(|p| v.it.get(v.mi, p.name).map(|x| (p.name, x.to_owned())))
        .collect();
    let w = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(k, x)| format!("  {k:>w$}: {x}\n"))
        .collect()
}

fn detail(menu: &Menu, rows: &[(usize, ItemView<'_>)], o: &PrintOpts) -> String {
    let mut out = String::new();
    if let Some(l) = legend(menu) {
        out.push_str(&l);
        out.push('\n');
    }
    for (n, v) in rows {
        let f = flags(menu, v);
        let lead = format!("{n:>2} {f}");
        if let Some(c) = v.it.values.get("comment") {
            out.push_str(&format!("{lead} ;;; {c}\n"));
            out.push_str(&" ".repeat(lead.chars().count()));
        } else {
            out.push_str(&lead);
        }
        let mut props = shown_props(menu, v, o);
        if o.show_ids {
            props.insert(0, format!(".id=*{:X}", v.it.id));
        }
        out.push(' ');
        out.push_str(&props.join(" "));
        out.push('\n');
    }
    out
}

fn column_title(menu_index: usize, name: &str) -> String {
    if name == "mtu" && menu_index == INTERFACE_VIEW {
        return "ACTUAL-MTU".into();
    }
    name.to_uppercase()
}

/// One table row: print number, flag letters, cells, and the item's comment.
type TableRow = (usize, String, Vec<String>, Option<String>);

fn render_table(
    legend_line: Option<String>,
    titles: &[String],
    right: &[bool],
    rows: Vec<TableRow>,
) -> String {
    let mut out = String::new();
    if let Some(l) = legend_line {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&format!("Columns: {}\n", titles.join(", ")));
    let num_w = rows
        .iter()
        .map(|(n, _, _, _)| n.to_string().len())
        .max()
        .unwrap_or(1)
        .max(1);
    let flag_w = rows
        .iter()
        .map(|(_, f, _, _)| f.chars().count())
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = (0..titles.len())
        .map(|i| {
            rows.iter()
                .map(|(_, _, c, _)| c[i].chars().count())
                .chain([titles[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |num: String, f: &str, cells: &[String]| {
        let mut s = format!("{num:>num_w$} {f:<flag_w$}");
        for (i, c) in cells.iter().enumerate() {
            s.push_str(if i == 0 { " " } else { "  " });
            let w = widths[i];
            if right[i] {
                s.push_str(&format!("{c:>w$}"));
            } else {
                s.push_str(&format!("{c:<w$}"));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line("#".into(), "", titles));
    for (n, f, cells, comment) in &rows {
        if let Some(c) = comment {
            // As RouterOS shows it: the comment on its own line, under the flags.
            out.push_str(&format!("{:num_w$} {f:<flag_w$} ;;; {c}\n", ""));
        }
        out.push_str(&line(n.to_string(), f, cells));
    }
    out
}

fn table(menu: &Menu, cols: &[&str], rows: &[(usize, ItemView<'_>)], o: &PrintOpts) -> String {
    let cols: Vec<&str> = match &o.proplist {
        Some(pl) => pl
            .iter()
            .map(String::as_str)
            .filter(|c| menu.param(c).is_some())
            .collect(),
        None => cols.to_vec(),
    };
    let mi = rows.first().map(|(_, v)| v.mi).unwrap_or(usize::MAX);
    let titles: Vec<String> = cols.iter().map(|c| column_title(mi, c)).collect();
    let right: Vec<bool> = cols
        .iter()
        .map(|c| matches!(menu.param(c).map(|p| p.kind), Some(Kind::Int(..))))
        .collect();
    let body = rows
        .iter()
        .map(|(n, v)| {
            let cells = cols
                .iter()
                .map(|c| v.it.get(v.mi, c).unwrap_or("").to_string())
                .collect();
            (
                *n,
                flags(menu, v),
                cells,
                v.it.values.get("comment").cloned(),
            )
        })
        .collect();
    let mut out = render_table(legend(menu), &titles, &right, body);
    if o.show_ids {
        out.push_str(
            &rows
                .iter()
                .map(|(n, v)| format!("{n}: *{:X}\n", v.it.id))
                .collect::<String>(),
        );
    }
    out
}

const STATS_COLUMNS: &[&str] = &[
    "NAME",
    "RX-BYTE",
    "TX-BYTE",
    "RX-PACKET",
    "TX-PACKET",
    "RX-DROP",
    "TX-DROP",
    "TX-QUEUE-DROP",
    "RX-ERROR",
    "TX-ERROR",
];

fn stats_of(v: &ItemView<'_>) -> IfStats {
    match v.it.values.get("default-name") {
        Some(d) => v.live.stats(d),
        // A VLAN or a tunnel (or a bridge, which counts nothing).
        None => v.it.values.get("name").and_then(|n| v.live.tunnel_stats(n)),
    }
    .unwrap_or_default()
}

fn stats_table(menu: &Menu, rows: &[(usize, ItemView<'_>)]) -> String {
    let titles: Vec<String> = STATS_COLUMNS.iter().map(|s| s.to_string()).collect();
    let right: Vec<bool> = STATS_COLUMNS.iter().map(|c| *c != "NAME").collect();
    let body = rows
        .iter()
        .map(|(n, v)| {
            let s = stats_of(v);
            let cells = [
                v.it.get(v.mi, "name").unwrap_or("").to_string(),
                group_thousands(s.rx_bytes),
                group_thousands(s.tx_bytes),
                group_thousands(s.rx_packets),
                group_thousands(s.tx_packets),
                group_thousands(s.rx_drop),
                group_thousands(s.tx_drop),
                group_thousands(s.tx_queue_drop),
                group_thousands(s.rx_error),
                group_thousands(s.tx_error),
            ]
            .to_vec();
            (*n, flags(menu, v), cells, None)
        })
        .collect();
    render_table(legend(menu), &titles, &right, body)
}

/// `/interface ethernet print stats`: one column per interface, one row per counter, as
/// RouterOS prints its ethernet counters; here the dataplane's drops by reason and each
/// worker's packets. Counters that are zero everywhere are left out, as RouterOS does.
fn ethernet_stats(rows: &[(usize, ItemView<'_>)]) -> String {
    let stats: Vec<IfStats> = rows.iter().map(|(_, v)| stats_of(v)).collect();
    let mut lines: Vec<(String, Vec<String>)> = vec![(
        "name".into(),
        rows.iter()
            .map(|(_, v)| v.it.get(v.mi, "name").unwrap_or("").to_string())
            .collect(),
    )];
    let mut counter = |name: String, vals: Vec<u64>, always: bool| {
        if always || vals.iter().any(|&v| v != 0) {
            lines.push((name, vals.into_iter().map(group_thousands).collect()));
        }
    };
    counter(
        "rx-byte".into(),
        stats.iter().map(|s| s.rx_bytes).collect(),
        true,
    );
    counter(
        "tx-byte".into(),
        stats.iter().map(|s| s.tx_bytes).collect(),
        true,
    );
    counter(
        "rx-packet".into(),
        stats.iter().map(|s| s.rx_packets).collect(),
        true,
    );
    counter(
        "tx-packet".into(),
        stats.iter().map(|s| s.tx_packets).collect(),
        true,
    );
    counter(
        "rx-drop".into(),
        stats.iter().map(|s| s.rx_drop).collect(),
        false,
    );
    counter(
        "tx-queue-drop".into(),
        stats.iter().map(|s| s.tx_queue_drop).collect(),
        false,
    );
    counter(
        "rx-error".into(),
        stats.iter().map(|s| s.rx_error).collect(),
        false,
    );
    counter(
        "tx-error".into(),
        stats.iter().map(|s| s.tx_error).collect(),
        false,
    );
    let reasons: Vec<&str> = stats
        .first()
        .map(|s| s.drops.iter().map(|d| d.0).collect())
        .unwrap_or_default();
    for (i, r) in reasons.iter().enumerate() {
        let vals = stats
            .iter()
            .map(|s| s.drops.get(i).map_or(0, |d| d.1))
            .collect();
        counter(format!("drop-{r}"), vals, false);
    }
    let workers = stats.iter().map(|s| s.workers.len()).max().unwrap_or(0);
    if workers > 1 {
        for w in 0..workers {
            let at = |s: &IfStats, f: fn(&(u64, u64)) -> u64| s.workers.get(w).map_or(0, f);
            counter(
                format!("worker{w}-rx-packet"),
                stats.iter().map(|s| at(s, |x| x.0)).collect(),
                true,
            );
            counter(
                format!("worker{w}-tx-packet"),
                stats.iter().map(|s| at(s, |x| x.1)).collect(),
                true,
            );
        }
    }
    let wn = lines.iter().map(|l| l.0.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..rows.len())
        .map(|c| lines.iter().map(|l| l.1[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (name, vals) in &lines {
        let mut line = format!("{name:>wn$}:");
        for (v, w) in vals.iter().zip(&widths) {
            line.push_str(&format!("  {v:>w$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `print as-value`: `.id=*1;name=main;interfaces=all`, one item per line.
pub fn as_value(menu: &Menu, rows: &[(usize, ItemView<'_>)], o: &PrintOpts) -> String {
    let mut out = String::new();
    for (_, v) in rows {
        let mut parts = vec![format!(".id=*{:X}", v.it.id)];
        for p in menu.params {
            if let Some(pl) = &o.proplist {
                if !pl.iter().any(|n| n == p.name) {
                    continue;
                }
            }
            if let Some(val) = v.it.get(v.mi, p.name) {
                parts.push(format!("{}={val}", p.name));
            }
        }
        out.push_str(&parts.join(";"));
        out.push('\n');
    }
    out
}

/// JSON: an array of objects, or for settings one object.
pub fn json(menu: &Menu, rows: &[(usize, ItemView<'_>)], o: &PrintOpts) -> String {
    let filter = |mut val: Value| {
        if let (Some(pl), Value::Object(map)) = (&o.proplist, &mut val) {
            map.retain(|k, _| k == ".id" || pl.iter().any(|n| n == k));
        }
        val
    };
    let arr: Vec<Value> = rows
        .iter()
        .map(|(n, v)| {
            let mut val = item_json(v, *n, menu);
            if o.stats {
                let s = stats_of(v);
                if let Value::Object(map) = &mut val {
                    for (k, x) in [
                        ("rx-byte", s.rx_bytes),
                        ("tx-byte", s.tx_bytes),
                        ("rx-packet", s.rx_packets),
                        ("tx-packet", s.tx_packets),
                        ("rx-drop", s.rx_drop),
                        ("tx-drop", s.tx_drop),
                        ("tx-queue-drop", s.tx_queue_drop),
                        ("rx-error", s.rx_error),
                        ("tx-error", s.tx_error),
                    ] {
                        map.insert(k.into(), Value::from(x));
                    }
                    for (r, n) in &s.drops {
                        map.insert(format!("drop-{r}"), Value::from(*n));
                    }
                    if !s.workers.is_empty() {
                        let w: Vec<Value> = s
                            .workers
                            .iter()
                            .map(|(rx, tx)| serde_json::json!({"rx-packet": rx, "tx-packet": tx}))
                            .collect();
                        map.insert("workers".into(), Value::Array(w));
                    }
                }
            }
            filter(val)
        })
        .collect();
    let v = if menu.kind == MenuKind::Settings {
        arr.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(arr)
    };
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_like_routeros() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1 000");
        assert_eq!(group_thousands(2101838093), "2 101 838 093");
    }

    #[test]
    fn compresses_groups() {
        let a: Vec<String> = [
            "local.address=1",
            "local.role=ibgp",
            "name=x",
            "remote.as=1",
            "!remote.port",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            compress(&a),
            vec![
                "local.address=1",
                ".role=ibgp",
                "name=x",
                "remote.as=1",
                "!remote.port"
            ]
        );
    }
}
