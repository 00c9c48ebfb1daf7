//! Human rendering: one line per check in canonical order, the why/fix/see lines under each
//! warning or failure, evidence only when verbose, and one verdict line.

use std::fmt::Write as _;

use super::{style, Report};
use crate::check::{CheckResult, Status};

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub verbose: bool,
    pub ascii: bool,
}

pub fn render(report: &Report, opts: Options) -> String {
    let mut out = render_target(&report.target);
    out.push_str(&render_checks(report, opts));
    out
}

/// The target block alone, so that a command can state it before any network I/O.
pub fn render_target(target: &super::Target) -> String {
    let mut out = String::new();
    if !target.facts.is_empty() {
        let width = target.facts.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let h = style::HEADING;
        let _ = writeln!(out, "{h}Target{h:#}");
        for (k, v) in &target.facts {
            let _ = writeln!(out, "  {k:<width$}  {v}");
        }
        out.push('\n');
    }
    out
}

/// Everything after the target: the checks by area, then the verdict.
pub fn render_checks(report: &Report, opts: Options) -> String {
    let mut out = String::new();
    let mut room = "";
    for c in &report.checks {
        let this_room = c.id.as_str().split('.').next().unwrap_or("");
        if this_room != room {
            if !room.is_empty() {
                out.push('\n');
            }
            let h = style::HEADING;
            let _ = writeln!(out, "{h}{this_room}{h:#}");
            room = this_room;
        }
        check_line(&mut out, c, opts);
    }
    out.push('\n');
    verdict(&mut out, report, opts);
    out
}

fn check_line(out: &mut String, c: &CheckResult, opts: Options) {
    let st = style::for_status(c.status);
    let dim = style::DIM;
    let target = c
        .target
        .as_deref()
        .map(|t| format!(" [{t}]"))
        .unwrap_or_default();
    let ms = c.elapsed.as_millis();
    let _ = writeln!(
        out,
        "  {st}{}{st:#} {:<22}{target} {} {dim}({ms} ms){dim:#}",
        style::glyph(c.status, opts.ascii),
        c.id.as_str(),
        c.detail,
    );
    if matches!(c.status, Status::Warn | Status::Fail) {
        if let Some(cause) = c.cause {
            let _ = writeln!(out, "      {dim}why{dim:#}  {}", cause.why());
        }
        if let Some(hint) = &c.hint {
            let code = style::CODE;
            let mut lines = hint.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(out, "      {dim}fix{dim:#}  {code}{first}{code:#}");
            }
            for l in lines {
                let _ = writeln!(out, "           {code}{l}{code:#}");
            }
        }
        if let Some(cause) = c.cause {
            let _ = writeln!(out, "      {dim}see  {}{dim:#}", cause.docs());
        }
    }
    if opts.verbose {
        for e in &c.evidence {
            let _ = writeln!(out, "      {dim}| {e}{dim:#}");
        }
    }
}

fn verdict(out: &mut String, report: &Report, opts: Options) {
    let v = &report.verdict;
    let st = style::for_status(v.status);
    let word = match v.status {
        Status::Pass | Status::Skip => "OK",
        Status::Warn => "OK with warnings",
        Status::Fail => "FAILED",
    };
    let n = v.counts;
    let secs = v.elapsed.as_secs_f64();
    let _ = write!(
        out,
        "{st}{} {word}{st:#}: {} passed, {} warned, {} failed, {} skipped in {secs:.2} s",
        style::glyph(v.status, opts.ascii),
        n.pass,
        n.warn,
        n.fail,
        n.skip,
    );
    out.push('\n');
    if let Some(rc) = &v.root_cause {
        let what = rc.cause.map(|c| c.why()).unwrap_or(rc.detail.as_str());
        let label = if v.status == Status::Fail {
            "root cause"
        } else {
            "warning"
        };
        let _ = writeln!(out, "  {label}: {} — {what}", rc.id.as_str());
        if let Some(h) = &rc.hint {
            let code = style::CODE;
            let _ = writeln!(out, "  fix: {code}{}{code:#}", h.replace('\n', "\n       "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Cause;
    use crate::check::CheckId;
    use crate::report::Target;
    use std::time::Duration;

    fn sample() -> Report {
        let mut t = Target::default();
        t.fact("host", "db.example.com");
        t.fact("service principal", "postgres/db.example.com@EXAMPLE.COM");
        Report::new(
            "doctor",
            t,
            vec![
                CheckResult::pass(CheckId::DbTcp, "connected to 127.0.10.3:5432"),
                CheckResult::fail(
                    CheckId::CcacheTgt,
                    Cause::NoCredentials,
                    "no ticket in FILE:/tmp/cc",
                )
                .with_hint("kinit alice@EXAMPLE.COM")
                .with_evidence("klist: no cache"),
            ],
            &[],
            Duration::from_millis(120),
        )
    }

    #[test]
    fn failure_carries_why_fix_and_see_without_colour_codes() {
        let text = render(&sample(), Options::default());
        let plain = anstream::adapter::strip_str(&text).to_string();
        assert!(plain.contains("✗ ccache.tgt"), "{plain}");
        assert!(plain.contains("why  there is no ticket"), "{plain}");
        assert!(plain.contains("fix  kinit alice@EXAMPLE.COM"), "{plain}");
        assert!(
            plain.contains("see  docs/failure-catalogue.md#no-credentials"),
            "{plain}"
        );
        assert!(
            plain.contains("FAILED: 1 passed, 0 warned, 1 failed, 0 skipped"),
            "{plain}"
        );
        assert!(plain.contains("root cause: ccache.tgt"), "{plain}");
        assert!(
            !plain.contains("klist: no cache"),
            "evidence only when verbose"
        );
        let verbose = render(
            &sample(),
            Options {
                verbose: true,
                ascii: true,
            },
        );
        assert!(verbose.contains("klist: no cache"));
        assert!(anstream::adapter::strip_str(&verbose)
            .to_string()
            .contains("XX ccache.tgt"));
    }

    #[test]
    fn target_is_stated_first() {
        let text = render(&sample(), Options::default());
        let plain = anstream::adapter::strip_str(&text).to_string();
        assert!(plain.starts_with("Target\n"));
        assert!(plain.contains("service principal  postgres/db.example.com@EXAMPLE.COM"));
    }
}
