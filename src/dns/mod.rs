//! The DNS room: `dns.udp`, `dns.tcp` (each nameserver over each transport), `dns.host` (the DB
//! host's addresses, CNAME chain and PTR) and `dns.srv` (the AD SRV records for the realm).
//! `probe` does port-53 I/O with hickory-proto messages on our own sockets, `resolvconf` reads the
//! system files, `judge` decides. Each check runs its servers and names at once under one deadline.

pub mod judge;
pub mod probe;
pub mod resolvconf;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use futures_util::future::join_all;
use hickory_proto::rr::{Name, RecordType};
use tokio::time::Instant;

use crate::check::{CheckId, CheckResult, Checked};
use crate::transport::Proto;
use probe::{Data, Lookup};

pub use judge::{HostFacts, SrvKind, SrvLookup, SrvTarget};
pub use resolvconf::ResolvConf;

pub const DNS_PORT: u16 = 53;

/// The nameservers of /etc/resolv.conf (inside the lab namespace: the lab DNS).
pub fn system_resolv_conf() -> Result<ResolvConf, String> {
    resolvconf::load(Path::new("/etc/resolv.conf"))
}

/// Nameserver addresses → port-53 socket addresses.
pub fn servers(ips: &[IpAddr]) -> Vec<SocketAddr> {
    ips.iter()
        .map(|ip| SocketAddr::new(*ip, DNS_PORT))
        .collect()
}

fn fqdn(name: &str) -> Option<Name> {
    Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).ok()
}

/// `dns.udp` and `dns.tcp` for every server: an A query for `probe_name` (the DB host or the
/// realm's domain) over each transport, all at once.
pub async fn check_servers(
    servers: &[SocketAddr],
    probe_name: &str,
    timeout: Duration,
) -> Vec<CheckResult> {
    if servers.is_empty() {
        return vec![
            CheckResult::skip(
                CheckId::DnsUdp,
                "no nameserver configured (/etc/resolv.conf)",
            ),
            CheckResult::skip(
                CheckId::DnsTcp,
                "no nameserver configured (/etc/resolv.conf)",
            ),
        ];
    }
    let name = fqdn(probe_name).unwrap_or_else(Name::root);
    let deadline = Instant::now() + timeout;
    let probes = join_all(servers.iter().flat_map(|s| {
        [Proto::Udp, Proto::Tcp]
            .map(|proto| probe::query(*s, proto, &name, RecordType::A, deadline))
    }))
    .await;
    judge::judge_servers(&probes)
}

/// PTR names for every address, all at once; an address whose lookup failed has none.
async fn reverse_all(
    servers: &[SocketAddr],
    addrs: &[IpAddr],
    deadline: Instant,
) -> Vec<(IpAddr, Vec<String>)> {
    join_all(addrs.iter().map(|a| async move {
        (
            *a,
            probe::reverse(servers, *a, deadline)
                .await
                .unwrap_or_default(),
        )
    }))
    .await
}

/// `dns.host`: how `host` resolves for libpq (/etc/hosts first, then DNS with the CNAME chain
/// followed) and the PTR of each address (what `rdns = true` would make of it). The value
/// carries the addresses for the DB probe and the canonical/reverse names for the SPN check.
pub async fn check_host(
    servers: &[SocketAddr],
    host: &str,
    timeout: Duration,
) -> Checked<HostFacts> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    check_host_with(servers, host, &hosts, timeout).await
}

/// `check_host` with the /etc/hosts text given (tests).
pub async fn check_host_with(
    servers: &[SocketAddr],
    host: &str,
    hosts_text: &str,
    timeout: Duration,
) -> Checked<HostFacts> {
    let deadline = Instant::now() + timeout;
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ptr = probe::reverse(servers, ip, deadline)
            .await
            .unwrap_or_default();
        let (r, facts) = judge::judge_literal(host, ip, &ptr);
        return Checked::one(r, Some(facts));
    }
    let from_file = resolvconf::hosts_lookup(hosts_text, host);
    let dns = probe::resolve(servers, host, deadline).await;
    let addrs: Vec<IpAddr> = if from_file.is_empty() {
        dns.as_ref().map(|(_, a)| a.clone()).unwrap_or_default()
    } else {
        from_file.clone()
    };
    let ptr = reverse_all(servers, &addrs, deadline).await;
    let (r, facts) = judge::judge_host(host, &from_file, &dns, ptr);
    Checked::one(r, facts)
}

/// Addresses of names such as `kdc = kdc1.example.com` (IP literals pass through; /etc/hosts
/// first, then DNS), all at once. A name that does not resolve maps to no address.
pub async fn resolve_names(
    servers: &[SocketAddr],
    names: &[String],
    timeout: Duration,
) -> Vec<(String, Vec<IpAddr>)> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let deadline = Instant::now() + timeout;
    join_all(names.iter().map(|n| {
        let hosts = &hosts;
        async move {
            if let Ok(ip) = n.parse::<IpAddr>() {
                return (n.clone(), vec![ip]);
            }
            let from_file = resolvconf::hosts_lookup(hosts, n);
            if !from_file.is_empty() {
                return (n.clone(), from_file);
            }
            let addrs = probe::resolve(servers, n, deadline)
                .await
                .map(|(_, a)| a)
                .unwrap_or_default();
            (n.clone(), addrs)
        }
    }))
    .await
}

/// What `dns.srv` found: the realm's KDCs and kpasswd servers as DNS publishes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrvFacts {
    pub kdcs: Vec<SrvTarget>,
    pub kpasswd: Vec<SrvTarget>,
}

fn socket_addrs(targets: &[SrvTarget]) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for t in targets {
        for a in &t.addrs {
            let s = SocketAddr::new(*a, t.port);
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

impl SrvFacts {
    pub fn kdc_addrs(&self) -> Vec<SocketAddr> {
        socket_addrs(&self.kdcs)
    }

    pub fn kpasswd_addrs(&self) -> Vec<SocketAddr> {
        socket_addrs(&self.kpasswd)
    }
}

/// The SRV names checked for `realm` (AD: the domain is the realm in lower case).
pub fn srv_names(realm: &str, domain: &str) -> Vec<(String, SrvKind)> {
    vec![
        (format!("_kerberos._udp.{realm}"), SrvKind::Kerberos),
        (format!("_kerberos._tcp.{realm}"), SrvKind::Kerberos),
        (format!("_kpasswd._udp.{realm}"), SrvKind::Kpasswd),
        (format!("_kpasswd._tcp.{realm}"), SrvKind::Kpasswd),
        (
            format!("_ldap._tcp.dc._msdcs.{domain}"),
            SrvKind::DomainController,
        ),
    ]
}

async fn srv_lookup(
    servers: &[SocketAddr],
    name: String,
    kind: SrvKind,
    deadline: Instant,
) -> SrvLookup {
    let Some(qname) = fqdn(&name) else {
        return SrvLookup {
            name,
            kind,
            lookup: Lookup::Failed(Vec::new()),
            targets: Vec::new(),
        };
    };
    let lookup = probe::lookup(servers, &qname, RecordType::SRV, deadline).await;
    let mut srvs: Vec<(u16, u16, u16, String)> = lookup
        .answer()
        .map(|a| {
            a.answers
                .iter()
                .filter_map(|r| match &r.data {
                    // A target of "." means "decidedly not available" (RFC 2782).
                    Data::Srv {
                        priority,
                        weight,
                        port,
                        target,
                    } if !target.is_empty() => {
                        Some((*priority, u16::MAX - *weight, *port, target.clone()))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    srvs.sort();
    // Names differing only in case (EXAMPLE.COM, example.com) may carry the same record twice.
    srvs.dedup();
    let additionals: Vec<probe::Rec> = lookup
        .answer()
        .map(|a| a.additionals.clone())
        .unwrap_or_default();
    let targets = join_all(srvs.into_iter().map(|(_, _, port, host)| {
        let additionals = &additionals;
        async move {
            let mut addrs: Vec<IpAddr> = additionals
                .iter()
                .filter(|r| r.name == host)
                .filter_map(|r| match r.data {
                    Data::A(a) => Some(IpAddr::V4(a)),
                    Data::Aaaa(a) => Some(IpAddr::V6(a)),
                    _ => None,
                })
                .collect();
            if addrs.is_empty() {
                addrs = probe::resolve(servers, &host, deadline)
                    .await
                    .map(|(_, a)| a)
                    .unwrap_or_default();
            }
            SrvTarget { host, port, addrs }
        }
    }))
    .await;
    SrvLookup {
        name,
        kind,
        lookup,
        targets,
    }
}

/// `dns.srv`: `_kerberos._udp/_tcp.REALM`, `_kpasswd._udp/_tcp.REALM` and
/// `_ldap._tcp.dc._msdcs.<domain>` (domain defaults to the realm in lower case), all at once,
/// targets resolved; compared with krb5.conf's `kdc =` values when given. One result per name.
pub async fn check_srv(
    servers: &[SocketAddr],
    realm: &str,
    domain: Option<&str>,
    krb5_kdcs: Option<&[String]>,
    timeout: Duration,
) -> Checked<SrvFacts> {
    if servers.is_empty() {
        return Checked::one(
            CheckResult::skip(
                CheckId::DnsSrv,
                "no nameserver configured (/etc/resolv.conf)",
            ),
            None,
        );
    }
    let domain = domain.map_or_else(|| realm.to_ascii_lowercase(), str::to_string);
    let deadline = Instant::now() + timeout;
    let lookups = join_all(
        srv_names(realm, &domain)
            .into_iter()
            .map(|(name, kind)| srv_lookup(servers, name, kind, deadline)),
    )
    .await;
    let mut facts = SrvFacts::default();
    for l in &lookups {
        let into = match l.kind {
            SrvKind::Kerberos => &mut facts.kdcs,
            SrvKind::Kpasswd => &mut facts.kpasswd,
            SrvKind::DomainController => continue,
        };
        for t in &l.targets {
            if !into.contains(t) {
                into.push(t.clone());
            }
        }
    }
    Checked::new(judge::judge_srv(&lookups, realm, krb5_kdcs), Some(facts))
}
