//! The neighbour state machine (RFC 2328 §10.3), pure: a state and an event give the next
//! state and what to do. Whether an adjacency should form (§10.4) is the interface's
//! knowledge and comes with the events that need it.

/// Neighbour states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Nothing heard.
    Down,
    /// (NBMA only.)
    Attempt,
    /// A Hello heard, ours not yet in it.
    Init,
    /// Two-way communication; no adjacency (or not yet).
    TwoWay,
    /// Master and slave being decided.
    ExStart,
    /// Database descriptions exchanged.
    Exchange,
    /// LSAs requested, still missing.
    Loading,
    /// Adjacent.
    Full,
}

impl State {
    /// As RouterOS prints it (`state="Full"`).
    pub fn name(self) -> &'static str {
        match self {
            State::Down => "Down",
            State::Attempt => "Attempt",
            State::Init => "Init",
            State::TwoWay => "2-Way",
            State::ExStart => "ExStart",
            State::Exchange => "Exchange",
            State::Loading => "Loading",
            State::Full => "Full",
        }
    }
}

/// Events (§10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A Hello from the neighbour.
    HelloReceived,
    /// The Hello listed our router id; `adj_ok`: an adjacency should form.
    TwoWayReceived {
        /// §10.4 says to form an adjacency.
        adj_ok: bool,
    },
    /// The Hello did not list us.
    OneWayReceived,
    /// Master/slave decided.
    NegotiationDone,
    /// The last DD exchanged; `requests_left`: LSAs still to request.
    ExchangeDone {
        /// Requests outstanding.
        requests_left: bool,
    },
    /// Every requested LSA arrived.
    LoadingDone,
    /// The DR or BDR changed: recheck whether an adjacency should be.
    AdjOk {
        /// §10.4 says to form an adjacency.
        adj_ok: bool,
    },
    /// A DD out of sequence or otherwise wrong.
    SeqNumberMismatch,
    /// A request for an LSA we do not have.
    BadLsReq,
    /// No Hello within the dead interval.
    InactivityTimer,
    /// The neighbour is to go (interface down, configuration).
    KillNbr,
}

/// What the state machine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// (Re)start the inactivity timer.
    StartInactivityTimer,
    /// Start ExStart: a new DD sequence number, claim master, send an empty DD (I, M, MS).
    StartExStart,
    /// Start sending the database summary in DDs.
    StartExchange,
    /// Send LS Requests for what is missing.
    SendRequests,
    /// Clear the retransmission, summary and request lists.
    ClearLists,
    /// Our LSAs change (a new Full adjacency, or one gone): originate again.
    Reoriginate,
}

use Action::*;
use State::*;

/// The next state and the actions for `event` in `state`.
pub fn step(state: State, event: Event) -> (State, Vec<Action>) {
    match (state, event) {
        (_, Event::KillNbr) | (_, Event::InactivityTimer) => {
            let mut a = vec![ClearLists];
            if state >= ExStart {
                a.push(Reoriginate);
            }
            (Down, a)
        }
        (Down | Attempt, Event::HelloReceived) => (Init, vec![StartInactivityTimer]),
        (_, Event::HelloReceived) => (state, vec![StartInactivityTimer]),
        (Init, Event::TwoWayReceived { adj_ok: true }) => (ExStart, vec![StartExStart]),
        (Init, Event::TwoWayReceived { adj_ok: false }) => (TwoWay, vec![]),
        (_, Event::TwoWayReceived { .. }) => (state, vec![]),
        (state, Event::OneWayReceived) if state >= TwoWay => {
            let mut a = vec![ClearLists];
            if state >= ExStart {
                a.push(Reoriginate);
            }
            (Init, a)
        }
        (_, Event::OneWayReceived) => (state, vec![]),
        (ExStart, Event::NegotiationDone) => (Exchange, vec![StartExchange]),
        (
            Exchange,
            Event::ExchangeDone {
                requests_left: true,
            },
        ) => (Loading, vec![SendRequests]),
        (
            Exchange,
            Event::ExchangeDone {
                requests_left: false,
            },
        ) => (Full, vec![Reoriginate]),
        (Loading, Event::LoadingDone) => (Full, vec![Reoriginate]),
        (TwoWay, Event::AdjOk { adj_ok: true }) => (ExStart, vec![StartExStart]),
        (state, Event::AdjOk { adj_ok: false }) if state >= ExStart => {
            let mut a = vec![ClearLists];
            if state == Full {
                a.push(Reoriginate);
            }
            (TwoWay, a)
        }
        (state, Event::SeqNumberMismatch | Event::BadLsReq) if state >= Exchange => {
            let mut a = vec![ClearLists, StartExStart];
            if state == Full {
                a.push(Reoriginate);
            }
            (ExStart, a)
        }
        (state, _) => (state, vec![]),
    }
}

/// §10.4: whether an adjacency forms with a neighbour: always on point-to-point links; on
/// broadcast networks when either side is the DR or the BDR.
pub fn adj_ok(ptp: bool, me: u32, nbr: u32, dr: u32, bdr: u32) -> bool {
    ptp || me == dr || me == bdr || nbr == dr || nbr == bdr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: State, events: &[Event]) -> (Vec<State>, Vec<Action>) {
        let mut s = start;
        let mut states = Vec::new();
        let mut actions = Vec::new();
        for e in events {
            let (n, a) = step(s, *e);
            s = n;
            states.push(s);
            actions.extend(a);
        }
        (states, actions)
    }

    #[test]
    fn a_neighbour_becomes_adjacent_step_by_step() {
        let (states, actions) = run(
            Down,
            &[
                Event::HelloReceived,
                Event::TwoWayReceived { adj_ok: true },
                Event::HelloReceived,
                Event::NegotiationDone,
                Event::ExchangeDone {
                    requests_left: true,
                },
                Event::LoadingDone,
            ],
        );
        assert_eq!(
            states,
            vec![Init, ExStart, ExStart, Exchange, Loading, Full]
        );
        assert_eq!(
            actions,
            vec![
                StartInactivityTimer,
                StartExStart,
                StartInactivityTimer,
                StartExchange,
                SendRequests,
                Reoriginate
            ]
        );
    }

    #[test]
    fn drothers_stay_two_way_until_one_becomes_dr() {
        let (states, _) = run(
            Down,
            &[
                Event::HelloReceived,
                Event::TwoWayReceived { adj_ok: false },
                Event::AdjOk { adj_ok: false },
                Event::AdjOk { adj_ok: true },
                Event::NegotiationDone,
                Event::ExchangeDone {
                    requests_left: false,
                },
                Event::AdjOk { adj_ok: false },
            ],
        );
        assert_eq!(
            states,
            vec![Init, TwoWay, TwoWay, ExStart, Exchange, Full, TwoWay]
        );
    }

    #[test]
    fn failures_fall_back() {
        assert_eq!(
            step(Full, Event::SeqNumberMismatch),
            (ExStart, vec![ClearLists, StartExStart, Reoriginate])
        );
        assert_eq!(step(Loading, Event::BadLsReq).0, ExStart);
        assert_eq!(step(ExStart, Event::SeqNumberMismatch), (ExStart, vec![]));
        assert_eq!(
            step(Full, Event::OneWayReceived),
            (Init, vec![ClearLists, Reoriginate])
        );
        assert_eq!(
            step(Full, Event::InactivityTimer),
            (Down, vec![ClearLists, Reoriginate])
        );
        assert_eq!(step(Init, Event::KillNbr), (Down, vec![ClearLists]));
        assert_eq!(step(Down, Event::LoadingDone), (Down, vec![]));
    }

    #[test]
    fn who_forms_adjacencies() {
        let (me, a, b) = (1, 2, 3);
        assert!(adj_ok(true, me, a, 0, 0));
        assert!(adj_ok(false, me, a, me, b));
        assert!(adj_ok(false, me, a, b, a));
        assert!(!adj_ok(false, me, a, b, 9));
    }
}
