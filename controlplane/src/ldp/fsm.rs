//! The LDP session state machine of RFC 5036 §2.5.4 as a pure function
//! `(state, event) -> (state, actions)`, and the rules around it: which side opens the TCP
//! connection (§2.5.2: the higher transport address is active), the session parameters
//! agreed at Initialization (§3.5.3: the smaller KeepAlive time, the receiver's identifier
//! must be ours).
//!
//! ```text
//!   NON EXISTENT --connected--> INITIALIZED
//!   INITIALIZED  --active: send Init--> OPENSENT
//!   INITIALIZED  --passive: Init ok / send Init, KeepAlive--> OPENREC
//!   OPENSENT     --Init ok / send KeepAlive--> OPENREC
//!   OPENREC      --KeepAlive--> OPERATIONAL
//!   any other message before OPERATIONAL, a bad Init, a timeout / Notification--> NON EXISTENT
//!   OPERATIONAL  --Shutdown, a fatal Notification, KeepAlive timeout--> NON EXISTENT
//! ```

use super::packet::{msg, status, SessionParams};

/// A session's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No session (no TCP connection).
    NonExistent,
    /// TCP connected, no Initialization exchanged yet.
    Initialized,
    /// Our Initialization sent, waiting for the peer's (the active side).
    OpenSent,
    /// Initializations exchanged, waiting for the peer's KeepAlive.
    OpenRec,
    /// Up: labels flow.
    Operational,
}

impl State {
    /// The name `/mpls ldp neighbor print` and logs use.
    pub fn name(self) -> &'static str {
        match self {
            State::NonExistent => "non-existent",
            State::Initialized => "initialized",
            State::OpenSent => "open-sent",
            State::OpenRec => "open-rec",
            State::Operational => "operational",
        }
    }
}

/// What happens to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The TCP connection is up; `active`: we opened it (we have the higher transport
    /// address).
    Connected {
        /// We are the active side.
        active: bool,
    },
    /// An Initialization whose parameters are acceptable.
    InitAccepted,
    /// An Initialization that is not (the status says why: a wrong receiver identifier,
    /// a KeepAlive time of 0...).
    InitRejected(u32),
    /// A KeepAlive.
    KeepAlive,
    /// Any other message, by type.
    Message(u16),
    /// A Notification: its status code and whether it is fatal.
    Notification(u32, bool),
    /// The session's timer ran out (no Initialization in time, or no message within the
    /// KeepAlive time once up).
    Timeout,
    /// The TCP connection closed under us.
    Closed,
    /// We end the session (configuration removed, shutdown).
    Stop,
}

/// What the session must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send our Initialization.
    SendInit,
    /// Send a KeepAlive.
    SendKeepAlive,
    /// Send a Notification (status code; fatal).
    Notify(u32, bool),
    /// (Re)start the session timer: the Initialization wait, or the KeepAlive hold time.
    StartTimer,
    /// The session is up: advertise addresses and labels.
    Up,
    /// The session is gone: withdraw what it brought, close the connection.
    Down,
}

/// One step of the state machine.
pub fn step(state: State, event: Event) -> (State, Vec<Action>) {
    use Action::*;
    use State::*;
    let down = |notify: Option<(u32, bool)>| -> (State, Vec<Action>) {
        let mut a: Vec<Action> = notify.map(|(c, f)| Notify(c, f)).into_iter().collect();
        a.push(Down);
        (NonExistent, a)
    };
    match (state, event) {
        (_, Event::Stop) if state != NonExistent => down(Some((status::SHUTDOWN, true))),
        (_, Event::Closed) if state != NonExistent => down(None),
        (NonExistent, Event::Connected { active: true }) => (OpenSent, vec![SendInit, StartTimer]),
        (NonExistent, Event::Connected { active: false }) => (Initialized, vec![StartTimer]),
        (NonExistent, _) => (NonExistent, vec![]),
        // A fatal Notification ends the session in any state; an advisory one changes
        // nothing once up, and before that it is a message out of turn.
        (Operational, Event::Notification(_, false)) => (Operational, vec![]),
        (_, Event::Notification(_, true)) => down(None),
        (Initialized, Event::InitAccepted) => (OpenRec, vec![SendInit, SendKeepAlive, StartTimer]),
        (OpenSent, Event::InitAccepted) => (OpenRec, vec![SendKeepAlive, StartTimer]),
        (Initialized | OpenSent, Event::InitRejected(code)) => down(Some((code, true))),
        (OpenRec, Event::KeepAlive) => (Operational, vec![Up, StartTimer]),
        (Operational, Event::KeepAlive | Event::Message(_)) => (Operational, vec![StartTimer]),
        (Operational, Event::InitAccepted | Event::InitRejected(_)) => {
            // An Initialization once up is a message out of turn.
            down(Some((status::SHUTDOWN, true)))
        }
        (_, Event::Timeout) if state == Operational => {
            down(Some((status::KEEPALIVE_EXPIRED, true)))
        }
        (_, Event::Timeout) => down(Some((status::SHUTDOWN, true))),
        // Anything else before Operational is out of turn: the session is refused.
        (Initialized | OpenSent | OpenRec, _) => down(Some((status::SHUTDOWN, true))),
        (Operational, _) => (Operational, vec![]),
    }
}

/// Whether we open the TCP connection: the side with the higher transport address is active
/// (RFC 5036 §2.5.2).
pub fn active(local_transport: u32, remote_transport: u32) -> bool {
    local_transport > remote_transport
}

/// The parameters of a session, agreed from ours and the peer's Initialization, or the
/// status to refuse it with: the receiver identifier must be ours (Session Rejected/No
/// Hello when no hello from the peer made us expect it), a KeepAlive time of 0 is refused
/// (Bad KeepAlive Time), the version must be 1; the KeepAlive time is the smaller of the two.
pub fn negotiate(
    ours: &SessionParams,
    theirs: &SessionParams,
    our_id: (u32, u16),
) -> Result<SessionParams, u32> {
    if theirs.version != 1 {
        return Err(status::BAD_VERSION);
    }
    if theirs.receiver != our_id {
        return Err(status::REJECTED_NO_HELLO);
    }
    if theirs.keepalive == 0 {
        return Err(0x18);
    }
    Ok(SessionParams {
        keepalive: ours.keepalive.min(theirs.keepalive),
        max_pdu: match (ours.max_pdu, theirs.max_pdu) {
            (0, x) | (x, 0) => x,
            (a, b) => a.min(b),
        },
        ..*ours
    })
}

/// The event a received message makes (Initialization is checked by [`negotiate`] first).
pub fn event_of(kind: u16) -> Event {
    match kind {
        msg::KEEPALIVE => Event::KeepAlive,
        other => Event::Message(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use State::*;

    /// Runs `events` from `start`; returns the states passed through and every action.
    fn run(start: State, events: &[Event]) -> (Vec<State>, Vec<Action>) {
        let mut s = start;
        let mut states = Vec::new();
        let mut actions = Vec::new();
        for e in events {
            let (next, a) = step(s, *e);
            s = next;
            states.push(s);
            actions.extend(a);
        }
        (states, actions)
    }

    #[test]
    fn the_active_side_comes_up() {
        let (states, actions) = run(
            NonExistent,
            &[
                Event::Connected { active: true },
                Event::InitAccepted,
                Event::KeepAlive,
                Event::Message(msg::LABEL_MAPPING),
            ],
        );
        assert_eq!(states, [OpenSent, OpenRec, Operational, Operational]);
        assert_eq!(
            actions,
            [
                SendInit,
                StartTimer,
                SendKeepAlive,
                StartTimer,
                Up,
                StartTimer,
                StartTimer
            ]
        );
    }

    #[test]
    fn the_passive_side_comes_up() {
        let (states, actions) = run(
            NonExistent,
            &[
                Event::Connected { active: false },
                Event::InitAccepted,
                Event::KeepAlive,
            ],
        );
        assert_eq!(states, [Initialized, OpenRec, Operational]);
        assert_eq!(
            actions,
            [
                StartTimer,
                SendInit,
                SendKeepAlive,
                StartTimer,
                Up,
                StartTimer
            ]
        );
    }

    #[test]
    fn out_of_turn_rejected_and_timeouts_end_the_session() {
        // A mapping before Initialization: refused.
        let (s, a) = step(Initialized, Event::Message(msg::LABEL_MAPPING));
        assert_eq!(
            (s, a),
            (NonExistent, vec![Notify(status::SHUTDOWN, true), Down])
        );
        // An Initialization that names another receiver.
        let (s, a) = step(OpenSent, Event::InitRejected(status::REJECTED_NO_HELLO));
        assert_eq!(
            (s, a),
            (
                NonExistent,
                vec![Notify(status::REJECTED_NO_HELLO, true), Down]
            )
        );
        // No KeepAlive after the Initializations.
        let (s, a) = step(OpenRec, Event::Timeout);
        assert_eq!(
            (s, a),
            (NonExistent, vec![Notify(status::SHUTDOWN, true), Down])
        );
        // Up, then nothing within the KeepAlive time.
        let (s, a) = step(Operational, Event::Timeout);
        assert_eq!(
            (s, a),
            (
                NonExistent,
                vec![Notify(status::KEEPALIVE_EXPIRED, true), Down]
            )
        );
        // A fatal Notification from the peer; an advisory one changes nothing once up.
        assert_eq!(
            step(Operational, Event::Notification(status::SHUTDOWN, true)),
            (NonExistent, vec![Down])
        );
        assert_eq!(
            step(
                Operational,
                Event::Notification(status::LOOP_DETECTED, false)
            ),
            (Operational, vec![])
        );
        // The connection closing; our own stop.
        assert_eq!(step(OpenRec, Event::Closed), (NonExistent, vec![Down]));
        assert_eq!(
            step(Operational, Event::Stop),
            (NonExistent, vec![Notify(status::SHUTDOWN, true), Down])
        );
        // Nothing happens to a session that does not exist.
        assert_eq!(step(NonExistent, Event::KeepAlive), (NonExistent, vec![]));
        assert_eq!(step(NonExistent, Event::Stop), (NonExistent, vec![]));
    }

    #[test]
    fn roles_and_parameters() {
        assert!(active(0x0aff_0002, 0x0aff_0001));
        assert!(!active(0x0aff_0001, 0x0aff_0002));
        let ours = SessionParams::ours(30, (0x0aff_0002, 0));
        let theirs = SessionParams {
            keepalive: 15,
            receiver: (0x0aff_0001, 0),
            max_pdu: 4096,
            ..ours
        };
        let me = (0x0aff_0001, 0);
        let agreed = negotiate(&ours, &theirs, me).unwrap();
        assert_eq!((agreed.keepalive, agreed.max_pdu), (15, 4096));
        assert_eq!(
            negotiate(
                &ours,
                &SessionParams {
                    receiver: (9, 0),
                    ..theirs
                },
                me
            ),
            Err(status::REJECTED_NO_HELLO)
        );
        assert_eq!(
            negotiate(
                &ours,
                &SessionParams {
                    keepalive: 0,
                    ..theirs
                },
                me
            ),
            Err(0x18)
        );
        assert_eq!(
            negotiate(
                &ours,
                &SessionParams {
                    version: 2,
                    ..theirs
                },
                me
            ),
            Err(status::BAD_VERSION)
        );
        assert_eq!(event_of(msg::KEEPALIVE), Event::KeepAlive);
        assert_eq!(event_of(msg::ADDRESS), Event::Message(msg::ADDRESS));
    }
}
