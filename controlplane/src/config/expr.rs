//! `where` expressions of `print`, `find` and `export`: comparisons (`= != < > <= >= ~ in`),
//! `and or not` / `&& || !`, parentheses, and bare flag names.
//!
//! Nothing here recurses without a bound: `and` and `or` chains are flat lists, and
//! parentheses and negations nest at most [`MAX_DEPTH`] deep (deeper input is refused at the
//! column where the limit is passed), so parsing, evaluating and dropping an expression use
//! a bounded stack whatever the input.

use super::lex::{Error, Pos, Tok};
use super::value;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every one of them.
    And(Vec<Expr>),
    /// Any of them.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// A property compared with a value.
    Cmp(String, Op, String, Pos),
    /// A bare property or flag name: true when set (`disabled`, `dynamic`, `fib`).
    Flag(String, Pos),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `~` (regular expression)
    Re,
    /// `in` (address or prefix inside a prefix)
    In,
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Atom(String, bool, Pos),
    Op(&'static str, Pos),
    L(Pos),
    R(Pos),
}

fn split(toks: &[Tok]) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for t in toks {
        match t {
            Tok::LParen(p) => out.push(T::L(*p)),
            Tok::RParen(p) => out.push(T::R(*p)),
            Tok::Word {
                text,
                quoted: true,
                pos,
            } => {
                // `name="value"`: the quotes cover the value; split at the operator.
                split_word(text, *pos, &mut out, true);
            }
            Tok::Word { text, pos, .. } => split_word(text, *pos, &mut out, false),
            Tok::Open(p) | Tok::Close(p) | Tok::End(p) => {
                return Err(Error::at(
                    *p,
                    "unexpected bracket or command end in expression",
                ))
            }
        }
    }
    Ok(out)
}

const OPS: &[&str] = &["&&", "||", "!=", "<=", ">=", "=", "<", ">", "~", "!"];

fn split_word(w: &str, pos: Pos, out: &mut Vec<T>, quoted: bool) {
    let mut atom = String::new();
    let mut atom_col = pos.col;
    let mut i = 0;
    // After a comparison operator the rest of a quoted word is one value.
    while i < w.len() {
        let here = Pos {
            line: pos.line,
            col: pos.col + w[..i].chars().count(),
        };
        if let Some(op) = OPS.iter().find(|op| w[i..].starts_with(**op)) {
            if !atom.is_empty() {
                out.push(T::Atom(
                    std::mem::take(&mut atom),
                    false,
                    Pos {
                        line: pos.line,
                        col: atom_col,
                    },
                ));
            }
            out.push(T::Op(op, here));
            i += op.len();
            atom_col = pos.col + w[..i].chars().count();
            if quoted && !matches!(*op, "!" | "&&" | "||") {
                out.push(T::Atom(
                    w[i..].to_owned(),
                    true,
                    Pos {
                        line: pos.line,
                        col: atom_col,
                    },
                ));
                return;
            }
            continue;
        }
        let ch = w[i..].chars().next().unwrap_or(' ');
        atom.push(ch);
        i += ch.len_utf8();
    }
    if !atom.is_empty() || (quoted && out.last().is_some_and(|t| matches!(t, T::Op(..)))) {
        out.push(T::Atom(
            atom,
            quoted,
            Pos {
                line: pos.line,
                col: atom_col,
            },
        ));
    }
}

/// How deep parentheses and negations may nest. RouterOS scripts rarely pass 5.
pub const MAX_DEPTH: usize = 32;

struct P {
    t: Vec<T>,
    i: usize,
    end: Pos,
    depth: usize,
}

impl P {
    fn peek(&self) -> Option<&T> {
        self.t.get(self.i)
    }

    fn pos(&self) -> Pos {
        match self.peek() {
            Some(T::Atom(_, _, p) | T::Op(_, p) | T::L(p) | T::R(p)) => *p,
            None => self.end,
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(T::Atom(a, false, _)) if a == kw)
    }

    fn or(&mut self) -> Result<Expr, Error> {
        let mut terms = vec![self.and()?];
        while matches!(self.peek(), Some(T::Op("||", _))) || self.is_kw("or") {
            self.i += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.swap_remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, Error> {
        let mut terms = vec![self.unary()?];
        loop {
            if matches!(self.peek(), Some(T::Op("&&", _))) || self.is_kw("and") {
                self.i += 1;
            } else if !matches!(self.peek(), Some(T::Atom(..) | T::L(_) | T::Op("!", _)))
                || self.is_kw("or")
            {
                break;
            }
            // Juxtaposed terms (`find interface=ether2 disabled=no`) are joined by "and".
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.swap_remove(0)
        } else {
            Expr::And(terms)
        })
    }

    /// Enters one level of nesting (a parenthesis or a negation) at the current token.
    fn enter(&mut self) -> Result<(), Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::at(
                self.pos(),
                format!("expression nested more than {MAX_DEPTH} deep (parentheses and negations)"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        if matches!(self.peek(), Some(T::Op("!", _))) || self.is_kw("not") {
            self.enter()?;
            self.i += 1;
            let e = Expr::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        if let Some(T::L(p)) = self.peek().cloned() {
            self.enter()?;
            self.i += 1;
            let e = self.or()?;
            if !matches!(self.peek(), Some(T::R(_))) {
                return Err(Error::at(p, "missing ) to close this ("));
            }
            self.i += 1;
            self.depth -= 1;
            return Ok(e);
        }
        let pos = self.pos();
        let Some(T::Atom(name, _, _)) = self.peek().cloned() else {
            return Err(Error::at(pos, "expected a property name"));
        };
        self.i += 1;
        let op = match self.peek() {
            Some(T::Op("=", _)) => Some(Op::Eq),
            Some(T::Op("!=", _)) => Some(Op::Ne),
            Some(T::Op("<", _)) => Some(Op::Lt),
            Some(T::Op(">", _)) => Some(Op::Gt),
            Some(T::Op("<=", _)) => Some(Op::Le),
            Some(T::Op(">=", _)) => Some(Op::Ge),
            Some(T::Op("~", _)) => Some(Op::Re),
            _ if self.is_kw("in") => Some(Op::In),
            _ => None,
        };
        let Some(op) = op else {
            return Ok(Expr::Flag(name, pos));
        };
        self.i += 1;
        let vpos = self.pos();
        match self.peek().cloned() {
            Some(T::Atom(v, _, _)) => {
                self.i += 1;
                if op == Op::Re {
                    regex::Regex::new(&v)
                        .map_err(|e| Error::at(vpos, format!("bad regular expression: {e}")))?;
                }
                Ok(Expr::Cmp(name, op, v, pos))
            }
            _ => Err(Error::at(
                vpos,
                format!("expected a value after the operator for {name}"),
            )),
        }
    }
}

/// Parses the tokens of an expression; `end` is where the command ends (for errors).
pub fn parse(toks: &[Tok], end: Pos) -> Result<Expr, Error> {
    let t = split(toks)?;
    if t.is_empty() {
        return Err(Error::at(end, "expected an expression after where"));
    }
    let mut p = P {
        t,
        i: 0,
        end,
        depth: 0,
    };
    let e = p.or()?;
    if p.i < p.t.len() {
        return Err(Error::at(p.pos(), "unexpected text in expression"));
    }
    Ok(e)
}

/// What an expression reads from an item.
pub trait Subject {
    /// The value of a property (stored or default), if it has one.
    fn value(&self, name: &str) -> Option<String>;
    /// Whether a flag (`disabled`, `dynamic`, `builtin`, `running`…) is set; `None` if the
    /// name is not a flag.
    fn flag(&self, name: &str) -> Option<bool>;
    /// The canonical form of `raw` for property `name`, to compare like with like.
    fn canonical(&self, name: &str, raw: &str) -> Option<String>;
}

/// Evaluates `e` on `s`.
pub fn eval(e: &Expr, s: &dyn Subject) -> bool {
    match e {
        Expr::And(terms) => terms.iter().all(|t| eval(t, s)),
        Expr::Or(terms) => terms.iter().any(|t| eval(t, s)),
        Expr::Not(a) => !eval(a, s),
        Expr::Flag(n, _) => match s.flag(n) {
            Some(f) => f,
            None => matches!(s.value(n).as_deref(), Some(v) if !v.is_empty() && v != "no"),
        },
        Expr::Cmp(n, op, rhs, _) => {
            let lhs = s.value(n).or_else(|| {
                s.flag(n)
                    .map(|f| if f { "yes".into() } else { "no".into() })
            });
            let Some(lhs) = lhs else {
                return matches!(op, Op::Ne) || (matches!(op, Op::Eq) && rhs.is_empty());
            };
            let rhs_c = s.canonical(n, rhs).unwrap_or_else(|| rhs.clone());
            match op {
                Op::Eq => lhs == *rhs || lhs == rhs_c,
                Op::Ne => lhs != *rhs && lhs != rhs_c,
                Op::Re => regex::Regex::new(rhs)
                    .map(|r| r.is_match(&lhs))
                    .unwrap_or(false),
                Op::In => inside(&lhs, rhs),
                Op::Lt | Op::Gt | Op::Le | Op::Ge => {
                    let ord = match (lhs.parse::<f64>(), rhs.parse::<f64>()) {
                        (Ok(a), Ok(b)) => a.partial_cmp(&b),
                        _ => Some(lhs.as_str().cmp(rhs.as_str())),
                    };
                    matches!(
                        (op, ord),
                        (Op::Lt, Some(std::cmp::Ordering::Less))
                            | (Op::Gt, Some(std::cmp::Ordering::Greater))
                            | (
                                Op::Le,
                                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                            )
                            | (
                                Op::Ge,
                                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                            )
                    )
                }
            }
        }
    }
}

/// Whether an address or prefix `v` lies inside prefix `outer`.
fn inside(v: &str, outer: &str) -> bool {
    let parse = |s: &str| -> Option<(u32, u8)> {
        let p = value::prefix(s)?;
        let (a, l) = p.split_once('/')?;
        Some((
            u32::from(a.parse::<std::net::Ipv4Addr>().ok()?),
            l.parse().ok()?,
        ))
    };
    let v = v.split('%').next().unwrap_or(v);
    match (parse(v), parse(outer)) {
        (Some((a, la)), Some((b, lb))) => {
            let m = if lb == 0 { 0 } else { u32::MAX << (32 - lb) };
            la >= lb && a & m == b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::lex;
    use super::*;
    use std::collections::HashMap;

    struct S(HashMap<&'static str, &'static str>);
    impl Subject for S {
        fn value(&self, n: &str) -> Option<String> {
            self.0.get(n).map(|v| v.to_string())
        }
        fn flag(&self, n: &str) -> Option<bool> {
            (n == "disabled").then_some(false)
        }
        fn canonical(&self, _: &str, raw: &str) -> Option<String> {
            Some(raw.to_owned())
        }
    }

    fn ev(src: &str) -> bool {
        let toks = lex(src).unwrap();
        let e = parse(&toks, Pos::default()).unwrap();
        let s = S(HashMap::from([
            ("routing-table", "cust-one"),
            ("distance", "20"),
            ("dst-address", "10.1.1.0/24"),
            ("afi", "vpn4"),
        ]));
        eval(&e, &s)
    }

    #[test]
    fn expressions() {
        assert!(ev("routing-table=cust-one"));
        assert!(ev("routing-table=\"cust-one\""));
        assert!(!ev("routing-table!=cust-one"));
        assert!(ev("distance>5 && distance<=20"));
        assert!(ev("distance > 5 and not disabled"));
        assert!(ev("!disabled"));
        assert!(ev("dst-address in 10.0.0.0/8"));
        assert!(!ev("dst-address in 11.0.0.0/8"));
        assert!(ev("afi~\"^vpn\""));
        assert!(ev("(distance=1 || afi=\"vpn4\") && routing-table=cust-one"));
        assert!(ev("routing-table=cust-one distance=20"));
        assert!(!ev("missing=x"));
    }

    #[test]
    fn nesting_is_bounded_and_long_chains_are_flat() {
        let deep = format!("{}disabled{}", "(".repeat(2000), ")".repeat(2000));
        let err = parse(&lex(&deep).unwrap(), Pos::default()).unwrap_err();
        assert!(err.msg.contains("nested more than 32"), "{}", err.msg);
        assert_eq!(err.pos.col, 33, "the column where the limit is passed");
        for bad in ["not ".repeat(10_000), "!".repeat(20_000)] {
            let src = format!("{bad}disabled");
            assert!(parse(&lex(&src).unwrap(), Pos::default()).is_err());
        }
        let ok = format!("{}disabled{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&lex(&ok).unwrap(), Pos::default()).is_ok());
        // 100,000 juxtaposed terms: one flat list, evaluated and dropped without recursion.
        let long = "distance=20 ".repeat(100_000) + "or afi=x ".repeat(50_000).as_str();
        assert!(ev(&long));
    }

    #[test]
    fn errors_have_positions() {
        let toks = lex("(a=1").unwrap();
        assert!(parse(&toks, Pos::default())
            .unwrap_err()
            .msg
            .contains("missing )"));
        let toks = lex("a=").unwrap();
        assert!(parse(&toks, Pos::default()).is_err());
        let toks = lex("a~\"(\"").unwrap();
        assert!(parse(&toks, Pos::default())
            .unwrap_err()
            .msg
            .contains("regular expression"));
    }
}
