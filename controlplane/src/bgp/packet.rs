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

mod open;
mod update;
pub use open::*;
pub use update::*;

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

#[cfg(test)]
mod tests;
