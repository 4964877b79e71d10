//! Type 3, Inclusive Multicast Ethernet Tag route (RFC 7432 §7.3).
//!
//! ```text
//! +---------------------------------------+
//! |  RD (8 octets)                        |
//! +---------------------------------------+
//! |  Ethernet Tag ID (4 octets)           |
//! +---------------------------------------+
//! |  IP Address Length (1 octet) 32/128   |
//! +---------------------------------------+
//! |  Originating Router's IP Address      |
//! |          (4 or 16 octets)             |
//! +---------------------------------------+
//! ```
//! Carries a PMSI Tunnel attribute (RFC 6514 §5) naming the flood tunnel.

use bytes::{BufMut, BytesMut};

use super::{Imet, Malformed, field};
use crate::read::Reader;

pub(super) fn decode(v: &[u8]) -> Result<Imet, Malformed> {
    let mut r = Reader::new(v);
    let rd = field::rd(&mut r)?;
    let ethernet_tag = field::u32(&mut r, "ethernet tag")?;
    let bits = field::u8(&mut r, "IP length")?;
    let originator = field::ip(&mut r, bits)?;
    field::end(&r)?;
    Ok(Imet {
        rd,
        ethernet_tag,
        originator,
    })
}

pub(super) fn value_len(r: &Imet) -> usize {
    13 + field::ip_octets(&r.originator)
}

impl Imet {
    pub(super) fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.rd.to_bytes());
        out.put_u32(self.ethernet_tag);
        out.put_u8(super::ip_len_bits(&self.originator));
        field::put_ip(out, &self.originator);
    }
}
