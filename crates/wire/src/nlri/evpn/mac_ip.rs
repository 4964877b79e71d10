//! Type 2, MAC/IP Advertisement route (RFC 7432 §7.2).
//!
//! ```text
//! +---------------------------------------+
//! |  RD (8 octets)                        |
//! +---------------------------------------+
//! |Ethernet Segment Identifier (10 octets)|
//! +---------------------------------------+
//! |  Ethernet Tag ID (4 octets)           |
//! +---------------------------------------+
//! |  MAC Address Length (1 octet) = 48    |
//! +---------------------------------------+
//! |  MAC Address (6 octets)               |
//! +---------------------------------------+
//! |  IP Address Length (1 octet) 0/32/128 |
//! +---------------------------------------+
//! |  IP Address (0, 4, or 16 octets)      |
//! +---------------------------------------+
//! |  MPLS Label1 (3 octets)               |  VXLAN: the L2 VNI (RFC 8365)
//! +---------------------------------------+
//! |  MPLS Label2 (0 or 3 octets)          |  symmetric IRB: the L3 VNI (RFC 9135)
//! +---------------------------------------+
//! ```
//! Valid lengths: 33 + IP octets, + 3 with Label2 (33/37/49, 36/40/52).

use bytes::{BufMut, BytesMut};

use super::{MacIp, Malformed, field};
use crate::error::NlriReason;
use crate::read::Reader;
use crate::types::{Label3, MacAddr};

pub(super) fn decode(v: &[u8]) -> Result<MacIp, Malformed> {
    let mut r = Reader::new(v);
    let rd = field::rd(&mut r)?;
    let esi = field::esi(&mut r)?;
    let ethernet_tag = field::u32(&mut r, "ethernet tag")?;
    let mac_len = field::u8(&mut r, "MAC length")?;
    if mac_len != 48 {
        return Err(Malformed::new(
            NlriReason::MacLength,
            format!("MAC address length {mac_len}, must be 48"),
        ));
    }
    let mac = MacAddr(
        r.array::<6>()
            .ok_or_else(|| Malformed::length("MAC address truncated"))?,
    );
    let ip_len = field::u8(&mut r, "IP length")?;
    let ip = match ip_len {
        0 => None,
        bits => Some(field::ip(&mut r, bits)?),
    };
    let label1 = field::label(&mut r)?;
    let label2 = match r.remaining() {
        0 => None,
        3 => Some(Label3(
            r.array::<3>()
                .ok_or_else(|| Malformed::length("label2 truncated"))?,
        )),
        n => {
            return Err(Malformed::length(format!(
                "{n} octets after label1, expected 0 or 3"
            )));
        }
    };
    field::end(&r)?;
    Ok(MacIp {
        rd,
        esi,
        ethernet_tag,
        mac,
        ip,
        label1,
        label2,
    })
}

impl MacIp {
    pub(super) fn value_len(&self) -> usize {
        33 + self.ip.as_ref().map_or(0, field::ip_octets)
            + if self.label2.is_some() { 3 } else { 0 }
    }

    pub(super) fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.rd.to_bytes());
        out.put_slice(&self.esi.0);
        out.put_u32(self.ethernet_tag);
        out.put_u8(48);
        out.put_slice(&self.mac.0);
        match &self.ip {
            None => out.put_u8(0),
            Some(ip) => {
                out.put_u8(super::ip_len_bits(ip));
                field::put_ip(out, ip);
            }
        }
        out.put_slice(&self.label1.0);
        if let Some(l) = self.label2 {
            out.put_slice(&l.0);
        }
    }
}
