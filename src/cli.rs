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
    /// Kerberos logins in PostgreSQL (step 7): create, list and drop "user@REALM" roles as the master user.
    Login(LoginArgs),
    /// krb5.conf for RDS logins (step 8): check an existing one, or generate a correct one.
    Krb5conf(Krb5confArgs),
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

#[derive(Debug, Args)]
pub struct Krb5confArgs {
    #[command(subcommand)]
    pub action: Krb5confAction,
}

#[derive(Debug, Subcommand)]
pub enum Krb5confAction {
    /// Check a krb5.conf (default: the files of KRB5_CONFIG, else /etc/krb5.conf) and predict
    /// the service principal libpq will ask for.
    Check(Krb5confCheckArgs),
    /// Write a krb5.conf for the managed directory (and an on-prem realm that it trusts).
    Generate(Krb5confGenerateArgs),
}

#[derive(Debug, Args)]
pub struct Krb5confCheckArgs {
    /// The file to check instead of KRB5_CONFIG / /etc/krb5.conf.
    pub file: Option<std::path::PathBuf>,
    /// The DB endpoint libpq connects to: predicts its service principal and realm.
    #[arg(long)]
    pub host: Option<String>,
    /// libpq's Kerberos service name.
    #[arg(long, env = "PGKRBSRVNAME", default_value = "postgres")]
    pub krbsrvname: String,
    /// The managed directory's realm, when it is not the default realm.
    #[arg(long)]
    pub realm: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct Krb5confGenerateArgs {
    /// The managed directory's realm (its DNS name, e.g. CORP.EXAMPLE.COM).
    #[arg(long)]
    pub realm: String,
    /// A KDC (domain controller) of the realm, host or address; repeatable. Default: the
    /// directory's DNS name.
    #[arg(long = "kdc")]
    pub kdcs: Vec<String>,
    /// The realm's admin server (kpasswd). Default: the first KDC.
    #[arg(long)]
    pub admin_server: Option<String>,
    /// The on-premises AD realm that the managed directory trusts.
    #[arg(long)]
    pub onprem_realm: Option<String>,
    /// A KDC of the on-prem realm; repeatable.
    #[arg(long = "onprem-kdc", requires = "onprem_realm")]
    pub onprem_kdcs: Vec<String>,
    /// The on-prem realm's admin server.
    #[arg(long, requires = "onprem_realm")]
    pub onprem_admin_server: Option<String>,
    /// A DB endpoint: adds the [domain_realm] entry that covers it; repeatable.
    #[arg(long = "db-host")]
    pub db_hosts: Vec<String>,
    /// Also map RDS endpoints of the AWS China regions (.amazonaws.com.cn).
    #[arg(long)]
    pub china: bool,
    /// Write to FILE (atomically; an existing file is backed up) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub out_file: Option<std::path::PathBuf>,
    /// Replace FILE when it exists and differs.
    #[arg(long)]
    pub force: bool,
    /// Show what would change in FILE (a diff) without writing.
    #[arg(long, requires = "out_file")]
    pub dry_run: bool,
}
