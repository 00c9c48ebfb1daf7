//! Bounded AWS SDK clients and the reads that fill `state`. One attempt per call (a diagnosis
//! must not retry into a long wait), short connect and attempt timeouts, and no
//! instance-metadata probe unless this host is an EC2 instance: the default chain's IMDS probe
//! costs 1 s on every other machine. Errors are formatted with `DisplayErrorContext`.

use std::time::{Duration, SystemTime};

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_rds::config::ProvideCredentials;
use aws_sdk_rds::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::policy;
use super::state::{
    ApiError, ApiErrorKind, CredFacts, DirectoryFacts, Fetch, InstanceFacts, Membership, RoleFacts,
    TrustFacts,
};

/// No attempt gets less than this, however small the overall budget.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(300);
/// A TCP connect to an AWS endpoint that takes longer is dropped, not waited for.
pub const MAX_CONNECT: Duration = Duration::from_secs(2);

/// Time limits for one AWS API call (there is exactly one attempt).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub connect: Duration,
    pub attempt: Duration,
}

impl Bounds {
    /// Splits an overall budget: the reads run in at most three dependent rounds.
    pub fn within(total: Duration) -> Bounds {
        let attempt = (total / 3).max(MIN_ATTEMPT);
        Bounds {
            connect: attempt.min(MAX_CONNECT),
            attempt,
        }
    }
}

/// Is this host an EC2 instance (or an ECS/Lambda task, which use their own providers)? Read
/// from DMI, as cloud-init does; no network.
pub fn on_ec2() -> bool {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    read("/sys/devices/virtual/dmi/id/sys_vendor").trim() == "Amazon EC2"
        || read("/sys/devices/virtual/dmi/id/board_vendor").trim() == "Amazon EC2"
        || read("/sys/hypervisor/uuid").starts_with("ec2")
}

/// Whether the chain may ask the instance-metadata service, with the reason shown as evidence.
/// AWS_EC2_METADATA_DISABLED, when set, is obeyed either way.
fn imds_allowed() -> (bool, String) {
    match std::env::var("AWS_EC2_METADATA_DISABLED") {
        Ok(v) if v.eq_ignore_ascii_case("true") => (
            false,
            "instance metadata not asked (AWS_EC2_METADATA_DISABLED=true)".into(),
        ),
        Ok(v) if v.eq_ignore_ascii_case("false") => (
            true,
            "instance metadata asked (AWS_EC2_METADATA_DISABLED=false)".into(),
        ),
        _ if on_ec2() => (true, "instance metadata asked (this host is EC2)".into()),
        _ => (
            false,
            "instance metadata not asked: this host is not EC2 (set AWS_EC2_METADATA_DISABLED=false to force)".into(),
        ),
    }
}

/// The default chain's providers in its order, minus instance metadata off EC2. Walked by hand
/// (not through `CredentialsProviderChain`) so the report can name the one that answered.
fn providers(imds: bool) -> Vec<(&'static str, SharedCredentialsProvider)> {
    let mut v = vec![
        (
            "environment variables",
            SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
        ),
        (
            "profile",
            SharedCredentialsProvider::new(ProfileFileCredentialsProvider::builder().build()),
        ),
        (
            "web identity token",
            SharedCredentialsProvider::new(
                aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                    .build(),
            ),
        ),
        (
            "container credentials",
            SharedCredentialsProvider::new(
                aws_config::ecs::EcsCredentialsProvider::builder().build(),
            ),
        ),
    ];
    if imds {
        v.push((
            "instance metadata",
            SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
        ));
    }
    v
}

/// The first provider with credentials, as facts, plus the provider to sign with.
async fn resolve(imds: bool) -> (CredFacts, Option<SharedCredentialsProvider>) {
    let mut tried = Vec::new();
    for (name, p) in providers(imds) {
        match p.provide_credentials().await {
            Err(CredentialsError::CredentialsNotLoaded(_)) => tried.push(name),
            Err(e) => {
                return (
                    CredFacts::Error {
                        message: format!("{name}: {}", DisplayErrorContext(&e)),
                    },
                    None,
                )
            }
            Ok(c) => {
                let source = name.to_string();
                let facts = match c.expiry().map(|e| e.duration_since(SystemTime::now())) {
                    Some(Err(past)) => CredFacts::Expired {
                        source,
                        ago: past.duration(),
                    },
                    left => CredFacts::Found {
                        source,
                        key_id: mask(c.access_key_id()),
                        expires_in: left.and_then(Result::ok),
                    },
                };
                return (facts, Some(p));
            }
        }
    }
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    let tried = tried.join(", ").replace(
        "profile",
        &format!("profile {profile} in ~/.aws/config and ~/.aws/credentials"),
    );
    (CredFacts::Missing { tried }, None)
}

async fn region_from_config(imds: bool) -> Option<String> {
    let chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::builder().build());
    let chain = if imds {
        chain.or_else(aws_config::imds::region::ImdsRegionProvider::builder().build())
    } else {
        chain
    };
    chain.region().await.map(|r| r.to_string())
}

fn mask(key: &str) -> String {
    if key.len() <= 8 {
        return "****".into();
    }
    format!("{}…{}", &key[..4], &key[key.len() - 4..])
}

/// The credentials of an existing SDK configuration, as facts.
pub async fn credentials_of(config: &SdkConfig) -> CredFacts {
    let Some(p) = config.credentials_provider() else {
        return CredFacts::Missing {
            tried: "the SDK configuration given (it has no credentials provider)".into(),
        };
    };
    match p.provide_credentials().await {
        Ok(c) => CredFacts::Found {
            source: "the SDK configuration given".into(),
            key_id: mask(c.access_key_id()),
            expires_in: None,
        },
        Err(e) => CredFacts::Error {
            message: DisplayErrorContext(&e).to_string(),
        },
    }
}

/// A loaded SDK configuration and what was learnt on the way.
pub struct Session {
    pub credentials: CredFacts,
    pub imds_note: String,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Present when credentials and a Region were found.
    pub config: Option<SdkConfig>,
}

/// Finds credentials and a Region (no network unless on EC2 or a provider needs it: SSO, web
/// identity) and builds a bounded SDK config.
pub async fn session(region: Option<&str>, bounds: Bounds) -> Session {
    let (imds, imds_note) = imds_allowed();
    let region = match region {
        Some(r) => Some(r.to_string()),
        None => region_from_config(imds).await,
    };
    let endpoint_url = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let (credentials, provider) =
        match tokio::time::timeout(bounds.attempt * 2, resolve(imds)).await {
            Ok(r) => r,
            Err(_) => (
                CredFacts::Error {
                    message: format!(
                        "no answer from the credential providers within {} ms",
                        (bounds.attempt * 2).as_millis()
                    ),
                },
                None,
            ),
        };
    let config = match (&credentials, &region, provider) {
        (CredFacts::Found { .. }, Some(r), Some(chain)) => Some(
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(r.clone()))
                .credentials_provider(chain)
                .retry_config(RetryConfig::disabled())
                .timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(bounds.connect)
                        .read_timeout(bounds.attempt)
                        .operation_attempt_timeout(bounds.attempt)
                        .operation_timeout(bounds.attempt)
                        .build(),
                )
                .load()
                .await,
        ),
        _ => None,
    };
    Session {
        credentials,
        imds_note,
        region,
        endpoint_url,
        config,
    }
}

/// The three service clients of one session.
#[derive(Clone)]
pub struct Clients {
    pub rds: aws_sdk_rds::Client,
    pub ds: aws_sdk_directory::Client,
    pub iam: aws_sdk_iam::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Clients {
        Clients {
            rds: aws_sdk_rds::Client::new(config),
            ds: aws_sdk_directory::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
        }
    }
}

const NOT_FOUND: &[&str] = &[
    "DBInstanceNotFound",
    "DBInstanceNotFoundFault",
    "DBClusterNotFoundFault",
    "NoSuchEntity",
    "EntityDoesNotExistException",
    "DirectoryDoesNotExistException",
];
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnauthorizedException",
];
const REJECTED: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "IncompleteSignature",
    "AuthFailure",
    "InvalidSignatureException",
];
const EXPIRED: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
];

/// Classifies an AWS error code (and, for Directory Service's generic ClientException, the
/// "Rate exceeded" message it uses for throttling).
pub fn kind_of_code(code: &str, message: &str) -> ApiErrorKind {
    let is = |set: &[&str]| set.contains(&code);
    if is(NOT_FOUND) {
        ApiErrorKind::NotFound
    } else if is(DENIED) {
        ApiErrorKind::AccessDenied
    } else if is(REJECTED) {
        ApiErrorKind::CredentialsRejected
    } else if is(EXPIRED) {
        ApiErrorKind::CredentialsExpired
    } else if is(THROTTLED) || message.contains("Rate exceeded") {
        ApiErrorKind::Throttled
    } else {
        ApiErrorKind::Other
    }
}

/// An SDK error as a plain `ApiError`: service errors by code, transport failures by kind.
pub fn classify<E, R>(op: &'static str, err: &SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let context = Some(DisplayErrorContext(err).to_string());
    let text = chain(err);
    let e = match err {
        SdkError::TimeoutError(_) => ApiError::new(op, ApiErrorKind::Timeout, text),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            ApiError::new(op, ApiErrorKind::Timeout, text)
        }
        SdkError::DispatchFailure(_) => ApiError::new(op, ApiErrorKind::Unreachable, text),
        SdkError::ResponseError(_) => ApiError::new(op, ApiErrorKind::Other, text),
        _ => match err.code() {
            Some(code) => {
                let message = err.message().unwrap_or_default().to_string();
                ApiError::new(op, kind_of_code(code, &message), message).with_code(code)
            }
            None => ApiError::new(op, ApiErrorKind::Other, text),
        },
    };
    ApiError { context, ..e }
}

/// The error and its sources, Display only, deduplicated (hyper repeats itself).
fn chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn membership(m: &aws_sdk_rds::types::DomainMembership) -> Membership {
    Membership {
        domain: m.domain().unwrap_or_default().to_string(),
        status: m.status().unwrap_or_default().to_string(),
        fqdn: m.fqdn().map(str::to_string),
        iam_role_name: m.iam_role_name().map(str::to_string),
        ou: m.ou().map(str::to_string),
    }
}

fn pending(p: &aws_sdk_rds::types::PendingModifiedValues) -> Vec<String> {
    let mut v = Vec::new();
    let mut add = |k: &str, val: Option<String>| {
        if let Some(x) = val {
            v.push(format!("{k}={x}"));
        }
    };
    add("DBInstanceClass", p.db_instance_class().map(str::to_string));
    add("EngineVersion", p.engine_version().map(str::to_string));
    add("Port", p.port().map(|x| x.to_string()));
    add("MultiAZ", p.multi_az().map(|x| x.to_string()));
    add(
        "AllocatedStorage",
        p.allocated_storage().map(|x| x.to_string()),
    );
    add(
        "DBSubnetGroupName",
        p.db_subnet_group_name().map(str::to_string),
    );
    add(
        "CACertificateIdentifier",
        p.ca_certificate_identifier().map(str::to_string),
    );
    add(
        "IAMDatabaseAuthenticationEnabled",
        p.iam_database_authentication_enabled()
            .map(|x| x.to_string()),
    );
    if p.master_user_password().is_some() {
        v.push("MasterUserPassword=(masked)".into());
    }
    v
}

pub async fn instance(c: &Clients, id: &str) -> Fetch<InstanceFacts> {
    let op = "rds:DescribeDBInstances";
    match c
        .rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Err(e) => Fetch::Failed(classify(op, &e)),
        Ok(out) => match out.db_instances().first() {
            None => Fetch::Failed(
                ApiError::new(op, ApiErrorKind::NotFound, format!("no DB instance {id}"))
                    .with_code("DBInstanceNotFound"),
            ),
            Some(i) => Fetch::Got(InstanceFacts {
                id: i.db_instance_identifier().unwrap_or(id).to_string(),
                is_cluster: false,
                engine: i.engine().unwrap_or_default().to_string(),
                engine_version: i.engine_version().map(str::to_string),
                status: i.db_instance_status().unwrap_or_default().to_string(),
                endpoint: i.endpoint().and_then(|e| e.address()).map(str::to_string),
                vpc_id: i
                    .db_subnet_group()
                    .and_then(|g| g.vpc_id())
                    .map(str::to_string),
                memberships: i.domain_memberships().iter().map(membership).collect(),
                pending_modifications: i.pending_modified_values().map(pending).unwrap_or_default(),
                maintenance_window: i.preferred_maintenance_window().map(str::to_string),
                read_replicas: i.read_replica_db_instance_identifiers().to_vec(),
                cluster_members: Vec::new(),
                replica_source: i
                    .read_replica_source_db_instance_identifier()
                    .map(str::to_string),
            }),
        },
    }
}

/// An Aurora cluster (from a cluster endpoint): the membership lives on the cluster.
pub async fn cluster(c: &Clients, id: &str) -> Fetch<InstanceFacts> {
    let op = "rds:DescribeDBClusters";
    match c
        .rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Err(e) => Fetch::Failed(classify(op, &e)),
        Ok(out) => match out.db_clusters().first() {
            None => Fetch::Failed(
                ApiError::new(op, ApiErrorKind::NotFound, format!("no DB cluster {id}"))
                    .with_code("DBClusterNotFoundFault"),
            ),
            Some(k) => Fetch::Got(InstanceFacts {
                id: k.db_cluster_identifier().unwrap_or(id).to_string(),
                is_cluster: true,
                engine: k.engine().unwrap_or_default().to_string(),
                engine_version: k.engine_version().map(str::to_string),
                status: k.status().unwrap_or_default().to_string(),
                endpoint: k.endpoint().map(str::to_string),
                vpc_id: None,
                memberships: k.domain_memberships().iter().map(membership).collect(),
                pending_modifications: Vec::new(),
                maintenance_window: k.preferred_maintenance_window().map(str::to_string),
                read_replicas: Vec::new(),
                cluster_members: k
                    .db_cluster_members()
                    .iter()
                    .filter_map(|m| m.db_instance_identifier().map(str::to_string))
                    .collect(),
                replica_source: None,
            }),
        },
    }
}

pub async fn role(c: &Clients, name: &str) -> Fetch<RoleFacts> {
    let got = match c.iam.get_role().role_name(name).send().await {
        Err(e) => return Fetch::Failed(classify("iam:GetRole", &e)),
        Ok(out) => out.role,
    };
    let Some(r) = got else {
        return Fetch::Failed(ApiError::new(
            "iam:GetRole",
            ApiErrorKind::NotFound,
            format!("no role {name}"),
        ));
    };
    let mut facts = RoleFacts {
        name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        trust_policy: policy::decode(r.assume_role_policy_document().unwrap_or_default()),
        ..RoleFacts::default()
    };
    match c
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
    {
        Err(e) => return Fetch::Failed(classify("iam:ListAttachedRolePolicies", &e)),
        Ok(out) => {
            facts.attached = out
                .attached_policies()
                .iter()
                .map(|p| {
                    (
                        p.policy_name().unwrap_or_default().to_string(),
                        p.policy_arn().unwrap_or_default().to_string(),
                    )
                })
                .collect();
        }
    }
    if facts
        .attached
        .iter()
        .any(|(n, _)| n == policy::MANAGED_POLICY_NAME)
    {
        return Fetch::Got(facts);
    }
    // No managed policy: read the role's own policies to see whether they grant the same.
    match c.iam.list_role_policies().role_name(name).send().await {
        Err(e) => facts.unreadable.push(classify("iam:ListRolePolicies", &e)),
        Ok(out) => {
            for p in out.policy_names() {
                match c
                    .iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send()
                    .await
                {
                    Ok(doc) => facts
                        .documents
                        .push((p.clone(), policy::decode(doc.policy_document()))),
                    Err(e) => facts.unreadable.push(classify("iam:GetRolePolicy", &e)),
                }
            }
        }
    }
    for (n, arn) in facts.attached.clone() {
        if arn.contains(":aws:policy/") {
            continue;
        }
        match customer_policy(c, &arn).await {
            Ok(Some(doc)) => facts.documents.push((n, doc)),
            Ok(None) => {}
            Err(e) => facts.unreadable.push(e),
        }
    }
    Fetch::Got(facts)
}

/// The default version's document of a customer-managed policy, URL-decoded.
async fn customer_policy(c: &Clients, arn: &str) -> Result<Option<String>, ApiError> {
    let p = c
        .iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify("iam:GetPolicy", &e))?;
    let Some(v) = p.policy().and_then(|p| p.default_version_id()) else {
        return Ok(None);
    };
    let out = c
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(v)
        .send()
        .await
        .map_err(|e| classify("iam:GetPolicyVersion", &e))?;
    Ok(out
        .policy_version()
        .and_then(|v| v.document())
        .map(policy::decode))
}

pub fn directory_facts(d: &aws_sdk_directory::types::DirectoryDescription) -> DirectoryFacts {
    let owner = d.owner_directory_description();
    let vpc = d
        .vpc_settings()
        .or_else(|| owner.and_then(|o| o.vpc_settings()));
    let ips: Vec<&String> = if d.dns_ip_addrs().is_empty() {
        owner
            .map(|o| o.dns_ip_addrs().iter().collect())
            .unwrap_or_default()
    } else {
        d.dns_ip_addrs().iter().collect()
    };
    DirectoryFacts {
        id: d.directory_id().unwrap_or_default().to_string(),
        dns_name: d.name().unwrap_or_default().to_string(),
        short_name: d.short_name().map(str::to_string),
        dir_type: d
            .r#type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        edition: d.edition().map(|e| e.as_str().to_string()),
        stage: d
            .stage()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        stage_reason: d.stage_reason().map(str::to_string),
        dns_ips: ips.iter().filter_map(|s| s.parse().ok()).collect(),
        vpc_id: vpc.and_then(|v| v.vpc_id()).map(str::to_string),
        security_group: vpc.and_then(|v| v.security_group_id()).map(str::to_string),
        share_status: d.share_status().map(|s| s.as_str().to_string()),
        owner_account: owner.and_then(|o| o.account_id()).map(str::to_string),
        owner_directory_id: owner.and_then(|o| o.directory_id()).map(str::to_string),
    }
}

pub async fn directory(c: &Clients, id: &str) -> Fetch<DirectoryFacts> {
    let op = "ds:DescribeDirectories";
    match c.ds.describe_directories().directory_ids(id).send().await {
        Err(e) => Fetch::Failed(classify(op, &e)),
        Ok(out) => match out.directory_descriptions().first() {
            None => Fetch::Failed(
                ApiError::new(op, ApiErrorKind::NotFound, format!("no directory {id}"))
                    .with_code("EntityDoesNotExistException"),
            ),
            Some(d) => Fetch::Got(directory_facts(d)),
        },
    }
}

pub async fn trusts(c: &Clients, id: &str) -> Fetch<Vec<TrustFacts>> {
    match c.ds.describe_trusts().directory_id(id).send().await {
        Err(e) => Fetch::Failed(classify("ds:DescribeTrusts", &e)),
        Ok(out) => Fetch::Got(
            out.trusts()
                .iter()
                .map(|t| TrustFacts {
                    id: t.trust_id().unwrap_or_default().to_string(),
                    remote_domain: t.remote_domain_name().unwrap_or_default().to_string(),
                    state: t
                        .trust_state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    state_reason: t.trust_state_reason().map(str::to_string),
                    direction: t.trust_direction().map(|s| s.as_str().to_string()),
                    trust_type: t.trust_type().map(|s| s.as_str().to_string()),
                    selective_auth: t.selective_auth().map(|s| s.as_str().to_string()),
                })
                .collect(),
        ),
    }
}
