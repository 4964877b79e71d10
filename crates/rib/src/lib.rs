//! `evpnd-rib`: the BGP routing information base, without I/O.
//!
//! * [`rank`]: the facts best path compares, and the RFC 4271 §9.1.2.2 +
//!   RFC 4456 + RFC 7432 §15 decision process, which returns *why* a path lost.
//! * [`table`]: one table of destinations (a slab numbered by route id,
//!   indexed by the full RFC route key), each holding every peer's path (this
//!   is the Adj-RIB-In) and its current best (the Loc-RIB entry).
//! * [`intern`]: attribute interning (many routes share one attribute set).
//! * [`out`]: per-peer Adj-RIB-Out keyed by route id (what was sent + a queue
//!   of ids to re-evaluate).
//!
//! The table is generic over the route key `K` and the attribute type `A`, so
//! the decision process is tested here without the codec; the daemon uses the
//! EVPN route key and the decoded path attributes.

mod dest;
pub mod intern;
pub mod out;
pub mod rank;
pub mod table;

pub use intern::Interner;
pub use out::{AdjOut, Batch, OutValue};
pub use rank::{LossReason, Multipath, Rank, compare, multipath_equal};
pub use table::{BestChange, Keyed, Path, PeerId, Table};
