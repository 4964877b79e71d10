//! The EVPN domain end to end without I/O: kernel events and remote best
//! paths in, originated routes and desired dataplane changes out.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Output, RemoteRoute, VniInfo};
use evpnd_wire::attr::{AttrValue, ExtCommunity};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget};

fn cfg(extra: &str) -> Arc<evpnd_config::Config> {
    let text = format!(
        "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\nduplicate_detection = {{ max_moves = 3, window = 180 }}\n{extra}"
    );
    Arc::new(evpnd_config::parse(&text, "test.toml").expect("valid config"))
}

use common::{dataplane, vni};

fn info(n: u32) -> VniInfo {
    common::vni_info(n, ip(1))
}

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

/// A remote type 2 from leaf `leaf` (RD leaf:100, next hop 10.0.0.leaf).
fn remote_mac(leaf: u8, m: u8, host: Option<IpAddr>, rt: RouteTarget, seq: u32) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, leaf),
                number: 100,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: mac(m),
            ip: host,
            label1: Label3::from_vni(vni(100)),
            label2: None,
        }),
        next_hop: ip(leaf),
        rts: vec![rt],
        seq,
        sticky: false,
        tunnel: None,
        router_mac: None,
    }
}

fn remote_imet(leaf: u8, rt: RouteTarget) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::Imet(Imet {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, leaf),
                number: 100,
            },
            ethernet_tag: 0,
            originator: ip(leaf),
        }),
        next_hop: ip(leaf),
        rts: vec![rt],
        seq: 0,
        sticky: false,
        tunnel: Some(evpnd_evpn::Tunnel::IngressReplication { endpoint: ip(leaf) }),
        router_mac: None,
    }
}

fn rt(asn: u16, value: u32) -> RouteTarget {
    RouteTarget::As2 { asn, value }
}

fn announce(e: &mut Evpn, r: &RemoteRoute, now: u64) {
    e.remote_best(&r.route.key(), Some(r.clone()), now);
}

#[test]
fn a_kernel_vni_originates_type_3_with_pmsi_and_auto_rt() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    let out = e.take_outputs();
    assert!(out.contains(&Output::Reimport));
    let o = out
        .iter()
        .find_map(|o| match o {
            Output::Originate(o) => Some(o),
            _ => None,
        })
        .expect("a type 3");
    assert!(matches!(o.route, EvpnRoute::Imet(Imet { originator, .. }) if originator == ip(1)));
    let ecs: Vec<&ExtCommunity> = o
        .attrs
        .iter()
        .filter_map(|a| match &a.value {
            AttrValue::ExtCommunities(c) => Some(c.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(ecs.contains(&&ExtCommunity::RouteTarget {
        value: rt(65001, 100)
    }));
    assert!(ecs.contains(&&ExtCommunity::VXLAN));
    assert!(
        o.attrs
            .iter()
            .any(|a| matches!(a.value, AttrValue::PmsiTunnel(_)))
    );
}

#[test]
fn import_is_by_route_target_local_admin_not_by_vni() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.take_outputs();
    // Another AS, same VNI in the local administrator: imported (eBGP fabrics).
    announce(&mut e, &remote_mac(2, 1, None, rt(65002, 100), 0), 0);
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![DesiredChange::RemoteMac {
            vni: vni(100),
            mac: mac(1),
            vtep: ip(2),
            sticky: false
        }]
    );
    // Label says VNI 100 but the RT is for 200: not imported.
    announce(&mut e, &remote_mac(3, 2, None, rt(65001, 200), 0), 0);
    assert!(dataplane(&e.take_outputs()).is_empty());
}

#[test]
fn strict_rt_import_takes_only_our_own_as_on_a_vni_without_configuration() {
    let mut e = Evpn::new(cfg("strict_rt_import = true"));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.take_outputs();
    // Another AS, same VNI: not imported under strict RT import.
    announce(&mut e, &remote_mac(2, 1, None, rt(65002, 100), 0), 0);
    assert!(dataplane(&e.take_outputs()).is_empty());
    // Our own auto RT: imported.
    announce(&mut e, &remote_mac(3, 2, None, rt(65001, 100), 0), 0);
    assert_eq!(dataplane(&e.take_outputs()).len(), 1);
}

#[test]
fn flood_entries_are_refcounted_per_vtep() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.take_outputs();
    let a = remote_imet(2, rt(65001, 100));
    let mut b = remote_imet(2, rt(65001, 100));
    if let EvpnRoute::Imet(i) = &mut b.route {
        i.rd = Rd::Ipv4 {
            addr: Ipv4Addr::new(10, 0, 0, 2),
            number: 7,
        };
    }
    announce(&mut e, &a, 0);
    announce(&mut e, &b, 0);
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![DesiredChange::Flood {
            vni: vni(100),
            vtep: ip(2)
        }]
    );
    e.remote_best(&a.route.key(), None, 0);
    assert!(
        dataplane(&e.take_outputs()).is_empty(),
        "b still names VTEP 2"
    );
    e.remote_best(&b.route.key(), None, 0);
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![DesiredChange::FloodGone {
            vni: vni(100),
            vtep: ip(2)
        }]
    );
}

#[test]
fn mac_ip_routes_give_a_remote_neighbour_and_withdrawal_removes_it() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.take_outputs();
    let host = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));
    let r = remote_mac(2, 1, Some(host), rt(65001, 100), 0);
    announce(&mut e, &r, 0);
    let d = dataplane(&e.take_outputs());
    assert!(d.contains(&DesiredChange::RemoteNeigh {
        vni: vni(100),
        ip: host,
        mac: mac(1)
    }));
    e.remote_best(&r.route.key(), None, 0);
    let d = dataplane(&e.take_outputs());
    assert!(d.contains(&DesiredChange::RemoteNeighGone {
        vni: vni(100),
        ip: host
    }));
    assert!(d.contains(&DesiredChange::RemoteMacGone {
        vni: vni(100),
        mac: mac(1)
    }));
}

fn originated_seq(out: &[Output]) -> Option<u32> {
    out.iter().find_map(|o| match o {
        Output::Originate(o) if matches!(o.route, EvpnRoute::MacIp(_)) => Some(o.seq),
        _ => None,
    })
}

#[test]
fn a_mac_moving_here_is_advertised_with_a_higher_sequence_and_uninstalled() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    announce(&mut e, &remote_mac(2, 1, None, rt(65001, 100), 3), 0);
    e.take_outputs();
    e.local_event(
        LocalEvent::Mac {
            vni: vni(100),
            mac: mac(1),
            sticky: false,
        },
        1,
    );
    let out = e.take_outputs();
    assert_eq!(originated_seq(&out), Some(4));
    assert!(dataplane(&out).contains(&DesiredChange::RemoteMacGone {
        vni: vni(100),
        mac: mac(1)
    }));
    // The other leaf re-learns it with seq 5: it moves away, we withdraw.
    announce(&mut e, &remote_mac(2, 1, None, rt(65001, 100), 5), 2);
    let out = e.take_outputs();
    assert!(out.iter().any(|o| matches!(o, Output::Withdraw(_))));
    assert!(dataplane(&out).contains(&DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(1),
        vtep: ip(2),
        sticky: false
    }));
}

#[test]
fn a_local_neighbour_is_advertised_as_mac_and_ip() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.take_outputs();
    let host = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1));
    e.local_event(
        LocalEvent::Mac {
            vni: vni(100),
            mac: mac(9),
            sticky: false,
        },
        0,
    );
    e.local_event(
        LocalEvent::Neigh {
            vni: vni(100),
            ip: host,
            mac: mac(9),
        },
        0,
    );
    let out = e.take_outputs();
    let routes: Vec<Option<IpAddr>> = out
        .iter()
        .filter_map(|o| match o {
            Output::Originate(o) => match &o.route {
                EvpnRoute::MacIp(m) => Some(m.ip),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(routes, vec![None, Some(host)]);
    e.local_event(
        LocalEvent::MacGone {
            vni: vni(100),
            mac: mac(9),
        },
        1,
    );
    let withdrawn = e
        .take_outputs()
        .iter()
        .filter(|o| matches!(o, Output::Withdraw(_)))
        .count();
    assert_eq!(withdrawn, 2, "MAC-only and MAC+IP both withdrawn");
}

#[test]
fn vni_removal_withdraws_and_uninstalls_everything_of_it() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    announce(&mut e, &remote_mac(2, 1, None, rt(65001, 100), 0), 0);
    announce(&mut e, &remote_imet(2, rt(65001, 100)), 0);
    e.take_outputs();
    e.local_event(LocalEvent::VniGone(vni(100)), 1);
    let out = e.take_outputs();
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::FloodGone {
        vni: vni(100),
        vtep: ip(2)
    }));
    assert!(d.contains(&DesiredChange::RemoteMacGone {
        vni: vni(100),
        mac: mac(1)
    }));
    assert!(out.iter().any(|o| matches!(o, Output::Withdraw(_))));
    assert!(!e.has_instances());
}

/// Issue 16: a VNI that appears imports the routes of its route targets the
/// domain already holds, by itself, and nothing else; the core is asked to
/// hand routes over only for the first VNI. A VNI that goes un-imports only
/// its own routes.
#[test]
fn a_vni_added_or_removed_touches_only_its_own_routes() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    assert!(e.take_outputs().contains(&Output::Reimport), "first VNI");
    for m in 0..50 {
        announce(&mut e, &remote_mac(2, m, None, rt(65001, 100), 0), 0);
    }
    for m in 100..105 {
        announce(&mut e, &remote_mac(3, m, None, rt(65001, 200), 0), 0);
    }
    announce(&mut e, &remote_imet(3, rt(65001, 200)), 0);
    assert_eq!(dataplane(&e.take_outputs()).len(), 50);
    assert_eq!(e.imports_applied(), 50, "VNI 200's routes wait, unimported");
    assert_eq!(e.remote_routes_held(), 56);

    e.local_event(LocalEvent::Vni(info(200)), 1);
    let out = e.take_outputs();
    assert!(!out.contains(&Output::Reimport), "no re-import of the RIB");
    let dp = dataplane(&out);
    assert_eq!(dp.len(), 6, "five MACs and a flood entry: {dp:?}");
    assert!(dp.iter().all(|d| matches!(d,
        DesiredChange::RemoteMac { vni: v, .. } | DesiredChange::Flood { vni: v, .. } if *v == vni(200))));
    assert_eq!(
        e.imports_applied(),
        56,
        "VNI 100's routes not applied again"
    );

    // The core handing a route over again unchanged (as a re-import would)
    // applies nothing.
    announce(&mut e, &remote_mac(2, 1, None, rt(65001, 100), 0), 2);
    assert!(e.take_outputs().is_empty());
    assert_eq!(e.imports_applied(), 56);

    e.local_event(LocalEvent::VniGone(vni(200)), 3);
    let dp = dataplane(&e.take_outputs());
    assert_eq!(dp.len(), 6, "{dp:?}");
    assert!(dp.iter().all(|d| matches!(d,
        DesiredChange::RemoteMacGone { vni: v, .. } | DesiredChange::FloodGone { vni: v, .. } if *v == vni(200))));
    // Still held: VNI 200 coming back imports them again.
    e.local_event(LocalEvent::Vni(info(200)), 4);
    assert_eq!(dataplane(&e.take_outputs()).len(), 6);

    // Without instances the core hands over nothing: nothing is held.
    e.local_event(LocalEvent::VniGone(vni(200)), 5);
    e.local_event(LocalEvent::VniGone(vni(100)), 5);
    assert_eq!(e.remote_routes_held(), 0);
    e.local_event(LocalEvent::Vni(info(100)), 6);
    assert!(e.take_outputs().contains(&Output::Reimport));
}

#[test]
fn kernel_vnis_equal_modulo_65536_get_different_auto_rds() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100)), 0);
    e.local_event(LocalEvent::Vni(info(65_636)), 0);
    let rds: Vec<String> = e.instances().map(|i| i.rd.to_string()).collect();
    assert_eq!(rds, ["10.0.0.1:100", "10.0.0.1:101"]);
}

/// A MAC frozen for a time by duplicate detection is released by the
/// once-a-second tick when its time comes, not before (the tick looks only
/// at frozen MACs, not at every MAC).
#[test]
fn a_frozen_duplicate_is_released_when_its_freeze_ends() {
    let c = Arc::new(
        evpnd_config::parse(
            "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\nduplicate_detection = { max_moves = 3, window = 180, freeze = 30 }\n",
            "test.toml",
        )
        .expect("valid config"),
    );
    let mut e = Evpn::new(c);
    e.local_event(LocalEvent::Vni(info(100)), 0);
    // Moves between leaves 2 and 3, each with a higher sequence.
    for (t, (leaf, seq)) in [(2, 0), (3, 1), (2, 2), (3, 3)].into_iter().enumerate() {
        announce(
            &mut e,
            &remote_mac(leaf, 1, None, rt(65001, 100), seq),
            t as u64,
        );
    }
    let out = dataplane(&e.take_outputs());
    assert_eq!(
        out.last(),
        Some(&DesiredChange::RemoteMacGone {
            vni: vni(100),
            mac: mac(1)
        }),
        "frozen: uninstalled ({out:?})"
    );
    e.tick(20);
    assert!(e.take_outputs().is_empty(), "not before its time");
    e.tick(40);
    assert_eq!(
        dataplane(&e.take_outputs()),
        [DesiredChange::RemoteMac {
            vni: vni(100),
            mac: mac(1),
            vtep: ip(3),
            sticky: false
        }]
    );
    e.tick(80);
    assert!(e.take_outputs().is_empty(), "released once");
}
