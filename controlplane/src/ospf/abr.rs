//! What an area border router originates (RFC 2328 §12.4.3, RFC 3101 §3): summary-LSAs of
//! each area's networks into the others (through the areas' ranges: one summary per active
//! range, at the largest cost of what it covers, or none with `advertise=no`), inter-area
//! routes of the backbone into the other areas, ASBR-summary LSAs into normal areas, the
//! default summary into stub areas and NSSAs without summaries, and the AS-external LSAs
//! translated from an NSSA's type-7 LSAs when we are its translator. Pure: the routing table
//! and the databases in, the LSAs wanted out.

use super::area::{AreaConfig, AreaKind, Translator};
use super::lsdb::Lsdb;
use super::packet::{lsa_type, options, prefix_of, LsaBody, LsaKey, MAX_AGE};
use super::spf::{AreaResult, PathType, Route, LS_INFINITY};
use shared::types::{mask, Prefix4};
use std::collections::BTreeMap;

/// Summary-LSAs wanted: (area, key, body).
pub type Summaries = Vec<(u32, LsaKey, LsaBody)>;

/// What an ABR originates into its areas, and the ranges that are active (a blackhole route
/// each, as RouterOS installs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AbrOut {
    /// The summary-LSAs.
    pub summaries: Summaries,
    /// Ranges covering at least one network: (area, range).
    pub active_ranges: Vec<(u32, Prefix4)>,
}

/// Whether summaries of networks go into `area` at all.
fn takes_summaries(area: &AreaConfig) -> bool {
    area.kind == AreaKind::Normal || !area.no_summaries
}

/// Assigns link-state ids to summaries of networks as appendix E says in its simple form: the
/// network's address, else (taken by a shorter mask) the address with its host bits set.
struct Ids(BTreeMap<(u32, u32), Prefix4>);

impl Ids {
    fn take(&mut self, area: u32, p: Prefix4) -> Option<u32> {
        for id in [p.addr(), p.addr() | !mask(p.len())] {
            match self.0.get(&(area, id)) {
                None => {
                    self.0.insert((area, id), p);
                    return Some(id);
                }
                Some(q) if *q == p => return Some(id),
                Some(_) => {}
            }
        }
        None
    }
}

/// The summaries an ABR attached to `areas` originates, given its routing table `table`
/// (intra-area routes, our own networks among them, and inter-area routes from the
/// backbone) and the ASBRs it reaches (router id → (area, cost)).
pub fn summaries(
    me: u32,
    areas: &BTreeMap<u32, AreaConfig>,
    table: &BTreeMap<Prefix4, Route>,
    asbrs: &BTreeMap<u32, (u32, u32)>,
) -> AbrOut {
    let mut out = AbrOut::default();
    if areas.len() < 2 {
        return out;
    }
    let mut ids = Ids(BTreeMap::new());
    let mut push = |out: &mut AbrOut, area: u32, p: Prefix4, metric: u32| {
        if let Some(id) = ids.take(area, p) {
            let key = LsaKey {
                kind: lsa_type::SUMMARY,
                id,
                adv: me,
            };
            let body = LsaBody::Summary {
                mask: mask(p.len()),
                metric,
            };
            out.summaries.push((area, key, body));
        }
    };
    // Ranges: (area, range prefix) → largest cost covered.
    let mut ranges: BTreeMap<(u32, Prefix4), u32> = BTreeMap::new();
    for (p, r) in table {
        if !matches!(r.kind, PathType::Intra | PathType::Inter) || r.cost >= LS_INFINITY {
            continue;
        }
        if r.kind == PathType::Intra {
            if let Some(range) = areas.get(&r.area).and_then(|a| a.range_of(*p)) {
                let c = ranges.entry((r.area, range.prefix)).or_insert(0);
                *c = (*c).max(r.cost);
                continue;
            }
        }
        for a in areas.values() {
            if a.id != r.area && takes_summaries(a) {
                push(&mut out, a.id, *p, r.cost);
            }
        }
    }
    for ((from, prefix), cost) in ranges {
        out.active_ranges.push((from, prefix));
        let Some(range) = areas[&from].ranges.iter().find(|r| r.prefix == prefix) else {
            continue;
        };
        if !range.advertise {
            continue;
        }
        for a in areas.values() {
            if a.id != from && takes_summaries(a) {
                push(&mut out, a.id, prefix, range.cost.unwrap_or(cost));
            }
        }
    }
    for a in areas.values() {
        let default = match a.kind {
            AreaKind::Stub => true,
            AreaKind::Nssa => a.no_summaries,
            AreaKind::Normal => false,
        };
        if default {
            push(&mut out, a.id, Prefix4::DEFAULT, a.default_cost);
        }
    }
    for (&asbr, &(from, cost)) in asbrs {
        for a in areas.values() {
            if a.id != from && a.kind == AreaKind::Normal && cost < LS_INFINITY {
                let key = LsaKey {
                    kind: lsa_type::ASBR_SUMMARY,
                    id: asbr,
                    adv: me,
                };
                let body = LsaBody::Summary {
                    mask: 0,
                    metric: cost,
                };
                out.summaries.push((a.id, key, body));
            }
        }
    }
    out
}

/// Whether we translate the type-7 LSAs of NSSA `area` (RFC 3101 §3.1): as `nssa-translator`
/// says, a candidate when no other ABR of the area reached (`res`) has a higher router id.
pub fn translates(me: u32, area: &AreaConfig, attached: usize, res: &AreaResult) -> bool {
    if area.kind != AreaKind::Nssa || attached < 2 {
        return false;
    }
    match area.translator {
        Translator::Always => true,
        Translator::Never => false,
        Translator::Candidate => !res
            .routers
            .iter()
            .any(|(id, (_, _, flags))| flags & 1 != 0 && *id > me),
    }
}

/// The AS-external LSAs translated from NSSA `db`'s type-7 LSAs (RFC 3101 §3.2): those with
/// the P bit, a forwarding address and a reachable originator other than us, one per prefix.
pub fn translate(me: u32, db: &Lsdb, res: &AreaResult) -> BTreeMap<LsaKey, LsaBody> {
    let mut out = BTreeMap::new();
    for (k, e) in db.iter() {
        if k.kind != lsa_type::NSSA
            || k.adv == me
            || e.lsa.header.age >= MAX_AGE
            || e.lsa.header.options & options::NP == 0
            || !res.routers.contains_key(&k.adv)
        {
            continue;
        }
        let LsaBody::External {
            mask: m,
            metric,
            forward,
            ..
        } = e.lsa.body
        else {
            continue;
        };
        if forward == 0 || metric >= LS_INFINITY || prefix_of(k.id, m).is_none() {
            continue;
        }
        let key = LsaKey {
            kind: lsa_type::EXTERNAL,
            id: k.id,
            adv: me,
        };
        out.entry(key).or_insert_with(|| e.lsa.body.clone());
    }
    out
}

#[cfg(test)]
mod tests;
