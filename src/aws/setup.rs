//! `kerbrds aws setup`: the AWS set-up steps (1 directory, 2 trust, 3 role, 5 share, 6 join) as
//! thin, idempotent sequences of SDK calls. Each step first looks for what already exists and
//! reuses it; every call is announced through `Event`s (the command prints them, secrets
//! masked); `dry_run` announces the calls and makes none, so it needs no credentials.

use std::time::{Duration, Instant};

use aws_sdk_directory::types::{
    DirectoryEdition, DirectoryVpcSettings, ShareMethod, ShareTarget, TargetType, TrustDirection,
    TrustType,
};

use super::endpoint::partition_of;
use super::policy;
use super::sdk::{classify, directory_facts, Clients};
use super::state::{ApiError, Fetch};

/// What a step reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An API call about to be made (or, in a dry run, that would be made). Secrets are masked.
    Call {
        api: &'static str,
        params: Vec<(&'static str, String)>,
    },
    /// Something that already exists and is reused.
    Reused(String),
    /// A finished change.
    Done(String),
    /// A wait in progress: what, its current state, elapsed, limit.
    Waiting {
        what: String,
        state: String,
        elapsed: Duration,
        limit: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub dry_run: bool,
    /// Longest wait for Stage Active / Verified / kerberos-enabled; zero: do not wait.
    pub wait: Duration,
    pub poll: Duration,
}

/// Why a step stopped; `hint` is the next thing to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupError {
    pub message: String,
    pub hint: Option<String>,
}

impl SetupError {
    fn new(message: impl Into<String>, hint: Option<String>) -> Self {
        SetupError {
            message: message.into(),
            hint,
        }
    }
}

impl From<ApiError> for SetupError {
    fn from(e: ApiError) -> Self {
        let hint = match e.kind {
            super::state::ApiErrorKind::AccessDenied => {
                Some(format!("the caller needs permission for {}", e.op))
            }
            _ => None,
        };
        SetupError::new(e.describe(), hint)
    }
}

pub type Sink<'a> = &'a mut dyn FnMut(Event);

fn fetched<T>(f: Fetch<T>) -> Result<T, SetupError> {
    match f {
        Fetch::Got(t) => Ok(t),
        Fetch::Failed(e) => Err(e.into()),
        Fetch::NotAsked(w) => Err(SetupError::new(w, None)),
    }
}

pub const MASK: &str = "********";

/// AWS Managed Microsoft AD's rules for the Admin password (CreateMicrosoftAD): 8–64
/// characters, three of lower case, upper case, digits and other characters, and not the word
/// "admin". Checked before calling AWS so a typo costs nothing.
pub fn check_ad_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if !(8..=64).contains(&n) {
        return Err(format!("the password has {n} characters; it needs 8 to 64"));
    }
    let classes = [
        pw.chars().any(|c| c.is_ascii_lowercase()),
        pw.chars().any(|c| c.is_ascii_uppercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars()
            .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Err(
            "the password needs characters from three of: lower case, upper case, digits, other characters"
                .into(),
        );
    }
    if pw.to_ascii_lowercase().contains("admin") {
        return Err("the password must not contain the word \"admin\"".into());
    }
    Ok(())
}

/// A forest trust password: 1–128 printable characters (CreateTrust).
pub fn check_trust_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n == 0 || n > 128 || pw.chars().any(char::is_control) {
        return Err("the trust password needs 1 to 128 printable characters".into());
    }
    Ok(())
}

/// A directory DNS name as CreateMicrosoftAD accepts it (`corp.example.com`).
pub fn check_domain_name(name: &str) -> Result<(), String> {
    let labels: Vec<&str> = name.split('.').collect();
    let ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a DNS domain name such as corp.example.com"
        ))
    }
}

fn call(sink: Sink<'_>, api: &'static str, params: &[(&'static str, &str)]) {
    sink(Event::Call {
        api,
        params: params.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
    });
}

/// Polls `probe` until it says done (Ok(true)), fails, or the limit passes.
async fn wait_for<F, Fut>(
    what: &str,
    opts: &Options,
    sink: Sink<'_>,
    mut probe: F,
) -> Result<(), SetupError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(bool, String), SetupError>>,
{
    if opts.wait.is_zero() || opts.dry_run {
        return Ok(());
    }
    let start = Instant::now();
    loop {
        let (done, state) = probe().await?;
        let elapsed = start.elapsed();
        sink(Event::Waiting {
            what: what.to_string(),
            state: state.clone(),
            elapsed,
            limit: opts.wait,
        });
        if done {
            return Ok(());
        }
        if elapsed + opts.poll > opts.wait {
            return Err(SetupError::new(
                format!(
                    "gave up waiting for {what} after {} s (still {state})",
                    elapsed.as_secs()
                ),
                Some("re-run the same command later: it picks up where it stopped".into()),
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}

pub struct DirectorySpec<'a> {
    pub name: &'a str,
    pub short_name: Option<&'a str>,
    pub edition: &'a str,
    pub vpc: &'a str,
    pub subnets: &'a [String],
    pub password: &'a str,
}

/// Step 1: an AWS Managed Microsoft AD named `spec.name`, created unless one exists. Returns
/// its id.
pub async fn directory(
    c: Option<&Clients>,
    spec: &DirectorySpec<'_>,
    opts: &Options,
    sink: Sink<'_>,
) -> Result<String, SetupError> {
    check_domain_name(spec.name).map_err(|e| SetupError::new(e, None))?;
    check_ad_password(spec.password).map_err(|e| {
        SetupError::new(
            e,
            Some("choose another password in KERBRDS_AD_PASSWORD".into()),
        )
    })?;
    let short = spec.short_name.map_or_else(
        || {
            spec.name
                .split('.')
                .next()
                .unwrap_or("")
                .to_ascii_uppercase()
        },
        str::to_string,
    );
    let subnets = spec.subnets.join(",");
    let create = [
        ("Name", spec.name),
        ("ShortName", short.as_str()),
        ("Password", MASK),
        ("Edition", spec.edition),
        ("VpcSettings.VpcId", spec.vpc),
        ("VpcSettings.SubnetIds", subnets.as_str()),
    ];
    call(sink, "ds:DescribeDirectories", &[]);
    let c = match (c, opts.dry_run) {
        (Some(c), false) => c,
        _ => {
            call(sink, "ds:CreateMicrosoftAD", &create);
            return Ok("d-(new)".into());
        }
    };
    let existing =
        c.ds.describe_directories()
            .send()
            .await
            .map_err(|e| classify("ds:DescribeDirectories", &e))?;
    let found = existing
        .directory_descriptions()
        .iter()
        .map(directory_facts)
        .find(|d| d.dns_name.eq_ignore_ascii_case(spec.name));
    let id = match found {
        Some(d) if d.dir_type != "MicrosoftAD" => {
            return Err(SetupError::new(
                format!(
                    "{} already exists as {} ({}), not as a Managed Microsoft AD",
                    spec.name, d.id, d.dir_type
                ),
                Some("pick another DNS name, or delete that directory first".into()),
            ))
        }
        Some(d) => {
            sink(Event::Reused(format!(
                "directory {} {} (stage {})",
                d.id, d.dns_name, d.stage
            )));
            d.id
        }
        None => {
            if spec.subnets.len() != 2 {
                return Err(SetupError::new(
                    format!("{} subnet(s) given; a Managed AD needs exactly two, in different Availability Zones", spec.subnets.len()),
                    Some("--subnets subnet-aaa,subnet-bbb".into()),
                ));
            }
            call(sink, "ds:CreateMicrosoftAD", &create);
            let vpc = DirectoryVpcSettings::builder()
                .vpc_id(spec.vpc)
                .set_subnet_ids(Some(spec.subnets.to_vec()))
                .build()
                .map_err(|e| SetupError::new(e.to_string(), None))?;
            let out =
                c.ds.create_microsoft_ad()
                    .name(spec.name)
                    .short_name(&short)
                    .password(spec.password)
                    .edition(DirectoryEdition::from(spec.edition))
                    .vpc_settings(vpc)
                    .send()
                    .await
                    .map_err(|e| classify("ds:CreateMicrosoftAD", &e))?;
            let id = out.directory_id().unwrap_or_default().to_string();
            sink(Event::Done(format!("created directory {id} {}", spec.name)));
            id
        }
    };
    let what = format!("directory {id} to become Active");
    wait_for(&what, opts, sink, || async {
        let d = fetched(super::sdk::directory(c, &id).await)?;
        match d.stage.as_str() {
            "Active" => Ok((true, d.stage)),
            "Failed" | "Inoperable" | "Impaired" | "Deleted" | "Deleting" => Err(SetupError::new(
                format!(
                    "directory {id} is {}: {}",
                    d.stage,
                    d.stage_reason.unwrap_or_default()
                ),
                Some(
                    "see the StageReason; delete and recreate, or open an AWS support case".into(),
                ),
            )),
            _ => Ok((false, d.stage)),
        }
    })
    .await?;
    Ok(id)
}

pub struct TrustSpec<'a> {
    pub directory: &'a str,
    pub remote_domain: &'a str,
    pub direction: &'a str,
    pub dns: &'a [String],
    pub password: &'a str,
}

/// Step 2: a forest trust from the managed directory to the on-prem domain. Returns its id.
pub async fn trust(
    c: Option<&Clients>,
    spec: &TrustSpec<'_>,
    opts: &Options,
    sink: Sink<'_>,
) -> Result<String, SetupError> {
    check_domain_name(spec.remote_domain).map_err(|e| SetupError::new(e, None))?;
    check_trust_password(spec.password).map_err(|e| SetupError::new(e, None))?;
    let direction = TrustDirection::from(spec.direction);
    if !TrustDirection::values().contains(&spec.direction) {
        return Err(SetupError::new(
            format!("unknown trust direction {:?}", spec.direction),
            Some("use \"One-Way: Outgoing\", \"One-Way: Incoming\" or \"Two-Way\"".into()),
        ));
    }
    let dns = spec.dns.join(",");
    let params = [
        ("DirectoryId", spec.directory),
        ("RemoteDomainName", spec.remote_domain),
        ("TrustPassword", MASK),
        ("TrustDirection", spec.direction),
        ("TrustType", "Forest"),
        ("ConditionalForwarderIpAddrs", dns.as_str()),
    ];
    call(
        sink,
        "ds:DescribeTrusts",
        &[("DirectoryId", spec.directory)],
    );
    let c = match (c, opts.dry_run) {
        (Some(c), false) => c,
        _ => {
            call(sink, "ds:CreateTrust", &params);
            return Ok("t-(new)".into());
        }
    };
    let existing = fetched(super::sdk::trusts(c, spec.directory).await)?;
    let id = if let Some(t) = existing
        .iter()
        .find(|t| t.remote_domain.eq_ignore_ascii_case(spec.remote_domain))
    {
        sink(Event::Reused(format!(
            "trust {} to {} (state {})",
            t.id, t.remote_domain, t.state
        )));
        t.id.clone()
    } else {
        call(sink, "ds:CreateTrust", &params);
        let mut req =
            c.ds.create_trust()
                .directory_id(spec.directory)
                .remote_domain_name(spec.remote_domain)
                .trust_password(spec.password)
                .trust_direction(direction)
                .trust_type(TrustType::Forest);
        for ip in spec.dns {
            req = req.conditional_forwarder_ip_addrs(ip);
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify("ds:CreateTrust", &e))?;
        let id = out.trust_id().unwrap_or_default().to_string();
        sink(Event::Done(format!(
            "created trust {id} to {}",
            spec.remote_domain
        )));
        id
    };
    let what = format!("trust {id} to be Verified");
    let dir = spec.directory;
    wait_for(&what, opts, sink, || async {
        {
            {
                let ts = fetched(super::sdk::trusts(c, dir).await)?;
                let state = ts.iter().find(|t| t.id == id).map_or("gone".to_string(), |t| t.state.clone());
                match state.as_str() {
                    "Verified" => Ok((true, state)),
                    "VerifyFailed" | "Failed" | "UpdateFailed" | "gone" => Err(SetupError::new(
                        format!("trust {id} is {state}"),
                        Some(format!("check the on-prem side (same password, trust direction, DNS forwarder to the directory), then: aws ds verify-trust --trust-id {id}")),
                    )),
                    _ => Ok((false, state)),
                }
            }
        }
    })
    .await?;
    Ok(id)
}

/// Step 3: the IAM role RDS assumes, trusting both service principals, with
/// AmazonRDSDirectoryServiceAccess attached. An existing role is repaired, not replaced.
pub async fn role(
    c: Option<&Clients>,
    name: &str,
    region: &str,
    opts: &Options,
    sink: Sink<'_>,
) -> Result<String, SetupError> {
    let arn = policy::managed_policy_arn(partition_of(region));
    let trust = policy::rds_trust_policy();
    call(sink, "iam:GetRole", &[("RoleName", name)]);
    let c = match (c, opts.dry_run) {
        (Some(c), false) => c,
        _ => {
            call(
                sink,
                "iam:CreateRole",
                &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
            );
            call(sink, "iam:ListAttachedRolePolicies", &[("RoleName", name)]);
            call(
                sink,
                "iam:AttachRolePolicy",
                &[("RoleName", name), ("PolicyArn", &arn)],
            );
            return Ok(name.to_string());
        }
    };
    match c.iam.get_role().role_name(name).send().await {
        Ok(out) => {
            let doc = out
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .unwrap_or_default();
            let ok = policy::parse_trust(doc)
                .map(|t| policy::missing_principals(&t, Some(region)).is_empty())
                .unwrap_or(false);
            if ok {
                sink(Event::Reused(format!(
                    "role {name} (trust policy already right)"
                )));
            } else {
                call(
                    sink,
                    "iam:UpdateAssumeRolePolicy",
                    &[("RoleName", name), ("PolicyDocument", &trust)],
                );
                c.iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(&trust)
                    .send()
                    .await
                    .map_err(|e| classify("iam:UpdateAssumeRolePolicy", &e))?;
                sink(Event::Done(format!(
                    "role {name}: trust policy now allows directoryservice.rds and rds"
                )));
            }
        }
        Err(e) => {
            let err = classify("iam:GetRole", &e);
            if err.kind != super::state::ApiErrorKind::NotFound {
                return Err(err.into());
            }
            call(
                sink,
                "iam:CreateRole",
                &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
            );
            c.iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(&trust)
                .description("Lets Amazon RDS reach AWS Directory Service for Kerberos authentication (kerbrds)")
                .send()
                .await
                .map_err(|e| classify("iam:CreateRole", &e))?;
            sink(Event::Done(format!("created role {name}")));
        }
    }
    call(sink, "iam:ListAttachedRolePolicies", &[("RoleName", name)]);
    let attached = c
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify("iam:ListAttachedRolePolicies", &e))?;
    if attached
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some(arn.as_str()))
    {
        sink(Event::Reused(format!(
            "{} already attached",
            policy::MANAGED_POLICY_NAME
        )));
    } else {
        call(
            sink,
            "iam:AttachRolePolicy",
            &[("RoleName", name), ("PolicyArn", &arn)],
        );
        c.iam
            .attach_role_policy()
            .role_name(name)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| classify("iam:AttachRolePolicy", &e))?;
        sink(Event::Done(format!(
            "attached {} to {name}",
            policy::MANAGED_POLICY_NAME
        )));
    }
    Ok(name.to_string())
}

/// Step 5 (cross-account): share the directory with the DB's account (handshake). Returns the
/// shared directory id the DB account must accept.
pub async fn share(
    c: Option<&Clients>,
    directory: &str,
    account: &str,
    opts: &Options,
    sink: Sink<'_>,
) -> Result<String, SetupError> {
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(SetupError::new(
            format!("{account:?} is not a 12-digit AWS account id"),
            None,
        ));
    }
    let params = [
        ("DirectoryId", directory),
        ("ShareTarget.Id", account),
        ("ShareTarget.Type", "ACCOUNT"),
        ("ShareMethod", "HANDSHAKE"),
    ];
    call(
        sink,
        "ds:DescribeSharedDirectories",
        &[("OwnerDirectoryId", directory)],
    );
    let c = match (c, opts.dry_run) {
        (Some(c), false) => c,
        _ => {
            call(sink, "ds:ShareDirectory", &params);
            return Ok("d-(shared)".into());
        }
    };
    let shared =
        c.ds.describe_shared_directories()
            .owner_directory_id(directory)
            .send()
            .await
            .map_err(|e| classify("ds:DescribeSharedDirectories", &e))?;
    if let Some(s) = shared
        .shared_directories()
        .iter()
        .find(|s| s.shared_account_id() == Some(account))
        .filter(|s| {
            s.share_status()
                .is_some_and(|st| matches!(st.as_str(), "Shared" | "PendingAcceptance" | "Sharing"))
        })
    {
        let id = s.shared_directory_id().unwrap_or_default().to_string();
        sink(Event::Reused(format!(
            "already shared with {account} as {id} ({})",
            s.share_status().map_or("?", |x| x.as_str())
        )));
        return Ok(id);
    }
    call(sink, "ds:ShareDirectory", &params);
    let target = ShareTarget::builder()
        .id(account)
        .r#type(TargetType::Account)
        .build()
        .map_err(|e| SetupError::new(e.to_string(), None))?;
    let out =
        c.ds.share_directory()
            .directory_id(directory)
            .share_target(target)
            .share_method(ShareMethod::Handshake)
            .send()
            .await
            .map_err(|e| classify("ds:ShareDirectory", &e))?;
    let id = out.shared_directory_id().unwrap_or_default().to_string();
    sink(Event::Done(format!(
        "shared {directory} with {account} as {id}; in that account run: aws ds accept-shared-directory --shared-directory-id {id}"
    )));
    Ok(id)
}

pub struct JoinSpec<'a> {
    pub instance: &'a str,
    pub directory: &'a str,
    pub role: &'a str,
    pub reboot: bool,
}

/// Step 6: join the instance to the directory (apply immediately) and reboot it, then wait for
/// kerberos-enabled. An instance already joined to this directory is left alone.
pub async fn join(
    c: Option<&Clients>,
    spec: &JoinSpec<'_>,
    opts: &Options,
    sink: Sink<'_>,
) -> Result<String, SetupError> {
    let modify = [
        ("DBInstanceIdentifier", spec.instance),
        ("Domain", spec.directory),
        ("DomainIAMRoleName", spec.role),
        ("ApplyImmediately", "true"),
    ];
    let reboot = [("DBInstanceIdentifier", spec.instance)];
    call(sink, "rds:DescribeDBInstances", &reboot);
    let c = match (c, opts.dry_run) {
        (Some(c), false) => c,
        _ => {
            call(sink, "rds:ModifyDBInstance", &modify);
            if spec.reboot {
                call(sink, "rds:RebootDBInstance", &reboot);
            }
            return Ok(spec.instance.to_string());
        }
    };
    let current = fetched(super::sdk::instance(c, spec.instance).await)?;
    let same = current
        .membership()
        .filter(|m| m.domain == spec.directory && m.iam_role_name.as_deref() == Some(spec.role));
    let status = same.map(|m| m.status.clone()).unwrap_or_default();
    let (ok, _, _) = super::judge::membership_status(&status);
    if same.is_some() && ok == crate::check::Status::Pass {
        sink(Event::Reused(format!(
            "{} is already joined to {} ({status})",
            spec.instance, spec.directory
        )));
        return Ok(spec.instance.to_string());
    }
    let pending = matches!(
        status.as_str(),
        "pending-enable-kerberos" | "pending-maintenance-enable-kerberos" | "pending-join"
    );
    if same.is_some() && pending {
        sink(Event::Reused(format!(
            "the join is already requested ({status})"
        )));
    } else {
        call(sink, "rds:ModifyDBInstance", &modify);
        c.rds
            .modify_db_instance()
            .db_instance_identifier(spec.instance)
            .domain(spec.directory)
            .domain_iam_role_name(spec.role)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| classify("rds:ModifyDBInstance", &e))?;
        sink(Event::Done(format!(
            "requested the join of {} to {}",
            spec.instance, spec.directory
        )));
    }
    if spec.reboot {
        call(sink, "rds:RebootDBInstance", &reboot);
        c.rds
            .reboot_db_instance()
            .db_instance_identifier(spec.instance)
            .send()
            .await
            .map_err(|e| classify("rds:RebootDBInstance", &e))?;
        sink(Event::Done(format!("rebooting {}", spec.instance)));
    } else {
        sink(Event::Done(format!(
            "not rebooting: the join is applied in the maintenance window{}",
            current
                .maintenance_window
                .map_or(String::new(), |w| format!(" ({w})"))
        )));
        return Ok(spec.instance.to_string());
    }
    let what = format!("{} to reach kerberos-enabled", spec.instance);
    wait_for(&what, opts, sink, || async {
        {
            {
                let i = fetched(super::sdk::instance(c, spec.instance).await)?;
                let st = i
                    .membership()
                    .filter(|m| m.domain == spec.directory)
                    .map_or("not joined yet".to_string(), |m| m.status.clone());
                match super::judge::membership_status(&st) {
                    (crate::check::Status::Pass, _, _) => Ok((true, st)),
                    (crate::check::Status::Fail, _, meaning) if st.contains("fail") => Err(SetupError::new(
                        format!("{}: {st}: {meaning}", spec.instance),
                        Some("kerbrds aws status --instance ID shows what to fix; then re-run this join".into()),
                    )),
                    _ => Ok((false, st)),
                }
            }
        }
    })
    .await?;
    Ok(spec.instance.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_password_rules() {
        assert!(check_ad_password("Lab-Directory-Pw-1").is_ok());
        assert!(check_ad_password("abcDEF12").is_ok());
        assert!(check_ad_password("abc-def-12").is_ok());
        assert!(check_ad_password("Short1!")
            .unwrap_err()
            .contains("8 to 64"));
        assert!(check_ad_password(&"Aa1-".repeat(17))
            .unwrap_err()
            .contains("8 to 64"));
        assert!(check_ad_password("alllowercase1")
            .unwrap_err()
            .contains("three of"));
        assert!(check_ad_password("MyAdmin-Pass1")
            .unwrap_err()
            .contains("admin"));
        // Spaces do not count as "other characters".
        assert!(check_ad_password("lower case 12")
            .unwrap_err()
            .contains("three of"));
    }

    #[test]
    fn trust_password_and_names() {
        assert!(check_trust_password("x").is_ok());
        assert!(check_trust_password("").is_err());
        assert!(check_trust_password("a\nb").is_err());
        assert!(check_domain_name("corp.example.com").is_ok());
        assert!(check_domain_name("corp").is_err());
        assert!(check_domain_name("corp..com").is_err());
        assert!(check_domain_name("co_rp.com").is_err());
    }

    #[tokio::test]
    async fn dry_run_prints_the_calls_with_secrets_masked_and_needs_no_aws() {
        let opts = Options {
            dry_run: true,
            wait: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        };
        let mut events = Vec::new();
        let subnets = vec!["subnet-1".to_string(), "subnet-2".to_string()];
        let spec = DirectorySpec {
            name: "corp.example.com",
            short_name: None,
            edition: "Standard",
            vpc: "vpc-1",
            subnets: &subnets,
            password: "Secret-Pw-99",
        };
        directory(None, &spec, &opts, &mut |e| events.push(e))
            .await
            .unwrap();
        let text = format!("{events:?}");
        assert!(text.contains("ds:CreateMicrosoftAD"), "{text}");
        assert!(text.contains("\"CORP\""), "{text}");
        assert!(!text.contains("Secret-Pw-99"), "{text}");
        assert!(text.contains(MASK));
        // The rules are checked before anything else, in a dry run too.
        let bad = DirectorySpec {
            password: "weak",
            ..spec
        };
        let err = directory(None, &bad, &opts, &mut |_| {}).await.unwrap_err();
        assert!(err.message.contains("8 to 64"));
    }
}
