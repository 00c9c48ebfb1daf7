//! `kerbrds login` against the lab's real PostgreSQL: logins created, used over GSSAPI with real
//! psql, listed with their problems, dropped; hostile names; the master password's secrecy.
//! Every test uses role names of its own (a unique suffix), so they run in parallel.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{run, Lab, Scratch};

/// A suffix no other test (or earlier run) uses.
fn uid() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}x{}x{}",
        std::process::id(),
        nanos % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// SQL as the superuser (setup, cleanup, verification); panics with psql's error.
fn sql(lab: &Lab, q: &str) -> String {
    let out = lab.script(&["sql", q]);
    assert!(
        out.status.success(),
        "{q}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Drops the roles when the test ends, also when it fails.
struct Roles<'a>(&'a Lab, Vec<String>);

impl Drop for Roles<'_> {
    fn drop(&mut self) {
        for r in &self.1 {
            let _ = self
                .0
                .script(&["sql", &format!("DROP ROLE IF EXISTS {}", ident(r))]);
        }
    }
}

/// kerbrds as the master user, password from the lab's password file.
fn master(lab: &Lab, args: &[&str]) -> Command {
    let mut c = lab.kerbrds();
    c.env("PGPASSFILE", lab.path("secrets/pgpass"))
        .arg("login")
        .args(args)
        .args(["-h", "db.example.com", "-U", "master"]);
    c
}

fn exists(lab: &Lab, role: &str) -> bool {
    sql(
        lab,
        &format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = {}",
            literal(role)
        ),
    )
    .trim()
        == "1"
}

fn in_rds_ad(lab: &Lab, role: &str) -> bool {
    sql(
        lab,
        &format!("SELECT pg_has_role({}, 'rds_ad', 'MEMBER')", literal(role)),
    )
    .trim()
        == "t"
}

fn psql_gss(lab: &Lab, ccache: &str, user: &str) -> (bool, String, String) {
    run(lab.command("psql").env("KRB5CCNAME", ccache).args([
        "-X",
        "-w",
        "-At",
        &format!("host=db.example.com gssencmode=require dbname=postgres user={user}"),
        "-c",
        "select gss_authenticated, principal, encrypted from pg_stat_gssapi where pid = pg_backend_pid()",
    ]))
}

#[test]
fn carol_gets_a_login_then_logs_in_over_gssapi_and_loses_it_on_drop() {
    // Exclusive: other lab tests rely on carol having no login.
    let lab = Lab::exclusive();
    let carol = "carol@EXAMPLE.COM";
    let _cleanup = Roles(&lab, vec![carol.into()]);
    sql(&lab, &format!("DROP ROLE IF EXISTS {}", ident(carol)));
    let s = Scratch::new();
    lab.kinit("carol", &s.ccache());
    let (ok, _, err) = psql_gss(&lab, &s.ccache(), carol);
    assert!(!ok, "carol must not log in before her login exists");
    assert!(
        err.contains("no password supplied") || err.contains("GSSAPI"),
        "{err}"
    );

    let (ok, out, err) = run(&mut master(&lab, &["create", carol]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("carol@EXAMPLE.COM: created with LOGIN and granted rds_ad"),
        "{out}"
    );
    let (ok, out, err) = psql_gss(&lab, &s.ccache(), carol);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "t|carol@EXAMPLE.COM|t");

    let (ok, out, err) = run(&mut master(&lab, &["create", carol]));
    assert!(ok, "{err}");
    assert!(out.contains("nothing to do"), "{out}");

    let (ok, out, err) = run(&mut master(&lab, &["drop", carol]));
    assert!(ok, "{err}");
    assert!(out.contains("carol@EXAMPLE.COM: dropped"), "{out}");
    assert!(!exists(&lab, carol));
    let (ok, _, _) = psql_gss(&lab, &s.ccache(), carol);
    assert!(!ok, "carol logged in after her login was dropped");
}

#[test]
fn create_is_idempotent_grants_what_is_missing_and_dry_run_changes_nothing() {
    let lab = Lab::shared();
    let id = uid();
    let fresh = format!("idem{id}@EXAMPLE.COM");
    let bare = format!("bare{id}@EXAMPLE.COM");
    let dry = format!("dry{id}@EXAMPLE.COM");
    let _cleanup = Roles(&lab, vec![fresh.clone(), bare.clone(), dry.clone()]);
    sql(&lab, &format!("CREATE ROLE {} LOGIN", ident(&bare)));

    let (ok, out, err) = run(&mut master(&lab, &["create", &fresh, &bare]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("{fresh}: created with LOGIN and granted rds_ad")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{bare}: existed without rds_ad: granted rds_ad")),
        "{out}"
    );
    assert!(in_rds_ad(&lab, &fresh) && in_rds_ad(&lab, &bare));

    let (ok, out, err) = run(&mut master(
        &lab,
        &["create", &fresh, &bare, "--format", "json"],
    ));
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    for r in doc["results"].as_array().unwrap() {
        assert_eq!(r["outcome"], "unchanged", "{r}");
        assert_eq!(r["sql"].as_array().unwrap().len(), 0, "{r}");
    }

    let (ok, out, err) = run(&mut master(&lab, &["create", "--dry-run", &dry, &fresh]));
    assert!(ok, "{err}");
    assert_eq!(
        out,
        format!(
            "-- {dry}: would be created with LOGIN and granted rds_ad\nBEGIN;\nCREATE USER \"{dry}\" WITH LOGIN;\nGRANT rds_ad TO \"{dry}\";\nCOMMIT;\n\
             -- {fresh}: already exists and is a member of rds_ad: nothing to do\n"
        )
    );
    assert!(!exists(&lab, &dry), "--dry-run created the role");

    let (ok, out, err) = run(&mut master(&lab, &["drop", &fresh]));
    assert!(
        ok && out.contains(&format!("{fresh}: dropped")),
        "{out}{err}"
    );
    let (ok, out, err) = run(&mut master(&lab, &["drop", &fresh]));
    assert!(
        ok && out.contains(&format!("{fresh}: does not exist: nothing to do")),
        "{out}{err}"
    );
}

#[test]
fn realm_case_is_rejected_before_connecting_or_normalized_on_request() {
    let lab = Lab::shared();
    let id = uid();
    let upper = format!("nr{id}@EXAMPLE.COM");
    let _cleanup = Roles(&lab, vec![upper.clone()]);
    let lower = format!("nr{id}@example.com");
    // A bad name stops everything: the valid name given with it is not created either.
    let (ok, out, err) = run(&mut master(&lab, &["create", &upper, &lower]));
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("use \"{upper}\"")) && err.contains("--normalize-realm"),
        "{err}"
    );
    assert!(!exists(&lab, &upper));
    let (ok, out, err) = run(&mut master(&lab, &["create", "--normalize-realm", &lower]));
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{upper}: created")), "{out}");
    assert!(exists(&lab, &upper) && !exists(&lab, &lower));
}

#[test]
fn list_flags_seeded_bad_logins_and_drop_removes_them() {
    let lab = Lab::shared();
    let id = uid();
    let n = |p: &str, realm: &str| format!("{p}{id}@{realm}");
    let nologin = n("nl", "EXAMPLE.COM");
    let nogrant = n("ng", "EXAMPLE.COM");
    let lower = n("lc", "example.com");
    let unknown = n("ur", "ELSEWHERE.ORG");
    let iam = n("iam", "EXAMPLE.COM");
    let twin_a = n("Tw", "EXAMPLE.COM");
    let twin_b = n("tw", "EXAMPLE.COM");
    let cased = n("pm", "EXAMPLE.COM");
    let good = n("ok", "EXAMPLE.COM");
    let (ga, gb) = (format!("ga{id}"), format!("gb{id}"));
    let all = [
        &nologin, &nogrant, &lower, &unknown, &iam, &twin_a, &twin_b, &cased, &good,
    ];
    let mut names: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    names.extend([ga.clone(), gb.clone()]);
    let _cleanup = Roles(&lab, names);

    let q = |s: &String| ident(s);
    sql(
        &lab,
        &format!(
            "CREATE ROLE {nl} NOLOGIN; GRANT rds_ad TO {nl};
             CREATE ROLE {ng} LOGIN;
             CREATE ROLE {lc} LOGIN; GRANT rds_ad TO {lc};
             CREATE ROLE {ur} LOGIN; GRANT rds_ad TO {ur};
             CREATE ROLE {ga} NOLOGIN; CREATE ROLE {gb} NOLOGIN; GRANT rds_iam TO {gb}; GRANT {gb} TO {ga};
             CREATE ROLE {iam} LOGIN; GRANT rds_ad TO {iam}; GRANT {ga} TO {iam};
             CREATE ROLE {ta} LOGIN; GRANT rds_ad TO {ta}; CREATE ROLE {tb} LOGIN; GRANT rds_ad TO {tb};
             CREATE ROLE {pm} LOGIN; GRANT rds_ad TO {pm};",
            nl = q(&nologin),
            ng = q(&nogrant),
            lc = q(&lower),
            ur = q(&unknown),
            ga = q(&ga),
            gb = q(&gb),
            iam = q(&iam),
            ta = q(&twin_a),
            tb = q(&twin_b),
            pm = q(&cased),
        ),
    );
    let (ok, _, err) = run(&mut master(&lab, &["create", &good]));
    assert!(ok, "{err}");

    let principal = n("PM", "EXAMPLE.COM");
    let (ok, out, err) = run(&mut master(
        &lab,
        &["list", "--format", "json", "--principal", &principal],
    ));
    assert!(!ok, "flagged logins exit 1: {err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        doc["known_realms"],
        serde_json::json!(["EXAMPLE.COM", "ONPREM.COM"]),
        "realms from the lab's krb5.conf"
    );
    let codes = |name: &str| -> Vec<String> {
        let login = doc["logins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {out}"));
        login["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&nologin), ["role-nologin"]);
    assert_eq!(codes(&nogrant), ["role-not-in-rds-ad"]);
    assert_eq!(codes(&lower), ["realm-not-upper-case"]);
    assert_eq!(codes(&unknown), ["realm-directory-mismatch"]);
    assert_eq!(codes(&iam), ["role-in-rds-ad-and-rds-iam"]);
    assert_eq!(codes(&twin_a), ["principal-mismatch"]);
    assert_eq!(codes(&twin_b), ["principal-mismatch"]);
    assert_eq!(codes(&cased), ["principal-mismatch"]);
    assert!(codes(&good).is_empty());
    let iam_login = doc["logins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == iam.as_str())
        .unwrap();
    assert_eq!(
        iam_login["rds_iam"],
        serde_json::json!([ga, gb]),
        "the nested path to rds_iam"
    );
    assert!(
        !doc["logins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == ga.as_str()),
        "groups without '@' are not logins"
    );

    let (_, human, _) = run(&mut master(&lab, &["list", "--realm", "EXAMPLE.COM"]));
    assert!(
        human.contains(&format!(
            "ALTER ROLE \"{lower}\" RENAME TO \"{}\";",
            n("lc", "EXAMPLE.COM")
        )),
        "{human}"
    );
    assert!(
        human.contains(&format!("rds_iam through {ga} → {gb}")),
        "{human}"
    );
    assert!(
        human.contains("realm \"ONPREM.COM\" is not one of the known realms (EXAMPLE.COM)"),
        "--realm replaces krb5.conf's realms: {human}"
    );

    let drop_args: Vec<&str> = std::iter::once("drop")
        .chain(all.iter().map(|s| s.as_str()))
        .collect();
    let (ok, out, err) = run(&mut master(&lab, &drop_args));
    assert!(ok, "{out}{err}");
    for name in all {
        assert!(out.contains(&format!("{name}: dropped")), "{name}: {out}");
        assert!(!exists(&lab, name), "{name} still exists");
    }
}

#[test]
fn hostile_names_are_rejected_or_created_verbatim_never_executed() {
    let lab = Lab::shared();
    let id = uid();
    let pwned = format!("pw{id}");
    let verbatim = [
        format!("q\"uote{id}@EXAMPLE.COM"),
        format!("o'brien{id}@EXAMPLE.COM"),
        format!("semi;colon{id}@EXAMPLE.COM"),
        format!("x{id}\"; CREATE ROLE {pwned}; --@EXAMPLE.COM"),
        format!("x{id}' ; CREATE ROLE {pwned}; --@EXAMPLE.COM"),
        format!("back\\slash{id}\\@EXAMPLE.COM"),
        format!("jürgen{id}ß@EXAMPLE.COM"),
        format!("emoji{id}🙂@EXAMPLE.COM"),
    ];
    let mut cleanup: Vec<String> = verbatim.to_vec();
    cleanup.push(pwned.clone());
    let _cleanup = Roles(&lab, cleanup);
    let rejected = [
        format!("new\nline{id}@EXAMPLE.COM"),
        format!("nl{id}@EXAMPLE.COM\nCREATE ROLE {pwned}"),
        format!("r{id}@EXAMPLE.COM\"; CREATE ROLE {pwned}; --"),
        format!("r{id}@EXAMPLE.COM; CREATE ROLE {pwned}"),
        format!("two{id}@at@EXAMPLE.COM"),
        format!("tab\t{id}@EXAMPLE.COM"),
    ];
    for bad in &rejected {
        let (ok, out, err) = run(&mut master(&lab, &["create", bad]));
        assert!(!ok && out.is_empty(), "{bad:?} accepted: {out}");
        assert!(err.contains("error"), "{bad:?}: {err}");
    }
    let listed = |lab: &Lab| -> Vec<String> {
        let mut v: Vec<String> = sql(
            lab,
            &format!(
                "SELECT rolname FROM pg_roles WHERE strpos(rolname, {}) > 0 ORDER BY 1",
                literal(&id)
            ),
        )
        .lines()
        .map(String::from)
        .collect();
        v.sort();
        v
    };
    assert!(
        listed(&lab).is_empty(),
        "a rejected name created something: {:?}",
        listed(&lab)
    );

    let mut args: Vec<&str> = vec!["create"];
    args.extend(verbatim.iter().map(String::as_str));
    let (ok, out, err) = run(&mut master(&lab, &args));
    assert!(ok, "{out}{err}");
    let mut want: Vec<String> = verbatim.to_vec();
    want.sort();
    assert_eq!(
        listed(&lab),
        want,
        "each name exists verbatim, nothing else was created"
    );
    assert!(!exists(&lab, &pwned), "injected SQL ran");
    for name in &verbatim {
        assert!(in_rds_ad(&lab, name), "{name}");
    }
    // The listing shows them too, and drop takes them back verbatim.
    let (_, out, _) = run(&mut master(&lab, &["list", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    for name in &verbatim {
        assert!(
            doc["logins"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["name"] == name.as_str()),
            "{name} not listed"
        );
    }
    args[0] = "drop";
    let (ok, out, err) = run(&mut master(&lab, &args));
    assert!(ok, "{out}{err}");
    assert!(listed(&lab).is_empty(), "{:?}", listed(&lab));
}

#[test]
fn a_master_user_without_the_right_gets_an_error_that_says_so() {
    let lab = Lab::shared();
    let id = uid();
    let weak = format!("weak{id}");
    let target = format!("wt{id}@EXAMPLE.COM");
    let existing = format!("we{id}@EXAMPLE.COM");
    let _cleanup = Roles(&lab, vec![weak.clone(), target.clone(), existing.clone()]);
    sql(
        &lab,
        &format!(
            "CREATE ROLE {} LOGIN PASSWORD 'weak-pw'; CREATE ROLE {} LOGIN",
            ident(&weak),
            ident(&existing)
        ),
    );
    let weak_cmd = |args: &[&str]| {
        let mut c = lab.kerbrds();
        c.env("PGPASSWORD", "weak-pw")
            .arg("login")
            .args(args)
            .args(["-h", "db.example.com", "-U", &weak]);
        c
    };
    let (ok, out, err) = run(&mut weak_cmd(&["create", &target]));
    assert!(!ok, "{out}");
    assert!(
        err.contains(&format!("the master user {weak} may not create roles"))
            && err.contains("SQLSTATE 42501"),
        "{err}"
    );
    assert!(err.contains("CREATEROLE"), "{err}");
    assert!(!exists(&lab, &target));
    let (ok, _, err) = run(&mut weak_cmd(&["create", &existing]));
    assert!(!ok);
    assert!(
        err.contains(&format!("the master user {weak} may not grant rds_ad"))
            && err.contains("42501"),
        "{err}"
    );
    assert!(err.contains("WITH ADMIN OPTION"), "{err}");
    assert!(
        !in_rds_ad(&lab, &existing),
        "the failed transaction was rolled back"
    );
}

const MASTER_PW: &str = "master-lab-pw";

#[test]
fn a_wrong_password_is_refused_without_being_repeated() {
    let lab = Lab::shared();
    let wrong = format!("Wr0ng-{}", uid());
    let (ok, out, err) = run(lab.kerbrds().env("PGPASSWORD", &wrong).args([
        "login",
        "list",
        "-h",
        "db.example.com",
        "-U",
        "master",
    ]));
    assert!(!ok);
    assert!(
        err.contains("password authentication failed")
            && err.contains("28P01")
            && err.contains("PGPASSWORD"),
        "{err}"
    );
    assert!(
        !out.contains(&wrong) && !err.contains(&wrong),
        "the password leaked: {out}{err}"
    );
    // A password in the connection string is refused before it could be used or shown.
    let conninfo = format!("host=db.example.com user=master password={wrong}");
    let (ok, out, err) = run(lab.kerbrds().args(["login", "list", &conninfo]));
    assert!(!ok && err.contains("PGPASSWORD"), "{err}");
    assert!(!out.contains(&wrong) && !err.contains(&wrong), "{out}{err}");
    // No password anywhere and no terminal: the error says where one can come from.
    let (ok, _, err) = run(lab
        .kerbrds()
        .env("PGPASSFILE", "/nonexistent")
        .args(["login", "list", "-U", "master"]));
    assert!(
        !ok && err.contains("asked for the password of master") && err.contains("~/.pgpass"),
        "{err}"
    );
    assert_eq!(lab.secret("master.pw"), MASTER_PW);
}

fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The command lines and environments of every process whose command line mentions `marker`.
fn processes_mentioning(marker: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let p = entry.path();
        let Ok(cmdline) = std::fs::read(p.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            let environ = std::fs::read(p.join("environ")).unwrap_or_default();
            out.push((cmdline, String::from_utf8_lossy(&environ).into_owned()));
        }
    }
    out
}

#[test]
fn the_password_is_in_no_process_listing_while_prompting_or_connected() {
    let lab = Lab::shared();
    let id = uid();
    let role = format!("blk{id}@EXAMPLE.COM");
    let _cleanup = Roles(&lab, vec![role.clone()]);
    // A master session that creates the same role and keeps its transaction open, so that
    // kerbrds's CREATE waits on the lock: a connection held open for as long as the test needs.
    let mut blocker = lab
        .command("psql")
        .env("PGPASSFILE", lab.path("secrets/pgpass"))
        .args([
            "-X",
            "-q",
            "-At",
            "host=db.example.com user=master dbname=postgres sslmode=require gssencmode=disable",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql");
    let mut bin = blocker.stdin.take().unwrap();
    writeln!(
        bin,
        "BEGIN;\nCREATE ROLE {};\nSELECT 'locked';",
        ident(&role)
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(blocker.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");

    // kerbrds on a terminal (script gives it a pty), with no stored password: it prompts.
    let cmd = format!(
        "{} login create -h db.example.com -U master {role}",
        env!("CARGO_BIN_EXE_kerbrds")
    );
    let mut k = lab
        .command("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("PGPASSFILE", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut kout = k.stdout.take().unwrap();
    let sink = Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = kout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let text = || String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    wait_for("the password prompt", Duration::from_secs(20), || {
        text().contains("Password for user master:")
    });
    let procs = processes_mentioning(&role);
    assert!(
        procs.iter().any(|(c, _)| c.contains("login create")),
        "kerbrds not found among {procs:?}"
    );
    for (cmdline, environ) in &procs {
        assert!(
            !cmdline.contains(MASTER_PW) && !environ.contains(MASTER_PW),
            "{cmdline}"
        );
    }

    let mut kin = k.stdin.take().unwrap();
    writeln!(kin, "{MASTER_PW}").unwrap();
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kerbrds' AND wait_event_type = 'Lock' AND query LIKE {}",
        literal(&format!("%{id}%"))
    );
    wait_for(
        "kerbrds to wait on the lock",
        Duration::from_secs(20),
        || sql(&lab, &waiting).trim() == "1",
    );
    // Connected, mid-transaction: neither argv nor the environment holds the password.
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    for l in String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|l| l.contains("kerbrds"))
    {
        assert!(!l.contains(MASTER_PW), "ps shows the password: {l}");
    }
    for (cmdline, environ) in processes_mentioning(&role) {
        assert!(
            !cmdline.contains(MASTER_PW) && !environ.contains(MASTER_PW),
            "{cmdline}"
        );
    }

    writeln!(bin, "ROLLBACK;").unwrap();
    drop(bin);
    blocker.wait().unwrap();
    drop(kin);
    let status = k.wait().unwrap();
    reader.join().unwrap();
    let out = text();
    assert!(status.success(), "{out}");
    assert!(
        out.contains(&format!("{role}: created with LOGIN and granted rds_ad")),
        "{out}"
    );
    assert!(!out.contains(MASTER_PW), "the password was echoed: {out}");
}

#[test]
fn tls_modes_behave_as_libpq() {
    let lab = Lab::shared();
    let id = uid();
    let role = format!("tls{id}@EXAMPLE.COM");
    let _cleanup = Roles(&lab, vec![role.clone()]);
    // verify-full against the lab's CA (PGSSLROOTCERT in the lab env), pinned by hostaddr.
    let (ok, out, err) = run(&mut master(
        &lab,
        &["create", &role, "sslmode=verify-full hostaddr=127.0.10.3"],
    ));
    assert!(ok && out.contains("created"), "{out}{err}");
    // A CA that did not sign the server's certificate.
    let (ok, _, err) = run(master(&lab, &["drop", &role])
        .env("PGSSLMODE", "verify-ca")
        .env("PGSSLROOTCERT", "/etc/ssl/certs/ca-certificates.crt"));
    assert!(
        !ok && err.contains("TLS with db.example.com:5432 failed") && err.contains("sslrootcert"),
        "{err}"
    );
    // require: any certificate when no root file exists; verified (as libpq does) when it does.
    let (ok, out, err) = run(&mut master(
        &lab,
        &[
            "create",
            "--dry-run",
            &role,
            "sslmode=require sslrootcert=/nonexistent/root.crt",
        ],
    ));
    assert!(ok && out.contains("nothing to do"), "{out}{err}");
    let (ok, _, err) = run(&mut master(
        &lab,
        &[
            "create",
            "--dry-run",
            &role,
            "sslmode=require sslrootcert=/etc/ssl/certs/ca-certificates.crt",
        ],
    ));
    assert!(!ok && err.contains("even with sslmode=require"), "{err}");
    // No TLS: RDS-like pg_hba has no line for the master user.
    let (ok, _, err) = run(master(&lab, &["drop", &role]).env("PGSSLMODE", "disable"));
    assert!(
        !ok && err.contains("28000") && err.contains("sslmode=require"),
        "{err}"
    );
    // GSS encryption is not for the master connection: refused before connecting.
    let (ok, _, err) = run(master(&lab, &["drop", &role]).env("PGGSSENCMODE", "require"));
    assert!(
        !ok && err.contains("not supported for the master connection"),
        "{err}"
    );
    let (ok, out, err) = run(master(&lab, &["drop", &role]).env("PGSSLMODE", "require"));
    assert!(ok && out.contains("dropped"), "{out}{err}");
}
