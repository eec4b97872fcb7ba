//! Bad input at start: a clear message and a non-zero exit, never a panic or a hang.
//! And a control socket that answers garbage with an error and keeps serving.

mod common;
use common::*;
use std::io::{Read, Write};

fn assert_clean_failure(code: Option<i32>, err: &str, expect: &str) {
    assert!(
        matches!(code, Some(c) if c != 0),
        "non-zero exit, got {code:?}: {err}"
    );
    assert!(err.contains(expect), "message should say {expect:?}: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
}

fn with_socket(dir: &std::path::Path, eal: Vec<String>) -> Vec<String> {
    let mut a = vec![
        "--socket".to_string(),
        dir.join("rspe.sock").display().to_string(),
        "--no-twins".to_string(),
        "--".to_string(),
    ];
    a.extend(eal);
    a
}

#[test]
fn unknown_eal_argument() {
    let dir = scratch("badeal");
    let mut eal = eal_base("badeal");
    eal.push("--no-such-eal-flag".into());
    let (code, err) = run_rspe(&with_socket(&dir, eal));
    assert_clean_failure(code, &err, "EAL initialisation failed");
    assert!(!dir.join("rspe.sock").exists(), "no socket left behind");
}

#[test]
fn no_ports() {
    let dir = scratch("noports");
    let (code, err) = run_rspe(&with_socket(&dir, eal_base("noports")));
    assert_clean_failure(code, &err, "no DPDK ports");
    assert!(!dir.join("rspe.sock").exists(), "no socket left behind");
}

#[test]
fn pcap_file_that_does_not_exist() {
    let dir = scratch("nopcap");
    let mut eal = eal_base("nopcap");
    eal.extend([
        "--vdev".into(),
        format!("net_pcap0,rx_pcap={}/missing.pcap", dir.display()),
    ]);
    let (code, err) = run_rspe(&with_socket(&dir, eal));
    assert_clean_failure(
        code,
        &err,
        "device net_pcap0 from the EAL arguments did not come up",
    );
    assert!(
        err.contains("missing.pcap"),
        "the EAL names the file: {err}"
    );
}

#[test]
fn unknown_option_is_a_usage_error() {
    let (code, err) = run_rspe(&["--frobnicate".to_string()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("unknown option \"--frobnicate\"") && err.contains("usage:"),
        "{err}"
    );
    let (code, err) = run_rspe(&["--poll".into(), "sometimes".into()]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn socket_in_use_and_garbage_on_the_socket() {
    let dir = scratch("inuse");
    let mut eal = eal_base("inuse1");
    eal.extend(["--vdev".into(), "net_null0".into()]);
    let first = Daemon::start(&dir.join("rspe.sock"), &eal);

    let mut eal2 = eal_base("inuse2");
    eal2.extend(["--vdev".into(), "net_null0".into()]);
    let (code, err) = run_rspe(&with_socket(&dir, eal2));
    assert_clean_failure(code, &err, "already in use");

    // Garbage: a frame that is not a request gets an error answer, then the connection closes.
    let mut s = std::os::unix::net::UnixStream::connect(dir.join("rspe.sock")).unwrap();
    s.write_all(&[0, 0, 0, 5, 0, 0xff, 0xff, 0xff, 0xff])
        .unwrap();
    let body = shared::api::read_message(&mut s, shared::api::MAX_RESPONSE).unwrap();
    match shared::api::decode::<shared::api::Response>(&body)
        .unwrap()
        .result
    {
        Err(msg) => assert!(msg.contains("bad request"), "{msg}"),
        other => panic!("expected an error, got {other:?}"),
    }
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap(), 0, "connection closed");

    // An oversized length prefix: refused, connection closed.
    let mut s = std::os::unix::net::UnixStream::connect(dir.join("rspe.sock")).unwrap();
    s.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let body = shared::api::read_message(&mut s, shared::api::MAX_RESPONSE).unwrap();
    assert!(shared::api::decode::<shared::api::Response>(&body)
        .unwrap()
        .result
        .is_err());

    // A silent client holds a connection open; others are still served.
    let _silent = std::os::unix::net::UnixStream::connect(dir.join("rspe.sock")).unwrap();
    let (ok, out, err) = first.ctl(&["/interface print"]);
    assert!(ok, "{err}");
    assert!(out.contains("ether1") && out.contains("ether"), "{out}");
    let (ok, _, err) = first.ctl(&["/no such command"]);
    assert!(!ok && err.contains("unknown menu or command"), "{err}");

    let (status, err) = first.stop();
    assert!(status.success(), "{err}");
}
