//! Pure judgement of DNS outcomes → `dns.udp`, `dns.tcp` (per server), `dns.host` and `dns.srv`
//! (per SRV name). Table-tested without network.

use std::net::IpAddr;

use super::probe::{Answer, DnsOutcome, DnsProbe, Lookup, Rcode};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Status};
use crate::transport::{NetError, Proto};

fn id(proto: Proto) -> CheckId {
    match proto {
        Proto::Udp => CheckId::DnsUdp,
        Proto::Tcp => CheckId::DnsTcp,
    }
}

fn servers_hint(servers: &str) -> String {
    format!(
        "allow UDP and TCP 53 from this host to {servers}, or point /etc/resolv.conf at the directory's DNS \
         addresses (aws ds describe-directories --query 'DirectoryDescriptions[].DnsIpAddrs')"
    )
}

/// What went wrong with one probe that got no usable answer: cause and detail.
fn failure(p: &DnsProbe) -> Option<(Cause, String)> {
    let ms = p.elapsed.as_millis();
    match &p.outcome {
        DnsOutcome::Answer(a) if a.rcode == Rcode::Refused => Some((
            Cause::DnsRefused,
            format!(
                "the server answered REFUSED in {ms} ms: it will not resolve this name for this client \
                 (no recursion, or no forwarder for the name's domain)"
            ),
        )),
        DnsOutcome::Answer(_) => None,
        DnsOutcome::Garbage { why, preview } => Some((
            Cause::DnsGarbage,
            format!("the reply is not DNS: {why}; got {preview}"),
        )),
        DnsOutcome::Net(e) => Some((
            match e {
                NetError::Timeout { .. } => Cause::DnsTimeout,
                NetError::Refused | NetError::Unreachable(_) | NetError::Io(_) => Cause::DnsRefused,
                NetError::Closed { .. } | NetError::Oversized { .. } => Cause::DnsGarbage,
            },
            format!("{e} (after {ms} ms)"),
        )),
    }
}

fn describe(a: &Answer) -> String {
    format!("{}, {} record(s)", a.rcode, a.answers.len())
}

/// `dns.udp` and `dns.tcp` per server. TCP failing while UDP answers is a warning (large answers,
/// e.g. many domain controllers, need TCP); any other failure to answer fails.
pub fn judge_servers(probes: &[DnsProbe]) -> Vec<CheckResult> {
    probes
        .iter()
        .map(|p| {
            let r = match failure(p) {
                // The server speaks DNS on this transport; whether it resolves the name is dns.host's.
                Some((Cause::DnsRefused, detail)) if p.answer().is_some() => {
                    CheckResult::warn(id(p.proto), Cause::DnsRefused, detail).with_hint(
                        "use a resolver that answers for the endpoint's and the directory's domains: \
                         the directory's DNS servers with a forwarder (or a Route 53 Resolver rule) for the rest",
                    )
                }
                None => CheckResult::pass(
                    id(p.proto),
                    format!(
                        "answered in {} ms ({})",
                        p.elapsed.as_millis(),
                        p.answer().map(describe).unwrap_or_default()
                    ),
                ),
                Some((cause, detail)) => {
                    let udp_ok = probes.iter().any(|o| {
                        o.server == p.server && o.proto == Proto::Udp && failure(o).is_none()
                    });
                    if p.proto == Proto::Tcp && udp_ok && cause != Cause::DnsGarbage {
                        CheckResult::warn(
                            CheckId::DnsTcp,
                            Cause::DnsTcpBlocked,
                            format!("{detail}; UDP works, so only answers too large for UDP fail"),
                        )
                        .with_hint(format!(
                            "allow TCP 53 from this host to {} (security group / NACL)",
                            p.server.ip()
                        ))
                    } else {
                        CheckResult::fail(id(p.proto), cause, detail)
                            .with_hint(servers_hint(&p.server.ip().to_string()))
                    }
                }
            };
            r.with_target(p.target()).with_elapsed(p.elapsed)
        })
        .collect()
}

/// The cause and detail for a lookup no server answered usably.
pub fn lookup_failure(l: &Lookup) -> (Cause, String) {
    let Lookup::Failed(probes) = l else {
        return (Cause::DnsTimeout, "answered".into());
    };
    let failures: Vec<(Cause, String, String)> = probes
        .iter()
        .map(|p| {
            let (c, d) = failure(p).unwrap_or_else(|| {
                let rcode = p.answer().map(|a| a.rcode.to_string()).unwrap_or_default();
                (Cause::DnsTimeout, format!("answered {rcode}: it could not get an answer itself (upstream or forwarder)"))
            });
            (c, d, p.target())
        })
        .collect();
    if failures.is_empty() {
        return (
            Cause::DnsTimeout,
            "no DNS server is configured (no nameserver line in /etc/resolv.conf)".into(),
        );
    }
    let cause = [Cause::DnsGarbage, Cause::DnsTimeout, Cause::DnsRefused]
        .into_iter()
        .find(|c| failures.iter().any(|(f, _, _)| f == c))
        .unwrap_or(Cause::DnsTimeout);
    let detail = failures
        .iter()
        .map(|(_, d, t)| format!("{t}: {d}"))
        .collect::<Vec<_>>()
        .join("; ");
    (cause, format!("no DNS server answered: {detail}"))
}

/// How the DB host name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    pub host: String,
    pub addrs: Vec<IpAddr>,
    /// `literal`, `/etc/hosts` or `dns`.
    pub source: &'static str,
    /// The CNAME chain from the host to its canonical name.
    pub cnames: Vec<String>,
    /// PTR names per address (what MIT's `rdns = true` would use).
    pub ptr: Vec<(IpAddr, Vec<String>)>,
}

impl HostFacts {
    /// The canonical name (end of the CNAME chain), if the host is an alias.
    pub fn canonical(&self) -> Option<&str> {
        self.cnames.last().map(String::as_str)
    }
}

fn addr_list(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `dns.host` for a host given as an IP address: usable for TCP, fatal for the SPN.
pub fn judge_literal(host: &str, ip: IpAddr, ptr: &[String]) -> (CheckResult, HostFacts) {
    let hint = match ptr.first() {
        Some(name) => format!(
            "connect with the endpoint name, e.g. host={name} (add hostaddr={ip} to pin the address)"
        ),
        None => format!(
            "connect with the RDS endpoint name as host (add hostaddr={ip} to pin the address)"
        ),
    };
    let r = CheckResult::fail(
        CheckId::DnsHost,
        Cause::HostIsIpAddress,
        format!("{host} is an IP address: the service principal would be postgres/{ip}, which does not exist"),
    )
    .with_hint(hint)
    .with_target(host);
    let facts = HostFacts {
        host: host.to_string(),
        addrs: vec![ip],
        source: "literal",
        cnames: Vec::new(),
        ptr: vec![(ip, ptr.to_vec())],
    };
    (r, facts)
}

/// `dns.host` from /etc/hosts entries and the DNS result (chain, addresses) or failed lookup.
pub fn judge_host(
    host: &str,
    hosts_file: &[IpAddr],
    dns: &Result<(Vec<String>, Vec<IpAddr>), Lookup>,
    ptr: Vec<(IpAddr, Vec<String>)>,
) -> (CheckResult, Option<HostFacts>) {
    let mut evidence = Vec::new();
    if let Ok((chain, addrs)) = dns {
        for c in chain {
            evidence.push(format!("CNAME {c}"));
        }
        evidence.push(format!("DNS addresses: [{}]", addr_list(addrs)));
    }
    for (ip, names) in &ptr {
        evidence.push(format!(
            "PTR {ip} → {}",
            if names.is_empty() {
                "(none)".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    let ptr_text = ptr
        .iter()
        .flat_map(|(_, n)| n.iter().cloned())
        .collect::<Vec<_>>();
    let ptr_note = if ptr_text.is_empty() {
        String::new()
    } else {
        format!("; reverse name {}", ptr_text.join(", "))
    };
    let (result, facts) = if !hosts_file.is_empty() {
        (
            CheckResult::pass(
                CheckId::DnsHost,
                format!(
                    "{host} → {} from /etc/hosts (used before DNS){ptr_note}",
                    addr_list(hosts_file)
                ),
            ),
            Some(HostFacts {
                host: host.to_string(),
                addrs: hosts_file.to_vec(),
                source: "/etc/hosts",
                cnames: dns.as_ref().map(|(c, _)| c.clone()).unwrap_or_default(),
                ptr,
            }),
        )
    } else {
        match dns {
            Ok((chain, addrs)) if !addrs.is_empty() => {
                let via = chain
                    .iter()
                    .map(|c| format!(" → CNAME {c}"))
                    .collect::<String>();
                (
                    CheckResult::pass(
                        CheckId::DnsHost,
                        format!("{host}{via} → {}{ptr_note}", addr_list(addrs)),
                    ),
                    Some(HostFacts {
                        host: host.to_string(),
                        addrs: addrs.clone(),
                        source: "dns",
                        cnames: chain.clone(),
                        ptr,
                    }),
                )
            }
            Ok((chain, _)) => (
                CheckResult::fail(
                    CheckId::DnsHost,
                    Cause::HostNotFound,
                    if chain.is_empty() {
                        format!("{host} has no address in DNS (NXDOMAIN or no A/AAAA record)")
                    } else {
                        format!("{host} is an alias of {}, which has no address", chain.join(" → "))
                    },
                )
                .with_hint(format!(
                    "check the endpoint name (aws rds describe-db-instances --query \
                     'DBInstances[].Endpoint.Address'); if the name is right, this host's DNS servers \
                     do not know it: add a hosts entry for {host} or use a resolver that answers for it"
                )),
                None,
            ),
            Err(l) => {
                let (cause, detail) = lookup_failure(l);
                (
                    CheckResult::fail(CheckId::DnsHost, cause, format!("cannot resolve {host}: {detail}"))
                        .with_hint(servers_hint("the DNS servers in /etc/resolv.conf")),
                    None,
                )
            }
        }
    };
    let result = evidence
        .into_iter()
        .fold(result.with_target(host), CheckResult::with_evidence);
    (result, facts)
}

/// Which family of SRV record a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrvKind {
    Kerberos,
    Kpasswd,
    DomainController,
}

/// One SRV target with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvTarget {
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

/// One SRV name and what DNS said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvLookup {
    pub name: String,
    pub kind: SrvKind,
    pub lookup: Lookup,
    pub targets: Vec<SrvTarget>,
}

fn target_list(ts: &[SrvTarget]) -> String {
    ts.iter()
        .map(|t| {
            if t.addrs.is_empty() {
                format!("{}:{} (no address)", t.host, t.port)
            } else {
                format!("{}:{} ({})", t.host, t.port, addr_list(&t.addrs))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The host part of a krb5.conf `kdc =` value (`kdc1.example.com:88`, `[::1]:88`, `10.0.0.1`).
pub fn kdc_host(value: &str) -> String {
    let v = value.trim();
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if v.matches(':').count() == 1 {
        v.split(':').next().unwrap_or(v)
    } else {
        v
    };
    super::probe::norm(host)
}

/// Do the SRV targets name the same KDCs as krb5.conf (by host name or by address)?
fn matches_krb5(targets: &[SrvTarget], kdcs: &[String]) -> bool {
    let conf: Vec<String> = kdcs.iter().map(|k| kdc_host(k)).collect();
    let covers = |c: &String| {
        targets
            .iter()
            .any(|t| &t.host == c || t.addrs.iter().any(|a| a.to_string() == *c))
    };
    let covered = |t: &SrvTarget| {
        conf.iter()
            .any(|c| &t.host == c || t.addrs.iter().any(|a| a.to_string() == *c))
    };
    conf.iter().all(covers) && targets.iter().all(covered)
}

/// `dns.srv`, one result per SRV name. `krb5_kdcs`: the realm's `kdc =` values when known.
pub fn judge_srv(
    lookups: &[SrvLookup],
    realm: &str,
    krb5_kdcs: Option<&[String]>,
) -> Vec<CheckResult> {
    lookups
        .iter()
        .map(|l| {
            let r = match (&l.lookup, l.targets.is_empty()) {
                (Lookup::Failed(_), _) => {
                    let (cause, detail) = lookup_failure(&l.lookup);
                    CheckResult::fail(CheckId::DnsSrv, cause, detail)
                        .with_hint(servers_hint("the DNS servers in /etc/resolv.conf"))
                }
                (Lookup::Answered { answer, .. }, true) => missing(l, realm, krb5_kdcs, &answer.rcode),
                (Lookup::Answered { .. }, false) => match (l.kind, krb5_kdcs) {
                    (SrvKind::Kerberos, Some(kdcs)) if !kdcs.is_empty() && !matches_krb5(&l.targets, kdcs) => {
                        CheckResult::warn(
                            CheckId::DnsSrv,
                            Cause::DnsSrvMismatch,
                            format!(
                                "DNS publishes {}, krb5.conf lists {}",
                                target_list(&l.targets),
                                kdcs.join(", ")
                            ),
                        )
                        .with_hint(format!(
                            "make the 'kdc =' lines of [realms] {realm} name the domain controllers DNS publishes: {}",
                            l.targets.iter().map(|t| format!("kdc = {}", t.host)).collect::<Vec<_>>().join(", ")
                        ))
                    }
                    _ => CheckResult::pass(CheckId::DnsSrv, target_list(&l.targets)),
                },
            };
            r.with_target(l.name.clone())
        })
        .collect()
}

fn missing(l: &SrvLookup, realm: &str, krb5_kdcs: Option<&[String]>, rcode: &Rcode) -> CheckResult {
    let seen = format!("no SRV record ({rcode})");
    match l.kind {
        SrvKind::Kerberos => {
            let status = match krb5_kdcs {
                Some([]) => Status::Fail,
                _ => Status::Warn,
            };
            let detail = match krb5_kdcs {
                Some(k) if !k.is_empty() => format!("{seen}; krb5.conf lists the KDCs ({}), so MIT does not need it", k.join(", ")),
                Some(_) => format!("{seen}, and krb5.conf lists no KDC for {realm}: 'Cannot find KDC for realm'"),
                None => seen,
            };
            CheckResult::problem(CheckId::DnsSrv, status, Cause::DnsNoSrv, detail).with_hint(format!(
                "use the directory's DNS servers in /etc/resolv.conf, or list the KDCs in krb5.conf: \
                 [realms] {realm} = {{ kdc = <domain controller> }}"
            ))
        }
        SrvKind::Kpasswd => CheckResult::warn(CheckId::DnsSrv, Cause::DnsNoSrv, seen).with_hint(format!(
            "set kpasswd_server (or admin_server) under [realms] {realm} in krb5.conf, or use the directory's DNS"
        )),
        SrvKind::DomainController => CheckResult::warn(
            CheckId::DnsSrv,
            Cause::DnsNoSrv,
            format!("{seen}: these DNS servers do not serve the Active Directory domain"),
        )
        .with_hint("point /etc/resolv.conf at the directory's DNS addresses (DnsIpAddrs), or add a Route 53 Resolver forwarding rule for the domain"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::probe::{Data, Rec};
    use std::net::SocketAddr;
    use std::time::Duration;

    fn server() -> SocketAddr {
        "127.0.10.53:53".parse().unwrap()
    }

    fn answer(rcode: Rcode) -> DnsOutcome {
        DnsOutcome::Answer(Answer {
            rcode,
            truncated: false,
            answers: vec![Rec {
                name: "db.example.com".into(),
                data: Data::A("127.0.10.3".parse().unwrap()),
            }],
            additionals: vec![],
        })
    }

    fn probe(proto: Proto, outcome: DnsOutcome) -> DnsProbe {
        DnsProbe {
            server: server(),
            proto,
            outcome,
            elapsed: Duration::from_millis(2),
        }
    }

    fn net(e: NetError) -> DnsOutcome {
        DnsOutcome::Net(e)
    }

    #[test]
    fn server_outcomes_map_to_status_and_cause() {
        use Status::*;
        let to = || net(NetError::Timeout { connected: false });
        let garbage = || DnsOutcome::Garbage {
            why: "not a DNS message".into(),
            preview: "\"HTTP\"".into(),
        };
        type Row = (DnsOutcome, DnsOutcome, [(Status, Option<&'static str>); 2]);
        let table: Vec<Row> = vec![
            (
                answer(Rcode::NoError),
                answer(Rcode::NoError),
                [(Pass, None), (Pass, None)],
            ),
            (
                answer(Rcode::NxDomain),
                answer(Rcode::ServFail),
                [(Pass, None), (Pass, None)],
            ),
            (
                answer(Rcode::Refused),
                answer(Rcode::Refused),
                [(Warn, Some("dns-refused")), (Warn, Some("dns-refused"))],
            ),
            (
                answer(Rcode::NoError),
                to(),
                [(Pass, None), (Warn, Some("dns-tcp-blocked"))],
            ),
            (
                answer(Rcode::NoError),
                net(NetError::Refused),
                [(Pass, None), (Warn, Some("dns-tcp-blocked"))],
            ),
            (
                to(),
                to(),
                [(Fail, Some("dns-timeout")), (Fail, Some("dns-timeout"))],
            ),
            (
                net(NetError::Refused),
                net(NetError::Refused),
                [(Fail, Some("dns-refused")), (Fail, Some("dns-refused"))],
            ),
            (
                garbage(),
                net(NetError::Closed {
                    head: vec![],
                    reset: false,
                }),
                [(Fail, Some("dns-garbage")), (Fail, Some("dns-garbage"))],
            ),
            (
                to(),
                answer(Rcode::NoError),
                [(Fail, Some("dns-timeout")), (Pass, None)],
            ),
        ];
        for (i, (udp, tcp, want)) in table.into_iter().enumerate() {
            let rs = judge_servers(&[probe(Proto::Udp, udp), probe(Proto::Tcp, tcp)]);
            let got: Vec<_> = rs
                .iter()
                .map(|r| (r.status, r.cause.map(|c| c.code())))
                .collect();
            pretty_assertions::assert_eq!(got, want.to_vec(), "row {i}");
            assert_eq!(rs[0].target.as_deref(), Some("127.0.10.53:53/udp"));
            assert!(rs.iter().all(|r| r.status == Pass || r.hint.is_some()));
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn host_resolution_outcomes() {
        let rds = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
        // An RDS alias: pass, with the canonical and reverse names kept for the SPN check.
        let (r, facts) = judge_host(
            rds,
            &[],
            &Ok((
                vec!["ip-127-0-10-4.ec2.internal".into()],
                vec![ip("127.0.10.4")],
            )),
            vec![(ip("127.0.10.4"), vec!["ip-127-0-10-4.ec2.internal".into()])],
        );
        assert_eq!(r.status, Status::Pass);
        assert!(
            r.detail
                .contains("CNAME ip-127-0-10-4.ec2.internal → 127.0.10.4"),
            "{}",
            r.detail
        );
        let facts = facts.unwrap();
        assert_eq!(facts.canonical(), Some("ip-127-0-10-4.ec2.internal"));
        assert_eq!(facts.source, "dns");
        // /etc/hosts wins over DNS, as in glibc.
        let (r, facts) = judge_host(rds, &[ip("10.0.0.9")], &Ok((vec![], vec![])), vec![]);
        assert_eq!(r.status, Status::Pass);
        assert_eq!(facts.unwrap().addrs, vec![ip("10.0.0.9")]);
        // NXDOMAIN.
        let (r, facts) = judge_host("nosuch.example.com", &[], &Ok((vec![], vec![])), vec![]);
        assert_eq!(
            (r.status, r.cause),
            (Status::Fail, Some(Cause::HostNotFound))
        );
        assert!(facts.is_none());
        // A dangling alias.
        let (r, _) = judge_host(
            "a.example.com",
            &[],
            &Ok((vec!["b.example.com".into()], vec![])),
            vec![],
        );
        assert!(r.detail.contains("alias of b.example.com"), "{}", r.detail);
        // No server answered.
        let failed = Lookup::Failed(vec![probe(
            Proto::Udp,
            net(NetError::Timeout { connected: false }),
        )]);
        let (r, _) = judge_host("db.example.com", &[], &Err(failed), vec![]);
        assert_eq!(r.cause, Some(Cause::DnsTimeout));
        assert!(r.detail.contains("127.0.10.53:53/udp"), "{}", r.detail);
        // An IP address.
        let (r, facts) = judge_literal("127.0.10.3", ip("127.0.10.3"), &["db.example.com".into()]);
        assert_eq!(r.cause, Some(Cause::HostIsIpAddress));
        assert!(r.hint.unwrap().contains("host=db.example.com"));
        assert_eq!(facts.addrs, vec![ip("127.0.10.3")]);
    }

    fn srv(name: &str, kind: SrvKind, targets: &[(&str, &str)]) -> SrvLookup {
        SrvLookup {
            name: name.into(),
            kind,
            lookup: Lookup::Answered {
                server: server(),
                answer: Answer {
                    rcode: if targets.is_empty() {
                        Rcode::NxDomain
                    } else {
                        Rcode::NoError
                    },
                    truncated: false,
                    answers: vec![],
                    additionals: vec![],
                },
            },
            targets: targets
                .iter()
                .map(|(h, a)| SrvTarget {
                    host: h.to_string(),
                    port: 88,
                    addrs: vec![ip(a)],
                })
                .collect(),
        }
    }

    #[test]
    fn srv_outcomes_map_to_status_and_cause() {
        use Status::*;
        let kdc = [("kdc1.example.com", "127.0.10.1")];
        let k = |targets: &[(&str, &str)]| {
            srv("_kerberos._udp.EXAMPLE.COM", SrvKind::Kerberos, targets)
        };
        let conf = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        type Row = (SrvLookup, Option<Vec<String>>, Status, Option<&'static str>);
        let table: Vec<Row> = vec![
            (k(&kdc), None, Pass, None),
            (k(&kdc), Some(conf(&["kdc1.example.com"])), Pass, None),
            (k(&kdc), Some(conf(&["KDC1.EXAMPLE.COM:88"])), Pass, None),
            (k(&kdc), Some(conf(&["127.0.10.1"])), Pass, None),
            (
                k(&kdc),
                Some(conf(&["kdc9.example.com"])),
                Warn,
                Some("dns-srv-mismatch"),
            ),
            (
                k(&[]),
                Some(conf(&["kdc1.example.com"])),
                Warn,
                Some("dns-no-srv"),
            ),
            (k(&[]), Some(vec![]), Fail, Some("dns-no-srv")),
            (k(&[]), None, Warn, Some("dns-no-srv")),
            (
                srv("_kpasswd._tcp.EXAMPLE.COM", SrvKind::Kpasswd, &[]),
                None,
                Warn,
                Some("dns-no-srv"),
            ),
            (
                srv(
                    "_ldap._tcp.dc._msdcs.example.com",
                    SrvKind::DomainController,
                    &[],
                ),
                None,
                Warn,
                Some("dns-no-srv"),
            ),
            (
                SrvLookup {
                    lookup: Lookup::Failed(vec![probe(Proto::Udp, net(NetError::Refused))]),
                    ..k(&[])
                },
                None,
                Fail,
                Some("dns-refused"),
            ),
        ];
        for (i, (l, kdcs, status, cause)) in table.into_iter().enumerate() {
            let rs = judge_srv(std::slice::from_ref(&l), "EXAMPLE.COM", kdcs.as_deref());
            assert_eq!(
                (rs[0].status, rs[0].cause.map(|c| c.code())),
                (status, cause),
                "row {i}: {}",
                rs[0].detail
            );
            assert_eq!(rs[0].target.as_deref(), Some(l.name.as_str()));
        }
    }

    #[test]
    fn kdc_hosts_are_taken_from_krb5_values() {
        assert_eq!(kdc_host("KDC1.example.com:88"), "kdc1.example.com");
        assert_eq!(kdc_host("10.0.0.1"), "10.0.0.1");
        assert_eq!(kdc_host("[fd00::1]:88"), "fd00::1");
        assert_eq!(kdc_host("fd00::1"), "fd00::1");
    }
}
