//! `evpnd-bmp`: the BGP Monitoring Protocol (RFC 7854) with the Loc-RIB
//! peer type of RFC 9069, as a BMP *speaker* (evpnd sends, a collector such
//! as pmacct's `pmbmpd` receives).
//!
//! ```text
//! core ──peer_up / route_monitoring / statistics──► Feed (sans-IO, bounded queue)
//!                                                     │ transmit() chunks   ▲ written / connected / lost
//!                                                     ▼                     │
//!                                            driver (tokio) ── TCP ──► collector
//! ```
//!
//! Module map (one protocol concept per module, each with its RFC layout):
//! * [`header`]: the Common Header and the Per-Peer Header (peer types 0 and 3);
//! * [`tlv`]: Information TLVs (Initiation, Peer Up, Termination);
//! * [`initiation`], [`peer_up`], [`peer_down`], [`route_monitoring`],
//!   [`stats`], [`termination`]: the messages;
//! * [`message`]: the message enum, encoder and a stream decoder (for tests
//!   and tools: evpnd never reads BMP);
//! * [`feed`]: one collector as a sans-IO state machine: what to send, the
//!   bounded queue, resync after an overflow, reconnect backoff
//!   ([`backoff`]);
//! * `driver` (feature `driver`, on by default): the tokio task that connects
//!   to `address = "HOST:PORT"`, writes the feed and reconnects.

pub mod backoff;
pub mod error;
pub mod feed;
pub mod header;
pub mod initiation;
pub mod message;
pub mod peer_down;
pub mod peer_up;
pub mod route_monitoring;
pub mod stats;
pub mod termination;
pub mod tlv;

#[cfg(feature = "driver")]
pub mod driver;

pub use error::DecodeError;
pub use feed::{
    Feed, FeedConfig, FeedCounters, Link, PeerKey, PeerSession, Push, Request, Rib, Source,
};
pub use header::{PeerHeader, PeerType, Timestamp};
pub use message::Message;
pub use peer_down::PeerDownReason;
pub use peer_up::PeerUp;
pub use stats::{Stat, StatValue};
pub use tlv::Tlv;
