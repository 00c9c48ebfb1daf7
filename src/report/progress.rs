//! The "still waiting for …" line on stderr: only on a terminal, only in human mode, and only
//! once a run has taken longer than a second (a healthy run never shows it). `step()` registers
//! what is pending; the ticker renders it; nothing here touches the report.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::check::CheckId;

static PENDING: Mutex<BTreeMap<CheckId, Instant>> = Mutex::new(BTreeMap::new());

/// Marks a check as running until the guard drops.
pub struct Pending(CheckId);

pub fn begin(id: CheckId) -> Pending {
    if let Ok(mut p) = PENDING.lock() {
        p.entry(id).or_insert_with(Instant::now);
    }
    Pending(id)
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut p) = PENDING.lock() {
            p.remove(&self.0);
        }
    }
}

/// The line for what is still pending, e.g. "waiting for kdc.tcp, db.login — 1.4 s of 3.0 s".
pub fn line(now: Instant, timeout: Duration) -> Option<String> {
    let p = PENDING.lock().ok()?;
    let oldest = p.values().min()?;
    let ids: Vec<&str> = p.keys().map(|id| id.as_str()).collect();
    Some(format!(
        "waiting for {} — {:.1} s of {:.1} s",
        ids.join(", "),
        now.duration_since(*oldest).as_secs_f64(),
        timeout.as_secs_f64()
    ))
}

/// Redraws the waiting line every 250 ms after the first second, until the caller drops it
/// (the run finished); then clears it. Does nothing unless stderr is a terminal.
pub async fn ticker(timeout: Duration, enabled: bool) -> std::convert::Infallible {
    if !enabled || !std::io::stderr().is_terminal() {
        return std::future::pending().await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _clear = Clear;
    loop {
        if let Some(l) = line(Instant::now(), timeout) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{l}");
            let _ = err.flush();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Clears the waiting line when the ticker is dropped (the run finished).
struct Clear;

impl Drop for Clear {
    fn drop(&mut self) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_checks_are_listed_until_done() {
        // Ids no other unit test runs through step(), which registers here too.
        let a = begin(CheckId::ClockSkew);
        let b = begin(CheckId::AwsIamRole);
        let l = line(
            Instant::now() + Duration::from_secs(2),
            Duration::from_secs(3),
        )
        .unwrap();
        assert!(
            l.contains("clock.skew") && l.contains("aws.iam_role"),
            "{l}"
        );
        assert!(l.ends_with(" of 3.0 s"), "{l}");
        drop(a);
        drop(b);
        let after = line(Instant::now(), Duration::from_secs(3)).unwrap_or_default();
        assert!(
            !after.contains("clock.skew") && !after.contains("aws.iam_role"),
            "{after}"
        );
    }
}
