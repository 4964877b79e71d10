//! Information TLVs (RFC 7854 §4.4), used by Initiation, Peer Up and (with
//! their own types) Termination.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Information Type     |       Information Length      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information (variable)                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! Length counts the Information only. Information types: 0 String,
//! 1 sysDescr, 2 sysName (Initiation), 3 VRF/Table Name (RFC 9069 §5).
//! ```

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::Reader;

/// Information TLV types (RFC 7854 §4.4, RFC 9069 §5).
pub mod info_type {
    pub const STRING: u16 = 0;
    pub const SYS_DESCR: u16 = 1;
    pub const SYS_NAME: u16 = 2;
    pub const VRF_TABLE_NAME: u16 = 3;
}

/// One TLV: a type and its value, kept as octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Tlv {
    pub kind: u16,
    pub value: Vec<u8>,
}

impl Tlv {
    /// A text TLV (UTF-8, cut at 65535 octets on a character boundary).
    pub fn text(kind: u16, s: &str) -> Tlv {
        let mut end = s.len().min(usize::from(u16::MAX));
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        Tlv {
            kind,
            value: s.as_bytes()[..end].to_vec(),
        }
    }

    /// The value read as text, if it is UTF-8.
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let len = self.value.len().min(usize::from(u16::MAX));
        out.put_u16(self.kind);
        out.put_u16(len as u16);
        out.put_slice(&self.value[..len]);
    }

    /// Every TLV in `buf`, which must end exactly after the last.
    pub fn decode_all(buf: &[u8]) -> Result<Vec<Tlv>, DecodeError> {
        let mut r = Reader::new(buf, "information TLV");
        let mut out = Vec::new();
        while r.remaining() > 0 {
            let kind = r.u16()?;
            let len = usize::from(r.u16()?);
            out.push(Tlv {
                kind,
                value: r.take(len)?.to_vec(),
            });
        }
        Ok(out)
    }
}

/// The text of the first TLV of `kind`.
pub fn find_text(tlvs: &[Tlv], kind: u16) -> Option<&str> {
    tlvs.iter().find(|t| t.kind == kind).and_then(Tlv::as_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_by_hand() {
        let mut b = BytesMut::new();
        Tlv::text(info_type::SYS_NAME, "leaf1").encode(&mut b);
        assert_eq!(&b[..], b"\x00\x02\x00\x05leaf1");
        let back = Tlv::decode_all(&b).unwrap();
        assert_eq!(find_text(&back, info_type::SYS_NAME), Some("leaf1"));
        assert!(matches!(
            Tlv::decode_all(b"\x00\x02\x00\x09leaf1"),
            Err(DecodeError::Short { .. })
        ));
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let long = "é".repeat(40_000); // 80,000 octets
        let t = Tlv::text(0, &long);
        assert_eq!(t.value.len(), 65534);
        assert!(t.as_text().is_some());
    }
}
