//! Packets in: Hellos and the neighbours they make (§10.5), the DR election on broadcast
//! networks, the database exchange (§10.6, §10.8), requests (§10.7), updates and flooding
//! (§13), acknowledgments (§13.7), retransmissions.

use super::config::IfAuth;
use super::instance::{Instance, Nbr};
use super::interface::{self, Candidate, IfState};
use super::lsdb::{self, Received};
use super::neighbor::{self, Action, Event, State};
use super::packet::{
    self, dd_flags, lsa_type, Auth, Body, Dd, Hello, Lsa, LsaHeader, LsaKey, Packet, ALL_D_ROUTERS,
    ALL_SPF_ROUTERS, MAX_AGE,
};

/// Headers per Database Description (fits any MTU of 576 or more).
const DD_HEADERS: usize = 25;
/// LSAs asked for per Link State Request (12 bytes each: fits an MTU of 1,500).
const LSR_KEYS: usize = 100;

impl Instance {
    /// A datagram from the socket (its IP header first).
    pub fn received(&mut self, dgram: &[u8]) {
        if dgram.len() < 20 {
            return self.drop_for("truncated");
        }
        let ihl = usize::from(dgram[0] & 15) * 4;
        let src = u32::from_be_bytes([dgram[12], dgram[13], dgram[14], dgram[15]]);
        let dst = u32::from_be_bytes([dgram[16], dgram[17], dgram[18], dgram[19]]);
        let Some(payload) = dgram.get(ihl..) else {
            return self.drop_for("truncated");
        };
        if self.ifaces.iter().any(|i| i.cfg.addr.0 == src) {
            return; // our own
        }
        let on = |i: &&super::instance::Iface| {
            let (a, l) = i.cfg.addr;
            !i.cfg.passive && (a ^ src) & shared::types::mask(l) == 0
        };
        let Some(i) = self.ifaces.iter().position(|x| on(&x)) else {
            return self.drop_for("stranger");
        };
        if dst == ALL_D_ROUTERS && !matches!(self.ifaces[i].state, IfState::Dr | IfState::Backup) {
            return self.drop_for("not-dr");
        }
        let p = match packet::decode(payload) {
            Ok(p) => p,
            Err(e) => return self.drop_for(e.name()),
        };
        if p.header.area != self.ifaces[i].cfg.area {
            return self.drop_for("wrong-area");
        }
        if !self.authentic(i, &p, payload) {
            return self.drop_for("bad-auth");
        }
        if p.header.router_id == self.cfg.router_id {
            return self.drop_for("our-router-id");
        }
        let from = p.header.router_id;
        if self.trace {
            let line = super::print::trace_line(&p.body);
            let name = &self.ifaces[i].cfg.name;
            let src = std::net::Ipv4Addr::from(src);
            eprintln!("rspe: ospf {}: {name} < {src}: {line}", self.cfg.name);
        }
        match p.body {
            Body::Hello(h) => self.hello(i, from, src, h),
            Body::Dd(d) => self.dd(i, from, d),
            Body::Lsr(keys) => self.lsr(i, from, keys),
            Body::Lsu(lsas) => self.lsu(i, from, lsas),
            Body::Ack(headers) => self.ack(i, from, headers),
        }
    }

    fn authentic(&self, i: usize, p: &Packet, bytes: &[u8]) -> bool {
        match (&self.ifaces[i].cfg.auth, p.header.auth) {
            (IfAuth::None, Auth::None) => true,
            (IfAuth::Simple(want), Auth::Simple(got)) => *want == got,
            (IfAuth::Md5 { key_id, key }, Auth::Md5 { key_id: k, .. }) => {
                *key_id == k && packet::md5_ok(bytes, key)
            }
            _ => false,
        }
    }

    /// Sends our Hello out of interface `i`.
    pub fn send_hello(&mut self, i: usize) {
        let f = &self.ifaces[i];
        let h = Hello {
            mask: if f.cfg.ptp {
                0
            } else {
                shared::types::mask(f.cfg.addr.1)
            },
            hello_interval: f.cfg.hello,
            options: self.area_cfg(f.cfg.area).options(),
            priority: f.cfg.priority,
            dead_interval: f.cfg.dead,
            dr: f.dr,
            bdr: f.bdr,
            neighbors: f
                .nbrs
                .values()
                .filter(|n| n.state >= State::Init)
                .map(|n| n.id)
                .collect(),
        };
        self.send(i, ALL_SPF_ROUTERS, Body::Hello(h));
    }

    fn hello(&mut self, i: usize, from: u32, src: u32, h: Hello) {
        let c = self.ifaces[i].cfg.clone();
        let mask_ok = c.ptp || h.mask == shared::types::mask(c.addr.1);
        if !mask_ok || h.hello_interval != c.hello || h.dead_interval != c.dead {
            return self.drop_for("hello-mismatch");
        }
        if !self.area_cfg(c.area).hello_options_match(h.options) {
            // §10.5: the E bit (stub or not) and RFC 3101's N bit must agree.
            return self.drop_for("area-type-mismatch");
        }
        let now = self.now;
        let f = &mut self.ifaces[i];
        let n = f.nbrs.entry(from).or_insert_with(|| Nbr::new(from, src));
        n.addr = src;
        n.dead_at = now + u64::from(c.dead);
        let changed = (n.priority, n.dr, n.bdr) != (h.priority, h.dr, h.bdr);
        let backup_seen = (h.bdr == src) || (h.dr == src && h.bdr == 0);
        n.priority = h.priority;
        n.dr = h.dr;
        n.bdr = h.bdr;
        self.nbr_event(i, from, Event::HelloReceived);
        if h.neighbors.contains(&self.cfg.router_id) {
            let adj = self.adj_ok(i, from);
            let before = self.nbr_state(i, from);
            self.nbr_event(i, from, Event::TwoWayReceived { adj_ok: adj });
            if before < State::TwoWay && self.nbr_state(i, from) >= State::TwoWay {
                self.neighbor_change(i);
            }
        } else {
            self.nbr_event(i, from, Event::OneWayReceived);
        }
        let f = &mut self.ifaces[i];
        if f.state == IfState::Waiting && backup_seen {
            f.wait_until = 0;
            self.election(i);
        } else if changed && f.state != IfState::Waiting {
            self.election(i);
        }
    }

    fn nbr_state(&self, i: usize, id: u32) -> State {
        self.ifaces[i]
            .nbrs
            .get(&id)
            .map_or(State::Down, |n| n.state)
    }

    fn adj_ok(&self, i: usize, nbr: u32) -> bool {
        let f = &self.ifaces[i];
        let naddr = f.nbrs.get(&nbr).map_or(0, |n| n.addr);
        neighbor::adj_ok(f.cfg.ptp, f.cfg.addr.0, naddr, f.dr, f.bdr)
    }

    /// §9.2's NeighborChange: the election runs again, unless the interface is still
    /// Waiting (then the wait timer or a BackupSeen starts the first one).
    pub fn neighbor_change(&mut self, i: usize) {
        if self.ifaces[i].state != IfState::Waiting {
            self.election(i);
        }
    }

    /// Elects the DR and BDR on broadcast interface `i`; adjacencies follow.
    pub fn election(&mut self, i: usize) {
        let f = &self.ifaces[i];
        if f.cfg.ptp || f.cfg.passive {
            return;
        }
        let me = Candidate {
            id: self.cfg.router_id,
            addr: f.cfg.addr.0,
            priority: f.cfg.priority,
            dr: f.dr,
            bdr: f.bdr,
        };
        let others: Vec<Candidate> = f
            .nbrs
            .values()
            .filter(|n| n.state >= State::TwoWay)
            .map(|n| Candidate {
                id: n.id,
                addr: n.addr,
                priority: n.priority,
                dr: n.dr,
                bdr: n.bdr,
            })
            .collect();
        let (dr, bdr) = interface::elect(me, &others);
        let was = (f.dr, f.bdr, f.state);
        let state = interface::state_of(me.addr, dr, bdr);
        let f = &mut self.ifaces[i];
        f.dr = dr;
        f.bdr = bdr;
        f.state = state;
        if (dr, bdr, state) == was {
            return;
        }
        let serving = matches!(state, IfState::Dr | IfState::Backup);
        let addr = f.cfg.addr.0;
        self.sock.all_d_routers(addr, serving);
        let ids: Vec<u32> = self.ifaces[i].nbrs.keys().copied().collect();
        for id in ids {
            if self.nbr_state(i, id) >= State::TwoWay {
                let adj = self.adj_ok(i, id);
                self.nbr_event(i, id, Event::AdjOk { adj_ok: adj });
            }
        }
        self.reoriginate = true;
    }

    /// Runs the neighbour state machine and does what it says.
    pub fn nbr_event(&mut self, i: usize, id: u32, e: Event) {
        let Some(n) = self.ifaces[i].nbrs.get_mut(&id) else {
            return;
        };
        let (next, actions) = neighbor::step(n.state, e);
        if next != n.state {
            n.changes += 1;
            n.full_since = (next == State::Full).then_some(self.now);
        }
        n.state = next;
        for a in actions {
            match a {
                Action::StartInactivityTimer => {}
                Action::ClearLists => {
                    let n = self.ifaces[i].nbrs.get_mut(&id).expect("present");
                    n.summary.clear();
                    n.requests.clear();
                    n.retransmit.clear();
                    n.last_dd = None;
                    n.last_rx = None;
                }
                Action::StartExStart => self.start_exstart(i, id),
                Action::StartExchange => self.start_exchange(i, id),
                Action::SendRequests => self.send_requests(i, id),
                Action::Reoriginate => {
                    self.reoriginate = true;
                    self.spf_due = true;
                }
            }
        }
    }

    fn start_exstart(&mut self, i: usize, id: u32) {
        let now = self.now;
        let n = self.ifaces[i].nbrs.get_mut(&id).expect("present");
        n.dd_seq = (now as u32).wrapping_mul(2_654_435_761).max(1);
        n.master = true;
        n.last_rx = None;
        let dd = Dd {
            mtu: 0,
            options: 0,
            flags: dd_flags::I | dd_flags::M | dd_flags::MS,
            seq: n.dd_seq,
            headers: Vec::new(),
        };
        self.send_dd(i, id, dd);
    }

    fn send_dd(&mut self, i: usize, id: u32, mut dd: Dd) {
        dd.mtu = self.ifaces[i].cfg.mtu;
        dd.options = self.area_cfg(self.ifaces[i].cfg.area).options();
        let now = self.now;
        let rxmt = u64::from(self.ifaces[i].cfg.rxmt);
        let Some(n) = self.ifaces[i].nbrs.get_mut(&id) else {
            return;
        };
        let addr = n.addr;
        n.last_dd = Some(Packet {
            header: packet::Header {
                kind: packet::kind::DD,
                router_id: 0,
                area: 0,
                auth: Auth::None,
            },
            body: Body::Dd(dd.clone()),
        });
        n.rxmt_at = now + rxmt;
        let dst = self.unicast_or_all(i, addr);
        self.send(i, dst, Body::Dd(dd));
    }

    /// Where a packet to a neighbour goes: its address, or AllSPFRouters on point-to-point
    /// links (the neighbour's address may be in no network of ours).
    pub(super) fn unicast_or_all(&self, i: usize, addr: u32) -> u32 {
        if self.ifaces[i].cfg.ptp {
            ALL_SPF_ROUTERS
        } else {
            addr
        }
    }

    /// The headers of every LSA the neighbour is to hear of.
    fn start_exchange(&mut self, i: usize, id: u32) {
        let area = self.ifaces[i].cfg.area;
        let now = self.now;
        let mut headers: Vec<LsaHeader> = self
            .areas
            .get(&area)
            .map(|db| db.iter().map(|(_, e)| e.header(now)).collect())
            .unwrap_or_default();
        if self.area_cfg(area).carries(lsa_type::EXTERNAL) {
            headers.extend(self.externals.iter().map(|(_, e)| e.header(now)));
        }
        // The DD that answers (slave) or follows (master) the one that ended ExStart goes
        // from dd_accept, with the right sequence number.
        let n = self.ifaces[i].nbrs.get_mut(&id).expect("present");
        n.summary = headers;
    }

    /// The next DD of the exchange (the master's next, or the slave's answer to `seq`).
    fn next_dd(&mut self, i: usize, id: u32) {
        let n = self.ifaces[i].nbrs.get_mut(&id).expect("present");
        let take = n.summary.len().min(DD_HEADERS);
        let headers: Vec<LsaHeader> = n.summary.drain(..take).collect();
        n.more = !n.summary.is_empty();
        let mut flags = if n.more { dd_flags::M } else { 0 };
        if n.master {
            flags |= dd_flags::MS;
        }
        let dd = Dd {
            mtu: 0,
            options: 0,
            flags,
            seq: n.dd_seq,
            headers,
        };
        self.send_dd(i, id, dd);
    }

    fn dd(&mut self, i: usize, from: u32, d: Dd) {
        let Some(n) = self.ifaces[i].nbrs.get(&from).cloned() else {
            return self.drop_for("unknown-neighbor");
        };
        if d.mtu > self.ifaces[i].cfg.mtu {
            // §10.6: a DD announcing a larger MTU is dropped: the adjacency holds in ExStart.
            return self.drop_for("mtu-mismatch");
        }
        let dup = n.last_rx == Some((d.flags, d.seq));
        match n.state {
            State::Init => {
                self.nbr_event(
                    i,
                    from,
                    Event::TwoWayReceived {
                        adj_ok: self.adj_ok(i, from),
                    },
                );
                if self.nbr_state(i, from) == State::ExStart {
                    self.dd(i, from, d);
                }
            }
            State::ExStart => self.dd_exstart(i, from, d),
            State::Exchange => {
                if dup {
                    if !n.master {
                        self.resend_dd(i, from);
                    }
                    return;
                }
                let ms = d.flags & dd_flags::MS != 0;
                let expect = if n.master {
                    n.dd_seq
                } else {
                    n.dd_seq.wrapping_add(1)
                };
                if ms == n.master || d.flags & dd_flags::I != 0 || d.seq != expect {
                    return self.nbr_event(i, from, Event::SeqNumberMismatch);
                }
                self.dd_accept(i, from, d);
            }
            State::Loading | State::Full => {
                if dup && !n.master {
                    self.resend_dd(i, from);
                } else if !dup {
                    self.nbr_event(i, from, Event::SeqNumberMismatch);
                }
            }
            _ => self.drop_for("dd-out-of-state"),
        }
    }

    fn dd_exstart(&mut self, i: usize, from: u32, d: Dd) {
        let me = self.cfg.router_id;
        let init = d.flags & (dd_flags::I | dd_flags::M | dd_flags::MS)
            == (dd_flags::I | dd_flags::M | dd_flags::MS);
        let n = self.ifaces[i].nbrs.get_mut(&from).expect("present");
        if init && d.headers.is_empty() && from > me {
            // It is master: we follow its sequence number.
            n.master = false;
            n.dd_seq = d.seq;
        } else if d.flags & (dd_flags::I | dd_flags::MS) == 0 && d.seq == n.dd_seq && from < me {
            n.master = true;
        } else {
            return;
        }
        self.nbr_event(i, from, Event::NegotiationDone);
        // As master, its answer already carries headers of its own; as slave, its first DD
        // is answered with ours.
        self.dd_accept(i, from, d);
    }

    fn resend_dd(&mut self, i: usize, id: u32) {
        let Some(n) = self.ifaces[i].nbrs.get(&id) else {
            return;
        };
        if let Some(Packet {
            body: Body::Dd(dd), ..
        }) = n.last_dd.clone()
        {
            let dst = self.unicast_or_all(i, n.addr);
            self.send(i, dst, Body::Dd(dd));
        }
    }

    /// Takes in the headers of an accepted DD and answers (§10.8).
    fn dd_accept(&mut self, i: usize, from: u32, d: Dd) {
        let area = self.ifaces[i].cfg.area;
        let now = self.now;
        let mut wanted = Vec::new();
        for h in &d.headers {
            if !self.area_cfg(area).carries(h.key.kind) {
                // §10.6: an LSA type the area does not carry (AS-external in a stub area).
                return self.nbr_event(i, from, Event::SeqNumberMismatch);
            }
            let newer = self.lsdb(area, h.key.kind).get(&h.key).is_none_or(|e| {
                super::lsdb::compare(h, &e.header(now)) == std::cmp::Ordering::Greater
            });
            if newer {
                wanted.push(*h);
            }
        }
        let n = self.ifaces[i].nbrs.get_mut(&from).expect("present");
        n.last_rx = Some((d.flags, d.seq));
        for h in wanted {
            n.requests.insert(h.key, h);
        }
        let their_more = d.flags & dd_flags::M != 0;
        if n.master {
            n.dd_seq = n.dd_seq.wrapping_add(1);
            if !n.more && !their_more && n.summary.is_empty() {
                let left = !n.requests.is_empty();
                n.last_dd = None;
                self.nbr_event(
                    i,
                    from,
                    Event::ExchangeDone {
                        requests_left: left,
                    },
                );
            } else {
                self.next_dd(i, from);
            }
        } else {
            n.dd_seq = d.seq;
            self.next_dd(i, from);
            let n = self.ifaces[i].nbrs.get(&from).expect("present");
            if !their_more && !n.more {
                let left = !n.requests.is_empty();
                self.nbr_event(
                    i,
                    from,
                    Event::ExchangeDone {
                        requests_left: left,
                    },
                );
            }
        }
        if self.nbr_state(i, from) == State::Exchange || self.nbr_state(i, from) == State::Loading {
            self.send_requests(i, from);
        }
    }

    /// Asks for what the neighbour has and we lack (§10.9): one request at a time, the next
    /// when every LSA of the last one has arrived (or when the retransmission timer says
    /// so: `again`), so that updates answering one request do not each trigger another.
    fn send_requests(&mut self, i: usize, id: u32) {
        self.request(i, id, false);
    }

    fn request(&mut self, i: usize, id: u32, again: bool) {
        let Some(n) = self.ifaces[i].nbrs.get_mut(&id) else {
            return;
        };
        let waiting = n.asked.iter().any(|k| n.requests.contains_key(k));
        if n.requests.is_empty() || (waiting && !again) {
            return;
        }
        let keys: Vec<LsaKey> = n.requests.keys().take(LSR_KEYS).copied().collect();
        n.asked = keys.iter().copied().collect();
        let addr = n.addr;
        let dst = self.unicast_or_all(i, addr);
        self.send(i, dst, Body::Lsr(keys));
    }

    fn lsr(&mut self, i: usize, from: u32, keys: Vec<LsaKey>) {
        if self.nbr_state(i, from) < State::Exchange {
            return self.drop_for("lsr-out-of-state");
        }
        let area = self.ifaces[i].cfg.area;
        let now = self.now;
        let mut lsas = Vec::new();
        for k in keys {
            match self.lsdb(area, k.kind).get(&k) {
                Some(e) => lsas.push(e.aged(now)),
                None => return self.nbr_event(i, from, Event::BadLsReq),
            }
        }
        self.send_lsas_to(i, from, lsas);
    }

    /// Sends LSAs to one neighbour (unicast), minding the retransmission list.
    fn send_lsas_to(&mut self, i: usize, id: u32, lsas: Vec<Lsa>) {
        let ptp = self.ifaces[i].cfg.ptp;
        let Some(n) = self.ifaces[i].nbrs.get_mut(&id) else {
            return;
        };
        for l in &lsas {
            n.retransmit.insert(l.header.key, l.header);
        }
        let dst = if ptp { ALL_SPF_ROUTERS } else { n.addr };
        for chunk in lsas.chunks(20) {
            self.send(i, dst, Body::Lsu(chunk.to_vec()));
        }
    }

    fn lsu(&mut self, i: usize, from: u32, lsas: Vec<Lsa>) {
        if self.nbr_state(i, from) < State::Exchange {
            return self.drop_for("lsu-out-of-state");
        }
        let area = self.ifaces[i].cfg.area;
        for lsa in lsas {
            let key = lsa.header.key;
            if !matches!(key.kind, 1..=5 | 7) {
                self.drop_for("unknown-lsa-type");
                continue;
            }
            if !self.area_cfg(area).carries(key.kind) {
                // §13 step 3: an AS-external LSA in a stub area (or type 7 outside an NSSA).
                self.drop_for("lsa-type-not-in-area");
                continue;
            }
            let ours = key.adv == self.cfg.router_id
                || (key.kind == lsa_type::NETWORK
                    && self.ifaces.iter().any(|f| f.cfg.addr.0 == key.id));
            let now = self.now;
            let unknown = self.lsdb(area, key.kind).get(&key).is_none();
            if lsa.header.age == MAX_AGE && !self.exchanging() && unknown {
                // §13 step 4: acknowledge directly, keep nothing.
                let dst = self.unicast_or_all(i, self.ifaces[i].nbrs[&from].addr);
                self.send(i, dst, Body::Ack(vec![lsa.header]));
                continue;
            }
            let header = lsa.header;
            match self.lsdb_mut(area, key.kind).receive(lsa.clone(), now) {
                Received::Installed { .. } => {
                    self.spf_due = true;
                    if let Some(n) = self.ifaces[i].nbrs.get_mut(&from) {
                        n.requests.remove(&key);
                    }
                    if ours {
                        // §13.4: a newer instance of ours: make ours again above it, or
                        // flush what we no longer originate.
                        self.ours_received(area, lsa.clone());
                    } else {
                        self.flood(area, Some((i, from)), &lsa);
                    }
                    self.ifaces[i].acks.push(header);
                }
                Received::Same => {
                    let n = self.ifaces[i].nbrs.get_mut(&from).expect("present");
                    let addr = n.addr;
                    if n.retransmit.remove(&key).is_none() {
                        let dst = self.unicast_or_all(i, addr);
                        self.send(i, dst, Body::Ack(vec![header]));
                    }
                }
                Received::Older => {
                    if let Some(e) = self.lsdb(area, key.kind).get(&key) {
                        let mine = e.aged(now);
                        self.send_lsas_to(i, from, vec![mine]);
                    }
                }
                Received::TooSoon => {}
            }
        }
        let n = self.ifaces[i].nbrs.get(&from).cloned();
        if let Some(n) = n {
            if n.state == State::Loading && n.requests.is_empty() {
                self.nbr_event(i, from, Event::LoadingDone);
            } else if !n.requests.is_empty() {
                self.send_requests(i, from);
            }
        }
    }

    fn ack(&mut self, i: usize, from: u32, headers: Vec<LsaHeader>) {
        let Some(n) = self.ifaces[i].nbrs.get_mut(&from) else {
            return;
        };
        if n.state < State::Exchange {
            return;
        }
        for h in headers {
            // §13.7: an acknowledgment of this very instance (a MaxAge one is another).
            if n.retransmit
                .get(&h.key)
                .is_some_and(|x| lsdb::compare(x, &h) == std::cmp::Ordering::Equal)
            {
                n.retransmit.remove(&h.key);
            }
        }
    }

    /// Floods `lsa` (installed in `area`'s database, or the externals) to every adjacent
    /// neighbour but the one it came from (§13.3).
    pub fn flood(&mut self, area: u32, from: Option<(usize, u32)>, lsa: &Lsa) {
        let external = lsa.header.key.kind == lsa_type::EXTERNAL;
        for i in 0..self.ifaces.len() {
            let f = &self.ifaces[i];
            let wrong_area = if external {
                !self.area_cfg(f.cfg.area).carries(lsa_type::EXTERNAL)
            } else {
                f.cfg.area != area
            };
            if f.cfg.passive || wrong_area {
                continue;
            }
            // On the network it came from, only the DR floods it back (to everyone else).
            let not_back = from.is_some_and(|(fi, _)| fi == i && f.state != IfState::Dr);
            let targets = self.flood_targets(i, from, &lsa.header);
            if targets.is_empty() || not_back {
                continue;
            }
            for id in &targets {
                if let Some(n) = self.ifaces[i].nbrs.get_mut(id) {
                    n.retransmit.insert(lsa.header.key, lsa.header);
                }
            }
            let dst = match self.ifaces[i].state {
                IfState::Dr | IfState::Backup | IfState::PointToPoint => ALL_SPF_ROUTERS,
                _ => ALL_D_ROUTERS,
            };
            self.send(i, dst, Body::Lsu(vec![lsa.clone()]));
        }
    }

    /// §13.3 (1): the neighbours on interface `i` that need `h`. Those still exchanging
    /// lose a request for it that it answers (on every interface, the one it came from too,
    /// or a request answered by another neighbour would wait forever); one that asked for
    /// this very instance, or a newer one, needs nothing more from us.
    fn flood_targets(&mut self, i: usize, from: Option<(usize, u32)>, h: &LsaHeader) -> Vec<u32> {
        let mut targets = Vec::new();
        let mut loaded = Vec::new();
        for n in self.ifaces[i].nbrs.values_mut() {
            if n.state < State::Exchange || Some((i, n.id)) == from {
                continue;
            }
            if n.state < State::Full {
                if let Some(asked) = n.requests.get(&h.key) {
                    let newer = lsdb::compare(h, asked);
                    if newer == std::cmp::Ordering::Less {
                        continue;
                    }
                    n.requests.remove(&h.key);
                    if n.requests.is_empty() && n.state == State::Loading {
                        loaded.push(n.id);
                    }
                    if newer == std::cmp::Ordering::Equal {
                        continue;
                    }
                }
            }
            targets.push(n.id);
        }
        for id in loaded {
            self.nbr_event(i, id, Event::LoadingDone);
        }
        targets
    }

    /// Retransmits unacknowledged LSAs, the master's last DD and outstanding requests.
    pub fn retransmit(&mut self, i: usize) {
        let now = self.now;
        let rxmt = u64::from(self.ifaces[i].cfg.rxmt);
        let area = self.ifaces[i].cfg.area;
        let due: Vec<u32> = self.ifaces[i]
            .nbrs
            .values()
            .filter(|n| n.rxmt_at <= now && n.state >= State::ExStart)
            .map(|n| n.id)
            .collect();
        for id in due {
            let n = self.ifaces[i].nbrs.get_mut(&id).expect("present");
            n.rxmt_at = now + rxmt;
            let (state, master, keys): (State, bool, Vec<LsaKey>) =
                (n.state, n.master, n.retransmit.keys().copied().collect());
            if state == State::ExStart || (state == State::Exchange && master) {
                self.resend_dd(i, id);
            }
            if state >= State::Exchange {
                self.request(i, id, true);
            }
            let lsas: Vec<Lsa> = keys
                .iter()
                .filter_map(|k| self.lsdb(area, k.kind).get(k).map(|e| e.aged(now)))
                .collect();
            if !lsas.is_empty() {
                let addr = self.ifaces[i].nbrs[&id].addr;
                let dst = self.unicast_or_all(i, addr);
                for chunk in lsas.chunks(20) {
                    self.send(i, dst, Body::Lsu(chunk.to_vec()));
                }
            }
        }
    }

    /// Sends the delayed acknowledgments of interface `i` (§13.5).
    pub fn flush_acks(&mut self, i: usize) {
        let acks = std::mem::take(&mut self.ifaces[i].acks);
        if acks.is_empty() {
            return;
        }
        let dst = match self.ifaces[i].state {
            IfState::Dr | IfState::Backup | IfState::PointToPoint => ALL_SPF_ROUTERS,
            _ => ALL_D_ROUTERS,
        };
        for chunk in acks.chunks(50) {
            self.send(i, dst, Body::Ack(chunk.to_vec()));
        }
    }
}
