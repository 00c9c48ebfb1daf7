//! The JSON wire format (schema in docs/json-schema.md). Own wire types, so internals can change
//! without breaking consumers; bump `VERSION` only on breaking changes.

use serde::Serialize;

use super::Report;
use crate::check::CheckResult;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct WireReport<'a> {
    version: u32,
    command: &'a str,
    target: serde_json::Map<String, serde_json::Value>,
    checks: Vec<WireCheck<'a>>,
    verdict: WireVerdict<'a>,
}

#[derive(Serialize)]
struct WireCheck<'a> {
    id: &'a str,
    target: Option<&'a str>,
    status: &'a str,
    title: &'a str,
    detail: &'a str,
    cause: Option<&'a str>,
    why: Option<&'a str>,
    hint: Option<&'a str>,
    evidence: &'a [String],
    elapsed_ms: u64,
}

#[derive(Serialize)]
struct WireVerdict<'a> {
    status: &'a str,
    root_cause: Option<WireCheck<'a>>,
    pass: usize,
    warn: usize,
    fail: usize,
    skip: usize,
    elapsed_ms: u64,
}

fn wire_check(c: &CheckResult) -> WireCheck<'_> {
    WireCheck {
        id: c.id.as_str(),
        target: c.target.as_deref(),
        status: c.status.as_str(),
        title: c.id.title(),
        detail: &c.detail,
        cause: c.cause.map(|c| c.code()),
        why: c.cause.map(|c| c.why()),
        hint: c.hint.as_deref(),
        evidence: &c.evidence,
        elapsed_ms: u64::try_from(c.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

pub fn to_value(report: &Report) -> serde_json::Value {
    let v = &report.verdict;
    let wire = WireReport {
        version: VERSION,
        command: report.command,
        target: report
            .target
            .facts
            .iter()
            .map(|(k, val)| (k.clone(), serde_json::Value::String(val.clone())))
            .collect(),
        checks: report.checks.iter().map(wire_check).collect(),
        verdict: WireVerdict {
            status: v.status.as_str(),
            root_cause: v.root_cause.as_ref().map(wire_check),
            pass: v.counts.pass,
            warn: v.counts.warn,
            fail: v.counts.fail,
            skip: v.counts.skip,
            elapsed_ms: u64::try_from(v.elapsed.as_millis()).unwrap_or(u64::MAX),
        },
    };
    serde_json::to_value(wire).expect("wire types always serialize")
}

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report)).expect("serializable");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Cause;
    use crate::check::CheckId;
    use crate::report::Target;
    use std::time::Duration;

    #[test]
    fn shape_matches_the_documented_schema() {
        let mut t = Target::default();
        t.fact("host", "db.example.com");
        let checks = vec![
            CheckResult::pass(CheckId::DbTcp, "connected").with_target("127.0.10.3:5432"),
            CheckResult::fail(CheckId::KdcTcp, Cause::KdcTimeout, "no answer in 3 s")
                .with_hint("open TCP 88")
                .with_elapsed(Duration::from_millis(3000)),
        ];
        let rep = Report::new("probe", t, checks, &[], Duration::from_millis(3010));
        let v = to_value(&rep);
        assert_eq!(v["version"], 1);
        assert_eq!(v["target"]["host"], "db.example.com");
        let kdc = &v["checks"][0];
        assert_eq!(kdc["id"], "kdc.tcp");
        assert_eq!(kdc["status"], "fail");
        assert_eq!(kdc["cause"], "kdc-timeout");
        assert_eq!(kdc["hint"], "open TCP 88");
        assert_eq!(kdc["elapsed_ms"], 3000);
        assert_eq!(v["checks"][1]["target"], "127.0.10.3:5432");
        assert_eq!(v["verdict"]["status"], "fail");
        assert_eq!(v["verdict"]["root_cause"]["id"], "kdc.tcp");
        assert_eq!(v["verdict"]["fail"], 1);
    }
}
