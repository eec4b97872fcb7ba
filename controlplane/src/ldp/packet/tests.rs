use super::*;

/// LDP PDUs of a capture: UDP hellos whole, TCP streams reassembled per direction and cut
/// into PDUs: (from TCP, PDU bytes).
fn pcap_pdus(data: &[u8]) -> Vec<(bool, Vec<u8>)> {
    let segments = crate::capture::segments(data);
    let mut out: Vec<(bool, Vec<u8>)> = segments
        .iter()
        .filter(|s| s.proto == 17 && (s.src.1 == PORT || s.dst.1 == PORT))
        .map(|s| (false, s.payload.clone()))
        .collect();
    let tcp = crate::capture::tcp_messages(&segments, PORT, |b| {
        frame(b, DEFAULT_MAX_PDU).ok().flatten()
    });
    out.extend(tcp.into_iter().map(|(_, m)| (true, m)));
    out
}

fn capture() -> Vec<(bool, Vec<u8>)> {
    pcap_pdus(include_bytes!(
        "../../../../testdata/pcaps/ldp-common-session.pcap"
    ))
}

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

#[test]
fn every_pdu_of_the_capture_decodes_and_encodes_back_byte_for_byte() {
    let pdus = capture();
    // tcpdump's decode of the capture shows 21 PDUs, and two 18-byte TCP segments it prints
    // without a decode: a KeepAlive each.
    assert_eq!(pdus.len(), 23);
    let keepalives = pdus
        .iter()
        .filter(|(_, b)| b.len() == 18)
        .map(|(_, b)| decode(b).unwrap().0)
        .filter(|p| p.messages.len() == 1 && p.messages[0].kind == msg::KEEPALIVE)
        .count();
    assert_eq!(keepalives, 2);
    for (_, bytes) in &pdus {
        let (pdu, advisories) = decode(bytes).unwrap_or_else(|e| panic!("{e}: {bytes:02x?}"));
        assert!(advisories.is_empty(), "{advisories:?}");
        assert_eq!(&pdu.encode(), bytes);
    }
}

#[test]
fn messages_read_as_tcpdump_reads_them() {
    let all: Vec<(Pdu, bool)> = capture()
        .into_iter()
        .map(|(tcp, b)| (decode(&b).unwrap().0, tcp))
        .collect();
    let msgs = |kind: u16| -> Vec<(&Pdu, &Message)> {
        all.iter()
            .flat_map(|(p, _)| p.messages.iter().map(move |m| (p, m)))
            .filter(|(_, m)| m.kind == kind)
            .collect()
    };
    // The shutdown Notification from 192.168.0.2:0.
    let n = msgs(msg::NOTIFICATION);
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].0.lsr_id, n[0].0.label_space), (ip("192.168.0.2"), 0));
    assert_eq!(n[0].1.id, 0xffff_fff9);
    let (code, fatal, _, _) = n[0].1.status().unwrap();
    assert_eq!((code, fatal), (status::SHUTDOWN, true));
    // Hellos: hold 15 s, link hellos, the transport addresses.
    let h = msgs(msg::HELLO);
    assert!(h.len() >= 4);
    for (p, m) in &h {
        assert_eq!(m.hello(), Some((15, false, false)));
        assert_eq!(m.transport(), Some(p.lsr_id), "transport = LSR id here");
    }
    // The Dual-Stack Capability TLV (0x0701) is unknown to us, with the U bit set: kept.
    assert!(h[0].1.tlvs.iter().any(|t| t.kind == 0x0701 && t.u));
    // Initialization: version 1, keepalive 30 s, DU, loop detection, PV limit 32,
    // receiver 192.168.0.1:0.
    let i = msgs(msg::INITIALIZATION);
    let s = i[0].1.session().unwrap();
    assert_eq!(
        s,
        SessionParams {
            version: 1,
            keepalive: 30,
            on_demand: false,
            loop_detection: true,
            pv_limit: 32,
            max_pdu: 0,
            receiver: (ip("192.168.0.1"), 0),
        }
    );
    // Address: nine IPv4 addresses; the IPv6 one gives none.
    let a = msgs(msg::ADDRESS);
    let v4: Vec<u32> = a[0].1.addresses().unwrap();
    assert_eq!(v4.len(), 9);
    assert_eq!(v4[0], ip("26.0.0.2"));
    assert_eq!(v4[8], ip("192.168.5.2"));
    assert_eq!(a[1].1.addresses(), Some(Vec::new()));
    // Label Mapping 192.168.0.2/32 → implicit null (3).
    let lm = msgs(msg::LABEL_MAPPING);
    assert_eq!(
        lm[0].1.fecs(),
        Some(vec![Fec::Prefix("192.168.0.2/32".parse().unwrap())])
    );
    assert_eq!(lm[0].1.label(), Some(3));
    // Label Withdraw 192.168.0.3/32 label 20066; Label Release with Loop Detected
    // about a Label Mapping.
    let w = msgs(msg::LABEL_WITHDRAW);
    assert_eq!(
        w[0].1.fecs(),
        Some(vec![Fec::Prefix("192.168.0.3/32".parse().unwrap())])
    );
    assert_eq!(w[0].1.label(), Some(20066));
    let r = msgs(msg::LABEL_RELEASE);
    assert_eq!(r.len(), 5);
    let (code, fatal, about, kind) = r[0].1.status().unwrap();
    assert_eq!(
        (code, fatal, about, kind),
        (status::LOOP_DETECTED, false, 0x0f, msg::LABEL_MAPPING)
    );
}

#[test]
fn what_we_send_decodes_to_what_we_meant() {
    let params = SessionParams::ours(30, (ip("10.255.0.2"), 0));
    let fec = vec![
        Fec::Prefix("10.255.0.1/32".parse().unwrap()),
        Fec::Prefix("10.0.0.0/8".parse().unwrap()),
        Fec::Prefix("0.0.0.0/0".parse().unwrap()),
    ];
    let pdu = Pdu {
        lsr_id: ip("10.255.0.1"),
        label_space: 0,
        messages: vec![
            make::hello(1, 15, ip("10.255.0.1")),
            make::initialization(2, &params),
            make::keepalive(3),
            make::address(4, false, &[ip("10.0.0.1"), ip("10.255.0.1")]),
            make::label(msg::LABEL_MAPPING, 5, &fec, Some(16)),
            make::label(msg::LABEL_WITHDRAW, 6, &[Fec::Wildcard], None),
            make::notification(7, status::SHUTDOWN, true, 0, 0),
        ],
    };
    let bytes = pdu.encode();
    let (back, adv) = decode(&bytes).unwrap();
    assert!(adv.is_empty());
    assert_eq!(back, pdu);
    let m = &back.messages;
    assert_eq!(m[0].hello(), Some((15, false, false)));
    assert_eq!(m[0].transport(), Some(ip("10.255.0.1")));
    assert_eq!(m[1].session(), Some(params));
    assert_eq!(
        m[3].addresses(),
        Some(vec![ip("10.0.0.1"), ip("10.255.0.1")])
    );
    assert_eq!(m[4].fecs(), Some(fec));
    assert_eq!(m[4].label(), Some(16));
    assert_eq!(m[5].fecs(), Some(vec![Fec::Wildcard]));
    assert_eq!(m[6].status(), Some((status::SHUTDOWN, true, 0, 0)));
}

/// A PDU with one message of `kind` and the raw TLV bytes `tlvs`.
fn raw(kind: u16, tlvs: &[u8]) -> Vec<u8> {
    let mut m = kind.to_be_bytes().to_vec();
    m.extend_from_slice(&((tlvs.len() + 4) as u16).to_be_bytes());
    m.extend_from_slice(&9u32.to_be_bytes());
    m.extend_from_slice(tlvs);
    let mut p = vec![0, 1, 0, 0, 10, 0, 0, 1, 0, 0];
    p.extend_from_slice(&m);
    let len = (p.len() - 4) as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    p
}

#[test]
fn bad_input_gets_the_notification_rfc_5036_names() {
    let fatal = |b: &[u8]| decode(b).unwrap_err();
    // The header: version, length.
    let mut v2 = raw(msg::KEEPALIVE, &[]);
    v2[1] = 2;
    assert_eq!(fatal(&v2).code, status::BAD_VERSION);
    assert_eq!(
        frame(&[0, 1, 0, 3], 4096).unwrap_err().code,
        status::BAD_PDU_LENGTH
    );
    assert_eq!(
        frame(&[0, 1, 0x20, 0], 4096).unwrap_err().code,
        status::BAD_PDU_LENGTH
    );
    assert_eq!(
        frame(&[0, 1, 0, 6, 1], 4096),
        Ok(None),
        "the rest is still coming"
    );
    let mut cut = raw(msg::KEEPALIVE, &[]);
    cut.pop();
    assert_eq!(fatal(&cut).code, status::BAD_PDU_LENGTH);
    // A message longer than the PDU.
    let mut long = raw(msg::KEEPALIVE, &[]);
    long[13] = 40;
    assert_eq!(fatal(&long).code, status::BAD_MESSAGE_LENGTH);
    // A TLV running past its message; a label out of range; a prefix FEC cut short.
    let e = fatal(&raw(msg::LABEL_MAPPING, &[0x01, 0x00, 0x00, 0x30, 0x02]));
    assert_eq!(
        (e.code, e.fatal, e.msg_id, e.msg_type),
        (status::BAD_TLV_LENGTH, true, 9, msg::LABEL_MAPPING)
    );
    let e = fatal(&raw(
        msg::LABEL_MAPPING,
        &[1, 0, 0, 4, 1, 0, 0, 0, 2, 0, 0, 4, 0x00, 0x10, 0, 0],
    ));
    assert_eq!(e.code, status::MALFORMED_TLV);
    let e = fatal(&raw(msg::LABEL_WITHDRAW, &[1, 0, 0, 4, 2, 0, 1, 32]));
    assert_eq!(e.code, status::MALFORMED_TLV);
    // Advisory: an unknown message or TLV without the U bit; a missing parameter. The
    // message is dropped, the PDU is not.
    let (p, adv) = decode(&raw(0x0999, &[])).unwrap();
    assert!(p.messages.is_empty());
    assert_eq!(
        (adv[0].code, adv[0].fatal),
        (status::UNKNOWN_MESSAGE, false)
    );
    let (p, adv) = decode(&raw(0x8999, &[])).unwrap();
    assert!(
        p.messages.is_empty() && adv.is_empty(),
        "U bit: ignored silently"
    );
    let (_, adv) = decode(&raw(msg::KEEPALIVE, &[0x07, 0x77, 0, 0])).unwrap();
    assert_eq!(adv[0].code, status::UNKNOWN_TLV);
    let (p, adv) = decode(&raw(msg::KEEPALIVE, &[0x87, 0x77, 0, 1, 9])).unwrap();
    assert!(
        adv.is_empty() && p.messages[0].tlvs[0].u,
        "an unknown TLV with U: kept, ignored"
    );
    let (_, adv) = decode(&raw(msg::LABEL_MAPPING, &[1, 0, 0, 1, 1])).unwrap();
    assert_eq!(
        (adv[0].code, adv[0].fatal),
        (status::MISSING_PARAMETERS, false)
    );
    // Never a panic on cut input.
    let good = capture();
    for (_, b) in good.iter().take(8) {
        for n in 0..b.len() {
            let _ = decode(&b[..n]);
            let _ = frame(&b[..n], DEFAULT_MAX_PDU);
        }
    }
}
