//! Interfaces: the Designated Router election (RFC 2328 §9.4), pure, and the interface
//! states that follow from it.

/// A router on a broadcast network as the election sees it (ourselves included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Router id.
    pub id: u32,
    /// Its address on the network (DR and BDR are named by it).
    pub addr: u32,
    /// Router priority (0: never DR or BDR).
    pub priority: u8,
    /// The DR it declares (0: none).
    pub dr: u32,
    /// The BDR it declares.
    pub bdr: u32,
}

/// Interface states (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfState {
    /// Not running.
    Down,
    /// Waiting for the wait timer before the first election.
    Waiting,
    /// A point-to-point link.
    PointToPoint,
    /// Neither DR nor BDR.
    DrOther,
    /// BDR.
    Backup,
    /// DR.
    Dr,
}

impl IfState {
    /// As RouterOS prints it.
    pub fn name(self) -> &'static str {
        match self {
            IfState::Down => "down",
            IfState::Waiting => "waiting",
            IfState::PointToPoint => "ptp",
            IfState::DrOther => "dr-other",
            IfState::Backup => "bdr",
            IfState::Dr => "dr",
        }
    }
}

fn best<'a>(it: impl Iterator<Item = &'a Candidate>) -> Option<&'a Candidate> {
    it.max_by_key(|c| (c.priority, c.id))
}

/// One pass of steps 2 and 3: (DR, BDR) addresses.
fn pass(all: &[Candidate]) -> (u32, u32) {
    let eligible = || all.iter().filter(|c| c.priority > 0);
    let bdr = best(eligible().filter(|c| c.dr != c.addr && c.bdr == c.addr))
        .or_else(|| best(eligible().filter(|c| c.dr != c.addr)))
        .map_or(0, |c| c.addr);
    let dr = best(eligible().filter(|c| c.dr == c.addr)).map_or(bdr, |c| c.addr);
    (dr, bdr)
}

/// Elects the DR and BDR of a network from `me` and the neighbours in state 2-Way or
/// better: (DR, BDR) addresses, 0 for none.
pub fn elect(me: Candidate, neighbors: &[Candidate]) -> (u32, u32) {
    let mut all: Vec<Candidate> = neighbors.to_vec();
    all.push(me);
    let mut result = pass(&all);
    // Step 4 (our own role changed), and a BDR promoted to DR (it will declare itself so):
    // run again with the declarations that follow, at most twice.
    for _ in 0..2 {
        let (dr, bdr) = result;
        let me_changed = (me.dr == me.addr, me.bdr == me.addr) != (dr == me.addr, bdr == me.addr);
        let promoted = dr != 0 && dr == bdr;
        if !me_changed && !promoted {
            break;
        }
        for c in all.iter_mut() {
            if c.addr == me.addr || c.addr == dr {
                c.dr = dr;
                c.bdr = if c.addr == dr { 0 } else { bdr };
            }
        }
        result = pass(&all);
    }
    let (dr, bdr) = result;
    (dr, if bdr == dr { 0 } else { bdr })
}

/// The interface state for our address `me` after an election.
pub fn state_of(me: u32, dr: u32, bdr: u32) -> IfState {
    if me == dr {
        IfState::Dr
    } else if me == bdr {
        IfState::Backup
    } else {
        IfState::DrOther
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u32, priority: u8, dr: u32, bdr: u32) -> Candidate {
        Candidate {
            id,
            addr: 0x0a00_0000 + id,
            priority,
            dr,
            bdr,
        }
    }
    const A: u32 = 0x0a00_0000;

    #[test]
    fn a_fresh_network_elects_by_priority_then_router_id() {
        // Nobody declares anything yet: the best becomes BDR, then (step 3) DR too, and the
        // second pass gives the BDR to the next best.
        let me = c(1, 128, 0, 0);
        let (dr, bdr) = elect(me, &[c(2, 1, 0, 0), c(3, 1, 0, 0)]);
        assert_eq!((dr, bdr), (A + 1, A + 3), "RouterOS's 128 beats FRR's 1");
        let (dr, bdr) = elect(c(1, 1, 0, 0), &[c(2, 1, 0, 0), c(3, 1, 0, 0)]);
        assert_eq!(
            (dr, bdr),
            (A + 3, A + 2),
            "equal priorities: the highest router id"
        );
    }

    #[test]
    fn an_elected_dr_stays_when_a_better_router_arrives() {
        // 2 is DR and 1 BDR; 9 (better) arrives declaring nothing: it becomes BDR at most.
        let me = c(1, 1, A + 2, A + 1);
        let (dr, bdr) = elect(me, &[c(2, 1, A + 2, A + 1), c(9, 200, 0, 0)]);
        assert_eq!(dr, A + 2);
        assert_eq!(bdr, A + 1, "the declared BDR keeps its place");
    }

    #[test]
    fn priority_zero_never_serves_and_the_bdr_takes_over() {
        let me = c(1, 0, 0, 0);
        let (dr, bdr) = elect(me, &[c(2, 5, 0, A + 2), c(3, 1, 0, 0)]);
        assert_eq!((dr, bdr), (A + 2, A + 3));
        // The DR died: the BDR (declared) becomes DR, the next best BDR.
        let me = c(1, 1, A + 5, A + 2);
        let (dr, bdr) = elect(me, &[c(2, 1, A + 5, A + 2), c(3, 1, A + 5, A + 2)]);
        assert_eq!((dr, bdr), (A + 2, A + 3));
        assert_eq!(state_of(A + 3, dr, bdr), IfState::Backup);
        assert_eq!(state_of(A + 1, dr, bdr), IfState::DrOther);
        assert_eq!(elect(c(1, 0, 0, 0), &[]), (0, 0), "nobody eligible");
    }
}
