//! The system's name-service files as glibc reads them: `nameserver` lines of
//! /etc/resolv.conf (resolv.conf(5); only the first three count) and /etc/hosts entries, which
//! glibc consults before DNS (`hosts: files dns`). Lines that glibc would ignore are reported
//! with their line number instead of silently dropped.

use std::net::IpAddr;
use std::path::Path;

/// glibc's MAXNS.
pub const MAX_NAMESERVERS: usize = 3;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    /// `path:line: problem` for lines glibc ignores.
    pub problems: Vec<String>,
}

pub fn parse(text: &str, origin: &str) -> ResolvConf {
    let mut rc = ResolvConf::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.split(['#', ';']).next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                let Some(value) = words.next() else {
                    rc.problems
                        .push(format!("{origin}:{}: nameserver without an address", i + 1));
                    continue;
                };
                // An IPv6 zone (fe80::1%eth0) is not part of the address.
                match value.split('%').next().unwrap_or("").parse::<IpAddr>() {
                    Ok(ip) if rc.nameservers.len() < MAX_NAMESERVERS => rc.nameservers.push(ip),
                    Ok(ip) => rc.problems.push(format!(
                        "{origin}:{}: nameserver {ip} ignored: glibc uses only the first {MAX_NAMESERVERS}",
                        i + 1
                    )),
                    Err(_) => rc.problems.push(format!(
                        "{origin}:{}: nameserver {value:?} is not an IP address",
                        i + 1
                    )),
                }
            }
            Some("search") | Some("domain") => rc.search = words.map(str::to_string).collect(),
            _ => {}
        }
    }
    rc
}

pub fn load(path: &Path) -> Result<ResolvConf, String> {
    std::fs::read_to_string(path)
        .map(|t| parse(&t, &path.display().to_string()))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The addresses /etc/hosts gives `host` (case-insensitive, aliases included).
pub fn hosts_lookup(text: &str, host: &str) -> Vec<IpAddr> {
    let want = host.trim_end_matches('.').to_ascii_lowercase();
    text.lines()
        .filter_map(|l| {
            let mut words = l.split('#').next().unwrap_or("").split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words
                .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(&want))
                .then_some(ip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers_as_glibc_reads_them() {
        let rc = parse(
            "# lab\nnameserver 127.0.10.53\nsearch example.com corp\noptions timeout:1\n\
             nameserver fe80::1%eth0 ; link-local\nnameserver dns.example.com\n\
             nameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver\n",
            "/etc/resolv.conf",
        );
        assert_eq!(
            rc.nameservers,
            vec![
                "127.0.10.53".parse::<IpAddr>().unwrap(),
                "fe80::1".parse().unwrap(),
                "10.0.0.2".parse().unwrap()
            ]
        );
        assert_eq!(rc.search, vec!["example.com", "corp"]);
        assert_eq!(
            rc.problems,
            vec![
                "/etc/resolv.conf:6: nameserver \"dns.example.com\" is not an IP address",
                "/etc/resolv.conf:8: nameserver 10.0.0.3 ignored: glibc uses only the first 3",
                "/etc/resolv.conf:9: nameserver without an address",
            ]
        );
    }

    #[test]
    fn hosts_entries_match_names_and_aliases() {
        let hosts =
            "127.0.0.1 localhost\n10.1.2.3 mydb.corp.example.com mydb # pinned\n::1 localhost\n";
        assert_eq!(
            hosts_lookup(hosts, "MYDB.corp.example.com."),
            vec!["10.1.2.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(hosts_lookup(hosts, "mydb").len(), 1);
        assert_eq!(hosts_lookup(hosts, "localhost").len(), 2);
        assert!(hosts_lookup(hosts, "other").is_empty());
    }
}
