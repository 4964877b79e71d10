//! What to do about malformed input, as RFC 4271 §6 and RFC 7606 §2 prescribe.
//!
//! Two outcomes exist for a decode:
//! * a [`NotifyError`]: the message cannot be used and the session must be
//!   reset with this NOTIFICATION (code, subcode, data);
//! * a successful decode that carries [`UpdateIssue`]s: RFC 7606 softer
//!   handling (treat-as-withdraw, AFI/SAFI disable, attribute discard) where the
//!   session stays up and the issue is reported.

use serde::{Deserialize, Serialize};

/// NOTIFICATION error codes (RFC 4271 §4.5, RFC 2918, RFC 7313).
pub mod code {
    pub const MESSAGE_HEADER: u8 = 1;
    pub const OPEN_MESSAGE: u8 = 2;
    pub const UPDATE_MESSAGE: u8 = 3;
    pub const HOLD_TIMER_EXPIRED: u8 = 4;
    pub const FSM: u8 = 5;
    pub const CEASE: u8 = 6;
    pub const ROUTE_REFRESH: u8 = 7;
}

/// Subcodes per error code (RFC 4271 §6.1-§6.3, RFC 5492, RFC 9234, RFC 4486, RFC 8538, RFC 7313).
pub mod subcode {
    // Message header error
    pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
    pub const BAD_MESSAGE_LENGTH: u8 = 2;
    pub const BAD_MESSAGE_TYPE: u8 = 3;
    // OPEN message error
    pub const UNSUPPORTED_VERSION: u8 = 1;
    pub const BAD_PEER_AS: u8 = 2;
    pub const BAD_BGP_IDENTIFIER: u8 = 3;
    pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
    pub const ROLE_MISMATCH: u8 = 11;
    // UPDATE message error
    pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
    pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
    pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
    pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
    pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
    pub const INVALID_ORIGIN_ATTRIBUTE: u8 = 6;
    pub const INVALID_NEXT_HOP_ATTRIBUTE: u8 = 8;
    pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
    pub const INVALID_NETWORK_FIELD: u8 = 10;
    pub const MALFORMED_AS_PATH: u8 = 11;
    // Cease
    pub const MAXIMUM_PREFIXES_REACHED: u8 = 1;
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    pub const PEER_DECONFIGURED: u8 = 3;
    pub const ADMINISTRATIVE_RESET: u8 = 4;
    pub const CONNECTION_REJECTED: u8 = 5;
    pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
    pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
    pub const OUT_OF_RESOURCES: u8 = 8;
    pub const HARD_RESET: u8 = 9;
    // ROUTE-REFRESH message error
    pub const INVALID_MESSAGE_LENGTH: u8 = 1;
}

/// A fatal decode error: the receiver must send this NOTIFICATION and close
/// the session. `reason` is for humans (logs, `evpnctl decode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason} (NOTIFICATION {code}/{subcode})")]
pub struct NotifyError {
    pub code: u8,
    pub subcode: u8,
    /// The NOTIFICATION's data field, as RFC 4271 §6 specifies it per error.
    pub data: Vec<u8>,
    pub reason: String,
    /// Set when the reset is for a malformed NLRI: which kind, so the
    /// receiver can count resets per reason (ADR 0017).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlri: Option<NlriReason>,
}

impl NotifyError {
    pub fn new(code: u8, subcode: u8, data: impl Into<Vec<u8>>, reason: impl Into<String>) -> Self {
        NotifyError {
            code,
            subcode,
            data: data.into(),
            reason: reason.into(),
            nlri: None,
        }
    }

    /// The same error, tagged with the NLRI problem that caused it.
    pub fn with_nlri(mut self, reason: Option<NlriReason>) -> Self {
        self.nlri = reason;
        self
    }
    /// Message Header Error / Bad Message Length, data = the offending length.
    pub fn bad_length(len: u16, reason: impl Into<String>) -> Self {
        Self::new(
            code::MESSAGE_HEADER,
            subcode::BAD_MESSAGE_LENGTH,
            len.to_be_bytes(),
            reason,
        )
    }
}

/// RFC 7606 §2 error-handling approaches, ordered weakest to strongest so the
/// verdict for a whole UPDATE is the `max` of its issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// One route is dropped, the rest of the UPDATE is used: an unknown EVPN
    /// route type (RFC 7606 §5.4). Only ever `route_only`.
    RouteDiscard,
    /// The attribute is dropped, the rest of the UPDATE is used.
    AttributeDiscard,
    /// Every NLRI in the UPDATE (including MP_REACH) is handled as withdrawn.
    TreatAsWithdraw,
    /// The AFI/SAFI of the unparseable NLRI is disabled (RFC 4760 §7).
    AfiSafiDisable,
    /// The session is reset with a NOTIFICATION.
    SessionReset,
}

/// One problem found in an UPDATE that RFC 7606 lets the session survive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateIssue {
    /// Path attribute type code the issue is about (`None`: not an attribute, e.g. NLRI).
    pub attr_type: Option<u8>,
    pub action: Action,
    /// The action applies to one route only (a malformed but delimited EVPN
    /// route, dropped), not to the whole UPDATE: it does not count toward
    /// the UPDATE's verdict.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub route_only: bool,
    pub reason: String,
    /// For an issue with one NLRI: which kind, so it can be counted per reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlri: Option<NlriReason>,
    /// A route to treat as withdrawn (RFC 9136 §3.2 type 5 with two overlay
    /// indexes): the receiver withdraws its key from this peer.
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub withdraw: Option<crate::nlri::evpn::EvpnNlri>,
}

/// Why an NLRI was refused, one value per counter (ADR 0017). The first two
/// are route-only (the rest of the UPDATE is used); every other one resets
/// the session with NOTIFICATION 3/9 (RFC 7606 §5.3), as FRR does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NlriReason {
    /// An EVPN route type this speaker does not know: discarded (RFC 7606 §5.4).
    UnknownRouteType,
    /// A type-5 route with both ESI and gateway IP set: treated as withdrawn
    /// (RFC 9136 §3.2); the issue carries the route so its key is withdrawn.
    EsiAndGateway,
    /// A route's Length octet does not fit its route type (too short, too
    /// long, or octets left over after the last field).
    RouteLength,
    /// Type 2 MAC Address Length other than 48.
    MacLength,
    /// An IP Address Length other than 0/32/128 (type 2) or 32/128 (types 3, 4).
    IpLength,
    /// A type-2 route with no room for its label.
    LabelMissing,
    /// A type-5 (or unicast) prefix length beyond 32 / 128.
    PrefixLength,
    /// A Length that runs past the attribute, or a truncated header: the NLRI
    /// boundaries are lost (RFC 7606 §5.3).
    BoundaryLost,
}

impl NlriReason {
    /// Every reason, in counter order.
    pub const ALL: [NlriReason; 8] = [
        NlriReason::UnknownRouteType,
        NlriReason::EsiAndGateway,
        NlriReason::RouteLength,
        NlriReason::MacLength,
        NlriReason::IpLength,
        NlriReason::LabelMissing,
        NlriReason::PrefixLength,
        NlriReason::BoundaryLost,
    ];

    /// The RFC 7606 action this reason calls for (ADR 0017).
    pub fn action(self) -> Action {
        match self {
            NlriReason::UnknownRouteType => Action::RouteDiscard,
            NlriReason::EsiAndGateway => Action::TreatAsWithdraw,
            _ => Action::SessionReset,
        }
    }

    /// A stable name for metrics labels and logs (`mac_length`).
    pub fn as_str(self) -> &'static str {
        match self {
            NlriReason::UnknownRouteType => "unknown_route_type",
            NlriReason::EsiAndGateway => "esi_and_gateway",
            NlriReason::RouteLength => "route_length",
            NlriReason::MacLength => "mac_length",
            NlriReason::IpLength => "ip_length",
            NlriReason::LabelMissing => "label_missing",
            NlriReason::PrefixLength => "prefix_length",
            NlriReason::BoundaryLost => "boundary_lost",
        }
    }
}

impl std::fmt::Display for NlriReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
