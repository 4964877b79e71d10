//! `[[evpn.vrf]]`: an L3 tenant (IP-VRF, RFC 9135 symmetric IRB; RFC 9136
//! type-5 routes). Its L3VNI carries routed traffic between leaves; its
//! routes reach the kernel in one of two ways:
//!
//! * **VRF mode** (`vrf_device`): a Linux VRF device and its table; the
//!   L2VNI SVIs and the L3 SVI are enslaved to it (as FRR expects);
//! * **table mode** (`table`): a plain routing table plus the `ip rule`s
//!   evpnd installs for the tenant's SVIs — for hosts without the VRF
//!   module; `table = "main"` is the default VRF (FRR's global `vni N`),
//!   with no rule at all.

use std::fmt;

use evpnd_wire::{MacAddr, Rd, Vni};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use toml::Spanned;

use super::evpn::RouteTargets;
use super::{AutoOr, text, yes};

/// The kernel's main routing table (`RT_TABLE_MAIN`).
pub const TABLE_MAIN: u32 = 254;
/// Table ids the kernel reserves: unspec, compat, default, main, local.
pub const RESERVED_TABLES: [u32; 5] = [0, 252, 253, 254, 255];
/// Default preference of the first `ip rule` of a table-mode tenant.
pub const DEFAULT_RULE_PRIORITY: u32 = 1000;

/// `[[evpn.vrf]]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VrfConfig {
    /// The tenant's name (API, logs, `[[evpn.vni]] vrf`). Required.
    pub name: String,
    /// The L3VNI (1..=16777215): the VNI of routed traffic between leaves.
    pub l3vni: Spanned<Vni>,
    /// Table mode: the routing table (1..=4294967295 except the reserved
    /// 252–255), or `"main"` for the default VRF. Exclusive with `vrf_device`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<VrfTable>,
    /// VRF mode: the Linux VRF device (its table is read from the kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf_device: Option<String>,
    /// Prefixes advertised as type-5 routes (RFC 9136), IPv4 and IPv6.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<IpNet>,
    /// `"auto"` (default: `router_id:(l3vni mod 65536)`) or an explicit RD.
    #[serde(default = "auto")]
    pub rd: AutoOr<Rd>,
    /// The tenant's route targets (default: the auto RT of the L3VNI). Type-5
    /// routes and the MAC+IP routes of its hosts carry the export RTs.
    #[serde(default)]
    pub route_targets: RouteTargets,
    /// The Router's MAC (RFC 9135 §8.1). Default: the L3 SVI's MAC.
    #[serde(
        default,
        deserialize_with = "text::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub router_mac: Option<MacAddr>,
    /// The L3 SVI (the layer-3 interface of the L3VNI's bridge). Default:
    /// discovered from the L3VNI's VXLAN device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svi: Option<String>,
    /// Advertise the subnets of the tenant's SVIs as type-5 routes. Default true.
    #[serde(default = "yes")]
    pub advertise_connected: bool,
    /// Routes of the tenant's table advertised as type 5, by protocol
    /// (`"static"`, `"kernel"`, `"boot"`, or a number). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redistribute: Vec<RouteProtocolName>,
    /// Only redistribute routes inside these prefixes (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redistribute_prefixes: Vec<IpNet>,
    /// Table mode: the preference of the tenant's `ip rule`s (one per SVI).
    #[serde(
        default = "default_rule_priority",
        skip_serializing_if = "is_default_rule_priority"
    )]
    pub rule_priority: u32,
}

fn auto<T>() -> AutoOr<T> {
    AutoOr::Auto
}

fn default_rule_priority() -> u32 {
    DEFAULT_RULE_PRIORITY
}

fn is_default_rule_priority(p: &u32) -> bool {
    *p == DEFAULT_RULE_PRIORITY
}

/// `table = 1000` or `table = "main"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VrfTable {
    Main,
    Id(u32),
}

impl VrfTable {
    /// The kernel table id.
    pub fn id(self) -> u32 {
        match self {
            VrfTable::Main => TABLE_MAIN,
            VrfTable::Id(n) => n,
        }
    }
}

impl fmt::Display for VrfTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VrfTable::Main => f.write_str("main"),
            VrfTable::Id(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for VrfTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            VrfTable::Main => s.serialize_str("main"),
            VrfTable::Id(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for VrfTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const WANT: &str = "a table number (1 to 4294967295) or \"main\"";
        impl serde::de::Visitor<'_> for V {
            type Value = VrfTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(WANT)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<VrfTable, E> {
                u32::try_from(n)
                    .map(VrfTable::Id)
                    .map_err(|_| E::custom(format!("table {n} is out of range: use {WANT}")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<VrfTable, E> {
                u32::try_from(n)
                    .map(VrfTable::Id)
                    .map_err(|_| E::custom(format!("table {n} is out of range: use {WANT}")))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<VrfTable, E> {
                match s {
                    "main" => Ok(VrfTable::Main),
                    _ => Err(E::custom(format!("table {s:?} is invalid: use {WANT}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A route protocol of the tenant table (`rtm_protocol`): `"static"` (4),
/// `"kernel"` (2), `"boot"` (3), or a number 0..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteProtocolName(pub u8);

/// Protocol names accepted in `redistribute`, as `ip route` spells them.
pub const ROUTE_PROTOCOL_NAMES: [(&str, u8); 3] = [("kernel", 2), ("boot", 3), ("static", 4)];

impl fmt::Display for RouteProtocolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match ROUTE_PROTOCOL_NAMES.iter().find(|(_, n)| *n == self.0) {
            Some((name, _)) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for RouteProtocolName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RouteProtocolName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const WANT: &str = "\"static\", \"kernel\", \"boot\" or a protocol number 0 to 255";
        impl serde::de::Visitor<'_> for V {
            type Value = RouteProtocolName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(WANT)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                u8::try_from(n)
                    .map(RouteProtocolName)
                    .map_err(|_| E::custom(format!("protocol {n} is out of range: use {WANT}")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                u8::try_from(n)
                    .map(RouteProtocolName)
                    .map_err(|_| E::custom(format!("protocol {n} is out of range: use {WANT}")))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                ROUTE_PROTOCOL_NAMES
                    .iter()
                    .find(|(name, _)| *name == s)
                    .map(|(_, n)| RouteProtocolName(*n))
                    .ok_or_else(|| E::custom(format!("protocol {s:?} is unknown: use {WANT}")))
            }
        }
        d.deserialize_any(V)
    }
}
