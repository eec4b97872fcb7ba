//! BGP-4 messages on the wire (RFC 4271 §4) with the capabilities of RFC 5492/4760/2918/
//! 6793/4724, and the revised UPDATE error handling of RFC 7606.
//!
//! Decoding never panics: every length is checked before it is used, and a message that
//! cannot be understood becomes the NOTIFICATION the RFC prescribes. UPDATE attributes are
//! walked header by header here (not by a general codec), so that each error gets exactly
//! the RFC 7606 treatment: session reset, treat-as-withdraw or attribute discard.

use bytes::{BufMut, Bytes, BytesMut};
use shared::types::Prefix4;
use std::fmt;

/// The 16 bytes of all ones that start every message.
pub const MARKER: [u8; 16] = [0xff; 16];
/// Marker, length, type.
pub const HEADER_LEN: usize = 19;
/// The largest message (RFC 4271; extended messages are not offered).
pub const MAX_LEN: usize = 4096;
/// AS_TRANS (RFC 6793): stands for a 4-octet AS in 2-octet fields.
pub const AS_TRANS: u16 = 23456;

/// Message types.
pub mod msg {
    /// OPEN.
    pub const OPEN: u8 = 1;
    /// UPDATE.
    pub const UPDATE: u8 = 2;
    /// NOTIFICATION.
    pub const NOTIFICATION: u8 = 3;
    /// KEEPALIVE.
    pub const KEEPALIVE: u8 = 4;
    /// ROUTE-REFRESH (RFC 2918).
    pub const ROUTE_REFRESH: u8 = 5;
}

/// Path attribute type codes.
pub mod attr {
    /// ORIGIN.
    pub const ORIGIN: u8 = 1;
    /// AS_PATH.
    pub const AS_PATH: u8 = 2;
    /// NEXT_HOP.
    pub const NEXT_HOP: u8 = 3;
    /// MULTI_EXIT_DISC.
    pub const MED: u8 = 4;
    /// LOCAL_PREF.
    pub const LOCAL_PREF: u8 = 5;
    /// ATOMIC_AGGREGATE.
    pub const ATOMIC_AGGREGATE: u8 = 6;
    /// AGGREGATOR.
    pub const AGGREGATOR: u8 = 7;
    /// COMMUNITIES (RFC 1997).
    pub const COMMUNITIES: u8 = 8;
    /// ORIGINATOR_ID (RFC 4456).
    pub const ORIGINATOR_ID: u8 = 9;
    /// CLUSTER_LIST (RFC 4456).
    pub const CLUSTER_LIST: u8 = 10;
    /// MP_REACH_NLRI (RFC 4760).
    pub const MP_REACH: u8 = 14;
    /// MP_UNREACH_NLRI (RFC 4760).
    pub const MP_UNREACH: u8 = 15;
    /// EXTENDED COMMUNITIES (RFC 4360).
    pub const EXT_COMMUNITIES: u8 = 16;
    /// AS4_PATH (RFC 6793).
    pub const AS4_PATH: u8 = 17;
    /// AS4_AGGREGATOR (RFC 6793).
    pub const AS4_AGGREGATOR: u8 = 18;
    /// LARGE_COMMUNITY (RFC 8092).
    pub const LARGE_COMMUNITIES: u8 = 32;
    /// ATTR_SET (RFC 6368).
    pub const ATTR_SET: u8 = 128;
}

/// Attribute flag bits.
pub mod flag {
    /// Optional.
    pub const OPTIONAL: u8 = 0x80;
    /// Transitive.
    pub const TRANSITIVE: u8 = 0x40;
    /// Partial.
    pub const PARTIAL: u8 = 0x20;
    /// Two-octet length.
    pub const EXTENDED: u8 = 0x10;
}

/// A NOTIFICATION: what ends a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Error code.
    pub code: u8,
    /// Error subcode.
    pub subcode: u8,
    /// Data.
    pub data: Vec<u8>,
}

/// Error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486; RFC 7313).
pub mod err {
    /// Message Header Error.
    pub const HEADER: u8 = 1;
    /// Connection Not Synchronized.
    pub const NOT_SYNCED: u8 = 1;
    /// Bad Message Length.
    pub const BAD_LENGTH: u8 = 2;
    /// Bad Message Type.
    pub const BAD_TYPE: u8 = 3;
    /// OPEN Message Error.
    pub const OPEN: u8 = 2;
    /// Unsupported Version Number.
    pub const BAD_VERSION: u8 = 1;
    /// Bad Peer AS.
    pub const BAD_PEER_AS: u8 = 2;
    /// Bad BGP Identifier.
    pub const BAD_ID: u8 = 3;
    /// Unsupported Optional Parameter.
    pub const BAD_OPT_PARAM: u8 = 4;
    /// Unacceptable Hold Time.
    pub const BAD_HOLD: u8 = 6;
    /// UPDATE Message Error.
    pub const UPDATE: u8 = 3;
    /// Malformed Attribute List.
    pub const MALFORMED_ATTRS: u8 = 1;
    /// Unrecognized Well-known Attribute.
    pub const UNRECOGNIZED_WELL_KNOWN: u8 = 2;
    /// Optional Attribute Error.
    pub const OPTIONAL_ATTR: u8 = 9;
    /// Invalid Network Field.
    pub const BAD_NETWORK: u8 = 10;
    /// Hold Timer Expired.
    pub const HOLD_EXPIRED: u8 = 4;
    /// Finite State Machine Error.
    pub const FSM: u8 = 5;
    /// Cease.
    pub const CEASE: u8 = 6;
    /// Cease: Administrative Shutdown.
    pub const ADMIN_SHUTDOWN: u8 = 2;
    /// Cease: Peer De-configured.
    pub const DECONFIGURED: u8 = 3;
    /// Cease: Administrative Reset.
    pub const ADMIN_RESET: u8 = 4;
    /// Cease: Connection Rejected.
    pub const REJECTED: u8 = 5;
    /// Cease: Other Configuration Change.
    pub const CONFIG_CHANGE: u8 = 6;
    /// Cease: Connection Collision Resolution.
    pub const COLLISION: u8 = 7;
    /// ROUTE-REFRESH Message Error.
    pub const ROUTE_REFRESH: u8 = 7;
}

impl Notification {
    /// A NOTIFICATION with `data`.
    pub fn new(code: u8, subcode: u8, data: impl Into<Vec<u8>>) -> Notification {
        Notification {
            code,
            subcode,
            data: data.into(),
        }
    }

    /// The message, header included.
    pub fn encode(&self) -> Bytes {
        let mut b = header(msg::NOTIFICATION, 2 + self.data.len());
        b.put_u8(self.code);
        b.put_u8(self.subcode);
        b.put_slice(&self.data);
        b.freeze()
    }

    /// From a NOTIFICATION's body.
    pub fn decode(body: &[u8]) -> Result<Notification, Notification> {
        match body {
            [code, subcode, data @ ..] => Ok(Notification::new(*code, *subcode, data)),
            _ => Err(bad_length(HEADER_LEN + body.len())),
        }
    }

    /// The whole message in hex, as RouterOS shows `last-notification`.
    pub fn hex(&self) -> String {
        self.encode().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, sub) = match (self.code, self.subcode) {
            (1, s) => (
                "message header error",
                [
                    "",
                    "connection not synchronized",
                    "bad message length",
                    "bad message type",
                ]
                .get(usize::from(s))
                .copied(),
            ),
            (2, s) => (
                "OPEN message error",
                [
                    "",
                    "unsupported version number",
                    "bad peer AS",
                    "bad BGP identifier",
                    "unsupported optional parameter",
                    "",
                    "unacceptable hold time",
                    "unsupported capability",
                    "",
                    "",
                    "",
                    "role mismatch",
                ]
                .get(usize::from(s))
                .copied(),
            ),
            (3, s) => (
                "UPDATE message error",
                [
                    "",
                    "malformed attribute list",
                    "unrecognized well-known attribute",
                    "missing well-known attribute",
                    "attribute flags error",
                    "attribute length error",
                    "invalid ORIGIN attribute",
                    "",
                    "invalid NEXT_HOP attribute",
                    "optional attribute error",
                    "invalid network field",
                    "malformed AS_PATH",
                ]
                .get(usize::from(s))
                .copied(),
            ),
            (4, _) => ("hold timer expired", None),
            (5, _) => ("finite state machine error", None),
            (6, s) => (
                "cease",
                [
                    "",
                    "maximum number of prefixes reached",
                    "administrative shutdown",
                    "peer de-configured",
                    "administrative reset",
                    "connection rejected",
                    "other configuration change",
                    "connection collision resolution",
                    "out of resources",
                    "hard reset",
                ]
                .get(usize::from(s))
                .copied(),
            ),
            (7, _) => ("ROUTE-REFRESH message error", None),
            _ => ("unknown error", None),
        };
        write!(f, "{code}")?;
        match sub {
            Some(s) if !s.is_empty() => write!(f, ", {s}"),
            _ if self.subcode != 0 => write!(f, ", subcode {}", self.subcode),
            _ => Ok(()),
        }
    }
}

fn bad_length(len: usize) -> Notification {
    let l = u16::try_from(len).unwrap_or(u16::MAX);
    Notification::new(err::HEADER, err::BAD_LENGTH, l.to_be_bytes())
}

/// A message header for a body of `body` bytes.
pub(crate) fn header(kind: u8, body: usize) -> BytesMut {
    let mut b = BytesMut::with_capacity(HEADER_LEN + body);
    b.put_slice(&MARKER);
    b.put_u16(u16::try_from(HEADER_LEN + body).unwrap_or(u16::MAX));
    b.put_u8(kind);
    b
}

/// Checks the header at the start of `buf`: `Ok(None)` when more bytes are needed,
/// `Ok(Some((type, length)))` when a whole message is there (RFC 4271 §6.1).
pub fn frame(buf: &[u8]) -> Result<Option<(u8, usize)>, Notification> {
    if buf.len() < HEADER_LEN {
        // A wrong marker is an error as soon as its bytes are in.
        let n = buf.len().min(16);
        if buf[..n].iter().any(|&b| b != 0xff) {
            return Err(Notification::new(err::HEADER, err::NOT_SYNCED, []));
        }
        return Ok(None);
    }
    if buf[..16] != MARKER {
        return Err(Notification::new(err::HEADER, err::NOT_SYNCED, []));
    }
    let len = usize::from(u16::from_be_bytes([buf[16], buf[17]]));
    let kind = buf[18];
    let min = match kind {
        msg::OPEN => 29,
        msg::UPDATE => 23,
        msg::NOTIFICATION => 21,
        msg::KEEPALIVE => 19,
        msg::ROUTE_REFRESH => 19,
        _ => return Err(Notification::new(err::HEADER, err::BAD_TYPE, [kind])),
    };
    // A ROUTE-REFRESH of the wrong length is its own error (RFC 7313 §5), found when it
    // is decoded.
    let fixed = kind == msg::KEEPALIVE;
    if !(HEADER_LEN..=MAX_LEN).contains(&len) || len < min || (fixed && len != min) {
        return Err(bad_length(len));
    }
    Ok((buf.len() >= len).then_some((kind, len)))
}

/// A KEEPALIVE.
pub fn keepalive() -> Bytes {
    header(msg::KEEPALIVE, 0).freeze()
}

/// A ROUTE-REFRESH for `afi`/`safi`.
pub fn route_refresh(afi: u16, safi: u8) -> Bytes {
    let mut b = header(msg::ROUTE_REFRESH, 4);
    b.put_u16(afi);
    b.put_u8(0);
    b.put_u8(safi);
    b.freeze()
}

/// ROUTE-REFRESH message subtypes (RFC 7313 §3.2).
pub mod refresh {
    /// A normal route refresh request (RFC 2918).
    pub const NORMAL: u8 = 0;
    /// Beginning of Route Refresh.
    pub const BORR: u8 = 1;
    /// End of Route Refresh.
    pub const EORR: u8 = 2;
    /// ROUTE-REFRESH Message Error subcode: Invalid Message Length.
    pub const INVALID_LENGTH: u8 = 1;
}

/// A ROUTE-REFRESH: (AFI, subtype, SAFI). One whose body is not 4 octets long is refused
/// with 7/1 carrying the whole message (RFC 7313 §5).
pub fn decode_route_refresh(body: &[u8]) -> Result<(u16, u8, u8), Notification> {
    match body {
        [a, b, subtype, safi] => Ok((u16::from_be_bytes([*a, *b]), *subtype, *safi)),
        _ => {
            let len = u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX);
            let mut whole = Vec::with_capacity(HEADER_LEN + body.len());
            whole.extend_from_slice(&MARKER);
            whole.extend_from_slice(&len.to_be_bytes());
            whole.push(msg::ROUTE_REFRESH);
            whole.extend_from_slice(body);
            Err(Notification::new(
                err::ROUTE_REFRESH,
                refresh::INVALID_LENGTH,
                whole,
            ))
        }
    }
}

/// AFI/SAFI pairs.
pub mod afi {
    /// IPv4.
    pub const IPV4: u16 = 1;
    /// IPv6.
    pub const IPV6: u16 = 2;
    /// Unicast.
    pub const UNICAST: u8 = 1;
    /// Labeled unicast (RFC 8277).
    pub const LABELED: u8 = 4;
    /// MPLS-labeled VPN (RFC 4364).
    pub const VPN: u8 = 128;
}

/// A capability of an OPEN (RFC 5492).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// Multiprotocol extensions (code 1).
    Mp {
        /// AFI.
        afi: u16,
        /// SAFI.
        safi: u8,
    },
    /// Route refresh (code 2).
    RouteRefresh,
    /// Graceful restart (code 64): parsed, not acted on.
    GracefulRestart {
        /// Restart flags (4 bits) and time (12 bits).
        flags_time: u16,
        /// (AFI, SAFI, flags).
        families: Vec<(u16, u8, u8)>,
    },
    /// 4-octet AS numbers (code 65).
    As4(u32),
    /// ADD-PATH (code 69): (AFI, SAFI, send/receive).
    AddPath(Vec<(u16, u8, u8)>),
    /// Enhanced route refresh (code 70).
    EnhancedRouteRefresh,
    /// Anything else, kept as it came.
    Other {
        /// Code.
        code: u8,
        /// Value.
        data: Vec<u8>,
    },
}

impl Capability {
    fn decode(code: u8, v: &[u8]) -> Capability {
        let other = || Capability::Other {
            code,
            data: v.to_vec(),
        };
        match (code, v) {
            (1, [a, b, _, safi]) => Capability::Mp {
                afi: u16::from_be_bytes([*a, *b]),
                safi: *safi,
            },
            (2, []) => Capability::RouteRefresh,
            (64, [a, b, rest @ ..]) if rest.len() % 4 == 0 => Capability::GracefulRestart {
                flags_time: u16::from_be_bytes([*a, *b]),
                families: rest
                    .chunks_exact(4)
                    .map(|c| (u16::from_be_bytes([c[0], c[1]]), c[2], c[3]))
                    .collect(),
            },
            (65, [a, b, c, d]) => Capability::As4(u32::from_be_bytes([*a, *b, *c, *d])),
            (69, v) if !v.is_empty() && v.len() % 4 == 0 => Capability::AddPath(
                v.chunks_exact(4)
                    .map(|c| (u16::from_be_bytes([c[0], c[1]]), c[2], c[3]))
                    .collect(),
            ),
            (70, []) => Capability::EnhancedRouteRefresh,
            _ => other(),
        }
    }

    fn encode(&self, b: &mut BytesMut) {
        let (code, mut v) = match self {
            Capability::Mp { afi, safi } => {
                let mut v = afi.to_be_bytes().to_vec();
                v.extend([0, *safi]);
                (1, v)
            }
            Capability::RouteRefresh => (2, vec![]),
            Capability::GracefulRestart {
                flags_time,
                families,
            } => {
                let mut v = flags_time.to_be_bytes().to_vec();
                for (a, s, f) in families {
                    v.extend(a.to_be_bytes());
                    v.extend([*s, *f]);
                }
                (64, v)
            }
            Capability::As4(asn) => (65, asn.to_be_bytes().to_vec()),
            Capability::AddPath(l) => {
                let mut v = vec![];
                for (a, s, f) in l {
                    v.extend(a.to_be_bytes());
                    v.extend([*s, *f]);
                }
                (69, v)
            }
            Capability::EnhancedRouteRefresh => (70, vec![]),
            Capability::Other { code, data } => (*code, data.clone()),
        };
        v.truncate(255);
        b.put_u8(code);
        b.put_u8(v.len() as u8);
        b.put_slice(&v);
    }

    /// RouterOS's short name (`mp`, `rr`, `gr`, `as4`, `ap`, …).
    pub fn short(&self) -> &'static str {
        match self {
            Capability::Mp { .. } => "mp",
            Capability::RouteRefresh => "rr",
            Capability::GracefulRestart { .. } => "gr",
            Capability::As4(_) => "as4",
            Capability::AddPath(_) => "ap",
            Capability::EnhancedRouteRefresh => "err",
            Capability::Other { code: 3, .. } => "orf",
            Capability::Other { code: 5, .. } => "enhe",
            Capability::Other { code: 6, .. } => "em",
            Capability::Other { code: 8, .. } => "ml",
            Capability::Other { code: 9, .. } => "role",
            Capability::Other { code: 71, .. } => "llgr",
            Capability::Other { code: 73, .. } => "fqdn",
            Capability::Other { .. } => "",
        }
    }
}

/// An OPEN (RFC 4271 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// Version (4).
    pub version: u8,
    /// My Autonomous System (AS_TRANS when the AS needs 4 octets).
    pub asn: u16,
    /// Hold time, seconds.
    pub hold_time: u16,
    /// BGP identifier.
    pub id: u32,
    /// Capabilities, in order.
    pub caps: Vec<Capability>,
}

impl Open {
    /// The AS the speaker says it is: the 4-octet capability's when present.
    pub fn real_as(&self) -> u32 {
        self.caps
            .iter()
            .find_map(|c| match c {
                Capability::As4(a) => Some(*a),
                _ => None,
            })
            .unwrap_or(u32::from(self.asn))
    }

    /// Whether it offers `cap` (compared by kind and value).
    pub fn has(&self, cap: &Capability) -> bool {
        self.caps.contains(cap)
    }

    /// Whether it offers 4-octet AS numbers.
    pub fn as4(&self) -> bool {
        self.caps.iter().any(|c| matches!(c, Capability::As4(_)))
    }

    /// The message.
    pub fn encode(&self) -> Bytes {
        let mut caps = BytesMut::new();
        for c in &self.caps {
            c.encode(&mut caps);
        }
        let mut params = BytesMut::new();
        // One capabilities parameter per 255 bytes of capabilities.
        let mut rest = &caps[..];
        while !rest.is_empty() {
            let mut n = 0;
            while n < rest.len() && n + 2 + usize::from(rest[n + 1]) <= 255 {
                n += 2 + usize::from(rest[n + 1]);
            }
            params.put_u8(2);
            params.put_u8(n as u8);
            params.put_slice(&rest[..n]);
            rest = &rest[n..];
        }
        let mut b = header(msg::OPEN, 10 + params.len());
        b.put_u8(self.version);
        b.put_u16(self.asn);
        b.put_u16(self.hold_time);
        b.put_u32(self.id);
        b.put_u8(params.len().min(255) as u8);
        b.put_slice(&params);
        b.freeze()
    }

    /// From an OPEN's body (RFC 4271 §6.2; extended parameters length of RFC 9072).
    /// Checks needing the configuration (peer AS, identifier against ours) are the
    /// session's.
    pub fn decode(body: &[u8]) -> Result<Open, Notification> {
        let open_err = |sub: u8, data: &[u8]| Notification::new(err::OPEN, sub, data);
        if body.len() < 10 {
            return Err(bad_length(HEADER_LEN + body.len()));
        }
        let version = body[0];
        if version != 4 {
            return Err(open_err(err::BAD_VERSION, &[0, 4]));
        }
        let asn = u16::from_be_bytes([body[1], body[2]]);
        let hold_time = u16::from_be_bytes([body[3], body[4]]);
        if hold_time == 1 || hold_time == 2 {
            return Err(open_err(err::BAD_HOLD, &[]));
        }
        let id = u32::from_be_bytes([body[5], body[6], body[7], body[8]]);
        if id == 0 {
            return Err(open_err(err::BAD_ID, &body[5..9]));
        }
        let mut plen = usize::from(body[9]);
        let mut p = &body[10..];
        let mut extended = false;
        if plen == 255 && p.first() == Some(&255) {
            // RFC 9072: 255, 255, then a 2-octet length.
            if p.len() < 3 {
                return Err(open_err(0, &[]));
            }
            plen = usize::from(u16::from_be_bytes([p[1], p[2]]));
            p = &p[3..];
            extended = true;
        }
        if plen != p.len() {
            return Err(open_err(0, &[]));
        }
        let mut caps = Vec::new();
        while !p.is_empty() {
            let hl = if extended { 3 } else { 2 };
            if p.len() < hl {
                return Err(open_err(0, &[]));
            }
            let kind = p[0];
            let len = if extended {
                usize::from(u16::from_be_bytes([p[1], p[2]]))
            } else {
                usize::from(p[1])
            };
            let Some(v) = p.get(hl..hl + len) else {
                return Err(open_err(0, &[]));
            };
            if kind != 2 {
                return Err(open_err(err::BAD_OPT_PARAM, &[]));
            }
            let mut c = v;
            while !c.is_empty() {
                if c.len() < 2 {
                    return Err(open_err(0, &[]));
                }
                let (code, l) = (c[0], usize::from(c[1]));
                let Some(val) = c.get(2..2 + l) else {
                    return Err(open_err(0, &[]));
                };
                caps.push(Capability::decode(code, val));
                c = &c[2 + l..];
            }
            p = &p[hl + len..];
        }
        let open = Open {
            version,
            asn,
            hold_time,
            id,
            caps,
        };
        // RFC 6793 §4.2: a 2-octet My AS other than AS_TRANS must be the 4-octet one.
        if open.as4() && asn != AS_TRANS && u32::from(asn) != open.real_as() {
            return Err(open_err(err::BAD_PEER_AS, &body[1..3]));
        }
        Ok(open)
    }
}

/// An AS_PATH segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    /// 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET.
    pub kind: u8,
    /// The AS numbers.
    pub asns: Vec<u32>,
}

/// Segment types.
pub mod seg {
    /// AS_SET.
    pub const SET: u8 = 1;
    /// AS_SEQUENCE.
    pub const SEQUENCE: u8 = 2;
    /// AS_CONFED_SEQUENCE.
    pub const CONFED_SEQUENCE: u8 = 3;
    /// AS_CONFED_SET.
    pub const CONFED_SET: u8 = 4;
}

/// An attribute this speaker does not interpret, passed on when optional transitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttr {
    /// Flags as received (the partial bit is set when passed on).
    pub flags: u8,
    /// Type code.
    pub code: u8,
    /// Value.
    pub data: Vec<u8>,
}

/// The path attributes of a route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Attrs {
    /// 0 IGP, 1 EGP, 2 incomplete.
    pub origin: Option<u8>,
    /// AS_PATH with 4-octet numbers (AS4_PATH merged in from 2-octet speakers).
    pub as_path: Vec<Segment>,
    /// NEXT_HOP (or the IPv4 next hop of MP_REACH_NLRI).
    pub next_hop: Option<u32>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF.
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE.
    pub atomic_aggregate: bool,
    /// AGGREGATOR: (AS, address).
    pub aggregator: Option<(u32, u32)>,
    /// COMMUNITIES.
    pub communities: Vec<u32>,
    /// EXTENDED COMMUNITIES.
    pub ext_communities: Vec<u64>,
    /// LARGE_COMMUNITY.
    pub large_communities: Vec<[u32; 3]>,
    /// ORIGINATOR_ID.
    pub originator_id: Option<u32>,
    /// CLUSTER_LIST.
    pub cluster_list: Vec<u32>,
    /// Optional transitive attributes not interpreted here.
    pub other: Vec<RawAttr>,
}

impl Attrs {
    /// AS_PATH length for best-path selection: an AS_SET counts 1, confederation
    /// segments 0 (RFC 4271 §9.1.2.2, RFC 5065).
    pub fn path_len(&self) -> usize {
        self.as_path
            .iter()
            .map(|s| match s.kind {
                seg::SEQUENCE => s.asns.len(),
                seg::SET => 1,
                _ => 0,
            })
            .sum()
    }

    /// The leftmost AS of the path (the neighbour's, for eBGP).
    pub fn first_as(&self) -> Option<u32> {
        self.as_path
            .iter()
            .find(|s| matches!(s.kind, seg::SEQUENCE | seg::SET))
            .and_then(|s| s.asns.first().copied())
    }

    /// Whether `asn` appears in the path more than `allow` times.
    pub fn has_loop(&self, asn: u32, allow: usize) -> bool {
        self.as_path
            .iter()
            .flat_map(|s| s.asns.iter())
            .filter(|&&a| a == asn)
            .count()
            > allow
    }

    /// `asn` prepended `times` times.
    pub fn prepend(&mut self, asn: u32, times: usize) {
        match self.as_path.first_mut() {
            Some(s) if s.kind == seg::SEQUENCE && s.asns.len() + times <= 255 => {
                s.asns.splice(0..0, std::iter::repeat_n(asn, times));
            }
            _ => self.as_path.insert(
                0,
                Segment {
                    kind: seg::SEQUENCE,
                    asns: vec![asn; times],
                },
            ),
        }
    }

    /// The AS path as RouterOS prints it (`65001,65002,{65003,65004}`).
    pub fn as_path_text(&self) -> String {
        let mut out = Vec::new();
        for s in &self.as_path {
            let n: Vec<String> = s.asns.iter().map(u32::to_string).collect();
            match s.kind {
                seg::SET | seg::CONFED_SET => out.push(format!("{{{}}}", n.join(","))),
                seg::CONFED_SEQUENCE => out.push(format!("({})", n.join(","))),
                _ => out.extend(n),
            }
        }
        out.join(",")
    }

    /// Encodes the attributes (not MP_REACH/MP_UNREACH) for a session with or without
    /// 4-octet AS numbers.
    pub fn encode(&self, as4: bool, b: &mut BytesMut) {
        use flag::*;
        if let Some(o) = self.origin {
            put_attr(b, TRANSITIVE, attr::ORIGIN, &[o]);
        }
        let path = encode_path(&self.as_path, as4);
        put_attr(b, TRANSITIVE, attr::AS_PATH, &path);
        if let Some(nh) = self.next_hop {
            put_attr(b, TRANSITIVE, attr::NEXT_HOP, &nh.to_be_bytes());
        }
        if let Some(m) = self.med {
            put_attr(b, OPTIONAL, attr::MED, &m.to_be_bytes());
        }
        if let Some(l) = self.local_pref {
            put_attr(b, TRANSITIVE, attr::LOCAL_PREF, &l.to_be_bytes());
        }
        if self.atomic_aggregate {
            put_attr(b, TRANSITIVE, attr::ATOMIC_AGGREGATE, &[]);
        }
        let needs_as4 = |a: u32| a > u32::from(u16::MAX);
        if let Some((asn, ip)) = self.aggregator {
            let mut v = Vec::with_capacity(8);
            if as4 {
                v.extend(asn.to_be_bytes());
            } else {
                let a = if needs_as4(asn) { AS_TRANS } else { asn as u16 };
                v.extend(a.to_be_bytes());
            }
            v.extend(ip.to_be_bytes());
            put_attr(b, OPTIONAL | TRANSITIVE, attr::AGGREGATOR, &v);
            if !as4 && needs_as4(asn) {
                let mut v = asn.to_be_bytes().to_vec();
                v.extend(ip.to_be_bytes());
                put_attr(b, OPTIONAL | TRANSITIVE, attr::AS4_AGGREGATOR, &v);
            }
        }
        if !self.communities.is_empty() {
            let v: Vec<u8> = self
                .communities
                .iter()
                .flat_map(|c| c.to_be_bytes())
                .collect();
            put_attr(b, OPTIONAL | TRANSITIVE, attr::COMMUNITIES, &v);
        }
        if let Some(o) = self.originator_id {
            put_attr(b, OPTIONAL, attr::ORIGINATOR_ID, &o.to_be_bytes());
        }
        if !self.cluster_list.is_empty() {
            let v: Vec<u8> = self
                .cluster_list
                .iter()
                .flat_map(|c| c.to_be_bytes())
                .collect();
            put_attr(b, OPTIONAL, attr::CLUSTER_LIST, &v);
        }
        if !self.ext_communities.is_empty() {
            let v: Vec<u8> = self
                .ext_communities
                .iter()
                .flat_map(|c| c.to_be_bytes())
                .collect();
            put_attr(b, OPTIONAL | TRANSITIVE, attr::EXT_COMMUNITIES, &v);
        }
        if !as4
            && self
                .as_path
                .iter()
                .flat_map(|s| s.asns.iter())
                .any(|&a| needs_as4(a))
        {
            let v = encode_path(&self.as_path, true);
            put_attr(b, OPTIONAL | TRANSITIVE, attr::AS4_PATH, &v);
        }
        if !self.large_communities.is_empty() {
            let v: Vec<u8> = self
                .large_communities
                .iter()
                .flat_map(|c| c.iter().flat_map(|x| x.to_be_bytes()))
                .collect();
            put_attr(b, OPTIONAL | TRANSITIVE, attr::LARGE_COMMUNITIES, &v);
        }
        for o in &self.other {
            put_attr(b, o.flags & !EXTENDED, o.code, &o.data);
        }
    }
}

fn encode_path(path: &[Segment], as4: bool) -> Vec<u8> {
    let mut v = Vec::new();
    for s in path {
        for chunk in s.asns.chunks(255) {
            v.push(s.kind);
            v.push(chunk.len() as u8);
            for &a in chunk {
                if as4 {
                    v.extend(a.to_be_bytes());
                } else {
                    let a = u16::try_from(a).unwrap_or(AS_TRANS);
                    v.extend(a.to_be_bytes());
                }
            }
        }
    }
    v
}

pub(crate) fn put_attr(b: &mut BytesMut, flags: u8, code: u8, v: &[u8]) {
    if v.len() > 255 {
        b.put_u8(flags | flag::EXTENDED);
        b.put_u8(code);
        b.put_u16(u16::try_from(v.len()).unwrap_or(u16::MAX));
    } else {
        b.put_u8(flags & !flag::EXTENDED);
        b.put_u8(code);
        b.put_u8(v.len() as u8);
    }
    b.put_slice(v);
}

/// Appends `p` in NLRI encoding (length, then the significant octets).
pub fn put_prefix(b: &mut BytesMut, p: Prefix4) {
    let n = usize::from(p.len()).div_ceil(8);
    b.put_u8(p.len());
    b.put_slice(&p.addr().to_be_bytes()[..n]);
}

/// Bytes `p` takes in NLRI encoding.
pub fn prefix_size(p: Prefix4) -> usize {
    1 + usize::from(p.len()).div_ceil(8)
}

/// IPv4 prefixes in NLRI encoding (RFC 4271 §4.3); `None` when malformed (a length
/// above 32 or past the end).
pub fn decode_prefixes(mut v: &[u8], out: &mut Vec<Prefix4>) -> Option<()> {
    while let Some((&len, rest)) = v.split_first() {
        if len > 32 {
            return None;
        }
        let n = usize::from(len).div_ceil(8);
        let bytes = rest.get(..n)?;
        let mut a = [0u8; 4];
        a[..n].copy_from_slice(bytes);
        out.push(Prefix4::new(u32::from_be_bytes(a), len).ok()?);
        v = &rest[n..];
    }
    Some(())
}

/// What RFC 7606 says to do with an UPDATE that has errors in its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Treatment {
    /// Nothing wrong.
    #[default]
    None,
    /// Malformed attributes were dropped (listed with why); the routes stand.
    AttributeDiscard(Vec<String>),
    /// The announced routes are to be withdrawn (why).
    TreatAsWithdraw(String),
}

/// MP_REACH_NLRI as found (RFC 4760).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpReach {
    /// AFI.
    pub afi: u16,
    /// SAFI.
    pub safi: u8,
    /// Next hop field.
    pub next_hop: Vec<u8>,
    /// NLRI, encoded.
    pub nlri: Vec<u8>,
}

/// MP_UNREACH_NLRI as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpUnreach {
    /// AFI.
    pub afi: u16,
    /// SAFI.
    pub safi: u8,
    /// Withdrawn routes, encoded.
    pub withdrawn: Vec<u8>,
}

/// A decoded UPDATE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    /// Withdrawn IPv4 unicast routes (field and MP_UNREACH_NLRI).
    pub withdrawn: Vec<Prefix4>,
    /// Announced IPv4 unicast routes (field and MP_REACH_NLRI).
    pub nlri: Vec<Prefix4>,
    /// Their attributes.
    pub attrs: Attrs,
    /// MP_REACH_NLRI of other families.
    pub mp_reach: Option<MpReach>,
    /// MP_UNREACH_NLRI of other families.
    pub mp_unreach: Option<MpUnreach>,
    /// RFC 7606's verdict.
    pub treatment: Treatment,
}

impl Update {
    /// End-of-RIB for IPv4 unicast (RFC 4724): an empty UPDATE.
    pub fn is_eor(&self) -> bool {
        self.withdrawn.is_empty()
            && self.nlri.is_empty()
            && self.mp_reach.is_none()
            && self.mp_unreach.is_none()
            && self.attrs == Attrs::default()
    }
}

/// What decoding needs to know of the session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctx {
    /// Both sides offered 4-octet AS numbers.
    pub as4: bool,
    /// The peer is in another AS.
    pub ebgp: bool,
}

/// How a malformed attribute is handled (RFC 7606 §2): weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Discard,
    Withdraw,
}

struct Verdict {
    worst: Option<Severity>,
    why: Vec<String>,
}

impl Verdict {
    fn note(&mut self, s: Severity, why: String) {
        self.worst = self.worst.max(Some(s));
        self.why.push(why);
    }
}

/// Required flag bits (optional, transitive) of the attributes interpreted here.
fn expected_flags(code: u8) -> Option<u8> {
    use flag::*;
    Some(match code {
        attr::ORIGIN
        | attr::AS_PATH
        | attr::NEXT_HOP
        | attr::LOCAL_PREF
        | attr::ATOMIC_AGGREGATE => TRANSITIVE,
        attr::MED
        | attr::ORIGINATOR_ID
        | attr::CLUSTER_LIST
        | attr::MP_REACH
        | attr::MP_UNREACH => OPTIONAL,
        attr::AGGREGATOR
        | attr::COMMUNITIES
        | attr::EXT_COMMUNITIES
        | attr::AS4_PATH
        | attr::AS4_AGGREGATOR
        | attr::LARGE_COMMUNITIES
        | attr::ATTR_SET => OPTIONAL | TRANSITIVE,
        _ => return None,
    })
}

fn u32_at(v: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]])
}

/// An AS path of 2- or 4-octet numbers; `None` when malformed (RFC 7606 §7.2).
fn decode_path(mut v: &[u8], four: bool) -> Option<Vec<Segment>> {
    let w = if four { 4 } else { 2 };
    let mut out = Vec::new();
    while !v.is_empty() {
        let [kind, n, rest @ ..] = v else {
            return None;
        };
        if !(1..=4).contains(kind) || *n == 0 {
            return None;
        }
        let bytes = rest.get(..usize::from(*n) * w)?;
        let asns = bytes
            .chunks_exact(w)
            .map(|c| {
                if four {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from(u16::from_be_bytes([c[0], c[1]]))
                }
            })
            .collect();
        out.push(Segment { kind: *kind, asns });
        v = &rest[bytes.len()..];
    }
    Some(out)
}

/// RFC 6793 §4.2.3: the AS_PATH of a 2-octet speaker with its AS4_PATH.
fn merge_as4(path: Vec<Segment>, as4: Vec<Segment>) -> Vec<Segment> {
    let count = |p: &[Segment]| -> usize {
        p.iter()
            .map(|s| match s.kind {
                seg::SEQUENCE => s.asns.len(),
                seg::SET => 1,
                _ => 0,
            })
            .sum()
    };
    let (n, n4) = (count(&path), count(&as4));
    if n4 > n {
        return path;
    }
    // Keep the leading n - n4 ASes of AS_PATH, then AS4_PATH.
    let mut keep = n - n4;
    let mut out = Vec::new();
    for s in path {
        if keep == 0 {
            break;
        }
        match s.kind {
            seg::SEQUENCE => {
                let take = keep.min(s.asns.len());
                out.push(Segment {
                    kind: s.kind,
                    asns: s.asns[..take].to_vec(),
                });
                keep -= take;
            }
            seg::SET => {
                out.push(s);
                keep -= 1;
            }
            _ => out.push(s),
        }
    }
    out.extend(as4.into_iter().filter(|s| s.kind <= seg::SEQUENCE));
    out
}

/// MP_REACH_NLRI or MP_UNREACH_NLRI into `u`: IPv4 unicast merged with the NLRI fields,
/// other families kept encoded. `Err` when its structure is broken.
fn decode_mp(code: u8, val: &[u8], u: &mut Update) -> Result<(), ()> {
    if code == attr::MP_REACH {
        let [a0, a1, safi, nhl, rest @ ..] = val else {
            return Err(());
        };
        let nhl = usize::from(*nhl);
        let nh = rest.get(..nhl).ok_or(())?;
        let nlri = rest.get(nhl + 1..).ok_or(())?;
        let afi = u16::from_be_bytes([*a0, *a1]);
        if (afi, *safi) == (afi::IPV4, afi::UNICAST) {
            if nhl != 4 {
                return Err(());
            }
            u.attrs.next_hop = Some(u32_at(nh, 0));
            decode_prefixes(nlri, &mut u.nlri).ok_or(())?;
        } else {
            u.mp_reach = Some(MpReach {
                afi,
                safi: *safi,
                next_hop: nh.to_vec(),
                nlri: nlri.to_vec(),
            });
        }
    } else {
        let [a0, a1, safi, rest @ ..] = val else {
            return Err(());
        };
        let afi = u16::from_be_bytes([*a0, *a1]);
        if (afi, *safi) == (afi::IPV4, afi::UNICAST) {
            decode_prefixes(rest, &mut u.withdrawn).ok_or(())?;
        } else {
            u.mp_unreach = Some(MpUnreach {
                afi,
                safi: *safi,
                withdrawn: rest.to_vec(),
            });
        }
    }
    Ok(())
}

/// Decodes an UPDATE's body. `Err` is a session reset with its NOTIFICATION; everything
/// RFC 7606 handles more gently is reported in [`Update::treatment`].
pub fn decode_update(body: &[u8], ctx: Ctx) -> Result<Update, Notification> {
    let malformed = || Notification::new(err::UPDATE, err::MALFORMED_ATTRS, []);
    if body.len() < 4 {
        return Err(malformed());
    }
    let wlen = usize::from(u16::from_be_bytes([body[0], body[1]]));
    let wfield = body.get(2..2 + wlen).ok_or_else(malformed)?;
    let rest = &body[2 + wlen..];
    if rest.len() < 2 {
        return Err(malformed());
    }
    let alen = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
    let afield = rest.get(2..2 + alen).ok_or_else(malformed)?;
    let nfield = &rest[2 + alen..];

    let bad_net = || Notification::new(err::UPDATE, err::BAD_NETWORK, []);
    let mut u = Update::default();
    decode_prefixes(wfield, &mut u.withdrawn).ok_or_else(bad_net)?;
    decode_prefixes(nfield, &mut u.nlri).ok_or_else(bad_net)?;

    let mut v = Verdict {
        worst: None,
        why: Vec::new(),
    };
    let mut seen = [false; 256];
    let mut as4_path = None;
    let mut as4_aggr = None;
    let mut a = afield;
    while !a.is_empty() {
        // RFC 7606 §4: too few octets for a header, or a length past the attributes'
        // end: treat-as-withdraw, and the NLRI is found by the total length.
        let ext = a[0] & flag::EXTENDED != 0;
        let hl = if ext { 4 } else { 3 };
        if a.len() < hl {
            v.note(Severity::Withdraw, "truncated attribute header".into());
            break;
        }
        let (flags, code) = (a[0], a[1]);
        let len = if ext {
            usize::from(u16::from_be_bytes([a[2], a[3]]))
        } else {
            usize::from(a[2])
        };
        let Some(val) = a.get(hl..hl + len) else {
            v.note(
                Severity::Withdraw,
                format!("attribute {code} overruns the attribute list"),
            );
            break;
        };
        a = &a[hl + len..];
        let dup = std::mem::replace(&mut seen[usize::from(code)], true);
        if dup {
            // RFC 7606 §3(g): MP_REACH/MP_UNREACH twice resets; any other repeat is
            // dropped.
            if matches!(code, attr::MP_REACH | attr::MP_UNREACH) {
                return Err(malformed());
            }
            continue;
        }
        if let Some(want) = expected_flags(code) {
            if flags & (flag::OPTIONAL | flag::TRANSITIVE) != want {
                if matches!(code, attr::MP_REACH | attr::MP_UNREACH) {
                    return Err(Notification::new(err::UPDATE, 4, [flags, code]));
                }
                // RFC 7606 §3(c).
                v.note(
                    Severity::Withdraw,
                    format!("attribute {code} has flags {flags:#04x}"),
                );
                continue;
            }
        }
        let bad_len = |what: &str| format!("{what} of length {len}");
        let at = &mut u.attrs;
        match code {
            attr::ORIGIN => match val {
                [o @ 0..=2] => at.origin = Some(*o),
                _ => v.note(Severity::Withdraw, bad_len("ORIGIN")),
            },
            attr::AS_PATH => match decode_path(val, ctx.as4) {
                Some(p) => at.as_path = p,
                None => v.note(Severity::Withdraw, "malformed AS_PATH".into()),
            },
            attr::NEXT_HOP => match val {
                [a, b, c, d] => at.next_hop = Some(u32::from_be_bytes([*a, *b, *c, *d])),
                _ => v.note(Severity::Withdraw, bad_len("NEXT_HOP")),
            },
            attr::MED => match val.len() {
                4 => at.med = Some(u32_at(val, 0)),
                _ => v.note(Severity::Withdraw, bad_len("MULTI_EXIT_DISC")),
            },
            attr::LOCAL_PREF => match val.len() {
                // RFC 4271 §5.1.5 / RFC 7606 §7.5: from an external peer it is ignored.
                4 if ctx.ebgp => {}
                4 => at.local_pref = Some(u32_at(val, 0)),
                _ if ctx.ebgp => v.note(Severity::Discard, bad_len("LOCAL_PREF")),
                _ => v.note(Severity::Withdraw, bad_len("LOCAL_PREF")),
            },
            attr::ATOMIC_AGGREGATE => match val.len() {
                0 => at.atomic_aggregate = true,
                _ => v.note(Severity::Discard, bad_len("ATOMIC_AGGREGATE")),
            },
            attr::AGGREGATOR => match (val.len(), ctx.as4) {
                (8, true) => at.aggregator = Some((u32_at(val, 0), u32_at(val, 4))),
                (6, false) => {
                    at.aggregator = Some((
                        u32::from(u16::from_be_bytes([val[0], val[1]])),
                        u32_at(val, 2),
                    ))
                }
                _ => v.note(Severity::Discard, bad_len("AGGREGATOR")),
            },
            attr::COMMUNITIES => match val.len() {
                n if n > 0 && n % 4 == 0 => {
                    at.communities = val.chunks_exact(4).map(|c| u32_at(c, 0)).collect()
                }
                _ => v.note(Severity::Withdraw, bad_len("COMMUNITIES")),
            },
            attr::ORIGINATOR_ID => match val.len() {
                // RFC 7606 §7.9: from an external peer, discarded.
                _ if ctx.ebgp => v.note(Severity::Discard, "ORIGINATOR_ID from eBGP".into()),
                4 => at.originator_id = Some(u32_at(val, 0)),
                _ => v.note(Severity::Withdraw, bad_len("ORIGINATOR_ID")),
            },
            attr::CLUSTER_LIST => match val.len() {
                _ if ctx.ebgp => v.note(Severity::Discard, "CLUSTER_LIST from eBGP".into()),
                n if n > 0 && n % 4 == 0 => {
                    at.cluster_list = val.chunks_exact(4).map(|c| u32_at(c, 0)).collect()
                }
                _ => v.note(Severity::Withdraw, bad_len("CLUSTER_LIST")),
            },
            attr::EXT_COMMUNITIES => match val.len() {
                n if n > 0 && n % 8 == 0 => {
                    at.ext_communities = val
                        .chunks_exact(8)
                        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
                        .collect()
                }
                _ => v.note(Severity::Withdraw, bad_len("EXTENDED COMMUNITIES")),
            },
            attr::LARGE_COMMUNITIES => match val.len() {
                n if n > 0 && n % 12 == 0 => {
                    at.large_communities = val
                        .chunks_exact(12)
                        .map(|c| [u32_at(c, 0), u32_at(c, 4), u32_at(c, 8)])
                        .collect()
                }
                _ => v.note(Severity::Withdraw, bad_len("LARGE_COMMUNITY")),
            },
            // RFC 6793 §7: a malformed AS4_PATH or AS4_AGGREGATOR is discarded; from a
            // 4-octet speaker they are ignored.
            attr::AS4_PATH if !ctx.as4 => match decode_path(val, true) {
                Some(p) => as4_path = Some(p),
                None => v.note(Severity::Discard, "malformed AS4_PATH".into()),
            },
            attr::AS4_AGGREGATOR if !ctx.as4 => match val.len() {
                8 => as4_aggr = Some((u32_at(val, 0), u32_at(val, 4))),
                _ => v.note(Severity::Discard, bad_len("AS4_AGGREGATOR")),
            },
            attr::AS4_PATH | attr::AS4_AGGREGATOR => {}
            attr::MP_REACH | attr::MP_UNREACH => {
                // RFC 4760 §7 / RFC 7606 §7.11: a malformed MP attribute of a family we
                // carry (IPv4 unicast, VPNv4) resets the session; of another family it is
                // dropped, with that family's routes ("AFI/SAFI disable").
                let opt_err = || Notification::new(err::UPDATE, err::OPTIONAL_ATTR, []);
                let family = match val {
                    [a0, a1, safi, ..] => Some((u16::from_be_bytes([*a0, *a1]), *safi)),
                    _ => None,
                };
                let ours = matches!(
                    family,
                    Some((afi::IPV4, afi::UNICAST)) | Some((afi::IPV4, afi::VPN))
                );
                match decode_mp(code, val, &mut u) {
                    Ok(()) => {}
                    Err(()) if ours || family.is_none() => return Err(opt_err()),
                    Err(()) => v.note(
                        Severity::Discard,
                        format!("malformed attribute {code} of AFI/SAFI {family:?}"),
                    ),
                }
            }
            _ if flags & flag::OPTIONAL == 0 => {
                // RFC 4271 §6.3, unchanged by RFC 7606: the whole attribute (type, length,
                // value) as it came.
                let mut d = vec![flags, code];
                if flags & flag::EXTENDED != 0 {
                    d.extend_from_slice(&(val.len() as u16).to_be_bytes());
                } else {
                    d.push(val.len() as u8);
                }
                d.extend(val);
                return Err(Notification::new(
                    err::UPDATE,
                    err::UNRECOGNIZED_WELL_KNOWN,
                    d,
                ));
            }
            _ if flags & flag::TRANSITIVE != 0 => at.other.push(RawAttr {
                flags: flags | flag::PARTIAL,
                code,
                data: val.to_vec(),
            }),
            // Optional non-transitive and not understood: quietly ignored.
            _ => {}
        }
    }
    if let Some(p4) = as4_path {
        let path = std::mem::take(&mut u.attrs.as_path);
        u.attrs.as_path = merge_as4(path, p4);
    }
    if let (Some((_, _)), Some(real)) = (u.attrs.aggregator, as4_aggr) {
        // RFC 6793 §4.2.3: AS4_AGGREGATOR counts only when AGGREGATOR says AS_TRANS.
        if u.attrs.aggregator.map(|x| x.0) == Some(u32::from(AS_TRANS)) {
            u.attrs.aggregator = Some(real);
        }
    }
    let announces = !u.nlri.is_empty() || u.mp_reach.is_some();
    if announces {
        // RFC 7606 §3(d): a missing well-known mandatory attribute withdraws.
        let at = &u.attrs;
        let mut missing = Vec::new();
        if at.origin.is_none() && !seen[usize::from(attr::ORIGIN)] {
            missing.push("ORIGIN");
        }
        if !seen[usize::from(attr::AS_PATH)] {
            missing.push("AS_PATH");
        }
        if !u.nlri.is_empty() && at.next_hop.is_none() && !seen[usize::from(attr::NEXT_HOP)] {
            missing.push("NEXT_HOP");
        }
        if !missing.is_empty() {
            v.note(
                Severity::Withdraw,
                format!("missing well-known attribute {}", missing.join(", ")),
            );
        }
    }
    u.treatment = match v.worst {
        None => Treatment::None,
        Some(Severity::Discard) => Treatment::AttributeDiscard(v.why),
        Some(Severity::Withdraw) => Treatment::TreatAsWithdraw(v.why.join("; ")),
    };
    if matches!(u.treatment, Treatment::TreatAsWithdraw(_)) {
        let nlri = std::mem::take(&mut u.nlri);
        u.withdrawn.extend(nlri);
        if let Some(r) = u.mp_reach.take() {
            // Other families' routes are withdrawn by their own decoder.
            u.mp_unreach.get_or_insert(MpUnreach {
                afi: r.afi,
                safi: r.safi,
                withdrawn: r.nlri,
            });
        }
        u.attrs = Attrs::default();
    }
    Ok(u)
}

/// Where an UPDATE body's path attributes are (after [`decode_update`] accepted it).
pub fn attr_range(body: &[u8]) -> Option<std::ops::Range<usize>> {
    let wlen = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let at = 2 + wlen;
    let alen = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let r = at + 2..at + 2 + alen;
    (r.end <= body.len()).then_some(r)
}

/// Room for NLRI in an UPDATE whose attributes take `attrs` bytes.
pub fn nlri_room(attrs: usize) -> usize {
    MAX_LEN - HEADER_LEN - 4 - attrs
}

/// UPDATEs (IPv4 unicast) withdrawing `prefixes`, as few as fit.
pub fn withdraw_updates(prefixes: &[Prefix4], out: &mut Vec<Bytes>) {
    let mut i = 0;
    while i < prefixes.len() {
        let mut size = 0;
        let start = i;
        while i < prefixes.len() && size + prefix_size(prefixes[i]) <= nlri_room(0) {
            size += prefix_size(prefixes[i]);
            i += 1;
        }
        let mut b = header(msg::UPDATE, 4 + size);
        b.put_u16(size as u16);
        for p in &prefixes[start..i] {
            put_prefix(&mut b, *p);
        }
        b.put_u16(0);
        out.push(b.freeze());
    }
}

/// UPDATEs (IPv4 unicast) announcing `prefixes` with `attrs`, as few as fit.
pub fn announce_updates(attrs: &Attrs, as4: bool, prefixes: &[Prefix4], out: &mut Vec<Bytes>) {
    let mut ab = BytesMut::new();
    attrs.encode(as4, &mut ab);
    if ab.len() > nlri_room(0) - 5 {
        // Attributes too large for any UPDATE: nothing can be sent (RFC 4271 has no
        // way); the caller counts what stays unsent.
        return;
    }
    let room = nlri_room(ab.len());
    let mut i = 0;
    while i < prefixes.len() {
        let mut size = 0;
        let start = i;
        while i < prefixes.len() && size + prefix_size(prefixes[i]) <= room {
            size += prefix_size(prefixes[i]);
            i += 1;
        }
        let mut b = header(msg::UPDATE, 4 + ab.len() + size);
        b.put_u16(0);
        b.put_u16(ab.len() as u16);
        b.put_slice(&ab);
        for p in &prefixes[start..i] {
            put_prefix(&mut b, *p);
        }
        out.push(b.freeze());
    }
}

/// The End-of-RIB marker for IPv4 unicast.
pub fn end_of_rib() -> Bytes {
    let mut b = header(msg::UPDATE, 4);
    b.put_u32(0);
    b.freeze()
}

#[cfg(test)]
mod tests;
