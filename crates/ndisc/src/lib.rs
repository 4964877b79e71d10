//! `evpnd-ndisc`: finding the peer of a BGP unnumbered link (issue 13:
//! `[[neighbor]] interface = "swp1"`), as FRR's `neighbor swp1 interface`
//! does — from the IPv6 link-local source of the Router Advertisements the
//! peer sends, or from the kernel's neighbour table when it sends none —
//! and sending our own RAs so the peer finds us.
//!
//! ```text
//!   daemon ◄── PeerEvent (Found / Changed / Lost / Conflict) ──┐ bounded mpsc
//!                                                              │
//!   driver (tokio, feature `driver`): per interface           │
//!     raw ICMPv6 socket ── RA octets, hop limit ──► Discovery (sans-IO) ──► SendRa
//!     netlink: link up/down, IPv6 neighbours    ──►     ▲ tick(now)
//! ```
//!
//! Module map:
//! * [`ra`], [`rs`], [`option`]: RFC 4861 §4.2 Router Advertisement, §4.1
//!   Router Solicitation and their §4.6 options, codec only;
//! * [`config`]: timers (RA interval, jitter, lifetimes), validated;
//! * [`neighbour`]: which neighbour-table entries name a peer;
//! * [`discovery`]: the per-interface state machine;
//! * `driver` (feature `driver`, on by default): sockets, netlink, tasks.

pub mod config;
pub mod discovery;
pub mod error;
pub mod neighbour;
pub mod option;
pub mod ra;
pub mod rs;

#[cfg(feature = "driver")]
pub mod driver;

pub use config::DiscoveryConfig;
pub use discovery::{Counters, Discovery, Input, LossReason, Output, PeerEvent, PeerState, Source};
pub use error::{ConfigError, DecodeError};
pub use neighbour::NeighbourEntry;
pub use option::{LinkLayerAddr, RaOptions};
pub use ra::RouterAdvertisement;
pub use rs::RouterSolicitation;
