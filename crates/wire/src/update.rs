//! UPDATE message (RFC 4271 §4.3) with RFC 7606 error handling.
//!
//! ```text
//! +-----------------------------------------------------+
//! |   Withdrawn Routes Length (2 octets)                |
//! +-----------------------------------------------------+
//! |   Withdrawn Routes (variable)                       |
//! +-----------------------------------------------------+
//! |   Total Path Attribute Length (2 octets)            |
//! +-----------------------------------------------------+
//! |   Path Attributes (variable)                        |
//! +-----------------------------------------------------+
//! |   Network Layer Reachability Information (variable) |
//! +-----------------------------------------------------+
//! ```
//!
//! [`decode_update`] returns `Err` only when the session must be reset. Every
//! softer problem is an [`UpdateIssue`] in `Update::issues`; the UPDATE still
//! lists every NLRI it could name, and [`Update::verdict`] is the strongest
//! action, which the receiver applies (treat-as-withdraw: all its NLRI are
//! withdrawn; attribute discard: the attribute is already left out).

use std::net::{IpAddr, Ipv4Addr};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::attr::{
    self, AsPath, AttrValue, ExtCommunity, MpNlri, MpReach, MpUnreach, NextHop, Origin,
    PathAttribute, PmsiTunnel, code, flag,
};
use crate::context::Context;
use crate::error::{Action, NotifyError, UpdateIssue, code as ecode, subcode};
use crate::hex::Hex;
use crate::nlri::evpn::EvpnNlri;
use crate::nlri::prefix::{Prefix, decode_prefixes, encode_prefixes, prefix_len};
use crate::read::Reader;
use crate::types::{Afi, Family, RouteTarget};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Update {
    /// IPv4 unicast withdrawals in the classic field.
    pub withdrawn: Vec<Prefix>,
    /// Attributes in wire order (malformed ones left out, see `issues`).
    pub attributes: Vec<PathAttribute>,
    /// IPv4 unicast NLRI in the classic field.
    pub nlri: Vec<Prefix>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<UpdateIssue>,
}

fn malformed_list(reason: String) -> NotifyError {
    NotifyError::new(
        ecode::UPDATE_MESSAGE,
        subcode::MALFORMED_ATTRIBUTE_LIST,
        Vec::new(),
        reason,
    )
}

fn issue(attr_type: Option<u8>, action: Action, reason: String) -> UpdateIssue {
    UpdateIssue {
        attr_type,
        action,
        route_only: false,
        reason,
        nlri: None,
        withdraw: None,
    }
}

/// The attribute's bytes as they were on the wire, for NOTIFICATION data.
fn attr_bytes(flags: u8, t: u8, v: &[u8]) -> Vec<u8> {
    let mut d = vec![flags, t];
    if flags & flag::EXTENDED != 0 {
        d.extend_from_slice(&(v.len() as u16).to_be_bytes());
    } else {
        d.push(v.len() as u8);
    }
    d.extend_from_slice(v);
    d
}

fn is_martian(a: Ipv4Addr) -> bool {
    a.is_unspecified() || a.is_loopback() || a.is_multicast() || a.is_broadcast()
}

pub fn decode_update(body: &[u8], ctx: &Context) -> Result<Update, NotifyError> {
    let mut r = Reader::new(body);
    let wlen = r
        .u16()
        .ok_or_else(|| malformed_list("UPDATE shorter than the withdrawn routes length".into()))?;
    let wbytes = r.bytes(usize::from(wlen)).ok_or_else(|| {
        malformed_list(format!(
            "withdrawn routes length {wlen} exceeds the message ({} octets left)",
            r.remaining()
        ))
    })?;
    let alen = r.u16().ok_or_else(|| {
        malformed_list("UPDATE truncated before the total path attribute length".into())
    })?;
    let abytes = r.bytes(usize::from(alen)).ok_or_else(|| {
        malformed_list(format!(
            "total path attribute length {alen} exceeds the message ({} octets left)",
            r.remaining()
        ))
    })?;
    let nbytes = r.rest();
    let v4_add_path = ctx.has_add_path(Family::IPV4_UNICAST);
    let net_err = |what: &str, e: crate::nlri::NlriError| {
        NotifyError::new(
            ecode::UPDATE_MESSAGE,
            subcode::INVALID_NETWORK_FIELD,
            Vec::new(),
            format!("{what}: {}", e.reason),
        )
    };
    let withdrawn = decode_prefixes(wbytes, Afi::IPV4, v4_add_path)
        .map_err(|e| net_err("withdrawn routes", e))?;
    let nlri = decode_prefixes(nbytes, Afi::IPV4, v4_add_path).map_err(|e| net_err("NLRI", e))?;

    let mut u = Update {
        withdrawn,
        attributes: Vec::with_capacity(8),
        nlri,
        issues: Vec::new(),
    };
    let mut seen = [false; 256];
    let mut list_broken = false;
    let mut a = Reader::new(abytes);
    while !a.is_empty() {
        let (Some(flags), Some(t)) = (a.u8(), a.u8()) else {
            u.issues.push(issue(
                None,
                Action::TreatAsWithdraw,
                "attribute header truncated (RFC 7606 §4)".into(),
            ));
            list_broken = true;
            break;
        };
        let len = if flags & flag::EXTENDED != 0 {
            a.u16().map(usize::from)
        } else {
            a.u8().map(usize::from)
        };
        let Some(v) = len.and_then(|l| a.bytes(l)) else {
            u.issues.push(issue(
                Some(t),
                Action::TreatAsWithdraw,
                format!(
                    "attribute {t} length {} overruns the path attributes ({} octets left) (RFC 7606 §4)",
                    len.map_or("missing".to_string(), |l| l.to_string()),
                    a.remaining()
                ),
            ));
            list_broken = true;
            break;
        };
        let idx = usize::from(t);
        if seen[idx] {
            if t == code::MP_REACH_NLRI || t == code::MP_UNREACH_NLRI {
                return Err(malformed_list(format!(
                    "attribute {t} appears twice (RFC 7606 §3g)"
                )));
            }
            u.issues.push(issue(
                Some(t),
                Action::AttributeDiscard,
                format!("duplicate attribute {t} discarded (RFC 7606 §3g)"),
            ));
            continue;
        }
        seen[idx] = true;
        match t {
            code::MP_REACH_NLRI | code::MP_UNREACH_NLRI => decode_mp(&mut u, flags, t, v, ctx)?,
            _ if !attr::is_known(t) && flags & flag::OPTIONAL == 0 => {
                return Err(NotifyError::new(
                    ecode::UPDATE_MESSAGE,
                    subcode::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                    attr_bytes(flags, t, v),
                    format!("unrecognized well-known attribute {t}"),
                ));
            }
            _ => match attr::decode_value(t, flags, v, ctx) {
                Ok(value) => u.attributes.push(PathAttribute { flags, value }),
                Err(p) => {
                    let shown = &v[..v.len().min(32)];
                    u.issues.push(issue(
                        Some(t),
                        p.action,
                        format!("{} [value {}]", p.reason, Hex(shown)),
                    ));
                }
            },
        }
    }
    let mp_seen =
        seen[usize::from(code::MP_REACH_NLRI)] || seen[usize::from(code::MP_UNREACH_NLRI)];
    if list_broken && !mp_seen && u.nlri.is_empty() && u.withdrawn.is_empty() {
        // No NLRI can be located: an MP attribute may be in the unparsed tail.
        return Err(malformed_list(
            u.issues
                .pop()
                .map(|i| i.reason)
                .unwrap_or_else(|| "attribute list unparseable".into()),
        ));
    }
    check_mandatory(&mut u, &seen);
    Ok(u)
}

fn decode_mp(u: &mut Update, flags: u8, t: u8, v: &[u8], ctx: &Context) -> Result<(), NotifyError> {
    let name = if t == code::MP_REACH_NLRI {
        "MP_REACH_NLRI"
    } else {
        "MP_UNREACH_NLRI"
    };
    let reset = |e: attr::mp::MpError, section: &str| {
        NotifyError::new(
            ecode::UPDATE_MESSAGE,
            subcode::OPTIONAL_ATTRIBUTE_ERROR,
            attr_bytes(flags, t, v),
            format!("{name}: {} ({section})", e.reason),
        )
        .with_nlri(e.nlri)
    };
    if flags & (flag::OPTIONAL | flag::TRANSITIVE) != flag::OPTIONAL {
        // The NLRI is still parseable: withdraw what it names rather than reset.
        u.issues.push(issue(
            Some(t),
            Action::TreatAsWithdraw,
            format!("{name} flags {flags:#04x} are not optional non-transitive"),
        ));
    }
    let (value, dropped) = if t == code::MP_REACH_NLRI {
        let d = MpReach::decode(v, ctx).map_err(|e| reset(e, "RFC 7606 §7.11"))?;
        (AttrValue::MpReach(d.value), d.dropped)
    } else {
        let d = MpUnreach::decode(v, ctx).map_err(|e| reset(e, "RFC 7606 §7.12"))?;
        (AttrValue::MpUnreach(d.value), d.dropped)
    };
    u.issues
        .extend(dropped.into_iter().map(|e| attr::mp::dropped_issue(t, e)));
    u.attributes.push(PathAttribute { flags, value });
    Ok(())
}

/// RFC 4271 §5 / RFC 7606 §3d: ORIGIN and AS_PATH with any reachable NLRI,
/// NEXT_HOP with classic NLRI; a martian NEXT_HOP withdraws (RFC 4271 §6.3).
fn check_mandatory(u: &mut Update, seen: &[bool; 256]) {
    let mp_nlri = u.mp_reach().is_some_and(|m| !m.nlri.is_empty());
    if u.nlri.is_empty() && !mp_nlri {
        return;
    }
    let mut required = vec![(code::ORIGIN, "ORIGIN"), (code::AS_PATH, "AS_PATH")];
    if !u.nlri.is_empty() {
        required.push((code::NEXT_HOP, "NEXT_HOP"));
    }
    for (t, name) in required {
        // An attribute seen but malformed already has its own issue.
        if !seen[usize::from(t)] {
            u.issues.push(issue(
                Some(t),
                Action::TreatAsWithdraw,
                format!("missing well-known attribute {name} (RFC 7606 §3d)"),
            ));
        }
    }
    if !u.nlri.is_empty()
        && let Some(nh) = u.next_hop().filter(|a| is_martian(*a))
    {
        u.issues.push(issue(
            Some(code::NEXT_HOP),
            Action::TreatAsWithdraw,
            format!("martian NEXT_HOP {nh}"),
        ));
    }
}

impl Update {
    pub fn encode_body(&self, ctx: &Context, out: &mut BytesMut) {
        let wlen: usize = self.withdrawn.iter().map(prefix_len).sum();
        out.put_u16(wlen as u16);
        encode_prefixes(&self.withdrawn, out);
        let alen: usize = self.attributes.iter().map(|a| a.encoded_len(ctx)).sum();
        out.put_u16(alen as u16);
        for a in &self.attributes {
            a.encode(ctx, out);
        }
        encode_prefixes(&self.nlri, out);
    }

    /// Size of the body (without the 19-octet header).
    pub fn body_len(&self, ctx: &Context) -> usize {
        4 + self.withdrawn.iter().map(prefix_len).sum::<usize>()
            + self
                .attributes
                .iter()
                .map(|a| a.encoded_len(ctx))
                .sum::<usize>()
            + self.nlri.iter().map(prefix_len).sum::<usize>()
    }

    /// The strongest RFC 7606 action among the UPDATE-wide issues.
    pub fn verdict(&self) -> Option<Action> {
        self.issues
            .iter()
            .filter(|i| !i.route_only)
            .map(|i| i.action)
            .max()
    }

    pub fn attr(&self, type_code: u8) -> Option<&AttrValue> {
        self.attributes
            .iter()
            .map(|a| &a.value)
            .find(|v| v.type_code() == type_code)
    }

    pub fn origin(&self) -> Option<Origin> {
        match self.attr(code::ORIGIN) {
            Some(AttrValue::Origin(o)) => Some(*o),
            _ => None,
        }
    }
    pub fn as_path(&self) -> Option<&AsPath> {
        match self.attr(code::AS_PATH) {
            Some(AttrValue::AsPath(p)) => Some(p),
            _ => None,
        }
    }
    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        match self.attr(code::NEXT_HOP) {
            Some(AttrValue::NextHop(a)) => Some(*a),
            _ => None,
        }
    }
    pub fn med(&self) -> Option<u32> {
        match self.attr(code::MED) {
            Some(AttrValue::Med(v)) => Some(*v),
            _ => None,
        }
    }
    pub fn local_pref(&self) -> Option<u32> {
        match self.attr(code::LOCAL_PREF) {
            Some(AttrValue::LocalPref(v)) => Some(*v),
            _ => None,
        }
    }
    pub fn originator_id(&self) -> Option<Ipv4Addr> {
        match self.attr(code::ORIGINATOR_ID) {
            Some(AttrValue::OriginatorId(a)) => Some(*a),
            _ => None,
        }
    }
    pub fn cluster_list(&self) -> &[Ipv4Addr] {
        match self.attr(code::CLUSTER_LIST) {
            Some(AttrValue::ClusterList(c)) => c,
            _ => &[],
        }
    }
    pub fn mp_reach(&self) -> Option<&MpReach> {
        match self.attr(code::MP_REACH_NLRI) {
            Some(AttrValue::MpReach(m)) => Some(m),
            _ => None,
        }
    }
    pub fn mp_unreach(&self) -> Option<&MpUnreach> {
        match self.attr(code::MP_UNREACH_NLRI) {
            Some(AttrValue::MpUnreach(m)) => Some(m),
            _ => None,
        }
    }
    pub fn ext_communities(&self) -> &[ExtCommunity] {
        match self.attr(code::EXTENDED_COMMUNITIES) {
            Some(AttrValue::ExtCommunities(c)) => c,
            _ => &[],
        }
    }
    pub fn route_targets(&self) -> impl Iterator<Item = RouteTarget> + '_ {
        self.ext_communities().iter().filter_map(|c| match c {
            ExtCommunity::RouteTarget { value } => Some(*value),
            _ => None,
        })
    }
    /// (sequence, sticky) from the MAC mobility community (RFC 7432 §7.7).
    pub fn mac_mobility(&self) -> Option<(u32, bool)> {
        self.ext_communities().iter().find_map(|c| match c {
            ExtCommunity::MacMobility { sticky, sequence } => Some((*sequence, *sticky)),
            _ => None,
        })
    }
    pub fn pmsi(&self) -> Option<&PmsiTunnel> {
        match self.attr(code::PMSI_TUNNEL) {
            Some(AttrValue::PmsiTunnel(p)) => Some(p),
            _ => None,
        }
    }

    /// End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an
    /// UPDATE holding only an empty MP_UNREACH for any other family.
    pub fn is_end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() || !self.issues.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some(Family::IPV4_UNICAST),
            [
                PathAttribute {
                    value: AttrValue::MpUnreach(m),
                    ..
                },
            ] if m.nlri.is_empty() => Some(m.family),
            _ => None,
        }
    }

    /// An UPDATE of `mp` then `attrs`: MP_REACH_NLRI first (RFC 7606 §5.1).
    fn mp_reach_first(mp: MpReach, attrs: Vec<PathAttribute>) -> Update {
        let mut attributes = Vec::with_capacity(attrs.len() + 1);
        attributes.push(PathAttribute::new(AttrValue::MpReach(mp)));
        attributes.extend(attrs);
        Update {
            attributes,
            ..Update::default()
        }
    }

    /// An UPDATE carrying only `mp` (withdrawals, End-of-RIB).
    fn mp_unreach_only(mp: MpUnreach) -> Update {
        Update {
            attributes: vec![PathAttribute::new(AttrValue::MpUnreach(mp))],
            ..Update::default()
        }
    }

    /// The End-of-RIB marker for `family`.
    pub fn end_of_rib(family: Family) -> Update {
        // The empty NLRI in the representation decoding would produce.
        let nlri = match family {
            Family::IPV4_UNICAST => return Update::default(),
            Family::L2VPN_EVPN => MpNlri::Evpn(Vec::new()),
            Family::IPV6_UNICAST => MpNlri::Prefixes(Vec::new()),
            _ => MpNlri::Raw(Vec::new()),
        };
        let mp = MpUnreach { family, nlri };
        Update::mp_unreach_only(mp)
    }

    /// Announces EVPN routes: MP_REACH first (RFC 7606 §5.1), then `attrs`.
    pub fn evpn_reach(
        next_hop: IpAddr,
        routes: Vec<EvpnNlri>,
        attrs: Vec<PathAttribute>,
    ) -> Update {
        let mp = MpReach {
            family: Family::L2VPN_EVPN,
            next_hop: NextHop::from_ip(next_hop),
            reserved: 0,
            nlri: MpNlri::Evpn(routes),
        };
        Update::mp_reach_first(mp, attrs)
    }

    /// Withdraws EVPN routes.
    pub fn evpn_withdraw(routes: Vec<EvpnNlri>) -> Update {
        let mp = MpUnreach {
            family: Family::L2VPN_EVPN,
            nlri: MpNlri::Evpn(routes),
        };
        Update::mp_unreach_only(mp)
    }

    /// Announces IPv4/IPv6 unicast prefixes. IPv4 with an IPv4 next hop goes
    /// in the classic NLRI field with a NEXT_HOP attribute (RFC 4271); IPv4
    /// with an IPv6 next hop (RFC 8950) and IPv6 go in MP_REACH_NLRI (first,
    /// RFC 7606 §5.1). `attrs` must hold neither NEXT_HOP nor MP attributes;
    /// the result keeps them sorted by type code.
    pub fn unicast_reach(
        family: Family,
        next_hop: NextHop,
        prefixes: Vec<Prefix>,
        attrs: Vec<PathAttribute>,
    ) -> Update {
        if family == Family::IPV4_UNICAST
            && let NextHop::V4(nh) = next_hop
        {
            let mut attributes = Vec::with_capacity(attrs.len() + 1);
            attributes.extend(attrs);
            let at = attributes
                .iter()
                .position(|a| a.type_code() > code::NEXT_HOP)
                .unwrap_or(attributes.len());
            attributes.insert(at, PathAttribute::new(AttrValue::NextHop(nh)));
            return Update {
                attributes,
                nlri: prefixes,
                ..Update::default()
            };
        }
        let mp = MpReach {
            family,
            next_hop,
            reserved: 0,
            nlri: MpNlri::Prefixes(prefixes),
        };
        Update::mp_reach_first(mp, attrs)
    }

    /// Withdraws IPv4 unicast prefixes in the classic field, IPv6 ones in
    /// MP_UNREACH_NLRI.
    pub fn unicast_withdraw(family: Family, prefixes: Vec<Prefix>) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update {
                withdrawn: prefixes,
                ..Update::default()
            };
        }
        let mp = MpUnreach {
            family,
            nlri: MpNlri::Prefixes(prefixes),
        };
        Update::mp_unreach_only(mp)
    }

    /// Every EVPN route announced (`true`) or withdrawn (`false`) by this UPDATE.
    pub fn evpn_routes(&self) -> impl Iterator<Item = (&EvpnNlri, bool)> {
        let reach = self.mp_reach().into_iter().flat_map(|m| match &m.nlri {
            MpNlri::Evpn(e) => e.as_slice(),
            _ => &[],
        });
        let unreach = self.mp_unreach().into_iter().flat_map(|m| match &m.nlri {
            MpNlri::Evpn(e) => e.as_slice(),
            _ => &[],
        });
        reach.map(|n| (n, true)).chain(unreach.map(|n| (n, false)))
    }
}
