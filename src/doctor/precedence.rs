//! Root-cause precedence: which failing check best explains the others. Separate from display
//! order: a DB instance that is not joined to the directory *causes* "Server not found in
//! Kerberos database", so `aws.domain_membership` outranks `gss.service_ticket` although it is
//! shown later.

use crate::check::CheckId;

pub const PRECEDENCE: &[CheckId] = &[
    // Nothing Kerberos does works without a readable krb5.conf.
    CheckId::Krb5confParse,
    // Without DNS no name resolves: KDCs, the DB endpoint, SRV records.
    CheckId::DnsUdp,
    CheckId::DnsTcp,
    CheckId::DnsHost,
    // AWS state the client cannot see explains a missing service principal or a dead join.
    CheckId::AwsInstance,
    CheckId::AwsDirectory,
    CheckId::AwsDomainMembership,
    CheckId::AwsIamRole,
    // The realm and its KDCs: without them no ticket at all.
    CheckId::Krb5confRealm,
    CheckId::KdcTcp,
    CheckId::KdcUdp,
    CheckId::ClockSkew,
    // The user's own ticket.
    CheckId::CcacheTgt,
    // Host-to-realm mapping and SPN rewriting explain a failing service ticket.
    CheckId::Krb5confDomainRealm,
    CheckId::GssServiceTicket,
    // The DB's port and transport, then the role, which explains a refused login.
    CheckId::DbTcp,
    CheckId::DbSsl,
    CheckId::DbGssenc,
    CheckId::DbRole,
    CheckId::DbLogin,
    // Usually warnings: they rarely stop a login on their own.
    CheckId::DnsSrv,
    CheckId::KpasswdTcp,
    CheckId::KpasswdUdp,
    CheckId::Krb5confLint,
    CheckId::AwsCredentials,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Cause;
    use crate::check::{CheckResult, Status};
    use crate::report::{Report, Target};
    use std::time::Duration;

    #[test]
    fn every_check_has_a_rank() {
        for id in CheckId::ALL {
            assert!(PRECEDENCE.contains(id), "{} has no precedence", id.as_str());
        }
        assert_eq!(PRECEDENCE.len(), CheckId::ALL.len(), "no duplicates");
    }

    fn root(failing: &[(CheckId, Cause)]) -> CheckId {
        let checks = failing
            .iter()
            .map(|(id, cause)| CheckResult::fail(*id, *cause, "x"))
            .collect();
        let rep = Report::new(
            "doctor",
            Target::default(),
            checks,
            PRECEDENCE,
            Duration::ZERO,
        );
        assert_eq!(rep.verdict.status, Status::Fail);
        rep.verdict.root_cause.unwrap().id
    }

    #[test]
    fn scenarios_name_the_cause_not_the_symptom() {
        use CheckId::*;
        // Not joined → the service ticket and the login fail as a consequence.
        assert_eq!(
            root(&[
                (GssServiceTicket, Cause::ServerNotFound),
                (DbLogin, Cause::ServerNotFound),
                (AwsDomainMembership, Cause::InstanceNotJoined),
            ]),
            AwsDomainMembership
        );
        // SPN rewritten by rdns → the service ticket fails.
        assert_eq!(
            root(&[
                (GssServiceTicket, Cause::ServerNotFound),
                (Krb5confDomainRealm, Cause::SpnRewritten),
            ]),
            Krb5confDomainRealm
        );
        // KDC blackholed → no TGT can be had, the service ticket fails too.
        assert_eq!(
            root(&[
                (CcacheTgt, Cause::NoCredentials),
                (KdcTcp, Cause::KdcTimeout),
                (KdcUdp, Cause::KdcTimeout),
            ]),
            KdcTcp
        );
        // Role missing → pg_hba fell through to a password.
        assert_eq!(
            root(&[
                (DbLogin, Cause::PasswordAuthChosen),
                (DbRole, Cause::RoleMissing),
            ]),
            DbRole
        );
        // DNS down explains an unresolvable host.
        assert_eq!(
            root(&[(DnsHost, Cause::HostNotFound), (DnsUdp, Cause::DnsTimeout)]),
            DnsUdp
        );
    }
}
