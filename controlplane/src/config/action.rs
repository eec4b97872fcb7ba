//! Commands that act on the running router rather than on the configuration: `/ping` and
//! `/routing bgp session reset|refresh|resend`. The engine resolves them like every other
//! command (abbreviated paths, commands and parameter names, completion in the console, use
//! inside scripts) and hands the checked arguments to [`super::exec::Live::act`]. A single
//! action typed at the console runs outside the configuration's lock
//! ([`super::exec::action_of`]), so a ping of several seconds holds up no other session.

use super::exec::Args;
use super::lex::{Error, Pos, Tok};

/// What an action's bare words are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bare {
    /// The first bare word is this parameter's value (`/ping 10.0.0.1`).
    Value(&'static str),
    /// Bare words name items (`reset toR2-1`), given as `numbers`.
    Names,
}

/// An action: where it is, its name, its parameters.
#[derive(Debug)]
pub struct Action {
    /// The menu path it is at (`[]`: the root).
    pub path: &'static [&'static str],
    /// Its command word.
    pub verb: &'static str,
    /// Its parameters.
    pub params: &'static [&'static str],
    /// What bare words are.
    pub bare: Bare,
}

/// Checked arguments: (parameter, value) in the order given.
pub type ActionArgs = Vec<(String, String)>;

const SESSION: &[&str] = &["routing", "bgp", "session"];

/// Every action.
pub static ACTIONS: &[Action] = &[
    Action {
        path: &[],
        verb: "ping",
        params: &[
            "address",
            "count",
            "interval",
            "size",
            "src-address",
            "ttl",
            "vrf",
        ],
        bare: Bare::Value("address"),
    },
    Action {
        path: SESSION,
        verb: "reset",
        params: &["numbers"],
        bare: Bare::Names,
    },
    Action {
        path: SESSION,
        verb: "refresh",
        params: &["numbers"],
        bare: Bare::Names,
    },
    Action {
        path: SESSION,
        verb: "resend",
        params: &["numbers"],
        bare: Bare::Names,
    },
];

/// The actions at `path`.
pub fn at<'a>(path: &'a [&str]) -> impl Iterator<Item = &'static Action> + 'a {
    ACTIONS.iter().filter(move |a| a.path == path)
}

/// The action `verb` at `path`.
pub fn find(path: &[&str], verb: &str) -> Option<&'static Action> {
    at(path).find(|a| a.verb == verb)
}

/// A parameter named `name` or by an unambiguous beginning of it.
fn param(a: &Action, name: &str, pos: Pos) -> Result<&'static str, Error> {
    if let Some(p) = a.params.iter().find(|p| **p == name) {
        return Ok(p);
    }
    let hits: Vec<&&str> = a.params.iter().filter(|p| p.starts_with(name)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::at(
            pos,
            format!(
                "{}: unknown parameter {name:?} (parameters: {})",
                a.verb,
                a.params.join(", ")
            ),
        )),
        _ => Err(Error::at(
            pos,
            format!("{}: ambiguous parameter {name:?}", a.verb),
        )),
    }
}

/// The checked arguments of `a` from the tokens after its name.
pub fn args(a: &Action, toks: &[Tok], at: Pos) -> Result<ActionArgs, Error> {
    let parsed = Args::parse(toks)?;
    if let Some((_, p)) = parsed.finds.first() {
        return Err(Error::at(
            *p,
            format!("{}: [find] is not taken here", a.verb),
        ));
    }
    if let Some((_, p)) = &parsed.where_ {
        return Err(Error::at(
            *p,
            format!("{}: where is not taken here", a.verb),
        ));
    }
    if let Some((n, p)) = parsed.unset.first() {
        return Err(Error::at(*p, format!("{}: takes no !{n}", a.verb)));
    }
    let mut out: ActionArgs = Vec::new();
    for (w, p, _) in &parsed.bare {
        match a.bare {
            Bare::Value(name) if !out.iter().any(|(n, _)| n == name) => {
                out.push((name.to_owned(), w.clone()))
            }
            Bare::Value(_) => {
                return Err(Error::at(
                    *p,
                    format!("{}: unexpected {w:?} (use name=value)", a.verb),
                ))
            }
            Bare::Names => out.extend(w.split(',').map(|n| ("numbers".to_owned(), n.to_owned()))),
        }
    }
    for (n, v, p) in parsed.named_args() {
        let name = param(a, n, *p)?;
        if name == "numbers" {
            out.extend(v.split(',').map(|x| ("numbers".to_owned(), x.to_owned())));
        } else if out.iter().any(|(k, _)| k == name) {
            return Err(Error::at(*p, format!("{}: {name} given twice", a.verb)));
        } else {
            out.push((name.to_owned(), v.clone()));
        }
    }
    if a.bare == Bare::Names && out.is_empty() {
        return Err(Error::at(
            at,
            format!(
                "{}: which session? (a name from /routing bgp session print)",
                a.verb
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::config::exec::action_of;

    #[test]
    fn actions_resolve_like_commands() {
        let (a, args) = action_of(&[], "/pi 10.0.0.1 cou=3 src=10.255.0.1")
            .unwrap()
            .unwrap();
        assert_eq!(a.verb, "ping");
        assert_eq!(
            args,
            [
                ("address".to_string(), "10.0.0.1".to_string()),
                ("count".into(), "3".into()),
                ("src-address".into(), "10.255.0.1".into()),
            ]
        );
        let (a, args) = action_of(&[], "/routing bgp session reset x-1,y")
            .unwrap()
            .unwrap();
        assert_eq!(a.verb, "reset");
        assert_eq!(
            args,
            [
                ("numbers".to_string(), "x-1".to_string()),
                ("numbers".into(), "y".into())
            ]
        );
        let cwd: &[&'static str] = &["routing", "bgp", "session"];
        let (a, _) = action_of(cwd, "ref toR2-1").unwrap().unwrap();
        assert_eq!(a.verb, "refresh");
        assert!(action_of(&[], "/ping 1.2.3.4 colour=red")
            .unwrap()
            .unwrap_err()
            .to_string()
            .contains("unknown parameter"));
        assert!(action_of(cwd, "reset").unwrap().is_err());
        assert!(action_of(&[], "/ip route print").is_none());
        assert!(action_of(&[], "/ping 1.2.3.4; /ping 1.2.3.5").is_none());
        assert!(crate::config::exec::commands_at(&[]).contains(&"ping"));
        assert!(crate::config::exec::commands_at(cwd).contains(&"reset"));
    }
}
