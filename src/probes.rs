//! Every network probe together, from plain inputs (`kerbrds probe`; the doctor calls the rooms'
//! functions itself). Three independent chains run at once — the DNS servers; the DB host →
//! its addresses → the DB port; the realm → its KDCs and kpasswd servers — and a chain only
//! waits on DNS for what DNS must tell it: configured IP addresses are probed at once, names and
//! SRV targets as soon as they resolve. With everything blackholed the whole run takes about one
//! timeout, not one per probe.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::check::{CheckId, CheckResult};
use crate::dns::{self, judge::kdc_host};
use crate::kdc::{self, ClockReading, KDC_PORT, KPASSWD_PORT};

/// The admin (kadmin) port: an `admin_server` value carrying it still means kpasswd on 464.
const KADMIN_PORT: u16 = 749;

/// What the probes need, already resolved from flags, conninfo, PG*, krb5.conf and resolv.conf.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeInputs {
    /// DB host (name or address) and port.
    pub db: Option<(String, u16)>,
    pub realm: Option<String>,
    /// The user's name without the realm (for the AS-REQ); `None` probes with a probe principal.
    pub user: Option<String>,
    /// `host[:port]` of the realm's KDCs (krb5.conf `kdc =`, `--kdc`).
    pub kdcs: Vec<String>,
    /// `host[:port]` of its kpasswd servers (`kpasswd_server`/`admin_server`); empty: the KDC hosts.
    pub kpasswd: Vec<String>,
    pub dns_servers: Vec<IpAddr>,
    /// The DB host's realm ([domain_realm]) when it is not the user's: an on-prem user's service
    /// ticket comes from the managed directory's KDCs, so they are probed too (probe principal).
    pub service_realm: Option<ServiceRealm>,
    pub timeout: Duration,
}

/// Another realm whose KDCs the login needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRealm {
    pub realm: String,
    /// Its `kdc =` values from krb5.conf; SRV records are added.
    pub kdcs: Vec<String>,
}

/// Splits `host[:port]` (`[v6]:port` too) with a default port.
pub fn host_port(value: &str, default_port: u16) -> (String, u16) {
    let v = value.trim();
    let port = if let Some(rest) = v.strip_prefix('[') {
        rest.split_once("]:").and_then(|(_, p)| p.parse().ok())
    } else if v.matches(':').count() == 1 {
        v.rsplit_once(':').and_then(|(_, p)| p.parse().ok())
    } else {
        None
    };
    (kdc_host(v), port.unwrap_or(default_port))
}

/// Configured endpoints split into those usable now (IP literals) and names to resolve.
fn split(values: &[(String, u16)]) -> (Vec<SocketAddr>, Vec<(String, u16)>) {
    let mut now = Vec::new();
    let mut later = Vec::new();
    for (host, port) in values {
        match host.parse::<IpAddr>() {
            Ok(ip) => now.push(SocketAddr::new(ip, *port)),
            Err(_) => later.push((host.clone(), *port)),
        }
    }
    (now, later)
}

fn new_addrs(
    candidates: impl IntoIterator<Item = SocketAddr>,
    seen: &mut HashSet<SocketAddr>,
) -> Vec<SocketAddr> {
    candidates.into_iter().filter(|a| seen.insert(*a)).collect()
}

/// The kpasswd endpoints: explicit ones, else the KDC hosts on 464.
fn kpasswd_endpoints(inputs: &ProbeInputs, kdcs: &[(String, u16)]) -> Vec<(String, u16)> {
    if inputs.kpasswd.is_empty() {
        return kdcs
            .iter()
            .map(|(h, _)| (h.clone(), KPASSWD_PORT))
            .collect();
    }
    inputs
        .kpasswd
        .iter()
        .map(|v| {
            let (h, p) = host_port(v, KPASSWD_PORT);
            (h, if p == KADMIN_PORT { KPASSWD_PORT } else { p })
        })
        .collect()
}

async fn db_chain(servers: &[SocketAddr], inputs: &ProbeInputs) -> Vec<CheckResult> {
    let Some((host, port)) = &inputs.db else {
        let why = "no DB host (give CONNINFO, -h HOST or PGHOST)";
        return vec![
            CheckResult::skip(CheckId::DnsHost, why),
            CheckResult::skip(CheckId::DbTcp, why),
            CheckResult::skip(CheckId::DbSsl, why),
            CheckResult::skip(CheckId::DbGssenc, why),
        ];
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        // An address needs no lookup: probe the port while dns.host looks up its PTR.
        let addr = [SocketAddr::new(ip, *port)];
        let (host_check, db) = tokio::join!(
            dns::check_host(servers, host, inputs.timeout),
            crate::db::probe::check(&addr, inputs.timeout)
        );
        return host_check.results.into_iter().chain(db.results).collect();
    }
    let host_check = dns::check_host(servers, host, inputs.timeout).await;
    let addrs: Vec<SocketAddr> = host_check
        .value
        .as_ref()
        .map(|f| f.addrs.iter().map(|a| SocketAddr::new(*a, *port)).collect())
        .unwrap_or_default();
    let mut results = host_check.results;
    if addrs.is_empty() {
        for id in [CheckId::DbTcp, CheckId::DbSsl, CheckId::DbGssenc] {
            results.push(CheckResult::skip(
                id,
                format!("{host} did not resolve (see dns.host)"),
            ));
        }
    } else {
        results.extend(
            crate::db::probe::check(&addrs, inputs.timeout)
                .await
                .results,
        );
    }
    results
}

/// One realm's probes: its KDCs (configured and SRV) and, for the user's realm, kpasswd.
struct RealmJob<'a> {
    realm: &'a str,
    user: Option<&'a str>,
    /// `kdc =` values (or `--kdc`), compared with the SRV records.
    kdc_values: &'a [String],
    kdcs: Vec<(String, u16)>,
    /// None: kpasswd is not probed for this realm.
    kpasswd: Option<Vec<(String, u16)>>,
}

/// Probes one realm: round 1 the configured addresses at once; round 2 the SRV records and
/// configured names, then whatever new addresses they give. Returns the results and the clock
/// readings (for one `clock.skew` over every realm).
async fn probe_realm(
    servers: &[SocketAddr],
    job: RealmJob<'_>,
    t: Duration,
) -> (Vec<CheckResult>, Vec<ClockReading>) {
    let (realm, user) = (job.realm, job.user);
    let kpasswd = job.kpasswd.clone().unwrap_or_default();
    let (kdc_now, kdc_names) = split(&job.kdcs);
    let (kp_now, kp_names) = split(&kpasswd);
    let mut seen_kdc: HashSet<SocketAddr> = kdc_now.iter().copied().collect();
    let mut seen_kp: HashSet<SocketAddr> = kp_now.iter().copied().collect();

    let first = async {
        tokio::join!(
            kdc::probe_kdcs(realm, user, &kdc_now, t),
            kdc::probe_kpasswd(&kp_now, t)
        )
    };
    let discover =
        async {
            let names: Vec<String> = kdc_names
                .iter()
                .chain(kp_names.iter())
                .map(|(h, _)| h.clone())
                .collect();
            let krb5_kdcs = (!job.kdc_values.is_empty()).then_some(job.kdc_values);
            let (srv, resolved) = tokio::join!(
                dns::check_srv(servers, realm, None, krb5_kdcs, t),
                dns::resolve_names(servers, &names, t)
            );
            let addrs_of =
                |list: &[(String, u16)]| -> Vec<SocketAddr> {
                    list.iter()
                        .flat_map(|(h, p)| {
                            resolved.iter().filter(move |(n, _)| n == h).flat_map(
                                move |(_, ips)| ips.iter().map(move |ip| SocketAddr::new(*ip, *p)),
                            )
                        })
                        .collect()
                };
            let facts = srv.value.clone().unwrap_or_default();
            let more_kdc = new_addrs(
                addrs_of(&kdc_names).into_iter().chain(facts.kdc_addrs()),
                &mut seen_kdc,
            );
            let srv_kp = if job.kpasswd.is_some() {
                facts.kpasswd_addrs()
            } else {
                Vec::new()
            };
            let more_kp = new_addrs(addrs_of(&kp_names).into_iter().chain(srv_kp), &mut seen_kp);
            let (k, p) = tokio::join!(
                kdc::probe_kdcs(realm, user, &more_kdc, t),
                kdc::probe_kpasswd(&more_kp, t)
            );
            (srv.results, k, p)
        };
    let ((mut kdc_probes, mut kp_probes), (mut results, k2, p2)) = tokio::join!(first, discover);
    kdc_probes.extend(k2);
    kp_probes.extend(p2);
    let kdc_checked = kdc::judge_kdc_probes(&kdc_probes, realm, user);
    let mut clock: Vec<ClockReading> = kdc_checked
        .value
        .iter()
        .flat_map(|f| f.clock.iter().cloned())
        .collect();
    if kdc_probes.is_empty() {
        // Say why there is nothing to probe: unresolvable names, or nothing configured at all.
        let why = if kdc_names.is_empty() {
            format!("no KDC address for {realm}: no kdc line in krb5.conf and no _kerberos SRV record (see dns.srv)")
        } else {
            let names: Vec<&str> = kdc_names.iter().map(|(h, _)| h.as_str()).collect();
            format!(
                "no KDC address for {realm}: {} did not resolve and no _kerberos SRV record answered (see dns.*)",
                names.join(", ")
            )
        };
        results.push(CheckResult::skip(CheckId::KdcUdp, why.clone()));
        results.push(CheckResult::skip(CheckId::KdcTcp, why));
    } else {
        results.extend(kdc_checked.results);
    }
    if job.kpasswd.is_some() {
        let kp_checked = kdc::judge_kpasswd_probes(&kp_probes);
        clock.extend(
            kp_checked
                .value
                .iter()
                .flat_map(|f| f.clock.iter().cloned()),
        );
        results.extend(kp_checked.results);
    }
    (results, clock)
}

async fn realm_chain(servers: &[SocketAddr], inputs: &ProbeInputs) -> Vec<CheckResult> {
    let Some(realm) = inputs.realm.as_deref() else {
        let why = "no realm (give --realm, -U user@REALM, or default_realm in krb5.conf)";
        return [
            CheckId::DnsSrv,
            CheckId::KdcUdp,
            CheckId::KdcTcp,
            CheckId::KpasswdUdp,
            CheckId::KpasswdTcp,
            CheckId::ClockSkew,
        ]
        .into_iter()
        .map(|id| CheckResult::skip(id, why))
        .collect();
    };
    let kdcs: Vec<(String, u16)> = inputs.kdcs.iter().map(|k| host_port(k, KDC_PORT)).collect();
    let user_job = RealmJob {
        realm,
        user: kdc::probe_user(inputs.user.as_deref()),
        kdc_values: &inputs.kdcs,
        kpasswd: Some(kpasswd_endpoints(inputs, &kdcs)),
        kdcs,
    };
    let service = async {
        match &inputs.service_realm {
            Some(sr) if sr.realm != realm => {
                let job = RealmJob {
                    realm: &sr.realm,
                    user: None,
                    kdc_values: &sr.kdcs,
                    kdcs: sr.kdcs.iter().map(|k| host_port(k, KDC_PORT)).collect(),
                    kpasswd: None,
                };
                probe_realm(servers, job, inputs.timeout).await
            }
            _ => (Vec::new(), Vec::new()),
        }
    };
    let ((mut results, mut clock), (more, more_clock)) =
        tokio::join!(probe_realm(servers, user_job, inputs.timeout), service);
    results.extend(more);
    clock.extend(more_clock);
    results.push(kdc::check_clock(&clock));
    results
}

/// Runs every probe the inputs allow; results in no particular order (the report sorts them).
pub async fn run(inputs: &ProbeInputs) -> Vec<CheckResult> {
    let servers = dns::servers(&inputs.dns_servers);
    let probe_name = inputs
        .db
        .as_ref()
        .map(|(h, _)| h.clone())
        .filter(|h| h.parse::<IpAddr>().is_err())
        .or_else(|| inputs.realm.as_ref().map(|r| r.to_ascii_lowercase()))
        .unwrap_or_else(|| "localhost".into());
    let (a, b, c) = tokio::join!(
        dns::check_servers(&servers, &probe_name, inputs.timeout),
        db_chain(&servers, inputs),
        realm_chain(&servers, inputs)
    );
    a.into_iter().chain(b).chain(c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs naming nothing to probe.
    fn empty(timeout: Duration) -> ProbeInputs {
        ProbeInputs {
            db: None,
            realm: None,
            user: None,
            kdcs: vec![],
            kpasswd: vec![],
            dns_servers: vec![],
            service_realm: None,
            timeout,
        }
    }

    #[test]
    fn host_port_values() {
        assert_eq!(
            host_port("kdc1.example.com", 88),
            ("kdc1.example.com".into(), 88)
        );
        assert_eq!(
            host_port("KDC1.example.com:8888", 88),
            ("kdc1.example.com".into(), 8888)
        );
        assert_eq!(host_port("10.0.0.1:88", 1), ("10.0.0.1".into(), 88));
        assert_eq!(host_port("[fd00::1]:750", 88), ("fd00::1".into(), 750));
        assert_eq!(host_port("fd00::1", 88), ("fd00::1".into(), 88));
    }

    #[test]
    fn kpasswd_defaults_to_the_kdc_hosts_and_never_the_kadmin_port() {
        let mut inputs = empty(Duration::from_secs(1));
        let kdcs = vec![("kdc1.example.com".to_string(), 88)];
        assert_eq!(
            kpasswd_endpoints(&inputs, &kdcs),
            vec![("kdc1.example.com".into(), 464)]
        );
        inputs.kpasswd = vec!["kdc1.example.com:749".into(), "10.0.0.2:1464".into()];
        assert_eq!(
            kpasswd_endpoints(&inputs, &kdcs),
            vec![("kdc1.example.com".into(), 464), ("10.0.0.2".into(), 1464)]
        );
    }

    #[tokio::test]
    async fn without_inputs_every_probe_skips_with_its_reason() {
        let inputs = empty(Duration::from_millis(100));
        let results = run(&inputs).await;
        let mut ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                "clock.skew",
                "db.gssenc",
                "db.ssl",
                "db.tcp",
                "dns.host",
                "dns.srv",
                "dns.tcp",
                "dns.udp",
                "kdc.tcp",
                "kdc.udp",
                "kpasswd.tcp",
                "kpasswd.udp"
            ]
        );
        assert!(results
            .iter()
            .all(|r| r.status == crate::check::Status::Skip));
        assert!(results
            .iter()
            .filter(|r| r.id == CheckId::KdcUdp)
            .all(|r| r.detail.contains("--realm")));
    }
}
