//! The DB room: `db.tcp`, `db.ssl`, `db.gssenc` (probe).

pub mod probe;
