//! What the service ticket itself says: its encryption type, read from the AP-REQ inside the
//! first GSS token (RFC 1964 §1.1: `[APPLICATION 0] { mech OID, TOK_ID 01 00, AP-REQ }`). The
//! ticket's `enc-part.etype` is the key type of the account holding the SPN, chosen by the KDC:
//! an Active Directory account without AES enctypes (msDS-SupportedEncryptionTypes) yields RC4,
//! which works today and breaks when RC4 is disabled. Read from the token, not the ccache, so it
//! is exactly the ticket libpq would send.

use rasn_kerberos::ApReq;

use crate::catalogue::Cause;
use crate::check::{CheckResult, Status};

/// RFC 4757 arcfour-hmac and its export variant.
const RC4: [i32; 2] = [23, 24];

/// Names of the Kerberos encryption types (RFC 3961 registry), as `klist -e` prints them.
pub fn enctype_name(etype: i32) -> String {
    match etype {
        17 => "aes128-cts-hmac-sha1-96".into(),
        18 => "aes256-cts-hmac-sha1-96".into(),
        19 => "aes128-cts-hmac-sha256-128".into(),
        20 => "aes256-cts-hmac-sha384-192".into(),
        23 => "arcfour-hmac (RC4)".into(),
        24 => "arcfour-hmac-exp (RC4)".into(),
        1 | 3 => "des-cbc (DES)".into(),
        16 => "des3-cbc-sha1".into(),
        n => format!("enctype {n}"),
    }
}

/// Reads a DER length at `b[i..]`: (length, bytes used).
fn der_len(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let first = *b.get(i)?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for k in 0..n {
        len = (len << 8) | *b.get(i + 1 + k)? as usize;
    }
    Some((len, 1 + n))
}

/// The AP-REQ bytes inside a GSS krb5 initial context token (or a bare AP-REQ).
fn ap_req_bytes(token: &[u8]) -> Option<&[u8]> {
    match token.first()? {
        0x6e => Some(token),
        0x60 => {
            let (_, used) = der_len(token, 1)?;
            let mut i = 1 + used;
            if *token.get(i)? != 0x06 {
                return None;
            }
            let (oid_len, used) = der_len(token, i + 1)?;
            i += 1 + used + oid_len;
            // TOK_ID 01 00: KRB_AP_REQ.
            (token.get(i..i + 2)? == [0x01, 0x00]).then(|| &token[i + 2..])
        }
        _ => None,
    }
}

/// The service ticket's encryption type, from the first GSS token; None if it is not an AP-REQ.
pub fn ticket_enctype(token: &[u8]) -> Option<i32> {
    let ap: ApReq = rasn::ber::decode(ap_req_bytes(token)?).ok()?;
    Some(ap.ticket.enc_part.etype)
}

/// A service ticket that was issued gets a warning when it is RC4, with the fix for the AD
/// administrator; otherwise the enctype becomes evidence.
pub fn judge_ticket_enctype(r: CheckResult, spn: &str, etype: Option<i32>) -> CheckResult {
    let Some(etype) = etype else {
        return r;
    };
    let name = enctype_name(etype);
    let full = spn;
    if r.status != Status::Pass || !RC4.contains(&etype) {
        return r.with_evidence(format!("ticket enctype {name}"));
    }
    // setspn and keytab tools take the SPN without the realm.
    let spn = spn.split('@').next().unwrap_or(spn);
    let host = spn.split_once('/').map_or(spn, |(_, h)| h);
    let mut w = CheckResult::warn(
        r.id,
        Cause::ServiceTicketRc4,
        format!(
            "got a service ticket for {full}, but encrypted with {name}: the account holding the SPN has no AES enctypes"
        ),
    )
    .with_hint(format!(
        "an AD administrator: find the account (setspn -Q {spn}), set AES on it \
         (Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256, i.e. msDS-SupportedEncryptionTypes = 24), \
         reset its password so AES keys exist and re-export the keytab for {host}; then kdestroy && kinit"
    ));
    w.target = r.target.clone();
    w.evidence = r.evidence.clone();
    w.evidence
        .push(format!("ticket enctype {name} (etype {etype})"));
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckId;
    use rasn::types::{GeneralString, Integer};
    use rasn_kerberos::{ApOptions, EncryptedData, KerberosFlags, PrincipalName, Ticket};

    fn ap_req(etype: i32) -> Vec<u8> {
        let enc = |etype| EncryptedData {
            etype,
            kvno: Some(2),
            cipher: vec![0u8; 16].into(),
        };
        let ap = ApReq {
            pvno: Integer::from(5),
            msg_type: Integer::from(14),
            ap_options: ApOptions(KerberosFlags::from_element(0)),
            ticket: Ticket {
                tkt_vno: Integer::from(5),
                realm: GeneralString::try_from("CORP.EXAMPLE.COM".to_string()).unwrap(),
                sname: PrincipalName {
                    r#type: 2,
                    string: vec![
                        GeneralString::try_from("postgres".to_string()).unwrap(),
                        GeneralString::try_from("db.corp.example.com".to_string()).unwrap(),
                    ],
                },
                enc_part: enc(etype),
            },
            authenticator: enc(etype),
        };
        rasn::der::encode(&ap).unwrap()
    }

    /// Wraps an AP-REQ as MIT's gss_init_sec_context does (RFC 1964 §1.1).
    fn gss_token(ap: &[u8]) -> Vec<u8> {
        let oid = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        let mut inner = oid.to_vec();
        inner.extend_from_slice(&[0x01, 0x00]);
        inner.extend_from_slice(ap);
        let mut t = vec![0x60];
        let n = inner.len();
        if n < 0x80 {
            t.push(n as u8);
        } else if n < 0x100 {
            t.extend_from_slice(&[0x81, n as u8]);
        } else {
            t.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
        }
        t.extend(inner);
        t
    }

    #[test]
    fn the_enctype_is_read_from_the_gss_token_and_a_bare_ap_req() {
        for etype in [18, 17, 23] {
            let ap = ap_req(etype);
            assert_eq!(ticket_enctype(&gss_token(&ap)), Some(etype));
            assert_eq!(ticket_enctype(&ap), Some(etype));
        }
    }

    #[test]
    fn garbage_tokens_have_no_enctype_and_do_not_panic() {
        let ap = gss_token(&ap_req(18));
        for cut in 0..ap.len() {
            let _ = ticket_enctype(&ap[..cut]);
        }
        for t in [
            &[][..],
            &[0x60],
            &[0x60, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x60, 0x03, 0x06, 0x01, 0x00],
            b"garbage",
        ] {
            assert_eq!(ticket_enctype(t), None, "{t:?}");
        }
    }

    #[test]
    fn rc4_is_a_warning_with_the_fix_aes_is_evidence() {
        let ok = || {
            CheckResult::pass(CheckId::GssServiceTicket, "got a service ticket")
                .with_target("postgres/db".to_string())
        };
        let cases: &[(Option<i32>, Status, Option<Cause>)] = &[
            (Some(18), Status::Pass, None),
            (Some(17), Status::Pass, None),
            (Some(23), Status::Warn, Some(Cause::ServiceTicketRc4)),
            (Some(24), Status::Warn, Some(Cause::ServiceTicketRc4)),
            (None, Status::Pass, None),
        ];
        for (etype, status, cause) in cases {
            let r = judge_ticket_enctype(
                ok(),
                "postgres/db.corp.example.com@CORP.EXAMPLE.COM",
                *etype,
            );
            assert_eq!((r.status, r.cause), (*status, *cause), "{etype:?}");
            assert_eq!(r.target.as_deref(), Some("postgres/db"));
            if *status == Status::Warn {
                let hint = r.hint.unwrap();
                assert!(
                    hint.contains("msDS-SupportedEncryptionTypes = 24"),
                    "{hint}"
                );
                assert!(
                    hint.contains("setspn -Q postgres/db.corp.example.com)"),
                    "{hint}"
                );
                assert!(r
                    .detail
                    .contains("postgres/db.corp.example.com@CORP.EXAMPLE.COM"));
                assert!(r.detail.contains("RC4"), "{}", r.detail);
            }
        }
        let failed = CheckResult::fail(CheckId::GssServiceTicket, Cause::ServerNotFound, "x");
        assert_eq!(
            judge_ticket_enctype(failed, "postgres/db", Some(23)).status,
            Status::Fail
        );
    }
}
