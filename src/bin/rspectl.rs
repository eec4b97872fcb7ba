//! `rspectl`, the client: sends RouterOS commands to the daemon's control socket.
//!
//! ```text
//! rspectl [--socket PATH] [--json] 'COMMAND'
//! ```

use shared::api::{self, Format, Request, Response};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: rspectl [--socket PATH] [--json] 'COMMAND'

  --socket PATH   the daemon's control socket (default /run/rspe/rspe.sock)
  --json          output as JSON, for scripts
  COMMAND         a RouterOS command, e.g. '/interface print stats'";

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
            _ => words.push(a),
        }
    }
    if words.is_empty() {
        return usage("no command given (the interactive console comes with the config store)");
    }
    let req = Request {
        command: words.join(" "),
        format,
    };
    match call(&socket, &req) {
        Ok(Response::Ok(out)) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Ok(Response::Error(msg)) => {
            eprintln!("rspectl: {msg}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("rspectl: {}: {e}", socket.display());
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("rspectl: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn call(socket: &PathBuf, req: &Request) -> std::io::Result<Response> {
    let mut stream = UnixStream::connect(socket)?;
    let body = api::encode(req).map_err(std::io::Error::other)?;
    api::write_frame(&mut stream, &body)?;
    let reply = api::read_frame(&mut stream)?;
    api::decode(&reply).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
