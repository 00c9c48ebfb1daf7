//! Puts a generated krb5.conf in place: never over an existing file without `force`, the old
//! file kept as a backup, the new one written to a temporary file in the same directory and
//! renamed over the target (readers see the old file or the new one, never half of one).

use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Unchanged,
    Replaced { backup: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0} exists and differs; not overwritten")]
    Exists(PathBuf),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.to_path_buf();
    move |source| WriteError::Io { op, path, source }
}

/// The backup name: `FILE.kerbrds-backup-UNIXSECONDS` (a new one each time, never clobbered).
pub fn backup_path(path: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".kerbrds-backup-{secs}"));
    let mut candidate = PathBuf::from(name);
    let mut n = 1;
    while candidate.exists() {
        let mut again = candidate.as_os_str().to_owned();
        again.push(format!(".{n}"));
        candidate = PathBuf::from(again);
        n += 1;
    }
    candidate
}

/// Writes `text` to `path` atomically (mode 0644: every user's Kerberos library reads it).
pub fn write_atomic(path: &Path, text: &str, force: bool) -> Result<Outcome, WriteError> {
    let old = match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io("read", path)(e)),
    };
    if old.as_deref() == Some(text.as_bytes()) {
        return Ok(Outcome::Unchanged);
    }
    if old.is_some() && !force {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".krb5.conf.kerbrds-")
        .tempfile_in(dir)
        .map_err(io("create a temporary file in", dir))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io("write", tmp.path()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io("chmod", path))?;
    }
    let outcome = match old {
        None => Outcome::Created,
        Some(bytes) => {
            let backup = backup_path(path);
            std::fs::write(&backup, bytes).map_err(io("back up to", &backup))?;
            Outcome::Replaced { backup }
        }
    };
    tmp.persist(path)
        .map_err(|e| io("rename onto", path)(e.error))?;
    Ok(outcome)
}

/// A line diff (`-` old, `+` new, two lines of context) for `--dry-run`.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence table; krb5.conf files are small.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|(c, _)| *c != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (c, line)) in ops.iter().enumerate() {
        if *c != ' ' || near(k) {
            if skipped {
                out.push_str("  …\n");
                skipped = false;
            }
            out.push_str(&format!("{c} {line}\n"));
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("  …\n");
    }
    out
}
