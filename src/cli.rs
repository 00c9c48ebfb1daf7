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
    /// Kerberos logins in PostgreSQL (step 7): create, list and drop "user@REALM" roles as the master user.
    Login(LoginArgs),
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

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(subcommand)]
    pub action: LoginAction,
}

#[derive(Debug, Subcommand)]
pub enum LoginAction {
    /// CREATE USER "user@REALM" WITH LOGIN; GRANT rds_ad TO it, in one transaction; re-running is a no-op.
    Create(LoginChangeArgs),
    /// Every role that looks like a Kerberos principal, with its problems flagged.
    List(LoginListArgs),
    /// DROP ROLE "user@REALM" for each name; a name that does not exist is a no-op.
    Drop(LoginChangeArgs),
}

/// `-h` is the host (as in psql), so help is `--help` only.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct LoginChangeArgs {
    #[command(flatten)]
    pub conn: crate::pgconn::ConnArgs,
    /// Kerberos logins as user@REALM (realm in upper case). A first argument that is a
    /// connection string (key=value or postgresql:// URI) is taken as the connection instead.
    #[arg(value_name = "USER@REALM")]
    pub names: Vec<String>,
    /// Upper-case the realm of each name instead of rejecting a lower-case one.
    #[arg(long)]
    pub normalize_realm: bool,
    /// Read the current state and print the exact SQL that would run, without running it.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct LoginListArgs {
    #[command(flatten)]
    pub conn: crate::pgconn::ConnArgs,
    /// A realm logins may belong to (repeatable). Default: [realms] and default_realm of krb5.conf.
    #[arg(long = "realm", value_name = "REALM")]
    pub realms: Vec<String>,
    /// A principal users really get (as klist shows it; repeatable): flags logins differing only in case.
    #[arg(long = "principal", value_name = "USER@REALM")]
    pub principals: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}
