//! Judgement tables: facts literal → (check, status, cause), no network.

use std::time::Duration;

use pretty_assertions::assert_eq;

use super::*;
use crate::aws::state::*;

const ROLE: &str = "rds-directoryservice-kerberos-access-role";
const GOOD_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["directoryservice.rds.amazonaws.com","rds.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;

fn healthy() -> AwsFacts {
    AwsFacts {
        region: Some("us-east-1".into()),
        endpoint_url: None,
        credentials: CredFacts::Found {
            source: "profile".into(),
            key_id: "AKIA…WXYZ".into(),
            expires_in: Some(Duration::from_secs(3600)),
        },
        imds_note: String::new(),
        instance: Fetch::Got(InstanceFacts {
            id: "mydb".into(),
            engine: "postgres".into(),
            engine_version: Some("15.7".into()),
            status: "available".into(),
            vpc_id: Some("vpc-1".into()),
            memberships: vec![Membership {
                domain: "d-1234567890".into(),
                status: "kerberos-enabled".into(),
                fqdn: Some("corp.example.com".into()),
                iam_role_name: Some(ROLE.into()),
                ou: None,
            }],
            maintenance_window: Some("sun:05:00-sun:05:30".into()),
            ..InstanceFacts::default()
        }),
        replicas: Vec::new(),
        role: Fetch::Got(RoleFacts {
            name: ROLE.into(),
            arn: format!("arn:aws:iam::123456789012:role/{ROLE}"),
            trust_policy: GOOD_TRUST.into(),
            attached: vec![(
                "AmazonRDSDirectoryServiceAccess".into(),
                "arn:aws:iam::aws:policy/service-role/AmazonRDSDirectoryServiceAccess".into(),
            )],
            documents: Vec::new(),
            unreadable: Vec::new(),
        }),
        directory: Fetch::Got(DirectoryFacts {
            id: "d-1234567890".into(),
            dns_name: "corp.example.com".into(),
            dir_type: "MicrosoftAD".into(),
            stage: "Active".into(),
            dns_ips: vec!["10.0.1.10".parse().unwrap(), "10.0.2.10".parse().unwrap()],
            vpc_id: Some("vpc-1".into()),
            ..DirectoryFacts::default()
        }),
        trusts: Fetch::Got(Vec::new()),
        timings: Timings::default(),
    }
}

/// (status, cause code) of the first result with this id.
fn verdict(f: &AwsFacts, id: CheckId) -> (Status, Option<&'static str>) {
    let r = judge(f, &Expect::default());
    let c = r.iter().find(|c| c.id == id).expect("result for id");
    (c.status, c.cause.map(Cause::code))
}

fn inst(f: &mut AwsFacts) -> &mut InstanceFacts {
    match &mut f.instance {
        Fetch::Got(i) => i,
        _ => unreachable!(),
    }
}

#[test]
fn healthy_is_all_pass() {
    let r = judge(&healthy(), &Expect::default());
    assert_eq!(r.len(), 5);
    assert!(r.iter().all(|c| c.status == Status::Pass), "{r:#?}");
}

// Every membership status is tabled in tests/aws_recorded.rs, through the SDK's parser.

#[test]
fn membership_hints_are_the_exact_commands() {
    let hint = |status: &str| {
        let mut f = healthy();
        inst(&mut f).memberships[0].status = status.into();
        let r = judge(&f, &Expect::default());
        r.into_iter()
            .find(|c| c.id == CheckId::AwsDomainMembership)
            .and_then(|c| c.hint)
            .unwrap()
    };
    assert!(hint("pending-enable-kerberos").starts_with(
        "aws rds reboot-db-instance --db-instance-identifier mydb --region us-east-1"
    ));
    assert!(hint("pending-maintenance-enable-kerberos").contains("sun:05:00-sun:05:30"));
    assert!(hint("failed").contains(
        "aws rds modify-db-instance --db-instance-identifier mydb --domain d-1234567890 --domain-iam-role-name rds-directoryservice-kerberos-access-role --apply-immediately --region us-east-1"
    ));
}

#[test]
fn not_joined_fails_and_skips_role_and_directory_reasons_come_from_gather() {
    let mut f = healthy();
    inst(&mut f).memberships.clear();
    f.role = Fetch::NotAsked("skipped: the instance is not joined to a directory".into());
    f.directory = Fetch::NotAsked("skipped: the instance is not joined to a directory".into());
    assert_eq!(
        verdict(&f, CheckId::AwsDomainMembership),
        (Status::Fail, Some("instance-not-joined"))
    );
    assert_eq!(verdict(&f, CheckId::AwsIamRole), (Status::Skip, None));
    assert_eq!(verdict(&f, CheckId::AwsDirectory), (Status::Skip, None));
}

#[test]
fn replicas_are_judged_on_their_own() {
    let mut f = healthy();
    let mut replica = f.instance.got().unwrap().clone();
    replica.id = "mydb-replica".into();
    replica.replica_source = Some("mydb".into());
    replica.memberships.clear();
    f.replicas.push(Fetch::Got(replica));
    let r = judge(&f, &Expect::default());
    let m: Vec<_> = r
        .iter()
        .filter(|c| c.id == CheckId::AwsDomainMembership)
        .map(|c| (c.target.clone().unwrap(), c.status))
        .collect();
    assert_eq!(
        m,
        vec![
            ("mydb".into(), Status::Pass),
            ("mydb-replica".into(), Status::Fail)
        ]
    );
}

#[test]
fn instance_states() {
    let table = [
        ("available", Status::Pass, None),
        ("backing-up", Status::Pass, None),
        ("stopped", Status::Fail, Some("instance-not-available")),
        ("rebooting", Status::Fail, Some("instance-not-available")),
    ];
    for (s, want, cause) in table {
        let mut f = healthy();
        inst(&mut f).status = s.into();
        assert_eq!(verdict(&f, CheckId::AwsInstance), (want, cause), "{s}");
    }
}

fn api(kind: ApiErrorKind, code: &str) -> ApiError {
    ApiError::new("rds:DescribeDBInstances", kind, "m").with_code(code)
}

#[test]
fn api_errors_on_the_instance() {
    let table = [
        (
            ApiErrorKind::NotFound,
            Status::Fail,
            "aws-instance-not-found",
        ),
        (
            ApiErrorKind::AccessDenied,
            Status::Warn,
            "aws-access-denied",
        ),
        (ApiErrorKind::Throttled, Status::Warn, "aws-unreachable"),
        (ApiErrorKind::Timeout, Status::Warn, "aws-unreachable"),
        (ApiErrorKind::Unreachable, Status::Warn, "aws-unreachable"),
        (
            ApiErrorKind::CredentialsExpired,
            Status::Warn,
            "aws-no-credentials",
        ),
        (ApiErrorKind::Other, Status::Warn, "aws-api-error"),
    ];
    for (kind, want, cause) in table {
        let mut f = healthy();
        f.instance = Fetch::Failed(api(kind, "X"));
        assert_eq!(
            verdict(&f, CheckId::AwsInstance),
            (want, Some(cause)),
            "{kind:?}"
        );
    }
    // Rejected credentials turn aws.credentials into the finding.
    let mut f = healthy();
    f.instance = Fetch::Failed(api(
        ApiErrorKind::CredentialsRejected,
        "InvalidClientTokenId",
    ));
    assert_eq!(
        verdict(&f, CheckId::AwsCredentials),
        (Status::Warn, Some("aws-no-credentials"))
    );
}

#[test]
fn credentials_states() {
    let table = [
        (
            CredFacts::Missing {
                tried: "env".into(),
            },
            Status::Warn,
            Some("aws-no-credentials"),
        ),
        (
            CredFacts::Expired {
                source: "profile".into(),
                ago: Duration::from_secs(600),
            },
            Status::Warn,
            Some("aws-no-credentials"),
        ),
        (
            CredFacts::Error {
                message: "sso".into(),
            },
            Status::Warn,
            Some("aws-no-credentials"),
        ),
        (CredFacts::NotBuilt, Status::Skip, None),
    ];
    for (c, want, cause) in table {
        let f = AwsFacts::unread(c.clone(), "AWS checks skipped: x");
        assert_eq!(verdict(&f, CheckId::AwsCredentials), (want, cause), "{c:?}");
        let r = judge(&f, &Expect::default());
        assert!(
            r[0].detail.starts_with("AWS checks skipped"),
            "{}",
            r[0].detail
        );
        assert!(r[1..].iter().all(|x| x.status == Status::Skip));
    }
}

#[test]
fn role_table() {
    let only_rds = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let inline_ok = r#"{"Statement":[{"Effect":"Allow","Action":["ds:DescribeDirectories","ds:AuthorizeApplication","ds:UnauthorizeApplication","ds:GetAuthorizedApplicationDetails"],"Resource":"*"}]}"#;
    type Row<'a> = (
        &'a str,
        &'a str,
        bool,
        Option<&'a str>,
        Status,
        Option<&'a str>,
    );
    let cases: [Row; 6] = [
        ("good", GOOD_TRUST, true, None, Status::Pass, None),
        (
            "only rds",
            only_rds,
            true,
            None,
            Status::Fail,
            Some("iam-role-bad-trust"),
        ),
        (
            "garbage trust",
            "%7Bnot",
            true,
            None,
            Status::Fail,
            Some("iam-role-bad-trust"),
        ),
        (
            "no policy",
            GOOD_TRUST,
            false,
            None,
            Status::Fail,
            Some("iam-role-no-policy"),
        ),
        (
            "inline equivalent",
            GOOD_TRUST,
            false,
            Some(inline_ok),
            Status::Pass,
            None,
        ),
        (
            "inline too narrow",
            GOOD_TRUST,
            false,
            Some(r#"{"Statement":{"Effect":"Allow","Action":"ds:Describe*"}}"#),
            Status::Fail,
            Some("iam-role-no-policy"),
        ),
    ];
    for (name, trust, managed, doc, want, cause) in cases {
        let mut f = healthy();
        if let Fetch::Got(r) = &mut f.role {
            r.trust_policy = trust.into();
            if !managed {
                r.attached.clear();
            }
            if let Some(d) = doc {
                r.documents.push(("inline".into(), d.into()));
            }
        }
        assert_eq!(verdict(&f, CheckId::AwsIamRole), (want, cause), "{name}");
    }
    // Policies that could not be read make the verdict uncertain, not a false "no policy".
    let mut f = healthy();
    if let Fetch::Got(r) = &mut f.role {
        r.attached.clear();
        r.unreadable.push(ApiError::new(
            "iam:ListRolePolicies",
            ApiErrorKind::AccessDenied,
            "denied",
        ));
    }
    assert_eq!(
        verdict(&f, CheckId::AwsIamRole),
        (Status::Warn, Some("aws-access-denied"))
    );
    let mut f = healthy();
    f.role = Fetch::Failed(ApiError::new("iam:GetRole", ApiErrorKind::NotFound, "x"));
    assert_eq!(
        verdict(&f, CheckId::AwsIamRole),
        (Status::Fail, Some("iam-role-missing"))
    );
    let r = judge(&f, &Expect::default());
    let hint = r
        .iter()
        .find(|c| c.id == CheckId::AwsIamRole)
        .unwrap()
        .hint
        .clone();
    assert_eq!(
        hint.as_deref(),
        Some(format!("kerbrds aws setup role --role-name {ROLE}").as_str())
    );
}

#[test]
fn directory_table() {
    type Edit = fn(&mut DirectoryFacts);
    let cases: [(&str, Edit, Status, Option<&str>); 10] = [
        ("healthy", |_| {}, Status::Pass, None),
        (
            "connector",
            |d| d.dir_type = "ADConnector".into(),
            Status::Fail,
            Some("directory-wrong-type"),
        ),
        (
            "creating",
            |d| d.stage = "Creating".into(),
            Status::Warn,
            Some("directory-not-active"),
        ),
        (
            "impaired",
            |d| d.stage = "Impaired".into(),
            Status::Fail,
            Some("directory-not-active"),
        ),
        (
            "other vpc",
            |d| d.vpc_id = Some("vpc-2".into()),
            Status::Warn,
            Some("directory-other-vpc"),
        ),
        (
            "shared ok",
            |d| {
                d.dir_type = "SharedMicrosoftAD".into();
                d.share_status = Some("Shared".into());
            },
            Status::Pass,
            None,
        ),
        (
            "pending acceptance",
            |d| {
                d.dir_type = "SharedMicrosoftAD".into();
                d.share_status = Some("PendingAcceptance".into());
            },
            Status::Fail,
            Some("directory-not-shared"),
        ),
        (
            "sharing",
            |d| d.share_status = Some("Sharing".into()),
            Status::Warn,
            Some("directory-not-shared"),
        ),
        (
            "rejected",
            |d| d.share_status = Some("Rejected".into()),
            Status::Fail,
            Some("directory-not-shared"),
        ),
        (
            "deleted",
            |d| d.stage = "Deleted".into(),
            Status::Fail,
            Some("directory-not-active"),
        ),
    ];
    for (name, edit, want, cause) in cases {
        let mut f = healthy();
        if let Fetch::Got(d) = &mut f.directory {
            edit(d);
        }
        assert_eq!(verdict(&f, CheckId::AwsDirectory), (want, cause), "{name}");
    }
    let mut f = healthy();
    f.directory = Fetch::Failed(ApiError::new(
        "ds:DescribeDirectories",
        ApiErrorKind::NotFound,
        "x",
    ));
    assert_eq!(
        verdict(&f, CheckId::AwsDirectory),
        (Status::Fail, Some("directory-not-shared"))
    );
}

#[test]
fn realm_mismatch_is_a_warning() {
    let f = healthy();
    let r = judge(
        &f,
        &Expect {
            realm: Some("CORP.EXAMPLE.COM"),
        },
    );
    assert!(r.iter().all(|c| c.status == Status::Pass));
    let r = judge(
        &f,
        &Expect {
            realm: Some("corp.example.com"),
        },
    );
    let d = r.iter().find(|c| c.id == CheckId::AwsDirectory).unwrap();
    assert_eq!(d.cause, Some(Cause::RealmDirectoryMismatch));
}

#[test]
fn trust_states() {
    let table = [
        ("Verified", Status::Pass),
        ("Creating", Status::Warn),
        ("Created", Status::Warn),
        ("VerifyFailed", Status::Fail),
        ("Failed", Status::Fail),
        ("Deleted", Status::Fail),
    ];
    for (s, want) in table {
        let mut f = healthy();
        f.trusts = Fetch::Got(vec![TrustFacts {
            id: "t-1".into(),
            remote_domain: "onprem.com".into(),
            state: s.into(),
            ..TrustFacts::default()
        }]);
        let r = judge(&f, &Expect::default());
        let t = r
            .iter()
            .find(|c| c.target.as_deref() == Some("d-1234567890 trust onprem.com"))
            .unwrap();
        assert_eq!(t.status, want, "{s}");
        if want != Status::Pass {
            assert_eq!(t.cause, Some(Cause::TrustNotVerified));
            assert!(t
                .hint
                .as_deref()
                .unwrap()
                .contains("aws ds verify-trust --trust-id t-1"));
        }
    }
}
