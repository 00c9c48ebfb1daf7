//! `kerbrds login create|list|drop`: Kerberos login roles over the master user's connection.
//! Names are validated before anything connects; the password comes from PGPASSWORD, the password
//! file or a prompt on the terminal, never from argv; `--dry-run` prints SQL a reader can pipe to psql.

use crate::cli::{Format, LoginAction, LoginArgs, LoginChangeArgs, LoginListArgs, OutputArgs};
use crate::exit;
use crate::login::master::{self, MasterError, PasswordSource, Secret};
use crate::login::name::{self, RealmCase};
use crate::login::ops::{self, Action};
use crate::login::render::{self, Listed};
use crate::login::{problems, Principal};
use crate::pgconn::{self, conninfo, ConnArgs, ConnParams};

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

fn options(out: &OutputArgs) -> render::Options {
    render::Options {
        verbose: out.verbose,
        ascii: out.ascii,
    }
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
                let hint = matches!(e, name::NameError::NoAt { .. }).then_some(
                    "a database name goes with -d DBNAME; a connection string needs key=value",
                );
                super::error(&e.to_string(), hint);
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
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let results = rt.block_on(async {
        let mut client = master::connect(&params, pw.as_ref(), &source).await?;
        let mut out = Vec::new();
        for p in &principals {
            match ops::apply_within(&mut client, action, p, &params.user.value, args.dry_run).await
            {
                Some(r) => out.push(r),
                None => {
                    // The connection is mid-statement: stop here rather than queue behind it.
                    out.push(ops::timed_out(p));
                    break;
                }
            }
        }
        Ok::<_, MasterError>(out)
    });
    let results = match results {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let text = match args.output.format {
        Format::Json => render::change_json(action, args.dry_run, &results),
        Format::Human if args.dry_run => render::dry_run_sql(&results),
        Format::Human => render::change_human(&results, options(&args.output)),
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

fn list(args: &LoginListArgs) -> u8 {
    let params = match resolve(&args.conn) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (realms, unchecked) = known_realms(&args.realms);
    let (pw, source) = password(&params);
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let roles = rt.block_on(async {
        let client = master::connect(&params, pw.as_ref(), &source).await?;
        ops::list_within(&client).await
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
        Format::Json => render::list_json(&server, &realms, unchecked.as_deref(), &listed),
        Format::Human => render::list_human(
            &server,
            &realms,
            unchecked.as_deref(),
            &listed,
            options(&args.output),
        ),
    };
    super::write_stdout(&text);
    if listed.iter().any(|l| !l.problems.is_empty()) {
        exit::FAILED
    } else {
        exit::OK
    }
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
}
