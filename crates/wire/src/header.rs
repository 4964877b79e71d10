//! BGP message header (RFC 4271 §4.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                     Marker (16 octets of 0xff)                +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Length               |      Type     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! Type: 1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE, 5 ROUTE-REFRESH
//! ```

use crate::error::{NotifyError, code, subcode};

/// Fixed header length: 16-octet marker + 2-octet length + 1-octet type.
pub const HEADER_LEN: usize = 19;
/// Maximum message length without RFC 8654 extended messages.
pub const MAX_LEN: usize = 4096;
/// Maximum message length with RFC 8654 extended messages.
pub const MAX_EXTENDED_LEN: usize = 65535;

pub mod msg_type {
    pub const OPEN: u8 = 1;
    pub const UPDATE: u8 = 2;
    pub const NOTIFICATION: u8 = 3;
    pub const KEEPALIVE: u8 = 4;
    pub const ROUTE_REFRESH: u8 = 5;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub length: u16,
    pub msg_type: u8,
}

/// Smallest valid length per message type (RFC 4271 §6.1); ROUTE-REFRESH's own
/// length rule (exactly 23) is checked by its decoder (RFC 7313 §5).
fn min_len(t: u8) -> Option<usize> {
    Some(match t {
        msg_type::OPEN => 29,
        msg_type::UPDATE => 23,
        msg_type::NOTIFICATION => 21,
        msg_type::KEEPALIVE => 19,
        msg_type::ROUTE_REFRESH => 19,
        _ => return None,
    })
}

/// Checks the first 19 octets of `buf`. `max_len` is 4096 or 65535.
pub fn parse_header(buf: &[u8], max_len: usize) -> Result<Header, NotifyError> {
    let h = buf.get(..HEADER_LEN).ok_or_else(|| {
        NotifyError::bad_length(buf.len() as u16, "message shorter than the 19-octet header")
    })?;
    if h[..16].iter().any(|b| *b != 0xff) {
        return Err(NotifyError::new(
            code::MESSAGE_HEADER,
            subcode::CONNECTION_NOT_SYNCHRONIZED,
            Vec::new(),
            "marker is not all ones",
        ));
    }
    let length = u16::from_be_bytes([h[16], h[17]]);
    let msg_type = h[18];
    let Some(min) = min_len(msg_type) else {
        return Err(NotifyError::new(
            code::MESSAGE_HEADER,
            subcode::BAD_MESSAGE_TYPE,
            vec![msg_type],
            format!("unknown message type {msg_type}"),
        ));
    };
    let l = usize::from(length);
    if l < min || l > max_len || (msg_type == msg_type::KEEPALIVE && l != HEADER_LEN) {
        return Err(NotifyError::bad_length(
            length,
            format!("length {length} is invalid for message type {msg_type} (max {max_len})"),
        ));
    }
    Ok(Header { length, msg_type })
}
