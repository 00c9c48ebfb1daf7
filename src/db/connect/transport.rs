//! The byte stream under the PostgreSQL protocol: plain TCP, TLS (OpenSSL), or GSSAPI
//! encryption with libpq's framing (PostgreSQL protocol §55.2.11, fe-secure-gssapi.c): each
//! packet is a u32 big-endian length followed by a `gss_wrap`ped token.
//!
//! Limits follow libpq 15: outbound packets stay within 16 KiB (plaintext chunks of at most
//! 16,252 bytes; AES256-CTS wrap overhead measured 60 bytes), inbound packets over 16,380 bytes
//! are rejected before anything is allocated for them.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::gss::GssClient;

/// Largest plaintext per outbound packet (libpq would ask gss_wrap_size_limit, which libgssapi
/// does not bind; 16,252 + 60 bytes of overhead + 4 of length stays under 16,384).
pub const MAX_PLAIN_CHUNK: usize = 16_252;
/// Largest wrapped token accepted from the server (libpq's PQ_GSS_RECV_BUFFER_SIZE - 4).
pub const MAX_IN_PACKET: usize = 16_380;
/// Largest wrapped token we send (libpq's PQ_GSS_SEND_BUFFER_SIZE - 4).
pub const MAX_OUT_PACKET: usize = 16_380;

pub enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_openssl::SslStream<TcpStream>>),
    Gss(Box<GssStream<TcpStream>>),
}

impl Transport {
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Plain(_) => "plain",
            Transport::Tls(_) => "tls",
            Transport::Gss(_) => "gss",
        }
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Transport::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            Transport::Tls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
            Transport::Gss($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
        }
    };
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        each!(self, s => s.poll_write(cx, b))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => s.poll_shutdown(cx))
    }
}

/// A GSS-encrypted stream over an established context (`wrap`/`unwrap` are local CPU work, no
/// KDC traffic, so they run inline).
pub struct GssStream<S> {
    inner: S,
    ctx: GssClient,
    /// Encrypted bytes read but not yet a whole packet (bounded by 4 + MAX_IN_PACKET).
    rbuf: BytesMut,
    /// Decrypted bytes not yet handed to the reader.
    plain: BytesMut,
    /// Framed packets not yet written.
    wbuf: BytesMut,
}

impl<S> GssStream<S> {
    pub fn new(inner: S, ctx: GssClient) -> GssStream<S> {
        GssStream {
            inner,
            ctx,
            rbuf: BytesMut::new(),
            plain: BytesMut::new(),
            wbuf: BytesMut::new(),
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl<S: AsyncRead + Unpin> GssStream<S> {
    /// Takes one whole packet out of `rbuf` if there is one, checking its length first.
    fn next_packet(&mut self) -> io::Result<Option<BytesMut>> {
        if self.rbuf.len() < 4 {
            return Ok(None);
        }
        let len =
            u32::from_be_bytes([self.rbuf[0], self.rbuf[1], self.rbuf[2], self.rbuf[3]]) as usize;
        if len > MAX_IN_PACKET {
            return Err(invalid(format!(
                "the server sent a GSS-encrypted packet of {len} bytes; at most {MAX_IN_PACKET} are allowed"
            )));
        }
        if self.rbuf.len() < 4 + len {
            return Ok(None);
        }
        self.rbuf.advance(4);
        Ok(Some(self.rbuf.split_to(len)))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GssStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.plain.is_empty() {
                let n = this.plain.len().min(out.remaining());
                out.put_slice(&this.plain[..n]);
                this.plain.advance(n);
                return Poll::Ready(Ok(()));
            }
            if let Some(packet) = this.next_packet()? {
                let plain = this
                    .ctx
                    .unwrap(&packet)
                    .map_err(|f| invalid(format!("GSSAPI unwrap failed: {f}")))?;
                this.plain.extend_from_slice(&plain);
                continue;
            }
            // Read only what the current packet still needs, so rbuf never exceeds one packet.
            let want = if this.rbuf.len() < 4 {
                4 - this.rbuf.len()
            } else {
                let len =
                    u32::from_be_bytes([this.rbuf[0], this.rbuf[1], this.rbuf[2], this.rbuf[3]]);
                4 + len as usize - this.rbuf.len()
            };
            let mut chunk = [0u8; 8192];
            let take = want.min(chunk.len());
            let mut rb = ReadBuf::new(&mut chunk[..take]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                if this.rbuf.is_empty() {
                    return Poll::Ready(Ok(())); // clean EOF between packets
                }
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection in the middle of a GSS-encrypted packet",
                )));
            }
            this.rbuf.extend_from_slice(rb.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> GssStream<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.wbuf.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.wbuf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.wbuf.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GssStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(MAX_PLAIN_CHUNK);
        let token = this
            .ctx
            .wrap(&buf[..n])
            .map_err(|f| io::Error::other(format!("GSSAPI wrap failed: {f}")))?;
        if token.len() > MAX_OUT_PACKET {
            return Poll::Ready(Err(io::Error::other(format!(
                "a wrapped packet of {} bytes would exceed libpq's {MAX_OUT_PACKET}",
                token.len()
            ))));
        }
        this.wbuf.put_u32(token.len() as u32);
        this.wbuf.extend_from_slice(&token);
        // Start sending now; a Pending here is resumed by the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
