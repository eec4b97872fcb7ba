//! One BGP session: a task that runs the state machine of [`super::fsm`] over TCP
//! connections (ours and the peer's, with collision resolution), its timers, and the
//! reader and writer tasks of each connection. UPDATEs go to the instance decoded.

use super::config::{PeerConfig, Role};
use super::fsm::{self, Action, Event, State};
use super::instance::{PeerId, PeerInfo};
use super::packet::{self, err, msg, Capability, Notification, Open};
use crate::system::netns::Netns;
use bytes::{Bytes, BytesMut};
use std::net::{SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Seconds between connection attempts (and before a session that went down starts
/// again).
pub const CONNECT_RETRY: Duration = Duration::from_secs(5);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the session task hears.
#[derive(Debug)]
pub enum PeerMsg {
    /// The peer connected to us.
    Incoming(TcpStream),
    /// Stop with this NOTIFICATION (deconfigured, disabled, reset).
    Stop(Notification),
    /// A message of a connection: (connection, type, body).
    Message(u64, u8, Bytes),
    /// A connection's stream broke (the NOTIFICATION to send when it is a framing error).
    Broken(u64, Option<Notification>, String),
    /// An attempt of ours finished.
    Connected(u64, std::io::Result<TcpStream>),
    /// The peer leaves too much unread (see [`MAX_BACKLOG`]).
    Overflow,
    /// `/routing bgp session refresh`: ask the peer for its routes again.
    SendRefresh,
    /// `/routing bgp session resend`: send the peer our routes again.
    Resend,
    /// More prefixes than `input.limit-process-routes-ipv4` allows.
    LimitExceeded(u32),
}

/// What the session's `print` shows: kept by the task, read by the console.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// State.
    pub state: Option<State>,
    /// Our end.
    pub local: Option<SocketAddrV4>,
    /// Its end.
    pub remote: Option<SocketAddrV4>,
    /// Its OPEN.
    pub remote_open: Option<Open>,
    /// Our OPEN.
    pub local_open: Option<Open>,
    /// Negotiated hold time and keepalive interval.
    pub hold: u16,
    /// Keepalive interval in use.
    pub keepalive: u16,
    /// When it became established.
    pub up_since: Option<Instant>,
    /// When it last started and stopped.
    pub last_started: Option<SystemTime>,
    /// When it last stopped.
    pub last_stopped: Option<SystemTime>,
    /// The last NOTIFICATION received.
    pub last_in: Option<Notification>,
    /// The last NOTIFICATION sent.
    pub last_out: Option<Notification>,
    /// Why the last connection ended.
    pub last_error: String,
    /// Four-octet AS on both sides.
    pub as4: bool,
    /// Whether the peer is in another AS.
    pub ebgp: bool,
    /// Stopped for sending more prefixes than allowed (until `reset`).
    pub limit_exceeded: bool,
}

/// Message and byte counters, both ways.
#[derive(Debug, Default)]
pub struct Stats {
    /// Messages received.
    pub msgs_in: AtomicU64,
    /// Bytes received.
    pub bytes_in: AtomicU64,
    /// Messages sent.
    pub msgs_out: AtomicU64,
    /// Bytes sent.
    pub bytes_out: AtomicU64,
}

/// The VPN-IPv4 family's capability.
const VPNV4: Capability = Capability::Mp { afi: 1, safi: 128 };

/// What goes to the instance.
#[derive(Debug)]
pub enum ToInstance {
    /// Established.
    Up(PeerInfo),
    /// Down.
    Down(PeerId),
    /// An UPDATE, with its path attributes as received.
    Update(PeerId, Box<packet::Update>, Bytes),
    /// A ROUTE-REFRESH.
    Refresh(PeerId),
    /// The address lists `output.network` may name.
    Networks(super::config::NetworkLists),
    /// `/routing bgp vpn` and the dynamic label range.
    Vpn(Vec<super::vpn::config::VpnEntry>, (u32, u32)),
}

/// Most bytes a peer may leave unread before its session is reset (Cease, out of
/// resources): four times a full Internet table's UPDATEs. A peer that stops reading costs
/// no more memory than that.
pub const MAX_BACKLOG: usize = 128 << 20;

/// Where a connection's messages are queued for its writer task.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Bytes>,
    backlog: Arc<std::sync::atomic::AtomicUsize>,
    session: mpsc::Sender<PeerMsg>,
}

impl Writer {
    /// A writer queue (tests: a queue nobody writes out).
    pub fn new(tx: mpsc::UnboundedSender<Bytes>, session: mpsc::Sender<PeerMsg>) -> Writer {
        Writer {
            tx,
            backlog: Arc::default(),
            session,
        }
    }

    /// Tells the session task `m` (when it has room).
    pub fn tell(&self, m: PeerMsg) {
        let _ = self.session.try_send(m);
    }

    /// Queues `b`. `false` when the peer leaves more than [`MAX_BACKLOG`] bytes unread:
    /// its session is told to end.
    pub fn send(&self, b: Bytes) -> bool {
        let n = self.backlog.fetch_add(b.len(), Relaxed) + b.len();
        let _ = self.tx.send(b);
        if n > MAX_BACKLOG {
            let _ = self.session.try_send(PeerMsg::Overflow);
            return false;
        }
        true
    }
}

struct Conn {
    id: u64,
    outgoing: bool,
    tx: Writer,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    local: SocketAddrV4,
    remote: SocketAddrV4,
    open: Option<Open>,
}

impl Conn {
    fn send(&self, b: Bytes) {
        self.tx.send(b);
    }

    /// Sends `n` (if any), then closes after what is queued.
    fn close(self, n: Option<&Notification>) {
        if let Some(n) = n {
            self.send(n.encode());
        }
        // The empty message tells the writer to shut the socket down; a peer that does not
        // read what is queued before it has 10 s, then the queue is dropped.
        self.send(Bytes::new());
        self.reader.abort();
        let w = self.writer;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            w.abort();
        });
    }
}

/// A session task's state.
pub struct Session {
    id: PeerId,
    cfg: Arc<PeerConfig>,
    netns: Option<String>,
    state: State,
    conn: Option<Conn>,
    other: Option<Conn>,
    attempt: Option<(u64, JoinHandle<()>)>,
    next_conn: u64,
    stopped: bool,
    connect_retry: Option<Instant>,
    hold: Option<Instant>,
    hold_secs: u16,
    keepalive: Option<Instant>,
    keepalive_secs: u16,
    tx: mpsc::Sender<PeerMsg>,
    rx: mpsc::Receiver<PeerMsg>,
    instance: mpsc::Sender<ToInstance>,
    view: Arc<Mutex<View>>,
    stats: Arc<Stats>,
    up: bool,
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

impl Session {
    /// A session for `cfg`; run it with [`Session::run`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: PeerId,
        cfg: Arc<PeerConfig>,
        netns: Option<String>,
        tx: mpsc::Sender<PeerMsg>,
        rx: mpsc::Receiver<PeerMsg>,
        instance: mpsc::Sender<ToInstance>,
        view: Arc<Mutex<View>>,
        stats: Arc<Stats>,
    ) -> Session {
        Session {
            id,
            cfg,
            netns,
            state: State::Idle,
            conn: None,
            other: None,
            attempt: None,
            next_conn: 1,
            stopped: false,
            connect_retry: None,
            hold: None,
            hold_secs: 0,
            keepalive: None,
            keepalive_secs: 0,
            tx,
            rx,
            instance,
            view,
            stats,
            up: false,
        }
    }

    fn view(&self) -> std::sync::MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs until stopped.
    pub async fn run(mut self) {
        self.event(Event::Start {
            active: self.cfg.connect,
        })
        .await;
        loop {
            let cr = self.connect_retry.unwrap_or_else(far);
            let hold = self.hold.unwrap_or_else(far);
            let ka = self.keepalive.unwrap_or_else(far);
            tokio::select! {
                m = self.rx.recv() => match m {
                    None => break,
                    Some(m) => {
                        if !self.message(m).await {
                            break;
                        }
                    }
                },
                _ = tokio::time::sleep_until(cr.into()) => {
                    self.connect_retry = None;
                    if self.state == State::Idle && !self.stopped && !self.view().limit_exceeded {
                        self.event(Event::Start { active: self.cfg.connect }).await;
                    } else if self.state == State::Active && !self.cfg.connect {
                        // connect=no: RFC 4271 would dial when the timer runs out in
                        // Active; RouterOS never dials. Keep listening.
                        self.connect_retry = Some(Instant::now() + CONNECT_RETRY);
                    } else {
                        self.event(Event::ConnectRetryExpired).await;
                    }
                }
                _ = tokio::time::sleep_until(hold.into()) => {
                    self.hold = None;
                    self.view().last_error = "hold timer expired".into();
                    self.event(Event::HoldExpired).await;
                }
                _ = tokio::time::sleep_until(ka.into()) => {
                    self.keepalive = (self.keepalive_secs > 0)
                        .then(|| Instant::now() + Duration::from_secs(self.keepalive_secs.into()));
                    self.event(Event::KeepaliveExpired).await;
                }
            }
        }
        // Dropped: close what is open.
        if let Some(c) = self.conn.take() {
            c.close(None);
        }
        if let Some(c) = self.other.take() {
            c.close(None);
        }
        if let Some((_, h)) = self.attempt.take() {
            h.abort();
        }
        if self.up {
            let _ = self.instance.send(ToInstance::Down(self.id)).await;
        }
    }

    /// Handles one message; `false`: the task ends.
    async fn message(&mut self, m: PeerMsg) -> bool {
        match m {
            PeerMsg::Stop(n) if n.subcode == err::ADMIN_RESET => {
                // A reset: down with the NOTIFICATION, then up again after the retry time
                // (also after a prefix limit stopped it).
                {
                    let mut v = self.view();
                    v.last_error = n.to_string();
                    v.limit_exceeded = false;
                }
                if self.state == State::Idle {
                    self.connect_retry = Some(Instant::now());
                } else {
                    self.event(Event::Error(n)).await;
                }
            }
            PeerMsg::LimitExceeded(limit) => {
                if self.state == State::Established {
                    // RFC 4486: Cease, maximum number of prefixes reached, with the AFI,
                    // SAFI and the limit.
                    let mut data = vec![0, 1, 1];
                    data.extend(limit.to_be_bytes());
                    {
                        let mut v = self.view();
                        v.limit_exceeded = true;
                        v.last_error = format!("more than {limit} prefixes (limit-exceeded)");
                    }
                    self.event(Event::Error(Notification::new(err::CEASE, 1, data)))
                        .await;
                }
            }
            PeerMsg::Stop(n) => {
                self.stopped = true;
                self.view().last_error = n.to_string();
                self.event(Event::Stop(n)).await;
                return false;
            }
            PeerMsg::SendRefresh => {
                let rr = self
                    .view()
                    .remote_open
                    .as_ref()
                    .is_some_and(|o| o.has(&Capability::RouteRefresh));
                if let (State::Established, true, Some(c)) = (self.state, rr, &self.conn) {
                    c.send(packet::route_refresh(1, 1));
                }
            }
            PeerMsg::Resend => {
                if self.state == State::Established {
                    let _ = self.instance.send(ToInstance::Refresh(self.id)).await;
                }
            }
            PeerMsg::Incoming(s) => self.incoming(s).await,
            PeerMsg::Overflow => {
                if self.state == State::Established {
                    self.view().last_error =
                        format!("the peer left more than {MAX_BACKLOG} bytes unread");
                    let n = Notification::new(err::CEASE, 8, []);
                    self.event(Event::Error(n)).await;
                }
            }
            PeerMsg::Connected(id, r) => {
                if self.attempt.as_ref().map(|a| a.0) != Some(id) {
                    return true;
                }
                self.attempt = None;
                match r {
                    Ok(s) => {
                        if self.conn.is_some() {
                            // The peer's connection got here first and is in use.
                            self.adopt_other(s, true).await;
                        } else {
                            match self.wrap(s, true) {
                                Ok(c) => {
                                    self.conn = Some(c);
                                    self.event(Event::TcpConnected).await;
                                }
                                Err(e) => {
                                    self.view().last_error = e;
                                    self.event(Event::TcpFailed).await;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        self.view().last_error = format!("connect: {e}");
                        if self.conn.is_none() {
                            self.event(Event::TcpFailed).await;
                        }
                    }
                }
            }
            PeerMsg::Broken(id, n, why) => {
                if self.other.as_ref().is_some_and(|c| c.id == id) {
                    if let Some(c) = self.other.take() {
                        c.close(n.as_ref());
                    }
                } else if self.conn.as_ref().is_some_and(|c| c.id == id) {
                    self.view().last_error = why;
                    match n {
                        Some(n) => self.event(Event::Error(n)).await,
                        None => self.event(Event::TcpFailed).await,
                    }
                }
            }
            PeerMsg::Message(id, kind, body) => {
                if self.other.as_ref().is_some_and(|c| c.id == id) {
                    self.other_message(kind, body).await;
                } else if self.conn.as_ref().is_some_and(|c| c.id == id) {
                    self.conn_message(kind, body).await;
                }
            }
        }
        true
    }

    /// A connection from the peer.
    async fn incoming(&mut self, s: TcpStream) {
        if self.stopped || !self.cfg.listen || self.view().limit_exceeded {
            return;
        }
        match self.state {
            State::Idle | State::Connect | State::Active => {
                if let Some((_, h)) = self.attempt.take() {
                    h.abort();
                }
                if self.state == State::Idle {
                    self.event(Event::Start { active: false }).await;
                }
                match self.wrap(s, false) {
                    Ok(c) => {
                        if let Some(old) = self.conn.replace(c) {
                            old.close(None);
                        }
                        self.event(Event::TcpConnected).await;
                    }
                    Err(e) => self.view().last_error = e,
                }
            }
            State::OpenSent | State::OpenConfirm => self.adopt_other(s, false).await,
            State::Established => {
                // RFC 4271 §6.8: an established session wins over a new connection.
                if let Ok(c) = self.wrap(s, false) {
                    c.close(Some(&Notification::new(err::CEASE, err::COLLISION, [])));
                }
            }
        }
    }

    /// A second connection while the first is in OpenSent/OpenConfirm: our OPEN goes on
    /// it too and the collision is resolved as soon as the peer's identifier is known.
    async fn adopt_other(&mut self, s: TcpStream, outgoing: bool) {
        if self.other.is_some() {
            return;
        }
        let Ok(c) = self.wrap(s, outgoing) else {
            return;
        };
        c.send(self.open().encode());
        self.other = Some(c);
        let known = self
            .conn
            .as_ref()
            .and_then(|c| c.open.as_ref())
            .map(|o| o.id);
        if let Some(id) = known {
            self.resolve(id).await;
        }
    }

    /// Keeps one of two connections (RFC 4271 §6.8).
    async fn resolve(&mut self, remote_id: u32) {
        let (Some(conn), Some(_)) = (&self.conn, &self.other) else {
            return;
        };
        let keep_outgoing = fsm::collision_keeps_outgoing(self.cfg.router_id, remote_id);
        let cease = Notification::new(err::CEASE, err::COLLISION, []);
        if conn.outgoing == keep_outgoing {
            if let Some(o) = self.other.take() {
                o.close(Some(&cease));
            }
            return;
        }
        // The other connection wins: it continues in OpenSent (our OPEN is on it).
        if let Some(old) = self.conn.take() {
            old.close(Some(&cease));
        }
        let other = self.other.take();
        let open = other.as_ref().and_then(|c| c.open.clone());
        self.conn = other;
        self.state = State::OpenSent;
        self.keepalive = None;
        self.hold = Some(Instant::now() + Duration::from_secs(fsm::OPEN_HOLD.into()));
        self.set_view_conn();
        if let Some(o) = open {
            self.got_open(o).await;
        }
    }

    async fn other_message(&mut self, kind: u8, body: Bytes) {
        if kind != msg::OPEN {
            // Nothing but an OPEN is expected before the collision is resolved.
            if let Some(c) = self.other.take() {
                c.close(Some(&Notification::new(err::FSM, 1, [])));
            }
            return;
        }
        match self.check_open(&body) {
            Ok(o) => {
                let id = o.id;
                if let Some(c) = self.other.as_mut() {
                    c.open = Some(o);
                }
                self.resolve(id).await;
            }
            Err(n) => {
                if let Some(c) = self.other.take() {
                    c.close(Some(&n));
                }
            }
        }
    }

    async fn conn_message(&mut self, kind: u8, body: Bytes) {
        match kind {
            msg::OPEN => match self.check_open(&body) {
                Ok(o) => {
                    let id = o.id;
                    if let Some(c) = self.conn.as_mut() {
                        c.open = Some(o.clone());
                    }
                    if self.other.is_some() {
                        self.resolve(id).await;
                        // `resolve` may have switched connections: the OPEN of the
                        // surviving one is handled there.
                        if self.conn.as_ref().and_then(|c| c.open.as_ref()) != Some(&o) {
                            return;
                        }
                    }
                    self.got_open(o).await;
                }
                Err(n) => self.event(Event::Error(n)).await,
            },
            msg::KEEPALIVE => self.event(Event::Keepalive).await,
            msg::NOTIFICATION => {
                let n = Notification::decode(&body).unwrap_or_else(|_| Notification::new(0, 0, []));
                {
                    let mut v = self.view();
                    v.last_error = format!("peer sent {n}");
                    v.last_in = Some(n);
                }
                self.event(Event::Notification).await;
            }
            msg::UPDATE if self.state == State::Established => {
                let ctx = {
                    let v = self.view();
                    packet::Ctx {
                        as4: v.as4,
                        ebgp: v.ebgp,
                    }
                };
                match packet::decode_update(&body, ctx) {
                    Ok(mut u) => {
                        self.check_first_as(&mut u);
                        if !self.cfg.ipv4 {
                            u.nlri.clear();
                            u.withdrawn.clear();
                        }
                        if let Err(n) = self.check_vpn(&mut u) {
                            self.view().last_error = format!("bad UPDATE: {n}");
                            return self.event(Event::Error(n)).await;
                        }
                        self.event(Event::Update).await;
                        let raw = packet::attr_range(&body)
                            .map(|r| body.slice(r))
                            .unwrap_or_default();
                        let _ = self
                            .instance
                            .send(ToInstance::Update(self.id, Box::new(u), raw))
                            .await;
                    }
                    Err(n) => {
                        self.view().last_error = format!("bad UPDATE: {n}");
                        self.event(Event::Error(n)).await
                    }
                }
            }
            msg::ROUTE_REFRESH if self.state == State::Established => {
                match packet::decode_route_refresh(&body) {
                    // BoRR and EoRR mean something only with enhanced route refresh, which
                    // we do not offer: ignored (RFC 7313 §4), as are unknown subtypes.
                    Ok((packet::afi::IPV4, packet::refresh::NORMAL, packet::afi::UNICAST)) => {
                        self.event(Event::Update).await;
                        let _ = self.instance.send(ToInstance::Refresh(self.id)).await;
                    }
                    Ok(_) => self.event(Event::Update).await,
                    Err(n) => self.event(Event::Error(n)).await,
                }
            }
            _ => self.event(Event::Update).await,
        }
    }

    /// RFC 7606 §7.2 (RFC 4271 §6.3): from an eBGP peer, a path that does not start
    /// with its AS is withdrawn.
    fn check_first_as(&self, u: &mut packet::Update) {
        let v = self.view();
        let Some(o) = &v.remote_open else {
            return;
        };
        if !v.ebgp || u.nlri.is_empty() {
            return;
        }
        let remote = o.real_as();
        let confed = u.attrs.as_path.iter().any(|s| {
            matches!(
                s.kind,
                packet::seg::CONFED_SEQUENCE | packet::seg::CONFED_SET
            )
        });
        if u.attrs.first_as() != Some(remote) || confed {
            let nlri = std::mem::take(&mut u.nlri);
            u.withdrawn.extend(nlri);
            u.treatment = packet::Treatment::TreatAsWithdraw(format!(
                "AS_PATH does not start with the peer's AS {remote}"
            ));
        }
    }

    /// The OPEN's checks that need the configuration (RFC 4271 §6.2).
    fn check_open(&self, body: &[u8]) -> Result<Open, Notification> {
        let o = Open::decode(body)?;
        let remote_as = o.real_as();
        let bad_as = || {
            Notification::new(
                err::OPEN,
                err::BAD_PEER_AS,
                u16::try_from(remote_as)
                    .unwrap_or(packet::AS_TRANS)
                    .to_be_bytes(),
            )
        };
        if let Some(want) = self.cfg.remote_as {
            if want != remote_as {
                return Err(bad_as());
            }
        }
        let ibgp = matches!(self.cfg.role, Role::Ibgp | Role::IbgpRr);
        if ibgp != (remote_as == self.cfg.local_as) {
            return Err(bad_as());
        }
        if ibgp && o.id == self.cfg.router_id {
            return Err(Notification::new(
                err::OPEN,
                err::BAD_ID,
                o.id.to_be_bytes(),
            ));
        }
        Ok(o)
    }

    async fn got_open(&mut self, o: Open) {
        let hold = if self.cfg.hold_time == 0 || o.hold_time == 0 {
            0
        } else {
            self.cfg.hold_time.min(o.hold_time)
        };
        let keepalive = if hold == 0 {
            0
        } else {
            self.cfg
                .keepalive
                .unwrap_or(hold / 3)
                .clamp(1, (hold / 3).max(1))
        };
        {
            let mut v = self.view();
            v.as4 = o.as4();
            v.ebgp = o.real_as() != self.cfg.local_as;
            v.hold = hold;
            v.keepalive = keepalive;
            v.remote_open = Some(o);
        }
        self.event(Event::Open { hold, keepalive }).await;
    }

    /// VPN-IPv4 routes of an UPDATE: see [`super::vpn::codec::check_update`].
    fn check_vpn(&mut self, u: &mut packet::Update) -> Result<(), Notification> {
        let negotiated = self.cfg.vpnv4
            && self
                .view()
                .remote_open
                .as_ref()
                .is_some_and(|o| o.has(&VPNV4));
        super::vpn::codec::check_update(u, negotiated)
    }

    /// Our OPEN.
    fn open(&self) -> Open {
        let asn = u16::try_from(self.cfg.local_as).unwrap_or(packet::AS_TRANS);
        let mut caps = Vec::new();
        if self.cfg.ipv4 {
            caps.push(Capability::Mp { afi: 1, safi: 1 });
        }
        if self.cfg.vpnv4 {
            caps.push(Capability::Mp { afi: 1, safi: 128 });
        }
        caps.push(Capability::RouteRefresh);
        caps.push(Capability::As4(self.cfg.local_as));
        Open {
            version: 4,
            asn,
            hold_time: self.cfg.hold_time,
            id: self.cfg.router_id,
            caps,
        }
    }

    /// Reader and writer tasks for a stream.
    fn wrap(&mut self, s: TcpStream, outgoing: bool) -> Result<Conn, String> {
        let local = match s.local_addr() {
            Ok(SocketAddr::V4(a)) => a,
            _ => return Err("no IPv4 local address".into()),
        };
        let remote = match s.peer_addr() {
            Ok(SocketAddr::V4(a)) => a,
            _ => return Err("no IPv4 remote address".into()),
        };
        let _ = s.set_nodelay(true);
        let id = self.next_conn;
        self.next_conn += 1;
        let (mut r, mut w) = s.into_split();
        let (tx, mut wrx) = mpsc::unbounded_channel::<Bytes>();
        let tx = Writer::new(tx, self.tx.clone());
        let backlog = tx.backlog.clone();
        let stats = self.stats.clone();
        let writer = tokio::spawn(async move {
            while let Some(b) = wrx.recv().await {
                if b.is_empty() {
                    break;
                }
                if w.write_all(&b).await.is_err() {
                    break;
                }
                backlog.fetch_sub(b.len(), Relaxed);
                stats.msgs_out.fetch_add(1, Relaxed);
                stats.bytes_out.fetch_add(b.len() as u64, Relaxed);
            }
            let _ = w.shutdown().await;
        });
        let ptx = self.tx.clone();
        let stats = self.stats.clone();
        let reader = tokio::spawn(async move {
            let mut buf = BytesMut::with_capacity(64 * 1024);
            loop {
                loop {
                    match packet::frame(&buf) {
                        Ok(Some((kind, len))) => {
                            let m = buf.split_to(len).freeze();
                            stats.msgs_in.fetch_add(1, Relaxed);
                            stats.bytes_in.fetch_add(len as u64, Relaxed);
                            let body = m.slice(packet::HEADER_LEN..);
                            if ptx.send(PeerMsg::Message(id, kind, body)).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(n) => {
                            let why = format!("bad message: {n}");
                            let _ = ptx.send(PeerMsg::Broken(id, Some(n), why)).await;
                            return;
                        }
                    }
                }
                if buf.capacity() - buf.len() < packet::MAX_LEN {
                    buf.reserve(64 * 1024);
                }
                match r.read_buf(&mut buf).await {
                    Ok(0) => {
                        let _ = ptx
                            .send(PeerMsg::Broken(
                                id,
                                None,
                                "connection closed by peer".into(),
                            ))
                            .await;
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = ptx.send(PeerMsg::Broken(id, None, e.to_string())).await;
                        return;
                    }
                }
            }
        });
        Ok(Conn {
            id,
            outgoing,
            tx,
            reader,
            writer,
            local,
            remote,
            open: None,
        })
    }

    fn set_view_conn(&self) {
        let (l, r) = match &self.conn {
            Some(c) => (Some(c.local), Some(c.remote)),
            None => (None, None),
        };
        let mut v = self.view();
        v.local = l;
        v.remote = r;
    }

    /// Runs the state machine on `ev` and carries out its actions.
    async fn event(&mut self, ev: Event) {
        let (next, actions) = fsm::step(self.state, ev);
        self.state = next;
        self.view().state = Some(next);
        for a in actions {
            self.act(a).await;
        }
        self.set_view_conn();
    }

    async fn act(&mut self, a: Action) {
        let now = Instant::now();
        match a {
            Action::Connect => self.connect(),
            Action::SendOpen => {
                let o = self.open();
                self.view().local_open = Some(o.clone());
                if let Some(c) = &self.conn {
                    c.send(o.encode());
                }
            }
            Action::SendKeepalive => {
                if let Some(c) = &self.conn {
                    c.send(packet::keepalive());
                }
            }
            Action::SendNotification(n) => {
                if let Some(c) = &self.conn {
                    c.send(n.encode());
                }
                self.view().last_out = Some(n);
            }
            Action::Close => {
                if let Some(c) = self.conn.take() {
                    c.close(None);
                }
                if let Some(c) = self.other.take() {
                    c.close(None);
                }
                if let Some((_, h)) = self.attempt.take() {
                    h.abort();
                }
            }
            Action::StartConnectRetry => self.connect_retry = Some(now + CONNECT_RETRY),
            Action::StopConnectRetry => self.connect_retry = None,
            Action::Hold(s) => {
                self.hold = (s > 0).then(|| now + Duration::from_secs(s.into()));
                if s != fsm::OPEN_HOLD {
                    self.hold_secs = s;
                }
            }
            Action::RestartHold => {
                if self.hold_secs > 0 {
                    self.hold = Some(now + Duration::from_secs(self.hold_secs.into()));
                }
            }
            Action::KeepaliveEvery(s) => {
                self.keepalive_secs = s;
                self.keepalive = (s > 0).then(|| now + Duration::from_secs(s.into()));
            }
            Action::Up => {
                let info = {
                    let mut v = self.view();
                    v.up_since = Some(now);
                    v.last_started = Some(SystemTime::now());
                    // Established again: the last error is history.
                    v.last_error.clear();
                    let Some(c) = &self.conn else {
                        return;
                    };
                    PeerInfo {
                        id: self.id,
                        cfg: self.cfg.clone(),
                        remote_as: v.remote_open.as_ref().map_or(0, Open::real_as),
                        remote_id: v.remote_open.as_ref().map_or(0, |o| o.id),
                        local_addr: u32::from(*c.local.ip()),
                        remote_addr: u32::from(*c.remote.ip()),
                        as4: v.as4,
                        vpnv4: self.cfg.vpnv4
                            && v.remote_open.as_ref().is_some_and(|o| o.has(&VPNV4)),
                        tx: c.tx.clone(),
                    }
                };
                self.up = true;
                let _ = self.instance.send(ToInstance::Up(info)).await;
                // End-of-RIB follows the initial table (sent by the instance).
            }
            Action::Down => {
                {
                    let mut v = self.view();
                    v.up_since = None;
                    if self.up {
                        v.last_stopped = Some(SystemTime::now());
                    }
                }
                self.hold_secs = 0;
                if std::mem::take(&mut self.up) {
                    let _ = self.instance.send(ToInstance::Down(self.id)).await;
                }
            }
        }
    }

    /// Starts a connection attempt (in the VRF's namespace).
    fn connect(&mut self) {
        if let Some((_, h)) = self.attempt.take() {
            h.abort();
        }
        let id = self.next_conn;
        self.next_conn += 1;
        let cfg = self.cfg.clone();
        let netns = self.netns.clone();
        let tx = self.tx.clone();
        let h = tokio::spawn(async move {
            let r = match netns.as_deref().map(Netns::open).transpose() {
                Ok(ns) => super::net::connect(&cfg, ns.as_ref(), CONNECT_TIMEOUT).await,
                Err(e) => Err(std::io::Error::new(
                    e.kind(),
                    format!("VRF {}'s namespace: {e}", cfg.vrf),
                )),
            };
            let _ = tx.send(PeerMsg::Connected(id, r)).await;
        });
        self.attempt = Some((id, h));
    }
}
