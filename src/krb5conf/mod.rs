//! krb5.conf: MIT's profile format parsed as MIT parses it (`parse`), the queries libkrb5
//! answers from it (`model`: default realm, KDCs, [libdefaults] with MIT's defaults, the realm
//! of a host), and the service principal libpq will ask for (`spn`).
//!
//! rust-ini cannot read krb5.conf (it silently merges groups and drops `}` lines, includes and
//! finals; see docs/krb5conf.md), hence this small dedicated parser.

pub mod model;
pub mod parse;

pub use model::{
    Canonicalize, Found, HostRealm, Include, Location, Node, NodeKind, Profile, ProfileFile,
    Setting,
};
pub use parse::{Env, ErrorKind, LoadError, ParseError};

#[cfg(test)]
mod tests_parse;
