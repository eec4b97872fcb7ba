//! The BGP finite state machine of RFC 4271 §8, as a pure function of (state, event).
//! The session task turns the actions into socket and timer operations; collisions of
//! two connections (§6.8) are resolved by [`collision_keeps_outgoing`].

use super::packet::{err, Notification};

/// Session states (RFC 4271 §8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not trying.
    Idle,
    /// Connecting.
    Connect,
    /// Waiting for the peer to connect.
    Active,
    /// OPEN sent, waiting for the peer's.
    OpenSent,
    /// OPENs exchanged, waiting for a KEEPALIVE.
    OpenConfirm,
    /// Up.
    Established,
}

impl State {
    /// As `print` shows it.
    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Connect => "connect",
            State::Active => "active",
            State::OpenSent => "opensent",
            State::OpenConfirm => "openconfirm",
            State::Established => "established",
        }
    }
}

/// What happens to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// ManualStart (connect=yes) or ManualStart_with_PassiveTcpEstablishment (listen only).
    Start {
        /// Whether to connect, not only listen.
        active: bool,
    },
    /// ManualStop (or a configuration change): the NOTIFICATION to send.
    Stop(Notification),
    /// ConnectRetryTimer_Expires.
    ConnectRetryExpired,
    /// HoldTimer_Expires.
    HoldExpired,
    /// KeepaliveTimer_Expires.
    KeepaliveExpired,
    /// Tcp_CR_Acked / TcpConnectionConfirmed: a connection is up.
    TcpConnected,
    /// TcpConnectionFails.
    TcpFailed,
    /// BGPOpen with the negotiated hold and keepalive times (seconds, 0: none).
    Open {
        /// Negotiated hold time.
        hold: u16,
        /// Keepalive interval.
        keepalive: u16,
    },
    /// BGPHeaderErr, BGPOpenMsgErr, UpdateMsgErr: the NOTIFICATION to send.
    Error(Notification),
    /// NotifMsg.
    Notification,
    /// KeepAliveMsg.
    Keepalive,
    /// UpdateMsg (or ROUTE-REFRESH, which RFC 2918 handles alike).
    Update,
}

/// What the session task is to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a TCP connection to the peer.
    Connect,
    /// Send our OPEN.
    SendOpen,
    /// Send a KEEPALIVE.
    SendKeepalive,
    /// Send a NOTIFICATION.
    SendNotification(Notification),
    /// Close the connection (and give up any attempt in progress).
    Close,
    /// (Re)start the ConnectRetry timer.
    StartConnectRetry,
    /// Stop the ConnectRetry timer.
    StopConnectRetry,
    /// (Re)arm the hold timer for this many seconds (0: stop it).
    Hold(u16),
    /// Re-arm the hold timer with the negotiated time (a message came in).
    RestartHold,
    /// (Re)arm the keepalive timer (0: stop it).
    KeepaliveEvery(u16),
    /// The session is up: routes may flow.
    Up,
    /// The session went down from Established or a handshake failed: drop its routes.
    Down,
}

/// The large hold time while waiting for an OPEN (RFC 4271 §8.2.2: 4 minutes suggested).
pub const OPEN_HOLD: u16 = 240;

fn fsm_error(state: State) -> Notification {
    // RFC 6608 subcodes.
    let sub = match state {
        State::OpenSent => 1,
        State::OpenConfirm => 2,
        State::Established => 3,
        _ => 0,
    };
    Notification::new(err::FSM, sub, [])
}

/// One step: the next state and what to do.
pub fn step(state: State, ev: Event) -> (State, Vec<Action>) {
    use Action as A;
    use Event as E;
    use State as S;
    let teardown = |mut pre: Vec<Action>| {
        pre.extend([A::Close, A::Hold(0), A::KeepaliveEvery(0), A::Down]);
        pre.push(A::StartConnectRetry);
        (S::Idle, pre)
    };
    match (state, ev) {
        (S::Idle, E::Start { active: true }) => {
            (S::Connect, vec![A::StartConnectRetry, A::Connect])
        }
        (S::Idle, E::Start { active: false }) => (S::Active, vec![A::StartConnectRetry]),
        (S::Idle, E::ConnectRetryExpired) => (S::Idle, vec![]),
        (S::Idle, _) => (S::Idle, vec![]),
        (_, E::Start { .. }) => (state, vec![]),
        (S::Connect | S::Active, E::Stop(_)) => (S::Idle, vec![A::Close, A::StopConnectRetry]),
        (_, E::Stop(n)) => {
            let (_, mut a) = teardown(vec![A::SendNotification(n)]);
            a.retain(|x| *x != A::StartConnectRetry);
            a.push(A::StopConnectRetry);
            (S::Idle, a)
        }
        (S::Connect, E::ConnectRetryExpired) => {
            (S::Connect, vec![A::Close, A::StartConnectRetry, A::Connect])
        }
        (S::Active, E::ConnectRetryExpired) => (S::Connect, vec![A::StartConnectRetry, A::Connect]),
        (S::Connect | S::Active, E::TcpConnected) => (
            S::OpenSent,
            vec![A::StopConnectRetry, A::SendOpen, A::Hold(OPEN_HOLD)],
        ),
        (S::Connect | S::Active, E::TcpFailed) => (S::Active, vec![A::Close, A::StartConnectRetry]),
        (S::Connect | S::Active, _) => (state, vec![A::Close, A::StartConnectRetry]),
        (S::OpenSent, E::Open { hold, keepalive }) => (
            S::OpenConfirm,
            vec![
                A::SendKeepalive,
                A::Hold(hold),
                A::KeepaliveEvery(keepalive),
            ],
        ),
        (S::OpenSent, E::TcpFailed) => (S::Active, vec![A::Close, A::StartConnectRetry]),
        (S::OpenConfirm | S::Established, E::TcpFailed) => teardown(vec![]),
        (S::OpenConfirm, E::Keepalive) => (S::Established, vec![A::RestartHold, A::Up]),
        (S::OpenConfirm | S::Established, E::KeepaliveExpired) => (state, vec![A::SendKeepalive]),
        (S::Established, E::Keepalive | E::Update) => (S::Established, vec![A::RestartHold]),
        (_, E::HoldExpired) => teardown(vec![A::SendNotification(Notification::new(
            err::HOLD_EXPIRED,
            0,
            [],
        ))]),
        (_, E::Error(n)) => teardown(vec![A::SendNotification(n)]),
        (_, E::Notification) => teardown(vec![]),
        (_, E::ConnectRetryExpired) => (state, vec![]),
        (s, _) => teardown(vec![A::SendNotification(fsm_error(s))]),
    }
}

/// RFC 4271 §6.8: of two connections with the same peer, the one opened by the side
/// with the higher BGP identifier survives. `true`: keep the one we opened.
pub fn collision_keeps_outgoing(local_id: u32, remote_id: u32) -> bool {
    local_id > remote_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Event as E;
    use State as S;

    fn run(events: Vec<Event>) -> (State, Vec<Vec<Action>>) {
        let mut s = S::Idle;
        let mut all = vec![];
        for e in events {
            let (n, a) = step(s, e);
            s = n;
            all.push(a);
        }
        (s, all)
    }

    #[test]
    fn active_open_to_established_and_back() {
        let (s, a) = run(vec![
            E::Start { active: true },
            E::TcpConnected,
            E::Open {
                hold: 90,
                keepalive: 30,
            },
            E::Keepalive,
        ]);
        assert_eq!(s, S::Established);
        assert_eq!(a[0], [A::StartConnectRetry, A::Connect]);
        assert_eq!(a[1], [A::StopConnectRetry, A::SendOpen, A::Hold(OPEN_HOLD)]);
        assert_eq!(a[2], [A::SendKeepalive, A::Hold(90), A::KeepaliveEvery(30)]);
        assert_eq!(a[3], [A::RestartHold, A::Up]);
        let (s, a) = step(S::Established, E::HoldExpired);
        assert_eq!(s, S::Idle);
        assert_eq!(
            a[0],
            A::SendNotification(Notification::new(err::HOLD_EXPIRED, 0, []))
        );
        assert!(a.contains(&A::Down) && a.contains(&A::Close));
        assert_eq!(step(S::Established, E::Update).1, [A::RestartHold]);
    }

    #[test]
    fn passive_open_waits_then_connects_on_retry() {
        let (s, _) = run(vec![E::Start { active: false }]);
        assert_eq!(s, S::Active);
        assert_eq!(step(S::Active, E::TcpConnected).0, S::OpenSent);
        assert_eq!(step(S::Connect, E::TcpFailed).0, S::Active);
        assert_eq!(step(S::Active, E::ConnectRetryExpired).0, S::Connect);
    }

    #[test]
    fn unexpected_messages_are_fsm_errors() {
        // A KEEPALIVE before the OPEN: RFC 6608 subcode 1.
        let (s, a) = step(S::OpenSent, E::Keepalive);
        assert_eq!(s, S::Idle);
        assert_eq!(
            a[0],
            A::SendNotification(Notification::new(err::FSM, 1, []))
        );
        // An OPEN when established: subcode 3.
        let (_, a) = step(
            S::Established,
            E::Open {
                hold: 3,
                keepalive: 1,
            },
        );
        assert_eq!(
            a[0],
            A::SendNotification(Notification::new(err::FSM, 3, []))
        );
        // An UPDATE in OpenConfirm: subcode 2.
        let (_, a) = step(S::OpenConfirm, E::Update);
        assert_eq!(
            a[0],
            A::SendNotification(Notification::new(err::FSM, 2, []))
        );
    }

    #[test]
    fn notification_and_stop() {
        let (s, a) = step(S::Established, E::Notification);
        assert_eq!(s, S::Idle);
        assert!(!a.iter().any(|x| matches!(x, A::SendNotification(_))));
        let cease = Notification::new(err::CEASE, err::ADMIN_SHUTDOWN, []);
        let (s, a) = step(S::OpenConfirm, E::Stop(cease.clone()));
        assert_eq!(s, S::Idle);
        assert_eq!(a[0], A::SendNotification(cease));
        assert!(!a.contains(&A::StartConnectRetry));
        // Idle ignores everything but Start.
        assert_eq!(step(S::Idle, E::Keepalive), (S::Idle, vec![]));
    }

    #[test]
    fn collision_rule() {
        assert!(collision_keeps_outgoing(0x0a000002, 0x0a000001));
        assert!(!collision_keeps_outgoing(0x0a000001, 0x0a000002));
    }
}
