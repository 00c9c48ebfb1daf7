//! Kerberos login names (`user@REALM`) as PostgreSQL role names: validated before any SQL is
//! built, and only ever written into SQL as quoted identifiers (PostgreSQL docs §4.1.1: inside
//! double quotes every character is literal except `"`, which is doubled).

use std::fmt;

/// PostgreSQL truncates identifiers to NAMEDATALEN-1 bytes with only a NOTICE; a truncated role
/// name no longer equals the principal, so the Kerberos login would fail later, silently.
pub const MAX_NAME_BYTES: usize = 63;

/// A validated login name: exactly one `@`, a non-empty user part, an upper-case realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    user: String,
    realm: String,
}

impl Principal {
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The role name: `user@REALM`, exactly as PostgreSQL compares it with the ticket's principal.
    pub fn role_name(&self) -> String {
        format!("{}@{}", self.user, self.realm)
    }

    /// The role name as a quoted SQL identifier.
    pub fn ident(&self) -> String {
        quote_ident(&self.role_name())
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.realm)
    }
}

/// Why a name cannot be a Kerberos login; `Display` names the input and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{input:?} has no '@': a Kerberos login is user@REALM, e.g. {input}@CORP.EXAMPLE.COM")]
    NoAt { input: String },
    #[error("{input:?} has {count} '@' characters: a Kerberos login has exactly one (user@REALM)")]
    SeveralAt { input: String, count: usize },
    #[error("{input:?} has an empty user part before '@'")]
    EmptyUser { input: String },
    #[error("{input:?} has an empty realm after '@'")]
    EmptyRealm { input: String },
    #[error(
        "{input:?}: the realm {realm:?} is not upper case; Kerberos compares realms exactly and an AD realm is the domain name in upper case: use {suggestion:?} (or pass --normalize-realm)"
    )]
    RealmNotUpperCase {
        input: String,
        realm: String,
        suggestion: String,
    },
    #[error(
        "{input:?}: the realm {realm:?} is not a DNS-style name (letters, digits, '.', '-'); it must be the directory's DNS name in upper case"
    )]
    RealmNotDnsName { input: String, realm: String },
    #[error(
        "{input:?} contains a control character (newline, tab, NUL …): no Kerberos principal does"
    )]
    ControlCharacter { input: String },
    #[error("{input:?} starts or ends with white space (a copy-and-paste slip?)")]
    OuterWhitespace { input: String },
    #[error(
        "{input:?} is {bytes} bytes long: PostgreSQL truncates role names to {max} bytes, so the role would not match the principal"
    )]
    TooLong {
        input: String,
        bytes: usize,
        max: usize,
    },
}

/// Validates `input` as `user@REALM`. With `normalize_realm` a lower- or mixed-case realm is
/// upper-cased; without it such a realm is rejected with the upper-case form in the message.
/// The user part is kept verbatim (quotes, `;`, `\`, Unicode are legal in a quoted identifier);
/// control characters are rejected because no principal contains them.
pub fn parse(input: &str, normalize_realm: bool) -> Result<Principal, NameError> {
    let mode = if normalize_realm {
        RealmCase::Normalize
    } else {
        RealmCase::Require
    };
    parse_with(input, mode)
}

/// What to do with a realm that is not upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealmCase {
    /// Reject it, showing the upper-case form (creating such a login is always a mistake).
    Require,
    /// Upper-case it (`--normalize-realm`).
    Normalize,
    /// Keep it: `drop` must be able to remove the wrong logins `list` flags.
    Verbatim,
}

/// `parse` with an explicit realm-case policy.
pub fn parse_with(input: &str, mode: RealmCase) -> Result<Principal, NameError> {
    let owned = || input.to_string();
    if input.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter { input: owned() });
    }
    if input.trim() != input {
        return Err(NameError::OuterWhitespace { input: owned() });
    }
    let count = input.matches('@').count();
    let (user, realm) = match count {
        0 => return Err(NameError::NoAt { input: owned() }),
        1 => input.split_once('@').unwrap_or((input, "")),
        _ => {
            return Err(NameError::SeveralAt {
                input: owned(),
                count,
            })
        }
    };
    if user.is_empty() {
        return Err(NameError::EmptyUser { input: owned() });
    }
    if realm.is_empty() {
        return Err(NameError::EmptyRealm { input: owned() });
    }
    if !is_dns_name(realm) {
        return Err(NameError::RealmNotDnsName {
            input: owned(),
            realm: realm.to_string(),
        });
    }
    let upper = match mode {
        RealmCase::Verbatim => realm.to_string(),
        _ => realm.to_ascii_uppercase(),
    };
    if upper != realm && mode == RealmCase::Require {
        return Err(NameError::RealmNotUpperCase {
            input: owned(),
            realm: realm.to_string(),
            suggestion: format!("{user}@{upper}"),
        });
    }
    let bytes = user.len() + 1 + upper.len();
    if bytes > MAX_NAME_BYTES {
        return Err(NameError::TooLong {
            input: owned(),
            bytes,
            max: MAX_NAME_BYTES,
        });
    }
    Ok(Principal {
        user: user.to_string(),
        realm: upper,
    })
}

/// Letters, digits, '.', '-', no empty label: what an AD domain (and so its realm) can be.
fn is_dns_name(realm: &str) -> bool {
    realm.split('.').all(|label| {
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The realm part of a role name (after the last '@'), if any.
pub fn realm_of(role: &str) -> Option<&str> {
    role.rsplit_once('@').map(|(_, r)| r)
}

/// True when the realm part has lower-case letters: the role can never match an AD principal.
pub fn realm_not_upper(role: &str) -> bool {
    realm_of(role).is_some_and(|r| r.chars().any(|c| c.is_lowercase()))
}

/// A quoted SQL identifier: wrapped in `"` with every `"` doubled. Nothing else is special inside
/// a quoted identifier (backslashes included, whatever standard_conforming_strings says), so no
/// input can end the identifier early.
pub fn quote_ident(name: &str) -> String {
    postgres_protocol::escape::escape_identifier(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn ok(input: &str, normalize: bool) -> String {
        parse(input, normalize).expect(input).role_name()
    }

    #[test]
    fn accepts_the_aws_guide_shape() {
        assert_eq!(
            ok("jsmith@CORP.EXAMPLE.COM", false),
            "jsmith@CORP.EXAMPLE.COM"
        );
        assert_eq!(
            ok("JSmith@CORP-1.EXAMPLE.COM", false),
            "JSmith@CORP-1.EXAMPLE.COM"
        );
    }

    #[test]
    fn realm_case_is_rejected_with_the_upper_case_form_or_normalized_on_request() {
        let e = parse("jsmith@corp.example.com", false).unwrap_err();
        assert!(
            e.to_string().contains("\"jsmith@CORP.EXAMPLE.COM\"")
                && e.to_string().contains("--normalize-realm"),
            "{e}"
        );
        assert_eq!(
            ok("jsmith@Corp.Example.com", true),
            "jsmith@CORP.EXAMPLE.COM"
        );
        // The user part is never case-folded: PostgreSQL compares it exactly.
        assert_eq!(
            ok("JSmith@corp.example.com", true),
            "JSmith@CORP.EXAMPLE.COM"
        );
    }

    #[test]
    fn drop_keeps_a_lower_case_realm_verbatim_so_wrong_logins_can_be_removed() {
        let p = parse_with("x@corp.com", RealmCase::Verbatim).unwrap();
        assert_eq!(p.ident(), r#""x@corp.com""#);
        assert!(matches!(
            parse_with("x@corp..com", RealmCase::Verbatim),
            Err(NameError::RealmNotDnsName { .. })
        ));
    }

    #[test]
    fn malformed_names_are_rejected_with_their_reason() {
        type Want = fn(&NameError) -> bool;
        let cases: &[(&str, Want)] = &[
            ("jsmith", |e| matches!(e, NameError::NoAt { .. })),
            ("a@b@C.COM", |e| {
                matches!(e, NameError::SeveralAt { count: 2, .. })
            }),
            ("@CORP.COM", |e| matches!(e, NameError::EmptyUser { .. })),
            ("jsmith@", |e| matches!(e, NameError::EmptyRealm { .. })),
            ("jsmith@CORP..COM", |e| {
                matches!(e, NameError::RealmNotDnsName { .. })
            }),
            ("x@CORP.COM\";DROP ROLE x;--", |e| {
                matches!(e, NameError::RealmNotDnsName { .. })
            }),
            ("x@CORP.COM;", |e| {
                matches!(e, NameError::RealmNotDnsName { .. })
            }),
            ("jo\nhn@CORP.COM", |e| {
                matches!(e, NameError::ControlCharacter { .. })
            }),
            ("jo\0hn@CORP.COM", |e| {
                matches!(e, NameError::ControlCharacter { .. })
            }),
            (" john@CORP.COM", |e| {
                matches!(e, NameError::OuterWhitespace { .. })
            }),
            ("john@CORP.COM ", |e| {
                matches!(e, NameError::OuterWhitespace { .. })
            }),
        ];
        for (input, want) in cases {
            let e = parse(input, true).unwrap_err();
            assert!(want(&e), "{input:?} gave {e:?}");
        }
    }

    #[test]
    fn names_postgresql_would_truncate_are_rejected() {
        let user = "u".repeat(MAX_NAME_BYTES - "@CORP.COM".len());
        assert_eq!(ok(&format!("{user}@CORP.COM"), false).len(), MAX_NAME_BYTES);
        let e = parse(&format!("{user}x@CORP.COM"), false).unwrap_err();
        assert!(matches!(e, NameError::TooLong { bytes: 64, .. }), "{e:?}");
        // Bytes, not characters: PostgreSQL's limit is in bytes.
        let e = parse(&format!("{}@CORP.COM", "é".repeat(30)), false).unwrap_err();
        assert!(matches!(e, NameError::TooLong { .. }), "{e:?}");
    }

    #[test]
    fn hostile_user_parts_stay_inside_one_identifier() {
        for (input, ident) in [
            ("o'brien@CORP.COM", r#""o'brien@CORP.COM""#),
            (r#"a"b@CORP.COM"#, r#""a""b@CORP.COM""#),
            (
                r#"x"; DROP ROLE master; --@CORP.COM"#,
                r#""x""; DROP ROLE master; --@CORP.COM""#,
            ),
            (r"back\slash@CORP.COM", r#""back\slash@CORP.COM""#),
            ("jürgen@CORP.COM", r#""jürgen@CORP.COM""#),
        ] {
            assert_eq!(parse(input, false).unwrap().ident(), ident);
        }
    }

    #[test]
    fn realm_helpers() {
        assert_eq!(realm_of("a@B.COM"), Some("B.COM"));
        assert_eq!(realm_of("plain"), None);
        assert!(realm_not_upper("a@b.com"));
        assert!(!realm_not_upper("a@B.COM"));
        assert!(!realm_not_upper("noat"));
    }
}
