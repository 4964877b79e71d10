//! The linux task: the only part of evpnd that speaks netlink.
//!
//! It discovers the local VXLAN setup, reports local MACs and neighbours to
//! the core as [`LocalEvent`]s, and makes the kernel hold the remote entries
//! the core asks for ([`DesiredChange`]), level-triggered: it keeps the whole
//! desired table itself and reconciles it against what the kernel holds.

pub mod model;

pub use model::{DesiredChange, LocalEvent, VniInfo};
