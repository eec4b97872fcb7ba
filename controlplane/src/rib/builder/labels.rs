//! Label state from label distribution, kept by the builder: what each prefix pushes towards
//! a next hop (the FTN) and what each incoming label does (the LFIB), whose next hops are
//! addresses until the builder finds their adjacencies.

use super::{Builder, Key};
use shared::adj::{LabelStack, NextHop};
use shared::types::{AdjId, Label, NextHopId, Prefix4, TableId};

/// What an incoming label is to do, as label distribution asks it (next hops by address;
/// the builder finds their adjacencies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelWant {
    /// Swap to `out` and send to `next_hop` (a neighbour reached in `table`).
    Swap {
        /// The table the next hop is reached in.
        table: TableId,
        /// The next hop's address.
        next_hop: u32,
        /// The outgoing label.
        out: u32,
    },
    /// Pop and send to `next_hop` (its label is implicit null, or it has none).
    PopForward {
        /// The table the next hop is reached in.
        table: TableId,
        /// The next hop's address.
        next_hop: u32,
    },
    /// Pop and look the packet up in `table` (a VRF's label).
    PopLookup(TableId),
}

/// The builder's label state.
#[derive(Default)]
pub(super) struct LabelState {
    /// (table, prefix) → (next hop, label to push towards it).
    pub(super) ftn: rustc_hash::FxHashMap<(TableId, Prefix4), (u32, u32)>,
    /// Incoming label → what it does.
    pub(super) wanted: std::collections::BTreeMap<u32, LabelWant>,
    /// The LFIB made of `wanted` and the next hops it holds (refcounted in the hop set).
    pub(super) lfib: shared::lfib::Lfib,
    pub(super) held: Vec<NextHopId>,
    /// `wanted`, the neighbours or the ports changed since the LFIB was made.
    pub(super) stale: bool,
    /// The VPN routes whose transport label a (table, prefix)'s FTN entry gave.
    pub(super) riding:
        rustc_hash::FxHashMap<(TableId, Prefix4), rustc_hash::FxHashSet<(TableId, Prefix4)>>,
}

impl Builder {
    /// Label distribution's push for (`table`, `dst`): `Some((next hop, label))` (implicit
    /// null pushes nothing), `None`: plain IP.
    pub fn set_ftn(&mut self, table: TableId, dst: Prefix4, push: Option<(u32, u32)>) {
        let old = match push {
            Some(x) => self.labels.ftn.insert((table, dst), x),
            None => self.labels.ftn.remove(&(table, dst)),
        };
        if old != push {
            self.refresh(table, dst);
            let riding: Vec<(TableId, Prefix4)> = self
                .labels
                .riding
                .get(&(table, dst))
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            for (t, p) in riding {
                self.refresh(t, p);
            }
        }
    }

    /// What a VPN route of (`t`, `p`) pushes towards neighbour `nh`: its VPN label under the
    /// transport label that label distribution gave for the prefix its next hop resolved
    /// through (nothing more when that is implicit null: the PEs are adjacent). `None`
    /// without one: a VPN route without a labelled path is not used (RFC 4364 §5).
    pub(super) fn vpn_push(
        &mut self,
        t: TableId,
        p: Prefix4,
        s: &super::Selected,
        nh: u32,
    ) -> Option<LabelStack> {
        let vpn = s.labels.labels().last()?;
        for via in &s.via {
            self.labels.riding.entry(*via).or_default().insert((t, p));
        }
        let transport = s
            .via
            .iter()
            .find_map(|via| match self.labels.ftn.get(via) {
                Some(&(hop, label)) if hop == nh => Label::try_from(label).ok(),
                _ => None,
            })?;
        LabelStack::new(&[transport, vpn]).ok()
    }

    /// What incoming `label` does (`None`: unbound).
    pub fn set_label(&mut self, label: u32, want: Option<LabelWant>) {
        let old = match want {
            Some(w) => self.labels.wanted.insert(label, w),
            None => self.labels.wanted.remove(&label),
        };
        self.labels.stale |= old != want;
    }

    /// The incoming labels bound now, with what they do (for prints).
    pub fn label_bindings(&self) -> impl Iterator<Item = (u32, &LabelWant)> {
        self.labels.wanted.iter().map(|(l, w)| (*l, w))
    }

    /// The label pushed for (`table`, `dst`) and its next hop.
    pub fn ftn(&self, table: TableId, dst: Prefix4) -> Option<(u32, u32)> {
        self.labels.ftn.get(&(table, dst)).copied()
    }

    /// The port through which table `t` reaches neighbour `ip` on link.
    fn port_towards(&self, t: TableId, ip: u32) -> Option<u16> {
        self.plan
            .ports
            .iter()
            .filter(|p| self.plan.vrf_table.get(usize::from(p.vrf.0)) == Some(&t))
            .map(|p| p.id)
            .find(|&port| self.on_link_in(t, Key { port, ip }))
    }

    /// The adjacency (no labels) to neighbour `ip` of table `t`, when it is resolved.
    fn adjacency_towards(&mut self, t: TableId, ip: u32) -> Option<AdjId> {
        let port = self.port_towards(t, ip)?;
        let mac = *self.neighbors.get(&Key { port, ip })?;
        let a = self.adjacency(port, mac)?;
        let nh = self.hops.adj(a);
        self.hops.acquire(nh);
        self.labels.held.push(nh);
        match self.hops.hops.get(nh.0 as usize) {
            Some(NextHop::Forward(adj)) => Some(*adj),
            _ => None,
        }
    }

    /// Makes the LFIB again when what it depends on changed. Bindings whose next hop is not
    /// resolved stay unbound (dropped as unknown) until it is.
    pub(super) fn refresh_lfib(&mut self) {
        if !self.labels.stale {
            return;
        }
        self.labels.stale = false;
        let held = std::mem::take(&mut self.labels.held);
        let mut lfib = shared::lfib::Lfib::new();
        let wanted: Vec<(u32, LabelWant)> =
            self.labels.wanted.iter().map(|(l, w)| (*l, *w)).collect();
        for (label, want) in wanted {
            let action = match want {
                LabelWant::PopLookup(t) => Some(shared::lfib::LabelAction::PopLookup(t)),
                LabelWant::PopForward { table, next_hop } => self
                    .adjacency_towards(table, next_hop)
                    .map(shared::lfib::LabelAction::PopForward),
                LabelWant::Swap {
                    table,
                    next_hop,
                    out,
                } => match shared::types::Label::try_from(out) {
                    Ok(l) if l == shared::types::Label::IMPLICIT_NULL => self
                        .adjacency_towards(table, next_hop)
                        .map(shared::lfib::LabelAction::PopForward),
                    Ok(l) => self
                        .adjacency_towards(table, next_hop)
                        .map(|via| shared::lfib::LabelAction::Swap { label: l, via }),
                    Err(_) => None,
                },
            };
            if let (Some(a), Ok(l)) = (action, shared::types::Label::try_from(label)) {
                // Reserved labels are refused by the LFIB: label distribution never binds one.
                let _ = lfib.set(l, a);
            }
        }
        for nh in held {
            self.hops.release(nh);
        }
        self.labels.lfib = lfib;
    }
}
