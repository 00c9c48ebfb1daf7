//! The palette, by meaning. No other file names a colour. anstream strips the codes when the
//! stream is not a terminal or NO_COLOR is set, so every line must read well without them.

use anstyle::{AnsiColor, Style};

use crate::check::Status;

pub const PASS: Style = AnsiColor::Green.on_default();
pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub const FAIL: Style = AnsiColor::Red.on_default().bold();
pub const SKIP: Style = Style::new().dimmed();
pub const DIM: Style = Style::new().dimmed();
pub const HEADING: Style = Style::new().bold();
pub const CODE: Style = AnsiColor::Cyan.on_default();

pub fn for_status(status: Status) -> Style {
    match status {
        Status::Pass => PASS,
        Status::Warn => WARN,
        Status::Fail => FAIL,
        Status::Skip => SKIP,
    }
}

/// Glyph per status, with an ASCII fallback for terminals that cannot show them.
pub fn glyph(status: Status, ascii: bool) -> &'static str {
    match (status, ascii) {
        (Status::Pass, false) => "✓",
        (Status::Warn, false) => "!",
        (Status::Fail, false) => "✗",
        (Status::Skip, false) => "-",
        (Status::Pass, true) => "ok",
        (Status::Warn, true) => "!!",
        (Status::Fail, true) => "XX",
        (Status::Skip, true) => "--",
    }
}
