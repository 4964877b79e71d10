//! Flooding (ADR 0031): the decision per remote type 3 by its PMSI tunnel
//! and our device's group, our type 3's PMSI, and `static_vteps` beside
//! the EVPN sources without a flood gap.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_evpn::{
    DesiredChange, Evpn, FloodSource, LocalEvent, NoEntry, Output, RemoteRoute, Tunnel, VniInfo,
};
use evpnd_wire::attr::AttrValue;
use evpnd_wire::attr::pmsi::{INGRESS_REPLICATION, PIM_SM_TREE, PIM_SSM_TREE};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget};

fn cfg(extra: &str) -> Arc<evpnd_config::Config> {
    let text = format!(
        "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\nvtep_ip = \"10.0.0.1\"\n{extra}"
    );
    Arc::new(evpnd_config::parse(&text, "test.toml").expect("valid config"))
}

fn statics(vteps: &[u8]) -> Arc<evpnd_config::Config> {
    let list: Vec<String> = vteps.iter().map(|n| format!("\"{}\"", ip(*n))).collect();
    cfg(&format!(
        "[[evpn.vni]]\nvni = 100\nstatic_vteps = [{}]",
        list.join(", ")
    ))
}

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn group(s: &str) -> IpAddr {
    s.parse().expect("group")
}

use common::{dataplane, vni};

fn info(n: u32, g: Option<IpAddr>) -> VniInfo {
    VniInfo {
        group: g,
        ..common::vni_info(n, ip(1))
    }
}

fn rt() -> RouteTarget {
    RouteTarget::As2 {
        asn: 65001,
        value: 100,
    }
}

/// Leaf `leaf`'s type 3 for VNI 100 with `tunnel`.
fn imet(leaf: u8, tunnel: Option<Tunnel>) -> RemoteRoute {
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
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel,
        router_mac: None,
    }
}

fn ir(leaf: u8) -> RemoteRoute {
    imet(
        leaf,
        Some(Tunnel::IngressReplication { endpoint: ip(leaf) }),
    )
}

fn pim(leaf: u8, g: &str) -> RemoteRoute {
    imet(
        leaf,
        Some(Tunnel::Multicast {
            tunnel_type: PIM_SM_TREE,
            sender: ip(leaf),
            group: group(g),
        }),
    )
}

fn announce(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

fn withdraw(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), None, 0);
}

fn flood(n: u8) -> DesiredChange {
    DesiredChange::Flood {
        vni: vni(100),
        vtep: ip(n),
    }
}

fn gone(n: u8) -> DesiredChange {
    DesiredChange::FloodGone {
        vni: vni(100),
        vtep: ip(n),
    }
}

fn up(e: &mut Evpn, g: Option<&str>) -> Vec<Output> {
    e.local_event(LocalEvent::Vni(info(100, g.map(group))), 0);
    e.take_outputs()
}

/// Our type 3's PMSI tunnel (type, id) among `out`.
fn our_pmsi(out: &[Output]) -> Option<(u8, evpnd_wire::attr::TunnelId)> {
    out.iter().find_map(|o| match o {
        Output::Originate(o) if matches!(o.route, EvpnRoute::Imet(_)) => {
            o.attrs.iter().find_map(|a| match &a.value {
                AttrValue::PmsiTunnel(p) => Some((p.tunnel_type, p.tunnel_id.clone())),
                _ => None,
            })
        }
        _ => None,
    })
}

#[test]
fn the_decision_table_for_a_vni_on_a_group() {
    let mut e = Evpn::new(cfg(""));
    up(&mut e, Some("239.1.1.1"));
    // Ingress replication: a head-end entry, whatever our flood mode.
    announce(&mut e, &ir(2));
    assert_eq!(dataplane(&e.take_outputs()), [flood(2)]);
    // The same group: BUM already reaches it through the group.
    announce(&mut e, &pim(3, "239.1.1.1"));
    assert!(dataplane(&e.take_outputs()).is_empty());
    // Another group: head-end replication towards its sender.
    announce(&mut e, &pim(4, "239.9.9.9"));
    assert_eq!(dataplane(&e.take_outputs()), [flood(4)]);
    // A tunnel type we cannot send into, and no PMSI at all: no entry.
    announce(&mut e, &imet(5, Some(Tunnel::Other { tunnel_type: 7 })));
    announce(&mut e, &imet(6, None));
    assert!(dataplane(&e.take_outputs()).is_empty());
    assert_eq!(
        e.flood_sources(vni(100)),
        vec![
            (ip(2), FloodSource::Evpn),
            (
                ip(3),
                FloodSource::NoEntry(NoEntry::SameGroup {
                    group: group("239.1.1.1")
                })
            ),
            (ip(4), FloodSource::Evpn),
            (
                ip(5),
                FloodSource::NoEntry(NoEntry::Unsupported { tunnel_type: 7 })
            ),
            (ip(6), FloodSource::NoEntry(NoEntry::NoPmsi)),
        ]
    );
    assert_eq!(
        FloodSource::NoEntry(NoEntry::SameGroup {
            group: group("239.1.1.1")
        })
        .to_string(),
        "same multicast group 239.1.1.1: no head-end entry"
    );
    assert_eq!(
        FloodSource::NoEntry(NoEntry::Unsupported { tunnel_type: 7 }).to_string(),
        "unsupported tunnel type 7: no entry"
    );
    // Withdrawing one that gave no entry changes nothing.
    withdraw(&mut e, &pim(3, "239.1.1.1"));
    assert!(dataplane(&e.take_outputs()).is_empty());
    withdraw(&mut e, &pim(4, "239.9.9.9"));
    assert_eq!(dataplane(&e.take_outputs()), [gone(4)]);
}

#[test]
fn an_ingress_replication_vni_replicates_to_multicast_senders() {
    let mut e = Evpn::new(cfg(""));
    up(&mut e, None);
    announce(&mut e, &pim(3, "239.1.1.1"));
    assert_eq!(dataplane(&e.take_outputs()), [flood(3)]);
    assert_eq!(e.flood_sources(vni(100)), [(ip(3), FloodSource::Evpn)]);
}

#[test]
fn our_type_3_carries_the_pmsi_of_our_flood_mode() {
    let mut e = Evpn::new(cfg(""));
    let out = up(&mut e, None);
    assert_eq!(
        our_pmsi(&out),
        Some((INGRESS_REPLICATION, evpnd_wire::attr::TunnelId::Ip(ip(1))))
    );
    // The device joins a group: the same type 3, now a PIM-SM tree.
    let out = up(&mut e, Some("239.1.1.1"));
    let multicast = |g: &str| evpnd_wire::attr::TunnelId::Multicast {
        sender: ip(1),
        group: group(g),
    };
    assert_eq!(our_pmsi(&out), Some((PIM_SM_TREE, multicast("239.1.1.1"))));
    assert!(!out.iter().any(|o| matches!(o, Output::Withdraw(_))));
    // An SSM group: a PIM-SSM tree.
    let mut e = Evpn::new(cfg(""));
    let out = up(&mut e, Some("232.1.1.1"));
    assert_eq!(our_pmsi(&out), Some((PIM_SSM_TREE, multicast("232.1.1.1"))));
}

#[test]
fn a_unicast_remote_is_no_group() {
    // `ip link add ... type vxlan remote 10.0.0.9`: the kernel reports the
    // remote where a group would be; the VNI still floods by IR.
    let mut e = Evpn::new(cfg(""));
    let out = up(&mut e, Some("10.0.0.9"));
    assert_eq!(
        our_pmsi(&out),
        Some((INGRESS_REPLICATION, evpnd_wire::attr::TunnelId::Ip(ip(1))))
    );
    announce(&mut e, &pim(3, "239.1.1.1"));
    assert_eq!(dataplane(&e.take_outputs()), [flood(3)]);
    // It becomes a group member: decided again.
    assert_eq!(dataplane(&up(&mut e, Some("239.1.1.1"))), [gone(3)]);
}

#[test]
fn a_group_change_decides_flooding_again() {
    let mut e = Evpn::new(cfg(""));
    up(&mut e, None);
    announce(&mut e, &pim(3, "239.1.1.1"));
    announce(&mut e, &ir(2));
    e.take_outputs();
    // Now on the peer's group: its head-end entry goes, the IR one stays.
    let out = up(&mut e, Some("239.1.1.1"));
    assert_eq!(dataplane(&out), [gone(3)]);
    // Off the group again: back to head-end replication.
    let out = up(&mut e, None);
    assert_eq!(dataplane(&out), [flood(3)]);
    // An unchanged update decides nothing.
    assert!(dataplane(&up(&mut e, None)).is_empty());
}

#[test]
fn static_vteps_live_with_the_vni() {
    let mut e = Evpn::new(statics(&[21, 22]));
    let out = up(&mut e, None);
    assert_eq!(dataplane(&out), [flood(21), flood(22)]);
    assert_eq!(e.static_vteps(vni(100)), [ip(21), ip(22)]);
    assert_eq!(
        e.flood_sources(vni(100)),
        [(ip(21), FloodSource::Static), (ip(22), FloodSource::Static)]
    );
    e.local_event(LocalEvent::VniGone(vni(100)), 0);
    let mut d = dataplane(&e.take_outputs());
    d.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(d, [gone(21), gone(22)]);
    assert!(e.flood_list().next().is_none());
}

#[test]
fn a_static_vtep_that_starts_speaking_evpn_keeps_one_entry() {
    let mut e = Evpn::new(statics(&[21]));
    up(&mut e, None);
    // It advertises its type 3: no second entry, no gap.
    announce(&mut e, &ir(21));
    assert!(dataplane(&e.take_outputs()).is_empty());
    assert_eq!(
        e.flood_sources(vni(100)),
        [(ip(21), FloodSource::EvpnAndStatic)]
    );
    // The operator removes it from static_vteps (reload): the entry stays.
    e.set_static_vteps(&cfg("[[evpn.vni]]\nvni = 100"));
    assert!(dataplane(&e.take_outputs()).is_empty());
    assert_eq!(e.flood_sources(vni(100)), [(ip(21), FloodSource::Evpn)]);
    // Its type 3 withdrawn: now it goes.
    withdraw(&mut e, &ir(21));
    assert_eq!(dataplane(&e.take_outputs()), [gone(21)]);
    // Added back by a reload: its entry again.
    e.set_static_vteps(&statics(&[21]));
    assert_eq!(dataplane(&e.take_outputs()), [flood(21)]);
}

#[test]
fn a_static_vtep_of_the_other_family_gets_no_entry() {
    let text = "[[evpn.vni]]\nvni = 100\nstatic_vteps = [\"2001:db8::21\", \"10.0.0.21\"]";
    let c = Arc::new(
        evpnd_config::parse(
            &format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n{text}"),
            "t.toml",
        )
        .expect("valid"),
    );
    let mut e = Evpn::new(c);
    assert_eq!(dataplane(&up(&mut e, None)), [flood(21)]);
}

#[test]
fn an_evpn_mac_behind_a_static_vtep_is_installed_as_usual() {
    let mut e = Evpn::new(statics(&[21]));
    up(&mut e, None);
    let m = MacAddr([2, 0, 0, 0, 0, 9]);
    let r = RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, 21),
                number: 100,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: m,
            ip: None,
            label1: Label3::from_vni(vni(100)),
            label2: None,
        }),
        next_hop: ip(21),
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel: None,
        router_mac: None,
    };
    announce(&mut e, &r);
    assert_eq!(
        dataplane(&e.take_outputs()),
        [DesiredChange::RemoteMac {
            vni: vni(100),
            mac: m,
            vtep: ip(21),
            sticky: false
        }]
    );
}

mod interleavings {
    //! Any interleaving of static and EVPN sources: the installed entries
    //! are the union of what is wanted, and a VTEP wanted before and after
    //! a step sees no change in it (no FloodGone + Flood gap).

    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        /// Leaf n's type 3 (one of two RDs) with ingress replication.
        Announce(u8, bool),
        Withdraw(u8, bool),
        /// A reload with these static VTEPs.
        Statics(BTreeSet<u8>),
        /// The VNI's device goes and comes back.
        Gone,
        Up,
    }

    fn step() -> impl Strategy<Value = Step> {
        let leaf = 21u8..25;
        prop_oneof![
            (leaf.clone(), any::<bool>()).prop_map(|(n, b)| Step::Announce(n, b)),
            (leaf.clone(), any::<bool>()).prop_map(|(n, b)| Step::Withdraw(n, b)),
            proptest::collection::btree_set(leaf, 0..4).prop_map(Step::Statics),
            Just(Step::Gone),
            Just(Step::Up),
        ]
    }

    fn route(n: u8, second: bool) -> RemoteRoute {
        let mut r = ir(n);
        if let EvpnRoute::Imet(i) = &mut r.route {
            i.rd = Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, n),
                number: if second { 7 } else { 100 },
            };
        }
        r
    }

    proptest! {
        #[test]
        fn installed_is_the_union_of_the_sources(
            first in proptest::collection::btree_set(21u8..25, 0..4),
            steps in proptest::collection::vec(step(), 1..40),
        ) {
            let list = |s: &BTreeSet<u8>| s.iter().copied().collect::<Vec<u8>>();
            let mut e = Evpn::new(statics(&list(&first)));
            let mut configured = first;
            let mut announced: BTreeSet<(u8, bool)> = BTreeSet::new();
            let mut vni_up = false;
            let mut installed: BTreeSet<IpAddr> = BTreeSet::new();
            let mut wanted_before: BTreeSet<IpAddr> = BTreeSet::new();
            for s in steps {
                match &s {
                    // The core hands best paths over only while the
                    // domain has instances.
                    Step::Announce(n, b) => {
                        if e.has_instances() {
                            announce(&mut e, &route(*n, *b));
                        }
                        announced.insert((*n, *b));
                    }
                    Step::Withdraw(n, b) => {
                        if e.has_instances() {
                            withdraw(&mut e, &route(*n, *b));
                        }
                        announced.remove(&(*n, *b));
                    }
                    Step::Statics(set) => {
                        e.set_static_vteps(&statics(&list(set)));
                        configured = set.clone();
                    }
                    Step::Gone => {
                        e.local_event(LocalEvent::VniGone(vni(100)), 0);
                        vni_up = false;
                    }
                    Step::Up => {
                        e.local_event(LocalEvent::Vni(info(100, None)), 0);
                        vni_up = true;
                    }
                }
                let out = e.take_outputs();
                if matches!(s, Step::Up) && out.contains(&Output::Reimport) {
                    // The core hands every held best path over again.
                    for (n, b) in &announced {
                        announce(&mut e, &route(*n, *b));
                    }
                }
                let mut touched: BTreeSet<IpAddr> = BTreeSet::new();
                for c in dataplane(&out).into_iter().chain(dataplane(&e.take_outputs())) {
                    match c {
                        DesiredChange::Flood { vtep, .. } => {
                            prop_assert!(installed.insert(vtep), "Flood {vtep} twice");
                            touched.insert(vtep);
                        }
                        DesiredChange::FloodGone { vtep, .. } => {
                            prop_assert!(installed.remove(&vtep), "FloodGone {vtep} not installed");
                            touched.insert(vtep);
                        }
                        _ => {}
                    }
                }
                let wanted: BTreeSet<IpAddr> = if vni_up {
                    configured
                        .iter()
                        .copied()
                        .chain(announced.iter().map(|(n, _)| *n))
                        .map(ip)
                        .collect()
                } else {
                    BTreeSet::new()
                };
                prop_assert_eq!(&installed, &wanted, "after {:?}", s);
                for v in wanted.intersection(&wanted_before) {
                    prop_assert!(!touched.contains(v), "{} blinked at {:?}", v, s);
                }
                wanted_before = wanted;
            }
        }
    }
}
