//! The one wrapper every doctor step runs in: it bounds the step by its timeout, times it, and
//! turns a panic into a failed result ("internal error, please report") instead of a crash.
//! A step that times out is a failure with the cause `check-timeout`; its dependents skip.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked};

/// Runs `fut` as check `id` within `timeout`.
pub async fn step<T, F>(id: CheckId, timeout: Duration, fut: F) -> Checked<T>
where
    F: Future<Output = Checked<T>>,
{
    let started = Instant::now();
    let _pending = crate::report::progress::begin(id);
    let outcome = tokio::time::timeout(timeout, AssertUnwindSafe(fut).catch_unwind()).await;
    let elapsed = started.elapsed();
    let mut checked = match outcome {
        Ok(Ok(checked)) => checked,
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Checked::one(
                CheckResult::fail(id, Cause::Internal, format!("internal error: {what}")),
                None,
            )
        }
        Err(_) => Checked::one(
            CheckResult::fail(
                id,
                Cause::CheckTimeout,
                format!("no result within {:.1} s", timeout.as_secs_f64()),
            )
            .with_hint(format!(
                "the peer never answered; raise --timeout (now {} s) only if the network is known to be slow",
                timeout.as_secs()
            )),
            None,
        ),
    };
    for r in &mut checked.results {
        if r.elapsed.is_zero() {
            r.elapsed = elapsed;
        }
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;

    #[tokio::test]
    async fn a_passing_step_is_timed() {
        let c = step(CheckId::DbTcp, Duration::from_secs(1), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Checked::one(CheckResult::pass(CheckId::DbTcp, "ok"), Some(7))
        })
        .await;
        assert_eq!(c.value, Some(7));
        assert!(c.results[0].elapsed >= Duration::from_millis(20));
    }

    #[tokio::test]
    async fn a_slow_step_fails_at_its_timeout() {
        let started = Instant::now();
        let c: Checked<()> = step(CheckId::KdcTcp, Duration::from_millis(50), async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Checked::one(CheckResult::pass(CheckId::KdcTcp, "late"), Some(()))
        })
        .await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(c.results[0].status, Status::Fail);
        assert_eq!(c.results[0].cause, Some(Cause::CheckTimeout));
        assert!(c.value.is_none(), "dependents must skip");
    }

    #[tokio::test]
    async fn a_panicking_step_becomes_an_internal_error() {
        let c: Checked<()> = step(CheckId::DbLogin, Duration::from_secs(1), async {
            panic!("boom");
        })
        .await;
        assert_eq!(c.results[0].status, Status::Fail);
        assert_eq!(c.results[0].cause, Some(Cause::Internal));
        assert!(c.results[0].detail.contains("boom"));
    }
}
