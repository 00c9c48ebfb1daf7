//! kerbrds: makes Kerberos login to Amazon RDS for PostgreSQL (joined to AWS Managed Microsoft
//! AD, optionally trusting an on-premises AD) work, and says exactly why when it does not.
//!
//! Module map (the check-id prefix names the room: `kdc.udp` lives in `kdc`):
//! - `cli`        clap definitions: global flags, one Args struct per subcommand
//! - `cmd`        one file per subcommand; each builds inputs, acts, returns an exit code
//! - `check`      CheckId (the public list of checks), Status, CheckResult, Checked<T>
//! - `catalogue`  Cause: the failure catalogue as code (why, fix, docs anchor)
//! - `report`     the report model, the verdict, and its renderers (human, json, progress line)
//! - `doctor`     the dependency graph of checks, the step wrapper, target, precedence, bundle
//! - `transport`  bounded UDP/TCP exchanges with precise outcomes (refused, timeout, closed …)
//! - `db`         DB port probes → db.tcp, db.ssl, db.gssenc; connect: the GSSAPI login → db.login, db.role
//! - `dns`        port-53 probes, host/PTR and SRV lookups       → dns.*
//! - `kdc`        Kerberos 88 and kpasswd 464 probes, clock skew   → kdc.*, kpasswd.*, clock.skew
//! - `probes`     every network probe together from plain inputs (`kerbrds probe`)
//! - `aws`        AWS read-back (membership, IAM role, directory) and set-up → aws.*
//! - `gss`        ccache and service ticket (libgssapi), GSS failure classification → ccache.*, gss.*
//! - `pgconn`     libpq connection parameters (flags, conninfo, URI, PG* env, PGSERVICE, .pgpass)
//! - `krb5conf`   krb5.conf: MIT profile parser, queries, SPN prediction, checks, generator
//! - `login`      Kerberos login roles: create/list/drop over the master connection, `db.role` judgement

pub mod aws;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod db;
pub mod dns;
pub mod doctor;
pub mod gss;
pub mod kdc;
pub mod krb5conf;
pub mod login;
pub mod pgconn;
pub mod probes;
pub mod report;
pub mod transport;

/// Exit codes are a contract: 0 nothing failed (warnings allowed), 1 a check failed or the
/// action did not succeed, 2 kerbrds could not run (usage, unreadable input, internal error).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const CANNOT_RUN: u8 = 2;
}
