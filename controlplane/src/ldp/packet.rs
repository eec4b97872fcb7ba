//! LDP PDUs and messages (RFC 5036 §3): decoding with the RFC's error rules, and encoding.
//!
//! A PDU is a 10-byte header (version 1, length, LDP identifier: LSR id and label space)
//! and messages; a message is a type (with the U bit), a length, an id and TLVs; a TLV is a
//! type (with the U and F bits), a length and a value. What a message carries is kept as its
//! TLVs in order (so a message re-encodes byte for byte), with accessors for the parameters
//! the protocol reads: hello hold time and transport address, session parameters, address
//! lists, FECs, labels, status.
//!
//! Errors are the Notification RFC 5036 asks for ([`Error`]: status code, fatal or not,
//! the message it is about): a broken PDU header or a TLV whose length runs past its
//! message is fatal (the session ends); an unknown message or TLV with the U bit clear, or a
//! message missing a mandatory parameter, is advisory and only that message is ignored; an
//! unknown message or TLV with the U bit set is skipped silently.

use shared::types::Prefix4;

/// The LDP port, TCP and UDP.
pub const PORT: u16 = 646;
/// Protocol version.
pub const VERSION: u16 = 1;
/// PDU header: version, length, LSR id, label space.
pub const HEADER_LEN: usize = 10;
/// The largest PDU before a larger one is negotiated (RFC 5036 §3.5.3: 4096).
pub const DEFAULT_MAX_PDU: usize = 4096;

/// Message types.
pub mod msg {
    /// Notification.
    pub const NOTIFICATION: u16 = 0x0001;
    /// Hello.
    pub const HELLO: u16 = 0x0100;
    /// Initialization.
    pub const INITIALIZATION: u16 = 0x0200;
    /// KeepAlive.
    pub const KEEPALIVE: u16 = 0x0201;
    /// Address.
    pub const ADDRESS: u16 = 0x0300;
    /// Address Withdraw.
    pub const ADDRESS_WITHDRAW: u16 = 0x0301;
    /// Label Mapping.
    pub const LABEL_MAPPING: u16 = 0x0400;
    /// Label Request.
    pub const LABEL_REQUEST: u16 = 0x0401;
    /// Label Withdraw.
    pub const LABEL_WITHDRAW: u16 = 0x0402;
    /// Label Release.
    pub const LABEL_RELEASE: u16 = 0x0403;
    /// Label Abort Request.
    pub const LABEL_ABORT: u16 = 0x0404;
}

/// TLV types.
pub mod tlv {
    /// FEC.
    pub const FEC: u16 = 0x0100;
    /// Address List.
    pub const ADDRESS_LIST: u16 = 0x0101;
    /// Hop Count.
    pub const HOP_COUNT: u16 = 0x0103;
    /// Path Vector.
    pub const PATH_VECTOR: u16 = 0x0104;
    /// Generic Label.
    pub const GENERIC_LABEL: u16 = 0x0200;
    /// Status.
    pub const STATUS: u16 = 0x0300;
    /// Common Hello Parameters.
    pub const COMMON_HELLO: u16 = 0x0400;
    /// IPv4 Transport Address.
    pub const IPV4_TRANSPORT: u16 = 0x0401;
    /// Configuration Sequence Number.
    pub const CONFIG_SEQ: u16 = 0x0402;
    /// Common Session Parameters.
    pub const COMMON_SESSION: u16 = 0x0500;
    /// Label Request Message ID.
    pub const REQUEST_ID: u16 = 0x0600;
}

/// Status codes (RFC 5036 §3.9), without the E and F bits.
pub mod status {
    /// Success.
    pub const SUCCESS: u32 = 0x00;
    /// Bad LDP Identifier.
    pub const BAD_LDP_ID: u32 = 0x01;
    /// Bad Protocol Version.
    pub const BAD_VERSION: u32 = 0x02;
    /// Bad PDU Length.
    pub const BAD_PDU_LENGTH: u32 = 0x03;
    /// Unknown Message Type.
    pub const UNKNOWN_MESSAGE: u32 = 0x04;
    /// Bad Message Length.
    pub const BAD_MESSAGE_LENGTH: u32 = 0x05;
    /// Unknown TLV.
    pub const UNKNOWN_TLV: u32 = 0x06;
    /// Bad TLV Length.
    pub const BAD_TLV_LENGTH: u32 = 0x07;
    /// Malformed TLV Value.
    pub const MALFORMED_TLV: u32 = 0x08;
    /// Hold Timer Expired.
    pub const HOLD_EXPIRED: u32 = 0x09;
    /// Shutdown.
    pub const SHUTDOWN: u32 = 0x0a;
    /// Loop Detected.
    pub const LOOP_DETECTED: u32 = 0x0b;
    /// Unknown FEC.
    pub const UNKNOWN_FEC: u32 = 0x0c;
    /// No Route.
    pub const NO_ROUTE: u32 = 0x0d;
    /// No Label Resources.
    pub const NO_LABEL_RESOURCES: u32 = 0x0e;
    /// Session Rejected/No Hello.
    pub const REJECTED_NO_HELLO: u32 = 0x10;
    /// KeepAlive Timer Expired.
    pub const KEEPALIVE_EXPIRED: u32 = 0x14;
    /// Missing Message Parameters.
    pub const MISSING_PARAMETERS: u32 = 0x16;
    /// Unsupported Address Family.
    pub const UNSUPPORTED_AF: u32 = 0x17;
    /// Internal Error.
    pub const INTERNAL: u32 = 0x19;

    /// Whether RFC 5036 makes this status fatal (its E bit).
    pub fn fatal(code: u32) -> bool {
        matches!(
            code,
            BAD_LDP_ID
                | BAD_VERSION
                | BAD_PDU_LENGTH
                | BAD_MESSAGE_LENGTH
                | BAD_TLV_LENGTH
                | MALFORMED_TLV
                | HOLD_EXPIRED
                | SHUTDOWN
                | 0x10..=0x14 | 0x18 | INTERNAL
        )
    }
}

/// What went wrong, as the Notification to send: status code, whether the session ends,
/// and the message it is about (0 and 0 for the PDU itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why} (status {code:#x}{})", if *fatal { ", fatal" } else { "" })]
pub struct Error {
    /// The status code.
    pub code: u32,
    /// Fatal: the session ends.
    pub fatal: bool,
    /// The id of the message at fault.
    pub msg_id: u32,
    /// The type of the message at fault.
    pub msg_type: u16,
    /// In words.
    pub why: String,
}

impl Error {
    fn new(code: u32, why: impl Into<String>) -> Error {
        Error {
            code,
            fatal: status::fatal(code),
            msg_id: 0,
            msg_type: 0,
            why: why.into(),
        }
    }

    fn about(mut self, id: u32, kind: u16) -> Error {
        self.msg_id = id;
        self.msg_type = kind;
        self
    }
}

/// One TLV as received: its U and F bits, type and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    /// Unknown TLV bit: ignore it silently when not understood.
    pub u: bool,
    /// Forward unknown TLV bit.
    pub f: bool,
    /// Its type (14 bits).
    pub kind: u16,
    /// Its value.
    pub value: Vec<u8>,
}

impl Tlv {
    /// A TLV with both bits clear.
    pub fn new(kind: u16, value: Vec<u8>) -> Tlv {
        Tlv {
            u: false,
            f: false,
            kind,
            value,
        }
    }
}

/// A FEC element (RFC 5036 §3.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fec {
    /// Wildcard (0x01): every FEC.
    Wildcard,
    /// An IPv4 prefix (0x02, address family 1).
    Prefix(Prefix4),
    /// Any other element, kept whole (type and the rest).
    Other(u8, Vec<u8>),
}

/// Session parameters of an Initialization (RFC 5036 §3.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionParams {
    /// Protocol version.
    pub version: u16,
    /// KeepAlive time (s).
    pub keepalive: u16,
    /// Downstream on demand (A bit); clear: downstream unsolicited.
    pub on_demand: bool,
    /// Loop detection (D bit).
    pub loop_detection: bool,
    /// Path vector limit.
    pub pv_limit: u8,
    /// Max PDU length (0: the default, 4096).
    pub max_pdu: u16,
    /// The receiver's LDP identifier: LSR id and label space.
    pub receiver: (u32, u16),
}

impl SessionParams {
    /// What rspe proposes: version 1, downstream unsolicited, no loop detection, the
    /// default PDU size, `keepalive` seconds, to `receiver` (LSR id, label space).
    pub fn ours(keepalive: u16, receiver: (u32, u16)) -> SessionParams {
        SessionParams {
            version: VERSION,
            keepalive,
            on_demand: false,
            loop_detection: false,
            pv_limit: 0,
            max_pdu: 0,
            receiver,
        }
    }
}

/// One message: its type (and U bit), id and TLVs in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unknown message bit.
    pub u: bool,
    /// Its type (15 bits).
    pub kind: u16,
    /// Its id.
    pub id: u32,
    /// Its parameters.
    pub tlvs: Vec<Tlv>,
}

/// A PDU: the sender's LDP identifier and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The sender's LSR id.
    pub lsr_id: u32,
    /// The sender's label space.
    pub label_space: u16,
    /// Its messages, known ones only (unknown messages with the U bit set are skipped).
    pub messages: Vec<Message>,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Whether `kind` is a message type this speaker knows.
fn known_message(kind: u16) -> bool {
    matches!(
        kind,
        msg::NOTIFICATION
            | msg::HELLO
            | msg::INITIALIZATION
            | msg::KEEPALIVE
            | msg::ADDRESS
            | msg::ADDRESS_WITHDRAW
            | msg::LABEL_MAPPING
            | msg::LABEL_REQUEST
            | msg::LABEL_WITHDRAW
            | msg::LABEL_RELEASE
            | msg::LABEL_ABORT
    )
}

/// Whether `kind` is a TLV type this speaker knows.
fn known_tlv(kind: u16) -> bool {
    matches!(
        kind,
        tlv::FEC
            | tlv::ADDRESS_LIST
            | tlv::HOP_COUNT
            | tlv::PATH_VECTOR
            | tlv::GENERIC_LABEL
            | tlv::STATUS
            | tlv::COMMON_HELLO
            | tlv::IPV4_TRANSPORT
            | tlv::CONFIG_SEQ
            | tlv::COMMON_SESSION
            | tlv::REQUEST_ID
    )
}

/// How long the next PDU in `buf` is, once its header is there (`None`: not yet). A bad
/// version or a length out of bounds is fatal.
pub fn frame(buf: &[u8], max_pdu: usize) -> Result<Option<usize>, Error> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let version = be16(buf);
    if version != VERSION {
        return Err(Error::new(
            status::BAD_VERSION,
            format!("protocol version {version}"),
        ));
    }
    let len = usize::from(be16(&buf[2..])) + 4;
    if len < HEADER_LEN || len > max_pdu {
        return Err(Error::new(
            status::BAD_PDU_LENGTH,
            format!("PDU of {len} bytes (10..{max_pdu})"),
        ));
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Decodes one whole PDU. Advisory errors (an unknown message or TLV with the U bit clear, a
/// mandatory parameter missing) drop only their message and are returned beside the PDU.
pub fn decode(pdu: &[u8]) -> Result<(Pdu, Vec<Error>), Error> {
    let len = match frame(pdu, usize::from(u16::MAX) + 4)? {
        Some(len) if len == pdu.len() => len,
        _ => {
            return Err(Error::new(
                status::BAD_PDU_LENGTH,
                "PDU length does not match its bytes",
            ))
        }
    };
    let mut out = Pdu {
        lsr_id: be32(&pdu[4..]),
        label_space: be16(&pdu[8..]),
        messages: Vec::new(),
    };
    let mut advisories = Vec::new();
    let mut i = HEADER_LEN;
    while i < len {
        if len - i < 8 {
            return Err(Error::new(
                status::BAD_MESSAGE_LENGTH,
                "a message header cut short",
            ));
        }
        let head = be16(&pdu[i..]);
        let (u, kind) = (head & 0x8000 != 0, head & 0x7fff);
        let mlen = usize::from(be16(&pdu[i + 2..]));
        let id = be32(&pdu[i + 4..]);
        if mlen < 4 || i + 4 + mlen > len {
            return Err(Error::new(
                status::BAD_MESSAGE_LENGTH,
                format!("message of {mlen} bytes"),
            )
            .about(id, kind));
        }
        let body = &pdu[i + 8..i + 4 + mlen];
        i += 4 + mlen;
        if !known_message(kind) {
            if !u {
                advisories.push(
                    Error::new(status::UNKNOWN_MESSAGE, format!("message type {kind:#06x}"))
                        .about(id, kind),
                );
            }
            continue;
        }
        match message(kind, u, id, body) {
            Ok(m) => out.messages.push(m),
            Err(e) if e.fatal => return Err(e),
            Err(e) => advisories.push(e),
        }
    }
    Ok((out, advisories))
}

/// The TLVs of a message body, checked: lengths, known types, each known value's shape.
fn message(kind: u16, u: bool, id: u32, body: &[u8]) -> Result<Message, Error> {
    let mut tlvs = Vec::new();
    let mut j = 0;
    while j < body.len() {
        if body.len() - j < 4 {
            return Err(
                Error::new(status::BAD_TLV_LENGTH, "a TLV header cut short").about(id, kind)
            );
        }
        let head = be16(&body[j..]);
        let tlen = usize::from(be16(&body[j + 2..]));
        if j + 4 + tlen > body.len() {
            return Err(Error::new(
                status::BAD_TLV_LENGTH,
                format!(
                    "TLV {:#06x} of {tlen} bytes runs past its message",
                    head & 0x3fff
                ),
            )
            .about(id, kind));
        }
        let t = Tlv {
            u: head & 0x8000 != 0,
            f: head & 0x4000 != 0,
            kind: head & 0x3fff,
            value: body[j + 4..j + 4 + tlen].to_vec(),
        };
        j += 4 + tlen;
        if known_tlv(t.kind) {
            check_tlv(&t).map_err(|e| e.about(id, kind))?;
        } else if !t.u {
            return Err(
                Error::new(status::UNKNOWN_TLV, format!("TLV type {:#06x}", t.kind))
                    .about(id, kind),
            );
        }
        tlvs.push(t);
    }
    let m = Message { u, kind, id, tlvs };
    let need: &[u16] = match kind {
        msg::NOTIFICATION => &[tlv::STATUS],
        msg::HELLO => &[tlv::COMMON_HELLO],
        msg::INITIALIZATION => &[tlv::COMMON_SESSION],
        msg::ADDRESS | msg::ADDRESS_WITHDRAW => &[tlv::ADDRESS_LIST],
        msg::LABEL_MAPPING => &[tlv::FEC, tlv::GENERIC_LABEL],
        msg::LABEL_REQUEST | msg::LABEL_WITHDRAW | msg::LABEL_RELEASE => &[tlv::FEC],
        msg::LABEL_ABORT => &[tlv::FEC, tlv::REQUEST_ID],
        _ => &[],
    };
    if let Some(missing) = need.iter().find(|t| m.tlv(**t).is_none()) {
        return Err(Error::new(
            status::MISSING_PARAMETERS,
            format!("TLV {missing:#06x} missing"),
        )
        .about(id, kind));
    }
    Ok(m)
}

/// A known TLV's value has the shape its type says (fatal otherwise: RFC 5036 makes a
/// malformed value or a wrong length fatal).
fn check_tlv(t: &Tlv) -> Result<(), Error> {
    let v = &t.value;
    let exact = |n: usize| {
        if v.len() == n {
            Ok(())
        } else {
            Err(Error::new(
                status::BAD_TLV_LENGTH,
                format!("TLV {:#06x} of {} bytes (expected {n})", t.kind, v.len()),
            ))
        }
    };
    match t.kind {
        tlv::HOP_COUNT => exact(1),
        tlv::GENERIC_LABEL => {
            exact(4)?;
            if be32(v) > 0xfffff {
                return Err(Error::new(
                    status::MALFORMED_TLV,
                    format!("label {} out of range", be32(v)),
                ));
            }
            Ok(())
        }
        tlv::STATUS => exact(10),
        tlv::COMMON_HELLO => exact(4),
        tlv::IPV4_TRANSPORT | tlv::CONFIG_SEQ | tlv::REQUEST_ID => exact(4),
        tlv::COMMON_SESSION => exact(14),
        tlv::PATH_VECTOR if v.is_empty() || !v.len().is_multiple_of(4) => Err(Error::new(
            status::BAD_TLV_LENGTH,
            format!("path vector of {} bytes", v.len()),
        )),
        tlv::ADDRESS_LIST => {
            if v.len() < 2 {
                return Err(Error::new(
                    status::BAD_TLV_LENGTH,
                    "address list without a family",
                ));
            }
            if be16(v) == 1 && !(v.len() - 2).is_multiple_of(4) {
                return Err(Error::new(
                    status::BAD_TLV_LENGTH,
                    "IPv4 address list not in 4-byte addresses",
                ));
            }
            Ok(())
        }
        tlv::FEC => fecs(v).map(|_| ()),
        _ => Ok(()),
    }
}

/// The FEC elements of a FEC TLV's value.
fn fecs(v: &[u8]) -> Result<Vec<Fec>, Error> {
    let bad = |why: &str| Err(Error::new(status::MALFORMED_TLV, format!("FEC: {why}")));
    let mut out = Vec::new();
    let mut k = 0;
    if v.is_empty() {
        return bad("no element");
    }
    while k < v.len() {
        match v[k] {
            0x01 => {
                out.push(Fec::Wildcard);
                k += 1;
            }
            0x02 => {
                if v.len() - k < 4 {
                    return bad("prefix element cut short");
                }
                let af = be16(&v[k + 1..]);
                let plen = v[k + 3];
                let bytes = usize::from(plen).div_ceil(8);
                if v.len() - k - 4 < bytes {
                    return bad("prefix longer than its element");
                }
                let raw = &v[k + 4..k + 4 + bytes];
                if af == 1 {
                    if plen > 32 {
                        return bad("IPv4 prefix longer than 32 bits");
                    }
                    let mut a = [0u8; 4];
                    a[..bytes].copy_from_slice(raw);
                    let addr = u32::from_be_bytes(a) & shared::types::mask(plen);
                    match Prefix4::new(addr, plen) {
                        Ok(p) => out.push(Fec::Prefix(p)),
                        Err(_) => return bad("IPv4 prefix"),
                    }
                } else {
                    out.push(Fec::Other(0x02, v[k + 1..k + 4 + bytes].to_vec()));
                }
                k += 4 + bytes;
            }
            other => {
                // Elements of other types carry no length of their own here: the rest of
                // the TLV is theirs.
                out.push(Fec::Other(other, v[k + 1..].to_vec()));
                k = v.len();
            }
        }
    }
    Ok(out)
}

impl Message {
    /// The first TLV of type `kind`.
    pub fn tlv(&self, kind: u16) -> Option<&Tlv> {
        self.tlvs.iter().find(|t| t.kind == kind)
    }

    /// Hello: hold time (s), targeted, request targeted.
    pub fn hello(&self) -> Option<(u16, bool, bool)> {
        let v = &self.tlv(tlv::COMMON_HELLO)?.value;
        Some((be16(v), v[2] & 0x80 != 0, v[2] & 0x40 != 0))
    }

    /// Hello: the IPv4 transport address, if given.
    pub fn transport(&self) -> Option<u32> {
        Some(be32(&self.tlv(tlv::IPV4_TRANSPORT)?.value))
    }

    /// Initialization: the session parameters.
    pub fn session(&self) -> Option<SessionParams> {
        let v = &self.tlv(tlv::COMMON_SESSION)?.value;
        Some(SessionParams {
            version: be16(v),
            keepalive: be16(&v[2..]),
            on_demand: v[4] & 0x80 != 0,
            loop_detection: v[4] & 0x40 != 0,
            pv_limit: v[5],
            max_pdu: be16(&v[6..]),
            receiver: (be32(&v[8..]), be16(&v[12..])),
        })
    }

    /// Address and Address Withdraw: the IPv4 addresses (none for another family).
    pub fn addresses(&self) -> Option<Vec<u32>> {
        let v = &self.tlv(tlv::ADDRESS_LIST)?.value;
        if be16(v) != 1 {
            return Some(Vec::new());
        }
        Some(v[2..].chunks_exact(4).map(be32).collect())
    }

    /// Label messages: the FEC elements.
    pub fn fecs(&self) -> Option<Vec<Fec>> {
        fecs(&self.tlv(tlv::FEC)?.value).ok()
    }

    /// Label messages: the generic label.
    pub fn label(&self) -> Option<u32> {
        Some(be32(&self.tlv(tlv::GENERIC_LABEL)?.value))
    }

    /// Notification (and Label Release): status code (E and F bits cleared), fatal (E),
    /// and the id and type of the message it is about.
    pub fn status(&self) -> Option<(u32, bool, u32, u16)> {
        let v = &self.tlv(tlv::STATUS)?.value;
        let code = be32(v);
        Some((
            code & 0x3fff_ffff,
            code & 0x8000_0000 != 0,
            be32(&v[4..]),
            be16(&v[8..]),
        ))
    }

    /// The message as bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&(self.kind | if self.u { 0x8000 } else { 0 }).to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.id.to_be_bytes());
        for t in &self.tlvs {
            let head = t.kind | if t.u { 0x8000 } else { 0 } | if t.f { 0x4000 } else { 0 };
            out.extend_from_slice(&head.to_be_bytes());
            out.extend_from_slice(&(t.value.len() as u16).to_be_bytes());
            out.extend_from_slice(&t.value);
        }
        let len = (out.len() - start - 4) as u16;
        out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    }
}

impl Pdu {
    /// The PDU as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.lsr_id.to_be_bytes());
        out.extend_from_slice(&self.label_space.to_be_bytes());
        for m in &self.messages {
            m.encode(&mut out);
        }
        let len = (out.len() - 4) as u16;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out
    }
}

/// Builders for the messages this speaker sends.
pub mod make {
    use super::{msg, tlv, Fec, Message, SessionParams, Tlv};

    fn message(kind: u16, id: u32, tlvs: Vec<Tlv>) -> Message {
        Message {
            u: false,
            kind,
            id,
            tlvs,
        }
    }

    /// A link Hello with `hold` seconds and the transport address.
    pub fn hello(id: u32, hold: u16, transport: u32) -> Message {
        let mut common = hold.to_be_bytes().to_vec();
        common.extend_from_slice(&[0, 0]);
        message(
            msg::HELLO,
            id,
            vec![
                Tlv::new(tlv::COMMON_HELLO, common),
                Tlv::new(tlv::IPV4_TRANSPORT, transport.to_be_bytes().to_vec()),
            ],
        )
    }

    /// An Initialization with `p`.
    pub fn initialization(id: u32, p: &SessionParams) -> Message {
        let mut v = Vec::with_capacity(14);
        v.extend_from_slice(&p.version.to_be_bytes());
        v.extend_from_slice(&p.keepalive.to_be_bytes());
        v.push(u8::from(p.on_demand) << 7 | u8::from(p.loop_detection) << 6);
        v.push(p.pv_limit);
        v.extend_from_slice(&p.max_pdu.to_be_bytes());
        v.extend_from_slice(&p.receiver.0.to_be_bytes());
        v.extend_from_slice(&p.receiver.1.to_be_bytes());
        message(
            msg::INITIALIZATION,
            id,
            vec![Tlv::new(tlv::COMMON_SESSION, v)],
        )
    }

    /// A KeepAlive.
    pub fn keepalive(id: u32) -> Message {
        message(msg::KEEPALIVE, id, Vec::new())
    }

    /// An Address (or Address Withdraw) of IPv4 `addrs`.
    pub fn address(id: u32, withdraw: bool, addrs: &[u32]) -> Message {
        let mut v = 1u16.to_be_bytes().to_vec();
        for a in addrs {
            v.extend_from_slice(&a.to_be_bytes());
        }
        let kind = if withdraw {
            msg::ADDRESS_WITHDRAW
        } else {
            msg::ADDRESS
        };
        message(kind, id, vec![Tlv::new(tlv::ADDRESS_LIST, v)])
    }

    fn fec_value(fecs: &[Fec]) -> Vec<u8> {
        let mut v = Vec::new();
        for f in fecs {
            match f {
                Fec::Wildcard => v.push(0x01),
                Fec::Prefix(p) => {
                    v.push(0x02);
                    v.extend_from_slice(&1u16.to_be_bytes());
                    v.push(p.len());
                    let bytes = usize::from(p.len()).div_ceil(8);
                    v.extend_from_slice(&p.addr().to_be_bytes()[..bytes]);
                }
                Fec::Other(t, rest) => {
                    v.push(*t);
                    v.extend_from_slice(rest);
                }
            }
        }
        v
    }

    /// A label message (`kind`: mapping, withdraw, release...) for `fecs`, with a label
    /// when given.
    pub fn label(kind: u16, id: u32, fecs: &[Fec], label: Option<u32>) -> Message {
        let mut tlvs = vec![Tlv::new(tlv::FEC, fec_value(fecs))];
        if let Some(l) = label {
            tlvs.push(Tlv::new(tlv::GENERIC_LABEL, l.to_be_bytes().to_vec()));
        }
        message(kind, id, tlvs)
    }

    /// A Notification of `code` (fatal sets the E bit) about message (`about_id`,
    /// `about_type`).
    pub fn notification(
        id: u32,
        code: u32,
        fatal: bool,
        about_id: u32,
        about_type: u16,
    ) -> Message {
        let mut v = (code | if fatal { 0x8000_0000 } else { 0 })
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(&about_id.to_be_bytes());
        v.extend_from_slice(&about_type.to_be_bytes());
        message(msg::NOTIFICATION, id, vec![Tlv::new(tlv::STATUS, v)])
    }
}

#[cfg(test)]
mod tests;
