//! `ccache.tgt` and `gss.service_ticket` against the lab's real MIT KDCs. MIT reads KRB5CCNAME
//! and KRB5_CONFIG from the process environment, so these tests take one lock and set both.

mod common;

use std::sync::Mutex;

use common::{Lab, Scratch};
use kerbrds::catalogue::Cause;
use kerbrds::check::Status;
use kerbrds::gss;

const RDS_HOST: &str = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
static ENV: Mutex<()> = Mutex::new(());

fn with_env<T>(lab: &Lab, ccache: &str, conf: Option<&str>, f: impl FnOnce() -> T) -> T {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_var("KRB5CCNAME", ccache);
    let default_conf = lab.path("client/krb5.conf");
    std::env::set_var(
        "KRB5_CONFIG",
        conf.map_or(default_conf, std::path::PathBuf::from),
    );
    f()
}

/// Writes the lab's `base` krb5.conf minus the lines containing any of `drop` to
/// `scratch/krb5.conf`.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_valid_tgt_passes_with_principal_ccache_and_lifetime() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let c = with_env(&lab, &s.ccache(), None, || {
        rt().block_on(gss::check_tgt(Some("alice@EXAMPLE.COM")))
    });
    let r = &c.results[0];
    assert_eq!(r.status, Status::Pass, "{r:?}");
    let t = c.value.expect("tgt");
    assert_eq!(t.principal, "alice@EXAMPLE.COM");
    assert_eq!(t.realm, "EXAMPLE.COM");
    assert_eq!(t.ccache, s.ccache());
    assert!(t.remaining.as_secs() > 9 * 3600, "{:?}", t.remaining);
}

#[test]
fn no_ccache_fails_with_no_credentials_and_names_the_cache() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let c = with_env(&lab, &s.ccache(), None, || {
        rt().block_on(gss::check_tgt(Some("alice@EXAMPLE.COM")))
    });
    let r = &c.results[0];
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::NoCredentials))
    );
    assert!(r.detail.contains(&s.ccache()), "{}", r.detail);
    assert_eq!(r.hint.as_deref(), Some("kinit alice@EXAMPLE.COM"));
    assert!(c.value.is_none());
}

#[test]
fn an_expired_tgt_fails_although_gss_acquires_it() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.expired_tgt(&s.ccache(), 2);
    let c = with_env(&lab, &s.ccache(), None, || {
        rt().block_on(gss::check_tgt(None))
    });
    let r = &c.results[0];
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::TicketExpired)),
        "{r:?}"
    );
    assert!(r.detail.contains("alice@EXAMPLE.COM"), "{}", r.detail);
}

#[test]
fn service_tickets_for_both_db_names_pass() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    for host in ["db.example.com", RDS_HOST] {
        let r = with_env(&lab, &s.ccache(), None, || {
            rt().block_on(gss::check_service_ticket(host, "postgres"))
        });
        assert_eq!(r.status, Status::Pass, "{r:?}");
        assert!(
            r.detail.contains(&format!("postgres/{host}")),
            "{}",
            r.detail
        );
    }
}

#[test]
fn bob_gets_a_service_ticket_across_the_trust() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    let conf = lab.path("client/krb5-onprem.conf");
    let r = with_env(&lab, &s.ccache(), conf.to_str(), || {
        rt().block_on(gss::check_service_ticket(RDS_HOST, "postgres"))
    });
    assert_eq!(r.status, Status::Pass, "{r:?}");
}

#[test]
fn an_ip_address_host_names_the_missing_spn() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let r = with_env(&lab, &s.ccache(), None, || {
        rt().block_on(gss::check_service_ticket("127.0.10.3", "postgres"))
    });
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::HostIsIpAddress)),
        "{r:?}"
    );
    assert!(
        r.detail
            .contains("Server postgres/127.0.10.3@EXAMPLE.COM not found in Kerberos database"),
        "{}",
        r.detail
    );
}

#[test]
fn mit_defaults_rewrite_the_rds_endpoint() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    lab.krb5_conf_without(
        &s,
        "client/krb5.conf",
        &["rdns", "dns_canonicalize_hostname"],
    );
    let r = with_env(&lab, &s.ccache(), s.path("krb5.conf").to_str(), || {
        rt().block_on(gss::check_service_ticket(RDS_HOST, "postgres"))
    });
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::SpnRewritten)),
        "{r:?}"
    );
    assert!(r
        .hint
        .unwrap()
        .contains("dns_canonicalize_hostname = false"));
}

#[test]
fn an_onprem_user_without_the_rds_mapping_gets_domain_realm_missing() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("bob", &s.ccache());
    lab.krb5_conf_without(&s, "client/krb5-onprem.conf", &["rds.amazonaws.com"]);
    let r = with_env(&lab, &s.ccache(), s.path("krb5.conf").to_str(), || {
        rt().block_on(gss::check_service_ticket(RDS_HOST, "postgres"))
    });
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::DomainRealmMissing)),
        "{r:?}"
    );
}

#[test]
fn a_wrong_krbsrvname_is_server_not_found() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let r = with_env(&lab, &s.ccache(), None, || {
        rt().block_on(gss::check_service_ticket("db.example.com", "POSTGRES"))
    });
    assert_eq!(
        (r.status, r.cause),
        (Status::Fail, Some(Cause::ServerNotFound)),
        "{r:?}"
    );
    assert!(r.detail.contains("POSTGRES/db.example.com"), "{}", r.detail);
}
