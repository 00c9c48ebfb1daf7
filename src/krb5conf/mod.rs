//! krb5.conf: MIT's profile format parsed as MIT parses it (`parse`), the queries libkrb5
//! answers from it (`model`: default realm, KDCs, [libdefaults] with MIT's defaults, the realm
//! of a host), the service principal libpq will ask for (`spn`), and the checks (`judge`).
//!
//! rust-ini cannot read krb5.conf (it silently merges groups and drops `}` lines, includes and
//! finals; see docs/krb5conf.md), hence this small dedicated parser.

pub mod ccache;
pub mod fix;
pub mod generate;
pub mod judge;
pub mod model;
pub mod parse;
pub mod spn;
pub mod write;

pub use judge::{judge, Request};
pub use model::{
    Canonicalize, Found, HostRealm, Include, Location, Node, NodeKind, Profile, ProfileFile,
    Setting,
};
pub use parse::{Env, ErrorKind, LoadError, ParseError};
pub use spn::{
    predict_service_principal, CachedCanonicalizer, Canonicalizer, SpnPrediction,
    SystemCanonicalizer, TableCanonicalizer,
};

#[cfg(test)]
mod tests_generate;
#[cfg(test)]
mod tests_judge;
#[cfg(test)]
mod tests_parse;
