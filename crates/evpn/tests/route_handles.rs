//! A MAC names its remote routes by the held route's handle (a slot that a
//! later route reuses, issue 16): a withdrawn route's handle taken by a
//! route for another MAC must not keep the first MAC, or move the second.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_evpn::{Evpn, LocalEvent, Owner, RemoteRoute, VniInfo};
use evpnd_wire::nlri::evpn::{EvpnRoute, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget, Vni};

const VNI: u32 = 100;

fn info() -> VniInfo {
    common::vni_info_no_svi(VNI, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 10, 11)
}

/// MAC `mac` from leaf `leaf` (its RD and VTEP) with sequence `seq`.
fn route(mac: u8, leaf: u8, seq: u32) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, leaf),
                number: 1,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: MacAddr([2, 0, 0, 0, 0, mac]),
            ip: None,
            label1: Label3::from_vni(Vni::new(VNI).expect("vni")),
            label2: None,
        }),
        next_hop: IpAddr::V4(Ipv4Addr::new(10, 0, 0, leaf)),
        rts: vec![RouteTarget::As2 {
            asn: 65001,
            value: VNI,
        }],
        seq,
        sticky: false,
        tunnel: None,
        router_mac: None,
    }
}

fn add(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

fn withdraw(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), None, 0);
}

/// The VTEP each MAC is owned by, by the last octet of the MAC.
fn owners(e: &Evpn) -> Vec<(u8, IpAddr)> {
    let mut v: Vec<(u8, IpAddr)> = e
        .macs()
        .filter_map(|((_, mac), m)| match m.owner {
            Some(Owner::Remote(r)) => Some((mac.0[5], r.vtep)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn vtep(leaf: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, leaf))
}

#[test]
fn a_reused_route_handle_neither_keeps_nor_moves_another_mac() {
    let cfg = Arc::new(
        evpnd_config::parse(
            "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n",
            "test.toml",
        )
        .expect("config"),
    );
    let mut e = Evpn::new(cfg);
    e.local_event(LocalEvent::Vni(info()), 0);
    // MAC 1 behind leaf 2, then moved to leaf 3 (two routes for it).
    let (a, b) = (route(1, 2, 0), route(1, 3, 1));
    add(&mut e, &a);
    add(&mut e, &b);
    assert_eq!(owners(&e), vec![(1, vtep(3))]);
    // Leaf 2's route goes; MAC 2's route takes its handle.
    withdraw(&mut e, &a);
    let c = route(2, 4, 0);
    add(&mut e, &c);
    assert_eq!(owners(&e), vec![(1, vtep(3)), (2, vtep(4))]);
    // Leaf 3's route goes: MAC 1 is gone, MAC 2 stays where it is.
    withdraw(&mut e, &b);
    assert_eq!(owners(&e), vec![(2, vtep(4))]);
    // A route changed in place (a higher sequence) keeps one entry.
    add(&mut e, &route(2, 4, 5));
    assert_eq!(e.macs().map(|(_, m)| m.remote.len()).sum::<usize>(), 1);
    withdraw(&mut e, &c);
    assert_eq!(e.macs().count(), 0);
}
