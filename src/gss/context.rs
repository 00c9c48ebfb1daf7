//! The client side of a Kerberos GSS context for `krbsrvname@host` (RFC 2743 host-based
//! service name, as libpq builds it). `init_sec_context` may talk to the KDC (a TGS-REQ for the
//! service ticket), so every step runs in `spawn_blocking`; `ClientCtx` is `Send` but not
//! `Sync`, so the context moves into the blocking task and back.

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE};

use super::classify::GssFailure;
use crate::catalogue::Cause;

/// libpq asks for these on every GSS context (fe-gssapi-common.c, fe-secure-gssapi.c).
const FLAGS: CtxFlags = CtxFlags::GSS_C_MUTUAL_FLAG
    .union(CtxFlags::GSS_C_REPLAY_FLAG)
    .union(CtxFlags::GSS_C_SEQUENCE_FLAG)
    .union(CtxFlags::GSS_C_CONF_FLAG)
    .union(CtxFlags::GSS_C_INTEG_FLAG);

pub struct GssClient {
    ctx: ClientCtx,
    /// `postgres/db.example.com`, or MIT's canonical form of it when it differs.
    spn: String,
}

impl std::fmt::Debug for GssClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GssClient").field("spn", &self.spn).finish()
    }
}

/// `krbsrvname/host` as a display string (what users compare with `klist`).
pub fn spn_of(krbsrvname: &str, host: &str) -> String {
    format!("{krbsrvname}/{host}")
}

impl GssClient {
    /// A fresh context for `krbsrvname@host`; no I/O yet.
    pub fn new(krbsrvname: &str, host: &str) -> Result<GssClient, GssFailure> {
        let asked = spn_of(krbsrvname, host);
        let target = format!("{krbsrvname}@{host}");
        let name = Name::new(target.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| GssFailure::from_gss(&e, Some(&asked)))?;
        // MIT's canonical form shows any rewriting rdns/dns_canonicalize_hostname would do.
        let spn = name
            .canonicalize(Some(GSS_MECH_KRB5))
            .map(|n| n.to_string())
            .ok()
            .map(|c| c.trim_end_matches('@').to_string())
            .filter(|c| !c.is_empty())
            .unwrap_or(asked);
        Ok(GssClient {
            ctx: ClientCtx::new(None, name, FLAGS, Some(GSS_MECH_KRB5)),
            spn,
        })
    }

    pub fn spn(&self) -> &str {
        &self.spn
    }

    pub fn is_complete(&self) -> bool {
        self.ctx.is_complete()
    }

    /// One `gss_init_sec_context` step, off the async threads. Returns the context and the
    /// token to send (if any).
    pub async fn step(
        mut self,
        input: Option<Vec<u8>>,
    ) -> (GssClient, Result<Option<Vec<u8>>, GssFailure>) {
        let joined = tokio::task::spawn_blocking(move || {
            let r = self
                .ctx
                .step(input.as_deref(), None)
                .map(|t| t.map(|b| b.to_vec()))
                .map_err(|e| GssFailure::from_gss(&e, Some(&self.spn)));
            (self, r)
        })
        .await;
        match joined {
            Ok(v) => v,
            // A panic inside libgssapi: the context is gone; nothing sensible can continue.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// After completion: mutual authentication and confidentiality must both have been granted
    /// (libgssapi's wrap passes NULL for conf_state, so check the flag once here).
    pub fn require_established(&self, need_conf: bool) -> Result<(), GssFailure> {
        let flags = self
            .ctx
            .flags()
            .map_err(|e| GssFailure::from_gss(&e, Some(&self.spn)))?;
        let missing = |what: &str| GssFailure {
            cause: Cause::GssOther,
            text: format!(
                "the GSS context for {} was established without {what}",
                self.spn
            ),
            principal: Some(self.spn.clone()),
        };
        if !flags.contains(CtxFlags::GSS_C_MUTUAL_FLAG) {
            return Err(missing("mutual authentication"));
        }
        if need_conf && !flags.contains(CtxFlags::GSS_C_CONF_FLAG) {
            return Err(missing("confidentiality (encryption)"));
        }
        Ok(())
    }

    /// The client principal the context authenticated as.
    pub fn source_name(&self) -> Option<String> {
        self.ctx.source_name().ok().map(|n| n.to_string())
    }

    /// Encrypts one packet's plaintext (`gss_wrap` with conf_req = true).
    pub fn wrap(&mut self, plain: &[u8]) -> Result<Vec<u8>, GssFailure> {
        self.ctx
            .wrap(true, plain)
            .map(|b| b.to_vec())
            .map_err(|e| GssFailure::from_gss(&e, Some(&self.spn)))
    }

    pub fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>, GssFailure> {
        self.ctx
            .unwrap(token)
            .map(|b| b.to_vec())
            .map_err(|e| GssFailure::from_gss(&e, Some(&self.spn)))
    }
}
