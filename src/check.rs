//! The report model's atoms: which checks exist (`CheckId`), how each ended (`Status`) and the
//! result a check hands back (`CheckResult`). Checks never print; renderers in `report` do.

use std::time::Duration;

use serde::Serialize;

use crate::catalogue::Cause;

/// How a check ended. Ordered by severity so that `max()` gives the worst; `Skip` sorts lowest
/// because a skipped check is never the reason a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skip,
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

macro_rules! check_ids {
    ($($variant:ident => $id:literal, $title:literal;)*) => {
        /// The public list of checks, in display order. `as_str()` is a stable contract (JSON,
        /// docs, support tickets); `title()` states the condition that should hold.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CheckId { $($variant),* }

        impl CheckId {
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(CheckId::$variant => $id),* }
            }

            pub fn title(self) -> &'static str {
                match self { $(CheckId::$variant => $title),* }
            }

            pub fn from_id(id: &str) -> Option<CheckId> {
                match id { $($id => Some(CheckId::$variant),)* _ => None }
            }
        }
    };
}

check_ids! {
    Krb5confParse => "krb5conf.parse", "krb5.conf exists and parses";
    Krb5confRealm => "krb5conf.realm", "the default realm is defined, upper case, with a way to find its KDCs";
    Krb5confDomainRealm => "krb5conf.domain_realm", "the DB host maps to the directory's realm without SPN rewriting";
    Krb5confLint => "krb5conf.lint", "krb5.conf has no setting known to break RDS logins";
    DnsUdp => "dns.udp", "the DNS server answers over UDP 53";
    DnsTcp => "dns.tcp", "the DNS server answers over TCP 53";
    DnsSrv => "dns.srv", "the realm's KDCs are published as SRV records";
    DnsHost => "dns.host", "the DB host name resolves";
    KdcUdp => "kdc.udp", "the KDC answers an AS-REQ over UDP 88";
    KdcTcp => "kdc.tcp", "the KDC answers an AS-REQ over TCP 88";
    KpasswdUdp => "kpasswd.udp", "kpasswd answers over UDP 464";
    KpasswdTcp => "kpasswd.tcp", "kpasswd answers over TCP 464";
    ClockSkew => "clock.skew", "the local clock is within the KDC's clock skew";
    CcacheTgt => "ccache.tgt", "a valid ticket-granting ticket is in the credential cache";
    GssServiceTicket => "gss.service_ticket", "a service ticket for the DB's principal can be obtained";
    DbTcp => "db.tcp", "the DB port accepts TCP connections";
    DbSsl => "db.ssl", "the DB answers PostgreSQL's SSLRequest";
    DbGssenc => "db.gssenc", "the DB answers PostgreSQL's GSSENCRequest";
    DbLogin => "db.login", "the GSSAPI login to PostgreSQL succeeds";
    DbRole => "db.role", "the login role exists and is a member of rds_ad";
    AwsCredentials => "aws.credentials", "AWS credentials are available";
    AwsInstance => "aws.instance", "the DB instance is found in AWS";
    AwsDomainMembership => "aws.domain_membership", "the DB instance is joined to the directory with Kerberos enabled";
    AwsIamRole => "aws.iam_role", "the instance's IAM role trusts RDS and carries AmazonRDSDirectoryServiceAccess";
    AwsDirectory => "aws.directory", "the directory is an active AWS Managed Microsoft AD";
}

/// What one check found. `detail` says what was seen (concrete values); for warn and fail,
/// `cause` names the catalogue entry (why it matters) and `hint` the exact fix for this host.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub id: CheckId,
    /// The peer or object checked when a check runs once per target (`127.0.10.1:88`).
    pub target: Option<String>,
    pub status: Status,
    pub detail: String,
    pub cause: Option<Cause>,
    pub hint: Option<String>,
    /// Raw facts behind the judgement, shown with `-v` and in JSON.
    pub evidence: Vec<String>,
    pub elapsed: Duration,
}

impl CheckResult {
    pub fn new(id: CheckId, status: Status, detail: impl Into<String>) -> Self {
        CheckResult {
            id,
            target: None,
            status,
            detail: detail.into(),
            cause: None,
            hint: None,
            evidence: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn pass(id: CheckId, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Pass, detail)
    }

    pub fn skip(id: CheckId, reason: impl Into<String>) -> Self {
        Self::new(id, Status::Skip, reason)
    }

    /// A warning or failure always names its cause; the hint defaults to the cause's generic fix
    /// and should be replaced with the concrete one via `with_hint`.
    pub fn problem(id: CheckId, status: Status, cause: Cause, detail: impl Into<String>) -> Self {
        let mut r = Self::new(id, status, detail);
        r.hint = Some(cause.fix().to_string());
        r.cause = Some(cause);
        r
    }

    pub fn fail(id: CheckId, cause: Cause, detail: impl Into<String>) -> Self {
        Self::problem(id, Status::Fail, cause, detail)
    }

    pub fn warn(id: CheckId, cause: Cause, detail: impl Into<String>) -> Self {
        Self::problem(id, Status::Warn, cause, detail)
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn with_elapsed(mut self, elapsed: Duration) -> Self {
        self.elapsed = elapsed;
        self
    }
}

/// A check's result plus the value later steps depend on (an address, a ticket, a socket).
/// Dependencies are data flow: `value == None` means dependents skip.
#[derive(Debug)]
pub struct Checked<T> {
    pub results: Vec<CheckResult>,
    pub value: Option<T>,
}

impl<T> Checked<T> {
    pub fn new(results: Vec<CheckResult>, value: Option<T>) -> Self {
        Checked { results, value }
    }

    pub fn one(result: CheckResult, value: Option<T>) -> Self {
        Checked {
            results: vec![result],
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for id in CheckId::ALL {
            assert!(seen.insert(id.as_str()), "duplicate id {}", id.as_str());
            assert_eq!(CheckId::from_id(id.as_str()), Some(*id));
        }
    }

    #[test]
    fn the_contracted_ids_exist() {
        for id in [
            "krb5conf.parse",
            "krb5conf.realm",
            "krb5conf.domain_realm",
            "dns.udp",
            "dns.tcp",
            "dns.srv",
            "dns.host",
            "kdc.udp",
            "kdc.tcp",
            "kpasswd.udp",
            "kpasswd.tcp",
            "clock.skew",
            "ccache.tgt",
            "gss.service_ticket",
            "db.tcp",
            "db.ssl",
            "db.gssenc",
            "db.login",
            "db.role",
            "aws.credentials",
            "aws.instance",
            "aws.domain_membership",
            "aws.iam_role",
            "aws.directory",
        ] {
            assert!(CheckId::from_id(id).is_some(), "{id} missing");
        }
    }

    #[test]
    fn worst_status_wins_and_skip_never_does() {
        assert_eq!(
            [Status::Pass, Status::Fail, Status::Warn].iter().max(),
            Some(&Status::Fail)
        );
        assert_eq!(
            [Status::Skip, Status::Pass].iter().max(),
            Some(&Status::Pass)
        );
    }
}
