//! AWS facts → check results. Pure: every branch is a row in the tables below. Hints are the
//! exact AWS CLI (or kerbrds) command for this instance, Region and directory.

use std::time::Duration;

use super::policy;
use super::state::{
    ApiError, ApiErrorKind, AwsFacts, CredFacts, DirectoryFacts, Fetch, InstanceFacts, Membership,
    RoleFacts, TrustFacts,
};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Status};

/// What the judge knows besides the facts: the realm the client expects (from krb5.conf), if any.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    pub realm: Option<&'a str>,
}

pub fn judge(f: &AwsFacts, expect: &Expect<'_>) -> Vec<CheckResult> {
    let cli = Cli {
        region: f.region.as_deref(),
    };
    let t = &f.timings;
    let mut out = vec![credentials(f, &cli).with_elapsed(t.credentials)];
    out.push(instance(&f.instance, &cli).with_elapsed(t.instance));
    if let Fetch::Got(i) = &f.instance {
        out.push(membership(i, &cli).with_elapsed(t.instance));
    } else {
        out.push(skip_after(CheckId::AwsDomainMembership, &f.instance));
    }
    for r in &f.replicas {
        match r {
            Fetch::Got(i) => out.push(membership(i, &cli)),
            Fetch::Failed(e) => out.push(api_problem(CheckId::AwsDomainMembership, e, &cli)),
            Fetch::NotAsked(_) => {}
        }
    }
    let role_name = f
        .instance
        .got()
        .and_then(InstanceFacts::membership)
        .and_then(|m| m.iam_role_name.clone());
    out.push(role(&f.role, role_name.as_deref(), &cli).with_elapsed(t.role));
    out.push(directory(f, expect, &cli).with_elapsed(t.directory));
    if let Fetch::Got(trusts) = &f.trusts {
        let dir = f.directory.got().map_or("d-…", |d| d.id.as_str());
        out.extend(
            trusts
                .iter()
                .map(|tr| trust(tr, dir, &cli).with_elapsed(t.directory)),
        );
    }
    out
}

/// Appends `--region R` to CLI hints when the Region is known.
struct Cli<'a> {
    region: Option<&'a str>,
}

impl Cli<'_> {
    fn cmd(&self, s: impl std::fmt::Display) -> String {
        match self.region {
            Some(r) => format!("{s} --region {r}"),
            None => s.to_string(),
        }
    }
}

fn mins(d: Duration) -> String {
    let m = d.as_secs() / 60;
    if m >= 120 {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

fn credentials(f: &AwsFacts, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsCredentials;
    let rejected = [&f.instance]
        .into_iter()
        .filter_map(|x| match x {
            Fetch::Failed(e) => Some(e),
            _ => None,
        })
        .chain(f.replicas.iter().filter_map(|x| match x {
            Fetch::Failed(e) => Some(e),
            _ => None,
        }))
        .find(|e| {
            matches!(
                e.kind,
                ApiErrorKind::CredentialsRejected | ApiErrorKind::CredentialsExpired
            )
        });
    let check_cmd = cli.cmd("aws sts get-caller-identity");
    let r = match &f.credentials {
        CredFacts::NotBuilt => {
            return CheckResult::skip(
                id,
                "AWS checks skipped: this kerbrds was built without the `aws` feature",
            )
        }
        CredFacts::Found { source, key_id, .. } if rejected.is_some() => {
            let e = rejected.map(ApiError::describe).unwrap_or_default();
            CheckResult::warn(
                id,
                Cause::AwsNoCredentials,
                format!("AWS checks skipped: AWS rejected the credentials from {source} (key {key_id}): {e}"),
            )
            .with_hint(format!("refresh or replace the credentials, then check them with: {check_cmd}"))
        }
        CredFacts::Found {
            source,
            key_id,
            expires_in,
        } => {
            let exp = expires_in.map_or(String::new(), |d| format!(", expire in {}", mins(d)));
            CheckResult::pass(id, format!("credentials from {source} (key {key_id}{exp})"))
        }
        CredFacts::Expired { source, ago } => CheckResult::warn(
            id,
            Cause::AwsNoCredentials,
            format!(
                "AWS checks skipped: the credentials from {source} expired {} ago",
                mins(*ago)
            ),
        )
        .with_hint("renew them (aws sso login, or your credential process), then re-run"),
        CredFacts::Missing { tried } => CheckResult::warn(
            id,
            Cause::AwsNoCredentials,
            format!("AWS checks skipped: no AWS credentials found (looked at: {tried})"),
        )
        .with_hint(
            "export AWS_PROFILE=NAME (a profile in ~/.aws/config), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        CredFacts::Error { message } => CheckResult::warn(
            id,
            Cause::AwsNoCredentials,
            format!("AWS checks skipped: loading AWS credentials failed: {message}"),
        )
        .with_hint(format!(
            "fix the profile or credential source named above (aws sso login for SSO), then: {check_cmd}"
        )),
    };
    let mut r = r;
    if let Some(ep) = &f.endpoint_url {
        r = r.with_evidence(format!("AWS_ENDPOINT_URL={ep}"));
    }
    if !f.imds_note.is_empty() {
        r = r.with_evidence(f.imds_note.clone());
    }
    if let Some(reg) = &f.region {
        r = r.with_evidence(format!("region {reg}"));
    }
    r
}

/// A read that failed: the cause follows the error kind; hints name the permission or the fix.
fn api_problem(id: CheckId, e: &ApiError, cli: &Cli<'_>) -> CheckResult {
    let detail = e.describe();
    let (cause, hint) = match e.kind {
        ApiErrorKind::AccessDenied => (
            Cause::AwsAccessDenied,
            format!("allow {} for the caller (see {})", e.op, cli.cmd("aws sts get-caller-identity")),
        ),
        ApiErrorKind::CredentialsRejected | ApiErrorKind::CredentialsExpired => (
            Cause::AwsNoCredentials,
            format!("refresh the credentials, then: {}", cli.cmd("aws sts get-caller-identity")),
        ),
        ApiErrorKind::Throttled => (
            Cause::AwsUnreachable,
            "AWS throttled the request: retry in a minute, or lower the API call rate of other tools".to_string(),
        ),
        ApiErrorKind::Timeout | ApiErrorKind::Unreachable => (
            Cause::AwsUnreachable,
            "check network access to the AWS API endpoint (proxy, VPC endpoint, AWS_ENDPOINT_URL) and retry".to_string(),
        ),
        ApiErrorKind::NotFound | ApiErrorKind::Other => (
            Cause::AwsApiError,
            format!("compare with the AWS CLI call for {}", e.op),
        ),
    };
    let r = CheckResult::warn(id, cause, detail).with_hint(hint);
    match &e.context {
        Some(c) => r.with_evidence(c.clone()),
        None => r,
    }
}

fn skip_after<T>(id: CheckId, dep: &Fetch<T>) -> CheckResult {
    match dep {
        Fetch::NotAsked(why) => CheckResult::skip(id, why.clone()),
        _ => CheckResult::skip(id, "skipped: the DB instance could not be read"),
    }
}

/// Instance statuses in which logins work (or the instance is merely busy).
const USABLE_STATUSES: &[&str] = &[
    "available",
    "backing-up",
    "modifying",
    "maintenance",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "storage-optimization",
    "upgrading",
    "renaming",
    "resetting-master-credentials",
    "moving-to-vpc",
];

fn kind_flag(i: &InstanceFacts) -> (&'static str, &'static str) {
    if i.is_cluster {
        ("db-cluster", "--db-cluster-identifier")
    } else {
        ("db-instance", "--db-instance-identifier")
    }
}

fn instance(fetch: &Fetch<InstanceFacts>, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsInstance;
    match fetch {
        Fetch::NotAsked(why) => CheckResult::skip(id, why.clone()),
        Fetch::Failed(e) if e.kind == ApiErrorKind::NotFound => {
            CheckResult::fail(id, Cause::AwsInstanceNotFound, e.describe()).with_hint(
                cli.cmd(
                    "aws rds describe-db-instances --query 'DBInstances[].DBInstanceIdentifier'",
                ),
            )
        }
        Fetch::Failed(e) => api_problem(id, e, cli),
        Fetch::Got(i) => {
            let (what, flag) = kind_flag(i);
            let mut d = format!(
                "{} {}: {} {}, status {}",
                what.trim_start_matches("db-"),
                i.id,
                i.engine,
                i.engine_version.as_deref().unwrap_or("?"),
                i.status
            );
            if let Some(v) = &i.vpc_id {
                d.push_str(&format!(", {v}"));
            }
            if let Some(src) = &i.replica_source {
                d.push_str(&format!(", read replica of {src}"));
            }
            let r = if i.is_cluster || USABLE_STATUSES.contains(&i.status.as_str()) {
                CheckResult::pass(id, d)
            } else {
                let hint = if i.status == "stopped" {
                    cli.cmd(format!("aws rds start-{what} {flag} {}", i.id))
                } else {
                    cli.cmd(format!("aws rds wait {what}-available {flag} {}", i.id))
                };
                CheckResult::fail(id, Cause::InstanceNotAvailable, d).with_hint(hint)
            };
            let mut r = r.with_target(i.id.clone());
            if let Some(ep) = &i.endpoint {
                r = r.with_evidence(format!("endpoint {ep}"));
            }
            for p in &i.pending_modifications {
                r = r.with_evidence(format!("pending modification: {p}"));
            }
            if !i.read_replicas.is_empty() {
                r = r.with_evidence(format!("read replicas: {}", i.read_replicas.join(", ")));
            }
            r
        }
    }
}

/// What a DomainMemberships status means: the check status, the cause, and one sentence.
/// Values from the RDS user guide ("Managing a DB instance in a Domain") plus the generic
/// words of the API reference (joined, pending-join, failed, …) and moto's `active`.
pub fn membership_status(status: &str) -> (Status, Option<Cause>, &'static str) {
    use Cause::*;
    match status {
        "kerberos-enabled" | "joined" | "active" => {
            (Status::Pass, None, "Kerberos authentication is enabled")
        }
        "enabling-kerberos" | "joining" => (
            Status::Warn,
            Some(JoinInProgress),
            "Kerberos is being enabled on the instance right now",
        ),
        "pending-enable-kerberos" | "pending-join" => (
            Status::Warn,
            Some(JoinPending),
            "enabling Kerberos is pending: it is applied at the next reboot",
        ),
        "pending-maintenance-enable-kerberos" => (
            Status::Warn,
            Some(JoinPending),
            "enabling Kerberos waits for the next maintenance window",
        ),
        "pending-disable-kerberos" | "pending-removal" => (
            Status::Warn,
            Some(JoinPending),
            "disabling Kerberos is pending: logins stop working at the next reboot",
        ),
        "pending-maintenance-disable-kerberos" => (
            Status::Warn,
            Some(JoinPending),
            "disabling Kerberos waits for the next maintenance window: logins stop working then",
        ),
        "disabling-kerberos" | "removing" => (
            Status::Fail,
            Some(JoinInProgress),
            "Kerberos is being disabled on the instance",
        ),
        "enable-kerberos-failed" => (
            Status::Fail,
            Some(JoinFailed),
            "enabling Kerberos failed: the instance could not reach the directory's domain controllers, or the IAM role is not valid",
        ),
        "failed" => (
            Status::Fail,
            Some(JoinFailed),
            "joining the domain failed: the instance could not reach the directory's domain controllers, or the IAM role is not valid",
        ),
        _ => (
            Status::Warn,
            Some(JoinInProgress),
            "an unrecognised membership status: compare with the RDS console",
        ),
    }
}

fn membership(i: &InstanceFacts, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsDomainMembership;
    let (what, flag) = kind_flag(i);
    let Some(m) = i.membership() else {
        return CheckResult::fail(
            id,
            Cause::InstanceNotJoined,
            format!("{} has no domain membership", i.id),
        )
        .with_target(i.id.clone())
        .with_hint(join_cmd(i, None, cli));
    };
    let (status, cause, meaning) = membership_status(&m.status);
    let mut d = format!("{} in {}: {} ({meaning})", i.id, m.domain, m.status);
    if let Some(fqdn) = &m.fqdn {
        d.push_str(&format!(", FQDN {fqdn}"));
    }
    let mut r = match cause {
        None => CheckResult::pass(id, d),
        Some(c) => {
            let hint = match m.status.as_str() {
                "pending-enable-kerberos" | "pending-join" | "pending-maintenance-enable-kerberos" => {
                    let mut h = reboot_cmd(i, cli);
                    if let Some(w) = &i.maintenance_window {
                        h.push_str(&format!(" (or wait for the maintenance window {w})"));
                    }
                    h
                }
                "pending-disable-kerberos" | "pending-removal" | "pending-maintenance-disable-kerberos" => {
                    format!("to keep Kerberos, cancel the removal: {}", join_cmd(i, Some(m), cli))
                }
                "enable-kerberos-failed" | "failed" => format!(
                    "allow the DB's security group to reach the directory's DNS addresses (TCP/UDP 53, 88, 389, 445, 464; TCP 636, 3268, 49152-65535) and check aws.iam_role, then retry: {}",
                    join_cmd(i, Some(m), cli)
                ),
                "disabling-kerberos" | "removing" => format!(
                    "if this was not intended, re-join once it finishes: {}",
                    join_cmd(i, Some(m), cli)
                ),
                _ => cli.cmd(format!(
                    "aws rds describe-{what}s {flag} {} --query '*[].DomainMemberships'",
                    i.id
                )),
            };
            CheckResult::problem(id, status, c, d).with_hint(hint)
        }
    };
    r = r.with_target(i.id.clone());
    if let Some(role) = &m.iam_role_name {
        r = r.with_evidence(format!("IAMRoleName {role}"));
    } else if m.domain.starts_with("d-") {
        r = r.with_evidence("no IAMRoleName in the membership".to_string());
    }
    if let Some(ou) = &m.ou {
        r = r.with_evidence(format!("OU {ou}"));
    }
    r
}

/// Aurora clusters are rebooted instance by instance; instances directly.
fn reboot_cmd(i: &InstanceFacts, cli: &Cli<'_>) -> String {
    let ids: Vec<&str> = if i.is_cluster {
        i.cluster_members.iter().map(String::as_str).collect()
    } else {
        vec![i.id.as_str()]
    };
    if ids.is_empty() {
        return format!("reboot each DB instance of cluster {}", i.id);
    }
    ids.iter()
        .map(|id| {
            cli.cmd(format!(
                "aws rds reboot-db-instance --db-instance-identifier {id}"
            ))
        })
        .collect::<Vec<_>>()
        .join(" && ")
}

fn join_cmd(i: &InstanceFacts, m: Option<&Membership>, cli: &Cli<'_>) -> String {
    let (what, flag) = kind_flag(i);
    let domain = m.map_or("d-XXXXXXXXXX", |m| m.domain.as_str());
    let role = m
        .and_then(|m| m.iam_role_name.as_deref())
        .unwrap_or("rds-directoryservice-kerberos-access-role");
    cli.cmd(format!(
        "aws rds modify-{what} {flag} {} --domain {domain} --domain-iam-role-name {role} --apply-immediately",
        i.id
    ))
}

fn role(fetch: &Fetch<RoleFacts>, name: Option<&str>, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsIamRole;
    let name = name.unwrap_or("rds-directoryservice-kerberos-access-role");
    match fetch {
        Fetch::NotAsked(why) => CheckResult::skip(id, why.clone()),
        Fetch::Failed(e) if e.kind == ApiErrorKind::NotFound => CheckResult::fail(
            id,
            Cause::IamRoleMissing,
            format!(
                "the IAM role {name} named in the domain membership does not exist ({})",
                e.describe()
            ),
        )
        .with_target(name.to_string())
        .with_hint(format!("kerbrds aws setup role --role-name {name}")),
        Fetch::Failed(e) => api_problem(id, e, cli).with_target(name.to_string()),
        Fetch::Got(r) => judge_role(r, cli),
    }
}

fn judge_role(r: &RoleFacts, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsIamRole;
    let trust = match policy::parse_trust(&r.trust_policy) {
        Ok(t) => t,
        Err(e) => {
            return CheckResult::fail(
                id,
                Cause::IamRoleBadTrust,
                format!("{}: the trust policy cannot be read: {e}", r.name),
            )
            .with_target(r.name.clone())
            .with_hint(trust_fix(&r.name, cli))
        }
    };
    let missing = policy::missing_principals(&trust, cli.region);
    let managed = r.attached.iter().any(|(n, arn)| {
        n == policy::MANAGED_POLICY_NAME || arn.ends_with(policy::MANAGED_POLICY_NAME)
    });
    let lacking = if managed {
        Vec::new()
    } else {
        policy::missing_actions(r.documents.iter().map(|(_, d)| d.as_str()))
    };
    let mut res = if !missing.is_empty() {
        CheckResult::fail(
            id,
            Cause::IamRoleBadTrust,
            format!(
                "{} does not trust {} (it trusts: {})",
                r.name,
                missing.join(" and "),
                if trust.services.is_empty() {
                    "no service".to_string()
                } else {
                    trust.services.join(", ")
                }
            ),
        )
        .with_hint(trust_fix(&r.name, cli))
    } else if !lacking.is_empty() && !r.unreadable.is_empty() {
        let errs: Vec<String> = r.unreadable.iter().map(ApiError::describe).collect();
        CheckResult::warn(
            id,
            Cause::AwsAccessDenied,
            format!(
                "{} has no {}, and its own policies could not all be read: {}",
                r.name,
                policy::MANAGED_POLICY_NAME,
                errs.join("; ")
            ),
        )
        .with_hint(format!(
            "allow iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy and iam:GetPolicyVersion for the caller, or compare with: aws iam list-attached-role-policies --role-name {}",
            r.name
        ))
    } else if !lacking.is_empty() {
        let partition = super::endpoint::partition_of(cli.region.unwrap_or(""));
        CheckResult::fail(
            id,
            Cause::IamRoleNoPolicy,
            format!(
                "{} has no {} and its policies do not allow {}",
                r.name,
                policy::MANAGED_POLICY_NAME,
                lacking.join(", ")
            ),
        )
        .with_hint(format!(
            "aws iam attach-role-policy --role-name {} --policy-arn {}",
            r.name,
            policy::managed_policy_arn(partition)
        ))
    } else {
        let how = if managed {
            format!("{} attached", policy::MANAGED_POLICY_NAME)
        } else {
            "the required ds: actions allowed by its own policies".to_string()
        };
        CheckResult::pass(
            id,
            format!("{} trusts directoryservice.rds and rds; {how}", r.name),
        )
    };
    res = res.with_target(r.name.clone());
    if trust.conditional {
        res = res.with_evidence("the trust policy has Condition blocks: check they admit RDS");
    }
    for (n, arn) in &r.attached {
        res = res.with_evidence(format!("attached {n} ({arn})"));
    }
    res
}

fn trust_fix(role: &str, cli: &Cli<'_>) -> String {
    let _ = cli;
    format!(
        "aws iam update-assume-role-policy --role-name {role} --policy-document '{}'",
        policy::rds_trust_policy()
    )
}

fn directory(f: &AwsFacts, expect: &Expect<'_>, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsDirectory;
    let dir_id = f
        .instance
        .got()
        .and_then(InstanceFacts::membership)
        .map_or("d-…".to_string(), |m| m.domain.clone());
    match &f.directory {
        Fetch::NotAsked(why) => CheckResult::skip(id, why.clone()),
        Fetch::Failed(e) if e.kind == ApiErrorKind::NotFound => CheckResult::fail(
            id,
            Cause::DirectoryNotShared,
            format!("directory {dir_id} is not visible in this account and Region ({})", e.describe()),
        )
        .with_target(dir_id.clone())
        .with_hint(cli.cmd("aws ds describe-directories --query 'DirectoryDescriptions[].[DirectoryId,Name,Type,ShareStatus]'")),
        Fetch::Failed(e) => api_problem(id, e, cli).with_target(dir_id),
        Fetch::Got(d) => judge_directory(d, f.instance.got(), expect, cli),
    }
}

fn judge_directory(
    d: &DirectoryFacts,
    db: Option<&InstanceFacts>,
    expect: &Expect<'_>,
    cli: &Cli<'_>,
) -> CheckResult {
    let id = CheckId::AwsDirectory;
    let ips: Vec<String> = d.dns_ips.iter().map(ToString::to_string).collect();
    let summary = format!(
        "{} {} ({}{}), stage {}, DNS {}",
        d.id,
        d.dns_name,
        d.dir_type,
        d.edition
            .as_deref()
            .map_or(String::new(), |e| format!(" {e}")),
        d.stage,
        if ips.is_empty() {
            "none".to_string()
        } else {
            ips.join(", ")
        }
    );
    let reason = d
        .stage_reason
        .as_deref()
        .map_or(String::new(), |r| format!(": {r}"));
    let r = if !matches!(d.dir_type.as_str(), "MicrosoftAD" | "SharedMicrosoftAD") {
        CheckResult::fail(
            id,
            Cause::DirectoryWrongType,
            format!(
                "{summary}: RDS Kerberos needs AWS Managed Microsoft AD, not {}",
                d.dir_type
            ),
        )
        .with_hint(cli.cmd(format!(
            "kerbrds aws setup directory --name {} --vpc vpc-… --subnets subnet-…,subnet-…",
            d.dns_name
        )))
    } else if let Some(problem) = share_problem(d, cli) {
        problem
    } else if matches!(
        d.stage.as_str(),
        "Requested" | "Creating" | "Created" | "Restoring"
    ) {
        CheckResult::warn(id, Cause::DirectoryNotActive, format!("{summary}{reason}: not Active yet"))
            .with_hint(format!("wait for Stage Active: {}", cli.cmd(format!("aws ds describe-directories --directory-ids {} --query 'DirectoryDescriptions[].Stage'", d.id))))
    } else if d.stage != "Active" {
        CheckResult::fail(id, Cause::DirectoryNotActive, format!("{summary}{reason}"))
            .with_hint(format!("the directory cannot authenticate anyone while {}; see its StageReason, restore it or open an AWS support case", d.stage))
    } else if let (Some(dbv), Some(dv)) =
        (db.and_then(|i| i.vpc_id.as_deref()), d.vpc_id.as_deref())
    {
        if dbv == dv {
            realm_check(
                d,
                expect,
                CheckResult::pass(id, format!("{summary}, same VPC as the DB ({dv})")),
            )
        } else {
            CheckResult::warn(
                id,
                Cause::DirectoryOtherVpc,
                format!("{summary}: the directory is in {dv}, the DB in {dbv}"),
            )
            .with_hint(cli.cmd(format!(
                "aws ec2 describe-vpc-peering-connections --filters Name=requester-vpc-info.vpc-id,Values={dbv} Name=accepter-vpc-info.vpc-id,Values={dv}"
            )) + " (or a Transit Gateway attachment); then routes and security-group rules both ways")
        }
    } else {
        realm_check(d, expect, CheckResult::pass(id, summary))
    };
    let mut r = r.with_target(d.id.clone());
    if let Some(sg) = &d.security_group {
        r = r.with_evidence(format!("directory security group {sg}"));
    }
    if let Some(o) = &d.owner_account {
        r = r.with_evidence(format!(
            "shared from account {o} (directory {})",
            d.owner_directory_id.as_deref().unwrap_or("?")
        ));
    }
    r.with_evidence(format!("realm {}", d.realm()))
}

fn realm_check(d: &DirectoryFacts, expect: &Expect<'_>, pass: CheckResult) -> CheckResult {
    match expect.realm {
        Some(want) if want != d.realm() => CheckResult::warn(
            CheckId::AwsDirectory,
            Cause::RealmDirectoryMismatch,
            format!(
                "{}; but the realm in use is {want}, not {}",
                pass.detail,
                d.realm()
            ),
        )
        .with_hint(format!(
            "use {} as the realm (default_realm and [domain_realm] in krb5.conf, kinit USER@{})",
            d.realm(),
            d.realm()
        )),
        _ => pass,
    }
}

fn share_problem(d: &DirectoryFacts, cli: &Cli<'_>) -> Option<CheckResult> {
    let status = d.share_status.as_deref()?;
    let id = CheckId::AwsDirectory;
    let detail = format!(
        "{} {}: shared directory, ShareStatus {status}",
        d.id, d.dns_name
    );
    let accept = cli.cmd(format!(
        "aws ds accept-shared-directory --shared-directory-id {}",
        d.id
    ));
    match status {
        "Shared" => None,
        "PendingAcceptance" => Some(
            CheckResult::fail(id, Cause::DirectoryNotShared, format!("{detail}: the share is not accepted in this account"))
                .with_hint(accept),
        ),
        "Sharing" => Some(
            CheckResult::warn(id, Cause::DirectoryNotShared, format!("{detail}: sharing is in progress"))
                .with_hint(format!("wait, then: {accept}")),
        ),
        _ => Some(
            CheckResult::fail(id, Cause::DirectoryNotShared, detail).with_hint(format!(
                "in the owner account ({}): {}",
                d.owner_account.as_deref().unwrap_or("?"),
                cli.cmd(format!(
                    "aws ds share-directory --directory-id {} --share-method HANDSHAKE --share-target Id=<DB account>,Type=ACCOUNT",
                    d.owner_directory_id.as_deref().unwrap_or("d-…")
                ))
            )),
        ),
    }
}

fn trust(t: &TrustFacts, dir: &str, cli: &Cli<'_>) -> CheckResult {
    let id = CheckId::AwsDirectory;
    let what = format!(
        "trust {} to {} ({}, {}): {}",
        t.id,
        t.remote_domain,
        t.direction.as_deref().unwrap_or("?"),
        t.trust_type.as_deref().unwrap_or("?"),
        t.state
    );
    let detail = match &t.state_reason {
        Some(r) if !r.is_empty() => format!("{what}: {r}"),
        _ => what,
    };
    let verify = cli.cmd(format!("aws ds verify-trust --trust-id {}", t.id));
    let r = match t.state.as_str() {
        "Verified" => CheckResult::pass(id, detail),
        "Creating" | "Created" | "Verifying" | "Updating" | "Updated" => {
            CheckResult::warn(id, Cause::TrustNotVerified, detail).with_hint(verify)
        }
        _ => CheckResult::fail(id, Cause::TrustNotVerified, detail).with_hint(format!(
            "check the on-prem DNS conditional forwarder and the trust password on both sides, then: {verify} (or {})",
            cli.cmd(format!("aws ds describe-trusts --directory-id {dir}"))
        )),
    };
    let mut r = r.with_target(format!("{dir} trust {}", t.remote_domain));
    if let Some(s) = &t.selective_auth {
        if s == "Enabled" {
            r = r.with_evidence("selective authentication is on: on-prem users need 'Allowed to authenticate' on the directory's computers");
        }
    }
    r
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
