//! krb5conf against real MIT tools in the lab: the predicted service principal is the one
//! `kvno -S postgres HOST` asks for with the same file, and what `kerbrds krb5conf generate`
//! writes lets alice (managed realm) and bob (on-prem realm, across the trust) get the DB's
//! service ticket.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use common::{run, Lab, Scratch};
use kerbrds::krb5conf::{predict_service_principal, Profile, SystemCanonicalizer};

const RDS_HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";

/// kinit USER@REALM with the lab password, using `conf` as the only krb5.conf.
fn kinit(lab: &Lab, principal: &str, secret: &str, conf: &Path, ccache: &str) {
    let mut child = lab
        .command("kinit")
        .env("KRB5_CONFIG", conf)
        .env("KRB5CCNAME", ccache)
        .arg(principal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kinit");
    let pw = lab.secret(secret);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{pw}\n").as_bytes())
        .expect("password to kinit");
    let out = child.wait_with_output().expect("kinit");
    assert!(
        out.status.success(),
        "kinit {principal} with {}: {}",
        conf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kvno -S postgres HOST`: Ok(principal it got) or Err(principal it asked for, MIT's error).
fn kvno(lab: &Lab, conf: &Path, ccache: &str, host: &str) -> Result<String, (String, String)> {
    let (ok, out, err) = run(lab
        .command("kvno")
        .env("KRB5_CONFIG", conf)
        .env("KRB5CCNAME", ccache)
        .args(["-S", "postgres", host]));
    if ok {
        let principal = out.split(": kvno").next().unwrap_or_default().trim();
        return Ok(principal.to_string());
    }
    let asked = err
        .rsplit("while getting credentials for ")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    Err((asked, err))
}

fn generate(lab: &Lab, s: &Scratch, name: &str, args: &[&str]) -> std::path::PathBuf {
    let path = s.path(name);
    let out = lab
        .kerbrds()
        .args(["krb5conf", "generate"])
        .args(args)
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run kerbrds");
    assert!(
        out.status.success(),
        "generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn the_predicted_principal_is_the_one_mit_asks_for() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let base = "[realms]\n EXAMPLE.COM = {\n  kdc = kdc1.example.com\n }\n[domain_realm]\n .example.com = EXAMPLE.COM\n";
    let cases = [
        ("mit-defaults", ""),
        ("no-rdns", " rdns = false\n"),
        (
            "no-canonicalization",
            " rdns = false\n dns_canonicalize_hostname = false\n",
        ),
    ];
    let mut seen_rewrite = false;
    for (name, libdefaults) in cases {
        let conf = s.path(&format!("{name}.conf"));
        std::fs::write(
            &conf,
            format!("[libdefaults]\n default_realm = EXAMPLE.COM\n{libdefaults}{base}"),
        )
        .unwrap();
        let profile = Profile::load_file(&conf).unwrap();
        for host in [RDS_HOST, "db.example.com", "DB.Example.COM", "db"] {
            let predicted =
                predict_service_principal(&profile, host, "postgres", &SystemCanonicalizer);
            let asked = match kvno(&lab, &conf, &s.ccache(), host) {
                Ok(p) => p,
                Err((asked, _)) => asked,
            };
            assert_eq!(
                predicted.principal(),
                asked,
                "{name} / {host}: steps {:?}",
                predicted.steps
            );
            seen_rewrite |= predicted.rewritten();
        }
    }
    assert!(
        seen_rewrite,
        "MIT defaults must rewrite the RDS endpoint in the lab"
    );
}

#[test]
fn mit_defaults_fail_exactly_as_predicted_and_check_says_why() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let conf = s.path("aws-sample.conf");
    // The AWS guide's on-prem sample, with the lab's KDC names.
    let sample = std::fs::read_to_string(lab.root.join("fixtures/krb5conf/aws-onprem.conf"))
        .unwrap()
        .replace("kdc = example.com", "kdc = kdc1.example.com")
        .replace("kdc = onprem.com", "kdc = kdc.onprem.com");
    std::fs::write(&conf, sample).unwrap();
    let (asked, err) = kvno(&lab, &conf, &s.ccache(), RDS_HOST).expect_err("MIT defaults fail");
    assert_eq!(asked, "postgres/ip-127-0-10-4.ec2.internal@");
    assert!(
        err.contains("Server krbtgt/EC2.INTERNAL@EXAMPLE.COM not found"),
        "{err}"
    );
    let (ok, out, _) = run(lab
        .kerbrds()
        .args(["krb5conf", "check", "--format", "json", "--host", RDS_HOST])
        .arg(&conf));
    assert!(!ok, "a rewritten SPN is a failure: {out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dr = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "krb5conf.domain_realm")
        .unwrap();
    assert_eq!(dr["cause"], "spn-rewritten", "{dr}");
    assert!(
        dr["evidence"]
            .to_string()
            .contains("postgres/ip-127-0-10-4.ec2.internal@"),
        "{dr}"
    );
}

/// The managed variant against both KDC kinds: the MIT stand-in (realm given in lower case:
/// generate upper-cases it) and the real Active Directory (Samba AD DC).
#[test]
fn a_generated_managed_krb5_conf_gets_service_tickets_from_mit_and_ad() {
    let lab = Lab::shared();
    // (--realm as typed, --kdc, user, password file, DB hosts, the realm of the tickets)
    let table = [
        (
            "example.com",
            "kdc1.example.com",
            "alice@EXAMPLE.COM",
            "alice.pw",
            ["db.example.com", RDS_HOST],
            "EXAMPLE.COM",
        ),
        (
            "CORP.EXAMPLE.COM",
            "dc1.corp.example.com",
            "dave@CORP.EXAMPLE.COM",
            "dave.pw",
            ["db.corp.example.com", RDS_HOST],
            "CORP.EXAMPLE.COM",
        ),
    ];
    for (realm, kdc, user, pw, hosts, want) in table {
        let s = Scratch::new();
        let conf = generate(
            &lab,
            &s,
            "managed.conf",
            &["--realm", realm, "--kdc", kdc, "--db-host", RDS_HOST],
        );
        kinit(&lab, user, pw, &conf, &s.ccache());
        for host in hosts {
            let got = kvno(&lab, &conf, &s.ccache(), host)
                .unwrap_or_else(|e| panic!("{realm} {host}: {e:?}"));
            assert_eq!(got, format!("postgres/{host}@{want}"));
        }
        let (ok, out, _) = run(lab
            .kerbrds()
            .args(["krb5conf", "check", "--host", RDS_HOST])
            .arg(&conf));
        assert!(ok, "{realm}: {out}");
        assert!(
            out.contains(&format!("postgres/{RDS_HOST}@{want}")),
            "{out}"
        );
    }
}

#[test]
fn a_generated_on_prem_krb5_conf_gets_bob_across_the_trust() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let conf = generate(
        &lab,
        &s,
        "onprem.conf",
        &[
            "--realm",
            "EXAMPLE.COM",
            "--kdc",
            "kdc1.example.com",
            "--onprem-realm",
            "ONPREM.COM",
            "--onprem-kdc",
            "kdc.onprem.com",
        ],
    );
    kinit(&lab, "bob@ONPREM.COM", "bob.pw", &conf, &s.ccache());
    let got = kvno(&lab, &conf, &s.ccache(), RDS_HOST).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got, format!("postgres/{RDS_HOST}@EXAMPLE.COM"));
    let (_, klist, _) = run(lab.command("klist").env("KRB5CCNAME", s.ccache()));
    assert!(klist.contains("krbtgt/EXAMPLE.COM@ONPREM.COM"), "{klist}");
}

#[test]
fn without_the_rds_mapping_bob_fails_as_check_predicts() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let conf = s.path("onprem-no-rds.conf");
    std::fs::write(
        &conf,
        "[libdefaults]\n default_realm = ONPREM.COM\n rdns = false\n dns_canonicalize_hostname = false\n\
         [realms]\n ONPREM.COM = {\n  kdc = kdc.onprem.com\n }\n EXAMPLE.COM = {\n  kdc = kdc1.example.com\n }\n\
         [domain_realm]\n .onprem.com = ONPREM.COM\n .example.com = EXAMPLE.COM\n",
    )
    .unwrap();
    kinit(&lab, "bob@ONPREM.COM", "bob.pw", &conf, &s.ccache());
    let (asked, err) = kvno(&lab, &conf, &s.ccache(), RDS_HOST).expect_err("no referral");
    assert_eq!(asked, format!("postgres/{RDS_HOST}@"));
    assert!(
        err.contains("krbtgt/ABC123XYZ.US-EAST-1.RDS.AMAZONAWS.COM@ONPREM.COM"),
        "{err}"
    );
    let (ok, out, _) = run(lab
        .kerbrds()
        .args([
            "krb5conf",
            "check",
            "--host",
            RDS_HOST,
            "--realm",
            "EXAMPLE.COM",
        ])
        .arg(&conf));
    assert!(!ok, "{out}");
    assert!(out.contains("domain-realm-missing"), "{out}");
    assert!(
        out.contains("ABC123XYZ.US-EAST-1.RDS.AMAZONAWS.COM"),
        "{out}"
    );
    assert!(out.contains(".rds.amazonaws.com = EXAMPLE.COM"), "{out}");
}

/// The directory's id, name and DnsIpAddrs, read straight from the AWS mock with boto3.
fn lab_directory(lab: &Lab) -> (String, String, Vec<String>) {
    let venv = std::env::var("KERBRDS_LAB_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| lab.root.join(".lab-venv"));
    let (ok, out, err) = run(lab.command(venv.join("bin/python")).args([
        "-c",
        "import boto3, os\n\
         ds = boto3.client('ds', endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name=os.environ['AWS_REGION'])\n\
         d = ds.describe_directories()['DirectoryDescriptions'][0]\n\
         print(d['DirectoryId'], d['Name'], ' '.join(d['DnsIpAddrs']))",
    ]));
    assert!(ok, "describe_directories in the lab's moto: {err}");
    let mut words = out.split_whitespace().map(str::to_string);
    let id = words.next().expect("directory id");
    let name = words.next().expect("directory name");
    (id, name, words.collect())
}

#[test]
fn generate_reads_realm_and_domain_controllers_from_the_directory() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let (id, name, ips) = lab_directory(&lab);
    assert!(!ips.is_empty(), "the mock directory has DnsIpAddrs");
    let conf = generate(&lab, &s, "from-aws.conf", &["--directory-id", &id]);
    let p = Profile::load_file(&conf).unwrap();
    let realm = name.to_ascii_uppercase();
    assert_eq!(p.default_realm().unwrap().value, realm);
    let kdcs: Vec<String> = p.realm_kdcs(&realm).into_iter().map(|k| k.0).collect();
    assert_eq!(kdcs, ips);
    // --kdc wins over the directory's addresses; an unknown directory is an error, exit 2.
    let conf = generate(
        &lab,
        &s,
        "kdc.conf",
        &["--directory-id", &id, "--kdc", "kdc1.example.com"],
    );
    let p = Profile::load_file(&conf).unwrap();
    assert_eq!(p.realm_kdcs(&realm)[0].0, "kdc1.example.com");
    let out = lab
        .kerbrds()
        .args(["krb5conf", "generate", "--directory-id", "d-0000000000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("d-0000000000"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_fix_repairs_the_aws_sample_so_that_kvno_works() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    let conf = s.path("krb5.conf");
    let sample = std::fs::read_to_string(lab.root.join("fixtures/krb5conf/aws-onprem.conf"))
        .unwrap()
        .replace("default_realm = EXAMPLE.COM", "default_realm = ONPREM.COM")
        .replace("kdc = example.com", "kdc = kdc1.example.com")
        .replace("kdc = onprem.com", "kdc = kdc.onprem.com");
    std::fs::write(&conf, sample).unwrap();
    assert!(
        kvno(&lab, &conf, &s.ccache(), RDS_HOST).is_err(),
        "broken before"
    );
    let (ok, out, err) = run(lab
        .kerbrds()
        .args(["krb5conf", "check", "--fix", "--host", RDS_HOST])
        .arg(&conf));
    assert!(ok, "{out}{err}");
    assert!(out.contains("dns_canonicalize_hostname = false"), "{out}");
    let got = kvno(&lab, &conf, &s.ccache(), RDS_HOST).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got, format!("postgres/{RDS_HOST}@EXAMPLE.COM"));
    let backups = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("kerbrds-backup")
        })
        .count();
    assert_eq!(backups, 1);
}
