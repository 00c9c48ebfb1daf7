//! The DB port probes: TCP connect, then PostgreSQL's SSLRequest and GSSENCRequest (protocol
//! §55.2.10–11: an 8-byte packet, answered by one byte `S`/`G` yes or `N` no, or an
//! ErrorResponse from servers that predate the request). A completed connect is not an answer:
//! only a PostgreSQL byte proves a PostgreSQL server (`db.tcp`); everything else — an HTTP
//! server, garbage, silence, EOF — is named. I/O and the pure `judge` live here.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::catalogue::Cause;
use crate::check::{CheckId, CheckResult, Checked, Status};
use crate::transport::{self, NetError};

/// SSLRequest and GSSENCRequest codes (1234.5679, 1234.5680).
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
/// How long to keep reading a foreign reply for the evidence, once its first byte arrived.
const FOREIGN_GRACE: Duration = Duration::from_millis(200);
/// An ErrorResponse this long is not PostgreSQL's answer to a negotiation request.
const MAX_ERROR_LEN: u32 = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Ssl,
    Gssenc,
}

impl Request {
    fn packet(self) -> [u8; 8] {
        let code = match self {
            Request::Ssl => SSL_REQUEST,
            Request::Gssenc => GSSENC_REQUEST,
        };
        let mut p = [0u8; 8];
        p[..4].copy_from_slice(&8u32.to_be_bytes());
        p[4..].copy_from_slice(&code.to_be_bytes());
        p
    }

    fn yes(self) -> u8 {
        match self {
            Request::Ssl => b'S',
            Request::Gssenc => b'G',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Request::Ssl => "SSLRequest",
            Request::Gssenc => "GSSENCRequest",
        }
    }
}

/// What the server said to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `S` to SSLRequest, `G` to GSSENCRequest.
    Yes,
    /// `N`.
    No,
    /// An ErrorResponse (a server older than the request, or one refusing connections).
    Error(String),
    /// Not PostgreSQL: the first bytes received.
    Foreign(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The TCP connect itself failed.
    Connect(NetError),
    /// Connected; then this reply.
    Reply(Reply),
    /// Connected; then silence until the deadline, or the peer closed.
    NoReply(NetError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbProbe {
    pub addr: SocketAddr,
    pub request: Request,
    pub outcome: Outcome,
    pub connect: Duration,
    pub elapsed: Duration,
}

impl DbProbe {
    fn postgres(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Reply(Reply::Yes | Reply::No | Reply::Error(_))
        )
    }
}

/// Reads whatever else arrives within the grace period, for the evidence.
async fn read_more(stream: &mut TcpStream, first: u8, deadline: Instant) -> Vec<u8> {
    let mut got = vec![first];
    let until = deadline.min(Instant::now() + FOREIGN_GRACE);
    let mut buf = [0u8; 256];
    while got.len() < 64 {
        match timeout_at(until, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    got
}

/// The `M` (message) field of an ErrorResponse body.
fn error_message(body: &[u8]) -> String {
    let mut severity = String::new();
    for f in body.split(|b| *b == 0) {
        match f.split_first() {
            Some((b'S', v)) => severity = String::from_utf8_lossy(v).into_owned(),
            Some((b'M', v)) => {
                return format!("{severity}: {}", String::from_utf8_lossy(v))
                    .trim_start_matches(": ")
                    .to_string()
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(body).into_owned()
}

async fn read_reply(
    stream: &mut TcpStream,
    request: Request,
    deadline: Instant,
) -> Result<Reply, NetError> {
    let mut first = [0u8; 1];
    let n = stream
        .read(&mut first)
        .await
        .map_err(|e| NetError::from_io(&e))?;
    if n == 0 {
        return Err(NetError::Closed {
            head: Vec::new(),
            reset: false,
        });
    }
    match first[0] {
        b'N' => Ok(Reply::No),
        b if b == request.yes() => Ok(Reply::Yes),
        b'E' => {
            let mut len = [0u8; 4];
            if stream.read_exact(&mut len).await.is_err() {
                return Ok(Reply::Foreign(transport::preview(b"E")));
            }
            let n = u32::from_be_bytes(len);
            if !(4..=MAX_ERROR_LEN).contains(&n) {
                let mut head = vec![b'E'];
                head.extend_from_slice(&len);
                return Ok(Reply::Foreign(transport::preview(&head)));
            }
            let mut body = vec![0u8; (n - 4) as usize];
            match stream.read_exact(&mut body).await {
                Ok(_) => Ok(Reply::Error(error_message(&body))),
                Err(_) => Ok(Reply::Foreign(transport::preview(&body))),
            }
        }
        other => Ok(Reply::Foreign(transport::preview(
            &read_more(stream, other, deadline).await,
        ))),
    }
}

/// One negotiation request on a fresh connection to `addr`, bounded by `deadline`.
pub async fn probe(addr: SocketAddr, request: Request, deadline: Instant) -> DbProbe {
    let start = Instant::now();
    let done = |outcome, connect| DbProbe {
        addr,
        request,
        outcome,
        connect,
        elapsed: start.elapsed(),
    };
    let mut stream = match transport::tcp_connect(addr, deadline).await {
        Ok(s) => s,
        Err(e) => return done(Outcome::Connect(e), start.elapsed()),
    };
    let connect = start.elapsed();
    let io = async {
        stream
            .write_all(&request.packet())
            .await
            .map_err(|e| NetError::from_io(&e))?;
        read_reply(&mut stream, request, deadline).await
    };
    let outcome = match timeout_at(deadline, io).await {
        Err(_) => Outcome::NoReply(NetError::Timeout { connected: true }),
        Ok(Err(e)) => Outcome::NoReply(e),
        Ok(Ok(reply)) => Outcome::Reply(reply),
    };
    done(outcome, connect)
}

/// What the DB probes established for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbEndpoint {
    pub addr: SocketAddr,
    /// Answered as PostgreSQL.
    pub postgres: bool,
    pub ssl: bool,
    pub gssenc: bool,
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn connect_failure(addr: SocketAddr, e: &NetError, after: Duration) -> CheckResult {
    let port = addr.port();
    let (cause, hint) = match e {
        NetError::Timeout { .. } => (
            Cause::DbTimeout,
            format!(
                "allow TCP {port} from this host in the DB instance's security group (inbound rule \
                 from this host's address or security group); check NACLs and routes — psql would hang here"
            ),
        ),
        _ => (
            Cause::DbRefused,
            format!(
                "check host and port (aws rds describe-db-instances --query 'DBInstances[].Endpoint'); \
                 nothing accepts TCP {port} on {}; from inside the VPC use the private address",
                addr.ip()
            ),
        ),
    };
    CheckResult::fail(
        CheckId::DbTcp,
        cause,
        format!("TCP connect to {addr}: {e} (after {} ms)", ms(after)),
    )
    .with_hint(hint)
}

fn not_postgres(p: &DbProbe) -> (Cause, String) {
    let what = p.request.name();
    match &p.outcome {
        Outcome::Reply(Reply::Foreign(preview)) => (
            Cause::DbNotPostgres,
            format!("the answer to {what} is not PostgreSQL: {preview}"),
        ),
        Outcome::NoReply(NetError::Timeout { .. }) => (
            Cause::DbTimeout,
            format!(
                "TCP connect completed in {} ms, but no answer to {what} within {} ms: something accepts \
                 the connection and stays silent (a firewall, proxy or load balancer, not PostgreSQL)",
                ms(p.connect),
                ms(p.elapsed)
            ),
        ),
        Outcome::NoReply(e) => (Cause::DbNotPostgres, format!("after {what}: {e}")),
        Outcome::Connect(e) => (Cause::DbRefused, format!("TCP connect: {e}")),
        Outcome::Reply(_) => (Cause::Internal, "answered as PostgreSQL".into()),
    }
}

/// Results for one address from its SSLRequest and GSSENCRequest probes:
/// `db.tcp`, `db.ssl`, `db.gssenc`.
pub fn judge(ssl: &DbProbe, gss: &DbProbe) -> (Vec<CheckResult>, DbEndpoint) {
    let addr = ssl.addr;
    let endpoint = DbEndpoint {
        addr,
        postgres: ssl.postgres() || gss.postgres(),
        ssl: ssl.outcome == Outcome::Reply(Reply::Yes),
        gssenc: gss.outcome == Outcome::Reply(Reply::Yes),
    };
    let target = addr.to_string();
    let skip = |id, why: &str| CheckResult::skip(id, why).with_target(target.clone());
    let results = if let (Outcome::Connect(e), Outcome::Connect(_)) = (&ssl.outcome, &gss.outcome) {
        vec![
            connect_failure(addr, e, ssl.elapsed),
            skip(CheckId::DbSsl, "no TCP connection (see db.tcp)"),
            skip(CheckId::DbGssenc, "no TCP connection (see db.tcp)"),
        ]
    } else if !endpoint.postgres {
        // Prefer the more telling probe: a foreign answer over silence.
        let worst = if matches!(gss.outcome, Outcome::Reply(Reply::Foreign(_))) {
            gss
        } else {
            ssl
        };
        let (cause, detail) = not_postgres(worst);
        let hint = format!(
            "check that {addr} is the DB endpoint and port (aws rds describe-db-instances --query \
             'DBInstances[].Endpoint'); the DB security group must allow TCP {} from this host",
            addr.port()
        );
        let mut tcp = CheckResult::fail(CheckId::DbTcp, cause, detail).with_hint(hint);
        for p in [ssl, gss] {
            tcp = tcp.with_evidence(format!("{}: {}", p.request.name(), not_postgres(p).1));
        }
        vec![
            tcp,
            skip(CheckId::DbSsl, "no PostgreSQL answer (see db.tcp)"),
            skip(CheckId::DbGssenc, "no PostgreSQL answer (see db.tcp)"),
        ]
    } else {
        vec![
            CheckResult::pass(
                CheckId::DbTcp,
                format!(
                    "connected in {} ms and answered as PostgreSQL",
                    ms(ssl.connect.min(gss.connect))
                ),
            ),
            judge_ssl(ssl, endpoint.gssenc),
            judge_gssenc(gss),
        ]
    };
    let results = results
        .into_iter()
        .zip([ssl.elapsed.max(gss.elapsed), ssl.elapsed, gss.elapsed])
        .map(|(r, e)| r.with_target(target.clone()).with_elapsed(e))
        .collect();
    (results, endpoint)
}

fn judge_ssl(p: &DbProbe, gssenc: bool) -> CheckResult {
    let ms = ms(p.elapsed);
    match &p.outcome {
        Outcome::Reply(Reply::Yes) => {
            CheckResult::pass(CheckId::DbSsl, format!("'S' in {ms} ms: TLS is offered"))
        }
        Outcome::Reply(Reply::No) => CheckResult::problem(
            CheckId::DbSsl,
            if gssenc { Status::Warn } else { Status::Fail },
            Cause::DbNoSsl,
            format!(
                "'N' in {ms} ms: the server does not offer TLS{}",
                if gssenc {
                    " (GSSAPI encryption is offered, so gssencmode=require still works)"
                } else {
                    ""
                }
            ),
        )
        .with_hint(
            "RDS always offers TLS: check that host and port are the RDS endpoint's, not a proxy's",
        ),
        Outcome::Reply(Reply::Error(m)) => CheckResult::fail(
            CheckId::DbSsl,
            Cause::DbNoSsl,
            format!("the server answered SSLRequest with an error: {m}"),
        )
        .with_hint("read the server's message; RDS answers SSLRequest with 'S'"),
        _ => {
            let (cause, detail) = not_postgres(p);
            CheckResult::fail(CheckId::DbSsl, cause, detail)
                .with_hint("the same port answered the GSSENCRequest as PostgreSQL: retry, and check for a proxy in between")
        }
    }
}

fn judge_gssenc(p: &DbProbe) -> CheckResult {
    let ms = ms(p.elapsed);
    let fallback =
        "use gssencmode=prefer (libpq's default) or gssencmode=disable with sslmode=require";
    match &p.outcome {
        Outcome::Reply(Reply::Yes) => CheckResult::pass(
            CheckId::DbGssenc,
            format!("'G' in {ms} ms: GSSAPI encryption is offered"),
        ),
        Outcome::Reply(Reply::No) => CheckResult::warn(
            CheckId::DbGssenc,
            Cause::DbNoGssenc,
            format!("'N' in {ms} ms: no GSSAPI encryption; Kerberos login then runs over TLS, and gssencmode=require fails"),
        )
        .with_hint(fallback),
        Outcome::Reply(Reply::Error(m)) => CheckResult::warn(
            CheckId::DbGssenc,
            Cause::DbNoGssenc,
            format!("the server answered GSSENCRequest with an error (PostgreSQL before 12): {m}"),
        )
        .with_hint(fallback),
        _ => {
            let (cause, detail) = not_postgres(p);
            CheckResult::fail(CheckId::DbGssenc, cause, detail)
                .with_hint("the same port answered the SSLRequest as PostgreSQL: retry, and check for a proxy in between")
        }
    }
}

/// Probes every DB address with SSLRequest and GSSENCRequest, each on its own connection, all at
/// once under one deadline. Results per address: `db.tcp`, `db.ssl`, `db.gssenc`; the value holds
/// every address with what it offers.
pub async fn check(addrs: &[SocketAddr], timeout: Duration) -> Checked<Vec<DbEndpoint>> {
    if addrs.is_empty() {
        return Checked::new(
            vec![
                CheckResult::skip(CheckId::DbTcp, "no DB address (see dns.host)"),
                CheckResult::skip(CheckId::DbSsl, "no DB address (see dns.host)"),
                CheckResult::skip(CheckId::DbGssenc, "no DB address (see dns.host)"),
            ],
            None,
        );
    }
    let deadline = Instant::now() + timeout;
    let pairs = join_all(addrs.iter().map(|a| async move {
        tokio::join!(
            probe(*a, Request::Ssl, deadline),
            probe(*a, Request::Gssenc, deadline)
        )
    }))
    .await;
    let mut results = Vec::new();
    let mut endpoints = Vec::new();
    for (ssl, gss) in &pairs {
        let (r, e) = judge(ssl, gss);
        results.extend(r);
        endpoints.push(e);
    }
    Checked::new(results, Some(endpoints))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn p(request: Request, outcome: Outcome) -> DbProbe {
        DbProbe {
            addr: "127.0.10.3:5432".parse().unwrap(),
            request,
            outcome,
            connect: Duration::from_millis(1),
            elapsed: Duration::from_millis(2),
        }
    }

    fn yes() -> Outcome {
        Outcome::Reply(Reply::Yes)
    }

    fn no() -> Outcome {
        Outcome::Reply(Reply::No)
    }

    #[test]
    fn packets_are_the_protocol_codes() {
        assert_eq!(Request::Ssl.packet(), [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
        assert_eq!(
            Request::Gssenc.packet(),
            [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]
        );
    }

    #[test]
    fn error_response_message_is_extracted() {
        let body = b"SFATAL\0VFATAL\0C0A000\0Munsupported frontend protocol 1234.5680\0\0";
        assert_eq!(
            error_message(body),
            "FATAL: unsupported frontend protocol 1234.5680"
        );
    }

    #[test]
    fn db_outcomes_map_to_status_and_cause() {
        let timeout = || Outcome::NoReply(NetError::Timeout { connected: true });
        let http = || Outcome::Reply(Reply::Foreign("\"HTTP/1.1 400 Bad Request\"".into()));
        type Row = (Outcome, Outcome, [(Status, Option<&'static str>); 3]);
        let table: Vec<Row> = vec![
            (yes(), yes(), [(Pass, None), (Pass, None), (Pass, None)]),
            (
                yes(),
                no(),
                [(Pass, None), (Pass, None), (Warn, Some("db-no-gssenc"))],
            ),
            (
                yes(),
                Outcome::Reply(Reply::Error("FATAL: unsupported frontend protocol".into())),
                [(Pass, None), (Pass, None), (Warn, Some("db-no-gssenc"))],
            ),
            (
                no(),
                no(),
                [
                    (Pass, None),
                    (Fail, Some("db-no-ssl")),
                    (Warn, Some("db-no-gssenc")),
                ],
            ),
            (
                no(),
                yes(),
                [(Pass, None), (Warn, Some("db-no-ssl")), (Pass, None)],
            ),
            (
                Outcome::Connect(NetError::Refused),
                Outcome::Connect(NetError::Refused),
                [(Fail, Some("db-refused")), (Skip, None), (Skip, None)],
            ),
            (
                Outcome::Connect(NetError::Timeout { connected: false }),
                Outcome::Connect(NetError::Timeout { connected: false }),
                [(Fail, Some("db-timeout")), (Skip, None), (Skip, None)],
            ),
            (
                timeout(),
                timeout(),
                [(Fail, Some("db-timeout")), (Skip, None), (Skip, None)],
            ),
            (
                http(),
                timeout(),
                [(Fail, Some("db-not-postgres")), (Skip, None), (Skip, None)],
            ),
            (
                Outcome::NoReply(NetError::Closed {
                    head: vec![],
                    reset: false,
                }),
                Outcome::NoReply(NetError::Closed {
                    head: vec![],
                    reset: true,
                }),
                [(Fail, Some("db-not-postgres")), (Skip, None), (Skip, None)],
            ),
            (
                yes(),
                timeout(),
                [(Pass, None), (Pass, None), (Fail, Some("db-timeout"))],
            ),
        ];
        for (i, (s, g, want)) in table.into_iter().enumerate() {
            let (rs, e) = judge(&p(Request::Ssl, s), &p(Request::Gssenc, g));
            let got: Vec<_> = rs
                .iter()
                .map(|r| (r.status, r.cause.map(|c| c.code())))
                .collect();
            pretty_assertions::assert_eq!(got, want.to_vec(), "row {i}");
            assert_eq!(
                rs.iter().map(|r| r.id).collect::<Vec<_>>(),
                [CheckId::DbTcp, CheckId::DbSsl, CheckId::DbGssenc]
            );
            assert!(rs
                .iter()
                .all(|r| r.target.as_deref() == Some("127.0.10.3:5432")));
            assert!(rs
                .iter()
                .all(|r| matches!(r.status, Pass | Skip) || r.hint.is_some()));
            assert_eq!(e.postgres, rs[0].status == Pass, "row {i}");
        }
    }

    #[test]
    fn silence_after_connect_says_the_connect_proves_nothing() {
        let t = Outcome::NoReply(NetError::Timeout { connected: true });
        let (rs, _) = judge(&p(Request::Ssl, t.clone()), &p(Request::Gssenc, t));
        assert!(
            rs[0].detail.contains("TCP connect completed"),
            "{}",
            rs[0].detail
        );
        assert!(rs[0].detail.contains("stays silent"), "{}", rs[0].detail);
    }
}
