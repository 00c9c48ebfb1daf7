//! `kerbrds probe` against the lab's real daemons (MIT krb5kdc and kadmind, dnsmasq,
//! PostgreSQL 15): healthy, and every port REJECTed (refused) and DROPped (timeout) per protocol
//! with iptables in the namespace, daemons stopped, and the tool's clock shifted by libfaketime.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, LabGuard};
use serde_json::Value;

const KDC: &str = "127.0.10.1";
const DNS: &str = "127.0.10.53";
const DB: &str = "127.0.10.3";
/// Short, so blackholed scenarios stay quick; generous for loopback answers.
const TIMEOUT: &str = "1";

struct Run {
    code: i32,
    json: Value,
    took: Duration,
}

impl Run {
    /// The results of one check id, optionally for targets containing `target`.
    fn checks(&self, id: &str, target: &str) -> Vec<&Value> {
        let found: Vec<&Value> = self.json["checks"]
            .as_array()
            .expect("checks array")
            .iter()
            .filter(|c| c["id"] == id)
            .filter(|c| c["target"].as_str().unwrap_or("").contains(target))
            .collect();
        assert!(
            !found.is_empty(),
            "no {id} result for {target:?} in {:#}",
            self.json
        );
        found
    }

    /// The single result of `id` for `target`, with its status and cause.
    fn one(&self, id: &str, target: &str) -> &Value {
        let found = self.checks(id, target);
        assert_eq!(found.len(), 1, "several {id} results for {target:?}");
        found[0]
    }

    fn expect(&self, id: &str, target: &str, status: &str, cause: Option<&str>) -> &Value {
        let c = self.one(id, target);
        assert_eq!(c["status"], status, "{id} {target}: {c:#}");
        match cause {
            Some(cause) => assert_eq!(c["cause"], cause, "{id} {target}: {c:#}"),
            None => assert!(c["cause"].is_null(), "{id} {target}: {c:#}"),
        }
        c
    }

    fn detail(&self, id: &str, target: &str) -> String {
        self.one(id, target)["detail"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

fn probe_with(lab: &Lab, prefix: &[&str], env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = if prefix.is_empty() {
        lab.kerbrds()
    } else {
        let mut c = lab.command(prefix[0]);
        c.args(&prefix[1..]).arg(env!("CARGO_BIN_EXE_kerbrds"));
        c
    };
    cmd.envs(env.iter().copied())
        .args(["probe", "--format", "json", "--timeout", TIMEOUT])
        .args(args);
    let start = Instant::now();
    let out = cmd.output().expect("run kerbrds probe");
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "probe output is not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        took,
    }
}

fn probe(lab: &Lab, args: &[&str]) -> Run {
    probe_with(lab, &[], &[], args)
}

fn fault(lab: &LabGuard, how: &str, addr: &str, port: &str, proto: &str) {
    let out = lab.script(&["fault", how, addr, port, proto]);
    assert!(
        out.status.success(),
        "fault {how} {addr} {port} {proto}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn healthy_lab_passes_every_probe_by_protocol() {
    let lab = Lab::shared();
    let run = probe(&lab, &[]);
    assert_eq!(run.code, 0, "{:#}", run.json);
    for (id, target) in [
        ("dns.udp", "127.0.10.53:53/udp"),
        ("dns.tcp", "127.0.10.53:53/tcp"),
        ("dns.srv", "_kerberos._udp.EXAMPLE.COM"),
        ("dns.srv", "_kerberos._tcp.EXAMPLE.COM"),
        ("dns.srv", "_kpasswd._udp.EXAMPLE.COM"),
        ("dns.srv", "_kpasswd._tcp.EXAMPLE.COM"),
        ("dns.srv", "_ldap._tcp.dc._msdcs.example.com"),
        ("dns.host", "db.example.com"),
        ("kdc.udp", "127.0.10.1:88/udp"),
        ("kdc.tcp", "127.0.10.1:88/tcp"),
        ("kpasswd.udp", "127.0.10.1:464/udp"),
        ("kpasswd.tcp", "127.0.10.1:464/tcp"),
        ("clock.skew", ""),
        ("db.tcp", "127.0.10.3:5432"),
        ("db.ssl", "127.0.10.3:5432"),
        ("db.gssenc", "127.0.10.3:5432"),
    ] {
        run.expect(id, target, "pass", None);
    }
    assert!(run
        .detail("kdc.udp", "")
        .contains("PREAUTH_REQUIRED, so alice@EXAMPLE.COM exists"));
    assert!(run.detail("db.gssenc", "").contains("'G'"));
    assert!(
        run.detail("clock.skew", "").contains("127.0.10.1:88/"),
        "the precise KDC reading is used"
    );
    assert!(
        run.took < Duration::from_secs(1),
        "healthy run took {:?}",
        run.took
    );
}

#[test]
fn rds_endpoint_shows_its_cname_and_reverse_name() {
    let lab = Lab::shared();
    let run = probe(&lab, &["-h", "mydb.abc123xyz.us-east-1.rds.amazonaws.com"]);
    let d = run.detail("dns.host", "");
    assert!(
        d.contains("CNAME ip-127-0-10-4.ec2.internal → 127.0.10.4"),
        "{d}"
    );
    assert!(d.contains("reverse name ip-127-0-10-4.ec2.internal"), "{d}");
    run.expect("db.tcp", "127.0.10.4:5432", "pass", None);
}

#[test]
fn unknown_user_and_host_are_named() {
    let lab = Lab::shared();
    let run = probe(
        &lab,
        &["-U", "nobody@EXAMPLE.COM", "-h", "nosuch.example.com"],
    );
    assert_eq!(run.code, 1);
    run.expect("kdc.udp", "", "fail", Some("client-unknown"));
    // The lab's dnsmasq has no upstream: it answers REFUSED for names it does not know, as AD
    // DNS without a forwarder does for a domain it does not serve.
    run.expect("dns.host", "", "fail", Some("dns-refused"));
    assert!(run.detail("dns.host", "").contains("REFUSED"));
    run.expect("dns.udp", DNS, "warn", Some("dns-refused"));
    run.expect("db.tcp", "", "skip", None);
}

#[test]
fn host_given_as_an_ip_address_fails_the_spn_but_still_probes_the_port() {
    let lab = Lab::shared();
    let run = probe(&lab, &["-h", DB]);
    let c = run.expect("dns.host", "", "fail", Some("host-is-ip-address"));
    assert!(
        c["hint"].as_str().unwrap().contains("host=db.example.com"),
        "{c:#}"
    );
    run.expect("db.tcp", "127.0.10.3:5432", "pass", None);
}

#[test]
fn kdc_udp_dropped_with_tcp_fine_is_a_warning() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", KDC, "88", "udp");
    let run = probe(&lab, &[]);
    assert_eq!(run.code, 0, "warnings only: {:#}", run.json);
    run.expect("kdc.udp", KDC, "warn", Some("kdc-udp-blocked"));
    run.expect("kdc.tcp", KDC, "pass", None);
    assert!(run.detail("kdc.udp", KDC).contains("no reply"));
}

/// The lab's KDC here is MIT, whose tickets fit UDP: a warning. Against Active Directory the
/// same fault is a failure (tests/lab_doctor.rs, tcp_88_dropped_fails_against_ad_and_warns_against_mit).
#[test]
fn kdc_tcp_rejected_with_udp_fine_is_a_warning_against_mit() {
    let lab = Lab::exclusive();
    fault(&lab, "reject", KDC, "88", "tcp");
    let run = probe(&lab, &[]);
    assert_eq!(run.code, 0, "{:#}", run.json);
    run.expect("kdc.udp", KDC, "pass", None);
    run.expect("kdc.tcp", KDC, "warn", Some("kdc-tcp-blocked"));
    assert!(run.detail("kdc.tcp", KDC).starts_with("refused"));
    assert!(run.detail("kdc.tcp", KDC).contains("MIT Kerberos"));
}

#[test]
fn kdc_dropped_times_out_and_rejected_is_refused() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", KDC, "88", "udp");
    fault(&lab, "drop", KDC, "88", "tcp");
    let run = probe(&lab, &[]);
    run.expect("kdc.udp", KDC, "fail", Some("kdc-timeout"));
    run.expect("kdc.tcp", KDC, "fail", Some("kdc-timeout"));
    // kpasswd still answers, so the clock is still measured.
    run.expect("clock.skew", "", "pass", None);
    assert!(
        run.took < Duration::from_millis(1900),
        "one timeout, not several: {:?}",
        run.took
    );

    lab.script(&["fault", "clear"]);
    fault(&lab, "reject", KDC, "88", "udp");
    fault(&lab, "reject", KDC, "88", "tcp");
    let run = probe(&lab, &[]);
    run.expect("kdc.udp", KDC, "fail", Some("kdc-refused"));
    run.expect("kdc.tcp", KDC, "fail", Some("kdc-refused"));
    assert!(
        run.took < Duration::from_millis(900),
        "refusals are immediate: {:?}",
        run.took
    );
}

#[test]
fn kpasswd_rejected_and_dropped_per_protocol() {
    let lab = Lab::exclusive();
    fault(&lab, "reject", KDC, "464", "udp");
    fault(&lab, "drop", KDC, "464", "tcp");
    let run = probe(&lab, &[]);
    assert_eq!(run.code, 0, "kpasswd problems are warnings");
    run.expect("kpasswd.udp", KDC, "warn", Some("kpasswd-unreachable"));
    run.expect("kpasswd.tcp", KDC, "warn", Some("kpasswd-unreachable"));
    assert!(run.detail("kpasswd.udp", KDC).starts_with("refused"));
    assert!(run.detail("kpasswd.tcp", KDC).contains("no reply"));

    lab.script(&["fault", "clear"]);
    fault(&lab, "drop", KDC, "464", "udp");
    fault(&lab, "reject", KDC, "464", "tcp");
    let run = probe(&lab, &[]);
    run.expect("kpasswd.udp", KDC, "warn", Some("kpasswd-unreachable"));
    run.expect("kpasswd.tcp", KDC, "warn", Some("kpasswd-unreachable"));
    assert!(run.detail("kpasswd.udp", KDC).contains("no reply"));
    assert!(run.detail("kpasswd.tcp", KDC).starts_with("refused"));
}

#[test]
fn kdc_daemon_stopped_is_refused_on_both_transports() {
    let lab = Lab::exclusive();
    let out = lab.script(&["stop", "kdc-example"]);
    assert!(out.status.success());
    let run = probe(&lab, &[]);
    run.expect("kdc.udp", KDC, "fail", Some("kdc-refused"));
    run.expect("kdc.tcp", KDC, "fail", Some("kdc-refused"));
    run.expect("kpasswd.udp", KDC, "pass", None);
}

#[test]
fn db_port_dropped_times_out_rejected_and_stopped_are_refused() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", DB, "5432", "tcp");
    let run = probe(&lab, &[]);
    run.expect("db.tcp", DB, "fail", Some("db-timeout"));
    run.expect("db.ssl", DB, "skip", None);

    lab.script(&["fault", "clear"]);
    fault(&lab, "reject", DB, "5432", "tcp");
    let run = probe(&lab, &[]);
    run.expect("db.tcp", DB, "fail", Some("db-refused"));

    lab.script(&["fault", "clear"]);
    assert!(lab.script(&["stop", "postgres"]).status.success());
    let run = probe(&lab, &[]);
    run.expect("db.tcp", DB, "fail", Some("db-refused"));
}

#[test]
fn dns_tcp_blocked_while_udp_works_is_a_warning() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", DNS, "53", "tcp");
    let run = probe(&lab, &[]);
    run.expect("dns.udp", DNS, "pass", None);
    run.expect("dns.tcp", DNS, "warn", Some("dns-tcp-blocked"));
    // Lookups go over UDP, so everything else still works.
    run.expect("dns.host", "", "pass", None);
    run.expect("kdc.tcp", KDC, "pass", None);
    assert_eq!(run.code, 0);
}

#[test]
fn dns_dropped_times_out_and_rejected_is_refused() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", DNS, "53", "udp");
    fault(&lab, "drop", DNS, "53", "tcp");
    let run = probe(&lab, &[]);
    run.expect("dns.udp", DNS, "fail", Some("dns-timeout"));
    run.expect("dns.tcp", DNS, "fail", Some("dns-timeout"));
    run.expect("dns.host", "", "fail", Some("dns-timeout"));
    run.expect("db.tcp", "", "skip", None);
    assert!(
        run.took < Duration::from_millis(1900),
        "took {:?}",
        run.took
    );

    lab.script(&["fault", "clear"]);
    fault(&lab, "reject", DNS, "53", "udp");
    fault(&lab, "reject", DNS, "53", "tcp");
    let run = probe(&lab, &[]);
    run.expect("dns.udp", DNS, "fail", Some("dns-refused"));
    run.expect("dns.tcp", DNS, "fail", Some("dns-refused"));
    for c in run.checks("dns.srv", "") {
        assert_eq!(c["cause"], "dns-refused", "{c:#}");
    }
}

#[test]
fn configured_kdc_addresses_are_probed_even_when_dns_is_blackholed() {
    let lab = Lab::exclusive();
    fault(&lab, "drop", DNS, "53", "udp");
    fault(&lab, "drop", DNS, "53", "tcp");
    let run = probe(&lab, &["--kdc", KDC, "-h", DB]);
    run.expect("kdc.udp", KDC, "pass", None);
    run.expect("kdc.tcp", KDC, "pass", None);
    run.expect("db.tcp", DB, "pass", None);
    assert!(
        run.took < Duration::from_millis(1900),
        "took {:?}",
        run.took
    );
}

#[test]
fn clock_shifted_by_faketime_is_measured_as_skew() {
    let lab = Lab::shared();
    let run = probe_with(&lab, &["faketime", "-f", "-10m"], &[], &[]);
    let c = run.expect("clock.skew", "", "fail", Some("clock-skew"));
    let d = c["detail"].as_str().unwrap();
    assert!(
        d.contains("local clock is 600.") || d.contains("local clock is 599."),
        "{d}"
    );
    assert!(d.contains("behind the KDC"), "{d}");
    assert_eq!(run.code, 1);

    let run = probe_with(&lab, &["faketime", "-f", "+2m"], &[], &[]);
    let c = run.expect("clock.skew", "", "warn", Some("clock-skew"));
    assert!(
        c["detail"].as_str().unwrap().contains("ahead of the KDC"),
        "{c:#}"
    );
}

#[test]
fn onprem_user_probes_both_realms_and_names_a_blocked_managed_kdc() {
    let lab = Lab::exclusive();
    let onprem = lab.path("client/krb5-onprem.conf");
    let env = [("KRB5_CONFIG", onprem.to_str().unwrap())];
    let args = [
        "-U",
        "bob@ONPREM.COM",
        "-h",
        "mydb.abc123xyz.us-east-1.rds.amazonaws.com",
    ];
    let run = probe_with(&lab, &[], &env, &args);
    assert_eq!(
        run.json["target"]["service realm"],
        "EXAMPLE.COM ([domain_realm] .rds.amazonaws.com)"
    );
    assert!(run
        .detail("kdc.udp", "127.0.20.1")
        .contains("bob@ONPREM.COM exists"));
    assert!(run.detail("kdc.udp", KDC).contains("serves the realm"));
    run.expect("kpasswd.udp", "127.0.20.1", "pass", None);

    fault(&lab, "drop", KDC, "88", "udp");
    fault(&lab, "drop", KDC, "88", "tcp");
    let run = probe_with(&lab, &[], &env, &args);
    assert_eq!(run.code, 1);
    run.expect("kdc.udp", "127.0.20.1", "pass", None);
    run.expect("kdc.udp", KDC, "fail", Some("kdc-timeout"));
    run.expect("kdc.tcp", KDC, "fail", Some("kdc-timeout"));
}

#[test]
fn dns_server_flag_replaces_resolv_conf_and_kdc_flag_takes_host_port() {
    let lab = Lab::shared();
    // Nothing listens on 127.0.10.99: UDP gets ICMP port unreachable, TCP a reset.
    let run = probe(
        &lab,
        &[
            "--dns-server",
            "127.0.10.99",
            "--kdc",
            "kdc1.example.com:88",
        ],
    );
    run.expect("dns.udp", "127.0.10.99:53/udp", "fail", Some("dns-refused"));
    run.expect("dns.tcp", "127.0.10.99:53/tcp", "fail", Some("dns-refused"));
    assert_eq!(
        run.json["target"]["DNS servers"],
        "127.0.10.99 (--dns-server)"
    );
    // The KDC name cannot resolve through that server: no KDC address, so kdc.* skip.
    let skip = run.checks("kdc.udp", "")[0];
    assert_eq!(skip["status"], "skip");
    assert!(
        skip["detail"]
            .as_str()
            .unwrap()
            .contains("kdc1.example.com did not resolve"),
        "{skip:#}"
    );

    let run = probe(&lab, &["--dns-server", DNS, "--kdc", "kdc1.example.com:88"]);
    run.expect("kdc.udp", "127.0.10.1:88/udp", "pass", None);
    assert!(run.took < Duration::from_secs(1));
}
