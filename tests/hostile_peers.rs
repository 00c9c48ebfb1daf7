//! Hostile peers on loopback: garbage, truncated frames, huge length prefixes, silence after
//! accept, EOF, HTTP on the DB port. Each gives a clear finding, no panic, no hang past the
//! timeout — and each fake counts its contacts, so a test fails if the probe never reached it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kerbrds::catalogue::Cause;
use kerbrds::check::{CheckId, CheckResult, Status};
use kerbrds::transport::Proto;
use kerbrds::{db, dns, kdc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

const TIMEOUT: Duration = Duration::from_millis(800);
/// What "no hang past the timeout" allows on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(700);

/// A fake's contact counter; asserts on drop of the test that it was reached.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn assert_contacted(&self, what: &str) {
        assert!(
            self.0.load(Ordering::SeqCst) > 0,
            "the fake {what} was never contacted: the test proves nothing"
        );
    }
}

/// What a fake TCP peer does after reading the request.
#[derive(Clone)]
enum TcpBehaviour {
    Reply(Vec<u8>),
    /// Reply, then keep the connection open and silent.
    ReplyThenHang(Vec<u8>),
    Hang,
    Close,
}

/// Reads the request, counts the contact, then behaves.
async fn serve(s: &mut tokio::net::TcpStream, hits: &Hits, behaviour: TcpBehaviour) {
    let mut buf = [0u8; 4096];
    let _ = s.read(&mut buf).await;
    hits.hit();
    match behaviour {
        TcpBehaviour::Reply(b) => {
            let _ = s.write_all(&b).await;
        }
        TcpBehaviour::ReplyThenHang(b) => {
            let _ = s.write_all(&b).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        TcpBehaviour::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
        TcpBehaviour::Close => {}
    }
}

async fn tcp_fake(behaviour: TcpBehaviour) -> (SocketAddr, Hits) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Hits::default();
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let h = h.clone();
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                serve(&mut s, &h, behaviour).await;
            });
        }
    });
    (addr, hits)
}

async fn serve_udp(sock: UdpSocket, hits: Hits, reply: impl Fn(&[u8]) -> Option<Vec<u8>>) {
    let mut buf = [0u8; 65_535];
    while let Ok((n, from)) = sock.recv_from(&mut buf).await {
        hits.hit();
        if let Some(r) = reply(&buf[..n]) {
            let _ = sock.send_to(&r, from).await;
        }
    }
}

/// A UDP fake that answers every datagram with `reply(request)`, or stays silent on `None`.
async fn udp_fake(reply: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static) -> (SocketAddr, Hits) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let hits = Hits::default();
    tokio::spawn(serve_udp(sock, hits.clone(), reply));
    (addr, hits)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/wire/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let hex: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut v = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

fn assert_finding(r: &CheckResult, status: Status, cause: Cause, detail_has: &str) {
    assert_eq!(
        (r.status, r.cause),
        (status, Some(cause)),
        "{}: {}",
        r.id.as_str(),
        r.detail
    );
    assert!(
        r.detail.contains(detail_has),
        "{:?} not in {:?}",
        detail_has,
        r.detail
    );
    assert!(r.hint.is_some());
}

async fn kdc_once(addr: SocketAddr, proto: Proto) -> (CheckResult, Duration) {
    let start = Instant::now();
    let p = kdc::probe::as_exchange(
        addr,
        proto,
        "EXAMPLE.COM",
        "alice",
        tokio::time::Instant::now() + TIMEOUT,
    )
    .await;
    let r = kdc::judge::judge_kdcs(&[p], "EXAMPLE.COM", Some("alice")).remove(0);
    (r, start.elapsed())
}

#[tokio::test]
async fn kdc_udp_answering_a_captured_krb_error_passes() {
    let (addr, hits) = udp_fake(|_| Some(fixture("krb-error-preauth-required.hex"))).await;
    let (r, _) = kdc_once(addr, Proto::Udp).await;
    hits.assert_contacted("KDC");
    assert_eq!(r.status, Status::Pass, "{}", r.detail);
    assert!(
        r.detail.contains("alice@EXAMPLE.COM exists"),
        "{}",
        r.detail
    );
}

#[tokio::test]
async fn kdc_udp_garbage_is_not_a_kdc() {
    let (addr, hits) = udp_fake(|_| Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec())).await;
    let (r, _) = kdc_once(addr, Proto::Udp).await;
    hits.assert_contacted("KDC");
    assert_finding(&r, Status::Fail, Cause::KdcGarbage, "HTTP/1.1 400");
}

#[tokio::test]
async fn kdc_udp_silence_times_out_on_time() {
    let (addr, hits) = udp_fake(|_| None).await;
    let (r, took) = kdc_once(addr, Proto::Udp).await;
    hits.assert_contacted("KDC");
    assert_finding(&r, Status::Fail, Cause::KdcTimeout, "no reply");
    assert!(took < TIMEOUT + SLACK, "took {took:?}");
}

#[tokio::test]
async fn kdc_tcp_truncated_frame_is_named() {
    // Announces 200 bytes, sends 10, closes.
    let mut reply = 200u32.to_be_bytes().to_vec();
    reply.extend_from_slice(&fixture("krb-error-preauth-required.hex")[..10]);
    let (addr, hits) = tcp_fake(TcpBehaviour::Reply(reply)).await;
    let (r, _) = kdc_once(addr, Proto::Tcp).await;
    hits.assert_contacted("KDC");
    assert_finding(
        &r,
        Status::Fail,
        Cause::KdcGarbage,
        "closed after 14 byte(s)",
    );
}

#[tokio::test]
async fn kdc_tcp_huge_length_prefix_is_refused_without_allocating() {
    let (addr, hits) = tcp_fake(TcpBehaviour::ReplyThenHang(vec![
        0x7f, 0xff, 0xff, 0xff, 0x7e,
    ]))
    .await;
    let (r, took) = kdc_once(addr, Proto::Tcp).await;
    hits.assert_contacted("KDC");
    assert_finding(&r, Status::Fail, Cause::KdcGarbage, "2147483647 bytes");
    assert!(
        took < TIMEOUT,
        "an oversized prefix is judged at once, took {took:?}"
    );
}

#[tokio::test]
async fn kdc_tcp_accepting_and_never_answering_is_a_timeout() {
    let (addr, hits) = tcp_fake(TcpBehaviour::Hang).await;
    let (r, took) = kdc_once(addr, Proto::Tcp).await;
    hits.assert_contacted("KDC");
    assert_finding(&r, Status::Fail, Cause::KdcTimeout, "TCP connect completed");
    assert!(took < TIMEOUT + SLACK, "took {took:?}");
}

#[tokio::test]
async fn kdc_tcp_framed_captured_reply_passes() {
    let reply = framed(&fixture("krb-error-client-unknown.hex"));
    let (addr, hits) = tcp_fake(TcpBehaviour::Reply(reply)).await;
    let (r, _) = kdc_once(addr, Proto::Tcp).await;
    hits.assert_contacted("KDC");
    assert_finding(
        &r,
        Status::Fail,
        Cause::ClientUnknown,
        "does not know alice@EXAMPLE.COM",
    );
}

#[tokio::test]
async fn kpasswd_garbage_and_silence_warn() {
    let (garbage, g_hits) = udp_fake(|_| Some(vec![0x00, 0x06, 0x13, 0x37, 0x00, 0x00])).await;
    let (silent, s_hits) = udp_fake(|_| None).await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let probes = vec![
        kdc::probe::kpasswd_exchange(garbage, Proto::Udp, deadline).await,
        kdc::probe::kpasswd_exchange(silent, Proto::Udp, deadline).await,
    ];
    let rs = kdc::judge::judge_kpasswd(&probes);
    g_hits.assert_contacted("kpasswd (garbage)");
    s_hits.assert_contacted("kpasswd (silent)");
    assert_finding(
        &rs[0],
        Status::Warn,
        Cause::KpasswdUnreachable,
        "not kpasswd",
    );
    assert_finding(&rs[1], Status::Warn, Cause::KpasswdUnreachable, "no reply");
}

/// A DNS fake on one port for UDP and TCP: UDP answers with `udp`, TCP behaves as `tcp`.
async fn dns_fake(
    udp: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static,
    tcp: TcpBehaviour,
) -> (SocketAddr, Hits, Hits) {
    // Find a port free for both protocols.
    for _ in 0..50 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let Ok(sock) = UdpSocket::bind(addr).await else {
            continue;
        };
        let (u_hits, t_hits) = (Hits::default(), Hits::default());
        tokio::spawn(serve_udp(sock, u_hits.clone(), udp));
        let h = t_hits.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let h = h.clone();
                let tcp = tcp.clone();
                tokio::spawn(async move { serve(&mut s, &h, tcp).await });
            }
        });
        return (addr, u_hits, t_hits);
    }
    panic!("no port free for both UDP and TCP");
}

/// A valid empty NOERROR response to the query in `req`.
fn dns_ok(req: &[u8]) -> Option<Vec<u8>> {
    let mut r = req.to_vec();
    r[2] |= 0x80; // QR: response
    Some(r)
}

fn by_id(rs: &[CheckResult], id: CheckId) -> &CheckResult {
    rs.iter().find(|r| r.id == id).unwrap()
}

#[tokio::test]
async fn dns_garbage_over_udp_and_a_truncated_tcp_frame() {
    let mut truncated = 200u16.to_be_bytes().to_vec();
    truncated.extend_from_slice(b"\x12\x34\x81");
    let (addr, u, t) = dns_fake(
        |_| Some(b"\xde\xad\xbe\xef".to_vec()),
        TcpBehaviour::Reply(truncated),
    )
    .await;
    let rs = dns::check_servers(&[addr], "db.example.com", TIMEOUT).await;
    u.assert_contacted("DNS/udp");
    t.assert_contacted("DNS/tcp");
    assert_finding(
        by_id(&rs, CheckId::DnsUdp),
        Status::Fail,
        Cause::DnsGarbage,
        "not DNS",
    );
    assert_finding(
        by_id(&rs, CheckId::DnsTcp),
        Status::Fail,
        Cause::DnsGarbage,
        "closed after 5 byte(s)",
    );
}

#[tokio::test]
async fn dns_reply_to_another_query_is_garbage() {
    let (addr, u, _t) = dns_fake(
        |req| {
            let mut r = dns_ok(req)?;
            r[0] ^= 0xff; // another id
            Some(r)
        },
        TcpBehaviour::Close,
    )
    .await;
    let rs = dns::check_servers(&[addr], "db.example.com", TIMEOUT).await;
    u.assert_contacted("DNS/udp");
    assert_finding(
        by_id(&rs, CheckId::DnsUdp),
        Status::Fail,
        Cause::DnsGarbage,
        "another query",
    );
}

#[tokio::test]
async fn dns_tcp_silent_while_udp_answers_is_a_warning_within_the_timeout() {
    let (addr, u, t) = dns_fake(dns_ok, TcpBehaviour::Hang).await;
    let start = Instant::now();
    let rs = dns::check_servers(&[addr], "db.example.com", TIMEOUT).await;
    let took = start.elapsed();
    u.assert_contacted("DNS/udp");
    t.assert_contacted("DNS/tcp");
    assert_eq!(by_id(&rs, CheckId::DnsUdp).status, Status::Pass);
    assert_finding(
        by_id(&rs, CheckId::DnsTcp),
        Status::Warn,
        Cause::DnsTcpBlocked,
        "UDP works",
    );
    assert!(took < TIMEOUT + SLACK, "took {took:?}");
}

#[tokio::test]
async fn dns_huge_tcp_prefix_cannot_exceed_a_dns_message() {
    // 0xffff is the largest a 2-byte prefix can say; the peer then sends 3 bytes and hangs.
    let (addr, _u, t) = dns_fake(
        dns_ok,
        TcpBehaviour::ReplyThenHang(vec![0xff, 0xff, 1, 2, 3]),
    )
    .await;
    let start = Instant::now();
    let rs = dns::check_servers(&[addr], "db.example.com", TIMEOUT).await;
    t.assert_contacted("DNS/tcp");
    let r = by_id(&rs, CheckId::DnsTcp);
    assert_eq!(r.status, Status::Warn, "{}", r.detail);
    assert!(start.elapsed() < TIMEOUT + SLACK);
}

async fn db_once(behaviour: TcpBehaviour) -> (Vec<CheckResult>, Hits, Duration) {
    let (addr, hits) = tcp_fake(behaviour).await;
    let start = Instant::now();
    let checked = db::probe::check(&[addr], TIMEOUT).await;
    (checked.results, hits, start.elapsed())
}

#[tokio::test]
async fn http_on_the_db_port_is_not_postgres() {
    let http =
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
    let (rs, hits, took) = db_once(TcpBehaviour::Reply(http)).await;
    hits.assert_contacted("HTTP server");
    assert_finding(
        by_id(&rs, CheckId::DbTcp),
        Status::Fail,
        Cause::DbNotPostgres,
        "HTTP/1.1 400 Bad Request",
    );
    assert_eq!(by_id(&rs, CheckId::DbSsl).status, Status::Skip);
    assert!(took < TIMEOUT, "took {took:?}");
}

#[tokio::test]
async fn db_port_that_accepts_and_never_answers_is_a_timeout_not_a_pass() {
    let (rs, hits, took) = db_once(TcpBehaviour::Hang).await;
    hits.assert_contacted("silent DB");
    assert_finding(
        by_id(&rs, CheckId::DbTcp),
        Status::Fail,
        Cause::DbTimeout,
        "TCP connect completed",
    );
    assert!(took < TIMEOUT + SLACK, "took {took:?}");
}

#[tokio::test]
async fn db_port_that_closes_at_once_is_not_postgres() {
    let (rs, hits, _) = db_once(TcpBehaviour::Close).await;
    hits.assert_contacted("closing DB");
    assert_finding(
        by_id(&rs, CheckId::DbTcp),
        Status::Fail,
        Cause::DbNotPostgres,
        "closed",
    );
}

#[tokio::test]
async fn db_port_with_binary_garbage_is_not_postgres() {
    let (rs, hits, _) = db_once(TcpBehaviour::ReplyThenHang(vec![
        0x16, 0x03, 0x01, 0x00, 0x05,
    ]))
    .await;
    hits.assert_contacted("garbage DB");
    assert_finding(
        by_id(&rs, CheckId::DbTcp),
        Status::Fail,
        Cause::DbNotPostgres,
        "16 03 01 00 05",
    );
}

#[tokio::test]
async fn an_old_postgres_answers_gssenc_with_an_error_response() {
    // PostgreSQL 11 answers 'S' to SSLRequest and an ErrorResponse to GSSENCRequest.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Hits::default();
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let h = h.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8];
                if s.read_exact(&mut buf).await.is_err() {
                    return;
                }
                h.hit();
                if buf[7] == 0x2f {
                    let _ = s.write_all(b"S").await;
                } else {
                    let body = b"SFATAL\0C08P01\0Munsupported frontend protocol 1234.5680\0\0";
                    let mut m = vec![b'E'];
                    m.extend_from_slice(&(u32::try_from(body.len()).unwrap() + 4).to_be_bytes());
                    m.extend_from_slice(body);
                    let _ = s.write_all(&m).await;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    let rs = db::probe::check(&[addr], TIMEOUT).await.results;
    hits.assert_contacted("old PostgreSQL");
    assert_eq!(by_id(&rs, CheckId::DbTcp).status, Status::Pass);
    assert_eq!(by_id(&rs, CheckId::DbSsl).status, Status::Pass);
    assert_finding(
        by_id(&rs, CheckId::DbGssenc),
        Status::Warn,
        Cause::DbNoGssenc,
        "unsupported frontend protocol",
    );
}
