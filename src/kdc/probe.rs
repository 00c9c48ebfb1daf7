//! I/O of the KDC and kpasswd probes: one exchange per address and transport, bounded by the
//! caller's deadline, ending in a precise `Outcome` (a decoded reply with the clock reading, a
//! foreign reply, or the network failure). No judgement here: see `judge`.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::wire::{self, KdcReply, KpasswdReply, WireError};
use crate::transport::{self, Framing, NetError, Proto};

/// Kerberos messages over TCP are capped well above AD's largest tickets (~64 KiB PACs).
const TCP_LIMIT: usize = 1 << 20;

/// How one exchange ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<R> {
    /// A decoded reply; `skew` when the reply carried the server's time.
    Reply { reply: R, skew: Option<Skew> },
    /// Something answered that is not this protocol.
    Garbage { error: WireError, preview: String },
    /// No reply: refused, timed out, closed early, oversized …
    Net(NetError),
}

/// The server's clock minus ours, in seconds. `whole_seconds`: the server sent no sub-second
/// part (kadmind's kpasswd errors carry susec 0), so the reading is only good to ±1 s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skew {
    pub secs: f64,
    pub whole_seconds: bool,
}

/// One probe of one address over one transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe<R> {
    pub addr: SocketAddr,
    pub proto: Proto,
    pub outcome: Outcome<R>,
    pub elapsed: Duration,
}

impl<R> Probe<R> {
    /// `127.0.10.1:88/udp`
    pub fn target(&self) -> String {
        format!("{}/{}", self.addr, self.proto)
    }

    pub fn answered(&self) -> bool {
        matches!(self.outcome, Outcome::Reply { .. })
    }

    pub fn skew(&self) -> Option<Skew> {
        match self.outcome {
            Outcome::Reply { skew, .. } => skew,
            _ => None,
        }
    }
}

pub type KdcProbe = Probe<KdcReply>;
pub type KpasswdProbe = Probe<KpasswdReply>;

async fn exchange(
    addr: SocketAddr,
    proto: Proto,
    payload: &[u8],
    deadline: Instant,
) -> (Result<Vec<u8>, NetError>, Duration, SystemTime) {
    let sent = SystemTime::now();
    let (r, elapsed) = match proto {
        Proto::Udp => transport::udp_exchange(addr, payload, deadline).await,
        Proto::Tcp => {
            transport::tcp_exchange(addr, payload, Framing::U32, TCP_LIMIT, deadline).await
        }
    };
    // Our clock at the moment the server most likely read its own: halfway through the exchange.
    (r, elapsed, sent + elapsed / 2)
}

fn skew_of(server: SystemTime, local: SystemTime) -> Skew {
    let secs = match server.duration_since(local) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    let whole_seconds = server
        .duration_since(std::time::UNIX_EPOCH)
        .is_ok_and(|d| d.subsec_nanos() == 0);
    Skew {
        secs,
        whole_seconds,
    }
}

fn outcome<R>(
    r: Result<Vec<u8>, NetError>,
    decode: impl Fn(&[u8]) -> Result<R, WireError>,
    server_time: impl Fn(&R) -> Option<SystemTime>,
    local: SystemTime,
) -> Outcome<R> {
    match r {
        Err(e) => Outcome::Net(e),
        Ok(bytes) => match decode(&bytes) {
            Ok(reply) => {
                let skew = server_time(&reply).map(|t| skew_of(t, local));
                Outcome::Reply { reply, skew }
            }
            Err(error) => Outcome::Garbage {
                error,
                preview: transport::preview(&bytes),
            },
        },
    }
}

/// Sends a fresh AS-REQ for `user@realm` to `addr` and decodes the answer.
pub async fn as_exchange(
    addr: SocketAddr,
    proto: Proto,
    realm: &str,
    user: &str,
    deadline: Instant,
) -> KdcProbe {
    let req = match wire::as_req(realm, user, SystemTime::now(), wire::fresh_nonce()) {
        Ok(r) => r,
        Err(error) => {
            return Probe {
                addr,
                proto,
                outcome: Outcome::Net(NetError::Io(error.to_string())),
                elapsed: Duration::ZERO,
            }
        }
    };
    let (r, elapsed, local) = exchange(addr, proto, &req, deadline).await;
    let server_time = |rep: &KdcReply| match rep {
        KdcReply::Error(e) => Some(e.server_time),
        KdcReply::AsRep { .. } => None,
    };
    Probe {
        addr,
        proto,
        outcome: outcome(r, wire::decode_kdc_reply, server_time, local),
        elapsed,
    }
}

/// Sends the credential-free kpasswd request to `addr` and decodes the answer.
pub async fn kpasswd_exchange(addr: SocketAddr, proto: Proto, deadline: Instant) -> KpasswdProbe {
    let (r, elapsed, local) = exchange(addr, proto, &wire::kpasswd_probe(), deadline).await;
    let server_time = |rep: &KpasswdReply| rep.error.as_ref().map(|e| e.server_time);
    Probe {
        addr,
        proto,
        outcome: outcome(r, wire::decode_kpasswd_reply, server_time, local),
        elapsed,
    }
}
