//! The parsed profile: one tree per file named by `KRB5_CONFIG`, each node remembering where it
//! was read, and the queries MIT's library answers from it (first value wins, `*` finals stop
//! the search in later files, [domain_realm] lookups walk up the host's domains).

use std::fmt;
use std::path::PathBuf;

/// Where a section, relation or error was read: file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A relation (`name = value`) or a section (`[name]`, `name = { … }`), as MIT's profile tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// `*` after the value, tag or closing brace: later files are not consulted for this tag.
    pub is_final: bool,
    pub location: Location,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Value(String),
    Section(Vec<Node>),
}

impl Node {
    pub fn value(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Value(v) => Some(v),
            NodeKind::Section(_) => None,
        }
    }

    pub fn children(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Section(c) => c,
            NodeKind::Value(_) => &[],
        }
    }

    /// The same tree with every location cleared: compares what a file says, not where.
    pub fn without_locations(&self) -> Node {
        Node {
            name: self.name.clone(),
            is_final: self.is_final,
            location: Location::default(),
            kind: match &self.kind {
                NodeKind::Value(v) => NodeKind::Value(v.clone()),
                NodeKind::Section(c) => {
                    NodeKind::Section(c.iter().map(Node::without_locations).collect())
                }
            },
        }
    }
}

/// An `include FILE` or `includedir DIR` directive and the files it pulled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub directive: Location,
    pub target: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Something MIT accepts but that is probably not what the author meant (an unclosed brace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oddity {
    pub location: Location,
    pub message: String,
}

/// One file of the `KRB5_CONFIG` list with everything it includes merged in, as MIT does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFile {
    pub path: PathBuf,
    /// Top-level sections in first-seen order; a repeated `[section]` header merges into one.
    pub sections: Vec<Node>,
    pub includes: Vec<Include>,
    pub oddities: Vec<Oddity>,
}

/// A relation found by a query, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    pub value: &'a str,
    pub location: &'a Location,
}

/// The whole configuration: the files of `KRB5_CONFIG` that exist, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub files: Vec<ProfileFile>,
    /// Files of the list that do not exist (MIT skips them silently).
    pub missing: Vec<PathBuf>,
}

/// How `dns_canonicalize_hostname` is set (MIT 1.18+ also accepts `fallback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canonicalize {
    True,
    False,
    Fallback,
}

/// A [libdefaults] setting: the value in force and where it came from (`None`: MIT's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub location: Option<Location>,
}

/// A value MIT cannot read as a boolean ("Invalid boolean value" at library start-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    pub key: String,
    pub value: String,
    pub location: Location,
}

/// MIT 1.20's built-in defaults for the [libdefaults] keys kerbrds reads.
pub const LIBDEFAULTS: &[(&str, &str)] = &[
    ("rdns", "true"),
    ("dns_canonicalize_hostname", "true"),
    ("dns_lookup_kdc", "true"),
    ("dns_lookup_realm", "false"),
    ("dns_fallback", "true"),
    ("allow_weak_crypto", "false"),
    ("forwardable", "false"),
    ("udp_preference_limit", "1465"),
    ("clockskew", "300"),
    ("kdc_timesync", "1"),
    ("ticket_lifetime", "1d"),
    ("default_ccache_name", "FILE:/tmp/krb5cc_%{uid}"),
];

/// Parses a boolean as MIT's profile_parse_boolean does.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" | "1" | "on" => Some(true),
        "n" | "no" | "false" | "nil" | "f" | "0" | "off" => Some(false),
        _ => None,
    }
}

fn children_named<'a, 'b>(
    nodes: &'a [Node],
    name: &'b str,
) -> impl Iterator<Item = &'a Node> + use<'a, 'b> {
    nodes.iter().filter(move |n| n.name == name)
}

impl Profile {
    /// Every relation at `path` (sections…, relation name) in MIT's order: file by file, in
    /// reading order within a file, stopping after the first file where a node on the path
    /// or a matching relation is final (`*`).
    pub fn values(&self, path: &[&str]) -> Vec<Found<'_>> {
        let mut out = Vec::new();
        let Some((name, sections)) = path.split_last() else {
            return out;
        };
        for file in &self.files {
            let mut final_seen = false;
            let mut level: Vec<&Node> = Vec::new();
            for (i, s) in sections.iter().enumerate() {
                let next: Vec<&Node> = if i == 0 {
                    children_named(&file.sections, s).collect()
                } else {
                    level
                        .iter()
                        .flat_map(|n| children_named(n.children(), s))
                        .filter(|n| matches!(n.kind, NodeKind::Section(_)))
                        .collect()
                };
                final_seen |= next.iter().any(|n| n.is_final);
                level = next;
            }
            for section in level {
                for n in children_named(section.children(), name) {
                    if let NodeKind::Value(v) = &n.kind {
                        final_seen |= n.is_final;
                        out.push(Found {
                            value: v,
                            location: &n.location,
                        });
                    }
                }
            }
            if final_seen {
                break;
            }
        }
        out
    }

    /// The first value at `path`: the one MIT uses for single-valued settings.
    pub fn value(&self, path: &[&str]) -> Option<Found<'_>> {
        self.values(path).into_iter().next()
    }

    /// The subsections (e.g. realms) of a top-level section across all files, first-seen order,
    /// with the location of their first definition.
    pub fn subsections(&self, section: &str) -> Vec<(&str, &Location)> {
        let mut out: Vec<(&str, &Location)> = Vec::new();
        for file in &self.files {
            for s in children_named(&file.sections, section) {
                for n in s.children() {
                    if matches!(n.kind, NodeKind::Section(_))
                        && !out.iter().any(|(name, _)| *name == n.name)
                    {
                        out.push((&n.name, &n.location));
                    }
                }
            }
        }
        out
    }

    /// All relations directly under a top-level section (e.g. [domain_realm]), in MIT's order.
    pub fn relations(&self, section: &str) -> Vec<(&str, Found<'_>)> {
        let mut out = Vec::new();
        for file in &self.files {
            for s in children_named(&file.sections, section) {
                for n in s.children() {
                    if let NodeKind::Value(v) = &n.kind {
                        out.push((
                            n.name.as_str(),
                            Found {
                                value: v,
                                location: &n.location,
                            },
                        ));
                    }
                }
            }
        }
        out
    }

    pub fn default_realm(&self) -> Option<Found<'_>> {
        self.value(&["libdefaults", "default_realm"])
    }

    fn realm_list(&self, realm: &str, key: &str) -> Vec<(String, Location)> {
        self.values(&["realms", realm, key])
            .into_iter()
            .map(|f| (f.value.to_string(), f.location.clone()))
            .collect()
    }

    /// The realm's `kdc` lines (every one, in order; several are normal).
    pub fn realm_kdcs(&self, realm: &str) -> Vec<(String, Location)> {
        self.realm_list(realm, "kdc")
    }

    pub fn realm_admin_servers(&self, realm: &str) -> Vec<(String, Location)> {
        self.realm_list(realm, "admin_server")
    }

    /// kpasswd servers: `kpasswd_server` lines, else MIT uses the admin servers (port 464).
    pub fn realm_kpasswd_servers(&self, realm: &str) -> Vec<(String, Location)> {
        let explicit = self.realm_list(realm, "kpasswd_server");
        if explicit.is_empty() {
            self.realm_admin_servers(realm)
        } else {
            explicit
        }
    }

    /// A [libdefaults] value, or MIT's default for the keys in `LIBDEFAULTS`.
    pub fn libdefault(&self, key: &str) -> Option<Setting<String>> {
        if let Some(f) = self.value(&["libdefaults", key]) {
            return Some(Setting {
                value: f.value.to_string(),
                location: Some(f.location.clone()),
            });
        }
        LIBDEFAULTS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| Setting {
                value: (*v).to_string(),
                location: None,
            })
    }

    /// A boolean [libdefaults] value, `default` when unset; `Err` for a value MIT rejects.
    pub fn libdefault_bool(&self, key: &str, default: bool) -> Result<Setting<bool>, BadValue> {
        match self.value(&["libdefaults", key]) {
            None => Ok(Setting {
                value: default,
                location: None,
            }),
            Some(f) => parse_bool(f.value)
                .map(|value| Setting {
                    value,
                    location: Some(f.location.clone()),
                })
                .ok_or_else(|| BadValue {
                    key: key.to_string(),
                    value: f.value.to_string(),
                    location: f.location.clone(),
                }),
        }
    }

    /// `rdns` (default true). An unreadable value is the lint's business (`libdefault_bool`
    /// reports it); here it reads as the default.
    pub fn rdns(&self) -> Setting<bool> {
        self.libdefault_bool("rdns", true).unwrap_or(Setting {
            value: true,
            location: None,
        })
    }

    pub fn dns_lookup_kdc(&self) -> Setting<bool> {
        let fallback = self
            .libdefault_bool("dns_fallback", true)
            .map(|s| s.value)
            .unwrap_or(true);
        self.libdefault_bool("dns_lookup_kdc", fallback)
            .unwrap_or(Setting {
                value: fallback,
                location: None,
            })
    }

    /// `dns_canonicalize_hostname` (default true; `fallback` since MIT 1.18).
    pub fn dns_canonicalize_hostname(&self) -> Setting<Canonicalize> {
        match self.value(&["libdefaults", "dns_canonicalize_hostname"]) {
            None => Setting {
                value: Canonicalize::True,
                location: None,
            },
            Some(f) => {
                let value = if f.value.eq_ignore_ascii_case("fallback") {
                    Canonicalize::Fallback
                } else {
                    match parse_bool(f.value) {
                        Some(false) => Canonicalize::False,
                        _ => Canonicalize::True,
                    }
                };
                Setting {
                    value,
                    location: Some(f.location.clone()),
                }
            }
        }
    }

    /// The realm MIT picks for a host name (hostrealm_profile.c, then the fallbacks).
    pub fn realm_for_host(&self, host: &str) -> HostRealm {
        let host = clean_host(host);
        if host.parse::<std::net::IpAddr>().is_ok() {
            return HostRealm::Referral {
                fallback: None,
                default_realm: self.default_realm().map(|f| f.value.to_string()),
            };
        }
        // The host itself, then ".parent" and "parent" for each parent domain: the first
        // (most specific) entry found wins, so `example.com = R` also covers `db.example.com`.
        let mut p: &str = &host;
        loop {
            if let Some(f) = self.value(&["domain_realm", p]) {
                return HostRealm::Mapped {
                    realm: f.value.to_string(),
                    key: p.to_string(),
                    location: f.location.clone(),
                };
            }
            if let Some(rest) = p.strip_prefix('.') {
                p = rest;
            } else if let Some(i) = p.find('.') {
                p = &p[i..];
            } else {
                break;
            }
            if p.is_empty() {
                break;
            }
        }
        HostRealm::Referral {
            fallback: host
                .split_once('.')
                .map(|(_, parent)| parent)
                .filter(|parent| !parent.is_empty())
                .map(str::to_ascii_uppercase),
            default_realm: self.default_realm().map(|f| f.value.to_string()),
        }
    }
}

/// Lower case, no trailing dot: what MIT's clean_hostname does before a realm lookup.
pub fn clean_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The realm of a host as MIT 1.20 determines it.
///
/// With a [domain_realm] entry the service principal is asked in that realm. Without one MIT
/// builds a principal with an empty ("referral") realm: the client's own TGS is asked, and an
/// AD/MIT KDC that knows the host answers or refers; if it does not, MIT falls back to the
/// host's parent domain upper-cased (`db.corp.example.com` → `CORP.EXAMPLE.COM`), which is
/// where `Server krbtgt/EC2.INTERNAL@EXAMPLE.COM not found` comes from. IP addresses skip
/// [domain_realm] and the domain fallback (MIT then uses the default realm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRealm {
    Mapped {
        realm: String,
        /// The [domain_realm] key that matched (`.rds.amazonaws.com`).
        key: String,
        location: Location,
    },
    Referral {
        fallback: Option<String>,
        default_realm: Option<String>,
    },
}

impl HostRealm {
    /// Where the realm came from, for people: `realm from [domain_realm] KEY at FILE:LINE`.
    pub fn source(&self) -> String {
        match self {
            HostRealm::Mapped { key, location, .. } => {
                format!("realm from [domain_realm] {key} at {location}")
            }
            HostRealm::Referral { .. } => {
                "no [domain_realm] entry: referral, then a realm guessed from the name".to_string()
            }
        }
    }

    /// The realm written in the principal ("" for a referral, as MIT and kvno print it).
    pub fn principal_realm(&self) -> &str {
        match self {
            HostRealm::Mapped { realm, .. } => realm,
            HostRealm::Referral { .. } => "",
        }
    }
}
