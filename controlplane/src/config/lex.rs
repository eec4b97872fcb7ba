//! Splitting RouterOS script text into tokens with their line and column: words (with quoted
//! parts and escapes resolved), brackets, parentheses, command ends. `\` at the end of a line
//! joins the next one; `#` starting a word comments out the rest of the line.

use std::fmt;

/// Where a token starts: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.col)
    }
}

/// An error with its position: what every failure of the language reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub msg: String,
}

impl Error {
    /// An error at `pos`. Input quoted in the message (`"…"`) is cut to a short excerpt, so a
    /// megabyte of garbage gets a one-line answer.
    pub fn at(pos: Pos, msg: impl Into<String>) -> Error {
        Error {
            pos,
            msg: shorten_quoted(msg.into()),
        }
    }
}

/// The longest quoted excerpt of input an error message carries, in characters.
pub const EXCERPT: usize = 60;

/// Cuts every double-quoted span of `msg` longer than [`EXCERPT`] characters to its start,
/// an ellipsis and its length. Backslash escapes inside quotes are honoured.
pub fn shorten_quoted(msg: String) -> String {
    if msg.len() <= EXCERPT + 2 {
        return msg;
    }
    let mut out = String::with_capacity(msg.len().min(4 * EXCERPT));
    let mut chars = msg.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        let (mut inner, mut n, mut closed) = (String::new(), 0usize, false);
        while let Some(c) = chars.next() {
            if c == '"' {
                closed = true;
                break;
            }
            n += 1;
            if inner.chars().count() < EXCERPT {
                inner.push(c);
                if c == '\\' {
                    if let Some(e) = chars.next() {
                        inner.push(e);
                    }
                }
            } else if c == '\\' {
                chars.next();
            }
        }
        out.push_str(&inner);
        if n > EXCERPT {
            out.push_str(&format!("…\" ({n} characters)"));
        } else if closed {
            out.push('"');
        }
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.msg)
    }
}

impl std::error::Error for Error {}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A word; `quoted` when any part of it was in double quotes (then it is never a
    /// keyword or operator).
    Word {
        /// The text, escapes resolved.
        text: String,
        /// Whether any part was quoted.
        quoted: bool,
        /// Where it starts.
        pos: Pos,
    },
    /// `[`
    Open(Pos),
    /// `]`
    Close(Pos),
    /// `(`
    LParen(Pos),
    /// `)`
    RParen(Pos),
    /// `;` or a line end: the end of a command.
    End(Pos),
}

impl Tok {
    /// Where the token starts.
    pub fn pos(&self) -> Pos {
        match self {
            Tok::Word { pos, .. } => *pos,
            Tok::Open(p) | Tok::Close(p) | Tok::LParen(p) | Tok::RParen(p) | Tok::End(p) => *p,
        }
    }
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

impl Cursor<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        match c {
            '\n' => {
                self.line += 1;
                self.col = 1;
            }
            '\r' => {
                // CR LF is one line end; a lone CR is one too.
                if self.chars.peek() == Some(&'\n') {
                    self.chars.next();
                }
                self.line += 1;
                self.col = 1;
                return Some('\n');
            }
            _ => self.col += 1,
        }
        Some(c)
    }

    /// After a `\`: whether it is a line continuation (then the line end is consumed).
    fn continuation(&mut self) -> bool {
        if matches!(self.peek(), Some('\n' | '\r')) {
            self.bump();
            true
        } else {
            false
        }
    }
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Tok>, Error> {
    let mut c = Cursor {
        chars: src.chars().peekable(),
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        let pos = c.pos();
        let Some(ch) = c.peek() else { break };
        match ch {
            ' ' | '\t' => {
                c.bump();
            }
            '\n' | '\r' | ';' => {
                c.bump();
                out.push(Tok::End(pos));
            }
            '[' => {
                c.bump();
                out.push(Tok::Open(pos));
            }
            ']' => {
                c.bump();
                out.push(Tok::Close(pos));
            }
            '(' => {
                c.bump();
                out.push(Tok::LParen(pos));
            }
            ')' => {
                c.bump();
                out.push(Tok::RParen(pos));
            }
            '#' => {
                while !matches!(c.peek(), None | Some('\n' | '\r')) {
                    c.bump();
                }
            }
            '\\' => {
                c.bump();
                if !c.continuation() {
                    // A backslash starting a word: the word begins with an escape.
                    let (text, quoted) = word(&mut c, Some(pos))?;
                    out.push(Tok::Word { text, quoted, pos });
                }
            }
            '{' | '}' => return Err(Error::at(pos, "scripting blocks { } are not supported")),
            _ => {
                let (text, quoted) = word(&mut c, None)?;
                out.push(Tok::Word { text, quoted, pos });
            }
        }
    }
    Ok(out)
}

/// Reads one word; `escaped` is set when the word began with a `\` already consumed.
fn word(c: &mut Cursor<'_>, escaped: Option<Pos>) -> Result<(String, bool), Error> {
    let mut text = String::new();
    let mut quoted = false;
    if let Some(p) = escaped {
        text.push(escape(c, p)?);
    }
    loop {
        let pos = c.pos();
        match c.peek() {
            None | Some(' ' | '\t' | '\n' | '\r' | ';' | '[' | ']' | '(' | ')') => break,
            Some('"') => {
                quoted = true;
                c.bump();
                loop {
                    let p = c.pos();
                    match c.bump() {
                        None => {
                            return Err(Error::at(pos, "unterminated string: missing closing \""))
                        }
                        Some('"') => break,
                        Some('\\') => {
                            if c.continuation() {
                                continue;
                            }
                            text.push(escape(c, p)?);
                        }
                        Some(ch) => text.push(ch),
                    }
                }
            }
            Some('\\') => {
                c.bump();
                if c.continuation() {
                    break;
                }
                text.push(escape(c, pos)?);
            }
            Some(ch) => {
                text.push(ch);
                c.bump();
            }
        }
    }
    Ok((text, quoted))
}

/// The character an escape stands for (the `\` is consumed).
fn escape(c: &mut Cursor<'_>, pos: Pos) -> Result<char, Error> {
    let Some(ch) = c.bump() else {
        return Err(Error::at(
            pos,
            "a \\ at the end of the input escapes nothing",
        ));
    };
    Ok(match ch {
        '"' | '\\' | '$' | '?' | '[' | ']' | '{' | '}' | ';' | '=' => ch,
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        '_' => ' ',
        h if h.is_ascii_hexdigit() => {
            let l = c.bump().filter(char::is_ascii_hexdigit).ok_or_else(|| {
                Error::at(pos, "a \\ escape of a byte needs two hex digits (\\4A)")
            })?;
            let v = u8::from_str_radix(&format!("{h}{l}"), 16).unwrap_or(b'?');
            char::from(v)
        }
        other => return Err(Error::at(pos, format!("unknown escape \\{other}"))),
    })
}

/// Quotes a value for output if it needs it (spaces, specials, empty), escaping as RouterOS.
pub fn quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/,@%*!+<>=&^|'~`".contains(c))
        && !v.starts_with('#');
    if plain {
        return v.to_owned();
    }
    quote_always(v)
}

/// Quotes a value, escaping as RouterOS does.
pub fn quote_always(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\{:02X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        lex(src)
            .unwrap()
            .into_iter()
            .map(|t| match t {
                Tok::Word { text, .. } => text,
                Tok::End(_) => ";".into(),
                Tok::Open(_) => "[".into(),
                Tok::Close(_) => "]".into(),
                Tok::LParen(_) => "(".into(),
                Tok::RParen(_) => ")".into(),
            })
            .collect()
    }

    #[test]
    fn words_quotes_continuations_comments() {
        assert_eq!(
            words("/ip vrf add name=a"),
            vec!["/ip", "vrf", "add", "name=a"]
        );
        assert_eq!(
            words("add comment=\"WAN link\" x=1"),
            vec!["add", "comment=WAN link", "x=1"]
        );
        assert_eq!(words("add a=1 \\\n    b=2"), vec!["add", "a=1", "b=2"]);
        assert_eq!(words("add a=\\\r\n    x"), vec!["add", "a=", "x"]);
        assert_eq!(
            words("# comment\nadd x=1 # tail\n"),
            vec![";", "add", "x=1", ";"]
        );
        assert_eq!(words("a; b"), vec!["a", ";", "b"]);
        assert_eq!(
            words("set [find name=x] y=\"a#b\""),
            vec!["set", "[", "find", "name=x", "]", "y=a#b"]
        );
        assert_eq!(words("x=\"a\\\"b\\\\c\\n\""), vec!["x=a\"b\\c\n"]);
        assert_eq!(words("x=\\41\\_y"), vec!["x=A y"]);
    }

    #[test]
    fn positions_and_errors() {
        let t = lex("add\n  x=\"open").unwrap_err();
        assert_eq!(t.pos, Pos { line: 2, col: 5 });
        assert!(t.msg.contains("unterminated"));
        let toks = lex("a\n  bb").unwrap();
        assert_eq!(toks[2].pos(), Pos { line: 2, col: 3 });
        assert!(lex("x=\\q").is_err());
        assert!(lex(":if (a) do={ }").is_err());
    }

    #[test]
    fn errors_quote_short_excerpts() {
        let long = "x".repeat(1 << 20);
        let e = Error::at(Pos::default(), format!("unknown command {long:?} here"));
        assert!(e.msg.len() < 200, "{}", e.msg);
        assert!(e.msg.starts_with("unknown command \"xxx"));
        assert!(e
            .msg
            .ends_with(&format!("…\" ({} characters) here", 1 << 20)));
        let short = Error::at(Pos::default(), "unknown parameter \"a\\\"b\" for /ip");
        assert_eq!(short.msg, "unknown parameter \"a\\\"b\" for /ip");
    }

    #[test]
    fn quoting_round_trips() {
        for v in [
            "plain",
            "with space",
            "",
            "a\"b",
            "tab\there",
            "#hash",
            "x$y",
            "back\\slash",
        ] {
            let q = quote(v);
            let toks = lex(&format!("k={q}")).unwrap();
            match &toks[0] {
                Tok::Word { text, .. } => assert_eq!(text, &format!("k={v}")),
                other => panic!("{other:?}"),
            }
        }
    }
}
