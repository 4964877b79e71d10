//! The linux task: the only part of evpnd that speaks netlink.
//!
//! It discovers the local VXLAN setup, reports local MACs and neighbours to
//! the core as [`LocalEvent`]s, and makes the kernel hold the remote entries
//! the core asks for ([`DesiredChange`]), level-triggered: it keeps the whole
//! desired table itself and reconciles it against what the kernel holds
//! ([`reconcile`]).

mod batch;
mod dumps;
pub mod kernel;
pub mod l3;
pub mod layout;
pub mod ledger;
pub mod migrate;
pub mod nexthop;
pub mod program;
pub mod reconcile;
pub mod repair;
pub mod route;
mod snapshot;
mod sockopt;
mod task;
pub mod warnings;

/// The dataplane model is the EVPN domain's (`evpnd_evpn::dataplane`).
pub use evpnd_evpn::dataplane::{DesiredChange, LocalEvent, VniInfo};
pub use task::{DataplaneStatus, Error, LinuxConfig, LinuxHandle, Redistribute, VniStatus, spawn};

/// The `NDA_PROTOCOL` value on every entry evpnd writes, so it recognises its
/// own entries. Not one of the kernel's (0-42, 99, 186-192) nor FRR's
/// (`RTPROT_ZEBRA` 11, 186-198: bgp ... 196 static, 197 openfabric, 198
/// srte); `interop/setup.sh` names it `evpnd` in `/etc/iproute2/rt_protos.d`.
pub const PROTOCOL: u8 = 245;
