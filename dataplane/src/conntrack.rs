//! Connection tracking, shared by every worker: the two directions of one connection may
//! arrive on different queues and so on different workers.
//!
//! A connection is known by two keys, its original tuple and its reply tuple, each with the
//! VRF it is seen in (overlapping customer prefixes never collide): a masqueraded connection
//! from `cust-a` 192.168.1.2:5000 to 8.8.8.8:53 has the reply key `main` 8.8.8.8:53 →
//! 172.16.1.2:40001. NAT is the difference between the two tuples, as in Linux: a packet in
//! the original direction leaves with the reply tuple reversed, a reply with the original
//! reversed.
//!
//! The table is split into shards, each behind its own lock, chosen by the key's hash; a
//! connection lives in the shard of its original key and is referred to from the shard of its
//! reply key. At most `max` connections; when full, new ones are refused and counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Shards (a power of two).
const SHARDS: usize = 64;

/// A direction-specific tuple, in a VRF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    /// The VRF it is seen in.
    pub vrf: u16,
    /// IP protocol.
    pub proto: u8,
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// Source port (ICMP echo: the identifier).
    pub sport: u16,
    /// Destination port (ICMP echo: the identifier too, so the reply key mirrors it).
    pub dport: u16,
}

impl FlowKey {
    /// The same flow seen from the other side, in `vrf`.
    pub fn reversed(&self, vrf: u16) -> FlowKey {
        FlowKey {
            vrf,
            proto: self.proto,
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
        }
    }

    fn shard(&self) -> usize {
        let a = (u64::from(self.src) << 32) | u64::from(self.dst);
        let b = (u64::from(self.vrf) << 40)
            | (u64::from(self.proto) << 32)
            | (u64::from(self.sport) << 16)
            | u64::from(self.dport);
        let h = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        ((h >> 40) as usize) & (SHARDS - 1)
    }
}

/// TCP's state as loose tracking follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// SYN seen.
    SynSent,
    /// SYN-ACK seen.
    SynReceived,
    /// Data both ways.
    Established,
    /// A FIN seen.
    FinWait,
    /// FIN both ways.
    TimeWait,
    /// RST seen.
    Close,
}

impl TcpState {
    /// RouterOS's name.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::SynSent => "syn-sent",
            TcpState::SynReceived => "syn-received",
            TcpState::Established => "established",
            TcpState::FinWait => "fin-wait",
            TcpState::TimeWait => "time-wait",
            TcpState::Close => "close",
        }
    }
}

/// Timeouts (RouterOS's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// SYN sent / received.
    pub tcp_syn: u64,
    /// Established TCP.
    pub tcp_established: u64,
    /// FIN, close-wait, time-wait, close.
    pub tcp_close: u64,
    /// UDP seen one way.
    pub udp: u64,
    /// UDP seen both ways.
    pub udp_stream: u64,
    /// ICMP.
    pub icmp: u64,
    /// Anything else.
    pub generic: u64,
}

const S: u64 = 1_000_000_000;

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp_syn: 5 * S,
            tcp_established: 86_400 * S,
            tcp_close: 10 * S,
            udp: 30 * S,
            udp_stream: 180 * S,
            icmp: 10 * S,
            generic: 600 * S,
        }
    }
}

/// One connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    /// The original direction's tuple.
    pub orig: FlowKey,
    /// The reply direction's tuple (NAT: not the original reversed).
    pub reply: FlowKey,
    /// Replies seen.
    pub seen_reply: bool,
    /// TCP state (TCP only).
    pub tcp: Option<TcpState>,
    /// The connection mark (0: none).
    pub mark: u16,
    /// When it expires (ns).
    pub expires: u64,
    /// Packets (original, reply).
    pub packets: [u64; 2],
    /// Bytes (original, reply).
    pub bytes: [u64; 2],
}

impl Conn {
    /// Source NAT applied (the reply goes to another address or port than the original
    /// came from).
    pub fn srcnat(&self) -> bool {
        self.reply.dst != self.orig.src || self.reply.dport != self.orig.sport
    }

    /// Destination NAT applied. For ICMP echo the "ports" are the echo identifier, which
    /// source NAT changes in both directions: only the address tells.
    pub fn dstnat(&self) -> bool {
        self.reply.src != self.orig.dst
            || (self.orig.proto != 1 && self.reply.sport != self.orig.dport)
    }

    fn timeout(&self, t: &Timeouts) -> u64 {
        match (self.orig.proto, self.tcp) {
            (6, Some(TcpState::Established)) => t.tcp_established,
            (6, Some(TcpState::SynSent | TcpState::SynReceived)) => t.tcp_syn,
            (6, _) => t.tcp_close,
            (17, _) if self.seen_reply => t.udp_stream,
            (17, _) => t.udp,
            (1, _) => t.icmp,
            _ => t.generic,
        }
    }
}

/// Which way a packet goes in its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// As the connection started.
    Original,
    /// The other way.
    Reply,
}

/// A connection's handle: its shard and slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    shard: u16,
    slot: u32,
}

/// A fast hasher for flow keys (multiply-rotate, as rustc's FxHash): the keys come from
/// the wire, but a shard's map is private to the router and SipHash's cost showed in
/// profiles; the shard choice already mixes the whole key.
#[derive(Default, Clone, Copy)]
struct FlowHasher(u64);

impl std::hash::Hasher for FlowHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown takes its control byte from the top.
        self.0 ^ (self.0 >> 29)
    }
}

type FlowMap = HashMap<FlowKey, (ConnId, Dir), std::hash::BuildHasherDefault<FlowHasher>>;

#[derive(Default)]
struct Shard {
    keys: FlowMap,
    conns: Vec<Option<Conn>>,
    free: Vec<u32>,
}

/// What a lookup found: the connection's state as the packet sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The handle.
    pub id: ConnId,
    /// The packet's direction.
    pub dir: Dir,
    /// A copy of the connection after this packet's update.
    pub conn: Conn,
}

/// The connection table.
pub struct Conntrack {
    shards: Vec<Mutex<Shard>>,
    count: AtomicUsize,
    max: AtomicUsize,
    /// New connections refused because the table was full.
    pub full: AtomicU64,
    /// Timeouts in force (ns): tcp-syn, tcp-established, tcp-close, udp, udp-stream, icmp,
    /// generic.
    timeouts: [AtomicU64; 7],
}

/// TCP flags.
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Why a connection could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The table holds its maximum.
    Full,
    /// A connection with one of these keys exists (a race with another worker, or a NAT
    /// port already taken).
    Exists,
}

impl std::fmt::Debug for Conntrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conntrack")
            .field("len", &self.len())
            .field("max", &self.max())
            .finish()
    }
}

impl Conntrack {
    /// A table of at most `max` connections.
    pub fn new(max: usize) -> Conntrack {
        let ct = Conntrack {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            count: AtomicUsize::new(0),
            max: AtomicUsize::new(max),
            full: AtomicU64::new(0),
            timeouts: std::array::from_fn(|_| AtomicU64::new(0)),
        };
        ct.set_timeouts(Timeouts::default());
        ct
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        let t = |i: usize| self.timeouts[i].load(Ordering::Relaxed);
        Timeouts {
            tcp_syn: t(0),
            tcp_established: t(1),
            tcp_close: t(2),
            udp: t(3),
            udp_stream: t(4),
            icmp: t(5),
            generic: t(6),
        }
    }

    /// Changes the timeouts (existing connections take them at their next packet).
    pub fn set_timeouts(&self, t: Timeouts) {
        for (i, v) in [
            t.tcp_syn,
            t.tcp_established,
            t.tcp_close,
            t.udp,
            t.udp_stream,
            t.icmp,
            t.generic,
        ]
        .into_iter()
        .enumerate()
        {
            self.timeouts[i].store(v, Ordering::Relaxed);
        }
    }

    /// Connections held.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Changes the maximum (existing connections stay).
    pub fn set_max(&self, max: usize) {
        self.max.store(max, Ordering::Relaxed);
    }

    /// The maximum.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }

    fn shard(&self, i: usize) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Finds the connection of `key`, updates it for a packet of `len` bytes with TCP
    /// `flags` at `now`, and returns it.
    pub fn lookup(&self, key: &FlowKey, len: u64, flags: u8, now: u64) -> Option<Seen> {
        let (id, dir) = *self.shard(key.shard()).keys.get(key)?;
        let mut sh = self.shard(usize::from(id.shard));
        let conn = sh.conns.get_mut(id.slot as usize)?.as_mut()?;
        let d = if dir == Dir::Original { 0 } else { 1 };
        conn.packets[d] += 1;
        conn.bytes[d] += len;
        if dir == Dir::Reply {
            conn.seen_reply = true;
        }
        if let Some(st) = conn.tcp {
            conn.tcp = Some(next_tcp(st, dir, flags));
        }
        conn.expires = now + conn.timeout(&self.timeouts());
        Some(Seen {
            id,
            dir,
            conn: conn.clone(),
        })
    }

    /// Adds a connection (its first packet passed the firewall), keyed both ways.
    pub fn add(&self, mut conn: Conn, now: u64) -> Result<ConnId, AddError> {
        if self.count.load(Ordering::Relaxed) >= self.max.load(Ordering::Relaxed) {
            self.full.fetch_add(1, Ordering::Relaxed);
            return Err(AddError::Full);
        }
        conn.expires = now + conn.timeout(&self.timeouts());
        let (so, sr) = (conn.orig.shard(), conn.reply.shard());
        // Both shards locked in index order: no two workers can deadlock.
        let (first, second) = if so <= sr { (so, sr) } else { (sr, so) };
        let mut a = self.shard(first);
        let mut b = if second != first {
            Some(self.shard(second))
        } else {
            None
        };
        {
            let (ho, hr): (&Shard, &Shard) = match &b {
                None => (&a, &a),
                Some(bb) if so == first => (&a, bb),
                Some(bb) => (bb, &a),
            };
            if ho.keys.contains_key(&conn.orig) || hr.keys.contains_key(&conn.reply) {
                return Err(AddError::Exists);
            }
        }
        let (home, other): (&mut Shard, Option<&mut Shard>) = match &mut b {
            None => (&mut a, None),
            Some(bb) if so == first => (&mut a, Some(&mut **bb)),
            Some(bb) => (&mut **bb, Some(&mut a)),
        };
        let slot = match home.free.pop() {
            Some(s) => s,
            None => {
                home.conns.push(None);
                (home.conns.len() - 1) as u32
            }
        };
        let id = ConnId {
            shard: so as u16,
            slot,
        };
        let (ko, kr) = (conn.orig, conn.reply);
        home.conns[slot as usize] = Some(conn);
        home.keys.insert(ko, (id, Dir::Original));
        match other {
            Some(o) => o.keys.insert(kr, (id, Dir::Reply)),
            None => home.keys.insert(kr, (id, Dir::Reply)),
        };
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(id)
    }

    /// Whether a key is in use.
    pub fn contains(&self, key: &FlowKey) -> bool {
        self.shard(key.shard()).keys.contains_key(key)
    }

    /// The connection `key` is a direction of, and which, without counting a packet (an
    /// ICMP error about one of its packets).
    pub fn find(&self, key: &FlowKey) -> Option<(Conn, Dir)> {
        let (id, dir) = *self.shard(key.shard()).keys.get(key)?;
        let sh = self.shard(usize::from(id.shard));
        let conn = sh.conns.get(id.slot as usize)?.as_ref()?;
        Some((conn.clone(), dir))
    }

    /// Sets a connection's mark.
    pub fn set_mark(&self, id: ConnId, mark: u16) {
        let mut sh = self.shard(usize::from(id.shard));
        if let Some(Some(c)) = sh.conns.get_mut(id.slot as usize) {
            c.mark = mark;
        }
    }

    /// Removes connections that expired by `now`; returns how many.
    pub fn expire(&self, now: u64) -> usize {
        let mut gone = Vec::new();
        for i in 0..SHARDS {
            let mut sh = self.shard(i);
            let Shard { conns, free, keys } = &mut *sh;
            for (slot, c) in conns.iter_mut().enumerate() {
                if c.as_ref().is_some_and(|c| c.expires <= now) {
                    if let Some(c) = c.take() {
                        keys.remove(&c.orig);
                        free.push(slot as u32);
                        gone.push(c.reply);
                    }
                }
            }
        }
        for k in &gone {
            self.shard(k.shard()).keys.remove(k);
        }
        self.count.fetch_sub(gone.len(), Ordering::Relaxed);
        gone.len()
    }

    /// Removes every connection.
    pub fn flush(&self) {
        for i in 0..SHARDS {
            let mut sh = self.shard(i);
            let n = sh.conns.iter().filter(|c| c.is_some()).count();
            *sh = Shard::default();
            self.count.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// A copy of every connection (for `print`).
    pub fn snapshot(&self) -> Vec<Conn> {
        let mut out = Vec::new();
        for i in 0..SHARDS {
            let sh = self.shard(i);
            out.extend(sh.conns.iter().flatten().cloned());
        }
        out
    }
}

/// Loose TCP tracking: the state after a packet with `flags` in direction `dir`.
fn next_tcp(st: TcpState, dir: Dir, flags: u8) -> TcpState {
    use tcp_flags::*;
    if flags & RST != 0 {
        return TcpState::Close;
    }
    match st {
        _ if flags & FIN != 0 => match st {
            TcpState::FinWait => TcpState::TimeWait,
            TcpState::TimeWait | TcpState::Close => st,
            _ => TcpState::FinWait,
        },
        TcpState::SynSent if dir == Dir::Reply && flags & SYN != 0 => TcpState::SynReceived,
        TcpState::SynSent | TcpState::SynReceived
            if flags & ACK != 0
                && flags & SYN == 0
                && (dir == Dir::Original || st == TcpState::SynReceived) =>
        {
            if st == TcpState::SynReceived {
                TcpState::Established
            } else {
                st
            }
        }
        _ => st,
    }
}

/// The first TCP state of a connection whose first packet had `flags`; `None`: not a valid
/// start (without loose tracking only a SYN starts one).
pub fn first_tcp(flags: u8, loose: bool) -> Option<TcpState> {
    use tcp_flags::*;
    if flags & RST != 0 {
        return None;
    }
    if flags & SYN != 0 && flags & ACK == 0 {
        return Some(TcpState::SynSent);
    }
    // Loose tracking takes up a connection in the middle (after a restart, say).
    (loose && flags & SYN == 0).then_some(TcpState::Established)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(vrf: u16, src: u32, sport: u16) -> FlowKey {
        FlowKey {
            vrf,
            proto: 17,
            src,
            dst: 0x0808_0808,
            sport,
            dport: 53,
        }
    }

    fn conn(orig: FlowKey, reply: FlowKey) -> Conn {
        Conn {
            orig,
            reply,
            seen_reply: false,
            tcp: None,
            mark: 0,
            expires: 0,
            packets: [0; 2],
            bytes: [0; 2],
        }
    }

    #[test]
    fn overlapping_vrfs_never_collide_and_nat_shows_in_the_tuples() {
        let ct = Conntrack::new(100);
        let a = key(1, 0xc0a8_0102, 5000);
        let b = key(2, 0xc0a8_0102, 5000);
        let ra = FlowKey {
            vrf: 0,
            proto: 17,
            src: 0x0808_0808,
            dst: 0xac10_0102,
            sport: 53,
            dport: 40001,
        };
        let rb = FlowKey { dport: 40002, ..ra };
        ct.add(conn(a, ra), 0).unwrap();
        ct.add(conn(b, rb), 0).unwrap();
        assert_eq!(ct.len(), 2);
        let s = ct.lookup(&ra, 60, 0, 1).unwrap();
        assert_eq!((s.dir, s.conn.orig), (Dir::Reply, a));
        assert!(s.conn.srcnat() && !s.conn.dstnat());
        assert_eq!(ct.lookup(&rb, 60, 0, 1).unwrap().conn.orig, b);
        assert_eq!(
            ct.add(conn(key(3, 1, 1), ra), 0),
            Err(AddError::Exists),
            "a reply key in use is refused"
        );
    }

    #[test]
    fn full_table_timeouts_and_no_leak() {
        let ct = Conntrack::new(10);
        for i in 0..10 {
            let k = key(0, i, 1000);
            ct.add(conn(k, k.reversed(0)), 0).unwrap();
        }
        let k = key(0, 99, 1000);
        assert_eq!(ct.add(conn(k, k.reversed(0)), 0), Err(AddError::Full));
        assert_eq!(ct.full.load(Ordering::Relaxed), 1);
        // UDP one way: 30 s.
        assert_eq!(ct.expire(29 * S), 0);
        ct.lookup(&key(0, 3, 1000).reversed(0), 60, 0, 29 * S)
            .unwrap();
        assert_eq!(
            ct.expire(31 * S),
            9,
            "the one that saw a reply lives on (udp-stream)"
        );
        assert_eq!(ct.len(), 1);
        assert_eq!(ct.expire(29 * S + 181 * S), 1);
        assert!(ct.is_empty());
        for sh in &ct.shards {
            assert!(sh.lock().unwrap().keys.is_empty(), "no key left behind");
        }
    }

    #[test]
    fn loose_tcp_states() {
        use tcp_flags::*;
        assert_eq!(first_tcp(SYN, false), Some(TcpState::SynSent));
        assert_eq!(first_tcp(ACK, false), None);
        assert_eq!(first_tcp(ACK, true), Some(TcpState::Established));
        assert_eq!(first_tcp(RST, true), None);
        assert_eq!(first_tcp(SYN | FIN | RST | ACK, true), None);
        let s = next_tcp(TcpState::SynSent, Dir::Reply, SYN | ACK);
        assert_eq!(s, TcpState::SynReceived);
        let s = next_tcp(s, Dir::Original, ACK);
        assert_eq!(s, TcpState::Established);
        let s = next_tcp(s, Dir::Original, FIN | ACK);
        assert_eq!(s, TcpState::FinWait);
        assert_eq!(next_tcp(s, Dir::Reply, FIN | ACK), TcpState::TimeWait);
        assert_eq!(
            next_tcp(TcpState::Established, Dir::Reply, RST),
            TcpState::Close
        );
    }

    #[test]
    fn both_directions_from_several_threads() {
        let ct = std::sync::Arc::new(Conntrack::new(1_000_000));
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let ct = ct.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000u32 {
                        let k = key((t % 2) as u16, i, t as u16);
                        ct.add(conn(k, k.reversed(0)), 0).unwrap();
                    }
                    // Another thread's connections, seen from the reply side.
                    let o = (t + 1) % 4;
                    for i in 0..5_000u32 {
                        let k = key((o % 2) as u16, i, o as u16);
                        while ct.lookup(&k.reversed(0), 1, 0, 1).is_none() {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ct.len(), 20_000);
        assert!(ct.snapshot().iter().all(|c| c.seen_reply));
    }
}
