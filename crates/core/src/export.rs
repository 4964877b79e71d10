//! Who gets a route and with which attributes: iBGP split horizon, route
//! reflection (RFC 4456) and eBGP rewriting. EVPN next hops are left
//! unchanged, also towards eBGP peers (DESIGN.md: the VTEP stays the VTEP).

use std::net::Ipv4Addr;
use std::sync::Arc;

use evpnd_wire::attr::{AsPath, AttrValue, PathAttribute, code, flag};

use crate::route::AttrSet;

/// The sending and receiving sides of one export decision.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    /// `None`: locally originated.
    pub ibgp: Option<bool>,
    pub rr_client: bool,
}

/// RFC 4271 §9.2 + RFC 4456 §6: may a route learned from `from` go to `to`?
pub fn allowed(from: Side, to: Side) -> bool {
    match (from.ibgp, to.ibgp) {
        (None, _) => true,
        (Some(_), Some(false)) => true,
        (Some(false), Some(true)) => true,
        // iBGP to iBGP: only by reflection.
        (Some(true), Some(true)) => from.rr_client || to.rr_client,
        (Some(_), None) => false,
    }
}

pub struct ExportCtx {
    pub local_asn: u32,
    pub cluster_id: Ipv4Addr,
}

/// The attributes to send: eBGP prepends our AS and drops iBGP-only
/// attributes; reflection adds ORIGINATOR_ID and our cluster id; iBGP gets a
/// LOCAL_PREF. Unknown non-transitive attributes never leave (RFC 4271 §5).
pub fn rewrite(
    attrs: &AttrSet,
    from: Side,
    from_router_id: Ipv4Addr,
    to_ibgp: bool,
    cx: &ExportCtx,
) -> AttrSet {
    let mut out: Vec<PathAttribute> = attrs
        .iter()
        .filter(|a| match &a.value {
            AttrValue::Raw { .. } => a.flags & flag::TRANSITIVE != 0,
            AttrValue::LocalPref(_) | AttrValue::OriginatorId(_) | AttrValue::ClusterList(_) => {
                to_ibgp
            }
            AttrValue::Med(_) => to_ibgp || from.ibgp.is_none(),
            _ => true,
        })
        .cloned()
        .collect();
    // RFC 4271 §5: an unrecognised optional transitive attribute passed on
    // gets the Partial bit (some AS on the path did not understand it).
    for a in out.iter_mut() {
        if let AttrValue::Raw { type_code, .. } = a.value
            && !recognised(type_code)
            && a.flags & (flag::OPTIONAL | flag::TRANSITIVE) == flag::OPTIONAL | flag::TRANSITIVE
        {
            a.flags |= flag::PARTIAL;
        }
    }
    if !out.iter().any(|a| a.type_code() == code::AS_PATH) {
        out.push(PathAttribute::new(AttrValue::AsPath(AsPath::default())));
    }
    if !to_ibgp {
        for a in out.iter_mut() {
            if let AttrValue::AsPath(p) = &mut a.value {
                p.prepend(cx.local_asn);
            }
        }
    } else {
        if !out.iter().any(|a| a.type_code() == code::LOCAL_PREF) {
            out.push(PathAttribute::new(AttrValue::LocalPref(100)));
        }
        if from.ibgp == Some(true) {
            if !out.iter().any(|a| a.type_code() == code::ORIGINATOR_ID) {
                out.push(PathAttribute::new(AttrValue::OriginatorId(from_router_id)));
            }
            match out.iter_mut().find(|a| a.type_code() == code::CLUSTER_LIST) {
                Some(PathAttribute {
                    value: AttrValue::ClusterList(c),
                    ..
                }) => c.insert(0, cx.cluster_id),
                _ => out.push(PathAttribute::new(AttrValue::ClusterList(vec![
                    cx.cluster_id,
                ]))),
            }
        }
    }
    out.sort_by_key(|a| a.type_code());
    Arc::new(out)
}

/// Attribute types evpnd understands (a `Raw` one of these only failed to
/// re-encode exactly and is passed on as received, without the Partial bit).
fn recognised(type_code: u8) -> bool {
    matches!(
        type_code,
        code::ORIGIN
            | code::AS_PATH
            | code::NEXT_HOP
            | code::MED
            | code::LOCAL_PREF
            | code::ATOMIC_AGGREGATE
            | code::AGGREGATOR
            | code::COMMUNITIES
            | code::ORIGINATOR_ID
            | code::CLUSTER_LIST
            | code::MP_REACH_NLRI
            | code::MP_UNREACH_NLRI
            | code::EXTENDED_COMMUNITIES
            | code::AS4_PATH
            | code::AS4_AGGREGATOR
            | code::PMSI_TUNNEL
            | code::LARGE_COMMUNITY
            | code::OTC
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const IBGP: Side = Side {
        ibgp: Some(true),
        rr_client: false,
    };
    const CLIENT: Side = Side {
        ibgp: Some(true),
        rr_client: true,
    };
    const EBGP: Side = Side {
        ibgp: Some(false),
        rr_client: false,
    };
    const LOCAL: Side = Side {
        ibgp: None,
        rr_client: false,
    };

    #[test]
    fn split_horizon_and_reflection() {
        assert!(!allowed(IBGP, IBGP));
        assert!(allowed(CLIENT, IBGP));
        assert!(allowed(IBGP, CLIENT));
        assert!(allowed(EBGP, IBGP));
        assert!(allowed(IBGP, EBGP));
        assert!(allowed(LOCAL, IBGP));
    }

    #[test]
    fn reflection_adds_originator_and_cluster_ebgp_prepends() {
        let cx = ExportCtx {
            local_asn: 65000,
            cluster_id: Ipv4Addr::new(10, 0, 0, 1),
        };
        let attrs: AttrSet = Arc::new(vec![
            PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![]))),
            PathAttribute::new(AttrValue::LocalPref(200)),
        ]);
        let r = rewrite(&attrs, CLIENT, Ipv4Addr::new(10, 0, 0, 11), true, &cx);
        assert!(
            r.iter()
                .any(|a| a.value == AttrValue::OriginatorId(Ipv4Addr::new(10, 0, 0, 11)))
        );
        assert!(
            r.iter()
                .any(|a| a.value == AttrValue::ClusterList(vec![Ipv4Addr::new(10, 0, 0, 1)]))
        );
        assert!(r.iter().any(|a| a.value == AttrValue::LocalPref(200)));
        let e = rewrite(&attrs, CLIENT, Ipv4Addr::new(10, 0, 0, 11), false, &cx);
        assert!(
            e.iter()
                .any(|a| a.value == AttrValue::AsPath(AsPath::sequence(vec![65000])))
        );
        assert!(!e.iter().any(|a| a.type_code() == code::LOCAL_PREF));
    }

    #[test]
    fn unknown_optional_transitive_attributes_get_the_partial_bit() {
        let cx = ExportCtx {
            local_asn: 65000,
            cluster_id: Ipv4Addr::new(10, 0, 0, 1),
        };
        let raw = |flags: u8, type_code: u8| PathAttribute {
            flags,
            value: AttrValue::Raw {
                type_code,
                bytes: vec![1, 2],
            },
        };
        let attrs: AttrSet = Arc::new(vec![
            raw(flag::OPTIONAL | flag::TRANSITIVE, 99),
            raw(flag::OPTIONAL, 98),
            raw(flag::OPTIONAL | flag::TRANSITIVE, code::AGGREGATOR),
        ]);
        let r = rewrite(&attrs, EBGP, Ipv4Addr::new(10, 0, 0, 11), true, &cx);
        let flags = |t: u8| r.iter().find(|a| a.type_code() == t).map(|a| a.flags);
        assert_eq!(
            flags(99),
            Some(flag::OPTIONAL | flag::TRANSITIVE | flag::PARTIAL)
        );
        assert_eq!(flags(98), None, "optional non-transitive is not passed on");
        assert_eq!(
            flags(code::AGGREGATOR),
            Some(flag::OPTIONAL | flag::TRANSITIVE),
            "a recognised attribute keeps its flags"
        );
    }
}
