//! The core's one interface: [`Input`]s in (with `now`), [`Output`]s polled
//! out, and the [`Reply`] or [`CoreError`] of a management command. All of
//! it is plain data with serde, so a run can be recorded as JSON lines and
//! replayed (`tests/conformance/`).

use std::net::IpAddr;
use std::time::Duration;

use evpnd_config::Neighbor;
use evpnd_evpn::LocalEvent;
use evpnd_session::messages::{PeerCommand, PeerEvent, PeerIndex};
use evpnd_wire::nlri::evpn::EvpnRoute;
use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::view::{PeerView, RouteView};

/// Something that happened, handed to [`crate::Core::handle`] with its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A session reported (up, down, UPDATE, End-of-RIB, refresh, drained).
    Peer(PeerEvent),
    /// The kernel reported (VNIs, local MACs and neighbours, warnings).
    Local(LocalEvent),
    /// Time passed: timers (graceful restart, deferral, duplicate aging,
    /// convergence deadline) are checked. The daemon ticks once a second.
    Tick,
    /// The operator or tooling asked for a change.
    Command(Command),
}

/// A management change (API, reload). Queries are not inputs: they read the
/// core through [`crate::Core`]'s view methods and change nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Reload: a new neighbour (its session is being started by the driver).
    AddPeer { neighbor: Box<Neighbor> },
    /// Reload: a neighbour removed; its routes go now. Indices stay stable.
    RemovePeer { peer: PeerIndex },
    /// Reload: settings that apply to a live session; re-evaluated at once.
    UpdatePeer {
        peer: PeerIndex,
        neighbor: Box<Neighbor>,
    },
    /// Reload: the applied configuration (without the keys that need a
    /// restart); the configuration's local routes are re-derived from it.
    Reconfigure { config: Box<evpnd_config::Config> },
    /// A reload was applied (the generation the API reports goes up).
    BumpGeneration,
    /// This run is a graceful restart: defer advertisement (ADR 0011).
    BeginRestart { defer: Duration },
    /// The operator enabled or disabled a peer.
    SetEnabled { address: IpAddr, enabled: bool },
    /// Soft reset in: fails unless the peer negotiated route refresh.
    CheckRefreshIn { address: IpAddr },
    /// Soft reset out: the peer's whole Adj-RIB-Out is sent again.
    ResendTo { address: IpAddr },
    /// Originate a route for tooling.
    AddRoute { route: LocalRoute },
    /// Withdraw a route added over the API.
    DeleteRoute { route: LocalRoute },
    /// The operator clears a duplicate MAC.
    ClearDuplicate { vni: Vni, mac: MacAddr },
}

/// A route tooling asks the core to originate (RD, RTs and VTEP come from
/// the VNI: its kernel instance, else its `[[evpn.vni]]`, else derived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LocalRoute {
    MacIp {
        vni: Vni,
        mac: MacAddr,
        ip: Option<IpAddr>,
        sticky: bool,
    },
    Imet {
        vni: Vni,
    },
    IpPrefix {
        vni: Vni,
        prefix: IpNet,
    },
}

impl LocalRoute {
    pub fn vni(&self) -> Vni {
        match self {
            LocalRoute::MacIp { vni, .. }
            | LocalRoute::Imet { vni }
            | LocalRoute::IpPrefix { vni, .. } => *vni,
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// Done; nothing to report.
    Done,
    /// The index of a peer added by [`Command::AddPeer`].
    PeerAdded { peer: PeerIndex },
    /// The route [`Command::AddRoute`] originated.
    RouteAdded { route: EvpnRoute },
}

/// Why a command was refused. Each names what it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CoreError {
    #[error("no neighbor {0} in the configuration")]
    NoSuchPeer(IpAddr),
    #[error("neighbor {0} is not established")]
    NotEstablished(IpAddr),
    #[error("neighbor {0} did not negotiate route refresh; use a hard reset")]
    NoRouteRefresh(IpAddr),
    #[error("{0} was not added over the API")]
    NotAddedOverApi(String),
    #[error("{mac} in VNI {vni} is not marked duplicate")]
    NotDuplicate { vni: Vni, mac: MacAddr },
}

/// What the core wants done; the driver polls them in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "output", rename_all = "snake_case")]
pub enum Output {
    /// A command for one peer's session (UPDATEs to send, a shutdown).
    Peer {
        peer: PeerIndex,
        command: PeerCommand,
    },
    /// A change for management watchers (only while someone watches).
    Watch(WatchEvent),
    /// For the BMP collectors (only while `[[bmp]]` is configured).
    Bmp(crate::bmp::BmpEvent),
}

/// A change a watcher is told about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "watch", rename_all = "snake_case")]
pub enum WatchEvent {
    Peer(Box<PeerView>),
    /// A route's best path changed (`route`) or the route went (`None`).
    Route {
        key: evpnd_wire::nlri::evpn::EvpnKey,
        route: Option<Box<RouteView>>,
    },
}
