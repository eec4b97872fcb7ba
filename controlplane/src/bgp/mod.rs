//! BGP-4 (RFC 4271): codecs, the session state machine, sessions over TCP (in the VRF's
//! namespace for PE-CE sessions), IPv4 unicast best path and the RIB attachment.

pub mod packet;
pub mod fsm;
pub mod config;
pub mod instance;
pub mod md5;
