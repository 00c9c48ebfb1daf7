//! The command line as users meet it, without the lab: help, exit codes, the public lists.

use std::process::Command;

fn kerbrds(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kerbrds"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kerbrds");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_in_help_is_documented_in_the_readme() {
    let (code, help, _) = kerbrds(&["--help"]);
    assert_eq!(code, Some(0));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 8, "{help}");
    assert_eq!(commands[0], "doctor", "the main job comes first");
    for c in commands {
        assert!(
            readme.contains(&format!("kerbrds {c}")),
            "README does not document `kerbrds {c}`"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = kerbrds(&["doctor", "--no-such-flag"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = kerbrds(&["explain", "no-such-cause"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown cause code") && err.contains("hint:"),
        "{err}"
    );
    let (code, _, err) = kerbrds(&["doctor", "-h", "db.example.com", "sslmode=sometimes"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid sslmode value"), "{err}");
}

#[test]
fn the_public_lists_are_complete_and_machine_readable() {
    let (code, out, _) = kerbrds(&["checks", "--format", "json"]);
    assert_eq!(code, Some(0));
    let ids: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        ids.as_array().unwrap().len(),
        kerbrds::check::CheckId::ALL.len()
    );
    let (code, out, _) = kerbrds(&["explain", "spn-rewritten"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("rdns = false"), "{out}");
    let (_, all, _) = kerbrds(&["explain", "--format", "json"]);
    let causes: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert_eq!(
        causes.as_array().unwrap().len(),
        kerbrds::catalogue::Cause::ALL.len()
    );
}

#[test]
fn a_password_in_the_connection_string_is_refused_without_echoing_it() {
    let (code, out, err) = kerbrds(&[
        "doctor",
        "postgresql://alice:hunter2-secret@db.example.com/db",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("password"), "{err}");
    assert!(!out.contains("hunter2-secret") && !err.contains("hunter2-secret"));
}
