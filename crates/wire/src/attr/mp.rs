//! MP_REACH_NLRI (type 14) and MP_UNREACH_NLRI (type 15), RFC 4760 §3-§4.
//!
//! ```text
//! MP_REACH_NLRI                              MP_UNREACH_NLRI
//! +---------------------------------+        +---------------------------------+
//! | AFI (2)                         |        | AFI (2)                         |
//! | SAFI (1)                        |        | SAFI (1)                        |
//! | Length of Next Hop (1)          |        | Withdrawn Routes (variable)     |
//! | Next Hop (variable)             |        +---------------------------------+
//! | Reserved (1)                    |
//! | NLRI (variable)                 |
//! +---------------------------------+
//! ```
//! Next hop: 4 (IPv4), 16 (IPv6 global), 32 (IPv6 global + link-local).
//! IPv4 unicast and EVPN may use an IPv6 next hop (RFC 8950, RFC 8365 §5.1.3).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::context::Context;
use crate::error::NlriReason;
use crate::hex::{Hex, ser_hex};
use crate::nlri::NlriError;
use crate::nlri::evpn::{
    EvpnNlri, RouteIssue, decode_evpn_nlris_lenient, encode_evpn_nlris, evpn_nlri_len,
};
use crate::nlri::prefix::{Prefix, decode_prefixes, encode_prefixes, prefix_len};
use crate::read::Reader;
use crate::types::{Afi, Family, Safi};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NextHop {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    V6LinkLocal {
        global: Ipv6Addr,
        link_local: Ipv6Addr,
    },
    /// A family whose next hop evpnd does not interpret (e.g. VPN: RD + address).
    Raw(#[serde(serialize_with = "ser_hex")] Vec<u8>),
}

impl NextHop {
    pub fn from_ip(ip: IpAddr) -> NextHop {
        match ip {
            IpAddr::V4(a) => NextHop::V4(a),
            IpAddr::V6(a) => NextHop::V6(a),
        }
    }

    /// The address to forward to (the global one for IPv6 pairs).
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            NextHop::V4(a) => Some(IpAddr::V4(a)),
            NextHop::V6(a) | NextHop::V6LinkLocal { global: a, .. } => Some(IpAddr::V6(a)),
            NextHop::Raw(_) => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            NextHop::V4(_) => 4,
            NextHop::V6(_) => 16,
            NextHop::V6LinkLocal { .. } => 32,
            NextHop::Raw(r) => r.len(),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            NextHop::V4(a) => out.put_slice(&a.octets()),
            NextHop::V6(a) => out.put_slice(&a.octets()),
            NextHop::V6LinkLocal { global, link_local } => {
                out.put_slice(&global.octets());
                out.put_slice(&link_local.octets());
            }
            NextHop::Raw(r) => out.put_slice(r),
        }
    }
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextHop::V4(a) => write!(f, "{a}"),
            NextHop::V6(a) => write!(f, "{a}"),
            NextHop::V6LinkLocal { global, link_local } => write!(f, "{global} ({link_local})"),
            NextHop::Raw(r) => write!(f, "raw {}", Hex(r)),
        }
    }
}

/// The NLRI carried in an MP attribute, typed for the families evpnd speaks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MpNlri {
    Prefixes(Vec<Prefix>),
    Evpn(Vec<EvpnNlri>),
    Raw(#[serde(serialize_with = "ser_hex")] Vec<u8>),
}

impl MpNlri {
    pub fn is_empty(&self) -> bool {
        match self {
            MpNlri::Prefixes(p) => p.is_empty(),
            MpNlri::Evpn(e) => e.is_empty(),
            MpNlri::Raw(r) => r.is_empty(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            MpNlri::Prefixes(p) => p.len(),
            MpNlri::Evpn(e) => e.len(),
            MpNlri::Raw(r) => usize::from(!r.is_empty()),
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            MpNlri::Prefixes(p) => p.iter().map(prefix_len).sum(),
            MpNlri::Evpn(e) => e.iter().map(evpn_nlri_len).sum(),
            MpNlri::Raw(r) => r.len(),
        }
    }

    fn encode(&self, out: &mut BytesMut) {
        match self {
            MpNlri::Prefixes(p) => encode_prefixes(p, out),
            MpNlri::Evpn(e) => encode_evpn_nlris(e, out),
            MpNlri::Raw(r) => out.put_slice(r),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MpReach {
    pub family: Family,
    pub next_hop: NextHop,
    /// The octet after the next hop (reserved since RFC 4760; was the SNPA count).
    pub reserved: u8,
    pub nlri: MpNlri,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MpUnreach {
    pub family: Family,
    pub nlri: MpNlri,
}

/// Decoding an MP attribute: the value, plus the routes that were not
/// handed on (route-only issues: unknown type, treated as withdrawn).
pub(crate) struct MpDecoded<T> {
    pub value: T,
    pub dropped: Vec<RouteIssue>,
}

/// Why an MP attribute does not parse: the text, and the NLRI reason when
/// it was the NLRI (for counting).
pub(crate) struct MpError {
    pub reason: String,
    pub nlri: Option<NlriReason>,
}

impl From<String> for MpError {
    fn from(reason: String) -> MpError {
        MpError { reason, nlri: None }
    }
}

impl From<&str> for MpError {
    fn from(reason: &str) -> MpError {
        MpError::from(reason.to_string())
    }
}

impl From<NlriError> for MpError {
    fn from(e: NlriError) -> MpError {
        MpError {
            reason: e.reason,
            nlri: Some(e.kind),
        }
    }
}

fn decode_nlri(
    family: Family,
    buf: &[u8],
    ctx: &Context,
) -> Result<(MpNlri, Vec<RouteIssue>), NlriError> {
    let add_path = ctx.has_add_path(family);
    match family {
        Family::IPV4_UNICAST | Family::IPV6_UNICAST => Ok((
            MpNlri::Prefixes(decode_prefixes(buf, family.afi, add_path)?),
            Vec::new(),
        )),
        Family::L2VPN_EVPN => {
            let (routes, dropped) = decode_evpn_nlris_lenient(buf, add_path)?;
            Ok((MpNlri::Evpn(routes), dropped))
        }
        _ => Ok((MpNlri::Raw(buf.to_vec()), Vec::new())),
    }
}

fn family(r: &mut Reader<'_>) -> Result<Family, String> {
    let (Some(afi), Some(safi)) = (r.u16(), r.u8()) else {
        return Err("AFI/SAFI truncated".into());
    };
    Ok(Family::new(Afi(afi), Safi(safi)))
}

impl MpReach {
    pub(crate) fn decode(v: &[u8], ctx: &Context) -> Result<MpDecoded<MpReach>, MpError> {
        let mut r = Reader::new(v);
        let family = family(&mut r)?;
        let nh_len = r.u8().ok_or("next hop length missing")?;
        let nh = r
            .bytes(usize::from(nh_len))
            .ok_or_else(|| format!("next hop length {nh_len} overruns the attribute"))?;
        let ip_family = matches!(
            family,
            Family::IPV4_UNICAST | Family::IPV6_UNICAST | Family::L2VPN_EVPN
        );
        let next_hop = match (nh_len, ip_family) {
            (4, true) if family != Family::IPV6_UNICAST => {
                NextHop::V4(Ipv4Addr::new(nh[0], nh[1], nh[2], nh[3]))
            }
            (16, true) => NextHop::V6(ipv6(&nh[..16])),
            (32, true) => NextHop::V6LinkLocal {
                global: ipv6(&nh[..16]),
                link_local: ipv6(&nh[16..]),
            },
            (n, true) => {
                return Err(format!("next hop length {n} is invalid for {family}").into());
            }
            (_, false) => NextHop::Raw(nh.to_vec()),
        };
        let reserved = r.u8().ok_or("reserved octet missing")?;
        let (nlri, dropped) = decode_nlri(family, r.rest(), ctx)?;
        Ok(MpDecoded {
            value: MpReach {
                family,
                next_hop,
                reserved,
                nlri,
            },
            dropped,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        3 + 1 + self.next_hop.len() + 1 + self.nlri.encoded_len()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.family.afi.0);
        out.put_u8(self.family.safi.0);
        out.put_u8(self.next_hop.len() as u8);
        self.next_hop.encode(out);
        out.put_u8(self.reserved);
        self.nlri.encode(out);
    }
}

impl MpUnreach {
    pub(crate) fn decode(v: &[u8], ctx: &Context) -> Result<MpDecoded<MpUnreach>, MpError> {
        let mut r = Reader::new(v);
        let family = family(&mut r)?;
        let (nlri, dropped) = decode_nlri(family, r.rest(), ctx)?;
        Ok(MpDecoded {
            value: MpUnreach { family, nlri },
            dropped,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        3 + self.nlri.encoded_len()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.family.afi.0);
        out.put_u8(self.family.safi.0);
        self.nlri.encode(out);
    }
}

fn ipv6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// A route not handed on from an MP attribute: reported route-only (see
/// `UpdateIssue`), with its reason and, for treat-as-withdraw, the route.
pub(crate) fn dropped_issue(attr: u8, i: RouteIssue) -> crate::error::UpdateIssue {
    crate::error::UpdateIssue {
        attr_type: Some(attr),
        action: i.error.action,
        route_only: true,
        reason: i.error.reason,
        nlri: Some(i.error.kind),
        withdraw: i.withdraw,
    }
}
