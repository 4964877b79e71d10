//! IPv6 VTEPs in the EVPN domain: a VNI whose VXLAN device has an IPv6
//! `local` originates and programs IPv6 VTEPs; what mixes the families
//! (a device of the other family than `[evpn] vtep_ip`, a remote VTEP of
//! the other family than the device) is refused with its reason, never
//! programmed.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Output, RemoteRoute, VniInfo};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget};

fn cfg(extra: &str) -> Arc<evpnd_config::Config> {
    let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\n{extra}");
    Arc::new(evpnd_config::parse(&text, "test.toml").expect("valid config"))
}

fn v4(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn v6(n: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n))
}

use common::{dataplane, vni};

fn info(n: u32, local: IpAddr) -> VniInfo {
    common::vni_info(n, local)
}

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

fn rt() -> RouteTarget {
    RouteTarget::As2 {
        asn: 65001,
        value: 100,
    }
}

fn rd(leaf: u8) -> Rd {
    Rd::Ipv4 {
        addr: Ipv4Addr::new(10, 0, 0, leaf),
        number: 100,
    }
}

/// A remote type 2 for `mac(m)` from leaf `leaf` behind VTEP `vtep`.
fn remote_mac(leaf: u8, m: u8, vtep: IpAddr) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: rd(leaf),
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: mac(m),
            ip: None,
            label1: Label3::from_vni(vni(100)),
            label2: None,
        }),
        next_hop: vtep,
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel: None,
        router_mac: None,
    }
}

/// A remote type 3 from leaf `leaf` with ingress replication to `vtep`.
fn remote_imet(leaf: u8, vtep: IpAddr) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::Imet(Imet {
            rd: rd(leaf),
            ethernet_tag: 0,
            originator: vtep,
        }),
        next_hop: vtep,
        rts: vec![rt()],
        seq: 0,
        sticky: false,
        tunnel: Some(evpnd_evpn::Tunnel::IngressReplication { endpoint: vtep }),
        router_mac: None,
    }
}

fn announce(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

fn imet_originated(out: &[Output]) -> Option<(IpAddr, IpAddr)> {
    out.iter().find_map(|o| match o {
        Output::Originate(o) => match &o.route {
            EvpnRoute::Imet(i) => Some((i.originator, o.next_hop)),
            _ => None,
        },
        _ => None,
    })
}

#[test]
fn an_ipv6_device_originates_and_programs_ipv6_vteps() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    let out = e.take_outputs();
    assert_eq!(imet_originated(&out), Some((v6(1), v6(1))));
    announce(&mut e, &remote_imet(2, v6(2)));
    announce(&mut e, &remote_mac(2, 1, v6(2)));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![
            DesiredChange::Flood {
                vni: vni(100),
                vtep: v6(2)
            },
            DesiredChange::RemoteMac {
                vni: vni(100),
                mac: mac(1),
                vtep: v6(2),
                sticky: false
            }
        ]
    );
    assert_eq!(e.family_refusals(), (0, 0));
}

#[test]
fn a_configured_ipv6_vtep_ip_is_advertised() {
    let mut e = Evpn::new(cfg(r#"vtep_ip = "2001:db8::1""#));
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    assert_eq!(imet_originated(&e.take_outputs()), Some((v6(1), v6(1))));
}

#[test]
fn remote_vteps_of_the_other_family_are_kept_but_never_programmed() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    e.take_outputs();
    let imet = remote_imet(3, v4(3));
    let mac4 = remote_mac(3, 3, v4(3));
    announce(&mut e, &imet);
    announce(&mut e, &mac4);
    assert!(dataplane(&e.take_outputs()).is_empty());
    assert_eq!(e.family_refusals(), (2, 2));
    assert_eq!(
        e.family_refused(&mac4.route.key()).as_deref(),
        Some("VNI 100: remote VTEP 10.0.0.3 is IPv4, the VNI's VXLAN device is IPv6 (2001:db8::1)")
    );
    // Withdrawn: nothing to take out of the kernel, the refusal is gone.
    e.remote_best(&mac4.route.key(), None, 0);
    e.remote_best(&imet.route.key(), None, 0);
    assert!(dataplane(&e.take_outputs()).is_empty());
    assert_eq!(e.family_refusals(), (0, 2));
    assert_eq!(e.family_refused(&mac4.route.key()), None);
}

#[test]
fn an_ipv4_device_refuses_an_ipv6_vtep_and_takes_an_ipv4_one() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100, v4(1))), 0);
    e.take_outputs();
    // The same MAC behind an IPv6 VTEP, then (better path) an IPv4 one.
    let r6 = remote_mac(2, 1, v6(2));
    announce(&mut e, &r6);
    assert!(dataplane(&e.take_outputs()).is_empty());
    let r4 = remote_mac(2, 1, v4(2));
    announce(&mut e, &r4);
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![DesiredChange::RemoteMac {
            vni: vni(100),
            mac: mac(1),
            vtep: v4(2),
            sticky: false
        }]
    );
    assert_eq!(e.family_refused(&r4.route.key()), None);
}

#[test]
fn a_device_changing_family_rejudges_its_routes() {
    let mut e = Evpn::new(cfg(""));
    e.local_event(LocalEvent::Vni(info(100, v4(1))), 0);
    announce(&mut e, &remote_imet(2, v6(2)));
    e.take_outputs();
    assert_eq!(e.family_refusals().0, 1);
    // The device's local becomes IPv6: the IPv6 VTEP is now programmed.
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    let d = dataplane(&e.take_outputs());
    assert!(
        d.contains(&DesiredChange::Flood {
            vni: vni(100),
            vtep: v6(2)
        }),
        "{d:?}"
    );
    assert_eq!(e.family_refusals().0, 0);
}

#[test]
fn a_device_of_the_other_family_than_vtep_ip_gets_no_instance() {
    let mut e = Evpn::new(cfg(r#"vtep_ip = "10.0.0.1""#));
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    let out = e.take_outputs();
    assert_eq!(imet_originated(&out), None, "{out:?}");
    assert_eq!(e.instances().count(), 0);
    // Same family: the VNI is taken.
    e.local_event(LocalEvent::Vni(info(100, v4(1))), 0);
    assert_eq!(imet_originated(&e.take_outputs()), Some((v4(1), v4(1))));
    // Changed to the other family: the instance and its type 3 go.
    e.local_event(LocalEvent::Vni(info(100, v6(1))), 0);
    let out = e.take_outputs();
    assert!(
        out.iter().any(|o| matches!(o, Output::Withdraw(_))),
        "{out:?}"
    );
    assert_eq!(e.instances().count(), 0);
}
