//! Judges a loaded krb5.conf for RDS logins: `krb5conf.parse`, `krb5conf.realm`,
//! `krb5conf.domain_realm` (the service principal libpq will ask for, and its realm) and
//! `krb5conf.lint` (settings known to break RDS logins). Pure apart from the DNS of the SPN
//! prediction (through `Canonicalizer`) and a read-only look at the credential cache path.

use std::path::Path;

use super::model::{Canonicalize, HostRealm, Location, Profile};
use super::parse::LoadError;
use super::spn::{predict_service_principal, Canonicalizer, SpnPrediction};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked, Status};

/// What the check is about, besides the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The DB host as libpq will be given it (`--host`, PGHOST).
    pub host: Option<&'a str>,
    /// libpq's krbsrvname (`postgres` unless set).
    pub krbsrvname: &'a str,
    /// The managed directory's realm when known (from AWS or the user); else the default realm.
    pub expected_realm: Option<&'a str>,
    /// `KRB5CCNAME` as the user's shell has it.
    pub krb5ccname: Option<&'a str>,
}

/// Runs every krb5conf check; the value is the SPN prediction when a host was given.
pub fn judge(
    loaded: &Result<Profile, LoadError>,
    req: &Request<'_>,
    canon: &dyn Canonicalizer,
) -> Checked<SpnPrediction> {
    let profile = match loaded {
        Ok(p) => p,
        Err(e) => {
            let first = match e {
                LoadError::Missing(paths) => CheckResult::fail(
                    CheckId::Krb5confParse,
                    Cause::Krb5confMissing,
                    e.to_string(),
                )
                .with_hint(format!(
                    "kerbrds krb5conf generate --realm {} -o {}",
                    req.expected_realm.unwrap_or("CORP.EXAMPLE.COM"),
                    paths
                        .first()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "/etc/krb5.conf".into())
                )),
                LoadError::Parse(pe) => CheckResult::fail(
                    CheckId::Krb5confParse,
                    Cause::Krb5confSyntax,
                    format!("MIT refuses this file ('Improper format of Kerberos configuration file'): {pe}"),
                )
                .with_target(pe.location.to_string())
                .with_hint(format!(
                    "fix line {} of {} (MIT syntax: 'name = value', 'NAME = {{' … '}}', '[section]')",
                    pe.location.line,
                    pe.location.file.display()
                )),
            };
            let mut results = vec![first];
            for id in [
                CheckId::Krb5confRealm,
                CheckId::Krb5confDomainRealm,
                CheckId::Krb5confLint,
            ] {
                results.push(CheckResult::skip(id, "krb5.conf could not be read"));
            }
            return Checked::new(results, None);
        }
    };
    let mut results = parse_results(profile);
    results.extend(realm_results(profile, req));
    let (dr, prediction) = domain_realm_results(profile, req, canon);
    let rewritten = prediction.as_ref().is_some_and(SpnPrediction::rewritten);
    results.extend(dr);
    results.extend(lint_results(profile, req, rewritten));
    Checked::new(results, prediction)
}

fn main_file(profile: &Profile) -> String {
    profile
        .files
        .first()
        .map(|f| f.path.display().to_string())
        .unwrap_or_default()
}

fn parse_results(profile: &Profile) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let files: Vec<String> = profile
        .files
        .iter()
        .flat_map(|f| {
            std::iter::once(f.path.display().to_string()).chain(
                f.includes
                    .iter()
                    .flat_map(|i| i.files.iter().map(|p| p.display().to_string())),
            )
        })
        .collect();
    let mut pass = CheckResult::pass(CheckId::Krb5confParse, format!("read {}", files.join(", ")));
    for m in &profile.missing {
        pass = pass.with_evidence(format!(
            "{} does not exist (skipped, as MIT does)",
            m.display()
        ));
    }
    out.push(pass);
    for f in &profile.files {
        for o in &f.oddities {
            out.push(
                CheckResult::warn(
                    CheckId::Krb5confParse,
                    Cause::Krb5confSyntax,
                    o.message.clone(),
                )
                .with_target(o.location.to_string())
                .with_hint(format!(
                    "close the group opened at {} with a '}}' line",
                    o.location
                )),
            );
        }
    }
    if let Some(f) = profile.value(&["libdefaults", "dns_canonicalize_hostname"]) {
        if super::model::parse_bool(f.value).is_none() && !f.value.eq_ignore_ascii_case("fallback")
        {
            out.push(
                CheckResult::fail(
                    CheckId::Krb5confParse,
                    Cause::Krb5confSyntax,
                    format!(
                        "dns_canonicalize_hostname = {:?}: MIT 1.20 refuses to start ('Invalid argument while initializing krb5 library')",
                        f.value
                    ),
                )
                .with_target(f.location.to_string())
                .with_hint(format!("write 'dns_canonicalize_hostname = false' at {}", f.location)),
            );
        }
    }
    out
}

/// What is wrong with a realm name, if anything: AD realms are DNS names in upper case.
pub fn realm_name_problem(name: &str) -> Option<(Cause, String)> {
    if name.is_empty() {
        return Some((Cause::MalformedRealmName, "empty realm name".into()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
    {
        return Some((
            Cause::MalformedRealmName,
            format!("{name:?} contains {c:?}, which no AD domain name contains"),
        ));
    }
    if name
        .split('.')
        .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return Some((
            Cause::MalformedRealmName,
            format!("{name:?} is not a valid DNS name"),
        ));
    }
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some((
            Cause::RealmNotUpperCase,
            format!(
                "{name:?} is not upper case (AD realms are: {})",
                name.to_ascii_uppercase()
            ),
        ));
    }
    None
}

/// The realm spelled correctly, for a hint: upper case, `_` → `-`, spaces dropped.
pub(crate) fn repaired(name: &str) -> String {
    name.trim()
        .replace('_', "-")
        .replace(' ', "")
        .to_ascii_uppercase()
}

fn realm_results(profile: &Profile, req: &Request<'_>) -> Vec<CheckResult> {
    let id = CheckId::Krb5confRealm;
    let mut out = Vec::new();
    let realms = profile.subsections("realms");
    let dns_kdc = profile.dns_lookup_kdc();
    let Some(default) = profile.default_realm() else {
        let guess = req
            .expected_realm
            .or_else(|| realms.first().map(|r| r.0))
            .unwrap_or("CORP.EXAMPLE.COM");
        out.push(
            CheckResult::fail(
                id,
                Cause::Krb5confNoDefaultRealm,
                "[libdefaults] has no default_realm",
            )
            .with_target(main_file(profile))
            .with_hint(format!(
                "add 'default_realm = {}' under [libdefaults] in {}",
                guess.to_ascii_uppercase(),
                main_file(profile)
            )),
        );
        return out;
    };
    let mut problems = 0;
    if let Some((cause, why)) = realm_name_problem(default.value) {
        problems += 1;
        out.push(
            CheckResult::fail(id, cause, format!("default_realm: {why}"))
                .with_target(default.location.to_string())
                .with_hint(format!(
                    "write 'default_realm = {}' at {} (and the same spelling in [realms] and [domain_realm])",
                    repaired(default.value),
                    default.location
                )),
        );
    }
    for (name, at) in &realms {
        if let Some((cause, why)) = realm_name_problem(name) {
            problems += 1;
            out.push(
                CheckResult::warn(id, cause, format!("[realms]: {why}"))
                    .with_target(at.to_string())
                    .with_hint(format!(
                        "rename the group at {at} to '{} = {{'",
                        repaired(name)
                    )),
            );
        }
    }
    // Realms that need a KDC: the default one, and every one defined.
    let default_at = realms
        .iter()
        .find(|(n, _)| *n == default.value)
        .map_or_else(|| default.location.clone(), |(_, at)| (*at).clone());
    let mut wanted: Vec<(&str, Location, bool)> = vec![(default.value, default_at, true)];
    for (name, at) in &realms {
        if *name != default.value {
            wanted.push((name, (*at).clone(), false));
        }
    }
    for (realm, at, is_default) in wanted {
        let kdcs = profile.realm_kdcs(realm);
        if kdcs.is_empty() && !dns_kdc.value {
            problems += 1;
            let detail = format!(
                "realm {realm} has no 'kdc =' line and dns_lookup_kdc is false{}: kinit fails with 'Cannot find KDC for realm \"{realm}\"'",
                dns_kdc.location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
            );
            let hint = format!(
                "add 'kdc = <the directory's DNS name or a DC address>' in '{realm} = {{' under [realms], or set dns_lookup_kdc = true"
            );
            let r = if is_default {
                CheckResult::fail(id, Cause::RealmHasNoKdc, detail)
            } else {
                CheckResult::warn(id, Cause::RealmHasNoKdc, detail)
            };
            out.push(r.with_target(at.to_string()).with_hint(hint));
        }
    }
    if let Some(expected) = req.expected_realm {
        if !realms.iter().any(|(n, _)| *n == expected)
            && default.value != expected
            && !dns_kdc.value
        {
            problems += 1;
            out.push(
                CheckResult::fail(
                    id,
                    Cause::RealmHasNoKdc,
                    format!("the directory's realm {expected} is not under [realms] and dns_lookup_kdc is false"),
                )
                .with_target(main_file(profile))
                .with_hint(format!("add '{expected} = {{ kdc = <DC address> }}' under [realms]")),
            );
        }
    }
    if problems == 0 {
        let kdcs = profile.realm_kdcs(default.value);
        let how = if kdcs.is_empty() {
            "KDCs from DNS SRV records (dns_lookup_kdc)".to_string()
        } else {
            format!(
                "kdc {}",
                kdcs.iter()
                    .map(|k| k.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push(
            CheckResult::pass(id, format!("default realm {} ({how})", default.value))
                .with_target(default.location.to_string()),
        );
    }
    out
}

/// The [domain_realm] suffix that covers a DB host (what `generate --db-host` adds too).
pub fn covering_suffix(host: &str) -> String {
    let host = super::model::clean_host(host);
    for s in [".rds.amazonaws.com.cn", ".rds.amazonaws.com"] {
        if host.ends_with(s) {
            return s.to_string();
        }
    }
    match host.split_once('.') {
        Some((_, parent)) if parent.contains('.') => format!(".{parent}"),
        _ => host,
    }
}

fn domain_realm_results(
    profile: &Profile,
    req: &Request<'_>,
    canon: &dyn Canonicalizer,
) -> (Vec<CheckResult>, Option<SpnPrediction>) {
    let id = CheckId::Krb5confDomainRealm;
    let mut out = Vec::new();
    let defined: Vec<&str> = profile
        .subsections("realms")
        .into_iter()
        .map(|r| r.0)
        .collect();
    let default = profile.default_realm().map(|f| f.value.to_string());
    for (key, f) in profile.relations("domain_realm") {
        if let Some((cause, why)) = realm_name_problem(f.value) {
            let near = defined
                .iter()
                .find(|d| repaired(d) == repaired(f.value) && realm_name_problem(d).is_none())
                .map(|d| (*d).to_string())
                .unwrap_or_else(|| repaired(f.value));
            out.push(
                CheckResult::warn(id, cause, format!("[domain_realm] {key}: {why}"))
                    .with_target(f.location.to_string())
                    .with_hint(format!("write '{key} = {near}' at {}", f.location)),
            );
        }
        if key.chars().any(|c| c.is_ascii_uppercase()) || key.contains('_') {
            out.push(
                CheckResult::warn(
                    id,
                    Cause::MalformedRealmName,
                    format!("[domain_realm] key {key:?} never matches: MIT looks host names up in lower case"),
                )
                .with_target(f.location.to_string())
                .with_hint(format!("write '{} = {}' at {}", key.to_ascii_lowercase(), f.value, f.location)),
            );
        }
    }
    let Some(host) = req.host else {
        out.push(CheckResult::skip(
            id,
            "no DB host given (--host): the service principal was not predicted",
        ));
        return (out, None);
    };
    let p = predict_service_principal(profile, host, req.krbsrvname, canon);
    let target = p.principal();
    let mut result = if host.parse::<std::net::IpAddr>().is_ok() {
        CheckResult::fail(
            id,
            Cause::HostIsIpAddress,
            format!("{host} is an address: libpq will ask for {target}, which AD does not have"),
        )
        .with_hint(
            "connect with the endpoint name (host=…) and pin the address with hostaddr= if needed",
        )
    } else if p.rewritten() {
        let at = [p.canonicalize_at.as_ref(), p.rdns_at.as_ref()]
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        CheckResult::fail(
            id,
            Cause::SpnRewritten,
            format!(
                "libpq will ask for {target}, not {}/{}: DNS canonicalization ({}) rewrites the host",
                req.krbsrvname,
                super::model::clean_host(host),
                if at.is_empty() { "MIT defaults".to_string() } else { at.join(", ") }
            ),
        )
        .with_hint(format!(
            "under [libdefaults] in {}: 'dns_canonicalize_hostname = false' and 'rdns = false'",
            main_file(profile)
        ))
        .with_target(
            p.canonicalize_at
                .as_ref()
                .or(p.rdns_at.as_ref())
                .map_or_else(|| main_file(profile), ToString::to_string),
        )
    } else {
        realm_verdict(profile, req, &p, default.as_deref(), &defined)
    };
    for s in &p.steps {
        result = result.with_evidence(s.to_string());
    }
    out.push(result.with_evidence(format!("predicted service principal: {target}")));
    (out, Some(p))
}

fn realm_verdict(
    profile: &Profile,
    req: &Request<'_>,
    p: &SpnPrediction,
    default: Option<&str>,
    defined: &[&str],
) -> CheckResult {
    let id = CheckId::Krb5confDomainRealm;
    let want = req.expected_realm.or(default).unwrap_or("CORP.EXAMPLE.COM");
    let add = format!(
        "add '{} = {want}' under [domain_realm] in {}",
        covering_suffix(&p.host),
        main_file(profile)
    );
    match &p.realm {
        HostRealm::Mapped {
            realm,
            key,
            location,
        } => {
            let wrong = match req.expected_realm {
                Some(e) => realm != e,
                None => !defined.contains(&realm.as_str()) && Some(realm.as_str()) != default,
            };
            let misspelt = realm_name_problem(realm).filter(|_| repaired(realm) == repaired(want));
            if let (true, Some((cause, why))) = (wrong, misspelt) {
                CheckResult::fail(id, cause, format!("{} maps to {realm} through '{key}': {why}; the directory's realm is {want}", p.host))
                    .with_target(location.to_string())
                    .with_hint(format!("write '{key} = {want}' at {location}"))
            } else if wrong {
                CheckResult::fail(
                    id,
                    Cause::DomainRealmWrong,
                    format!("{} maps to {realm} through '{key}' ({location}), not the directory's realm {want}", p.host),
                )
                .with_target(location.to_string())
                .with_hint(format!("write '{key} = {want}' at {location}"))
            } else {
                CheckResult::pass(
                    id,
                    format!(
                        "{} → {} (via '{key}' at {location})",
                        p.given_host,
                        p.principal()
                    ),
                )
                .with_target(location.to_string())
            }
        }
        HostRealm::Referral { fallback, .. } => {
            let fb = fallback.clone().unwrap_or_else(|| want.to_string());
            let detail = format!(
                "no [domain_realm] entry covers {}: the service ticket is asked in your own realm and works only if that KDC knows the host; otherwise MIT falls back to realm {fb} ('Server krbtgt/{fb}@… not found')",
                p.host
            );
            // An on-prem user's own realm is not the DB's: the referral cannot work there.
            let crosses = req.expected_realm.is_some_and(|e| Some(e) != default);
            let status = if crosses { Status::Fail } else { Status::Warn };
            CheckResult::problem(id, status, Cause::DomainRealmMissing, detail).with_hint(add)
        }
    }
}

/// Keys that legitimately repeat (lists): a second value adds, it does not override.
const LIST_KEYS: &[&str] = &[
    "kdc",
    "master_kdc",
    "primary_kdc",
    "kpasswd_server",
    "auth_to_local",
    "auth_to_local_names",
];

fn lint_results(profile: &Profile, req: &Request<'_>, rewritten: bool) -> Vec<CheckResult> {
    let id = CheckId::Krb5confLint;
    let mut out = Vec::new();
    let canon = profile.dns_canonicalize_hostname();
    if canon.value == Canonicalize::Fallback {
        let at = canon
            .location
            .clone()
            .map(|l| l.to_string())
            .unwrap_or_default();
        out.push(
            CheckResult::warn(
                id,
                Cause::CanonicalizeFallback,
                "dns_canonicalize_hostname = fallback",
            )
            .with_target(at.clone())
            .with_hint(format!("write 'dns_canonicalize_hostname = false' at {at}")),
        );
    }
    let rdns = profile.rdns();
    // rdns only matters once forward canonicalization is on (k5_expand_hostname).
    if !rewritten && canon.value == Canonicalize::True {
        let mut set = vec![format!(
            "dns_canonicalize_hostname = true ({})",
            canon
                .location
                .as_ref()
                .map_or("MIT default".into(), ToString::to_string)
        )];
        if rdns.value {
            set.push(format!(
                "rdns = true ({})",
                rdns.location
                    .as_ref()
                    .map_or("MIT default".into(), ToString::to_string)
            ));
        }
        out.push(
            CheckResult::warn(
                id,
                Cause::SpnRewritten,
                format!("{}: an RDS endpoint (a CNAME of an EC2-internal name) would be rewritten in the service principal", set.join(", ")),
            )
            .with_target(canon.location.as_ref().map_or_else(|| main_file(profile), ToString::to_string))
            .with_hint(format!(
                "under [libdefaults] in {}: 'dns_canonicalize_hostname = false' and 'rdns = false'",
                main_file(profile)
            )),
        );
    }
    for key in [
        "rdns",
        "dns_lookup_kdc",
        "dns_lookup_realm",
        "forwardable",
        "allow_weak_crypto",
    ] {
        if let Err(bad) = profile.libdefault_bool(key, true) {
            out.push(
                CheckResult::warn(
                    id,
                    Cause::Krb5confSyntax,
                    format!(
                        "{key} = {:?} is not a boolean MIT reads (yes/no, true/false, 1/0, on/off)",
                        bad.value
                    ),
                )
                .with_target(bad.location.to_string())
                .with_hint(format!(
                    "write '{key} = false' or '{key} = true' at {}",
                    bad.location
                )),
            );
        }
    }
    for (key, f) in enctypes_without_aes(profile) {
        out.push(
            CheckResult::fail(id, Cause::EnctypesWithoutAes, format!("{key} = {} lists no AES enctype", f.value))
                .with_target(f.location.to_string())
                .with_hint(format!(
                    "delete the line at {} or write '{key} = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96'",
                    f.location
                )),
        );
    }
    out.extend(comment_in_values(profile));
    out.extend(overrides(profile));
    out.extend(ccache_result(profile, req));
    if out.iter().all(|r| r.status == Status::Pass) {
        out.push(CheckResult::pass(
            id,
            "no setting known to break RDS logins",
        ));
    }
    out
}

/// The [libdefaults] enctype lists that name no AES type (and not DEFAULT, which includes it).
pub(crate) fn enctypes_without_aes(
    profile: &Profile,
) -> Vec<(&'static str, super::model::Found<'_>)> {
    [
        "default_tgs_enctypes",
        "default_tkt_enctypes",
        "permitted_enctypes",
    ]
    .into_iter()
    .filter_map(|key| Some((key, profile.value(&["libdefaults", key])?)))
    .filter(|(_, f)| {
        !f.value
            .split([' ', ',', '\t'])
            .any(|t| t.to_ascii_lowercase().contains("aes") || t.eq_ignore_ascii_case("default"))
    })
    .collect()
}

/// `kdc = dc1 # primary`: MIT keeps the comment as part of the value.
fn comment_in_values(profile: &Profile) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for_each_relation(profile, &mut |path, value, at| {
        if let Some(i) = value
            .find([' ', '\t'])
            .filter(|_| value.contains(" #") || value.contains(" ;"))
        {
            let name = path.last().copied().unwrap_or_default();
            out.push(
                CheckResult::warn(
                    CheckId::Krb5confLint,
                    Cause::Krb5confSyntax,
                    format!("{name} = {value:?}: MIT keeps a comment after a value as part of the value"),
                )
                .with_target(at.to_string())
                .with_hint(format!("move the comment to its own line: '{name} = {}'", &value[..i])),
            );
        }
    });
    out
}

/// Walks every relation of every file with its full path (section, groups…, name).
fn for_each_relation<'a>(
    profile: &'a Profile,
    f: &mut dyn FnMut(&[&'a str], &'a str, &'a Location),
) {
    fn walk<'a>(
        nodes: &'a [super::model::Node],
        path: &mut Vec<&'a str>,
        f: &mut dyn FnMut(&[&'a str], &'a str, &'a Location),
    ) {
        for n in nodes {
            path.push(&n.name);
            match n.value() {
                Some(v) => f(path, v, &n.location),
                None => walk(n.children(), path, f),
            }
            path.pop();
        }
    }
    for file in &profile.files {
        walk(&file.sections, &mut Vec::new(), f);
    }
}

/// A single-valued setting given twice with different values in different files: MIT uses the
/// first it read, which is often the included file's, not the one the user edited.
fn overrides(profile: &Profile) -> Vec<CheckResult> {
    let mut seen: Vec<(Vec<&str>, &str, &Location)> = Vec::new();
    let mut out = Vec::new();
    for_each_relation(profile, &mut |path, value, at| {
        if path.last().is_some_and(|n| LIST_KEYS.contains(n)) || path.first() == Some(&"capaths") {
            return;
        }
        match seen.iter().find(|(p, _, _)| p.as_slice() == path) {
            Some((_, first, first_at)) if *first != value && first_at.file != at.file => {
                out.push(
                    CheckResult::warn(
                        CheckId::Krb5confLint,
                        Cause::IncludeOverrides,
                        format!(
                            "{} = {value} is ignored: {first_at} sets {first} and MIT uses the first value it reads",
                            path.join(".")
                        ),
                    )
                    .with_target(at.to_string())
                    .with_hint(format!("remove one of the two: {first_at} or {at}")),
                );
            }
            Some(_) => {}
            None => seen.push((path.to_vec(), value, at)),
        }
    });
    out
}

/// The credential cache kinit will write: KRB5CCNAME, else default_ccache_name, else MIT's
/// FILE:/tmp/krb5cc_%{uid}. Only FILE/DIR caches are checked (read-only: no file is created).
fn ccache_result(profile: &Profile, req: &Request<'_>) -> Option<CheckResult> {
    let (name, from) = match req.krb5ccname {
        Some(n) if !n.is_empty() => (n.to_string(), "KRB5CCNAME".to_string()),
        _ => {
            let s = profile.libdefault("default_ccache_name")?;
            let from = s.location.map_or("MIT default".into(), |l| {
                format!("default_ccache_name at {l}")
            });
            (s.value, from)
        }
    };
    let uid = super::ccache::current_uid();
    let expanded = name
        .replace("%{uid}", &uid.to_string())
        .replace("%{euid}", &uid.to_string())
        .replace(
            "%{TEMP}",
            &std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()),
        );
    let (kind, path) = match expanded.split_once(':') {
        Some((k, p)) if !k.contains('/') => (k.to_ascii_uppercase(), p.to_string()),
        _ => ("FILE".to_string(), expanded.clone()),
    };
    let problem = match kind.as_str() {
        "FILE" => super::ccache::file_problem(Path::new(&path)),
        "DIR" => super::ccache::dir_problem(Path::new(path.trim_start_matches(':'))),
        _ => None,
    }?;
    Some(
        CheckResult::fail(
            CheckId::Krb5confLint,
            Cause::CcacheNotWritable,
            format!("credential cache {expanded} ({from}): {problem}"),
        )
        .with_target(from)
        .with_hint(format!("export KRB5CCNAME=FILE:/tmp/krb5cc_{uid}")),
    )
}
