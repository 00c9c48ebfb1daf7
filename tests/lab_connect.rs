//! `kerbrds connect` side by side with real psql against the lab's PostgreSQL and MIT KDCs:
//! the same parameters must give the same answers, and each failure of LAB-NOTES must come
//! back with the right cause.

mod common;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

use common::{run, Lab, Scratch};
use serde_json::Value;

const RDS_HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
const STAT_SQL: &str = "select g.gss_authenticated, g.principal, g.encrypted, s.ssl \
     from pg_stat_gssapi g join pg_stat_ssl s using (pid) where pid = pg_backend_pid()";

/// `psql -XAtw CONNINFO -c SQL` (-w: never prompt for a password).
fn psql(lab: &Lab, cc: &str, conninfo: &str, sql: &str) -> (bool, String, String) {
    run(lab
        .command("psql")
        .env("KRB5CCNAME", cc)
        .args(["-XAtw", conninfo, "-c", sql]))
}

fn kerbrds(lab: &Lab, cc: &str, args: &[&str]) -> (bool, String, String) {
    run(lab
        .kerbrds()
        .env("KRB5CCNAME", cc)
        .arg("connect")
        .args(args))
}

/// `kerbrds connect --format json` → (exit code, document).
fn kerbrds_json(lab: &Lab, cmd: &mut Command) -> (i32, Value) {
    let _ = lab;
    let out = cmd
        .args(["--format", "json"])
        .output()
        .expect("spawn kerbrds");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn cause_of(lab: &Lab, cc: &str, conninfo: &str) -> (i32, Value) {
    let mut cmd = lab.kerbrds();
    cmd.env("KRB5CCNAME", cc).args(["connect", conninfo]);
    kerbrds_json(lab, &mut cmd)
}

/// Both tools, same conninfo, same SQL, same rows.
fn same_as_psql(lab: &Lab, cc: &str, conninfo: &str, sql: &str) -> String {
    let (ok, want, err) = psql(lab, cc, conninfo, sql);
    assert!(ok, "psql {conninfo}: {err}");
    let (ok, got, err) = kerbrds(lab, cc, &[conninfo, "-c", sql]);
    assert!(ok, "kerbrds {conninfo}: {err}");
    assert_eq!(got, want, "{conninfo}");
    got
}

#[test]
fn alice_with_gss_encryption_matches_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let rows = same_as_psql(
        &lab,
        &s.ccache(),
        "host=db.example.com gssencmode=require",
        STAT_SQL,
    );
    assert_eq!(rows.trim(), "t|alice@EXAMPLE.COM|t|f");
    let mut cmd = lab.kerbrds();
    cmd.env("KRB5CCNAME", s.ccache())
        .args(["connect", "host=db.example.com gssencmode=require"]);
    let (code, doc) = kerbrds_json(&lab, &mut cmd);
    assert_eq!(code, 0, "{doc}");
    let session = &doc["session"];
    assert_eq!(session["current_user"], "alice@EXAMPLE.COM");
    assert_eq!(session["principal"], "alice@EXAMPLE.COM");
    assert_eq!(session["gss_encrypted"], true);
    assert_eq!(session["transport"], "gss");
    assert_eq!(session["tls"], Value::Null);
    assert_eq!(session["in_rds_ad"], true);
}

#[test]
fn alice_over_tls_without_gss_encryption_matches_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let conninfo = format!("host={RDS_HOST} gssencmode=disable sslmode=require");
    let rows = same_as_psql(&lab, &s.ccache(), &conninfo, STAT_SQL);
    assert_eq!(rows.trim(), "t|alice@EXAMPLE.COM|f|t");
    let (ok, out, err) = kerbrds(&lab, &s.ccache(), &[&conninfo]);
    assert!(ok, "{err}");
    assert!(out.contains("GSS encrypted  no"), "{out}");
    assert!(out.contains("TLS            TLSv1.3"), "{out}");
    assert!(out.contains("rds_ad         member"), "{out}");
}

/// The same logins against the real Active Directory (Samba AD DC): dave@CORP.EXAMPLE.COM,
/// GSS-encrypted on the AD host name and over TLS on the RDS-shaped name (svc-pg holds both SPNs).
#[test]
fn dave_from_active_directory_matches_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("dave", &s.ccache());
    let ad = lab.env("KERBRDS_LAB_AD_KRB5_CONFIG");
    let user = "user=dave@CORP.EXAMPLE.COM";
    let table = [
        (
            format!("host=db.corp.example.com {user} gssencmode=require"),
            "t|dave@CORP.EXAMPLE.COM|t|f",
        ),
        (
            format!("host={RDS_HOST} {user} gssencmode=disable sslmode=require"),
            "t|dave@CORP.EXAMPLE.COM|f|t",
        ),
    ];
    for (conninfo, want) in table {
        let with_ad = |program: &str| {
            let mut cmd = lab.command(program);
            cmd.env("KRB5CCNAME", s.ccache()).env("KRB5_CONFIG", ad);
            cmd
        };
        let (ok, rows, err) = run(with_ad("psql").args(["-XAtw", &conninfo, "-c", STAT_SQL]));
        assert!(ok, "psql {conninfo}: {err}");
        assert_eq!(rows.trim(), want, "{conninfo}");
        let (ok, got, err) = run(
            with_ad(env!("CARGO_BIN_EXE_kerbrds")).args(["connect", &conninfo, "-c", STAT_SQL])
        );
        assert!(ok, "kerbrds {conninfo}: {err}");
        assert_eq!(got, rows, "{conninfo}");
    }
}

#[test]
fn psql_flags_work_like_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (ok, out, err) = kerbrds(
        &lab,
        &s.ccache(),
        &[
            "-h",
            "db.example.com",
            "-p",
            "5432",
            "-U",
            "alice@EXAMPLE.COM",
            "-d",
            "postgres",
            "-c",
            "select current_user, current_database()",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "alice@EXAMPLE.COM|postgres\n");
}

#[test]
fn bob_crosses_the_trust_like_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    let conf = lab.path("client/krb5-onprem.conf");
    let conninfo = format!("host={RDS_HOST} user=bob@ONPREM.COM gssencmode=require");
    let (ok, want, err) = run(lab
        .command("psql")
        .env("KRB5CCNAME", s.ccache())
        .env("KRB5_CONFIG", &conf)
        .args(["-XAtw", &conninfo, "-c", STAT_SQL]));
    assert!(ok, "{err}");
    let (ok, got, err) = run(lab
        .kerbrds()
        .env("KRB5CCNAME", s.ccache())
        .env("KRB5_CONFIG", &conf)
        .args(["connect", &conninfo, "-c", STAT_SQL]));
    assert!(ok, "{err}");
    assert_eq!(got, want);
    assert_eq!(got.trim(), "t|bob@ONPREM.COM|t|f");
}

#[test]
fn a_200_kb_result_crosses_16_kb_gss_packets() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let sql = "select length(repeat('x', 200000)), md5(repeat('kerbrds', 30000)); \
               select repeat('y', 200000)";
    let rows = same_as_psql(
        &lab,
        &s.ccache(),
        "host=db.example.com gssencmode=require",
        sql,
    );
    assert_eq!(rows.len(), "200000|".len() + 33 + 200_001);
}

/// A TCP proxy that answers GSSENCRequest with `N` itself (as a server without GSS encryption
/// would) and pipes everything else to the real server.
fn refusing_gssenc_proxy(upstream: &'static str) -> (u16, std::sync::mpsc::Receiver<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                use std::io::Read;
                let mut first = [0u8; 8];
                if client.read_exact(&mut first).is_err() {
                    return;
                }
                let mut server = TcpStream::connect(upstream).unwrap();
                if first == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30] {
                    let _ = tx.send(true);
                    client.write_all(b"N").unwrap();
                } else {
                    server.write_all(&first).unwrap();
                }
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                });
                let _ = std::io::copy(&mut client, &mut server);
            });
        }
    });
    (port, rx)
}

#[test]
fn prefer_falls_back_to_tls_when_the_server_refuses_gss_encryption() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (port, refused) = refusing_gssenc_proxy("127.0.10.3:5432");
    let conninfo = format!(
        "host=db.example.com hostaddr=127.0.0.1 port={port} gssencmode=prefer sslmode=prefer"
    );
    let rows = same_as_psql(&lab, &s.ccache(), &conninfo, STAT_SQL);
    assert_eq!(rows.trim(), "t|alice@EXAMPLE.COM|f|t");
    assert!(
        refused.try_iter().count() >= 2,
        "the proxy never saw a GSSENCRequest"
    );
    let mut cmd = lab.kerbrds();
    cmd.env("KRB5CCNAME", s.ccache()).args([
        "connect",
        &conninfo.replace("gssencmode=prefer", "gssencmode=require"),
    ]);
    let (code, doc) = kerbrds_json(&lab, &mut cmd);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("db-no-gssenc")),
        "{doc}"
    );
}

#[test]
fn no_ccache_is_reported_as_no_credentials() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let (ok, _, err) = psql(&lab, &s.ccache(), "host=db.example.com", "select 1");
    assert!(
        !ok && err.contains("No Kerberos credentials available"),
        "{err}"
    );
    let (code, doc) = cause_of(&lab, &s.ccache(), "host=db.example.com");
    assert_eq!(code, 1);
    assert_eq!(doc["failure"]["cause"], "no-credentials", "{doc}");
    assert_eq!(doc["failure"]["fix"], "kinit alice@EXAMPLE.COM");
    let (code, doc) = cause_of(&lab, &s.ccache(), "host=db.example.com gssencmode=require");
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("no-credentials"))
    );
}

#[test]
fn an_expired_tgt_is_reported_as_ticket_expired() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let mut kinit = lab.command("kinit");
    kinit
        .env("KRB5CCNAME", s.ccache())
        .args(["-l", "2s", "alice@EXAMPLE.COM"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = kinit.spawn().unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", lab.secret("alice.pw")).unwrap();
    assert!(child.wait().unwrap().success());
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (code, doc) = cause_of(&lab, &s.ccache(), "host=db.example.com");
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("ticket-expired")),
        "{doc}"
    );
}

#[test]
fn an_ip_address_host_names_the_spn_and_is_reported_once() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let spn_error = "Server postgres/127.0.10.3@EXAMPLE.COM not found in Kerberos database";
    let (ok, _, psql_err) = psql(&lab, &s.ccache(), "host=127.0.10.3", "select 1");
    assert!(!ok && psql_err.contains(spn_error), "{psql_err}");
    // libpq's gssencmode=prefer pays the same failure twice; kerbrds reports it once.
    assert_eq!(psql_err.matches(spn_error).count(), 2, "{psql_err}");
    let (ok, _, err) = kerbrds(&lab, &s.ccache(), &["host=127.0.10.3"]);
    assert!(!ok);
    assert!(err.contains("cause: host-is-ip-address"), "{err}");
    assert_eq!(
        err.matches(spn_error).count(),
        2,
        "detail + evidence line: {err}"
    );
    assert_eq!(err.matches("login failed").count(), 1, "{err}");
}

#[test]
fn a_ticket_for_another_user_is_a_principal_mismatch() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let conninfo = "host=db.example.com user=bob@ONPREM.COM";
    let (ok, _, err) = psql(&lab, &s.ccache(), conninfo, "select 1");
    assert!(
        !ok && err.contains("GSSAPI authentication failed for user \"bob@ONPREM.COM\""),
        "{err}"
    );
    let (code, doc) = cause_of(&lab, &s.ccache(), conninfo);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("principal-mismatch")),
        "{doc}"
    );
    assert_eq!(doc["failure"]["server"]["sqlstate"], "28000");
    let fix = doc["failure"]["fix"].as_str().unwrap();
    assert!(fix.contains("alice@EXAMPLE.COM"), "{fix}");
}

#[test]
fn a_missing_login_role_is_a_password_request_not_a_prompt() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("carol", &s.ccache());
    let conninfo = "host=db.example.com user=carol@EXAMPLE.COM";
    let (ok, _, err) = psql(&lab, &s.ccache(), conninfo, "select 1");
    assert!(!ok && err.contains("no password supplied"), "{err}");
    let (code, doc) = cause_of(&lab, &s.ccache(), conninfo);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("password-auth-chosen")),
        "{doc}"
    );
    let fix = doc["failure"]["fix"].as_str().unwrap();
    assert!(
        fix.contains("CREATE USER \"carol@EXAMPLE.COM\" WITH LOGIN"),
        "{fix}"
    );
}

#[test]
fn a_role_outside_rds_ad_is_a_password_request_with_the_grant_as_fix() {
    let lab = Lab::exclusive();
    let s = Scratch::new();
    lab.kinit("carol", &s.ccache());
    let made = lab.script(&["sql", "CREATE ROLE \"carol@EXAMPLE.COM\" LOGIN"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let conninfo = "host=db.example.com user=carol@EXAMPLE.COM";
    let (ok, _, psql_err) = psql(&lab, &s.ccache(), conninfo, "select 1");
    let (code, doc) = cause_of(&lab, &s.ccache(), conninfo);
    let _ = lab.script(&["sql", "DROP ROLE \"carol@EXAMPLE.COM\""]);
    assert!(
        !ok && psql_err.contains("no password supplied"),
        "{psql_err}"
    );
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("password-auth-chosen")),
        "{doc}"
    );
    assert!(doc["failure"]["fix"]
        .as_str()
        .unwrap()
        .contains("GRANT rds_ad TO \"carol@EXAMPLE.COM\""));
}

#[test]
fn a_rekeyed_service_is_a_key_version_mismatch() {
    let lab = Lab::exclusive();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    // The first login caches the service ticket; the re-key makes it stale.
    let (ok, _, err) = kerbrds(
        &lab,
        &s.ccache(),
        &["host=db.example.com", "-c", "select 1"],
    );
    assert!(ok, "{err}");
    assert!(lab.script(&["rekey"]).status.success());
    let (ok, _, psql_err) = psql(&lab, &s.ccache(), "host=db.example.com", "select 1");
    assert!(
        !ok && psql_err.contains("Key version is not available"),
        "{psql_err}"
    );
    let (code, doc) = cause_of(&lab, &s.ccache(), "host=db.example.com");
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("key-version-mismatch")),
        "{doc}"
    );
    assert!(doc["failure"]["fix"]
        .as_str()
        .unwrap()
        .starts_with("kdestroy && kinit"));
    // With GSS encryption required the server only hangs up; kerbrds still names the cause.
    let (code, doc) = cause_of(&lab, &s.ccache(), "host=db.example.com gssencmode=require");
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("key-version-mismatch")),
        "{doc}"
    );
    // A fresh ticket works again.
    let fresh = Scratch::new();
    lab.kinit("alice", &fresh.ccache());
    let (ok, _, err) = kerbrds(
        &lab,
        &fresh.ccache(),
        &["host=db.example.com", "-c", "select 1"],
    );
    assert!(ok, "{err}");
}

#[test]
fn bad_input_exits_2() {
    let lab = Lab::shared();
    let out = lab
        .kerbrds()
        .args(["connect", "host=db.example.com sslmode=sometimes"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_100_kb_bind_parameter_crosses_16_kb_gss_packets() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    // The library reads the ccache and krb5.conf from the process environment, as libpq does.
    std::env::set_var("KRB5CCNAME", s.ccache());
    std::env::set_var("KRB5_CONFIG", lab.path("client/krb5.conf"));
    let args = kerbrds::pgconn::ConnArgs {
        conninfo: Some(
            "host=db.example.com user=alice@EXAMPLE.COM dbname=postgres gssencmode=require".into(),
        ),
        ..Default::default()
    };
    let params = kerbrds::pgconn::resolve(&args, &|_| None).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let session = kerbrds::db::connect::connect(&params, std::time::Duration::from_secs(10))
            .await
            .unwrap_or_else(|f| panic!("{f:?}"));
        assert!(session.info.gss_encrypted);
        let big = "z".repeat(100_000);
        let row = session
            .client
            .query_one(
                "select length($1::text), $1::text = repeat('z', 100000), repeat($1::text, 2)",
                &[&big],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), 100_000);
        assert!(row.get::<_, bool>(1));
        assert_eq!(row.get::<_, String>(2).len(), 200_000);
    });
}

#[test]
fn a_blackholed_kdc_ends_in_a_login_timeout_naming_the_service_ticket_step() {
    let lab = Lab::exclusive();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    for proto in ["udp", "tcp"] {
        assert!(lab
            .script(&["fault", "drop", "127.0.10.1", "88", proto])
            .status
            .success());
    }
    let started = std::time::Instant::now();
    let mut cmd = lab.kerbrds();
    cmd.env("KRB5CCNAME", s.ccache())
        .args(["connect", "host=db.example.com", "--timeout", "3"]);
    let (code, doc) = kerbrds_json(&lab, &mut cmd);
    let took = started.elapsed();
    assert_eq!(code, 1);
    assert_eq!(doc["failure"]["cause"], "login-timeout", "{doc}");
    let detail = doc["failure"]["detail"].as_str().unwrap();
    assert!(detail.contains("getting a service ticket"), "{detail}");
    // libpq would wait ~18 s, twice with gssencmode=prefer.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
}

#[test]
fn tls_certificate_checks_follow_libpq() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    // The lab's PGSSLROOTCERT holds the server's self-signed certificate.
    let ok = "host=db.example.com gssencmode=disable sslmode=verify-full";
    let rows = same_as_psql(&lab, &s.ccache(), ok, STAT_SQL);
    assert_eq!(rows.trim(), "t|alice@EXAMPLE.COM|f|t");
    // A name the certificate does not carry, at the DB's address.
    let wrong_name =
        "host=kdc1.example.com hostaddr=127.0.10.3 gssencmode=disable sslmode=verify-full";
    let (ok, _, err) = psql(&lab, &s.ccache(), wrong_name, "select 1");
    assert!(!ok && err.contains("does not match host name"), "{err}");
    let (code, doc) = cause_of(&lab, &s.ccache(), wrong_name);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("tls-failed")),
        "{doc}"
    );
    assert!(
        doc["failure"]["detail"]
            .as_str()
            .unwrap()
            .contains("hostname mismatch"),
        "{doc}"
    );
    // The system store does not know the lab's CA.
    let system = "host=db.example.com gssencmode=disable sslmode=verify-ca sslrootcert=system";
    let (code, doc) = cause_of(&lab, &s.ccache(), system);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("tls-failed")),
        "{doc}"
    );
}

#[test]
fn sslmode_allow_and_disable_behave_like_libpq() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    // allow: plain first; pg_hba (RDS-like) refuses it, so libpq retries with TLS.
    let allow = "host=db.example.com sslmode=allow gssencmode=disable";
    let rows = same_as_psql(&lab, &s.ccache(), allow, STAT_SQL);
    assert_eq!(rows.trim(), "t|alice@EXAMPLE.COM|f|t");
    let mut cmd = lab.kerbrds();
    cmd.env("KRB5CCNAME", s.ccache()).args(["connect", allow]);
    let (code, doc) = kerbrds_json(&lab, &mut cmd);
    assert_eq!(code, 0, "{doc}");
    let attempts = doc["session"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{doc}");
    assert!(attempts[0]
        .as_str()
        .unwrap()
        .contains("no pg_hba.conf entry"));
    // disable: no encryption at all, which RDS refuses.
    let disable = "host=db.example.com sslmode=disable gssencmode=disable";
    let (ok, _, err) = psql(&lab, &s.ccache(), disable, "select 1");
    assert!(!ok && err.contains("no pg_hba.conf entry"), "{err}");
    let (code, doc) = cause_of(&lab, &s.ccache(), disable);
    assert_eq!(
        (code, &doc["failure"]["cause"]),
        (1, &Value::from("no-hba-entry")),
        "{doc}"
    );
    assert_eq!(doc["failure"]["server"]["sqlstate"], "28000");
}

#[test]
fn a_client_clock_ten_minutes_behind_is_clock_skew_reported_once() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let skewed = |program: &str, args: &[&str]| {
        run(lab
            .command("faketime")
            .env("KRB5CCNAME", s.ccache())
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .args(["-f", "-10m", program])
            .args(args))
    };
    let (ok, _, psql_err) = skewed("psql", &["-XAtw", "host=db.example.com", "-c", "select 1"]);
    assert!(!ok);
    assert_eq!(
        psql_err.matches("Clock skew too great").count(),
        2,
        "{psql_err}"
    );
    let bin = env!("CARGO_BIN_EXE_kerbrds");
    let (ok, out, err) = skewed(bin, &["connect", "host=db.example.com", "--format", "json"]);
    assert!(!ok, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["failure"]["cause"], "clock-skew", "{doc}");
    assert_eq!(
        doc["failure"]["detail"],
        "GSSAPI failed: Clock skew too great"
    );
}

#[test]
fn a_failing_statement_exits_1_with_the_servers_message_like_psql() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (ok, _, psql_err) = psql(&lab, &s.ccache(), "host=db.example.com", "select 1/0");
    assert!(
        !ok && psql_err.contains("ERROR:  division by zero"),
        "{psql_err}"
    );
    let out = lab
        .kerbrds()
        .env("KRB5CCNAME", s.ccache())
        .args(["connect", "host=db.example.com", "-c", "select 1/0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ERROR:  division by zero"), "{err}");
}
