//! `evpnd-migrate`: the planner behind `evpnctl migrate` (issue 12, ADR 0033).
//!
//! ```text
//! Inventory (a host's bridges, VLANs, VXLAN devices; netlink or JSON)
//!     │ plan(options, current fabric.toml)
//!     ▼
//! Plan: VLAN→VNI map, fabric.toml (+ diff), numbered Steps (Op + command + inverse), refusals
//!     │ apply(Kernel, Journal)            rollback(Kernel, Journal)
//!     ▼                                    ▲
//! the kernel, one idempotent Op at a time, each made one journaled with its undo
//! ```
//!
//! Sans-IO: no netlink, no tokio, no files. `evpnd_linux::migrate` reads the
//! inventory and implements [`apply::Kernel`]; `evpnctl` does the files.
//! The inventory doubles as the model of the kernel ([`apply::Model`]), so
//! plans are applied and rolled back in memory by the tests.

pub mod apply;
pub mod diff;
pub mod fabric;
pub mod inventory;
pub mod op;
pub mod plan;
pub mod refusal;

pub use apply::{Done, Entry, Failed, Journal, Kernel, Model, apply, rollback};
pub use inventory::{Inventory, Kind, Link, Port, PortVlan, Vxlan};
pub use op::{ModelError, Op, VxlanSpec};
pub use plan::{DEFAULT_VNI_BASE, Flood, Mapping, Options, Plan, Source, Step, plan};
pub use refusal::Refusal;
