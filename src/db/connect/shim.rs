//! Hands an already logged-in stream to `tokio_postgres::Config::connect_raw`: tokio-postgres
//! insists on sending its own StartupMessage and reading the login itself, so this shim
//! swallows that StartupMessage and replays the login's tail we already read
//! (AuthenticationOk, ParameterStatus…, BackendKeyData, ReadyForQuery, plus any read-ahead).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct Replay<S> {
    inner: S,
    replay: BytesMut,
    /// StartupMessage bytes still to drop: None until its length prefix has been seen.
    swallow: Swallow,
}

enum Swallow {
    /// Collecting the 4-byte length prefix.
    Header(Vec<u8>),
    /// This many bytes of the message remain.
    Body(usize),
    Done,
}

impl<S> Replay<S> {
    pub fn new(inner: S, replay: BytesMut) -> Replay<S> {
        Replay {
            inner,
            replay,
            swallow: Swallow::Header(Vec::with_capacity(4)),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.replay.is_empty() {
            let n = this.replay.len().min(out.remaining());
            out.put_slice(&this.replay[..n]);
            this.replay.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, out)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match &mut this.swallow {
            Swallow::Done => Pin::new(&mut this.inner).poll_write(cx, buf),
            Swallow::Header(h) => {
                let n = (4 - h.len()).min(buf.len());
                h.extend_from_slice(&buf[..n]);
                if h.len() == 4 {
                    let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
                    this.swallow = match len.checked_sub(4) {
                        Some(0) | None => Swallow::Done,
                        Some(rest) => Swallow::Body(rest),
                    };
                }
                Poll::Ready(Ok(n))
            }
            Swallow::Body(rest) => {
                let n = (*rest).min(buf.len());
                *rest -= n;
                if *rest == 0 {
                    this.swallow = Swallow::Done;
                }
                Poll::Ready(Ok(n))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_startup_message_is_swallowed_and_the_tail_replayed() {
        let (client, mut server) = tokio::io::duplex(1024);
        let mut shim = Replay::new(client, BytesMut::from(&b"R\0\0\0\x08\0\0\0\0"[..]));
        let startup = super::super::wire::startup_message("u", "d", "a").unwrap();
        shim.write_all(&startup).await.unwrap();
        shim.write_all(b"Q\0\0\0\x05\0").await.unwrap();
        shim.flush().await.unwrap();
        let mut got = [0u8; 6];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"Q\0\0\0\x05\0");
        server.write_all(b"Z").await.unwrap();
        let mut read = vec![0u8; 10];
        shim.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"R\0\0\0\x08\0\0\0\0Z");
    }
}
