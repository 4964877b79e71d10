//! Small fixed-layout attributes: ORIGIN, AGGREGATOR, COMMUNITIES,
//! LARGE_COMMUNITY, CLUSTER_LIST.
//!
//! ```text
//! ORIGIN (1):            | origin (1): 0 IGP, 1 EGP, 2 INCOMPLETE |
//! AGGREGATOR (7):        | AS (2, or 4 with 4-octet AS) | IPv4 address (4) |
//! AS4_AGGREGATOR (18):   | AS (4) | IPv4 address (4) |
//! COMMUNITIES (8):       | community (4) | ...                       (RFC 1997)
//! LARGE_COMMUNITY (32):  | global admin (4) | local 1 (4) | local 2 (4) | ... (RFC 8092)
//! CLUSTER_LIST (10):     | cluster id (4) | ...                      (RFC 4456)
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Igp,
    Egp,
    Incomplete,
}

impl Origin {
    pub fn code(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }
    pub fn from_code(c: u8) -> Option<Origin> {
        match c {
            0 => Some(Origin::Igp),
            1 => Some(Origin::Egp),
            2 => Some(Origin::Incomplete),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Igp => "igp",
            Origin::Egp => "egp",
            Origin::Incomplete => "incomplete",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Aggregator {
    pub asn: u32,
    pub address: Ipv4Addr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LargeCommunity {
    pub global: u32,
    pub local1: u32,
    pub local2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

/// Formats a standard community as `AS:value`, with the RFC 1997 well-known names.
pub fn community_str(c: u32) -> String {
    match c {
        0xFFFF_FF01 => "no-export".into(),
        0xFFFF_FF02 => "no-advertise".into(),
        0xFFFF_FF03 => "no-export-subconfed".into(),
        0xFFFF_0000 => "graceful-shutdown".into(),
        _ => format!("{}:{}", c >> 16, c & 0xffff),
    }
}

pub(crate) fn u32s(v: &[u8]) -> Vec<u32> {
    v.chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
