//! The AWS side: reads back the DB instance's domain membership, its IAM role and the directory
//! (`aws.*` checks), and carries out the set-up steps (`kerbrds aws setup`). `sdk` holds the
//! bounded clients and reads, `state` the plain facts, `judge` the verdicts, `setup` the
//! provisioning. Without the `aws` cargo feature every `aws.*` check reports skip.

pub mod endpoint;
pub mod judge;
pub mod policy;
#[cfg(feature = "aws")]
pub mod sdk;
#[cfg(feature = "aws")]
pub mod setup;
pub mod state;

use std::net::IpAddr;
use std::time::Duration;

use crate::check::CheckResult;
#[cfg(feature = "aws")]
use state::Fetch;
use state::{AwsFacts, CredFacts};

/// What `aws status` (and the doctor) asks about.
#[derive(Debug, Clone, Default)]
pub struct AwsInputs {
    /// A DB instance identifier (`--instance`); an RDS endpoint name is accepted here too.
    pub instance: Option<String>,
    /// The DB host the client connects to: the instance and Region come from it when it is an
    /// RDS endpoint name.
    pub host: Option<String>,
    /// `--region`; else the endpoint's Region; else the AWS configuration.
    pub region: Option<String>,
    /// The realm the client uses (krb5.conf default_realm), compared with the directory's.
    pub expected_realm: Option<String>,
}

/// What to ask AWS for, worked out from the inputs before any I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub id: String,
    pub cluster: bool,
    pub region: Option<String>,
}

/// Instance (or Aurora cluster) and Region from the inputs; `Err` says what is missing.
pub fn lookup(inputs: &AwsInputs) -> Result<Lookup, String> {
    let from_host = inputs.host.as_deref().and_then(endpoint::parse);
    let from_flag = inputs
        .instance
        .as_deref()
        .map(|i| match endpoint::parse(i) {
            Some(ep) => ep,
            None => endpoint::Endpoint {
                id: i.trim().to_ascii_lowercase(),
                region: String::new(),
                cluster: false,
                partition: "aws",
            },
        });
    let ep = match (from_flag, from_host) {
        (Some(f), h) => {
            let region = if f.region.is_empty() {
                h.map(|h| h.region).unwrap_or_default()
            } else {
                f.region.clone()
            };
            endpoint::Endpoint { region, ..f }
        }
        (None, Some(h)) => h,
        (None, None) => {
            return Err(match &inputs.host {
                Some(h) => format!(
                    "AWS checks skipped: {h} is not an RDS endpoint name (<id>.<hash>.<region>.rds.amazonaws.com): pass --instance ID"
                ),
                None => "AWS checks skipped: no DB instance named: pass --instance ID or an RDS endpoint name".to_string(),
            })
        }
    };
    if ep.id.is_empty() {
        return Err("AWS checks skipped: the DB instance identifier is empty".into());
    }
    let region = inputs
        .region
        .clone()
        .or((!ep.region.is_empty()).then_some(ep.region));
    Ok(Lookup {
        id: ep.id,
        cluster: ep.cluster,
        region,
    })
}

/// The outcome of `status`: the `aws.*` results in check order, the facts behind them, and
/// what later checks need (the directory's DNS name, realm and domain-controller addresses).
#[derive(Debug, Clone)]
pub struct AwsStatus {
    pub results: Vec<CheckResult>,
    pub facts: AwsFacts,
    pub instance_id: Option<String>,
    pub region: Option<String>,
    pub directory_id: Option<String>,
    /// The directory's DNS name as AWS reports it (`example.com`).
    pub directory_dns_name: Option<String>,
    /// The realm: the DNS name upper-cased (`EXAMPLE.COM`).
    pub realm: Option<String>,
    /// The domain controllers' DNS addresses (DnsIpAddrs): also the KDCs.
    pub dns_ips: Vec<IpAddr>,
}

impl AwsStatus {
    fn from_facts(facts: AwsFacts, expected_realm: Option<&str>) -> AwsStatus {
        let results = judge::judge(
            &facts,
            &judge::Expect {
                realm: expected_realm,
            },
        );
        let dir = facts.directory.got();
        AwsStatus {
            results,
            instance_id: facts.instance.got().map(|i| i.id.clone()),
            region: facts.region.clone(),
            directory_id: dir.map(|d| d.id.clone()),
            directory_dns_name: dir.map(|d| d.dns_name.clone()),
            realm: dir.map(state::DirectoryFacts::realm),
            dns_ips: dir.map(|d| d.dns_ips.clone()).unwrap_or_default(),
            facts,
        }
    }
}

/// Reads the AWS state for the inputs and judges it. Read-only; never longer than about
/// `timeout` (each call has one attempt bounded by a third of it; independent reads run
/// together). Missing credentials end it at once with an "AWS checks skipped" finding.
pub async fn status(inputs: &AwsInputs, timeout: Duration) -> AwsStatus {
    AwsStatus::from_facts(
        gather(inputs, timeout).await,
        inputs.expected_realm.as_deref(),
    )
}

#[cfg(not(feature = "aws"))]
async fn gather(_inputs: &AwsInputs, _timeout: Duration) -> AwsFacts {
    AwsFacts::unread(
        CredFacts::NotBuilt,
        "AWS checks skipped: this kerbrds was built without the `aws` feature",
    )
}

#[cfg(feature = "aws")]
async fn gather(inputs: &AwsInputs, timeout: Duration) -> AwsFacts {
    let target = lookup(inputs);
    let region = target.as_ref().ok().and_then(|t| t.region.clone());
    let bounds = sdk::Bounds::within(timeout);
    let started = std::time::Instant::now();
    let s = sdk::session(region.as_deref(), bounds).await;
    let mut facts = AwsFacts::unread(s.credentials.clone(), "");
    facts.timings.credentials = started.elapsed();
    facts.region = s.region.clone();
    facts.endpoint_url = s.endpoint_url.clone();
    facts.imds_note = s.imds_note.clone();
    let skip = |why: String| {
        let mut f = facts.clone();
        f.instance = Fetch::NotAsked(why.clone());
        f.role = Fetch::NotAsked(why.clone());
        f.directory = Fetch::NotAsked(why.clone());
        f.trusts = Fetch::NotAsked(why);
        f
    };
    let target = match target {
        Ok(t) => t,
        Err(why) => return skip(why),
    };
    if !matches!(s.credentials, CredFacts::Found { .. }) {
        return skip("AWS checks skipped: no usable AWS credentials (see aws.credentials)".into());
    }
    let Some(config) = &s.config else {
        return skip(format!(
            "AWS checks skipped: no AWS Region for {}: pass --region (or set AWS_REGION)",
            target.id
        ));
    };
    let c = sdk::Clients::new(config);
    read(&c, &target, facts).await
}

/// `status` for a caller that already has an SDK configuration (its credentials, Region,
/// endpoint and HTTP client are used as they are): tests replay recorded AWS responses with it.
#[cfg(feature = "aws")]
pub async fn status_with(
    config: &aws_config::SdkConfig,
    target: &Lookup,
    expected_realm: Option<&str>,
) -> AwsStatus {
    let credentials = sdk::credentials_of(config).await;
    let mut facts = AwsFacts::unread(credentials, "");
    facts.region = config.region().map(ToString::to_string);
    facts.endpoint_url = config.endpoint_url().map(str::to_string);
    let facts = if matches!(facts.credentials, CredFacts::Found { .. }) {
        read(&sdk::Clients::new(config), target, facts).await
    } else {
        AwsFacts {
            credentials: facts.credentials,
            ..AwsFacts::unread(
                CredFacts::NotBuilt,
                "AWS checks skipped: no usable AWS credentials (see aws.credentials)",
            )
        }
    };
    AwsStatus::from_facts(facts, expected_realm)
}

/// The reads, in dependency order: the instance, then its replicas, role, directory and trusts
/// at once.
#[cfg(feature = "aws")]
pub(crate) async fn read(c: &sdk::Clients, target: &Lookup, mut facts: AwsFacts) -> AwsFacts {
    let timed = |t: std::time::Instant| t.elapsed();
    let start = std::time::Instant::now();
    facts.instance = if target.cluster {
        sdk::cluster(c, &target.id).await
    } else {
        sdk::instance(c, &target.id).await
    };
    facts.timings.instance = timed(start);
    let Fetch::Got(inst) = &facts.instance else {
        let why = "skipped: the DB instance could not be read".to_string();
        facts.role = Fetch::NotAsked(why.clone());
        facts.directory = Fetch::NotAsked(why.clone());
        facts.trusts = Fetch::NotAsked(why);
        return facts;
    };
    let m = inst.membership().cloned();
    let replicas =
        futures_util::future::join_all(inst.read_replicas.iter().map(|r| sdk::instance(c, r)));
    let role = async {
        let start = std::time::Instant::now();
        let r = match m.as_ref().and_then(|m| m.iam_role_name.clone()) {
            Some(name) => sdk::role(c, &name).await,
            None if m.is_some() => {
                Fetch::NotAsked("the domain membership names no IAM role".into())
            }
            None => Fetch::NotAsked("skipped: the instance is not joined to a directory".into()),
        };
        (r, timed(start))
    };
    let directory = async {
        let start = std::time::Instant::now();
        let r = match m.as_ref().filter(|m| m.domain.starts_with("d-")) {
            Some(m) => (
                sdk::directory(c, &m.domain).await,
                sdk::trusts(c, &m.domain).await,
            ),
            None => {
                let why = match &m {
                    Some(m) => {
                        format!("the membership names {}, not an AWS directory id", m.domain)
                    }
                    None => "skipped: the instance is not joined to a directory".into(),
                };
                (Fetch::NotAsked(why.clone()), Fetch::NotAsked(why))
            }
        };
        (r, timed(start))
    };
    let (replicas, (role, role_took), ((directory, trusts), dir_took)) =
        tokio::join!(replicas, role, directory);
    facts.timings.role = role_took;
    facts.timings.directory = dir_took;
    facts.replicas = replicas;
    facts.role = role;
    facts.directory = directory;
    facts.trusts = trusts;
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn inputs(instance: Option<&str>, host: Option<&str>, region: Option<&str>) -> AwsInputs {
        AwsInputs {
            instance: instance.map(Into::into),
            host: host.map(Into::into),
            region: region.map(Into::into),
            expected_realm: None,
        }
    }

    #[test]
    fn lookup_table() {
        let rds = "mydb.abc123xyz.us-east-1.rds.amazonaws.com";
        let ok = |id: &str, cluster, region: Option<&str>| {
            Ok(Lookup {
                id: id.into(),
                cluster,
                region: region.map(Into::into),
            })
        };
        assert_eq!(
            lookup(&inputs(None, Some(rds), None)),
            ok("mydb", false, Some("us-east-1"))
        );
        assert_eq!(
            lookup(&inputs(Some(rds), None, None)),
            ok("mydb", false, Some("us-east-1"))
        );
        assert_eq!(
            lookup(&inputs(Some("other"), Some(rds), None)),
            ok("other", false, Some("us-east-1"))
        );
        assert_eq!(
            lookup(&inputs(Some("MyDB"), None, Some("eu-west-1"))),
            ok("mydb", false, Some("eu-west-1"))
        );
        assert_eq!(
            lookup(&inputs(None, Some(rds), Some("eu-west-1"))),
            ok("mydb", false, Some("eu-west-1"))
        );
        assert_eq!(
            lookup(&inputs(
                None,
                Some("aur.cluster-x1.eu-west-1.rds.amazonaws.com"),
                None
            )),
            ok("aur", true, Some("eu-west-1"))
        );
        assert!(lookup(&inputs(None, Some("db.example.com"), None))
            .unwrap_err()
            .contains("not an RDS endpoint name"));
        assert!(lookup(&inputs(None, None, None))
            .unwrap_err()
            .contains("--instance"));
        assert!(lookup(&inputs(Some(" "), None, None)).is_err());
    }
}
