//! The router's management state: the configuration store behind a lock, the saved
//! configuration (an export plus a journal of changes, [`crate::config::journal`]), and one
//! [`Session`] per control-socket connection.

use crate::config::exec::{self, Ctx, Format, Live, Session};
use crate::config::journal::{self, Journal, Record};
use crate::config::persist;
use crate::config::store::{PortDesc, Store};
use crate::northbound::api::{Handler, SessionHandler};
use crate::system::rib_service::RibHandle;
use shared::api::{self as proto, Mode, Request, Response};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// A journal past this many bytes (or past the size of the last export, when larger) is
/// folded into a fresh export in the background.
const COMPACT_BYTES: u64 = 1 << 20;

/// Menus that neither forwarding nor the protocols read: a change to them only needs
/// saving.
const NOT_FORWARDING: &[&str] = &["system/identity"];

/// Shared by every session.
pub struct Router {
    store: Mutex<Store>,
    pristine: Store,
    saving: Option<Mutex<Saving>>,
    live: Arc<dyn Live + Send + Sync>,
    rib: Option<RibHandle>,
    bgp: Option<Arc<crate::bgp::Bgp>>,
    ldp: Option<Arc<crate::ldp::Ldp>>,
    ospf: Option<Arc<crate::ospf::Ospf>>,
}

/// Where accepted changes go (`--config`).
struct Saving {
    path: PathBuf,
    journal: Journal,
    /// The last record written.
    seq: u64,
    /// Size of the last export written.
    base_bytes: u64,
    /// The journal record the newest export written covers; held while an export is
    /// written, so a slow background compaction never replaces a newer export.
    written: Arc<Mutex<u64>>,
}

impl Router {
    /// A router with `ports`; loads `config` when the file exists. A file that does not
    /// load completely is refused with its line and column: nothing half-applied.
    pub fn new(
        ports: &[PortDesc],
        config: Option<PathBuf>,
        live: Arc<dyn Live + Send + Sync>,
        rib: Option<RibHandle>,
        bgp: Option<Arc<crate::bgp::Bgp>>,
        ldp: Option<Arc<crate::ldp::Ldp>>,
        ospf: Option<Arc<crate::ospf::Ospf>>,
    ) -> Result<Router, String> {
        let pristine = Store::new(ports);
        let mut store = pristine.clone();
        let saving = match &config {
            Some(path) => Some(Mutex::new(load(path, &mut store, &pristine, &*live)?)),
            None => None,
        };
        if let Some(r) = &rib {
            r.configure(&store);
            if let Some(b) = &bgp {
                b.configure(&store, r);
            }
            if let Some(l) = &ldp {
                l.configure(&store, r);
            }
            if let Some(o) = &ospf {
                o.configure(&store, r);
            }
        }
        Ok(Router {
            store: Mutex::new(store),
            pristine,
            saving,
            live,
            rib,
            bgp,
            ldp,
            ospf,
        })
    }

    /// The configuration as an export (what is saved).
    pub fn export(&self) -> String {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        self.saved_form(&store)
    }

    /// The text saved to `--config`: a compact export of the whole configuration.
    fn saved_form(&self, store: &Store) -> String {
        saved_form(store, &self.pristine, &*self.live)
    }

    /// Journals the changes the last command made to `store`; starts a compaction when the
    /// journal has grown. Returns what failed, if anything did.
    fn save(&self, store: &mut Store) -> Result<(), String> {
        let changes = store.take_changes();
        let Some(saving) = &self.saving else {
            return Ok(());
        };
        if changes.is_empty() {
            return Ok(());
        }
        let mut s = saving.lock().unwrap_or_else(|e| e.into_inner());
        let record = Record {
            seq: s.seq + 1,
            changes,
        };
        s.journal.append(&record).map_err(|e| {
            format!(
                "the change was made but saving it to {} failed: {e}",
                journal::path(&s.path).display()
            )
        })?;
        s.seq = record.seq;
        if s.journal.bytes() > COMPACT_BYTES.max(s.base_bytes) {
            self.compact(&mut s, store);
        }
        Ok(())
    }

    /// Folds the journal into a fresh export, written by a thread of its own from a copy of
    /// the configuration; the journal goes on meanwhile in a new file.
    fn compact(&self, s: &mut Saving, store: &Store) {
        let path = s.path.clone();
        if s.journal.rotate(&path).is_err() {
            return; // One compaction at a time; the next change tries again.
        }
        let (store, pristine, live, covers, written) = (
            store.clone(),
            self.pristine.clone(),
            self.live.clone(),
            s.seq,
            s.written.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("rspe-compact".into())
            .spawn(move || {
                let text = saved_form(&store, &pristine, &*live);
                let mut w = written.lock().unwrap_or_else(|e| e.into_inner());
                if *w >= covers {
                    return; // A newer export is already there.
                }
                match write_base(&path, &text, covers) {
                    Ok(()) => {
                        *w = covers;
                        let _ = std::fs::remove_file(journal::old_path(&path));
                        journal::sync_dir(&path);
                    }
                    Err(e) => eprintln!("rspe: compacting {}: {e}", path.display()),
                }
            });
        if let Err(e) = spawned {
            eprintln!("rspe: cannot start compaction: {e}");
        }
    }

    /// Writes the whole configuration as the saved export and empties the journal, so that
    /// a stopped router's file is its configuration. Called when the daemon stops.
    pub fn close(&self) {
        let Some(saving) = &self.saving else { return };
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let s = saving.lock().unwrap_or_else(|e| e.into_inner());
        let path = s.path.clone();
        if s.journal.bytes() == 0 && !journal::old_path(&path).exists() {
            return;
        }
        let text = self.saved_form(&store);
        let written = s.written.clone();
        let mut w = written.lock().unwrap_or_else(|e| e.into_inner());
        match write_base(&path, &text, s.seq) {
            Ok(()) => {
                *w = s.seq;
                let _ = std::fs::remove_file(journal::old_path(&path));
                let _ = std::fs::remove_file(journal::path(&path));
                journal::sync_dir(&path);
            }
            Err(e) => eprintln!("rspe: saving {} at stop: {e}", path.display()),
        }
    }

    /// Runs a request in `session`.
    pub fn execute(&self, session: &mut Session, req: &Request) -> Response {
        // Actions (`/ping`, `/routing bgp session reset`) act on the running router: a single
        // one typed at the console runs without the configuration's lock, so other sessions
        // go on meanwhile (in a script they run in order, under it).
        let cwd = session.prompt_path();
        if matches!(req.mode, Mode::Command) {
            if let Some(a) = exec::action_of(&session.cwd, &req.command) {
                let result = a
                    .map_err(|e| e.to_string())
                    .and_then(|(action, args)| self.live.act(action, &args, &session.cancel));
                let identity = self
                    .store
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .identity();
                return Response {
                    result,
                    cwd,
                    identity,
                    warnings: Vec::new(),
                };
            }
        }
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let format = match req.format {
            proto::Format::Text => Format::Text,
            proto::Format::Json => Format::Json,
        };
        let mut ctx = Ctx {
            store: &mut store,
            pristine: &self.pristine,
            session,
            live: &*self.live,
            format,
        };
        let result = match &req.mode {
            Mode::Script {
                name,
                keep_going: true,
            } => keep_going(&mut ctx, name, &req.command),
            _ => exec::run(&mut ctx, &req.command),
        };
        let changed = match &result {
            Ok(o) => o.changed,
            Err(f) => f.before.changed,
        };
        let mut saved = Ok(());
        if changed {
            // The forwarding plan is read from the whole configuration: rebuilt only when a
            // menu it reads changed.
            let forwarding = !store.pending_only_in(NOT_FORWARDING);
            if let Some(r) = self.rib.as_ref().filter(|_| forwarding) {
                r.configure(&store);
                if let Some(b) = &self.bgp {
                    b.configure(&store, r);
                }
                if let Some(l) = &self.ldp {
                    l.configure(&store, r);
                }
                if let Some(o) = &self.ospf {
                    o.configure(&store, r);
                }
            }
            saved = self.save(&mut store);
        }
        let mut warnings = std::mem::take(&mut session.warnings);
        if result.is_err() && req.mode == Mode::Command {
            warnings.clear(); // The command changed nothing.
        }
        let result = match (result, &req.mode) {
            (Ok(o), _) => saved.map(|()| o.output),
            (Err(f), Mode::Command | Mode::Cancel) => Err(f.error.to_string()),
            (
                Err(f),
                Mode::Script {
                    keep_going: true, ..
                },
            ) => Err(f.error.msg),
            (Err(f), Mode::Script { name, .. }) => Err(format!(
                "{name}: {} ({} command(s) before it were applied; this one changed nothing)",
                f.error, f.before.commands
            )),
        };
        Response {
            result,
            cwd: session.prompt_path(),
            identity: store.identity(),
            warnings,
        }
    }
}

/// Runs a script past refused commands; when any was refused, a failure whose message
/// lists each with its line and reason (what was applied stays applied).
fn keep_going(
    ctx: &mut exec::Ctx<'_>,
    name: &str,
    src: &str,
) -> Result<exec::Outcome, exec::Failure> {
    let (out, refused) = exec::run_keep_going(ctx, src);
    if refused.is_empty() {
        return Ok(out);
    }
    let mut msg = format!(
        "{name}: {} command(s) applied, {} refused:",
        out.commands,
        refused.len()
    );
    for e in &refused {
        msg.push_str(&format!("\n  {e}"));
    }
    Err(exec::Failure {
        error: crate::config::lex::Error {
            pos: Default::default(),
            msg,
        },
        before: out,
    })
}

fn saved_form(store: &Store, pristine: &Store, live: &dyn Live) -> String {
    crate::config::export::export(store, pristine, live, &[], exec::ExportMode::Compact, None)
}

/// Writes the sealed export covering journal records up to `covers`.
fn write_base(path: &Path, text: &str, covers: u64) -> std::io::Result<()> {
    persist::save(path, &persist::seal(text, covers))
}

/// Loads the saved configuration at `path` into `store` (the export, then the journal's
/// later records), folds any journal into a fresh export, and opens the journal. Anything
/// that does not load completely is refused with where and why: nothing half-applied.
fn load(
    path: &Path,
    store: &mut Store,
    pristine: &Store,
    live: &dyn Live,
) -> Result<Saving, String> {
    let refuse = |e: String| {
        format!(
            "{}: {e}; the saved configuration was not loaded (fix or remove the file)",
            path.display()
        )
    };
    let file = persist::load(path).map_err(|e| refuse(e.to_string()))?;
    let saved = match file {
        Some(text) => persist::unseal(&text).map_err(&refuse)?,
        None => persist::Saved {
            text: String::new(),
            covers: 0,
            sealed: true,
        },
    };
    let mut session = Session::default();
    let mut ctx = Ctx {
        store,
        pristine,
        session: &mut session,
        live,
        format: Format::Text,
    };
    // A sealed file's first line was its header: errors name the file's own lines.
    let text = if saved.sealed && !saved.text.is_empty() {
        format!("\n{}", saved.text)
    } else {
        saved.text
    };
    exec::run(&mut ctx, &text).map_err(|f| refuse(f.error.to_string()))?;
    for w in session.warnings.drain(..) {
        eprintln!("rspe: {}: {w}", path.display());
    }
    let journals = journal::path(path).exists() || journal::old_path(path).exists();
    let mut seq = saved.covers;
    if saved.sealed {
        for r in journal::read(path, saved.covers).map_err(&refuse)? {
            for c in &r.changes {
                journal::apply(store, c)
                    .map_err(|e| refuse(format!("journal record {}: {e}", r.seq)))?;
            }
            seq = r.seq;
        }
    } else if journals {
        eprintln!(
            "rspe: {} is hand-written (no seal): its journal is ignored and replaced",
            path.display()
        );
    }
    store.clear_changes();
    let mut base_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if journals {
        let text = saved_form(store, pristine, live);
        write_base(path, &text, seq).map_err(|e| refuse(format!("rewriting it: {e}")))?;
        for j in [journal::old_path(path), journal::path(path)] {
            let _ = std::fs::remove_file(j);
        }
        journal::sync_dir(path);
        base_bytes = text.len() as u64;
    }
    let journal = Journal::open(path).map_err(|e| {
        refuse(format!(
            "opening its journal {}: {e}",
            journal::path(path).display()
        ))
    })?;
    Ok(Saving {
        path: path.to_owned(),
        journal,
        seq,
        base_bytes,
        written: Arc::new(Mutex::new(seq)),
    })
}

/// A connection's session.
pub struct RouterSession {
    router: Arc<Router>,
    session: Session,
}

impl SessionHandler for RouterSession {
    fn handle(&mut self, req: &Request, cancel: &Arc<AtomicBool>) -> Response {
        // Scripts run in a session of their own, from the root menu.
        if matches!(req.mode, Mode::Script { .. }) {
            let mut s = Session::default();
            s.cancel = cancel.clone();
            return self.router.execute(&mut s, req);
        }
        self.session.cancel = cancel.clone();
        self.router.execute(&mut self.session, req)
    }
}

impl Handler for Arc<Router> {
    fn session(&self) -> Box<dyn SessionHandler> {
        Box::new(RouterSession {
            router: self.clone(),
            session: Session::default(),
        })
    }
}
