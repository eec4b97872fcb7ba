//! OPEN (RFC 4271 §4.2) and its capabilities (RFC 5492, 4760, 2918, 6793, 4724): what a
//! session negotiates.

use super::*;

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
