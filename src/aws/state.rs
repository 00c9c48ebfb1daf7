//! Plain facts read from AWS: no SDK types, so the judgement is table-tested without network
//! and without the `aws` feature. `sdk` fills these in; `judge` decides what they mean.

use std::net::IpAddr;
use std::time::Duration;

/// How an AWS API call failed, classified from the SDK error (error code first, then the
/// dispatch failure kind): the judge maps each kind to a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The object does not exist (DBInstanceNotFound, NoSuchEntity, EntityDoesNotExistException).
    NotFound,
    /// AccessDenied and friends: the caller lacks a permission.
    AccessDenied,
    /// The credentials were rejected (InvalidClientTokenId, SignatureDoesNotMatch, …).
    CredentialsRejected,
    /// The credentials have expired (ExpiredToken, RequestExpired).
    CredentialsExpired,
    /// Throttling, RequestLimitExceeded, TooManyRequests.
    Throttled,
    /// No response within the timeout.
    Timeout,
    /// The endpoint could not be reached (refused, DNS, TLS, reset).
    Unreachable,
    /// Anything else: the raw code and message are shown.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The call, e.g. `rds:DescribeDBInstances`.
    pub op: &'static str,
    pub kind: ApiErrorKind,
    /// The AWS error code when the service answered (`AccessDenied`).
    pub code: Option<String>,
    /// The message: the service's, or the chain of transport errors (no secrets in it).
    pub message: String,
    /// The SDK error formatted with `DisplayErrorContext` (full chain), shown as evidence.
    pub context: Option<String>,
}

impl ApiError {
    pub fn new(op: &'static str, kind: ApiErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            op,
            kind,
            code: None,
            message: message.into(),
            context: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// `rds:DescribeDBInstances: AccessDenied: User … is not authorized …`
    pub fn describe(&self) -> String {
        match &self.code {
            Some(c) => format!("{}: {c}: {}", self.op, self.message),
            None => format!("{}: {}", self.op, self.message),
        }
    }
}

/// The result of one read: got it, the call failed, or it was not attempted (and why).
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch<T> {
    Got(T),
    Failed(ApiError),
    NotAsked(String),
}

impl<T> Fetch<T> {
    pub fn got(&self) -> Option<&T> {
        match self {
            Fetch::Got(t) => Some(t),
            _ => None,
        }
    }
}

/// Where the credentials came from, or why there are none.
#[derive(Debug, Clone, PartialEq)]
pub enum CredFacts {
    Found {
        /// The provider that supplied them (Environment, Profile, WebIdentityToken, …).
        source: String,
        /// The access key id, masked to its first four and last four characters.
        key_id: String,
        /// Time left before they expire, for temporary credentials.
        expires_in: Option<Duration>,
    },
    /// Temporary credentials whose expiry has passed.
    Expired { source: String, ago: Duration },
    /// No provider in the chain had credentials; `tried` lists what was looked at.
    Missing { tried: String },
    /// A provider failed (SSO token expired, credential_process error, timeout).
    Error { message: String },
    /// The binary was built without the `aws` feature.
    NotBuilt,
}

impl CredFacts {
    /// Why these credentials cannot be used, in words (None when they can).
    pub fn problem(&self) -> Option<String> {
        match self {
            CredFacts::Found { .. } => None,
            CredFacts::Expired { source, ago } => Some(format!(
                "the credentials from {source} expired {} s ago",
                ago.as_secs()
            )),
            CredFacts::Missing { tried } => Some(format!("none found (looked at: {tried})")),
            CredFacts::Error { message } => Some(message.clone()),
            CredFacts::NotBuilt => Some("built without the `aws` feature".into()),
        }
    }
}

/// One `DomainMemberships` entry of a DB instance or cluster.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Membership {
    /// The directory id (`d-…`), or the domain name for self-managed AD.
    pub domain: String,
    pub status: String,
    pub fqdn: Option<String>,
    pub iam_role_name: Option<String>,
    pub ou: Option<String>,
}

/// A DB instance (or, for an Aurora cluster endpoint, the cluster) as RDS describes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceFacts {
    pub id: String,
    /// True when `id` names an Aurora cluster (from a cluster endpoint).
    pub is_cluster: bool,
    pub engine: String,
    pub engine_version: Option<String>,
    pub status: String,
    pub endpoint: Option<String>,
    pub vpc_id: Option<String>,
    pub memberships: Vec<Membership>,
    /// Fields set in PendingModifiedValues (`DBInstanceClass=db.r6g.large`): they wait for a
    /// reboot or the maintenance window, like a pending domain join.
    pub pending_modifications: Vec<String>,
    pub maintenance_window: Option<String>,
    /// Replicas of this instance (each has its own membership).
    pub read_replicas: Vec<String>,
    /// For an Aurora cluster: its DB instances (a cluster is rebooted instance by instance).
    pub cluster_members: Vec<String>,
    /// Set when this instance is itself a replica.
    pub replica_source: Option<String>,
}

impl InstanceFacts {
    /// The membership that matters for Kerberos with AWS Managed AD: one naming a directory
    /// id, else the first.
    pub fn membership(&self) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.domain.starts_with("d-"))
            .or_else(|| self.memberships.first())
    }
}

/// The IAM role RDS uses to reach the directory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleFacts {
    pub name: String,
    pub arn: String,
    /// The trust policy, already URL-decoded (IAM returns it percent-encoded).
    pub trust_policy: String,
    /// Attached managed policies: (name, ARN).
    pub attached: Vec<(String, String)>,
    /// Policy documents (inline and customer-managed attached), URL-decoded: (name, document).
    pub documents: Vec<(String, String)>,
    /// Reads of those policies that failed (access denied …): the judgement is then uncertain.
    pub unreadable: Vec<ApiError>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrustFacts {
    pub id: String,
    pub remote_domain: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub direction: Option<String>,
    pub trust_type: Option<String>,
    pub selective_auth: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectoryFacts {
    pub id: String,
    /// The directory's DNS name (`corp.example.com`); the realm is this in upper case.
    pub dns_name: String,
    pub short_name: Option<String>,
    /// MicrosoftAD, SharedMicrosoftAD, ADConnector, SimpleAD.
    pub dir_type: String,
    pub edition: Option<String>,
    /// Requested, Creating, Created, Active, Inoperable, Impaired, Restoring, RestoreFailed,
    /// Deleting, Deleted, Failed.
    pub stage: String,
    pub stage_reason: Option<String>,
    pub dns_ips: Vec<IpAddr>,
    pub vpc_id: Option<String>,
    pub security_group: Option<String>,
    /// For a directory shared from another account: Shared, PendingAcceptance, Rejected, …
    pub share_status: Option<String>,
    pub owner_account: Option<String>,
    pub owner_directory_id: Option<String>,
}

impl DirectoryFacts {
    pub fn realm(&self) -> String {
        self.dns_name.to_ascii_uppercase()
    }
}

/// Everything `aws status` read, in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsFacts {
    pub region: Option<String>,
    /// AWS_ENDPOINT_URL when set (a mock, a VPC endpoint).
    pub endpoint_url: Option<String>,
    pub credentials: CredFacts,
    /// Whether the instance-metadata service was consulted, and why (or why not).
    pub imds_note: String,
    pub instance: Fetch<InstanceFacts>,
    pub replicas: Vec<Fetch<InstanceFacts>>,
    pub role: Fetch<RoleFacts>,
    pub directory: Fetch<DirectoryFacts>,
    pub trusts: Fetch<Vec<TrustFacts>>,
    /// How long each read took, for the results' elapsed times.
    pub timings: Timings,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timings {
    pub credentials: Duration,
    pub instance: Duration,
    pub role: Duration,
    pub directory: Duration,
}

impl AwsFacts {
    /// Facts for a run that cannot read anything: every read is `NotAsked(reason)`.
    pub fn unread(credentials: CredFacts, reason: &str) -> Self {
        AwsFacts {
            region: None,
            endpoint_url: None,
            credentials,
            imds_note: String::new(),
            instance: Fetch::NotAsked(reason.to_string()),
            replicas: Vec::new(),
            role: Fetch::NotAsked(reason.to_string()),
            directory: Fetch::NotAsked(reason.to_string()),
            trusts: Fetch::NotAsked(reason.to_string()),
            timings: Timings::default(),
        }
    }
}
