//! The service principal libpq (through MIT's GSSAPI) asks for when it connects to
//! `krbsrvname@host`, predicted the way MIT 1.20's krb5_sname_to_principal and
//! k5_expand_hostname build it:
//!
//! 1. with `dns_canonicalize_hostname = true` (the default): getaddrinfo(host, AI_CANONNAME);
//!    a CNAME's target replaces the name; then, when `rdns` is true (the default), a reverse
//!    lookup (getnameinfo, NI_NAMEREQD) of the first address replaces it again;
//! 2. with `false`, or `fallback` (first attempt), the name stays; a single-label name gets
//!    `qualify_shortname` (default: the first resolv.conf search domain) appended;
//! 3. the result is lower-cased, a trailing dot dropped, and its realm found through
//!    [domain_realm] (`Profile::realm_for_host`).
//!
//! An RDS endpoint is a CNAME to `ip-a-b-c-d.<region>.compute.internal`/`ec2.internal`, so
//! with MIT's defaults the SPN becomes `postgres/ip-…` in realm `EC2.INTERNAL` — wrong twice.

use std::net::IpAddr;

use super::model::{clean_host, Canonicalize, HostRealm, Location, Profile};

/// What forward resolution returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// `ai_canonname`: the end of the CNAME chain (or the name itself).
    pub canonical_name: Option<String>,
    /// The first address, the one MIT reverse-resolves.
    pub address: Option<IpAddr>,
}

/// The DNS MIT uses for canonicalization. Tests substitute a table; the system one asks the
/// resolver exactly as libkrb5 does.
pub trait Canonicalizer {
    /// getaddrinfo(host, AI_CANONNAME); `Err` carries the resolver's message.
    fn forward(&self, host: &str) -> Result<Forward, String>;
    /// getnameinfo(addr, NI_NAMEREQD); `None` when there is no PTR record.
    fn reverse(&self, addr: IpAddr) -> Option<String>;
    /// The first search domain of resolv.conf (MIT's default `qualify_shortname`).
    fn search_domain(&self) -> Option<String>;
}

/// glibc's resolver, through the `dns-lookup` crate (safe wrappers of the same calls).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemCanonicalizer;

impl Canonicalizer for SystemCanonicalizer {
    fn forward(&self, host: &str) -> Result<Forward, String> {
        let hints = dns_lookup::AddrInfoHints {
            flags: libc::AI_CANONNAME,
            address: 0,
            socktype: 0,
            protocol: 0,
        };
        let mut iter =
            dns_lookup::getaddrinfo(Some(host), None, Some(hints)).map_err(|e| format!("{e:?}"))?;
        match iter.next() {
            Some(Ok(ai)) => Ok(Forward {
                canonical_name: ai.canonname,
                address: Some(ai.sockaddr.ip()),
            }),
            Some(Err(e)) => Err(e.to_string()),
            None => Ok(Forward {
                canonical_name: None,
                address: None,
            }),
        }
    }

    fn reverse(&self, addr: IpAddr) -> Option<String> {
        dns_lookup::getnameinfo(&std::net::SocketAddr::new(addr, 0), libc::NI_NAMEREQD)
            .ok()
            .map(|(host, _)| host)
    }

    fn search_domain(&self) -> Option<String> {
        let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
        // The last search/domain line wins in glibc; its first entry is what MIT appends.
        text.lines().rev().find_map(|l| {
            let mut words = l.split_whitespace();
            match words.next() {
                Some("search") | Some("domain") => words.next().map(str::to_string),
                _ => None,
            }
        })
    }
}

/// Remembers what DNS answered, so that one run (the doctor's target statement, then its
/// krb5conf checks) asks the resolver once per name.
#[derive(Debug, Default)]
pub struct CachedCanonicalizer<C> {
    inner: C,
    forward: std::sync::Mutex<std::collections::HashMap<String, Result<Forward, String>>>,
    reverse: std::sync::Mutex<std::collections::HashMap<IpAddr, Option<String>>>,
    search: std::sync::OnceLock<Option<String>>,
}

impl<C: Canonicalizer> CachedCanonicalizer<C> {
    pub fn new(inner: C) -> Self {
        CachedCanonicalizer {
            inner,
            forward: Default::default(),
            reverse: Default::default(),
            search: Default::default(),
        }
    }
}

impl<C: Canonicalizer> Canonicalizer for CachedCanonicalizer<C> {
    fn forward(&self, host: &str) -> Result<Forward, String> {
        if let Some(hit) = self.forward.lock().ok().and_then(|m| m.get(host).cloned()) {
            return hit;
        }
        let answer = self.inner.forward(host);
        if let Ok(mut m) = self.forward.lock() {
            m.insert(host.to_string(), answer.clone());
        }
        answer
    }

    fn reverse(&self, addr: IpAddr) -> Option<String> {
        if let Some(hit) = self.reverse.lock().ok().and_then(|m| m.get(&addr).cloned()) {
            return hit;
        }
        let answer = self.inner.reverse(addr);
        if let Ok(mut m) = self.reverse.lock() {
            m.insert(addr, answer.clone());
        }
        answer
    }

    fn search_domain(&self) -> Option<String> {
        self.search
            .get_or_init(|| self.inner.search_domain())
            .clone()
    }
}

/// One step that changed (or kept) the host name, for the report's evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Forward { from: String, to: String },
    Reverse { address: IpAddr, to: String },
    NoReverse { address: IpAddr },
    LookupFailed { host: String, error: String },
    Qualified { from: String, to: String },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Forward { from, to } if from == to => {
                write!(f, "forward lookup: {from} is canonical")
            }
            Step::Forward { from, to } => write!(f, "forward lookup: {from} is an alias of {to}"),
            Step::Reverse { address, to } => write!(f, "reverse lookup (rdns): {address} → {to}"),
            Step::NoReverse { address } => {
                write!(f, "reverse lookup (rdns): {address} has no PTR record")
            }
            Step::LookupFailed { host, error } => {
                write!(f, "forward lookup of {host} failed ({error}): name kept")
            }
            Step::Qualified { from, to } => write!(f, "short name {from} qualified to {to}"),
        }
    }
}

/// The principal MIT will request and how it got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpnPrediction {
    pub service: String,
    /// The host as given (libpq's `host`).
    pub given_host: String,
    /// The host part of the principal after canonicalization.
    pub host: String,
    pub realm: HostRealm,
    pub steps: Vec<Step>,
    pub canonicalize: Canonicalize,
    pub canonicalize_at: Option<Location>,
    pub rdns: bool,
    pub rdns_at: Option<Location>,
}

impl SpnPrediction {
    /// `postgres/host@REALM`, or `postgres/host@` for a referral, as kvno and MIT print it.
    pub fn principal(&self) -> String {
        format!(
            "{}/{}@{}",
            self.service,
            self.host,
            self.realm.principal_realm()
        )
    }

    /// Did DNS replace the name the user typed (beyond case and a trailing dot)?
    pub fn rewritten(&self) -> bool {
        clean_host(&self.given_host) != self.host
    }
}

/// Predicts the principal for `krbsrvname@host` under `profile`'s settings.
pub fn predict_service_principal(
    profile: &Profile,
    host: &str,
    krbsrvname: &str,
    canon: &dyn Canonicalizer,
) -> SpnPrediction {
    let canonicalize = profile.dns_canonicalize_hostname();
    let rdns = profile.rdns();
    let mut steps = Vec::new();
    let mut name = host.to_string();
    // MIT qualifies a short name only when DNS did not supply one (pointer test in C).
    let mut from_dns = false;
    if canonicalize.value == Canonicalize::True {
        match canon.forward(host) {
            Ok(fwd) => {
                if let Some(c) = fwd.canonical_name {
                    steps.push(Step::Forward {
                        from: host.to_string(),
                        to: c.clone(),
                    });
                    name = c;
                    from_dns = true;
                }
                if let (true, Some(addr)) = (rdns.value, fwd.address) {
                    match canon.reverse(addr) {
                        Some(r) => {
                            steps.push(Step::Reverse {
                                address: addr,
                                to: r.clone(),
                            });
                            name = r;
                            from_dns = true;
                        }
                        None => steps.push(Step::NoReverse { address: addr }),
                    }
                }
            }
            Err(error) => steps.push(Step::LookupFailed {
                host: host.to_string(),
                error,
            }),
        }
    }
    if !from_dns && !host.contains('.') {
        let suffix = profile
            .value(&["libdefaults", "qualify_shortname"])
            .map(|f| f.value.to_string())
            .or_else(|| canon.search_domain());
        if let Some(s) = suffix.filter(|s| !s.is_empty()) {
            let to = format!("{host}.{s}");
            steps.push(Step::Qualified {
                from: host.to_string(),
                to: to.clone(),
            });
            name = to;
        }
    }
    let host_part = clean_host(&name);
    SpnPrediction {
        service: krbsrvname.to_string(),
        given_host: host.to_string(),
        realm: profile.realm_for_host(&host_part),
        host: host_part,
        steps,
        canonicalize: canonicalize.value,
        canonicalize_at: canonicalize.location,
        rdns: rdns.value,
        rdns_at: rdns.location,
    }
}

/// A fixed table of DNS answers, for judgement tests (no network).
#[derive(Debug, Clone, Default)]
pub struct TableCanonicalizer {
    /// host → (canonical name, address)
    pub forward: Vec<(String, String, IpAddr)>,
    pub reverse: Vec<(IpAddr, String)>,
    pub search: Option<String>,
}

impl Canonicalizer for TableCanonicalizer {
    fn forward(&self, host: &str) -> Result<Forward, String> {
        self.forward
            .iter()
            .find(|(h, _, _)| h.eq_ignore_ascii_case(host))
            .map(|(_, c, a)| Forward {
                canonical_name: Some(c.clone()),
                address: Some(*a),
            })
            .ok_or_else(|| "Name or service not known".to_string())
    }

    fn reverse(&self, addr: IpAddr) -> Option<String> {
        self.reverse
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, n)| n.clone())
    }

    fn search_domain(&self) -> Option<String> {
        self.search.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl Canonicalizer for Counting {
        fn forward(&self, _: &str) -> Result<Forward, String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Forward {
                canonical_name: Some("c.example.com".into()),
                address: None,
            })
        }
        fn reverse(&self, _: IpAddr) -> Option<String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            None
        }
        fn search_domain(&self) -> Option<String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            None
        }
    }

    #[test]
    fn the_cache_asks_dns_once_per_question() {
        let c = CachedCanonicalizer::new(Counting::default());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            let f = c.forward("a.example.com").unwrap();
            assert_eq!(f.canonical_name.as_deref(), Some("c.example.com"));
            assert_eq!(c.reverse(ip), None);
            assert_eq!(c.search_domain(), None);
        }
        assert_eq!(c.inner.0.load(Ordering::SeqCst), 3, "one call per question");
        c.forward("b.example.com").unwrap();
        assert_eq!(c.inner.0.load(Ordering::SeqCst), 4, "another name is asked");
    }
}
