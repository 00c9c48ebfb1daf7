//! Connection parameters the way libpq takes them (libpq docs §34.1 and §34.15-34.17): psql-style
//! flags, a conninfo string or URI, the service file (PGSERVICE), the PG* environment and libpq's
//! defaults, with libpq's precedence: connection string > flags > service > environment > default.
//! Every value remembers where it came from, so reports can say "user alice@EXAMPLE.COM (PGUSER)".

pub mod conninfo;
pub mod pgpass;

use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;

/// psql's connection inputs: `[CONNINFO] -h HOST -p PORT -U USER -d DBNAME`.
/// Commands that flatten this must disable clap's `-h` help flag (`-h` is the host, as in psql).
#[derive(Debug, Clone, Default, Args)]
pub struct ConnArgs {
    /// Connection string (`host=… user=…`), `postgresql://` URI, or database name, as psql takes it.
    #[arg(value_name = "CONNINFO")]
    pub conninfo: Option<String>,
    /// Database server host (the RDS endpoint name) [env: PGHOST]
    #[arg(short = 'h', long = "host", value_name = "HOST")]
    pub host: Option<String>,
    /// Database server port [env: PGPORT]
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub port: Option<String>,
    /// Database user name, e.g. alice@CORP.EXAMPLE.COM [env: PGUSER]
    #[arg(short = 'U', long = "username", value_name = "USER")]
    pub user: Option<String>,
    /// Database name [env: PGDATABASE]
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME")]
    pub dbname: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Conninfo,
    Service(PathBuf),
    Env(&'static str),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("command line"),
            Source::Conninfo => f.write_str("connection string"),
            Source::Service(p) => write!(f, "service file {}", p.display()),
            Source::Env(v) => f.write_str(v),
            Source::Default => f.write_str("default"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<T> {
    pub value: T,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GssEncMode {
    Disable,
    Prefer,
    Require,
}

impl GssEncMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GssEncMode::Disable => "disable",
            GssEncMode::Prefer => "prefer",
            GssEncMode::Require => "require",
        }
    }

    fn parse(s: &str) -> Option<GssEncMode> {
        Some(match s {
            "disable" => GssEncMode::Disable,
            "prefer" => GssEncMode::Prefer,
            "require" => GssEncMode::Require,
            _ => return None,
        })
    }
}

/// The resolved parameters. `host` is required: Kerberos builds the service principal from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnParams {
    pub host: Value<String>,
    pub hostaddr: Option<Value<String>>,
    pub port: Value<u16>,
    pub user: Value<String>,
    pub dbname: Value<String>,
    pub sslmode: Value<SslMode>,
    pub sslrootcert: Value<PathBuf>,
    pub gssencmode: Value<GssEncMode>,
    pub krbsrvname: Value<String>,
    /// None = wait forever (libpq's default); libpq treats values below 2 s as 2 s.
    pub connect_timeout: Option<Value<u64>>,
    pub application_name: Option<String>,
    pub service: Option<Value<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}

fn perr(message: impl Into<String>, hint: Option<&str>) -> ParamError {
    ParamError {
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

/// Keywords libpq knows that kerbrds accepts but does not act on.
const IGNORED: &[&str] = &[
    "client_encoding",
    "options",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslcrldir",
    "sslcompression",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requirepeer",
    "gsslib",
    "target_session_attrs",
    "load_balance_hosts",
    "replication",
    "passfile",
    "channel_binding",
    "require_auth",
    "sslpassword",
];

const KNOWN: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "dbname",
    "sslmode",
    "sslrootcert",
    "gssencmode",
    "krbsrvname",
    "connect_timeout",
    "application_name",
    "service",
    "password",
];

/// The PG* variable for each keyword (libpq §34.15).
fn env_var(key: &str) -> Option<&'static str> {
    Some(match key {
        "host" => "PGHOST",
        "hostaddr" => "PGHOSTADDR",
        "port" => "PGPORT",
        "user" => "PGUSER",
        "dbname" => "PGDATABASE",
        "sslmode" => "PGSSLMODE",
        "sslrootcert" => "PGSSLROOTCERT",
        "gssencmode" => "PGGSSENCMODE",
        "krbsrvname" => "PGKRBSRVNAME",
        "connect_timeout" => "PGCONNECT_TIMEOUT",
        "application_name" => "PGAPPNAME",
        _ => return None,
    })
}

/// Resolves parameters from psql-style inputs and an environment lookup (std::env::var in
/// production, a table in tests).
pub fn resolve(
    args: &ConnArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ConnParams, ParamError> {
    // Ordered (key, value, source); a later entry for the same key never replaces an earlier one.
    let mut set: Vec<(String, String, Source)> = Vec::new();
    let put = |set: &mut Vec<(String, String, Source)>, k: &str, v: String, s: Source| {
        if !set.iter().any(|(key, _, _)| key == k) {
            set.push((k.to_string(), v, s));
        }
    };

    // 1. The connection string wins over psql's flags (libpq expand_dbname semantics).
    let mut positional_db = None;
    if let Some(ci) = &args.conninfo {
        if conninfo::looks_like_conninfo(ci) {
            let pairs = conninfo::parse(ci).map_err(|e| {
                perr(
                    format!("invalid connection string: {e}"),
                    Some("write it as 'host=HOST user=USER' or postgresql://USER@HOST:PORT/DB"),
                )
            })?;
            for (k, v) in pairs {
                check_keyword(&k)?;
                put(&mut set, &k, v, Source::Conninfo);
            }
        } else {
            positional_db = Some(ci.clone());
        }
    }
    // 2. Flags.
    for (k, v) in [
        ("host", &args.host),
        ("port", &args.port),
        ("user", &args.user),
        ("dbname", &args.dbname.clone().or(positional_db)),
    ] {
        if let Some(v) = v {
            put(&mut set, k, v.clone(), Source::Flag);
        }
    }
    // 3. The service file, named by service= or PGSERVICE.
    let service = set
        .iter()
        .find(|(k, _, _)| k == "service")
        .map(|(_, v, s)| Value {
            value: v.clone(),
            source: s.clone(),
        })
        .or_else(|| {
            env("PGSERVICE").map(|v| Value {
                value: v,
                source: Source::Env("PGSERVICE"),
            })
        });
    if let Some(svc) = &service {
        let (path, entries) = read_service(&svc.value, env)?;
        for (k, v) in entries {
            check_keyword(&k)?;
            put(&mut set, &k, v, Source::Service(path.clone()));
        }
    }
    // 4. The environment.
    for key in KNOWN {
        if let Some(var) = env_var(key) {
            if let Some(v) = env(var) {
                put(&mut set, key, v, Source::Env(var));
            }
        }
    }
    if set.iter().any(|(k, _, _)| k == "password") {
        return Err(perr(
            "a password in the connection string would be visible in process listings and shell history",
            Some("remove it and use PGPASSWORD, ~/.pgpass (PGPASSFILE) or the interactive prompt"),
        ));
    }

    let get = |k: &str| -> Option<Value<String>> {
        set.iter()
            .find(|(key, _, _)| key == k)
            .map(|(_, v, s)| Value {
                value: v.clone(),
                source: s.clone(),
            })
    };

    let host = match get("host") {
        Some(h) if !h.value.is_empty() && !h.value.starts_with('/') => h,
        Some(h) if h.value.starts_with('/') => {
            return Err(perr(
                format!(
                    "host {} is a Unix-socket directory; Kerberos needs a network host name",
                    h.value
                ),
                Some("give the RDS endpoint: -h mydb.xxxx.REGION.rds.amazonaws.com"),
            ))
        }
        _ => return Err(perr(
            "no database host given",
            Some(
                "give the RDS endpoint with -h HOST, host=HOST in the connection string, or PGHOST",
            ),
        )),
    };
    if host.value.contains(',') {
        return Err(perr(
            format!(
                "host {} lists several hosts; kerbrds checks one at a time",
                host.value
            ),
            Some("pass one host with -h"),
        ));
    }
    let port = match get("port") {
        Some(p) => Value {
            value: p
                .value
                .parse::<u16>()
                .ok()
                .filter(|n| *n != 0)
                .ok_or_else(|| {
                    perr(
                        format!("invalid port number: \"{}\" (from {})", p.value, p.source),
                        Some("the RDS default is 5432"),
                    )
                })?,
            source: p.source,
        },
        None => Value {
            value: 5432,
            source: Source::Default,
        },
    };
    let user = match get("user").filter(|u| !u.value.is_empty()) {
        Some(u) => u,
        None => Value {
            value: env("USER")
                .or_else(|| env("LOGNAME"))
                .or_else(os_user)
                .ok_or_else(|| {
                    perr(
                        "no database user given and the operating-system user is unknown",
                        Some("give the Kerberos login with -U user@REALM or PGUSER"),
                    )
                })?,
            source: Source::Default,
        },
    };
    let dbname = get("dbname")
        .filter(|d| !d.value.is_empty())
        .unwrap_or_else(|| Value {
            value: user.value.clone(),
            source: Source::Default,
        });
    let sslmode = enum_param(
        get("sslmode"),
        SslMode::parse,
        SslMode::Prefer,
        "sslmode",
        "disable, allow, prefer, require, verify-ca, verify-full",
    )?;
    let gssencmode = enum_param(
        get("gssencmode"),
        GssEncMode::parse,
        GssEncMode::Prefer,
        "gssencmode",
        "disable, prefer, require",
    )?;
    let krbsrvname = match get("krbsrvname") {
        Some(k) if k.value.is_empty() => {
            return Err(perr(
                "krbsrvname is empty",
                Some("RDS uses the default, postgres"),
            ))
        }
        Some(k) => k,
        None => Value {
            value: "postgres".to_string(),
            source: Source::Default,
        },
    };
    let sslrootcert = get("sslrootcert")
        .map(|v| Value {
            value: PathBuf::from(v.value),
            source: v.source,
        })
        .unwrap_or_else(|| Value {
            value: home(env).join(".postgresql/root.crt"),
            source: Source::Default,
        });
    let connect_timeout = match get("connect_timeout") {
        None => None,
        Some(v) => {
            let n: i64 = v.value.trim().parse().map_err(|_| {
                perr(
                    format!(
                        "invalid integer value \"{}\" for connection option \"connect_timeout\"",
                        v.value
                    ),
                    None,
                )
            })?;
            // libpq: zero or negative means wait indefinitely; 1 is raised to 2.
            (n > 0).then(|| Value {
                value: n.max(2) as u64,
                source: v.source,
            })
        }
    };
    Ok(ConnParams {
        host,
        hostaddr: get("hostaddr").filter(|v| !v.value.is_empty()),
        port,
        user,
        dbname,
        sslmode,
        sslrootcert,
        gssencmode,
        krbsrvname,
        connect_timeout,
        application_name: get("application_name").map(|v| v.value),
        service,
    })
}

/// The operating-system user name, as libpq takes it (getpwuid of the effective user): the
/// owner of /proc/self looked up in /etc/passwd, so that no FFI is needed.
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

fn check_keyword(k: &str) -> Result<(), ParamError> {
    if KNOWN.contains(&k) || IGNORED.contains(&k) {
        Ok(())
    } else {
        Err(perr(format!("invalid connection option \"{k}\""), None))
    }
}

fn enum_param<T: Copy>(
    v: Option<Value<String>>,
    parse: fn(&str) -> Option<T>,
    default: T,
    name: &str,
    allowed: &str,
) -> Result<Value<T>, ParamError> {
    match v {
        None => Ok(Value {
            value: default,
            source: Source::Default,
        }),
        Some(v) => Ok(Value {
            value: parse(&v.value).ok_or_else(|| {
                perr(
                    format!("invalid {name} value: \"{}\" (from {})", v.value, v.source),
                    Some(&format!("use one of {allowed}")),
                )
            })?,
            source: v.source,
        }),
    }
}

fn home(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    PathBuf::from(env("HOME").unwrap_or_else(|| "/".to_string()))
}

/// Finds `[name]` in PGSERVICEFILE or ~/.pg_service.conf, then PGSYSCONFDIR/pg_service.conf
/// (libpq §34.17). A named service that exists nowhere is an error, as in libpq.
fn read_service(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(PathBuf, Vec<(String, String)>), ParamError> {
    let user_file = env("PGSERVICEFILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home(env).join(".pg_service.conf"));
    let sys_dir = env("PGSYSCONFDIR").unwrap_or_else(|| "/etc/postgresql-common".to_string());
    let sys_file = Path::new(&sys_dir).join("pg_service.conf");
    for file in [user_file, sys_file] {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(perr(
                    format!("cannot read service file {}: {e}", file.display()),
                    None,
                ))
            }
        };
        let ini = ini::Ini::load_from_str(&text).map_err(|e| {
            perr(
                format!(
                    "syntax error in service file {}, line {}",
                    file.display(),
                    e.line
                ),
                Some("each line is [service] or key=value"),
            )
        })?;
        if let Some(section) = ini.section(Some(name)) {
            let entries = section
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            return Ok((file, entries));
        }
    }
    Err(perr(
        format!("definition of service \"{name}\" not found"),
        Some("define it in ~/.pg_service.conf (or PGSERVICEFILE) or unset PGSERVICE"),
    ))
}

impl ConnParams {
    /// The libpq-style conninfo for display (no secrets are ever held here).
    pub fn display(&self) -> String {
        format!(
            "host={} port={} user={} dbname={} sslmode={} gssencmode={} krbsrvname={}",
            self.host.value,
            self.port.value,
            self.user.value,
            self.dbname.value,
            self.sslmode.value.as_str(),
            self.gssencmode.value.as_str(),
            self.krbsrvname.value
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn args(conninfo: Option<&str>, host: Option<&str>, user: Option<&str>) -> ConnArgs {
        ConnArgs {
            conninfo: conninfo.map(str::to_string),
            host: host.map(str::to_string),
            user: user.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn precedence_is_libpqs() {
        // (conninfo, -h, PGHOST) → (host, source)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            Source,
        );
        let cases: &[Case] = &[
            (
                Some("host=ci"),
                Some("flag"),
                Some("env"),
                "ci",
                Source::Conninfo,
            ),
            (None, Some("flag"), Some("env"), "flag", Source::Flag),
            (None, None, Some("env"), "env", Source::Env("PGHOST")),
            (Some("mydb"), Some("flag"), None, "flag", Source::Flag),
        ];
        for (ci, flag, envhost, want, src) in cases {
            let mut e = vec![("USER", "os")];
            if let Some(h) = envhost {
                e.push(("PGHOST", h));
            }
            let p = resolve(&args(*ci, *flag, None), &env_of(&e)).unwrap();
            assert_eq!(
                (p.host.value.as_str(), p.host.source.clone()),
                (*want, src.clone())
            );
        }
    }

    #[test]
    fn defaults_follow_libpq() {
        let p = resolve(
            &args(None, Some("db"), None),
            &env_of(&[("USER", "os"), ("HOME", "/h")]),
        )
        .unwrap();
        assert_eq!(p.port.value, 5432);
        assert_eq!(p.user.value, "os");
        assert_eq!(p.dbname.value, "os", "dbname defaults to the user name");
        assert_eq!(p.sslmode.value, SslMode::Prefer);
        assert_eq!(p.gssencmode.value, GssEncMode::Prefer);
        assert_eq!(p.krbsrvname.value, "postgres");
        assert_eq!(
            p.sslrootcert.value,
            PathBuf::from("/h/.postgresql/root.crt")
        );
        assert_eq!(p.connect_timeout, None);
    }

    #[test]
    fn environment_variables_are_read() {
        let p = resolve(
            &ConnArgs::default(),
            &env_of(&[
                ("PGHOST", "h"),
                ("PGPORT", "6543"),
                ("PGUSER", "alice@EXAMPLE.COM"),
                ("PGDATABASE", "app"),
                ("PGSSLMODE", "require"),
                ("PGGSSENCMODE", "disable"),
                ("PGKRBSRVNAME", "POSTGRES"),
                ("PGCONNECT_TIMEOUT", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(p.port.value, 6543);
        assert_eq!(p.user.source, Source::Env("PGUSER"));
        assert_eq!(p.dbname.value, "app");
        assert_eq!(p.sslmode.value, SslMode::Require);
        assert_eq!(p.gssencmode.value, GssEncMode::Disable);
        assert_eq!(p.krbsrvname.value, "POSTGRES");
        assert_eq!(
            p.connect_timeout.unwrap().value,
            2,
            "libpq raises 1 s to 2 s"
        );
    }

    #[test]
    fn service_file_sits_between_flags_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("svc.conf");
        std::fs::write(
            &file,
            "[rds]\nhost=svc-host\nport=5433\nuser=bob@ONPREM.COM\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let p = resolve(
            &args(None, None, Some("flag-user")),
            &env_of(&[
                ("PGSERVICE", "rds"),
                ("PGSERVICEFILE", f),
                ("PGHOST", "env-host"),
                ("PGPORT", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(p.host.value, "svc-host");
        assert_eq!(p.host.source, Source::Service(file.clone()));
        assert_eq!(p.port.value, 5433);
        assert_eq!(p.user.value, "flag-user");
        let missing = resolve(
            &args(Some("service=nope host=h"), None, None),
            &env_of(&[("PGSERVICEFILE", f), ("PGSYSCONFDIR", "/nonexistent")]),
        )
        .unwrap_err();
        assert_eq!(missing.message, "definition of service \"nope\" not found");
    }

    #[test]
    fn bad_input_is_named() {
        let e = env_of(&[("USER", "os")]);
        let msg = |a: ConnArgs| resolve(&a, &e).unwrap_err().message;
        assert_eq!(msg(ConnArgs::default()), "no database host given");
        assert_eq!(
            msg(args(Some("host=h port=x"), None, None)),
            "invalid port number: \"x\" (from connection string)"
        );
        assert_eq!(
            msg(args(Some("host=h sslmode=on"), None, None)),
            "invalid sslmode value: \"on\" (from connection string)"
        );
        assert_eq!(
            msg(args(Some("host=h bogus=1"), None, None)),
            "invalid connection option \"bogus\""
        );
        assert!(msg(args(Some("postgresql://u:pw@h"), None, None)).contains("password"));
        assert!(msg(args(None, Some("/var/run/postgresql"), None)).contains("Unix-socket"));
        assert!(msg(args(None, Some("a,b"), None)).contains("several hosts"));
    }

    #[test]
    fn uri_with_gss_options() {
        let p = resolve(
            &args(
                Some("postgresql://alice%40EXAMPLE.COM@mydb.abc.us-east-1.rds.amazonaws.com/app?gssencmode=require&krbsrvname=postgres"),
                None,
                None,
            ),
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(p.user.value, "alice@EXAMPLE.COM");
        assert_eq!(p.gssencmode.value, GssEncMode::Require);
        assert_eq!(
            p.display(),
            "host=mydb.abc.us-east-1.rds.amazonaws.com port=5432 user=alice@EXAMPLE.COM dbname=app sslmode=prefer gssencmode=require krbsrvname=postgres"
        );
    }
}
