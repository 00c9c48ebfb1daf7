//! Bounded request/response exchanges over UDP and TCP for the network probes (dns, kdc,
//! kpasswd, db). Each exchange ends in a reply or a precise `NetError`: refused, no reply before
//! the deadline, closed early, an oversized frame. A completed TCP connect proves nothing (firewalls
//! and this sandbox complete it for almost any address), so callers judge only replies.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout_at, Instant};

/// The transport of one probe; shown as `udp`/`tcp` in targets such as `127.0.10.1:88/udp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Udp,
    Tcp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
        })
    }
}

/// How a TCP message is delimited: DNS uses a 2-byte length (RFC 1035 §4.2.2), Kerberos and
/// kpasswd a 4-byte one (RFC 4120 §7.2.2, RFC 3244 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    U16,
    U32,
}

/// Why an exchange produced no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// ECONNREFUSED: a TCP reset or an ICMP port unreachable (firewall REJECT, nothing listening).
    Refused,
    /// Nothing before the deadline. `connected`: a TCP connect completed first (the peer, or
    /// something in between, accepted the connection and then stayed silent).
    Timeout { connected: bool },
    /// The peer closed (or reset) the connection before a complete reply; `head` is what came.
    Closed { head: Vec<u8>, reset: bool },
    /// A TCP length prefix announced more than `limit` bytes; `head` holds the prefix bytes.
    Oversized {
        announced: u64,
        limit: usize,
        head: Vec<u8>,
    },
    /// ICMP host/network unreachable or no route.
    Unreachable(String),
    /// Any other socket error.
    Io(String),
}

impl NetError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, NetError::Timeout { .. })
    }

    pub fn from_io(e: &io::Error) -> NetError {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => NetError::Refused,
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                NetError::Unreachable(e.to_string())
            }
            io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => NetError::Closed {
                head: Vec::new(),
                reset: e.kind() == io::ErrorKind::ConnectionReset,
            },
            _ => NetError::Io(e.to_string()),
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Refused => f.write_str("refused"),
            NetError::Timeout { connected: true } => {
                f.write_str("TCP connect completed, but no reply before the timeout")
            }
            NetError::Timeout { connected: false } => f.write_str("no reply before the timeout"),
            NetError::Closed { head, reset } => write!(
                f,
                "connection {} after {} byte(s), before a complete reply{}",
                if *reset { "reset" } else { "closed" },
                head.len(),
                preview_suffix(head)
            ),
            NetError::Oversized {
                announced, limit, ..
            } => write!(
                f,
                "length prefix announces {announced} bytes (limit {limit}): not this protocol"
            ),
            NetError::Unreachable(e) => write!(f, "unreachable: {e}"),
            NetError::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

fn preview_suffix(head: &[u8]) -> String {
    if head.is_empty() {
        String::new()
    } else {
        format!(": {}", preview(head))
    }
}

/// The first bytes of a foreign reply, printable: text as text (`"HTTP/1.1 400 …"`), else hex.
pub fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(32)];
    let printable = head
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\r' || *b == b'\n');
    let more = if bytes.len() > head.len() { "…" } else { "" };
    if printable && !head.is_empty() {
        let text: String = String::from_utf8_lossy(head)
            .replace('\r', "\\r")
            .replace('\n', "\\n");
        format!("\"{text}{more}\"")
    } else {
        let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{more}", hex.join(" "))
    }
}

/// One UDP datagram out, one back, on a connected socket (so ICMP port unreachable surfaces as
/// `Refused`). Returns the reply and the round-trip time.
pub async fn udp_exchange(
    addr: SocketAddr,
    payload: &[u8],
    deadline: Instant,
) -> (Result<Vec<u8>, NetError>, Duration) {
    let start = Instant::now();
    let r = timeout_at(deadline, async {
        let bind: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().expect("literal")
        } else {
            "[::]:0".parse().expect("literal")
        };
        let sock = UdpSocket::bind(bind).await?;
        sock.connect(addr).await?;
        sock.send(payload).await?;
        let mut buf = vec![0u8; 65_535];
        let n = sock.recv(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, io::Error>(buf)
    })
    .await;
    let r = match r {
        Err(_) => Err(NetError::Timeout { connected: false }),
        Ok(Err(e)) => Err(NetError::from_io(&e)),
        Ok(Ok(buf)) => Ok(buf),
    };
    (r, start.elapsed())
}

/// TCP connect bounded by `deadline`.
pub async fn tcp_connect(addr: SocketAddr, deadline: Instant) -> Result<TcpStream, NetError> {
    match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => Err(NetError::Timeout { connected: false }),
        Ok(Err(e)) => Err(NetError::from_io(&e)),
        Ok(Ok(s)) => Ok(s),
    }
}

/// Connect, send one length-prefixed message, read one length-prefixed reply of at most `limit`
/// bytes. Returns the reply body (without prefix) and the elapsed time.
pub async fn tcp_exchange(
    addr: SocketAddr,
    payload: &[u8],
    framing: Framing,
    limit: usize,
    deadline: Instant,
) -> (Result<Vec<u8>, NetError>, Duration) {
    let start = Instant::now();
    let r = async {
        let mut stream = tcp_connect(addr, deadline).await?;
        let framed = frame(framing, payload);
        let io = async {
            stream
                .write_all(&framed)
                .await
                .map_err(|e| NetError::from_io(&e))?;
            read_framed(&mut stream, framing, limit).await
        };
        match timeout_at(deadline, io).await {
            Err(_) => Err(NetError::Timeout { connected: true }),
            Ok(r) => r,
        }
    }
    .await;
    (r, start.elapsed())
}

/// Prefixes `payload` with its length.
pub fn frame(framing: Framing, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    match framing {
        Framing::U16 => out.extend_from_slice(
            &u16::try_from(payload.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        ),
        Framing::U32 => out.extend_from_slice(
            &u32::try_from(payload.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        ),
    }
    out.extend_from_slice(payload);
    out
}

async fn read_framed(
    stream: &mut TcpStream,
    framing: Framing,
    limit: usize,
) -> Result<Vec<u8>, NetError> {
    let width = match framing {
        Framing::U16 => 2,
        Framing::U32 => 4,
    };
    let mut prefix = vec![0u8; width];
    read_exact(stream, &mut prefix, &[]).await?;
    let announced = prefix
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if announced > limit as u64 {
        return Err(NetError::Oversized {
            announced,
            limit,
            head: prefix,
        });
    }
    let mut body = vec![0u8; usize::try_from(announced).unwrap_or(limit)];
    read_exact(stream, &mut body, &prefix).await?;
    Ok(body)
}

/// `read_exact` that reports an early end as `Closed` with everything received so far.
async fn read_exact(stream: &mut TcpStream, buf: &mut [u8], before: &[u8]) -> Result<(), NetError> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]).await {
            Ok(0) => {
                let mut head = before.to_vec();
                head.extend_from_slice(&buf[..filled]);
                return Err(NetError::Closed { head, reset: false });
            }
            Ok(n) => filled += n,
            Err(e) => {
                let mut err = NetError::from_io(&e);
                if let NetError::Closed { head, .. } = &mut err {
                    head.extend_from_slice(before);
                    head.extend_from_slice(&buf[..filled]);
                }
                return Err(err);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_shows_text_as_text_and_binary_as_hex() {
        assert_eq!(preview(b"HTTP/1.1 400 Bad"), "\"HTTP/1.1 400 Bad\"");
        assert_eq!(preview(&[0x7e, 0x00, 0xff]), "7e 00 ff");
        assert!(preview(&[b'a'; 40]).ends_with("…\""));
    }

    #[test]
    fn frames_carry_big_endian_lengths() {
        assert_eq!(frame(Framing::U16, b"ab"), vec![0, 2, b'a', b'b']);
        assert_eq!(frame(Framing::U32, b"a"), vec![0, 0, 0, 1, b'a']);
    }
}
