//! The DB rooms: `connect` is the GSSAPI login (`db.login`, `db.role`).

pub mod connect;
