//! The [`Backend`]: what the API needs from the daemon.
//!
//! evpnd implements it by sending a request to its core task and awaiting the
//! reply (the core owns all state; nothing here may block it). The services
//! validate every request first, so the backend only sees typed values.

use evpnd_wire::{MacAddr, Rd, Vni};

use crate::metrics::Metrics;
use crate::pb;
use crate::types::{
    BackendError, ConfigSource, LocalRoute, MacFilter, PeerRef, RoutePage, RouteQuery,
    VrfRoutePage, VrfRouteQuery, WatchStart,
};

/// The daemon side of the management API.
#[tonic::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Version, uptime, identity and counters.
    async fn status(&self) -> Result<pb::GetStatusResponse, BackendError>;
    /// Every problem in a configuration (empty: valid).
    async fn validate_config(
        &self,
        source: ConfigSource,
    ) -> Result<Vec<pb::ConfigError>, BackendError>;
    /// Reloads the configuration file.
    async fn reload_config(&self) -> Result<pb::ReloadConfigResponse, BackendError>;
    /// Sets the log level; returns the previous one.
    async fn set_log_level(&self, level: pb::LogLevel) -> Result<pb::LogLevel, BackendError>;

    /// Every configured peer, sorted by address.
    async fn list_peers(&self) -> Result<Vec<pb::Peer>, BackendError>;
    /// One peer; `None` when not configured.
    async fn get_peer(&self, peer: PeerRef) -> Result<Option<pb::Peer>, BackendError>;
    /// Enables a peer ([`BackendError::NotFound`] when unknown).
    async fn enable_peer(&self, peer: PeerRef) -> Result<(), BackendError>;
    /// Disables a peer with an optional shutdown communication.
    async fn disable_peer(&self, peer: PeerRef, reason: String) -> Result<(), BackendError>;
    /// Resets a peer (kind is never `Unspecified`).
    async fn reset_peer(&self, peer: PeerRef, kind: pb::ResetKind) -> Result<(), BackendError>;

    /// One page of matching routes. Keep each call short: the service pages
    /// through huge tables with repeated calls.
    async fn list_routes(&self, query: RouteQuery) -> Result<RoutePage, BackendError>;
    /// Every path of one route with its verdict; `None` when unknown.
    async fn explain_route(
        &self,
        rd: Rd,
        prefix: String,
    ) -> Result<Option<pb::ExplainRouteResponse>, BackendError>;
    /// Originates a local route; returns its key.
    async fn add_route(&self, route: LocalRoute) -> Result<pb::RouteKey, BackendError>;
    /// Withdraws a local route ([`BackendError::NotFound`] when not originated).
    async fn delete_route(&self, route: LocalRoute) -> Result<(), BackendError>;
    /// IPv4/IPv6 unicast routes (of `family` when given, only `prefix`
    /// when given), sorted by prefix. A backend without a unicast table
    /// answers `UNAVAILABLE`.
    async fn list_unicast_routes(
        &self,
        family: Option<evpnd_wire::Family>,
        prefix: Option<ipnet::IpNet>,
    ) -> Result<Vec<pb::UnicastRoute>, BackendError> {
        let _ = (family, prefix);
        Err(BackendError::Unavailable(
            "this backend has no unicast table".into(),
        ))
    }

    /// VNIs, sorted.
    async fn list_vnis(&self, vni: Option<Vni>) -> Result<Vec<pb::Vni>, BackendError>;
    /// MAC table entries, sorted by VNI then MAC.
    async fn list_macs(&self, filter: MacFilter) -> Result<Vec<pb::Mac>, BackendError>;
    /// Neighbour entries, sorted by VNI then IP.
    async fn list_neighbors(&self, vni: Option<Vni>) -> Result<Vec<pb::Neighbor>, BackendError>;
    /// Remote VTEPs, sorted by IP.
    async fn list_vteps(&self) -> Result<Vec<pb::Vtep>, BackendError>;
    /// MACs frozen by duplicate detection.
    async fn list_duplicates(&self, vni: Option<Vni>) -> Result<Vec<pb::Duplicate>, BackendError>;
    /// Unfreezes a duplicate ([`BackendError::NotFound`] when not frozen).
    async fn clear_duplicate(&self, vni: Vni, mac: MacAddr) -> Result<(), BackendError>;

    /// L3 tenants in configuration order; `Some(name)`: only that one
    /// (empty when it is not configured: the service answers `NOT_FOUND`).
    async fn list_vrfs(&self, name: Option<String>) -> Result<Vec<pb::Vrf>, BackendError>;
    /// One page of tenant routes in (tenant, prefix) order; `None` when
    /// `query.vrf` names no configured tenant. Keep each call short: clients
    /// page through big tables with repeated calls.
    async fn list_vrf_routes(
        &self,
        query: VrfRouteQuery,
    ) -> Result<Option<VrfRoutePage>, BackendError>;
    /// Remote VTEPs' Router's MACs by tenant, then VTEP; `None` when `vrf`
    /// names no configured tenant.
    async fn list_router_macs(
        &self,
        vrf: Option<String>,
    ) -> Result<Option<Vec<pb::RouterMac>>, BackendError>;

    /// Desired versus programmed dataplane state per VNI.
    async fn dataplane(&self, vni: Option<Vni>) -> Result<Vec<pb::VniDataplane>, BackendError>;

    /// The peers now plus the live change feed (subscribed first); the
    /// snapshot's routes are then read with `list_routes`.
    async fn watch(&self) -> Result<WatchStart, BackendError>;

    /// The numbers behind `/metrics`.
    async fn metrics(&self) -> Result<Metrics, BackendError>;
}
