//! What `find`, `print` and `export` show: items as the engine reads them ([`ItemView`]:
//! values, flags, live state), the print options and formats, the export modes.

use super::*;
use crate::config::expr::{self, Expr, Subject};
use crate::config::menus::INTERFACE_VIEW;
use crate::config::print;
use crate::config::store::{m, Item};
use serde_json::{Map, Value};

/// `find [where] EXPR`: the ids of the matching items.
pub(super) fn find(
    ctx: &mut Ctx<'_>,
    mi: usize,
    toks: &[Tok],
    end: Pos,
) -> Result<Vec<u32>, Error> {
    let toks = match toks.first() {
        Some(Tok::Word {
            text,
            quoted: false,
            ..
        }) if text == "where" => &toks[1..],
        _ => toks,
    };
    let e = if toks.is_empty() {
        None
    } else {
        Some(expr::parse(toks, end)?)
    };
    let list = ctx.store.items(mi);
    Ok(list
        .iter()
        .filter(|it| {
            e.as_ref().is_none_or(|e| {
                expr::eval(
                    e,
                    &ItemView {
                        ctx_store: ctx.store,
                        live: ctx.live,
                        mi,
                        it,
                    },
                )
            })
        })
        .map(|i| i.id)
        .collect())
}

/// An item as expressions and printing see it.
pub struct ItemView<'a> {
    /// The configuration.
    pub ctx_store: &'a Store,
    /// Live data.
    pub live: &'a dyn Live,
    /// Its menu.
    pub mi: usize,
    /// The item.
    pub it: &'a Item,
}

impl ItemView<'_> {
    /// Whether a flag letter applies to the item.
    pub fn has_flag(&self, letter: char) -> bool {
        let path = MENUS[self.mi].path;
        if path == ["ip", "firewall", "connection"] {
            let has = |k: &str| self.it.values.contains_key(k);
            return match letter {
                'S' | 'A' => has("_seen_reply"),
                'C' => true,
                's' => has("_srcnat"),
                'd' => has("_dstnat"),
                _ => false,
            };
        }
        // Live items carry their own flags (`_flagO`).
        if self.it.dynamic && self.it.values.contains_key(&format!("_flag{letter}")) {
            return true;
        }
        match letter {
            'X' => self.it.disabled(),
            'I' if path == ["routing", "bgp", "connection"]
                || path == ["mpls", "ldp"]
                || path == ["routing", "ospf", "instance"] =>
            {
                !self.it.disabled() && self.live.inactive(path, self.it).is_some()
            }
            '*' => self.it.builtin,
            'D' => self.it.dynamic,
            'C' => path == ["ip", "arp"] && self.it.values.contains_key("mac-address"),
            // Route state, as the running router reports it (`_` keys are not parameters).
            'A' => self.it.values.get("_active").is_some_and(|v| v == "yes"),
            'I' if matches!(path, ["ip", "route"] | ["routing", "route"]) => {
                !self.it.disabled() && self.it.values.get("_active").is_none_or(|v| v != "yes")
            }
            '+' => self.it.values.get("_ecmp").is_some_and(|v| v == "yes"),
            'E' => self.it.values.contains_key("_established"),
            'c' | 'b' | 'o' | 'y' => {
                self.it.values.get("_source").map(String::as_str) == Some(&*letter.to_string())
            }
            'R' => self.running(),
            's' => match self.it.values.get("_source") {
                Some(src) => src == "s",
                None => path == ["ip", "route"],
            },
            'B' => {
                path == ["ip", "route"]
                    && self.it.values.get("blackhole").map(String::as_str) == Some("yes")
            }
            _ => false,
        }
    }

    fn running(&self) -> bool {
        if self.it.disabled() {
            return false;
        }
        match self.it.values.get("type").map(String::as_str) {
            Some("bridge") => true,
            _ if MENUS[self.mi].path == ["interface", "bridge"] => true,
            Some("ipip-tunnel" | "gre-tunnel" | "eoip-tunnel" | "vxlan") => self
                .live
                .tunnel_running(self.it.values.get("name").map_or("", String::as_str)),
            _ if matches!(
                MENUS[self.mi].path,
                ["interface", "ipip" | "gre" | "eoip" | "vxlan"]
            ) =>
            {
                self.live
                    .tunnel_running(self.it.values.get("name").map_or("", String::as_str))
            }
            Some("vlan") => self.vlan_running(),
            _ if MENUS[self.mi].path == ["interface", "vlan"] => self.vlan_running(),
            _ => self
                .it
                .values
                .get("default-name")
                .is_some_and(|d| self.live.running(d)),
        }
    }

    /// A VLAN runs when it, every VLAN under it and its port are enabled and the port has
    /// link.
    fn vlan_running(&self) -> bool {
        let name = self.it.values.get("name").map_or("", String::as_str);
        self.ctx_store
            .port_under(name)
            .is_some_and(|(port, enabled)| {
                enabled
                    && !port.disabled()
                    && port
                        .values
                        .get("default-name")
                        .is_some_and(|d| self.live.running(d))
            })
    }
}

impl Subject for ItemView<'_> {
    fn value(&self, name: &str) -> Option<String> {
        self.it.get(self.mi, name).map(str::to_owned)
    }

    fn flag(&self, name: &str) -> Option<bool> {
        match name {
            "disabled" => Some(self.it.disabled()),
            "dynamic" => Some(self.it.dynamic),
            "builtin" => Some(self.it.builtin),
            "static" => Some(!self.it.dynamic),
            "running" => Some(self.running()),
            "invalid" | "inactive" => Some(false),
            _ => None,
        }
    }

    fn canonical(&self, name: &str, raw: &str) -> Option<String> {
        let p = MENUS[self.mi].param(name)?;
        value::canonical(p.kind, &value_alias(p.kind, raw), self.ctx_store).ok()
    }
}

/// Print options.
#[derive(Debug, Default)]
pub struct PrintOpts {
    /// `detail`
    pub detail: bool,
    /// `as-value`
    pub as_value: bool,
    /// `count-only`
    pub count_only: bool,
    /// `terse`
    pub terse: bool,
    /// `stats`
    pub stats: bool,
    /// `show-ids`
    pub show_ids: bool,
    /// `proplist=`
    pub proplist: Option<Vec<String>>,
}

const PRINT_SWITCHES: &[&str] = &[
    "detail",
    "brief",
    "terse",
    "as-value",
    "count-only",
    "without-paging",
    "stats",
    "show-ids",
    "value-list",
    "all",
    "static",
    "dynamic",
];

pub(super) fn print_cmd(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    end: Pos,
) -> Result<String, Error> {
    let mut a = Args::parse(toks)?;
    let mut o = PrintOpts::default();
    let mut from: Option<Vec<u32>> = None;
    if let Some((v, p)) = a.take_named("proplist") {
        let mut names = Vec::new();
        for n in v.split(',') {
            let n = param_name(menu, n, &[".id"], p)?;
            names.push(n.to_string());
        }
        o.proplist = Some(names);
    }
    if let Some((v, p)) = a.take_named("from") {
        from = Some(items(ctx, mi, &[(v, p, false)], &[])?);
    }
    a.no_named("print")?;
    for (w, p, _) in &a.bare {
        let hits: Vec<&&str> = PRINT_SWITCHES
            .iter()
            .filter(|s| s.starts_with(w.as_str()))
            .collect();
        let s = match hits.as_slice() {
            [one] => **one,
            _ if PRINT_SWITCHES.contains(&w.as_str()) => w.as_str(),
            [] => {
                return Err(Error::at(
                    *p,
                    format!(
                        "unknown print option {w:?} (options: {})",
                        PRINT_SWITCHES.join(", ")
                    ),
                ))
            }
            _ => return Err(Error::at(*p, format!("ambiguous print option {w:?}"))),
        };
        match s {
            "detail" | "value-list" => o.detail = true,
            "terse" => o.terse = true,
            "as-value" => o.as_value = true,
            "count-only" => o.count_only = true,
            "stats" => o.stats = true,
            "show-ids" => o.show_ids = true,
            _ => {}
        }
    }
    if o.stats && mi != INTERFACE_VIEW && menu.path != ["interface", "ethernet"] {
        return Err(Error::at(
            end,
            "print stats works on /interface and /interface ethernet",
        ));
    }
    let filter = match &a.where_ {
        Some((t, p)) => {
            if t.is_empty() {
                return Err(Error::at(*p, "expected an expression after where"));
            }
            Some(expr::parse(t, end)?)
        }
        None => None,
    };
    if o.count_only && filter.is_none() && from.is_none() {
        if let Some(n) = ctx.live.count(menu.path, ctx.store) {
            return Ok(format!("{n}\n"));
        }
    }
    let narrowed = match (&filter, &from) {
        (Some(e), None) => ctx.live.narrowed(menu.path, ctx.store, &Hint::of(e)),
        _ => None,
    };
    let (list, places): (std::borrow::Cow<'_, [Item]>, Option<Vec<usize>>) = match narrowed {
        Some(n) => {
            // Numbers refer to the whole list; places not shown refer to nothing.
            let mut ids = vec![0u32; n.total];
            for (at, it) in &n.rows {
                if let Some(slot) = ids.get_mut(*at) {
                    *slot = it.id;
                }
            }
            if menu.kind == MenuKind::List && !o.count_only {
                ctx.session.numbering.insert(mi, ids);
            }
            let (places, items) = n.rows.into_iter().unzip();
            (std::borrow::Cow::Owned(items), Some(places))
        }
        None => {
            let list = match ctx.live.items(menu.path, ctx.store) {
                Some(live) => std::borrow::Cow::Owned(live),
                None => ctx.store.items(mi),
            };
            if menu.kind == MenuKind::List && !o.count_only {
                ctx.session
                    .numbering
                    .insert(mi, list.iter().map(|i| i.id).collect());
            }
            (list, None)
        }
    };
    let rows: Vec<(usize, &Item)> = list
        .iter()
        .enumerate()
        .map(|(n, it)| (places.as_ref().map_or(n, |p| p[n]), it))
        .filter(|(_, it)| from.as_ref().is_none_or(|f| f.contains(&it.id)))
        .filter(|(_, it)| {
            filter.as_ref().is_none_or(|e: &Expr| {
                expr::eval(
                    e,
                    &ItemView {
                        ctx_store: ctx.store,
                        live: ctx.live,
                        mi,
                        it,
                    },
                )
            })
        })
        .collect();
    if o.count_only {
        return Ok(match ctx.format {
            Format::Json => format!("{}\n", rows.len()),
            Format::Text => format!("{}\n", rows.len()),
        });
    }
    let views: Vec<(usize, ItemView<'_>)> = rows
        .iter()
        .map(|(n, it)| {
            (
                *n,
                ItemView {
                    ctx_store: ctx.store,
                    live: ctx.live,
                    mi,
                    it,
                },
            )
        })
        .collect();
    Ok(match (ctx.format, o.as_value) {
        (Format::Json, _) => print::json(menu, &views, &o),
        (Format::Text, true) => print::as_value(menu, &views, &o),
        (Format::Text, false) => print::text(menu, &views, &o),
    })
}

/// Export options.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ExportMode {
    /// Only what differs from the defaults.
    #[default]
    Compact,
    /// Every property.
    Verbose,
    /// One self-contained line per command, no wrapping.
    Terse,
}

pub(super) fn export_cmd(
    ctx: &mut Ctx<'_>,
    path: &[&'static str],
    mi: Option<usize>,
    toks: &[Tok],
    end: Pos,
) -> Result<String, Error> {
    let mut a = Args::parse(toks)?;
    let mut mode = ExportMode::Compact;
    if let Some((_, p)) = a.take_named("file") {
        return Err(Error::at(
            p,
            "export file= is not supported: redirect rspectl's output instead",
        ));
    }
    a.no_named("export")?;
    for (w, p, _) in &a.bare {
        match w.as_str() {
            "compact" => mode = ExportMode::Compact,
            "verbose" => mode = ExportMode::Verbose,
            "terse" => mode = ExportMode::Terse,
            "show-sensitive" | "hide-sensitive" => {}
            _ => {
                return Err(Error::at(
                    *p,
                    format!("unknown export option {w:?} (compact, verbose, terse, where)"),
                ))
            }
        }
    }
    let filter = match (&a.where_, mi) {
        (Some((t, _)), Some(_)) => Some(expr::parse(t, end)?),
        (Some((_, p)), None) => return Err(Error::at(*p, "export where works inside a menu")),
        _ => None,
    };
    Ok(crate::config::export::export(
        ctx.store,
        ctx.pristine,
        ctx.live,
        path,
        mode,
        filter.as_ref(),
    ))
}

/// A JSON object for one item (used by `print` in JSON).
pub fn item_json(v: &ItemView<'_>, nr: usize, menu: &Menu) -> Value {
    let mut o = Map::new();
    o.insert(".id".into(), Value::String(format!("*{:X}", v.it.id)));
    o.insert(".nr".into(), Value::from(nr));
    for p in menu.params {
        if let Some(val) = v.it.get(v.mi, p.name) {
            o.insert(p.name.into(), Value::String(val.into()));
        }
    }
    for f in ["disabled", "dynamic", "builtin", "running"] {
        if let Some(b) = v.flag(f) {
            o.insert(f.into(), Value::Bool(b));
        }
    }
    Value::Object(o)
}

/// The index of menu `path` (for callers outside the module).
pub fn menu_index(path: &[&str]) -> Option<usize> {
    crate::config::menus::menu_index(path)
}

/// `m()` re-exported for the other parts of the engine.
pub fn idx(path: &[&str]) -> usize {
    m(path)
}
