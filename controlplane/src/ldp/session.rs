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
    let params = SessionParams::ours(KEEPALIVE, (ends.peer, 0));
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

#[cfg(test)]
mod tests {
    //! Sessions over real TCP on the loopback: two of ours coming up and exchanging a
    //! mapping, and a raw peer breaking the rules (RFC 5036's Notifications come back).
    use super::*;
    use crate::ldp::packet::{decode, Fec};
    use tokio::net::TcpListener;

    const A: u32 = 0x0a05_0502;
    const B: u32 = 0x0a05_0503;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let (c, s) = tokio::join!(TcpStream::connect(addr), l.accept());
        (c.unwrap(), s.unwrap().0)
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<ToInstance>) -> ToInstance {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("in time")
            .expect("a message")
    }

    #[test]
    fn two_sessions_come_up_and_carry_a_mapping() {
        rt().block_on(async {
            let (a_sock, b_sock) = pair().await;
            let (a_tx, mut a_rx) = mpsc::unbounded_channel();
            let (b_tx, mut b_rx) = mpsc::unbounded_channel();
            let a = Ends {
                ours: A,
                peer: B,
                active: true,
                gen: 1,
            };
            let b = Ends {
                ours: B,
                peer: A,
                active: false,
                gen: 7,
            };
            tokio::spawn(run(a_sock, a, a_tx));
            tokio::spawn(run(b_sock, b, b_tx));
            let ToInstance::Up {
                peer,
                tx,
                keepalive,
                ..
            } = next(&mut a_rx).await
            else {
                panic!("A up first")
            };
            assert_eq!((peer, keepalive), (B, KEEPALIVE));
            let ToInstance::Up { peer, gen, .. } = next(&mut b_rx).await else {
                panic!("B up")
            };
            assert_eq!((peer, gen), (A, 7));
            let p = "10.9.0.0/16".parse().unwrap();
            tx.send(vec![make::label(
                msg::LABEL_MAPPING,
                5,
                &[Fec::Prefix(p)],
                Some(99),
            )])
            .unwrap();
            let ToInstance::Message { peer, msg: m, .. } = next(&mut b_rx).await else {
                panic!("a message at B")
            };
            assert_eq!((peer, m.kind, m.label()), (A, msg::LABEL_MAPPING, Some(99)));
            assert_eq!(m.fecs(), Some(vec![Fec::Prefix(p)]));
            drop(tx);
        });
    }

    /// A raw peer as B: what it reads back from our session (as A, passive).
    async fn raw(send: Vec<Vec<u8>>) -> (Vec<Message>, ToInstance) {
        let (ours, mut theirs) = pair().await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let ends = Ends {
            ours: A,
            peer: B,
            active: false,
            gen: 1,
        };
        tokio::spawn(run(ours, ends, tx));
        for b in send {
            theirs.write_all(&b).await.unwrap();
        }
        let mut got = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), theirs.read_to_end(&mut got)).await;
        let mut msgs = Vec::new();
        let mut at = 0;
        while let Ok(Some(n)) = packet::frame(&got[at..], 65_539) {
            msgs.extend(decode(&got[at..at + n]).unwrap().0.messages);
            at += n;
        }
        let last = loop {
            match next(&mut rx).await {
                d @ ToInstance::Down { .. } => break d,
                _ => continue,
            }
        };
        (msgs, last)
    }

    fn pdu(lsr: u32, msgs: Vec<Message>) -> Vec<u8> {
        Pdu {
            lsr_id: lsr,
            label_space: 0,
            messages: msgs,
        }
        .encode()
    }

    fn status_of(m: &Message) -> (u32, bool) {
        let s = m.status().unwrap();
        (s.0, s.1)
    }

    #[test]
    fn a_mapping_before_initialization_is_refused() {
        rt().block_on(async {
            let p = "10.9.0.0/16".parse().unwrap();
            let m = make::label(msg::LABEL_MAPPING, 1, &[Fec::Prefix(p)], Some(20));
            let (msgs, down) = raw(vec![pdu(B, vec![m])]).await;
            let n = msgs
                .iter()
                .find(|m| m.kind == msg::NOTIFICATION)
                .expect("a notification");
            assert_eq!(status_of(n), (status::SHUTDOWN, true));
            assert!(matches!(down, ToInstance::Down { peer: B, .. }));
        });
    }

    #[test]
    fn a_pdu_from_the_wrong_lsr_and_garbage_are_refused() {
        rt().block_on(async {
            let (msgs, _) = raw(vec![pdu(0x0101_0101, vec![make::keepalive(1)])]).await;
            let n = msgs
                .iter()
                .find(|m| m.kind == msg::NOTIFICATION)
                .expect("a notification");
            assert_eq!(status_of(n), (status::BAD_LDP_ID, true));
            let (msgs, _) = raw(vec![vec![0, 9, 0, 20, 1, 2, 3, 4, 0, 0]]).await;
            let n = msgs
                .iter()
                .find(|m| m.kind == msg::NOTIFICATION)
                .expect("a notification");
            assert_eq!(status_of(n), (status::BAD_VERSION, true));
            let (msgs, _) = raw(vec![vec![0, 1, 0, 2, 1, 2]]).await;
            let n = msgs
                .iter()
                .find(|m| m.kind == msg::NOTIFICATION)
                .expect("a notification");
            assert_eq!(status_of(n), (status::BAD_PDU_LENGTH, true));
        });
    }

    #[test]
    fn an_initialization_for_someone_else_is_rejected() {
        rt().block_on(async {
            let p = SessionParams::ours(30, (0x0909_0909, 0));
            let (msgs, _) = raw(vec![pdu(B, vec![make::initialization(1, &p)])]).await;
            let n = msgs
                .iter()
                .find(|m| m.kind == msg::NOTIFICATION)
                .expect("a notification");
            assert_eq!(status_of(n), (status::REJECTED_NO_HELLO, true));
        });
    }

    #[test]
    fn an_unknown_message_without_the_u_bit_gets_an_advisory_and_the_session_stays() {
        rt().block_on(async {
            let (ours, mut theirs) = pair().await;
            let (tx, mut rx) = mpsc::unbounded_channel();
            let ends = Ends {
                ours: A,
                peer: B,
                active: false,
                gen: 1,
            };
            tokio::spawn(run(ours, ends, tx));
            let p = SessionParams::ours(30, (A, 0));
            theirs
                .write_all(&pdu(B, vec![make::initialization(1, &p)]))
                .await
                .unwrap();
            theirs
                .write_all(&pdu(B, vec![make::keepalive(2)]))
                .await
                .unwrap();
            assert!(matches!(next(&mut rx).await, ToInstance::Up { .. }));
            let odd = Message {
                u: false,
                kind: 0x3e00,
                id: 3,
                tlvs: Vec::new(),
            };
            theirs.write_all(&pdu(B, vec![odd])).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !got.iter().any(|m: &Message| m.kind == msg::NOTIFICATION) {
                let n = tokio::time::timeout(Duration::from_secs(3), theirs.read(&mut buf))
                    .await
                    .unwrap()
                    .unwrap();
                assert!(n > 0, "the session stays open");
                let mut at = 0;
                while let Ok(Some(len)) = packet::frame(&buf[at..n], 65_539) {
                    got.extend(decode(&buf[at..at + len]).unwrap().0.messages);
                    at += len;
                }
            }
            let n = got.iter().find(|m| m.kind == msg::NOTIFICATION).unwrap();
            assert_eq!(status_of(n), (status::UNKNOWN_MESSAGE, false));
            assert_eq!(n.status().unwrap().2, 3, "about message 3");
        });
    }
}
