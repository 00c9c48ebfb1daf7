//! Can this process write a FILE:/DIR: credential cache? Decided from ownership and mode bits
//! (no file is created or opened for writing: the doctor is read-only).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The effective uid (owner of /proc/self), without libc calls.
pub fn current_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

fn current_gids() -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut gids = Vec::new();
    for line in status.lines() {
        if let Some(rest) = line
            .strip_prefix("Gid:")
            .or_else(|| line.strip_prefix("Groups:"))
        {
            gids.extend(
                rest.split_whitespace()
                    .filter_map(|g| g.parse::<u32>().ok()),
            );
        }
    }
    gids
}

fn writable(meta: &std::fs::Metadata) -> bool {
    let uid = current_uid();
    if uid == 0 {
        return true;
    }
    let mode = meta.mode();
    if meta.uid() == uid {
        mode & 0o200 != 0
    } else if current_gids().contains(&meta.gid()) {
        mode & 0o020 != 0
    } else {
        mode & 0o002 != 0
    }
}

/// Why a FILE: cache at `path` cannot be written, if it cannot.
pub fn file_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Some(format!("{} is a directory", path.display())),
        Ok(m) if !writable(&m) => Some(format!(
            "{} exists and is not writable by uid {}",
            path.display(),
            current_uid()
        )),
        Ok(_) => None,
        Err(_) => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            dir_problem(parent)
        }
    }
}

/// Why files cannot be created in `dir`, if they cannot.
pub fn dir_problem(dir: &Path) -> Option<String> {
    match std::fs::metadata(dir) {
        Err(e) => Some(format!("directory {} is not usable: {e}", dir.display())),
        Ok(m) if !m.is_dir() => Some(format!("{} is not a directory", dir.display())),
        Ok(m) if !writable(&m) => Some(format!(
            "directory {} is not writable by uid {}",
            dir.display(),
            current_uid()
        )),
        Ok(_) => None,
    }
}
