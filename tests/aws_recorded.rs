//! AWS states moto cannot produce, from recorded responses (fixtures/aws/) replayed through the
//! real SDK by an in-process HTTP client: every DomainMemberships status, a join pending the
//! maintenance window, a replica without membership, a URL-encoded trust policy lacking
//! directoryservice.rds, a shared directory pending acceptance, a failed trust, access denied,
//! throttling and expired credentials. No network.
#![cfg(feature = "aws")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_rds::config::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use kerbrds::aws::sdk::Clients;
use kerbrds::aws::{setup, status_with, AwsStatus, Lookup};
use kerbrds::check::{CheckId, Status};

/// One recorded answer: served when every needle occurs in the request (the awsJson target
/// header, then the form body), as `status` with `body`.
#[derive(Debug, Clone)]
struct Route {
    needles: Vec<&'static str>,
    status: u16,
    body: String,
}

/// Serves the first matching route; records what was asked and fails the test on a request
/// no route answers (so a test cannot pass by not calling AWS).
#[derive(Debug, Clone)]
struct Recorded {
    routes: Arc<Vec<Route>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl HttpConnector for Recorded {
    fn call(&self, req: HttpRequest) -> HttpConnectorFuture {
        let target = req.headers().get("x-amz-target").unwrap_or("").to_string();
        let body = String::from_utf8_lossy(req.body().bytes().unwrap_or_default()).into_owned();
        let key = format!("{target} {body}");
        self.seen.lock().unwrap().push(key.clone());
        let route = self
            .routes
            .iter()
            .find(|r| r.needles.iter().all(|n| key.contains(n)));
        let (status, body) = match route {
            Some(r) => (r.status, r.body.clone()),
            None => panic!("no recorded response for {key}"),
        };
        let resp = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body));
        HttpConnectorFuture::ready(Ok(resp))
    }
}

impl HttpClient for Recorded {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn fixture(name: &str) -> String {
    let p = format!("{}/fixtures/aws/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn route(needles: &[&'static str], status: u16, body: String) -> Route {
    Route {
        needles: needles.to_vec(),
        status,
        body,
    }
}

/// The healthy account: mydb joined, its replica not, the role right, the directory Active.
fn healthy() -> Vec<Route> {
    vec![
        route(
            &["DescribeDBInstances", "DBInstanceIdentifier=mydb-replica"],
            200,
            fixture("rds-describe-db-instances-replica.xml"),
        ),
        route(
            &["DescribeDBInstances"],
            200,
            fixture("rds-describe-db-instances.xml"),
        ),
        route(&["Action=GetRole"], 200, fixture("iam-get-role.xml")),
        route(
            &["ListAttachedRolePolicies"],
            200,
            fixture("iam-list-attached-role-policies.xml"),
        ),
        route(
            &["DescribeDirectories"],
            200,
            fixture("ds-describe-directories.json"),
        ),
        route(&["DescribeTrusts"], 200, fixture("ds-describe-trusts.json")),
    ]
}

/// `overrides` answer before the healthy routes (the replica's own route stays first).
fn run(overrides: Vec<Route>) -> (AwsStatus, Vec<String>) {
    run_for(
        overrides,
        Lookup {
            id: "mydb".into(),
            cluster: false,
            region: Some("us-east-1".into()),
        },
    )
}

fn run_for(overrides: Vec<Route>, target: Lookup) -> (AwsStatus, Vec<String>) {
    let mut routes = healthy();
    let rest = routes.split_off(1);
    routes.extend(overrides);
    routes.extend(rest);
    let (cfg, client) = rt().block_on(config(routes));
    let st = rt().block_on(async {
        tokio::time::timeout(Duration::from_secs(10), status_with(&cfg, &target, None))
            .await
            .expect("no hang")
    });
    let seen = client.seen.lock().unwrap().clone();
    (st, seen)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An SDK configuration whose HTTP client replays `routes`.
async fn config(routes: Vec<Route>) -> (aws_config::SdkConfig, Recorded) {
    let client = Recorded {
        routes: Arc::new(routes),
        seen: Arc::default(),
    };
    let cfg = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "recorded",
        ))
        .http_client(client.clone())
        .load()
        .await;
    (cfg, client)
}

fn one(
    st: &AwsStatus,
    id: CheckId,
    target: Option<&str>,
) -> (Status, Option<&'static str>, String) {
    let r = st
        .results
        .iter()
        .find(|r| r.id == id && (target.is_none() || r.target.as_deref() == target))
        .unwrap_or_else(|| panic!("{id:?} {target:?} missing: {:#?}", st.results));
    (
        r.status,
        r.cause.map(|c| c.code()),
        format!("{} | {}", r.detail, r.hint.clone().unwrap_or_default()),
    )
}

#[test]
fn healthy_account_reads_everything_and_the_replica_is_not_joined() {
    let (st, seen) = run(Vec::new());
    assert_eq!(one(&st, CheckId::AwsInstance, None).0, Status::Pass);
    assert_eq!(
        one(&st, CheckId::AwsDomainMembership, Some("mydb")).0,
        Status::Pass
    );
    assert_eq!(
        one(&st, CheckId::AwsIamRole, None).0,
        Status::Pass,
        "{:#?}",
        st.results
    );
    assert_eq!(one(&st, CheckId::AwsDirectory, None).0, Status::Pass);
    let (s, cause, text) = one(&st, CheckId::AwsDomainMembership, Some("mydb-replica"));
    assert_eq!((s, cause), (Status::Fail, Some("instance-not-joined")));
    assert!(
        text.contains("modify-db-instance --db-instance-identifier mydb-replica"),
        "{text}"
    );
    assert_eq!(st.realm.as_deref(), Some("CORP.EXAMPLE.COM"));
    assert_eq!(st.dns_ips.len(), 2);
    for op in [
        "DescribeDBInstances",
        "GetRole",
        "ListAttachedRolePolicies",
        "DescribeDirectories",
        "DescribeTrusts",
    ] {
        assert!(
            seen.iter().any(|s| s.contains(op)),
            "{op} never called: {seen:?}"
        );
    }
}

#[test]
fn every_membership_status_as_rds_returns_it() {
    let table = [
        ("kerberos-enabled", Status::Pass, None),
        ("enabling-kerberos", Status::Warn, Some("join-in-progress")),
        (
            "pending-enable-kerberos",
            Status::Warn,
            Some("join-pending"),
        ),
        (
            "pending-maintenance-enable-kerberos",
            Status::Warn,
            Some("join-pending"),
        ),
        (
            "pending-disable-kerberos",
            Status::Warn,
            Some("join-pending"),
        ),
        (
            "pending-maintenance-disable-kerberos",
            Status::Warn,
            Some("join-pending"),
        ),
        ("disabling-kerberos", Status::Fail, Some("join-in-progress")),
        ("enable-kerberos-failed", Status::Fail, Some("join-failed")),
        ("failed", Status::Fail, Some("join-failed")),
        ("joined", Status::Pass, None),
        ("pending-join", Status::Warn, Some("join-pending")),
        // moto's word, and one kerbrds has never seen: a visible warning, not a pass.
        ("active", Status::Pass, None),
        ("something-new", Status::Warn, Some("join-in-progress")),
    ];
    let base = fixture("rds-describe-db-instances.xml");
    for (status, want, cause) in table {
        let body = base.replace(
            "<Status>kerberos-enabled</Status>",
            &format!("<Status>{status}</Status>"),
        );
        let (st, _) = run(vec![route(&["DescribeDBInstances"], 200, body)]);
        let (s, c, text) = one(&st, CheckId::AwsDomainMembership, Some("mydb"));
        assert_eq!((s, c), (want, cause), "{status}: {text}");
        // The replica is still judged on its own record.
        assert_eq!(
            one(&st, CheckId::AwsDomainMembership, Some("mydb-replica")).0,
            Status::Fail
        );
        assert!(text.contains(status), "{text}");
    }
}

#[test]
fn pending_maintenance_names_the_window_and_pending_changes() {
    let (st, _) = run(vec![route(
        &["DescribeDBInstances"],
        200,
        fixture("rds-describe-db-instances-pending-maintenance.xml"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsDomainMembership, None);
    assert_eq!((s, c), (Status::Warn, Some("join-pending")));
    assert!(
        text.contains(
            "aws rds reboot-db-instance --db-instance-identifier mydb --region us-east-1"
        ),
        "{text}"
    );
    assert!(text.contains("sun:05:00-sun:05:30"), "{text}");
    let inst = st
        .results
        .iter()
        .find(|r| r.id == CheckId::AwsInstance)
        .unwrap();
    assert!(
        inst.evidence
            .iter()
            .any(|e| e == "pending modification: DBInstanceClass=db.r6g.xlarge"),
        "{:?}",
        inst.evidence
    );
    // The pending master password is named, never shown.
    assert!(inst
        .evidence
        .iter()
        .any(|e| e == "pending modification: MasterUserPassword=(masked)"));
}

#[test]
fn url_encoded_trust_policy_without_directoryservice_is_bad_trust() {
    let (st, _) = run(vec![route(
        &["Action=GetRole"],
        200,
        fixture("iam-get-role-rds-only.xml"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsIamRole, None);
    assert_eq!((s, c), (Status::Fail, Some("iam-role-bad-trust")));
    assert!(
        text.contains("does not trust directoryservice.rds.amazonaws.com"),
        "{text}"
    );
    assert!(text.contains("aws iam update-assume-role-policy --role-name rds-directoryservice-kerberos-access-role"), "{text}");
}

#[test]
fn shared_directory_pending_acceptance() {
    let (st, _) = run(vec![route(
        &["DescribeDirectories"],
        200,
        fixture("ds-describe-directories-shared-pending.json"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsDirectory, Some("d-9067a1b2c3"));
    assert_eq!((s, c), (Status::Fail, Some("directory-not-shared")));
    assert!(
        text.contains("aws ds accept-shared-directory --shared-directory-id d-9067a1b2c3"),
        "{text}"
    );
    // The domain controllers come from the owner's description.
    assert_eq!(st.dns_ips.len(), 2);
}

#[test]
fn trust_that_failed_verification() {
    let (st, _) = run(vec![route(
        &["DescribeTrusts"],
        200,
        fixture("ds-describe-trusts-verify-failed.json"),
    )]);
    let (s, c, text) = one(
        &st,
        CheckId::AwsDirectory,
        Some("d-9067a1b2c3 trust onprem.example.com"),
    );
    assert_eq!((s, c), (Status::Fail, Some("trust-not-verified")));
    assert!(text.contains("could not be contacted"), "{text}");
    assert!(
        text.contains("aws ds verify-trust --trust-id t-9067a1b2c4"),
        "{text}"
    );
}

#[test]
fn access_denied_throttling_and_expired_credentials() {
    let (st, _) = run(vec![route(
        &["DescribeDBInstances"],
        403,
        fixture("rds-access-denied.xml"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsInstance, None);
    assert_eq!((s, c), (Status::Warn, Some("aws-access-denied")));
    assert!(
        text.contains("not authorized to perform: rds:DescribeDBInstances"),
        "{text}"
    );
    assert_eq!(one(&st, CheckId::AwsDomainMembership, None).0, Status::Skip);

    let (st, _) = run(vec![route(
        &["DescribeDBInstances"],
        400,
        fixture("rds-throttling.xml"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsInstance, None);
    assert_eq!((s, c), (Status::Warn, Some("aws-unreachable")));
    assert!(text.contains("throttled"), "{text}");

    let (st, _) = run(vec![route(
        &["DescribeDBInstances"],
        403,
        fixture("rds-expired-token.xml"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsCredentials, None);
    assert_eq!((s, c), (Status::Warn, Some("aws-no-credentials")));
    assert!(text.contains("ExpiredToken"), "{text}");

    // Directory Service throttles with a ClientException "Rate exceeded".
    let (st, _) = run(vec![route(
        &["DescribeDirectories"],
        400,
        fixture("ds-throttling.json"),
    )]);
    let (s, c, _) = one(&st, CheckId::AwsDirectory, None);
    assert_eq!((s, c), (Status::Warn, Some("aws-unreachable")));

    let (st, _) = run(vec![route(
        &["DescribeDirectories"],
        400,
        fixture("ds-access-denied.json"),
    )]);
    let (s, c, text) = one(&st, CheckId::AwsDirectory, None);
    assert_eq!((s, c), (Status::Warn, Some("aws-access-denied")));
    assert!(text.contains("ds:DescribeDirectories"), "{text}");
}

#[test]
fn aurora_cluster_endpoint_reads_the_cluster_membership() {
    let target = kerbrds::aws::lookup(&kerbrds::aws::AwsInputs {
        host: Some("aurora-pg.cluster-ro-c9akciq32.us-east-1.rds.amazonaws.com".into()),
        ..Default::default()
    })
    .unwrap();
    let (st, seen) = run_for(
        vec![route(
            &["DescribeDBClusters"],
            200,
            fixture("rds-describe-db-clusters.xml"),
        )],
        target,
    );
    assert!(
        seen.iter()
            .any(|s| s.contains("DBClusterIdentifier=aurora-pg")),
        "{seen:?}"
    );
    let (s, c, text) = one(&st, CheckId::AwsDomainMembership, Some("aurora-pg"));
    assert_eq!((s, c), (Status::Warn, Some("join-pending")));
    assert!(
        text.contains(
            "aws rds reboot-db-instance --db-instance-identifier aurora-pg-1 --region us-east-1"
        ),
        "{text}"
    );
    assert_eq!(one(&st, CheckId::AwsInstance, None).0, Status::Pass);
}

/// Runs a setup step against recorded responses; returns its result and the events.
fn setup_with<F, Fut>(
    routes: Vec<Route>,
    step: F,
) -> (Result<String, setup::SetupError>, Vec<setup::Event>)
where
    F: FnOnce(Clients, setup::Options, Arc<Mutex<Vec<setup::Event>>>) -> Fut,
    Fut: std::future::Future<Output = Result<String, setup::SetupError>>,
{
    let events = Arc::new(Mutex::new(Vec::new()));
    let opts = setup::Options {
        dry_run: false,
        wait: Duration::from_millis(300),
        poll: Duration::from_millis(10),
    };
    let r = rt().block_on(async {
        let (cfg, _) = config(routes).await;
        step(Clients::new(&cfg), opts, events.clone()).await
    });
    let ev = events.lock().unwrap().clone();
    (r, ev)
}

fn calls(events: &[setup::Event]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            setup::Event::Call { api, .. } => Some(*api),
            _ => None,
        })
        .collect()
}

#[test]
fn share_creates_a_handshake_share_then_reuses_it() {
    let share = |routes| {
        setup_with(routes, |c, opts, ev| async move {
            setup::share(Some(&c), "d-90670a0b1c", "123456789012", &opts, &mut |e| {
                ev.lock().unwrap().push(e)
            })
            .await
        })
    };
    let (r, ev) = share(vec![
        route(
            &["DescribeSharedDirectories"],
            200,
            fixture("ds-describe-shared-directories-none.json"),
        ),
        route(&["ShareDirectory"], 200, fixture("ds-share-directory.json")),
    ]);
    assert_eq!(r.unwrap(), "d-9067a1b2c3");
    assert_eq!(
        calls(&ev),
        ["ds:DescribeSharedDirectories", "ds:ShareDirectory"]
    );
    assert!(format!("{ev:?}")
        .contains("aws ds accept-shared-directory --shared-directory-id d-9067a1b2c3"));

    let (r, ev) = share(vec![route(
        &["DescribeSharedDirectories"],
        200,
        fixture("ds-describe-shared-directories.json"),
    )]);
    assert_eq!(r.unwrap(), "d-9067a1b2c3");
    assert_eq!(calls(&ev), ["ds:DescribeSharedDirectories"]);
    assert!(
        matches!(&ev[1], setup::Event::Reused(s) if s.contains("PendingAcceptance")),
        "{ev:?}"
    );
}

fn with_status(status: &str) -> String {
    fixture("rds-describe-db-instances.xml").replace(
        "<Status>kerberos-enabled</Status>",
        &format!("<Status>{status}</Status>"),
    )
}

/// `setup join` for mydb while RDS reports the membership `status` throughout.
fn join(status: &str) -> (Result<String, setup::SetupError>, Vec<setup::Event>) {
    let routes = vec![
        route(
            &["ModifyDBInstance"],
            200,
            fixture("rds-modify-db-instance.xml"),
        ),
        route(
            &["RebootDBInstance"],
            200,
            fixture("rds-reboot-db-instance.xml"),
        ),
        route(&["DescribeDBInstances"], 200, with_status(status)),
    ];
    setup_with(routes, |c, opts, ev| async move {
        let spec = setup::JoinSpec {
            instance: "mydb",
            directory: "d-9067a1b2c3",
            role: "rds-directoryservice-kerberos-access-role",
            reboot: true,
        };
        setup::join(Some(&c), &spec, &opts, &mut |e| ev.lock().unwrap().push(e)).await
    })
}

#[test]
fn join_already_requested_only_reboots_and_waits() {
    // The modify was made before: only the reboot is missing.
    let (r, ev) = join("pending-enable-kerberos");
    assert_eq!(
        calls(&ev),
        ["rds:DescribeDBInstances", "rds:RebootDBInstance"]
    );
    assert!(
        matches!(&ev[1], setup::Event::Reused(s) if s.contains("already requested")),
        "{ev:?}"
    );
    // The recorded instance stays pending: the wait reports progress and stops at its limit.
    let err = r.unwrap_err();
    assert!(
        err.message
            .contains("gave up waiting for mydb to reach kerberos-enabled"),
        "{err:?}"
    );
    assert!(ev.iter().any(
        |e| matches!(e, setup::Event::Waiting { state, .. } if state == "pending-enable-kerberos")
    ));
}

#[test]
fn join_after_a_failed_join_retries_and_reports_the_failure() {
    let (r, ev) = join("enable-kerberos-failed");
    assert_eq!(
        calls(&ev),
        [
            "rds:DescribeDBInstances",
            "rds:ModifyDBInstance",
            "rds:RebootDBInstance"
        ]
    );
    let modify = format!("{:?}", ev[1]);
    assert!(modify.contains(r#"("Domain", "d-9067a1b2c3")"#), "{modify}");
    assert!(
        modify.contains(r#"("ApplyImmediately", "true")"#),
        "{modify}"
    );
    let err = r.unwrap_err();
    assert!(err.message.contains("enable-kerberos-failed"), "{err:?}");
    assert!(err.hint.unwrap().contains("kerbrds aws status"));
}
