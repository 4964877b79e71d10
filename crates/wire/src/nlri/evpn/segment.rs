//! Type 4, Ethernet Segment route (RFC 7432 §7.4).
//!
//! ```text
//! +---------------------------------------+
//! |  RD (8 octets)                        |
//! +---------------------------------------+
//! |Ethernet Segment Identifier (10 octets)|
//! +---------------------------------------+
//! |  IP Address Length (1 octet) 32/128   |
//! +---------------------------------------+
//! |  Originating Router's IP Address      |
//! |          (4 or 16 octets)             |
//! +---------------------------------------+
//! ```

use bytes::{BufMut, BytesMut};

use super::{EthernetSegment, Malformed, field};
use crate::read::Reader;

pub(super) fn decode(v: &[u8]) -> Result<EthernetSegment, Malformed> {
    let mut r = Reader::new(v);
    let rd = field::rd(&mut r)?;
    let esi = field::esi(&mut r)?;
    let bits = field::u8(&mut r, "IP length")?;
    let originator = field::ip(&mut r, bits)?;
    field::end(&r)?;
    Ok(EthernetSegment {
        rd,
        esi,
        originator,
    })
}

pub(super) fn value_len(r: &EthernetSegment) -> usize {
    19 + field::ip_octets(&r.originator)
}

impl EthernetSegment {
    pub(super) fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.rd.to_bytes());
        out.put_slice(&self.esi.0);
        out.put_u8(super::ip_len_bits(&self.originator));
        field::put_ip(out, &self.originator);
    }
}
