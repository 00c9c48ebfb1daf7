//! Pure judgement over role facts read from `pg_roles` / `pg_auth_members`: what is wrong with a
//! Kerberos login role (`list`), and the `db.role` check the doctor runs after a GSSAPI login
//! attempt. No I/O here; tests are tables.

use serde::Serialize;

use super::name::{quote_ident, realm_not_upper, realm_of};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Status};

/// A role's facts: whether it can log in and how it reaches `rds_ad` / `rds_iam`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Role {
    pub name: String,
    pub can_login: bool,
    /// `None`: not a member. `Some(path)`: a member, through the roles in `path` (empty = direct).
    pub rds_ad: Option<Vec<String>>,
    pub rds_iam: Option<Vec<String>>,
}

/// What the doctor needs about one role name: the role itself (if it exists) and every other role
/// whose name equals it ignoring case (PostgreSQL compares names exactly, people do not).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleFacts {
    /// The role name looked up (the `user` of the login attempt).
    pub name: String,
    pub role: Option<Role>,
    pub case_variants: Vec<Role>,
}

/// One problem with a login, as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cause: Cause,
    /// What was seen.
    pub detail: String,
    /// The exact fix (SQL with the name quoted).
    pub fix: String,
}

fn via(path: &[String]) -> String {
    if path.is_empty() {
        "directly".to_string()
    } else {
        format!("through {}", path.join(" → "))
    }
}

/// Every problem with one Kerberos-looking role, in the order a reader should fix them.
/// `others` are all Kerberos-looking role names (for case collisions), `known_realms` the realms
/// from krb5.conf / `--realm` (empty: not checked), `principals` the principals users really get.
pub fn problems(
    role: &Role,
    others: &[String],
    known_realms: &[String],
    principals: &[String],
) -> Vec<Problem> {
    let q = quote_ident(&role.name);
    let mut out = Vec::new();
    if !role.can_login {
        out.push(Problem {
            cause: Cause::RoleNoLogin,
            detail: "NOLOGIN: the role cannot log in".into(),
            fix: format!("ALTER ROLE {q} LOGIN;"),
        });
    }
    if role.rds_ad.is_none() {
        out.push(Problem {
            cause: Cause::RoleNotInRdsAd,
            detail: "not a member of rds_ad: RDS does not offer it Kerberos".into(),
            fix: format!("GRANT rds_ad TO {q};"),
        });
    }
    if let (Some(ad), Some(iam)) = (&role.rds_ad, &role.rds_iam) {
        let fix = match iam.first() {
            None => format!("REVOKE rds_iam FROM {q};"),
            Some(group) => format!(
                "REVOKE {} FROM {q};  -- or REVOKE rds_iam FROM {}",
                quote_ident(group),
                quote_ident(iam.last().unwrap_or(group))
            ),
        };
        out.push(Problem {
            cause: Cause::RoleInRdsAdAndRdsIam,
            detail: format!(
                "member of rds_ad ({}) and of rds_iam ({}): IAM authentication wins",
                via(ad),
                via(iam)
            ),
            fix,
        });
    }
    if realm_not_upper(&role.name) {
        let realm = realm_of(&role.name).unwrap_or_default();
        let upper = upper_realm(&role.name);
        out.push(Problem {
            cause: Cause::RealmNotUpperCase,
            detail: format!(
                "realm {realm:?} is not upper case: no AD ticket will ever match this name"
            ),
            fix: format!("ALTER ROLE {q} RENAME TO {};", quote_ident(&upper)),
        });
    }
    if let Some(realm) = realm_of(&role.name) {
        if !known_realms.is_empty()
            && !known_realms
                .iter()
                .any(|k| k == &realm.to_ascii_uppercase())
        {
            out.push(Problem {
                cause: Cause::RealmDirectoryMismatch,
                detail: format!("realm {realm:?} is not one of the known realms ({})", known_realms.join(", ")),
                fix: format!(
                    "drop it (kerbrds login drop {}) or add the realm to krb5.conf if users really come from it",
                    role.name
                ),
            });
        }
    }
    for other in others
        .iter()
        .filter(|o| **o != role.name && o.to_lowercase() == role.name.to_lowercase())
    {
        out.push(Problem {
            cause: Cause::PrincipalMismatch,
            detail: format!("differs only in case from the login {other:?}: PostgreSQL compares names exactly, so only one of them can match a user's ticket"),
            fix: format!("keep the one that equals the principal klist shows and drop the other: DROP ROLE {};", quote_ident(other)),
        });
    }
    for p in principals
        .iter()
        .filter(|p| **p != role.name && p.to_lowercase() == role.name.to_lowercase())
    {
        out.push(Problem {
            cause: Cause::PrincipalMismatch,
            detail: format!("differs only in case from the principal {p:?}: PostgreSQL compares names exactly, so that user's login fails"),
            fix: format!("ALTER ROLE {q} RENAME TO {};", quote_ident(p)),
        });
    }
    out
}

fn upper_realm(name: &str) -> String {
    match name.rsplit_once('@') {
        Some((u, r)) => format!("{u}@{}", r.to_ascii_uppercase()),
        None => name.to_string(),
    }
}

/// The `db.role` check, judged after a GSSAPI login attempt: `principal` is the client principal
/// of the ticket (what klist shows), `facts` the role looked up under the user name the login used.
/// Pass: the role exists, can log in, is in rds_ad (not also in rds_iam) and equals the principal.
pub fn judge_role(principal: &str, facts: &RoleFacts) -> CheckResult {
    let name = &facts.name;
    let q = quote_ident(name);
    let qp = quote_ident(principal);
    let mut evidence = vec![
        format!("ticket principal: {principal}"),
        format!("role looked up: {name}"),
    ];
    if let Some(r) = &facts.role {
        evidence.push(format!(
            "role: {} rds_ad={} rds_iam={}",
            if r.can_login { "LOGIN" } else { "NOLOGIN" },
            r.rds_ad.as_deref().map_or("no".into(), via),
            r.rds_iam.as_deref().map_or("no".into(), via)
        ));
    }
    for v in &facts.case_variants {
        evidence.push(format!("role differing only in case: {}", v.name));
    }
    let result = judge(principal, facts, &q, &qp);
    let result = result.with_target(name.clone());
    evidence
        .into_iter()
        .fold(result, CheckResult::with_evidence)
}

fn judge(principal: &str, facts: &RoleFacts, q: &str, qp: &str) -> CheckResult {
    let id = CheckId::DbRole;
    let name = &facts.name;
    if principal != name {
        let how = if principal.to_lowercase() == name.to_lowercase() {
            "differs only in case from"
        } else {
            "is not"
        };
        return CheckResult::fail(
            id,
            Cause::PrincipalMismatch,
            format!("the ticket's principal {principal} {how} the user name {name}: PostgreSQL compares them exactly"),
        )
        .with_hint(format!("connect with user={principal}{}", if facts.role.is_some() { String::new() } else { format!(" (and create it: kerbrds login create {principal})") }));
    }
    let Some(role) = &facts.role else {
        // A login exists under another case: say which one, rather than "missing".
        if let Some(v) = facts.case_variants.first() {
            if realm_not_upper(&v.name) && upper_realm(&v.name) == *name {
                return CheckResult::fail(
                    id,
                    Cause::RealmNotUpperCase,
                    format!(
                        "no role {name}, but {} exists with the realm in lower case",
                        v.name
                    ),
                )
                .with_hint(format!(
                    "ALTER ROLE {} RENAME TO {q};",
                    quote_ident(&v.name)
                ));
            }
            return CheckResult::fail(
                id,
                Cause::PrincipalMismatch,
                format!("no role {name}, but {} exists: it differs only in case and PostgreSQL compares names exactly", v.name),
            )
            .with_hint(format!("ALTER ROLE {} RENAME TO {qp};", quote_ident(&v.name)));
        }
        return CheckResult::fail(id, Cause::RoleMissing, format!("no role {name} exists"))
            .with_hint(format!(
            "kerbrds login create {name}   (runs CREATE USER {q} WITH LOGIN; GRANT rds_ad TO {q};)"
        ));
    };
    if !role.can_login {
        return CheckResult::fail(
            id,
            Cause::RoleNoLogin,
            format!("role {name} exists but is NOLOGIN"),
        )
        .with_hint(format!("ALTER ROLE {q} LOGIN;"));
    }
    let Some(ad) = &role.rds_ad else {
        return CheckResult::fail(
            id,
            Cause::RoleNotInRdsAd,
            format!("role {name} is not a member of rds_ad"),
        )
        .with_hint(format!(
            "kerbrds login create {name}   (runs GRANT rds_ad TO {q};)"
        ));
    };
    if let Some(iam) = &role.rds_iam {
        return CheckResult::fail(
            id,
            Cause::RoleInRdsAdAndRdsIam,
            format!("role {name} is a member of rds_ad ({}) and of rds_iam ({}): IAM authentication wins", via(ad), via(iam)),
        )
        .with_hint(match iam.first() {
            None => format!("REVOKE rds_iam FROM {q};"),
            Some(g) => format!("REVOKE {} FROM {q};", quote_ident(g)),
        });
    }
    if realm_not_upper(name) {
        return CheckResult::warn(
            id,
            Cause::RealmNotUpperCase,
            format!("role {name} has its realm in lower case"),
        )
        .with_hint(
            "use the directory's realm in upper case in krb5.conf, kinit and the role name",
        );
    }
    CheckResult::new(
        id,
        Status::Pass,
        format!(
            "role {name} can log in and is a member of rds_ad ({})",
            via(ad)
        ),
    )
}

/// The realms krb5.conf knows: its [realms] subsections and default_realm, upper-cased, once each.
pub fn realms_of(profile: &crate::krb5conf::Profile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let named = profile
        .subsections("realms")
        .into_iter()
        .map(|(r, _)| r.to_string());
    for r in profile
        .default_realm()
        .map(|f| f.value.to_string())
        .into_iter()
        .chain(named)
    {
        let r = r.to_ascii_uppercase();
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn role(name: &str, login: bool, ad: Option<&[&str]>, iam: Option<&[&str]>) -> Role {
        let path = |p: Option<&[&str]>| p.map(|v| v.iter().map(|s| s.to_string()).collect());
        Role {
            name: name.into(),
            can_login: login,
            rds_ad: path(ad),
            rds_iam: path(iam),
        }
    }

    fn facts(name: &str, role: Option<Role>, variants: Vec<Role>) -> RoleFacts {
        RoleFacts {
            name: name.into(),
            role,
            case_variants: variants,
        }
    }

    const P: &str = "jsmith@CORP.EXAMPLE.COM";

    #[test]
    fn judge_role_table() {
        let good = role(P, true, Some(&[]), None);
        type Case<'a> = (&'a str, &'a str, RoleFacts, Status, Option<Cause>, &'a str);
        let cases: Vec<Case> = vec![
            (
                "healthy",
                P,
                facts(P, Some(good.clone()), vec![]),
                Status::Pass,
                None,
                "",
            ),
            (
                "healthy via a group",
                P,
                facts(P, Some(role(P, true, Some(&["ad_users"]), None)), vec![]),
                Status::Pass,
                None,
                "",
            ),
            (
                "missing",
                P,
                facts(P, None, vec![]),
                Status::Fail,
                Some(Cause::RoleMissing),
                "kerbrds login create jsmith@CORP.EXAMPLE.COM",
            ),
            (
                "not in rds_ad",
                P,
                facts(P, Some(role(P, true, None, None)), vec![]),
                Status::Fail,
                Some(Cause::RoleNotInRdsAd),
                "GRANT rds_ad TO \"jsmith@CORP.EXAMPLE.COM\"",
            ),
            (
                "nologin",
                P,
                facts(P, Some(role(P, false, Some(&[]), None)), vec![]),
                Status::Fail,
                Some(Cause::RoleNoLogin),
                "ALTER ROLE \"jsmith@CORP.EXAMPLE.COM\" LOGIN;",
            ),
            (
                "rds_iam direct",
                P,
                facts(P, Some(role(P, true, Some(&[]), Some(&[]))), vec![]),
                Status::Fail,
                Some(Cause::RoleInRdsAdAndRdsIam),
                "REVOKE rds_iam FROM \"jsmith@CORP.EXAMPLE.COM\";",
            ),
            (
                "rds_iam nested",
                P,
                facts(
                    P,
                    Some(role(P, true, Some(&[]), Some(&["app", "iam_users"]))),
                    vec![],
                ),
                Status::Fail,
                Some(Cause::RoleInRdsAdAndRdsIam),
                "REVOKE \"app\" FROM",
            ),
            (
                "user name differs in case from ticket",
                "JSmith@CORP.EXAMPLE.COM",
                facts(P, Some(good.clone()), vec![]),
                Status::Fail,
                Some(Cause::PrincipalMismatch),
                "user=JSmith@CORP.EXAMPLE.COM",
            ),
            (
                "user name is another principal",
                "alice@CORP.EXAMPLE.COM",
                facts(P, None, vec![]),
                Status::Fail,
                Some(Cause::PrincipalMismatch),
                "kerbrds login create alice@CORP.EXAMPLE.COM",
            ),
            (
                "role exists only in another case",
                "JSmith@CORP.EXAMPLE.COM",
                facts("JSmith@CORP.EXAMPLE.COM", None, vec![good.clone()]),
                Status::Fail,
                Some(Cause::PrincipalMismatch),
                "ALTER ROLE \"jsmith@CORP.EXAMPLE.COM\" RENAME TO \"JSmith@CORP.EXAMPLE.COM\";",
            ),
            (
                "role exists with a lower-case realm",
                P,
                facts(
                    P,
                    None,
                    vec![role("jsmith@corp.example.com", true, Some(&[]), None)],
                ),
                Status::Fail,
                Some(Cause::RealmNotUpperCase),
                "RENAME TO \"jsmith@CORP.EXAMPLE.COM\"",
            ),
            (
                "lower-case realm everywhere",
                "a@corp.com",
                facts(
                    "a@corp.com",
                    Some(role("a@corp.com", true, Some(&[]), None)),
                    vec![],
                ),
                Status::Warn,
                Some(Cause::RealmNotUpperCase),
                "upper case",
            ),
        ];
        for (what, principal, f, status, cause, hint) in cases {
            let r = judge_role(principal, &f);
            assert_eq!((r.status, r.cause), (status, cause), "{what}: {r:?}");
            assert_eq!(r.id, CheckId::DbRole);
            if status != Status::Pass {
                let h = r.hint.clone().unwrap_or_default();
                assert!(h.contains(hint), "{what}: hint {h:?} lacks {hint:?}");
            }
        }
    }

    #[test]
    fn judge_role_names_the_path_to_rds_ad() {
        let r = judge_role(
            P,
            &facts(P, Some(role(P, true, Some(&["ad_users"]), None)), vec![]),
        );
        assert!(r.detail.contains("through ad_users"), "{}", r.detail);
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("rds_ad=through ad_users")),
            "{:?}",
            r.evidence
        );
    }

    fn codes(p: &[Problem]) -> Vec<&'static str> {
        p.iter().map(|p| p.cause.code()).collect()
    }

    #[test]
    fn list_problems_table() {
        let all: Vec<String> = ["JSmith@CORP.COM", "jsmith@CORP.COM", "ok@CORP.COM"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let known = vec!["CORP.COM".to_string()];
        let cases: Vec<(Role, Vec<&str>, Vec<&str>)> = vec![
            (role("ok@CORP.COM", true, Some(&[]), None), vec![], vec![]),
            (
                role("ok@CORP.COM", false, None, None),
                vec![],
                vec!["role-nologin", "role-not-in-rds-ad"],
            ),
            (
                role("ok@CORP.COM", true, Some(&[]), Some(&["g"])),
                vec![],
                vec!["role-in-rds-ad-and-rds-iam"],
            ),
            (
                role("x@corp.com", true, Some(&[]), None),
                vec![],
                vec!["realm-not-upper-case"],
            ),
            (
                role("x@OTHER.COM", true, Some(&[]), None),
                vec![],
                vec!["realm-directory-mismatch"],
            ),
            (
                role("jsmith@CORP.COM", true, Some(&[]), None),
                vec![],
                vec!["principal-mismatch"],
            ),
            (
                role("ok@CORP.COM", true, Some(&[]), None),
                vec!["OK@CORP.COM"],
                vec!["principal-mismatch"],
            ),
            (
                role("ok@CORP.COM", true, Some(&[]), None),
                vec!["ok@CORP.COM"],
                vec![],
            ),
        ];
        for (r, principals, want) in cases {
            let principals: Vec<String> = principals.into_iter().map(String::from).collect();
            assert_eq!(
                codes(&problems(&r, &all, &known, &principals)),
                want,
                "{r:?}"
            );
        }
        // No known realms: the realm is not judged.
        assert!(problems(&role("x@OTHER.COM", true, Some(&[]), None), &[], &[], &[]).is_empty());
    }

    #[test]
    fn known_realms_come_from_realms_and_default_realm() {
        let text = "[libdefaults]\n default_realm = CORP.EXAMPLE.COM\n[realms]\n CORP.EXAMPLE.COM = {\n  kdc = dc1\n }\n ONPREM.COM = {\n  kdc = dc2\n }\n";
        let file =
            crate::krb5conf::parse::parse_str(std::path::Path::new("krb5.conf"), text).unwrap();
        let profile = crate::krb5conf::Profile {
            files: vec![file],
            missing: vec![],
        };
        assert_eq!(
            realms_of(&profile),
            vec!["CORP.EXAMPLE.COM".to_string(), "ONPREM.COM".to_string()]
        );
    }

    #[test]
    fn list_fixes_quote_the_names() {
        let p = problems(&role("o\"x@CORP.COM", true, None, None), &[], &[], &[]);
        assert_eq!(p[0].fix, r#"GRANT rds_ad TO "o""x@CORP.COM";"#);
        let p = problems(&role("a@corp.com", true, Some(&[]), None), &[], &[], &[]);
        assert_eq!(
            p[0].fix,
            r#"ALTER ROLE "a@corp.com" RENAME TO "a@CORP.COM";"#
        );
        let p = problems(
            &role("a@CORP.COM", true, Some(&[]), Some(&["app", "iam_users"])),
            &[],
            &[],
            &[],
        );
        assert!(
            p[0].detail.contains("through app → iam_users"),
            "{}",
            p[0].detail
        );
    }
}
