//! One classification of GSSAPI / MIT krb5 failures into catalogue causes, shared by the
//! `ccache.tgt` and `gss.service_ticket` checks and by the DB login. Structured signals (the GSS
//! major status) come first; MIT's minor-status text is matched only for what has no code, and
//! anything unknown becomes `GssOther` with the raw text, never a guess.

use libgssapi::error::{Error as GssError, MajorFlags};

use crate::catalogue::Cause;

/// A classified GSS failure: the cause, MIT's text verbatim, and the principal the error names
/// (`Server X not found in Kerberos database`) or, failing that, the one that was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GssFailure {
    pub cause: Cause,
    pub text: String,
    pub principal: Option<String>,
}

impl std::fmt::Display for GssFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for GssFailure {}

impl GssFailure {
    /// From a libgssapi error (its `Display` carries MIT's minor text; `Debug` does not).
    pub fn from_gss(e: &GssError, asked: Option<&str>) -> GssFailure {
        let text = e.to_string();
        let structured = if e.major.contains(MajorFlags::GSS_S_NO_CRED) {
            Some(Cause::NoCredentials)
        } else if e.major.contains(MajorFlags::GSS_S_CREDENTIALS_EXPIRED) {
            Some(Cause::TicketExpired)
        } else {
            None
        };
        let mut f = classify(&text, asked);
        // The text can be more precise than the major code (an expired TGT is reported as
        // GSS_S_NO_CRED by some paths), so the code only decides when the text did not.
        if let (Some(c), Cause::GssOther) = (structured, f.cause) {
            f.cause = c;
        }
        f
    }
}

/// Classifies a GSS/MIT error text. `asked` is the service principal that was requested, used
/// when the text does not name one.
pub fn classify(text: &str, asked: Option<&str>) -> GssFailure {
    let lower = text.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    let named = server_named(text);
    let cause = if has("no kerberos credentials available")
        || has("no credentials were supplied")
        || has("no credentials cache found")
        || (has("credentials cache") && has("not found"))
    {
        Cause::NoCredentials
    } else if has("ticket expired") || has("credential has expired") || has("ticket has expired") {
        Cause::TicketExpired
    } else if has("not found in kerberos database") && !has("client ") {
        server_not_found_cause(named.as_deref().or(asked))
    } else if has("client ") && has("not found in kerberos database") {
        Cause::ClientUnknown
    } else if has("key version is not available")
        || has("key version number for principal in key table is incorrect")
        || has("cannot find key of appropriate type to decrypt")
    {
        Cause::KeyVersionMismatch
    } else if has("clock skew too great") {
        Cause::ClockSkew
    } else if has("no support for encryption type")
        || has("encryption type") && has("not permitted")
        || has("bad encryption type")
    {
        Cause::EnctypeNotSupported
    } else if has("cannot contact any kdc") {
        Cause::KdcTimeout
    } else if has("cannot find kdc for realm") {
        Cause::RealmHasNoKdc
    } else if has("does not specify default realm") {
        Cause::Krb5confNoDefaultRealm
    } else if has("invalid boolean value") {
        Cause::CanonicalizeFallback
    } else if has("credentials have been revoked") {
        Cause::ClientRevoked
    } else if has("kdc policy rejects request") {
        // AD (Samba, Windows): the TGS for an account disabled/locked after kinit.
        Cause::AccountDisabled
    } else if has("password has expired") {
        Cause::PasswordExpired
    } else if has("kdc reply did not match expectations") {
        Cause::RealmNotUpperCase
    } else {
        Cause::GssOther
    };
    GssFailure {
        cause,
        text: text.trim().to_string(),
        principal: named.or_else(|| asked.map(str::to_string)),
    }
}

/// `Server X not found in Kerberos database` → X.
fn server_named(text: &str) -> Option<String> {
    let start = text.find("Server ")? + "Server ".len();
    let rest = &text[start..];
    let end = rest.find(" not found")?;
    let p = rest[..end].trim();
    (!p.is_empty() && !p.contains(' ')).then(|| p.to_string())
}

/// Which "server not found" it is, from the principal the KDC could not find:
/// `postgres/10.1.2.3@R` (an IP address as host), `krbtgt/EC2.INTERNAL@R` (SPN rewritten by
/// DNS canonicalization), `krbtgt/<host-derived realm>@R` (no [domain_realm] mapping),
/// `krbtgt/<realm>@<realm>` (the trust), anything else: the SPN itself is missing.
fn server_not_found_cause(principal: Option<&str>) -> Cause {
    let Some(p) = principal else {
        return Cause::ServerNotFound;
    };
    let (name, _realm) = p.rsplit_once('@').unwrap_or((p, ""));
    let Some((service, host)) = name.split_once('/') else {
        return Cause::ServerNotFound;
    };
    if service == "krbtgt" {
        let upper = host.to_ascii_uppercase();
        if upper.contains("EC2.INTERNAL") || upper.contains("COMPUTE.INTERNAL") {
            Cause::SpnRewritten
        } else if upper.contains("AMAZONAWS.COM") {
            Cause::DomainRealmMissing
        } else {
            Cause::TrustBroken
        }
    } else if host.parse::<std::net::IpAddr>().is_ok() {
        Cause::HostIsIpAddress
    } else if host.ends_with(".ec2.internal") || host.ends_with(".compute.internal") {
        Cause::SpnRewritten
    } else {
        Cause::ServerNotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Texts as MIT krb5 1.20 / libpq 15 print them (LAB-NOTES, FAILURE-CATALOGUE).
    const TABLE: &[(&str, Cause, Option<&str>)] = &[
        ("No credentials were supplied, or the credentials were unavailable or inaccessible (No Kerberos credentials available (default cache: FILE:/tmp/krb5cc_0))",
            Cause::NoCredentials, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server postgres/127.0.10.3@EXAMPLE.COM not found in Kerberos database)",
            Cause::HostIsIpAddress, Some("postgres/127.0.10.3@EXAMPLE.COM")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server krbtgt/EC2.INTERNAL@EXAMPLE.COM not found in Kerberos database)",
            Cause::SpnRewritten, Some("krbtgt/EC2.INTERNAL@EXAMPLE.COM")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server krbtgt/ABC123XYZ.US-EAST-1.RDS.AMAZONAWS.COM@ONPREM.COM not found in Kerberos database)",
            Cause::DomainRealmMissing, Some("krbtgt/ABC123XYZ.US-EAST-1.RDS.AMAZONAWS.COM@ONPREM.COM")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server krbtgt/EXAMPLE.COM@ONPREM.COM not found in Kerberos database)",
            Cause::TrustBroken, Some("krbtgt/EXAMPLE.COM@ONPREM.COM")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server POSTGRES/db.example.com@EXAMPLE.COM not found in Kerberos database)",
            Cause::ServerNotFound, Some("POSTGRES/db.example.com@EXAMPLE.COM")),
        ("Unspecified GSS failure.  Minor code may provide more information (Key version is not available)",
            Cause::KeyVersionMismatch, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Clock skew too great)",
            Cause::ClockSkew, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Ticket expired)",
            Cause::TicketExpired, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (KDC has no support for encryption type)",
            Cause::EnctypeNotSupported, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Cannot contact any KDC for realm 'EXAMPLE.COM')",
            Cause::KdcTimeout, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Invalid boolean value)",
            Cause::CanonicalizeFallback, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Server not found in Kerberos database)",
            Cause::ServerNotFound, Some("postgres/db.example.com")),
        // Samba AD DC 4.17 (TGS for an account disabled, or its password expired, after kinit).
        ("Unspecified GSS failure.  Minor code may provide more information (KDC policy rejects request)",
            Cause::AccountDisabled, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Password has expired)",
            Cause::PasswordExpired, Some("postgres/db.example.com")),
        ("Unspecified GSS failure.  Minor code may provide more information (Something new)",
            Cause::GssOther, Some("postgres/db.example.com")),
    ];

    #[test]
    fn mit_texts_map_to_causes() {
        for (text, cause, principal) in TABLE {
            let f = classify(text, Some("postgres/db.example.com"));
            assert_eq!(
                (f.cause, f.principal.as_deref()),
                (*cause, *principal),
                "{text}"
            );
            assert_eq!(f.text, *text);
        }
    }

    #[test]
    fn the_asked_principal_is_named_when_ad_does_not_name_one() {
        // Samba/AD: "Server not found in Kerberos database" without the principal.
        let f = classify(
            "Unspecified GSS failure (Server not found in Kerberos database)",
            Some("postgres/10.0.0.5"),
        );
        assert_eq!(f.cause, Cause::HostIsIpAddress);
        assert_eq!(f.principal.as_deref(), Some("postgres/10.0.0.5"));
    }
}
