//! The fixes `check` names, applied to the text of the main krb5.conf (`check --fix`): line
//! edits that keep every comment and the author's layout. What cannot be fixed mechanically
//! (a KDC address nobody gave, a line in an included file, the ccache) is listed as manual.

use super::judge::{covering_suffix, enctypes_without_aes, realm_name_problem, repaired, Request};
use super::model::{clean_host, Canonicalize, HostRealm, Location, Profile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub text: String,
    /// What was changed, one line each ("line 4: default_realm = EXAMPLE.COM").
    pub applied: Vec<String>,
    /// What the user must still do by hand.
    pub manual: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    /// Rewrite a relation line as `name = value` (same indentation).
    Relation {
        line: usize,
        name: String,
        value: String,
    },
    /// Rewrite a group opening line as `name = {`.
    Group {
        line: usize,
        name: String,
    },
    Delete {
        line: usize,
    },
    /// Put the trailing comment of a value on its own line above it.
    SplitComment {
        line: usize,
    },
    /// Add `name = value` to a top-level section (after its header, or a new section at the end).
    Add {
        section: &'static str,
        name: String,
        value: String,
    },
}

struct Plan<'a> {
    main: &'a std::path::Path,
    edits: Vec<Edit>,
    manual: Vec<String>,
}

impl Plan<'_> {
    /// The line number when `at` is in the main file; else a manual note.
    fn local(&mut self, at: &Location, what: &str) -> Option<usize> {
        if at.file == self.main {
            Some(at.line)
        } else {
            self.manual
                .push(format!("{what} at {at} (an included file)"));
            None
        }
    }

    fn set_libdefault(&mut self, profile: &Profile, key: &str, value: &str) {
        match profile.value(&["libdefaults", key]) {
            Some(f) => {
                if let Some(line) = self.local(f.location, &format!("set '{key} = {value}'")) {
                    self.edits.push(Edit::Relation {
                        line,
                        name: key.into(),
                        value: value.into(),
                    });
                }
            }
            None => self.edits.push(Edit::Add {
                section: "libdefaults",
                name: key.into(),
                value: value.into(),
            }),
        }
    }
}

/// Plans and applies the fixes for `profile`'s first file, whose text is `text`.
pub fn fix(profile: &Profile, text: &str, req: &Request<'_>) -> Fixed {
    let Some(main) = profile.files.first().map(|f| f.path.as_path()) else {
        return Fixed {
            text: text.to_string(),
            applied: vec![],
            manual: vec![],
        };
    };
    let mut plan = Plan {
        main,
        edits: Vec::new(),
        manual: Vec::new(),
    };
    let defined: Vec<&str> = profile
        .subsections("realms")
        .into_iter()
        .map(|r| r.0)
        .collect();
    let want = req
        .expected_realm
        .map(str::to_string)
        .or_else(|| profile.default_realm().map(|f| repaired(f.value)))
        .or_else(|| defined.first().map(|r| repaired(r)));

    if profile.dns_canonicalize_hostname().value != Canonicalize::False {
        plan.set_libdefault(profile, "dns_canonicalize_hostname", "false");
    }
    if profile.rdns().value {
        plan.set_libdefault(profile, "rdns", "false");
    }
    match (profile.default_realm(), &want) {
        (None, Some(w)) => plan.set_libdefault(profile, "default_realm", w),
        (None, None) => plan
            .manual
            .push("add 'default_realm = YOUR.REALM' under [libdefaults]".into()),
        (Some(f), _) if realm_name_problem(f.value).is_some() => {
            if let Some(line) = plan.local(f.location, "fix default_realm") {
                plan.edits.push(Edit::Relation {
                    line,
                    name: "default_realm".into(),
                    value: repaired(f.value),
                });
            }
        }
        _ => {}
    }
    for (name, at) in profile.subsections("realms") {
        if realm_name_problem(name).is_some() {
            if let Some(line) = plan.local(at, &format!("rename realm {name}")) {
                plan.edits.push(Edit::Group {
                    line,
                    name: repaired(name),
                });
            }
        }
    }
    for (key, f) in profile.relations("domain_realm") {
        let bad_value = realm_name_problem(f.value).is_some();
        let bad_key = key.chars().any(|c| c.is_ascii_uppercase());
        if bad_value || bad_key {
            let value = defined
                .iter()
                .find(|d| repaired(d) == repaired(f.value) && realm_name_problem(d).is_none())
                .map_or_else(|| repaired(f.value), |d| (*d).to_string());
            if let Some(line) = plan.local(f.location, &format!("fix [domain_realm] {key}")) {
                plan.edits.push(Edit::Relation {
                    line,
                    name: key.to_ascii_lowercase(),
                    value,
                });
            }
        }
    }
    // Canonicalization is turned off above, so the host as given is the one to map.
    if let (Some(host), Some(w)) = (req.host.map(clean_host), &want) {
        match profile.realm_for_host(&host) {
            HostRealm::Referral { .. } if host.parse::<std::net::IpAddr>().is_err() => {
                plan.edits.push(Edit::Add {
                    section: "domain_realm",
                    name: covering_suffix(&host),
                    value: w.clone(),
                });
            }
            HostRealm::Referral { .. } => plan.manual.push(format!(
                "connect with the endpoint name, not the address {host}"
            )),
            HostRealm::Mapped {
                realm,
                key,
                location,
            } if &realm != w && req.expected_realm.is_some() => {
                if let Some(line) = plan.local(&location, &format!("map {key} to {w}")) {
                    plan.edits.push(Edit::Relation {
                        line,
                        name: key.clone(),
                        value: w.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    for (key, f) in enctypes_without_aes(profile) {
        if let Some(line) = plan.local(f.location, &format!("delete {key}")) {
            plan.edits.push(Edit::Delete { line });
        }
    }
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if !t.starts_with(['#', ';', '['])
            && t.contains('=')
            && (t.contains(" #") || t.contains(" ;"))
        {
            plan.edits.push(Edit::SplitComment { line: i + 1 });
        }
    }
    for realm in std::iter::once(profile.default_realm().map(|f| f.value))
        .flatten()
        .chain(defined.iter().copied())
    {
        if profile.realm_kdcs(realm).is_empty() && !profile.dns_lookup_kdc().value {
            plan.manual.push(format!(
                "add 'kdc = <a domain controller>' to realm {realm}"
            ));
        }
    }
    plan.manual.dedup();
    apply(text, plan)
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

fn apply(text: &str, plan: Plan<'_>) -> Fixed {
    let mut lines: Vec<Option<Vec<String>>> =
        text.lines().map(|l| Some(vec![l.to_string()])).collect();
    let mut applied = Vec::new();
    let mut adds: Vec<(&'static str, String, String)> = Vec::new();
    for e in plan.edits {
        let slot = |n: usize| n.checked_sub(1);
        match e {
            Edit::Relation { line, name, value } => {
                if let Some(Some(v)) = slot(line).and_then(|i| lines.get_mut(i)) {
                    let new = format!("{}{name} = {value}", indent_of(&v[0]));
                    if v[0] != new {
                        applied.push(format!("line {line}: {}", new.trim()));
                        v[0] = new;
                    }
                }
            }
            Edit::Group { line, name } => {
                if let Some(Some(v)) = slot(line).and_then(|i| lines.get_mut(i)) {
                    let new = format!("{}{name} = {{", indent_of(&v[0]));
                    applied.push(format!("line {line}: {}", new.trim()));
                    v[0] = new;
                }
            }
            Edit::Delete { line } => {
                if let Some(l) = slot(line).and_then(|i| lines.get_mut(i)) {
                    if let Some(v) = l.take() {
                        applied.push(format!("line {line}: deleted '{}'", v[0].trim()));
                    }
                }
            }
            Edit::SplitComment { line } => {
                if let Some(Some(v)) = slot(line).and_then(|i| lines.get_mut(i)) {
                    let l = v[0].clone();
                    if let Some(cut) = l.find(" #").or_else(|| l.find(" ;")) {
                        let ind = indent_of(&l).to_string();
                        *v = vec![
                            format!("{ind}{}", l[cut..].trim()),
                            l[..cut].trim_end().to_string(),
                        ];
                        applied.push(format!("line {line}: comment moved to its own line"));
                    }
                }
            }
            Edit::Add {
                section,
                name,
                value,
            } => adds.push((section, name, value)),
        }
    }
    for (section, name, value) in adds {
        let header = format!("[{section}]");
        let pos = lines.iter().position(|l| {
            l.as_ref()
                .is_some_and(|v| v.iter().any(|s| s.trim_start().starts_with(&header)))
        });
        applied.push(format!("[{section}]: added '{name} = {value}'"));
        match pos {
            Some(i) => {
                let end = lines[i + 1..]
                    .iter()
                    .position(|l| {
                        l.as_ref()
                            .is_some_and(|v| v[0].trim_start().starts_with('['))
                    })
                    .map_or(lines.len(), |k| i + 1 + k);
                let ind = lines[i + 1..end]
                    .iter()
                    .flatten()
                    .map(|v| indent_of(&v[0]).to_string())
                    .find(|s| !s.is_empty())
                    .unwrap_or_else(|| "    ".into());
                // After the section's last non-blank line.
                let last = (i..end)
                    .rev()
                    .find(|&k| {
                        lines[k]
                            .as_ref()
                            .is_some_and(|v| v.iter().any(|s| !s.trim().is_empty()))
                    })
                    .unwrap_or(i);
                if let Some(v) = lines[last].as_mut() {
                    v.push(format!("{ind}{name} = {value}"));
                }
            }
            None => lines.push(Some(vec![
                String::new(),
                header,
                format!("    {name} = {value}"),
            ])),
        }
    }
    let mut out: String = lines
        .into_iter()
        .flatten()
        .flatten()
        .map(|l| l + "\n")
        .collect();
    if !text.ends_with('\n') && !text.is_empty() && out.ends_with('\n') && applied.is_empty() {
        out.pop();
    }
    Fixed {
        text: out,
        applied,
        manual: plan.manual,
    }
}
