//! The router's management state: the configuration store behind a lock, the saved
//! configuration file, and one [`Session`] per control-socket connection.

use crate::api::{Handler, SessionHandler};
use crate::config::exec::{self, Ctx, Format, Live, Session};
use crate::config::persist;
use crate::config::store::{PortDesc, Store};
use crate::forwarder::Forwarder;
use shared::api::{self as proto, Mode, Request, Response};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Shared by every session.
pub struct Router {
    store: Mutex<Store>,
    pristine: Store,
    config: Option<PathBuf>,
    live: Arc<dyn Live + Send + Sync>,
    forwarder: Option<Arc<Mutex<Forwarder>>>,
    bgp: Option<Arc<crate::bgp::Bgp>>,
}

impl Router {
    /// A router with `ports`; loads `config` when the file exists. A file that does not
    /// load completely is refused with its line and column: nothing half-applied.
    pub fn new(
        ports: &[PortDesc],
        config: Option<PathBuf>,
        live: Arc<dyn Live + Send + Sync>,
        forwarder: Option<Arc<Mutex<Forwarder>>>,
        bgp: Option<Arc<crate::bgp::Bgp>>,
    ) -> Result<Router, String> {
        let pristine = Store::new(ports);
        let mut store = pristine.clone();
        if let Some(path) = &config {
            let text = persist::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if let Some(text) = text {
                let mut session = Session::default();
                let mut ctx = Ctx {
                    store: &mut store,
                    pristine: &pristine,
                    session: &mut session,
                    live: &*live,
                    format: Format::Text,
                };
                exec::run(&mut ctx, &text).map_err(|f| {
                    format!(
                        "{}: {}; the saved configuration was not loaded (fix or remove the file)",
                        path.display(),
                        f.error
                    )
                })?;
            }
        }
        if let Some(f) = &forwarder {
            f.lock()
                .unwrap_or_else(|e| e.into_inner())
                .configure(&store);
            if let Some(b) = &bgp {
                b.configure(&store, f);
            }
        }
        Ok(Router {
            store: Mutex::new(store),
            pristine,
            config,
            live,
            forwarder,
            bgp,
        })
    }

    /// The configuration as an export (what is saved).
    pub fn export(&self) -> String {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        self.saved_form(&store)
    }

    /// The text saved to `--config`: a compact export of the whole configuration.
    fn saved_form(&self, store: &Store) -> String {
        crate::config::export::export(
            store,
            &self.pristine,
            &*self.live,
            &[],
            exec::ExportMode::Compact,
            None,
        )
    }

    /// Runs a request in `session`.
    pub fn execute(&self, session: &mut Session, req: &Request) -> Response {
        // `/ping` runs for seconds and BGP session commands act on the running speaker:
        // neither holds the configuration's lock, so other sessions go on meanwhile.
        let cwd = session.prompt_path();
        let outside = if let Some(args) = ping_words(&req.command, &cwd) {
            Some(match &self.forwarder {
                None => Err("ping: this rspe is a patch panel (--patch), it does not route".into()),
                Some(f) => crate::ping::parse(&args)
                    .and_then(|a| crate::ping::run(f, &a))
                    .map_err(|e| format!("ping: {e}")),
            })
        } else if let Some((verb, names)) = session_words(&req.command, &cwd) {
            Some(match &self.bgp {
                None => Err("this rspe runs no BGP".into()),
                Some(b) => b.session_command(verb, &names),
            })
        } else {
            None
        };
        if let Some(result) = outside {
            let identity = self
                .store
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .identity();
            return Response {
                result,
                cwd,
                identity,
            };
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
        let result = exec::run(&mut ctx, &req.command);
        let changed = match &result {
            Ok(o) => o.changed,
            Err(f) => f.before.changed,
        };
        let mut saved = Ok(());
        if changed {
            if let Some(f) = &self.forwarder {
                f.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .configure(&store);
                if let Some(b) = &self.bgp {
                    b.configure(&store, f);
                }
            }
            if let Some(path) = &self.config {
                let text = self.saved_form(&store);
                saved = persist::save(path, &text).map_err(|e| {
                    format!(
                        "the change was made but saving {} failed: {e}",
                        path.display()
                    )
                });
            }
        }
        let result = match (result, &req.mode) {
            (Ok(o), _) => saved.map(|()| o.output),
            (Err(f), Mode::Command) => Err(f.error.to_string()),
            (Err(f), Mode::Script { name }) => Err(format!(
                "{name}: {} ({} command(s) before it were applied; this one changed nothing)",
                f.error, f.before.commands
            )),
        };
        Response {
            result,
            cwd: session.prompt_path(),
            identity: store.identity(),
        }
    }
}

/// A `/routing bgp session reset|refresh|resend NAME...` command line (also from within
/// that menu): the verb and the session names.
fn session_words<'a>(line: &'a str, cwd: &str) -> Option<(&'a str, Vec<&'a str>)> {
    let line = line.trim();
    let rest = match line.strip_prefix("/routing bgp session ") {
        Some(r) => r,
        None if cwd == "/routing/bgp/session" && !line.starts_with('/') => line,
        None => return None,
    };
    let mut words = rest.split_whitespace();
    let verb = words.next()?;
    if !matches!(verb, "reset" | "refresh" | "resend") {
        return None;
    }
    Some((verb, words.map(|w| w.trim_matches('"')).collect()))
}

/// The arguments of a `/ping` command line (`ping` alone at the root), if it is one.
fn ping_words<'a>(line: &'a str, cwd: &str) -> Option<Vec<&'a str>> {
    let line = line.trim();
    let rest = match line.strip_prefix("/ping") {
        Some(r) => r,
        None if cwd.is_empty() || cwd == "/" => line.strip_prefix("ping")?,
        None => return None,
    };
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    Some(rest.split_whitespace().collect())
}

/// A connection's session.
pub struct RouterSession {
    router: Arc<Router>,
    session: Session,
}

impl SessionHandler for RouterSession {
    fn handle(&mut self, req: &Request) -> Response {
        // Scripts run in a session of their own, from the root menu.
        if matches!(req.mode, Mode::Script { .. }) {
            let mut s = Session::default();
            return self.router.execute(&mut s, req);
        }
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
