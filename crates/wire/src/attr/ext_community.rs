//! Extended communities (RFC 4360, RFC 7153), type 16: a list of 8-octet values.
//!
//! ```text
//! +-----------+-----------+-----------------------------------------+
//! | Type (1)  | Subtype(1)| Value (6)                               |
//! +-----------+-----------+-----------------------------------------+
//! 0x00/0x01/0x02 + 0x02  route target  (AS2:u32 | IPv4:u16 | AS4:u16)   RFC 4360, 5668
//! 0x00/0x01/0x02 + 0x03  route origin / SoO (same encodings)
//! 0x03 + 0x0c            encapsulation: reserved (4) | tunnel type (2)   RFC 9012 §4.1
//! 0x03 + 0x0d            default gateway                                 RFC 7432 §7.8
//! 0x06 + 0x00            MAC mobility: flags (1, 0x01 sticky) | rsvd (1) | seq (4)  RFC 7432 §7.7
//! 0x06 + 0x01            ESI label: flags (1, 0x01 single-active) | rsvd (2) | label (3)
//! 0x06 + 0x02            ES-import route target: MAC (6)
//! 0x06 + 0x03            router's MAC: MAC (6)                           RFC 9135 §8.1
//! 0x06 + 0x06            DF election: DF type (1) | bitmap (2) | rsvd (1) | pref (2)  RFC 8584
//! 0x06 + 0x08            ND flags: flags (1) | rsvd (5)                  RFC 9047
//! ```
//! A value is typed only if re-encoding the typed form gives the same 8
//! octets (so reserved bits set by a peer survive unchanged); anything else
//! is kept raw.

use std::fmt;
use std::net::Ipv4Addr;

use serde::Serialize;

use crate::hex::Hex;
use crate::types::{Label3, MacAddr, RouteTarget};

/// RFC 9012 tunnel types seen in EVPN.
pub mod tunnel {
    pub const VXLAN: u16 = 8;
    pub const NVGRE: u16 = 9;
    pub const MPLS: u16 = 10;
    pub const MPLS_IN_GRE: u16 = 11;
    pub const VXLAN_GPE: u16 = 12;
    pub const MPLS_IN_UDP: u16 = 13;

    pub fn name(t: u16) -> Option<&'static str> {
        Some(match t {
            VXLAN => "vxlan",
            NVGRE => "nvgre",
            MPLS => "mpls",
            MPLS_IN_GRE => "mpls-in-gre",
            VXLAN_GPE => "vxlan-gpe",
            MPLS_IN_UDP => "mpls-in-udp",
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExtCommunity {
    RouteTarget {
        value: RouteTarget,
    },
    RouteOrigin {
        value: RouteTarget,
    },
    Encapsulation {
        tunnel_type: u16,
    },
    DefaultGateway,
    MacMobility {
        sticky: bool,
        sequence: u32,
    },
    EsiLabel {
        single_active: bool,
        label: Label3,
    },
    EsImportRouteTarget {
        mac: MacAddr,
    },
    RouterMac {
        mac: MacAddr,
    },
    DfElection {
        algorithm: u8,
        bitmap: u16,
        preference: u16,
    },
    Nd {
        flags: u8,
    },
    Raw {
        value: [u8; 8],
    },
}

fn admin(t: u8, v: &[u8; 8]) -> Option<RouteTarget> {
    let u16at = |i: usize| u16::from_be_bytes([v[i], v[i + 1]]);
    let u32at = |i: usize| u32::from_be_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
    match t {
        0x00 => Some(RouteTarget::As2 {
            asn: u16at(2),
            value: u32at(4),
        }),
        0x01 => Some(RouteTarget::Ipv4 {
            addr: Ipv4Addr::new(v[2], v[3], v[4], v[5]),
            value: u16at(6),
        }),
        0x02 => Some(RouteTarget::As4 {
            asn: u32at(2),
            value: u16at(6),
        }),
        _ => None,
    }
}

fn put_admin(o: &mut [u8; 8], rt: &RouteTarget, subtype: u8) {
    o[1] = subtype;
    match *rt {
        RouteTarget::As2 { asn, value } => {
            o[0] = 0x00;
            o[2..4].copy_from_slice(&asn.to_be_bytes());
            o[4..8].copy_from_slice(&value.to_be_bytes());
        }
        RouteTarget::Ipv4 { addr, value } => {
            o[0] = 0x01;
            o[2..6].copy_from_slice(&addr.octets());
            o[6..8].copy_from_slice(&value.to_be_bytes());
        }
        RouteTarget::As4 { asn, value } => {
            o[0] = 0x02;
            o[2..6].copy_from_slice(&asn.to_be_bytes());
            o[6..8].copy_from_slice(&value.to_be_bytes());
        }
    }
}

fn mac_at(v: &[u8; 8]) -> MacAddr {
    MacAddr([v[2], v[3], v[4], v[5], v[6], v[7]])
}

impl ExtCommunity {
    pub fn from_bytes(v: [u8; 8]) -> ExtCommunity {
        let typed = match (v[0], v[1]) {
            (t @ 0x00..=0x02, 0x02) => {
                admin(t, &v).map(|value| ExtCommunity::RouteTarget { value })
            }
            (t @ 0x00..=0x02, 0x03) => {
                admin(t, &v).map(|value| ExtCommunity::RouteOrigin { value })
            }
            (0x03, 0x0c) => Some(ExtCommunity::Encapsulation {
                tunnel_type: u16::from_be_bytes([v[6], v[7]]),
            }),
            (0x03, 0x0d) => Some(ExtCommunity::DefaultGateway),
            (0x06, 0x00) => Some(ExtCommunity::MacMobility {
                sticky: v[2] & 0x01 != 0,
                sequence: u32::from_be_bytes([v[4], v[5], v[6], v[7]]),
            }),
            (0x06, 0x01) => Some(ExtCommunity::EsiLabel {
                single_active: v[2] & 0x01 != 0,
                label: Label3([v[5], v[6], v[7]]),
            }),
            (0x06, 0x02) => Some(ExtCommunity::EsImportRouteTarget { mac: mac_at(&v) }),
            (0x06, 0x03) => Some(ExtCommunity::RouterMac { mac: mac_at(&v) }),
            (0x06, 0x06) => Some(ExtCommunity::DfElection {
                algorithm: v[2],
                bitmap: u16::from_be_bytes([v[3], v[4]]),
                preference: u16::from_be_bytes([v[6], v[7]]),
            }),
            (0x06, 0x08) => Some(ExtCommunity::Nd { flags: v[2] }),
            _ => None,
        };
        match typed {
            Some(t) if t.to_bytes() == v => t,
            _ => ExtCommunity::Raw { value: v },
        }
    }

    pub fn to_bytes(&self) -> [u8; 8] {
        let mut o = [0u8; 8];
        match *self {
            ExtCommunity::RouteTarget { value } => put_admin(&mut o, &value, 0x02),
            ExtCommunity::RouteOrigin { value } => put_admin(&mut o, &value, 0x03),
            ExtCommunity::Encapsulation { tunnel_type } => {
                o[..2].copy_from_slice(&[0x03, 0x0c]);
                o[6..].copy_from_slice(&tunnel_type.to_be_bytes());
            }
            ExtCommunity::DefaultGateway => o[..2].copy_from_slice(&[0x03, 0x0d]),
            ExtCommunity::MacMobility { sticky, sequence } => {
                o[..3].copy_from_slice(&[0x06, 0x00, u8::from(sticky)]);
                o[4..].copy_from_slice(&sequence.to_be_bytes());
            }
            ExtCommunity::EsiLabel {
                single_active,
                label,
            } => {
                o[..3].copy_from_slice(&[0x06, 0x01, u8::from(single_active)]);
                o[5..].copy_from_slice(&label.0);
            }
            ExtCommunity::EsImportRouteTarget { mac } => {
                o[..2].copy_from_slice(&[0x06, 0x02]);
                o[2..].copy_from_slice(&mac.0);
            }
            ExtCommunity::RouterMac { mac } => {
                o[..2].copy_from_slice(&[0x06, 0x03]);
                o[2..].copy_from_slice(&mac.0);
            }
            ExtCommunity::DfElection {
                algorithm,
                bitmap,
                preference,
            } => {
                o[..3].copy_from_slice(&[0x06, 0x06, algorithm]);
                o[3..5].copy_from_slice(&bitmap.to_be_bytes());
                o[6..].copy_from_slice(&preference.to_be_bytes());
            }
            ExtCommunity::Nd { flags } => o[..3].copy_from_slice(&[0x06, 0x08, flags]),
            ExtCommunity::Raw { value } => o = value,
        }
        o
    }

    /// The VXLAN encapsulation community (RFC 8365 §5.1.3).
    pub const VXLAN: ExtCommunity = ExtCommunity::Encapsulation {
        tunnel_type: tunnel::VXLAN,
    };
}

impl fmt::Display for ExtCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtCommunity::RouteTarget { value } => write!(f, "rt {value}"),
            ExtCommunity::RouteOrigin { value } => write!(f, "soo {value}"),
            ExtCommunity::Encapsulation { tunnel_type } => match tunnel::name(*tunnel_type) {
                Some(n) => write!(f, "encap {n}"),
                None => write!(f, "encap {tunnel_type}"),
            },
            ExtCommunity::DefaultGateway => f.write_str("default-gateway"),
            ExtCommunity::MacMobility { sticky, sequence } => {
                write!(
                    f,
                    "mac-mobility seq {sequence}{}",
                    if *sticky { " sticky" } else { "" }
                )
            }
            ExtCommunity::EsiLabel {
                single_active,
                label,
            } => write!(
                f,
                "esi-label {}{}",
                label.vni(),
                if *single_active {
                    " single-active"
                } else {
                    " all-active"
                }
            ),
            ExtCommunity::EsImportRouteTarget { mac } => write!(f, "es-import-rt {mac}"),
            ExtCommunity::RouterMac { mac } => write!(f, "router-mac {mac}"),
            ExtCommunity::DfElection {
                algorithm,
                bitmap,
                preference,
            } => {
                write!(
                    f,
                    "df-election alg {algorithm} bitmap {bitmap:#06x} pref {preference}"
                )
            }
            ExtCommunity::Nd { flags } => write!(f, "nd flags {flags:#04x}"),
            ExtCommunity::Raw { value } => write!(f, "raw {}", Hex(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_from_the_frr_vectors() {
        let cases: [(&str, &str); 5] = [
            ("0002fd8300000002", "rt 64899:2"),
            ("030c000000000008", "encap vxlan"),
            ("0600000000000001", "mac-mobility seq 1"),
            ("0600010000000005", "mac-mobility seq 5 sticky"),
            ("0603001122334455", "router-mac 00:11:22:33:44:55"),
        ];
        for (hex, text) in cases {
            let mut b = [0u8; 8];
            for (i, o) in b.iter_mut().enumerate() {
                *o = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).expect("hex");
            }
            let c = ExtCommunity::from_bytes(b);
            assert_eq!(c.to_string(), text);
            assert_eq!(c.to_bytes(), b);
        }
    }

    #[test]
    fn non_canonical_reserved_bits_stay_raw() {
        let b = [0x03, 0x0c, 0, 0, 1, 0, 0, 8];
        assert!(matches!(
            ExtCommunity::from_bytes(b),
            ExtCommunity::Raw { .. }
        ));
        let b = [0x43, 0x0c, 0, 0, 0, 0, 0, 8];
        assert!(matches!(
            ExtCommunity::from_bytes(b),
            ExtCommunity::Raw { .. }
        ));
    }
}
