//! Bad input at scale, through the daemon: a command nested thousands deep, a megabyte of
//! unknown command, replies far over one frame (100,000 routes printed, exported, as JSON),
//! an `import` of a file over 4 MiB, and a change with 100,000 routes saved by the journal.

mod common;
use common::*;
use std::fmt::Write as _;
use std::path::Path;

fn opts(config: &Path) -> Vec<String> {
    vec!["--config".into(), config.display().to_string()]
}

#[test]
fn deep_nesting_and_huge_commands_get_short_errors_and_the_daemon_lives() {
    let dir = scratch("deep");
    let d = Daemon::start(&dir.join("s"), &ring_ports("deep", 1));
    let deep = format!(
        "/ip route print where {}disabled{}",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let nots = format!("/ip route print where {}disabled", "not ".repeat(10_000));
    let bangs = format!("/ip route print where {}disabled", "!".repeat(20_000));
    for cmd in [&deep, &nots, &bangs] {
        let (ok, _, err) = d.ctl(&[cmd]);
        assert!(!ok && err.contains("nested more than 32"), "{err}");
    }
    // Through import too.
    let script = dir.join("deep.rsc");
    std::fs::write(
        &script,
        format!("/system identity set name=before\n{deep}\n"),
    )
    .unwrap();
    let (ok, _, err) = d.ctl(&["import", script.to_str().unwrap()]);
    assert!(
        !ok && err.contains("line 2") && err.contains("nested"),
        "{err}"
    );
    // A megabyte of unknown command is answered in one short line; 5 MiB too (straight on
    // the socket: an argument that long cannot reach rspectl).
    for size in [1 << 20, 5 << 20] {
        let junk = "/ip ".to_string() + &"q".repeat(size);
        let err = match call(&dir.join("s"), &junk).result {
            Ok(out) => panic!("accepted: {}", &out[..out.len().min(100)]),
            Err(e) => e,
        };
        assert!(
            err.len() < 300 && err.contains("characters"),
            "{} bytes: {}",
            err.len(),
            &err[..err.len().min(300)]
        );
    }
    let (ok, out, err) = d.ctl(&["/system identity print"]);
    assert!(ok && out.contains("before"), "still serving: {err}");
    let (status, err) = d.stop();
    assert!(status.success(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One request straight on the control socket.
fn call(sock: &Path, command: &str) -> shared::api::Response {
    use shared::api::*;
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    let req = Request {
        command: command.into(),
        format: Format::Text,
        mode: Mode::Command,
    };
    write_message(&mut s, &encode(&req).unwrap()).unwrap();
    decode(&read_message(&mut s, MAX_RESPONSE).unwrap()).unwrap()
}

const ROUTES: usize = 100_000;

fn routes_file(path: &Path) {
    let mut s = String::from("/ip route\n");
    for r in 0..ROUTES {
        let _ = writeln!(
            s,
            "add dst-address=10.{}.{}.0/24 gateway=ether1 comment=\"route {r} of a big table\"",
            r / 250 % 250,
            r % 250
        );
    }
    assert!(s.len() > 4 << 20, "the file is over one frame");
    std::fs::write(path, s).unwrap();
}

#[test]
fn replies_and_imports_of_any_size_and_changes_saved_by_the_journal() {
    let dir = scratch("big");
    let cfg = dir.join("rspe.rsc");
    let eal = ring_ports("big", 1);
    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    let file = dir.join("routes.rsc");
    routes_file(&file);
    let (ok, _, err) = d.ctl(&["import", file.to_str().unwrap()]);
    assert!(ok, "import of a file over 4 MiB: {err}");
    let (ok, n, err) = d.ctl(&["/ip route print count-only"]);
    assert!(ok && n.trim() == ROUTES.to_string(), "{n} {err}");

    for (cmd, min_bytes) in [
        (vec!["/ip route print"], 4 << 20),
        (vec!["/ip route print detail"], 4 << 20),
        (vec!["--json", "/ip route print"], 4 << 20),
        (vec!["/ip route export"], 4 << 20),
        (vec!["/export"], 4 << 20),
    ] {
        let (ok, out, err) = d.ctl(&cmd);
        assert!(ok, "{cmd:?}: {err}");
        assert!(out.len() > min_bytes, "{cmd:?}: {} bytes", out.len());
        assert!(
            out.contains("route 99999 of a big table"),
            "{cmd:?}: the last route is there"
        );
    }
    let (_, json, _) = d.ctl(&["--json", "/ip route print"]);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("whole JSON");
    assert!(rows.as_array().is_some_and(|a| a.len() >= ROUTES));

    // A small change is one small journal record, not a rewrite of the file.
    let journal = dir.join("rspe.rsc.journal");
    let before = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    let (ok, _, err) = d.ctl(&["/system identity set name=scaled"]);
    assert!(ok, "{err}");
    let after = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    assert!(
        after > before && after - before < 200,
        "one short record: {before} -> {after}"
    );
    // kill -9: the change survives, with every route.
    let mut d = d;
    kill9(&mut d);
    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    let (_, id, _) = d.ctl(&["/system identity print"]);
    assert!(id.contains("scaled"), "{id}");
    let (_, n, _) = d.ctl(&["/ip route print count-only"]);
    assert_eq!(n.trim(), ROUTES.to_string());
    d.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
