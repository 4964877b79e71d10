//! Route Monitoring (RFC 7854 §4.6; Loc-RIB: RFC 9069 §5.2).
//!
//! ```text
//! Common Header (type 0), Per-Peer Header, then one BGP UPDATE PDU:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                     Marker (16 octets of 0xff)                +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Length               |  Type (2)     |  UPDATE body  ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! The UPDATE is as the peer sent it (pre-policy, L clear), after import
//! policy (post-policy, L set), or the best path (Loc-RIB peer type 3).
//! AS_PATH is 4-octet unless the A flag says otherwise. The caller encodes
//! it with `evpnd_wire`; this module only frames it.
//! ```

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{PeerHeader, Reader, begin, finish, msg_type};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteMonitoring {
    pub peer: PeerHeader,
    /// One whole BGP UPDATE message (marker, length, type, body).
    pub update: Vec<u8>,
}

/// Appends a Route Monitoring message carrying `update` (a whole BGP
/// UPDATE message) without building a [`RouteMonitoring`].
pub fn encode(out: &mut BytesMut, peer: &PeerHeader, update: &[u8]) {
    let s = begin(out, msg_type::ROUTE_MONITORING);
    peer.encode(out);
    out.put_slice(update);
    finish(out, s);
}

/// The encoded length of a Route Monitoring message carrying `update_len` octets.
pub fn encoded_len(update_len: usize) -> usize {
    crate::header::COMMON_HEADER_LEN + crate::header::PEER_HEADER_LEN + update_len
}

impl RouteMonitoring {
    pub fn encode(&self, out: &mut BytesMut) {
        encode(out, &self.peer, &self.update);
    }

    pub fn decode_body(body: &[u8]) -> Result<RouteMonitoring, DecodeError> {
        let mut r = Reader::new(body, "route monitoring");
        let peer = PeerHeader::decode(&mut r)?;
        let update = r.bgp_message()?;
        if update.get(18) != Some(&evpnd_wire::header::msg_type::UPDATE) {
            return Err(DecodeError::Malformed(
                "route monitoring carries a BGP message that is not an UPDATE".into(),
            ));
        }
        if r.remaining() != 0 {
            return Err(DecodeError::Malformed(format!(
                "route monitoring: {} octets after the UPDATE",
                r.remaining()
            )));
        }
        Ok(RouteMonitoring {
            peer,
            update: update.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::header::{PEER_HEADER_LEN, Timestamp};

    #[test]
    fn route_monitoring_by_hand() {
        // The End-of-RIB of IPv4 unicast: an empty UPDATE (23 octets).
        let mut eor = vec![0xff; 16];
        eor.extend([0, 23, 2, 0, 0, 0, 0]);
        let peer = PeerHeader::loc_rib(65000, Ipv4Addr::new(10, 0, 0, 1), Timestamp::ZERO);
        let mut b = BytesMut::new();
        encode(&mut b, &peer, &eor);
        assert_eq!(&b[..6], &[3, 0, 0, 0, 71, 0]);
        assert_eq!(b.len(), encoded_len(eor.len()));
        assert_eq!(&b[6 + PEER_HEADER_LEN..], &eor[..]);
        let back = RouteMonitoring::decode_body(&b[6..]).unwrap();
        assert_eq!(back.update, eor);
        assert_eq!(back.peer, peer);
    }

    #[test]
    fn a_keepalive_is_not_route_monitoring() {
        let mut ka = vec![0xff; 16];
        ka.extend([0, 19, 4]);
        let peer = PeerHeader::loc_rib(1, Ipv4Addr::new(1, 1, 1, 1), Timestamp::ZERO);
        let mut b = BytesMut::new();
        encode(&mut b, &peer, &ka);
        assert!(RouteMonitoring::decode_body(&b[6..]).is_err());
    }
}
