//! NLRI encodings: IPv4/IPv6 prefixes ([`prefix`]) and EVPN routes ([`evpn`]).

pub mod evpn;
pub mod prefix;

use serde::{Deserialize, Serialize};

use crate::error::{Action, NlriReason};

/// An NLRI field or route that could not be parsed, and what RFC 7606 says to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}")]
pub struct NlriError {
    /// What RFC 7606 prescribes: `SessionReset` for any syntax error (§5.3,
    /// ADR 0017), `TreatAsWithdraw` for a type-5 route with two overlay
    /// indexes, `RouteDiscard` for an unknown EVPN route type (§5.4).
    pub action: Action,
    /// Which kind of problem, for counting.
    pub kind: NlriReason,
    pub reason: String,
}

impl NlriError {
    /// An error whose action follows from its kind.
    pub fn new(kind: NlriReason, reason: String) -> NlriError {
        NlriError {
            action: kind.action(),
            kind,
            reason,
        }
    }
}

pub(crate) fn ser_display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
