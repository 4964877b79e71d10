//! The BGP message enum: decode one whole message, encode one.

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::context::Context;
use crate::error::NotifyError;
use crate::header::{HEADER_LEN, msg_type, parse_header};
use crate::notification::Notification;
use crate::open::Open;
use crate::route_refresh::RouteRefresh;
use crate::update::{Update, decode_update};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "message", rename_all = "snake_case")]
pub enum Message {
    Open(Open),
    Update(Update),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
}

/// Decodes one complete message (header included; `buf` must be exactly one message).
pub fn decode_message(buf: &[u8], ctx: &Context) -> Result<Message, NotifyError> {
    let h = parse_header(buf, ctx.max_message_len())?;
    if usize::from(h.length) != buf.len() {
        return Err(NotifyError::bad_length(
            h.length,
            format!("header length {} but {} octets given", h.length, buf.len()),
        ));
    }
    let body = &buf[HEADER_LEN..];
    Ok(match h.msg_type {
        msg_type::OPEN => Message::Open(Open::decode(body)?),
        msg_type::UPDATE => Message::Update(decode_update(body, ctx)?),
        msg_type::NOTIFICATION => Message::Notification(Notification::decode(body)?),
        msg_type::KEEPALIVE => Message::Keepalive,
        _ => Message::RouteRefresh(RouteRefresh::decode(body, buf)?),
    })
}

impl Message {
    pub fn type_code(&self) -> u8 {
        match self {
            Message::Open(_) => msg_type::OPEN,
            Message::Update(_) => msg_type::UPDATE,
            Message::Notification(_) => msg_type::NOTIFICATION,
            Message::Keepalive => msg_type::KEEPALIVE,
            Message::RouteRefresh(_) => msg_type::ROUTE_REFRESH,
        }
    }

    /// Appends the whole message (header included) to `out`.
    pub fn encode(&self, ctx: &Context, out: &mut BytesMut) {
        let start = out.len();
        out.put_slice(&[0xff; 16]);
        out.put_u16(0);
        out.put_u8(self.type_code());
        match self {
            Message::Open(o) => o.encode_body(out),
            Message::Update(u) => u.encode_body(ctx, out),
            Message::Notification(n) => n.encode_body(out),
            Message::Keepalive => {}
            Message::RouteRefresh(r) => r.encode_body(out),
        }
        let len = (out.len() - start).min(usize::from(u16::MAX)) as u16;
        out[start + 16..start + 18].copy_from_slice(&len.to_be_bytes());
    }

    pub fn to_bytes(&self, ctx: &Context) -> BytesMut {
        let mut b = BytesMut::new();
        self.encode(ctx, &mut b);
        b
    }
}
