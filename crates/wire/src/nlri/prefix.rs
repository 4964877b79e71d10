//! IPv4 / IPv6 prefixes (RFC 4271 §4.3, RFC 4760), optionally with an
//! RFC 7911 path identifier.
//!
//! ```text
//! +--------------------------+
//! | Path Identifier (4)      |  only when ADD-PATH is negotiated
//! +--------------------------+
//! | Length in bits (1)       |
//! +--------------------------+
//! | Prefix (ceil(len/8))     |
//! +--------------------------+
//! ```

use bytes::BytesMut;
use ipnet::IpNet;

use super::NlriError;
use crate::types::Afi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    pub path_id: Option<u32>,
    pub net: IpNet,
}

/// Decodes a run of prefixes of `afi` (IPv4 or IPv6).
pub fn decode_prefixes(_buf: &[u8], _afi: Afi, _add_path: bool) -> Result<Vec<Prefix>, NlriError> {
    todo!("NLRI package")
}

/// Appends `prefixes` in wire form (path ids written when `Some`).
pub fn encode_prefixes(_prefixes: &[Prefix], _out: &mut BytesMut) {
    todo!("NLRI package")
}
