//! Transport negotiation in libpq's order (PostgreSQL protocol §55.2.10–11): TCP connect, then
//! GSSENCRequest (and the GSS handshake with libpq's u32-length framing) when wanted, else or
//! after an `N`, SSLRequest per sslmode and a TLS handshake.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;

use openssl::error::ErrorStack;
use openssl::ssl::{Ssl, SslContext, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509VerifyResult;
use tokio_openssl::SslStream;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::transport::{GssStream, Transport};
use super::wire::{self, Conn, ServerError, GSSENC_REQUEST};
use super::{Failure, Phase, Used};
use crate::catalogue::Cause;
use crate::gss::GssClient;
use crate::pgconn::{ConnParams, GssEncMode, SslMode};

/// Largest GSS token accepted during the GSSENC handshake (newer libpq allows 65,536 there:
/// AD service tickets with big PACs exceed the 16 KiB of the data phase).
pub const MAX_HANDSHAKE_TOKEN: usize = 65_536;

/// What the SSL stage should do on this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslTry {
    Off,
    /// Ask; continue in plain text if the server says `N` (sslmode=prefer).
    IfOffered,
    /// Ask; fail if the server says `N` (require, verify-ca, verify-full, allow's retry).
    Must,
}

/// Resolves and connects, trying every address as libpq does. `hostaddr` pins the address
/// while `host` still names the service principal and the TLS peer.
pub async fn tcp(params: &ConnParams, phase: &Phase) -> Result<TcpStream, Failure> {
    let host = &params.host.value;
    let port = params.port.value;
    phase.set("resolving the DB host");
    let addrs: Vec<SocketAddr> = match params.hostaddr.as_ref() {
        Some(a) => match a.value.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                return Err(Failure::new(
                    Cause::HostNotFound,
                    format!("hostaddr {:?} is not an IP address", a.value),
                    "hostaddr takes a numeric address; put the name in host=",
                ))
            }
        },
        None => match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(a) => a.collect(),
            Err(e) => {
                return Err(Failure::new(
                    Cause::HostNotFound,
                    format!("could not resolve {host}: {e}"),
                    format!("check the endpoint name {host} and the resolver in /etc/resolv.conf"),
                ))
            }
        },
    };
    phase.set("connecting to the DB port");
    let mut errors = Vec::new();
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => errors.push(format!("{addr}: {e}")),
        }
    }
    let refused = errors.iter().any(|e| e.contains("refused"));
    let (cause, hint) = if refused {
        (
            Cause::DbRefused,
            format!("nothing accepts connections on {host}:{port}: check host and port"),
        )
    } else {
        (
            Cause::DbTimeout,
            format!("allow TCP {port} from this host in the DB's security group"),
        )
    };
    Err(Failure::new(
        cause,
        format!("could not connect to {host}:{port}: {}", errors.join("; ")),
        hint,
    ))
}

/// GSSENCRequest on `tcp`. `Ok(Err(tcp))` hands the socket back when the server said `N` and
/// gssencmode allows going on without GSS encryption.
pub async fn gssenc(
    mut tcp: TcpStream,
    params: &ConnParams,
    phase: &Phase,
) -> Result<Result<GssStream<TcpStream>, TcpStream>, Failure> {
    phase.set("sending GSSENCRequest");
    tcp.write_all(&GSSENC_REQUEST).await.map_err(io_fail)?;
    let mut b = [0u8; 1];
    tcp.read_exact(&mut b).await.map_err(io_fail)?;
    match b[0] {
        b'G' => handshake(tcp, params, phase).await.map(Ok),
        b'N' if params.gssencmode.value == GssEncMode::Require => Err(Failure::new(
            Cause::DbNoGssenc,
            "the server does not support GSSAPI encryption, but gssencmode=require",
            "use gssencmode=prefer or gssencmode=disable with sslmode=require",
        )),
        b'N' => Ok(Err(tcp)),
        b'E' => {
            let mut conn = Conn::new(Transport::Plain(tcp));
            Err(server_failure(
                &wire::read_error_tail(&mut conn, b"E").await,
            ))
        }
        other => Err(not_postgres(format!(
            "the server answered GSSENCRequest with byte 0x{other:02x} (expected G or N)"
        ))),
    }
}

/// The GSS handshake of §55.2.11: tokens framed as u32 length + token until the context is
/// complete; mutual authentication and confidentiality are then required.
async fn handshake(
    mut tcp: TcpStream,
    params: &ConnParams,
    phase: &Phase,
) -> Result<GssStream<TcpStream>, Failure> {
    phase.set("getting a service ticket (GSS encryption)");
    let client = GssClient::new(&params.krbsrvname.value, &params.host.value)
        .map_err(|f| Failure::gss(&f, params))?;
    let (mut client, first) = client.step(None).await;
    let mut out = first.map_err(|f| Failure::gss(&f, params))?;
    phase.set("GSS encryption handshake");
    loop {
        if let Some(tok) = out.take() {
            tcp.write_all(&wire::gss_packet(&tok))
                .await
                .map_err(io_fail)?;
        }
        if client.is_complete() {
            break;
        }
        let mut h = [0u8; 4];
        if let Err(e) = tcp.read_exact(&mut h).await {
            return Err(
                if e.kind() == std::io::ErrorKind::UnexpectedEof || closed(&e) {
                    ticket_rejected(client.spn(), params)
                } else {
                    io_fail(e)
                },
            );
        }
        if h[0] == b'E' {
            let mut conn = Conn::new(Transport::Plain(tcp));
            let e = wire::read_error_tail(&mut conn, &h).await;
            return Err(server_failure(&e));
        }
        let len = u32::from_be_bytes(h) as usize;
        if len > MAX_HANDSHAKE_TOKEN {
            return Err(not_postgres(format!(
                "the server sent a GSS handshake token of {len} bytes (at most {MAX_HANDSHAKE_TOKEN} allowed)"
            )));
        }
        let mut tok = vec![0u8; len];
        tcp.read_exact(&mut tok).await.map_err(io_fail)?;
        let (c, r) = client.step(Some(tok)).await;
        client = c;
        out = r.map_err(|f| Failure::gss(&f, params))?;
    }
    client
        .require_established(true)
        .map_err(|f| Failure::gss(&f, params))?;
    Ok(GssStream::new(tcp, client))
}

/// The server hung up after our AP-REQ: it could not accept the service ticket. PostgreSQL
/// says why only in its log (e.g. "kvno 5 not found in keytab"); the authentication path
/// (without GSS encryption) would carry MIT's reason back, which is why gssencmode=prefer
/// retries there, as libpq does.
fn ticket_rejected(spn: &str, params: &ConnParams) -> Failure {
    let mut f = Failure::new(
        Cause::KeyVersionMismatch,
        format!(
            "the server closed the connection after receiving the service ticket for {spn}: it \
             could not accept it (most often the DB's key changed, e.g. after a domain re-join)"
        ),
        crate::gss::hint(
            Cause::KeyVersionMismatch,
            Some(spn),
            Some(&params.user.value),
        ),
    );
    f.gss_rejected = true;
    f
}

/// SSLRequest and TLS per `ssl`, on a socket without GSS encryption.
pub async fn ssl(
    mut tcp: TcpStream,
    ssl: SslTry,
    params: &ConnParams,
    phase: &Phase,
) -> Result<(Transport, Used), Failure> {
    if ssl == SslTry::Off {
        return Ok((Transport::Plain(tcp), Used::Plain));
    }
    phase.set("sending SSLRequest");
    tcp.write_all(&wire::ssl_request()).await.map_err(io_fail)?;
    // Exactly one byte: anything the server sends beyond it before TLS is not trusted
    // (CVE-2021-23222), so nothing more is read here.
    let mut b = [0u8; 1];
    tcp.read_exact(&mut b).await.map_err(io_fail)?;
    match b[0] {
        b'S' => {
            phase.set("TLS handshake");
            tls(tcp, params)
                .await
                .map(|t| (Transport::Tls(Box::new(t)), Used::Tls))
        }
        b'N' if ssl == SslTry::IfOffered => Ok((Transport::Plain(tcp), Used::Plain)),
        b'N' => Err(Failure::new(
            Cause::DbNoSsl,
            format!(
                "the server does not support SSL, but sslmode={}",
                params.sslmode.value.as_str()
            ),
            "check that this is the RDS endpoint (RDS always offers TLS)",
        )),
        b'E' => {
            let mut conn = Conn::new(Transport::Plain(tcp));
            Err(server_failure(
                &wire::read_error_tail(&mut conn, b"E").await,
            ))
        }
        other => Err(not_postgres(format!(
            "the server answered SSLRequest with byte 0x{other:02x} (expected S or N)"
        ))),
    }
}

/// libpq's certificate rules: require checks nothing unless the root file exists (then it acts
/// as verify-ca); verify-ca checks the chain against sslrootcert only; verify-full also the
/// host name. Like libpq, only sslrootcert is loaded (`system`: the OS store), TLS 1.2 minimum.
async fn tls(tcp: TcpStream, params: &ConnParams) -> Result<SslStream<TcpStream>, Failure> {
    let mode = params.sslmode.value;
    let root = &params.sslrootcert.value;
    let system = root == Path::new("system");
    let verify = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => system || root.is_file(),
        _ => false,
    };
    let host = &params.host.value;
    let setup = |e: ErrorStack| {
        Failure::new(
            Cause::TlsFailed,
            format!("TLS setup failed: {e}"),
            tls_hint(params),
        )
    };
    let mut ctx = SslContext::builder(SslMethod::tls_client()).map_err(setup)?;
    ctx.set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(setup)?;
    if verify {
        ctx.set_verify(SslVerifyMode::PEER);
        if system {
            ctx.set_default_verify_paths().map_err(setup)?;
        } else if !root.is_file() {
            return Err(Failure::new(
                Cause::TlsFailed,
                format!(
                    "root certificate file {} does not exist (sslmode={})",
                    root.display(),
                    mode.as_str()
                ),
                format!(
                    "download the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/) to {} \
                     or set sslrootcert=, or use sslmode=require",
                    root.display()
                ),
            ));
        } else {
            ctx.set_ca_file(root).map_err(|e| {
                Failure::new(
                    Cause::TlsFailed,
                    format!(
                        "root certificate file {} could not be loaded: {e}",
                        root.display()
                    ),
                    "use the PEM bundle from https://truststore.pki.rds.amazonaws.com/",
                )
            })?;
        }
    } else {
        ctx.set_verify(SslVerifyMode::NONE);
    }
    let ctx = ctx.build();
    let mut ssl = Ssl::new(&ctx).map_err(setup)?;
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_none() {
        ssl.set_hostname(host).map_err(setup)?;
    }
    if mode == SslMode::VerifyFull {
        match ip {
            Some(ip) => ssl.param_mut().set_ip(ip).map_err(setup)?,
            None => ssl.param_mut().set_host(host).map_err(setup)?,
        }
    }
    let mut stream = SslStream::new(ssl, tcp).map_err(setup)?;
    if let Err(e) = Pin::new(&mut stream).connect().await {
        let verify = stream.ssl().verify_result();
        let why = if verify == X509VerifyResult::OK {
            e.to_string()
        } else {
            format!("certificate verify failed: {}", verify.error_string())
        };
        return Err(Failure::new(
            Cause::TlsFailed,
            format!(
                "TLS handshake with {host} failed (sslmode={}): {why}",
                mode.as_str()
            ),
            tls_hint(params),
        ));
    }
    Ok(stream)
}

fn tls_hint(params: &ConnParams) -> String {
    match params.sslmode.value {
        SslMode::VerifyFull => format!(
            "the certificate must chain to {} and name {}: use the RDS endpoint name and the RDS CA bundle",
            params.sslrootcert.value.display(),
            params.host.value
        ),
        SslMode::VerifyCa | SslMode::Require => format!(
            "the certificate must chain to {} (the RDS CA bundle for this Region)",
            params.sslrootcert.value.display()
        ),
        _ => Cause::TlsFailed.fix().to_string(),
    }
}

/// A reset or broken pipe is the server hanging up on us, like an EOF.
pub fn closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe)
}

pub fn io_fail(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        Failure::new(
            Cause::DbNotPostgres,
            "the server closed the connection during negotiation",
            "check host and port; look at the server log for the reason",
        )
    } else {
        Failure::new(
            Cause::DbNotPostgres,
            format!("connection error: {e}"),
            "check host and port",
        )
    }
}

pub fn not_postgres(detail: String) -> Failure {
    Failure::new(
        Cause::DbNotPostgres,
        detail,
        "check host and port: the peer does not speak PostgreSQL's protocol correctly",
    )
}

pub fn server_failure(e: &ServerError) -> Failure {
    let mut f = Failure::new(e.cause(), e.line(), e.cause().fix());
    f.server = Some(Box::new(e.clone()));
    f
}
