//! `kerbrds aws status` and `kerbrds aws setup` end to end against the lab's moto server,
//! through the real SDK over HTTP. Every test makes its own resources (random names), so tests
//! do not collide; the seeded instance `mydb` is only read. States moto cannot produce are
//! covered by tests/aws_recorded.rs.
#![cfg(feature = "aws")]

mod common;

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_rds::config::Credentials;
use common::{run, Lab};
use serde_json::Value;

const RDS_HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
const ROLE: &str = "rds-directoryservice-kerberos-access-role";

fn suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

async fn sdk(lab: &Lab) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(lab.env("AWS_ENDPOINT_URL"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "lab"))
        .load()
        .await
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `kerbrds aws status ARGS… --format json` → (exit code, checks as (id, target, status, cause)).
/// (id, target, status, cause) of one check.
type Row = (String, String, String, String);

fn status(lab: &Lab, args: &[&str]) -> (i32, Vec<Row>, Value) {
    let out = lab
        .kerbrds()
        .args(["aws", "status", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let s = |c: &Value, k: &str| c[k].as_str().unwrap_or("").to_string();
    let checks = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(c, "id"), s(c, "target"), s(c, "status"), s(c, "cause")))
        .collect();
    (out.status.code().unwrap_or(-1), checks, v)
}

fn find<'a>(checks: &'a [Row], id: &str) -> &'a Row {
    checks
        .iter()
        .find(|c| c.0 == id)
        .unwrap_or_else(|| panic!("{id} missing in {checks:?}"))
}

/// The directory scripts/lab-aws-seed.py made (example.com).
fn seeded_directory(cfg: &aws_config::SdkConfig) -> aws_sdk_directory::types::DirectoryDescription {
    rt().block_on(
        aws_sdk_directory::Client::new(cfg)
            .describe_directories()
            .send(),
    )
    .unwrap()
    .directory_descriptions()
    .iter()
    .find(|d| d.name() == Some("example.com"))
    .cloned()
    .expect("seeded directory example.com")
}

/// `kerbrds aws setup join` for `db` with the lab role and a `--wait` limit.
fn join(lab: &Lab, db: &str, dir: &str, wait: &str) -> (bool, String, String) {
    run(lab.kerbrds().args([
        "aws",
        "setup",
        "join",
        "--instance",
        db,
        "--directory",
        dir,
        "--role",
        ROLE,
        "--wait",
        wait,
    ]))
}

/// Creates a PostgreSQL instance in moto, optionally joined, in the seeded subnet group.
async fn create_instance(c: &aws_sdk_rds::Client, id: &str, domain: Option<(&str, &str)>) {
    let mut req = c
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .engine_version("15.7")
        .allocated_storage(20)
        .master_username("master")
        .master_user_password("master-lab-pw")
        .db_subnet_group_name("kerbrds-lab");
    if let Some((d, role)) = domain {
        req = req.domain(d).domain_iam_role_name(role);
    }
    req.send().await.expect("create_db_instance in moto");
}

#[test]
fn seeded_instance_is_green_from_its_endpoint_name() {
    let lab = Lab::shared();
    let (code, checks, v) = status(&lab, &[RDS_HOST]);
    assert_eq!(code, 0, "{v:#}");
    for id in [
        "aws.credentials",
        "aws.instance",
        "aws.domain_membership",
        "aws.iam_role",
        "aws.directory",
    ] {
        assert_eq!(find(&checks, id).2, "pass", "{id}: {v:#}");
    }
    let facts = &v["target"];
    assert_eq!(facts["realm"], "EXAMPLE.COM", "{v:#}");
    assert_eq!(facts["instance"], "mydb");
    assert_eq!(facts["region"], "us-east-1");
}

#[test]
fn no_credentials_at_all_skips_quickly_without_asking_instance_metadata() {
    let lab = Lab::shared();
    let start = Instant::now();
    let (ok, out, err) = run(lab
        .kerbrds()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .args(["aws", "status", RDS_HOST, "-v"]));
    let took = start.elapsed();
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("AWS checks skipped: no AWS credentials found"),
        "{out}"
    );
    assert!(
        out.contains("instance metadata not asked: this host is not EC2"),
        "{out}"
    );
    // The default chain would spend 1 s on the metadata service; a hang guard, not a benchmark.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn unknown_instance_is_not_found_and_fails() {
    let lab = Lab::shared();
    let (code, checks, _) = status(&lab, &["--instance", &format!("nosuch-{}", suffix())]);
    assert_eq!(code, 1);
    let i = find(&checks, "aws.instance");
    assert_eq!(
        (i.2.as_str(), i.3.as_str()),
        ("fail", "aws-instance-not-found")
    );
    assert_eq!(find(&checks, "aws.domain_membership").2, "skip");
}

#[test]
fn refused_endpoint_is_a_clear_warning_not_a_hang() {
    let lab = Lab::shared();
    let out = lab
        .kerbrds()
        .env("AWS_ENDPOINT_URL", "http://127.0.10.80:5999")
        .args(["aws", "status", RDS_HOST, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &v["checks"][1];
    assert_eq!(i["id"], "aws.instance");
    assert_eq!(i["cause"], "aws-unreachable", "{v:#}");
    assert!(
        i["detail"].as_str().unwrap().contains("Connection refused"),
        "{v:#}"
    );
}

#[test]
fn blackholed_endpoint_stops_at_the_timeout() {
    let lab = Lab::exclusive();
    let out = lab.script(&["fault", "drop", "127.0.10.80", "5000", "tcp"]);
    assert!(out.status.success());
    let start = Instant::now();
    let (code, checks, v) = status(&lab, &[RDS_HOST, "--timeout", "1.5"]);
    let took = start.elapsed();
    assert_eq!(code, 0, "{v:#}");
    let i = find(&checks, "aws.instance");
    assert_eq!(
        (i.2.as_str(), i.3.as_str()),
        ("warn", "aws-unreachable"),
        "{v:#}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn fresh_directory_role_trust_and_instance_end_to_end() {
    let lab = Lab::shared();
    let n = suffix();
    let domain = format!("t{n}.example.org");
    let role = format!("kerbrds-test-{n}");
    let cfg = rt().block_on(sdk(&lab));
    let rds = aws_sdk_rds::Client::new(&cfg);

    // The seeded directory's VPC and subnets host the new one.
    let seeded = seeded_directory(&cfg);
    let vpc = seeded.vpc_settings().unwrap();
    let subnets = vpc.subnet_ids().join(",");
    let vpc_id = vpc.vpc_id().unwrap().to_string();

    // Step 1: the directory (password from the environment, rules checked), then reused.
    let setup = |args: &[&str]| {
        run(lab
            .kerbrds()
            .env("KERBRDS_AD_PASSWORD", "Fresh-Directory-Pw-7")
            .env("KERBRDS_TRUST_PASSWORD", "trust-lab-pw")
            .args(["aws", "setup"])
            .args(args))
    };
    let dir_args = [
        "directory",
        "--name",
        &domain,
        "--vpc",
        &vpc_id,
        "--subnets",
        &subnets,
        "--wait",
        "30",
    ];
    let (ok, out, err) = setup(&dir_args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("calling ds:CreateMicrosoftAD"), "{out}");
    assert!(out.contains("Password=********"), "{out}");
    assert!(!out.contains("Fresh-Directory-Pw-7") && !err.contains("Fresh-Directory-Pw-7"));
    assert!(err.contains("waiting for directory d-"), "{err}");
    let dir_id = out
        .lines()
        .find_map(|l| l.strip_prefix("ok: "))
        .expect("ok: d-…")
        .to_string();
    let (ok, out, err) = setup(&dir_args);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("exists: directory {dir_id}")),
        "{out}"
    );
    assert!(!out.contains("calling ds:CreateMicrosoftAD"), "{out}");

    // Step 3: the role, created then reused.
    let (ok, out, err) = setup(&["role", "--role-name", &role]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("done: created role") && out.contains("done: attached"),
        "{out}"
    );
    let (ok, out, _) = setup(&["role", "--role-name", &role]);
    assert!(
        ok && out.contains("exists: role") && out.contains("already attached"),
        "{out}"
    );

    // An instance joined to both: green, with the new directory's realm.
    let db = format!("db-{n}");
    rt().block_on(create_instance(&rds, &db, Some((&dir_id, &role))));
    let (code, checks, v) = status(
        &lab,
        &["--instance", &db, "--realm", &domain.to_uppercase()],
    );
    assert_eq!(code, 0, "{v:#}");
    assert!(checks.iter().all(|c| c.2 == "pass"), "{v:#}");
    assert_eq!(v["target"]["realm"], domain.to_uppercase());

    // Step 2: a trust; moto leaves it Creating, which status reports as not verified.
    let (ok, out, err) = setup(&[
        "trust",
        "--directory",
        &dir_id,
        "--remote-domain",
        "onprem.com",
        "--dns",
        "127.0.20.1",
        "--wait",
        "0",
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("TrustPassword=********") && !out.contains("trust-lab-pw"),
        "{out}"
    );
    let (ok, out, _) = setup(&[
        "trust",
        "--directory",
        &dir_id,
        "--remote-domain",
        "onprem.com",
        "--wait",
        "0",
    ]);
    assert!(ok && out.contains("exists: trust t-"), "{out}");
    let (code, checks, v) = status(&lab, &["--instance", &db]);
    assert_eq!(code, 0, "{v:#}");
    let t = checks
        .iter()
        .find(|c| c.1 == format!("{dir_id} trust onprem.com"))
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!((t.2.as_str(), t.3.as_str()), ("warn", "trust-not-verified"));

    // A different realm in krb5.conf than the directory's is reported.
    let (_, checks, _) = status(&lab, &["--instance", &db, "--realm", "EXAMPLE.COM"]);
    assert_eq!(find(&checks, "aws.directory").3, "realm-directory-mismatch");
}

#[test]
fn role_problems_and_unjoined_instances_and_replicas() {
    let lab = Lab::shared();
    let n = suffix();
    let cfg = rt().block_on(sdk(&lab));
    let rds = aws_sdk_rds::Client::new(&cfg);
    let iam = aws_sdk_iam::Client::new(&cfg);
    let dir = seeded_directory(&cfg).directory_id().unwrap().to_string();

    // A role that trusts only rds.amazonaws.com and has no policy.
    let bad = format!("bad-trust-{n}");
    rt().block_on(
        iam.create_role()
            .role_name(&bad)
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send(),
    )
    .unwrap();
    let db = format!("badrole-{n}");
    rt().block_on(create_instance(&rds, &db, Some((&dir, &bad))));
    let (code, checks, v) = status(&lab, &["--instance", &db]);
    assert_eq!(code, 1);
    let r = find(&checks, "aws.iam_role");
    assert_eq!(
        (r.2.as_str(), r.3.as_str()),
        ("fail", "iam-role-bad-trust"),
        "{v:#}"
    );

    // Right trust, no managed policy: an inline policy granting ds:* is equivalent; none is not.
    let good_trust = kerbrds::aws::policy::rds_trust_policy();
    for (kind, inline, want) in [
        ("inline", true, ("pass", "")),
        ("nopolicy", false, ("fail", "iam-role-no-policy")),
    ] {
        let role = format!("{kind}-{n}");
        rt().block_on(
            iam.create_role()
                .role_name(&role)
                .assume_role_policy_document(&good_trust)
                .send(),
        )
        .unwrap();
        if inline {
            rt().block_on(
                iam.put_role_policy()
                    .role_name(&role)
                    .policy_name("ds-access")
                    .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ds:*","Resource":"*"}]}"#)
                    .send(),
            )
            .unwrap();
        }
        let db = format!("{kind}-{n}");
        rt().block_on(create_instance(&rds, &db, Some((&dir, &role))));
        let (_, checks, v) = status(&lab, &["--instance", &db]);
        let r = find(&checks, "aws.iam_role");
        assert_eq!((r.2.as_str(), r.3.as_str()), want, "{kind}: {v:#}");
    }

    // A role name that does not exist.
    let db = format!("norole-{n}");
    rt().block_on(create_instance(
        &rds,
        &db,
        Some((&dir, &format!("missing-{n}"))),
    ));
    let (_, checks, _) = status(&lab, &["--instance", &db]);
    assert_eq!(find(&checks, "aws.iam_role").3, "iam-role-missing");

    // Not joined at all: the join command is the hint; role and directory skip.
    let db = format!("plain-{n}");
    rt().block_on(create_instance(&rds, &db, None));
    let (code, checks, v) = status(&lab, &["--instance", &db]);
    assert_eq!(code, 1);
    let m = find(&checks, "aws.domain_membership");
    assert_eq!(
        (m.2.as_str(), m.3.as_str()),
        ("fail", "instance-not-joined")
    );
    let hint = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "aws.domain_membership")
        .unwrap()["hint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        hint.contains(&format!(
            "aws rds modify-db-instance --db-instance-identifier {db} --domain"
        )),
        "{hint}"
    );
    assert_eq!(find(&checks, "aws.iam_role").2, "skip");

    // Step 6 on it: modify + reboot through the SDK (moto ignores Domain, so no wait).
    let (ok, out, err) = join(&lab, &db, &dir, "0");
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("calling rds:ModifyDBInstance")
            && out.contains("Domain=")
            && out.contains("ApplyImmediately=true"),
        "{out}"
    );
    assert!(out.contains("calling rds:RebootDBInstance"), "{out}");

    // A read replica of a joined primary has its own (here: no) membership.
    let primary = format!("primary-{n}");
    rt().block_on(create_instance(&rds, &primary, Some((&dir, ROLE))));
    rt().block_on(
        rds.create_db_instance_read_replica()
            .db_instance_identifier(format!("{primary}-replica"))
            .source_db_instance_identifier(&primary)
            .send(),
    )
    .unwrap();
    let (_, checks, v) = status(&lab, &["--instance", &primary]);
    let ms: Vec<_> = checks
        .iter()
        .filter(|c| c.0 == "aws.domain_membership")
        .map(|c| (c.1.clone(), c.2.clone()))
        .collect();
    assert_eq!(ms.len(), 2, "{v:#}");
    assert_eq!(ms[0], (primary.clone(), "pass".to_string()));
    assert_eq!(ms[1].0, format!("{primary}-replica"));
}

#[test]
fn joined_instance_is_reused_by_setup_join() {
    let lab = Lab::shared();
    let cfg = rt().block_on(sdk(&lab));
    let dir = seeded_directory(&cfg).directory_id().unwrap().to_string();
    let (ok, out, err) = run(lab.kerbrds().args([
        "aws",
        "setup",
        "join",
        "--instance",
        "mydb",
        "--directory",
        &dir,
        "--role",
        ROLE,
    ]));
    assert!(ok, "{out}{err}");
    assert!(out.contains("exists: mydb is already joined"), "{out}");
    assert!(!out.contains("calling rds:ModifyDBInstance"), "{out}");
}

#[test]
fn dry_run_needs_no_credentials_and_masks_secrets() {
    let lab = Lab::shared();
    let (ok, out, err) = run(lab
        .kerbrds()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env("KERBRDS_AD_PASSWORD", "Visible-If-Leaked-9")
        .args([
            "aws",
            "setup",
            "--dry-run",
            "directory",
            "--name",
            "corp.example.com",
            "--vpc",
            "vpc-1",
            "--subnets",
            "subnet-a,subnet-b",
        ]));
    assert!(ok, "{out}{err}");
    assert!(out.contains("would call ds:CreateMicrosoftAD Name=corp.example.com ShortName=CORP Password=******** Edition=Standard"), "{out}");
    assert!(!out.contains("Visible-If-Leaked-9") && !err.contains("Visible-If-Leaked-9"));
    // Without --dry-run and without credentials it stops before any call, and says why.
    let (ok, out, err) = run(lab
        .kerbrds()
        .env_remove("AWS_ACCESS_KEY_ID")
        .args(["aws", "setup", "role"]));
    assert!(!ok && !out.contains("calling"), "{out}{err}");
    assert!(
        err.contains("no usable AWS credentials: none found"),
        "{err}"
    );
    // The password rules are checked before anything is called.
    let (ok, _, err) = run(lab.kerbrds().env("KERBRDS_AD_PASSWORD", "short").args([
        "aws",
        "setup",
        "directory",
        "--name",
        "corp.example.com",
        "--vpc",
        "v",
        "--subnets",
        "a,b",
    ]));
    assert!(!ok);
    assert!(err.contains("8 to 64"), "{err}");
}

#[test]
fn a_wait_shows_progress_and_stops_at_its_limit() {
    let lab = Lab::shared();
    let n = suffix();
    let cfg = rt().block_on(sdk(&lab));
    let dir = seeded_directory(&cfg).directory_id().unwrap().to_string();
    let db = format!("waits-{n}");
    rt().block_on(create_instance(&aws_sdk_rds::Client::new(&cfg), &db, None));
    // moto ignores ModifyDBInstance --domain, so the membership never appears: the wait must end.
    let start = Instant::now();
    let (ok, out, err) = join(&lab, &db, &dir, "2");
    let took = start.elapsed();
    assert!(!ok, "{out}{err}");
    assert!(
        err.contains(&format!(
            "waiting for {db} to reach kerberos-enabled: not joined yet — 0 s of 2 s"
        )),
        "{err}"
    );
    assert!(
        err.contains("gave up waiting for") && err.contains("re-run the same command later"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
