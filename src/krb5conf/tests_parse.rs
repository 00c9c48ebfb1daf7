//! Parser and query tests: MIT's syntax corner by corner, and the AWS guide's samples.

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::model::{HostRealm, NodeKind, Profile};
use super::parse::{parse_str, Env, ErrorKind, LoadError};

fn profile(text: &str) -> Profile {
    Profile {
        files: vec![parse_str(Path::new("/t/krb5.conf"), text).expect("parses")],
        missing: vec![],
    }
}

fn err(text: &str) -> (usize, ErrorKind) {
    let e = parse_str(Path::new("/t/krb5.conf"), text).expect_err("must not parse");
    (e.location.line, e.kind)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/krb5conf")
        .join(name)
}

#[test]
fn groups_repeated_kdcs_and_locations() {
    let p = profile(
        "# comment\n; also\n[libdefaults]\n  default_realm = EXAMPLE.COM\n[realms]\n EXAMPLE.COM = {\n  kdc = a.example.com\n  kdc = b.example.com:88\n  admin_server = a.example.com\n }\n",
    );
    assert_eq!(p.default_realm().unwrap().value, "EXAMPLE.COM");
    assert_eq!(p.default_realm().unwrap().location.line, 4);
    let kdcs = p.realm_kdcs("EXAMPLE.COM");
    assert_eq!(
        kdcs.iter()
            .map(|(k, l)| (k.as_str(), l.line))
            .collect::<Vec<_>>(),
        vec![("a.example.com", 7), ("b.example.com:88", 8)]
    );
    assert_eq!(p.realm_admin_servers("EXAMPLE.COM")[0].0, "a.example.com");
    assert_eq!(p.realm_kpasswd_servers("EXAMPLE.COM")[0].0, "a.example.com");
    assert!(p.realm_kdcs("OTHER.COM").is_empty());
}

#[test]
fn brace_on_the_next_line_and_repeated_groups_merge() {
    let p = profile(
        "[realms]\nEXAMPLE.COM =\n{\n kdc = a\n}\nEXAMPLE.COM = {\n kdc = b\n}\n[realms]\nEXAMPLE.COM = {\n kdc = c\n}\n",
    );
    let kdcs: Vec<_> = p
        .realm_kdcs("EXAMPLE.COM")
        .into_iter()
        .map(|k| k.0)
        .collect();
    assert_eq!(kdcs, vec!["a", "b", "c"]);
    assert_eq!(
        p.files[0].sections.len(),
        1,
        "[realms] twice is one section"
    );
    assert_eq!(
        p.files[0].sections[0].children().len(),
        1,
        "one merged group"
    );
}

#[test]
fn values_keep_what_mit_keeps() {
    let p = profile(
        "[libdefaults]\n a = x # not a comment\n b = \"quoted\\tvalue\" trailing\n c =    spaced value   \n\td = tab\n",
    );
    let v = |k| p.value(&["libdefaults", k]).unwrap().value.to_string();
    assert_eq!(v("a"), "x # not a comment");
    assert_eq!(v("b"), "quoted\tvalue");
    assert_eq!(v("c"), "spaced value");
    assert_eq!(v("d"), "tab");
}

#[test]
fn lines_before_the_first_section_are_ignored() {
    let p = profile("this is = ignored\nso is this\n[libdefaults]\n default_realm = R\n");
    assert_eq!(p.default_realm().unwrap().value, "R");
}

#[test]
fn syntax_errors_name_the_line() {
    assert_eq!(
        err("[libdefaults]\n default_realm\n"),
        (2, ErrorKind::RelationSyntax)
    );
    assert_eq!(err("[libdefaults\n"), (1, ErrorKind::SectionSyntax));
    assert_eq!(err("[a]\n}\n"), (2, ErrorKind::ExtraCloseBrace));
    assert_eq!(err("[a]\nR = {\n[b]\n"), (3, ErrorKind::SectionNotTop));
    assert_eq!(err("[a]\nR =\nkdc = x\n"), (3, ErrorKind::MissingOpenBrace));
    assert_eq!(err("[a]\nk v = x\n"), (2, ErrorKind::RelationSyntax));
    assert_eq!(err("[a]\n = x\n"), (2, ErrorKind::RelationSyntax));
    assert_eq!(err("[a]\nR = { x\n"), (2, ErrorKind::RelationSyntax));
    assert_eq!(err("[a] x\n"), (1, ErrorKind::SectionSyntax));
}

#[test]
fn an_unclosed_group_is_accepted_as_an_oddity() {
    let p = profile("[realms]\nR = {\n kdc = a\n");
    assert_eq!(p.realm_kdcs("R").len(), 1);
    assert_eq!(p.files[0].oddities[0].location.line, 2);
}

#[test]
fn finals_stop_later_files_but_not_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.conf");
    let b = dir.path().join("b.conf");
    std::fs::write(
        &a,
        "[libdefaults]\n rdns* = false\n rdns = true\n[realms]\nR = {\n kdc = a\n}\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "[libdefaults]\n rdns = true\n[realms]\nR = {\n kdc = b\n}\n",
    )
    .unwrap();
    let p = Profile::load_paths(&[a.clone(), b.clone()]).unwrap();
    let rdns: Vec<_> = p
        .values(&["libdefaults", "rdns"])
        .iter()
        .map(|f| f.value)
        .collect();
    assert_eq!(
        rdns,
        vec!["false", "true"],
        "the second file is never read for rdns"
    );
    assert!(!p.rdns().value);
    let kdcs: Vec<_> = p.realm_kdcs("R").into_iter().map(|k| k.0).collect();
    assert_eq!(kdcs, vec!["a", "b"], "kdc lists continue into later files");
    // A final section header stops the search too.
    std::fs::write(&a, "[realms]*\nR = {\n kdc = a\n}\n").unwrap();
    let p = Profile::load_paths(&[a, b]).unwrap();
    assert_eq!(p.realm_kdcs("R").len(), 1);
}

#[test]
fn include_and_includedir_merge_with_their_own_locations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("conf.d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("10-realm"), "[realms]\nR = {\n kdc = from-dir\n}\n").unwrap();
    std::fs::write(d.join("20-x.conf"), "[libdefaults]\n rdns = true\n").unwrap();
    std::fs::write(d.join("skip.conf~"), "[libdefaults]\n rdns = maybe\n").unwrap();
    std::fs::write(d.join(".hidden"), "garbage [\n").unwrap();
    let inc = dir.path().join("inc");
    std::fs::write(&inc, "[domain_realm]\n .x.com = R\n").unwrap();
    let main = dir.path().join("krb5.conf");
    std::fs::write(
        &main,
        format!(
            "include {}\nincludedir {}\n[libdefaults]\n rdns = false\n[realms]\nR = {{\n kdc = main\n}}\n",
            inc.display(),
            d.display()
        ),
    )
    .unwrap();
    let p = Profile::load_file(&main).unwrap();
    let kdcs = p.realm_kdcs("R");
    assert_eq!(kdcs[0].0, "from-dir");
    assert_eq!(kdcs[0].1.file, d.join("10-realm"));
    assert_eq!(kdcs[1].0, "main");
    // Read first, so the included file's value wins.
    assert!(p.rdns().value);
    assert_eq!(p.files[0].includes.len(), 2);
    assert_eq!(p.files[0].includes[1].files.len(), 2);
    assert!(matches!(
        p.realm_for_host("a.x.com"),
        HostRealm::Mapped { .. }
    ));
}

#[test]
fn broken_includes_are_errors_that_name_the_directive() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("krb5.conf");
    std::fs::write(&main, "[libdefaults]\ninclude /nonexistent/kerbrds\n").unwrap();
    let LoadError::Parse(e) = Profile::load_file(&main).unwrap_err() else {
        panic!("parse error expected")
    };
    assert_eq!(e.location.line, 2);
    assert!(matches!(e.kind, ErrorKind::IncludeFile(_)));
    // A file that includes itself stops instead of recursing forever.
    std::fs::write(&main, format!("include {}\n", main.display())).unwrap();
    let e = Profile::load_file(&main).unwrap_err();
    assert!(e.to_string().contains("nested deeper"), "{e}");
}

#[test]
fn krb5_config_is_a_list_and_missing_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::fs::write(&a, "[libdefaults]\n default_realm = A\n").unwrap();
    let env = Env {
        krb5_config: Some(format!("/nonexistent/x::{}", a.display())),
        krb5ccname: None,
    };
    let p = Profile::load_default(&env).unwrap();
    assert_eq!(p.missing, vec![PathBuf::from("/nonexistent/x")]);
    assert_eq!(p.default_realm().unwrap().value, "A");
    let none = Env {
        krb5_config: Some("/nonexistent/x".into()),
        krb5ccname: None,
    };
    assert!(matches!(
        Profile::load_default(&none),
        Err(LoadError::Missing(_))
    ));
    // A directory in the list: its valid file names, sorted (MIT 1.14+).
    let d = dir.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("b"), "[libdefaults]\n default_realm = B\n").unwrap();
    std::fs::write(d.join("a.conf"), "[libdefaults]\n default_realm = DIR\n").unwrap();
    std::fs::write(d.join("x.bak"), "[libdefaults]\n default_realm = BAK\n").unwrap();
    let p = Profile::load_default(&Env {
        krb5_config: Some(d.display().to_string()),
        krb5ccname: None,
    })
    .unwrap();
    assert_eq!(p.files.len(), 2);
    assert_eq!(p.default_realm().unwrap().value, "DIR");
    assert_eq!(
        Env::default().config_paths(),
        vec![PathBuf::from("/etc/krb5.conf")]
    );
}

#[test]
fn libdefaults_fall_back_to_mit_defaults() {
    let p = profile("[libdefaults]\n rdns = no\n dns_canonicalize_hostname = fallback\n");
    assert!(!p.rdns().value);
    assert_eq!(p.rdns().location.unwrap().line, 2);
    assert_eq!(
        p.dns_canonicalize_hostname().value,
        super::Canonicalize::Fallback
    );
    assert!(p.dns_lookup_kdc().value);
    assert!(p.dns_lookup_kdc().location.is_none());
    assert_eq!(p.libdefault("udp_preference_limit").unwrap().value, "1465");
    assert!(p.libdefault("no_such_key").is_none());
    let bad = profile("[libdefaults]\n dns_lookup_kdc = maybe\n");
    assert_eq!(
        bad.libdefault_bool("dns_lookup_kdc", true)
            .unwrap_err()
            .location
            .line,
        2
    );
    let off = profile("[libdefaults]\n dns_fallback = false\n");
    assert!(
        !off.dns_lookup_kdc().value,
        "dns_lookup_kdc defaults to dns_fallback"
    );
}

#[test]
fn domain_realm_follows_mit_order() {
    let p = profile(
        "[libdefaults]\n default_realm = DEF.COM\n[domain_realm]\n .example.com = DOT.COM\n example.com = BARE.COM\n crash.example.com = HOST.COM\n .rds.amazonaws.com = RDS.COM\n corp.com = CORP.COM\n",
    );
    let realm = |h: &str| match p.realm_for_host(h) {
        HostRealm::Mapped { realm, key, .. } => format!("{realm} via {key}"),
        HostRealm::Referral { fallback, .. } => format!("referral, fallback {fallback:?}"),
    };
    assert_eq!(realm("crash.example.com"), "HOST.COM via crash.example.com");
    assert_eq!(realm("db.example.com"), "DOT.COM via .example.com");
    assert_eq!(realm("Example.COM."), "BARE.COM via example.com");
    assert_eq!(realm("a.b.example.com"), "DOT.COM via .example.com");
    // A key without a leading dot covers subdomains too (checked after the dotted one).
    assert_eq!(realm("db.corp.com"), "CORP.COM via corp.com");
    assert_eq!(
        realm("mydb.abc123xyz.us-east-1.rds.amazonaws.com"),
        "RDS.COM via .rds.amazonaws.com"
    );
    assert_eq!(
        realm("ip-127-0-10-4.ec2.internal"),
        "referral, fallback Some(\"EC2.INTERNAL\")"
    );
    assert_eq!(realm("localhost"), "referral, fallback None");
    assert_eq!(realm("10.0.0.1"), "referral, fallback None");
}

#[test]
fn the_aws_guide_samples_parse() {
    let managed = Profile::load_file(&fixture("aws-managed.conf")).unwrap();
    assert_eq!(managed.default_realm().unwrap().value, "EXAMPLE.COM");
    assert_eq!(managed.realm_kdcs("EXAMPLE.COM")[0].0, "example.com");
    let onprem = Profile::load_file(&fixture("aws-onprem.conf")).unwrap();
    assert_eq!(
        onprem
            .subsections("realms")
            .iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        vec!["EXAMPLE.COM", "ONPREM.COM"]
    );
    assert_eq!(onprem.realm_kdcs("ONPREM.COM")[0].0, "onprem.com");
    // The trailing spaces after "onprem.com = ONPREM.COM  " in the guide are not part of it.
    assert_eq!(
        onprem.value(&["domain_realm", "onprem.com"]).unwrap().value,
        "ONPREM.COM"
    );
    assert_eq!(onprem.relations("domain_realm").len(), 7);
    assert!(matches!(
        onprem.realm_for_host("mydb.x.us-east-1.rds.amazonaws.com"),
        HostRealm::Mapped { ref realm, .. } if realm == "EXAMPLE.COM"
    ));
    assert!(matches!(
        onprem.files[0].sections[2].kind,
        NodeKind::Section(_)
    ));
}

mod fuzz {
    use super::{parse_str, Path, Profile};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes: an error or a tree, never a panic, and queries on it are safe.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(f) = super::super::parse::parse_bytes(Path::new("/t/x"), &bytes) {
                let p = Profile { files: vec![f], missing: vec![] };
                let _ = p.default_realm();
                let _ = p.realm_for_host("a.b.c");
                let _ = p.subsections("realms");
            }
        }

        /// Lines built from krb5.conf's own tokens reach the deeper states of the parser.
        #[test]
        fn token_soup_never_panics(lines in proptest::collection::vec(
            prop_oneof![
                Just("[realms]".to_string()), Just("[libdefaults]*".to_string()),
                Just("}".to_string()), Just("}*".to_string()), Just("{".to_string()),
                Just("R = {".to_string()), Just("R =".to_string()), Just("k* = v".to_string()),
                Just("k = \"q\\".to_string()), Just("# c".to_string()), Just("".to_string()),
                Just("include /nonexistent".to_string()), "[ -~]{0,40}",
            ], 0..60)) {
            let text = lines.join("\n");
            if let Ok(f) = parse_str(Path::new("/t/x"), &text) {
                let p = Profile { files: vec![f], missing: vec![] };
                let _ = p.realm_kdcs("R");
                let _ = p.values(&["realms", "R", "k"]);
                let _ = p.realm_for_host(&text);
            }
        }
    }
}
