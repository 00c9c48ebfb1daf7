//! The password file (libpq §34.16): `hostname:port:database:username:password`, `*` matches
//! anything, `\:` and `\\` escape, first match wins, ignored unless its mode is 0600 or stricter.
//! Used only for the master user's password (`kerbrds login`); Kerberos logins need none.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    NotFound,
    /// The file exists but is readable by others; libpq ignores it with this warning.
    TooOpen(PathBuf),
}

/// PGPASSFILE, else ~/.pgpass.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")))
}

pub fn lookup(path: &Path, host: &str, port: u16, db: &str, user: &str) -> Lookup {
    let Ok(meta) = std::fs::metadata(path) else {
        return Lookup::NotFound;
    };
    if meta.permissions().mode() & 0o077 != 0 {
        return Lookup::TooOpen(path.to_path_buf());
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Lookup::NotFound;
    };
    let port = port.to_string();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split(line);
        if fields.len() < 5 {
            continue;
        }
        let matches = |pat: &str, v: &str| pat == "*" || pat == v;
        if matches(&fields[0], host)
            && matches(&fields[1], &port)
            && matches(&fields[2], db)
            && matches(&fields[3], user)
        {
            return Lookup::Found(fields[4..].join(":"));
        }
    }
    Lookup::NotFound
}

fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("non-empty").push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut().expect("non-empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str, mode: u32) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), content).unwrap();
        std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        f
    }

    #[test]
    fn first_match_wins_with_wildcards_and_escapes() {
        let f = file(
            "# comment\nother:5432:*:master:no\ndb.example.com:*:*:master:pa\\:ss:word\n*:*:*:*:fallback\n",
            0o600,
        );
        assert_eq!(
            lookup(f.path(), "db.example.com", 5432, "postgres", "master"),
            Lookup::Found("pa:ss:word".into())
        );
        assert_eq!(
            lookup(f.path(), "x", 1, "y", "z"),
            Lookup::Found("fallback".into())
        );
    }

    #[test]
    fn a_group_readable_file_is_ignored_like_libpq() {
        let f = file("*:*:*:*:pw\n", 0o644);
        assert_eq!(
            lookup(f.path(), "h", 5432, "d", "u"),
            Lookup::TooOpen(f.path().to_path_buf())
        );
    }

    #[test]
    fn missing_file_is_not_found() {
        assert_eq!(
            lookup(Path::new("/nonexistent/.pgpass"), "h", 1, "d", "u"),
            Lookup::NotFound
        );
    }
}
