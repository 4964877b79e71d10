//! Type 1, Ethernet Auto-Discovery route (RFC 7432 §7.1).
//!
//! ```text
//! +---------------------------------------+
//! |  Route Distinguisher (RD) (8 octets)  |
//! +---------------------------------------+
//! |Ethernet Segment Identifier (10 octets)|
//! +---------------------------------------+
//! |  Ethernet Tag ID (4 octets)           |
//! +---------------------------------------+
//! |  MPLS Label (3 octets)                |
//! +---------------------------------------+
//! ```
//! Ethernet Tag 0xFFFFFFFF (MAX-ET) marks the per-ES form.

use bytes::{BufMut, BytesMut};

use super::{EthernetAd, Malformed, field};
use crate::read::Reader;

pub(super) const LEN: usize = 25;

pub(super) fn decode(v: &[u8]) -> Result<EthernetAd, Malformed> {
    if v.len() != LEN {
        return Err(Malformed::length(format!("length must be {LEN}")));
    }
    let mut r = Reader::new(v);
    Ok(EthernetAd {
        rd: field::rd(&mut r)?,
        esi: field::esi(&mut r)?,
        ethernet_tag: field::u32(&mut r, "ethernet tag")?,
        label: field::label(&mut r)?,
    })
}

impl EthernetAd {
    pub(super) fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.rd.to_bytes());
        out.put_slice(&self.esi.0);
        out.put_u32(self.ethernet_tag);
        out.put_slice(&self.label.0);
    }
}
