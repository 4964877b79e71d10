//! Termination (RFC 7854 §4.5): the last message before evpnd closes the
//! connection on purpose (shutdown, collector removed from the config).
//!
//! ```text
//! Common Header (type 5), then TLVs:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Information Type     |       Information Length      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information (variable)                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! Type 0 String (free text), type 1 Reason (2 octets):
//! 0 administratively closed, 1 unspecified, 2 out of resources,
//! 3 redundant connection, 4 permanently administratively closed.
//! ```

use bytes::BytesMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{begin, finish, msg_type};
use crate::tlv::Tlv;

/// Termination TLV types.
pub mod term_type {
    pub const STRING: u16 = 0;
    pub const REASON: u16 = 1;
}

/// Termination reasons (RFC 7854 §4.5).
pub mod reason {
    pub const ADMIN_CLOSE: u16 = 0;
    pub const UNSPECIFIED: u16 = 1;
    pub const OUT_OF_RESOURCES: u16 = 2;
    pub const REDUNDANT_CONNECTION: u16 = 3;
    pub const PERMANENT_ADMIN_CLOSE: u16 = 4;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Termination {
    pub tlvs: Vec<Tlv>,
}

impl Termination {
    /// A reason code and, when not empty, a text.
    pub fn new(reason: u16, text: &str) -> Termination {
        let mut tlvs = Vec::new();
        if !text.is_empty() {
            tlvs.push(Tlv::text(term_type::STRING, text));
        }
        tlvs.push(Tlv {
            kind: term_type::REASON,
            value: reason.to_be_bytes().to_vec(),
        });
        Termination { tlvs }
    }

    /// The Reason TLV's code.
    pub fn reason(&self) -> Option<u16> {
        self.tlvs
            .iter()
            .find(|t| t.kind == term_type::REASON && t.value.len() == 2)
            .map(|t| u16::from_be_bytes([t.value[0], t.value[1]]))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        let s = begin(out, msg_type::TERMINATION);
        for t in &self.tlvs {
            t.encode(out);
        }
        finish(out, s);
    }

    pub fn decode_body(body: &[u8]) -> Result<Termination, DecodeError> {
        Ok(Termination {
            tlvs: Tlv::decode_all(body)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termination_by_hand() {
        let mut b = BytesMut::new();
        Termination::new(reason::ADMIN_CLOSE, "bye").encode(&mut b);
        let want: &[u8] = b"\x03\x00\x00\x00\x13\x05\x00\x00\x00\x03bye\x00\x01\x00\x02\x00\x00";
        assert_eq!(&b[..], want);
        let back = Termination::decode_body(&b[6..]).unwrap();
        assert_eq!(back.reason(), Some(reason::ADMIN_CLOSE));
    }
}
