//! What an area is (RFC 2328 §3, RFC 3101): normal, stub or NSSA, with or without summaries,
//! its ranges, and what that means on the wire: the options we send (E in normal areas, N/P
//! in NSSAs, neither in stub areas), what a neighbour must send to match, and which LSA types
//! the area carries (no AS-external or ASBR-summary LSAs in stub areas and NSSAs, type-7 LSAs
//! only in NSSAs).

use super::packet::{lsa_type, options};
use shared::types::Prefix4;

/// The kind of an area (`/routing ospf area type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// `default`: carries AS-external LSAs.
    Normal,
    /// `stub`: no AS-external LSAs; the ABRs inject a default summary.
    Stub,
    /// `nssa`: no AS-external LSAs, its own type-7 LSAs instead (RFC 3101).
    Nssa,
}

/// Who translates an NSSA's type-7 LSAs into AS-external LSAs (`nssa-translator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Translator {
    /// Always, when we are an ABR of the NSSA.
    Always,
    /// Never.
    Never,
    /// When elected: the reachable ABR of the NSSA with the highest router id (RFC 3101
    /// §3.1).
    Candidate,
}

/// An area range (`/routing ospf area range`): the intra-area networks inside it are
/// summarized as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The range.
    pub prefix: Prefix4,
    /// `advertise=no`: the range hides its networks instead.
    pub advertise: bool,
    /// The summary's cost (else the largest of the covered networks, §12.4.3).
    pub cost: Option<u32>,
}

/// One area of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaConfig {
    /// Its id.
    pub id: u32,
    /// Its kind.
    pub kind: AreaKind,
    /// `no-summaries`: as an ABR, only the default summary goes into this area.
    pub no_summaries: bool,
    /// The cost of the default summary we inject as an ABR (`default-cost`, 1).
    pub default_cost: u32,
    /// Type-7 translation.
    pub translator: Translator,
    /// Its ranges.
    pub ranges: Vec<Range>,
}

impl AreaConfig {
    /// A normal area with nothing set.
    pub fn normal(id: u32) -> AreaConfig {
        AreaConfig {
            id,
            kind: AreaKind::Normal,
            no_summaries: false,
            default_cost: 1,
            translator: Translator::Candidate,
            ranges: Vec::new(),
        }
    }

    /// The options we send in Hellos, DDs and LSAs of this area.
    pub fn options(&self) -> u8 {
        match self.kind {
            AreaKind::Normal => options::E,
            AreaKind::Stub => 0,
            AreaKind::Nssa => options::NP,
        }
    }

    /// Whether a Hello's options agree with the area (§10.5: the E bit; RFC 3101 §2.1: the
    /// N bit).
    pub fn hello_options_match(&self, got: u8) -> bool {
        let mask = options::E | options::NP;
        got & mask == self.options() & mask
    }

    /// Whether the area carries LSAs of type `kind`.
    pub fn carries(&self, kind: u8) -> bool {
        match kind {
            lsa_type::ROUTER | lsa_type::NETWORK | lsa_type::SUMMARY => true,
            lsa_type::ASBR_SUMMARY | lsa_type::EXTERNAL => self.kind == AreaKind::Normal,
            lsa_type::NSSA => self.kind == AreaKind::Nssa,
            _ => false,
        }
    }

    /// The range of this area that covers `p`, if any (the most specific).
    pub fn range_of(&self, p: Prefix4) -> Option<&Range> {
        self.ranges
            .iter()
            .filter(|r| r.prefix.len() <= p.len() && r.prefix.contains(p.addr()))
            .max_by_key(|r| r.prefix.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(kind: AreaKind) -> AreaConfig {
        AreaConfig {
            kind,
            ..AreaConfig::normal(1)
        }
    }

    #[test]
    fn options_by_kind() {
        assert_eq!(area(AreaKind::Normal).options(), options::E);
        assert_eq!(area(AreaKind::Stub).options(), 0);
        assert_eq!(area(AreaKind::Nssa).options(), options::NP);
        // The O and DC bits do not matter; E and N do.
        assert!(area(AreaKind::Normal).hello_options_match(options::E | options::O));
        assert!(!area(AreaKind::Normal).hello_options_match(0));
        assert!(area(AreaKind::Stub).hello_options_match(options::DC));
        assert!(!area(AreaKind::Stub).hello_options_match(options::E));
        assert!(area(AreaKind::Nssa).hello_options_match(options::NP));
        assert!(!area(AreaKind::Nssa).hello_options_match(options::E | options::NP));
    }

    #[test]
    fn carried_types() {
        let (n, s, x) = (
            area(AreaKind::Normal),
            area(AreaKind::Stub),
            area(AreaKind::Nssa),
        );
        for k in [lsa_type::ROUTER, lsa_type::NETWORK, lsa_type::SUMMARY] {
            assert!(n.carries(k) && s.carries(k) && x.carries(k));
        }
        assert!(n.carries(lsa_type::EXTERNAL) && !s.carries(lsa_type::EXTERNAL));
        assert!(!x.carries(lsa_type::EXTERNAL) && !x.carries(lsa_type::ASBR_SUMMARY));
        assert!(x.carries(lsa_type::NSSA) && !n.carries(lsa_type::NSSA));
        assert!(!n.carries(9) && !n.carries(0));
    }

    #[test]
    fn the_most_specific_range_covers() {
        let mut a = area(AreaKind::Normal);
        let r = |p: &str| Range {
            prefix: p.parse().unwrap(),
            advertise: true,
            cost: None,
        };
        a.ranges = vec![r("10.0.0.0/8"), r("10.1.0.0/16")];
        let p = |s: &str| s.parse::<Prefix4>().unwrap();
        assert_eq!(
            a.range_of(p("10.1.2.0/24")).unwrap().prefix,
            p("10.1.0.0/16")
        );
        assert_eq!(
            a.range_of(p("10.2.0.0/24")).unwrap().prefix,
            p("10.0.0.0/8")
        );
        assert_eq!(
            a.range_of(p("10.1.0.0/16")).unwrap().prefix,
            p("10.1.0.0/16")
        );
        assert!(a.range_of(p("10.0.0.0/7")).is_none());
        assert!(a.range_of(p("11.0.0.0/24")).is_none());
    }
}
