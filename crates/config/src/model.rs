//! The `fabric.toml` keys. Every table rejects unknown keys; every default is
//! what an operator coming from FRR would expect. `docs/configuration.md`
//! documents each key.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use evpnd_wire::{Family, MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use toml::Spanned;

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub bgp: Bgp,
    #[serde(default)]
    pub neighbor: Vec<Neighbor>,
    #[serde(default)]
    pub evpn: Evpn,
    #[serde(default)]
    pub api: Api,
    #[serde(default)]
    pub metrics: Metrics,
    #[serde(default)]
    pub log: Log,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bgp {
    pub asn: Spanned<u32>,
    pub router_id: Ipv4Addr,
    /// Where to accept BGP connections. Default `0.0.0.0:179`.
    #[serde(default = "default_listen")]
    pub listen: Vec<SocketAddr>,
    /// Route-reflector cluster id. Default: the router id.
    pub cluster_id: Option<Ipv4Addr>,
    #[serde(default = "default_hold")]
    pub hold_time: Spanned<u16>,
    /// Default: hold_time / 3.
    pub keepalive: Option<Spanned<u16>>,
    #[serde(default = "default_connect_retry")]
    pub connect_retry: u16,
    #[serde(default)]
    pub graceful_restart: GracefulRestart,
}

fn default_listen() -> Vec<SocketAddr> {
    vec![SocketAddr::from(([0, 0, 0, 0], 179))]
}
fn default_hold() -> Spanned<u16> {
    Spanned::new(0..0, 90)
}
fn default_connect_retry() -> u16 {
    30
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GracefulRestart {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_restart_time")]
    pub restart_time: u16,
    #[serde(default = "default_stale_time")]
    pub stale_routes_time: u16,
}

fn default_restart_time() -> u16 {
    120
}
fn default_stale_time() -> u16 {
    360
}

impl Default for GracefulRestart {
    fn default() -> Self {
        GracefulRestart {
            enabled: true,
            restart_time: 120,
            stale_routes_time: 360,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Neighbor {
    pub address: Spanned<IpAddr>,
    pub remote_asn: u32,
    pub description: Option<String>,
    /// TCP MD5 signature (RFC 2385).
    pub password: Option<String>,
    /// GTSM (RFC 5082): accept only packets within this many hops.
    pub ttl_security: Option<Spanned<u8>>,
    pub ebgp_multihop: Option<u8>,
    #[serde(default)]
    pub passive: bool,
    pub hold_time: Option<Spanned<u16>>,
    pub keepalive: Option<Spanned<u16>>,
    #[serde(default)]
    pub route_reflector_client: bool,
    /// Local address to connect from.
    pub update_source: Option<IpAddr>,
    /// Peer's TCP port (tests on loopback use other ports). Default 179.
    #[serde(default = "default_port")]
    pub port: u16,
    pub max_prefix: Option<MaxPrefix>,
    #[serde(default = "default_families")]
    pub families: Vec<Family>,
    #[serde(default)]
    pub add_path_receive: bool,
    /// Overrides `[bgp.graceful_restart].enabled` for this peer.
    pub graceful_restart: Option<bool>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_port() -> u16 {
    179
}
fn default_families() -> Vec<Family> {
    vec![Family::L2VPN_EVPN]
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPrefix {
    pub limit: u32,
    /// Re-establish after this many seconds; absent: stay down until cleared.
    pub restart_after: Option<u32>,
    /// Only log when the limit is crossed.
    #[serde(default)]
    pub warning_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AutoRt {
    /// `ASN:VNI` with the low 16 bits of the AS (FRR's default).
    #[default]
    AsVni,
    /// RFC 8365 §5.1.2.1 encoding of the VNI in a 4-octet-AS route target.
    Rfc8365,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evpn {
    /// Default: the local address of the VXLAN devices.
    pub vtep_ip: Option<Ipv4Addr>,
    #[serde(default = "yes")]
    pub learn_from_kernel: bool,
    #[serde(default)]
    pub auto_rt: AutoRt,
    #[serde(default)]
    pub duplicate_detection: DuplicateDetection,
    /// Anycast gateway MACs: advertised with the default-gateway community.
    #[serde(default)]
    pub default_gateway_macs: Vec<MacAddr>,
    /// Remove programmed entries on a clean shutdown. Default: keep forwarding.
    #[serde(default)]
    pub flush_on_shutdown: bool,
    #[serde(default)]
    pub vni: Vec<VniConfig>,
}

impl Default for Evpn {
    fn default() -> Self {
        Evpn {
            vtep_ip: None,
            learn_from_kernel: true,
            auto_rt: AutoRt::AsVni,
            duplicate_detection: DuplicateDetection::default(),
            default_gateway_macs: Vec::new(),
            flush_on_shutdown: false,
            vni: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateDetection {
    #[serde(default = "default_moves")]
    pub max_moves: u32,
    #[serde(default = "default_window")]
    pub window: u32,
    /// Seconds to freeze a duplicate MAC; 0 = never freeze (just alarm).
    #[serde(default)]
    pub freeze: u32,
}

fn default_moves() -> u32 {
    5
}
fn default_window() -> u32 {
    180
}

impl Default for DuplicateDetection {
    fn default() -> Self {
        DuplicateDetection {
            max_moves: 5,
            window: 180,
            freeze: 0,
        }
    }
}

/// `"auto"` or an explicit value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AutoOr<T> {
    Auto,
    Value(T),
}

impl<'de, T: std::str::FromStr> Deserialize<'de> for AutoOr<T>
where
    T::Err: std::fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "auto" {
            return Ok(AutoOr::Auto);
        }
        s.parse()
            .map(AutoOr::Value)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTargets {
    #[serde(default)]
    pub import: Vec<AutoOr<RouteTarget>>,
    #[serde(default)]
    pub export: Vec<AutoOr<RouteTarget>>,
    #[serde(default)]
    pub both: Vec<AutoOr<RouteTarget>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VniConfig {
    pub vni: Spanned<Vni>,
    #[serde(default = "auto")]
    pub rd: AutoOr<Rd>,
    #[serde(default)]
    pub route_targets: RouteTargets,
    pub bridge: Option<String>,
    pub vxlan_device: Option<String>,
    pub svi: Option<String>,
    /// MACs to advertise without the kernel (type 2).
    #[serde(default)]
    pub macs: Vec<Spanned<StaticMac>>,
    /// Prefixes to advertise (type 5).
    #[serde(default)]
    pub prefixes: Vec<IpNet>,
}

fn auto<T>() -> AutoOr<T> {
    AutoOr::Auto
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaticMac {
    pub mac: MacAddr,
    pub ip: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    #[serde(default = "default_socket")]
    pub socket: String,
    pub listen: Option<SocketAddr>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub client_ca: Option<String>,
}

fn default_socket() -> String {
    "/run/evpnd/evpnd.sock".into()
}

impl Default for Api {
    fn default() -> Self {
        Api {
            socket: default_socket(),
            listen: None,
            tls_cert: None,
            tls_key: None,
            client_ca: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    #[serde(default = "default_level")]
    pub level: String,
    #[serde(default)]
    pub format: LogFormat,
}

fn default_level() -> String {
    "info".into()
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: default_level(),
            format: LogFormat::Human,
        }
    }
}

impl Config {
    pub fn asn(&self) -> u32 {
        *self.bgp.asn.get_ref()
    }

    pub fn cluster_id(&self) -> Ipv4Addr {
        self.bgp.cluster_id.unwrap_or(self.bgp.router_id)
    }

    pub fn is_ibgp(&self, n: &Neighbor) -> bool {
        n.remote_asn == self.asn()
    }

    /// Hold time for a neighbour: its own, else the global one.
    pub fn hold_time(&self, n: &Neighbor) -> u16 {
        *n.hold_time
            .as_ref()
            .unwrap_or(&self.bgp.hold_time)
            .get_ref()
    }

    /// Keepalive for a neighbour: its own, else the global one, else hold / 3.
    pub fn keepalive(&self, n: &Neighbor) -> Option<u16> {
        n.keepalive
            .as_ref()
            .or(self.bgp.keepalive.as_ref())
            .map(|k| *k.get_ref())
    }

    pub fn graceful_restart(&self, n: &Neighbor) -> bool {
        n.graceful_restart
            .unwrap_or(self.bgp.graceful_restart.enabled)
    }
}

/// Auto RD (DESIGN.md): `router-id:index` with the index derived from the VNI,
/// not from creation order, so it is the same after every restart. Type-1 RDs
/// have a 16-bit number: VNIs above 65535 are folded (`vni % 65536`), and
/// validation rejects two configured VNIs that fold to the same index.
pub fn auto_rd(router_id: Ipv4Addr, vni: Vni) -> Rd {
    Rd::Ipv4 {
        addr: router_id,
        number: (vni.get() % 65536) as u16,
    }
}

/// Auto RT: `AS:VNI` with the low 16 bits of the AS (FRR's form, imported by
/// local-admin match), or RFC 8365 §5.1.2.1 (A=1 auto, type 1 VXLAN, 4-octet AS form).
pub fn auto_rt(asn: u32, vni: Vni, style: AutoRt) -> RouteTarget {
    match style {
        AutoRt::AsVni => RouteTarget::As2 {
            asn: (asn & 0xffff) as u16,
            value: vni.get(),
        },
        AutoRt::Rfc8365 => RouteTarget::As2 {
            asn: (asn & 0xffff) as u16,
            // A (1 bit) = 1 auto, Type (3 bits) = 1 VXLAN, D-ID (4 bits) = 0, then the 24-bit VNI.
            value: (1 << 31) | (1 << 28) | vni.get(),
        },
    }
}
