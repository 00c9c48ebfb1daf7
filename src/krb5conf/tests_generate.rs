//! generate → parse round trips, the generated files pass every check, and the writer never
//! loses a file.

use std::path::Path;

use pretty_assertions::assert_eq;

use super::generate::{generate, Spec, SpecError};
use super::judge::{judge, Request};
use super::model::{Node, Profile};
use super::parse::parse_str;
use super::tests_judge::lab_dns;
use super::write::{diff, write_atomic, Outcome, WriteError};
use crate::check::Status;

const RDS: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";

fn managed() -> Spec {
    Spec {
        realm: "EXAMPLE.COM".into(),
        kdcs: vec!["kdc1.example.com".into(), "127.0.10.1".into()],
        db_hosts: vec![RDS.into()],
        ..Spec::default()
    }
}

fn onprem() -> Spec {
    Spec {
        onprem_realm: Some("onprem.com".into()),
        onprem_kdcs: vec!["kdc.onprem.com".into()],
        china: true,
        ..managed()
    }
}

fn parsed(text: &str) -> Profile {
    Profile {
        files: vec![parse_str(Path::new("/t/generated.conf"), text).expect("generated text parses")],
        missing: vec![],
    }
}

#[test]
fn what_generate_writes_parses_back_to_the_same_model() {
    for spec in [managed(), onprem()] {
        let g = generate(&spec).unwrap();
        let p = parsed(&g.text);
        let back: Vec<Node> = p.files[0]
            .sections
            .iter()
            .map(Node::without_locations)
            .collect();
        assert_eq!(back, g.model);
    }
}

#[test]
fn the_generated_files_pass_every_check_for_the_rds_endpoint() {
    for (spec, default) in [(managed(), "EXAMPLE.COM"), (onprem(), "EXAMPLE.COM")] {
        let g = generate(&spec).unwrap();
        let loaded = Ok(parsed(&g.text));
        let req = Request {
            host: Some(RDS),
            krbsrvname: "postgres",
            expected_realm: Some("EXAMPLE.COM"),
            krb5ccname: None,
        };
        let checked = judge(&loaded, &req, &lab_dns());
        let bad: Vec<_> = checked
            .results
            .iter()
            .filter(|r| r.status != Status::Pass)
            .collect();
        assert!(bad.is_empty(), "{bad:#?}\n{}", g.text);
        assert_eq!(
            checked.value.unwrap().principal(),
            format!("postgres/{RDS}@{default}")
        );
    }
}

#[test]
fn on_prem_variant_has_both_realms_domains_and_the_trust_path() {
    let g = generate(&onprem()).unwrap();
    let p = parsed(&g.text);
    assert_eq!(p.realm_kdcs("ONPREM.COM")[0].0, "kdc.onprem.com");
    assert_eq!(
        p.value(&["domain_realm", ".onprem.com"]).unwrap().value,
        "ONPREM.COM"
    );
    assert_eq!(
        p.value(&["domain_realm", ".amazonaws.com.cn"])
            .unwrap()
            .value,
        "EXAMPLE.COM"
    );
    assert_eq!(
        p.value(&["capaths", "ONPREM.COM", "EXAMPLE.COM"])
            .unwrap()
            .value,
        "."
    );
    assert!(
        g.notices.iter().any(|n| n.contains("ONPREM.COM")),
        "{:?}",
        g.notices
    );
    assert_eq!(
        p.realm_admin_servers("EXAMPLE.COM")[0].0,
        "kdc1.example.com"
    );
}

#[test]
fn every_setting_that_departs_from_mit_defaults_says_why() {
    let g = generate(&managed()).unwrap();
    let lines: Vec<&str> = g.text.lines().collect();
    let mut in_libdefaults = false;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with('[') {
            in_libdefaults = *l == "[libdefaults]";
        } else if in_libdefaults && l.contains(" = ") {
            assert!(
                lines[i - 1].trim_start().starts_with('#'),
                "no comment above {l:?}"
            );
        }
    }
    assert!(
        g.text.contains("rdns = false") && g.text.contains("dns_canonicalize_hostname = false")
    );
    assert!(!g.text.contains("= fallback"));
}

#[test]
fn realms_are_upper_cased_and_nonsense_is_refused() {
    let g = generate(&Spec {
        realm: "corp.example.com".into(),
        ..Spec::default()
    })
    .unwrap();
    assert!(g.text.contains("default_realm = CORP.EXAMPLE.COM"));
    assert!(
        g.text.contains("kdc = corp.example.com"),
        "the domain name stands in for the KDCs"
    );
    assert_eq!(g.notices.len(), 2, "{:?}", g.notices);
    assert!(matches!(
        generate(&Spec {
            realm: "MANAGED_AD.COM".into(),
            ..Spec::default()
        }),
        Err(SpecError::Realm(..))
    ));
    assert!(matches!(
        generate(&Spec {
            kdcs: vec!["a b".into()],
            ..managed()
        }),
        Err(SpecError::Host(_))
    ));
}

#[test]
fn db_hosts_already_covered_add_nothing() {
    let g = generate(&Spec {
        db_hosts: vec![RDS.into(), "db.example.com".into(), "pg.corp.net".into()],
        ..managed()
    })
    .unwrap();
    let p = parsed(&g.text);
    let keys: Vec<&str> = p
        .relations("domain_realm")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        vec![
            ".example.com",
            "example.com",
            ".rds.amazonaws.com",
            ".corp.net"
        ]
    );
}

#[test]
fn writing_is_atomic_backs_up_and_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("krb5.conf");
    assert_eq!(
        write_atomic(&path, "one\n", false).unwrap(),
        Outcome::Created
    );
    assert_eq!(
        write_atomic(&path, "one\n", false).unwrap(),
        Outcome::Unchanged
    );
    assert!(matches!(
        write_atomic(&path, "two\n", false),
        Err(WriteError::Exists(_))
    ));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "one\n",
        "untouched without --force"
    );
    let Outcome::Replaced { backup } = write_atomic(&path, "two\n", true).unwrap() else {
        panic!("replaced expected")
    };
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "one\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left behind: {names:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let err = write_atomic(Path::new("/nonexistent-kerbrds/krb5.conf"), "x", false).unwrap_err();
    assert!(err.to_string().contains("/nonexistent-kerbrds"), "{err}");
}

#[test]
fn the_dry_run_diff_shows_what_changes() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nC\nd\ne\nf\ng\n");
    assert_eq!(d, "  a\n  b\n- c\n+ C\n  d\n  e\n  …\n");
    assert_eq!(diff("", "x\n"), "+ x\n");
}
