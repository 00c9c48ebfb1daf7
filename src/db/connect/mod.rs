//! The psql-equivalent GSSAPI login (`db.login`, `db.role`). tokio-postgres has no GSSAPI
//! (rust-postgres #994), so kerbrds negotiates the transport and authenticates itself —
//! GSSENCRequest / SSLRequest in libpq's order, StartupMessage, the GSS exchange — and then hands
//! the logged-in stream to `tokio_postgres::Config::connect_raw` through a shim, so everything
//! after login is a normal tokio-postgres `Client`. docs/connect.md has the design and the
//! differences from libpq.

mod auth;
pub mod negotiate;
pub mod shim;
pub mod transport;
pub mod wire;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked, Status};
use crate::gss::{self, CredState, GssFailure};
use crate::pgconn::{ConnParams, GssEncMode, SslMode};
use negotiate::SslTry;
use wire::ServerError;

/// libpq treats connect_timeout values below 2 s as 2 s.
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the session reports about itself after login (one query, see `SESSION_SQL`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginInfo {
    pub current_user: String,
    pub session_user: String,
    pub server_version: String,
    /// pg_stat_gssapi of this backend.
    pub gss_authenticated: bool,
    pub principal: Option<String>,
    pub gss_encrypted: bool,
    /// pg_stat_ssl of this backend (None when TLS is not in use).
    pub tls: Option<TlsInfo>,
    /// None when the server has no such role (not RDS).
    pub in_rds_ad: Option<bool>,
    pub in_rds_iam: Option<bool>,
    /// "gss" (GSS encryption), "tls" or "plain".
    pub transport: &'static str,
    /// Whether a GSSAPI authentication exchange ran (false when GSS encryption had already
    /// authenticated the client).
    pub gss_auth_exchange: bool,
    /// Earlier attempts (libpq-style fallbacks), oldest first.
    pub attempts: Vec<String>,
    #[serde(serialize_with = "ms")]
    pub elapsed: Duration,
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
}

/// A failed login: the cause, what was seen, the fix for this host, and the raw evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub cause: Cause,
    pub detail: String,
    pub hint: String,
    pub evidence: Vec<String>,
    pub server: Option<Box<ServerError>>,
    /// The server hung up in the GSS encryption handshake without a reason: a retry without
    /// GSS encryption (gssencmode=prefer) gets MIT's reason through the authentication path.
    pub gss_rejected: bool,
}

impl Failure {
    pub fn new(cause: Cause, detail: impl Into<String>, hint: impl Into<String>) -> Failure {
        Failure {
            cause,
            detail: detail.into(),
            hint: hint.into(),
            evidence: Vec::new(),
            server: None,
            gss_rejected: false,
        }
    }

    /// A GSS failure during the login, named with the SPN and MIT's text.
    pub fn gss(f: &GssFailure, params: &ConnParams) -> Failure {
        let principal = f.principal.as_deref();
        let mut out = Failure::new(
            f.cause,
            format!("GSSAPI failed: {}", gss::short(&f.text)),
            gss::hint(f.cause, principal, Some(&params.user.value)),
        );
        out.evidence.push(f.text.clone());
        out
    }

    /// The credential cache cannot serve a GSS login.
    pub fn cred(state: &CredState, params: &ConnParams) -> Failure {
        let r = gss::judge_tgt(state, Some(&params.user.value));
        let mut f = Failure::new(
            r.cause.unwrap_or(Cause::NoCredentials),
            r.detail,
            r.hint.unwrap_or_default(),
        );
        f.evidence = r.evidence;
        f
    }
}

/// Which transport an attempt ended up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    Gss,
    Tls,
    Plain,
}

/// The step a login is in, so a timeout can say where it stopped.
#[derive(Clone, Default)]
pub struct Phase(Arc<Mutex<&'static str>>);

impl Phase {
    pub fn set(&self, p: &'static str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }
    pub fn get(&self) -> &'static str {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A logged-in session: a normal tokio-postgres client plus what the login found.
pub struct Session {
    pub client: tokio_postgres::Client,
    pub info: LoginInfo,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// Logs in like psql with these parameters, within `timeout` (and libpq's connect_timeout).
pub async fn connect(params: &ConnParams, timeout: Duration) -> Result<Session, Failure> {
    let started = Instant::now();
    let limit = effective_timeout(params, timeout);
    let phase = Phase::default();
    match tokio::time::timeout(limit, connect_inner(params, &phase, started)).await {
        Ok(r) => r,
        Err(_) => Err(timed_out(params, phase.get(), limit)),
    }
}

fn effective_timeout(params: &ConnParams, timeout: Duration) -> Duration {
    match &params.connect_timeout {
        Some(v) if v.value > 0 => {
            timeout.min(Duration::from_secs(v.value).max(MIN_CONNECT_TIMEOUT))
        }
        _ => timeout,
    }
}

fn timed_out(params: &ConnParams, phase: &str, limit: Duration) -> Failure {
    let host = &params.host.value;
    let port = params.port.value;
    let secs = limit.as_secs_f32();
    if phase == "connecting to the DB port" {
        Failure::new(
            Cause::DbTimeout,
            format!("{host}:{port} did not accept a TCP connection within {secs:.1} s"),
            format!("allow TCP {port} from this host in the DB's security group"),
        )
    } else {
        let hint = if phase.contains("service ticket") {
            "the KDC did not answer in time: see the kdc.* checks (kerbrds doctor)".to_string()
        } else {
            format!("the server at {host}:{port} stopped answering; check the DB and its log")
        };
        Failure::new(
            Cause::LoginTimeout,
            format!("the login did not finish within {secs:.1} s (stopped while {phase})"),
            hint,
        )
    }
}

async fn connect_inner(
    params: &ConnParams,
    phase: &Phase,
    started: Instant,
) -> Result<Session, Failure> {
    phase.set("reading the credential cache");
    let cred = gss::inspect_cred().await;
    let mut try_gssenc = match params.gssencmode.value {
        GssEncMode::Disable => false,
        // libpq's pg_GSS_have_cred_cache; kerbrds also skips an expired TGT.
        GssEncMode::Prefer => cred.usable(),
        GssEncMode::Require => {
            if !cred.usable() {
                let mut f = Failure::cred(&cred, params);
                f.detail = format!("GSSAPI encryption required but impossible: {}", f.detail);
                return Err(f);
            }
            true
        }
    };
    let mut ssl = match params.sslmode.value {
        SslMode::Disable | SslMode::Allow => SslTry::Off,
        SslMode::Prefer => SslTry::IfOffered,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => SslTry::Must,
    };
    let mut attempts: Vec<String> = Vec::new();
    // At most three attempts: each fallback below changes one setting for good.
    for _ in 0..3 {
        match attempt(params, &cred, try_gssenc, ssl, phase).await {
            Ok(mut s) => {
                s.info.attempts = attempts;
                s.info.elapsed = started.elapsed();
                return Ok(s);
            }
            Err((mut f, used)) => {
                // libpq's fallbacks after the server rejected the transport (pg_hba). A
                // Kerberos failure is never retried: it would repeat the same KDC exchange.
                let next = match (f.cause, used) {
                    _ if f.gss_rejected && params.gssencmode.value == GssEncMode::Prefer => {
                        try_gssenc = false;
                        true
                    }
                    (Cause::NoHbaEntry, Some(Used::Gss))
                        if params.gssencmode.value == GssEncMode::Prefer =>
                    {
                        try_gssenc = false;
                        true
                    }
                    (Cause::NoHbaEntry, Some(Used::Tls))
                        if params.sslmode.value == SslMode::Prefer =>
                    {
                        try_gssenc = false;
                        ssl = SslTry::Off;
                        true
                    }
                    (Cause::NoHbaEntry, Some(Used::Plain))
                        if params.sslmode.value == SslMode::Allow && ssl == SslTry::Off =>
                    {
                        try_gssenc = false;
                        ssl = SslTry::Must;
                        true
                    }
                    _ => false,
                };
                if next {
                    attempts.push(format!("{} → {}", used_name(used), f.detail));
                    continue;
                }
                for a in attempts.iter().rev() {
                    f.evidence.insert(0, format!("earlier attempt: {a}"));
                }
                refine_server_hint(&mut f, params, &cred, used);
                return Err(f);
            }
        }
    }
    Err(Failure::new(
        Cause::Internal,
        "the login fell back more often than libpq's rules allow",
        Cause::Internal.fix(),
    ))
}

/// `"name"` as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The fix for a Kerberos user whose role is missing or not in rds_ad.
pub fn role_fix(user: &str, what: &str) -> String {
    let q = ident(user);
    format!(
        "{what}: kerbrds login create {user}   (as the master user: CREATE USER {q} WITH LOGIN; \
         GRANT rds_ad TO {q};)"
    )
}

/// Server errors get the fix for this user, ticket and transport.
fn refine_server_hint(f: &mut Failure, params: &ConnParams, cred: &CredState, used: Option<Used>) {
    let Some(server) = &f.server else { return };
    let user = &params.user.value;
    let ticket = match cred {
        CredState::Valid(t) | CredState::Expired(t) => Some(t.principal.as_str()),
        CredState::Missing { .. } => None,
    };
    f.hint = match f.cause {
        Cause::NoHbaEntry if used == Some(Used::Plain) => "RDS takes Kerberos logins only \
             over TLS or GSS encryption (this attempt was unencrypted): use sslmode=require or \
             gssencmode=require"
            .to_string(),
        Cause::NoHbaEntry => format!(
            "no pg_hba.conf line admits {user} to database {} {}: check the database name, and \
             that the login is a member of rds_ad",
            params.dbname.value,
            used_name(used)
        ),
        Cause::PrincipalMismatch => match ticket {
            Some(t) if t != user => format!(
                "your ticket is for {t}, not {user}: connect with user={t}, or kinit {user}"
            ),
            _ => format!(
                "the ticket's principal must equal the user name exactly (case included): \
                 check klist against user={user}"
            ),
        },
        Cause::RoleMissing => role_fix(user, "the role does not exist"),
        Cause::RoleNoLogin => format!("as the master user: ALTER ROLE {} LOGIN;", ident(user)),
        _ => server
            .hint
            .clone()
            .unwrap_or_else(|| format!("read the server's message: {}", server.line())),
    };
}

fn used_name(u: Option<Used>) -> &'static str {
    match u {
        Some(Used::Gss) => "over GSS encryption",
        Some(Used::Tls) => "over TLS",
        Some(Used::Plain) => "unencrypted",
        None => "before a transport was chosen",
    }
}

async fn attempt(
    params: &ConnParams,
    cred: &CredState,
    try_gssenc: bool,
    ssl: SslTry,
    phase: &Phase,
) -> Result<Session, (Failure, Option<Used>)> {
    let tcp = negotiate::tcp(params, phase).await.map_err(|f| (f, None))?;
    let (io, used) = if try_gssenc {
        match negotiate::gssenc(tcp, params, phase).await {
            Ok(Ok(stream)) => (transport::Transport::Gss(Box::new(stream)), Used::Gss),
            Ok(Err(tcp)) => negotiate::ssl(tcp, ssl, params, phase)
                .await
                .map_err(|f| (f, None))?,
            Err(f) => {
                let used = f.gss_rejected.then_some(Used::Gss);
                return Err((f, used));
            }
        }
    } else {
        negotiate::ssl(tcp, ssl, params, phase)
            .await
            .map_err(|f| (f, None))?
    };
    let kind = io.kind();
    let logged = auth::login(io, params, cred, phase)
        .await
        .map_err(|f| (f, Some(used)))?;
    phase.set("starting the session");
    session(params, logged, kind)
        .await
        .map_err(|f| (f, Some(used)))
}

/// Who am I, how am I connected, am I in rds_ad: one round trip. The CASEs keep a server
/// without rds_ad/rds_iam (not RDS) from failing the query.
pub const SESSION_SQL: &str = "select current_user::text, session_user::text, \
     current_setting('server_version'), \
     coalesce(g.gss_authenticated, false), g.principal, coalesce(g.encrypted, false), \
     coalesce(s.ssl, false), s.version, s.cipher, \
     case when exists (select 1 from pg_roles where rolname = 'rds_ad') \
          then pg_has_role(current_user, 'rds_ad', 'member') end, \
     case when exists (select 1 from pg_roles where rolname = 'rds_iam') \
          then pg_has_role(current_user, 'rds_iam', 'member') end \
     from (select pg_backend_pid() as pid) me \
     left join pg_stat_gssapi g on g.pid = me.pid \
     left join pg_stat_ssl s on s.pid = me.pid";

async fn session(
    params: &ConnParams,
    logged: auth::LoggedIn,
    kind: &'static str,
) -> Result<Session, Failure> {
    let mut config = tokio_postgres::Config::new();
    config
        .user(&params.user.value)
        .dbname(&params.dbname.value)
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    let stream = shim::Replay::new(logged.io, logged.tail);
    let (client, connection) = config
        .connect_raw(stream, tokio_postgres::NoTls)
        .await
        .map_err(|e| {
            Failure::new(
                Cause::Internal,
                format!("handing the session to tokio-postgres failed: {e}"),
                Cause::Internal.fix(),
            )
        })?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut s = Session {
        client,
        info: LoginInfo {
            current_user: String::new(),
            session_user: String::new(),
            server_version: logged.server_version.unwrap_or_default(),
            gss_authenticated: false,
            principal: None,
            gss_encrypted: false,
            tls: None,
            in_rds_ad: None,
            in_rds_iam: None,
            transport: kind,
            gss_auth_exchange: logged.gss_exchange,
            attempts: Vec::new(),
            elapsed: Duration::ZERO,
        },
        connection,
    };
    let rows = s.client.simple_query(SESSION_SQL).await.map_err(|e| {
        Failure::new(
            Cause::ServerFatal,
            format!("logged in, but the session query failed: {e}"),
            "read the server's message shown",
        )
    })?;
    let row = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    });
    let Some(row) = row else {
        return Err(Failure::new(
            Cause::ServerFatal,
            "logged in, but the session query returned no row",
            "read the server's message shown",
        ));
    };
    let text = |i: usize| row.get(i).map(str::to_string);
    let flag = |i: usize| row.get(i).map(|v| v == "t");
    let i = &mut s.info;
    i.current_user = text(0).unwrap_or_default();
    i.session_user = text(1).unwrap_or_default();
    i.server_version = text(2).unwrap_or(std::mem::take(&mut i.server_version));
    i.gss_authenticated = flag(3).unwrap_or(false);
    i.principal = text(4);
    i.gss_encrypted = flag(5).unwrap_or(false);
    if flag(6) == Some(true) {
        i.tls = Some(TlsInfo {
            version: text(7).unwrap_or_default(),
            cipher: text(8).unwrap_or_default(),
        });
    }
    i.in_rds_ad = flag(9);
    i.in_rds_iam = flag(10);
    Ok(s)
}

/// `db.login` and `db.role` for the doctor: logs in, judges, closes the session.
pub async fn login(params: &ConnParams, timeout: Duration) -> Checked<LoginInfo> {
    let started = Instant::now();
    let outcome = connect(params, timeout).await.map(|s| s.info.clone());
    let elapsed = started.elapsed();
    let results = judge(params, &outcome)
        .into_iter()
        .map(|r| r.with_elapsed(elapsed))
        .collect();
    Checked::new(results, outcome.ok())
}

/// Judges a login outcome into `db.login` and `db.role` (pure).
pub fn judge(params: &ConnParams, outcome: &Result<LoginInfo, Failure>) -> Vec<CheckResult> {
    let target = format!("{}:{}", params.host.value, params.port.value);
    match outcome {
        Ok(info) => vec![
            judge_login_ok(info).with_target(target.clone()),
            judge_role(info).with_target(target),
        ],
        Err(f) => {
            let mut login = CheckResult::fail(CheckId::DbLogin, f.cause, f.detail.clone())
                .with_target(target.clone())
                .with_hint(f.hint.clone());
            login.evidence = f.evidence.clone();
            let role = match f.cause {
                Cause::RoleMissing | Cause::RoleNoLogin => {
                    CheckResult::fail(CheckId::DbRole, f.cause, f.detail.clone())
                        .with_hint(f.hint.clone())
                }
                Cause::PasswordAuthChosen => CheckResult::skip(
                    CheckId::DbRole,
                    format!(
                        "not checked: the login failed; the password request usually means the \
                         role {:?} is missing or not in rds_ad",
                        params.user.value
                    ),
                ),
                _ => CheckResult::skip(CheckId::DbRole, "not checked: the login failed"),
            };
            vec![login, role.with_target(target)]
        }
    }
}

/// One line: how the session is protected.
pub fn channel(info: &LoginInfo) -> String {
    match (&info.tls, info.gss_encrypted) {
        (_, true) => "GSS encryption".to_string(),
        (Some(t), false) => format!("TLS ({} {})", t.version, t.cipher),
        (None, false) => "no encryption".to_string(),
    }
}

fn judge_login_ok(info: &LoginInfo) -> CheckResult {
    let how = channel(info);
    let mut r = if info.gss_authenticated {
        CheckResult::pass(
            CheckId::DbLogin,
            format!(
                "logged in as {} (principal {}) over {how}",
                info.current_user,
                info.principal.as_deref().unwrap_or("?")
            ),
        )
    } else {
        CheckResult::new(
            CheckId::DbLogin,
            Status::Pass,
            format!(
                "logged in as {} over {how}, but not through Kerberos (pg_hba chose another method)",
                info.current_user
            ),
        )
    };
    r = r.with_evidence(format!("server version {}", info.server_version));
    for a in &info.attempts {
        r = r.with_evidence(format!("earlier attempt: {a}"));
    }
    r
}

fn judge_role(info: &LoginInfo) -> CheckResult {
    let user = &info.current_user;
    match (info.in_rds_ad, info.in_rds_iam) {
        (Some(true), Some(true)) => CheckResult::warn(
            CheckId::DbRole,
            Cause::RoleInRdsAdAndRdsIam,
            format!("{user} is a member of both rds_ad and rds_iam"),
        )
        .with_hint(format!(
            "as the master user: REVOKE rds_iam FROM {};",
            ident(user)
        )),
        (Some(true), _) => {
            CheckResult::pass(CheckId::DbRole, format!("{user} is a member of rds_ad"))
        }
        (Some(false), _) => CheckResult::warn(
            CheckId::DbRole,
            Cause::RoleNotInRdsAd,
            format!("{user} is not a member of rds_ad"),
        )
        .with_hint(role_fix(
            user,
            "RDS offers Kerberos only to members of rds_ad",
        )),
        (None, _) => CheckResult::warn(
            CheckId::DbRole,
            Cause::RoleNotInRdsAd,
            format!("the server has no rds_ad role (not an RDS instance?); {user} logged in"),
        )
        .with_hint("on RDS, rds_ad exists once the instance is joined to the directory"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn params() -> ConnParams {
        let args = crate::pgconn::ConnArgs {
            conninfo: Some("host=db.example.com user=alice@EXAMPLE.COM dbname=postgres".into()),
            ..Default::default()
        };
        crate::pgconn::resolve(&args, &|_| None).unwrap()
    }

    fn info(rds_ad: Option<bool>, rds_iam: Option<bool>, gss: bool) -> LoginInfo {
        LoginInfo {
            current_user: "alice@EXAMPLE.COM".into(),
            session_user: "alice@EXAMPLE.COM".into(),
            server_version: "15.18".into(),
            gss_authenticated: gss,
            principal: gss.then(|| "alice@EXAMPLE.COM".into()),
            gss_encrypted: true,
            tls: None,
            in_rds_ad: rds_ad,
            in_rds_iam: rds_iam,
            transport: "gss",
            gss_auth_exchange: false,
            attempts: vec![],
            elapsed: Duration::ZERO,
        }
    }

    type Row = (
        Result<LoginInfo, Failure>,
        (Status, Option<Cause>),
        (Status, Option<Cause>),
    );

    #[test]
    fn login_outcomes_judge_into_db_login_and_db_role() {
        let fail = |c: Cause| Err(Failure::new(c, "seen", "fix"));
        let table: Vec<Row> = vec![
            (
                Ok(info(Some(true), Some(false), true)),
                (Status::Pass, None),
                (Status::Pass, None),
            ),
            (
                Ok(info(Some(true), Some(true), true)),
                (Status::Pass, None),
                (Status::Warn, Some(Cause::RoleInRdsAdAndRdsIam)),
            ),
            (
                Ok(info(Some(false), None, true)),
                (Status::Pass, None),
                (Status::Warn, Some(Cause::RoleNotInRdsAd)),
            ),
            (
                Ok(info(None, None, true)),
                (Status::Pass, None),
                (Status::Warn, Some(Cause::RoleNotInRdsAd)),
            ),
            (
                fail(Cause::PasswordAuthChosen),
                (Status::Fail, Some(Cause::PasswordAuthChosen)),
                (Status::Skip, None),
            ),
            (
                fail(Cause::RoleMissing),
                (Status::Fail, Some(Cause::RoleMissing)),
                (Status::Fail, Some(Cause::RoleMissing)),
            ),
            (
                fail(Cause::RoleNoLogin),
                (Status::Fail, Some(Cause::RoleNoLogin)),
                (Status::Fail, Some(Cause::RoleNoLogin)),
            ),
            (
                fail(Cause::HostIsIpAddress),
                (Status::Fail, Some(Cause::HostIsIpAddress)),
                (Status::Skip, None),
            ),
            (
                fail(Cause::LoginTimeout),
                (Status::Fail, Some(Cause::LoginTimeout)),
                (Status::Skip, None),
            ),
        ];
        let p = params();
        for (outcome, login, role) in table {
            let r = judge(&p, &outcome);
            assert_eq!(r[0].id, CheckId::DbLogin);
            assert_eq!(r[1].id, CheckId::DbRole);
            assert_eq!((r[0].status, r[0].cause), login, "{outcome:?}");
            assert_eq!((r[1].status, r[1].cause), role, "{outcome:?}");
            assert_eq!(r[0].target.as_deref(), Some("db.example.com:5432"));
        }
    }

    #[test]
    fn a_login_without_kerberos_says_so() {
        let r = judge(&params(), &Ok(info(Some(true), None, false)));
        assert!(
            r[0].detail.contains("not through Kerberos"),
            "{}",
            r[0].detail
        );
    }

    #[test]
    fn server_errors_get_the_fix_for_this_user_and_ticket() {
        let p = params();
        let cred = CredState::Valid(gss::TgtInfo {
            principal: "bob@ONPREM.COM".into(),
            realm: "ONPREM.COM".into(),
            ccache: "FILE:/tmp/cc".into(),
            remaining: Duration::from_secs(3600),
        });
        let e = ServerError {
            severity: "FATAL".into(),
            code: "28000".into(),
            message: "GSSAPI authentication failed for user \"alice@EXAMPLE.COM\"".into(),
            ..ServerError::default()
        };
        let mut f = negotiate::server_failure(&e);
        refine_server_hint(&mut f, &p, &cred, Some(Used::Gss));
        assert_eq!(f.cause, Cause::PrincipalMismatch);
        assert_eq!(
            f.hint,
            "your ticket is for bob@ONPREM.COM, not alice@EXAMPLE.COM: connect with \
             user=bob@ONPREM.COM, or kinit alice@EXAMPLE.COM"
        );
    }

    #[test]
    fn connect_timeout_is_honoured_with_libpqs_two_second_floor() {
        let mut p = params();
        assert_eq!(
            effective_timeout(&p, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        p.connect_timeout = Some(crate::pgconn::Value {
            value: 1,
            source: crate::pgconn::Source::Conninfo,
        });
        assert_eq!(
            effective_timeout(&p, Duration::from_secs(30)),
            Duration::from_secs(2)
        );
    }
}
