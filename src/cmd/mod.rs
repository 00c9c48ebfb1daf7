//! One file per subcommand. Each returns an exit code (see `crate::exit`); only this layer and
//! the renderers write to stdout/stderr.

pub mod aws;
pub mod connect;
pub mod doctor;
pub mod explain;
pub mod krb5conf;
pub mod login;
pub mod probe;

use std::io::Write;

use crate::cli::{Command, Format, OutputArgs};
use crate::report::{human, json, Report};

pub fn run(command: Command) -> u8 {
    match command {
        Command::Checks(out) => explain::checks(&out),
        Command::Doctor(args) => doctor::run(&args),
        Command::Explain(args) => explain::explain(&args),
        Command::Connect(args) => connect::run(&args),
        Command::Aws(args) => aws::run(args),
        Command::Login(args) => login::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Krb5conf(args) => krb5conf::run(args),
    }
}

/// Writes a finished report to stdout in the chosen format. A closed pipe is not an error.
pub fn emit(report: &Report, out: &OutputArgs) {
    let text = match out.format {
        Format::Json => json::render(report),
        Format::Human => human::render(
            report,
            human::Options {
                verbose: out.verbose,
                ascii: out.ascii,
            },
        ),
    };
    write_stdout(&text);
}

pub fn write_stdout(text: &str) {
    let mut stdout = anstream::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// The async runtime every command runs on: two workers (GSS and getaddrinfo calls run on
/// blocking threads beside them). On failure the error is printed and the exit code returned.
pub fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            error(&format!("cannot start the async runtime: {e}"), None);
            crate::exit::CANNOT_RUN
        })
}

/// A one-line notice on stderr (`kerbrds: …`), for what is not part of the report.
pub fn note(message: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = writeln!(stderr, "kerbrds: {message}");
}

/// `kerbrds: error: …` then `hint: …` on stderr, for problems that stop kerbrds before checks.
pub fn error(message: &str, hint: Option<&str>) {
    let mut stderr = anstream::stderr().lock();
    let fail = crate::report::style::FAIL;
    let _ = writeln!(stderr, "kerbrds: {fail}error{fail:#}: {message}");
    if let Some(h) = hint {
        let _ = writeln!(stderr, "hint: {h}");
    }
}
