//! Running RouterOS commands against the [`Store`]: path resolution with abbreviations,
//! arguments (`name=value`, `name value`, flags, `!name`, `.x=` shorthand, item numbers, `*id`,
//! names, `[find ...]`), and the commands `add set remove print move export enable disable
//! find get unset comment`.
//!
//! A command that fails changes nothing; a script stops at its first failing command.

use super::expr::{self, Expr, Subject};
use super::lex::{lex, Error, Pos, Tok};
pub use super::live::{Hint, IfStats, Live, Narrowed, NoLive};
use super::menus::{INTERFACE_VIEW, MENUS};
use super::print;
use super::schema::{Kind, Menu, MenuKind};
use super::store::{m, Item, Store};
use super::value;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

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

/// Notes a warning for every inert parameter set to something other than its default.
fn warn_inert(session: &mut Session, menu: &Menu, vals: &BTreeMap<String, String>) {
    for (k, v) in vals {
        if menu.param(k).and_then(|p| p.default) == Some(v.as_str()) {
            continue;
        }
        let w = if let Some(why) = super::inert::inert(menu.path, k) {
            super::inert::warning(menu.path, k, why)
        } else if let Some((part, why)) = super::inert::inert_value(menu.path, k, v) {
            super::inert::warning(menu.path, &format!("{k}={part}"), why)
        } else {
            continue;
        };
        if !session.warnings.contains(&w) {
            session.warnings.push(w);
        }
    }
}

fn add(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    if !menu.can_add {
        return Err(Error::at(
            vpos,
            format!("items cannot be added to {}", menu.path_text()),
        ));
    }
    let a = Args::parse(toks)?;
    if let Some((_, p)) = &a.where_ {
        return Err(Error::at(*p, "add takes no where"));
    }
    let (mut vals, extras, rest) = values(ctx.store, menu, &a, &["place-before", "copy-from"])?;
    warn_inert(ctx.session, menu, &vals);
    if let Some((w, p, _)) = rest.first() {
        return Err(Error::at(*p, format!("unexpected argument {w:?} for add")));
    }
    for (n, p) in &a.unset {
        // Verbose exports write unset properties as !name: nothing to set.
        param_name(menu, n, &[], *p)?;
    }
    let mut before = None;
    for (name, raw, pos) in extras {
        let ids = items(ctx, mi, &[(raw.clone(), pos, false)], &[])?;
        let id = *ids
            .first()
            .ok_or_else(|| Error::at(pos, format!("no such item {raw:?}")))?;
        let list = ctx.store.items(mi);
        if name == "place-before" {
            before = list.iter().position(|i| i.id == id);
        } else if let Some(src) = list.iter().find(|i| i.id == id) {
            for (k, v) in &src.values {
                if menu.param(k).is_some_and(|p| !p.read_only) {
                    vals.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if let Some((_, p)) = a.finds.first() {
        return Err(Error::at(*p, "add takes no item references"));
    }
    ctx.store
        .add(mi, vals, before)
        .map_err(|e| Error::at(vpos, e))?;
    Ok((String::new(), true))
}

fn set(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    let a = Args::parse(toks)?;
    if let Some((_, p)) = &a.where_ {
        return Err(Error::at(
            *p,
            "set takes items, not where: set [find where ...] x=y",
        ));
    }
    let (vals, _, rest) = values(ctx.store, menu, &a, &[])?;
    warn_inert(ctx.session, menu, &vals);
    let mut unset = Vec::new();
    for (n, p) in &a.unset {
        unset.push(param_name(menu, n, &[], *p)?.to_string());
    }
    if vals.is_empty() && unset.is_empty() {
        return Err(Error::at(
            vpos,
            "set needs at least one parameter to change",
        ));
    }
    if menu.kind == MenuKind::Settings {
        if let Some((w, p, _)) = rest.first() {
            return Err(Error::at(
                *p,
                format!(
                    "unexpected argument {w:?}: {} has no items",
                    menu.path_text()
                ),
            ));
        }
        ctx.store
            .set_settings(mi, &vals, &unset)
            .map_err(|e| Error::at(vpos, e))?;
        return Ok((String::new(), true));
    }
    let ids = items_required(ctx, mi, &rest, &a.finds, vpos)?;
    ctx.store
        .set(mi, &ids, &vals, &unset)
        .map_err(|e| Error::at(vpos, e))?;
    Ok((String::new(), true))
}

fn unset(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    let mut a = Args::parse(toks)?;
    let mut props = Vec::new();
    if let Some((v, p)) = a.take_named("value-name") {
        props.push(param_name(menu, &v, &[], p)?.to_string());
    }
    a.no_named("unset")?;
    let mut rest = Vec::new();
    for (w, p, q) in a.bare.clone() {
        match (
            menu.kind == MenuKind::Settings || !rest.is_empty() || !a.finds.is_empty(),
            param_name(menu, &w, &[], p),
        ) {
            (true, Ok(n)) if props.is_empty() || menu.kind == MenuKind::Settings => {
                props.push(n.to_string())
            }
            _ => rest.push((w, p, q)),
        }
    }
    if props.is_empty() {
        return Err(Error::at(
            vpos,
            "unset needs the parameter: unset ITEMS value-name=NAME",
        ));
    }
    if menu.kind == MenuKind::Settings {
        ctx.store
            .set_settings(mi, &BTreeMap::new(), &props)
            .map_err(|e| Error::at(vpos, e))?;
    } else {
        let ids = items_required(ctx, mi, &rest, &a.finds, vpos)?;
        ctx.store
            .set(mi, &ids, &BTreeMap::new(), &props)
            .map_err(|e| Error::at(vpos, e))?;
    }
    Ok((String::new(), true))
}

fn get(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<String, Error> {
    let mut a = Args::parse(toks)?;
    let named = a.take_named("value-name");
    a.no_named("get")?;
    let mut bare = a.bare.clone();
    let (prop, ppos) = match named {
        Some(x) => x,
        None => match bare.pop() {
            Some((w, p, _)) => (w, p),
            None => return Err(Error::at(vpos, "get needs a property: get ITEM NAME")),
        },
    };
    let item = if menu.kind == MenuKind::Settings {
        ctx.store.settings(mi).cloned()
    } else {
        let ids = items_required(ctx, mi, &bare, &a.finds, vpos)?;
        let list = ctx.store.items(mi);
        list.iter().find(|i| Some(&i.id) == ids.first()).cloned()
    };
    let item = item.ok_or_else(|| Error::at(vpos, "no such item"))?;
    let name = param_name(menu, &prop, &[], ppos)?;
    Ok(format!("{}\n", item.get(mi, name).unwrap_or("")))
}

/// Item references: numbers from the last print, `*id`, names, `[find ...]`.
fn items(
    ctx: &mut Ctx<'_>,
    mi: usize,
    words: &[(String, Pos, bool)],
    finds: &[(Vec<Tok>, Pos)],
) -> Result<Vec<u32>, Error> {
    let menu = &MENUS[mi];
    let mut out = Vec::new();
    {
        let list = ctx.store.items(mi);
        for (w, p, _) in words {
            for part in w.split(',') {
                let id = if let Some(hex) = part.strip_prefix('*') {
                    let id = u32::from_str_radix(hex, 16)
                        .map_err(|_| Error::at(*p, format!("bad item id {part:?}")))?;
                    list.iter().find(|i| i.id == id).map(|i| i.id)
                } else if let Ok(n) = part.parse::<usize>() {
                    match ctx.session.numbering.get(&mi) {
                        Some(ids) => ids
                            .get(n)
                            .copied()
                            .filter(|id| list.iter().any(|i| i.id == *id)),
                        None => list.get(n).map(|i| i.id),
                    }
                } else {
                    menu.key.and_then(|k| {
                        list.iter()
                            .find(|i| i.values.get(k).map(String::as_str) == Some(part))
                            .map(|i| i.id)
                    })
                };
                match id {
                    Some(id) => out.push(id),
                    None => {
                        return Err(Error::at(
                            *p,
                            format!("no such item {part:?} in {}", menu.path_text()),
                        ))
                    }
                }
            }
        }
    }
    for (ftoks, p) in finds {
        let Some(Tok::Word { text, .. }) = ftoks.first() else {
            return Err(Error::at(*p, "expected find inside [ ]"));
        };
        if !"find".starts_with(text.as_str()) || text.len() < 2 {
            return Err(Error::at(
                *p,
                format!("only [find ...] is supported inside [ ], not {text:?}"),
            ));
        }
        let end = ftoks.last().map(Tok::pos).unwrap_or(*p);
        out.extend(find(ctx, mi, &ftoks[1..], end)?);
    }
    Ok(out)
}

fn items_required(
    ctx: &mut Ctx<'_>,
    mi: usize,
    words: &[(String, Pos, bool)],
    finds: &[(Vec<Tok>, Pos)],
    vpos: Pos,
) -> Result<Vec<u32>, Error> {
    if words.is_empty() && finds.is_empty() {
        return Err(Error::at(
            vpos,
            "which items? give numbers, names, *ids or [find ...]",
        ));
    }
    items(ctx, mi, words, finds)
}

/// `find [where] EXPR`: the ids of the matching items.
fn find(ctx: &mut Ctx<'_>, mi: usize, toks: &[Tok], end: Pos) -> Result<Vec<u32>, Error> {
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
            _ => self
                .it
                .values
                .get("default-name")
                .is_some_and(|d| self.live.running(d)),
        }
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

fn print_cmd(
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

fn export_cmd(
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
    Ok(super::export::export(
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
    super::menus::menu_index(path)
}

/// `m()` re-exported for the other parts of the engine.
pub fn idx(path: &[&str]) -> usize {
    m(path)
}
