//! Writes the client krb5.conf for RDS logins: the AWS-managed variant (the directory's realm)
//! and the on-prem variant (both realms, the trust path in [capaths]). The file is built as a
//! profile tree (`Generated::model`) and rendered from it, with a comment on every line that
//! departs from MIT's defaults, so parsing the text gives back exactly the model.

use super::judge::{covering_suffix, realm_name_problem};
use super::model::{Location, Node, NodeKind};

/// What the user asked for (`kerbrds krb5conf generate` flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    /// The managed directory's realm (its DNS name; upper-cased if given in lower case).
    pub realm: String,
    pub kdcs: Vec<String>,
    pub admin_server: Option<String>,
    pub onprem_realm: Option<String>,
    pub onprem_kdcs: Vec<String>,
    pub onprem_admin_server: Option<String>,
    /// DB endpoints whose domain must map to the managed realm.
    pub db_hosts: Vec<String>,
    /// Also map the China regions' RDS suffix (`.amazonaws.com.cn`).
    pub china: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub text: String,
    /// The profile tree the text parses to (locations cleared).
    pub model: Vec<Node>,
    /// Things the user should know (a realm upper-cased, a KDC assumed).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("invalid realm {0:?}: {1}")]
    Realm(String, String),
    #[error("invalid host {0:?}: a host name or address has no spaces, braces, quotes or '#'")]
    Host(String),
}

/// One entry of the output: a relation or a group, with the comment written above it.
struct Entry {
    comment: Option<String>,
    name: String,
    body: Body,
}

enum Body {
    Value(String),
    Group(Vec<Entry>),
}

impl Entry {
    /// The profile node this entry parses to.
    fn node(&self) -> Node {
        Node {
            name: self.name.clone(),
            is_final: false,
            location: Location::default(),
            kind: match &self.body {
                Body::Value(v) => NodeKind::Value(v.clone()),
                Body::Group(c) => NodeKind::Section(c.iter().map(Entry::node).collect()),
            },
        }
    }
}

fn rel(name: &str, value: &str, comment: Option<&str>) -> Entry {
    Entry {
        comment: comment.map(str::to_string),
        name: name.to_string(),
        body: Body::Value(value.to_string()),
    }
}

fn group(name: &str, children: Vec<Entry>, comment: Option<String>) -> Entry {
    Entry {
        comment,
        name: name.to_string(),
        body: Body::Group(children),
    }
}

fn realm_of(given: &str, notices: &mut Vec<String>) -> Result<String, SpecError> {
    let upper = given.trim().to_ascii_uppercase();
    if let Some((cause, why)) = realm_name_problem(&upper) {
        if cause != crate::catalogue::Cause::RealmNotUpperCase {
            return Err(SpecError::Realm(given.to_string(), why));
        }
    }
    if upper != given {
        notices.push(format!(
            "realm {given:?} written as {upper}: AD realms are the domain name in upper case"
        ));
    }
    Ok(upper)
}

fn check_host(h: &str) -> Result<String, SpecError> {
    let h = h.trim();
    if h.is_empty() || h.contains(|c: char| c.is_whitespace() || "{}\"#;=[]".contains(c)) {
        return Err(SpecError::Host(h.to_string()));
    }
    Ok(h.to_string())
}

/// KDCs given, or the domain name itself (AD's DNS answers it with the DCs' addresses).
fn kdcs_or_domain(
    kdcs: &[String],
    realm: &str,
    flag: &str,
    notices: &mut Vec<String>,
) -> Result<Vec<String>, SpecError> {
    if kdcs.is_empty() {
        let domain = realm.to_ascii_lowercase();
        notices.push(format!(
            "no {flag} given: using {domain} (the directory's DNS name resolves to its domain controllers)"
        ));
        return Ok(vec![domain]);
    }
    kdcs.iter().map(|k| check_host(k)).collect()
}

fn realm_group(realm: &str, kdcs: &[String], admin: &str, comment: String) -> Entry {
    let mut children: Vec<Entry> = kdcs.iter().map(|k| rel("kdc", k, None)).collect();
    children.push(rel("admin_server", admin, None));
    group(realm, children, Some(comment))
}

/// Builds the file for `spec`.
pub fn generate(spec: &Spec) -> Result<Generated, SpecError> {
    let mut notices = Vec::new();
    let realm = realm_of(&spec.realm, &mut notices)?;
    let kdcs = kdcs_or_domain(&spec.kdcs, &realm, "--kdc", &mut notices)?;
    let admin = match &spec.admin_server {
        Some(a) => check_host(a)?,
        None => kdcs[0].clone(),
    };
    let onprem = match &spec.onprem_realm {
        None => None,
        Some(r) => {
            let r = realm_of(r, &mut notices)?;
            let k = kdcs_or_domain(&spec.onprem_kdcs, &r, "--onprem-kdc", &mut notices)?;
            let a = match &spec.onprem_admin_server {
                Some(a) => check_host(a)?,
                None => k[0].clone(),
            };
            Some((r, k, a))
        }
    };

    let libdefaults = vec![
        rel("default_realm", &realm, Some("The realm of users who run kinit without @REALM: the managed directory.")),
        rel("dns_canonicalize_hostname", "false", Some(
            "RDS endpoints are DNS aliases (CNAME) of EC2-internal names; with canonicalization MIT\n\
             would ask for postgres/ip-…ec2.internal and fail with \"Server krbtgt/EC2.INTERNAL@… not\n\
             found\". 'false', not 'fallback': older krb5 libraries bundled with drivers reject it.",
        )),
        rel("rdns", "false", Some("The reverse (PTR) name of an RDS endpoint's address is that same EC2-internal name.")),
        rel("dns_lookup_realm", "false", Some("Realms come from [domain_realm] below, never from DNS TXT records.")),
        rel("udp_preference_limit", "1", Some(
            "AD tickets carry a PAC too big for UDP: use TCP at once instead of after a retry.",
        )),
    ];

    let mut realms = vec![realm_group(
        &realm,
        &kdcs,
        &admin,
        "The AWS Managed Microsoft AD directory: its DNS name in upper case.".into(),
    )];
    let domain = realm.to_ascii_lowercase();
    let mut domains = vec![
        rel(&format!(".{domain}"), &realm, Some("Hosts in the directory's domain.")),
        rel(&domain, &realm, None),
        rel(".rds.amazonaws.com", &realm, Some(
            "RDS endpoints (NAME.ID.REGION.rds.amazonaws.com) are service principals of the managed\n\
             directory; without this an on-prem user's KDC is asked and cannot refer the request.",
        )),
    ];
    if spec.china {
        domains.push(rel(
            ".amazonaws.com.cn",
            &realm,
            Some("RDS endpoints in the AWS China regions."),
        ));
    }
    let mut capaths = None;
    if let Some((r, k, a)) = &onprem {
        realms.push(realm_group(
            r,
            k,
            a,
            "The on-premises AD, trusted by the managed directory.".into(),
        ));
        let d = r.to_ascii_lowercase();
        domains.push(rel(
            &format!(".{d}"),
            r,
            Some("Hosts in the on-premises domain."),
        ));
        domains.push(rel(&d, r, None));
        capaths = Some(group(
            "capaths",
            vec![group(
                r,
                vec![rel(&realm, ".", None)],
                Some(format!("{r} users reach {realm} directly over the forest trust ('.': no realm in between).")),
            )],
            None,
        ));
    }
    for h in &spec.db_hosts {
        let h = check_host(h)?.to_ascii_lowercase();
        let suffix = covering_suffix(&h);
        let covered = domains.iter().any(|e| {
            let key = e.name.as_str();
            h == key || h.ends_with(&format!(".{}", key.trim_start_matches('.')))
        });
        if !covered {
            domains.push(rel(
                &suffix,
                &realm,
                Some(&format!("Covers the DB endpoint {h}.")),
            ));
        }
    }

    let mut sections = vec![
        group("libdefaults", libdefaults, None),
        group("realms", realms, None),
        group("domain_realm", domains, None),
    ];
    if let Some(c) = capaths {
        sections.push(c);
    }
    let mut text = String::from(
        "# krb5.conf for Kerberos logins to Amazon RDS for PostgreSQL with AWS Managed Microsoft AD.\n\
         # Written by `kerbrds krb5conf generate`; check it with `kerbrds krb5conf check --host ENDPOINT`.\n",
    );
    for s in &sections {
        render(&mut text, s, 0);
    }
    let model = sections.iter().map(Entry::node).collect();
    Ok(Generated {
        text,
        model,
        notices,
    })
}

/// Renders an entry: `[section]` at depth 0, `name = {` … `}` groups and relations below,
/// each preceded by its comment lines.
fn render(out: &mut String, entry: &Entry, depth: usize) {
    let pad = "    ".repeat(depth);
    if let Some(c) = &entry.comment {
        for line in c.lines() {
            out.push_str(&format!("{pad}# {line}\n"));
        }
    }
    match &entry.body {
        Body::Value(v) => out.push_str(&format!("{pad}{} = {v}\n", entry.name)),
        Body::Group(children) if depth == 0 => {
            out.push_str(&format!("\n[{}]\n", entry.name));
            for child in children {
                render(out, child, 1);
            }
        }
        Body::Group(children) => {
            out.push_str(&format!("{pad}{} = {{\n", entry.name));
            for child in children {
                render(out, child, depth + 1);
            }
            out.push_str(&format!("{pad}}}\n"));
        }
    }
}
