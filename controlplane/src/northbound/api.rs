//! The control socket: a Unix socket (mode 0600) serving [`shared::api`] frames. Each
//! client gets its own task, so a slow, silent or garbage-sending client never blocks
//! another; a malformed frame gets an error answer and the connection is closed.

use futures::{SinkExt, StreamExt};
use shared::api::{self, Assembler, Mode, Request, Response, MAX_FRAME, MAX_REQUEST};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::UnixStream;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

/// What can go wrong setting up the control socket.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Another process answers on the socket path.
    #[error("control socket {0} is already in use by a running process (another rspe?); stop it or pass --socket")]
    InUse(PathBuf),
    /// The path exists and is not a socket: we refuse to delete it.
    #[error("control socket path {0} exists and is not a socket")]
    NotASocket(PathBuf),
    /// A file-system or socket call failed.
    #[error("control socket {path}: {op}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The error.
        source: io::Error,
    },
}

/// Makes a session per connection.
pub trait Handler: Send + Sync + 'static {
    /// A new session for a new connection.
    fn session(&self) -> Box<dyn SessionHandler>;
}

/// One connection's session: its current menu, its print numbering.
pub trait SessionHandler: Send + 'static {
    /// Answers `req`; a long command stops early when `cancel` is set (the client sent
    /// [`Mode::Cancel`](shared::api::Mode::Cancel) or went away).
    fn handle(&mut self, req: &Request, cancel: &Arc<AtomicBool>) -> Response;
}

fn error_response(msg: String) -> Response {
    Response {
        result: Err(msg),
        cwd: String::new(),
        identity: String::new(),
        warnings: Vec::new(),
    }
}

/// The bound control socket. Removes its path when dropped.
pub struct ControlSocket {
    listener: std::os::unix::net::UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds `path`: refuses a path another process answers on or one that is not a socket,
    /// replaces a stale socket file, creates missing parent directories, sets mode 0600.
    pub fn bind(path: &Path) -> Result<ControlSocket, ApiError> {
        let io_err = |op, source| ApiError::Io {
            path: path.to_owned(),
            op,
            source,
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) => {
                use std::os::unix::fs::FileTypeExt;
                if !meta.file_type().is_socket() {
                    return Err(ApiError::NotASocket(path.to_owned()));
                }
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(ApiError::InUse(path.to_owned()));
                }
                std::fs::remove_file(path).map_err(|e| io_err("removing the stale socket", e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("stat", e)),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_err("creating its directory", e))?;
        }
        let listener =
            std::os::unix::net::UnixListener::bind(path).map_err(|e| io_err("bind", e))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_err("chmod 0600", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io_err("set_nonblocking", e))?;
        Ok(ControlSocket {
            listener,
            path: path.to_owned(),
        })
    }

    /// Serves clients until the future is dropped. Must run inside a tokio runtime.
    pub async fn serve(&self, handler: Arc<dyn Handler>) -> io::Result<()> {
        let listener = tokio::net::UnixListener::from_std(self.listener.try_clone()?)?;
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) if is_transient(&e) => continue,
                Err(e) => return Err(e),
            };
            tokio::spawn(serve_client(stream, handler.clone()));
        }
    }
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ECONNABORTED)
    ) || e.kind() == io::ErrorKind::Interrupted
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One client: frames in, one answer per frame out, until it closes or misbehaves.
async fn serve_client(stream: UnixStream, handler: Arc<dyn Handler>) {
    let codec = LengthDelimitedCodec::builder()
        .max_frame_length(MAX_FRAME)
        .new_codec();
    let mut framed = Framed::new(stream, codec);
    let mut session = Some(handler.session());
    let mut assembler = Assembler::new(MAX_REQUEST);
    // Messages that arrived while a command ran, answered in order after it.
    let mut early: std::collections::VecDeque<Vec<u8>> = std::collections::VecDeque::new();
    loop {
        let next = match early.pop_front() {
            Some(m) => Ok(Some(m)),
            None => match framed.next().await {
                None => return,
                Some(frame) => frame
                    .map_err(|e| e.to_string())
                    .and_then(|f| assembler.push(&f).map_err(|e| format!("bad request: {e}"))),
            },
        };
        let frame = match next {
            Ok(Some(message)) => message,
            Ok(None) => continue,
            Err(e) => {
                // Oversized frame or message, a bad flag, or a broken connection: say so if
                // we can, then close.
                let resp = error_response(format!("bad frame: {e}"));
                if let Ok(body) = api::encode(&resp) {
                    let _ = send_message(&mut framed, &body).await;
                }
                return;
            }
        };
        let (resp, close) = match api::decode::<Request>(&frame) {
            // A cancel with nothing running: nothing to do, no answer.
            Ok(Request {
                mode: Mode::Cancel, ..
            }) => continue,
            Ok(req) => {
                // Commands are CPU-bound and may wait for the configuration lock; keep them
                // off the runtime's thread. Meanwhile the connection is read: a cancel
                // interrupts the command, a closed connection too.
                let Some(mut s) = session.take() else { return };
                let cancel = Arc::new(AtomicBool::new(false));
                let c = cancel.clone();
                let mut job = tokio::task::spawn_blocking(move || {
                    let r = s.handle(&req, &c);
                    (s, r)
                });
                let mut gone = false;
                let done = loop {
                    tokio::select! {
                        r = &mut job => break r,
                        f = framed.next(), if !gone => match f {
                            Some(Ok(f)) => match assembler.push(&f) {
                                Ok(Some(m)) => match api::decode::<Request>(&m) {
                                    Ok(Request { mode: Mode::Cancel, .. }) => {
                                        cancel.store(true, Ordering::Relaxed)
                                    }
                                    // Anything else waits for the answer it follows.
                                    _ => early.push_back(m),
                                },
                                Ok(None) => {}
                                Err(_) => {
                                    cancel.store(true, Ordering::Relaxed);
                                    gone = true;
                                }
                            },
                            None | Some(Err(_)) => {
                                cancel.store(true, Ordering::Relaxed);
                                gone = true;
                            }
                        },
                    }
                };
                if gone {
                    return;
                }
                match done {
                    Ok((s, resp)) => {
                        session = Some(s);
                        (resp, false)
                    }
                    Err(e) => (error_response(format!("internal error: {e}")), true),
                }
            }
            Err(e) => (error_response(format!("bad request: {e}")), true),
        };
        let body = match api::encode(&resp) {
            Ok(b) => b,
            Err(e) => return eprintln!("rspe: cannot encode a response: {e}"),
        };
        if send_message(&mut framed, &body).await.is_err() || close {
            return;
        }
    }
}

/// Sends one message in as many frames as it needs.
async fn send_message(
    framed: &mut Framed<UnixStream, LengthDelimitedCodec>,
    body: &[u8],
) -> io::Result<()> {
    for f in api::frames(body) {
        framed.feed(bytes::Bytes::from(f)).await?;
    }
    SinkExt::<bytes::Bytes>::flush(framed).await
}
