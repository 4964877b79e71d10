//! L3 tenants, what a leaf imports and installs: ECMP over VTEPs, the
//! Router's MAC entries, host routes, local wins, held routes, overlay
//! indexes, the anycast gateway, import cost.

mod tenant_common;
use tenant_common::*;

#[test]
fn remote_type_5_is_installed_with_ecmp_and_router_mac_entries_refcounted() {
    let mut e = leaf("");
    e.take_outputs();
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![
            DesiredChange::RemoteMac {
                vni: vni(4000),
                mac: rmac(2),
                vtep: ip(2),
                sticky: false
            },
            DesiredChange::RemoteNeigh {
                vni: vni(4000),
                ip: ip(2),
                mac: rmac(2)
            },
            route(1000, "10.9.0.0/24", vteps(&[2])),
        ]
    );
    // A second VTEP for the same prefix: ECMP over both, sorted.
    announce(&mut e, &remote_t5(3, "10.9.0.0/24", Some(rmac(3))));
    let d = dataplane(&e.take_outputs());
    assert_eq!(d.last(), Some(&route(1000, "10.9.0.0/24", vteps(&[2, 3]))));
    assert!(d.contains(&DesiredChange::RemoteMac {
        vni: vni(4000),
        mac: rmac(3),
        vtep: ip(3),
        sticky: false
    }));
    // Another prefix through VTEP 2: no new RMAC entries.
    announce(&mut e, &remote_t5(2, "10.8.0.0/24", Some(rmac(2))));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![route(1000, "10.8.0.0/24", vteps(&[2]))]
    );
    // VTEP 2 withdraws 10.9/24: ECMP shrinks, its RMAC entries stay (10.8/24).
    withdraw(&mut e, &remote_t5(2, "10.9.0.0/24", None));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![route(1000, "10.9.0.0/24", vteps(&[3]))]
    );
    withdraw(&mut e, &remote_t5(3, "10.9.0.0/24", None));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![
            DesiredChange::RouteGone {
                table: 1000,
                prefix: net("10.9.0.0/24")
            },
            DesiredChange::RemoteNeighGone {
                vni: vni(4000),
                ip: ip(3)
            },
            DesiredChange::RemoteMacGone {
                vni: vni(4000),
                mac: rmac(3)
            },
        ]
    );
    let t = e.tenants().next().expect("tenant");
    assert_eq!(
        t.router_macs().collect::<Vec<_>>(),
        vec![(ip(2), rmac(2), 1)]
    );
}

#[test]
fn an_ipv6_prefix_over_an_ipv4_vtep_gets_the_mapped_neighbour() {
    let mut e = leaf("");
    e.take_outputs();
    announce(&mut e, &remote_t5(2, "2001:db8:9::/48", Some(rmac(2))));
    let d = dataplane(&e.take_outputs());
    let mapped: IpAddr = "::ffff:10.0.0.2".parse().expect("ip");
    assert!(d.contains(&DesiredChange::RemoteNeigh {
        vni: vni(4000),
        ip: mapped,
        mac: rmac(2)
    }));
    assert!(d.contains(&route(1000, "2001:db8:9::/48", vteps(&[2]))));
    withdraw(&mut e, &remote_t5(2, "2001:db8:9::/48", None));
    let d = dataplane(&e.take_outputs());
    assert!(d.contains(&DesiredChange::RemoteNeighGone {
        vni: vni(4000),
        ip: mapped
    }));
}

#[test]
fn a_remote_host_route_is_installed_and_link_local_never() {
    let mut e = leaf("");
    e.take_outputs();
    let h = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 7));
    announce(&mut e, &remote_host(2, mac(7), h, Some(rmac(2))));
    let d = dataplane(&e.take_outputs());
    // The L2 side (FDB + neighbour in VNI 100) and the /32 in the tenant.
    assert!(d.contains(&DesiredChange::RemoteNeigh {
        vni: vni(100),
        ip: h,
        mac: mac(7)
    }));
    assert!(d.contains(&route(1000, "10.1.0.7/32", vteps(&[2]))));
    let ll: IpAddr = "fe80::7".parse().expect("ip");
    announce(&mut e, &remote_host(2, mac(7), ll, Some(rmac(2))));
    let d = dataplane(&e.take_outputs());
    assert!(
        !d.iter().any(|c| matches!(c, DesiredChange::Route { .. })),
        "no tenant route for a link-local address: {d:?}"
    );
    // Without a Router's MAC: held, explained.
    let h2 = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 8));
    announce(&mut e, &remote_host(3, mac(8), h2, None));
    let d = dataplane(&e.take_outputs());
    assert!(!d.iter().any(|c| matches!(c, DesiredChange::Route { .. })));
    let t = e.tenants().next().expect("tenant");
    let why = t
        .route(&net("10.1.0.8/32"))
        .and_then(|r| r.not_installed)
        .expect("explained");
    assert!(why.contains("Router's MAC"), "{why}");
}

#[test]
fn a_local_route_for_the_prefix_wins() {
    let mut e = leaf("");
    e.take_outputs();
    // The configured prefix and the connected subnet are ours.
    announce(&mut e, &remote_t5(2, "10.201.0.0/16", Some(rmac(2))));
    announce(&mut e, &remote_t5(2, "10.1.0.0/24", Some(rmac(2))));
    assert!(dataplane(&e.take_outputs()).is_empty());
    let t = e.tenants().next().expect("tenant");
    let r = t.route(&net("10.201.0.0/16")).expect("route");
    assert_eq!(r.paths.len(), 1);
    assert!(r.not_installed.expect("why").contains("local route"));
    // The configured source cannot go; the connected one can: the remote
    // route is installed then.
    let out = ev(
        &mut e,
        LocalEvent::SviAddrGone {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    );
    assert!(dataplane(&out).contains(&route(1000, "10.1.0.0/24", vteps(&[2]))));
}

#[test]
fn routes_are_held_while_the_l3vni_is_down_and_installed_when_it_comes_up() {
    let mut e = leaf("");
    ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            up: false,
            ..l3_info()
        }),
    );
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    assert!(!dataplane(&e.take_outputs()).iter().any(|c| matches!(
        c,
        DesiredChange::Route {
            via: RouteVia::Vteps { .. },
            ..
        }
    )));
    let t = e.tenants().next().expect("tenant");
    assert_eq!(t.routes_held(), 1);
    assert!(
        t.route(&net("10.9.0.0/24"))
            .and_then(|r| r.not_installed)
            .expect("why")
            .contains("down or absent")
    );
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    assert!(dataplane(&out).contains(&route(1000, "10.9.0.0/24", vteps(&[2]))));
    // Gone entirely: uninstalled, still held.
    let out = ev(&mut e, LocalEvent::VniGone(vni(4000)));
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("10.9.0.0/24")
    }));
    assert!(d.contains(&DesiredChange::RemoteMacGone {
        vni: vni(4000),
        mac: rmac(2)
    }));
    assert_eq!(e.tenants().next().map(|t| t.routes_held()), Some(1));
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    assert!(dataplane(&out).contains(&route(1000, "10.9.0.0/24", vteps(&[2]))));
}

#[test]
fn a_gateway_ip_overlay_index_is_held_and_explained() {
    let mut e = leaf("");
    e.take_outputs();
    let mut r = remote_t5(2, "10.9.0.0/24", Some(rmac(2)));
    if let EvpnRoute::IpPrefix(p) = &mut r.route {
        p.gateway = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 99));
    }
    announce(&mut e, &r);
    assert!(dataplane(&e.take_outputs()).is_empty());
    let t = e.tenants().next().expect("tenant");
    let why = t
        .route(&net("10.9.0.0/24"))
        .and_then(|r| r.not_installed)
        .expect("why");
    assert!(
        why.contains("gateway-IP overlay index not resolved"),
        "{why}"
    );
    // The key's tenant is found for explain.
    let imported = e.tenant_imports(&r.route.key());
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].0.name, "blue");
    // An ESI overlay index from another VTEP: held too; the two paths are
    // kept, neither installed.
    let mut r = remote_t5(3, "10.9.0.0/24", Some(rmac(3)));
    if let EvpnRoute::IpPrefix(p) = &mut r.route {
        p.esi = Esi([0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    }
    announce(&mut e, &r);
    assert!(dataplane(&e.take_outputs()).is_empty());
    let t = e.tenants().next().expect("tenant");
    let st = t.route(&net("10.9.0.0/24")).expect("route");
    assert_eq!(st.paths.len(), 2);
    assert!(
        t.path_problem(&net("10.9.0.0/24"), &r.route.key())
            .is_some_and(|w| w.contains("ESI overlay index not resolved"))
    );
}

#[test]
fn our_anycast_gateway_mac_is_never_a_remote_entry_nor_our_svi_address_a_neighbour() {
    let mut e = leaf("");
    e.take_outputs();
    // Another leaf advertises the anycast gateway MAC with the gateway IP.
    let gw_ip = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 1));
    announce(&mut e, &remote_host(2, GW_MAC, gw_ip, Some(rmac(2))));
    let d = dataplane(&e.take_outputs());
    assert!(
        !d.iter()
            .any(|c| matches!(c, DesiredChange::RemoteMac { vni: v, .. } if *v == vni(100))),
        "{d:?}"
    );
    assert!(
        !d.iter()
            .any(|c| matches!(c, DesiredChange::RemoteNeigh { ip: i, .. } if *i == gw_ip)),
        "{d:?}"
    );
    assert_eq!(e.macs().count(), 0, "never counted as a move");
    assert!(
        !d.iter().any(|c| matches!(c, DesiredChange::Route { .. })),
        "our SVI address is never a remote host route: {d:?}"
    );
    let why = e
        .tenants()
        .next()
        .and_then(|t| t.route(&net("10.1.0.1/32")))
        .and_then(|r| r.not_installed)
        .expect("explained");
    assert!(why.contains("the address is ours"), "{why}");
    // A configured default gateway MAC too.
    let text = format!("default_gateway_macs = [\"02:00:00:00:00:63\"]\n{TENANT_TABLE}");
    let mut e2 = synced(cfg(&text));
    ev(&mut e2, LocalEvent::Vni(info(100)));
    announce(
        &mut e2,
        &remote_host(2, mac(0x63), IpAddr::V4(Ipv4Addr::new(10, 1, 0, 2)), None),
    );
    let d = dataplane(&e2.take_outputs());
    assert!(
        !d.iter()
            .any(|c| matches!(c, DesiredChange::RemoteMac { .. })),
        "{d:?}"
    );
}

#[test]
fn two_router_macs_from_one_vtep_keep_the_first() {
    let mut e = leaf("");
    e.take_outputs();
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    announce(&mut e, &remote_t5(2, "10.8.0.0/24", Some(rmac(0x22))));
    let d = dataplane(&e.take_outputs());
    let macs: Vec<&DesiredChange> = d
        .iter()
        .filter(|c| matches!(c, DesiredChange::RemoteMac { .. }))
        .collect();
    assert_eq!(macs.len(), 1);
    assert!(matches!(macs[0], DesiredChange::RemoteMac { mac: m, .. } if *m == rmac(2)));
    assert!(d.contains(&route(1000, "10.8.0.0/24", vteps(&[2]))));
}

#[test]
fn an_l2vni_joining_imports_no_tenant_route_again() {
    let mut e = leaf("");
    for n in 0..50u8 {
        announce(
            &mut e,
            &remote_t5(2, &format!("10.{n}.0.0/24"), Some(rmac(2))),
        );
    }
    e.take_outputs();
    let before = e.imports_applied();
    let mut i = info(300);
    i.svi_mac = Some(GW_MAC);
    ev(&mut e, LocalEvent::Vni(i));
    assert_eq!(e.imports_applied(), before, "no route re-imported");
    // The L3VNI flapping re-decides the tenant's prefixes, without importing.
    ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            up: false,
            ..l3_info()
        }),
    );
    ev(&mut e, LocalEvent::Vni(l3_info()));
    assert_eq!(e.imports_applied(), before);
}

#[test]
fn a_vteps_new_router_mac_takes_over_once_no_path_carries_the_old_one() {
    let mut e = leaf("");
    e.take_outputs();
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    e.take_outputs();
    // The leaf's MAC changed: its routes come again with the new one.
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(0x22))));
    assert_eq!(
        dataplane(&e.take_outputs()),
        vec![
            DesiredChange::RemoteMacGone {
                vni: vni(4000),
                mac: rmac(2)
            },
            DesiredChange::RemoteMac {
                vni: vni(4000),
                mac: rmac(0x22),
                vtep: ip(2),
                sticky: false
            },
            DesiredChange::RemoteNeigh {
                vni: vni(4000),
                ip: ip(2),
                mac: rmac(0x22)
            },
        ]
    );
    withdraw(&mut e, &remote_t5(2, "10.9.0.0/24", None));
    let d = dataplane(&e.take_outputs());
    assert!(d.contains(&DesiredChange::RemoteMacGone {
        vni: vni(4000),
        mac: rmac(0x22)
    }));
    assert_eq!(e.tenants().next().map(|t| t.router_macs().count()), Some(0));
}
