//! UPDATE (RFC 4271 §4.3): path attributes, NLRI and the MP_REACH/MP_UNREACH of RFC 4760,
//! decoded with RFC 7606's error handling, and the UPDATEs the router sends.

use super::*;

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
