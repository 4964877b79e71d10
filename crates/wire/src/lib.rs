//! `evpnd-wire`: the BGP-4 + L2VPN/EVPN codec.
//!
//! Exact (`encode(decode(b)) == b` for well-formed input), typed, and total:
//! any byte sequence yields either a value or an error that says what RFC 4271
//! / RFC 7606 prescribe ([`error`]). No I/O, no async, no panics on input.
//!
//! Module map (one protocol concept per module):
//! * [`types`]: families, MAC, RD, RT, ESI, VNI vs MPLS label
//! * [`header`], [`framing`]: the 19-octet header and splitting a TCP byte stream
//! * [`open`], [`capability`], [`notification`], [`route_refresh`], [`update`]: messages
//! * [`message`]: the message enum tying them together
//! * [`attr`]: path attributes (incl. extended communities, PMSI, MP_REACH/UNREACH)
//! * [`nlri`]: IPv4/IPv6 prefixes and EVPN route types 1-5

pub mod attr;
pub mod capability;
pub mod context;
pub mod error;
pub mod framing;
pub mod header;
pub(crate) mod hex;
pub mod message;
pub mod nlri;
pub mod notification;
pub mod open;
mod read;
pub mod route_refresh;
pub mod types;
pub mod update;

pub use context::Context;
pub use error::{Action, NlriReason, NotifyError, UpdateIssue};
pub use types::{Afi, Esi, Family, Label3, MacAddr, MplsLabel, Rd, RouteTarget, Safi, Vni};
