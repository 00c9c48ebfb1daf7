use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kerbrds::cli::Cli::parse();
    ExitCode::from(kerbrds::cmd::run(cli.command))
}
