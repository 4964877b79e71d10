//! Type 5, IP Prefix route (RFC 9136 §3.1).
//!
//! ```text
//! +---------------------------------------+
//! |      RD (8 octets)                    |
//! +---------------------------------------+
//! |Ethernet Segment Identifier (10 octets)|
//! +---------------------------------------+
//! |  Ethernet Tag ID (4 octets)           |
//! +---------------------------------------+
//! |  IP Prefix Length (1 octet, 0 to 32)  |
//! +---------------------------------------+
//! |  IP Prefix (4 octets)                 |
//! +---------------------------------------+
//! |  GW IP Address (4 octets)             |
//! +---------------------------------------+
//! |  MPLS Label (3 octets)                |
//! +---------------------------------------+
//! ```
//! Length 34 for IPv4; 58 for IPv6 (16-octet prefix and gateway, prefix length
//! 0 to 128). The prefix field is full width; host bits are kept as received.
//! The overlay index is the ESI or the gateway, never both (RFC 9136 §3.2).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{IpPrefix, Malformed, field};
use crate::error::NlriReason;
use crate::read::Reader;

pub(super) fn decode(v: &[u8]) -> Result<IpPrefix, Malformed> {
    let v6 = match v.len() {
        34 => false,
        58 => true,
        n => {
            return Err(Malformed::length(format!(
                "length {n}, must be 34 (IPv4) or 58 (IPv6)"
            )));
        }
    };
    let mut r = Reader::new(v);
    let rd = field::rd(&mut r)?;
    let esi = field::esi(&mut r)?;
    let ethernet_tag = field::u32(&mut r, "ethernet tag")?;
    let plen = field::u8(&mut r, "prefix length")?;
    let (prefix, gateway) = if v6 {
        let p = Ipv6Addr::from(
            r.array::<16>()
                .ok_or_else(|| Malformed::length("prefix truncated"))?,
        );
        let g = Ipv6Addr::from(
            r.array::<16>()
                .ok_or_else(|| Malformed::length("gateway truncated"))?,
        );
        let net = Ipv6Net::new(p, plen).map_err(|_| {
            Malformed::new(
                NlriReason::PrefixLength,
                format!("IPv6 prefix length {plen} exceeds 128"),
            )
        })?;
        (IpNet::V6(net), IpAddr::V6(g))
    } else {
        let p = Ipv4Addr::from(
            r.array::<4>()
                .ok_or_else(|| Malformed::length("prefix truncated"))?,
        );
        let g = Ipv4Addr::from(
            r.array::<4>()
                .ok_or_else(|| Malformed::length("gateway truncated"))?,
        );
        let net = Ipv4Net::new(p, plen).map_err(|_| {
            Malformed::new(
                NlriReason::PrefixLength,
                format!("IPv4 prefix length {plen} exceeds 32"),
            )
        })?;
        (IpNet::V4(net), IpAddr::V4(g))
    };
    let label = field::label(&mut r)?;
    field::end(&r)?;
    Ok(IpPrefix {
        rd,
        esi,
        ethernet_tag,
        prefix,
        gateway,
        label,
    })
}

pub(super) fn value_len(r: &IpPrefix) -> usize {
    if r.prefix.addr().is_ipv4() { 34 } else { 58 }
}

impl IpPrefix {
    pub(super) fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.rd.to_bytes());
        out.put_slice(&self.esi.0);
        out.put_u32(self.ethernet_tag);
        out.put_u8(self.prefix.prefix_len());
        field::put_ip(out, &self.prefix.addr());
        // The gateway has the prefix's family (mixed families are invalid);
        // an unspecified gateway of the other family is written as zeros.
        match (self.prefix.addr(), self.gateway) {
            (IpAddr::V4(_), IpAddr::V4(g)) => out.put_slice(&g.octets()),
            (IpAddr::V6(_), IpAddr::V6(g)) => out.put_slice(&g.octets()),
            (IpAddr::V4(_), IpAddr::V6(_)) => out.put_slice(&[0; 4]),
            (IpAddr::V6(_), IpAddr::V4(_)) => out.put_slice(&[0; 16]),
        }
        out.put_slice(&self.label.0);
    }
}
