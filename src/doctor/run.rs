//! The doctor's dependency graph. Four chains run at once, each step bounded by `step()`:
//!
//! - krb5.conf: parse, realm, lint, and the service principal libpq will ask for (with the DNS
//!   canonicalization MIT applies) → `krb5conf.*`
//! - network (the `probes` machinery `kerbrds probe` uses): DNS servers, DB host → DB port,
//!   realm → KDCs, kpasswd, clock → `dns.*`, `db.tcp/ssl/gssenc`, `kdc.*`, `kpasswd.*`, `clock.skew`
//! - credentials: ticket cache → service ticket → the GSSAPI login → its role
//!   → `ccache.tgt`, `gss.service_ticket`, `db.login`, `db.role`
//! - AWS: instance, domain membership, IAM role, directory → `aws.*`
//!
//! A step whose input is missing is `skip` with the reason; total time is the slowest chain.

use std::sync::Arc;
use std::time::Duration;

use crate::aws::{self, AwsInputs};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked, Status};
use crate::db::connect::{self, LoginInfo};
use crate::gss;
use crate::krb5conf::{self, LoadError, Profile, SpnPrediction};
use crate::login;
use crate::pgconn::ConnParams;
use crate::probes::{self, ProbeInputs};

use super::step::step;

pub struct Inputs {
    pub params: ConnParams,
    pub probe: ProbeInputs,
    pub profile: Arc<Result<Profile, LoadError>>,
    /// None: AWS checks are skipped with `aws_skip_reason`.
    pub aws: Option<AwsInputs>,
    pub aws_skip_reason: String,
    /// The master user (`--master-user`) and its stored password, to read the login role.
    pub master: Option<ConnParams>,
    pub krb5ccname: Option<String>,
    /// The DNS answers the target statement already got (canonicalization).
    pub canon: Arc<super::target::Dns>,
    pub timeout: Duration,
}

/// Where finished results collect, chain by chain, so that an interrupted run can still report
/// what it knows (`interrupted`).
#[derive(Default)]
pub struct Sink(std::sync::Mutex<Vec<CheckResult>>);

impl Sink {
    fn add(&self, results: impl IntoIterator<Item = CheckResult>) {
        if let Ok(mut v) = self.0.lock() {
            v.extend(results);
        }
    }

    fn take(&self) -> Vec<CheckResult> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// What finished before an interruption, plus a skip for every check that did not.
    pub fn interrupted(&self) -> Vec<CheckResult> {
        let mut results = self.take();
        for id in CheckId::ALL {
            if !results.iter().any(|r| r.id == *id) {
                results.push(CheckResult::skip(*id, "interrupted before it finished"));
            }
        }
        results
    }
}

/// Runs every check; results come back in no particular order (the report sorts them).
pub async fn run(inp: &Inputs, sink: &Sink) -> Vec<CheckResult> {
    // krb5.conf is judged against the directory's realm when AWS can tell it (AWS answers in
    // milliseconds or fails fast without credentials).
    let config_and_aws = async {
        let (aws, directory_realm) = aws_chain(inp).await;
        sink.add(aws);
        let expected = directory_realm.or_else(|| managed_realm_guess(inp));
        let krb5 = krb5conf_chain(inp, expected).await;
        sink.add(krb5.results);
        krb5.value
    };
    let network = async { sink.add(probes::run(&inp.probe).await) };
    let creds = async { sink.add(credential_chain(inp).await) };
    let (prediction, (), ()) = tokio::join!(config_and_aws, network, creds);
    let mut results = sink.take();
    name_the_unnamed_spn(&mut results, prediction.as_ref());
    explain_login_by_the_port(&mut results);
    confirm_warnings(&mut results);
    results
}

/// A warning that a later failure proves right: (the warning's check and causes, the failing
/// check and causes that confirm it). The warning then becomes the failure that explains the
/// other, so the verdict names it.
type Confirmation = (CheckId, &'static [Cause], CheckId, &'static [Cause]);

const CONFIRMATIONS: &[Confirmation] = &[
    // krb5.conf alone can only warn that no [domain_realm] entry covers the host (a referral
    // may still work); a service ticket failing that way confirms it.
    (
        CheckId::Krb5confDomainRealm,
        &[Cause::DomainRealmMissing, Cause::DomainRealmWrong],
        CheckId::GssServiceTicket,
        &[
            Cause::DomainRealmMissing,
            Cause::DomainRealmWrong,
            Cause::ServerNotFound,
        ],
    ),
    // A ticket for another principal than the DB user: pg_hba's gss line cannot match, and the
    // server falls back to a password or rejects the login.
    (
        CheckId::CcacheTgt,
        &[Cause::PrincipalMismatch],
        CheckId::DbLogin,
        &[Cause::PasswordAuthChosen, Cause::PrincipalMismatch],
    ),
];

fn confirm_warnings(results: &mut [CheckResult]) {
    for (warned, warn_causes, failing, fail_causes) in CONFIRMATIONS {
        let confirmed = results.iter().any(|r| {
            r.id == *failing
                && r.status == Status::Fail
                && r.cause.is_some_and(|c| fail_causes.contains(&c))
        });
        if !confirmed {
            continue;
        }
        for r in results.iter_mut() {
            if r.id == *warned
                && r.status == Status::Warn
                && r.cause.is_some_and(|c| warn_causes.contains(&c))
            {
                r.status = Status::Fail;
                r.detail
                    .push_str(&format!("; confirmed by {}", failing.as_str()));
            }
        }
    }
}

/// Active Directory answers a missing SPN with "Server not found in Kerberos database" and names
/// no principal (MIT names it): say which principal was asked for and where its realm came from.
fn name_the_unnamed_spn(results: &mut [CheckResult], prediction: Option<&SpnPrediction>) {
    let Some(p) = prediction else { return };
    let asked = p.principal();
    for r in results.iter_mut() {
        let unnamed = r.id == CheckId::GssServiceTicket
            && r.status == Status::Fail
            && r.cause == Some(Cause::ServerNotFound)
            && r.evidence.iter().any(|e| e.contains("Server not found"));
        if unnamed {
            r.detail.push_str(&format!(
                "; the KDC (Active Directory) names no principal: kerbrds asked for {asked} ({}), \
                 and no account in the directory holds that SPN",
                p.realm.source()
            ));
            r.evidence
                .push(format!("asked for {asked} ({})", p.realm.source()));
        }
    }
}

/// The SPN prediction does blocking DNS (getaddrinfo, as MIT does), so it runs off the async
/// threads and is bounded like any step.
async fn krb5conf_chain(inp: &Inputs, expected: Option<String>) -> Checked<SpnPrediction> {
    let profile = Arc::clone(&inp.profile);
    let host = inp.params.host.value.clone();
    let krbsrvname = inp.params.krbsrvname.value.clone();
    let ccname = inp.krb5ccname.clone();
    let canon = Arc::clone(&inp.canon);
    step(CheckId::Krb5confParse, inp.timeout, async move {
        let judged = tokio::task::spawn_blocking(move || {
            let req = krb5conf::Request {
                host: Some(&host),
                krbsrvname: &krbsrvname,
                expected_realm: expected.as_deref(),
                krb5ccname: ccname.as_deref(),
            };
            krb5conf::judge(&profile, &req, &*canon)
        })
        .await;
        judged.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    })
    .await
}

/// Without AWS, the managed realm is inferred, and only to name the fix for a host that no
/// [domain_realm] entry covers (a guess never turns a mapping into a failure): that is the case
/// where a user whose realm is one of two defined realms (managed + on-prem) cannot get the
/// ticket from their own realm, so the other one is the managed directory's.
fn managed_realm_guess(inp: &Inputs) -> Option<String> {
    let profile = inp.profile.as_ref().as_ref().ok()?;
    if matches!(
        profile.realm_for_host(&inp.params.host.value),
        krb5conf::HostRealm::Mapped { .. }
    ) {
        return None;
    }
    let realms: Vec<String> = profile
        .subsections("realms")
        .into_iter()
        .map(|(r, _)| r.to_string())
        .collect();
    let user_realm = inp
        .params
        .user
        .value
        .rsplit_once('@')
        .map(|(_, r)| r.to_string());
    match (realms.as_slice(), user_realm) {
        ([only], _) => Some(only.clone()),
        ([a, b], Some(u)) if *a == u => Some(b.clone()),
        ([a, b], Some(u)) if *b == u => Some(a.clone()),
        _ => None,
    }
}

/// Ticket cache → service ticket → login → role: each needs the one before.
async fn credential_chain(inp: &Inputs) -> Vec<CheckResult> {
    let t = inp.timeout;
    let p = &inp.params;
    let tgt = step(CheckId::CcacheTgt, t, gss::check_tgt(Some(&p.user.value))).await;
    let mut results = tgt.results;
    let Some(tgt) = tgt.value else {
        let why = "no usable ticket (see ccache.tgt)";
        results.push(CheckResult::skip(CheckId::GssServiceTicket, why));
        results.push(CheckResult::skip(CheckId::DbLogin, why));
        results.push(CheckResult::skip(CheckId::DbRole, why));
        return results;
    };
    let ticket = step(CheckId::GssServiceTicket, t, async {
        let r = gss::check_service_ticket(&p.host.value, &p.krbsrvname.value).await;
        // A warning (an RC4 ticket) is still a ticket: the login goes on.
        let ok = r.status != Status::Fail;
        Checked::one(r, ok.then_some(()))
    })
    .await;
    // The account-state fixes name the ticket's own principal, which only this chain knows.
    results.extend(ticket.results.into_iter().map(|mut r| {
        if let Some(c @ (Cause::AccountDisabled | Cause::PasswordExpired)) = r.cause {
            r.hint = Some(gss::hint(c, None, Some(&tgt.principal)));
        }
        r
    }));
    if ticket.value.is_none() {
        let why = "no service ticket for the DB (see gss.service_ticket)";
        results.push(CheckResult::skip(CheckId::DbLogin, why));
        results.push(CheckResult::skip(CheckId::DbRole, why));
        return results;
    }
    // The login does TCP, a transport negotiation, GSS and the startup: one timeout each at
    // most, but the step as a whole still ends.
    let login: Checked<LoginInfo> = step(CheckId::DbLogin, t * 3, connect::login(p, t)).await;
    let mut login_results = login.results;
    if let Some(role) = role_from_master(inp, &tgt.principal, &login_results).await {
        login_results.retain(|r| r.id != CheckId::DbRole);
        login_results.push(role);
    }
    results.extend(login_results);
    results
}

/// When the server chose a password method, the login cannot tell which of "role missing",
/// "not in rds_ad" or "NOLOGIN" it is; the master user can.
async fn role_from_master(
    inp: &Inputs,
    principal: &str,
    login: &[CheckResult],
) -> Option<CheckResult> {
    let fell_through = login
        .iter()
        .any(|r| r.id == CheckId::DbLogin && r.cause == Some(Cause::PasswordAuthChosen));
    if !fell_through {
        return None;
    }
    let Some(master) = &inp.master else {
        return Some(
            CheckResult::skip(
                CheckId::DbRole,
                format!(
                    "not read: the server asked for a password, so the role {:?} is missing, \
                     not in rds_ad or NOLOGIN; pass --master-user to tell which",
                    inp.params.user.value
                ),
            )
            .with_target(format!(
                "{}:{}",
                inp.params.host.value, inp.params.port.value
            )),
        );
    };
    let env = |k: &str| std::env::var(k).ok();
    let (stored, _warning) = login::master::stored_password(master, &env);
    let (password, source) = match &stored {
        Some((pw, src)) => (Some(pw), src.clone()),
        None => (None, login::master::PasswordSource::None),
    };
    let name = &inp.params.user.value;
    let facts = step(CheckId::DbRole, inp.timeout * 2, async {
        Checked::one(
            CheckResult::pass(CheckId::DbRole, "read"),
            login::master_role_facts(master, password, &source, name)
                .await
                .ok(),
        )
    })
    .await;
    Some(match facts.value {
        Some(f) => login::judge_role(principal, &f),
        None => CheckResult::skip(
            CheckId::DbRole,
            format!(
                "not read: the master user {:?} could not connect (password from PGPASSWORD or ~/.pgpass)",
                master.user.value
            ),
        ),
    })
}

/// A login that failed because the DB port never answered says nothing new: `db.tcp` does.
fn explain_login_by_the_port(results: &mut [CheckResult]) {
    let port_ok = results
        .iter()
        .any(|r| r.id == CheckId::DbTcp && r.status == Status::Pass);
    let port_checked = results
        .iter()
        .any(|r| r.id == CheckId::DbTcp && r.status != Status::Skip);
    if port_ok || !port_checked {
        return;
    }
    for r in results.iter_mut() {
        if matches!(r.id, CheckId::DbLogin | CheckId::DbRole) && r.status == Status::Fail {
            *r = CheckResult::skip(r.id, "the DB port does not answer (see db.tcp)")
                .with_elapsed(r.elapsed);
        }
    }
}

/// The `aws.*` results and, when AWS could tell, the directory's realm.
async fn aws_chain(inp: &Inputs) -> (Vec<CheckResult>, Option<String>) {
    let Some(a) = &inp.aws else {
        let skipped = [
            CheckId::AwsCredentials,
            CheckId::AwsInstance,
            CheckId::AwsDomainMembership,
            CheckId::AwsIamRole,
            CheckId::AwsDirectory,
        ]
        .into_iter()
        .map(|id| CheckResult::skip(id, inp.aws_skip_reason.clone()))
        .collect();
        return (skipped, None);
    };
    // AWS calls each get a third of the budget; independent reads run together.
    let started = std::time::Instant::now();
    let status = step(CheckId::AwsCredentials, inp.timeout * 2, async {
        Checked::one(
            CheckResult::pass(CheckId::AwsCredentials, "read"),
            Some(aws::status(a, inp.timeout * 2).await),
        )
    })
    .await;
    match status.value {
        Some(s) => {
            let results = s
                .results
                .into_iter()
                .map(|r| {
                    let e = if r.elapsed.is_zero() {
                        started.elapsed()
                    } else {
                        r.elapsed
                    };
                    r.with_elapsed(e)
                })
                .collect();
            (results, s.realm.map(|r| r.to_string()))
        }
        None => (status.results, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_db_port_turns_login_failures_into_skips() {
        let mut results = vec![
            CheckResult::fail(CheckId::DbTcp, Cause::DbTimeout, "no answer"),
            CheckResult::fail(CheckId::DbLogin, Cause::LoginTimeout, "timed out"),
            CheckResult::skip(CheckId::DbRole, "login failed"),
        ];
        explain_login_by_the_port(&mut results);
        assert_eq!(results[1].status, Status::Skip);
        assert!(results[1].detail.contains("db.tcp"));
    }

    #[test]
    fn a_live_db_port_keeps_the_login_failure() {
        let mut results = vec![
            CheckResult::pass(CheckId::DbTcp, "ok"),
            CheckResult::fail(CheckId::DbLogin, Cause::PasswordAuthChosen, "password"),
        ];
        explain_login_by_the_port(&mut results);
        assert_eq!(results[1].status, Status::Fail);
    }

    #[test]
    fn a_failed_service_ticket_confirms_the_mapping_warning() {
        let mut results = vec![
            CheckResult::warn(
                CheckId::Krb5confDomainRealm,
                Cause::DomainRealmMissing,
                "no entry",
            ),
            CheckResult::fail(
                CheckId::GssServiceTicket,
                Cause::DomainRealmMissing,
                "not found",
            ),
        ];
        confirm_warnings(&mut results);
        assert_eq!(results[0].status, Status::Fail);
        let mut healthy = vec![
            CheckResult::warn(
                CheckId::Krb5confDomainRealm,
                Cause::DomainRealmMissing,
                "no entry",
            ),
            CheckResult::pass(CheckId::GssServiceTicket, "got it"),
        ];
        confirm_warnings(&mut healthy);
        assert_eq!(
            healthy[0].status,
            Status::Warn,
            "a referral that works stays a warning"
        );
    }

    #[test]
    fn no_port_check_at_all_keeps_the_login_result() {
        let mut results = vec![CheckResult::fail(CheckId::DbLogin, Cause::ServerFatal, "x")];
        explain_login_by_the_port(&mut results);
        assert_eq!(results[0].status, Status::Fail);
    }
}
