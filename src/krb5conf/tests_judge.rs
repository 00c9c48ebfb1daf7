//! Golden tests: `fixtures/krb5conf/<case>.conf` → the findings (line, check id, status, cause)
//! in `<case>.expect`. A `# kerbrds-test: host=H expected=REALM` line before the first section
//! (MIT ignores it) gives the request. `KERBRDS_BLESS=1` rewrites the .expect files.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::judge::{judge, Request};
use super::model::Profile;
use super::spn::TableCanonicalizer;
use crate::check::Status;

const RDS: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";

/// The lab's DNS: the RDS-shaped name is a CNAME of an EC2-internal name with a PTR.
pub fn lab_dns() -> TableCanonicalizer {
    let rds: IpAddr = "127.0.10.4".parse().unwrap();
    let db: IpAddr = "127.0.10.3".parse().unwrap();
    TableCanonicalizer {
        forward: vec![
            (RDS.into(), "ip-127-0-10-4.ec2.internal".into(), rds),
            ("db.example.com".into(), "db.example.com".into(), db),
            ("127.0.10.4".into(), "127.0.10.4".into(), rds),
        ],
        reverse: vec![
            (rds, "ip-127-0-10-4.ec2.internal".into()),
            (db, "db.example.com".into()),
        ],
        search: None,
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/krb5conf")
}

/// The fixture's text and its `# kerbrds-test:` request (host, expected realm).
fn case_input(case: &str) -> (PathBuf, String, String, Option<String>) {
    let path = dir().join(format!("{case}.conf"));
    let text = std::fs::read_to_string(&path).unwrap();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("# kerbrds-test:"))
        .unwrap_or("")
        .to_string();
    let arg = |k: &str| {
        header
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{k}=")).map(str::to_string))
    };
    let host = arg("host").unwrap_or_else(|| RDS.to_string());
    let expected = arg("expected");
    (path, text, host, expected)
}

fn request<'a>(host: &'a str, expected: Option<&'a str>) -> Request<'a> {
    Request {
        host: Some(host),
        krbsrvname: "postgres",
        expected_realm: expected,
        krb5ccname: None,
    }
}

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".conf").map(str::to_string))
        .collect();
    cases.sort();
    cases
}

fn findings(case: &str) -> String {
    let (path, _, host, expected) = case_input(case);
    let loaded = Profile::load_file(&path);
    let checked = judge(&loaded, &request(&host, expected.as_deref()), &lab_dns());
    let mut out = String::new();
    for r in checked.results.iter().filter(|r| r.status != Status::Pass) {
        // `12`, or `other-file:12` when the finding is in an included file.
        let line = r
            .target
            .as_deref()
            .and_then(|t| t.rsplit_once(':'))
            .and_then(|(f, l)| Some((f, l.parse::<usize>().ok()?)))
            .map_or("-".to_string(), |(f, l)| {
                if Path::new(f) == path {
                    l.to_string()
                } else {
                    let name = Path::new(f).file_name().unwrap_or_default();
                    format!("{}:{l}", name.to_string_lossy())
                }
            });
        out.push_str(&format!(
            "{line} {} {} {}\n",
            r.id.as_str(),
            r.status.as_str(),
            r.cause.map_or("-", |c| c.code())
        ));
    }
    out
}

#[test]
fn every_fixture_gives_its_expected_findings() {
    let cases = cases();
    assert!(cases.len() >= 15, "{cases:?}");
    let bless = std::env::var_os("KERBRDS_BLESS").is_some();
    for case in cases {
        let got = findings(&case);
        let expect_path = dir().join(format!("{case}.expect"));
        if bless {
            std::fs::write(&expect_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expect_path).unwrap_or_else(|_| {
            panic!(
                "{} missing (KERBRDS_BLESS=1 writes it)",
                expect_path.display()
            )
        });
        assert_eq!(got, want, "fixture {case}");
    }
}

/// `<case>.conf` → `check --fix` → `<case>.conf.fixed`, which then has no finding left that
/// a text edit can fix (what needs a human is listed as manual).
#[test]
fn every_fixture_is_fixed_as_expected() {
    let bless = std::env::var_os("KERBRDS_BLESS").is_some();
    let mut fixed_any = 0;
    for case in cases() {
        let (path, text, host, expected) = case_input(&case);
        let Ok(profile) = Profile::load_file(&path) else {
            continue;
        };
        let req = request(&host, expected.as_deref());
        let fixed = super::fix::fix(&profile, &text, &req);
        let golden = dir().join(format!("{case}.conf.fixed"));
        if fixed.applied.is_empty() {
            assert!(
                !golden.exists(),
                "{case}: nothing to fix but {} exists",
                golden.display()
            );
            continue;
        }
        fixed_any += 1;
        if bless {
            std::fs::write(&golden, &fixed.text).unwrap();
        } else {
            let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
                panic!("{} missing (KERBRDS_BLESS=1 writes it)", golden.display())
            });
            assert_eq!(fixed.text, want, "fixed {case}");
        }
        let again = super::parse::parse_str(&path, &fixed.text).map(|f| Profile {
            files: vec![f],
            missing: vec![],
        });
        let after = judge(&again.map_err(Into::into), &req, &lab_dns());
        let left: Vec<_> = after
            .results
            .iter()
            .filter(|r| r.status == Status::Fail || r.status == Status::Warn)
            .filter_map(|r| r.cause)
            .collect();
        for cause in left {
            use crate::catalogue::Cause::*;
            let needs_human = matches!(
                cause,
                RealmHasNoKdc
                    | CcacheNotWritable
                    | IncludeOverrides
                    | HostIsIpAddress
                    | Krb5confSyntax
            ) || !fixed.manual.is_empty();
            assert!(
                needs_human,
                "{case}: {cause:?} left after fixing:\n{}",
                fixed.text
            );
        }
    }
    assert!(fixed_any >= 10, "only {fixed_any} fixtures needed fixing");
}

mod prediction {
    use super::{lab_dns, Path, Profile, RDS};
    use crate::krb5conf::model::HostRealm;
    use crate::krb5conf::parse::parse_str;
    use crate::krb5conf::spn::predict_service_principal;
    use pretty_assertions::assert_eq;

    fn profile(libdefaults: &str) -> Profile {
        let text = format!(
            "[libdefaults]\n default_realm = EXAMPLE.COM\n{libdefaults}\n[domain_realm]\n .example.com = EXAMPLE.COM\n .rds.amazonaws.com = EXAMPLE.COM\n"
        );
        Profile {
            files: vec![parse_str(Path::new("/t/k"), &text).unwrap()],
            missing: vec![],
        }
    }

    #[test]
    fn mit_defaults_turn_the_rds_endpoint_into_its_ec2_name() {
        let p = predict_service_principal(&profile(""), RDS, "postgres", &lab_dns());
        assert_eq!(p.principal(), "postgres/ip-127-0-10-4.ec2.internal@");
        assert!(p.rewritten());
        assert_eq!(
            p.realm,
            HostRealm::Referral {
                fallback: Some("EC2.INTERNAL".into()),
                default_realm: Some("EXAMPLE.COM".into())
            }
        );
        assert_eq!(p.steps.len(), 2, "forward then reverse: {:?}", p.steps);
    }

    #[test]
    fn canonicalization_off_keeps_the_name_and_maps_the_realm() {
        let p = predict_service_principal(
            &profile(" rdns = false\n dns_canonicalize_hostname = false"),
            &RDS.to_ascii_uppercase(),
            "postgres",
            &lab_dns(),
        );
        assert_eq!(p.principal(), format!("postgres/{RDS}@EXAMPLE.COM"));
        assert!(!p.rewritten(), "case alone is not a rewrite");
        assert!(p.steps.is_empty());
    }

    #[test]
    fn rdns_off_still_follows_the_cname() {
        let p = predict_service_principal(&profile(" rdns = false"), RDS, "pg", &lab_dns());
        assert_eq!(p.principal(), "pg/ip-127-0-10-4.ec2.internal@");
        assert_eq!(p.steps.len(), 1);
    }

    #[test]
    fn fallback_asks_with_the_name_as_given_first() {
        let p = predict_service_principal(
            &profile(" dns_canonicalize_hostname = fallback"),
            RDS,
            "postgres",
            &lab_dns(),
        );
        assert_eq!(p.principal(), format!("postgres/{RDS}@EXAMPLE.COM"));
    }

    #[test]
    fn short_names_are_qualified_only_without_dns() {
        let mut dns = lab_dns();
        dns.search = Some("example.com".into());
        let off = profile(" dns_canonicalize_hostname = false");
        let p = predict_service_principal(&off, "db", "postgres", &dns);
        assert_eq!(p.principal(), "postgres/db.example.com@EXAMPLE.COM");
        let explicit =
            profile(" dns_canonicalize_hostname = false\n qualify_shortname = corp.example.com");
        let p = predict_service_principal(&explicit, "db", "postgres", &dns);
        assert_eq!(p.host, "db.corp.example.com");
    }

    #[test]
    fn a_failed_lookup_keeps_the_name() {
        let p =
            predict_service_principal(&profile(""), "nohost.example.com", "postgres", &lab_dns());
        assert_eq!(p.principal(), "postgres/nohost.example.com@EXAMPLE.COM");
        assert!(p.steps[0].to_string().contains("failed"));
    }
}
