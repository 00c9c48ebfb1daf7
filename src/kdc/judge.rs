//! Pure judgement of KDC and kpasswd probe outcomes → `kdc.udp`, `kdc.tcp`, `kpasswd.udp`,
//! `kpasswd.tcp` (one result per address) and `clock.skew`. Table-tested without network.

use std::net::SocketAddr;

use super::probe::{KdcProbe, KpasswdProbe, Outcome, Probe};
use super::wire::{self, KdcReply, KrbErrorInfo};
use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Status};
use crate::transport::{NetError, Proto};

/// Kerberos' default tolerance (MIT and AD `clockskew`).
pub const MAX_SKEW_SECS: f64 = 300.0;
/// Above this a clock is drifting and will soon cross the limit.
pub const WARN_SKEW_SECS: f64 = 60.0;

/// The principal asked for when the user is unknown: its C_PRINCIPAL_UNKNOWN still proves a KDC.
pub const PROBE_USER: &str = "kerbrds-probe";

fn ms(p: &Probe<impl Sized>) -> String {
    format!("{} ms", p.elapsed.as_millis())
}

fn kdc_id(proto: Proto) -> CheckId {
    match proto {
        Proto::Udp => CheckId::KdcUdp,
        Proto::Tcp => CheckId::KdcTcp,
    }
}

fn kpasswd_id(proto: Proto) -> CheckId {
    match proto {
        Proto::Udp => CheckId::KpasswdUdp,
        Proto::Tcp => CheckId::KpasswdTcp,
    }
}

/// The KDC implementation, as far as its PREAUTH_REQUIRED tells it (measured: Samba AD DC 4.17
/// offers padata [16, 15, 147, 2, 136, 655, 19], MIT 1.20 [136, 19, 2, 133] with e-text
/// "NEEDED_PREAUTH"). Active Directory (Windows and Samba) still offers the Windows 2000 PKINIT
/// draft, PA-PK-AS-REQ-WIN (15), which MIT never implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdcKind {
    ActiveDirectory,
    Mit,
}

/// 15: PA-PK-AS-REQ-WIN (PA-PK-AS-REP_OLD); 133: PA-FX-COOKIE.
const PA_PK_AS_REQ_WIN: i32 = 15;
const PA_FX_COOKIE: i32 = 133;

pub fn kdc_kind(e: &KrbErrorInfo) -> Option<KdcKind> {
    if e.padata.contains(&PA_PK_AS_REQ_WIN) {
        Some(KdcKind::ActiveDirectory)
    } else if e.padata.contains(&PA_FX_COOKIE) || e.e_text.as_deref() == Some("NEEDED_PREAUTH") {
        Some(KdcKind::Mit)
    } else {
        None
    }
}

fn kind_of(p: &KdcProbe) -> Option<KdcKind> {
    match &p.outcome {
        Outcome::Reply {
            reply: KdcReply::Error(e),
            ..
        } => kdc_kind(e),
        _ => None,
    }
}

fn krb_error_evidence(e: &KrbErrorInfo) -> Vec<String> {
    let mut ev = vec![
        format!("error-code {} ({})", e.code, wire::error_name(e.code)),
        format!("realm {}, sname {}", e.realm, e.sname),
    ];
    if let Some(t) = &e.e_text {
        ev.push(format!("e-text {t:?}"));
    }
    if let (Some(r), Some(n)) = (&e.crealm, &e.cname) {
        ev.push(format!("client {n}@{r}"));
    }
    if !e.padata.is_empty() {
        ev.push(format!("pre-authentication offered: {:?}", e.padata));
    }
    match kdc_kind(e) {
        Some(KdcKind::ActiveDirectory) => ev.push(
            "KDC: Active Directory (offers PA-PK-AS-REQ-WIN, padata 15, as Windows and Samba do)"
                .into(),
        ),
        Some(KdcKind::Mit) => ev.push("KDC: MIT Kerberos (NEEDED_PREAUTH / PA-FX-COOKIE)".into()),
        None => {}
    }
    ev
}

fn open_port_hint(port: u16, addr: SocketAddr, which: &str) -> String {
    format!(
        "allow {which} {port} from this host to {ip} (AWS: the directory's security group, inbound {which} {port} \
         from this host's address; also check NACLs and routes)",
        ip = addr.ip()
    )
}

/// Judges one KDC answer (a reply was received).
fn judge_kdc_reply(p: &KdcProbe, reply: &KdcReply, realm: &str, user: Option<&str>) -> CheckResult {
    let id = kdc_id(p.proto);
    let who = format!("{}@{realm}", user.unwrap_or(PROBE_USER));
    let e = match reply {
        KdcReply::AsRep { crealm, cname } => {
            return CheckResult::pass(
                id,
                format!(
                "answered in {}: issued a ticket for {cname}@{crealm} without pre-authentication \
                     (the account does not require it)",
                ms(p)
            ),
            )
        }
        KdcReply::Error(e) => e,
    };
    let evidence = krb_error_evidence(e);
    let with_ev = |mut r: CheckResult| {
        r.evidence.extend(evidence.iter().cloned());
        r
    };
    let name = wire::error_name(e.code);
    let served = e.crealm.clone().unwrap_or_else(|| e.realm.clone());
    let r = match e.code {
        wire::WRONG_REALM => CheckResult::fail(
            id,
            Cause::KdcWrongRealm,
            format!("the KDC at {} does not serve {realm} ({name}; it names {served})", p.addr),
        )
        .with_hint(format!(
            "list the KDCs of {realm} under [realms] {realm} = {{ kdc = … }}, or use realm {served}"
        )),
        _ if e.realm != realm => CheckResult::fail(
            id,
            Cause::KdcWrongRealm,
            format!("the KDC at {} answered for realm {} instead of {realm} ({name})", p.addr, e.realm),
        )
        .with_hint(format!(
            "use the realm exactly as the KDC spells it ({}), and list its KDCs under [realms]",
            e.realm
        )),
        wire::C_PRINCIPAL_UNKNOWN if realm != realm.to_ascii_uppercase() => CheckResult::fail(
            id,
            Cause::RealmNotUpperCase,
            format!("the KDC answered in {}, but knows no {who}: the realm is not upper case ({name})", ms(p)),
        )
        .with_hint(format!("use the realm {} (kinit user@{})", realm.to_ascii_uppercase(), realm.to_ascii_uppercase())),
        wire::C_PRINCIPAL_UNKNOWN if user.is_some() => CheckResult::fail(
            id,
            Cause::ClientUnknown,
            format!("the KDC answered in {}, but does not know {who} ({name})", ms(p)),
        )
        .with_hint(format!(
            "check the user name and realm of {who}; an on-prem user belongs to the on-prem realm \
             (kinit user@ONPREM.REALM), and a UPN suffix needs kinit -E"
        )),
        wire::CLIENT_REVOKED => CheckResult::fail(
            id,
            Cause::ClientRevoked,
            format!("the KDC answered in {}: the account {who} is disabled or locked ({name})", ms(p)),
        )
        .with_hint(format!("ask an AD administrator to enable or unlock {who}")),
        // Active Directory matches realms without regard to case and echoes the realm as asked,
        // but its tickets name the upper-case realm: kinit then fails with "KDC reply did not
        // match expectations" (verified on Samba AD DC 4.17).
        wire::PREAUTH_REQUIRED if realm != realm.to_ascii_uppercase() => CheckResult::fail(
            id,
            Cause::RealmNotUpperCase,
            format!(
                "the KDC answered in {} ({name}), but the realm {realm} is not upper case: Active Directory \
                 issues the ticket for {}, and kinit fails with 'KDC reply did not match expectations'",
                ms(p),
                realm.to_ascii_uppercase()
            ),
        )
        .with_hint(format!(
            "use the realm {0} (kinit user@{0}, and in krb5.conf)",
            realm.to_ascii_uppercase()
        )),
        wire::PREAUTH_REQUIRED => CheckResult::pass(
            id,
            format!("answered in {}: {name}, so {who} exists", ms(p)),
        ),
        wire::RESPONSE_TOO_BIG => CheckResult::pass(
            id,
            format!("answered in {}: {name} (the reply needs TCP)", ms(p)),
        ),
        wire::KEY_EXPIRED => CheckResult::warn(
            id,
            Cause::PasswordExpired,
            format!(
                "answered in {}: {name}: the password of {who} has expired and must be changed",
                ms(p)
            ),
        )
        .with_hint(format!(
            "kpasswd {who} (UDP/TCP 464 to a domain controller, see kpasswd.*), or ask an AD administrator to reset it"
        )),
        wire::C_PRINCIPAL_UNKNOWN => CheckResult::pass(
            id,
            format!(
                "answered in {} for {}: {name} for the probe principal {who}, so the KDC serves the realm",
                ms(p),
                e.realm
            ),
        ),
        _ => CheckResult::pass(
            id,
            format!("answered in {}: {name} (error-code {})", ms(p), e.code),
        ),
    };
    with_ev(r)
}

/// The network/garbage side shared by KDC and kpasswd: the cause for a failure to get a reply.
fn no_reply_cause(err: &NetError) -> Cause {
    match err {
        NetError::Timeout { .. } => Cause::KdcTimeout,
        NetError::Refused | NetError::Unreachable(_) | NetError::Io(_) => Cause::KdcRefused,
        NetError::Closed { .. } | NetError::Oversized { .. } => Cause::KdcGarbage,
    }
}

/// Why a probe got no KDC answer: the detail and the base cause, before the other transport and
/// the other KDCs are taken into account.
fn no_answer(p: &KdcProbe, reply_free: &Outcome<KdcReply>) -> (String, Cause) {
    match reply_free {
        Outcome::Garbage { error, preview } => (
            format!("something answered that is not a KDC: {error}; got {preview}"),
            Cause::KdcGarbage,
        ),
        Outcome::Net(err) => (format!("{err} (after {})", ms(p)), no_reply_cause(err)),
        Outcome::Reply { .. } => ("answered".into(), Cause::Internal),
    }
}

fn judge_kdc_failure(
    p: &KdcProbe,
    (mut detail, base): (String, Cause),
    other: Option<Option<KdcKind>>,
    peer_answered: bool,
) -> CheckResult {
    // `other`: the other transport of this address answered (and what kind of KDC it is).
    let other_answered = other.is_some();
    let mit_over_udp = other == Some(Some(KdcKind::Mit));
    let id = kdc_id(p.proto);
    let cause = match (p.proto, other_answered, base) {
        (Proto::Udp, true, Cause::KdcTimeout | Cause::KdcRefused) => Cause::KdcUdpOnlyBlocked,
        (Proto::Tcp, true, Cause::KdcTimeout | Cause::KdcRefused) => Cause::KdcTcpBlocked,
        (_, _, c) => c,
    };
    let status = match cause {
        Cause::KdcUdpOnlyBlocked => Status::Warn,
        // An MIT KDC's tickets (no group-laden PAC) fit UDP: logins still work.
        Cause::KdcTcpBlocked if mit_over_udp => Status::Warn,
        // Another KDC of the realm answers over this transport: MIT moves on after ~1 s.
        _ if peer_answered => Status::Warn,
        _ => Status::Fail,
    };
    let which = p.proto.to_string().to_uppercase();
    let hint = match cause {
        Cause::KdcGarbage => format!(
            "check that {} is a domain controller: the 'kdc =' lines of the realm and the _kerberos SRV records",
            p.addr
        ),
        Cause::KdcUdpOnlyBlocked => open_port_hint(p.addr.port(), p.addr, "UDP"),
        Cause::KdcTcpBlocked => open_port_hint(p.addr.port(), p.addr, "TCP"),
        Cause::KdcRefused => format!(
            "nothing accepts {which} {} on {}: check the KDC address, or a host firewall that rejects it",
            p.addr.port(),
            p.addr.ip()
        ),
        _ => open_port_hint(p.addr.port(), p.addr, "UDP and TCP"),
    };
    match cause {
        Cause::KdcUdpOnlyBlocked => detail.push_str(
            "; TCP works, so MIT clients wait 1 s per request before falling back to TCP",
        ),
        Cause::KdcTcpBlocked if mit_over_udp => detail.push_str(
            "; UDP works and this KDC is MIT Kerberos, whose tickets fit UDP, so logins still work \
             (an Active Directory's would not)",
        ),
        Cause::KdcTcpBlocked => detail.push_str(
            "; UDP works, but AD tickets carry a PAC that does not fit UDP, so logins fail",
        ),
        _ if peer_answered => {
            detail.push_str("; another KDC of the realm answers, so clients wait ~1 s, then use it")
        }
        _ => {}
    }
    CheckResult::problem(id, status, cause, detail).with_hint(hint)
}

/// `kdc.udp` / `kdc.tcp`, one result per probed address, in the order given.
pub fn judge_kdcs(probes: &[KdcProbe], realm: &str, user: Option<&str>) -> Vec<CheckResult> {
    probes
        .iter()
        .map(|p| {
            let r = match &p.outcome {
                Outcome::Reply { reply, .. } => judge_kdc_reply(p, reply, realm, user),
                failed => {
                    let why = no_answer(p, failed);
                    let other = probes
                        .iter()
                        .find(|o| o.addr == p.addr && o.proto != p.proto && o.answered())
                        .map(kind_of);
                    let peer_answered = probes
                        .iter()
                        .any(|o| o.addr != p.addr && o.proto == p.proto && o.answered());
                    judge_kdc_failure(p, why, other, peer_answered)
                }
            };
            r.with_target(p.target()).with_elapsed(p.elapsed)
        })
        .collect()
}

/// MIT's kpasswd answers with a Kerberos error code; Active Directory (Samba, Windows) puts the
/// RFC 3244 result code in the KRB-ERROR instead (measured: Samba answers 2, HARDERROR).
fn kpasswd_error_name(code: i32) -> String {
    let rfc3244 = match code {
        1 => "KRB5_KPASSWD_MALFORMED",
        2 => "KRB5_KPASSWD_HARDERROR",
        3 => "KRB5_KPASSWD_AUTHERROR",
        4 => "KRB5_KPASSWD_SOFTERROR",
        5 => "KRB5_KPASSWD_ACCESSDENIED",
        6 => "KRB5_KPASSWD_BAD_VERSION",
        7 => "KRB5_KPASSWD_INITIAL_FLAG_NEEDED",
        _ => return wire::error_name(code).to_string(),
    };
    format!("{rfc3244}: the kpasswd result code Active Directory answers with")
}

/// `kpasswd.udp` / `kpasswd.tcp`, one result per probed address. kpasswd matters only when a
/// password must change, so an unreachable kpasswd is a warning, never a failure.
pub fn judge_kpasswd(probes: &[KpasswdProbe]) -> Vec<CheckResult> {
    probes
        .iter()
        .map(|p| {
            let id = kpasswd_id(p.proto);
            let r = match &p.outcome {
                Outcome::Reply { reply, .. } => {
                    let mut r = CheckResult::pass(
                        id,
                        match &reply.error {
                            Some(e) => format!(
                                "answered in {} with a KRB-ERROR from {} ({})",
                                ms(p),
                                e.realm,
                                kpasswd_error_name(e.code)
                            ),
                            None => format!("answered in {} with a kpasswd reply", ms(p)),
                        },
                    );
                    if let Some(v) = reply.version {
                        r = r.with_evidence(format!("kpasswd version 0x{v:04x}"));
                    }
                    if let Some(e) = &reply.error {
                        r.evidence.extend(krb_error_evidence(e));
                    }
                    r
                }
                Outcome::Garbage { error, preview } => CheckResult::warn(
                    id,
                    Cause::KpasswdUnreachable,
                    format!("something answered that is not kpasswd: {error}; got {preview}"),
                )
                .with_hint(format!(
                    "check that {} is a domain controller (kpasswd_server / admin_server in krb5.conf)",
                    p.addr.ip()
                )),
                Outcome::Net(err) => CheckResult::warn(
                    id,
                    Cause::KpasswdUnreachable,
                    format!("{err} (after {})", ms(p)),
                )
                .with_hint(open_port_hint(
                    p.addr.port(),
                    p.addr,
                    &p.proto.to_string().to_uppercase(),
                )),
            };
            r.with_target(p.target()).with_elapsed(p.elapsed)
        })
        .collect()
}

/// A reading of a server's clock against ours.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockReading {
    /// `127.0.10.1:88/udp`
    pub source: String,
    /// Server clock minus local clock, in seconds.
    pub skew: f64,
    pub rtt_ms: u128,
    /// Only good to ±1 s (the server sent no sub-second part).
    pub whole_seconds: bool,
}

impl ClockReading {
    pub fn from_probe<R>(p: &Probe<R>) -> Option<ClockReading> {
        p.skew().map(|skew| ClockReading {
            source: p.target(),
            skew: skew.secs,
            rtt_ms: p.elapsed.as_millis(),
            whole_seconds: skew.whole_seconds,
        })
    }
}

fn describe(skew: f64) -> String {
    let (n, dir) = if skew >= 0.0 {
        (skew, "behind")
    } else {
        (-skew, "ahead of")
    };
    format!("the local clock is {n:.1} s {dir} the KDC")
}

/// `clock.skew` from the most precise reading: sub-second server times first, then the fastest
/// round trip (the least uncertainty about when the server read its clock).
pub fn judge_clock(readings: &[ClockReading]) -> CheckResult {
    let Some(best) = readings.iter().min_by_key(|r| (r.whole_seconds, r.rtt_ms)) else {
        return CheckResult::skip(
            CheckId::ClockSkew,
            "no KDC or kpasswd answer carried the server's time",
        );
    };
    let detail = format!("{} at {}", describe(best.skew), best.source);
    let hint =
        "synchronise the clock: timedatectl set-ntp true (chrony/NTP; on EC2 the Amazon Time Sync \
                Service at 169.254.169.123), then check with chronyc tracking";
    let r = if best.skew.abs() > MAX_SKEW_SECS {
        CheckResult::fail(
            CheckId::ClockSkew,
            Cause::ClockSkew,
            format!("{detail}: more than Kerberos' {MAX_SKEW_SECS:.0} s ('Clock skew too great')"),
        )
        .with_hint(hint)
    } else if best.skew.abs() > WARN_SKEW_SECS {
        CheckResult::warn(
            CheckId::ClockSkew,
            Cause::ClockSkew,
            format!("{detail}: within Kerberos' {MAX_SKEW_SECS:.0} s, but drifting"),
        )
        .with_hint(hint)
    } else {
        CheckResult::pass(CheckId::ClockSkew, detail)
    };
    readings.iter().fold(r, |r, x| {
        r.with_evidence(format!(
            "{}: {:+.3} s (rtt {} ms)",
            x.source, x.skew, x.rtt_ms
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdc::probe::{Probe, Skew};
    use crate::kdc::wire::KpasswdReply;
    use std::time::{Duration, UNIX_EPOCH};

    const REALM: &str = "EXAMPLE.COM";

    fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([127, 0, 10, last], 88))
    }

    fn err(code: i32, realm: &str) -> Outcome<KdcReply> {
        Outcome::Reply {
            reply: KdcReply::Error(KrbErrorInfo {
                code,
                e_text: None,
                realm: realm.into(),
                sname: format!("krbtgt/{realm}"),
                crealm: None,
                cname: None,
                server_time: UNIX_EPOCH,
                padata: vec![],
            }),
            skew: Some(Skew {
                secs: 0.0,
                whole_seconds: false,
            }),
        }
    }

    fn p(a: SocketAddr, proto: Proto, outcome: Outcome<KdcReply>) -> KdcProbe {
        Probe {
            addr: a,
            proto,
            outcome,
            elapsed: Duration::from_millis(3),
        }
    }

    fn timeout() -> Outcome<KdcReply> {
        Outcome::Net(NetError::Timeout { connected: false })
    }

    fn summary(rs: &[CheckResult]) -> Vec<(&str, Status, Option<&str>)> {
        rs.iter()
            .map(|r| (r.id.as_str(), r.status, r.cause.map(|c| c.code())))
            .collect()
    }

    #[test]
    fn kdc_outcomes_map_to_status_and_cause() {
        use Status::*;
        let a = addr(1);
        let garbage = Outcome::Garbage {
            error: wire::WireError::NotKerberos(b'H'),
            preview: "\"HTTP\"".into(),
        };
        let closed = Outcome::Net(NetError::Closed {
            head: vec![],
            reset: false,
        });
        // (udp outcome, tcp outcome, user) → (udp status/cause, tcp status/cause)
        type Row<'a> = (
            Outcome<KdcReply>,
            Outcome<KdcReply>,
            Option<&'a str>,
            [(Status, Option<&'a str>); 2],
        );
        let table: Vec<Row> = vec![
            (
                err(25, REALM),
                err(25, REALM),
                Some("alice"),
                [(Pass, None), (Pass, None)],
            ),
            (
                err(6, REALM),
                err(6, REALM),
                Some("nobody"),
                [
                    (Fail, Some("client-unknown")),
                    (Fail, Some("client-unknown")),
                ],
            ),
            (
                err(6, REALM),
                err(6, REALM),
                None,
                [(Pass, None), (Pass, None)],
            ),
            (
                err(18, REALM),
                err(25, REALM),
                Some("alice"),
                [(Fail, Some("client-revoked")), (Pass, None)],
            ),
            (
                err(68, "ONPREM.COM"),
                err(68, "ONPREM.COM"),
                None,
                [
                    (Fail, Some("kdc-wrong-realm")),
                    (Fail, Some("kdc-wrong-realm")),
                ],
            ),
            (
                err(25, "example.com"),
                err(25, REALM),
                None,
                [(Fail, Some("kdc-wrong-realm")), (Pass, None)],
            ),
            (
                err(52, REALM),
                err(25, REALM),
                None,
                [(Pass, None), (Pass, None)],
            ),
            (
                timeout(),
                err(25, REALM),
                None,
                [(Warn, Some("kdc-udp-blocked")), (Pass, None)],
            ),
            (
                Outcome::Net(NetError::Refused),
                err(25, REALM),
                None,
                [(Warn, Some("kdc-udp-blocked")), (Pass, None)],
            ),
            (
                err(25, REALM),
                timeout(),
                None,
                [(Pass, None), (Fail, Some("kdc-tcp-blocked"))],
            ),
            (
                err(25, REALM),
                Outcome::Net(NetError::Refused),
                None,
                [(Pass, None), (Fail, Some("kdc-tcp-blocked"))],
            ),
            (
                timeout(),
                timeout(),
                None,
                [(Fail, Some("kdc-timeout")), (Fail, Some("kdc-timeout"))],
            ),
            (
                Outcome::Net(NetError::Refused),
                Outcome::Net(NetError::Refused),
                None,
                [(Fail, Some("kdc-refused")), (Fail, Some("kdc-refused"))],
            ),
            (
                garbage.clone(),
                closed,
                None,
                [(Fail, Some("kdc-garbage")), (Fail, Some("kdc-garbage"))],
            ),
            (
                Outcome::Reply {
                    reply: KdcReply::AsRep {
                        crealm: REALM.into(),
                        cname: "svc".into(),
                    },
                    skew: None,
                },
                garbage,
                None,
                [(Pass, None), (Fail, Some("kdc-garbage"))],
            ),
        ];
        for (i, (udp, tcp, user, want)) in table.into_iter().enumerate() {
            let rs = judge_kdcs(&[p(a, Proto::Udp, udp), p(a, Proto::Tcp, tcp)], REALM, user);
            let got: Vec<_> = rs
                .iter()
                .map(|r| (r.status, r.cause.map(|c| c.code())))
                .collect();
            pretty_assertions::assert_eq!(got, want.to_vec(), "row {i}");
            for r in &rs {
                assert!(r.target.as_deref().unwrap().starts_with("127.0.10.1:88/"));
                if r.status != Pass {
                    assert!(r.hint.is_some(), "row {i}: every problem carries a hint");
                }
            }
        }
    }

    #[test]
    fn a_lower_case_realm_is_named_as_such() {
        let rs = judge_kdcs(
            &[p(addr(1), Proto::Udp, err(6, "example.com"))],
            "example.com",
            Some("alice"),
        );
        assert_eq!(rs[0].cause, Some(Cause::RealmNotUpperCase));
        assert!(
            rs[0].hint.as_deref().unwrap().contains("alice@EXAMPLE.COM")
                || rs[0].hint.as_deref().unwrap().contains("EXAMPLE.COM")
        );
    }

    /// Active Directory's answers to the password-less AS-REQ (Samba AD DC 4.17 and Windows):
    /// a lower-case realm is echoed with PREAUTH_REQUIRED (Samba), a disabled or locked
    /// account is CLIENT_REVOKED before pre-authentication (Windows), an expired password
    /// KEY_EXPIRED, an AS-REP with a PAC over UDP RESPONSE_TOO_BIG.
    #[test]
    fn active_directory_answers_map_to_account_states() {
        use Status::*;
        // (error code, realm asked for, user) → (status, cause)
        type Row = (
            i32,
            &'static str,
            Option<&'static str>,
            Status,
            Option<&'static str>,
        );
        let table: &[Row] = &[
            (
                25,
                "corp.example.com",
                Some("dave"),
                Fail,
                Some("realm-not-upper-case"),
            ),
            (25, "CORP.EXAMPLE.COM", Some("dave"), Pass, None),
            (
                6,
                "CORP.EXAMPLE.COM",
                Some("nobody"),
                Fail,
                Some("client-unknown"),
            ),
            (
                18,
                "CORP.EXAMPLE.COM",
                Some("erin"),
                Fail,
                Some("client-revoked"),
            ),
            (
                23,
                "CORP.EXAMPLE.COM",
                Some("frank"),
                Warn,
                Some("password-expired"),
            ),
            (52, "CORP.EXAMPLE.COM", Some("svc"), Pass, None),
        ];
        for &(code, realm, user, status, cause) in table {
            let rs = judge_kdcs(&[p(addr(1), Proto::Udp, err(code, realm))], realm, user);
            assert_eq!(
                (rs[0].status, rs[0].cause.map(|c| c.code())),
                (status, cause),
                "{code} {realm}"
            );
            if status != Pass {
                let hint = rs[0].hint.as_deref().unwrap();
                assert!(!hint.is_empty());
            }
        }
        let lower = judge_kdcs(
            &[p(addr(1), Proto::Tcp, err(25, "corp.example.com"))],
            "corp.example.com",
            Some("dave"),
        );
        assert!(lower[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("CORP.EXAMPLE.COM"));
        assert!(lower[0]
            .detail
            .contains("KDC reply did not match expectations"));
        let expired = judge_kdcs(
            &[p(addr(1), Proto::Tcp, err(23, "CORP.EXAMPLE.COM"))],
            "CORP.EXAMPLE.COM",
            Some("frank"),
        );
        assert!(expired[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("kpasswd frank@CORP.EXAMPLE.COM"));
    }

    /// PREAUTH_REQUIRED as each implementation sends it (padata lists measured in the lab).
    fn preauth(padata: &[i32], e_text: Option<&str>) -> Outcome<KdcReply> {
        let mut o = err(25, REALM);
        if let Outcome::Reply {
            reply: KdcReply::Error(e),
            ..
        } = &mut o
        {
            e.padata = padata.to_vec();
            e.e_text = e_text.map(str::to_string);
        }
        o
    }

    const SAMBA_PA: &[i32] = &[16, 15, 147, 2, 136, 655, 19];
    const WINDOWS_PA: &[i32] = &[19, 2, 16, 15];
    const MIT_PA: &[i32] = &[136, 19, 2, 133];

    #[test]
    fn the_kdc_kind_comes_from_the_preauth_it_offers() {
        let kind = |o: Outcome<KdcReply>| kind_of(&p(addr(1), Proto::Udp, o));
        assert_eq!(
            kind(preauth(
                SAMBA_PA,
                Some("Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ")
            )),
            Some(KdcKind::ActiveDirectory)
        );
        assert_eq!(
            kind(preauth(WINDOWS_PA, None)),
            Some(KdcKind::ActiveDirectory)
        );
        assert_eq!(
            kind(preauth(MIT_PA, Some("NEEDED_PREAUTH"))),
            Some(KdcKind::Mit)
        );
        assert_eq!(
            kind(preauth(&[], Some("NEEDED_PREAUTH"))),
            Some(KdcKind::Mit)
        );
        assert_eq!(kind(preauth(&[2, 19], None)), None);
        assert_eq!(kind(timeout()), None);
    }

    /// TCP 88 blocked: a failure against Active Directory (its tickets carry a PAC that does
    /// not fit UDP, verified on Samba) or an unknown KDC, a warning against MIT (logins still
    /// work over UDP, verified on MIT 1.20).
    #[test]
    fn tcp_blocked_fails_against_ad_and_warns_against_mit() {
        let table: &[(&[i32], Option<&str>, Status)] = &[
            (SAMBA_PA, None, Status::Fail),
            (WINDOWS_PA, None, Status::Fail),
            (&[], None, Status::Fail),
            (MIT_PA, Some("NEEDED_PREAUTH"), Status::Warn),
        ];
        for &(pa, text, status) in table {
            let rs = judge_kdcs(
                &[
                    p(addr(1), Proto::Udp, preauth(pa, text)),
                    p(addr(1), Proto::Tcp, timeout()),
                ],
                REALM,
                Some("alice"),
            );
            assert_eq!(rs[0].status, Status::Pass);
            assert_eq!(
                (rs[1].status, rs[1].cause),
                (status, Some(Cause::KdcTcpBlocked)),
                "{pa:?}"
            );
            let want = if status == Status::Warn {
                "logins still work"
            } else {
                "logins fail"
            };
            assert!(rs[1].detail.contains(want), "{}", rs[1].detail);
            assert!(rs[1].hint.as_deref().unwrap().contains("TCP 88"));
        }
        let ev = judge_kdcs(
            &[p(addr(1), Proto::Udp, preauth(SAMBA_PA, None))],
            REALM,
            Some("dave"),
        );
        assert!(
            ev[0]
                .evidence
                .iter()
                .any(|e| e.contains("KDC: Active Directory")),
            "{:?}",
            ev[0].evidence
        );
    }

    #[test]
    fn one_dead_kdc_of_two_is_a_warning_not_a_failure() {
        let rs = judge_kdcs(
            &[
                p(addr(1), Proto::Udp, err(25, REALM)),
                p(addr(1), Proto::Tcp, err(25, REALM)),
                p(addr(2), Proto::Udp, timeout()),
                p(addr(2), Proto::Tcp, timeout()),
            ],
            REALM,
            Some("alice"),
        );
        assert_eq!(
            summary(&rs)[2..],
            [
                ("kdc.udp", Status::Warn, Some("kdc-timeout")),
                ("kdc.tcp", Status::Warn, Some("kdc-timeout"))
            ]
        );
        assert!(rs[2].detail.contains("another KDC"), "{}", rs[2].detail);
    }

    #[test]
    fn kpasswd_error_codes_are_named_for_mit_and_ad() {
        assert_eq!(kpasswd_error_name(60), "KRB_ERR_GENERIC");
        assert!(kpasswd_error_name(2).starts_with("KRB5_KPASSWD_HARDERROR"));
        assert_eq!(kpasswd_error_name(99), "unknown error code");
    }

    #[test]
    fn kpasswd_answers_pass_and_silence_warns() {
        let a = SocketAddr::from(([127, 0, 10, 1], 464));
        let reply = KpasswdReply {
            version: Some(1),
            error: None,
        };
        let probes = vec![
            Probe {
                addr: a,
                proto: Proto::Udp,
                outcome: Outcome::Reply { reply, skew: None },
                elapsed: Duration::ZERO,
            },
            Probe {
                addr: a,
                proto: Proto::Tcp,
                outcome: Outcome::Net(NetError::Timeout { connected: true }),
                elapsed: Duration::ZERO,
            },
        ];
        assert_eq!(
            summary(&judge_kpasswd(&probes)),
            [
                ("kpasswd.udp", Status::Pass, None),
                ("kpasswd.tcp", Status::Warn, Some("kpasswd-unreachable"))
            ]
        );
    }

    #[test]
    fn clock_skew_thresholds() {
        let r = |skew: f64, rtt_ms: u128| ClockReading {
            source: "k".into(),
            skew,
            rtt_ms,
            whole_seconds: false,
        };
        let coarse = |skew: f64, rtt_ms: u128| ClockReading {
            whole_seconds: true,
            ..r(skew, rtt_ms)
        };
        for (readings, want) in [
            (vec![], Status::Skip),
            (vec![r(0.4, 2)], Status::Pass),
            (vec![r(-90.0, 2)], Status::Warn),
            (vec![r(600.2, 2)], Status::Fail),
            (vec![r(-600.0, 2)], Status::Fail),
            // The fastest reading wins: a slow one is less precise.
            (vec![r(400.0, 900), r(1.0, 3)], Status::Pass),
            // A whole-second reading (kpasswd) loses to a precise one, however fast.
            (vec![coarse(-0.9, 0), r(400.0, 5)], Status::Fail),
        ] {
            let got = judge_clock(&readings);
            assert_eq!(got.status, want, "{readings:?}: {}", got.detail);
            if want == Status::Fail {
                assert_eq!(got.cause, Some(Cause::ClockSkew));
            }
        }
        assert!(judge_clock(&[r(600.0, 1)])
            .detail
            .contains("600.0 s behind"));
        assert!(judge_clock(&[r(-600.0, 1)])
            .detail
            .contains("600.0 s ahead of"));
    }
}
