//! What the running router tells the configuration engine: live state (link, counters),
//! the items of menus it keeps itself (`/ip arp`, routes), actions (`/ping`), and the
//! shortcuts that let a print make only what it shows ([`Hint`], [`Narrowed`]).

use super::expr::{self, Expr};
use super::store::{Item, Store};

/// Interface state the configuration does not hold: link and counters.
pub trait Live {
    /// Whether the port named `default_name` (`ether1`) has link.
    fn running(&self, default_name: &str) -> bool;
    /// Whether the tunnel named `name` is up (enabled, and answering keepalives when it
    /// sends them).
    fn tunnel_running(&self, _name: &str) -> bool {
        true
    }
    /// Counters of the VLAN or tunnel interface named `name` (what went in and out of it).
    fn tunnel_stats(&self, _name: &str) -> Option<IfStats> {
        None
    }
    /// Counters of the port named `default_name`.
    fn stats(&self, default_name: &str) -> Option<IfStats>;
    /// The items of a menu the running router keeps (`/ip arp`); `None`: the menu's items
    /// are the configuration's.
    fn items(&self, _path: &[&str], _store: &Store) -> Option<Vec<Item>> {
        None
    }
    /// Whether a configured item cannot run, and why (a BGP connection without an AS).
    fn inactive(&self, _path: &[&str], _item: &Item) -> Option<String> {
        None
    }
    /// Runs an action (`/ping`, `/routing bgp session reset`) with its checked arguments;
    /// a long one stops when `cancel` is set.
    fn act(
        &self,
        action: &super::action::Action,
        _args: &super::action::ActionArgs,
        _cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<String, String> {
        Err(format!("{}: this router cannot run it", action.verb))
    }
    /// How many items [`Live::items`] would give, without making them (`print count-only`
    /// without `where`); `None`: count the items.
    fn count(&self, _path: &[&str], _store: &Store) -> Option<usize> {
        None
    }
    /// Only the items that can satisfy `hint` (a `where` narrowed to equalities every
    /// printed item must meet), each with its place in the whole list, and the whole list's
    /// length: a print of one route among a million makes one item. `None`: no such
    /// shortcut, [`Live::items`] is used.
    fn narrowed(&self, _path: &[&str], _store: &Store, _hint: &Hint) -> Option<Narrowed> {
        None
    }
}

/// Equalities every item a `print where` shows must meet (`dst-address=10.0.0.0/24` and
/// the like, at the top of the expression or of a top-level `and`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint {
    /// (property, value) pairs.
    pub eq: Vec<(String, String)>,
}

impl Hint {
    /// The equalities of `e` that every item it accepts meets.
    pub fn of(e: &Expr) -> Hint {
        let mut eq = Vec::new();
        let mut take = |e: &Expr| {
            if let Expr::Cmp(name, expr::Op::Eq, value, _) = e {
                eq.push((name.clone(), value.clone()));
            }
        };
        match e {
            Expr::And(list) => list.iter().for_each(&mut take),
            other => take(other),
        }
        Hint { eq }
    }

    /// The value `name` must equal, if the hint says.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.eq
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A narrowed list (see [`Live::narrowed`]).
#[derive(Debug, Clone, Default)]
pub struct Narrowed {
    /// The items that may match, each with its place in the whole list.
    pub rows: Vec<(usize, Item)>,
    /// The length of the whole list.
    pub total: usize,
}

/// Counters of one interface, as `/interface print stats` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfStats {
    /// Packets dropped by the dataplane, by reason (`no-route`, `ttl-expired`, …).
    pub drops: Vec<(&'static str, u64)>,
    /// Per worker: (packets received, packets sent).
    pub workers: Vec<(u64, u64)>,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Received packets dropped.
    pub rx_drop: u64,
    /// Packets to send dropped.
    pub tx_drop: u64,
    /// Packets dropped because a transmit queue was full.
    pub tx_queue_drop: u64,
    /// Receive errors.
    pub rx_error: u64,
    /// Transmit errors.
    pub tx_error: u64,
}

/// No live data (tests, tools): nothing runs, no counters.
pub struct NoLive;

impl Live for NoLive {
    fn running(&self, _: &str) -> bool {
        false
    }
    fn stats(&self, _: &str) -> Option<IfStats> {
        None
    }
}
