//! The credential cache as MIT resolves it: which ccache (KRB5CCNAME, default_ccache_name, the
//! built-in default), whose TGT is in it and how long it lasts. `Cred::acquire` succeeds on an
//! expired TGT, so the lifetime is judged here, not by GSS. Blocking: call from spawn_blocking.

use std::time::Duration;

use libgssapi::credential::{Cred, CredUsage};
use libgssapi::oid::{OidSet, GSS_MECH_KRB5};

use super::classify::GssFailure;

/// What the credential cache holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredState {
    /// A TGT with time left.
    Valid(TgtInfo),
    /// A TGT whose lifetime has run out.
    Expired(TgtInfo),
    /// No usable credentials (no cache, empty cache, unreadable cache): MIT's text says which.
    Missing { ccache: String, failure: GssFailure },
}

/// The ticket-granting ticket in the default cache.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TgtInfo {
    /// `alice@EXAMPLE.COM`
    pub principal: String,
    pub realm: String,
    /// The cache name as MIT resolves it, e.g. `FILE:/tmp/krb5cc_1000`.
    pub ccache: String,
    /// Time left (zero when expired).
    #[serde(serialize_with = "secs")]
    pub remaining: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

impl CredState {
    pub fn usable(&self) -> bool {
        matches!(self, CredState::Valid(_))
    }
}

/// Reads the default credential cache (as libpq's `pg_GSS_have_cred_cache` does, plus the
/// lifetime check libpq lacks).
pub fn inspect() -> CredState {
    let ccache = default_ccache_name();
    let cred =
        krb5_mechs().and_then(|mechs| Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs)));
    let cred = match cred {
        Ok(c) => c,
        Err(e) => {
            return CredState::Missing {
                ccache,
                failure: GssFailure::from_gss(&e, None),
            }
        }
    };
    // GSS cannot name an expired credential; the ccache itself can.
    let principal = cred
        .name()
        .map(|n| n.to_string())
        .ok()
        .or_else(ffi::default_ccache_principal)
        .unwrap_or_else(|| "(unknown principal)".into());
    let realm = principal
        .rsplit_once('@')
        .map(|(_, r)| r.to_string())
        .unwrap_or_default();
    // MIT reports an expired TGT as lifetime 0, or as a CREDENTIALS_EXPIRED error here.
    let remaining = cred.lifetime().unwrap_or(Duration::ZERO);
    let info = TgtInfo {
        principal,
        realm,
        ccache,
        remaining,
    };
    if remaining.is_zero() {
        CredState::Expired(info)
    } else {
        CredState::Valid(info)
    }
}

fn krb5_mechs() -> Result<OidSet, libgssapi::error::Error> {
    let mut s = OidSet::new();
    s.add(GSS_MECH_KRB5)?;
    Ok(s)
}

/// The default ccache name exactly as MIT resolves it (KRB5CCNAME, then krb5.conf
/// `default_ccache_name`, then the built-in `FILE:/tmp/krb5cc_%{uid}`).
pub fn default_ccache_name() -> String {
    ffi::default_ccache_name().unwrap_or_else(|| {
        std::env::var("KRB5CCNAME")
            .unwrap_or_else(|_| "(MIT default, could not be resolved)".into())
    })
}

/// libgssapi binds GSSAPI only; the ccache name and the principal of an expired cache need a
/// few libkrb5 calls (linked already through mit-krb5-gssapi's pkg-config line).
#[allow(unsafe_code)]
mod ffi {
    use std::ffi::{c_char, c_void, CStr};

    #[link(name = "krb5")]
    extern "C" {
        fn krb5_init_context(context: *mut *mut c_void) -> i32;
        fn krb5_free_context(context: *mut c_void);
        fn krb5_cc_default_name(context: *mut c_void) -> *const c_char;
        fn krb5_cc_default(context: *mut c_void, ccache: *mut *mut c_void) -> i32;
        fn krb5_cc_close(context: *mut c_void, ccache: *mut c_void) -> i32;
        fn krb5_cc_get_principal(
            context: *mut c_void,
            ccache: *mut c_void,
            principal: *mut *mut c_void,
        ) -> i32;
        fn krb5_free_principal(context: *mut c_void, principal: *mut c_void);
        fn krb5_unparse_name(
            context: *mut c_void,
            principal: *const c_void,
            name: *mut *mut c_char,
        ) -> i32;
        fn krb5_free_unparsed_name(context: *mut c_void, name: *mut c_char);
    }

    /// The default principal of the default ccache (`klist`'s "Default principal").
    pub fn default_ccache_principal() -> Option<String> {
        let mut ctx: *mut c_void = std::ptr::null_mut();
        // SAFETY: every out-pointer is written by libkrb5 only on success (checked), and each
        // object is released with its matching free function before the context.
        unsafe {
            if krb5_init_context(&mut ctx) != 0 || ctx.is_null() {
                return None;
            }
            let mut cc: *mut c_void = std::ptr::null_mut();
            let mut out = None;
            if krb5_cc_default(ctx, &mut cc) == 0 {
                let mut princ: *mut c_void = std::ptr::null_mut();
                if krb5_cc_get_principal(ctx, cc, &mut princ) == 0 {
                    let mut name: *mut c_char = std::ptr::null_mut();
                    if krb5_unparse_name(ctx, princ, &mut name) == 0 && !name.is_null() {
                        out = Some(CStr::from_ptr(name).to_string_lossy().into_owned());
                        krb5_free_unparsed_name(ctx, name);
                    }
                    krb5_free_principal(ctx, princ);
                }
                krb5_cc_close(ctx, cc);
            }
            krb5_free_context(ctx);
            out
        }
    }

    pub fn default_ccache_name() -> Option<String> {
        let mut ctx: *mut c_void = std::ptr::null_mut();
        // SAFETY: krb5_init_context writes a fresh context into `ctx` or fails with a code;
        // the name returned is owned by the context and copied before the context is freed.
        unsafe {
            if krb5_init_context(&mut ctx) != 0 || ctx.is_null() {
                return None;
            }
            let p = krb5_cc_default_name(ctx);
            let name = (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned());
            krb5_free_context(ctx);
            name
        }
    }
}
