//! `kerbrds connect [CONNINFO] [-h HOST] [-p PORT] [-U USER] [-d DBNAME] [-c SQL]`: the psql
//! login over Kerberos, with a short session summary, or one statement's rows like `psql -Atc`.
//! Exit 0 logged in (and the statement ran), 1 the login or statement failed, 2 bad input.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde_json::json;
use tokio_postgres::SimpleQueryMessage;

use crate::cli::{ConnectArgs, Format};
use crate::db::connect::{self, Failure, LoginInfo};
use crate::exit;
use crate::pgconn::{self, ConnParams};

pub fn run(args: &ConnectArgs) -> u8 {
    let params = match pgconn::resolve(&args.conn, &|k| std::env::var(k).ok()) {
        Ok(p) => p,
        Err(e) => {
            super::error(&e.message, e.hint.as_deref());
            return exit::CANNOT_RUN;
        }
    };
    let rt = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let code = rt.block_on(session(args, &params));
    // A KDC call still blocked in GSS (blackholed KDC) must not hold the exit.
    rt.shutdown_timeout(Duration::from_millis(100));
    code
}

async fn session(args: &ConnectArgs, params: &ConnParams) -> u8 {
    let s = match connect::connect(params, Duration::from_secs(args.timeout)).await {
        Ok(s) => s,
        Err(f) => {
            match args.format {
                Format::Json => super::write_stdout(&failure_json(params, &f)),
                Format::Human => print_failure(params, &f),
            }
            return exit::FAILED;
        }
    };
    let Some(sql) = &args.command else {
        let text = match args.format {
            Format::Json => summary_json(params, &s.info),
            Format::Human => summary(params, &s.info),
        };
        super::write_stdout(&text);
        return exit::OK;
    };
    match s.client.simple_query(sql).await {
        Ok(messages) => {
            let text = match args.format {
                Format::Json => rows_json(&messages),
                Format::Human => rows_unaligned(&messages),
            };
            super::write_stdout(&text);
            exit::OK
        }
        Err(e) => {
            let msg = e
                .as_db_error()
                .map(|d| format!("{}:  {}", d.severity(), d.message()))
                .unwrap_or_else(|| e.to_string());
            let _ = writeln!(anstream::stderr().lock(), "{msg}");
            exit::FAILED
        }
    }
}

/// psql -Atc: fields joined by `|`, NULL as empty, one row per line.
pub fn rows_unaligned(messages: &[SimpleQueryMessage]) -> String {
    let mut out = String::new();
    for m in messages {
        if let SimpleQueryMessage::Row(r) = m {
            let fields: Vec<&str> = (0..r.len()).map(|i| r.get(i).unwrap_or("")).collect();
            out.push_str(&fields.join("|"));
            out.push('\n');
        }
    }
    out
}

fn rows_json(messages: &[SimpleQueryMessage]) -> String {
    let rows: Vec<Vec<Option<&str>>> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i)).collect()),
            _ => None,
        })
        .collect();
    format!("{}\n", json!({ "rows": rows }))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The session summary, psql-like: who, how, what.
pub fn summary(params: &ConnParams, i: &LoginInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Connected to {}:{} database {:?} as {:?}.",
        params.host.value, params.port.value, params.dbname.value, i.current_user
    );
    let _ = writeln!(s, "  session user   {}", i.session_user);
    let _ = writeln!(
        s,
        "  principal      {} ({})",
        i.principal.as_deref().unwrap_or("-"),
        if i.gss_authenticated {
            "GSSAPI authenticated"
        } else {
            "not GSSAPI authenticated"
        }
    );
    let _ = writeln!(
        s,
        "  encrypted      {} ({})",
        yes_no(i.gss_encrypted || i.tls.is_some()),
        connect::channel(i)
    );
    let _ = writeln!(s, "  GSS encrypted  {}", yes_no(i.gss_encrypted));
    let _ = writeln!(
        s,
        "  TLS            {}",
        i.tls
            .as_ref()
            .map_or("no".to_string(), |t| format!("{} {}", t.version, t.cipher))
    );
    let _ = writeln!(s, "  server         PostgreSQL {}", i.server_version);
    let member = |m: Option<bool>| match m {
        Some(true) => "member",
        Some(false) => "not a member",
        None => "no such role on this server",
    };
    let _ = writeln!(s, "  rds_ad         {}", member(i.in_rds_ad));
    if i.in_rds_iam == Some(true) {
        let _ = writeln!(
            s,
            "  rds_iam        member (IAM authentication takes precedence)"
        );
    }
    for a in &i.attempts {
        let _ = writeln!(s, "  earlier try    {a}");
    }
    let _ = writeln!(s, "  took           {} ms", i.elapsed.as_millis());
    s
}

fn params_json(p: &ConnParams) -> serde_json::Value {
    json!({
        "host": p.host.value,
        "hostaddr": p.hostaddr.as_ref().map(|h| &h.value),
        "port": p.port.value,
        "user": p.user.value,
        "dbname": p.dbname.value,
        "sslmode": p.sslmode.value.as_str(),
        "gssencmode": p.gssencmode.value.as_str(),
        "krbsrvname": p.krbsrvname.value,
    })
}

fn summary_json(params: &ConnParams, i: &LoginInfo) -> String {
    let doc = json!({
        "version": 1,
        "ok": true,
        "params": params_json(params),
        "session": i,
    });
    format!("{doc:#}\n")
}

fn failure_json(params: &ConnParams, f: &Failure) -> String {
    let doc = json!({
        "version": 1,
        "ok": false,
        "params": params_json(params),
        "failure": {
            "cause": f.cause.code(),
            "detail": f.detail,
            "why": f.cause.why(),
            "fix": f.hint,
            "docs": f.cause.docs(),
            "evidence": f.evidence,
            "server": f.server.as_ref().map(|e| json!({
                "severity": e.severity, "sqlstate": e.code, "message": e.message,
                "detail": e.detail, "hint": e.hint,
            })),
        },
    });
    format!("{doc:#}\n")
}

fn print_failure(params: &ConnParams, f: &Failure) {
    let fail = crate::report::style::FAIL;
    let mut e = anstream::stderr().lock();
    let _ = writeln!(
        e,
        "kerbrds: {fail}login failed{fail:#} ({}): {}",
        params.display(),
        f.detail
    );
    let _ = writeln!(e, "  cause: {} — {}", f.cause.code(), f.cause.why());
    let _ = writeln!(e, "  fix:   {}", f.hint);
    let _ = writeln!(e, "  see:   {}", f.cause.docs());
    for line in &f.evidence {
        let _ = writeln!(e, "  seen:  {line}");
    }
}
