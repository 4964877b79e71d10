//! `evpnd-policy`: what may come in, what may go out, and what may reach
//! the kernel. Pure functions over a small view of a route; no I/O, no
//! state but the compiled configuration.
//!
//! ```text
//! UPDATE from a peer ──► neighbour import policy ──► RIB ──► best path
//!                                                             │ RT import (strict or *:VNI)
//!                                                             ▼
//!                                    VNI import policy ──► VTEP allow-list ──► kernel
//! local route of a VNI ──► VNI export policy ──► neighbour export policy ──► peer
//! ```
//!
//! * [`route`]: [`RouteView`], the fields a policy can look at;
//! * [`matcher`]: one term's conditions against a route;
//! * [`action`]: the `set` actions on a route's [`Attributes`];
//! * [`eval`]: a policy's terms in order → [`Outcome`] (verdict, changed
//!   attributes, the deciding term for `route explain`);
//! * [`vtep`]: the `[evpn] vtep_allow` check and its reason;
//! * [`rt`]: which import rule (strict or `*:VNI`) let a route into a VNI;
//! * [`set`]: [`PolicySet`], everything compiled from a [`evpnd_config::Config`]
//!   and looked up by neighbour or VNI.

pub mod action;
pub mod eval;
pub mod matcher;
pub mod route;
pub mod rt;
pub mod set;
pub mod vtep;

pub use action::Attributes;
pub use eval::{Decision, Outcome, evaluate};
pub use route::RouteView;
pub use set::{Direction, PolicySet};
pub use vtep::{Endpoint, VtepAllow, VtepRejection};
