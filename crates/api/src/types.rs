//! Plain Rust request types: what the services hand the [`Backend`](crate::Backend)
//! after validating a request. Every value here is already well formed.

use std::net::IpAddr;

use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;

use crate::pb;

/// Why a backend call failed; mapped to a gRPC status by the services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The named object does not exist (`NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// The request is valid in form but not in the daemon's state (`FAILED_PRECONDITION`).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The core did not answer, e.g. it is shutting down (`UNAVAILABLE`).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (`INTERNAL`).
    #[error("{0}")]
    Internal(String),
}

impl From<BackendError> for tonic::Status {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::NotFound(m) => tonic::Status::not_found(m),
            BackendError::FailedPrecondition(m) => tonic::Status::failed_precondition(m),
            BackendError::Unavailable(m) => tonic::Status::unavailable(m),
            BackendError::Internal(m) => tonic::Status::internal(m),
        }
    }
}

/// Where a configuration to validate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file on the daemon's host.
    Path(std::path::PathBuf),
    /// The TOML text itself.
    Text(String),
}

/// Which RIB a route query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// What peers sent.
    AdjRibIn,
    /// The selected routes.
    #[default]
    LocRib,
    /// What is sent to peers.
    AdjRibOut,
}

/// A validated route filter; `None` / `false` fields match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteFilter {
    /// Only this EVPN route type (1..=5).
    pub route_type: Option<u8>,
    /// Only this route distinguisher.
    pub rd: Option<Rd>,
    /// Only routes with a path carrying this route target.
    pub route_target: Option<RouteTarget>,
    /// Only this VNI (a path's L2 or L3 VNI).
    pub vni: Option<Vni>,
    /// Only this MAC (type 2).
    pub mac: Option<MacAddr>,
    /// Only routes whose IP lies in this prefix (types 2, 3, 5).
    pub ip: Option<IpNet>,
    /// Only paths from / to this peer.
    pub peer: Option<IpAddr>,
    /// Only best paths.
    pub best_only: bool,
}

/// An opaque position in a route listing, chosen by the backend.
///
/// The service hands it to clients as a page token and back to the backend
/// as [`RouteQuery::after`]; its bytes mean whatever the backend wants
/// (e.g. the encoded key of the last route sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteCursor(pub Vec<u8>);

/// One request for a page of routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQuery {
    /// Which RIB.
    pub view: View,
    /// Which routes.
    pub filter: RouteFilter,
    /// Start after this position; `None` from the beginning.
    pub after: Option<RouteCursor>,
    /// At most this many routes (at least 1).
    pub limit: usize,
}

/// One page of routes from the backend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoutePage {
    /// The routes, in the backend's stable order, with only the matching paths.
    pub routes: Vec<pb::Route>,
    /// Where the next page starts; `None` when this was the last.
    pub next: Option<RouteCursor>,
}

/// Where a tenant route listing continues: after this tenant and prefix
/// (the last route of the previous page, in (tenant, prefix) order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VrfRouteCursor {
    /// The tenant of the last route sent.
    pub vrf: String,
    /// Its prefix.
    pub prefix: IpNet,
}

/// One request for a page of tenant routes (`ListVrfRoutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrfRouteQuery {
    /// Only this tenant (a valid name); `None`: every tenant.
    pub vrf: Option<String>,
    /// Only this exact prefix (host bits clear); `None`: every prefix.
    pub prefix: Option<IpNet>,
    /// Start after this route; `None` from the beginning.
    pub after: Option<VrfRouteCursor>,
    /// At most this many routes (at least 1).
    pub limit: usize,
}

/// One page of tenant routes from the backend.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VrfRoutePage {
    /// The routes, in (tenant, prefix) order.
    pub routes: Vec<pb::VrfRoute>,
    /// Where the next page starts; `None` when this was the last.
    pub next: Option<VrfRouteCursor>,
}

/// A locally originated route to add or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalRoute {
    /// Type 2.
    MacIp {
        /// The L2 VNI.
        vni: Vni,
        /// The MAC.
        mac: MacAddr,
        /// The IP, for a MAC+IP route.
        ip: Option<IpAddr>,
        /// Advertise as sticky.
        sticky: bool,
    },
    /// Type 3.
    Imet {
        /// The L2 VNI.
        vni: Vni,
    },
    /// Type 5.
    IpPrefix {
        /// The L3 VNI.
        vni: Vni,
        /// The prefix.
        prefix: IpNet,
    },
}

/// Whether an EVPN table entry is local or remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Learned here.
    Local,
    /// Learned from a remote VTEP.
    Remote,
}

/// A validated MAC table filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacFilter {
    /// Only this VNI.
    pub vni: Option<Vni>,
    /// Only this MAC.
    pub mac: Option<MacAddr>,
    /// Only local or only remote entries.
    pub origin: Option<Origin>,
}

/// What the backend hands a new watcher: the peers now, then a live feed.
/// The service reads the routes of the snapshot itself, a page at a time
/// through [`Backend::list_routes`](crate::Backend::list_routes), after
/// this call: subscribe to the broadcast here so no change falls between.
#[derive(Debug)]
pub struct WatchStart {
    /// The current peers as events (small: one per configured neighbour).
    pub snapshot: Vec<pb::watch_response::Event>,
    /// Live changes. When this receiver lags, the watcher is told to resync.
    pub events: tokio::sync::broadcast::Receiver<pb::watch_response::Event>,
}

/// Which peer a per-peer call is about: an address, or for a BGP
/// unnumbered neighbour the interface it is configured on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerRef {
    Address(std::net::IpAddr),
    Interface(String),
}

impl std::fmt::Display for PeerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerRef::Address(a) => write!(f, "{a}"),
            PeerRef::Interface(i) => f.write_str(i),
        }
    }
}
