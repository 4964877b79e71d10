//! `evpnd-session`: one BGP peer session.
//!
//! * [`negotiate`]: what the two OPENs agree on (hold time, families, 4-octet
//!   AS, ADD-PATH, graceful restart...), and the NOTIFICATION when they don't.
//! * [`fsm`]: the RFC 4271 §8 state machine as events in, actions out. Time is
//!   passed in; timers are actions the driver carries out; randomness (timer
//!   jitter) comes from a seeded generator, so a recorded run replays exactly.
//!
//! The tokio driver that owns the socket lives beside these modules and only
//! moves bytes and timers; every decision is made here.

pub mod driver;
pub mod fsm;
pub mod negotiate;
pub mod sockopt;

pub use fsm::{Action, Event, Fsm, FsmConfig, State, Timer};
pub use negotiate::{LocalPolicy, Negotiated, PeerOpen, negotiate};
