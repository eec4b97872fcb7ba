//! `rspectl`, the client of the control socket.
//!
//! ```text
//! rspectl [--socket PATH] [--json] 'COMMAND'   one command, output on stdout
//! rspectl [--socket PATH] import FILE.rsc      run a script; stops at its first failing line
//! rspectl [--socket PATH] import --keep-going FILE.rsc
//!                                              applies every command it can; lists the rest
//! rspectl [--socket PATH]                      the console
//! ```

use controlplane::config::action;
use controlplane::config::exec::{children, commands_at, menu_at};
use reedline::{
    default_emacs_keybindings, ColumnarMenu, Completer, CompletionResult, DefaultHinter, Emacs,
    FileBackedHistory, KeyCode, KeyModifiers, MenuBuilder, Prompt, PromptEditMode,
    PromptHistorySearch, Reedline, ReedlineEvent, ReedlineMenu, Signal, Span, Suggestion,
};
use shared::api::{self, Format, Mode, Request, Response};
use std::borrow::Cow;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USAGE: &str = "\
usage: rspectl [--socket PATH] [--json] 'COMMAND'
       rspectl [--socket PATH] import [--keep-going] FILE.rsc
       rspectl [--socket PATH]                 (console)

  --socket PATH   the daemon's control socket (default /run/rspe/rspe.sock)
  --json          print output as JSON, for scripts
  --keep-going    (import) apply every command that can be, list each refused one with
                  its line and reason (loading another router's export)
  COMMAND         a RouterOS command, e.g. '/ip vrf print'";

fn main() -> ExitCode {
    let mut socket = PathBuf::from(api::DEFAULT_SOCKET);
    let mut format = Format::Text;
    let mut words = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--socket" => match args.next() {
                Some(p) => socket = PathBuf::from(p),
                None => return usage("--socket needs a path"),
            },
            "--json" => format = Format::Json,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if a.starts_with("--socket=") => socket = PathBuf::from(&a["--socket=".len()..]),
            // Import's own option, wherever it is written.
            "--keep-going" => words.push(a),
            _ if a.starts_with("--") => return usage(&format!("unknown option {a:?}")),
            _ => words.push(a),
        }
    }
    match words.first().map(String::as_str) {
        None => console(&socket),
        Some("import") => match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            [_, file] if file != "--keep-going" => import(&socket, Path::new(file), format, false),
            [_, "--keep-going", file] | [_, file, "--keep-going"] => {
                import(&socket, Path::new(file), format, true)
            }
            _ => usage("import takes one file: rspectl import [--keep-going] FILE.rsc"),
        },
        Some(_) => one_shot(&socket, words.join(" "), format),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("rspectl: {msg}\n{USAGE}");
    ExitCode::from(2)
}

/// A connection to the daemon: one session, any number of requests.
struct Conn {
    stream: UnixStream,
}

impl Conn {
    fn open(socket: &Path) -> std::io::Result<Conn> {
        Ok(Conn {
            stream: UnixStream::connect(socket)?,
        })
    }

    fn call(&mut self, req: &Request) -> std::io::Result<Response> {
        let body = api::encode(req).map_err(std::io::Error::other)?;
        api::write_message(&mut self.stream, &body)?;
        let reply = api::read_message(&mut self.stream, api::MAX_RESPONSE)?;
        api::decode(&reply).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// [`Conn::call`], where Ctrl-C (`interrupted` set by SIGINT) asks the daemon to
    /// interrupt the command (a `/ping` stops and answers with what it has).
    fn call_interruptible(
        &mut self,
        req: &Request,
        interrupted: &Arc<AtomicBool>,
    ) -> std::io::Result<Response> {
        interrupted.store(false, Ordering::Relaxed);
        let mut side = self.stream.try_clone()?;
        let done = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (done, interrupted) = (done.clone(), interrupted.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if interrupted.swap(false, Ordering::Relaxed) {
                        let cancel = Request {
                            command: String::new(),
                            format: Format::Text,
                            mode: Mode::Cancel,
                        };
                        if let Ok(body) = api::encode(&cancel) {
                            let _ = api::write_message(&mut side, &body);
                        }
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            })
        };
        let r = self.call(req);
        done.store(true, Ordering::Relaxed);
        let _ = watcher.join();
        r
    }
}

fn report(socket: &Path, r: std::io::Result<Response>) -> ExitCode {
    if let Ok(resp) = &r {
        for w in &resp.warnings {
            eprintln!("rspectl: {w}");
        }
    }
    match r {
        Ok(Response {
            result: Ok(out), ..
        }) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Ok(Response {
            result: Err(msg), ..
        }) => {
            eprintln!("rspectl: {msg}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("rspectl: {}: {e}", socket.display());
            ExitCode::from(1)
        }
    }
}

fn one_shot(socket: &Path, command: String, format: Format) -> ExitCode {
    let r = Conn::open(socket).and_then(|mut c| {
        c.call(&Request {
            command,
            format,
            mode: Mode::Command,
        })
    });
    report(socket, r)
}

fn import(socket: &Path, file: &Path, format: Format, keep_going: bool) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("rspectl: {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let name = file.display().to_string();
    let r = Conn::open(socket).and_then(|mut c| {
        c.call(&Request {
            command: text,
            format,
            mode: Mode::Script { name, keep_going },
        })
    });
    report(socket, r)
}

/// The console prompt: `[admin@R1] /ip/vrf> `.
struct RosPrompt {
    identity: String,
    cwd: String,
}

impl Prompt for RosPrompt {
    fn render_prompt_left(&self) -> Cow<'_, str> {
        Cow::Owned(format!("[admin@{}] {}", self.identity, self.cwd))
    }
    fn render_prompt_right(&self) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
    fn render_prompt_indicator(&self, _: PromptEditMode) -> Cow<'_, str> {
        Cow::Borrowed("> ")
    }
    fn render_prompt_multiline_indicator(&self) -> Cow<'_, str> {
        Cow::Borrowed("... ")
    }
    fn render_prompt_history_search_indicator(&self, s: PromptHistorySearch) -> Cow<'_, str> {
        Cow::Owned(format!("(search: {}) ", s.term))
    }
}

/// Completes menus, commands and parameter names from the command tree the daemon uses.
struct TreeCompleter {
    cwd: std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>,
}

/// Walks the typed words from `cwd`; returns the path reached and whether a command was
/// seen (then parameters complete).
fn walk(cwd: &[&'static str], words: &[&str]) -> (Vec<&'static str>, Option<&'static str>) {
    let mut path = cwd.to_vec();
    let mut cmd = None;
    for (i, w) in words.iter().enumerate() {
        let mut segs: &str = w;
        if let Some(rest) = w.strip_prefix('/') {
            if i == 0 {
                path.clear();
            }
            segs = rest;
        }
        for seg in segs.split('/').filter(|s| !s.is_empty()) {
            if seg == ".." {
                path.pop();
            } else if let Some(k) = children(&path).into_iter().find(|k| k.starts_with(seg)) {
                path.push(k);
            } else if let Some(c) = commands_at(&path).into_iter().find(|c| c.starts_with(seg)) {
                cmd = Some(c);
                return (path, cmd);
            } else {
                return (path, cmd);
            }
        }
    }
    (path, cmd)
}

impl Completer for TreeCompleter {
    fn complete(&mut self, line: &str, pos: usize) -> CompletionResult {
        CompletionResult::fresh(self.suggest(line, pos))
    }
}

impl TreeCompleter {
    fn suggest(&self, line: &str, pos: usize) -> Vec<Suggestion> {
        let before = &line[..pos.min(line.len())];
        let start = before.rfind([' ', '/']).map_or(0, |i| i + 1);
        let partial = &before[start..];
        let typed: Vec<&str> = before[..start].split_whitespace().collect();
        let mut typed_path: Vec<&str> = typed.clone();
        // A word cut at '/' (`/ip/vr`): the part before the cut is path too.
        if start > 0 && before.as_bytes()[start - 1] == b'/' {
            let word_start = before[..start].rfind(' ').map_or(0, |i| i + 1);
            typed_path = before[..word_start].split_whitespace().collect();
            typed_path.push(&before[word_start..start]);
        }
        let cwd = self.cwd.lock().map(|c| c.clone()).unwrap_or_default();
        let (path, cmd) = walk(&cwd, &typed_path);
        let candidates: Vec<String> = match cmd {
            None => children(&path)
                .into_iter()
                .map(str::to_owned)
                .chain(commands_at(&path).into_iter().map(str::to_owned))
                .collect(),
            Some(c) if action::find(&path, c).is_some() => action::find(&path, c)
                .map(|a| a.params.iter().map(|p| format!("{p}=")).collect())
                .unwrap_or_default(),
            Some(_) => menu_at(&path)
                .map(|(_, m)| {
                    m.params
                        .iter()
                        .filter(|p| !p.read_only)
                        .map(|p| format!("{}=", p.name))
                        .collect()
                })
                .unwrap_or_default(),
        };
        candidates
            .into_iter()
            .filter(|c| c.starts_with(partial))
            .map(|c| Suggestion {
                append_whitespace: !c.ends_with('='),
                value: c,
                span: Span { start, end: pos },
                ..Suggestion::default()
            })
            .collect()
    }
}

fn console(socket: &Path) -> ExitCode {
    let mut conn = match Conn::open(socket) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rspectl: {}: {e}", socket.display());
            return ExitCode::from(1);
        }
    };
    let mut prompt = RosPrompt {
        identity: String::new(),
        cwd: String::new(),
    };
    // An empty command answers with the identity and the current menu.
    if let Ok(r) = conn.call(&Request {
        command: String::new(),
        format: Format::Text,
        mode: Mode::Command,
    }) {
        prompt.identity = r.identity;
        prompt.cwd = r.cwd;
    }
    // Ctrl-C while a command runs interrupts it (at the prompt the editor takes the key).
    let interrupted = Arc::new(AtomicBool::new(false));
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted.clone()) {
        eprintln!("rspectl: Ctrl-C will not interrupt commands: {e}");
    }
    let cwd = std::sync::Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let mut keys = default_emacs_keybindings();
    keys.add_binding(
        KeyModifiers::NONE,
        KeyCode::Tab,
        ReedlineEvent::UntilFound(vec![
            ReedlineEvent::Menu("completion".into()),
            ReedlineEvent::MenuNext,
        ]),
    );
    let history_path = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".rspectl_history");
    let mut editor = Reedline::create()
        .with_completer(Box::new(TreeCompleter { cwd: cwd.clone() }))
        .with_menu(ReedlineMenu::EngineCompleter(Box::new(
            ColumnarMenu::default().with_name("completion"),
        )))
        .with_quick_completions(true)
        .with_partial_completions(true)
        .with_hinter(Box::new(DefaultHinter::default()))
        .with_edit_mode(Box::new(Emacs::new(keys)));
    if let Ok(h) = FileBackedHistory::with_file(1000, history_path) {
        editor = editor.with_history(Box::new(h));
    }
    loop {
        match editor.read_line(&prompt) {
            Ok(Signal::Success(line)) => {
                let t = line.trim();
                if matches!(t, "quit" | "/quit" | "exit" | "/exit") {
                    return ExitCode::SUCCESS;
                }
                if t.is_empty() {
                    continue;
                }
                match conn.call_interruptible(
                    &Request {
                        command: line.clone(),
                        format: Format::Text,
                        mode: Mode::Command,
                    },
                    &interrupted,
                ) {
                    Ok(r) => {
                        match &r.result {
                            Ok(out) => print!("{out}"),
                            Err(msg) => println!("failure: {msg}"),
                        }
                        for w in &r.warnings {
                            println!("{w}");
                        }
                        prompt.identity = r.identity;
                        prompt.cwd = r.cwd.clone();
                        if let Ok(mut c) = cwd.lock() {
                            *c = path_words(&r.cwd);
                        }
                    }
                    Err(e) => {
                        eprintln!("rspectl: {}: {e}", socket.display());
                        return ExitCode::from(1);
                    }
                }
            }
            Ok(Signal::CtrlD) => return ExitCode::SUCCESS,
            Ok(Signal::CtrlC) => continue,
            Ok(_) => continue,
            Err(e) => {
                eprintln!("rspectl: console: {e}");
                return ExitCode::from(1);
            }
        }
    }
}

/// The static path words of `/ip/vrf` (only words that exist in the command tree).
fn path_words(cwd: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for w in cwd.split('/').filter(|w| !w.is_empty()) {
        match children(&out).into_iter().find(|k| *k == w) {
            Some(k) => out.push(k),
            None => break,
        }
    }
    out
}
