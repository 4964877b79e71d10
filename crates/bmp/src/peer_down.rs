//! Peer Down Notification (RFC 7854 §4.9).
//!
//! ```text
//! Common Header (type 2), Per-Peer Header, then:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+
//! |    Reason     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Data (present if Reason = 1, 2 or 3)               |
//! ~                                                               ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! Reason 1: the local system closed the session; Data = the NOTIFICATION
//!           it sent (whole BGP message).
//! Reason 2: the local system closed without a NOTIFICATION; Data = the
//!           2-octet FSM event code (RFC 4271 §8.1), 0 if none applies.
//! Reason 3: the remote system closed with a NOTIFICATION; Data = that PDU.
//! Reason 4: the remote system closed without a NOTIFICATION (no data).
//! Reason 5: the peer was de-configured (no data).
//! ```

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{PeerHeader, Reader, begin, finish, msg_type};

/// Peer Down reason codes.
pub mod reason_code {
    pub const LOCAL_NOTIFICATION: u8 = 1;
    pub const LOCAL_NO_NOTIFICATION: u8 = 2;
    pub const REMOTE_NOTIFICATION: u8 = 3;
    pub const REMOTE_NO_DATA: u8 = 4;
    pub const DECONFIGURED: u8 = 5;
}

/// Why a peer went down, with the data its reason carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PeerDownReason {
    /// 1: we sent this NOTIFICATION (whole BGP message).
    LocalNotification(Vec<u8>),
    /// 2: we closed without a NOTIFICATION; the FSM event code.
    LocalNoNotification(u16),
    /// 3: the peer sent this NOTIFICATION (whole BGP message).
    RemoteNotification(Vec<u8>),
    /// 4: the peer closed the connection.
    RemoteNoData,
    /// 5: the neighbour was removed from the configuration.
    Deconfigured,
    /// Any other reason code (RFC 9069's 6, later ones), data as read.
    Other { code: u8, data: Vec<u8> },
}

impl PeerDownReason {
    pub fn code(&self) -> u8 {
        match self {
            PeerDownReason::LocalNotification(_) => reason_code::LOCAL_NOTIFICATION,
            PeerDownReason::LocalNoNotification(_) => reason_code::LOCAL_NO_NOTIFICATION,
            PeerDownReason::RemoteNotification(_) => reason_code::REMOTE_NOTIFICATION,
            PeerDownReason::RemoteNoData => reason_code::REMOTE_NO_DATA,
            PeerDownReason::Deconfigured => reason_code::DECONFIGURED,
            PeerDownReason::Other { code, .. } => *code,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerDown {
    pub peer: PeerHeader,
    pub reason: PeerDownReason,
}

impl PeerDown {
    pub fn encode(&self, out: &mut BytesMut) {
        let s = begin(out, msg_type::PEER_DOWN);
        self.peer.encode(out);
        out.put_u8(self.reason.code());
        match &self.reason {
            PeerDownReason::LocalNotification(pdu) | PeerDownReason::RemoteNotification(pdu) => {
                out.put_slice(pdu)
            }
            PeerDownReason::LocalNoNotification(event) => out.put_u16(*event),
            PeerDownReason::RemoteNoData | PeerDownReason::Deconfigured => {}
            PeerDownReason::Other { data, .. } => out.put_slice(data),
        }
        finish(out, s);
    }

    pub fn decode_body(body: &[u8]) -> Result<PeerDown, DecodeError> {
        let mut r = Reader::new(body, "peer down");
        let peer = PeerHeader::decode(&mut r)?;
        let code = r.u8()?;
        let reason = match code {
            reason_code::LOCAL_NOTIFICATION => {
                PeerDownReason::LocalNotification(r.bgp_message()?.to_vec())
            }
            reason_code::LOCAL_NO_NOTIFICATION => PeerDownReason::LocalNoNotification(r.u16()?),
            reason_code::REMOTE_NOTIFICATION => {
                PeerDownReason::RemoteNotification(r.bgp_message()?.to_vec())
            }
            reason_code::REMOTE_NO_DATA => PeerDownReason::RemoteNoData,
            reason_code::DECONFIGURED => PeerDownReason::Deconfigured,
            code => PeerDownReason::Other {
                code,
                data: r.rest().to_vec(),
            },
        };
        if r.remaining() != 0 {
            return Err(DecodeError::Malformed(format!(
                "peer down reason {code}: {} octets after the data",
                r.remaining()
            )));
        }
        Ok(PeerDown { peer, reason })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::header::{PEER_HEADER_LEN, Timestamp};

    fn header() -> PeerHeader {
        PeerHeader::global(
            "10.0.0.2".parse().unwrap(),
            65002,
            Ipv4Addr::new(10, 0, 0, 2),
            0,
            Timestamp::ZERO,
        )
    }

    fn body(reason: PeerDownReason) -> Vec<u8> {
        let mut b = BytesMut::new();
        let d = PeerDown {
            peer: header(),
            reason,
        };
        d.encode(&mut b);
        assert_eq!(PeerDown::decode_body(&b[6..]).unwrap(), d);
        b[6 + PEER_HEADER_LEN..].to_vec()
    }

    #[test]
    fn every_reason_by_hand() {
        // Cease / Administrative Shutdown, as a whole NOTIFICATION message.
        let mut notif = vec![0xff; 16];
        notif.extend([0, 21, 3, 6, 2]);
        let mut want = vec![1];
        want.extend(&notif);
        assert_eq!(body(PeerDownReason::LocalNotification(notif.clone())), want);
        // FSM event 18 (TcpConnectionFails).
        assert_eq!(body(PeerDownReason::LocalNoNotification(18)), [2, 0, 18]);
        want[0] = 3;
        assert_eq!(body(PeerDownReason::RemoteNotification(notif)), want);
        assert_eq!(body(PeerDownReason::RemoteNoData), [4]);
        assert_eq!(body(PeerDownReason::Deconfigured), [5]);
        assert_eq!(
            body(PeerDownReason::Other {
                code: 6,
                data: vec![0, 0, 0, 0]
            }),
            [6, 0, 0, 0, 0]
        );
    }

    #[test]
    fn trailing_octets_are_malformed() {
        let mut b = BytesMut::new();
        PeerDown {
            peer: header(),
            reason: PeerDownReason::RemoteNoData,
        }
        .encode(&mut b);
        b.put_u8(9);
        assert!(PeerDown::decode_body(&b[6..]).is_err());
    }
}
