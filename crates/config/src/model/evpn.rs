//! `[evpn]` and `[[evpn.vni]]`.

use std::fmt;
use std::net::IpAddr;

use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;

use super::{AutoOr, text, yes};

/// `[evpn]`: the EVPN instance (one per daemon, like FRR's `advertise-all-vni` VRF).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evpn {
    /// Next hop and PMSI tunnel endpoint of our routes, IPv4 or IPv6.
    /// Default: the local address of the VXLAN devices; the router id when
    /// there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vtep_ip: Option<IpAddr>,
    /// Take VNIs, local MACs and neighbours from the kernel (FRR's
    /// `advertise-all-vni`). Default true; a route reflector sets false.
    #[serde(default = "yes")]
    pub learn_from_kernel: bool,
    /// How auto route targets are formed. Default `"as-vni"`.
    #[serde(default)]
    pub auto_rt: AutoRt,
    /// Anycast gateway MACs: advertised with the default-gateway community.
    #[serde(default, deserialize_with = "text::list")]
    pub default_gateway_macs: Vec<MacAddr>,
    /// Remove what evpnd programmed on a clean shutdown. Default false: forwarding
    /// keeps working while the daemon restarts.
    #[serde(default)]
    pub flush_on_shutdown: bool,
    /// Where the linux task records the flood entries it wrote, so that after
    /// a restart it recognises them (the kernel keeps no owner mark on them).
    /// Default: `api.socket` with the extension `.flood`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood_state_file: Option<std::path::PathBuf>,
    /// RFC 7432 §15.1 duplicate MAC detection.
    #[serde(default)]
    pub duplicate_detection: DuplicateDetection,
    /// `[[evpn.vni]]`: VNIs configured here (more may come from the kernel).
    #[serde(default)]
    pub vni: Vec<VniConfig>,
    /// `[[evpn.vrf]]`: L3 tenants (IP-VRFs with an L3VNI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vrf: Vec<super::VrfConfig>,
    /// Underlay prefixes remote VTEPs may have: a route whose next hop or
    /// PMSI tunnel endpoint is outside them is kept but never programmed.
    /// Default empty: no restriction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vtep_allow: Vec<IpNet>,
    /// Auto RTs import only `OUR-AS:VNI` exactly, not `*:VNI`. Default false.
    #[serde(default)]
    pub strict_rt_import: bool,
    /// Receive buffer of the netlink notification socket, in bytes (the
    /// kernel's events land here while the linux task is busy; past it they
    /// are lost and repaired by scans, ADR 0016). Default 64 MiB.
    #[serde(default = "default_netlink_buffer")]
    pub netlink_buffer: u64,
}

/// The notification socket's default receive buffer: 64 MiB.
pub const DEFAULT_NETLINK_BUFFER: u64 = 64 << 20;
/// The smallest and largest `netlink_buffer` accepted.
pub const NETLINK_BUFFER_RANGE: std::ops::RangeInclusive<u64> = (64 << 10)..=(1 << 30);

fn default_netlink_buffer() -> u64 {
    DEFAULT_NETLINK_BUFFER
}

impl Default for Evpn {
    fn default() -> Self {
        Evpn {
            vtep_ip: None,
            learn_from_kernel: true,
            auto_rt: AutoRt::AsVni,
            default_gateway_macs: Vec::new(),
            flush_on_shutdown: false,
            flood_state_file: None,
            duplicate_detection: DuplicateDetection::default(),
            vni: Vec::new(),
            vrf: Vec::new(),
            vtep_allow: Vec::new(),
            strict_rt_import: false,
            netlink_buffer: DEFAULT_NETLINK_BUFFER,
        }
    }
}

/// How auto route targets are derived from the AS and the VNI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AutoRt {
    /// `AS:VNI` with the low 16 bits of the AS (FRR's default); imported by
    /// matching the VNI in the local administrator, whatever the AS.
    #[default]
    AsVni,
    /// RFC 8365 §5.1.2.1: local administrator = A(0, auto) | type 1 (VXLAN) |
    /// D-ID 0 | VNI, i.e. `VNI | 0x10000000` (FRR's `rfc8365-compatible`).
    Rfc8365,
}

/// `[evpn.duplicate_detection]`: a MAC that moves `max_moves` times within
/// `window` seconds is declared duplicate (FRR `dup-addr-detection`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateDetection {
    /// Default true (as FRR).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// 2..=1000, default 5.
    #[serde(default = "default_moves")]
    pub max_moves: u32,
    /// Seconds, 2..=1800, default 180.
    #[serde(default = "default_window")]
    pub window: u32,
    /// What to do with a duplicate: `false` (default) only warns, a number of
    /// seconds (30..=3600) freezes it that long, `"permanent"` until cleared.
    #[serde(default)]
    pub freeze: Freeze,
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
            enabled: true,
            max_moves: default_moves(),
            window: default_window(),
            freeze: Freeze::Off,
        }
    }
}

/// `freeze = false | <seconds> | "permanent"`. A frozen duplicate is neither
/// advertised (local) nor installed (remote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Freeze {
    /// Warn only.
    #[default]
    Off,
    /// Freeze for this many seconds, then recover.
    Seconds(u32),
    /// Freeze until cleared by the operator.
    Permanent,
}

impl Serialize for Freeze {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Freeze::Off => s.serialize_bool(false),
            Freeze::Seconds(n) => s.serialize_u32(n),
            Freeze::Permanent => s.serialize_str("permanent"),
        }
    }
}

impl<'de> Deserialize<'de> for Freeze {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const WANT: &str = "false, a number of seconds or \"permanent\"";
        impl serde::de::Visitor<'_> for V {
            type Value = Freeze;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(WANT)
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Freeze, E> {
                if b {
                    Err(E::custom(format!(
                        "freeze = true needs a duration: use {WANT}"
                    )))
                } else {
                    Ok(Freeze::Off)
                }
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Freeze, E> {
                u32::try_from(n)
                    .map(Freeze::Seconds)
                    .map_err(|_| E::custom(format!("freeze {n} is out of range: use {WANT}")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Freeze, E> {
                u32::try_from(n)
                    .map(Freeze::Seconds)
                    .map_err(|_| E::custom(format!("freeze {n} is out of range: use {WANT}")))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Freeze, E> {
                match s {
                    "permanent" => Ok(Freeze::Permanent),
                    _ => Err(E::custom(format!("freeze {s:?} is invalid: use {WANT}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `route_targets = { import = [...], export = [...], both = [...] }`; each
/// entry is an RT (`ASN:NN`, `A.B.C.D:NN`) or `"auto"`. A direction with no
/// entry (neither its own list nor `both`) uses the auto RT; `"auto"` next to
/// explicit RTs adds the auto RT to them.
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

/// `[[evpn.vni]]`: one layer-2 VNI (MAC-VRF).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VniConfig {
    /// 1..=16777215.
    pub vni: Spanned<Vni>,
    /// `"auto"` (default: `router_id:(vni mod 65536)`) or an explicit RD.
    #[serde(default = "auto")]
    pub rd: AutoOr<Rd>,
    #[serde(default)]
    pub route_targets: RouteTargets,
    /// The bridge of this VNI. Default: discovered from the kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
    /// The VXLAN device carrying this VNI. Default: discovered from the kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vxlan_device: Option<String>,
    /// The SVI (layer-3 interface on the bridge) for ARP/ND suppression. Default: discovered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svi: Option<String>,
    /// MACs (optionally with an IP) advertised as type-2 routes without the kernel.
    #[serde(default)]
    pub macs: Vec<Spanned<StaticMac>>,
    /// Prefixes advertised as type-5 routes.
    #[serde(default)]
    pub prefixes: Vec<IpNet>,
    /// The `[[evpn.vrf]]` (by name) this L2VNI routes in, when the kernel
    /// does not say it (its SVI's VRF master).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf: Option<String>,
    /// `[[policy]]` applied to remote routes imported into this VNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_policy: Option<String>,
    /// `[[policy]]` applied to this VNI's local routes before they are advertised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_policy: Option<String>,
    /// VTEPs of this VNI that speak no BGP (a flood-and-learn fabric being
    /// migrated): evpnd keeps a flood entry towards each, beside the ones
    /// EVPN type-3 routes ask for (ADR 0031).
    #[serde(
        default,
        deserialize_with = "text::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub static_vteps: Vec<IpAddr>,
    /// The Ethernet Tag of this VNI's routes: 0 (VLAN-based service, FRR's
    /// way, the default) or the VNI (a member of a VLAN-aware bundle,
    /// RFC 7432 §6.3, RFC 8365 §5.1.2; ADR 0032).
    #[serde(default, skip_serializing_if = "EthernetTag::is_zero")]
    pub ethernet_tag: EthernetTag,
}

/// `ethernet_tag = 0 | "vni"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EthernetTag {
    /// VLAN-based service: one broadcast domain per EVI, routes carry tag 0.
    #[default]
    Zero,
    /// VLAN-aware bundle: several broadcast domains share the EVI (its RD
    /// and route targets); each one's routes carry its VNI as the tag.
    Vni,
}

impl EthernetTag {
    pub fn is_zero(&self) -> bool {
        *self == EthernetTag::Zero
    }

    /// The tag the routes of `vni` carry.
    pub fn of(self, vni: Vni) -> u32 {
        match self {
            EthernetTag::Zero => 0,
            EthernetTag::Vni => vni.get(),
        }
    }
}

impl fmt::Display for EthernetTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EthernetTag::Zero => f.write_str("0"),
            EthernetTag::Vni => f.write_str("vni"),
        }
    }
}

impl Serialize for EthernetTag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EthernetTag::Zero => s.serialize_u32(0),
            EthernetTag::Vni => s.serialize_str("vni"),
        }
    }
}

impl<'de> Deserialize<'de> for EthernetTag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const WANT: &str =
            "0 (VLAN-based service) or \"vni\" (VLAN-aware bundle: the tag is the VNI)";
        impl serde::de::Visitor<'_> for V {
            type Value = EthernetTag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(WANT)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<EthernetTag, E> {
                match n {
                    0 => Ok(EthernetTag::Zero),
                    _ => Err(E::custom(format!(
                        "ethernet_tag {n} is not supported: use {WANT}"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<EthernetTag, E> {
                match n {
                    0 => Ok(EthernetTag::Zero),
                    _ => Err(E::custom(format!(
                        "ethernet_tag {n} is not supported: use {WANT}"
                    ))),
                }
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<EthernetTag, E> {
                match s {
                    "vni" => Ok(EthernetTag::Vni),
                    _ => Err(E::custom(format!(
                        "ethernet_tag {s:?} is invalid: use {WANT}"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

fn auto<T>() -> AutoOr<T> {
    AutoOr::Auto
}

/// `{ mac = "02:00:00:00:01:01", ip = "192.168.100.1" }`: a MAC-only route,
/// plus a MAC+IP route when `ip` is given (as FRR advertises them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaticMac {
    #[serde(deserialize_with = "text::one")]
    pub mac: MacAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
}
