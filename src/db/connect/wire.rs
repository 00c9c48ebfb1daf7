//! PostgreSQL frontend/backend protocol during login (PostgreSQL protocol §55.2, §55.7):
//! bounded message framing on top of a `Transport`, the GSSENCRequest/SSLRequest codes, and the
//! fields of an ErrorResponse. Message bodies come from postgres-protocol's codecs.

use std::io;

use bytes::{BufMut, BytesMut};
use postgres_protocol::message::backend::{ErrorFields, Message};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use fallible_iterator::FallibleIterator;

use super::transport::Transport;
use crate::catalogue::Cause;

/// §55.7 GSSENCRequest: length 8, code 80877104.
pub const GSSENC_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30];
/// Largest backend message accepted during login. GSSContinue tokens are at most 64 KiB (AD
/// tickets with big PACs); nothing else in a login comes near this.
pub const MAX_LOGIN_MESSAGE: usize = 65_536 + 1024;

/// A transport plus read-ahead, for the login phase only.
pub struct Conn<S = Transport> {
    pub io: S,
    pub buf: BytesMut,
}

/// One backend message: its raw frame (for replay to tokio-postgres) and the parsed form.
pub struct Frame {
    pub raw: BytesMut,
    pub msg: Message,
}

#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// The peer closed the connection.
    Eof,
    /// A frame that is not valid protocol (unknown tag, bad length, undecodable body).
    Garbage(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Eof => f.write_str("the server closed the connection"),
            ReadError::Garbage(s) => f.write_str(s),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(io: S) -> Conn<S> {
        Conn {
            io,
            buf: BytesMut::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    /// Ensures `n` bytes are buffered.
    async fn fill(&mut self, n: usize) -> Result<(), ReadError> {
        while self.buf.len() < n {
            let mut chunk = [0u8; 8192];
            let want = (n - self.buf.len()).min(chunk.len());
            let got = self
                .io
                .read(&mut chunk[..want])
                .await
                .map_err(ReadError::Io)?;
            if got == 0 {
                return Err(ReadError::Eof);
            }
            self.buf.extend_from_slice(&chunk[..got]);
        }
        Ok(())
    }

    /// Reads exactly `n` bytes (after any buffered ones).
    pub async fn read_exact(&mut self, n: usize) -> Result<BytesMut, ReadError> {
        self.fill(n).await?;
        Ok(self.buf.split_to(n))
    }

    /// Reads one backend message, rejecting lengths over `limit` before allocating for them.
    pub async fn read_message(&mut self, limit: usize) -> Result<Frame, ReadError> {
        self.fill(5).await?;
        let tag = self.buf[0];
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if !tag.is_ascii_alphabetic() {
            return Err(ReadError::Garbage(format!(
                "not a PostgreSQL message (first byte 0x{tag:02x})"
            )));
        }
        if len < 4 {
            return Err(ReadError::Garbage(format!(
                "message '{}' with impossible length {len}",
                tag as char
            )));
        }
        if len > limit {
            return Err(ReadError::Garbage(format!(
                "message '{}' of {len} bytes exceeds the login limit of {limit}",
                tag as char
            )));
        }
        self.fill(1 + len).await?;
        let raw = self.buf.split_to(1 + len);
        let mut parse = raw.clone();
        match Message::parse(&mut parse) {
            Ok(Some(msg)) if parse.is_empty() => Ok(Frame { raw, msg }),
            Ok(_) => Err(ReadError::Garbage(format!(
                "message '{}' has a malformed body",
                tag as char
            ))),
            Err(e) => Err(ReadError::Garbage(format!(
                "message '{}' could not be decoded: {e}",
                tag as char
            ))),
        }
    }
}

/// An ErrorResponse's fields (§55.8).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl ServerError {
    pub fn from_fields(mut fields: ErrorFields<'_>) -> ServerError {
        let mut e = ServerError::default();
        while let Ok(Some(f)) = fields.next() {
            let v = String::from_utf8_lossy(f.value_bytes()).into_owned();
            match f.type_() {
                b'V' => e.severity = v,
                b'S' if e.severity.is_empty() => e.severity = v,
                b'C' => e.code = v,
                b'M' => e.message = v,
                b'D' => e.detail = Some(v),
                b'H' => e.hint = Some(v),
                _ => {}
            }
        }
        e
    }

    /// Parses an ErrorResponse frame sent where no protocol is running yet (the server's answer
    /// to a GSSENCRequest when it fails): `E` + length + fields, or plain text.
    pub fn from_bytes(raw: &[u8]) -> ServerError {
        let mut b = BytesMut::from(raw);
        if let Ok(Some(Message::ErrorResponse(body))) = Message::parse(&mut b) {
            return ServerError::from_fields(body.fields());
        }
        ServerError {
            severity: "ERROR".into(),
            message: String::from_utf8_lossy(raw.get(1..).unwrap_or_default())
                .trim_matches(char::from(0))
                .trim()
                .to_string(),
            ..ServerError::default()
        }
    }

    /// `FATAL 28000: message`
    pub fn line(&self) -> String {
        if self.code.is_empty() {
            format!("{}: {}", self.severity, self.message)
        } else {
            format!("{} {}: {}", self.severity, self.code, self.message)
        }
    }

    /// The catalogue cause of a login-time server error (SQLSTATE first, then the message,
    /// which for class 28 is the only thing that tells the cases apart).
    pub fn cause(&self) -> Cause {
        let m = self.message.as_str();
        match self.code.as_str() {
            "28000" if m.starts_with("no pg_hba.conf entry") => Cause::NoHbaEntry,
            "28000" if m.starts_with("GSSAPI authentication failed") => Cause::PrincipalMismatch,
            "28000" if m.starts_with("role ") && m.ends_with("does not exist") => {
                Cause::RoleMissing
            }
            "28000" if m.contains("is not permitted to log in") => Cause::RoleNoLogin,
            "28P01" => Cause::PasswordAuthChosen,
            _ if m.starts_with("no pg_hba.conf entry") => Cause::NoHbaEntry,
            _ => Cause::ServerFatal,
        }
    }
}

/// A StartupMessage (§55.7) as tokio-postgres would send it, so its parameters match.
pub fn startup_message(user: &str, dbname: &str, application_name: &str) -> io::Result<BytesMut> {
    let mut buf = BytesMut::new();
    postgres_protocol::message::frontend::startup_message(
        [
            ("client_encoding", "UTF8"),
            ("user", user),
            ("database", dbname),
            ("application_name", application_name),
        ],
        &mut buf,
    )?;
    Ok(buf)
}

/// A GSSResponse ('p') carrying a GSS token (same framing as SASLResponse).
pub fn gss_response(token: &[u8]) -> io::Result<BytesMut> {
    let mut buf = BytesMut::new();
    postgres_protocol::message::frontend::sasl_response(token, &mut buf)?;
    Ok(buf)
}

pub fn ssl_request() -> BytesMut {
    let mut buf = BytesMut::new();
    postgres_protocol::message::frontend::ssl_request(&mut buf);
    buf
}

/// A GSS handshake packet for the GSSENC negotiation: u32 length + token.
pub fn gss_packet(token: &[u8]) -> BytesMut {
    let mut buf = BytesMut::with_capacity(4 + token.len());
    buf.put_u32(token.len() as u32);
    buf.extend_from_slice(token);
    buf
}

/// Reads the rest of an error the server sends unframed during the GSSENC handshake (libpq
/// reads it as text up to its buffer size), bounded, until the server closes.
pub async fn read_error_tail<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    first: &[u8],
) -> ServerError {
    let mut raw = first.to_vec();
    raw.extend_from_slice(&conn.buf.split());
    let mut chunk = [0u8; 1024];
    while raw.len() < 8192 {
        match conn.io.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
    }
    raw.truncate(8192);
    ServerError::from_bytes(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;
    use pretty_assertions::assert_eq;

    fn err(code: &str, message: &str) -> ServerError {
        ServerError {
            severity: "FATAL".into(),
            code: code.into(),
            message: message.into(),
            ..ServerError::default()
        }
    }

    #[test]
    fn server_errors_map_to_causes() {
        let table = [
            (err("28000", "no pg_hba.conf entry for host \"127.0.0.1\", user \"x\", database \"postgres\", no encryption"), Cause::NoHbaEntry),
            (err("28000", "GSSAPI authentication failed for user \"bob@ONPREM.COM\""), Cause::PrincipalMismatch),
            (err("28000", "role \"carol@EXAMPLE.COM\" does not exist"), Cause::RoleMissing),
            (err("28000", "role \"x\" is not permitted to log in"), Cause::RoleNoLogin),
            (err("3D000", "database \"nope\" does not exist"), Cause::ServerFatal),
            (err("53300", "sorry, too many clients already"), Cause::ServerFatal),
        ];
        for (e, cause) in table {
            assert_eq!(e.cause(), cause, "{}", e.message);
        }
    }

    #[test]
    fn an_error_response_frame_is_parsed_and_plain_text_is_kept() {
        let mut raw = BytesMut::new();
        let body = b"SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry\0\0";
        raw.put_u8(b'E');
        raw.put_u32(4 + body.len() as u32);
        raw.extend_from_slice(body);
        let e = ServerError::from_bytes(&raw);
        assert_eq!(e.line(), "FATAL 28000: no pg_hba.conf entry");
        let t = ServerError::from_bytes(b"Egarbage text\0");
        assert_eq!(t.message, "garbage text");
    }

    proptest::proptest! {
        /// Whatever a server sends, reading login messages ends (error or EOF) without a
        /// panic, and never buffers more than one bounded message.
        #[test]
        fn arbitrary_server_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let (client, mut server) = tokio::io::duplex(8192);
                server.write_all(&bytes).await.unwrap();
                drop(server);
                let mut conn = Conn::new(client);
                for _ in 0..bytes.len() + 1 {
                    match conn.read_message(1024).await {
                        Ok(f) => assert!(f.raw.len() <= 1 + 1024),
                        Err(_) => break,
                    }
                }
            });
            let _ = ServerError::from_bytes(&bytes);
        }

        /// The same with frames that look like PostgreSQL's (a real tag, a length that may lie,
        /// a random body), so the decoders behind the framing are exercised too.
        #[test]
        fn lying_frames_never_panic(frames in proptest::collection::vec(
            (proptest::sample::select(b"RZEKSNTDC".to_vec()), 0u32..2048, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)),
            1..8,
        )) {
            let mut bytes = Vec::new();
            for (tag, len, body) in &frames {
                bytes.push(*tag);
                bytes.extend_from_slice(&len.to_be_bytes());
                bytes.extend_from_slice(body);
            }
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            rt.block_on(async {
                let (client, mut server) = tokio::io::duplex(8192);
                server.write_all(&bytes).await.unwrap();
                drop(server);
                let mut conn = Conn::new(client);
                while let Ok(f) = conn.read_message(1024).await {
                    assert!(f.raw.len() <= 1 + 1024);
                }
            });
        }
    }

    #[test]
    fn gssenc_request_is_the_documented_code() {
        assert_eq!(
            u32::from_be_bytes(GSSENC_REQUEST[4..].try_into().unwrap()),
            80_877_104
        );
        let mut ssl = ssl_request();
        assert_eq!(ssl.len(), 8);
        ssl.advance(4);
        assert_eq!(ssl.get_u32(), 80_877_103);
    }
}
