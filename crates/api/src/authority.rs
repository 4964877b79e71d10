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

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

use crate::huffman;

/// The client connection preface (RFC 9113 §3.4).
const PREFACE_LEN: usize = 24;
/// The frame header (RFC 9113 §4.1).
const FRAME_HEADER_LEN: usize = 9;
/// Frame types (RFC 9113 §6).
const TYPE_HEADERS: u8 = 0x1;
const TYPE_CONTINUATION: u8 = 0x9;
/// HEADERS flags (RFC 9113 §6.2).
const FLAG_PADDED: u8 = 0x8;
const FLAG_PRIORITY: u8 = 0x20;
/// Stream dependency (4) and weight (1) of a HEADERS frame with PRIORITY.
const PRIORITY_LEN: usize = 5;
/// `:authority` in the HPACK static table (RFC 7541 Appendix A).
const STATIC_AUTHORITY: u64 = 1;
const AUTHORITY_NAME: &[u8] = b":authority";
/// An HPACK integer longer than this many continuation bits is malformed
/// for our purposes (h2 rejects it too); we stop rewriting.
const MAX_INT_SHIFT: u32 = 28;
/// What a disallowed byte becomes.
const REPLACEMENT: u8 = b'-';
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
fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// Where the client's byte stream is, frame by frame (RFC 9113 §4.1):
///
/// ```text
/// +-----------------------------------------------+
/// |                 Length (24)                   |
/// +---------------+---------------+---------------+
/// |   Type (8)    |   Flags (8)   |
/// +-+-------------+---------------+-------------------------------+
/// |R|                 Stream Identifier (31)                      |
/// +=+=============================================================+
/// |                   Frame Payload (0...)                      ...
/// +---------------------------------------------------------------+
/// ```
///
/// HEADERS payload (§6.2): `[Pad Length (8)]`, `[Exclusive (1), Stream
/// Dependency (31), Weight (8)]`, Field Block Fragment, Padding; a
/// CONTINUATION payload (§6.10) is all fragment.
#[derive(Debug)]
enum Frame {
    /// Bytes of the connection preface still to come.
    Preface(usize),
    /// Collecting a frame header.
    Header([u8; FRAME_HEADER_LEN], usize),
    /// The pad-length octet of a padded HEADERS frame is next.
    PadLength { rest: usize, priority: bool },
    /// Inside a payload: skip, then field block, then skip.
    Payload {
        skip: usize,
        block: usize,
        padding: usize,
    },
    /// Something did not add up: pass everything through, h2 will complain.
    Lost,
}

/// Scans the client's bytes for `:authority` values and rewrites them.
#[derive(Debug)]
pub(crate) struct FrameScanner {
    frame: Frame,
    hpack: Hpack,
    /// Bytes consumed so far.
    pos: u64,
    /// Huffman-coded authority values that are complete: (position, length).
    pub(crate) rewrites: Vec<(u64, usize)>,
}

impl Default for FrameScanner {
    fn default() -> Self {
        FrameScanner {
            frame: Frame::Preface(PREFACE_LEN),
            hpack: Hpack::Start,
            pos: 0,
            rewrites: Vec::new(),
        }
    }
}

impl FrameScanner {
    /// Looks at the next bytes from the client, rewriting raw authority
    /// values in place; complete Huffman-coded ones are left in `rewrites`.
    pub(crate) fn feed(&mut self, mut bytes: &mut [u8]) {
        while !bytes.is_empty() {
            let used = self.step(bytes);
            self.pos += used as u64;
            bytes = &mut bytes[used..];
        }
    }

    /// The stream position of the next byte.
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    /// Where a Huffman-coded authority value in progress starts: bytes from
    /// there on must wait until it is complete.
    pub(crate) fn hold_from(&self) -> Option<u64> {
        self.hpack.held().map(|n| self.pos - n)
    }

    /// Gives up on the value in progress (too long to hold).
    pub(crate) fn stop_holding(&mut self) {
        self.hpack.drop_authority();
    }

    /// Consumes at least one byte of `bytes`; returns how many.
    fn step(&mut self, bytes: &mut [u8]) -> usize {
        match &mut self.frame {
            Frame::Lost => bytes.len(),
            Frame::Preface(left) => {
                let n = (*left).min(bytes.len());
                *left -= n;
                if *left == 0 {
                    self.frame = Frame::Header([0; FRAME_HEADER_LEN], 0);
                }
                n
            }
            Frame::Header(h, have) => {
                h[*have] = bytes[0];
                *have += 1;
                if *have == FRAME_HEADER_LEN {
                    let h = *h;
                    self.frame = self.payload_of(h);
                }
                1
            }
            Frame::PadLength { rest, priority } => {
                let pad = usize::from(bytes[0]);
                let skip = if *priority { PRIORITY_LEN } else { 0 };
                self.frame = match rest.checked_sub(skip + pad) {
                    Some(block) => Frame::Payload {
                        skip,
                        block,
                        padding: pad,
                    },
                    None => Frame::Lost,
                };
                self.settle();
                1
            }
            Frame::Payload {
                skip,
                block,
                padding,
            } => {
                let n = if *skip > 0 {
                    let n = (*skip).min(bytes.len());
                    *skip -= n;
                    n
                } else if *block > 0 {
                    let n = (*block).min(bytes.len());
                    *block -= n;
                    for (i, b) in bytes[..n].iter_mut().enumerate() {
                        if let Some(done) = self.hpack.byte(b, self.pos + i as u64) {
                            self.rewrites.push(done);
                        }
                    }
                    n
                } else {
                    let n = (*padding).min(bytes.len());
                    *padding -= n;
                    n
                };
                self.settle();
                n
            }
        }
    }

    /// After a payload is done, the next frame header. A Huffman-coded
    /// value that goes on in the next frame is not rewritten: the frame
    /// header in between would be in the way.
    fn settle(&mut self) {
        if let Frame::Payload {
            skip: 0,
            block: 0,
            padding: 0,
        } = self.frame
        {
            self.frame = Frame::Header([0; FRAME_HEADER_LEN], 0);
            self.hpack.drop_authority();
        }
    }

    /// The payload state for a frame header.
    fn payload_of(&mut self, h: [u8; FRAME_HEADER_LEN]) -> Frame {
        let len = usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
        let (kind, flags) = (h[3], h[4]);
        let frame = match kind {
            TYPE_HEADERS => {
                // A new field block: whatever the last one left is over.
                self.hpack = Hpack::Start;
                let priority = flags & FLAG_PRIORITY != 0;
                if flags & FLAG_PADDED != 0 {
                    match len.checked_sub(1) {
                        Some(rest) => return Frame::PadLength { rest, priority },
                        None => return Frame::Lost,
                    }
                }
                let skip = if priority { PRIORITY_LEN } else { 0 };
                match len.checked_sub(skip) {
                    Some(block) => Frame::Payload {
                        skip,
                        block,
                        padding: 0,
                    },
                    None => return Frame::Lost,
                }
            }
            TYPE_CONTINUATION => Frame::Payload {
                skip: 0,
                block: len,
                padding: 0,
            },
            _ => Frame::Payload {
                skip: len,
                block: 0,
                padding: 0,
            },
        };
        match frame {
            Frame::Payload {
                skip: 0,
                block: 0,
                padding: 0,
            } => Frame::Header([0; FRAME_HEADER_LEN], 0),
            f => f,
        }
    }
}

/// What a string literal is (RFC 7541 §5.2).
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A literal field name.
    Name,
    /// A field value; `authority`: rewrite it.
    Value { authority: bool },
}

/// What a prefixed integer (RFC 7541 §5.1) being read is for.
#[derive(Debug, Clone, Copy)]
enum IntFor {
    /// An index or table size: nothing follows.
    Nothing,
    /// The name index of a literal field; 0 = a literal name follows.
    NameIndex,
    /// A string length.
    Length { role: Role, huffman: bool },
}

/// The field-block decoder, as far as finding `:authority` values needs
/// (RFC 7541 §6): no dynamic table, since a value is never resized.
///
/// ```text
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// | 1 |        Index (7+)         |  indexed field
/// | 0 | 1 |      Index (6+)       |  literal, incremental indexing
/// | 0 | 0 | 1 |   Max size (5+)   |  dynamic table size update
/// | 0 | 0 | 0 | N |  Index (4+)   |  literal, without / never indexed
/// +---+---------------------------+
/// | H |     Length (7+)           |  string (name when Index = 0, value)
/// +---+---------------------------+
/// |  String data (Length octets)  |
/// +-------------------------------+
/// ```
#[derive(Debug)]
enum Hpack {
    /// The first octet of a field representation.
    Start,
    /// The continuation octets of an integer.
    Int {
        value: u64,
        shift: u32,
        then: IntFor,
    },
    /// The first octet of a string: H and the length prefix.
    StringHead(Role),
    /// Inside a string.
    String {
        left: u64,
        role: Role,
        huffman: bool,
        /// For names: the bytes so far equal `:authority`'s.
        matched: bool,
        at: usize,
    },
    /// Malformed for us: stop looking (h2 will answer the error).
    Lost,
}

impl Hpack {
    /// One octet of a field block, at stream position `pos`. Returns a
    /// Huffman-coded authority value that ends here: (position, length).
    fn byte(&mut self, b: &mut u8, pos: u64) -> Option<(u64, usize)> {
        match self {
            Hpack::Lost => {}
            Hpack::Start => {
                let (prefix, then) = if *b & 0x80 != 0 {
                    (7, IntFor::Nothing)
                } else if *b & 0x40 != 0 {
                    (6, IntFor::NameIndex)
                } else if *b & 0x20 != 0 {
                    (5, IntFor::Nothing)
                } else {
                    (4, IntFor::NameIndex)
                };
                self.int_first(*b, prefix, then);
            }
            Hpack::StringHead(role) => {
                let role = *role;
                self.int_first(
                    *b,
                    7,
                    IntFor::Length {
                        role,
                        huffman: *b & 0x80 != 0,
                    },
                );
            }
            Hpack::Int { value, shift, then } => {
                if *shift > MAX_INT_SHIFT {
                    *self = Hpack::Lost;
                    return None;
                }
                *value += u64::from(*b & 0x7f) << *shift;
                *shift += 7;
                if *b & 0x80 == 0 {
                    let (v, t) = (*value, *then);
                    self.int_done(v, t);
                }
            }
            Hpack::String {
                left,
                role,
                huffman,
                matched,
                at,
            } => {
                match role {
                    Role::Value { authority: true } if !*huffman && !allowed(*b) => {
                        *b = REPLACEMENT;
                    }
                    Role::Name => {
                        *matched &= AUTHORITY_NAME.get(*at) == Some(b);
                    }
                    Role::Value { .. } => {}
                }
                *at += 1;
                *left -= 1;
                if *left == 0 {
                    let authority = matches!(role, Role::Name)
                        && !*huffman
                        && *matched
                        && *at == AUTHORITY_NAME.len();
                    let done = (matches!(role, Role::Value { authority: true }) && *huffman)
                        .then(|| (pos + 1 - *at as u64, *at));
                    let role = *role;
                    self.string_done(role, authority);
                    return done;
                }
            }
        }
        None
    }

    /// Bytes of a Huffman-coded authority value read so far, when inside one.
    fn held(&self) -> Option<u64> {
        match self {
            Hpack::String {
                role: Role::Value { authority: true },
                huffman: true,
                at,
                ..
            } if *at > 0 => Some(*at as u64),
            _ => None,
        }
    }

    /// The value in progress is no longer treated as the authority.
    fn drop_authority(&mut self) {
        if let Hpack::String { role, .. } = self {
            *role = Role::Value { authority: false };
        }
    }

    /// The first octet of an integer with an `n`-bit prefix.
    fn int_first(&mut self, b: u8, n: u32, then: IntFor) {
        let max = (1u16 << n) - 1;
        let v = u16::from(b) & max;
        if v < max {
            self.int_done(u64::from(v), then);
        } else {
            *self = Hpack::Int {
                value: u64::from(max),
                shift: 0,
                then,
            };
        }
    }

    fn int_done(&mut self, value: u64, then: IntFor) {
        *self = match then {
            IntFor::Nothing => Hpack::Start,
            IntFor::NameIndex if value == 0 => Hpack::StringHead(Role::Name),
            IntFor::NameIndex => Hpack::StringHead(Role::Value {
                authority: value == STATIC_AUTHORITY,
            }),
            IntFor::Length { role, .. } if value == 0 => {
                self.string_done(role, false);
                return;
            }
            IntFor::Length { role, huffman } => Hpack::String {
                left: value,
                role,
                huffman,
                matched: true,
                at: 0,
            },
        };
    }

    /// A string ended; `authority`: it was the name `:authority`.
    fn string_done(&mut self, role: Role, authority: bool) {
        *self = match role {
            Role::Name => Hpack::StringHead(Role::Value { authority }),
            Role::Value { .. } => Hpack::Start,
        };
    }
}

#[cfg(test)]
#[path = "authority_tests.rs"]
mod tests;
