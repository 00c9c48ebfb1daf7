//! `kerbrds checks` and `kerbrds explain [CODE]`: the public lists of check ids and causes.

use std::fmt::Write as _;

use crate::catalogue::Cause;
use crate::check::CheckId;
use crate::cli::{ExplainArgs, Format, OutputArgs};
use crate::exit;

pub fn checks(out: &OutputArgs) -> u8 {
    let text = match out.format {
        Format::Json => {
            let list: Vec<_> = CheckId::ALL
                .iter()
                .map(|c| serde_json::json!({"id": c.as_str(), "title": c.title()}))
                .collect();
            format!("{}\n", serde_json::Value::Array(list))
        }
        Format::Human => CheckId::ALL.iter().fold(String::new(), |mut s, c| {
            let _ = writeln!(s, "{:<24} {}", c.as_str(), c.title());
            s
        }),
    };
    super::write_stdout(&text);
    exit::OK
}

pub fn explain(args: &ExplainArgs) -> u8 {
    let causes: Vec<Cause> = match &args.code {
        None => Cause::ALL.to_vec(),
        Some(code) => match Cause::from_code(code) {
            Some(c) => vec![c],
            None => {
                super::error(
                    &format!("unknown cause code {code:?}"),
                    Some("kerbrds explain lists every code"),
                );
                return exit::CANNOT_RUN;
            }
        },
    };
    let text = match args.output.format {
        Format::Json => {
            let list: Vec<_> = causes
                .iter()
                .map(|c| serde_json::json!({"code": c.code(), "why": c.why(), "fix": c.fix(), "see": c.docs()}))
                .collect();
            format!("{}\n", serde_json::Value::Array(list))
        }
        Format::Human => causes.iter().fold(String::new(), |mut s, c| {
            let _ = writeln!(
                s,
                "{}\n  why  {}\n  fix  {}\n  see  {}",
                c.code(),
                c.why(),
                c.fix(),
                c.docs()
            );
            s
        }),
    };
    super::write_stdout(&text);
    exit::OK
}
