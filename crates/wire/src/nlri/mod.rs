//! NLRI encodings: IPv4/IPv6 prefixes ([`prefix`]) and EVPN routes ([`evpn`]).

pub mod evpn;
pub mod prefix;

use serde::{Deserialize, Serialize};

use crate::error::Action;

/// An NLRI field or route that could not be parsed, and what RFC 7606 says to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}")]
pub struct NlriError {
    /// `SessionReset` when NLRI boundaries are lost (RFC 7606 §5.4; the MP
    /// attribute code may downgrade to `AfiSafiDisable`); `TreatAsWithdraw`
    /// when one route is internally inconsistent but still delimited.
    pub action: Action,
    pub reason: String,
}

pub(crate) fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
