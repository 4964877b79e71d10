//! UPDATE message (RFC 4271 §4.3). Owned by the "attributes + UPDATE" work package.
//! CONTRACT (used by message.rs):
//!   pub struct Update { .. }
//!   pub fn decode_update(body: &[u8], ctx: &Context) -> Result<Update, NotifyError>
//!   impl Update { pub fn encode_body(&self, ctx: &Context, out: &mut bytes::BytesMut) }
//! `body` is the message after the 19-octet header.

use crate::{Context, NotifyError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {}

pub fn decode_update(_body: &[u8], _ctx: &Context) -> Result<Update, NotifyError> {
    todo!("attributes + UPDATE package")
}

impl Update {
    pub fn encode_body(&self, _ctx: &Context, _out: &mut bytes::BytesMut) {
        todo!("attributes + UPDATE package")
    }
}
