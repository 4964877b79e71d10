//! Typed errors of the codec and of the discovery configuration. Every
//! malformed octet string maps to one [`DecodeError`]; nothing panics.

use thiserror::Error;

/// Why an ICMPv6 message is not a valid Router Advertisement or
/// Solicitation (RFC 4861 §6.1: a receiver silently discards it; we count
/// and log it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Fewer octets than the fixed header (RA 16, RS 8).
    #[error("message truncated: {len} octets, at least {min} needed")]
    Truncated { len: usize, min: usize },
    /// The ICMPv6 type is not the one expected (134 RA, 133 RS).
    #[error("ICMPv6 type {got}, expected {expected}")]
    UnexpectedType { got: u8, expected: u8 },
    /// RFC 4861 §6.1.1/§6.1.2: the ICMP code must be 0.
    #[error("ICMP code {0}, must be 0")]
    BadCode(u8),
    /// An option header does not fit in what is left of the message.
    #[error("option at offset {offset} truncated: {left} octets left")]
    OptionTruncated { offset: usize, left: usize },
    /// RFC 4861 §4.6: an option with length 0 is invalid (and would loop).
    #[error("option type {kind} at offset {offset} has length 0")]
    ZeroLengthOption { kind: u8, offset: usize },
    /// The option's length runs past the end of the message.
    #[error("option type {kind} at offset {offset} claims {claimed} octets, {left} left")]
    OptionOverrun {
        kind: u8,
        offset: usize,
        claimed: usize,
        left: usize,
    },
    /// A known option with a length its definition does not allow.
    #[error("option type {kind} has length {units} (units of 8 octets), must be {expected}")]
    BadOptionLength { kind: u8, units: u8, expected: u8 },
}

/// Why a [`crate::DiscoveryConfig`] is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("ra interval {got_ms} ms is below the minimum of {min_ms} ms")]
    IntervalTooShort { got_ms: u128, min_ms: u128 },
    #[error("ra interval {got_s} s is above the maximum of {max_s} s (RFC 4861 MaxRtrAdvInterval)")]
    IntervalTooLong { got_s: u64, max_s: u64 },
    #[error(
        "router lifetime {got_s} s must lie between the ra interval ({interval_s} s) and {max_s} s (RFC 4861 §6.2.1)"
    )]
    BadLifetime {
        got_s: u64,
        interval_s: u64,
        max_s: u64,
    },
    #[error("peer timeout {got_ms} ms is below the minimum of {min_ms} ms")]
    TimeoutTooShort { got_ms: u128, min_ms: u128 },
}
