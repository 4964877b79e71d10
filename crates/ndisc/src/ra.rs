//! The Router Advertisement message (RFC 4861 §4.2), as the ICMPv6 payload
//! a raw `IPPROTO_ICMPV6` socket reads and writes (no IPv6 header):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 134  |   Code = 0    |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Cur Hop Limit |M|O|  Flags    |       Router Lifetime (s)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Reachable Time (ms)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Retrans Timer (ms)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ... (crate::option)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! The checksum covers an IPv6 pseudo-header; on Linux the kernel computes
//! it for raw ICMPv6 sockets on send and verifies it on receive (RFC 3542
//! §3.1), so we write 0 and do not read it. The IPv6-level checks of §6.1.2
//! (hop limit 255, link-local source) are the driver's and the
//! [`crate::Discovery`]'s, since they are not in these octets.

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::option::RaOptions;

/// ICMPv6 type of a Router Advertisement.
pub const ICMPV6_ROUTER_ADVERTISEMENT: u8 = 134;
/// The only valid ICMP code of a Router Advertisement.
pub const RA_CODE: u8 = 0;
/// Octets of the fixed header before the options.
pub const RA_HEADER_LEN: usize = 16;
/// "Managed address configuration" flag.
pub const FLAG_MANAGED: u8 = 0x80;
/// "Other configuration" flag.
pub const FLAG_OTHER: u8 = 0x40;
/// RFC 4861 §6.2.1: AdvDefaultLifetime is at most 9000 s.
pub const MAX_ROUTER_LIFETIME_SECS: u16 = 9000;

/// A Router Advertisement. Encoding then decoding gives the same value;
/// decoding keeps the flags octet whole (M, O and the bits later RFCs
/// define, such as RFC 4191's preference).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterAdvertisement {
    /// Hop limit hosts should use; 0 = unspecified.
    pub cur_hop_limit: u8,
    /// The flags octet (M = [`FLAG_MANAGED`], O = [`FLAG_OTHER`], ...).
    pub flags: u8,
    /// Seconds the sender is a default router; 0 = it is not (or no
    /// longer: a router leaving the link sends a final RA with 0).
    pub router_lifetime: u16,
    /// Milliseconds; 0 = unspecified.
    pub reachable_time: u32,
    /// Milliseconds; 0 = unspecified.
    pub retrans_timer: u32,
    pub options: RaOptions,
}

impl RouterAdvertisement {
    /// Decodes an ICMPv6 message. Every length is checked against the
    /// buffer; hostile input yields a [`DecodeError`], never a panic.
    pub fn decode(buf: &[u8]) -> Result<RouterAdvertisement, DecodeError> {
        let Some(header) = buf.get(..RA_HEADER_LEN) else {
            return Err(DecodeError::Truncated {
                len: buf.len(),
                min: RA_HEADER_LEN,
            });
        };
        if header[0] != ICMPV6_ROUTER_ADVERTISEMENT {
            return Err(DecodeError::UnexpectedType {
                got: header[0],
                expected: ICMPV6_ROUTER_ADVERTISEMENT,
            });
        }
        if header[1] != RA_CODE {
            return Err(DecodeError::BadCode(header[1]));
        }
        let be32 =
            |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        Ok(RouterAdvertisement {
            cur_hop_limit: header[4],
            flags: header[5],
            router_lifetime: u16::from_be_bytes([header[6], header[7]]),
            reachable_time: be32(8),
            retrans_timer: be32(12),
            options: RaOptions::decode(&buf[RA_HEADER_LEN..], RA_HEADER_LEN)?,
        })
    }

    /// The message's octets, checksum 0 (the kernel fills it in).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RA_HEADER_LEN + self.options.encoded_len());
        out.extend_from_slice(&[ICMPV6_ROUTER_ADVERTISEMENT, RA_CODE, 0, 0]);
        out.extend_from_slice(&[self.cur_hop_limit, self.flags]);
        out.extend_from_slice(&self.router_lifetime.to_be_bytes());
        out.extend_from_slice(&self.reachable_time.to_be_bytes());
        out.extend_from_slice(&self.retrans_timer.to_be_bytes());
        self.options.encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::option::LinkLayerAddr;

    /// An RA shaped like FRR 8.4's on an unnumbered interface (hop limit
    /// 64, lifetime 30 s = 3 × 10 s, SLLA), with a nonzero checksum.
    const FRR_LIKE: [u8; 24] = [
        0x86, 0x00, 0x5a, 0x3c, 0x40, 0x00, 0x00, 0x1e, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x02,
        0x11, 0x22, 0x33, 0x44, 0x55,
    ];

    #[test]
    fn decodes_the_fixed_header_and_options() {
        let ra = RouterAdvertisement::decode(&FRR_LIKE).expect("valid");
        assert_eq!(ra.cur_hop_limit, 64);
        assert_eq!(ra.router_lifetime, 30);
        assert_eq!(
            ra.options.source_link_layer,
            Some(LinkLayerAddr([2, 0x11, 0x22, 0x33, 0x44, 0x55]))
        );
        assert_eq!(ra.options.mtu, None);
        // Re-encoding reproduces every octet but the checksum.
        let mut expect = FRR_LIKE.to_vec();
        expect[2] = 0;
        expect[3] = 0;
        assert_eq!(ra.encode(), expect);
    }

    #[test]
    fn short_wrong_type_and_wrong_code_are_typed_errors() {
        assert_eq!(
            RouterAdvertisement::decode(&FRR_LIKE[..15]),
            Err(DecodeError::Truncated { len: 15, min: 16 })
        );
        let mut m = FRR_LIKE;
        m[0] = 135;
        assert_eq!(
            RouterAdvertisement::decode(&m),
            Err(DecodeError::UnexpectedType {
                got: 135,
                expected: 134
            })
        );
        let mut m = FRR_LIKE;
        m[1] = 1;
        assert_eq!(
            RouterAdvertisement::decode(&m),
            Err(DecodeError::BadCode(1))
        );
    }

    #[test]
    fn an_option_error_fails_the_message() {
        let mut m = FRR_LIKE.to_vec();
        m[17] = 0; // SLLA length 0
        assert_eq!(
            RouterAdvertisement::decode(&m),
            Err(DecodeError::ZeroLengthOption {
                kind: 1,
                offset: 16
            })
        );
    }
}
