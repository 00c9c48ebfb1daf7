//! The SQL kerbrds runs, in one place so that `--dry-run`, docs/login.md and the tests show the
//! same text. Role names only ever enter DDL as quoted identifiers (`Principal::ident`); queries
//! take them as bind parameters.

use super::judge::Role;
use super::name::Principal;

/// Every membership of every role in rds_ad or rds_iam, directly or through nested roles, with the
/// path of intermediate roles (PostgreSQL forbids membership cycles; the depth cap is a guard).
/// `$1` NULL: every role whose name contains '@'; else roles equal to `$1` ignoring case.
pub const ROLES_QUERY: &str = "\
WITH RECURSIVE m(member, roleid, via) AS (
    SELECT a.member, a.roleid, ARRAY[]::text[] COLLATE \"C\" FROM pg_auth_members a
  UNION ALL
    SELECT m.member, a.roleid, m.via || g.rolname::text
    FROM m
    JOIN pg_auth_members a ON a.member = m.roleid
    JOIN pg_roles g ON g.oid = m.roleid
    WHERE cardinality(m.via) < 32
)
SELECT r.rolname::text, r.rolcanlogin, t.rolname::text, m.via
FROM pg_roles r
LEFT JOIN m ON m.member = r.oid
    AND m.roleid IN (SELECT oid FROM pg_roles WHERE rolname IN ('rds_ad', 'rds_iam'))
LEFT JOIN pg_roles t ON t.oid = m.roleid
WHERE CASE WHEN $1::text IS NULL THEN strpos(r.rolname, '@') > 0
           ELSE lower(r.rolname) = lower($1::text) END
ORDER BY r.rolname, t.rolname, cardinality(m.via)";

/// Folds rows of `ROLES_QUERY` (name, can_login, target role or NULL, path) into roles, keeping
/// the shortest path to each of rds_ad and rds_iam (rows come sorted by path length).
pub fn fold_roles(
    rows: impl IntoIterator<Item = (String, bool, Option<String>, Option<Vec<String>>)>,
) -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    for (name, can_login, target, via) in rows {
        if roles.last().is_none_or(|r| r.name != name) {
            roles.push(Role {
                name: name.clone(),
                can_login,
                rds_ad: None,
                rds_iam: None,
            });
        }
        let Some(role) = roles.last_mut() else {
            continue;
        };
        let slot = match target.as_deref() {
            Some("rds_ad") => &mut role.rds_ad,
            Some("rds_iam") => &mut role.rds_iam,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(via.unwrap_or_default());
        }
    }
    roles
}

/// What `create` does for one name, given what exists.
pub fn create_statements(p: &Principal, existing: Option<&Role>) -> Vec<String> {
    let q = p.ident();
    let mut sql = Vec::new();
    if existing.is_none() {
        // The AWS guide's form; CREATE USER is CREATE ROLE … LOGIN.
        sql.push(format!("CREATE USER {q} WITH LOGIN;"));
    }
    if existing.is_none_or(|r| r.rds_ad.is_none()) {
        sql.push(format!("GRANT rds_ad TO {q};"));
    }
    sql
}

/// What `drop` does for one name, given what exists.
pub fn drop_statements(p: &Principal, existing: Option<&Role>) -> Vec<String> {
    match existing {
        Some(_) => vec![format!("DROP ROLE {};", p.ident())],
        None => Vec::new(),
    }
}

/// The statements wrapped in the transaction that runs them (or nothing, when nothing is to do).
pub fn transaction(statements: &[String]) -> Vec<String> {
    if statements.is_empty() {
        return Vec::new();
    }
    let mut all = vec!["BEGIN;".to_string()];
    all.extend(statements.iter().cloned());
    all.push("COMMIT;".to_string());
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::name::parse;
    use pretty_assertions::assert_eq;

    #[test]
    fn create_runs_the_aws_guide_statements_only_where_needed() {
        let p = parse("carol@EXAMPLE.COM", false).unwrap();
        assert_eq!(
            transaction(&create_statements(&p, None)),
            [
                "BEGIN;",
                "CREATE USER \"carol@EXAMPLE.COM\" WITH LOGIN;",
                "GRANT rds_ad TO \"carol@EXAMPLE.COM\";",
                "COMMIT;"
            ]
        );
        let no_grant = Role {
            name: p.role_name(),
            can_login: true,
            rds_ad: None,
            rds_iam: None,
        };
        assert_eq!(
            create_statements(&p, Some(&no_grant)),
            ["GRANT rds_ad TO \"carol@EXAMPLE.COM\";"]
        );
        let done = Role {
            rds_ad: Some(vec![]),
            ..no_grant
        };
        assert!(transaction(&create_statements(&p, Some(&done))).is_empty());
        assert_eq!(
            drop_statements(&p, Some(&done)),
            ["DROP ROLE \"carol@EXAMPLE.COM\";"]
        );
        assert!(drop_statements(&p, None).is_empty());
    }

    #[test]
    fn fold_keeps_the_shortest_path_and_roles_without_memberships() {
        let row = |n: &str, l: bool, t: Option<&str>, v: &[&str]| {
            (
                n.to_string(),
                l,
                t.map(String::from),
                t.map(|_| v.iter().map(|s| s.to_string()).collect()),
            )
        };
        let roles = fold_roles(vec![
            row("a@X", true, Some("rds_ad"), &[]),
            row("a@X", true, Some("rds_ad"), &["g"]),
            row("a@X", true, Some("rds_iam"), &["g", "h"]),
            row("b@X", false, None, &[]),
        ]);
        assert_eq!(
            roles,
            vec![
                Role {
                    name: "a@X".into(),
                    can_login: true,
                    rds_ad: Some(vec![]),
                    rds_iam: Some(vec!["g".into(), "h".into()])
                },
                Role {
                    name: "b@X".into(),
                    can_login: false,
                    rds_ad: None,
                    rds_iam: None
                },
            ]
        );
    }
}
