//! The DB room: `db.tcp`, `db.ssl`, `db.gssenc` (probe); `connect` is the GSSAPI login
//! (`db.login`, `db.role`).

pub mod connect;
pub mod probe;
