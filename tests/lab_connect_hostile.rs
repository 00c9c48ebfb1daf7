//! Hostile servers for `kerbrds connect`: hand-written loopback fakes that send garbage,
//! malformed authentication messages, oversized GSS tokens and oversized encrypted packets.
//! Each must end in a clear error with a cause — no panic, no hang, no allocation of what a
//! length field claims. Every fake fails the test if the client never reached it.
//! The GSS cases need real tickets, so this runs in the lab like the other lab tests.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Lab, Scratch};
use serde_json::Value;

/// A one-connection fake server running `script`; dropping it asserts it was reached.
struct Fake {
    port: u16,
    hit: Arc<AtomicBool>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                self.hit.load(Ordering::SeqCst),
                "the fake server was never contacted"
            );
        }
    }
}

fn fake(script: impl FnOnce(TcpStream) + Send + 'static) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hit = Arc::new(AtomicBool::new(false));
    let h = hit.clone();
    std::thread::spawn(move || {
        if let Ok((s, _)) = listener.accept() {
            h.store(true, Ordering::SeqCst);
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            script(s);
        }
    });
    Fake { port, hit }
}

/// Reads the StartupMessage (u32 length + body).
fn read_startup(s: &mut TcpStream) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
    s.read_exact(&mut body).unwrap();
}

fn auth_message(code: u32, data: &[u8]) -> Vec<u8> {
    let mut m = vec![b'R'];
    m.extend_from_slice(&(8 + data.len() as u32).to_be_bytes());
    m.extend_from_slice(&code.to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// Runs `kerbrds connect` against the fake (host name kept for the SPN, address pinned).
fn connect(lab: &Lab, cc: &str, port: u16, extra: &str) -> (i32, Value, Duration) {
    let started = Instant::now();
    let out = lab
        .kerbrds()
        .env("KRB5CCNAME", cc)
        .args([
            "connect",
            &format!("host=db.example.com hostaddr=127.0.0.1 port={port} {extra}"),
            "--format",
            "json",
            "--timeout",
            "3",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{stderr}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), doc, started.elapsed())
}

fn plain_fake(after_startup: impl FnOnce(&mut TcpStream) + Send + 'static) -> Fake {
    fake(move |mut s| {
        read_startup(&mut s);
        after_startup(&mut s);
        std::thread::sleep(Duration::from_millis(500));
    })
}

const PLAIN: &str = "sslmode=disable gssencmode=disable";

fn assert_failure(doc: &Value, cause: &str, detail: &str) {
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["failure"]["cause"], cause, "{doc}");
    let d = doc["failure"]["detail"].as_str().unwrap();
    assert!(d.contains(detail), "{d}");
}

/// A plain-text fake that answers the StartupMessage with `reply`; the client must fail with
/// `cause` and a detail containing `detail`.
fn plain_case(reply: Vec<u8>, cause: &str, detail: &str) {
    let lab = Lab::shared();
    let s = Scratch::new();
    let f = plain_fake(move |s| {
        let _ = s.write_all(&reply);
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_failure(&doc, cause, detail);
}

#[test]
fn http_on_the_db_port_is_not_postgres() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let f = fake(|mut s| {
        let mut req = [0u8; 8];
        s.read_exact(&mut req).unwrap();
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let (code, doc, _) = connect(
        &lab,
        &s.ccache(),
        f.port,
        "sslmode=require gssencmode=disable",
    );
    assert_eq!(code, 1);
    assert_failure(
        &doc,
        "db-not-postgres",
        "answered SSLRequest with byte 0x48",
    );
}

#[test]
fn an_impossible_message_length_is_rejected() {
    plain_case(
        vec![b'R', 0, 0, 0, 3],
        "db-not-postgres",
        "impossible length 3",
    );
}

#[test]
fn a_huge_length_is_refused_before_anything_is_allocated() {
    let lab = Lab::shared();
    let s = Scratch::new();
    // Claims a 2 GiB AuthenticationGSSContinue and then sends nothing more.
    let f = plain_fake(|s| {
        let _ = s.write_all(&[b'R', 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 8]);
    });
    let (code, doc, took) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_failure(&doc, "db-not-postgres", "exceeds the login limit of 66560");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn an_unknown_authentication_request_is_a_clear_error() {
    plain_case(
        auth_message(42, b""),
        "db-not-postgres",
        "could not be decoded",
    );
}

#[test]
fn gss_continue_without_gss_is_a_protocol_violation() {
    plain_case(
        auth_message(8, b"token"),
        "db-not-postgres",
        "without AuthenticationGSS",
    );
}

#[test]
fn a_password_request_is_reported_not_answered() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let f = plain_fake(|s| {
        let _ = s.write_all(&auth_message(10, b"SCRAM-SHA-256\0\0"));
        // Nothing may follow: kerbrds never sends a password.
        let mut b = [0u8; 1];
        assert_eq!(
            s.read(&mut b).unwrap_or(0),
            0,
            "the client answered a password request"
        );
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_failure(&doc, "password-auth-chosen", "SCRAM");
}

#[test]
fn a_silent_server_times_out_with_the_phase_named() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let f = fake(|mut s| {
        read_startup(&mut s);
        std::thread::sleep(Duration::from_secs(5));
    });
    let (code, doc, took) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_failure(&doc, "login-timeout", "stopped while authenticating");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_server_that_hangs_up_says_so() {
    let lab = Lab::shared();
    let s = Scratch::new();
    let f = fake(|mut s| read_startup(&mut s));
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_failure(
        &doc,
        "server-fatal",
        "closed the connection during authentication",
    );
}

#[test]
fn an_oversized_gss_handshake_token_is_refused() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let f = fake(|mut s| {
        let mut req = [0u8; 8];
        s.read_exact(&mut req).unwrap();
        s.write_all(b"G").unwrap();
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let mut tok = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut tok).unwrap();
        // 16 MiB claimed, nothing sent.
        let _ = s.write_all(&0x0100_0000u32.to_be_bytes());
        std::thread::sleep(Duration::from_millis(500));
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, "gssencmode=require");
    assert_eq!(code, 1);
    assert_failure(
        &doc,
        "db-not-postgres",
        "GSS handshake token of 16777216 bytes (at most 65536",
    );
}

#[test]
fn a_garbage_gss_continue_token_is_a_gss_error() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let f = plain_fake(|s| {
        s.write_all(&auth_message(7, b"")).unwrap();
        let mut hdr = [0u8; 5];
        s.read_exact(&mut hdr).unwrap();
        assert_eq!(hdr[0], b'p', "the GSS token must travel as GSSResponse");
        let mut tok = vec![0u8; u32::from_be_bytes(hdr[1..].try_into().unwrap()) as usize - 4];
        s.read_exact(&mut tok).unwrap();
        let _ = s.write_all(&auth_message(8, b"\x60\x03not a token"));
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert_eq!(doc["failure"]["cause"], "gss-other", "{doc}");
    assert!(doc["failure"]["detail"]
        .as_str()
        .unwrap()
        .starts_with("GSSAPI failed"));
}

/// Relays the real GSS handshake to the lab's PostgreSQL, then answers the client's first
/// encrypted packet with a packet header claiming more than libpq's 16,380 bytes.
#[test]
fn an_oversized_encrypted_packet_is_refused() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    fn packet(from: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 4];
        from.read_exact(&mut len).unwrap();
        let mut p = len.to_vec();
        p.resize(4 + u32::from_be_bytes(len) as usize, 0);
        from.read_exact(&mut p[4..]).unwrap();
        p
    }
    let f = fake(|mut c| {
        let mut db = TcpStream::connect("127.0.10.3:5432").unwrap();
        let mut req = [0u8; 8];
        c.read_exact(&mut req).unwrap();
        db.write_all(&req).unwrap();
        let mut g = [0u8; 1];
        db.read_exact(&mut g).unwrap();
        c.write_all(&g).unwrap();
        db.write_all(&packet(&mut c)).unwrap(); // AP-REQ
        c.write_all(&packet(&mut db)).unwrap(); // AP-REP: the client's context is complete
        let _startup = packet(&mut c);
        let _ = c.write_all(&20_000u32.to_be_bytes());
        let _ = c.write_all(&[0u8; 100]);
        std::thread::sleep(Duration::from_millis(500));
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, "gssencmode=require");
    assert_eq!(code, 1);
    assert_failure(
        &doc,
        "db-not-postgres",
        "GSS-encrypted packet of 20000 bytes; at most 16380 are allowed",
    );
}

#[test]
fn an_sspi_request_is_answered_with_a_gss_token_as_libpq_does() {
    let lab = Lab::shared();
    let s = Scratch::new();
    lab.kinit("alice", &s.ccache());
    let got = Arc::new(AtomicBool::new(false));
    let g = got.clone();
    let f = plain_fake(move |s| {
        s.write_all(&auth_message(9, b"")).unwrap();
        let mut hdr = [0u8; 5];
        s.read_exact(&mut hdr).unwrap();
        g.store(hdr[0] == b'p', Ordering::SeqCst);
    });
    let (code, doc, _) = connect(&lab, &s.ccache(), f.port, PLAIN);
    assert_eq!(code, 1);
    assert!(
        got.load(Ordering::SeqCst),
        "no GSSResponse to the SSPI request: {doc}"
    );
    assert_failure(
        &doc,
        "server-fatal",
        "closed the connection during authentication",
    );
}
