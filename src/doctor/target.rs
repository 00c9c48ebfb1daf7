//! The target, stated before the checks run: who logs in where, at which address, as which
//! service principal (built the way MIT will build it, DNS canonicalization included) and with
//! which ticket.

use std::sync::Arc;
use std::time::Duration;

use crate::gss::cred::{self, CredState};
use crate::krb5conf::{
    predict_service_principal, CachedCanonicalizer, Canonicalizer, LoadError, Profile,
    SpnPrediction, SystemCanonicalizer,
};

/// The resolver calls libkrb5 makes, asked once per run: the target statement and the
/// krb5conf checks share the answers.
pub type Dns = CachedCanonicalizer<SystemCanonicalizer>;

pub fn dns() -> Arc<Dns> {
    Arc::new(CachedCanonicalizer::new(SystemCanonicalizer))
}
use crate::pgconn::ConnParams;
use crate::report::Target;

/// The DB's first address and the service principal MIT will ask for, with the resolver calls
/// libkrb5 makes (getaddrinfo, getnameinfo), bounded by the timeout: they block.
fn predict(
    profile: &Profile,
    params: &ConnParams,
    canon: &Arc<Dns>,
    timeout: Duration,
) -> Option<(Option<std::net::IpAddr>, SpnPrediction)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let profile = profile.clone();
    let host = params.host.value.clone();
    let service = params.krbsrvname.value.clone();
    let canon = Arc::clone(canon);
    std::thread::spawn(move || {
        let address = canon.forward(&host).ok().and_then(|f| f.address);
        let prediction = predict_service_principal(&profile, &host, &service, &*canon);
        let _ = tx.send((address, prediction));
    });
    rx.recv_timeout(timeout).ok()
}

/// What the run is about, stated before the checks: who logs in where, as which service
/// principal, with which ticket. Returns the ticket's principal.
pub fn describe(
    target: &mut Target,
    params: &ConnParams,
    profile: &Result<Profile, LoadError>,
    canon: &Arc<Dns>,
    timeout: Duration,
) -> Option<String> {
    target.fact(
        "login",
        format!(
            "user {} ({}), dbname {}, sslmode {}, gssencmode {}",
            params.user.value,
            params.user.source,
            params.dbname.value,
            params.sslmode.value.as_str(),
            params.gssencmode.value.as_str()
        ),
    );
    if let Ok(p) = profile {
        match predict(p, params, canon, timeout) {
            Some((address, prediction)) => {
                if let Some(a) = address {
                    target.fact("address", a.to_string());
                }
                let mapped = prediction.realm.source();
                let rewritten = if prediction.rewritten() {
                    "; REWRITTEN by DNS canonicalization, see krb5conf.domain_realm"
                } else {
                    ""
                };
                target.fact(
                    "service principal",
                    format!("{} ({mapped}{rewritten})", prediction.principal()),
                );
            }
            None => target.fact(
                "service principal",
                format!(
                    "{}/{} (not predicted: DNS did not answer within {} s)",
                    params.krbsrvname.value,
                    params.host.value,
                    timeout.as_secs_f64()
                ),
            ),
        }
    }
    match cred::inspect() {
        CredState::Valid(t) | CredState::Expired(t) => {
            target.fact("ticket", format!("{} in {}", t.principal, t.ccache));
            Some(t.principal)
        }
        CredState::Missing { ccache, .. } => {
            target.fact("ticket", format!("none in {ccache}"));
            None
        }
    }
}
