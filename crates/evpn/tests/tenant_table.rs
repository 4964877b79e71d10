//! L3 tenants, where routes go: table mode's rules, connected copies and
//! unreachable defaults; `table = "main"`; VRF mode's table.

mod tenant_common;
use tenant_common::*;

#[test]
fn table_mode_rules_connected_copies_and_unreachable_defaults_appear_and_go() {
    let mut e = synced(cfg(TENANT_TABLE));
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::Rule {
        table: 1000,
        iif: "br4000".into(),
        priority: 1000
    }));
    assert!(d.contains(&route(1000, "0.0.0.0/0", RouteVia::Unreachable)));
    assert!(d.contains(&route(1000, "::/0", RouteVia::Unreachable)));
    let out = ev(&mut e, LocalEvent::Vni(info(100)));
    assert!(dataplane(&out).contains(&DesiredChange::Rule {
        table: 1000,
        iif: "br100".into(),
        priority: 1000
    }));
    let out = ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    );
    assert!(dataplane(&out).contains(&route(
        1000,
        "10.1.0.0/24",
        RouteVia::Connected { vni: vni(100) }
    )));
    let out = ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("fe80::1/64"),
        },
    );
    assert!(dataplane(&out).is_empty(), "no link-local connected copy");
    // A remote default replaces the unreachable one, which comes back.
    announce(&mut e, &remote_t5(2, "0.0.0.0/0", Some(rmac(2))));
    assert!(dataplane(&e.take_outputs()).contains(&route(1000, "0.0.0.0/0", vteps(&[2]))));
    withdraw(&mut e, &remote_t5(2, "0.0.0.0/0", None));
    assert!(dataplane(&e.take_outputs()).contains(&route(
        1000,
        "0.0.0.0/0",
        RouteVia::Unreachable
    )));
    // The L2VNI goes: its rule and connected copy go.
    let out = ev(&mut e, LocalEvent::VniGone(vni(100)));
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::RuleGone {
        table: 1000,
        iif: "br100".into(),
        priority: 1000
    }));
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("10.1.0.0/24")
    }));
    // The L3VNI goes: its rule and the unreachable defaults go.
    let out = ev(&mut e, LocalEvent::VniGone(vni(4000)));
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::RuleGone {
        table: 1000,
        iif: "br4000".into(),
        priority: 1000
    }));
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("0.0.0.0/0")
    }));
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("::/0")
    }));
}

#[test]
fn table_main_has_no_rules_connected_or_unreachable() {
    let text = TENANT_TABLE.replace("table = 1000", "table = \"main\"");
    let mut e = synced(cfg(&text));
    let mut d = dataplane(&ev(&mut e, LocalEvent::Vni(l3_info())));
    d.extend(dataplane(&ev(&mut e, LocalEvent::Vni(info(100)))));
    d.extend(dataplane(&ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    )));
    assert!(d.is_empty(), "{d:?}");
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    assert!(dataplane(&e.take_outputs()).contains(&route(254, "10.9.0.0/24", vteps(&[2]))));
}

#[test]
fn vrf_mode_takes_the_table_of_the_vrf_device_and_holds_until_known() {
    let text = r#"
[[evpn.vrf]]
name = "red"
l3vni = 4000
vrf_device = "vrf-red"
"#;
    let mut e = synced(cfg(text));
    let master = VrfMaster {
        ifindex: 50,
        name: "vrf-red".into(),
        table: 1001,
    };
    ev(&mut e, LocalEvent::Vni(l3_info()));
    announce(&mut e, &remote_t5(2, "10.9.0.0/24", Some(rmac(2))));
    assert!(dataplane(&e.take_outputs()).is_empty(), "table not known");
    let out = ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            vrf_master: Some(master.clone()),
            ..l3_info()
        }),
    );
    let d = dataplane(&out);
    assert!(d.contains(&route(1001, "10.9.0.0/24", vteps(&[2]))));
    assert!(
        !d.iter().any(|c| matches!(c, DesiredChange::Rule { .. })),
        "no rules in VRF mode"
    );
    // The VRF device's table changes: out of the old one, into the new.
    let out = ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            vrf_master: Some(VrfMaster {
                table: 1002,
                ..master.clone()
            }),
            ..l3_info()
        }),
    );
    let d = dataplane(&out);
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1001,
        prefix: net("10.9.0.0/24")
    }));
    assert!(d.contains(&route(1002, "10.9.0.0/24", vteps(&[2]))));
    // An L2VNI joins by its SVI's VRF master.
    ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            vrf_master: Some(master),
            ..info(200)
        }),
    );
    let t = e.tenants().next().expect("tenant");
    assert_eq!(t.l2vnis().collect::<Vec<_>>(), vec![vni(200)]);
}

/// Nothing is installed before the kernel's initial dump is complete: a
/// remote type 5 for a subnet the kernel has connected (but has not
/// reported yet) would be installed and then taken back — after a restart
/// over the adopted connected copy, a routing hole for local hosts.
#[test]
fn nothing_is_installed_before_the_kernel_state_is_known() {
    let mut e = Evpn::new(cfg(TENANT_TABLE));
    // The dump, as the linux task reports it: the L3VNI, the L2VNI, the
    // remote route (BGP was faster), then the SVI's subnet.
    let mut d = dataplane(&ev(&mut e, LocalEvent::Vni(l3_info())));
    d.extend(dataplane(&ev(&mut e, LocalEvent::Vni(info(100)))));
    announce(&mut e, &remote_t5(2, "10.1.0.0/24", Some(rmac(2))));
    d.extend(dataplane(&e.take_outputs()));
    d.extend(dataplane(&ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    )));
    assert!(d.is_empty(), "nothing before Synced: {d:?}");
    let d = dataplane(&ev(&mut e, LocalEvent::Synced));
    assert!(d.contains(&route(
        1000,
        "10.1.0.0/24",
        RouteVia::Connected { vni: vni(100) }
    )));
    assert!(
        !d.iter().any(|c| matches!(
            c,
            DesiredChange::Route {
                via: RouteVia::Vteps { .. },
                ..
            }
        )),
        "the remote route for our own subnet is never installed: {d:?}"
    );
    assert!(d.contains(&route(1000, "0.0.0.0/0", RouteVia::Unreachable)));
}
