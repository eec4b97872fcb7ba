//! LDP (RFC 5036): label distribution between LSRs, for the label-switched paths between PE
//! loopbacks. Built room by room like `bgp/`: the codecs ([`packet`]), the session state
//! machine ([`fsm`]) and hello discovery ([`discovery`]) so far, each pure and tested step
//! by step; the sessions over TCP, the label information base and the RIB attachment follow
//! ("MPLS forwarding and LDP").

pub mod discovery;
pub mod fsm;
pub mod packet;
