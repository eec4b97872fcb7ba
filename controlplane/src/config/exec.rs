//! Running RouterOS commands against the [`Store`]: path resolution with abbreviations,
//! arguments (`name=value`, `name value`, flags, `!name`, `.x=` shorthand, item numbers, `*id`,
//! names, `[find ...]`), and the commands `add set remove print move export enable disable
//! find get unset comment`.
//!
//! A command that fails changes nothing; a script stops at its first failing command.

use super::lex::{lex, Error, Pos, Tok};
pub use super::live::{Hint, IfStats, Live, Narrowed, NoLive};
use super::menus::MENUS;
use super::schema::{Kind, Menu, MenuKind};
use super::store::Store;
use super::value;
use std::collections::{BTreeMap, HashMap};

mod edit;
mod show;
use edit::{add, get, items, items_required, set, unset};
use show::{export_cmd, find, print_cmd};
pub use show::{idx, item_json, menu_index, ExportMode, ItemView, PrintOpts};

/// Output format of `print`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// As a console shows it.
    Text,
    /// JSON for scripts.
    Json,
}

/// One console or script session: its current menu and the numbers of its last prints.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// The current menu path.
    pub cwd: Vec<&'static str>,
    numbering: HashMap<usize, Vec<u32>>,
    /// Warnings of the commands run since they were last taken (inert parameters set).
    pub warnings: Vec<String>,
    /// Set when the client interrupts the running command (Ctrl-C in the console): a
    /// running `/ping` stops.
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Session {
    /// The current path as the prompt shows it (`/ip/vrf`, or `` at the root).
    pub fn prompt_path(&self) -> String {
        if self.cwd.is_empty() {
            String::new()
        } else {
            format!("/{}", self.cwd.join("/"))
        }
    }
}

/// What running commands produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Output text.
    pub output: String,
    /// Whether the configuration changed.
    pub changed: bool,
    /// Commands that ran successfully.
    pub commands: usize,
}

/// A failure: the error, and what ran before it (scripts keep their earlier commands).
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong, where.
    pub error: Error,
    /// What the commands before the failing one produced.
    pub before: Outcome,
}

/// Everything a command needs.
pub struct Ctx<'a> {
    /// The configuration.
    pub store: &'a mut Store,
    /// The configuration as it was at first start (what export compares built-ins to).
    pub pristine: &'a Store,
    /// The session.
    pub session: &'a mut Session,
    /// Live interface data.
    pub live: &'a dyn Live,
    /// Output format of `print`.
    pub format: Format,
}

/// Runs every command of `src`; stops at the first failure.
pub fn run(ctx: &mut Ctx<'_>, src: &str) -> Result<Outcome, Failure> {
    let mut out = Outcome::default();
    let toks = lex(src).map_err(|error| Failure {
        error,
        before: Outcome::default(),
    })?;
    for (cmd, end) in split_commands(&toks) {
        exec_one(ctx, cmd, end, &mut out)?;
    }
    Ok(out)
}

/// The commands of a script: its tokens split at line ends and `;` outside brackets, each
/// with the position of its end.
fn split_commands(toks: &[Tok]) -> Vec<(&[Tok], Pos)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => depth -= 1,
            Tok::End(_) if depth <= 0 => {
                out.push((&toks[start..i], t.pos()));
                start = i + 1;
                depth = 0;
            }
            _ => {}
        }
    }
    let end = toks.last().map(Tok::pos).unwrap_or_default();
    out.push((&toks[start..], end));
    out
}

/// Runs a script as [`run`] does, except that a failing command does not stop it: each
/// command applies whole or not at all, and every refused one is returned with its line
/// and reason (`rspectl import --keep-going`, for loading another router's export). The
/// lines under a menu line that was refused (`/ip dhcp-server` then `add ...`) are refused
/// with it, not run in the menu before.
pub fn run_keep_going(ctx: &mut Ctx<'_>, src: &str) -> (Outcome, Vec<Error>) {
    let mut out = Outcome::default();
    let toks = match lex(src) {
        Ok(t) => t,
        Err(e) => return (out, vec![e]),
    };
    let mut refused = Vec::new();
    let mut lost: Option<String> = None;
    for (cmd, end) in split_commands(&toks) {
        let Some(first) = cmd.first() else { continue };
        let first_word = match first {
            Tok::Word { text, .. } => text.as_str(),
            _ => "",
        };
        let absolute = first_word.starts_with('/');
        let menu_line = absolute
            && cmd
                .iter()
                .all(|t| matches!(t, Tok::Word { text, quoted: false, .. } if !text.contains('=')));
        if let (Some(menu), false) = (&lost, absolute) {
            let why = format!("skipped: its menu {menu} was refused");
            refused.push(Error::at(first.pos(), why));
            continue;
        }
        match command(ctx, cmd, end) {
            Ok((text, changed)) => {
                out.output.push_str(&text);
                out.changed |= changed;
                out.commands += 1;
                if menu_line {
                    lost = None;
                }
            }
            Err(e) => {
                if menu_line {
                    let words: Vec<&str> = cmd
                        .iter()
                        .filter_map(|t| match t {
                            Tok::Word { text, .. } => Some(text.as_str()),
                            _ => None,
                        })
                        .collect();
                    lost = Some(words.join(" "));
                }
                refused.push(e);
            }
        }
    }
    (out, refused)
}

fn exec_one(ctx: &mut Ctx<'_>, toks: &[Tok], end: Pos, out: &mut Outcome) -> Result<(), Failure> {
    if toks.is_empty() {
        return Ok(());
    }
    match command(ctx, toks, end) {
        Ok((text, changed)) => {
            out.output.push_str(&text);
            out.changed |= changed;
            out.commands += 1;
            Ok(())
        }
        Err(error) => Err(Failure {
            error,
            before: out.clone(),
        }),
    }
}

/// The child nodes of a path.
pub fn children(prefix: &[&str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = MENUS
        .iter()
        .filter(|m| m.path.len() > prefix.len() && m.path[..prefix.len()] == *prefix)
        .map(|m| m.path[prefix.len()])
        .collect();
    out.dedup();
    out.sort_unstable();
    out.dedup();
    out
}

/// The menu at exactly `path`, with its index.
pub fn menu_at(path: &[&str]) -> Option<(usize, &'static Menu)> {
    MENUS.iter().enumerate().find(|(_, m)| m.path == path)
}

/// Commands available at a node: the menu's (`export` anywhere), and the actions there
/// (`ping` at the root, `reset` among BGP sessions).
pub fn commands_at(path: &[&str]) -> Vec<&'static str> {
    let mut out = match menu_at(path) {
        Some((_, m)) => m.commands().to_vec(),
        None => vec!["export"],
    };
    out.extend(super::action::at(path).map(|a| a.verb));
    out
}

enum Step {
    Child(&'static str),
    Command(&'static str),
}

fn resolve_step(path: &[&'static str], word: &str, pos: Pos) -> Result<Step, Error> {
    let kids = children(path);
    let cmds = commands_at(path);
    if let Some(k) = kids.iter().find(|k| **k == word) {
        return Ok(Step::Child(k));
    }
    if let Some(c) = cmds.iter().find(|c| **c == word) {
        return Ok(Step::Command(c));
    }
    let k: Vec<&&str> = kids.iter().filter(|k| k.starts_with(word)).collect();
    let c: Vec<&&str> = cmds.iter().filter(|c| c.starts_with(word)).collect();
    match (k.len(), c.len()) {
        (1, 0) => Ok(Step::Child(k[0])),
        (0, 1) => Ok(Step::Command(c[0])),
        (0, 0) if super::unsupported::not_built(path, word).is_some() => Err(Error::at(
            pos,
            format!(
                "not supported by rspe: {}",
                super::unsupported::not_built(path, word).unwrap_or_default()
            ),
        )),
        (0, 0) => Err(Error::at(
            pos,
            format!(
                "unknown menu or command {word:?} in /{} (menus: {}; commands: {})",
                path.join("/"),
                if kids.is_empty() {
                    "none".into()
                } else {
                    kids.join(", ")
                },
                cmds.join(", ")
            ),
        )),
        _ => Err(Error::at(
            pos,
            format!(
                "ambiguous {word:?}: could be {}",
                k.iter()
                    .chain(c.iter())
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Where the words of a command lead from `cwd`: the menu path, the command (with its
/// position) if one was named, and the index of the first argument token.
type Walked = (Vec<&'static str>, Option<(&'static str, Pos)>, usize);

/// Walks the path words of a command (`/ip route`, `..`, abbreviations) up to its command.
fn walk(cwd: &[&'static str], toks: &[Tok]) -> Result<Walked, Error> {
    let mut path = cwd.to_vec();
    let mut verb: Option<(&'static str, Pos)> = None;
    let mut i = 0;
    while i < toks.len() && verb.is_none() {
        let Tok::Word {
            text,
            quoted: false,
            pos,
        } = &toks[i]
        else {
            break;
        };
        if text.contains('=') || text.starts_with('!') {
            break;
        }
        let mut segs: &str = text;
        if let Some(rest) = text.strip_prefix('/') {
            if i == 0 {
                path.clear();
            }
            segs = rest;
        } else if i > 0 && menu_at(&path).is_some() {
            // After a menu, a word that is not a submenu or command is an argument: stop.
            if !children(&path).iter().any(|k| k.starts_with(text.as_str()))
                && !commands_at(&path)
                    .iter()
                    .any(|c| c.starts_with(text.as_str()))
            {
                break;
            }
        }
        let mut col = pos.col + (text.len() - segs.len());
        for seg in segs.split('/') {
            let spos = Pos {
                line: pos.line,
                col,
            };
            col += seg.len() + 1;
            if seg.is_empty() {
                continue;
            }
            if verb.is_some() {
                return Err(Error::at(
                    spos,
                    format!("unexpected {seg:?} after the command"),
                ));
            }
            if seg == ".." {
                path.pop();
                continue;
            }
            match resolve_step(&path, seg, spos)? {
                Step::Child(c) => path.push(c),
                Step::Command(c) => verb = Some((c, spos)),
            }
        }
        i += 1;
    }
    Ok((path, verb, i))
}

/// The action a single command line names (`/ping 10.0.0.1`, `/routing bgp session reset
/// x`), with its checked arguments; `None`: the line is not one action. The router runs
/// these outside the configuration's lock.
pub fn action_of(
    cwd: &[&'static str],
    line: &str,
) -> Option<Result<(&'static super::action::Action, super::action::ActionArgs), Error>> {
    let mut toks = lex(line).ok()?;
    while matches!(toks.last(), Some(Tok::End(_))) {
        toks.pop();
    }
    if toks.iter().any(|t| matches!(t, Tok::End(_))) {
        return None;
    }
    let (path, verb, i) = walk(cwd, &toks).ok()?;
    let (verb, vpos) = verb?;
    let action = super::action::find(&path, verb)?;
    Some(super::action::args(action, &toks[i..], vpos).map(|a| (action, a)))
}

/// Runs one command; returns its output and whether it changed the configuration.
fn command(ctx: &mut Ctx<'_>, toks: &[Tok], end: Pos) -> Result<(String, bool), Error> {
    let (path, verb, i) = walk(&ctx.session.cwd, toks)?;
    let Some((verb, vpos)) = verb else {
        if let Some(Tok::Word {
            text,
            quoted: false,
            pos,
        }) = toks.get(i)
        {
            // A word where a submenu or command would be: a menu rspe does not have.
            if !text.contains('=') && !text.starts_with('!') {
                let msg = match super::unsupported::not_built(&path, text) {
                    Some(menu) => format!("not supported by rspe: {menu}"),
                    None => format!("unknown menu {text:?} in /{}", path.join(" ")),
                };
                return Err(Error::at(*pos, msg));
            }
        }
        if i < toks.len() {
            return Err(Error::at(
                toks[i].pos(),
                format!(
                    "expected a command for /{} before the arguments",
                    path.join("/")
                ),
            ));
        }
        // A path alone enters that menu.
        ctx.session.cwd = path;
        return Ok((String::new(), false));
    };
    if let Some(action) = super::action::find(&path, verb) {
        let args = super::action::args(action, &toks[i..], vpos)?;
        return ctx
            .live
            .act(action, &args, &ctx.session.cancel)
            .map(|out| (out, false))
            .map_err(|e| Error::at(vpos, e));
    }
    let args = &toks[i..];
    let Some((mi, menu)) = menu_at(&path) else {
        // Only export works on an inner node (it exports every menu below).
        return export_cmd(ctx, &path, None, args, end).map(|t| (t, false));
    };
    match verb {
        "add" => add(ctx, mi, menu, args, vpos),
        "set" => set(ctx, mi, menu, args, vpos),
        "remove" => {
            let a = Args::parse(args)?;
            let ids = items_required(ctx, mi, &a.bare, &a.finds, vpos)?;
            a.no_named("remove")?;
            ctx.store.remove(mi, &ids).map_err(|e| Error::at(vpos, e))?;
            Ok((String::new(), true))
        }
        "enable" | "disable" => {
            let a = Args::parse(args)?;
            a.no_named(verb)?;
            let ids = items_required(ctx, mi, &a.bare, &a.finds, vpos)?;
            let v = BTreeMap::from([(
                "disabled".to_string(),
                if verb == "disable" { "yes" } else { "no" }.to_string(),
            )]);
            ctx.store
                .set(mi, &ids, &v, &[])
                .map_err(|e| Error::at(vpos, e))?;
            Ok((String::new(), true))
        }
        "comment" => {
            let mut a = Args::parse(args)?;
            let text = match a.take_named("comment") {
                Some((v, _)) => v,
                None => match a.bare.pop() {
                    Some((v, _, _)) => v,
                    None => {
                        return Err(Error::at(
                            vpos,
                            "comment needs the text: comment ITEMS comment=TEXT",
                        ))
                    }
                },
            };
            a.no_named("comment")?;
            let ids = items_required(ctx, mi, &a.bare, &a.finds, vpos)?;
            let v = BTreeMap::from([("comment".to_string(), text)]);
            ctx.store
                .set(mi, &ids, &v, &[])
                .map_err(|e| Error::at(vpos, e))?;
            Ok((String::new(), true))
        }
        "move" => {
            let mut a = Args::parse(args)?;
            let dest_named = a.take_named("destination");
            let numbers_named = a.take_named("numbers");
            a.no_named("move")?;
            let mut bare = a.bare.clone();
            if let Some((v, p)) = numbers_named {
                bare.insert(0, (v, p, false));
            }
            let dest_word = match dest_named {
                Some((v, p)) => Some((v, p, false)),
                None if bare.len() >= 2 || (!a.finds.is_empty() && !bare.is_empty()) => bare.pop(),
                None => None,
            };
            let ids = items_required(ctx, mi, &bare, &a.finds, vpos)?;
            let dest = match dest_word {
                Some((w, p, _)) => {
                    let d = items(ctx, mi, &[(w, p, false)], &[])?;
                    Some(
                        *d.first()
                            .ok_or_else(|| Error::at(p, "no destination item"))?,
                    )
                }
                None => None,
            };
            ctx.store
                .move_items(mi, &ids, dest)
                .map_err(|e| Error::at(vpos, e))?;
            Ok((String::new(), true))
        }
        "print" => print_cmd(ctx, mi, menu, args, end).map(|t| (t, false)),
        "export" => export_cmd(ctx, &path, Some(mi), args, end).map(|t| (t, false)),
        "find" => {
            let ids = find(ctx, mi, args, end)?;
            Ok((
                format!(
                    "{}\n",
                    ids.iter()
                        .map(|i| format!("*{i:X}"))
                        .collect::<Vec<_>>()
                        .join(";")
                ),
                false,
            ))
        }
        "get" => get(ctx, mi, menu, args, vpos).map(|t| (t, false)),
        "unset" => unset(ctx, mi, menu, args, vpos),
        other => Err(Error::at(vpos, format!("{other} is not available here"))),
    }
}

/// Arguments of one command, split into named, bare, unset, `[find]` and `where` parts.
#[derive(Debug, Default)]
pub(super) struct Args {
    named: Vec<(String, String, Pos)>,
    pub(super) bare: Vec<(String, Pos, bool)>,
    pub(super) unset: Vec<(String, Pos)>,
    pub(super) finds: Vec<(Vec<Tok>, Pos)>,
    pub(super) where_: Option<(Vec<Tok>, Pos)>,
}

impl Args {
    pub(super) fn parse(toks: &[Tok]) -> Result<Args, Error> {
        let mut a = Args::default();
        let mut i = 0;
        let mut group: Option<String> = None;
        while i < toks.len() {
            match &toks[i] {
                Tok::Open(p) => {
                    let mut depth = 1;
                    let mut j = i + 1;
                    while j < toks.len() && depth > 0 {
                        match toks[j] {
                            Tok::Open(_) => depth += 1,
                            Tok::Close(_) => depth -= 1,
                            _ => {}
                        }
                        j += 1;
                    }
                    if depth != 0 {
                        return Err(Error::at(*p, "missing ] to close this ["));
                    }
                    a.finds.push((toks[i + 1..j - 1].to_vec(), *p));
                    i = j;
                }
                Tok::Close(p) => return Err(Error::at(*p, "unexpected ]")),
                Tok::LParen(p) | Tok::RParen(p) => {
                    return Err(Error::at(*p, "unexpected parenthesis (only in where)"))
                }
                Tok::End(_) => i += 1,
                Tok::Word { text, quoted, pos } => {
                    if text == "where" && !quoted {
                        a.where_ = Some((toks[i + 1..].to_vec(), *pos));
                        break;
                    }
                    match text.find('=') {
                        Some(eq) if eq > 0 => {
                            let mut name = text[..eq].to_string();
                            let mut val = text[eq + 1..].to_string();
                            if val.is_empty() && !quoted {
                                // `name=` followed by whitespace or a line continuation: the
                                // next word is the value.
                                if let Some(Tok::Word { text: next, .. }) = toks.get(i + 1) {
                                    val = next.clone();
                                    i += 1;
                                }
                            }
                            if let Some(rest) = name.strip_prefix('.') {
                                let g = group.clone().ok_or_else(|| {
                                    Error::at(
                                        *pos,
                                        format!(".{rest}= needs an earlier group.x= argument"),
                                    )
                                })?;
                                name = format!("{g}.{rest}");
                            }
                            if let Some((g, _)) = name.split_once('.') {
                                group = Some(g.to_string());
                            }
                            a.named.push((name, val, *pos));
                        }
                        _ => {
                            if let Some(n) =
                                text.strip_prefix('!').filter(|n| !n.is_empty() && !quoted)
                            {
                                a.unset.push((n.to_string(), *pos));
                            } else {
                                a.bare.push((text.clone(), *pos, *quoted));
                            }
                        }
                    }
                    i += 1;
                }
            }
        }
        Ok(a)
    }

    /// The named arguments as given: (name, value, position).
    pub(super) fn named_args(&self) -> impl Iterator<Item = (&str, &String, &Pos)> {
        self.named.iter().map(|(n, v, p)| (n.as_str(), v, p))
    }

    fn take_named(&mut self, name: &str) -> Option<(String, Pos)> {
        let i = self
            .named
            .iter()
            .position(|(n, _, _)| n == name || (name.starts_with(n.as_str()) && n.len() >= 3))?;
        let (_, v, p) = self.named.remove(i);
        Some((v, p))
    }

    fn no_named(&self, cmd: &str) -> Result<(), Error> {
        if let Some((n, _, p)) = self.named.first() {
            return Err(Error::at(*p, format!("{cmd} takes no parameter {n}")));
        }
        if let Some((n, p)) = self.unset.first() {
            return Err(Error::at(*p, format!("{cmd} takes no !{n}")));
        }
        Ok(())
    }
}

/// Old spellings RouterOS versions differ on: argument name → canonical name.
fn alias(menu: &Menu, name: &str) -> Option<&'static str> {
    match (menu.path, name) {
        (["routing", "bgp", _], "address-families") => Some("afi"),
        _ => None,
    }
}

/// Old value spellings: `vpn4` = `vpnv4`, `copy` = `bgp-mpls-vpn`.
fn value_alias(kind: Kind, v: &str) -> String {
    match kind {
        Kind::EnumList(_) => v
            .split(',')
            .map(|w| match w {
                "vpn4" => "vpnv4",
                "vpn6" => "vpnv6",
                "copy" => "bgp-mpls-vpn",
                w => w,
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => v.to_owned(),
    }
}

/// Resolves a (possibly abbreviated) parameter name among `menu`'s parameters and `extra`.
fn param_name(
    menu: &Menu,
    name: &str,
    extra: &[&'static str],
    pos: Pos,
) -> Result<&'static str, Error> {
    if let Some(a) = alias(menu, name) {
        return Ok(a);
    }
    let all = menu
        .params
        .iter()
        .map(|p| p.name)
        .chain(extra.iter().copied());
    if let Some(n) = all.clone().find(|n| *n == name) {
        return Ok(n);
    }
    let hits: Vec<&'static str> = all.filter(|n| n.starts_with(name)).collect();
    match hits.len() {
        1 => Ok(hits[0]),
        0 => Err(Error::at(
            pos,
            format!("unknown parameter {name:?} for {}", menu.path_text()),
        )),
        _ => Err(Error::at(
            pos,
            format!("ambiguous parameter {name:?}: could be {}", hits.join(", ")),
        )),
    }
}

/// Checks and canonicalises the value of parameter `name`.
fn canonical(store: &Store, menu: &Menu, name: &str, raw: &str, pos: Pos) -> Result<String, Error> {
    let p = menu
        .param(name)
        .ok_or_else(|| Error::at(pos, format!("unknown parameter {name:?}")))?;
    if p.read_only {
        return Err(Error::at(pos, format!("parameter {name} is read-only")));
    }
    if let Some(why) = super::inert::refused(menu.path, name) {
        return Err(Error::at(
            pos,
            format!("parameter {name} is refused: {why}"),
        ));
    }
    let raw = value_alias(p.kind, raw);
    value::canonical(p.kind, &raw, store).map_err(|e| Error::at(pos, format!("{name}: {e}")))
}

/// Values of `add`/`set`: named (`x=y`), `name value` pairs and flags among the bare words.
/// Bare words that are not parameters stay in `rest` (item references).
/// Parameter values, the command's own extra arguments, and the remaining bare words.
type Values = (
    BTreeMap<String, String>,
    Vec<(&'static str, String, Pos)>,
    Vec<(String, Pos, bool)>,
);

fn values(store: &Store, menu: &Menu, a: &Args, extra: &[&'static str]) -> Result<Values, Error> {
    let mut vals = BTreeMap::new();
    let mut extras = Vec::new();
    let mut rest = Vec::new();
    let mut put = |name: &'static str,
                   raw: &str,
                   pos: Pos,
                   vals: &mut BTreeMap<String, String>|
     -> Result<(), Error> {
        if extra.contains(&name) {
            extras.push((name, raw.to_string(), pos));
            return Ok(());
        }
        if name == "enabled" {
            return Ok(());
        }
        let v = canonical(store, menu, name, raw, pos)?;
        if vals.insert(name.to_string(), v).is_some() {
            return Err(Error::at(pos, format!("parameter {name} given twice")));
        }
        Ok(())
    };
    for (n, v, p) in &a.named {
        if n == "enabled" && menu.path == ["mpls", "ldp"] {
            // v6 and early v7: `/mpls ldp add enabled=yes`.
            let b = value::canonical(Kind::Bool, v, store)
                .map_err(|e| Error::at(*p, format!("enabled: {e}")))?;
            vals.insert(
                "disabled".into(),
                if b == "yes" {
                    "no".into()
                } else {
                    "yes".into()
                },
            );
            continue;
        }
        let name = param_name(menu, n, extra, *p)?;
        put(name, v, *p, &mut vals)?;
    }
    let mut i = 0;
    while i < a.bare.len() {
        let (w, p, quoted) = &a.bare[i];
        let is_param = !quoted && param_name(menu, w, extra, *p).is_ok();
        if is_param {
            let name = param_name(menu, w, extra, *p)?;
            let switch = menu.param(name).is_some_and(|p| p.kind == Kind::Switch);
            if switch {
                put(name, "yes", *p, &mut vals)?;
            } else if let Some((v, _, _)) = a.bare.get(i + 1) {
                // `name value`, as in `place-before 0`.
                put(name, v, *p, &mut vals)?;
                i += 1;
            } else {
                return Err(Error::at(*p, format!("parameter {name} needs a value")));
            }
        } else {
            rest.push(a.bare[i].clone());
        }
        i += 1;
    }
    Ok((vals, extras, rest))
}
