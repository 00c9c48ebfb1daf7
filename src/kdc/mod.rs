//! The KDC room: `kdc.udp`, `kdc.tcp`, `kpasswd.udp`, `kpasswd.tcp` and `clock.skew`.
//! `wire` builds and decodes the Kerberos messages, `probe` does the I/O, `judge` decides.
//! Every address is probed over UDP and TCP at once, all under one deadline, so a blackholed
//! realm costs one timeout, not one per address and transport.

pub mod judge;
pub mod probe;
pub mod wire;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use crate::check::{CheckId, CheckResult, Checked};
use crate::transport::Proto;

pub use judge::ClockReading;

/// The default Kerberos and kpasswd ports.
pub const KDC_PORT: u16 = 88;
pub const KPASSWD_PORT: u16 = 464;

/// What later steps can use from the KDC probes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KdcFacts {
    /// Addresses and transports that gave a Kerberos answer.
    pub answered: Vec<(SocketAddr, Proto)>,
    /// Every server-clock reading, for `clock.skew`.
    pub clock: Vec<ClockReading>,
}

fn facts<R>(probes: &[probe::Probe<R>]) -> KdcFacts {
    KdcFacts {
        answered: probes
            .iter()
            .filter(|p| p.answered())
            .map(|p| (p.addr, p.proto))
            .collect(),
        clock: probes.iter().filter_map(ClockReading::from_probe).collect(),
    }
}

fn both(addrs: &[SocketAddr]) -> impl Iterator<Item = (SocketAddr, Proto)> + '_ {
    addrs
        .iter()
        .flat_map(|a| [(*a, Proto::Udp), (*a, Proto::Tcp)])
}

/// The user to ask for, if this encoder can send the name; otherwise the probe principal is
/// used (and judged as such), which still proves the KDC but not the user.
pub fn probe_user(user: Option<&str>) -> Option<&str> {
    user.filter(|u| wire::encodable(u))
}

/// AS-REQ probes of every KDC address over UDP and TCP, all under one deadline (I/O only).
pub async fn probe_kdcs(
    realm: &str,
    user: Option<&str>,
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Vec<probe::KdcProbe> {
    let deadline = Instant::now() + timeout;
    let name = user.unwrap_or(judge::PROBE_USER);
    join_all(both(addrs).map(|(a, proto)| probe::as_exchange(a, proto, realm, name, deadline)))
        .await
}

/// kpasswd probes of every address over UDP and TCP, all under one deadline (I/O only).
pub async fn probe_kpasswd(addrs: &[SocketAddr], timeout: Duration) -> Vec<probe::KpasswdProbe> {
    let deadline = Instant::now() + timeout;
    join_all(both(addrs).map(|(a, proto)| probe::kpasswd_exchange(a, proto, deadline))).await
}

/// `kdc.udp`/`kdc.tcp` from probes gathered in one or several rounds (pure).
pub fn judge_kdc_probes(
    probes: &[probe::KdcProbe],
    realm: &str,
    user: Option<&str>,
) -> Checked<KdcFacts> {
    if probes.is_empty() {
        let why = format!("no KDC address known for {realm}");
        return Checked::new(
            vec![
                CheckResult::skip(CheckId::KdcUdp, why.clone()),
                CheckResult::skip(CheckId::KdcTcp, why),
            ],
            None,
        );
    }
    Checked::new(judge::judge_kdcs(probes, realm, user), Some(facts(probes)))
}

/// `kpasswd.udp`/`kpasswd.tcp` from probes gathered in one or several rounds (pure).
pub fn judge_kpasswd_probes(probes: &[probe::KpasswdProbe]) -> Checked<KdcFacts> {
    if probes.is_empty() {
        return Checked::new(
            vec![
                CheckResult::skip(CheckId::KpasswdUdp, "no kpasswd address known"),
                CheckResult::skip(CheckId::KpasswdTcp, "no kpasswd address known"),
            ],
            None,
        );
    }
    Checked::new(judge::judge_kpasswd(probes), Some(facts(probes)))
}

/// Probes every KDC address over UDP and TCP with a fresh AS-REQ for `user@realm` (no
/// credentials; `None` asks for a probe principal, whose C_PRINCIPAL_UNKNOWN still proves a KDC).
/// Results: `kdc.udp` and `kdc.tcp` per address; value: who answered and the clock readings.
pub async fn check_kdcs(
    realm: &str,
    user: Option<&str>,
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Checked<KdcFacts> {
    let user = probe_user(user);
    judge_kdc_probes(&probe_kdcs(realm, user, addrs, timeout).await, realm, user)
}

/// Probes kpasswd (464) on every address over UDP and TCP with the credential-free request.
/// Results: `kpasswd.udp` and `kpasswd.tcp` per address; value: who answered, clock readings.
pub async fn check_kpasswd(addrs: &[SocketAddr], timeout: Duration) -> Checked<KdcFacts> {
    judge_kpasswd_probes(&probe_kpasswd(addrs, timeout).await)
}

/// `clock.skew` from every reading the KDC and kpasswd probes gathered (pure).
pub fn check_clock(readings: &[ClockReading]) -> CheckResult {
    judge::judge_clock(readings)
}
