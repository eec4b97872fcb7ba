//! The configuration through the daemon: persistence across restarts, `kill -9` safety,
//! a broken saved file refused with its line and column, `import` stopping at the first
//! failing line, and many clients at once (one of them sending garbage).

mod common;
use common::*;
use std::io::Write;
use std::path::Path;

fn opts(config: &Path) -> Vec<String> {
    vec!["--config".into(), config.display().to_string()]
}

const SETUP: &str = r#"/interface bridge add name=lobridge
/ip address add address=10.1.1.2/24 interface=ether1
/ip address add address=10.5.5.2/32 interface=lobridge
/ip vrf add name=cust-one interfaces=ether1 place-before 0
/routing bgp template set default as=65000 address-families=ip,vpn4
/routing bgp connection add remote.address=10.5.5.3 local.address=10.5.5.2 .role=ibgp templates=default
/ip route add dst-address=10.5.5.3/32 gateway=10.1.1.1
/system identity set name=PE1
"#;

/// Starts rspe with `cfg` in `dir` expecting it to refuse: its exit code and stderr.
fn start_refused(dir: &Path, cfg: &Path, prefix: &str) -> (Option<i32>, String) {
    let mut args = vec![
        "--socket".to_string(),
        dir.join("s").display().to_string(),
        "--no-twins".to_string(),
    ];
    args.extend(opts(cfg));
    args.push("--".into());
    args.extend(ring_ports(prefix, 1));
    run_rspe(&args)
}

#[test]
fn restart_restores_the_same_configuration() {
    let dir = scratch("persist");
    let cfg = dir.join("rspe.rsc");
    let eal = ring_ports("persist", 2);
    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    std::fs::write(dir.join("setup.rsc"), SETUP).unwrap();
    let (ok, _, err) = d.ctl(&["import", dir.join("setup.rsc").to_str().unwrap()]);
    assert!(ok, "{err}");
    let (_, export1, _) = d.ctl(&["/export"]);
    assert!(export1.contains("set name=PE1"), "{export1}");
    let (status, _) = d.stop();
    assert!(status.success());
    let saved = std::fs::read_to_string(&cfg).unwrap();
    assert_eq!(
        controlplane::config::persist::unseal(&saved).unwrap().text,
        export1,
        "a stopped router's file is its export, sealed"
    );
    assert!(
        !dir.join("rspe.rsc.journal").exists(),
        "the journal was folded in at stop"
    );

    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    let (_, export2, _) = d.ctl(&["/export"]);
    assert_eq!(
        export1, export2,
        "a restart restores exactly the same state"
    );
    let (_, vrf, _) = d.ctl(&["/ip vrf print"]);
    assert!(
        vrf.contains(" 0    name=\"cust-one\" interfaces=ether1"),
        "{vrf}"
    );
    d.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kill_9_never_leaves_a_corrupt_file() {
    let dir = scratch("kill9");
    let cfg = dir.join("rspe.rsc");
    let eal = ring_ports("kill9", 1);
    for round in 0..3 {
        let mut d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
        // A client adds routes as fast as it can while the daemon is killed.
        let sock = dir.join("s");
        let writer = std::thread::spawn(move || {
            let mut n = 0;
            for i in 0..100_000u32 {
                let out = std::process::Command::new(RSPECTL)
                    .arg("--socket")
                    .arg(&sock)
                    .arg(format!(
                        "/ip route add dst-address=10.{}.{}.0/24 gateway=ether1",
                        round,
                        i % 250
                    ))
                    .output();
                match out {
                    Ok(o) if o.status.success() => n += 1,
                    _ => break,
                }
            }
            n
        });
        std::thread::sleep(std::time::Duration::from_millis(400 + 150 * round));
        kill9(&mut d);
        let acknowledged = writer.join().unwrap();
        // The file loads: the daemon starts, and holds at least every acknowledged change.
        let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
        let (ok, count, err) = d.ctl(&["/ip route print count-only"]);
        assert!(ok, "{err}");
        let count: usize = count.trim().parse().unwrap();
        assert!(
            count >= acknowledged,
            "round {round}: {count} routes saved, {acknowledged} acknowledged"
        );
        d.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_saved_file_cut_short_is_refused_and_a_hand_written_one_loads() {
    let dir = scratch("cut");
    let cfg = dir.join("rspe.rsc");
    let eal = ring_ports("cut", 1);
    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    for i in 0..20 {
        let (ok, _, err) = d.ctl(&[&format!(
            "/ip route add dst-address=10.7.{i}.0/24 gateway=ether1"
        )]);
        assert!(ok, "{err}");
    }
    d.stop();
    let saved = std::fs::read_to_string(&cfg).unwrap();
    // Cut in the middle of a line, as a full disk or a careless copy leaves it.
    let cut = &saved[..saved.find("10.7.1").unwrap() + 6];
    std::fs::write(&cfg, cut).unwrap();
    let (code, err) = start_refused(&dir, &cfg, "cut");
    assert!(matches!(code, Some(c) if c != 0), "refused: {code:?} {err}");
    assert!(
        err.contains("damaged") && err.contains("not loaded") && !err.contains("panicked"),
        "{err}"
    );
    // The same lines without rspe's seal are a hand-written file: they load.
    let first_route = cut.lines().find(|l| l.contains("10.7.0.0/24")).unwrap();
    let hand = format!("/ip route\n{first_route}\n");
    std::fs::write(&cfg, &hand).unwrap();
    let d = Daemon::start_with(&dir.join("s"), &opts(&cfg), &eal);
    let (ok, count, err) = d.ctl(&["/ip route print count-only"]);
    assert!(ok, "{err}");
    assert_eq!(count.trim(), "1", "{hand}");
    d.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_saved_file_is_refused_with_line_and_column() {
    let dir = scratch("broken");
    let cfg = dir.join("rspe.rsc");
    std::fs::write(
        &cfg,
        "/ip vrf\nadd name=a interfaces=ether1\nadd name=b interfaces=ether7\n",
    )
    .unwrap();
    let (code, err) = start_refused(&dir, &cfg, "broken");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("rspe.rsc: line 3, column 12") && err.contains("no such interface \"ether7\""),
        "{err}"
    );
    assert!(err.contains("was not loaded"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.join("s").exists(), "the daemon did not start");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_stops_at_the_first_failing_line() {
    let dir = scratch("import");
    let d = Daemon::start(&dir.join("s"), &ring_ports("import", 2));
    let script = dir.join("x.rsc");
    std::fs::write(&script, "/ip vrf\nadd name=a interfaces=ether1\n# comment\nadd name=b interfaces=nope\nadd name=c interfaces=ether2\n").unwrap();
    let (ok, _, err) = d.ctl(&["import", script.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("x.rsc: line 4, column 12")
            && err.contains("2 command(s) before it were applied"),
        "{err}"
    );
    let (_, vrf, _) = d.ctl(&["/ip vrf print"]);
    assert!(
        vrf.contains("\"a\"") && !vrf.contains("\"b\"") && !vrf.contains("\"c\""),
        "{vrf}"
    );
    d.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fifty_clients_at_once_one_sending_garbage() {
    let dir = scratch("fifty");
    let d = Daemon::start(&dir.join("s"), &ring_ports("fifty", 2));
    let sock = dir.join("s");
    let garbage = {
        let sock = sock.clone();
        std::thread::spawn(move || {
            for _ in 0..20 {
                if let Ok(mut s) = std::os::unix::net::UnixStream::connect(&sock) {
                    let _ = s.write_all(&[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9]);
                }
                // A client that connects and says nothing.
                let _silent = std::os::unix::net::UnixStream::connect(&sock);
            }
        })
    };
    let clients: Vec<_> = (0..50)
        .map(|i| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let name = format!("c{i}");
                let add = std::process::Command::new(RSPECTL)
                    .arg("--socket")
                    .arg(&sock)
                    .arg(format!("/routing table add name={name} fib"))
                    .output()
                    .unwrap();
                assert!(
                    add.status.success(),
                    "{}",
                    String::from_utf8_lossy(&add.stderr)
                );
                let get = std::process::Command::new(RSPECTL)
                    .arg("--socket")
                    .arg(&sock)
                    .arg(format!("/routing table print count-only where name={name}"))
                    .output()
                    .unwrap();
                assert_eq!(String::from_utf8_lossy(&get.stdout), "1\n");
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
    garbage.join().unwrap();
    let (_, n, _) = d.ctl(&["/routing table print count-only"]);
    assert_eq!(n, "51\n");
    let (status, _) = d.stop();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inert_parameters_warn_and_unsafe_ones_are_refused() {
    let dir = scratch("inert");
    let d = Daemon::start(&dir.join("s"), &ring_ports("inert", 1));
    // Stored, exported, and said to do nothing.
    let (ok, out, err) =
        d.ctl(&["/ip route add dst-address=10.9.0.0/16 gateway=ether1 pref-src=10.0.0.1"]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "warnings stay off stdout: {out}");
    assert!(
        err.contains("warning: /ip route pref-src has no effect"),
        "{err}"
    );
    let (ok, _, err) = d.ctl(&["/routing ospf instance add name=o1 domain-tag=5"]);
    assert!(
        ok && err.contains("/routing ospf instance domain-tag has no effect"),
        "{err}"
    );
    let (_, export, _) = d.ctl(&["/export"]);
    assert!(export.contains("pref-src=10.0.0.1"), "{export}");
    // At its default, or a plain comment: nothing to warn of.
    let (ok, _, err) = d.ctl(&["/routing ospf instance set o1 comment=x"]);
    assert!(ok && !err.contains("warning"), "{err}");
    // Refused: a filter ignored would let every route through; a firewall rule whose
    // matcher is ignored would never match.
    let (ok, _, err) = d.ctl(&["/routing bgp connection add name=c remote.address=10.0.0.2 remote.as=65001 local.role=ebgp input.filter=in"]);
    assert!(!ok && err.contains("input.filter is refused"), "{err}");
    let (ok, _, err) =
        d.ctl(&["/ip firewall filter add chain=forward src-address-type=local action=drop"]);
    assert!(!ok && err.contains("src-address-type is refused"), "{err}");
    d.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
