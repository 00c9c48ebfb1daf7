//! libpq connection strings: `key=value` lists and `postgresql://` URIs, parsed as libpq's
//! `conninfo_parse` and `conninfo_uri_parse` do (libpq docs §34.1.1), into ordered key/value pairs.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConninfoError(pub String);

impl fmt::Display for ConninfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConninfoError {}

fn err(msg: impl Into<String>) -> ConninfoError {
    ConninfoError(msg.into())
}

/// True when psql would treat `s` as a connection string rather than a database name.
pub fn looks_like_conninfo(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://") || s.contains('=')
}

/// Parses either form.
pub fn parse(s: &str) -> Result<Vec<(String, String)>, ConninfoError> {
    if s.starts_with("postgresql://") || s.starts_with("postgres://") {
        parse_uri(s)
    } else {
        parse_kv(s)
    }
}

/// `host=db.example.com port=5432 user='a b'`: values may be single-quoted; backslash escapes
/// a quote or backslash.
pub fn parse_kv(s: &str) -> Result<Vec<(String, String)>, ConninfoError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(err(format!(
                "missing \"=\" after \"{key}\" in connection info string"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(err("unterminated quoted string in connection info string"))
                    }
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(err("unterminated quoted string in connection info string"))
                        }
                    },
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}

fn percent_decode(s: &str) -> Result<String, ConninfoError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| err(format!("invalid percent-encoded token: \"{s}\"")))?;
            if hex == 0 {
                return Err(err(format!(
                    "forbidden value %00 in percent-encoded value: \"{s}\""
                )));
            }
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| err(format!("percent-encoded value is not UTF-8: \"{s}\"")))
}

/// `postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]`
pub fn parse_uri(s: &str) -> Result<Vec<(String, String)>, ConninfoError> {
    let rest = s
        .strip_prefix("postgresql://")
        .or_else(|| s.strip_prefix("postgres://"))
        .ok_or_else(|| err(format!("invalid URI: \"{s}\"")))?;
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before_query, None),
    };
    let mut out = Vec::new();
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hp)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                out.push(("user".to_string(), percent_decode(user)?));
            }
            if let Some(p) = password {
                out.push(("password".to_string(), percent_decode(p)?));
            }
            hp
        }
        None => authority,
    };
    if !hostport.is_empty() {
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| {
                err(format!(
                    "missing \"]\" in IPv6 host address in URI: \"{s}\""
                ))
            })?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (percent_decode(h)?, Some(p)),
                None => (percent_decode(hostport)?, None),
            }
        };
        if !host.is_empty() {
            out.push(("host".to_string(), host));
        }
        if let Some(p) = port.filter(|p| !p.is_empty()) {
            out.push(("port".to_string(), percent_decode(p)?));
        }
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        out.push(("dbname".to_string(), percent_decode(db)?));
    }
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                err(format!(
                    "missing key/value separator \"=\" in URI query parameter: \"{pair}\""
                ))
            })?;
            let k = percent_decode(k)?;
            // libpq accepts the JDBC-style ssl=true as sslmode=require.
            if k == "ssl" && v == "true" {
                out.push(("sslmode".to_string(), "require".to_string()));
            } else {
                out.push((k, percent_decode(v)?));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn key_value_strings() {
        for (input, want) in [
            ("host=db port=5432", kv(&[("host", "db"), ("port", "5432")])),
            ("  host = db  ", kv(&[("host", "db")])),
            (
                "user='alice@EXAMPLE.COM' dbname='my db'",
                kv(&[("user", "alice@EXAMPLE.COM"), ("dbname", "my db")]),
            ),
            (r"dbname='it\'s'", kv(&[("dbname", "it's")])),
            (r"dbname=a\ b", kv(&[("dbname", "a b")])),
            ("host=", kv(&[("host", "")])),
        ] {
            assert_eq!(parse_kv(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn key_value_errors_match_libpq() {
        assert_eq!(
            parse_kv("host").unwrap_err().0,
            "missing \"=\" after \"host\" in connection info string"
        );
        assert_eq!(
            parse_kv("dbname='x").unwrap_err().0,
            "unterminated quoted string in connection info string"
        );
    }

    #[test]
    fn uris() {
        for (input, want) in [
            ("postgresql://", kv(&[])),
            (
                "postgresql://alice%40EXAMPLE.COM@mydb.x.us-east-1.rds.amazonaws.com:5433/app?gssencmode=require",
                kv(&[
                    ("user", "alice@EXAMPLE.COM"),
                    ("host", "mydb.x.us-east-1.rds.amazonaws.com"),
                    ("port", "5433"),
                    ("dbname", "app"),
                    ("gssencmode", "require"),
                ]),
            ),
            (
                "postgres://[::1]:5432/db",
                kv(&[("host", "::1"), ("port", "5432"), ("dbname", "db")]),
            ),
            ("postgresql://h/?ssl=true", kv(&[("host", "h"), ("sslmode", "require")])),
            (
                "postgresql://u:secret@h",
                kv(&[("user", "u"), ("password", "secret"), ("host", "h")]),
            ),
        ] {
            assert_eq!(parse(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn uri_errors() {
        assert!(parse("postgresql://h/db?x").is_err());
        assert!(parse("postgresql://[::1/db").is_err());
        assert!(parse("postgresql://h/%zz").is_err());
        assert!(parse("postgresql://h/%00").is_err());
    }

    #[test]
    fn which_positional_is_a_conninfo() {
        assert!(looks_like_conninfo("host=x"));
        assert!(looks_like_conninfo("postgres://x"));
        assert!(!looks_like_conninfo("mydb"));
    }
}
