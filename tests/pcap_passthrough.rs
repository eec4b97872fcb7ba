//! pcap in, pcap out through the daemon: frames read from ether1's pcap leave ether2's pcap
//! byte for byte and in order (the patch panel 0↔1), and the counters say so.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn frames_cross_the_daemon_byte_for_byte() {
    let dir = scratch("pcap");
    let input = sample_frames(500);
    write_pcap(&dir.join("in.pcap"), &input);
    write_pcap(&dir.join("empty.pcap"), &[]);
    let mut eal = eal_base("pcap");
    eal.extend([
        "--vdev".into(),
        format!(
            "net_pcap0,rx_pcap={},tx_pcap={}",
            dir.join("in.pcap").display(),
            dir.join("out0.pcap").display()
        ),
        "--vdev".into(),
        format!(
            "net_pcap1,rx_pcap={},tx_pcap={}",
            dir.join("empty.pcap").display(),
            dir.join("out1.pcap").display()
        ),
    ]);
    let daemon = Daemon::start_with(&dir.join("rspe.sock"), &["--patch".to_string()], &eal);

    let deadline = Instant::now() + PATIENCE;
    let out = loop {
        match read_pcap(&dir.join("out1.pcap")) {
            Some(f) if f.len() >= input.len() => break f,
            _ => {}
        }
        assert!(Instant::now() < deadline, "the frames did not all come out");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(out.len(), input.len());
    for (i, (a, b)) in input.iter().zip(&out).enumerate() {
        assert_eq!(a, b, "frame {i} differs");
    }

    let (ok, stats, err) = daemon.ctl(&["--json", "/interface print stats"]);
    assert!(ok, "{err}");
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    let bytes: u64 = input.iter().map(|f| f.len() as u64).sum();
    assert_eq!(stats[0]["name"], "ether1");
    assert_eq!(stats[0]["rx-packet"], input.len() as u64);
    assert_eq!(stats[0]["rx-byte"], bytes);
    assert_eq!(stats[1]["tx-packet"], input.len() as u64);
    assert_eq!(stats[1]["tx-byte"], bytes);
    assert_eq!(stats[1]["tx-queue-drop"], 0);

    let (status, err) = daemon.stop();
    assert!(status.success(), "clean exit on SIGTERM: {status} {err}");
    assert!(err.contains("rspe: stopped"), "{err}");
    assert!(!dir.join("rspe.sock").exists(), "the socket is removed");
    let runtime = format!("/var/run/dpdk/rspe-test-pcap-{}", std::process::id());
    assert!(
        !std::path::Path::new(&runtime).exists(),
        "the EAL runtime directory {runtime} is removed"
    );
    // Nothing came back the other way.
    assert_eq!(read_pcap(&dir.join("out0.pcap")).unwrap().len(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
