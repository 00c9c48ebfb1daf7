//! Kerberos logins in PostgreSQL (step 7 of the AWS guide): `CREATE USER "user@REALM" WITH LOGIN;
//! GRANT rds_ad TO "user@REALM";` created, listed and dropped safely over a master-user connection,
//! and the `db.role` judgement the doctor runs after a GSSAPI login attempt.
//!
//! - `name`    validation of `user@REALM` and identifier quoting (no input can change the SQL)
//! - `sql`     the exact SQL text (shown by `--dry-run` and docs/login.md)
//! - `judge`   pure judgement: `problems` for `list`, `judge_role` for `db.role`
//! - `master`  the master connection (password sources, TLS as libpq, error mapping)
//! - `ops`     create / drop / read over a connection, one transaction per name
//! - `render`  human text, dry-run SQL and JSON for the results

pub mod judge;
pub mod master;
pub mod name;
pub mod ops;
pub mod render;
pub mod sql;

pub use judge::{judge_role, problems, Problem, Role, RoleFacts};
pub use master::{MasterError, Secret};
pub use name::{parse, quote_ident, NameError, Principal};
pub use ops::{master_role_facts, read_role_facts, read_roles};
