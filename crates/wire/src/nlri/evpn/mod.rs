//! EVPN NLRI (RFC 7432 §7, RFC 9136 §3): route types 1-5, unknown types kept raw.
//!
//! ```text
//! +-----------------------------------+
//! | Path Identifier (4, ADD-PATH only)|
//! +-----------------------------------+
//! | Route Type (1 octet)              |
//! +-----------------------------------+
//! | Length (1 octet)                  |
//! +-----------------------------------+
//! | Route Type specific (Length)      |
//! +-----------------------------------+
//! ```
//!
//! Error handling (RFC 7606 §5.3/§5.4, ADR 0017, which amends ADR 0007):
//! * an unknown route type: skipped by its Length and discarded (§5.4), an
//!   [`NlriError`] with [`NlriReason::UnknownRouteType`], never a route;
//! * a type-5 route with both ESI and gateway IP: treated as withdrawn (RFC
//!   9136 §3.2), an [`NlriError`] carrying the route so its key is withdrawn;
//! * anything else that does not parse (a Length running past the attribute,
//!   a Length that does not fit the route type, MAC length ≠ 48, IP length
//!   not 0/32/128, no label, prefix length > 32/128): a syntax error in the
//!   NLRI → `SessionReset` (§5.3; the UPDATE becomes NOTIFICATION 3/9, as FRR
//!   sends). Dropping the route alone would leave the previous route with that
//!   key in place.

mod ead;
mod imet;
mod ip_prefix;
mod mac_ip;
mod segment;

use std::fmt;
use std::net::IpAddr;

use bytes::{BufMut, BytesMut};
use ipnet::IpNet;
use serde::Serialize;

use super::NlriError;
use crate::error::NlriReason;
use crate::hex::{Hex, ser_hex};
use crate::read::Reader;
use crate::types::{Esi, Label3, MacAddr, Rd};

/// One EVPN NLRI as received or sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EvpnNlri {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_id: Option<u32>,
    #[serde(flatten)]
    pub route: EvpnRoute,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "route_type_name", rename_all = "snake_case")]
pub enum EvpnRoute {
    EthernetAd(EthernetAd),
    MacIp(MacIp),
    Imet(Imet),
    EthernetSegment(EthernetSegment),
    IpPrefix(IpPrefix),
    /// A route type this codec does not know. The decoder never yields it
    /// (RFC 7606 §5.4: discarded, ADR 0017); kept so a route can be built and
    /// encoded in tests.
    Unknown {
        route_type: u8,
        #[serde(serialize_with = "ser_hex")]
        value: Vec<u8>,
    },
}

/// The 3-octet label as JSON: raw value plus the VNI reading (RFC 8365) and the MPLS reading.
pub(crate) fn ser_label<S: serde::Serializer>(l: &Label3, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Label", 3)?;
    st.serialize_field("raw", &l.raw())?;
    st.serialize_field("vni", &l.vni().get())?;
    st.serialize_field("mpls_label", &l.mpls().label)?;
    st.end()
}

pub(crate) fn ser_opt_label<S: serde::Serializer>(
    l: &Option<Label3>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match l {
        Some(l) => ser_label(l, s),
        None => s.serialize_none(),
    }
}

/// Type 1, Ethernet Auto-Discovery (RFC 7432 §7.1): RD(8) ESI(10) Ethernet Tag(4) MPLS Label(3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EthernetAd {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    #[serde(serialize_with = "ser_label")]
    pub label: Label3,
}

/// Type 2, MAC/IP Advertisement (RFC 7432 §7.2):
/// RD(8) ESI(10) Ethernet Tag(4) MAC Len(1)=48 MAC(6) IP Len(1)=0/32/128 IP(0/4/16) Label1(3) [Label2(3)].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct MacIp {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    pub mac: MacAddr,
    pub ip: Option<IpAddr>,
    #[serde(serialize_with = "ser_label")]
    pub label1: Label3,
    #[serde(serialize_with = "ser_opt_label")]
    pub label2: Option<Label3>,
}

/// Type 3, Inclusive Multicast Ethernet Tag (RFC 7432 §7.3):
/// RD(8) Ethernet Tag(4) IP Len(1)=32/128 Originating Router's IP(4/16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Imet {
    pub rd: Rd,
    pub ethernet_tag: u32,
    pub originator: IpAddr,
}

/// Type 4, Ethernet Segment (RFC 7432 §7.4): RD(8) ESI(10) IP Len(1) Originating Router's IP(4/16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EthernetSegment {
    pub rd: Rd,
    pub esi: Esi,
    pub originator: IpAddr,
}

/// Type 5, IP Prefix (RFC 9136 §3.1): RD(8) ESI(10) Ethernet Tag(4) IP Prefix Len(1)
/// IP Prefix(4/16) Gateway IP(4/16) MPLS Label(3); length 34 (IPv4) or 58 (IPv6).
/// `prefix` keeps any host bits exactly as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IpPrefix {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    #[serde(serialize_with = "crate::nlri::ser_display")]
    pub prefix: IpNet,
    pub gateway: IpAddr,
    #[serde(serialize_with = "ser_label")]
    pub label: Label3,
}

/// The RFC route key: what identifies a route in the RIB (labels, and the
/// ESI of types 2 and 5, are attributes — a withdrawal may carry label 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "route_type_name", rename_all = "snake_case")]
pub enum EvpnKey {
    EthernetAd {
        rd: Rd,
        esi: Esi,
        ethernet_tag: u32,
    },
    MacIp {
        rd: Rd,
        ethernet_tag: u32,
        mac: MacAddr,
        ip: Option<IpAddr>,
    },
    Imet {
        rd: Rd,
        ethernet_tag: u32,
        originator: IpAddr,
    },
    EthernetSegment {
        rd: Rd,
        esi: Esi,
        originator: IpAddr,
    },
    IpPrefix {
        rd: Rd,
        ethernet_tag: u32,
        prefix: IpNet,
    },
    Unknown {
        route_type: u8,
        value: Vec<u8>,
    },
}

impl EvpnRoute {
    pub fn route_type(&self) -> u8 {
        match self {
            EvpnRoute::EthernetAd(_) => 1,
            EvpnRoute::MacIp(_) => 2,
            EvpnRoute::Imet(_) => 3,
            EvpnRoute::EthernetSegment(_) => 4,
            EvpnRoute::IpPrefix(_) => 5,
            EvpnRoute::Unknown { route_type, .. } => *route_type,
        }
    }

    pub fn rd(&self) -> Option<Rd> {
        match self {
            EvpnRoute::EthernetAd(r) => Some(r.rd),
            EvpnRoute::MacIp(r) => Some(r.rd),
            EvpnRoute::Imet(r) => Some(r.rd),
            EvpnRoute::EthernetSegment(r) => Some(r.rd),
            EvpnRoute::IpPrefix(r) => Some(r.rd),
            EvpnRoute::Unknown { .. } => None,
        }
    }

    pub fn key(&self) -> EvpnKey {
        match self {
            EvpnRoute::EthernetAd(r) => EvpnKey::EthernetAd {
                rd: r.rd,
                esi: r.esi,
                ethernet_tag: r.ethernet_tag,
            },
            EvpnRoute::MacIp(r) => EvpnKey::MacIp {
                rd: r.rd,
                ethernet_tag: r.ethernet_tag,
                mac: r.mac,
                ip: r.ip,
            },
            EvpnRoute::Imet(r) => EvpnKey::Imet {
                rd: r.rd,
                ethernet_tag: r.ethernet_tag,
                originator: r.originator,
            },
            EvpnRoute::EthernetSegment(r) => EvpnKey::EthernetSegment {
                rd: r.rd,
                esi: r.esi,
                originator: r.originator,
            },
            EvpnRoute::IpPrefix(r) => EvpnKey::IpPrefix {
                rd: r.rd,
                ethernet_tag: r.ethernet_tag,
                prefix: r.prefix,
            },
            EvpnRoute::Unknown { route_type, value } => EvpnKey::Unknown {
                route_type: *route_type,
                value: value.clone(),
            },
        }
    }

    /// Octets of the route-type-specific part (the Length octet's value).
    pub fn value_len(&self) -> usize {
        match self {
            EvpnRoute::EthernetAd(_) => ead::LEN,
            EvpnRoute::MacIp(r) => r.value_len(),
            EvpnRoute::Imet(r) => imet::value_len(r),
            EvpnRoute::EthernetSegment(r) => segment::value_len(r),
            EvpnRoute::IpPrefix(r) => ip_prefix::value_len(r),
            EvpnRoute::Unknown { value, .. } => value.len(),
        }
    }

    fn encode_value(&self, out: &mut BytesMut) {
        match self {
            EvpnRoute::EthernetAd(r) => r.encode(out),
            EvpnRoute::MacIp(r) => r.encode(out),
            EvpnRoute::Imet(r) => r.encode(out),
            EvpnRoute::EthernetSegment(r) => r.encode(out),
            EvpnRoute::IpPrefix(r) => r.encode(out),
            EvpnRoute::Unknown { value, .. } => out.put_slice(value),
        }
    }
}

fn ip_len_bits(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

/// FRR's prefix notation (`show bgp l2vpn evpn`), prefixed with the RD.
impl fmt::Display for EvpnRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rd) = self.rd() {
            write!(f, "{rd} ")?;
        }
        match self {
            EvpnRoute::EthernetAd(r) => write!(
                f,
                "[1]:[{}]:[{}]:[{}]",
                r.ethernet_tag,
                r.esi,
                r.label.vni()
            ),
            EvpnRoute::MacIp(r) => {
                write!(f, "[2]:[{}]:[48]:[{}]", r.ethernet_tag, r.mac)?;
                match r.ip {
                    Some(ip) => write!(f, ":[{}]:[{ip}]", ip_len_bits(&ip)),
                    None => Ok(()),
                }
            }
            EvpnRoute::Imet(r) => {
                write!(
                    f,
                    "[3]:[{}]:[{}]:[{}]",
                    r.ethernet_tag,
                    ip_len_bits(&r.originator),
                    r.originator
                )
            }
            EvpnRoute::EthernetSegment(r) => {
                write!(
                    f,
                    "[4]:[{}]:[{}]:[{}]",
                    r.esi,
                    ip_len_bits(&r.originator),
                    r.originator
                )
            }
            EvpnRoute::IpPrefix(r) => {
                write!(
                    f,
                    "[5]:[{}]:[{}]:[{}]",
                    r.ethernet_tag,
                    r.prefix.prefix_len(),
                    r.prefix.addr()
                )
            }
            EvpnRoute::Unknown { route_type, value } => {
                write!(f, "[{route_type}]:[{}]", Hex(value))
            }
        }
    }
}

impl fmt::Display for EvpnNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.route)?;
        match self.path_id {
            Some(id) => write!(f, " path-id {id}"),
            None => Ok(()),
        }
    }
}

fn lost(reason: String) -> NlriError {
    NlriError::new(NlriReason::BoundaryLost, reason)
}

/// Why one route's content does not parse.
#[derive(Debug)]
pub(crate) struct Malformed {
    kind: NlriReason,
    why: String,
}

impl Malformed {
    pub(crate) fn new(kind: NlriReason, why: impl Into<String>) -> Malformed {
        Malformed {
            kind,
            why: why.into(),
        }
    }

    /// The Length octet does not fit the route type's layout.
    pub(crate) fn length(why: impl Into<String>) -> Malformed {
        Malformed::new(NlriReason::RouteLength, why)
    }
}

/// One route that was not handed on as a route: why, and for a type-5 route
/// treated as withdrawn, the route (its key is what to withdraw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteIssue {
    pub error: NlriError,
    pub withdraw: Option<EvpnNlri>,
}

/// Smallest possible EVPN NLRI (type + length, empty value): bounds the pre-allocation.
const MIN_NLRI: usize = 2;

/// Decodes a run of EVPN NLRI. Any problem fails the whole run (an unknown
/// route type too); see [`decode_evpn_nlris_lenient`] for the RFC 7606 split.
pub fn decode_evpn_nlris(buf: &[u8], add_path: bool) -> Result<Vec<EvpnNlri>, NlriError> {
    let (routes, mut issues) = decode_evpn_nlris_lenient(buf, add_path)?;
    match issues.is_empty() {
        true => Ok(routes),
        false => Err(issues.swap_remove(0).error),
    }
}

/// Decodes a run of EVPN NLRI: the routes, and the routes that are not
/// routes (unknown type: discarded; type 5 with ESI and gateway: treated as
/// withdrawn). `Err` for a syntax error (ADR 0017): the boundaries are lost,
/// or a known route type does not parse; its `kind` says which.
pub fn decode_evpn_nlris_lenient(
    buf: &[u8],
    add_path: bool,
) -> Result<(Vec<EvpnNlri>, Vec<RouteIssue>), NlriError> {
    let mut r = Reader::new(buf);
    let mut routes = Vec::with_capacity(buf.len() / (MIN_NLRI + 31));
    let mut issues = Vec::new();
    while !r.is_empty() {
        let path_id = match add_path {
            true => Some(
                r.u32()
                    .ok_or_else(|| lost("EVPN path identifier truncated".into()))?,
            ),
            false => None,
        };
        let (Some(route_type), Some(len)) = (r.u8(), r.u8()) else {
            return Err(lost("EVPN NLRI header truncated".into()));
        };
        let value = r.bytes(usize::from(len)).ok_or_else(|| {
            lost(format!(
                "EVPN route type {route_type} length {len} runs past the attribute ({} octets left)",
                r.remaining()
            ))
        })?;
        let parsed = match route_type {
            1 => ead::decode(value).map(EvpnRoute::EthernetAd),
            2 => mac_ip::decode(value).map(EvpnRoute::MacIp),
            3 => imet::decode(value).map(EvpnRoute::Imet),
            4 => segment::decode(value).map(EvpnRoute::EthernetSegment),
            5 => ip_prefix::decode(value).map(EvpnRoute::IpPrefix),
            _ => {
                issues.push(RouteIssue {
                    error: NlriError::new(
                        NlriReason::UnknownRouteType,
                        format!(
                            "EVPN route type {route_type} (length {len}) is not supported: discarded (RFC 7606 §5.4)"
                        ),
                    ),
                    withdraw: None,
                });
                continue;
            }
        };
        let route = parsed.map_err(|m| {
            NlriError::new(
                m.kind,
                format!(
                    "malformed EVPN route type {route_type} (length {len}): {}",
                    m.why
                ),
            )
        })?;
        let nlri = EvpnNlri { path_id, route };
        match two_overlay_indexes(&nlri.route) {
            Some(why) => issues.push(RouteIssue {
                error: NlriError::new(
                    NlriReason::EsiAndGateway,
                    format!("EVPN route {nlri}: {why}: treated as withdrawn"),
                ),
                withdraw: Some(nlri),
            }),
            None => routes.push(nlri),
        }
    }
    Ok((routes, issues))
}

/// RFC 9136 §3.2: a type-5 route names at most one overlay index.
fn two_overlay_indexes(route: &EvpnRoute) -> Option<String> {
    match route {
        EvpnRoute::IpPrefix(p) if !p.esi.is_zero() && !p.gateway.is_unspecified() => Some(format!(
            "both ESI {} and gateway {} set (RFC 9136 §3.2 allows one overlay index)",
            p.esi, p.gateway
        )),
        _ => None,
    }
}

/// Appends `nlris` in wire form (path ids written when `Some`).
pub fn encode_evpn_nlris(nlris: &[EvpnNlri], out: &mut BytesMut) {
    for n in nlris {
        encode_evpn_nlri(n, out);
    }
}

pub fn encode_evpn_nlri(n: &EvpnNlri, out: &mut BytesMut) {
    if let Some(id) = n.path_id {
        out.put_u32(id);
    }
    out.put_u8(n.route.route_type());
    // Every known layout is < 256 octets; an Unknown value came from a 1-octet length.
    out.put_u8(n.route.value_len().min(255) as u8);
    n.route.encode_value(out);
}

/// Encoded size of one NLRI.
pub fn evpn_nlri_len(n: &EvpnNlri) -> usize {
    usize::from(n.path_id.is_some()) * 4 + 2 + n.route.value_len()
}

/// Shared field readers for the route-type modules.
pub(crate) mod field {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use bytes::{BufMut, BytesMut};

    use super::Malformed;
    use crate::error::NlriReason;
    use crate::read::Reader;
    use crate::types::{Esi, Label3, Rd};

    pub(crate) fn rd(r: &mut Reader<'_>) -> Result<Rd, Malformed> {
        r.array::<8>()
            .map(Rd::from_bytes)
            .ok_or_else(|| Malformed::length("RD truncated"))
    }
    pub(crate) fn esi(r: &mut Reader<'_>) -> Result<Esi, Malformed> {
        r.array::<10>()
            .map(Esi)
            .ok_or_else(|| Malformed::length("ESI truncated"))
    }
    pub(crate) fn u32(r: &mut Reader<'_>, what: &str) -> Result<u32, Malformed> {
        r.u32()
            .ok_or_else(|| Malformed::length(format!("{what} truncated")))
    }
    pub(crate) fn u8(r: &mut Reader<'_>, what: &str) -> Result<u8, Malformed> {
        r.u8()
            .ok_or_else(|| Malformed::length(format!("{what} truncated")))
    }
    /// A missing label is its own reason (issue 15 lists it apart).
    pub(crate) fn label(r: &mut Reader<'_>) -> Result<Label3, Malformed> {
        r.array::<3>()
            .map(Label3)
            .ok_or_else(|| Malformed::new(NlriReason::LabelMissing, "label missing or truncated"))
    }
    /// An IP address of `bits` (32 or 128) length.
    pub(crate) fn ip(r: &mut Reader<'_>, bits: u8) -> Result<IpAddr, Malformed> {
        match bits {
            32 => r.array::<4>().map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            128 => r.array::<16>().map(|a| IpAddr::V6(Ipv6Addr::from(a))),
            other => {
                return Err(Malformed::new(
                    NlriReason::IpLength,
                    format!("IP address length {other} is not 32 or 128"),
                ));
            }
        }
        .ok_or_else(|| Malformed::length("IP address truncated"))
    }
    pub(crate) fn put_ip(out: &mut BytesMut, ip: &IpAddr) {
        match ip {
            IpAddr::V4(a) => out.put_slice(&a.octets()),
            IpAddr::V6(a) => out.put_slice(&a.octets()),
        }
    }
    pub(crate) fn ip_octets(ip: &IpAddr) -> usize {
        if ip.is_ipv4() { 4 } else { 16 }
    }
    pub(crate) fn end(r: &Reader<'_>) -> Result<(), Malformed> {
        match r.remaining() {
            0 => Ok(()),
            n => Err(Malformed::length(format!("{n} unexpected trailing octets"))),
        }
    }
}
