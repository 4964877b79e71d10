//! Routes that must be refused (issue 15): loops through our own AS over
//! iBGP, next hop 0.0.0.0 or one of our own addresses, unknown EVPN route
//! types (RFC 7606 §5.4, discarded alone). Each is kept out of the RIB,
//! counted per reason and explained.

mod common;

use common::{LEAF_TWO_MACS as LEAF, RR_TWO_CLIENTS, Rig, leaf_routes, two_peers_up};
use evpnd_core::refusal::Refusal;
use evpnd_wire::attr::{AsPath, AttrValue, PathAttribute};
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute};
use evpnd_wire::update::Update;

fn rig() -> Rig {
    two_peers_up(RR_TWO_CLIENTS)
}

/// The leaf's MAC routes announced with `next_hop` and these attributes.
fn announce(next_hop: &str, attrs: Vec<PathAttribute>) -> Update {
    let nlri = leaf_routes(LEAF)
        .into_iter()
        .filter(|r| matches!(r.route, EvpnRoute::MacIp(_)))
        .map(|r| EvpnNlri {
            path_id: None,
            route: r.route,
        })
        .collect();
    Update::evpn_reach(next_hop.parse().expect("ip"), nlri, attrs)
}

fn base() -> Vec<PathAttribute> {
    (*leaf_routes(LEAF)[1].attrs).clone()
}

fn refused(r: &Rig, why: Refusal) -> u64 {
    r.core
        .status()
        .refused
        .iter()
        .find(|(w, _)| *w == why)
        .map_or(0, |(_, n)| *n)
}

#[test]
fn an_ibgp_as_path_with_our_own_as_is_a_loop() {
    let mut r = rig();
    let mut attrs = base();
    attrs.retain(|a| !matches!(a.value, AttrValue::AsPath(_)));
    attrs.push(PathAttribute::new(AttrValue::AsPath(AsPath::sequence(
        vec![65001, 65000],
    ))));
    r.update(0, announce("10.0.0.2", attrs));
    assert_eq!(r.core.status().loc_rib_routes, 0);
    assert_eq!(refused(&r, Refusal::AsPathLoop), 2);
    assert_eq!(r.counts(1), (0, 0, 0), "nothing reflected");
}

#[test]
fn next_hop_zero_and_our_own_next_hop_are_refused_and_explained() {
    let mut r = rig();
    r.update(0, announce("0.0.0.0", base()));
    assert_eq!(refused(&r, Refusal::ZeroNextHop), 2);
    r.update(0, announce("10.0.0.1", base()));
    assert_eq!(refused(&r, Refusal::OwnNextHop), 2);
    assert_eq!(r.core.status().loc_rib_routes, 0);
    let route = &leaf_routes(LEAF)[1].route;
    let shown = route.to_string();
    let (rd, prefix) = shown.split_once(' ').expect("rd and prefix");
    let e = r
        .core
        .explain(rd.parse().expect("rd"), prefix)
        .expect("a refused route is explained");
    assert!(e.paths.is_empty());
    assert_eq!(
        e.refused,
        Some(("10.0.0.2".parse().expect("ip"), Refusal::OwnNextHop))
    );
}

#[test]
fn a_refused_announcement_withdraws_what_the_peer_had() {
    let mut r = rig();
    r.update(0, announce("10.0.0.2", base()));
    assert_eq!(r.core.status().loc_rib_routes, 2);
    r.update(0, announce("0.0.0.0", base()));
    assert_eq!(r.core.status().loc_rib_routes, 0);
}

#[test]
fn an_unknown_route_type_is_discarded_and_the_others_are_kept() {
    let mut r = rig();
    let mut u = announce("10.0.0.2", base());
    if let Some(AttrValue::MpReach(mp)) = u
        .attributes
        .iter_mut()
        .map(|a| &mut a.value)
        .find(|v| matches!(v, AttrValue::MpReach(_)))
        && let evpnd_wire::attr::MpNlri::Evpn(routes) = &mut mp.nlri
    {
        routes.push(EvpnNlri {
            path_id: None,
            route: EvpnRoute::Unknown {
                route_type: 8,
                value: vec![1, 2, 3],
            },
        });
    } else {
        panic!("the UPDATE has an EVPN MP_REACH");
    }
    r.update(0, u);
    assert_eq!(r.core.status().loc_rib_routes, 2, "the known routes stay");
    assert_eq!(refused(&r, Refusal::UnknownRouteType), 1);
    let (announced, _, _) = r.counts(1);
    assert_eq!(announced, 2, "the unknown route is not reflected");
}

#[test]
fn reason_names_are_their_serde_names() {
    use Refusal::*;
    for why in [
        TreatAsWithdraw,
        FirstAsMismatch,
        AsPathLoop,
        OriginatorIsUs,
        ClusterLoop,
        ZeroNextHop,
        OwnNextHop,
        NoNextHop,
        UnknownRouteType,
        EsiAndGateway,
        Policy,
    ] {
        let json = serde_json::to_string(&why).expect("json");
        assert_eq!(json, format!("\"{}\"", why.name()));
        assert!(!why.describe().is_empty());
    }
}
