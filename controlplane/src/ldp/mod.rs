//! LDP (RFC 5036): label distribution between LSRs, for the label-switched paths between PE
//! loopbacks. Built room by room like `bgp/`: the codecs ([`packet`]), the session state
//! machine ([`fsm`]), hello discovery ([`discovery`]) and the label information base
//! ([`labels`]) so far, each pure and tested step by step; the sessions over TCP and the
//! RIB and LFIB attachment follow ("MPLS forwarding and LDP").

pub mod discovery;
pub mod fsm;
pub mod labels;
pub mod packet;
