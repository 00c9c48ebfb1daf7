//! `kerbrds krb5conf` end to end through the binary, without the lab: exit codes, file:line in
//! the output, the generator's refusal to overwrite, --dry-run and --fix.

use std::path::Path;
use std::process::Command;

fn kerbrds(args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kerbrds"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KRB5") || k.starts_with("PG") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run kerbrds");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/krb5conf")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn a_syntax_error_fails_with_file_and_line() {
    let f = fixture("syntax-error.conf");
    let (code, out, _) = kerbrds(&["krb5conf", "check", &f]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{f}:8")), "{out}");
    assert!(out.contains("Syntax error in profile relation"), "{out}");
}

#[test]
fn an_explicit_file_that_does_not_exist_cannot_run() {
    let (code, _, err) = kerbrds(&["krb5conf", "check", "/nonexistent/kerbrds.conf"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("/nonexistent/kerbrds.conf"), "{err}");
}

#[test]
fn krb5_config_pointing_nowhere_is_a_failed_check() {
    let out = Command::new(env!("CARGO_BIN_EXE_kerbrds"))
        .env("KRB5_CONFIG", "/nonexistent/a:/nonexistent/b")
        .args(["krb5conf", "check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["checks"][0]["cause"], "krb5conf-missing", "{json}");
}

#[test]
fn warnings_alone_exit_zero_and_a_good_file_passes() {
    let (code, out, _) = kerbrds(&["krb5conf", "check", &fixture("canonicalize-fallback.conf")]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("canonicalize-fallback"), "{out}");
    let (code, out, _) = kerbrds(&["krb5conf", "check", &fixture("good-managed.conf")]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn generate_writes_once_refuses_to_overwrite_and_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("krb5.conf");
    let p = path.to_str().unwrap();
    let (code, out, _) = kerbrds(&["krb5conf", "generate", "--realm", "EXAMPLE.COM", "-o", p]);
    assert_eq!(code, Some(0), "{out}");
    let first = std::fs::read_to_string(&path).unwrap();
    let args = [
        "krb5conf",
        "generate",
        "--realm",
        "EXAMPLE.COM",
        "--kdc",
        "dc2.example.com",
        "-o",
        p,
    ];
    let (code, _, err) = kerbrds(&args);
    assert_eq!(code, Some(1));
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first, "untouched");
    let (code, out, _) = kerbrds(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(code, Some(0));
    assert!(out.contains("+         kdc = dc2.example.com"), "{out}");
    assert!(out.contains("-         kdc = example.com"), "{out}");
    let (code, out, _) = kerbrds(&[&args[..], &["--force"]].concat());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("kerbrds-backup"), "{out}");
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("kdc = dc2.example.com"));
}

#[test]
fn generate_upper_cases_with_a_notice_and_refuses_a_malformed_realm() {
    let (code, out, err) = kerbrds(&["krb5conf", "generate", "--realm", "corp.example.com"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("default_realm = CORP.EXAMPLE.COM"), "{out}");
    assert!(err.contains("upper case"), "{err}");
    let (code, _, err) = kerbrds(&["krb5conf", "generate", "--realm", "CORP_AD.COM"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("CORP_AD.COM"), "{err}");
}

#[test]
fn check_fix_rewrites_the_file_and_keeps_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("krb5.conf");
    std::fs::copy(fixture("lowercase-realm.conf"), &path).unwrap();
    let p = path.to_str().unwrap();
    let (code, out, _) = kerbrds(&["krb5conf", "check", p, "--fix", "--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("+  default_realm = EXAMPLE.COM"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(fixture("lowercase-realm.conf")).unwrap(),
        "--dry-run writes nothing"
    );
    let (code, out, _) = kerbrds(&["krb5conf", "check", p, "--fix"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, _) = kerbrds(&["krb5conf", "check", p]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("realm-not-upper-case"), "{out}");
}
