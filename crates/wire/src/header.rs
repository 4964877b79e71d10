//! BGP message header (RFC 4271 §4.1). Owned by the "messages" work package.

/// Fixed header length: 16-octet marker + 2-octet length + 1-octet type.
pub const HEADER_LEN: usize = 19;
/// Maximum message length without RFC 8654 extended messages.
pub const MAX_LEN: usize = 4096;
/// Maximum message length with RFC 8654 extended messages.
pub const MAX_EXTENDED_LEN: usize = 65535;
