//! The routing table calculation (RFC 2328 §16): Dijkstra over an area's router and network
//! LSAs with equal-cost paths (§16.1, next hops as §16.1.1 says), intra-area routes to
//! transit and stub networks, inter-area routes from summary-LSAs (§16.2) and AS-external
//! routes, type 1 and type 2, with the forwarding address resolved through the table
//! (§16.4). Pure: LSDBs in, routes out.

use super::lsdb::Lsdb;
use super::packet::{link_type, lsa_type, prefix_of, LsaBody, LsaKey, MAX_AGE};
use shared::types::Prefix4;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The metric meaning "unreachable" in summary and external LSAs.
pub const LS_INFINITY: u32 = 0x00ff_ffff;

/// How a route leaves: from our interface address `via`, to neighbour `gw` (0: the
/// destination is on that link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NextHop {
    /// Our address on the outgoing interface.
    pub via: u32,
    /// The neighbour's address (0: directly attached).
    pub gw: u32,
}

/// A route's path type, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathType {
    /// Within an area.
    Intra,
    /// From another area.
    Inter,
    /// External type 1 (internal plus external cost).
    Ext1,
    /// External type 2 (external cost; internal cost breaks ties).
    Ext2,
    /// NSSA external type 1 (a type-7 LSA, RFC 3101).
    Nssa1,
    /// NSSA external type 2.
    Nssa2,
}

impl PathType {
    /// RouterOS's `ospf.type`.
    pub fn name(self) -> &'static str {
        match self {
            PathType::Intra => "intra",
            PathType::Inter => "inter",
            PathType::Ext1 => "ext-type-1",
            PathType::Ext2 => "ext-type-2",
            PathType::Nssa1 => "nssa-type-1",
            PathType::Nssa2 => "nssa-type-2",
        }
    }

    /// Its rank in the preference: intra, inter, type 1, type 2 (type-5 and type-7 routes
    /// of one type compare by cost; RFC 3101 §2.5 prefers the type-5 one at equal cost).
    fn rank(self) -> (u8, bool) {
        match self {
            PathType::Intra => (0, false),
            PathType::Inter => (1, false),
            PathType::Ext1 => (2, false),
            PathType::Nssa1 => (2, true),
            PathType::Ext2 => (3, false),
            PathType::Nssa2 => (3, true),
        }
    }
}

/// The AS boundary routers reached: router id → (cost, next hops).
pub type Asbrs = BTreeMap<u32, (u32, BTreeSet<NextHop>)>;

/// Offers a path to ASBR `id`: the cheaper one wins, equal ones merge.
fn offer_asbr(asbrs: &mut Asbrs, id: u32, cost: u32, hops: &BTreeSet<NextHop>) {
    match asbrs.get_mut(&id) {
        Some((c, _)) if *c < cost => {}
        Some((c, h)) if *c == cost => h.extend(hops.iter().copied()),
        _ => {
            asbrs.insert(id, (cost, hops.clone()));
        }
    }
}

/// The ASBRs reached inside the areas `areas` (router-LSAs with the E bit).
pub fn asbrs_of(areas: &[&AreaResult]) -> Asbrs {
    let mut out = Asbrs::new();
    for a in areas {
        for (id, (cost, hops, flags)) in &a.routers {
            if flags & 2 != 0 {
                offer_asbr(&mut out, *id, *cost, hops);
            }
        }
    }
    out
}

/// A route the calculation found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// Its type.
    pub kind: PathType,
    /// Its cost (for type 2: the external cost).
    pub cost: u32,
    /// For type 2: the cost to the ASBR or forwarding address, the tie-breaker.
    pub internal: u32,
    /// Equal-cost next hops.
    pub next_hops: BTreeSet<NextHop>,
    /// The area it was learnt in.
    pub area: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Vertex {
    Router(u32),
    /// A transit network, by its DR's interface address.
    Network(u32),
}

/// What the calculation found in one area: the routers reached (for summaries and
/// externals) and the intra-area routes.
#[derive(Debug, Clone, Default)]
pub struct AreaResult {
    /// Router id → (cost, next hops, its router-LSA flags (V E B)).
    pub routers: BTreeMap<u32, (u32, BTreeSet<NextHop>, u8)>,
    /// Intra-area routes.
    pub routes: BTreeMap<Prefix4, Route>,
}

fn live<'a>(db: &'a Lsdb, key: &LsaKey) -> Option<&'a LsaBody> {
    db.get(key)
        .filter(|e| e.lsa.header.age < MAX_AGE)
        .map(|e| &e.lsa.body)
}

fn router_lsa(db: &Lsdb, id: u32) -> Option<&LsaBody> {
    live(
        db,
        &LsaKey {
            kind: lsa_type::ROUTER,
            id,
            adv: id,
        },
    )
}

/// The network-LSA of the transit network whose DR has address `dr_addr`.
fn network_lsa(db: &Lsdb, dr_addr: u32) -> Option<(u32, &LsaBody)> {
    db.iter()
        .filter(|(k, e)| {
            k.kind == lsa_type::NETWORK && k.id == dr_addr && e.lsa.header.age < MAX_AGE
        })
        .map(|(k, e)| (k.adv, &e.lsa.body))
        .next()
}

/// The links of vertex `v`: (neighbour vertex, cost, the link data when it is a router's).
fn links(db: &Lsdb, v: Vertex) -> Vec<(Vertex, u32, u32)> {
    match v {
        Vertex::Router(id) => match router_lsa(db, id) {
            Some(LsaBody::Router { links, .. }) => links
                .iter()
                .filter_map(|l| match l.kind {
                    link_type::PTP => Some((Vertex::Router(l.id), u32::from(l.metric), l.data)),
                    link_type::TRANSIT => {
                        Some((Vertex::Network(l.id), u32::from(l.metric), l.data))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        Vertex::Network(addr) => match network_lsa(db, addr) {
            Some((_, LsaBody::Network { routers, .. })) => {
                routers.iter().map(|r| (Vertex::Router(*r), 0, 0)).collect()
            }
            _ => Vec::new(),
        },
    }
}

/// Whether `w` has a link back to `v` (§16.1 step 2b).
fn links_back(db: &Lsdb, w: Vertex, v: Vertex) -> bool {
    links(db, w).iter().any(|(x, _, _)| *x == v)
}

/// The address router `r` has on the link towards `to` (its link data there).
fn address_towards(db: &Lsdb, r: u32, to: Vertex) -> u32 {
    links(db, Vertex::Router(r))
        .into_iter()
        .find(|(x, _, _)| *x == to)
        .map_or(0, |(_, _, data)| data)
}

/// Runs Dijkstra over `db` from router `me` (area `area`).
pub fn area(db: &Lsdb, me: u32, area_id: u32) -> AreaResult {
    let root = Vertex::Router(me);
    let mut dist: BTreeMap<Vertex, (u32, BTreeSet<NextHop>)> = BTreeMap::new();
    let mut done: BTreeSet<Vertex> = BTreeSet::new();
    let mut heap = BinaryHeap::new();
    dist.insert(root, (0, BTreeSet::new()));
    heap.push(std::cmp::Reverse((0u32, root)));
    while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
        if !done.insert(v) {
            continue;
        }
        let hops_v = dist.get(&v).map(|x| x.1.clone()).unwrap_or_default();
        for (w, cost, data) in links(db, v) {
            if done.contains(&w) || !links_back(db, w, v) {
                continue;
            }
            let nd = d.saturating_add(cost);
            // §16.1.1: next hops of w.
            let hops_w: BTreeSet<NextHop> = match (v, w) {
                (r, Vertex::Network(_)) if r == root => {
                    [NextHop { via: data, gw: 0 }].into_iter().collect()
                }
                (r, Vertex::Router(x)) if r == root => {
                    let gw = address_towards(db, x, root);
                    [NextHop { via: data, gw }].into_iter().collect()
                }
                (Vertex::Network(_), Vertex::Router(x))
                    if hops_v.iter().all(|h| h.gw == 0) && !hops_v.is_empty() =>
                {
                    let gw = address_towards(db, x, v);
                    hops_v.iter().map(|h| NextHop { via: h.via, gw }).collect()
                }
                _ => hops_v.clone(),
            };
            match dist.get_mut(&w) {
                Some((old, hops)) if *old == nd => hops.extend(hops_w),
                Some((old, _)) if *old < nd => {}
                _ => {
                    dist.insert(w, (nd, hops_w));
                    heap.push(std::cmp::Reverse((nd, w)));
                }
            }
        }
    }
    let mut out = AreaResult::default();
    let route = |cost: u32, hops: &BTreeSet<NextHop>| Route {
        kind: PathType::Intra,
        cost,
        internal: 0,
        next_hops: hops.clone(),
        area: area_id,
    };
    let offer = |out: &mut AreaResult, p: Prefix4, r: Route| match out.routes.get_mut(&p) {
        Some(old) if old.cost < r.cost => {}
        Some(old) if old.cost == r.cost => old.next_hops.extend(r.next_hops),
        _ => {
            out.routes.insert(p, r);
        }
    };
    for v in &done {
        let (d, hops) = dist[v].clone();
        match *v {
            Vertex::Network(addr) => {
                if let Some((_, LsaBody::Network { mask, .. })) = network_lsa(db, addr) {
                    if let Some(p) = prefix_of(addr, *mask) {
                        offer(&mut out, p, route(d, &hops));
                    }
                }
            }
            Vertex::Router(id) => {
                let Some(LsaBody::Router { flags, links }) = router_lsa(db, id) else {
                    continue;
                };
                if id != me {
                    out.routers.insert(id, (d, hops.clone(), *flags));
                }
                for l in links.iter().filter(|l| l.kind == link_type::STUB) {
                    let Some(p) = prefix_of(l.id, l.data) else {
                        continue;
                    };
                    // Our own stubs are connected routes already.
                    if id != me {
                        offer(&mut out, p, route(d + u32::from(l.metric), &hops));
                    }
                }
            }
        }
    }
    out
}

/// Inter-area routes from the summary-LSAs of area `area_id`'s `db` (§16.2), through the
/// area border routers `res` reached (their router-LSAs have the B bit): networks into
/// `table`, AS boundary routers (ASBR-summary LSAs) into `asbrs`.
pub fn inter_area(
    db: &Lsdb,
    me: u32,
    area_id: u32,
    res: &AreaResult,
    table: &mut BTreeMap<Prefix4, Route>,
    asbrs: &mut Asbrs,
) {
    for (k, e) in db.iter() {
        let kind = k.kind;
        if !matches!(kind, lsa_type::SUMMARY | lsa_type::ASBR_SUMMARY)
            || k.adv == me
            || e.lsa.header.age >= MAX_AGE
        {
            continue;
        }
        let LsaBody::Summary { mask, metric } = e.lsa.body else {
            continue;
        };
        let Some((d, hops, _)) = res.routers.get(&k.adv).filter(|r| r.2 & 1 != 0) else {
            continue;
        };
        if metric >= LS_INFINITY {
            continue;
        }
        if kind == lsa_type::ASBR_SUMMARY {
            if k.id != me {
                offer_asbr(asbrs, k.id, d + metric, hops);
            }
            continue;
        }
        let Some(p) = prefix_of(k.id, mask) else {
            continue;
        };
        let r = Route {
            kind: PathType::Inter,
            cost: d + metric,
            internal: 0,
            next_hops: hops.clone(),
            area: area_id,
        };
        offer_route(table, p, r);
    }
}

/// Keeps the better of `r` and what `table` has for `p` (type first, then cost, then the
/// internal cost of type 2; equal ones merge their next hops).
pub fn offer_route(table: &mut BTreeMap<Prefix4, Route>, p: Prefix4, r: Route) {
    match table.get_mut(&p) {
        None => {
            table.insert(p, r);
        }
        Some(old) => {
            let key = |x: &Route| (x.kind.rank().0, x.cost, x.internal, x.kind.rank().1);
            match key(&r).cmp(&key(old)) {
                std::cmp::Ordering::Less => *old = r,
                std::cmp::Ordering::Equal => old.next_hops.extend(r.next_hops),
                std::cmp::Ordering::Greater => {}
            }
        }
    }
}

/// The longest match of `addr` in `table` among intra- and inter-area routes.
fn internal_route(table: &BTreeMap<Prefix4, Route>, addr: u32) -> Option<&Route> {
    (0..=32u8).rev().find_map(|len| {
        let p = Prefix4::new(addr & shared::types::mask(len), len).ok()?;
        table
            .get(&p)
            .filter(|r| matches!(r.kind, PathType::Intra | PathType::Inter))
    })
}

/// AS-external routes (§16.4) from the LSAs of type `kind` in `db`: type 5 (the
/// instance's AS-external LSAs) or type 7 (an NSSA's, RFC 3101 §2.5, `area` its id),
/// through the ASBRs `asbrs` reached, added to `table`.
pub fn external(
    db: &Lsdb,
    kind: u8,
    area: u32,
    me: u32,
    asbrs: &Asbrs,
    table: &mut BTreeMap<Prefix4, Route>,
) {
    let nssa = kind == lsa_type::NSSA;
    let mut found = Vec::new();
    for (k, e) in db.iter() {
        if k.kind != kind || k.adv == me || e.lsa.header.age >= MAX_AGE {
            continue;
        }
        let LsaBody::External {
            mask,
            type2,
            metric,
            forward,
            ..
        } = e.lsa.body
        else {
            continue;
        };
        let Some(p) = prefix_of(k.id, mask) else {
            continue;
        };
        if metric >= LS_INFINITY {
            continue;
        }
        let Some((to_asbr, asbr_hops)) = asbrs.get(&k.adv).cloned() else {
            continue;
        };
        let (x, hops) = if forward != 0 {
            match internal_route(table, forward) {
                Some(r) => {
                    // On link: the forwarding address is the next hop itself.
                    let hops = r
                        .next_hops
                        .iter()
                        .map(|h| NextHop {
                            via: h.via,
                            gw: if h.gw == 0 { forward } else { h.gw },
                        })
                        .collect();
                    (r.cost, hops)
                }
                None => continue,
            }
        } else {
            (to_asbr, asbr_hops)
        };
        let r = match (type2, nssa) {
            (true, _) => Route {
                kind: if nssa {
                    PathType::Nssa2
                } else {
                    PathType::Ext2
                },
                cost: metric,
                internal: x,
                next_hops: hops,
                area,
            },
            (false, _) => Route {
                kind: if nssa {
                    PathType::Nssa1
                } else {
                    PathType::Ext1
                },
                cost: x + metric,
                internal: 0,
                next_hops: hops,
                area,
            },
        };
        found.push((p, r));
    }
    for (p, r) in found {
        offer_route(table, p, r);
    }
}

#[cfg(test)]
mod tests;
