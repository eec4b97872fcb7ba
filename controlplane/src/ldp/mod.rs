//! LDP (RFC 5036): label distribution between LSRs, for the label-switched paths between PE
//! loopbacks. Built room by room like `bgp/`: the codecs first ([`packet`]); discovery,
//! sessions, the label information base and the RIB attachment follow ("MPLS forwarding
//! and LDP").

pub mod packet;
