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
    /// Run every check, from krb5.conf to AWS state, at once; end in one verdict with the root
    /// cause and its fix. Read-only.
    Doctor(DoctorArgs),
    /// Probe the network path by protocol: DNS 53, Kerberos 88, kpasswd 464 (UDP and TCP) and
    /// the DB port (TCP, SSLRequest, GSSENCRequest). Only a protocol answer counts.
    Probe(ProbeArgs),
    /// Log in to PostgreSQL over Kerberos like psql (GSSAPI, gssencmode/sslmode as libpq) and
    /// report who you are and how the channel is protected; -c runs one statement like psql -Atc.
    Connect(ConnectArgs),
    /// krb5.conf for RDS logins (step 8): check an existing one, or generate a correct one.
    Krb5conf(Krb5confArgs),
    /// Kerberos logins in PostgreSQL (step 7): create, list and drop "user@REALM" roles as the master user.
    Login(LoginArgs),
    /// AWS: read back the DB instance's domain membership, IAM role and directory, or set them up.
    Aws(AwsArgs),
    /// List the checks kerbrds runs, with their stable ids.
    Checks(OutputArgs),
    /// Explain a failure code from the catalogue (why it happens, how to fix it); all if none.
    Explain(ExplainArgs),
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
pub struct AwsArgs {
    #[command(subcommand)]
    pub command: AwsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Read back the instance's domain membership, its IAM role and the directory (aws.* checks).
    Status(AwsStatusArgs),
    /// Carry out a set-up step: directory, trust, role, share, join.
    Setup(AwsSetupArgs),
}

#[derive(Debug, Args)]
pub struct AwsStatusArgs {
    /// The RDS endpoint name the clients use (the instance and Region are taken from it).
    pub endpoint: Option<String>,
    /// The DB instance identifier (instead of an endpoint name).
    #[arg(long)]
    pub instance: Option<String>,
    /// The AWS Region (default: from the endpoint name, else the AWS configuration).
    #[arg(long)]
    pub region: Option<String>,
    /// The realm the clients use, compared with the directory's DNS name.
    #[arg(long)]
    pub realm: Option<String>,
    /// Overall time limit in seconds for the AWS reads.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct AwsSetupArgs {
    #[command(subcommand)]
    pub step: SetupStep,
    /// Print each AWS API call and its parameters (secrets masked) without calling AWS.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The AWS Region (default: the AWS configuration).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// How long to wait for the result (Stage Active, kerberos-enabled), in seconds; 0: do not wait.
    #[arg(long, global = true, default_value_t = 1800.0)]
    pub wait: f64,
}

#[derive(Debug, Subcommand)]
pub enum SetupStep {
    /// Step 1: create an AWS Managed Microsoft AD (password from KERBRDS_AD_PASSWORD or a prompt).
    Directory(SetupDirectoryArgs),
    /// Step 2: create a forest trust to an on-premises domain (password from KERBRDS_TRUST_PASSWORD or a prompt).
    Trust(SetupTrustArgs),
    /// Step 3: create the IAM role RDS uses and attach AmazonRDSDirectoryServiceAccess.
    Role(SetupRoleArgs),
    /// Step 5: share the directory with the DB's account.
    Share(SetupShareArgs),
    /// Step 6: join the DB instance to the directory and reboot it.
    Join(SetupJoinArgs),
}

#[derive(Debug, Args)]
pub struct SetupDirectoryArgs {
    /// The directory's DNS name (the realm is this in upper case), e.g. corp.example.com.
    #[arg(long)]
    pub name: String,
    /// NetBIOS name (default: the first label, upper case).
    #[arg(long)]
    pub short_name: Option<String>,
    /// Standard or Enterprise.
    #[arg(long, default_value = "Standard")]
    pub edition: String,
    /// The VPC for the domain controllers.
    #[arg(long)]
    pub vpc: String,
    /// Two subnets in different Availability Zones, comma-separated.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub subnets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SetupTrustArgs {
    /// The managed directory (d-…).
    #[arg(long)]
    pub directory: String,
    /// The on-premises domain's DNS name, e.g. onprem.example.com.
    #[arg(long)]
    pub remote_domain: String,
    /// One-Way: Outgoing (the managed AD trusts on-prem: on-prem users log in to RDS), One-Way: Incoming, Two-Way.
    #[arg(long, default_value = "One-Way: Outgoing")]
    pub direction: String,
    /// The on-premises DNS servers, for the conditional forwarder (comma-separated).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub dns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SetupRoleArgs {
    #[arg(long, default_value = "rds-directoryservice-kerberos-access-role")]
    pub role_name: String,
}

#[derive(Debug, Args)]
pub struct SetupShareArgs {
    /// The directory to share (d-…), in its owner account.
    #[arg(long)]
    pub directory: String,
    /// The AWS account id of the DB.
    #[arg(long)]
    pub account: String,
}

#[derive(Debug, Args)]
pub struct SetupJoinArgs {
    /// The DB instance identifier.
    #[arg(long)]
    pub instance: String,
    /// The directory (d-…).
    #[arg(long)]
    pub directory: String,
    /// The IAM role created by `setup role`.
    #[arg(long, default_value = "rds-directoryservice-kerberos-access-role")]
    pub role: String,
    /// Do not reboot: the join is then applied in the next maintenance window.
    #[arg(long)]
    pub no_reboot: bool,
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
    /// Kerberos logins as user@REALM (realm in upper case). An argument that is a connection
    /// string (key=value or postgresql:// URI) is the connection instead; a database goes with -d.
    #[arg(value_name = "USER@REALM")]
    pub names: Vec<String>,
    /// Upper-case the realm of each name. Without it, create rejects a realm that is not upper
    /// case and drop takes the name verbatim (so logins with a wrong realm can be removed).
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
#[command(disable_help_flag = true)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub conn: crate::pgconn::ConnArgs,
    #[command(flatten)]
    pub net: NetworkArgs,
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
    /// Apply the fixes to the (main) file: written atomically, the old file backed up.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: show the diff instead of writing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct Krb5confGenerateArgs {
    /// The managed directory's realm (its DNS name, e.g. CORP.EXAMPLE.COM).
    #[arg(long, required_unless_present = "directory_id")]
    pub realm: Option<String>,
    /// Read the realm and the domain controllers' addresses (DnsIpAddrs) from this AWS
    /// Managed Microsoft AD directory (d-…); --realm and --kdc override what it says.
    #[arg(long)]
    pub directory_id: Option<String>,
    /// The AWS Region of --directory-id (default: the AWS configuration).
    #[arg(long, requires = "directory_id")]
    pub region: Option<String>,
    /// A KDC (domain controller) of the realm, host or address; repeatable. Default: the
    /// directory's addresses with --directory-id, else its DNS name.
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

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub conn: crate::pgconn::ConnArgs,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// The DB instance identifier (default: taken from an RDS endpoint name).
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// AWS Region (default: from the endpoint name, else the AWS configuration).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Skip the AWS checks.
    #[arg(long)]
    pub no_aws: bool,
    /// The RDS master user: when a login falls through to a password, read the login role's
    /// state (exists, rds_ad, LOGIN) as this user. Password from PGPASSWORD or ~/.pgpass only.
    #[arg(long, value_name = "USER")]
    pub master_user: Option<String>,
    /// Also write a support bundle (report, krb5.conf, versions, environment, Kerberos trace;
    /// secrets redacted) to FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// The network inputs `probe` and `doctor` share.
#[derive(Debug, Clone, Args)]
pub struct NetworkArgs {
    /// Seconds each check may wait (all checks run at once, so this bounds the whole run).
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    pub timeout: f64,
    /// DNS server to query instead of /etc/resolv.conf's (repeatable).
    #[arg(long = "dns-server", value_name = "IP")]
    pub dns_servers: Vec<std::net::IpAddr>,
    /// Kerberos realm (default: the user's @REALM, else default_realm in krb5.conf).
    #[arg(long, value_name = "REALM")]
    pub realm: Option<String>,
    /// KDC to probe, HOST[:PORT] (repeatable; default: the realm's kdc lines in krb5.conf, plus SRV records).
    #[arg(long = "kdc", value_name = "HOST[:PORT]")]
    pub kdcs: Vec<String>,
}
