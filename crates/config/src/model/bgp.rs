//! `[bgp]` and `[[neighbor]]`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use evpnd_session::RemoteAs;
use evpnd_wire::Family;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use super::{text, yes};

/// `[bgp]`: the local BGP speaker.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bgp {
    /// Local AS, 1..=4294967295 except 23456 (AS_TRANS). Read it with [`crate::Config::asn`].
    pub asn: Spanned<u32>,
    /// BGP identifier; also the address part of auto RDs.
    pub router_id: Ipv4Addr,
    /// Where to accept BGP connections. Default `["0.0.0.0:179"]`.
    #[serde(default = "default_listen")]
    pub listen: Vec<SocketAddr>,
    /// Route-reflector cluster id (RFC 4456). Default: the router id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Ipv4Addr>,
    /// Proposed hold time in seconds: 0 (no keepalives) or at least 3. Default 90.
    #[serde(default = "default_hold")]
    pub hold_time: Spanned<u16>,
    /// Keepalive interval in seconds. Default: a third of the hold time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Spanned<u16>>,
    /// ConnectRetry timer in seconds (RFC 4271 §10). Default 30.
    #[serde(default = "default_connect_retry")]
    pub connect_retry: u16,
    #[serde(default)]
    pub graceful_restart: GracefulRestart,
    /// Prefixes originated into IPv4/IPv6 unicast (by address family),
    /// unconditionally: no check that they are reachable. No host bits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<ipnet::IpNet>,
    /// Also originate the VTEP address (`[evpn] vtep_ip`, else the router
    /// id) as a /32 or /128 into the unicast family of its AFI. Default true.
    #[serde(default = "yes")]
    pub advertise_vtep: bool,
    /// Unicast ECMP: at most this many equal paths per prefix are
    /// installed (1 = no multipath). Default 64.
    #[serde(default = "default_max_paths")]
    pub max_paths: u16,
    /// Multipath across eBGP paths from different neighbour ASes with
    /// equal AS_PATH length ("multipath relax", RFC 7938 §5.2.4). Default true.
    #[serde(default = "yes")]
    pub multipath_relax: bool,
}

/// Default `[bgp] max_paths`.
pub const DEFAULT_MAX_PATHS: u16 = 64;
fn default_max_paths() -> u16 {
    DEFAULT_MAX_PATHS
}

pub(crate) fn default_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([0, 0, 0, 0], 179))]
}
fn default_hold() -> Spanned<u16> {
    Spanned::new(0..0, 90)
}
fn default_connect_retry() -> u16 {
    30
}

/// `[bgp.graceful_restart]` (RFC 4724).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GracefulRestart {
    /// Advertise the capability and act as helper. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Restart time advertised to peers, seconds (12 bits: at most 4095). Default 120.
    #[serde(default = "default_restart_time")]
    pub restart_time: u16,
    /// After a peer came back, how long its stale routes wait for End-of-RIB. Default 360.
    #[serde(default = "default_stale_time")]
    pub stale_routes_time: u16,
    /// Restarting speaker (RFC 4724 §4.1): after a restart, how long route
    /// selection waits for End-of-RIB from the GR peers before our routes
    /// and End-of-RIB go out anyway. 0 = no deferral. Default 300 (below
    /// the helpers' usual 360 s stale-path time, see ADR 0011).
    #[serde(default = "default_select_defer_time")]
    pub select_defer_time: u16,
    /// What SIGTERM/SIGINT do to the peers' copy of our routes. Default
    /// `"hard-reset"`: they are withdrawn at once (ADR 0006).
    #[serde(default)]
    pub on_shutdown: OnShutdown,
    /// Marks a run in progress so the next start knows it is a restart
    /// (ADR 0011). Default: next to `api.socket`, named after it with the
    /// extension `.restart` (`/run/evpnd/evpnd.restart`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_file: Option<std::path::PathBuf>,
}

/// `on_shutdown`: how a deliberate stop (SIGTERM, SIGINT) ends the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnShutdown {
    /// Cease / Hard Reset (RFC 8538) or plain Cease: peers flush our routes
    /// now; the restart marker is removed, the next start is a fresh one.
    #[default]
    HardReset,
    /// Cease / Administrative Shutdown with the N bit, else a bare TCP
    /// close: peers keep our routes as stale for our restart time; the
    /// kernel entries stay and the next start is a graceful restart.
    Graceful,
}

fn default_restart_time() -> u16 {
    120
}
fn default_stale_time() -> u16 {
    360
}
fn default_select_defer_time() -> u16 {
    300
}

impl Default for GracefulRestart {
    fn default() -> Self {
        GracefulRestart {
            enabled: true,
            restart_time: default_restart_time(),
            stale_routes_time: default_stale_time(),
            select_defer_time: default_select_defer_time(),
            on_shutdown: OnShutdown::default(),
            state_file: None,
        }
    }
}

/// `[[neighbor]]`: one BGP peer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbor {
    /// The peer's address; identifies the neighbour (no two may share it).
    /// Exactly one of `address` and `interface`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Spanned<IpAddr>>,
    /// BGP unnumbered: peer over this interface's IPv6 link-local address,
    /// the peer's found from its Router Advertisements or the neighbour
    /// table (`evpnd-ndisc`); identifies the neighbour instead of `address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<Spanned<String>>,
    /// The peer's AS: a number (equal to `[bgp].asn` means iBGP), or
    /// `"external"` (any AS but ours) / `"internal"` (ours).
    pub remote_asn: RemoteAs,
    /// RFC 8950 Extended Next Hop capability for IPv4 unicast (IPv4 routes
    /// with IPv6 next hops). Default: on for interface neighbours that
    /// carry ipv4-unicast, off otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_nexthop: Option<bool>,
    /// Free text; changing it never resets the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// TCP MD5 signature key (RFC 2385), 1 to 80 bytes. Hidden by [`crate::Config::redacted`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// GTSM (RFC 5082): send with TTL 255, accept only packets at most this many hops away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_security: Option<Spanned<u8>>,
    /// TTL for eBGP sessions that are not directly connected. eBGP is single-hop otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebgp_multihop: Option<u8>,
    /// Never connect; wait for the peer. Default false.
    #[serde(default)]
    pub passive: bool,
    /// Overrides `[bgp].hold_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_time: Option<Spanned<u16>>,
    /// Overrides `[bgp].keepalive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<Spanned<u16>>,
    /// Reflect iBGP routes to this peer (RFC 4456). iBGP only. Default false.
    #[serde(default)]
    pub route_reflector_client: bool,
    /// Local address to connect from (typically the loopback). Default: chosen by the kernel.
    #[serde(
        default,
        deserialize_with = "update_source",
        skip_serializing_if = "Option::is_none"
    )]
    pub update_source: Option<IpAddr>,
    /// The peer's TCP port. Default 179.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Prefix limit (RFC 4486). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_prefix: Option<MaxPrefix>,
    /// Address families to negotiate. Default `["l2vpn-evpn"]`. Written as text
    /// (`evpnd_wire::Family` derives serde as `{ afi, safi }`, right for recorded
    /// events, not for an operator's file).
    #[serde(
        default = "default_families",
        deserialize_with = "text::list",
        serialize_with = "text::ser_list"
    )]
    pub families: Vec<Family>,
    /// Accept ADD-PATH path identifiers from the peer (RFC 7911). Default false.
    #[serde(default)]
    pub add_path_receive: bool,
    /// Overrides `[bgp.graceful_restart].enabled` for this peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graceful_restart: Option<bool>,
    /// `false` keeps the neighbour configured but administratively down. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `[[policy]]` applied to routes from this peer. Default: accept all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_policy: Option<String>,
    /// `[[policy]]` applied to routes sent to this peer. Default: send all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_policy: Option<String>,
}

fn default_port() -> u16 {
    179
}
pub(crate) fn default_families() -> Vec<Family> {
    vec![Family::L2VPN_EVPN]
}

/// `update_source` is an address. FRR also takes an interface name there;
/// say so instead of the generic "invalid IP address syntax".
fn update_source<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
    text::one::<SourceAddr, D>(d).map(|a| Some(a.0))
}

struct SourceAddr(IpAddr);

impl std::str::FromStr for SourceAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse().map(SourceAddr).map_err(|_| {
            format!(
                "update_source {s:?} is not an IP address (interface names are not supported yet: give the interface's address)"
            )
        })
    }
}

/// `max_prefix = { limit = N, restart_after = S, warning_only = B }` (RFC 4486).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPrefix {
    /// Routes accepted from the peer before the session is closed with
    /// Cease / Maximum Number of Prefixes Reached.
    pub limit: u32,
    /// Reconnect after this many seconds; absent: stay down until the
    /// neighbour is reset by the operator (reload or API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<u32>,
    /// Only log when the limit is crossed; keep the session.
    #[serde(default)]
    pub warning_only: bool,
}
