//! The BGP speaker against scripted peers over loopback (real kernel TCP, the daemon's own
//! sessions): a good peer whose route is installed and stays installed while the others
//! misbehave; a peer that sends garbage instead of an OPEN; one that sends a broken UPDATE;
//! one that stalls in the middle of a message until the hold timer fires; one that floods
//! KEEPALIVEs; and a connection collision resolved by the BGP identifiers (RFC 4271 §6.8).

mod common;

use common::{ring_ports, scratch, Daemon};
use controlplane::bgp::packet::{self, msg, seg, Attrs, Capability, Open, Segment};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

const OUR_PORT: u16 = 17911;
const PEER_PORT: u16 = 17912;

fn connect_from(src: [u8; 4]) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.bind(&SocketAddr::from((src, 0)).into()).unwrap();
        let to = SocketAddr::from(([127, 0, 0, 1], OUR_PORT));
        match s.connect_timeout(&to.into(), Duration::from_secs(2)) {
            Ok(()) => {
                let t = TcpStream::from(s);
                t.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                return t;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "connect: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn read_msg(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; packet::HEADER_LEN];
    s.read_exact(&mut h).expect("a message header");
    let len = usize::from(u16::from_be_bytes([h[16], h[17]]));
    let mut body = vec![0u8; len - packet::HEADER_LEN];
    s.read_exact(&mut body).expect("a message body");
    (h[18], body)
}

/// Reads until a NOTIFICATION; returns (code, subcode).
fn notification(s: &mut TcpStream) -> (u8, u8) {
    loop {
        let (kind, body) = read_msg(s);
        if kind == msg::NOTIFICATION {
            return (body[0], body[1]);
        }
    }
}

fn open(asn: u16, id: [u8; 4], hold: u16) -> bytes::Bytes {
    Open {
        version: 4,
        asn,
        hold_time: hold,
        id: u32::from(Ipv4Addr::from(id)),
        caps: vec![
            Capability::Mp { afi: 1, safi: 1 },
            Capability::As4(u32::from(asn)),
        ],
    }
    .encode()
}

/// OPEN both ways and the KEEPALIVEs: established.
fn handshake(s: &mut TcpStream, asn: u16, id: [u8; 4]) {
    s.write_all(&open(asn, id, 90)).unwrap();
    let (kind, _) = read_msg(s);
    assert_eq!(kind, msg::OPEN);
    s.write_all(&packet::keepalive()).unwrap();
    loop {
        let (kind, _) = read_msg(s);
        if kind == msg::KEEPALIVE {
            return;
        }
        assert_ne!(kind, msg::NOTIFICATION, "session refused");
    }
}

fn route_update(prefix: &str, asn: u32) -> Vec<u8> {
    let attrs = Attrs {
        origin: Some(0),
        as_path: vec![Segment {
            kind: seg::SEQUENCE,
            asns: vec![asn],
        }],
        next_hop: Some(u32::from(Ipv4Addr::new(10, 0, 0, 2))),
        ..Attrs::default()
    };
    let mut out = Vec::new();
    packet::announce_updates(&attrs, true, &[prefix.parse().unwrap()], &mut out);
    out.concat()
}

fn wait_until(d: &Daemon, what: &str, cmd: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, out, _) = d.ctl(&[cmd]);
        if pred(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "{what}: {out}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn misbehaving_peers_do_not_disturb_the_others_and_collisions_resolve() {
    let dir = scratch("bgp-peers");
    // The colliding peer listens before rspe starts, so rspe's first attempt finds it.
    let listener = TcpListener::bind(("127.0.0.6", PEER_PORT)).unwrap();
    // A peer rspe must never dial (connect=no), listening where rspe would dial it.
    let passive = TcpListener::bind(("127.0.0.9", PEER_PORT + 1)).unwrap();
    passive.set_nonblocking(true).unwrap();
    let started = Instant::now();
    let config = dir.join("rspe.rsc");
    let mut text = String::from(
        "/ip address add address=10.0.0.1/24 interface=ether1\n\
         /routing bgp template set default as=65000 router-id=10.0.0.1 multihop=yes\n",
    );
    for (name, n, extra) in [
        ("good", 2, "connect=no"),
        ("garbage", 3, "connect=no"),
        ("broken", 4, "connect=no"),
        ("stall", 5, "connect=no hold-time=3s"),
        ("flood", 7, "connect=no"),
        ("limited", 8, "connect=no input.limit-process-routes-ipv4=2"),
        ("collide", 6, "remote.port=17912"),
        ("passive", 9, "connect=no remote.port=17913"),
    ] {
        text.push_str(&format!(
            "/routing bgp connection add name={name} remote.address=127.0.0.{n} \
             remote.as=650{n:02} local.role=ebgp local.port={OUR_PORT} {extra}\n"
        ));
    }
    std::fs::write(&config, text).unwrap();
    let d = Daemon::start_with(
        &dir.join("s"),
        &["--config".into(), config.display().to_string()],
        &ring_ports("bgp-peers", 1),
    );

    // The good peer: its route is installed.
    let mut good = connect_from([127, 0, 0, 2]);
    handshake(&mut good, 65002, [10, 9, 0, 2]);
    good.write_all(&route_update("172.16.0.0/16", 65002))
        .unwrap();
    wait_until(&d, "the good peer's route", "/ip route print detail", |o| {
        o.contains("dst-address=172.16.0.0/16 gateway=10.0.0.2") && o.contains("distance=20")
    });

    // Garbage instead of an OPEN: "connection not synchronized", the connection closes.
    let mut g = connect_from([127, 0, 0, 3]);
    g.write_all(&[0u8; 40]).unwrap();
    assert_eq!(notification(&mut g), (1, 1));

    // A broken UPDATE (withdrawn routes length past the message): session reset with
    // "malformed attribute list".
    let mut b = connect_from([127, 0, 0, 4]);
    handshake(&mut b, 65004, [10, 9, 0, 4]);
    let mut bad = vec![0xff; 16];
    bad.extend([0, 23, msg::UPDATE, 0, 9, 0, 0]);
    b.write_all(&bad).unwrap();
    assert_eq!(notification(&mut b), (3, 1));

    // Stalled in the middle of a message: the hold timer (3 s) ends it.
    let mut st = connect_from([127, 0, 0, 5]);
    st.write_all(&open(65005, [10, 9, 0, 5], 3)).unwrap();
    let _ = read_msg(&mut st);
    st.write_all(&packet::keepalive()).unwrap();
    st.write_all(&[0xff; 10]).unwrap();
    assert_eq!(notification(&mut st), (4, 0), "hold timer expired");

    // A flood of keepalives: the session stays, and so does everything else.
    let mut f = connect_from([127, 0, 0, 7]);
    handshake(&mut f, 65007, [10, 9, 0, 7]);
    let ka = packet::keepalive().repeat(100_000);
    f.write_all(&ka).unwrap();
    f.write_all(&route_update("172.17.0.0/16", 65007)).unwrap();
    wait_until(
        &d,
        "the flooding peer's route after 100,000 keepalives",
        "/ip route print detail",
        |o| o.contains("dst-address=172.17.0.0/16"),
    );

    // Collision: rspe connects to 127.0.0.6:17912 while the peer connects to rspe. The
    // peer's identifier is higher, so the connection it opened survives and rspe closes
    // its own with Cease / connection collision resolution.
    let (mut ours, _) = listener.accept().unwrap();
    ours.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (kind, _) = read_msg(&mut ours);
    assert_eq!(kind, msg::OPEN, "rspe's OPEN on the connection it opened");
    let mut theirs = connect_from([127, 0, 0, 6]);
    let (kind, _) = read_msg(&mut theirs);
    assert_eq!(kind, msg::OPEN, "rspe's OPEN on the peer's connection");
    let id = [10, 255, 255, 6];
    ours.write_all(&open(65006, id, 90)).unwrap();
    theirs.write_all(&open(65006, id, 90)).unwrap();
    assert_eq!(
        notification(&mut ours),
        (6, 7),
        "rspe closes its own connection"
    );
    let (kind, _) = read_msg(&mut theirs);
    assert_eq!(kind, msg::KEEPALIVE, "and goes on with the peer's");
    theirs.write_all(&packet::keepalive()).unwrap();

    // Past one connect-retry interval (5 s): the connect=no peer was never dialled.
    std::thread::sleep(Duration::from_secs(7).saturating_sub(started.elapsed()));
    assert_eq!(
        passive.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "connect=no dials nobody"
    );
    let sessions = wait_until(&d, "sessions", "/routing bgp session print", |o| {
        o.contains("E name=\"collide-1\"") && o.contains("E name=\"flood-1\"")
    });
    assert!(sessions.contains("E name=\"good-1\""), "{sessions}");
    assert!(!sessions.contains("E name=\"stall-1\""), "{sessions}");
    assert!(!sessions.contains("E name=\"broken-1\""), "{sessions}");
    let (_, detail, _) = d.ctl(&["/routing bgp session print detail where name=stall-1"]);
    assert!(
        detail.contains("last-error=\"hold timer expired\""),
        "{detail}"
    );
    // The good peer's route never left.
    let (_, routes, _) = d.ctl(&["/ip route print detail where dst-address=172.16.0.0/16"]);
    assert!(routes.contains("DAb"), "{routes}");
    // A prefix limit: the third prefix stops the session (RFC 4486 Cease 6/1 with AFI 1,
    // SAFI 1 and the limit); it stays down, refusing the peer, until `reset`.
    let mut l = connect_from([127, 0, 0, 8]);
    handshake(&mut l, 65008, [10, 9, 0, 8]);
    for p in ["172.18.0.0/16", "172.18.1.0/24", "172.18.2.0/24"] {
        l.write_all(&route_update(p, 65008)).unwrap();
    }
    let data = loop {
        let (kind, body) = read_msg(&mut l);
        if kind == msg::NOTIFICATION {
            break body;
        }
    };
    assert_eq!(data, [6, 1, 0, 1, 1, 0, 0, 0, 2]);
    let out = wait_until(
        &d,
        "limit-exceeded",
        "/routing bgp session print detail",
        |o| o.contains("limit-exceeded"),
    );
    assert!(!out.contains("E name=\"limited-1\""), "{out}");
    let (_, routes, _) = d.ctl(&["/ip route print detail"]);
    assert!(
        !routes.contains("172.18."),
        "the limited peer's routes are gone: {routes}"
    );
    let mut again = connect_from([127, 0, 0, 8]);
    let mut byte = [0u8; 1];
    assert!(
        matches!(again.read(&mut byte), Ok(0) | Err(_)),
        "refused while the limit holds"
    );
    let (ok, _, err) = d.ctl(&["/routing bgp session reset limited-1"]);
    assert!(ok, "{err}");
    let mut l = connect_from([127, 0, 0, 8]);
    handshake(&mut l, 65008, [10, 9, 0, 8]);

    // `resend`: the good peer gets the flooding peer's route again.
    let has = |body: &[u8], prefix: &str| {
        let ctx = packet::Ctx {
            as4: true,
            ebgp: true,
        };
        packet::decode_update(body, ctx).is_ok_and(|u| u.nlri.contains(&prefix.parse().unwrap()))
    };
    let next_with = |s: &mut TcpStream, prefix: &str| loop {
        let (kind, body) = read_msg(s);
        if kind == msg::UPDATE && has(&body, prefix) {
            break;
        }
    };
    next_with(&mut good, "172.17.0.0/16");
    let (ok, _, err) = d.ctl(&["/routing bgp session resend good-1"]);
    assert!(ok, "{err}");
    next_with(&mut good, "172.17.0.0/16");
    let (ok, _, err) = d.ctl(&["/routing bgp session reset nosuch-1"]);
    assert!(!ok && err.contains("no such session"), "{err}");
    // `reset`: Cease, administrative reset.
    let (ok, _, err) = d.ctl(&["/routing bgp session reset good-1"]);
    assert!(ok, "{err}");
    assert_eq!(
        notification(&mut good),
        (6, 4),
        "Cease, administrative reset"
    );
    // The peers are told when rspe stops.
    let (status, _) = d.stop();
    assert!(status.success());
    assert_eq!(
        notification(&mut f),
        (6, 2),
        "Cease, administrative shutdown"
    );
}
