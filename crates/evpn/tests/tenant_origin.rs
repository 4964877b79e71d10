//! L3 tenants, what a leaf originates: the L3VNI gets no MAC-VRF; MAC+IP
//! routes with the L3 attributes and type 5, byte-exact against the wire
//! encoder; re-origination and withdrawal as sources come and go.

mod tenant_common;
use tenant_common::*;

#[test]
fn the_l3vni_gets_no_mac_vrf_and_learns_nothing() {
    let mut e = synced(cfg(TENANT_TABLE));
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    assert!(e.instances().next().is_none(), "no MAC-VRF for the L3VNI");
    assert!(
        !out.iter().any(|o| matches!(
            o,
            Output::Originate(Originated {
                route: EvpnRoute::Imet(_),
                ..
            })
        )),
        "no type 3 for the L3VNI"
    );
    let out = ev(
        &mut e,
        LocalEvent::Mac {
            vni: vni(4000),
            mac: mac(9),
            sticky: false,
        },
    );
    assert!(out.is_empty());
    assert_eq!(e.macs().count(), 0);
    let t = e.tenants().next().expect("tenant");
    assert!(t.up());
    assert_eq!(t.router_mac(), Some(OUR_RMAC));
    // The configured prefix is advertised once the Router's MAC is known.
    assert_eq!(t.routes_originated(), 1);
}

#[test]
fn a_host_mac_ip_carries_label2_the_vrf_rts_and_the_router_mac_byte_exact() {
    let mut e = leaf("");
    let mut out = ev(
        &mut e,
        LocalEvent::Mac {
            vni: vni(100),
            mac: mac(5),
            sticky: false,
        },
    );
    out.extend(ev(
        &mut e,
        LocalEvent::Neigh {
            vni: vni(100),
            ip: IpAddr::V4(Ipv4Addr::new(10, 1, 0, 5)),
            mac: mac(5),
        },
    ));
    let o = originated(&out);
    let host = o
        .iter()
        .find(|o| matches!(o.route, EvpnRoute::MacIp(MacIp { ip: Some(_), .. })))
        .expect("a MAC+IP");
    // Type 2, length 40: RD 10.0.0.1:100, ESI 0, tag 0, MAC, 10.1.0.5,
    // label1 = 100, label2 = 4000 (raw 24-bit VNIs, FRR §3).
    assert_eq!(
        nlri_bytes(&host.route),
        hex("02 28  0001 0a000001 0064  00000000000000000000  00000000
             30 020000000005  20 0a010005  000064 000fa0")
    );
    // RT 65001:100 (the VNI's), RT 65001:4000 (the tenant's), VXLAN, Router's MAC.
    assert_eq!(
        ext_bytes(&host.attrs),
        hex("c0 10 20  0002fde900000064 0002fde900000fa0 030c000000000008 060302aa00000001")
    );
    // The MAC-only route has none of the L3 attributes.
    let only = o
        .iter()
        .find(|o| matches!(o.route, EvpnRoute::MacIp(MacIp { ip: None, .. })))
        .expect("a MAC-only");
    assert!(matches!(
        only.route,
        EvpnRoute::MacIp(MacIp { label2: None, .. })
    ));
    assert_eq!(
        ext_bytes(&only.attrs),
        hex("c0 10 10  0002fde900000064 030c000000000008")
    );
}

#[test]
fn an_ipv6_link_local_host_gets_no_l3_attributes() {
    let mut e = leaf("");
    let ll: IpAddr = "fe80::5".parse().expect("ip");
    let mut out = ev(
        &mut e,
        LocalEvent::Mac {
            vni: vni(100),
            mac: mac(5),
            sticky: false,
        },
    );
    out.extend(ev(
        &mut e,
        LocalEvent::Neigh {
            vni: vni(100),
            ip: ll,
            mac: mac(5),
        },
    ));
    let o = originated(&out);
    let host = o
        .iter()
        .find(|o| matches!(o.route, EvpnRoute::MacIp(MacIp { ip: Some(_), .. })))
        .expect("a MAC+IP");
    assert!(matches!(
        host.route,
        EvpnRoute::MacIp(MacIp { label2: None, .. })
    ));
    assert_eq!(
        ext_bytes(&host.attrs),
        hex("c0 10 10  0002fde900000064 030c000000000008")
    );
}

#[test]
fn hosts_are_reoriginated_with_l3_attributes_when_the_router_mac_becomes_known() {
    let mut e = synced(cfg(TENANT_TABLE));
    ev(&mut e, LocalEvent::Vni(info(100)));
    let mut out = ev(
        &mut e,
        LocalEvent::Mac {
            vni: vni(100),
            mac: mac(5),
            sticky: false,
        },
    );
    out.extend(ev(
        &mut e,
        LocalEvent::Neigh {
            vni: vni(100),
            ip: IpAddr::V4(Ipv4Addr::new(10, 1, 0, 5)),
            mac: mac(5),
        },
    ));
    assert!(
        originated(&out)
            .iter()
            .all(|o| matches!(o.route, EvpnRoute::MacIp(MacIp { label2: None, .. })))
    );
    // The L3VNI appears without a MAC: still nothing.
    let out = ev(
        &mut e,
        LocalEvent::Vni(VniInfo {
            svi_mac: None,
            ..l3_info()
        }),
    );
    assert!(
        originated(&out).is_empty(),
        "never with an unknown Router's MAC"
    );
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    let o = originated(&out);
    assert!(o.iter().any(|o| matches!(
        o.route,
        EvpnRoute::MacIp(MacIp { label2: Some(l), .. }) if l.vni() == vni(4000)
    )));
    assert!(o.iter().any(|o| matches!(o.route, EvpnRoute::IpPrefix(_))));
}

#[test]
fn type_5_for_connected_configured_and_redistributed_byte_exact_and_withdrawn() {
    let mut e = synced(cfg(TENANT_TABLE));
    let out = ev(&mut e, LocalEvent::Vni(l3_info()));
    let o = originated(&out);
    assert_eq!(o.len(), 1, "the configured prefix: {o:?}");
    // Type 5, length 34: RD 10.0.0.1:4000, ESI 0, tag 0, /16 10.201.0.0,
    // gateway 0, label 4000.
    assert_eq!(
        nlri_bytes(&o[0].route),
        hex("05 22  0001 0a000001 0fa0  00000000000000000000  00000000
             10 0ac90000  00000000  000fa0")
    );
    assert_eq!(o[0].next_hop, ip(1));
    assert_eq!(
        ext_bytes(&o[0].attrs),
        hex("c0 10 18  0002fde900000fa0 030c000000000008 060302aa00000001")
    );
    ev(&mut e, LocalEvent::Vni(info(100)));
    // The SVI's subnet, not link-local.
    let out = ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("2001:db8:1::1/64"),
        },
    );
    let o = originated(&out);
    assert_eq!(o.len(), 1);
    assert_eq!(
        nlri_bytes(&o[0].route),
        hex("05 3a  0001 0a000001 0fa0  00000000000000000000  00000000
             40 20010db8000100000000000000000000
             00000000000000000000000000000000  000fa0")
    );
    let out = ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("fe80::1/64"),
        },
    );
    assert!(originated(&out).is_empty(), "never link-local");
    // Redistributed: a static route inside redistribute_prefixes only.
    let out = ev(
        &mut e,
        LocalEvent::TableRoute {
            table: 1000,
            prefix: net("10.50.1.0/24"),
            protocol: 4,
        },
    );
    assert_eq!(originated(&out).len(), 1);
    let out = ev(
        &mut e,
        LocalEvent::TableRoute {
            table: 1000,
            prefix: net("10.60.1.0/24"),
            protocol: 4,
        },
    );
    assert!(originated(&out).is_empty(), "outside redistribute_prefixes");
    let out = ev(
        &mut e,
        LocalEvent::TableRoute {
            table: 1000,
            prefix: net("10.50.2.0/24"),
            protocol: 2,
        },
    );
    assert!(
        originated(&out).is_empty(),
        "kernel routes not redistributed"
    );
    // The sources go: withdrawn.
    let out = ev(
        &mut e,
        LocalEvent::TableRouteGone {
            table: 1000,
            prefix: net("10.50.1.0/24"),
        },
    );
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Withdraw(k) if format!("{k:?}").contains("10.50.1.0/24")))
    );
    let out = ev(
        &mut e,
        LocalEvent::SviAddrGone {
            vni: vni(100),
            addr: net("2001:db8:1::1/64"),
        },
    );
    assert!(out.iter().any(|o| matches!(o, Output::Withdraw(_))));
    // The L3VNI goes: everything of the tenant is withdrawn.
    let out = ev(&mut e, LocalEvent::VniGone(vni(4000)));
    assert!(out.iter().any(|o| matches!(o, Output::Withdraw(_))));
    assert_eq!(e.tenants().next().map(|t| t.routes_originated()), Some(0));
}

#[test]
fn advertise_connected_off_keeps_the_subnet_local_but_unadvertised() {
    let text = TENANT_TABLE.replace("table = 1000", "table = 1000\nadvertise_connected = false");
    let mut e2 = synced(cfg(&text));
    ev(&mut e2, LocalEvent::Vni(l3_info()));
    ev(&mut e2, LocalEvent::Vni(info(100)));
    let out = ev(
        &mut e2,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    );
    assert!(originated(&out).is_empty());
    // Still a connected copy in the table, and a remote /24 does not win.
    assert!(dataplane(&out).contains(&route(
        1000,
        "10.1.0.0/24",
        RouteVia::Connected { vni: vni(100) }
    )));
    announce(&mut e2, &remote_t5(2, "10.1.0.0/24", Some(rmac(2))));
    assert!(dataplane(&e2.take_outputs()).is_empty());
}
