//! Any `:authority` on the Unix socket.
//!
//! grpc-core (Python, C++, Ruby, PHP) sends a `unix:` target's path as the
//! `:authority` of every request, percent-encoded (`tmp%2Fevpnd.sock`). h2,
//! under tonic, parses `:authority` as a URI authority, where `%` may only
//! appear in userinfo, and answers `RST_STREAM(PROTOCOL_ERROR)` before any
//! service sees the request. On a Unix socket the authority names nothing, so
//! [`AnyAuthority`] rewrites it in the byte stream, before h2 reads it: every
//! byte of a literal `:authority` value that is not allowed in a host name
//! becomes `-`, in place. The header block, the frame lengths and the size of
//! the HPACK dynamic-table entry stay the same, so the client's and the
//! server's tables stay in step; later requests that index the entry get the
//! rewritten value from the server's own table.
//!
//! A Huffman-coded value (grpc-go with a path authority, HPACK encoders
//! that always compress) is held back until it is complete, decoded, and
//! each bad symbol's code replaced by the code of a host-name symbol of the
//! same code length (`/` and `%` become `-`, `:` becomes `B`), so again no
//! length changes. A symbol with no such twin (a code of 9 bits or more,
//! e.g. `@`) stays; h2 then refuses the request as before.

mod frames;
mod hpack;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

use crate::huffman;
use frames::FrameScanner;

/// A Huffman-coded authority longer than this is not held back (h2's own
/// header list limit is 16 KiB).
const MAX_HOLD: usize = 64 * 1024;
/// Reads while a value is held back go through a buffer of this size.
const HOLD_READ: usize = 8 * 1024;

/// A server-side connection whose request headers may carry any `:authority`.
pub struct AnyAuthority<S> {
    inner: S,
    frames: FrameScanner,
    /// Bytes read but not yet handed on: a Huffman-coded authority in
    /// progress and what came after it. `held[..ready]` may go.
    held: Vec<u8>,
    ready: usize,
    /// The stream position of `held[0]`.
    held_at: u64,
}

impl<S> AnyAuthority<S> {
    /// Wraps an accepted connection.
    pub fn new(inner: S) -> Self {
        AnyAuthority {
            inner,
            frames: FrameScanner::default(),
            held: Vec::new(),
            ready: 0,
            held_at: 0,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for AnyAuthority<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready > 0 {
                let n = this.ready.min(buf.remaining());
                buf.put_slice(&this.held[..n]);
                this.held.drain(..n);
                this.held_at += n as u64;
                this.ready -= n;
                return Poll::Ready(Ok(()));
            }
            if this.held.is_empty() {
                // Nothing held: read straight into the caller's buffer.
                let before = buf.filled().len();
                let at = this.frames.position();
                std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                let new = &mut buf.filled_mut()[before..];
                if new.is_empty() {
                    return Poll::Ready(Ok(())); // end of stream
                }
                this.frames.feed(new);
                apply_rewrites(&mut this.frames, new, at);
                let Some(from) = this.frames.hold_from() else {
                    return Poll::Ready(Ok(()));
                };
                let keep = (from - at) as usize;
                this.held.extend_from_slice(&new[keep..]);
                this.held_at = from;
                buf.set_filled(before + keep);
                if keep > 0 {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            // A value is held: read behind it until it is complete.
            let mut tmp = [0u8; HOLD_READ];
            let mut more = ReadBuf::new(&mut tmp);
            std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, &mut more))?;
            if more.filled().is_empty() {
                // End of stream inside a value: hand on what there is.
                this.ready = this.held.len();
                continue;
            }
            let old = this.held.len();
            this.held.extend_from_slice(more.filled());
            this.frames.feed(&mut this.held[old..]);
            apply_rewrites(&mut this.frames, &mut this.held, this.held_at);
            if this.held.len() > MAX_HOLD {
                this.frames.stop_holding();
            }
            this.ready = match this.frames.hold_from() {
                Some(from) => (from - this.held_at) as usize,
                None => this.held.len(),
            };
        }
    }
}

/// Rewrites the completed Huffman-coded values inside `bytes`, which starts
/// at stream position `at`.
fn apply_rewrites(frames: &mut FrameScanner, bytes: &mut [u8], at: u64) {
    for (start, len) in frames.rewrites.drain(..) {
        let from = start.checked_sub(at).map(|f| f as usize);
        if let Some(value) = from.and_then(|f| bytes.get_mut(f..f + len)) {
            rewrite_huffman(value);
        }
    }
}

/// Replaces each symbol that is not a host-name byte by one that is, with a
/// code of the same length; a string that does not decode stays as it is.
fn rewrite_huffman(value: &mut [u8]) {
    let Ok(symbols) = huffman::decode(value) else {
        return;
    };
    for s in symbols.into_iter().filter(|s| !allowed(s.value)) {
        if let Some(by) = huffman::same_length(s.len, allowed) {
            huffman::replace(value, s, by);
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AnyAuthority<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<S: Connected> Connected for AnyAuthority<S> {
    type ConnectInfo = S::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

/// Whether `b` may stay in the rewritten authority: a host-name byte.
pub(crate) fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

#[cfg(test)]
mod tests;
