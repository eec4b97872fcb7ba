//! One LDP session over TCP (RFC 5036 §2.5): Initialization and KeepAlive through the
//! state machine of [`super::fsm`], keepalives, the hold timer, Notifications for what the
//! codec refuses; once Operational, every other message goes to the instance, and the
//! instance's messages go out in PDUs.

use super::fsm::{self, Action, Event, State};
use super::packet::{self, make, msg, status, Message, Pdu, SessionParams};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The keepalive time rspe proposes (s); the session uses the smaller of both sides'.
pub const KEEPALIVE: u16 = 30;
/// How long a session may take to reach Operational.
const INIT_TIMEOUT: Duration = Duration::from_secs(15);

/// What a session tells its instance.
#[derive(Debug)]
pub enum ToInstance {
    /// Operational: messages for the peer go to `tx`.
    Up {
        /// The peer's LSR id.
        peer: u32,
        /// The session's number (a later session of the same peer has a higher one).
        gen: u64,
        /// Where to send messages.
        tx: mpsc::UnboundedSender<Vec<Message>>,
        /// The negotiated keepalive time (s).
        keepalive: u16,
    },
    /// A message from the peer (Address, label messages, advisory Notifications).
    Message {
        /// The peer's LSR id.
        peer: u32,
        /// The session's number.
        gen: u64,
        /// The message.
        msg: Message,
    },
    /// The session ended.
    Down {
        /// The peer's LSR id.
        peer: u32,
        /// The session's number.
        gen: u64,
        /// Why, in words.
        why: String,
    },
}

/// Who the session is between.
#[derive(Debug, Clone, Copy)]
pub struct Ends {
    /// Our LSR id.
    pub ours: u32,
    /// The peer's LSR id.
    pub peer: u32,
    /// Whether we opened the connection (the higher transport address does).
    pub active: bool,
    /// The session's number.
    pub gen: u64,
}

struct Session {
    ends: Ends,
    stream: TcpStream,
    state: State,
    params: SessionParams,
    next_id: u32,
    to_instance: mpsc::UnboundedSender<ToInstance>,
    /// When the peer was last heard.
    heard: Instant,
    /// Why the session ends.
    why: Option<String>,
}

/// Runs a session on a connected stream until it ends; tells the instance.
pub async fn run(stream: TcpStream, ends: Ends, to_instance: mpsc::UnboundedSender<ToInstance>) {
    let params = SessionParams {
        version: packet::VERSION,
        keepalive: KEEPALIVE,
        on_demand: false,
        loop_detection: false,
        pv_limit: 0,
        max_pdu: 0,
        receiver: (ends.peer, 0),
    };
    let mut s = Session {
        ends,
        stream,
        state: State::NonExistent,
        params,
        next_id: 1,
        to_instance,
        heard: Instant::now(),
        why: None,
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<Message>>();
    s.event(
        Event::Connected {
            active: ends.active,
        },
        &tx,
    )
    .await;
    let mut buf = Vec::with_capacity(packet::DEFAULT_MAX_PDU);
    let mut chunk = vec![0u8; 8192];
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_sent = Instant::now();
    while s.why.is_none() {
        tokio::select! {
            r = s.stream.read(&mut chunk) => match r {
                Ok(0) | Err(_) => {
                    s.why.get_or_insert_with(|| "the peer closed the connection".into());
                    s.event(Event::Closed, &tx).await;
                }
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    s.heard = Instant::now();
                    s.take_pdus(&mut buf, &tx).await;
                }
            },
            Some(msgs) = rx.recv() => {
                s.send(msgs).await;
                last_sent = Instant::now();
            },
            _ = tick.tick() => {
                let ka = Duration::from_secs(u64::from(s.params.keepalive.max(1)));
                if s.state != State::Operational && started.elapsed() > INIT_TIMEOUT {
                    s.why.get_or_insert_with(|| "no Initialization in time".into());
                    s.event(Event::Timeout, &tx).await;
                } else if s.state == State::Operational && s.heard.elapsed() > ka {
                    s.why.get_or_insert_with(|| "keepalive timer expired".into());
                    s.event(Event::Timeout, &tx).await;
                } else if s.state == State::Operational && last_sent.elapsed() >= ka / 3 {
                    let id = s.id();
                    s.send(vec![make::keepalive(id)]).await;
                    last_sent = Instant::now();
                }
            }
        }
    }
    let _ = s.stream.shutdown().await;
    let _ = s.to_instance.send(ToInstance::Down {
        peer: ends.peer,
        gen: ends.gen,
        why: s.why.unwrap_or_else(|| "closed".into()),
    });
}

impl Session {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends `msgs` in as few PDUs as the peer takes.
    async fn send(&mut self, msgs: Vec<Message>) {
        let max = usize::from(if self.params.max_pdu == 0 {
            packet::DEFAULT_MAX_PDU as u16
        } else {
            self.params.max_pdu
        });
        let mut pdus: Vec<Pdu> = Vec::new();
        let mut size = packet::HEADER_LEN;
        for m in msgs {
            let mut one = Vec::new();
            m.encode(&mut one);
            if pdus.is_empty() || size + one.len() > max {
                pdus.push(Pdu {
                    lsr_id: self.ends.ours,
                    label_space: 0,
                    messages: Vec::new(),
                });
                size = packet::HEADER_LEN;
            }
            size += one.len();
            if let Some(p) = pdus.last_mut() {
                p.messages.push(m);
            }
        }
        for p in pdus {
            if self.stream.write_all(&p.encode()).await.is_err() {
                self.why
                    .get_or_insert_with(|| "the connection failed".into());
                return;
            }
        }
    }

    /// Runs the state machine on `e` and does what it says.
    async fn event(&mut self, e: Event, tx: &mpsc::UnboundedSender<Vec<Message>>) {
        let (next, actions) = fsm::step(self.state, e);
        self.state = next;
        for a in actions {
            match a {
                Action::SendInit => {
                    let id = self.id();
                    let m = make::initialization(id, &self.params);
                    self.send(vec![m]).await;
                }
                Action::SendKeepAlive => {
                    let id = self.id();
                    self.send(vec![make::keepalive(id)]).await;
                }
                Action::Notify(code, fatal) => {
                    let id = self.id();
                    self.send(vec![make::notification(id, code, fatal, 0, 0)])
                        .await;
                    self.why
                        .get_or_insert_with(|| format!("sent notification {code:#x}"));
                }
                Action::StartTimer => self.heard = Instant::now(),
                Action::Up => {
                    let _ = self.to_instance.send(ToInstance::Up {
                        peer: self.ends.peer,
                        gen: self.ends.gen,
                        tx: tx.clone(),
                        keepalive: self.params.keepalive,
                    });
                }
                Action::Down => {
                    self.why.get_or_insert_with(|| "session down".into());
                }
            }
        }
    }

    /// Takes every whole PDU out of `buf`.
    async fn take_pdus(&mut self, buf: &mut Vec<u8>, tx: &mpsc::UnboundedSender<Vec<Message>>) {
        loop {
            let len = match packet::frame(buf, usize::from(u16::MAX) + 4) {
                Ok(Some(len)) => len,
                Ok(None) => return,
                Err(e) => return self.refuse(e, tx).await,
            };
            let pdu: Vec<u8> = buf.drain(..len).collect();
            let (pdu, advisories) = match packet::decode(&pdu) {
                Ok(x) => x,
                Err(e) => return self.refuse(e, tx).await,
            };
            if pdu.lsr_id != self.ends.peer || pdu.label_space != 0 {
                let e = packet::Error {
                    code: status::BAD_LDP_ID,
                    fatal: true,
                    msg_id: 0,
                    msg_type: 0,
                    why: format!("a PDU from LDP id {}", std::net::Ipv4Addr::from(pdu.lsr_id)),
                };
                return self.refuse(e, tx).await;
            }
            for e in advisories {
                let id = self.id();
                let n = make::notification(id, e.code, false, e.msg_id, e.msg_type);
                self.send(vec![n]).await;
            }
            for m in pdu.messages {
                self.message(m, tx).await;
                if self.state == State::NonExistent {
                    return;
                }
            }
        }
    }

    /// A fatal error: its Notification, and the session ends.
    async fn refuse(&mut self, e: packet::Error, tx: &mpsc::UnboundedSender<Vec<Message>>) {
        let id = self.id();
        let n = make::notification(id, e.code, true, e.msg_id, e.msg_type);
        self.send(vec![n]).await;
        self.why.get_or_insert_with(|| format!("refused: {e}"));
        self.event(Event::Closed, tx).await;
    }

    async fn message(&mut self, m: Message, tx: &mpsc::UnboundedSender<Vec<Message>>) {
        match m.kind {
            msg::INITIALIZATION => {
                let theirs = m.session();
                let r = theirs
                    .ok_or(status::MISSING_PARAMETERS)
                    .and_then(|t| fsm::negotiate(&self.params, &t, (self.ends.ours, 0)));
                match r {
                    Ok(p) if self.state != State::Operational => {
                        self.params = p;
                        self.event(Event::InitAccepted, tx).await;
                    }
                    Ok(_) => self.event(Event::InitAccepted, tx).await,
                    Err(code) => self.event(Event::InitRejected(code), tx).await,
                }
            }
            msg::NOTIFICATION => {
                let (code, fatal) = m.status().map_or((0, false), |s| (s.0, s.1));
                if fatal {
                    self.why
                        .get_or_insert_with(|| format!("received fatal notification {code:#x}"));
                }
                self.event(Event::Notification(code, fatal), tx).await;
                if !fatal && self.state == State::Operational {
                    self.forward(m);
                }
            }
            kind => {
                let was = self.state;
                self.event(fsm::event_of(kind), tx).await;
                if was == State::Operational && kind != msg::KEEPALIVE {
                    self.forward(m);
                }
            }
        }
    }

    fn forward(&self, msg: Message) {
        let _ = self.to_instance.send(ToInstance::Message {
            peer: self.ends.peer,
            gen: self.ends.gen,
            msg,
        });
    }
}
