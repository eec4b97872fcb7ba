//! One LDP instance (one per VRF): link Hellos on its interfaces (UDP 646, 224.0.0.2), the
//! sessions (TCP 646, the higher transport address connecting), the label information base
//! fed by the RIB's IGP routes (connected, static, OSPF; never BGP), and the label state
//! sent to the RIB thread (the LFIB's bindings and the labels pushed towards next hops).
//! Its sockets live in its VRF's namespace.

use super::config::InstanceConfig;
use super::discovery::{Discovery, Heard, Hello};
use super::labels::{Lib, Out, Pool, Route};
use super::packet::{self, make, msg, status, Fec, Message};
use super::session::{self, Ends, ToInstance};
use crate::rib::builder::LabelWant;
use crate::rib::Source;
use crate::system::netns::Netns;
use crate::system::rib_service::{Filter, LabelBatch, RibHandle, RouteEvent};
use shared::types::Prefix4;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// LDP's link Hellos go to all routers on the subnet.
const ALL_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 2);
/// How often an active side retries a session that failed.
const RETRY: Duration = Duration::from_secs(5);

/// A neighbour as prints show it.
#[derive(Debug, Clone, Default)]
pub struct NeighborView {
    /// Its transport address.
    pub transport: u32,
    /// Ours.
    pub local_transport: u32,
    /// Its LSR id.
    pub peer: u32,
    /// The addresses it advertised.
    pub addresses: Vec<u32>,
    /// The session is Operational.
    pub operational: bool,
    /// We wait for it to connect (its transport address is the higher).
    pub passive: bool,
    /// Why the last session ended.
    pub last_error: String,
}

/// What the console reads of an instance.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The VRF.
    pub vrf: String,
    /// Neighbours (a discovered adjacency or a session).
    pub neighbors: Vec<NeighborView>,
    /// Local bindings: prefix, label, the peers it was advertised to.
    pub local: Vec<(Prefix4, u32, Vec<u32>)>,
    /// Remote bindings: prefix, peer, label, and the next hop when it is in use.
    pub remote: Vec<(Prefix4, u32, u32, Option<u32>)>,
    /// Local labels switched: label, prefix, (next hop, out label) when it goes somewhere.
    pub forwarding: Vec<super::labels::Switched>,
    /// Hellos ignored, by reason.
    pub ignored: BTreeMap<&'static str, u64>,
}

/// A session, from the instance's side.
struct Peer {
    gen: u64,
    tx: Option<mpsc::UnboundedSender<Vec<Message>>>,
    task: tokio::task::JoinHandle<()>,
}

enum Internal {
    Connected(u32, std::io::Result<TcpStream>),
}

struct Instance {
    cfg: InstanceConfig,
    netns: Option<String>,
    rib: RibHandle,
    disc: Discovery,
    lib: Lib,
    peers: BTreeMap<u32, Peer>,
    /// Peers' advertised addresses (for the view; the LIB keeps its own).
    addrs: BTreeMap<u32, Vec<u32>>,
    /// When a failed or ended session may be tried again.
    retry_at: BTreeMap<u32, tokio::time::Instant>,
    connecting: BTreeMap<u32, tokio::task::JoinHandle<()>>,
    last_error: BTreeMap<u32, String>,
    next_gen: u64,
    next_msg: u32,
    to_me: mpsc::UnboundedSender<ToInstance>,
    internal: mpsc::UnboundedSender<Internal>,
    batch: LabelBatch,
    view: Arc<Mutex<View>>,
    ignored: BTreeMap<&'static str, u64>,
    /// The counts last logged, and when.
    logged: (BTreeMap<&'static str, u64>, Option<tokio::time::Instant>),
}

use crate::lock;

/// Runs an instance until `stop` fires (or its sender is dropped); then its sessions end
/// and its label state is taken back from the RIB.
pub async fn run(
    cfg: InstanceConfig,
    netns: Option<String>,
    rib: RibHandle,
    pool: Pool,
    view: Arc<Mutex<View>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let (to_me, mut from_sessions) = mpsc::unbounded_channel();
    let (internal, mut internal_rx) = mpsc::unbounded_channel();
    let owner = cfg.id;
    let mut inst = Instance {
        disc: Discovery::new(cfg.lsr_id, cfg.interfaces.first().map_or(15, |i| i.hold)),
        lib: Lib::with_pool(pool, cfg.explicit_null),
        netns,
        rib: rib.clone(),
        peers: BTreeMap::new(),
        addrs: BTreeMap::new(),
        retry_at: BTreeMap::new(),
        connecting: BTreeMap::new(),
        last_error: BTreeMap::new(),
        next_gen: 1,
        next_msg: 1,
        to_me,
        internal,
        batch: LabelBatch {
            owner,
            purge: true,
            lfib: Vec::new(),
            ftn: Vec::new(),
        },
        view,
        ignored: BTreeMap::new(),
        logged: (BTreeMap::new(), None),
        cfg,
    };
    let Some((udp, tcp)) = inst.open_sockets(&mut stop).await else {
        return;
    };
    let mut routes = rib.subscribe(Filter {
        sources: vec![Source::Connected, Source::Static, Source::Ospf],
        defaults: inst.cfg.default_route,
    });
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut next_hello: BTreeMap<u16, tokio::time::Instant> = BTreeMap::new();
    let mut buf = vec![0u8; 9000];
    loop {
        tokio::select! {
            _ = &mut stop => break,
            r = udp.recv_from(&mut buf) => {
                if let Ok((n, SocketAddr::V4(from))) = r {
                    inst.hello(&buf[..n], *from.ip());
                }
            }
            r = tcp.accept() => {
                if let Ok((s, SocketAddr::V4(from))) = r {
                    inst.accepted(s, *from.ip());
                }
            }
            Some(events) = routes.recv() => {
                for e in events {
                    inst.route(e);
                }
            }
            Some(m) = from_sessions.recv() => inst.session(m),
            Some(Internal::Connected(peer, r)) = internal_rx.recv() => inst.connected(peer, r),
            _ = tick.tick() => {
                let now = tokio::time::Instant::now();
                for i in &inst.cfg.interfaces {
                    let due = next_hello.entry(i.port).or_insert(now);
                    if *due <= now {
                        send_hello(&udp, &inst.cfg, i).await;
                        *due = now + Duration::from_secs(u64::from(i.hello));
                    }
                }
                inst.expire();
                inst.connect_due();
                inst.log_ignored();
            }
        }
        inst.flush();
        inst.publish_view();
    }
    inst.close().await;
}

/// Sends one link Hello out of interface `i`.
async fn send_hello(udp: &UdpSocket, cfg: &InstanceConfig, i: &super::config::IfConfig) {
    let transport = i.transport.unwrap_or(cfg.transport);
    let pdu = packet::Pdu {
        lsr_id: cfg.lsr_id,
        label_space: 0,
        messages: vec![make::hello(0, i.hold, transport)],
    };
    let sock = socket2::SockRef::from(udp);
    if sock.set_multicast_if_v4(&Ipv4Addr::from(i.addr.0)).is_ok() {
        let to = SocketAddr::V4(SocketAddrV4::new(ALL_ROUTERS, packet::PORT));
        let _ = udp.send_to(&pdu.encode(), to).await;
    }
}

impl Instance {
    /// The sockets, retried until they open (the VRF's namespace appears with the first
    /// plan) or the instance is stopped.
    async fn open_sockets(
        &self,
        stop: &mut tokio::sync::oneshot::Receiver<()>,
    ) -> Option<(UdpSocket, TcpListener)> {
        let mut tries = 0u32;
        loop {
            match self.sockets() {
                Ok(s) => return Some(s),
                Err(e) => {
                    // Only a lasting failure is worth a line.
                    tries += 1;
                    if tries == 3 {
                        eprintln!("rspe: ldp: VRF {}: sockets: {e}; retrying", self.cfg.vrf);
                    }
                    let wait = Duration::from_millis(500 * u64::from(tries.min(4)));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => continue,
                        _ = &mut *stop => return None,
                    }
                }
            }
        }
    }

    /// Ends every session (a Notification first), and takes the label state back.
    async fn close(mut self) {
        for (_, p) in std::mem::take(&mut self.peers) {
            if let Some(tx) = &p.tx {
                let _ = tx.send(vec![make::notification(0, status::SHUTDOWN, true, 0, 0)]);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            p.task.abort();
        }
        for (_, c) in std::mem::take(&mut self.connecting) {
            c.abort();
        }
        self.rib.labels(LabelBatch {
            owner: self.cfg.id,
            purge: true,
            lfib: Vec::new(),
            ftn: Vec::new(),
        });
        *lock(&self.view) = View::default();
    }

    fn msg_id(&mut self) -> u32 {
        self.next_msg = self.next_msg.wrapping_add(1).max(1);
        self.next_msg
    }

    fn ns(&self) -> std::io::Result<Option<Netns>> {
        self.netns.as_deref().map(Netns::open).transpose()
    }

    /// The Hello socket (joined to 224.0.0.2 on every interface) and the session listener,
    /// in the VRF's namespace.
    fn sockets(&self) -> std::io::Result<(UdpSocket, TcpListener)> {
        let ns = self.ns()?;
        let make = |ty| socket2::Socket::new(socket2::Domain::IPV4, ty, None);
        let (u, t) = match &ns {
            Some(n) => (
                n.run(|| make(socket2::Type::DGRAM))??,
                n.run(|| make(socket2::Type::STREAM))??,
            ),
            None => (make(socket2::Type::DGRAM)?, make(socket2::Type::STREAM)?),
        };
        u.set_reuse_address(true)?;
        u.bind(&SocketAddr::from(([0, 0, 0, 0], packet::PORT)).into())?;
        u.set_multicast_loop_v4(false)?;
        u.set_multicast_ttl_v4(1)?;
        for i in &self.cfg.interfaces {
            u.join_multicast_v4(&ALL_ROUTERS, &Ipv4Addr::from(i.addr.0))?;
        }
        u.set_nonblocking(true)?;
        t.set_reuse_address(true)?;
        t.bind(&SocketAddr::from(([0, 0, 0, 0], packet::PORT)).into())?;
        t.listen(16)?;
        t.set_nonblocking(true)?;
        Ok((
            UdpSocket::from_std(u.into())?,
            TcpListener::from_std(t.into())?,
        ))
    }

    /// A datagram from `from`: a link Hello, or counted and ignored.
    fn hello(&mut self, bytes: &[u8], from: Ipv4Addr) {
        let src = u32::from(from);
        let on = |nets: &[(u32, u8)]| {
            nets.iter()
                .any(|&(a, l)| (a ^ src) & shared::types::mask(l) == 0 && a != src)
        };
        let Some(i) = self.cfg.interfaces.iter().find(|i| on(&i.nets)) else {
            *self.ignored.entry("stranger").or_default() += 1;
            return;
        };
        let port = i.port;
        let Ok((pdu, _)) = packet::decode(bytes) else {
            *self.ignored.entry("malformed").or_default() += 1;
            return;
        };
        let Some(m) = pdu.messages.iter().find(|m| m.kind == msg::HELLO) else {
            *self.ignored.entry("not-hello").or_default() += 1;
            return;
        };
        let Some((hold, targeted, _)) = m.hello() else {
            *self.ignored.entry("malformed").or_default() += 1;
            return;
        };
        let h = Hello {
            port,
            source: src,
            on_link: true,
            lsr_id: pdu.lsr_id,
            label_space: pdu.label_space,
            hold,
            targeted,
            transport: m.transport(),
        };
        let now = crate::now_ns();
        match self.disc.hello(&h, now) {
            Ok(Heard::TransportChanged) => self.end(pdu.lsr_id, "the transport address changed"),
            Ok(_) => {}
            Err(why) => {
                let key = match why {
                    super::discovery::Ignored::Targeted => "targeted",
                    super::discovery::Ignored::BadLsrId => "bad-lsr-id",
                    super::discovery::Ignored::Stranger => "stranger",
                };
                *self.ignored.entry(key).or_default() += 1;
            }
        }
    }

    /// Logs the counts of ignored Hellos when they grew, at most once a minute.
    fn log_ignored(&mut self) {
        let now = tokio::time::Instant::now();
        if self.ignored == self.logged.0
            || self
                .logged
                .1
                .is_some_and(|t| now - t < Duration::from_secs(60))
        {
            return;
        }
        let counts: Vec<String> = self
            .ignored
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        eprintln!(
            "rspe: ldp: VRF {}: Hellos ignored so far: {}",
            self.cfg.vrf,
            counts.join(", ")
        );
        self.logged = (self.ignored.clone(), Some(now));
    }

    /// Our transport address towards `peer`'s adjacency.
    fn local_transport(&self, port: u16) -> u32 {
        self.cfg
            .interfaces
            .iter()
            .find(|i| i.port == port)
            .and_then(|i| i.transport)
            .unwrap_or(self.cfg.transport)
    }

    /// (peer LSR id, its transport, ours) for every peer with an adjacency.
    fn adjacent(&self) -> Vec<(u32, u32, u32)> {
        let mut v: Vec<(u32, u32, u32)> = self
            .disc
            .adjacencies()
            .map(|a| (a.lsr_id, a.transport, self.local_transport(a.port)))
            .collect();
        v.sort_unstable();
        v.dedup_by_key(|x| x.0);
        v
    }

    /// `peer`'s transport address (0 when it has no adjacency).
    fn transport_of(&self, peer: u32) -> u32 {
        self.disc.transport_of(peer).unwrap_or(0)
    }

    /// Whether our binding of `p` goes to `peer` (`/mpls ldp advertise-filter`).
    fn advertised_to(&self, peer: u32, p: Prefix4) -> bool {
        self.cfg.advertise.allows(p, peer, self.transport_of(peer))
    }

    /// Starts sessions we are to open (ours is the higher transport address).
    fn connect_due(&mut self) {
        let now = tokio::time::Instant::now();
        for (peer, theirs, ours) in self.adjacent() {
            if self.peers.contains_key(&peer)
                || self.connecting.contains_key(&peer)
                || !super::fsm::active(ours, theirs)
                || self.retry_at.get(&peer).is_some_and(|t| *t > now)
            {
                continue;
            }
            let ns = self.netns.clone();
            let tx = self.internal.clone();
            let h = tokio::spawn(async move {
                let r = connect(ns.as_deref(), ours, theirs).await;
                let _ = tx.send(Internal::Connected(peer, r));
            });
            self.connecting.insert(peer, h);
        }
    }

    fn connected(&mut self, peer: u32, r: std::io::Result<TcpStream>) {
        self.connecting.remove(&peer);
        match r {
            Ok(s) if !self.peers.contains_key(&peer) => self.start(peer, s, true),
            Ok(_) => {}
            Err(e) => {
                self.last_error.insert(peer, format!("connect: {e}"));
                self.retry_at
                    .insert(peer, tokio::time::Instant::now() + RETRY);
            }
        }
    }

    /// A connection to our listener: kept when it comes from an adjacent peer's transport
    /// address and no session with it runs.
    fn accepted(&mut self, s: TcpStream, from: Ipv4Addr) {
        let from = u32::from(from);
        let Some((peer, _, _)) = self.adjacent().into_iter().find(|a| a.1 == from) else {
            // No Hello from it (RFC 5036 §2.5.3): nothing to run a session with.
            return;
        };
        if self.peers.contains_key(&peer) {
            return;
        }
        self.start(peer, s, false);
    }

    fn start(&mut self, peer: u32, s: TcpStream, active: bool) {
        let _ = s.set_nodelay(true);
        let gen = self.next_gen;
        self.next_gen += 1;
        let ends = Ends {
            ours: self.cfg.lsr_id,
            peer,
            active,
            gen,
        };
        let task = tokio::spawn(session::run(s, ends, self.to_me.clone()));
        self.peers.insert(
            peer,
            Peer {
                gen,
                tx: None,
                task,
            },
        );
    }

    /// Ends the session with `peer`, if any.
    fn end(&mut self, peer: u32, why: &str) {
        if let Some(p) = self.peers.remove(&peer) {
            if let Some(tx) = &p.tx {
                let _ = tx.send(vec![make::notification(0, status::SHUTDOWN, true, 0, 0)]);
            }
            p.task.abort();
            self.last_error.insert(peer, why.to_owned());
            self.down(peer);
        }
    }

    fn down(&mut self, peer: u32) {
        self.addrs.remove(&peer);
        let outs = self.lib.peer_down(peer);
        self.apply(outs);
        self.retry_at
            .insert(peer, tokio::time::Instant::now() + Duration::from_secs(1));
    }

    /// Adjacencies whose hold time ran out; sessions left without one end.
    fn expire(&mut self) {
        for peer in self.disc.expire(crate::now_ns()) {
            self.end(peer, "hello hold time expired");
        }
    }

    fn session(&mut self, m: ToInstance) {
        match m {
            ToInstance::Up { peer, gen, tx, .. } => {
                let Some(p) = self.peers.get_mut(&peer).filter(|p| p.gen == gen) else {
                    return;
                };
                p.tx = Some(tx.clone());
                self.last_error.remove(&peer);
                let mut msgs = vec![make::address(self.msg_id(), false, &self.cfg.addresses)];
                for (p, l) in self.lib.mappings() {
                    if !self.advertised_to(peer, p) {
                        continue;
                    }
                    let id = self.msg_id();
                    msgs.push(make::label(
                        msg::LABEL_MAPPING,
                        id,
                        &[Fec::Prefix(p)],
                        Some(l),
                    ));
                }
                let _ = tx.send(msgs);
            }
            ToInstance::Message { peer, gen, msg } => {
                if self.peers.get(&peer).is_some_and(|p| p.gen == gen) {
                    self.message(peer, msg);
                }
            }
            ToInstance::Down { peer, gen, why } => {
                if self.peers.get(&peer).is_some_and(|p| p.gen == gen) {
                    self.peers.remove(&peer);
                    self.last_error.insert(peer, why);
                    self.down(peer);
                }
            }
        }
    }

    fn send_to(&mut self, peer: u32, msgs: Vec<Message>) {
        if let Some(tx) = self.peers.get(&peer).and_then(|p| p.tx.as_ref()) {
            let _ = tx.send(msgs);
        }
    }

    /// A message from an Operational session.
    fn message(&mut self, peer: u32, m: Message) {
        let prefixes = || -> Vec<Prefix4> {
            m.fecs()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| match f {
                    Fec::Prefix(p) => Some(p),
                    _ => None,
                })
                .collect()
        };
        match m.kind {
            msg::ADDRESS | msg::ADDRESS_WITHDRAW => {
                let addrs = m.addresses().unwrap_or_default();
                let set = self.addrs.entry(peer).or_default();
                let outs = if m.kind == msg::ADDRESS {
                    set.extend(&addrs);
                    set.sort_unstable();
                    set.dedup();
                    self.lib.addresses(peer, &addrs, &[])
                } else {
                    set.retain(|a| !addrs.contains(a));
                    self.lib.addresses(peer, &[], &addrs)
                };
                self.apply(outs);
            }
            msg::LABEL_MAPPING => match m.label() {
                Some(l) if l > 15 || l == super::labels::IMPLICIT_NULL || l == 0 => {
                    let transport = self.transport_of(peer);
                    let accepted = |p: &Prefix4| self.cfg.accept.allows(*p, peer, transport);
                    let ps: Vec<Prefix4> = prefixes().into_iter().filter(accepted).collect();
                    for p in ps {
                        let outs = self.lib.mapping(peer, p, l);
                        self.apply(outs);
                    }
                }
                _ => {
                    // A label of the reserved range that means nothing here.
                    let id = self.msg_id();
                    let n = make::notification(id, status::MALFORMED_TLV, false, m.id, m.kind);
                    self.send_to(peer, vec![n]);
                }
            },
            msg::LABEL_WITHDRAW => {
                let fecs = m.fecs().unwrap_or_default();
                let all = fecs.contains(&Fec::Wildcard);
                let ps: Vec<Prefix4> = if all {
                    self.lib.remote_of(peer)
                } else {
                    prefixes()
                };
                for p in ps {
                    let outs = self.lib.withdraw(peer, p);
                    self.apply(outs);
                }
            }
            msg::LABEL_REQUEST => {
                for p in prefixes() {
                    let id = self.msg_id();
                    let reply = match self.lib.local(p) {
                        Some(l) => make::label(msg::LABEL_MAPPING, id, &[Fec::Prefix(p)], Some(l)),
                        None => make::notification(id, status::NO_ROUTE, false, m.id, m.kind),
                    };
                    self.send_to(peer, vec![reply]);
                }
            }
            msg::NOTIFICATION => {
                if let Some((code, _, _, _)) = m.status() {
                    self.last_error
                        .insert(peer, format!("advisory notification {code:#x}"));
                }
            }
            // Label Release and Abort: our bindings stay (downstream unsolicited).
            _ => {}
        }
    }

    /// A change of the instance's table.
    fn route(&mut self, e: RouteEvent) {
        if e.table != self.cfg.table {
            return;
        }
        if e.dst == Prefix4::DEFAULT && !self.cfg.default_route {
            return;
        }
        let igp = |s: Source| matches!(s, Source::Connected | Source::Static | Source::Ospf);
        let route = e
            .best
            .filter(|b| !b.blackhole && igp(b.source))
            .map(|b| Route {
                next_hops: b.imm.iter().map(|i| i.ip).filter(|&ip| ip != 0).collect(),
            });
        let outs = self.lib.route(e.dst, route);
        self.apply(outs);
    }

    /// Does what the LIB asks: messages to peers, label state to the RIB (batched).
    fn apply(&mut self, outs: Vec<Out>) {
        let table = self.cfg.table;
        for o in outs {
            match o {
                Out::Map(p, l) | Out::Withdraw(p, l) => {
                    let kind = if matches!(o, Out::Map(..)) {
                        msg::LABEL_MAPPING
                    } else {
                        msg::LABEL_WITHDRAW
                    };
                    let peers: Vec<u32> = self.peers.keys().copied().collect();
                    for peer in peers {
                        if !self.advertised_to(peer, p) {
                            continue;
                        }
                        let id = self.msg_id();
                        let m = make::label(kind, id, &[Fec::Prefix(p)], Some(l));
                        self.send_to(peer, vec![m]);
                    }
                }
                Out::Release(peer, p, l) => {
                    let id = self.msg_id();
                    let m = make::label(msg::LABEL_RELEASE, id, &[Fec::Prefix(p)], Some(l));
                    self.send_to(peer, vec![m]);
                }
                Out::Lfib(l, to) => self.batch.lfib.push((
                    l,
                    to.map(|(next_hop, out)| LabelWant::Swap {
                        table,
                        next_hop,
                        out,
                    }),
                )),
                Out::Ftn(p, to) => self.batch.ftn.push((table, p, to)),
            }
        }
    }

    /// Sends the label state gathered since the last call.
    fn flush(&mut self) {
        if self.batch.purge || !self.batch.lfib.is_empty() || !self.batch.ftn.is_empty() {
            let next = LabelBatch {
                owner: self.batch.owner,
                purge: false,
                lfib: Vec::new(),
                ftn: Vec::new(),
            };
            self.rib.labels(std::mem::replace(&mut self.batch, next));
        }
    }

    fn publish_view(&mut self) {
        let mut neighbors = Vec::new();
        for (peer, theirs, ours) in self.adjacent() {
            neighbors.push(NeighborView {
                transport: theirs,
                local_transport: ours,
                peer,
                addresses: self.addrs.get(&peer).cloned().unwrap_or_default(),
                operational: self.peers.get(&peer).is_some_and(|p| p.tx.is_some()),
                passive: !super::fsm::active(ours, theirs),
                last_error: self.last_error.get(&peer).cloned().unwrap_or_default(),
            });
        }
        let up: Vec<u32> = neighbors
            .iter()
            .filter(|n| n.operational)
            .map(|n| n.peer)
            .collect();
        let v = View {
            vrf: self.cfg.vrf.clone(),
            neighbors,
            local: self
                .lib
                .mappings()
                .into_iter()
                .map(|(p, l)| {
                    let to = up.iter().copied().filter(|&x| self.advertised_to(x, p));
                    (p, l, to.collect())
                })
                .collect(),
            remote: self.lib.remote_bindings(),
            forwarding: self.lib.switched(),
            ignored: self.ignored.clone(),
        };
        *lock(&self.view) = v;
    }
}

/// Opens a session's connection from our transport address to the peer's.
async fn connect(netns: Option<&str>, ours: u32, theirs: u32) -> std::io::Result<TcpStream> {
    let ns = netns.map(Netns::open).transpose()?;
    let make = || socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None);
    let s = match &ns {
        Some(n) => n.run(make)??,
        None => make()?,
    };
    s.set_nonblocking(true)?;
    s.set_reuse_address(true)?;
    s.bind(&SocketAddr::from((Ipv4Addr::from(ours), 0)).into())?;
    let sock = tokio::net::TcpSocket::from_std_stream(s.into());
    let to = SocketAddr::from((Ipv4Addr::from(theirs), packet::PORT));
    match tokio::time::timeout(Duration::from_secs(5), sock.connect(to)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer from {}", Ipv4Addr::from(theirs)),
        )),
    }
}
