//! OSPFv2 packets and LSAs (RFC 2328 appendix A): the common header with its checksum and
//! authentication (none, simple, MD5 as appendix D says), Hello, Database Description, LS
//! Request, LS Update, LS Acknowledgment; LSA headers, router, network, summary (types 3
//! and 4), AS-external (5) and NSSA (7, RFC 3101) bodies, and the Fletcher checksum of
//! §12.1.7. An LSA keeps its bytes, so it floods unchanged (but its age).

use shared::types::Prefix4;

/// IP protocol number.
pub const PROTOCOL: u8 = 89;
/// AllSPFRouters.
pub const ALL_SPF_ROUTERS: u32 = 0xe000_0005;
/// AllDRouters.
pub const ALL_D_ROUTERS: u32 = 0xe000_0006;
/// Common header length.
pub const HEADER_LEN: usize = 24;
/// LSA header length.
pub const LSA_HEADER_LEN: usize = 20;
/// Length of an MD5 digest after the packet.
pub const MD5_LEN: usize = 16;
/// An LSA's age when it is being flushed (s).
pub const MAX_AGE: u16 = 3600;
/// The initial sequence number (RFC 2328 §12.1.6).
pub const INITIAL_SEQ: i32 = i32::MIN + 1;
/// The largest sequence number.
pub const MAX_SEQ: i32 = i32::MAX;

/// Packet types.
pub mod kind {
    /// Hello.
    pub const HELLO: u8 = 1;
    /// Database Description.
    pub const DD: u8 = 2;
    /// Link State Request.
    pub const LSR: u8 = 3;
    /// Link State Update.
    pub const LSU: u8 = 4;
    /// Link State Acknowledgment.
    pub const ACK: u8 = 5;
}

/// LSA types.
pub mod lsa_type {
    /// Router-LSA.
    pub const ROUTER: u8 = 1;
    /// Network-LSA.
    pub const NETWORK: u8 = 2;
    /// Summary-LSA (IP network).
    pub const SUMMARY: u8 = 3;
    /// Summary-LSA (ASBR).
    pub const ASBR_SUMMARY: u8 = 4;
    /// AS-external-LSA.
    pub const EXTERNAL: u8 = 5;
    /// NSSA-LSA (RFC 3101).
    pub const NSSA: u8 = 7;
}

/// Options bits.
pub mod options {
    /// External routing capability (not a stub area).
    pub const E: u8 = 0x02;
    /// NSSA (type-7) capability (the N/P bit).
    pub const NP: u8 = 0x08;
    /// Demand circuits.
    pub const DC: u8 = 0x20;
    /// Opaque LSAs.
    pub const O: u8 = 0x40;
}

/// Router-link types.
pub mod link_type {
    /// Point-to-point to another router.
    pub const PTP: u8 = 1;
    /// To a transit network.
    pub const TRANSIT: u8 = 2;
    /// To a stub network.
    pub const STUB: u8 = 3;
    /// Virtual link.
    pub const VIRTUAL: u8 = 4;
}

/// Why a packet or an LSA was refused (each counted by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Shorter than its headers or its length field.
    Truncated,
    /// Not version 2.
    BadVersion,
    /// A length field that does not fit.
    BadLength,
    /// The header checksum is wrong.
    BadChecksum,
    /// An unknown packet type.
    UnknownType,
    /// An authentication type we do not serve, or the wrong key or password.
    BadAuth,
    /// An LSA whose Fletcher checksum is wrong.
    BadLsaChecksum,
}

impl Error {
    /// The counter's name.
    pub fn name(self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::BadVersion => "bad-version",
            Error::BadLength => "bad-length",
            Error::BadChecksum => "bad-checksum",
            Error::UnknownType => "unknown-type",
            Error::BadAuth => "bad-auth",
            Error::BadLsaChecksum => "bad-lsa-checksum",
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for Error {}

/// Authentication of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Null (type 0).
    None,
    /// Simple password (type 1), 8 bytes.
    Simple([u8; 8]),
    /// Cryptographic (type 2): key id and sequence number; the MD5 digest follows the packet.
    Md5 {
        /// Key id.
        key_id: u8,
        /// Non-decreasing sequence number.
        seq: u32,
    },
}

/// The common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Packet type.
    pub kind: u8,
    /// The sender's router id.
    pub router_id: u32,
    /// The area.
    pub area: u32,
    /// Authentication.
    pub auth: Auth,
}

/// Hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The sender's network mask.
    pub mask: u32,
    /// HelloInterval (s).
    pub hello_interval: u16,
    /// Options.
    pub options: u8,
    /// Router priority.
    pub priority: u8,
    /// RouterDeadInterval (s).
    pub dead_interval: u32,
    /// The DR (interface address, 0: none).
    pub dr: u32,
    /// The BDR.
    pub bdr: u32,
    /// Router ids heard on the network.
    pub neighbors: Vec<u32>,
}

/// Database Description flags.
pub mod dd_flags {
    /// Init.
    pub const I: u8 = 4;
    /// More.
    pub const M: u8 = 2;
    /// Master/Slave.
    pub const MS: u8 = 1;
}

/// Database Description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dd {
    /// The sender's interface MTU.
    pub mtu: u16,
    /// Options.
    pub options: u8,
    /// I, M, MS.
    pub flags: u8,
    /// DD sequence number.
    pub seq: u32,
    /// LSA headers.
    pub headers: Vec<LsaHeader>,
}

/// An LSA's identity: type, link state id, advertising router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LsaKey {
    /// LS type.
    pub kind: u8,
    /// Link State ID.
    pub id: u32,
    /// Advertising router.
    pub adv: u32,
}

/// An LSA header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LsaHeader {
    /// LS age (s).
    pub age: u16,
    /// Options.
    pub options: u8,
    /// Type, id, advertising router.
    pub key: LsaKey,
    /// LS sequence number.
    pub seq: i32,
    /// Fletcher checksum.
    pub checksum: u16,
    /// Length, header included.
    pub length: u16,
}

/// One link of a router-LSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterLink {
    /// Link ID.
    pub id: u32,
    /// Link Data.
    pub data: u32,
    /// Type (`link_type`).
    pub kind: u8,
    /// TOS 0 metric.
    pub metric: u16,
}

/// An LSA body, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LsaBody {
    /// Router-LSA: V, E, B bits and links.
    Router {
        /// Flags (V 4, E 2, B 1).
        flags: u8,
        /// Links.
        links: Vec<RouterLink>,
    },
    /// Network-LSA.
    Network {
        /// The network's mask.
        mask: u32,
        /// Attached routers.
        routers: Vec<u32>,
    },
    /// Summary-LSA (type 3 network or type 4 ASBR).
    Summary {
        /// Mask (0 for type 4).
        mask: u32,
        /// TOS 0 metric.
        metric: u32,
    },
    /// AS-external or NSSA LSA.
    External {
        /// Mask.
        mask: u32,
        /// E bit: type 2 metric.
        type2: bool,
        /// Metric.
        metric: u32,
        /// Forwarding address (0: the advertising router).
        forward: u32,
        /// External route tag.
        tag: u32,
    },
    /// A type we keep and flood but do not read.
    Other,
}

/// An LSA: its header, its decoded body and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lsa {
    /// The header (age as received).
    pub header: LsaHeader,
    /// The body.
    pub body: LsaBody,
    /// The whole LSA as received or made (the age in the bytes is kept in step).
    pub bytes: Vec<u8>,
}

/// A packet's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Hello.
    Hello(Hello),
    /// Database Description.
    Dd(Dd),
    /// LS Request.
    Lsr(Vec<LsaKey>),
    /// LS Update.
    Lsu(Vec<Lsa>),
    /// LS Acknowledgment.
    Ack(Vec<LsaHeader>),
}

impl Body {
    /// The packet type that carries it.
    pub fn kind(&self) -> u8 {
        match self {
            Body::Hello(_) => kind::HELLO,
            Body::Dd(_) => kind::DD,
            Body::Lsr(_) => kind::LSR,
            Body::Lsu(_) => kind::LSU,
            Body::Ack(_) => kind::ACK,
        }
    }
}

/// A packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The common header.
    pub header: Header,
    /// The body.
    pub body: Body,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be24(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([0, b[at], b[at + 1], b[at + 2]])
}

/// The Internet checksum of `data` (the header's, over the packet without its
/// authentication field).
fn inet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Fletcher checksum (ISO 8473 annex C) of an LSA, over everything but its age, with
/// the checksum field taken as zero (RFC 2328 §12.1.7).
pub fn lsa_checksum(lsa: &[u8]) -> u16 {
    if lsa.len() < LSA_HEADER_LEN {
        return 0;
    }
    let data = &lsa[2..];
    let at = 14; // the checksum field, counted from byte 2
    let (mut c0, mut c1) = (0i64, 0i64);
    for (i, &b) in data.iter().enumerate() {
        let b = if i == at || i == at + 1 { 0 } else { b };
        c0 = (c0 + i64::from(b)) % 255;
        c1 = (c1 + c0) % 255;
    }
    let mut x = ((data.len() - at - 1) as i64 * c0 - c1) % 255;
    if x <= 0 {
        x += 255;
    }
    let mut y = 510 - c0 - x;
    if y > 255 {
        y -= 255;
    }
    ((x as u16) << 8) | (y as u16 & 0xff)
}

/// Whether an LSA's bytes carry a right checksum.
pub fn lsa_checksum_ok(lsa: &[u8]) -> bool {
    lsa.len() >= LSA_HEADER_LEN && lsa_checksum(lsa) == be16(lsa, 16)
}

impl LsaHeader {
    fn decode(b: &[u8]) -> LsaHeader {
        LsaHeader {
            age: be16(b, 0),
            options: b[2],
            key: LsaKey {
                kind: b[3],
                id: be32(b, 4),
                adv: be32(b, 8),
            },
            seq: be32(b, 12) as i32,
            checksum: be16(b, 16),
            length: be16(b, 18),
        }
    }

    /// The header as bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.age.to_be_bytes());
        out.push(self.options);
        out.push(self.key.kind);
        out.extend_from_slice(&self.key.id.to_be_bytes());
        out.extend_from_slice(&self.key.adv.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.checksum.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}

impl LsaBody {
    fn decode(kind: u8, b: &[u8]) -> Result<LsaBody, Error> {
        let need = |n: usize| {
            if b.len() < n {
                Err(Error::Truncated)
            } else {
                Ok(())
            }
        };
        Ok(match kind {
            lsa_type::ROUTER => {
                need(4)?;
                let n = usize::from(be16(b, 2));
                let mut links = Vec::with_capacity(n.min(1024));
                let mut at = 4;
                for _ in 0..n {
                    need(at + 12)?;
                    let tos = usize::from(b[at + 9]);
                    links.push(RouterLink {
                        id: be32(b, at),
                        data: be32(b, at + 4),
                        kind: b[at + 8],
                        metric: be16(b, at + 10),
                    });
                    at += 12 + 4 * tos;
                }
                need(at)?;
                LsaBody::Router {
                    flags: b[0] & 7,
                    links,
                }
            }
            lsa_type::NETWORK => {
                need(4)?;
                LsaBody::Network {
                    mask: be32(b, 0),
                    routers: b[4..].chunks_exact(4).map(|c| be32(c, 0)).collect(),
                }
            }
            lsa_type::SUMMARY | lsa_type::ASBR_SUMMARY => {
                need(8)?;
                LsaBody::Summary {
                    mask: be32(b, 0),
                    metric: be24(b, 5),
                }
            }
            lsa_type::EXTERNAL | lsa_type::NSSA => {
                need(16)?;
                LsaBody::External {
                    mask: be32(b, 0),
                    type2: b[4] & 0x80 != 0,
                    metric: be24(b, 5),
                    forward: be32(b, 8),
                    tag: be32(b, 12),
                }
            }
            _ => LsaBody::Other,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            LsaBody::Router { flags, links } => {
                out.extend_from_slice(&[*flags, 0]);
                out.extend_from_slice(&(links.len() as u16).to_be_bytes());
                for l in links {
                    out.extend_from_slice(&l.id.to_be_bytes());
                    out.extend_from_slice(&l.data.to_be_bytes());
                    out.extend_from_slice(&[l.kind, 0]);
                    out.extend_from_slice(&l.metric.to_be_bytes());
                }
            }
            LsaBody::Network { mask, routers } => {
                out.extend_from_slice(&mask.to_be_bytes());
                for r in routers {
                    out.extend_from_slice(&r.to_be_bytes());
                }
            }
            LsaBody::Summary { mask, metric } => {
                out.extend_from_slice(&mask.to_be_bytes());
                out.extend_from_slice(&(metric & 0x00ff_ffff).to_be_bytes());
            }
            LsaBody::External {
                mask,
                type2,
                metric,
                forward,
                tag,
            } => {
                out.extend_from_slice(&mask.to_be_bytes());
                let m = (metric & 0x00ff_ffff) | if *type2 { 0x8000_0000 } else { 0 };
                out.extend_from_slice(&m.to_be_bytes());
                out.extend_from_slice(&forward.to_be_bytes());
                out.extend_from_slice(&tag.to_be_bytes());
            }
            LsaBody::Other => {}
        }
    }
}

impl Lsa {
    /// Decodes one LSA at the start of `b`; returns it and its length.
    pub fn decode(b: &[u8]) -> Result<(Lsa, usize), Error> {
        if b.len() < LSA_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header = LsaHeader::decode(b);
        let len = usize::from(header.length);
        if len < LSA_HEADER_LEN {
            return Err(Error::BadLength);
        }
        if b.len() < len {
            return Err(Error::Truncated);
        }
        let bytes = &b[..len];
        if !lsa_checksum_ok(bytes) {
            return Err(Error::BadLsaChecksum);
        }
        let body = LsaBody::decode(header.key.kind, &bytes[LSA_HEADER_LEN..])?;
        Ok((
            Lsa {
                header,
                body,
                bytes: bytes.to_vec(),
            },
            len,
        ))
    }

    /// A new LSA of ours: its bytes made, its length and checksum filled in.
    pub fn new(age: u16, options: u8, key: LsaKey, seq: i32, body: LsaBody) -> Lsa {
        let mut header = LsaHeader {
            age,
            options,
            key,
            seq,
            checksum: 0,
            length: 0,
        };
        let mut bytes = Vec::with_capacity(64);
        header.encode(&mut bytes);
        body.encode(&mut bytes);
        header.length = bytes.len() as u16;
        bytes[18..20].copy_from_slice(&header.length.to_be_bytes());
        header.checksum = lsa_checksum(&bytes);
        bytes[16..18].copy_from_slice(&header.checksum.to_be_bytes());
        Lsa {
            header,
            body,
            bytes,
        }
    }

    /// Sets the age (in the header and the bytes; the checksum does not cover it).
    pub fn set_age(&mut self, age: u16) {
        self.header.age = age;
        self.bytes[0..2].copy_from_slice(&age.to_be_bytes());
    }
}

/// The length of a packet's body and the packet's own length, checked against `buf`.
fn header_checked(buf: &[u8]) -> Result<(Header, usize), Error> {
    if buf.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    if buf[0] != 2 {
        return Err(Error::BadVersion);
    }
    let len = usize::from(be16(buf, 2));
    if len < HEADER_LEN {
        return Err(Error::BadLength);
    }
    if buf.len() < len {
        return Err(Error::Truncated);
    }
    let autype = be16(buf, 14);
    let auth = match autype {
        0 => Auth::None,
        1 => {
            let mut p = [0u8; 8];
            p.copy_from_slice(&buf[16..24]);
            Auth::Simple(p)
        }
        2 => Auth::Md5 {
            key_id: buf[18],
            seq: be32(buf, 20),
        },
        _ => return Err(Error::BadAuth),
    };
    if let Auth::Md5 { .. } = auth {
        if buf[19] as usize != MD5_LEN || buf.len() < len + MD5_LEN {
            return Err(Error::BadAuth);
        }
    } else {
        let mut copy = buf[..len].to_vec();
        copy[16..24].fill(0);
        copy[12..14].fill(0);
        if inet_checksum(&copy) != be16(buf, 12) {
            return Err(Error::BadChecksum);
        }
    }
    Ok((
        Header {
            kind: buf[1],
            router_id: be32(buf, 4),
            area: be32(buf, 8),
            auth,
        },
        len,
    ))
}

/// Decodes a packet (its checksum checked; an MD5 digest is checked by [`md5_ok`]).
pub fn decode(buf: &[u8]) -> Result<Packet, Error> {
    let (header, len) = header_checked(buf)?;
    let b = &buf[HEADER_LEN..len];
    let need = |n: usize| {
        if b.len() < n {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    };
    let headers = |b: &[u8]| -> Vec<LsaHeader> {
        b.chunks_exact(LSA_HEADER_LEN)
            .map(LsaHeader::decode)
            .collect()
    };
    let body = match header.kind {
        kind::HELLO => {
            need(20)?;
            Body::Hello(Hello {
                mask: be32(b, 0),
                hello_interval: be16(b, 4),
                options: b[6],
                priority: b[7],
                dead_interval: be32(b, 8),
                dr: be32(b, 12),
                bdr: be32(b, 16),
                neighbors: b[20..].chunks_exact(4).map(|c| be32(c, 0)).collect(),
            })
        }
        kind::DD => {
            need(8)?;
            Body::Dd(Dd {
                mtu: be16(b, 0),
                options: b[2],
                flags: b[3] & 7,
                seq: be32(b, 4),
                headers: headers(&b[8..]),
            })
        }
        kind::LSR => Body::Lsr(
            b.chunks_exact(12)
                .map(|c| LsaKey {
                    kind: c[3],
                    id: be32(c, 4),
                    adv: be32(c, 8),
                })
                .collect(),
        ),
        kind::LSU => {
            need(4)?;
            let n = be32(b, 0) as usize;
            let mut lsas = Vec::with_capacity(n.min(256));
            let mut at = 4;
            for _ in 0..n {
                let (lsa, l) = Lsa::decode(&b[at..])?;
                lsas.push(lsa);
                at += l;
            }
            Body::Lsu(lsas)
        }
        kind::ACK => Body::Ack(headers(b)),
        _ => return Err(Error::UnknownType),
    };
    Ok(Packet { header, body })
}

/// Whether a packet with MD5 authentication carries the digest of `key` (RFC 2328 D.4.3:
/// the packet, then the key padded to 16 bytes).
pub fn md5_ok(buf: &[u8], key: &[u8]) -> bool {
    let Ok((_, len)) = header_checked(buf) else {
        return false;
    };
    if buf.len() < len + MD5_LEN {
        return false;
    }
    md5_digest(&buf[..len], key)[..] == buf[len..len + MD5_LEN]
}

fn md5_digest(packet: &[u8], key: &[u8]) -> [u8; MD5_LEN] {
    use md5::Digest;
    let mut k = [0u8; MD5_LEN];
    let n = key.len().min(MD5_LEN);
    k[..n].copy_from_slice(&key[..n]);
    let mut h = md5::Md5::new();
    h.update(packet);
    h.update(k);
    h.finalize().into()
}

impl Packet {
    /// The packet as bytes: the checksum filled in, or the MD5 digest of `key` appended.
    pub fn encode(&self, key: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&[2, self.header.kind, 0, 0]);
        out.extend_from_slice(&self.header.router_id.to_be_bytes());
        out.extend_from_slice(&self.header.area.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        match self.header.auth {
            Auth::None => out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Auth::Simple(p) => {
                out.extend_from_slice(&[0, 1]);
                out.extend_from_slice(&p);
            }
            Auth::Md5 { key_id, seq } => {
                out.extend_from_slice(&[0, 2, 0, 0, key_id, MD5_LEN as u8]);
                out.extend_from_slice(&seq.to_be_bytes());
            }
        }
        self.encode_body(&mut out);
        let len = out.len() as u16;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        match self.header.auth {
            Auth::Md5 { .. } => {
                let d = md5_digest(&out, key);
                out.extend_from_slice(&d);
            }
            _ => {
                let mut copy = out.clone();
                copy[16..24].fill(0);
                let c = inet_checksum(&copy);
                out[12..14].copy_from_slice(&c.to_be_bytes());
            }
        }
        out
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match &self.body {
            Body::Hello(h) => {
                out.extend_from_slice(&h.mask.to_be_bytes());
                out.extend_from_slice(&h.hello_interval.to_be_bytes());
                out.extend_from_slice(&[h.options, h.priority]);
                out.extend_from_slice(&h.dead_interval.to_be_bytes());
                out.extend_from_slice(&h.dr.to_be_bytes());
                out.extend_from_slice(&h.bdr.to_be_bytes());
                for n in &h.neighbors {
                    out.extend_from_slice(&n.to_be_bytes());
                }
            }
            Body::Dd(d) => {
                out.extend_from_slice(&d.mtu.to_be_bytes());
                out.extend_from_slice(&[d.options, d.flags]);
                out.extend_from_slice(&d.seq.to_be_bytes());
                for h in &d.headers {
                    h.encode(out);
                }
            }
            Body::Lsr(keys) => {
                for k in keys {
                    out.extend_from_slice(&u32::from(k.kind).to_be_bytes());
                    out.extend_from_slice(&k.id.to_be_bytes());
                    out.extend_from_slice(&k.adv.to_be_bytes());
                }
            }
            Body::Lsu(lsas) => {
                out.extend_from_slice(&(lsas.len() as u32).to_be_bytes());
                for l in lsas {
                    out.extend_from_slice(&l.bytes);
                }
            }
            Body::Ack(headers) => {
                for h in headers {
                    h.encode(out);
                }
            }
        }
    }
}

/// The prefix of a network given by address and mask (`None` for a non-contiguous mask).
pub fn prefix_of(addr: u32, mask: u32) -> Option<Prefix4> {
    let len = mask.leading_ones() as u8;
    if mask.count_ones() != u32::from(len) {
        return None;
    }
    Prefix4::new(addr & mask, len).ok()
}

/// The mask of a prefix length.
pub fn mask_of(len: u8) -> u32 {
    shared::types::mask(len)
}

#[cfg(test)]
mod tests;
