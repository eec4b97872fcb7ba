//! Northbound: what operators and scripts reach. The control socket ([`api`]), the router
//! (configuration, sessions, saving: [`router`]), the live items `print` shows
//! ([`interfaces`], [`route_print`]) and the actions ([`ping`]; BGP's session commands
//! are the speaker's).

pub mod api;
pub mod interfaces;
pub mod live_print;
pub mod ping;
pub mod route_print;
pub mod router;
