//! NLRI encodings: IPv4/IPv6 prefixes ([`prefix`]) and EVPN routes ([`evpn`]).
//! Owned by the "NLRI" work package; the types and signatures here are the
//! contract the attribute/UPDATE code builds on.

pub mod evpn;
pub mod prefix;

use crate::error::Action;

/// An NLRI field that could not be parsed, and what RFC 7606 says to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NlriError {
    /// `SessionReset` / `AfiSafiDisable` when NLRI boundaries are lost
    /// (RFC 7606 §5.3); `TreatAsWithdraw` when the routes can still be named.
    pub action: Action,
    pub reason: String,
}
