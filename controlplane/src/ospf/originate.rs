//! Our LSAs (§12.4): a router-LSA per area (stub, transit and point-to-point links as the
//! interfaces and adjacencies stand), a network-LSA for each network we are DR of, and
//! AS-external LSAs for what is redistributed (and the default route). Made again when they
//! change (not sooner than MinLSInterval), flushed (MaxAge) when no longer wanted, and made
//! again above a newer instance of ours heard from a neighbour (§13.4).

use super::area::AreaKind;
use super::instance::Instance;
use super::interface::IfState;
use super::lsdb::{LS_REFRESH_TIME, MIN_LS_INTERVAL};
use super::neighbor::State;
use super::packet::{
    link_type, lsa_type, options, Body, Lsa, LsaBody, LsaKey, RouterLink, MAX_AGE,
};
use shared::types::{mask, Prefix4};
use std::collections::BTreeMap;

/// Where an LSA of ours lives: its area (`None`: the AS-external LSAs) and its key. Our
/// router-LSA has the same key in every area; so do summaries of one network.
pub type Origin = (Option<u32>, LsaKey);

/// What we originate: where → (options, body).
type Wanted = BTreeMap<Origin, (u8, LsaBody)>;

/// The metric of redistributed routes (type 2), as RouterOS and FRR default it.
const EXTERNAL_METRIC: u32 = 20;

impl Instance {
    /// What we should originate now.
    fn wanted(&self) -> Wanted {
        let me = self.cfg.router_id;
        let mut out = BTreeMap::new();
        let areas = self.area_ids();
        let abr = areas.len() > 1;
        let mut externals: Vec<Prefix4> = self.redistributed.keys().copied().collect();
        if self.cfg.originate_default == "always" || self.default_installed() {
            externals.push(Prefix4::DEFAULT);
        }
        let normal = areas
            .iter()
            .any(|a| self.area_cfg(*a).kind == AreaKind::Normal);
        let nssa = areas
            .iter()
            .any(|a| self.area_cfg(*a).kind == AreaKind::Nssa);
        // An ASBR: redistributing, or (RFC 3101 §3.2) translating an NSSA's type-7 LSAs.
        let asbr = (!externals.is_empty() && (normal || nssa)) || !self.translated.is_empty();
        for &area in &areas {
            let links = self.area_links(area, &mut out);
            let flags = if asbr { 2 } else { 0 } | if abr { 1 } else { 0 };
            let key = LsaKey {
                kind: lsa_type::ROUTER,
                id: me,
                adv: me,
            };
            let opts = self.lsa_options(area);
            out.insert((Some(area), key), (opts, LsaBody::Router { flags, links }));
            if self.area_cfg(area).kind == AreaKind::Nssa {
                self.type7(area, abr, &externals, &mut out);
            }
        }
        for (area, key, body) in &self.abr.summaries {
            out.insert((Some(*area), *key), (self.lsa_options(*area), body.clone()));
        }
        if normal {
            for p in &externals {
                let key = LsaKey {
                    kind: lsa_type::EXTERNAL,
                    id: p.addr(),
                    adv: me,
                };
                out.insert((None, key), (options::E, external(*p, 0)));
            }
            for (key, body) in &self.translated {
                out.entry((None, *key))
                    .or_insert_with(|| (options::E, body.clone()));
            }
        }
        out
    }

    /// The options of our LSAs in `area`: E in normal areas, none in stub areas and NSSAs.
    fn lsa_options(&self, area: u32) -> u8 {
        self.area_cfg(area).options() & options::E
    }

    /// Our type-7 LSAs in NSSA `area` (RFC 3101 §2.3): what we redistribute, the
    /// forwarding address one of our addresses in the area, the P bit asking the NSSA's
    /// translator to carry them out of it unless we are an ABR (then we originate the
    /// AS-external LSAs ourselves).
    fn type7(&self, area: u32, abr: bool, externals: &[Prefix4], out: &mut Wanted) {
        let me = self.cfg.router_id;
        let in_area = |f: &&super::instance::Iface| f.cfg.area == area;
        let forward = self
            .ifaces
            .iter()
            .filter(in_area)
            .find(|f| !f.cfg.passive)
            .or_else(|| self.ifaces.iter().find(in_area))
            .map_or(0, |f| f.cfg.addr.0);
        let opts = if abr { 0 } else { options::NP };
        for p in externals {
            let key = LsaKey {
                kind: lsa_type::NSSA,
                id: p.addr(),
                adv: me,
            };
            out.insert((Some(area), key), (opts, external(*p, forward)));
        }
    }

    /// Our router-LSA's links in `area`, and (into `out`) the network-LSAs of the networks
    /// we are DR of.
    fn area_links(&self, area: u32, out: &mut Wanted) -> Vec<RouterLink> {
        let me = self.cfg.router_id;
        let mut links = Vec::new();
        for f in self.ifaces.iter().filter(|f| f.cfg.area == area) {
            let (addr, len) = f.cfg.addr;
            let stub = RouterLink {
                id: addr & mask(len),
                data: mask(len),
                kind: link_type::STUB,
                metric: f.cfg.cost,
            };
            let full = f.nbrs.values().filter(|n| n.state == State::Full);
            if f.cfg.passive {
                links.push(stub);
            } else if f.cfg.ptp {
                for n in full {
                    links.push(RouterLink {
                        id: n.id,
                        data: addr,
                        kind: link_type::PTP,
                        metric: f.cfg.cost,
                    });
                }
                links.push(stub);
            } else {
                let dr_full = f
                    .nbrs
                    .values()
                    .any(|n| n.addr == f.dr && n.state == State::Full);
                let we_dr_with_full = f.state == IfState::Dr && full.count() > 0;
                if f.dr != 0 && (we_dr_with_full || dr_full) {
                    links.push(RouterLink {
                        id: f.dr,
                        data: addr,
                        kind: link_type::TRANSIT,
                        metric: f.cfg.cost,
                    });
                } else {
                    links.push(stub);
                }
            }
            if f.state == IfState::Dr && !f.cfg.ptp && !f.cfg.passive {
                let mut routers: Vec<u32> = f
                    .nbrs
                    .values()
                    .filter(|n| n.state == State::Full)
                    .map(|n| n.id)
                    .collect();
                if !routers.is_empty() {
                    routers.insert(0, me);
                    let key = LsaKey {
                        kind: lsa_type::NETWORK,
                        id: addr,
                        adv: me,
                    };
                    let body = LsaBody::Network {
                        mask: mask(len),
                        routers,
                    };
                    out.insert((Some(area), key), (self.lsa_options(area), body));
                }
            }
        }
        links
    }

    fn default_installed(&self) -> bool {
        self.cfg.originate_default == "if-installed"
            && self.redistributed.contains_key(&Prefix4::DEFAULT)
    }

    /// Originates what changed and flushes what is no longer wanted.
    pub fn originate_all(&mut self) {
        let me = self.cfg.router_id;
        let now = self.now;
        let wanted = self.wanted();
        for ((area, key), (opts, body)) in &wanted {
            let db = match area {
                Some(a) => self.areas.entry(*a).or_default(),
                None => &mut self.externals,
            };
            let have = db.get(key);
            let same = have.is_some_and(|e| {
                e.lsa.body == *body
                    && e.lsa.header.options == *opts
                    && e.age(now) < LS_REFRESH_TIME
                    && e.lsa.header.key.adv == me
            });
            if same {
                continue;
            }
            if self
                .originated
                .get(&(*area, *key))
                .is_some_and(|t| now.saturating_sub(*t) < MIN_LS_INTERVAL)
            {
                self.reoriginate = true;
                continue;
            }
            let Some(seq) = db.next_seq(key, None) else {
                // §12.1.6: the number would wrap; flush first, originate afterwards.
                self.flush(*area, *key);
                continue;
            };
            let lsa = Lsa::new(0, *opts, *key, seq, body.clone());
            db.install(lsa.clone(), now);
            self.originated.insert((*area, *key), now);
            self.spf_due = true;
            self.flood(area.unwrap_or(0), None, &lsa);
        }
        // Ours that are no longer wanted (a network we are no longer DR of, a route no
        // longer redistributed, LSAs of ours from before a restart).
        let mut stale = Vec::new();
        for (area, db) in &self.areas {
            for (k, e) in db.iter() {
                let ours = k.adv == me;
                if ours && !wanted.contains_key(&(Some(*area), *k)) && e.age(now) < MAX_AGE {
                    stale.push((Some(*area), *k));
                }
            }
        }
        for (k, e) in self.externals.iter() {
            if k.adv == me && !wanted.contains_key(&(None, *k)) && e.age(now) < MAX_AGE {
                stale.push((None, *k));
            }
        }
        for (area, k) in stale {
            self.flush(area, k);
        }
    }

    /// Flushes our LSA `key`: MaxAge, flooded (and retransmitted until acknowledged), then
    /// gone (§14.1). A flush is an origination: the next instance waits MinLSInterval, so
    /// that it does not reach a neighbour within MinLSArrival of the flush and get dropped.
    fn flush(&mut self, area: Option<u32>, key: LsaKey) {
        let now = self.now;
        let db = match area {
            Some(a) => self.areas.entry(a).or_default(),
            None => &mut self.externals,
        };
        let Some(e) = db.get(&key) else { return };
        let mut lsa = e.lsa.clone();
        lsa.set_age(MAX_AGE);
        db.install(lsa.clone(), now);
        self.originated.insert((area, key), now);
        self.spf_due = true;
        self.flood(area.unwrap_or(0), None, &lsa);
    }

    /// Flushes every LSA of ours (the instance is going); `flushing` tells when the
    /// neighbours have acknowledged them all.
    pub fn flush_ours(&mut self) {
        let me = self.cfg.router_id;
        let now = self.now;
        let mut ours: Vec<(Option<u32>, LsaKey)> = Vec::new();
        for (area, db) in &self.areas {
            for (k, e) in db.iter() {
                if k.adv == me && e.age(now) < MAX_AGE {
                    ours.push((Some(*area), *k));
                }
            }
        }
        for (k, e) in self.externals.iter() {
            if k.adv == me && e.age(now) < MAX_AGE {
                ours.push((None, *k));
            }
        }
        for (area, key) in ours {
            self.flush(area, key);
        }
    }

    /// Whether a neighbour has yet to acknowledge a flushed LSA of ours.
    pub fn flushing(&self) -> bool {
        let me = self.cfg.router_id;
        self.ifaces.iter().flat_map(|i| i.nbrs.values()).any(|n| {
            n.retransmit
                .values()
                .any(|h| h.key.adv == me && h.age == MAX_AGE)
        })
    }

    /// Sends each neighbour the flushed LSAs of ours it has not acknowledged yet.
    pub fn resend_flushed(&mut self) {
        let me = self.cfg.router_id;
        for i in 0..self.ifaces.len() {
            let area = self.ifaces[i].cfg.area;
            let due: Vec<(u32, Vec<LsaKey>)> = self.ifaces[i]
                .nbrs
                .values()
                .map(|n| {
                    let keys = n.retransmit.values();
                    let ours = keys.filter(|h| h.key.adv == me && h.age == MAX_AGE);
                    (n.addr, ours.map(|h| h.key).collect::<Vec<_>>())
                })
                .filter(|(_, keys)| !keys.is_empty())
                .collect();
            for (addr, keys) in due {
                let lsas: Vec<Lsa> = keys
                    .iter()
                    .filter_map(|k| self.lsdb(area, k.kind).get(k).map(|e| e.lsa.clone()))
                    .collect();
                let dst = self.unicast_or_all(i, addr);
                for chunk in lsas.chunks(20) {
                    self.send(i, dst, Body::Lsu(chunk.to_vec()));
                }
            }
        }
    }

    /// A newer instance of one of our LSAs arrived (§13.4): it is made again above it, or
    /// flushed when we no longer originate it.
    pub fn ours_received(&mut self, area: u32, lsa: Lsa) {
        let key = lsa.header.key;
        let scope = (key.kind != lsa_type::EXTERNAL).then_some(area);
        self.originated.remove(&(scope, key));
        self.reoriginate = true;
    }
}

/// The body of an external (type 5 or 7) LSA of ours for `p`: type 2, metric 20.
fn external(p: Prefix4, forward: u32) -> LsaBody {
    LsaBody::External {
        mask: mask(p.len()),
        type2: true,
        metric: EXTERNAL_METRIC,
        forward,
        tag: 0,
    }
}
