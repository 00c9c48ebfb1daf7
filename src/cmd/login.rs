//! `kerbrds login create|list|drop`: Kerberos login roles over the master user's connection.
//! Names are validated before anything connects; the password comes from PGPASSWORD, the password
//! file or a prompt on the terminal, never from argv; `--dry-run` prints SQL a reader can pipe to psql.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cli::{Format, LoginAction, LoginArgs, LoginChangeArgs, LoginListArgs, OutputArgs};
use crate::exit;
use crate::login::master::{self, MasterError, PasswordSource, Secret};
use crate::login::name::{self, RealmCase};
use crate::login::ops::{self, Action, NameResult};
use crate::login::{problems, Principal, Problem, Role};
use crate::pgconn::{self, conninfo, ConnArgs, ConnParams};
use crate::report::style;

const JSON_VERSION: u32 = 1;

pub fn run(args: &LoginArgs) -> u8 {
    match &args.action {
        LoginAction::Create(a) => change(a, Action::Create),
        LoginAction::Drop(a) => change(a, Action::Drop),
        LoginAction::List(a) => list(a),
    }
}

/// clap gives the first positional to the connection string. Any argument that looks like one
/// (key=value or a URI, as psql decides) is the connection string, wherever it stands; the rest
/// are names. No AD user name contains '=' (sAMAccountName forbids it), so nothing is lost.
fn split_positionals(args: &LoginChangeArgs) -> Result<(ConnArgs, Vec<String>), String> {
    let mut conn = args.conn.clone();
    let all: Vec<String> = conn
        .conninfo
        .take()
        .into_iter()
        .chain(args.names.iter().cloned())
        .collect();
    let (infos, names): (Vec<String>, Vec<String>) = all
        .into_iter()
        .partition(|a| conninfo::looks_like_conninfo(a));
    if infos.len() > 1 {
        return Err(format!(
            "{} connection strings given; give one",
            infos.len()
        ));
    }
    conn.conninfo = infos.into_iter().next();
    Ok((conn, names))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

fn resolve(conn: &ConnArgs) -> Result<ConnParams, u8> {
    let params = pgconn::resolve(conn, &env).map_err(|e| {
        super::error(&e.message, e.hint.as_deref());
        exit::CANNOT_RUN
    })?;
    master::precheck(&params).map_err(|e| {
        super::error(&e.message, e.hint.as_deref());
        exit::CANNOT_RUN
    })?;
    Ok(params)
}

/// PGPASSWORD, the password file, else a prompt on the terminal (none without one: the server
/// may not ask, and if it does the error says where a password can come from).
fn password(params: &ConnParams) -> (Option<Secret>, PasswordSource) {
    let (stored, warning) = master::stored_password(params, &env);
    if let Some(w) = warning {
        super::error(&w, Some("chmod 0600 the file"));
    }
    if let Some((pw, src)) = stored {
        return (Some(pw), src);
    }
    let prompt = format!("Password for user {}: ", params.user.value);
    match rpassword::prompt_password(prompt) {
        Ok(pw) => (Some(Secret::new(pw)), PasswordSource::Prompt),
        Err(_) => (None, PasswordSource::None),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            super::error(&format!("cannot start the async runtime: {e}"), None);
            exit::CANNOT_RUN
        })
}

fn fail(e: &MasterError) -> u8 {
    super::error(&e.message, e.hint.as_deref());
    exit::FAILED
}

fn change(args: &LoginChangeArgs, action: Action) -> u8 {
    let (conn, raw) = match split_positionals(args) {
        Ok(v) => v,
        Err(e) => {
            super::error(
                &e,
                Some("put every connection setting into one string, or use -h -p -U -d"),
            );
            return exit::CANNOT_RUN;
        }
    };
    if raw.is_empty() {
        super::error(
            "no login given",
            Some("name one or more logins: kerbrds login create alice@CORP.EXAMPLE.COM"),
        );
        return exit::CANNOT_RUN;
    }
    let mut principals: Vec<Principal> = Vec::new();
    let mut bad = false;
    for n in &raw {
        let mode = match (args.normalize_realm, action) {
            (true, _) => RealmCase::Normalize,
            (false, Action::Create) => RealmCase::Require,
            (false, Action::Drop) => RealmCase::Verbatim,
        };
        match name::parse_with(n, mode) {
            Ok(p) if principals.contains(&p) => {}
            Ok(p) => principals.push(p),
            Err(e) => {
                super::error(&e.to_string(), None);
                bad = true;
            }
        }
    }
    if bad {
        return exit::CANNOT_RUN;
    }
    let params = match resolve(&conn) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (pw, source) = password(&params);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let results = rt.block_on(async {
        let mut client = master::connect(&params, pw.as_ref(), &source).await?;
        let mut out = Vec::new();
        for p in &principals {
            out.push(ops::apply(&mut client, action, p, &params.user.value, args.dry_run).await);
        }
        Ok::<_, MasterError>(out)
    });
    let results = match results {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let text = match args.output.format {
        Format::Json => change_json(action, args.dry_run, &results),
        Format::Human if args.dry_run => dry_run_sql(&results),
        Format::Human => change_human(&results, &args.output),
    };
    super::write_stdout(&text);
    for r in &results {
        if let Err(e) = &r.outcome {
            super::error(&format!("{}: {}", r.name, e.message), e.hint.as_deref());
        }
    }
    if results.iter().any(|r| r.outcome.is_err()) {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// SQL a reader can pipe to psql; what is known about each name is in comments (names cannot
/// hold a newline, so a comment cannot be ended by one).
fn dry_run_sql(results: &[NameResult]) -> String {
    let mut s = String::new();
    for r in results {
        match &r.outcome {
            Ok(o) => {
                let _ = writeln!(s, "-- {}: {}", r.name, o.describe(false));
            }
            Err(e) => {
                let _ = writeln!(s, "-- {}: cannot plan: {}", r.name, e.message);
            }
        }
        for p in &r.notes {
            let _ = writeln!(
                s,
                "-- warning: {} ({}); fix: {}",
                p.detail,
                p.cause.code(),
                p.fix
            );
        }
        for stmt in &r.sql {
            let _ = writeln!(s, "{stmt}");
        }
    }
    s
}

fn change_human(results: &[NameResult], out: &OutputArgs) -> String {
    let mut s = String::new();
    for r in results {
        let Ok(o) = &r.outcome else { continue };
        let pass = crate::check::Status::Pass;
        let st = style::for_status(pass);
        let _ = writeln!(
            s,
            "{st}{}{st:#} {}: {}",
            style::glyph(pass, out.ascii),
            r.name,
            o.describe(r.applied || r.sql.is_empty())
        );
        if out.verbose {
            for stmt in &r.sql {
                let _ = writeln!(s, "    {}{stmt}{:#}", style::CODE, style::CODE);
            }
        }
        problem_lines(&mut s, &r.notes, crate::check::Status::Warn, out.ascii);
    }
    s
}

fn problem_lines(s: &mut String, list: &[Problem], status: crate::check::Status, ascii: bool) {
    let st = style::for_status(status);
    let dim = style::DIM;
    for p in list {
        let _ = writeln!(
            s,
            "    {st}{}{st:#} {} {dim}[{}]{dim:#}",
            style::glyph(status, ascii),
            p.detail,
            p.cause.code()
        );
        let _ = writeln!(s, "      {dim}fix:{dim:#} {}", p.fix);
    }
}

#[derive(Serialize)]
struct WireProblem<'a> {
    code: &'a str,
    detail: &'a str,
    why: &'a str,
    fix: &'a str,
}

fn wire_problems(list: &[Problem]) -> Vec<WireProblem<'_>> {
    list.iter()
        .map(|p| WireProblem {
            code: p.cause.code(),
            detail: &p.detail,
            why: p.cause.why(),
            fix: &p.fix,
        })
        .collect()
}

#[derive(Serialize)]
struct WireError<'a> {
    message: &'a str,
    hint: Option<&'a str>,
    sqlstate: Option<&'a str>,
}

#[derive(Serialize)]
struct WireChange<'a> {
    name: &'a str,
    outcome: Option<ops::Outcome>,
    applied: bool,
    sql: &'a [String],
    error: Option<WireError<'a>>,
    warnings: Vec<WireProblem<'a>>,
}

fn change_json(action: Action, dry_run: bool, results: &[NameResult]) -> String {
    let list: Vec<WireChange> = results
        .iter()
        .map(|r| WireChange {
            name: &r.name,
            outcome: r.outcome.as_ref().ok().copied(),
            applied: r.applied,
            sql: &r.sql,
            error: r.outcome.as_ref().err().map(|e| WireError {
                message: &e.message,
                hint: e.hint.as_deref(),
                sqlstate: e.sqlstate.as_deref(),
            }),
            warnings: wire_problems(&r.notes),
        })
        .collect();
    let command = if action == Action::Create {
        "login create"
    } else {
        "login drop"
    };
    let doc = serde_json::json!({"version": JSON_VERSION, "command": command, "dry_run": dry_run, "results": list});
    format!("{doc}\n")
}

/// The realms logins may belong to: `--realm` flags, else krb5.conf's [realms] and default_realm.
/// The second value says why realms are not checked, when they are not.
fn known_realms(flags: &[String]) -> (Vec<String>, Option<String>) {
    if !flags.is_empty() {
        return (flags.iter().map(|r| r.to_ascii_uppercase()).collect(), None);
    }
    match crate::krb5conf::Profile::load_default(&crate::krb5conf::Env::from_process()) {
        Ok(profile) => {
            let realms = crate::login::judge::realms_of(&profile);
            let why = realms
                .is_empty()
                .then(|| "krb5.conf names no realm; pass --realm".to_string());
            (realms, why)
        }
        Err(e) => (
            Vec::new(),
            Some(format!("{e}; pass --realm to check the realms")),
        ),
    }
}

struct Listed {
    role: Role,
    problems: Vec<Problem>,
}

fn list(args: &LoginListArgs) -> u8 {
    let params = match resolve(&args.conn) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (realms, unchecked) = known_realms(&args.realms);
    let (pw, source) = password(&params);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let roles = rt.block_on(async {
        let client = master::connect(&params, pw.as_ref(), &source).await?;
        ops::read_roles(&client, None).await.map_err(|e| {
            MasterError::new(
                format!("cannot read the roles: {}", master::chain(&e)),
                None,
            )
        })
    });
    let roles = match roles {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
    let listed: Vec<Listed> = roles
        .into_iter()
        .map(|role| {
            let problems = problems(&role, &names, &realms, &args.principals);
            Listed { role, problems }
        })
        .collect();
    let server = format!("{}:{}", params.host.value, params.port.value);
    let text = match args.output.format {
        Format::Json => list_json(&server, &realms, unchecked.as_deref(), &listed),
        Format::Human => list_human(
            &server,
            &realms,
            unchecked.as_deref(),
            &listed,
            &args.output,
        ),
    };
    super::write_stdout(&text);
    if listed.iter().any(|l| !l.problems.is_empty()) {
        exit::FAILED
    } else {
        exit::OK
    }
}

fn membership(path: Option<&Vec<String>>) -> String {
    match path {
        None => "no".into(),
        Some(p) if p.is_empty() => "directly".into(),
        Some(p) => format!("through {}", p.join(" → ")),
    }
}

fn list_human(
    server: &str,
    realms: &[String],
    unchecked: Option<&str>,
    listed: &[Listed],
    out: &OutputArgs,
) -> String {
    let mut s = String::new();
    let h = style::HEADING;
    let dim = style::DIM;
    let _ = writeln!(s, "{h}Kerberos logins on {server}{h:#}");
    match unchecked {
        Some(why) => {
            let _ = writeln!(s, "  {dim}realms not checked: {why}{dim:#}");
        }
        None => {
            let _ = writeln!(s, "  {dim}known realms: {}{dim:#}", realms.join(", "));
        }
    }
    let width = listed
        .iter()
        .map(|l| l.role.name.chars().count())
        .max()
        .unwrap_or(0);
    for l in listed {
        let status = if l.problems.is_empty() {
            crate::check::Status::Pass
        } else {
            crate::check::Status::Fail
        };
        let st = style::for_status(status);
        let pad = width - l.role.name.chars().count();
        let _ = writeln!(
            s,
            "{st}{}{st:#} {}{:pad$}  {:<7}  rds_ad {}{}",
            style::glyph(status, out.ascii),
            l.role.name,
            "",
            if l.role.can_login { "LOGIN" } else { "NOLOGIN" },
            membership(l.role.rds_ad.as_ref()),
            l.role
                .rds_iam
                .as_ref()
                .map(|p| format!(", rds_iam {}", membership(Some(p))))
                .unwrap_or_default(),
        );
        problem_lines(&mut s, &l.problems, status, out.ascii);
    }
    let flagged = listed.iter().filter(|l| !l.problems.is_empty()).count();
    let _ = writeln!(s, "\n{} login(s), {flagged} with problems", listed.len());
    s
}

#[derive(Serialize)]
struct WireLogin<'a> {
    name: &'a str,
    can_login: bool,
    rds_ad: Option<&'a [String]>,
    rds_iam: Option<&'a [String]>,
    problems: Vec<WireProblem<'a>>,
}

fn list_json(
    server: &str,
    realms: &[String],
    unchecked: Option<&str>,
    listed: &[Listed],
) -> String {
    let logins: Vec<WireLogin> = listed
        .iter()
        .map(|l| WireLogin {
            name: &l.role.name,
            can_login: l.role.can_login,
            rds_ad: l.role.rds_ad.as_deref(),
            rds_iam: l.role.rds_iam.as_deref(),
            problems: wire_problems(&l.problems),
        })
        .collect();
    let doc = serde_json::json!({
        "version": JSON_VERSION,
        "command": "login list",
        "server": server,
        "known_realms": realms,
        "realms_unchecked": unchecked,
        "logins": logins,
    });
    format!("{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str]) -> LoginChangeArgs {
        let cli = crate::cli::Cli::try_parse_from(argv).expect("parses");
        match cli.command {
            crate::cli::Command::Login(LoginArgs {
                action: LoginAction::Create(a),
            }) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_connection_string_is_recognised_wherever_it_stands() {
        let split = |argv: &[&str]| split_positionals(&parse(argv));
        let (conn, names) = split(&[
            "kerbrds", "login", "create", "a@X.COM", "b@X.COM", "-h", "db", "-U", "master",
        ])
        .unwrap();
        assert_eq!(
            (conn.conninfo, conn.host.as_deref(), names),
            (
                None,
                Some("db"),
                vec!["a@X.COM".to_string(), "b@X.COM".into()]
            )
        );
        let (conn, names) = split(&[
            "kerbrds",
            "login",
            "create",
            "host=db user=master",
            "a@X.COM",
        ])
        .unwrap();
        assert_eq!(
            (conn.conninfo.as_deref(), names),
            (Some("host=db user=master"), vec!["a@X.COM".to_string()])
        );
        let (conn, names) = split(&[
            "kerbrds",
            "login",
            "create",
            "a@X.COM",
            "postgresql://master@db/postgres",
        ])
        .unwrap();
        assert_eq!(
            (conn.conninfo.as_deref(), names),
            (
                Some("postgresql://master@db/postgres"),
                vec!["a@X.COM".to_string()]
            )
        );
        assert!(split(&["kerbrds", "login", "create", "host=a", "a@X.COM", "port=1"]).is_err());
    }

    #[test]
    fn dry_run_output_is_sql_with_comments() {
        let r = NameResult {
            name: "carol@EXAMPLE.COM".into(),
            outcome: Ok(ops::Outcome::Created),
            sql: vec![
                "BEGIN;".into(),
                "CREATE USER \"carol@EXAMPLE.COM\" WITH LOGIN;".into(),
                "GRANT rds_ad TO \"carol@EXAMPLE.COM\";".into(),
                "COMMIT;".into(),
            ],
            applied: false,
            notes: vec![],
        };
        assert_eq!(
            dry_run_sql(&[r]),
            "-- carol@EXAMPLE.COM: would be created with LOGIN and granted rds_ad\nBEGIN;\nCREATE USER \"carol@EXAMPLE.COM\" WITH LOGIN;\nGRANT rds_ad TO \"carol@EXAMPLE.COM\";\nCOMMIT;\n"
        );
    }
}
