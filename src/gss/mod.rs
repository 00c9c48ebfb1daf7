//! GSSAPI over MIT krb5 (libgssapi): the credential cache (`ccache.tgt`), the service ticket
//! for the DB (`gss.service_ticket`), the context the DB login uses, and one classification of
//! GSS failures into catalogue causes with concrete hints, shared by all three.
//!
//! I/O (`cred::inspect`, `GssClient::step`) gathers facts in `spawn_blocking`; `judge_*`
//! functions turn them into results without touching the network.

pub mod classify;
pub mod context;
pub mod cred;
pub mod ticket;

use std::time::{Duration, Instant};

pub use classify::{classify, GssFailure};
pub use context::GssClient;
pub use cred::{CredState, TgtInfo};

use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked};

/// A TGT with less time left than this gets a warning: a long session would outlive it.
pub const TGT_LOW: Duration = Duration::from_secs(10 * 60);

/// Inspects the default credential cache (KRB5CCNAME as MIT resolves it) → `ccache.tgt`.
/// `user` is the PostgreSQL user the login will use; a ticket for another principal is a
/// warning (PostgreSQL compares them exactly). The value is the TGT when it is usable.
pub async fn check_tgt(user: Option<&str>) -> Checked<TgtInfo> {
    let started = Instant::now();
    let state = inspect_cred().await;
    let result = judge_tgt(&state, user).with_elapsed(started.elapsed());
    let value = match state {
        CredState::Valid(t) => Some(t),
        _ => None,
    };
    Checked::one(result, value)
}

/// `cred::inspect` off the async threads.
pub async fn inspect_cred() -> CredState {
    match tokio::task::spawn_blocking(cred::inspect).await {
        Ok(s) => s,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Judges what the credential cache holds.
pub fn judge_tgt(state: &CredState, user: Option<&str>) -> CheckResult {
    let id = CheckId::CcacheTgt;
    match state {
        CredState::Missing { ccache, failure } => {
            let cause = match failure.cause {
                Cause::GssOther => Cause::NoCredentials,
                c => c,
            };
            CheckResult::fail(id, cause, format!("no usable ticket in {ccache}"))
                .with_target(ccache.clone())
                .with_hint(hint(cause, failure.principal.as_deref(), user))
                .with_evidence(failure.text.clone())
        }
        CredState::Expired(t) => CheckResult::fail(
            id,
            Cause::TicketExpired,
            format!("the TGT of {} in {} has expired", t.principal, t.ccache),
        )
        .with_target(t.ccache.clone())
        .with_hint(hint(Cause::TicketExpired, None, Some(&t.principal))),
        CredState::Valid(t) => {
            let left = human_duration(t.remaining);
            let seen = format!("{} has a TGT in {} ({left} left)", t.principal, t.ccache);
            // RDS matches logins with include_realm=1: the DB user must be the whole principal.
            if let Some(u) = user.filter(|u| *u != t.principal) {
                let fix = if u.contains('@') {
                    format!(
                        "kinit {u}   (or connect with user={} — PostgreSQL compares the two exactly)",
                        t.principal
                    )
                } else {
                    format!(
                        "connect as the principal: -U {0} (or PGUSER={0}); RDS compares the login name with the whole principal, realm included",
                        t.principal
                    )
                };
                CheckResult::warn(
                    id,
                    Cause::PrincipalMismatch,
                    format!("{seen}, but the DB user is {u}"),
                )
                .with_target(t.ccache.clone())
                .with_hint(fix)
            } else if t.remaining < TGT_LOW {
                CheckResult::warn(id, Cause::TicketExpired, format!("{seen}: it expires soon"))
                    .with_target(t.ccache.clone())
                    .with_hint(format!("kinit -R, or kinit {}", t.principal))
            } else {
                CheckResult::pass(id, seen).with_target(t.ccache.clone())
            }
        }
    }
}

/// Asks for a service ticket for `krbsrvname/host` (the first `gss_init_sec_context` step,
/// exactly what libpq does first) → `gss.service_ticket`.
pub async fn check_service_ticket(host: &str, krbsrvname: &str) -> CheckResult {
    let started = Instant::now();
    let outcome = match GssClient::new(krbsrvname, host) {
        Ok(client) => {
            let spn = client.spn().to_string();
            let (_client, r) = client.step(None).await;
            r.map(|tok| (spn, tok))
        }
        Err(f) => Err(f),
    };
    let etype = outcome
        .as_ref()
        .ok()
        .and_then(|(_, tok)| tok.as_deref())
        .and_then(ticket::ticket_enctype);
    let spn = outcome
        .as_ref()
        .map_or_else(|_| context::spn_of(krbsrvname, host), |(s, _)| s.clone());
    let outcome = outcome.map(|(s, tok)| (s, tok.map_or(0, |t| t.len())));
    let r = judge_service_ticket(&context::spn_of(krbsrvname, host), &outcome);
    // An issued ticket may still be RC4 (an AD account without AES enctypes): a warning.
    ticket::judge_ticket_enctype(r, &spn, etype).with_elapsed(started.elapsed())
}

/// Judges the first context step: `Ok((spn, AP-REQ length))` or the classified failure.
pub fn judge_service_ticket(
    asked: &str,
    outcome: &Result<(String, usize), GssFailure>,
) -> CheckResult {
    let id = CheckId::GssServiceTicket;
    match outcome {
        Ok((spn, len)) => CheckResult::pass(id, format!("got a service ticket for {spn}"))
            .with_target(asked.to_string())
            .with_evidence(format!("AP-REQ token of {len} bytes")),
        Err(f) => {
            let named = f.principal.as_deref().unwrap_or(asked);
            CheckResult::fail(
                id,
                f.cause,
                format!("no service ticket for {asked}: {}", short(&f.text)),
            )
            .with_target(asked.to_string())
            .with_hint(hint(f.cause, Some(named), None))
            .with_evidence(f.text.clone())
        }
    }
}

/// The concrete fix for a GSS failure. `principal` is the one the error names (a server
/// principal for "not found"), `user` the client principal when known.
pub fn hint(cause: Cause, principal: Option<&str>, user: Option<&str>) -> String {
    let who = user
        .filter(|u| u.contains('@'))
        .map_or_else(|| "USER@REALM".to_string(), str::to_string);
    let conf = std::env::var("KRB5_CONFIG").unwrap_or_else(|_| "/etc/krb5.conf".into());
    let p = principal.unwrap_or("the service principal");
    match cause {
        Cause::NoCredentials => format!("kinit {who}"),
        Cause::TicketExpired => {
            format!("kinit {who}   (or kinit -R within the renewable lifetime)")
        }
        Cause::KeyVersionMismatch => format!(
            "kdestroy && kinit {who}   (the cached ticket for {p} predates the DB's new key)"
        ),
        Cause::HostIsIpAddress => format!(
            "connect with the endpoint name, not an address (the KDC has no {p}); to pin the \
             address too: host=<endpoint name> hostaddr=<address>"
        ),
        Cause::ServerNotFound => format!(
            "the KDC has no {p}: connect with the RDS endpoint name, keep krbsrvname=postgres, \
             and check that the instance is joined to the directory (kvno {p} reproduces it)"
        ),
        Cause::SpnRewritten => format!(
            "MIT rewrote the host name ({p}): set 'rdns = false' and \
             'dns_canonicalize_hostname = false' under [libdefaults] in {conf}"
        ),
        Cause::DomainRealmMissing => format!(
            "the KDC could not place the host ({p}): add '.rds.amazonaws.com = <DIRECTORY REALM>' \
             under [domain_realm] in {conf}"
        ),
        Cause::TrustBroken => format!(
            "no cross-realm ticket ({p}): verify the forest trust (aws ds verify-trust) and that \
             [domain_realm] in {conf} maps the DB host to the directory's realm"
        ),
        Cause::AccountDisabled => format!(
            "the KDC refuses {who} any service ticket: an AD administrator enables or unlocks the \
             account (Enable-ADAccount / Unlock-ADAccount, or samba-tool user enable), then \
             kdestroy && kinit {who}"
        ),
        Cause::PasswordExpired => format!(
            "the password of {who} has expired: change it with kpasswd {who} (UDP/TCP 464 to a \
             domain controller, see kpasswd.*) or have an AD administrator reset it, then kinit {who}"
        ),
        c => c.fix().to_string(),
    }
}

/// MIT's minor text without GSS's generic major prefix, for one-line details.
pub fn short(text: &str) -> &str {
    const GENERIC: &str = "Unspecified GSS failure.  Minor code may provide more information";
    let t = text.strip_prefix(GENERIC).unwrap_or(text).trim();
    t.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t)
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use pretty_assertions::assert_eq;

    fn tgt(principal: &str, secs: u64) -> TgtInfo {
        TgtInfo {
            principal: principal.into(),
            realm: principal.rsplit_once('@').unwrap().1.into(),
            ccache: "FILE:/tmp/cc".into(),
            remaining: Duration::from_secs(secs),
        }
    }

    #[test]
    fn tgt_judgements() {
        let missing = CredState::Missing {
            ccache: "FILE:/tmp/cc".into(),
            failure: classify(
                "No Kerberos credentials available (default cache: FILE:/tmp/cc)",
                None,
            ),
        };
        let cases: Vec<(CredState, Option<&str>, Status, Option<Cause>)> = vec![
            (
                missing,
                Some("alice@EXAMPLE.COM"),
                Status::Fail,
                Some(Cause::NoCredentials),
            ),
            (
                CredState::Expired(tgt("alice@EXAMPLE.COM", 0)),
                None,
                Status::Fail,
                Some(Cause::TicketExpired),
            ),
            (
                CredState::Valid(tgt("alice@EXAMPLE.COM", 36000)),
                Some("alice@EXAMPLE.COM"),
                Status::Pass,
                None,
            ),
            // RDS matches with include_realm=1: "alice" can never be alice@EXAMPLE.COM.
            (
                CredState::Valid(tgt("alice@EXAMPLE.COM", 36000)),
                Some("alice"),
                Status::Warn,
                Some(Cause::PrincipalMismatch),
            ),
            (
                CredState::Valid(tgt("alice@EXAMPLE.COM", 120)),
                None,
                Status::Warn,
                Some(Cause::TicketExpired),
            ),
            (
                CredState::Valid(tgt("bob@ONPREM.COM", 36000)),
                Some("alice@EXAMPLE.COM"),
                Status::Warn,
                Some(Cause::PrincipalMismatch),
            ),
        ];
        for (state, user, status, cause) in cases {
            let r = judge_tgt(&state, user);
            assert_eq!((r.status, r.cause), (status, cause), "{state:?}");
        }
    }

    #[test]
    fn missing_ccache_hint_names_the_user() {
        let state = CredState::Missing {
            ccache: "FILE:/tmp/cc".into(),
            failure: classify("No Kerberos credentials available", None),
        };
        let r = judge_tgt(&state, Some("alice@EXAMPLE.COM"));
        assert_eq!(r.hint.as_deref(), Some("kinit alice@EXAMPLE.COM"));
        assert!(r.detail.contains("FILE:/tmp/cc"), "{}", r.detail);
    }

    #[test]
    fn service_ticket_failure_names_the_spn_and_the_fix() {
        let f = classify(
            "Unspecified GSS failure.  Minor code may provide more information (Server postgres/127.0.10.3@EXAMPLE.COM not found in Kerberos database)",
            Some("postgres/127.0.10.3"),
        );
        let r = judge_service_ticket("postgres/127.0.10.3", &Err(f));
        assert_eq!(r.cause, Some(Cause::HostIsIpAddress));
        assert_eq!(
            r.detail,
            "no service ticket for postgres/127.0.10.3: Server postgres/127.0.10.3@EXAMPLE.COM not found in Kerberos database"
        );
        assert!(r.hint.unwrap().contains("postgres/127.0.10.3@EXAMPLE.COM"));
        let ok = judge_service_ticket("postgres/db", &Ok(("postgres/db".into(), 600)));
        assert_eq!(ok.status, Status::Pass);
    }
}
