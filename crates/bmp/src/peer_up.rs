//! Peer Up Notification (RFC 7854 §4.10; for the Loc-RIB, RFC 9069 §5.3).
//!
//! ```text
//! Common Header (type 3), Per-Peer Header, then:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Local Address (16 bytes)                      |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Local Port            |        Remote Port            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sent OPEN Message                          |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Received OPEN Message                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Information (variable)                        |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! The OPENs are whole BGP messages (marker, length, type, body); their own
//! length fields delimit them. The local address is IPv4 (last 4 octets)
//! or IPv6 as the Per-Peer Header's V flag says. For the Loc-RIB the
//! OPENs are fabricated (the same one twice, with the capabilities the
//! Route Monitoring UPDATEs need), the address and ports are zero, and a
//! VRF/Table Name TLV names the table.
//! ```

use std::net::IpAddr;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{PeerHeader, Reader, begin, finish, msg_type, put_address};
use crate::tlv::Tlv;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerUp {
    pub peer: PeerHeader,
    pub local_address: IpAddr,
    pub local_port: u16,
    pub remote_port: u16,
    /// The OPEN evpnd sent, as a whole BGP message.
    pub sent_open: Vec<u8>,
    /// The OPEN the peer sent, as a whole BGP message.
    pub received_open: Vec<u8>,
    pub info: Vec<Tlv>,
}

impl PeerUp {
    pub fn encode(&self, out: &mut BytesMut) {
        let s = begin(out, msg_type::PEER_UP);
        self.peer.encode(out);
        put_address(out, self.local_address);
        out.put_u16(self.local_port);
        out.put_u16(self.remote_port);
        out.put_slice(&self.sent_open);
        out.put_slice(&self.received_open);
        for t in &self.info {
            t.encode(out);
        }
        finish(out, s);
    }

    pub fn decode_body(body: &[u8]) -> Result<PeerUp, DecodeError> {
        let mut r = Reader::new(body, "peer up");
        let peer = PeerHeader::decode(&mut r)?;
        let local_address = r.address(peer.is_v6())?;
        let local_port = r.u16()?;
        let remote_port = r.u16()?;
        let sent_open = r.bgp_message()?.to_vec();
        let received_open = r.bgp_message()?.to_vec();
        let info = Tlv::decode_all(r.rest())?;
        Ok(PeerUp {
            peer,
            local_address,
            local_port,
            remote_port,
            sent_open,
            received_open,
            info,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::header::{PEER_HEADER_LEN, Timestamp};
    use crate::tlv::info_type;

    /// A minimal OPEN: header + version 4, AS, hold, id, no parameters.
    fn open(asn: u16, id: [u8; 4]) -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend(29u16.to_be_bytes());
        v.push(1);
        v.push(4);
        v.extend(asn.to_be_bytes());
        v.extend(90u16.to_be_bytes());
        v.extend(id);
        v.push(0);
        v
    }

    #[test]
    fn peer_up_by_hand() {
        let up = PeerUp {
            peer: PeerHeader::global(
                "10.0.0.2".parse().unwrap(),
                65002,
                Ipv4Addr::new(10, 0, 0, 2),
                0,
                Timestamp { secs: 7, micros: 0 },
            ),
            local_address: "10.0.0.1".parse().unwrap(),
            local_port: 179,
            remote_port: 40000,
            sent_open: open(65001, [10, 0, 0, 1]),
            received_open: open(65002, [10, 0, 0, 2]),
            info: vec![Tlv::text(info_type::STRING, "x")],
        };
        let mut b = BytesMut::new();
        up.encode(&mut b);
        let body_at = 6 + PEER_HEADER_LEN;
        let mut want = vec![0u8; 12];
        want.extend([10, 0, 0, 1]);
        want.extend(179u16.to_be_bytes());
        want.extend(40000u16.to_be_bytes());
        want.extend(open(65001, [10, 0, 0, 1]));
        want.extend(open(65002, [10, 0, 0, 2]));
        want.extend(b"\x00\x00\x00\x01x");
        assert_eq!(&b[body_at..], &want[..]);
        assert_eq!(b[5], msg_type::PEER_UP);
        let total = u32::from_be_bytes([b[1], b[2], b[3], b[4]]) as usize;
        assert_eq!(total, b.len());
        assert_eq!(PeerUp::decode_body(&b[6..]).unwrap(), up);
    }

    #[test]
    fn an_open_without_marker_is_malformed() {
        let mut up = PeerUp {
            peer: PeerHeader::loc_rib(1, Ipv4Addr::new(1, 1, 1, 1), Timestamp::ZERO),
            local_address: "0.0.0.0".parse().unwrap(),
            local_port: 0,
            remote_port: 0,
            sent_open: open(1, [1, 1, 1, 1]),
            received_open: open(1, [1, 1, 1, 1]),
            info: vec![],
        };
        up.sent_open[0] = 0;
        let mut b = BytesMut::new();
        up.encode(&mut b);
        assert!(matches!(
            PeerUp::decode_body(&b[6..]),
            Err(DecodeError::Malformed(_))
        ));
    }
}
