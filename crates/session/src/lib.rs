//! `evpnd-session`: one BGP peer session.
//!
//! * [`negotiate`]: what the two OPENs agree on (hold time, families, 4-octet
//!   AS, ADD-PATH, graceful restart...), and the NOTIFICATION when they don't.
//! * [`fsm`]: the RFC 4271 §8 state machine as events in, actions out. Time is
//!   passed in; timers are actions the driver carries out; randomness (timer
//!   jitter) comes from a seeded generator, so a recorded run replays exactly.
//!
//! * [`messages`]: what a session and the core say to each other, as data
//!   (serde, no sockets), and [`collision`]: RFC 4271 §6.8 as a pure function.
//!
//! The tokio driver that owns the socket (feature `driver`, on by default)
//! lives beside these modules and only moves bytes and timers; every
//! decision is made here. Without the feature the crate has no tokio, so
//! the sans-IO core (`crates/core`) can use the messages.

pub mod collision;
#[cfg(feature = "driver")]
pub mod driver;
pub mod fsm;
pub mod messages;
pub mod negotiate;
pub mod remote_as;
#[cfg(feature = "driver")]
pub mod sockopt;

pub use fsm::{Action, Event, Fsm, FsmConfig, State, Timer};
pub use messages::{PeerCommand, PeerEvent, PeerIndex, Transport};
pub use negotiate::{LocalPolicy, Negotiated, PeerOpen, negotiate};
pub use remote_as::RemoteAs;
