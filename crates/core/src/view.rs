//! What the core answers queries with: its own types, not protobuf. The
//! daemon turns them into `evpn.v1` messages (`crates/evpnd/src/convert.rs`),
//! so changing a `.proto` never touches the core.

use std::net::{IpAddr, Ipv4Addr};

use evpnd_config::RtMatch;
use evpnd_rib::LossReason;
use evpnd_session::fsm::State;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::{Family, MacAddr, Rd, RouteTarget, Vni};
use serde::Serialize;

use crate::time::Time;

/// Counters and identity of the running core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusView {
    pub uptime_secs: u64,
    pub router_id: Ipv4Addr,
    pub asn: u32,
    pub generation: u64,
    pub peers_configured: u32,
    pub peers_established: u32,
    pub loc_rib_routes: u64,
    pub adj_rib_in_paths: u64,
    pub adj_rib_out_routes: u64,
    pub vnis: u32,
    pub local_macs: u64,
    pub remote_macs: u64,
    pub updates_received: u64,
    pub updates_sent: u64,
    /// Routes refused since the start, per reason.
    pub refused: Vec<(crate::refusal::Refusal, u64)>,
    /// Times a remote best path was kept out of the kernel by
    /// `[evpn] vtep_allow`, by a VNI's import policy, and how many are
    /// held back now (these, and those whose VTEP is of the other address
    /// family than the VNI's VXLAN device).
    pub vtep_held: u64,
    pub vni_policy_held: u64,
    pub not_programmed_now: u64,
}

/// Why a session last went down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerErrorView {
    pub message: String,
    /// The NOTIFICATION sent or received, if one ended it.
    pub notification: Option<evpnd_session::messages::Notified>,
    pub at: Time,
}

/// One configured neighbour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerView {
    pub address: IpAddr,
    pub remote_asn: u32,
    pub description: String,
    /// `Established` whenever the core holds the session as up.
    pub state: State,
    pub enabled: bool,
    pub uptime_secs: u64,
    pub family: Family,
    /// Paths received from the peer and kept.
    pub received: u64,
    pub accepted: u64,
    pub advertised: u64,
    pub last_error: Option<PeerErrorView>,
    pub hold_time: u16,
    pub keepalive: u16,
    pub capabilities: Vec<String>,
}

/// Where a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathSource {
    Local,
    Peer(IpAddr),
    /// A peer index that no longer exists (should not happen).
    Unknown,
}

/// One path of a route, with what best path and the API show of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathView {
    pub source: PathSource,
    pub next_hop: IpAddr,
    pub best: bool,
    pub mobility_seq: u32,
    pub sticky: bool,
    pub local_pref: u32,
    pub med: u32,
    pub route_targets: Vec<RouteTarget>,
    pub router_mac: Option<MacAddr>,
    pub as_path: Vec<u32>,
    /// The L2 VNI (type 2 label 1, type 3 PMSI label), 0 if none.
    pub vni: u32,
    /// The L3 VNI (type 2 label 2, type 5 label), 0 if none.
    pub l3_vni: u32,
}

/// A route (its NLRI as best path has it) and the paths asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteView {
    pub route: EvpnRoute,
    pub paths: Vec<PathView>,
}

/// Which RIB a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum RibView {
    /// Every path of every route.
    AdjRibIn,
    /// Best paths only.
    #[default]
    LocRib,
    /// What each peer was sent.
    AdjRibOut,
}

/// One page of a listing: routes in key order and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutePageView {
    pub routes: Vec<RouteView>,
    /// The last key of this page when more may follow.
    pub next_after: Option<EvpnKey>,
}

/// Every path of a route with why it lost (`None`: the best).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainView {
    pub route: EvpnRoute,
    pub paths: Vec<(PathView, Option<LossReason>)>,
    /// The last time a peer sent this route and it was refused, and why
    /// (for the most recent refused keys; see `refusal::REMEMBERED`).
    pub refused: Option<(IpAddr, crate::refusal::Refusal)>,
    /// What decided a policy refusal (`rejected by policy "p" term "t"`).
    pub refused_detail: Option<String>,
    /// The best path is kept but not programmed into the kernel
    /// (`next hop 192.0.2.9 is outside evpn.vtep_allow`).
    pub not_programmed: Option<String>,
    /// L3 tenants the route is imported into (type 5, MAC+IP host routes)
    /// and what became of it there.
    pub tenants: Vec<TenantExplainView>,
}

/// A remote route in a tenant (`explain`): the tenant prefix it gives,
/// installed or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantExplainView {
    pub vrf: String,
    pub prefix: ipnet::IpNet,
    pub installed: bool,
    pub not_installed: Option<String>,
}

/// An EVPN instance (one per VNI the kernel has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VniView {
    pub vni: Vni,
    /// An L3VNI (a tenant's, no MAC-VRF) or a layer-2 VNI.
    pub l3: bool,
    /// The tenant: of an L3VNI, or the one an L2VNI routes in.
    pub vrf: Option<String>,
    pub rd: Rd,
    pub import: Vec<RtMatch>,
    pub export: Vec<RouteTarget>,
    pub vxlan_device: String,
    pub bridge: Option<String>,
    pub vlan: Option<u16>,
    pub svi: Option<String>,
    pub vtep: IpAddr,
    pub flood_list: Vec<IpAddr>,
    /// The underlay group the VXLAN device floods BUM to; `None`: ingress
    /// replication.
    pub flood_group: Option<IpAddr>,
    /// The static VTEPs in effect (`static_vteps`).
    pub static_vteps: Vec<IpAddr>,
    /// Each remote VTEP with the source of its flood entry, or why its type
    /// 3 gives none; sorted by address.
    pub remote_vteps: Vec<RemoteVtepView>,
    /// The Ethernet Tag of this VNI's routes (0, or the VNI in a bundle).
    pub ethernet_tag: u32,
}

/// A remote VTEP of a VNI and its flood entry's source (ADR 0031).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteVtepView {
    pub vtep: IpAddr,
    pub source: evpnd_evpn::FloodSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryOrigin {
    Local,
    Remote,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MacView {
    pub vni: Vni,
    pub mac: MacAddr,
    pub origin: EntryOrigin,
    pub vtep: Option<IpAddr>,
    pub seq: u32,
    pub sticky: bool,
    pub duplicate: bool,
}

/// Which MACs a listing wants (`None`: all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MacQuery {
    pub vni: Option<Vni>,
    pub mac: Option<MacAddr>,
    pub origin: Option<EntryOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeighborView {
    pub vni: Vni,
    pub ip: IpAddr,
    pub mac: MacAddr,
    pub origin: EntryOrigin,
    pub vtep: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VtepView {
    pub ip: IpAddr,
    pub vnis: Vec<u32>,
    pub macs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateView {
    pub vni: Vni,
    pub mac: MacAddr,
    pub moves: u32,
    pub last_vtep: Option<IpAddr>,
}

/// How a tenant's routes reach the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum VrfModeView {
    /// A routing table selected by `ip rule`s (or `main`).
    Table { table: u32 },
    /// A Linux VRF device and its table (`None` until the device is found).
    Device { device: String, table: Option<u32> },
}

/// An L3 tenant (`[[evpn.vrf]]`): its L3VNI, what the kernel has of it,
/// and what it imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VrfView {
    pub name: String,
    pub l3vni: Vni,
    pub mode: VrfModeView,
    pub rd: Rd,
    pub import: Vec<RtMatch>,
    pub export: Vec<RouteTarget>,
    /// The Router's MAC we advertise (`None`: not known yet — no L3 SVI).
    pub router_mac: Option<MacAddr>,
    pub vxlan_device: Option<String>,
    pub svi: Option<String>,
    /// The L2VNIs routing in this tenant.
    pub l2vnis: Vec<Vni>,
    /// The L3VNI's devices are there and up: routes are installed; else held.
    pub up: bool,
    /// Routes in the tenant: installed (or held) and originated.
    pub routes_installed: u64,
    pub routes_held: u64,
    pub routes_originated: u64,
}

/// Where a tenant route came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantRouteSource {
    /// A remote type-2 MAC+IP (a host route, /32 or /128).
    MacIp,
    /// A remote type-5 IP prefix.
    IpPrefix,
    /// Ours: an SVI's subnet.
    Connected,
    /// Ours: `[[evpn.vrf]] prefixes`.
    Configured,
    /// Ours: a route of the tenant table (`redistribute`).
    Redistributed,
}

/// One remote path contributing to a tenant route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantNextHopView {
    pub vtep: IpAddr,
    pub router_mac: MacAddr,
    pub source: TenantRouteSource,
    /// The EVPN route it comes from (`[5]:[rd]:[0]:[24]:[10.0.0.0]`).
    pub route: String,
}

/// A prefix of a tenant: what we originate for it, or which VTEPs it is
/// installed through (ECMP), or why it is not installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRouteView {
    pub vrf: String,
    pub prefix: ipnet::IpNet,
    /// Remote: the paths (ECMP over all of them when installed).
    pub next_hops: Vec<TenantNextHopView>,
    /// Local: the source of what we originate (`None` for remote routes).
    pub local: Option<TenantRouteSource>,
    pub installed: bool,
    /// Why a remote route is not in the kernel (L3VNI down, a local route
    /// for the prefix wins, gateway-IP overlay index not resolved, no
    /// Router's MAC, ...).
    pub not_installed: Option<String>,
}

/// A remote VTEP's Router's MAC in a tenant (the FDB entry on the L3VNI
/// and the neighbour entry on the L3 SVI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouterMacView {
    pub vrf: String,
    pub vtep: IpAddr,
    pub router_mac: MacAddr,
    /// Tenant routes through this VTEP.
    pub routes: u64,
}

/// Which tenant routes a listing wants: one tenant or all, one prefix or
/// all, a page of at most `limit` in (vrf, prefix) order after `after`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TenantRouteQuery {
    pub vrf: Option<String>,
    pub prefix: Option<ipnet::IpNet>,
    pub after: Option<(String, ipnet::IpNet)>,
    pub limit: usize,
}
