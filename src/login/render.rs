//! Rendering of `login` results as text: human lines, SQL for `--dry-run`, and JSON from wire
//! types of its own (so internals can change). Pure functions; `cmd::login` writes the output.

use std::fmt::Write as _;

use serde::Serialize;

use super::judge::{Problem, Role};
use super::ops::{self, Action, NameResult};
use crate::check::Status;
use crate::report::style;

/// Bump only on breaking changes of the JSON documents below.
pub const JSON_VERSION: u32 = 1;

/// Human rendering options (the same meaning as in `report::human`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub verbose: bool,
    pub ascii: bool,
}

/// SQL a reader can pipe to psql; what is known about each name is in comments (names cannot
/// hold a newline, so a comment cannot be ended by one).
pub fn dry_run_sql(results: &[NameResult]) -> String {
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

pub fn change_human(results: &[NameResult], opts: Options) -> String {
    let mut s = String::new();
    for r in results {
        let Ok(o) = &r.outcome else { continue };
        let pass = Status::Pass;
        let st = style::for_status(pass);
        let _ = writeln!(
            s,
            "{st}{}{st:#} {}: {}",
            style::glyph(pass, opts.ascii),
            r.name,
            o.describe(r.applied || r.sql.is_empty())
        );
        if opts.verbose {
            for stmt in &r.sql {
                let _ = writeln!(s, "    {}{stmt}{:#}", style::CODE, style::CODE);
            }
        }
        problem_lines(&mut s, &r.notes, Status::Warn, opts.ascii);
    }
    s
}

fn problem_lines(s: &mut String, list: &[Problem], status: Status, ascii: bool) {
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

pub fn change_json(action: Action, dry_run: bool, results: &[NameResult]) -> String {
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

/// A login as `list` shows it.
pub struct Listed {
    pub role: Role,
    pub problems: Vec<Problem>,
}

fn membership(path: Option<&Vec<String>>) -> String {
    match path {
        None => "no".into(),
        Some(p) if p.is_empty() => "directly".into(),
        Some(p) => format!("through {}", p.join(" → ")),
    }
}

pub fn list_human(
    server: &str,
    realms: &[String],
    unchecked: Option<&str>,
    listed: &[Listed],
    opts: Options,
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
            Status::Pass
        } else {
            Status::Fail
        };
        let st = style::for_status(status);
        let pad = width - l.role.name.chars().count();
        let _ = writeln!(
            s,
            "{st}{}{st:#} {}{:pad$}  {:<7}  rds_ad {}{}",
            style::glyph(status, opts.ascii),
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
        problem_lines(&mut s, &l.problems, status, opts.ascii);
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

pub fn list_json(
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
    use pretty_assertions::assert_eq;

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

    #[test]
    fn dry_run_warnings_are_comments_and_json_carries_the_sql() {
        let r = NameResult {
            name: "x@EXAMPLE.COM".into(),
            outcome: Ok(ops::Outcome::Granted),
            sql: vec![
                "BEGIN;".into(),
                "GRANT rds_ad TO \"x@EXAMPLE.COM\";".into(),
                "COMMIT;".into(),
            ],
            applied: false,
            notes: vec![Problem {
                cause: crate::catalogue::Cause::RoleNoLogin,
                detail: "NOLOGIN: the role cannot log in".into(),
                fix: "ALTER ROLE \"x@EXAMPLE.COM\" LOGIN;".into(),
            }],
        };
        let sql = dry_run_sql(std::slice::from_ref(&r));
        assert!(
            sql.lines()
                .filter(|l| !l.starts_with("--"))
                .all(|l| l.ends_with(';')),
            "{sql}"
        );
        assert!(sql.contains("-- warning: NOLOGIN"), "{sql}");
        let doc: serde_json::Value =
            serde_json::from_str(&change_json(Action::Create, true, &[r])).unwrap();
        assert_eq!(doc["version"], JSON_VERSION);
        assert_eq!(doc["results"][0]["outcome"], "granted");
        assert_eq!(
            doc["results"][0]["sql"][1],
            "GRANT rds_ad TO \"x@EXAMPLE.COM\";"
        );
        assert_eq!(doc["results"][0]["warnings"][0]["code"], "role-nologin");
    }
}
