//! Splitting a TCP byte stream into BGP messages.
//!
//! Several messages may arrive in one read and a message may be split across
//! reads. [`decode_frame`] takes whole messages off the front of a buffer
//! without copying them (the returned `Bytes` shares the buffer's memory) and
//! validates the header as soon as 19 octets are there, so a bad length is
//! refused before any memory is reserved for it.

use bytes::{Bytes, BytesMut};

use crate::error::NotifyError;
use crate::header::{HEADER_LEN, parse_header};

/// Takes one complete message (header included) off the front of `buf`.
/// `Ok(None)`: more bytes are needed.
pub fn decode_frame(buf: &mut BytesMut, max_len: usize) -> Result<Option<Bytes>, NotifyError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let h = parse_header(buf, max_len)?;
    let len = usize::from(h.length);
    if buf.len() < len {
        buf.reserve(len - buf.len());
        return Ok(None);
    }
    Ok(Some(buf.split_to(len).freeze()))
}

/// A stream buffer for callers without their own: push what was read, pull messages.
#[derive(Debug, Default)]
pub struct Framer {
    buf: BytesMut,
    max_len: usize,
}

impl Framer {
    pub fn new(max_len: usize) -> Framer {
        Framer {
            buf: BytesMut::with_capacity(max_len),
            max_len,
        }
    }

    /// RFC 8654: raise the limit once extended messages are negotiated.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len;
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    pub fn next_frame(&mut self) -> Result<Option<Bytes>, NotifyError> {
        decode_frame(&mut self.buf, self.max_len)
    }

    /// Bytes received but not yet part of a complete message.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}
