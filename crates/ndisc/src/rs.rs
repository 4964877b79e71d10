//! The Router Solicitation message (RFC 4861 §4.1), ICMPv6 payload only.
//! A host (or a router starting up) sends one to ff02::2 to ask for an RA
//! now instead of at the next periodic one:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 133  |   Code = 0    |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Reserved                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ... (source link-layer address)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! A solicitation never names a peer (hosts send them too); it only brings
//! our next RA forward ([`crate::Input::Solicitation`]).

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::option::{LinkLayerAddr, RaOptions};
use crate::ra::RA_CODE;

/// ICMPv6 type of a Router Solicitation.
pub const ICMPV6_ROUTER_SOLICITATION: u8 = 133;
/// Octets of the fixed header before the options.
pub const RS_HEADER_LEN: usize = 8;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterSolicitation {
    pub source_link_layer: Option<LinkLayerAddr>,
}

impl RouterSolicitation {
    /// Decodes an ICMPv6 message; every length checked, never panics.
    pub fn decode(buf: &[u8]) -> Result<RouterSolicitation, DecodeError> {
        let Some(header) = buf.get(..RS_HEADER_LEN) else {
            return Err(DecodeError::Truncated {
                len: buf.len(),
                min: RS_HEADER_LEN,
            });
        };
        if header[0] != ICMPV6_ROUTER_SOLICITATION {
            return Err(DecodeError::UnexpectedType {
                got: header[0],
                expected: ICMPV6_ROUTER_SOLICITATION,
            });
        }
        if header[1] != RA_CODE {
            return Err(DecodeError::BadCode(header[1]));
        }
        let options = RaOptions::decode(&buf[RS_HEADER_LEN..], RS_HEADER_LEN)?;
        Ok(RouterSolicitation {
            source_link_layer: options.source_link_layer,
        })
    }

    /// The message's octets, checksum 0 (the kernel fills it in).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![ICMPV6_ROUTER_SOLICITATION, RA_CODE, 0, 0, 0, 0, 0, 0];
        RaOptions {
            source_link_layer: self.source_link_layer,
            mtu: None,
        }
        .encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let rs = RouterSolicitation {
            source_link_layer: Some(LinkLayerAddr([2, 0, 0, 0, 0, 9])),
        };
        let o = rs.encode();
        assert_eq!(o.len(), 16);
        assert_eq!(RouterSolicitation::decode(&o), Ok(rs));
        assert_eq!(
            RouterSolicitation::decode(&o[..7]),
            Err(DecodeError::Truncated { len: 7, min: 8 })
        );
        let mut bad = o.clone();
        bad[1] = 3;
        assert_eq!(
            RouterSolicitation::decode(&bad),
            Err(DecodeError::BadCode(3))
        );
        bad = o;
        bad[9] = 0;
        assert!(matches!(
            RouterSolicitation::decode(&bad),
            Err(DecodeError::ZeroLengthOption { .. })
        ));
    }
}
