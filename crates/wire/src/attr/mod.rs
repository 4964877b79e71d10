//! BGP path attributes (RFC 4271 §4.3 and extensions), typed, with the raw
//! flags octet kept so every attribute re-encodes exactly as received.
//!
//! ```text
//! +----------------+----------------+---------------------------+----------------+
//! | Attr. Flags (1)| Attr. Type (1) | Length (1, or 2 if E set) | Value (Length) |
//! +----------------+----------------+---------------------------+----------------+
//! Flags: 0x80 Optional, 0x40 Transitive, 0x20 Partial, 0x10 Extended Length;
//! the low 4 bits are unused (ignored on receive, kept for exact re-encoding).
//! ```
//!
//! [`decode_value`] validates one attribute and says what RFC 7606 §7 wants
//! done if it is malformed; `update.rs` runs the list-level rules.

pub mod as_path;
pub mod community;
pub mod ext_community;
pub mod mp;
pub mod pmsi;

use std::fmt;
use std::net::Ipv4Addr;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

pub use as_path::{AsPath, Segment, SegmentType};
pub use community::{Aggregator, LargeCommunity, Origin, community_str};
pub use ext_community::ExtCommunity;
pub use mp::{MpNlri, MpReach, MpUnreach, NextHop};
pub use pmsi::{PmsiTunnel, TunnelId};

use crate::context::Context;
use crate::error::Action;
use crate::hex::{Hex, ser_hex};

/// Attribute flag bits.
pub mod flag {
    pub const OPTIONAL: u8 = 0x80;
    pub const TRANSITIVE: u8 = 0x40;
    pub const PARTIAL: u8 = 0x20;
    pub const EXTENDED: u8 = 0x10;
}

/// Attribute type codes (IANA).
pub mod code {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MED: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const ORIGINATOR_ID: u8 = 9;
    pub const CLUSTER_LIST: u8 = 10;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const EXTENDED_COMMUNITIES: u8 = 16;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const PMSI_TUNNEL: u8 = 22;
    pub const LARGE_COMMUNITY: u8 = 32;
    pub const OTC: u8 = 35;
}

/// One path attribute: the flags octet as received (or chosen) and the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PathAttribute {
    pub flags: u8,
    #[serde(flatten)]
    pub value: AttrValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "attribute", content = "value", rename_all = "snake_case")]
pub enum AttrValue {
    Origin(Origin),
    AsPath(AsPath),
    NextHop(Ipv4Addr),
    Med(u32),
    LocalPref(u32),
    AtomicAggregate,
    Aggregator(Aggregator),
    Communities(Vec<u32>),
    OriginatorId(Ipv4Addr),
    ClusterList(Vec<Ipv4Addr>),
    MpReach(MpReach),
    MpUnreach(MpUnreach),
    ExtCommunities(Vec<ExtCommunity>),
    As4Path(AsPath),
    As4Aggregator(Aggregator),
    PmsiTunnel(PmsiTunnel),
    LargeCommunities(Vec<LargeCommunity>),
    /// Only To Customer (RFC 9234).
    Otc(u32),
    /// Any attribute evpnd does not interpret, kept to be passed on unchanged.
    Raw {
        type_code: u8,
        #[serde(serialize_with = "ser_hex")]
        bytes: Vec<u8>,
    },
}

impl AttrValue {
    pub fn type_code(&self) -> u8 {
        match self {
            AttrValue::Origin(_) => code::ORIGIN,
            AttrValue::AsPath(_) => code::AS_PATH,
            AttrValue::NextHop(_) => code::NEXT_HOP,
            AttrValue::Med(_) => code::MED,
            AttrValue::LocalPref(_) => code::LOCAL_PREF,
            AttrValue::AtomicAggregate => code::ATOMIC_AGGREGATE,
            AttrValue::Aggregator(_) => code::AGGREGATOR,
            AttrValue::Communities(_) => code::COMMUNITIES,
            AttrValue::OriginatorId(_) => code::ORIGINATOR_ID,
            AttrValue::ClusterList(_) => code::CLUSTER_LIST,
            AttrValue::MpReach(_) => code::MP_REACH_NLRI,
            AttrValue::MpUnreach(_) => code::MP_UNREACH_NLRI,
            AttrValue::ExtCommunities(_) => code::EXTENDED_COMMUNITIES,
            AttrValue::As4Path(_) => code::AS4_PATH,
            AttrValue::As4Aggregator(_) => code::AS4_AGGREGATOR,
            AttrValue::PmsiTunnel(_) => code::PMSI_TUNNEL,
            AttrValue::LargeCommunities(_) => code::LARGE_COMMUNITY,
            AttrValue::Otc(_) => code::OTC,
            AttrValue::Raw { type_code, .. } => *type_code,
        }
    }
}

/// The O/T bits an attribute must carry, or `None` if evpnd does not check it.
fn expected_flags(type_code: u8) -> Option<u8> {
    use code::*;
    const WK: u8 = flag::TRANSITIVE;
    const OT: u8 = flag::OPTIONAL | flag::TRANSITIVE;
    const ON: u8 = flag::OPTIONAL;
    Some(match type_code {
        ORIGIN | AS_PATH | NEXT_HOP | LOCAL_PREF | ATOMIC_AGGREGATE => WK,
        AGGREGATOR | COMMUNITIES | EXTENDED_COMMUNITIES | AS4_PATH | AS4_AGGREGATOR
        | PMSI_TUNNEL | LARGE_COMMUNITY | OTC => OT,
        MED | ORIGINATOR_ID | CLUSTER_LIST | MP_REACH_NLRI | MP_UNREACH_NLRI => ON,
        _ => return None,
    })
}

/// Whether `type_code` is one evpnd decodes (as opposed to carrying raw).
pub fn is_known(type_code: u8) -> bool {
    expected_flags(type_code).is_some()
}

impl PathAttribute {
    /// An attribute with the standard flags for its type (E set only when needed).
    /// MP_REACH/MP_UNREACH always get the extended length, as FRR sends them.
    pub fn new(value: AttrValue) -> PathAttribute {
        let t = value.type_code();
        let mut a = PathAttribute {
            flags: expected_flags(t).unwrap_or(flag::OPTIONAL | flag::TRANSITIVE),
            value,
        };
        if t == code::MP_REACH_NLRI
            || t == code::MP_UNREACH_NLRI
            || a.value_len(&Context::default()) > 255
        {
            a.flags |= flag::EXTENDED;
        }
        a
    }

    pub fn type_code(&self) -> u8 {
        self.value.type_code()
    }

    fn value_len(&self, ctx: &Context) -> usize {
        match &self.value {
            AttrValue::Origin(_) => 1,
            AttrValue::AsPath(p) => p.encoded_len(ctx.four_octet_as),
            AttrValue::As4Path(p) => p.encoded_len(true),
            AttrValue::NextHop(_)
            | AttrValue::Med(_)
            | AttrValue::LocalPref(_)
            | AttrValue::OriginatorId(_) => 4,
            AttrValue::Otc(_) => 4,
            AttrValue::AtomicAggregate => 0,
            AttrValue::Aggregator(_) => {
                if ctx.four_octet_as {
                    8
                } else {
                    6
                }
            }
            AttrValue::As4Aggregator(_) => 8,
            AttrValue::Communities(c) => c.len() * 4,
            AttrValue::ClusterList(c) => c.len() * 4,
            AttrValue::MpReach(m) => m.encoded_len(),
            AttrValue::MpUnreach(m) => m.encoded_len(),
            AttrValue::ExtCommunities(c) => c.len() * 8,
            AttrValue::PmsiTunnel(p) => p.encoded_len(),
            AttrValue::LargeCommunities(c) => c.len() * 12,
            AttrValue::Raw { bytes, .. } => bytes.len(),
        }
    }

    /// Encoded size including the header.
    pub fn encoded_len(&self, ctx: &Context) -> usize {
        let len = self.value_len(ctx);
        let ext = self.flags & flag::EXTENDED != 0 || len > 255;
        2 + if ext { 2 } else { 1 } + len
    }

    pub fn encode(&self, ctx: &Context, out: &mut BytesMut) {
        let len = self.value_len(ctx);
        let ext = self.flags & flag::EXTENDED != 0 || len > 255;
        out.put_u8(if ext {
            self.flags | flag::EXTENDED
        } else {
            self.flags
        });
        out.put_u8(self.type_code());
        if ext {
            out.put_u16(len.min(usize::from(u16::MAX)) as u16);
        } else {
            out.put_u8(len as u8);
        }
        match &self.value {
            AttrValue::Origin(o) => out.put_u8(o.code()),
            AttrValue::AsPath(p) => p.encode(ctx.four_octet_as, out),
            AttrValue::As4Path(p) => p.encode(true, out),
            AttrValue::NextHop(a) | AttrValue::OriginatorId(a) => out.put_slice(&a.octets()),
            AttrValue::Med(v) | AttrValue::LocalPref(v) | AttrValue::Otc(v) => out.put_u32(*v),
            AttrValue::AtomicAggregate => {}
            AttrValue::Aggregator(a) => {
                if ctx.four_octet_as {
                    out.put_u32(a.asn);
                } else {
                    out.put_u16(u16::try_from(a.asn).unwrap_or(23456));
                }
                out.put_slice(&a.address.octets());
            }
            AttrValue::As4Aggregator(a) => {
                out.put_u32(a.asn);
                out.put_slice(&a.address.octets());
            }
            AttrValue::Communities(c) => c.iter().for_each(|v| out.put_u32(*v)),
            AttrValue::ClusterList(c) => c.iter().for_each(|a| out.put_slice(&a.octets())),
            AttrValue::MpReach(m) => m.encode(out),
            AttrValue::MpUnreach(m) => m.encode(out),
            AttrValue::ExtCommunities(c) => c.iter().for_each(|e| out.put_slice(&e.to_bytes())),
            AttrValue::PmsiTunnel(p) => p.encode(out),
            AttrValue::LargeCommunities(c) => c.iter().for_each(|l| {
                out.put_u32(l.global);
                out.put_u32(l.local1);
                out.put_u32(l.local2);
            }),
            AttrValue::Raw { bytes, .. } => out.put_slice(bytes),
        }
    }
}

/// What is wrong with one attribute and what RFC 7606 says to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrProblem {
    pub action: Action,
    pub reason: String,
}

fn problem(action: Action, reason: impl Into<String>) -> AttrProblem {
    AttrProblem {
        action,
        reason: reason.into(),
    }
}

fn fixed<const N: usize>(v: &[u8], what: &str, action: Action) -> Result<[u8; N], AttrProblem> {
    v.try_into()
        .map_err(|_| problem(action, format!("{what} length {} (must be {N})", v.len())))
}

fn multiple_of(v: &[u8], n: usize, what: &str, action: Action) -> Result<(), AttrProblem> {
    if v.is_empty() || !v.len().is_multiple_of(n) {
        return Err(problem(
            action,
            format!(
                "{what} length {} is not a non-zero multiple of {n}",
                v.len()
            ),
        ));
    }
    Ok(())
}

/// Decodes the value of one non-MP attribute (MP_REACH/UNREACH are decoded by
/// the UPDATE code, which needs their NLRI). The action on error follows
/// RFC 7606 §7 (see `shared/reference/rfc-checklist.md` §7).
pub(crate) fn decode_value(
    type_code: u8,
    flags: u8,
    v: &[u8],
    ctx: &Context,
) -> Result<AttrValue, AttrProblem> {
    use Action::*;
    if let Some(want) = expected_flags(type_code) {
        let got = flags & (flag::OPTIONAL | flag::TRANSITIVE);
        let partial_ok = want == flag::OPTIONAL | flag::TRANSITIVE;
        if got != want || (!partial_ok && flags & flag::PARTIAL != 0) {
            let action = match type_code {
                code::ATOMIC_AGGREGATE | code::AGGREGATOR | code::AS4_AGGREGATOR => {
                    AttributeDiscard
                }
                code::LOCAL_PREF if !ctx.ibgp => AttributeDiscard,
                _ => TreatAsWithdraw,
            };
            return Err(problem(
                action,
                format!("attribute flags {flags:#04x} wrong for type {type_code} (RFC 7606 §3c)"),
            ));
        }
    }
    // From an eBGP peer these are not expected at all (RFC 7606 §7.5, §7.9, §7.10).
    let ebgp_discard = if ctx.ibgp {
        TreatAsWithdraw
    } else {
        AttributeDiscard
    };
    Ok(match type_code {
        code::ORIGIN => {
            let [o] = fixed::<1>(v, "ORIGIN", TreatAsWithdraw)?;
            AttrValue::Origin(Origin::from_code(o).ok_or_else(|| {
                problem(
                    TreatAsWithdraw,
                    format!("ORIGIN value {o} is not 0, 1 or 2"),
                )
            })?)
        }
        code::AS_PATH => AttrValue::AsPath(
            AsPath::decode(v, ctx.four_octet_as)
                .map_err(|e| problem(TreatAsWithdraw, format!("AS_PATH: {e}")))?,
        ),
        code::NEXT_HOP => {
            AttrValue::NextHop(Ipv4Addr::from(fixed::<4>(v, "NEXT_HOP", TreatAsWithdraw)?))
        }
        code::MED => AttrValue::Med(u32::from_be_bytes(fixed::<4>(v, "MED", TreatAsWithdraw)?)),
        code::LOCAL_PREF => {
            if !ctx.ibgp {
                return Err(problem(AttributeDiscard, "LOCAL_PREF from an eBGP peer"));
            }
            AttrValue::LocalPref(u32::from_be_bytes(fixed::<4>(
                v,
                "LOCAL_PREF",
                TreatAsWithdraw,
            )?))
        }
        code::ATOMIC_AGGREGATE => {
            if !v.is_empty() {
                return Err(problem(
                    AttributeDiscard,
                    format!("ATOMIC_AGGREGATE length {} (must be 0)", v.len()),
                ));
            }
            AttrValue::AtomicAggregate
        }
        code::AGGREGATOR => {
            let (asn, addr) = if ctx.four_octet_as {
                let b = fixed::<8>(v, "AGGREGATOR", AttributeDiscard)?;
                (
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                    [b[4], b[5], b[6], b[7]],
                )
            } else {
                let b = fixed::<6>(v, "AGGREGATOR", AttributeDiscard)?;
                (
                    u32::from(u16::from_be_bytes([b[0], b[1]])),
                    [b[2], b[3], b[4], b[5]],
                )
            };
            if asn == 0 {
                return Err(problem(AttributeDiscard, "AGGREGATOR AS 0 (RFC 7607)"));
            }
            AttrValue::Aggregator(Aggregator {
                asn,
                address: addr.into(),
            })
        }
        code::AS4_AGGREGATOR => {
            let b = fixed::<8>(v, "AS4_AGGREGATOR", AttributeDiscard)?;
            let asn = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            AttrValue::As4Aggregator(Aggregator {
                asn,
                address: Ipv4Addr::new(b[4], b[5], b[6], b[7]),
            })
        }
        code::COMMUNITIES => {
            multiple_of(v, 4, "COMMUNITIES", TreatAsWithdraw)?;
            AttrValue::Communities(community::u32s(v))
        }
        code::ORIGINATOR_ID => AttrValue::OriginatorId(Ipv4Addr::from(fixed::<4>(
            v,
            "ORIGINATOR_ID",
            ebgp_discard,
        )?)),
        code::CLUSTER_LIST => {
            multiple_of(v, 4, "CLUSTER_LIST", ebgp_discard)?;
            AttrValue::ClusterList(community::u32s(v).into_iter().map(Ipv4Addr::from).collect())
        }
        code::EXTENDED_COMMUNITIES => {
            multiple_of(v, 8, "EXTENDED_COMMUNITIES", TreatAsWithdraw)?;
            AttrValue::ExtCommunities(
                v.chunks_exact(8)
                    .filter_map(|c| <[u8; 8]>::try_from(c).ok())
                    .map(ExtCommunity::from_bytes)
                    .collect(),
            )
        }
        code::AS4_PATH => AttrValue::As4Path(AsPath::decode(v, true).map_err(|e| {
            // RFC 7606 §7.? says attribute discard; FRR withdraws. Withdraw is the safer reading.
            problem(TreatAsWithdraw, format!("AS4_PATH: {e}"))
        })?),
        code::PMSI_TUNNEL => AttrValue::PmsiTunnel(
            PmsiTunnel::decode(v)
                .map_err(|e| problem(TreatAsWithdraw, format!("PMSI_TUNNEL: {e}")))?,
        ),
        code::LARGE_COMMUNITY => {
            multiple_of(v, 12, "LARGE_COMMUNITY", TreatAsWithdraw)?;
            let w = community::u32s(v);
            AttrValue::LargeCommunities(
                w.chunks_exact(3)
                    .map(|c| LargeCommunity {
                        global: c[0],
                        local1: c[1],
                        local2: c[2],
                    })
                    .collect(),
            )
        }
        code::OTC => {
            let asn = u32::from_be_bytes(fixed::<4>(v, "OTC", TreatAsWithdraw)?);
            if asn == 0 {
                return Err(problem(TreatAsWithdraw, "OTC AS 0"));
            }
            AttrValue::Otc(asn)
        }
        _ => AttrValue::Raw {
            type_code,
            bytes: v.to_vec(),
        },
    })
}

impl fmt::Display for PathAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            AttrValue::Origin(o) => write!(f, "origin {o}"),
            AttrValue::AsPath(p) => write!(f, "as-path [{p}]"),
            AttrValue::As4Path(p) => write!(f, "as4-path [{p}]"),
            AttrValue::NextHop(a) => write!(f, "next-hop {a}"),
            AttrValue::Med(v) => write!(f, "med {v}"),
            AttrValue::LocalPref(v) => write!(f, "local-pref {v}"),
            AttrValue::AtomicAggregate => f.write_str("atomic-aggregate"),
            AttrValue::Aggregator(a) => write!(f, "aggregator {} {}", a.asn, a.address),
            AttrValue::As4Aggregator(a) => write!(f, "as4-aggregator {} {}", a.asn, a.address),
            AttrValue::Communities(c) => {
                write!(
                    f,
                    "communities {}",
                    c.iter()
                        .map(|c| community_str(*c))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            AttrValue::OriginatorId(a) => write!(f, "originator-id {a}"),
            AttrValue::ClusterList(c) => {
                write!(
                    f,
                    "cluster-list {}",
                    c.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            AttrValue::MpReach(m) => write!(
                f,
                "mp-reach {} next-hop {} ({} nlri)",
                m.family,
                m.next_hop,
                m.nlri.len()
            ),
            AttrValue::MpUnreach(m) => write!(f, "mp-unreach {} ({} nlri)", m.family, m.nlri.len()),
            AttrValue::ExtCommunities(c) => {
                write!(
                    f,
                    "ext-communities {}",
                    c.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            AttrValue::PmsiTunnel(p) => write!(f, "{p}"),
            AttrValue::LargeCommunities(c) => {
                write!(
                    f,
                    "large-communities {}",
                    c.iter()
                        .map(|l| l.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            AttrValue::Otc(a) => write!(f, "only-to-customer {a}"),
            AttrValue::Raw { type_code, bytes } => {
                write!(
                    f,
                    "attribute {type_code} flags {:#04x} raw {}",
                    self.flags,
                    Hex(bytes)
                )
            }
        }
    }
}
