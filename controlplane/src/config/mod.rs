//! The RouterOS v7 configuration language and store: menus as data ([`schema`],
//! [`menus`]), values ([`value`]), the lexer ([`lex`]), `where` expressions ([`expr`]), the
//! store with its cross-menu rules ([`store`]), the command engine ([`exec`]), `print`
//! ([`print`]), `export` ([`export`]) and saving to disk ([`persist`]).

pub mod action;
pub mod exec;
pub mod export;
pub mod expr;
pub mod inert;
pub mod journal;
pub mod lex;
pub mod live;
pub mod menus;
pub mod persist;
pub mod print;
pub mod schema;
pub mod store;
pub mod unsupported;
pub mod value;
