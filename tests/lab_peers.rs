//! Proves the lab itself is right, with the real MIT, PostgreSQL and DNS client tools: every
//! other lab test builds on these facts.

mod common;

use common::{run, Lab, Scratch};

const RDS_HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";

#[test]
fn alice_gets_a_tgt_and_service_tickets_for_both_db_names() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (ok, out, err) = run(lab
        .command("kvno")
        .env("KRB5CCNAME", s.ccache())
        .args(["postgres/db.example.com", &format!("postgres/{RDS_HOST}")]));
    assert!(ok, "{err}");
    assert!(
        out.contains("postgres/db.example.com@EXAMPLE.COM: kvno ="),
        "{out}"
    );
    assert!(
        out.contains(&format!("postgres/{RDS_HOST}@EXAMPLE.COM: kvno =")),
        "{out}"
    );
}

#[test]
fn bob_crosses_the_trust_to_the_managed_realm() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    let (ok, out, err) = run(lab
        .command("kvno")
        .env("KRB5CCNAME", s.ccache())
        .env("KRB5_CONFIG", lab.path("client/krb5-onprem.conf"))
        // -S: a host-based name, mapped to its realm by [domain_realm] as libpq's would be.
        .args(["-S", "postgres", RDS_HOST]));
    assert!(ok, "{err}");
    assert!(out.contains("@EXAMPLE.COM: kvno ="), "{out}");
    let (_, klist, _) = run(lab.command("klist").env("KRB5CCNAME", s.ccache()));
    assert!(klist.contains("krbtgt/EXAMPLE.COM@ONPREM.COM"), "{klist}");
}

fn psql_stat(lab: &Lab, ccache: &str, conninfo: &str) -> (bool, String, String) {
    run(lab.command("psql").env("KRB5CCNAME", ccache).args([
        "-X",
        "-At",
        conninfo,
        "-c",
        "select g.gss_authenticated, g.principal, g.encrypted, s.ssl \
         from pg_stat_gssapi g join pg_stat_ssl s using (pid) where pid = pg_backend_pid()",
    ]))
}

#[test]
fn psql_logs_in_with_gss_encryption() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (ok, out, err) = psql_stat(&lab, &s.ccache(), "host=db.example.com gssencmode=require");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "t|alice@EXAMPLE.COM|t|f");
}

#[test]
fn psql_logs_in_over_tls_without_gss_encryption() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let (ok, out, err) = psql_stat(
        &lab,
        &s.ccache(),
        &format!("host={RDS_HOST} gssencmode=disable sslmode=require"),
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "t|alice@EXAMPLE.COM|f|t");
}

#[test]
fn rds_endpoint_reproduces_the_canonicalization_trap_with_mit_defaults() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    lab.krb5_conf_without(
        &s,
        "client/krb5.conf",
        &["rdns", "dns_canonicalize_hostname"],
    );
    let (ok, _, err) = run(lab
        .command("psql")
        .env("KRB5CCNAME", s.ccache())
        .env("KRB5_CONFIG", s.path("krb5.conf"))
        .args([
            "-X",
            &format!("host={RDS_HOST} gssencmode=disable sslmode=require"),
            "-c",
            "select 1",
        ]));
    assert!(!ok);
    assert!(
        err.contains("Server krbtgt/EC2.INTERNAL@EXAMPLE.COM not found in Kerberos database"),
        "{err}"
    );
}

#[test]
fn onprem_user_without_rds_mapping_reproduces_the_referral_trap() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    lab.krb5_conf_without(&s, "client/krb5-onprem.conf", &["rds.amazonaws.com"]);
    let (ok, _, err) = run(lab
        .command("psql")
        .env("KRB5CCNAME", s.ccache())
        .env("KRB5_CONFIG", s.path("krb5.conf"))
        .env("PGUSER", "bob@ONPREM.COM")
        .args([
            "-X",
            &format!("host={RDS_HOST} gssencmode=disable sslmode=require"),
            "-c",
            "select 1",
        ]));
    assert!(!ok);
    assert!(
        err.contains(
            "Server krbtgt/ABC123XYZ.US-EAST-1.RDS.AMAZONAWS.COM@ONPREM.COM not found in Kerberos database"
        ),
        "{err}"
    );
}

#[test]
fn dns_serves_ad_srv_records_over_udp_and_tcp() {
    let lab = Lab::shared();
    for transport in ["+notcp", "+tcp"] {
        for name in [
            "_kerberos._udp.EXAMPLE.COM",
            "_kerberos._tcp.EXAMPLE.COM",
            "_kpasswd._udp.EXAMPLE.COM",
            "_ldap._tcp.dc._msdcs.example.com",
            "_kerberos._tcp.ONPREM.COM",
        ] {
            let (ok, out, err) = run(lab
                .command("dig")
                .args([transport, "+short", "+time=2", "+tries=1", "SRV", name]));
            assert!(ok, "{err}");
            assert!(out.contains(".com."), "{transport} {name}: {out:?}");
        }
    }
    let (_, ptr, _) = run(lab.command("dig").args(["+short", "-x", "127.0.10.4"]));
    assert_eq!(ptr.trim(), "ip-127-0-10-4.ec2.internal.");
}

#[test]
fn a_dropped_port_times_out_and_a_rejected_one_is_refused() {
    let lab = Lab::exclusive();
    assert!(lab
        .script(&["fault", "drop", "127.0.10.53", "53", "udp"])
        .status
        .success());
    assert!(lab
        .script(&["fault", "reject", "127.0.10.53", "53", "tcp"])
        .status
        .success());
    let (ok, out, _) =
        run(lab
            .command("dig")
            .args(["+notcp", "+time=1", "+tries=1", "db.example.com"]));
    assert!(!ok);
    assert!(out.contains("timed out"), "{out}");
    let (ok, out, _) =
        run(lab
            .command("dig")
            .args(["+tcp", "+time=1", "+tries=1", "db.example.com"]));
    assert!(!ok);
    assert!(out.contains("refused"), "{out}");
}
