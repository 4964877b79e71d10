//! Initiation (RFC 7854 §4.3): the first message on every connection.
//!
//! ```text
//! Common Header (type 4), then Information TLVs (see [`crate::tlv`]):
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Information Type     |       Information Length      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information (variable)                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! sysDescr (type 1) and sysName (type 2) MUST be present (§4.3);
//! String (type 0) may repeat.
//! ```

use bytes::BytesMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{begin, finish, msg_type};
use crate::tlv::{Tlv, find_text, info_type};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Initiation {
    pub tlvs: Vec<Tlv>,
}

impl Initiation {
    /// sysName and sysDescr, the two TLVs RFC 7854 requires.
    pub fn new(sys_name: &str, sys_descr: &str) -> Initiation {
        Initiation {
            tlvs: vec![
                Tlv::text(info_type::SYS_DESCR, sys_descr),
                Tlv::text(info_type::SYS_NAME, sys_name),
            ],
        }
    }

    pub fn sys_name(&self) -> Option<&str> {
        find_text(&self.tlvs, info_type::SYS_NAME)
    }

    pub fn sys_descr(&self) -> Option<&str> {
        find_text(&self.tlvs, info_type::SYS_DESCR)
    }

    /// Appends the whole message (Common Header included).
    pub fn encode(&self, out: &mut BytesMut) {
        let s = begin(out, msg_type::INITIATION);
        for t in &self.tlvs {
            t.encode(out);
        }
        finish(out, s);
    }

    /// Decodes the body (after the Common Header).
    pub fn decode_body(body: &[u8]) -> Result<Initiation, DecodeError> {
        Ok(Initiation {
            tlvs: Tlv::decode_all(body)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiation_by_hand() {
        let mut b = BytesMut::new();
        Initiation::new("leaf1", "evpnd").encode(&mut b);
        let want: &[u8] = b"\x03\x00\x00\x00\x18\x04\x00\x01\x00\x05evpnd\x00\x02\x00\x05leaf1";
        assert_eq!(&b[..], want);
        let back = Initiation::decode_body(&b[6..]).unwrap();
        assert_eq!(back.sys_name(), Some("leaf1"));
        assert_eq!(back.sys_descr(), Some("evpnd"));
    }
}
