//! Kerberos on the wire for credential-free probes: the AS-REQ of RFC 4120 §5.4.1 (no pre-auth
//! data), KRB-ERROR (§5.9.1) and AS-REP (§5.4.2) decoding, and the kpasswd request/reply
//! framing of RFC 3244 §2. Two pitfalls are handled here and tested by name: KerberosTime is
//! sent in whole seconds (MIT silently drops a request with a fractional GeneralizedTime), and
//! every request carries a fresh nonce (the KDC's lookaside cache replays its old reply — with a
//! stale server time — to an identical request).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rasn::types::{BitString, GeneralString, Integer};
use rasn_kerberos::{
    AsRep, AsReq, KdcOptions, KdcReq, KdcReqBody, KerberosTime, KrbError, PrincipalName,
};

/// RFC 4120 §6.2 name types.
const NT_PRINCIPAL: i32 = 1;
const NT_SRV_INST: i32 = 2;
/// Encryption types offered (RFC 3962, RFC 8009, RFC 4757): what a current MIT client asks for.
const ETYPES: [i32; 5] = [18, 17, 20, 19, 23];
/// Ticket lifetime asked for; irrelevant to the probe but must be a plausible future time.
const TILL: Duration = Duration::from_secs(24 * 3600);

pub const PREAUTH_REQUIRED: i32 = 25;
pub const C_PRINCIPAL_UNKNOWN: i32 = 6;
pub const CLIENT_REVOKED: i32 = 18;
pub const KEY_EXPIRED: i32 = 23;
pub const RESPONSE_TOO_BIG: i32 = 52;
pub const WRONG_REALM: i32 = 68;
pub const SKEW: i32 = 37;

/// Why bytes are not the Kerberos message expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("empty reply")]
    Empty,
    #[error("not a Kerberos message (first byte 0x{0:02x}; KRB-ERROR is 0x7e, AS-REP 0x6b)")]
    NotKerberos(u8),
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("cannot encode the request: {0}")]
    Encode(String),
}

/// The parts of a KRB-ERROR a diagnosis needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrbErrorInfo {
    pub code: i32,
    pub e_text: Option<String>,
    /// The realm of the principal that issued the error (the KDC's realm).
    pub realm: String,
    pub sname: String,
    pub crealm: Option<String>,
    pub cname: Option<String>,
    /// The server's clock: stime + susec.
    pub server_time: SystemTime,
}

/// A KDC's answer to an AS-REQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KdcReply {
    Error(KrbErrorInfo),
    /// The KDC issued a ticket without pre-authentication (the account does not require it).
    AsRep {
        crealm: String,
        cname: String,
    },
}

/// The kpasswd server's answer (RFC 3244 §2): its protocol version and the KRB-ERROR it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpasswdReply {
    pub version: Option<u16>,
    pub error: Option<KrbErrorInfo>,
}

/// RFC 4120 §7.5.9 names, for details and evidence.
pub fn error_name(code: i32) -> &'static str {
    match code {
        0 => "KDC_ERR_NONE",
        1 => "KDC_ERR_NAME_EXP",
        3 => "KDC_ERR_BAD_PVNO",
        6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        7 => "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        8 => "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
        12 => "KDC_ERR_POLICY",
        13 => "KDC_ERR_BADOPTION",
        14 => "KDC_ERR_ETYPE_NOSUPP",
        16 => "KDC_ERR_PADATA_TYPE_NOSUPP",
        18 => "KDC_ERR_CLIENT_REVOKED",
        23 => "KDC_ERR_KEY_EXPIRED",
        24 => "KDC_ERR_PREAUTH_FAILED",
        25 => "KDC_ERR_PREAUTH_REQUIRED",
        29 => "KDC_ERR_SVC_UNAVAILABLE",
        31 => "KRB_AP_ERR_BAD_INTEGRITY",
        37 => "KRB_AP_ERR_SKEW",
        39 => "KRB_AP_ERR_BADVERSION",
        40 => "KRB_AP_ERR_MSG_TYPE",
        41 => "KRB_AP_ERR_MODIFIED",
        52 => "KRB_ERR_RESPONSE_TOO_BIG",
        60 => "KRB_ERR_GENERIC",
        61 => "KRB_ERR_FIELD_TOOLONG",
        68 => "KDC_ERR_WRONG_REALM",
        _ => "unknown error code",
    }
}

/// A fresh random nonce; MIT clients use 31 bits.
pub fn fresh_nonce() -> u32 {
    rand::random::<u32>() & 0x7fff_ffff
}

/// Can `name` (components separated by `/`) be sent by this encoder? rasn's GeneralString
/// refuses C1 control bytes (0x80–0x9f), which UTF-8 uses for many non-Latin letters.
pub fn encodable(name: &str) -> bool {
    name.split('/')
        .all(|c| GeneralString::from_bytes(c.as_bytes()).is_ok())
}

fn general(s: &str) -> Result<GeneralString, WireError> {
    GeneralString::from_bytes(s.as_bytes())
        .map_err(|e| WireError::Encode(format!("{s:?} is not a valid Kerberos string: {e}")))
}

/// Whole-second KerberosTime: a fractional part makes MIT's KDC drop the request silently.
pub fn kerberos_time(t: SystemTime) -> KerberosTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let dt = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    KerberosTime(dt.fixed_offset())
}

/// A well-formed AS-REQ for `user@realm` (user may hold `/` components), asking for
/// `krbtgt/REALM@REALM`, without pre-authentication data: a KDC answers it with
/// PREAUTH_REQUIRED (user exists), C_PRINCIPAL_UNKNOWN, WRONG_REALM … and its clock.
pub fn as_req(realm: &str, user: &str, now: SystemTime, nonce: u32) -> Result<Vec<u8>, WireError> {
    let cname = PrincipalName {
        r#type: NT_PRINCIPAL,
        string: user.split('/').map(general).collect::<Result<_, _>>()?,
    };
    let sname = PrincipalName {
        r#type: NT_SRV_INST,
        string: vec![general("krbtgt")?, general(realm)?],
    };
    // forwardable, renewable, renewable-ok: the options kinit sends by default.
    let options = KdcOptions(BitString::from_vec(vec![0x40, 0x80, 0x00, 0x10]));
    let req = AsReq(KdcReq {
        pvno: Integer::from(5),
        msg_type: Integer::from(10),
        padata: None,
        req_body: KdcReqBody {
            kdc_options: options,
            cname: Some(cname),
            realm: general(realm)?,
            sname: Some(sname),
            from: None,
            till: kerberos_time(now + TILL),
            rtime: None,
            nonce,
            etype: ETYPES.to_vec(),
            addresses: None,
            enc_authorization_data: None,
            additional_tickets: None,
        },
    });
    rasn::der::encode(&req).map_err(|e| WireError::Encode(e.to_string()))
}

fn text(s: &GeneralString) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

fn principal(p: &PrincipalName) -> String {
    p.string.iter().map(text).collect::<Vec<_>>().join("/")
}

fn krb_error_info(e: &KrbError) -> Result<KrbErrorInfo, WireError> {
    let secs = e.stime.0.timestamp();
    let usec = i64::try_from(&e.susec).unwrap_or(0).clamp(0, 999_999);
    let secs = u64::try_from(secs).map_err(|_| WireError::Malformed {
        what: "KRB-ERROR",
        detail: format!("stime {secs} is before 1970"),
    })?;
    Ok(KrbErrorInfo {
        code: e.error_code,
        e_text: e.e_text.as_ref().map(text).filter(|t| !t.is_empty()),
        realm: text(&e.realm),
        sname: principal(&e.sname),
        crealm: e.crealm.as_ref().map(text),
        cname: e.cname.as_ref().map(principal),
        server_time: UNIX_EPOCH
            + Duration::from_secs(secs)
            + Duration::from_micros(u64::try_from(usec).unwrap_or(0)),
    })
}

/// Decodes a bare KRB-ERROR (`[APPLICATION 30]`, first byte 0x7e).
pub fn decode_krb_error(bytes: &[u8]) -> Result<KrbErrorInfo, WireError> {
    let e: KrbError = rasn::ber::decode(bytes).map_err(|e| WireError::Malformed {
        what: "KRB-ERROR",
        detail: e.to_string(),
    })?;
    krb_error_info(&e)
}

/// Decodes a KDC's reply to an AS-REQ: KRB-ERROR or AS-REP, anything else is `NotKerberos`.
pub fn decode_kdc_reply(bytes: &[u8]) -> Result<KdcReply, WireError> {
    match bytes.first() {
        None => Err(WireError::Empty),
        Some(0x7e) => decode_krb_error(bytes).map(KdcReply::Error),
        Some(0x6b) => {
            let rep: AsRep = rasn::ber::decode(bytes).map_err(|e| WireError::Malformed {
                what: "AS-REP",
                detail: e.to_string(),
            })?;
            Ok(KdcReply::AsRep {
                crealm: text(&rep.0.crealm),
                cname: principal(&rep.0.cname),
            })
        }
        Some(b) => Err(WireError::NotKerberos(*b)),
    }
}

/// A kpasswd request kadmind and AD answer without credentials: total length 8, version 0xff80
/// (the set-password variant), an empty AP-REQ and a 2-byte empty SEQUENCE where the KRB-PRIV
/// goes. The server replies with a KRB-ERROR (KRB_ERR_GENERIC) carrying its clock. Measured on
/// MIT 1.20: without the bytes after the AP-REQ, kadmind logs "Message stream modified" and
/// sends nothing at all.
pub fn kpasswd_probe() -> Vec<u8> {
    vec![0x00, 0x08, 0xff, 0x80, 0x00, 0x00, 0x30, 0x00]
}

/// Decodes a kpasswd reply: `len(2) version(2) ap_rep_len(2) AP-REP KRB-PRIV|KRB-ERROR`, or a
/// bare KRB-ERROR (some servers answer malformed requests that way).
pub fn decode_kpasswd_reply(bytes: &[u8]) -> Result<KpasswdReply, WireError> {
    match bytes.first() {
        None => return Err(WireError::Empty),
        Some(0x7e) => {
            return Ok(KpasswdReply {
                version: None,
                error: Some(decode_krb_error(bytes)?),
            })
        }
        Some(_) => {}
    }
    let malformed = |detail: String| WireError::Malformed {
        what: "kpasswd reply",
        detail,
    };
    if bytes.len() < 6 {
        return Err(malformed(format!(
            "{} bytes, the header alone is 6",
            bytes.len()
        )));
    }
    let len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
    let version = u16::from_be_bytes([bytes[2], bytes[3]]);
    let ap_len = usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    if len != bytes.len() || !matches!(version, 0x0001 | 0xff80) {
        return Err(WireError::NotKerberos(bytes[0]));
    }
    let rest = bytes
        .get(6 + ap_len..)
        .ok_or_else(|| malformed(format!("AP-REP length {ap_len} beyond the message")))?;
    let error = match rest.first() {
        Some(0x7e) => Some(decode_krb_error(rest)?),
        _ => None,
    };
    Ok(KpasswdReply {
        version: Some(version),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    /// The fields of an encoded GeneralizedTime (tag 0x18) in `bytes`.
    fn times(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..bytes.len().saturating_sub(2) {
            if bytes[i] == 0x18 {
                let n = usize::from(bytes[i + 1]);
                if let Some(t) = bytes.get(i + 2..i + 2 + n) {
                    if t.iter()
                        .all(|b| b.is_ascii_digit() || *b == b'Z' || *b == b'.')
                        && n >= 15
                    {
                        out.push(String::from_utf8_lossy(t).into_owned());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn kerberos_time_is_whole_seconds_even_when_the_clock_is_not() {
        let req = as_req("EXAMPLE.COM", "alice", at(1_700_000_000, 987_654_321), 7).unwrap();
        let t = times(&req);
        assert_eq!(
            t,
            vec!["20231115221320Z".to_string()],
            "till = now + 24 h, no fraction"
        );
    }

    #[test]
    fn every_probe_gets_a_fresh_nonce() {
        let nonces: std::collections::HashSet<u32> = (0..64).map(|_| fresh_nonce()).collect();
        assert!(nonces.len() > 60, "nonces repeat: {nonces:?}");
        let a = as_req("EXAMPLE.COM", "alice", at(1, 0), fresh_nonce()).unwrap();
        let b = as_req("EXAMPLE.COM", "alice", at(1, 0), fresh_nonce()).unwrap();
        assert_ne!(
            a, b,
            "two probes in the same second must differ (lookaside cache)"
        );
    }

    #[test]
    fn as_req_round_trips_with_the_fields_a_kdc_checks() {
        let bytes = as_req("EXAMPLE.COM", "host/db", at(1_700_000_000, 0), 42).unwrap();
        assert_eq!(bytes[0], 0x6a, "[APPLICATION 10]");
        let req: AsReq = rasn::der::decode(&bytes).unwrap();
        let body = &req.0.req_body;
        assert_eq!(req.0.pvno, Integer::from(5));
        assert_eq!(req.0.msg_type, Integer::from(10));
        assert!(req.0.padata.is_none(), "no pre-authentication data");
        assert_eq!(body.nonce, 42);
        assert_eq!(text(&body.realm), "EXAMPLE.COM");
        assert_eq!(principal(body.cname.as_ref().unwrap()), "host/db");
        assert_eq!(
            principal(body.sname.as_ref().unwrap()),
            "krbtgt/EXAMPLE.COM"
        );
        assert_eq!(body.etype, ETYPES.to_vec());
    }

    #[test]
    fn non_kerberos_bytes_are_named_not_decoded() {
        assert_eq!(decode_kdc_reply(b""), Err(WireError::Empty));
        assert_eq!(
            decode_kdc_reply(b"HTTP/1.1 400 Bad Request\r\n"),
            Err(WireError::NotKerberos(b'H'))
        );
        assert!(matches!(
            decode_kdc_reply(&[0x7e, 0x03, 0x30, 0x01]),
            Err(WireError::Malformed { .. })
        ));
        assert!(matches!(
            decode_kpasswd_reply(&[0x00, 0x04, 0x00]),
            Err(WireError::Malformed { .. })
        ));
    }

    #[test]
    fn names_outside_general_string_are_detected() {
        assert!(encodable("alice"));
        assert!(encodable("host/db.example.com"));
        // UTF-8 "ł" is c5 82; 0x82 is a C1 control, which rasn's GeneralString rejects.
        assert!(!encodable("łukasz"));
        assert!(as_req("EXAMPLE.COM", "łukasz", at(1, 0), 1).is_err());
    }

    #[test]
    fn kpasswd_probe_has_an_empty_ap_req_and_bytes_after_it() {
        let p = kpasswd_probe();
        assert_eq!(usize::from(u16::from_be_bytes([p[0], p[1]])), p.len());
        assert_eq!(&p[2..4], &[0xff, 0x80]);
        assert_eq!(&p[4..6], &[0, 0], "empty AP-REQ");
        assert!(
            p.len() > 6,
            "kadmind stays silent unless a KRB-PRIV part follows"
        );
    }

    /// Reads an annotated fixture: hex bytes, `#` comments.
    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/wire/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let hex: String = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(|l| l.split_whitespace())
            .collect();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_the_captured_preauth_required() {
        let KdcReply::Error(e) =
            decode_kdc_reply(&fixture("krb-error-preauth-required.hex")).unwrap()
        else {
            panic!("not a KRB-ERROR")
        };
        assert_eq!(e.code, PREAUTH_REQUIRED);
        assert_eq!(e.e_text.as_deref(), Some("NEEDED_PREAUTH"));
        assert_eq!(e.realm, "EXAMPLE.COM");
        assert_eq!(e.sname, "krbtgt/EXAMPLE.COM");
        assert_eq!(e.cname.as_deref(), Some("alice"));
        // 2026-11-26T03:32:55Z + 244542 µs
        assert_eq!(e.server_time, at(1_795_663_975, 244_542_000));
    }

    #[test]
    fn decodes_the_captured_client_unknown() {
        let KdcReply::Error(e) =
            decode_kdc_reply(&fixture("krb-error-client-unknown.hex")).unwrap()
        else {
            panic!("not a KRB-ERROR")
        };
        assert_eq!(e.code, C_PRINCIPAL_UNKNOWN);
        assert_eq!(error_name(e.code), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
        assert_eq!(e.cname.as_deref(), Some("nobody"));
        assert_eq!(e.e_text.as_deref(), Some("CLIENT_NOT_FOUND"));
    }

    #[test]
    fn decodes_the_captured_kpasswd_reply() {
        let r = decode_kpasswd_reply(&fixture("kpasswd-reply-error.hex")).unwrap();
        assert_eq!(r.version, Some(1));
        let e = r.error.unwrap();
        assert_eq!(e.code, 60);
        assert_eq!(e.sname, "kadmin/changepw");
        assert_eq!(e.server_time, at(1_795_663_997, 0));
    }

    #[test]
    fn truncated_captures_are_errors_not_panics() {
        for name in ["krb-error-preauth-required.hex", "kpasswd-reply-error.hex"] {
            let full = fixture(name);
            for cut in 0..full.len() {
                let part = &full[..cut];
                assert!(decode_kdc_reply(part).is_err() || cut == full.len());
                let _ = decode_kpasswd_reply(part);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_kdc_reply(&bytes);
            let _ = decode_kpasswd_reply(&bytes);
        }
    }
}
