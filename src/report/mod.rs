//! The report: what was checked against which target, every result, and one verdict.
//! Built by `probe`, `doctor`, `aws status` and `krb5conf check`; rendered by `human` or `json`,
//! which only format a finished report.

pub mod human;
pub mod json;
pub mod progress;
pub mod style;

use std::time::Duration;

use crate::check::{CheckId, CheckResult, Status};

/// What the run was about, stated before any network I/O: a list of labelled facts
/// (host, addresses, service principal and the realm that maps it, user principal, ccache).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Target {
    pub facts: Vec<(String, String)>,
}

impl Target {
    pub fn fact(&mut self, key: &str, value: impl Into<String>) {
        self.facts.push((key.to_string(), value.into()));
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    /// The result that best explains the failure (root-cause precedence), if any.
    pub root_cause: Option<CheckResult>,
    pub counts: Counts,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub command: &'static str,
    pub target: Target,
    pub checks: Vec<CheckResult>,
    pub verdict: Verdict,
}

impl Report {
    /// Builds the report: results are put in canonical order (`CheckId` order; a stable sort keeps the targets of one check in the order given),
    /// and the verdict's root cause is the first failing (else warning) result in `precedence`
    /// order, falling back to display order for ids the list does not name.
    pub fn new(
        command: &'static str,
        target: Target,
        mut checks: Vec<CheckResult>,
        precedence: &[CheckId],
        elapsed: Duration,
    ) -> Report {
        checks.sort_by_key(|c| c.id);
        let mut counts = Counts::default();
        for c in &checks {
            match c.status {
                Status::Pass => counts.pass += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        let status = checks
            .iter()
            .map(|c| c.status)
            .filter(|s| *s != Status::Skip)
            .max()
            .unwrap_or(Status::Pass);
        let rank = |id: CheckId| {
            precedence
                .iter()
                .position(|p| *p == id)
                .unwrap_or(precedence.len() + id as usize)
        };
        let root_cause = [Status::Fail, Status::Warn].iter().find_map(|want| {
            checks
                .iter()
                .filter(|c| c.status == *want)
                .min_by_key(|c| rank(c.id))
                .cloned()
        });
        Report {
            command,
            target,
            checks,
            verdict: Verdict {
                status,
                root_cause,
                counts,
                elapsed,
            },
        }
    }

    /// Exit code contract: 0 nothing failed (warnings allowed), 1 a check failed.
    pub fn exit_code(&self) -> u8 {
        if self.verdict.status == Status::Fail {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Cause;

    fn r(id: CheckId, status: Status) -> CheckResult {
        match status {
            Status::Fail => CheckResult::fail(id, Cause::Internal, "x"),
            Status::Warn => CheckResult::warn(id, Cause::Internal, "x"),
            _ => CheckResult::new(id, status, "x"),
        }
    }

    #[test]
    fn root_cause_follows_precedence_not_display_order() {
        let checks = vec![
            r(CheckId::GssServiceTicket, Status::Fail),
            r(CheckId::AwsDomainMembership, Status::Fail),
            r(CheckId::KdcUdp, Status::Warn),
        ];
        let rep = Report::new(
            "doctor",
            Target::default(),
            checks,
            &[CheckId::AwsDomainMembership, CheckId::GssServiceTicket],
            Duration::ZERO,
        );
        assert_eq!(rep.verdict.status, Status::Fail);
        assert_eq!(
            rep.verdict.root_cause.as_ref().unwrap().id,
            CheckId::AwsDomainMembership
        );
        assert_eq!(
            rep.checks[0].id,
            CheckId::KdcUdp,
            "display order is canonical"
        );
        assert_eq!(rep.exit_code(), 1);
    }

    #[test]
    fn warnings_only_exit_zero_and_name_the_warning() {
        let rep = Report::new(
            "probe",
            Target::default(),
            vec![
                r(CheckId::DbTcp, Status::Pass),
                r(CheckId::KdcUdp, Status::Warn),
            ],
            &[],
            Duration::ZERO,
        );
        assert_eq!(rep.verdict.status, Status::Warn);
        assert_eq!(rep.verdict.root_cause.as_ref().unwrap().id, CheckId::KdcUdp);
        assert_eq!(rep.exit_code(), 0);
    }

    #[test]
    fn all_skipped_is_not_a_failure() {
        let rep = Report::new(
            "probe",
            Target::default(),
            vec![r(CheckId::DbTcp, Status::Skip)],
            &[],
            Duration::ZERO,
        );
        assert_eq!(rep.verdict.status, Status::Pass);
        assert_eq!(rep.verdict.counts.skip, 1);
        assert!(rep.verdict.root_cause.is_none());
    }
}
