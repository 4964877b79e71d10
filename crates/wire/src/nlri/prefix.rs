//! IPv4 / IPv6 prefixes (RFC 4271 §4.3, RFC 4760), optionally with an
//! RFC 7911 path identifier.
//!
//! ```text
//! +--------------------------+
//! | Path Identifier (4)      |  only when ADD-PATH is negotiated
//! +--------------------------+
//! | Length in bits (1)       |
//! +--------------------------+
//! | Prefix (ceil(len/8))     |  trailing bits kept as received
//! +--------------------------+
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

use super::NlriError;
use super::NlriReason;
use crate::read::Reader;
use crate::types::Afi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Prefix {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
    #[serde(serialize_with = "crate::nlri::ser_display")]
    pub net: IpNet,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.path_id {
            Some(id) => write!(f, "{} path-id {id}", self.net),
            None => write!(f, "{}", self.net),
        }
    }
}

fn lost(reason: String) -> NlriError {
    NlriError::new(NlriReason::BoundaryLost, reason)
}

/// Decodes a run of prefixes of `afi` (IPv4 or IPv6).
pub fn decode_prefixes(buf: &[u8], afi: Afi, add_path: bool) -> Result<Vec<Prefix>, NlriError> {
    let max_bits: u8 = match afi {
        Afi::IPV4 => 32,
        Afi::IPV6 => 128,
        other => {
            return Err(lost(format!(
                "prefixes of AFI {} are not IP prefixes",
                other.0
            )));
        }
    };
    let mut r = Reader::new(buf);
    // Smallest prefix is one octet (length 0): bound the allocation by the input.
    let mut out = Vec::with_capacity(buf.len().min(4096) / 4);
    while !r.is_empty() {
        let path_id = if add_path {
            Some(
                r.u32()
                    .ok_or_else(|| lost("prefix path identifier truncated".into()))?,
            )
        } else {
            None
        };
        let bits = r.u8().ok_or_else(|| lost("prefix length missing".into()))?;
        if bits > max_bits {
            return Err(NlriError::new(
                NlriReason::PrefixLength,
                format!("prefix length {bits} exceeds {max_bits}"),
            ));
        }
        let n = usize::from(bits).div_ceil(8);
        let bytes = r.bytes(n).ok_or_else(|| {
            lost(format!(
                "prefix /{bits} needs {n} octets, {} left",
                r.remaining()
            ))
        })?;
        let net = if max_bits == 32 {
            let mut a = [0u8; 4];
            a[..n].copy_from_slice(bytes);
            IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(a), bits))
        } else {
            let mut a = [0u8; 16];
            a[..n].copy_from_slice(bytes);
            IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(a), bits))
        };
        out.push(Prefix { path_id, net });
    }
    Ok(out)
}

/// Appends `prefixes` in wire form (path ids written when `Some`).
pub fn encode_prefixes(prefixes: &[Prefix], out: &mut BytesMut) {
    for p in prefixes {
        encode_prefix(p, out);
    }
}

pub fn encode_prefix(p: &Prefix, out: &mut BytesMut) {
    if let Some(id) = p.path_id {
        out.put_u32(id);
    }
    let bits = p.net.prefix_len();
    out.put_u8(bits);
    let n = usize::from(bits).div_ceil(8);
    match p.net.addr() {
        IpAddr::V4(a) => out.put_slice(&a.octets()[..n]),
        IpAddr::V6(a) => out.put_slice(&a.octets()[..n]),
    }
}

/// Encoded size of one prefix.
pub fn prefix_len(p: &Prefix) -> usize {
    usize::from(p.path_id.is_some()) * 4 + 1 + usize::from(p.net.prefix_len()).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_and_v6_with_and_without_path_id() {
        let b = [8, 10, 24, 192, 168, 1, 0];
        let p = decode_prefixes(&b, Afi::IPV4, false).expect("ok");
        assert_eq!(
            p.iter().map(|p| p.net.to_string()).collect::<Vec<_>>(),
            ["10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0"]
        );
        let mut o = BytesMut::new();
        encode_prefixes(&p, &mut o);
        assert_eq!(&o[..], &b);
        let b6 = [0, 0, 0, 7, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1];
        let p = decode_prefixes(&b6, Afi::IPV6, true).expect("ok");
        assert_eq!(p[0].path_id, Some(7));
        assert_eq!(p[0].net.to_string(), "2001:db8:0:1::/64");
    }

    #[test]
    fn malformed_loses_boundaries() {
        for (b, afi, kind) in [
            (
                &[33u8, 1, 2, 3, 4, 5][..],
                Afi::IPV4,
                NlriReason::PrefixLength,
            ),
            (&[24, 10, 0][..], Afi::IPV4, NlriReason::BoundaryLost),
            (&[129][..], Afi::IPV6, NlriReason::PrefixLength),
        ] {
            let e = decode_prefixes(b, afi, false).expect_err("malformed");
            assert_eq!(e.action, crate::Action::SessionReset);
            assert_eq!(e.kind, kind);
        }
    }
}
