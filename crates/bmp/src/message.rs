//! One BMP message of any type: encode, and decode from a byte stream (for
//! tests and tools; evpnd itself only sends).

use bytes::BytesMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::header::{COMMON_HEADER_LEN, CommonHeader, msg_type};
use crate::initiation::Initiation;
use crate::peer_down::PeerDown;
use crate::peer_up::PeerUp;
use crate::route_monitoring::RouteMonitoring;
use crate::stats::StatisticsReport;
use crate::termination::Termination;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "message", rename_all = "snake_case")]
pub enum Message {
    RouteMonitoring(RouteMonitoring),
    StatisticsReport(StatisticsReport),
    PeerDown(PeerDown),
    PeerUp(PeerUp),
    Initiation(Initiation),
    Termination(Termination),
}

impl Message {
    /// Appends the whole message to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Message::RouteMonitoring(m) => m.encode(out),
            Message::StatisticsReport(m) => m.encode(out),
            Message::PeerDown(m) => m.encode(out),
            Message::PeerUp(m) => m.encode(out),
            Message::Initiation(m) => m.encode(out),
            Message::Termination(m) => m.encode(out),
        }
    }

    pub fn to_bytes(&self) -> BytesMut {
        let mut b = BytesMut::new();
        self.encode(&mut b);
        b
    }

    /// Decodes the message at the start of `buf`; returns it and its length.
    /// [`DecodeError::Short`] when `buf` holds only part of it.
    pub fn decode(buf: &[u8]) -> Result<(Message, usize), DecodeError> {
        let h = CommonHeader::decode(buf)?;
        let len = h.length as usize;
        let whole = buf
            .get(..len)
            .ok_or_else(|| DecodeError::short("message", len, buf.len()))?;
        let body = &whole[COMMON_HEADER_LEN..];
        let m = match h.msg_type {
            msg_type::ROUTE_MONITORING => {
                Message::RouteMonitoring(RouteMonitoring::decode_body(body)?)
            }
            msg_type::STATISTICS_REPORT => {
                Message::StatisticsReport(StatisticsReport::decode_body(body)?)
            }
            msg_type::PEER_DOWN => Message::PeerDown(PeerDown::decode_body(body)?),
            msg_type::PEER_UP => Message::PeerUp(PeerUp::decode_body(body)?),
            msg_type::INITIATION => Message::Initiation(Initiation::decode_body(body)?),
            msg_type::TERMINATION => Message::Termination(Termination::decode_body(body)?),
            t => return Err(DecodeError::UnknownType(t)),
        };
        Ok((m, len))
    }
}

/// Every whole message in `buf`, and how many octets they took (a partial
/// message at the end is left for later).
pub fn decode_stream(buf: &[u8]) -> Result<(Vec<Message>, usize), DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        match Message::decode(&buf[at..]) {
            Ok((m, n)) => {
                out.push(m);
                at += n;
            }
            Err(DecodeError::Short { .. }) if is_partial(&buf[at..]) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((out, at))
}

/// Whether `buf` is the beginning of a message that has not fully arrived.
fn is_partial(buf: &[u8]) -> bool {
    match CommonHeader::decode(buf) {
        Ok(h) => buf.len() < h.length as usize,
        Err(DecodeError::Short { .. }) => true,
        Err(_) => false,
    }
}
