//! Policies and the VTEP allow-list in the core (issue 14, ADR 0021): a
//! neighbour's import policy refuses or changes routes before the RIB (the
//! deciding term is explained, LOCAL_PREF reaches best path), its export
//! policy filters and changes what it is sent, a reload that changes an
//! import policy asks the peer for its routes again, and a best path whose
//! next hop or PMSI endpoint is outside `vtep_allow` stays in the RIB and
//! is reflected but never reaches the dataplane.

mod common;

use std::net::IpAddr;

use common::{LEAF_TWO_MACS as LEAF, Rig, leaf_routes, two_peers_up};
use evpnd_core::refusal::Refusal;
use evpnd_core::{Command, Input};
use evpnd_evpn::{DesiredChange, LocalEvent, VniInfo};
use evpnd_session::PeerCommand;
use evpnd_wire::attr::AttrValue;
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute};
use evpnd_wire::update::Update;
use evpnd_wire::{MacAddr, Vni};

/// A route reflector with two clients; the first one's routes go through
/// `from-leaf2`, the second is sent what `to-leaf3` lets through.
const RR: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000
route_reflector_client = true
import_policy = "from-leaf2"

[[neighbor]]
address = "10.0.0.3"
remote_asn = 65000
route_reflector_client = true
export_policy = "to-leaf3"

[evpn]
learn_from_kernel = false
vtep_allow = ["10.0.0.0/24"]

[[policy]]
name = "from-leaf2"
default = "accept"

[[policy.term]]
name = "no-mac-b"
action = "reject"
[policy.term.match]
mac = ["02:00:00:00:00:0b"]

[[policy.term]]
name = "prefer"
[policy.term.set]
local_pref = 250
add_community = ["65000:7"]

[[policy]]
name = "to-leaf3"
default = "accept"

[[policy.term]]
name = "no-imet"
action = "reject"
[policy.term.match]
route_type = [3]
"#;

fn rig(config: &str) -> Rig {
    two_peers_up(config)
}

/// The leaf's routes (types 2 and 3) with `next_hop`.
fn announce(next_hop: &str) -> Update {
    let routes = leaf_routes(LEAF);
    let nlri = routes
        .iter()
        .map(|r| EvpnNlri {
            path_id: None,
            route: r.route.clone(),
        })
        .collect();
    let attrs = routes
        .iter()
        .find(|r| matches!(r.route, EvpnRoute::MacIp(_)))
        .map(|r| (*r.attrs).clone())
        .expect("a MAC route");
    Update::evpn_reach(next_hop.parse().expect("ip"), nlri, attrs)
}

fn mac_route(last: u8) -> (String, String) {
    let r = leaf_routes(LEAF)
        .into_iter()
        .find(
            |r| matches!(&r.route, EvpnRoute::MacIp(m) if m.mac == MacAddr([2, 0, 0, 0, 0, last])),
        )
        .expect("the leaf's MAC route");
    let shown = r.route.to_string();
    let (rd, prefix) = shown.split_once(' ').expect("rd and prefix");
    (rd.to_string(), prefix.to_string())
}

fn explain(r: &Rig, last: u8) -> evpnd_core::view::ExplainView {
    let (rd, prefix) = mac_route(last);
    r.core
        .explain(rd.parse().expect("rd"), &prefix)
        .expect("explained")
}

fn refused(r: &Rig, why: Refusal) -> u64 {
    r.core
        .status()
        .refused
        .iter()
        .find(|(w, _)| *w == why)
        .map_or(0, |(_, n)| *n)
}

fn announced_types(r: &mut Rig, peer: u32) -> Vec<u8> {
    let mut v: Vec<u8> = r
        .batches(peer)
        .iter()
        .flatten()
        .flat_map(|u| u.evpn_routes())
        .filter(|(_, reach)| *reach)
        .map(|(n, _)| n.route.route_type())
        .collect();
    v.sort();
    v
}

#[test]
fn an_import_policy_rejects_by_term_and_explains_it() {
    let mut r = rig(RR);
    r.update(0, announce("10.0.0.2"));
    // MAC a and the IMET route are in; MAC b was rejected by "no-mac-b".
    assert_eq!(r.core.status().loc_rib_routes, 2);
    assert_eq!(refused(&r, Refusal::Policy), 1);
    let e = explain(&r, 0x0b);
    assert!(e.paths.is_empty(), "not in the RIB");
    assert_eq!(
        e.refused,
        Some(("10.0.0.2".parse().expect("ip"), Refusal::Policy))
    );
    let why = e.refused_detail.expect("the deciding term");
    assert_eq!(why, r#"rejected by policy "from-leaf2" term "no-mac-b""#);
}

#[test]
fn set_actions_change_the_stored_route_and_local_pref_reaches_best_path() {
    let mut r = rig(RR);
    r.update(0, announce("10.0.0.2"));
    let e = explain(&r, 0x0a);
    let (best, why) = e.paths.first().expect("a path");
    assert!(why.is_none());
    assert_eq!(
        best.local_pref, 250,
        "LOCAL_PREF set by policy ranks the path"
    );
    // The community was added to what is stored, and so reflected.
    let sent: Vec<Update> = r.batches(1).into_iter().flatten().collect();
    let communities: Vec<u32> = sent
        .iter()
        .flat_map(|u| u.attributes.iter())
        .filter_map(|a| match &a.value {
            AttrValue::Communities(c) => Some(c.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        communities.contains(&((65000 << 16) | 7)),
        "65000:7 added by the import policy is reflected: {communities:?}"
    );
}

#[test]
fn an_export_policy_filters_what_one_peer_is_sent() {
    let mut r = rig(RR);
    // Leaf 3 (export policy "to-leaf3": no type 3) sends routes that
    // leaf 2 (no export policy) receives in full.
    let u = announce("10.0.0.3");
    let leaf3 = Update {
        attributes: u.attributes.clone(),
        ..u
    };
    r.update(1, leaf3);
    assert_eq!(announced_types(&mut r, 0), vec![2, 2, 3]);
    // And routes from leaf 2: leaf 3 gets the accepted type 2, not type 3.
    r.update(0, announce("10.0.0.2"));
    assert_eq!(announced_types(&mut r, 1), vec![2]);
}

#[test]
fn a_reload_that_changes_an_import_policy_asks_for_a_route_refresh() {
    let mut r = rig(RR);
    let mut cfg = evpnd_config::parse(RR, "test.toml").expect("config");
    // Same policies, nothing to ask.
    r.input(Input::Command(Command::Reconfigure {
        config: Box::new(cfg.clone()),
    }));
    assert!(
        !r.sent[0]
            .iter()
            .any(|c| matches!(c, PeerCommand::RouteRefresh { .. }))
    );
    cfg.policy[0].term.remove(0);
    r.input(Input::Command(Command::Reconfigure {
        config: Box::new(cfg),
    }));
    assert!(
        r.sent[0]
            .iter()
            .any(|c| matches!(c, PeerCommand::RouteRefresh { .. })),
        "{:?}",
        r.sent[0]
    );
    assert!(
        !r.sent[1]
            .iter()
            .any(|c| matches!(c, PeerCommand::RouteRefresh { .. })),
        "the other peer's import policy did not change"
    );
}

fn vni_info() -> VniInfo {
    VniInfo {
        vni: Vni::try_from(100).expect("vni"),
        vxlan_ifindex: 10,
        vxlan_name: "vxlan100".into(),
        local_ip: Some("10.0.0.1".parse().expect("ip")),
        dstport: 4789,
        learning: false,
        group: None,
        bridge_ifindex: Some(11),
        bridge_name: Some("br100".into()),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(11),
        svi_name: Some("br100".into()),
        neigh_suppress: true,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}

/// The remote MACs and flood entries the dataplane is asked for.
fn programmed(r: &mut Rig) -> Vec<(String, IpAddr)> {
    r.core
        .take_dataplane()
        .into_iter()
        .filter_map(|d| match d {
            DesiredChange::RemoteMac { mac, vtep, .. } => Some((mac.to_string(), vtep)),
            DesiredChange::Flood { vtep, .. } => Some(("flood".into(), vtep)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_next_hop_outside_the_allow_list_is_kept_reflected_and_not_programmed() {
    let mut r = rig(RR);
    r.input(Input::Local(LocalEvent::Vni(vni_info())));
    r.core.take_dataplane();
    r.drained(0);
    r.batches(0);
    let own = r.core.status().loc_rib_routes;
    // From leaf 3 (no import policy): next hop outside 10.0.0.0/24.
    r.update(1, announce("192.0.2.9"));
    assert_eq!(r.core.status().loc_rib_routes, own + 3, "kept in the RIB");
    assert_eq!(
        programmed(&mut r),
        Vec::<(String, IpAddr)>::new(),
        "nothing reaches the kernel"
    );
    let (announced, _, _) = r.counts(0);
    assert_eq!(announced, 3, "reflected as usual");
    let e = explain(&r, 0x0a);
    assert_eq!(
        e.not_programmed.as_deref(),
        Some("next hop 192.0.2.9 is outside evpn.vtep_allow")
    );
    let st = r.core.status();
    assert_eq!((st.vtep_held, st.not_programmed_now), (3, 3));
    // The same routes with a next hop inside: programmed, no longer held.
    r.update(1, announce("10.0.0.3"));
    let got = programmed(&mut r);
    let vtep: IpAddr = "10.0.0.3".parse().expect("ip");
    assert!(got.contains(&("02:00:00:00:00:0a".into(), vtep)), "{got:?}");
    assert_eq!(explain(&r, 0x0a).not_programmed, None);
    assert_eq!(r.core.status().not_programmed_now, 0);
}

#[test]
fn widening_the_allow_list_on_reload_programs_held_routes() {
    let mut r = rig(RR);
    r.input(Input::Local(LocalEvent::Vni(vni_info())));
    r.core.take_dataplane();
    r.update(1, announce("192.0.2.9"));
    assert!(programmed(&mut r).is_empty());
    let mut cfg = evpnd_config::parse(RR, "test.toml").expect("config");
    cfg.evpn
        .vtep_allow
        .push("192.0.2.0/24".parse().expect("prefix"));
    r.input(Input::Command(Command::Reconfigure {
        config: Box::new(cfg),
    }));
    let got = programmed(&mut r);
    let vtep: IpAddr = "192.0.2.9".parse().expect("ip");
    assert!(got.contains(&("02:00:00:00:00:0b".into(), vtep)), "{got:?}");
    assert_eq!(r.core.status().not_programmed_now, 0);
}

#[test]
fn a_pmsi_endpoint_outside_the_allow_list_is_explained() {
    let mut r = rig(RR);
    r.input(Input::Local(LocalEvent::Vni(vni_info())));
    r.core.take_dataplane();
    let routes = leaf_routes(LEAF);
    let imet = routes
        .iter()
        .find(|x| matches!(x.route, EvpnRoute::Imet(_)))
        .expect("IMET");
    let with_endpoint = |endpoint: &str| {
        let mut attrs = (*imet.attrs).clone();
        for a in attrs.iter_mut() {
            if let AttrValue::PmsiTunnel(p) = &mut a.value {
                p.tunnel_id = evpnd_wire::attr::TunnelId::Ip(endpoint.parse().expect("ip"));
            }
        }
        assert!(
            attrs
                .iter()
                .any(|a| matches!(a.value, AttrValue::PmsiTunnel(_)))
        );
        Update::evpn_reach(
            "10.0.0.3".parse().expect("ip"),
            vec![EvpnNlri {
                path_id: None,
                route: imet.route.clone(),
            }],
            attrs,
        )
    };
    // Inside: a flood entry; then outside: it goes.
    r.update(1, with_endpoint("10.0.0.3"));
    let vtep: IpAddr = "10.0.0.3".parse().expect("ip");
    assert_eq!(programmed(&mut r), vec![("flood".to_string(), vtep)]);
    r.update(1, with_endpoint("198.51.100.1"));
    let gone = r.core.take_dataplane();
    assert!(
        gone.iter()
            .any(|d| matches!(d, DesiredChange::FloodGone { vtep: v, .. } if *v == vtep)),
        "{gone:?}"
    );
    assert!(
        !gone
            .iter()
            .any(|d| matches!(d, DesiredChange::Flood { .. })),
        "no flood entry towards the endpoint outside: {gone:?}"
    );
    let e = common::explain_route(&r.core, &imet.route);
    assert_eq!(
        e.not_programmed.as_deref(),
        Some("PMSI tunnel endpoint 198.51.100.1 is outside evpn.vtep_allow")
    );
}

/// A leaf whose VNI 100 has an import and an export policy.
const LEAF_WITH_VNI_POLICIES: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000

[evpn]
learn_from_kernel = false

[[evpn.vni]]
vni = 100
import_policy = "vni-in"
export_policy = "vni-out"
macs = [{ mac = "02:00:00:00:00:01" }, { mac = "02:00:00:00:00:02" }]

[[policy]]
name = "vni-in"
default = "accept"

[[policy.term]]
name = "no-b"
action = "reject"
[policy.term.match]
mac = ["02:00:00:00:00:0b"]

[[policy]]
name = "vni-out"
default = "accept"

[[policy.term]]
name = "hide-2"
action = "reject"
[policy.term.match]
mac = ["02:00:00:00:00:02"]

[[policy.term]]
name = "tag"
[policy.term.set]
add_community = ["65000:9"]
"#;

#[test]
fn a_vni_export_policy_filters_and_changes_its_local_routes() {
    let mut r = Rig::new(LEAF_WITH_VNI_POLICIES);
    r.up(0, "10.0.0.2", None);
    let sent: Vec<Update> = r.batches(0).into_iter().flatten().collect();
    let macs: Vec<String> = sent
        .iter()
        .flat_map(|u| u.evpn_routes())
        .filter_map(|(n, reach)| match &n.route {
            EvpnRoute::MacIp(m) if reach => Some(m.mac.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        macs,
        vec!["02:00:00:00:00:01".to_string()],
        "hide-2 rejected MAC 2"
    );
    let tagged = sent
        .iter()
        .filter(|u| u.evpn_routes().next().is_some())
        .all(|u| {
            u.attributes.iter().any(|a| {
            matches!(&a.value, AttrValue::Communities(c) if c.contains(&((65000 << 16) | 9)))
        })
        });
    assert!(tagged, "every exported route carries 65000:9: {sent:?}");
}

#[test]
fn a_vni_import_policy_keeps_a_route_out_of_that_vni_and_explains_it() {
    let mut r = Rig::new(LEAF_WITH_VNI_POLICIES);
    r.up(0, "10.0.0.2", None);
    r.input(Input::Local(LocalEvent::Vni(vni_info())));
    r.core.take_dataplane();
    r.update(0, announce("10.0.0.2"));
    let got = programmed(&mut r);
    let vtep: IpAddr = "10.0.0.2".parse().expect("ip");
    assert!(got.contains(&("02:00:00:00:00:0a".into(), vtep)), "{got:?}");
    assert!(
        !got.iter().any(|(m, _)| m == "02:00:00:00:00:0b"),
        "rejected by the VNI's import policy: {got:?}"
    );
    let e = explain(&r, 0x0b);
    assert!(!e.paths.is_empty(), "kept in the RIB");
    assert_eq!(
        e.not_programmed.as_deref(),
        Some(r#"VNI 100: rejected by policy "vni-in" term "no-b""#)
    );
    assert_eq!(r.core.status().vni_policy_held, 1);
}

#[test]
fn a_reload_that_changes_an_export_policy_withdraws_what_it_now_rejects() {
    let mut r = rig(RR);
    // Leaf 3's routes reach leaf 2 in full (no export policy towards it).
    r.update(1, announce("10.0.0.3"));
    assert_eq!(announced_types(&mut r, 0), vec![2, 2, 3]);
    r.drained(0);
    // Now leaf 2 gets "to-leaf3" too: its type 3 is withdrawn.
    let mut cfg = evpnd_config::parse(RR, "test.toml").expect("config");
    cfg.neighbor[0].export_policy = Some("to-leaf3".into());
    r.input(Input::Command(Command::Reconfigure {
        config: Box::new(cfg),
    }));
    let withdrawn: Vec<u8> = r
        .batches(0)
        .iter()
        .flatten()
        .flat_map(|u| u.evpn_routes())
        .filter(|(_, reach)| !*reach)
        .map(|(n, _)| n.route.route_type())
        .collect();
    assert_eq!(withdrawn, vec![3]);
}

#[test]
fn a_vtep_of_the_other_family_than_the_vxlan_device_is_kept_and_explained() {
    // No allow-list: only the family keeps the routes out of the kernel.
    let config = RR.replace(r#"vtep_allow = ["10.0.0.0/24"]"#, "");
    let mut r = rig(&config);
    r.input(Input::Local(LocalEvent::Vni(vni_info())));
    r.core.take_dataplane();
    // MAC routes with an IPv6 next hop towards an IPv4 VXLAN device.
    r.update(1, announce("2001:db8::3"));
    let got = programmed(&mut r);
    assert!(
        got.iter().all(|(what, _)| what == "flood"),
        "no IPv6 MAC entry on an IPv4 device: {got:?}"
    );
    assert_eq!(
        explain(&r, 0x0a).not_programmed.as_deref(),
        Some("VNI 100: remote VTEP 2001:db8::3 is IPv6, the VNI's VXLAN device is IPv4 (10.0.0.1)")
    );
    assert_eq!(r.core.status().not_programmed_now, 2, "the two MAC routes");
    // The same routes over IPv4: programmed, nothing held.
    r.update(1, announce("10.0.0.3"));
    let got = programmed(&mut r);
    let vtep: IpAddr = "10.0.0.3".parse().expect("ip");
    assert!(got.contains(&("02:00:00:00:00:0a".into(), vtep)), "{got:?}");
    assert_eq!(explain(&r, 0x0a).not_programmed, None);
    assert_eq!(r.core.status().not_programmed_now, 0);
}
