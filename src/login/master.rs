//! The master-user connection `login` works over: a password login with TLS as libpq makes it
//! (sslmode, sslrootcert; libpq §34.19), never GSSAPI. The password comes from PGPASSWORD, the
//! password file or a prompt — never from argv — and is never formatted into any message.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use native_tls::{Certificate, TlsConnector};
use postgres_native_tls::MakeTlsConnector;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::pgconn::{pgpass, ConnParams, GssEncMode, SslMode};

/// libpq waits forever without connect_timeout; kerbrds does not wait longer than this.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A password that cannot be printed by accident: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the master password was found, for messages (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Env,
    PassFile(std::path::PathBuf),
    Prompt,
    None,
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::Env => f.write_str("PGPASSWORD"),
            PasswordSource::PassFile(p) => write!(f, "password file {}", p.display()),
            PasswordSource::Prompt => f.write_str("the prompt"),
            PasswordSource::None => {
                f.write_str("nowhere (no PGPASSWORD, no password file entry, no prompt)")
            }
        }
    }
}

/// libpq's order without a prompt: PGPASSWORD, then the password file (PGPASSFILE or ~/.pgpass).
/// The second value is libpq's warning for a password file others can read (then ignored).
pub fn stored_password(
    params: &ConnParams,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<(Secret, PasswordSource)>, Option<String>) {
    if let Some(pw) = env("PGPASSWORD").filter(|p| !p.is_empty()) {
        return (Some((Secret(pw), PasswordSource::Env)), None);
    }
    let Some(path) = pgpass::default_path(env) else {
        return (None, None);
    };
    match pgpass::lookup(&path, &params.host.value, params.port.value, &params.dbname.value, &params.user.value) {
        pgpass::Lookup::Found(pw) => (Some((Secret(pw), PasswordSource::PassFile(path))), None),
        pgpass::Lookup::NotFound => (None, None),
        pgpass::Lookup::TooOpen(p) => (
            None,
            Some(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less (ignored)",
                p.display()
            )),
        ),
    }
}

/// A failure of the master connection or of SQL run over it: what happened, the fix, and the
/// SQLSTATE when the server sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterError {
    pub message: String,
    pub hint: Option<String>,
    pub sqlstate: Option<String>,
}

impl fmt::Display for MasterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MasterError {}

impl MasterError {
    pub fn new(message: impl Into<String>, hint: Option<String>) -> MasterError {
        MasterError {
            message: message.into(),
            hint,
            sqlstate: None,
        }
    }
}

/// The error and its sources, one after the other (tokio-postgres puts the useful part in the
/// source: "error connecting to server: Connection refused").
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        s.push_str(": ");
        s.push_str(&src.to_string());
        cur = src.source();
    }
    s
}

/// Maps a tokio-postgres error to a message with a fix. Judged by SQLSTATE and error kind first;
/// the only foreign text matched is tokio-postgres's own "password missing".
pub fn from_pg(e: &tokio_postgres::Error, params: &ConnParams, pw: &PasswordSource) -> MasterError {
    let at = format!("{}:{}", params.host.value, params.port.value);
    let user = &params.user.value;
    if let Some(db) = e.as_db_error() {
        let code = db.code().code().to_string();
        let hint = match db.code() {
            c if *c == SqlState::INVALID_PASSWORD => Some(format!(
                "the master password from {pw} was refused; check it (or reset it in the RDS console: Modify → Master password)"
            )),
            c if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => Some(
                "RDS accepts the master user only over TLS: use sslmode=require (or verify-full with the RDS CA bundle)".into(),
            ),
            c if *c == SqlState::INVALID_CATALOG_NAME => Some("connect to an existing database, e.g. -d postgres".into()),
            c if *c == SqlState::TOO_MANY_CONNECTIONS => Some("wait for connections to close, or raise max_connections".into()),
            _ => db.hint().map(str::to_string),
        };
        return MasterError {
            message: format!("{at}: {} (SQLSTATE {code})", db.message()),
            hint,
            sqlstate: Some(code),
        };
    }
    let text = chain(e);
    if text.contains("password missing") {
        return MasterError::new(
            format!("{at} asked for the password of {user}, and none was found"),
            Some("set PGPASSWORD, add a line to ~/.pgpass (or PGPASSFILE), or run kerbrds in a terminal to be prompted".into()),
        );
    }
    let io = std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>());
    if let Some(io) = io {
        let hint = match io.kind() {
            std::io::ErrorKind::ConnectionRefused => Some(
                "check host and port; the DB's security group must allow this host on its port"
                    .to_string(),
            ),
            std::io::ErrorKind::TimedOut => {
                Some("a security group, NACL or route drops the DB port".to_string())
            }
            _ if io.to_string().contains("lookup") => {
                Some("check the endpoint name and the resolver".to_string())
            }
            _ => None,
        };
        return MasterError::new(format!("cannot connect to {at}: {text}"), hint);
    }
    if std::error::Error::source(e).is_some_and(|s| s.downcast_ref::<native_tls::Error>().is_some())
        || text.starts_with("error performing TLS handshake")
    {
        let root = &params.sslrootcert.value;
        let verified = matches!(
            params.sslmode.value,
            SslMode::VerifyCa | SslMode::VerifyFull
        ) || root.as_os_str() == "system"
            || root.is_file();
        let hint = match verified {
            true => format!(
                "sslrootcert ({}) must hold the CA that signed the server's certificate (for RDS the bundle from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)",
                root.display()
            ) + if matches!(params.sslmode.value, SslMode::VerifyCa | SslMode::VerifyFull) { "" } else { "; libpq, and kerbrds, verify against that file whenever it exists, even with sslmode=require" },
            false => "RDS supports TLS on its port; check that host and port are the RDS endpoint".into(),
        };
        return MasterError::new(format!("TLS with {at} failed: {text}"), Some(hint));
    }
    MasterError::new(format!("{at}: {text}"), None)
}

/// The PEM certificates in a bundle (the RDS global bundle holds many).
fn pem_certificates(path: &Path) -> Result<Vec<Certificate>, MasterError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        MasterError::new(
            format!("cannot read root certificate file {}: {e}", path.display()),
            Some("download the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) or use sslmode=require".into()),
        )
    })?;
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    for (i, block) in text
        .split_inclusive(END)
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .enumerate()
    {
        let start = block.find("-----BEGIN").unwrap_or(0);
        let cert = Certificate::from_pem(&block.as_bytes()[start..]).map_err(|e| {
            MasterError::new(
                format!(
                    "{}: certificate {} is not valid PEM: {e}",
                    path.display(),
                    i + 1
                ),
                None,
            )
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(MasterError::new(
            format!("{}: no PEM certificate found", path.display()),
            None,
        ));
    }
    Ok(certs)
}

/// The TLS connector for an sslmode, as libpq builds it: require (and prefer/allow) accept any
/// certificate unless the root certificate file exists, in which case the chain is verified
/// ("for backwards compatibility", libpq §34.19.1); verify-ca checks the chain, verify-full also
/// the host name. `sslrootcert=system` uses the system's roots.
pub fn tls_connector(params: &ConnParams) -> Result<MakeTlsConnector, MasterError> {
    let root = &params.sslrootcert.value;
    let system = root.as_os_str() == "system";
    let mode = params.sslmode.value;
    let verify_chain = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        _ => system || root.is_file(),
    };
    let mut b = TlsConnector::builder();
    postgres_native_tls::set_postgresql_alpn(&mut b);
    if verify_chain && !system {
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && !root.is_file() {
            return Err(MasterError::new(
                format!(
                    "root certificate file \"{}\" does not exist; sslmode={} needs it",
                    root.display(),
                    mode.as_str()
                ),
                Some("download the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) and set sslrootcert, or use sslmode=require".into()),
            ));
        }
        b.disable_built_in_roots(true);
        for cert in pem_certificates(root)? {
            b.add_root_certificate(cert);
        }
    }
    b.danger_accept_invalid_certs(!verify_chain);
    b.danger_accept_invalid_hostnames(mode != SslMode::VerifyFull);
    let connector = b
        .build()
        .map_err(|e| MasterError::new(format!("cannot set up TLS: {}", chain(&e)), None))?;
    Ok(MakeTlsConnector::new(connector))
}

/// The tokio-postgres configuration for one attempt (no secrets are logged: Config's Debug
/// redacts the password, and kerbrds never prints it anyway).
fn config(
    params: &ConnParams,
    password: Option<&Secret>,
    tls: tokio_postgres::config::SslMode,
) -> Result<tokio_postgres::Config, MasterError> {
    let mut c = tokio_postgres::Config::new();
    c.host(&params.host.value)
        .port(params.port.value)
        .user(&params.user.value)
        .dbname(&params.dbname.value)
        .application_name(params.application_name.as_deref().unwrap_or("kerbrds"))
        .ssl_mode(tls)
        .connect_timeout(connect_timeout(params));
    if let Some(addr) = &params.hostaddr {
        let ip: IpAddr = addr.value.parse().map_err(|_| {
            MasterError::new(
                format!(
                    "hostaddr {:?} (from {}) is not an IP address",
                    addr.value, addr.source
                ),
                None,
            )
        })?;
        c.hostaddr(ip);
    }
    if let Some(pw) = password {
        c.password(pw.expose());
    }
    Ok(c)
}

pub fn connect_timeout(params: &ConnParams) -> Duration {
    params
        .connect_timeout
        .as_ref()
        .map_or(DEFAULT_CONNECT_TIMEOUT, |v| Duration::from_secs(v.value))
}

/// Refuses what the master connection cannot honour before any network I/O.
pub fn precheck(params: &ConnParams) -> Result<(), MasterError> {
    if params.gssencmode.value == GssEncMode::Require {
        return Err(MasterError::new(
            format!(
                "gssencmode=require (from {}) is not supported for the master connection: the master user logs in with a password over TLS, not Kerberos",
                params.gssencmode.source
            ),
            Some("drop gssencmode (or set gssencmode=disable) and use sslmode=require".into()),
        ));
    }
    Ok(())
}

/// Connects as the master user. sslmode=allow tries without TLS first and retries with TLS when
/// the server refuses (as libpq does); prefer/require/verify-* use TLS when offered/required.
pub async fn connect(
    params: &ConnParams,
    password: Option<&Secret>,
    source: &PasswordSource,
) -> Result<Client, MasterError> {
    use tokio_postgres::config::SslMode as Tls;
    precheck(params)?;
    let tls = tls_connector(params)?;
    let attempts: &[Tls] = match params.sslmode.value {
        SslMode::Disable => &[Tls::Disable],
        SslMode::Allow => &[Tls::Disable, Tls::Require],
        SslMode::Prefer => &[Tls::Prefer],
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => &[Tls::Require],
    };
    let limit = connect_timeout(params);
    let mut last = None;
    for mode in attempts {
        let cfg = config(params, password, *mode)?;
        let outcome =
            tokio::time::timeout(limit + Duration::from_secs(1), cfg.connect(tls.clone())).await;
        match outcome {
            Ok(Ok((client, connection))) => {
                tokio::spawn(connection);
                return Ok(client);
            }
            Ok(Err(e)) => last = Some(from_pg(&e, params, source)),
            Err(_) => {
                last = Some(MasterError::new(
                    format!("{}:{} did not complete the login within {} s", params.host.value, params.port.value, limit.as_secs()),
                    Some("a security group, NACL or route drops the DB port, or the server is overloaded; raise connect_timeout if it is just slow".into()),
                ))
            }
        }
    }
    Err(last.unwrap_or_else(|| MasterError::new("no connection attempt was made", None)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pgconn::{resolve, ConnArgs};

    fn params(extra: &[(&str, &str)]) -> ConnParams {
        let mut env: Vec<(String, String)> = vec![
            ("PGHOST".into(), "db.example.com".into()),
            ("PGUSER".into(), "master".into()),
            ("HOME".into(), "/nonexistent".into()),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        resolve(&ConnArgs::default(), &move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "***");
        assert!(!format!("{:?}", (s.clone(), PasswordSource::Env)).contains("hunter2"));
    }

    #[test]
    fn gssencmode_require_is_refused_with_the_reason() {
        let e = precheck(&params(&[("PGGSSENCMODE", "require")])).unwrap_err();
        assert!(
            e.message
                .contains("not supported for the master connection"),
            "{e}"
        );
        assert!(e.message.contains("PGGSSENCMODE"), "{e}");
        assert!(precheck(&params(&[("PGGSSENCMODE", "prefer")])).is_ok());
    }

    #[test]
    fn verify_modes_need_the_root_certificate() {
        let e = tls_connector(&params(&[
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "/nonexistent/root.crt"),
        ]))
        .err()
        .expect("an error");
        assert!(
            e.message.contains("/nonexistent/root.crt") && e.message.contains("verify-full"),
            "{e}"
        );
        assert!(e.hint.unwrap().contains("global-bundle.pem"));
        // require without a root file accepts any certificate, as libpq does.
        assert!(tls_connector(&params(&[
            ("PGSSLMODE", "require"),
            ("PGSSLROOTCERT", "/nonexistent/root.crt")
        ]))
        .is_ok());
    }

    #[test]
    fn a_bundle_that_is_not_pem_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bundle.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = tls_connector(&params(&[
            ("PGSSLMODE", "verify-ca"),
            ("PGSSLROOTCERT", f.to_str().unwrap()),
        ]))
        .err()
        .expect("an error");
        assert!(e.message.contains("no PEM certificate"), "{e}");
    }

    #[test]
    fn password_comes_from_env_then_passfile_and_a_too_open_file_is_ignored_with_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pgpass");
        std::fs::write(&f, "db.example.com:5432:*:master:from-file\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let p = params(&[]);
        let fpath = f.to_str().unwrap().to_string();
        let env_file = |k: &str| (k == "PGPASSFILE").then(|| fpath.clone());
        let (pw, warn) = stored_password(&p, &env_file);
        let (pw, src) = pw.unwrap();
        assert_eq!(
            (pw.expose(), src, warn),
            ("from-file", PasswordSource::PassFile(f.clone()), None)
        );
        let env_both = |k: &str| match k {
            "PGPASSWORD" => Some("from-env".to_string()),
            "PGPASSFILE" => Some(fpath.clone()),
            _ => None,
        };
        assert_eq!(
            stored_password(&p, &env_both).0.unwrap().0.expose(),
            "from-env"
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (pw, warn) = stored_password(&p, &env_file);
        assert!(pw.is_none());
        assert!(warn.unwrap().contains("group or world access"));
    }
}
