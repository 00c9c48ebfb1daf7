//! `kerbrds probe [CONNINFO] [-h HOST] [-p PORT] [-U USER] [--realm R] [--kdc HOST[:PORT]]…
//! [--dns-server IP]… [--timeout SECS]`: the network probes on their own. Inputs come from the
//! flags, the connection parameters as libpq takes them (conninfo, URI, PG*, PGSERVICE),
//! krb5.conf (default realm, the realm's kdc / kpasswd_server / admin_server lines) and
//! /etc/resolv.conf; every KDC address from krb5.conf and from SRV records is probed.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::cli::{NetworkArgs, ProbeArgs};
use crate::exit;
use crate::krb5conf::{self, HostRealm, Profile};
use crate::pgconn::{self, ConnArgs};
use crate::probes::{self, ProbeInputs, ServiceRealm};
use crate::report::{Report, Target};

/// A timeout beyond this is a typo (and would make a diagnosis as slow as the failure).
const MAX_TIMEOUT_SECS: f64 = 600.0;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// Everything resolved before any network I/O: the probes' inputs, the target as stated to the
/// user, and the krb5.conf they came from.
pub(crate) struct Plan {
    pub inputs: ProbeInputs,
    pub target: Target,
    pub profile: Result<Profile, krb5conf::LoadError>,
}

/// Is any DB host given at all? Without one the DB probes are skipped, not an error.
fn db_wanted(conn: &ConnArgs, env: &dyn Fn(&str) -> Option<String>) -> bool {
    conn.conninfo.is_some()
        || conn.host.is_some()
        || env("PGHOST").is_some()
        || env("PGSERVICE").is_some()
}

pub(crate) fn plan(
    conn: &ConnArgs,
    args: &NetworkArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, (String, Option<String>)> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= MAX_TIMEOUT_SECS) {
        return Err((
            format!(
                "--timeout {} is not a number of seconds in (0, {MAX_TIMEOUT_SECS}]",
                args.timeout
            ),
            Some("for example --timeout 3".into()),
        ));
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut target = Target::default();

    let params = if db_wanted(conn, env) {
        Some(pgconn::resolve(conn, env).map_err(|e| (e.message, e.hint))?)
    } else {
        None
    };
    let db = params.as_ref().map(|p| {
        target.fact(
            "host",
            format!("{}:{} ({})", p.host.value, p.port.value, p.host.source),
        );
        (p.host.value.clone(), p.port.value)
    });

    let loaded = Profile::load_default(&krb5conf::Env::from_process());
    let profile = match &loaded {
        Ok(p) => Some(p),
        Err(krb5conf::LoadError::Missing(_)) => None,
        Err(e) => {
            target.fact("krb5.conf", format!("not used: {e}"));
            None
        }
    };

    // The user principal: user@REALM as libpq's user name carries it for AD logins.
    let (user, user_realm) = match params.as_ref().map(|p| p.user.value.clone()) {
        Some(u) => match u.rsplit_once('@') {
            Some((name, realm)) => (Some(name.to_string()), Some(realm.to_string())),
            None => (Some(u), None),
        },
        None => (None, None),
    };
    let default_realm = profile
        .as_ref()
        .and_then(|p| p.default_realm().map(|f| f.value.to_string()));
    let realm = args
        .realm
        .clone()
        .map(|r| (r, "--realm".to_string()))
        .or_else(|| user_realm.clone().map(|r| (r, "the user name".to_string())))
        .or_else(|| default_realm.map(|r| (r, "krb5.conf default_realm".to_string())));
    if let (Some(u), Some((r, _))) = (&user, &realm) {
        target.fact("user", format!("{u}@{r}"));
    }
    if let Some((r, source)) = &realm {
        target.fact("realm", format!("{r} ({source})"));
    }
    let realm = realm.map(|(r, _)| r);

    let (kdcs, kpasswd) = match (&realm, &profile) {
        _ if !args.kdcs.is_empty() => (args.kdcs.to_vec(), Vec::new()),
        (Some(r), Some(p)) => (
            p.realm_kdcs(r).into_iter().map(|(v, _)| v).collect(),
            p.realm_kpasswd_servers(r)
                .into_iter()
                .map(|(v, _)| v)
                .collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    if realm.is_some() {
        let listed = if kdcs.is_empty() {
            "none listed".to_string()
        } else {
            kdcs.join(", ")
        };
        target.fact("KDCs", format!("{listed} (+ SRV records)"));
    }

    // The DB's realm, when [domain_realm] maps it elsewhere than the user's (an on-prem user).
    let service_realm = match (&db, profile, &realm) {
        (Some((host, _)), Some(p), Some(r)) => match p.realm_for_host(host) {
            HostRealm::Mapped { realm: sr, key, .. } if &sr != r => {
                target.fact("service realm", format!("{sr} ([domain_realm] {key})"));
                Some(ServiceRealm {
                    kdcs: p.realm_kdcs(&sr).into_iter().map(|(v, _)| v).collect(),
                    realm: sr,
                })
            }
            _ => None,
        },
        _ => None,
    };

    let dns_servers: Vec<IpAddr> = if args.dns_servers.is_empty() {
        match crate::dns::system_resolv_conf() {
            Ok(rc) => {
                for p in &rc.problems {
                    target.fact("resolv.conf", p.clone());
                }
                rc.nameservers
            }
            Err(e) => {
                target.fact("resolv.conf", e);
                Vec::new()
            }
        }
    } else {
        args.dns_servers.to_vec()
    };
    let source = if args.dns_servers.is_empty() {
        "/etc/resolv.conf"
    } else {
        "--dns-server"
    };
    let list: Vec<String> = dns_servers.iter().map(ToString::to_string).collect();
    target.fact("DNS servers", format!("{} ({source})", list.join(", ")));
    target.fact(
        "timeout",
        format!("{} s per probe, all at once", args.timeout),
    );

    Ok(Plan {
        inputs: ProbeInputs {
            db,
            realm,
            user,
            kdcs,
            kpasswd,
            dns_servers,
            service_realm,
            timeout,
        },
        target,
        profile: loaded,
    })
}

pub fn run(args: &ProbeArgs) -> u8 {
    let plan = match plan(&args.conn, &args.net, &env) {
        Ok(p) => p,
        Err((message, hint)) => {
            super::error(&message, hint.as_deref());
            return exit::CANNOT_RUN;
        }
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let start = Instant::now();
    let results = runtime.block_on(probes::run(&plan.inputs));
    let report = Report::new("probe", plan.target, results, &[], start.elapsed());
    super::emit(&report, &args.output);
    report.exit_code()
}
