//! Command-line definitions. Subcommands appear here when they work.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kerbrds",
    version,
    about = "Kerberos login to Amazon RDS for PostgreSQL with AWS Managed Microsoft AD: set it up, and say exactly why it fails",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the checks kerbrds runs, with their stable ids.
    Checks(OutputArgs),
    /// Explain a failure code from the catalogue (why it happens, how to fix it); all if none.
    Explain(ExplainArgs),
    /// Log in to PostgreSQL over Kerberos like psql (GSSAPI, gssencmode/sslmode as libpq) and
    /// report who you are and how the channel is protected; -c runs one statement like psql -Atc.
    Connect(ConnectArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Args, Default)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Show the evidence behind each result.
    #[arg(short, long)]
    pub verbose: bool,
    /// ASCII status markers instead of ✓ ! ✗ -.
    #[arg(long)]
    pub ascii: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A cause code such as kdc-timeout (as shown in reports and JSON).
    pub code: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
// `-h` is the host, as in psql; help stays on --help.
#[command(disable_help_flag = true)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub conn: crate::pgconn::ConnArgs,
    /// Run one command (SQL) and print its rows unaligned, `|`-separated, like psql -Atc.
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub command: Option<String>,
    /// Output format of the session summary (with -c: rows as JSON arrays).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Give up after this many seconds (libpq's connect_timeout, when set, is also honoured).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}
