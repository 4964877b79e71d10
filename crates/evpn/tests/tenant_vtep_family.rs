//! A tenant's remote VTEPs must be of its L3VNI device's family: a type 5
//! or MAC+IP route through a VTEP of the other family is kept, explained,
//! never installed; the in-place replacement of a path by one of the
//! other family takes the old one out.

mod tenant_common;

use tenant_common::*;

fn v6(n: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n))
}

/// A type 5 from `leaf` through VTEP `vtep`.
fn t5_via(leaf: u8, prefix: &str, vtep: IpAddr) -> RemoteRoute {
    RemoteRoute {
        next_hop: vtep,
        ..remote_t5(leaf, prefix, Some(rmac(leaf)))
    }
}

#[test]
fn a_type_5_through_a_vtep_of_the_other_family_is_not_installed() {
    let mut e = leaf("");
    e.take_outputs();
    let r = t5_via(2, "10.9.0.0/24", v6(2));
    announce(&mut e, &r);
    assert_eq!(dataplane(&e.take_outputs()), vec![]);
    assert_eq!(
        e.family_refused(&r.route.key()).as_deref(),
        Some(
            "VNI 4000: remote VTEP 2001:db8::2 is IPv6, the VNI's VXLAN device is IPv4 (10.0.0.1)"
        )
    );
    withdraw(&mut e, &r);
    assert_eq!(dataplane(&e.take_outputs()), vec![]);
    assert_eq!(e.family_refusals().0, 0);
}

#[test]
fn a_path_replaced_by_one_of_the_other_family_is_taken_out() {
    let mut e = leaf("");
    e.take_outputs();
    announce(&mut e, &t5_via(2, "10.9.0.0/24", ip(2)));
    let d = dataplane(&e.take_outputs());
    assert!(
        d.contains(&route(1000, "10.9.0.0/24", vteps(&[2]))),
        "{d:?}"
    );
    // Same route, now through an IPv6 VTEP: the IPv4 path goes.
    let r6 = t5_via(2, "10.9.0.0/24", v6(2));
    announce(&mut e, &r6);
    let d = dataplane(&e.take_outputs());
    assert!(
        d.iter()
            .any(|c| matches!(c, DesiredChange::RouteGone { .. })),
        "{d:?}"
    );
    assert!(
        !d.iter().any(|c| matches!(c, DesiredChange::Route { .. })),
        "{d:?}"
    );
    assert!(e.family_refused(&r6.route.key()).is_some());
    // Back to IPv4: installed again, nothing refused.
    announce(&mut e, &t5_via(2, "10.9.0.0/24", ip(2)));
    let d = dataplane(&e.take_outputs());
    assert!(
        d.contains(&route(1000, "10.9.0.0/24", vteps(&[2]))),
        "{d:?}"
    );
    assert_eq!(e.family_refusals().0, 0);
}

#[test]
fn an_l3vni_of_the_other_family_than_vtep_ip_is_not_anchored() {
    let mut e = synced(cfg(&format!("vtep_ip = \"2001:db8::1\"\n{TENANT_TABLE}")));
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    assert!(originated(&out).is_empty(), "{out:?}");
    assert!(e.tenants().all(|t| t.l3.is_none()));
}

#[test]
fn routes_held_before_the_l3vni_appears_are_judged_when_it_does() {
    let mut e = synced(cfg(TENANT_TABLE));
    let r6 = t5_via(2, "10.9.0.0/24", v6(2));
    let r4 = t5_via(3, "10.8.0.0/24", ip(3));
    announce(&mut e, &r6);
    announce(&mut e, &r4);
    e.take_outputs();
    // No L3VNI, no vtep_ip: the family is not known yet.
    assert_eq!(e.family_refusals().0, 0);
    let d = dataplane(&ev(&mut e, LocalEvent::Vni(l3_info())));
    assert!(
        d.contains(&route(1000, "10.8.0.0/24", vteps(&[3]))),
        "{d:?}"
    );
    assert!(
        !d.iter().any(
            |c| matches!(c, DesiredChange::Route { prefix, .. } if *prefix == net("10.9.0.0/24"))
        ),
        "{d:?}"
    );
    assert!(e.family_refused(&r6.route.key()).is_some());
    assert_eq!(e.family_refused(&r4.route.key()), None);
}
