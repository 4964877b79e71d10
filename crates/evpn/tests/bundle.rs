//! VLAN-aware bundle (ADR 0032): the members of one EVI (one RD, one route
//! target) originate with Ethernet Tag = VNI, and a received route with a
//! non-zero tag lands only in the member whose VNI it is.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Output, RemoteRoute, Tunnel, VniInfo};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget};

const BUNDLE: &str = r#"
[[evpn.vni]]
vni = 100
rd = "10.0.0.1:1"
ethernet_tag = "vni"
route_targets = { both = ["65001:1"] }

[[evpn.vni]]
vni = 200
rd = "10.0.0.1:1"
ethernet_tag = "vni"
route_targets = { both = ["65001:1"] }

[[evpn.vni]]
vni = 300
rd = "10.0.0.1:1"
ethernet_tag = "vni"
route_targets = { both = ["65001:1"] }
"#;

fn evpn() -> Evpn {
    let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n{BUNDLE}");
    Evpn::new(Arc::new(
        evpnd_config::parse(&text, "test.toml").expect("valid config"),
    ))
}

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

use common::{dataplane, vni};

fn info(n: u32) -> VniInfo {
    common::vni_info_no_svi(n, ip(1), n, n + 1)
}

fn rt() -> RouteTarget {
    RouteTarget::As2 {
        asn: 65001,
        value: 1,
    }
}

/// Leaf 2's MAC `m` with Ethernet Tag `tag` in the bundle (RD 10.0.0.2:1).
fn remote_mac(m: u8, tag: u32) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, 2),
                number: 1,
            },
            esi: Esi::ZERO,
            ethernet_tag: tag,
            mac: mac(m),
            ip: None,
            label1: Label3::from_vni(vni(tag.max(100))),
            label2: None,
        }),
        next_hop: ip(2),
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel: None,
        router_mac: None,
    }
}

fn remote_imet(tag: u32) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::Imet(Imet {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, 2),
                number: 1,
            },
            ethernet_tag: tag,
            originator: ip(2),
        }),
        next_hop: ip(2),
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel: Some(Tunnel::IngressReplication { endpoint: ip(2) }),
        router_mac: None,
    }
}

fn announce(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

fn installed(m: u8, v: u32) -> DesiredChange {
    DesiredChange::RemoteMac {
        vni: vni(v),
        mac: mac(m),
        vtep: ip(2),
        sticky: false,
    }
}

#[test]
fn our_routes_carry_the_vni_as_ethernet_tag() {
    let mut e = evpn();
    e.local_event(LocalEvent::Vni(info(200)), 0);
    e.local_event(
        LocalEvent::Mac {
            vni: vni(200),
            mac: mac(9),
            sticky: false,
        },
        0,
    );
    let tags: Vec<u32> = e
        .take_outputs()
        .iter()
        .filter_map(|o| match o {
            Output::Originate(o) => Some(match &o.route {
                EvpnRoute::Imet(i) => i.ethernet_tag,
                EvpnRoute::MacIp(m) => m.ethernet_tag,
                _ => u32::MAX,
            }),
            _ => None,
        })
        .collect();
    assert_eq!(tags, [200, 200], "type 3 and type 2 of VNI 200");
}

#[test]
fn a_tagged_route_lands_only_in_its_vni() {
    let mut e = evpn();
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.local_event(LocalEvent::Vni(info(200)), 0);
    e.take_outputs();
    announce(&mut e, &remote_mac(1, 200));
    assert_eq!(dataplane(&e.take_outputs()), [installed(1, 200)]);
    // Tag 0 (a VLAN-based sender): every importing VNI, as before.
    announce(&mut e, &remote_mac(2, 0));
    assert_eq!(
        dataplane(&e.take_outputs()),
        [installed(2, 100), installed(2, 200)]
    );
    // A tagged type 3: the flood entry of that VNI only.
    announce(&mut e, &remote_imet(100));
    assert_eq!(
        dataplane(&e.take_outputs()),
        [DesiredChange::Flood {
            vni: vni(100),
            vtep: ip(2)
        }]
    );
    // A tag of no VNI of ours lands nowhere.
    announce(&mut e, &remote_mac(3, 400));
    assert!(dataplane(&e.take_outputs()).is_empty());
    // Withdrawn: out of its VNI only.
    e.remote_best(&remote_mac(1, 200).route.key(), None, 0);
    assert_eq!(
        dataplane(&e.take_outputs()),
        [DesiredChange::RemoteMacGone {
            vni: vni(200),
            mac: mac(1)
        }]
    );
}

#[test]
fn a_member_added_or_removed_touches_only_the_routes_landing_in_it() {
    let mut e = evpn();
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.local_event(LocalEvent::Vni(info(200)), 0);
    for m in 1..=5 {
        announce(&mut e, &remote_mac(m, 100));
        announce(&mut e, &remote_mac(10 + m, 200));
    }
    announce(&mut e, &remote_mac(20, 300));
    announce(&mut e, &remote_mac(21, 0));
    e.take_outputs();
    let before = e.imports_applied();
    e.local_event(LocalEvent::Vni(info(300)), 0);
    assert_eq!(
        e.imports_applied() - before,
        2,
        "its own tagged route and the untagged one"
    );
    let mut added = dataplane(&e.take_outputs());
    added.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(added, [installed(20, 300), installed(21, 300)]);
    e.local_event(LocalEvent::VniGone(vni(200)), 0);
    let mut gone: Vec<DesiredChange> = dataplane(&e.take_outputs());
    gone.sort_by_key(|c| format!("{c:?}"));
    let mut want: Vec<DesiredChange> = [11, 12, 13, 14, 15, 21]
        .into_iter()
        .map(|m| DesiredChange::RemoteMacGone {
            vni: vni(200),
            mac: mac(m),
        })
        .collect();
    want.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(gone, want);
}
