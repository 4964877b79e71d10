//! Neighbor Discovery options (RFC 4861 §4.6) as a Router Advertisement
//! carries them. Every option is type-length-value with the length in units
//! of 8 octets, counting the type and length octets:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     |              ...              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                              ...                              ~
//!
//! Source Link-Layer Address (type 1), Ethernet (length 1):
//! |   Type = 1    |  Length = 1   |    Link-Layer Address (6 octets) ...
//!
//! MTU (type 5, length 1):
//! |   Type = 5    |  Length = 1   |           Reserved            |
//! |                              MTU                              |
//! ```
//!
//! We understand the two options a point-to-point router link uses; every
//! other option (prefix information, route information, RDNSS, ...) is
//! length-checked and skipped. A source link-layer address of another
//! length than Ethernet's is skipped too (evpnd runs on Ethernet links).

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;

/// Octets per unit of the option length field.
pub const OPTION_UNIT: usize = 8;
/// Option type: Source Link-Layer Address.
pub const OPT_SOURCE_LINK_LAYER: u8 = 1;
/// Option type: MTU.
pub const OPT_MTU: u8 = 5;
/// Length (in units) of an Ethernet source link-layer address option.
pub const SOURCE_LINK_LAYER_UNITS: u8 = 1;
/// Length (in units) of the MTU option.
pub const MTU_UNITS: u8 = 1;
/// Octets of an Ethernet (EUI-48) address.
pub const ETHERNET_ADDR_LEN: usize = 6;

/// An Ethernet address as the source link-layer address option carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkLayerAddr(pub [u8; ETHERNET_ADDR_LEN]);

impl std::fmt::Display for LinkLayerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            o[0], o[1], o[2], o[3], o[4], o[5]
        )
    }
}

/// The options of a Router Advertisement that evpnd reads and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaOptions {
    pub source_link_layer: Option<LinkLayerAddr>,
    pub mtu: Option<u32>,
}

impl RaOptions {
    /// Reads the options area (everything after the fixed RA header).
    /// `base` is the area's offset in the message, for error positions.
    /// The first occurrence of a known option wins; later ones are skipped.
    pub fn decode(mut buf: &[u8], base: usize) -> Result<RaOptions, DecodeError> {
        let mut out = RaOptions::default();
        let mut offset = base;
        while !buf.is_empty() {
            let [kind, units, ..] = *buf else {
                return Err(DecodeError::OptionTruncated {
                    offset,
                    left: buf.len(),
                });
            };
            if units == 0 {
                return Err(DecodeError::ZeroLengthOption { kind, offset });
            }
            let len = usize::from(units) * OPTION_UNIT;
            let Some(body) = buf.get(..len) else {
                return Err(DecodeError::OptionOverrun {
                    kind,
                    offset,
                    claimed: len,
                    left: buf.len(),
                });
            };
            match kind {
                OPT_SOURCE_LINK_LAYER
                    if units == SOURCE_LINK_LAYER_UNITS && out.source_link_layer.is_none() =>
                {
                    let mut mac = [0u8; ETHERNET_ADDR_LEN];
                    mac.copy_from_slice(&body[2..2 + ETHERNET_ADDR_LEN]);
                    out.source_link_layer = Some(LinkLayerAddr(mac));
                }
                OPT_MTU => {
                    if units != MTU_UNITS {
                        return Err(DecodeError::BadOptionLength {
                            kind,
                            units,
                            expected: MTU_UNITS,
                        });
                    }
                    if out.mtu.is_none() {
                        out.mtu = Some(u32::from_be_bytes([body[4], body[5], body[6], body[7]]));
                    }
                }
                _ => {} // unknown (or non-Ethernet link-layer): skipped
            }
            buf = &buf[len..];
            offset += len;
        }
        Ok(out)
    }

    /// Octets [`RaOptions::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        let sll = self.source_link_layer.map_or(0, |_| OPTION_UNIT);
        let mtu = self.mtu.map_or(0, |_| OPTION_UNIT);
        sll + mtu
    }

    /// Appends the options: source link-layer address first, then MTU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(LinkLayerAddr(mac)) = self.source_link_layer {
            out.extend_from_slice(&[OPT_SOURCE_LINK_LAYER, SOURCE_LINK_LAYER_UNITS]);
            out.extend_from_slice(&mac);
        }
        if let Some(mtu) = self.mtu {
            out.extend_from_slice(&[OPT_MTU, MTU_UNITS, 0, 0]);
            out.extend_from_slice(&mtu.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_options_are_skipped_and_known_ones_read() {
        // Prefix Information (type 3, length 4 = 32 octets), then SLLA, then MTU.
        let mut buf = vec![3, 4];
        buf.extend_from_slice(&[0xaa; 30]);
        buf.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 7]);
        buf.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x23, 0x28]);
        let o = RaOptions::decode(&buf, 16).expect("valid options");
        assert_eq!(o.source_link_layer, Some(LinkLayerAddr([2, 0, 0, 0, 0, 7])));
        assert_eq!(o.mtu, Some(9000));
    }

    #[test]
    fn zero_length_is_an_error_not_a_loop() {
        let e = RaOptions::decode(&[9, 0, 0, 0, 0, 0, 0, 0], 16).unwrap_err();
        assert_eq!(
            e,
            DecodeError::ZeroLengthOption {
                kind: 9,
                offset: 16
            }
        );
    }

    #[test]
    fn lengths_past_the_end_and_lone_octets_are_errors() {
        let e = RaOptions::decode(&[1, 2, 0, 0, 0, 0, 0, 0], 16).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::OptionOverrun {
                claimed: 16,
                left: 8,
                ..
            }
        ));
        let e = RaOptions::decode(&[1], 16).unwrap_err();
        assert_eq!(
            e,
            DecodeError::OptionTruncated {
                offset: 16,
                left: 1
            }
        );
    }

    #[test]
    fn an_mtu_option_of_the_wrong_length_is_refused() {
        let e =
            RaOptions::decode(&[5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 16).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadOptionLength {
                kind: 5,
                units: 2,
                ..
            }
        ));
    }

    #[test]
    fn a_non_ethernet_link_layer_address_is_skipped() {
        let mut buf = vec![1, 3];
        buf.extend_from_slice(&[0x11; 22]);
        let o = RaOptions::decode(&buf, 16).expect("skipped");
        assert_eq!(o.source_link_layer, None);
    }
}
