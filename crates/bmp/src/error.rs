//! Why a byte sequence is not a BMP message. Only the test decoder and tools
//! produce these: evpnd sends BMP, it never reads it.

/// A BMP decoding failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer octets than the structure needs (in a stream: wait for more).
    #[error("{what}: need {need} octets, have {have}")]
    Short {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// The Common Header's version is not 3 (RFC 7854 §4.1).
    #[error("BMP version {0} is not supported (expected 3)")]
    Version(u8),
    /// The Common Header's length is smaller than the header itself.
    #[error("message length {0} is shorter than the 6-octet common header")]
    Length(u32),
    /// A message type this decoder does not know.
    #[error("unknown BMP message type {0}")]
    UnknownType(u8),
    /// A field that contradicts the layout.
    #[error("{0}")]
    Malformed(String),
}

impl DecodeError {
    pub(crate) fn short(what: &'static str, need: usize, have: usize) -> DecodeError {
        DecodeError::Short { what, need, have }
    }
}
