//! L3 tenants (`[[evpn.vrf]]`) end to end without I/O: the L3VNI, the
//! L2VNIs joining, what is originated (byte-exact against the wire
//! encoder), what is imported and installed (ECMP, local wins, held), the
//! Router's MAC entries, table mode's rules, connected copies and
//! unreachable defaults.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use bytes::BytesMut;
use evpnd_evpn::dataplane::{RouteVia, VrfMaster};
use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Originated, Output, RemoteRoute, VniInfo};
use evpnd_wire::attr::{AttrValue, PathAttribute};
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, IpPrefix, MacIp, encode_evpn_nlri};
use evpnd_wire::{Context, Esi, Label3, MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;

const TENANT_TABLE: &str = r#"
[[evpn.vrf]]
name = "blue"
l3vni = 4000
table = 1000
prefixes = ["10.201.0.0/16"]
redistribute = ["static"]
redistribute_prefixes = ["10.50.0.0/16"]
[[evpn.vni]]
vni = 100
vrf = "blue"
"#;

fn cfg(extra: &str) -> Arc<evpnd_config::Config> {
    let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\n{extra}");
    Arc::new(evpnd_config::parse(&text, "test.toml").expect("valid config"))
}

fn vni(n: u32) -> Vni {
    Vni::try_from(n).expect("vni")
}

fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

fn net(s: &str) -> IpNet {
    s.parse().expect("prefix")
}

/// Our L3 SVI's MAC: the Router's MAC we advertise.
const OUR_RMAC: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 0x01]);
/// The anycast gateway MAC of the L2VNI SVIs.
const GW_MAC: MacAddr = MacAddr([0x00, 0x00, 0x5e, 0, 0x01, 0x01]);

fn info(n: u32) -> VniInfo {
    VniInfo {
        vni: vni(n),
        vxlan_ifindex: 10 + n,
        vxlan_name: format!("vxlan{n}"),
        local_ip: Some(ip(1)),
        dstport: 4789,
        learning: false,
        group: None,
        bridge_ifindex: Some(20 + n),
        bridge_name: Some(format!("br{n}")),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(20 + n),
        svi_name: Some(format!("br{n}")),
        neigh_suppress: true,
        svi_mac: Some(GW_MAC),
        vrf_master: None,
        up: true,
    }
}

fn l3_info() -> VniInfo {
    VniInfo {
        svi_mac: Some(OUR_RMAC),
        ..info(4000)
    }
}

fn rt(value: u32) -> RouteTarget {
    RouteTarget::As2 { asn: 65001, value }
}

fn rd(leaf: u8, number: u16) -> Rd {
    Rd::Ipv4 {
        addr: Ipv4Addr::new(10, 0, 0, leaf),
        number,
    }
}

/// A remote type 5 from `leaf` (RD leaf:4000, RT 65001:4000).
fn remote_t5(leaf: u8, prefix: &str, rmac: Option<MacAddr>) -> RemoteRoute {
    let prefix = net(prefix);
    RemoteRoute {
        route: EvpnRoute::IpPrefix(IpPrefix {
            rd: rd(leaf, 4000),
            esi: Esi::ZERO,
            ethernet_tag: 0,
            prefix,
            gateway: if prefix.addr().is_ipv4() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            },
            label: Label3::from_vni(vni(4000)),
        }),
        next_hop: ip(leaf),
        rts: vec![rt(4000)],
        seq: 0,
        sticky: false,
        ir_endpoint: None,
        router_mac: rmac,
    }
}

/// A remote MAC+IP from `leaf` in VNI 100 with the L3 attributes.
fn remote_host(leaf: u8, m: MacAddr, host: IpAddr, rmac: Option<MacAddr>) -> RemoteRoute {
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: rd(leaf, 100),
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: m,
            ip: Some(host),
            label1: Label3::from_vni(vni(100)),
            label2: Some(Label3::from_vni(vni(4000))),
        }),
        next_hop: ip(leaf),
        rts: vec![rt(100), rt(4000)],
        seq: 0,
        sticky: false,
        ir_endpoint: None,
        router_mac: rmac,
    }
}

fn rmac(leaf: u8) -> MacAddr {
    MacAddr([0x02, 0xbb, 0, 0, 0, leaf])
}

fn announce(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

fn withdraw(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), None, 0);
}

fn dataplane(out: &[Output]) -> Vec<DesiredChange> {
    out.iter()
        .filter_map(|o| match o {
            Output::Dataplane(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn originated(out: &[Output]) -> Vec<Originated> {
    out.iter()
        .filter_map(|o| match o {
            Output::Originate(o) => Some(o.clone()),
            _ => None,
        })
        .collect()
}

fn ev(e: &mut Evpn, ev: LocalEvent) -> Vec<Output> {
    e.local_event(ev, 0);
    e.take_outputs()
}

/// A leaf with tenant blue (table 1000) and L2VNI 100 (SVI 10.1.0.1/24).
fn leaf(extra: &str) -> Evpn {
    let mut e = Evpn::new(cfg(&format!("{TENANT_TABLE}{extra}")));
    ev(&mut e, LocalEvent::Vni(l3_info()));
    ev(&mut e, LocalEvent::Vni(info(100)));
    ev(
        &mut e,
        LocalEvent::SviAddr {
            vni: vni(100),
            addr: net("10.1.0.1/24"),
        },
    );
    e
}

fn route(table: u32, prefix: &str, via: RouteVia) -> DesiredChange {
    DesiredChange::Route {
        table,
        prefix: net(prefix),
        via,
    }
}

fn vteps(v: &[u8]) -> RouteVia {
    RouteVia::Vteps {
        l3vni: vni(4000),
        vteps: v.iter().map(|n| ip(*n)).collect(),
    }
}

/// NLRI octets (type, length, value) as the wire encoder writes them.
fn nlri_bytes(r: &EvpnRoute) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_evpn_nlri(
        &EvpnNlri {
            path_id: None,
            route: r.clone(),
        },
        &mut b,
    );
    b.to_vec()
}

/// The EXTENDED_COMMUNITIES attribute as the wire encoder writes it.
fn ext_bytes(attrs: &[PathAttribute]) -> Vec<u8> {
    let a = attrs
        .iter()
        .find(|a| matches!(a.value, AttrValue::ExtCommunities(_)))
        .expect("extended communities");
    let ctx = Context {
        four_octet_as: true,
        add_path: Vec::new(),
        extended_message: false,
        ibgp: true,
    };
    let mut b = BytesMut::new();
    a.encode(&ctx, &mut b);
    b.to_vec()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn the_l3vni_gets_no_mac_vrf_and_learns_nothing() {
    let mut e = Evpn::new(cfg(TENANT_TABLE));
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
    let mut e = Evpn::new(cfg(TENANT_TABLE));
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
    let mut e = Evpn::new(cfg(TENANT_TABLE));
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
    let mut e2 = Evpn::new(cfg(&text));
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
    let mut e2 = Evpn::new(cfg(&text));
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
fn table_mode_rules_connected_copies_and_unreachable_defaults_appear_and_go() {
    let mut e = Evpn::new(cfg(TENANT_TABLE));
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
    let mut e = Evpn::new(cfg(&text));
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
    let mut e = Evpn::new(cfg(text));
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

mod model {
    //! Any sequence of type-5 paths coming and going, with the L3VNI going
    //! down and up, leaves exactly the kernel state the final paths call
    //! for: the desired changes, folded, equal the model.

    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Announce { vtep: u8, prefix: u8, rmac: bool },
        Withdraw { vtep: u8, prefix: u8 },
        L3 { up: bool },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (2u8..6, 0u8..4, any::<bool>())
                .prop_map(|(vtep, prefix, rmac)| Op::Announce { vtep, prefix, rmac }),
            4 => (2u8..6, 0u8..4).prop_map(|(vtep, prefix)| Op::Withdraw { vtep, prefix }),
            1 => any::<bool>().prop_map(|up| Op::L3 { up }),
        ]
    }

    /// The kernel state the changes build.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Kernel {
        routes: BTreeMap<IpNet, RouteVia>,
        macs: BTreeMap<MacAddr, IpAddr>,
        neighs: BTreeMap<IpAddr, MacAddr>,
    }

    impl Kernel {
        fn fold(&mut self, d: DesiredChange) {
            match d {
                DesiredChange::Route { prefix, via, .. } => {
                    self.routes.insert(prefix, via);
                }
                DesiredChange::RouteGone { prefix, .. } => {
                    self.routes.remove(&prefix);
                }
                DesiredChange::RemoteMac { mac, vtep, .. } => {
                    self.macs.insert(mac, vtep);
                }
                DesiredChange::RemoteMacGone { mac, .. } => {
                    self.macs.remove(&mac);
                }
                DesiredChange::RemoteNeigh { ip, mac, .. } => {
                    self.neighs.insert(ip, mac);
                }
                DesiredChange::RemoteNeighGone { ip, .. } => {
                    self.neighs.remove(&ip);
                }
                _ => {}
            }
        }
    }

    /// Prefixes 0..=2 IPv4, 3 IPv6 (over IPv4 VTEPs: the mapped neighbour).
    fn prefix(n: u8) -> String {
        if n == 3 {
            "2001:db8:9::/48".to_string()
        } else {
            format!("10.9.{n}.0/24")
        }
    }

    proptest! {
        #[test]
        fn the_kernel_state_matches_the_paths(ops in proptest::collection::vec(op(), 1..60)) {
            let text = TENANT_TABLE.replace("table = 1000", "table = \"main\"");
            let mut e = Evpn::new(cfg(&text));
            let mut k = Kernel::default();
            let mut up = true;
            ev(&mut e, LocalEvent::Vni(l3_info()));
            // (vtep, prefix) → carries a Router's MAC
            let mut paths: BTreeMap<(u8, u8), bool> = BTreeMap::new();
            for o in ops {
                match o {
                    Op::Announce { vtep, prefix: p, rmac: with } => {
                        announce(&mut e, &remote_t5(vtep, &prefix(p), with.then(|| rmac(vtep))));
                        paths.insert((vtep, p), with);
                    }
                    Op::Withdraw { vtep, prefix: p } => {
                        withdraw(&mut e, &remote_t5(vtep, &prefix(p), None));
                        paths.remove(&(vtep, p));
                    }
                    Op::L3 { up: u } => {
                        e.local_event(LocalEvent::Vni(VniInfo { up: u, ..l3_info() }), 0);
                        up = u;
                    }
                }
                for d in dataplane(&e.take_outputs()) {
                    k.fold(d);
                }
            }
            let mut want = Kernel::default();
            if up {
                let mut by_prefix: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
                for ((vtep, p), with) in &paths {
                    if *with {
                        by_prefix.entry(*p).or_default().insert(*vtep);
                    }
                }
                for (p, vs) in by_prefix {
                    let list: Vec<u8> = vs.iter().copied().collect();
                    want.routes.insert(net(&prefix(p)), vteps(&list));
                    for v in vs {
                        want.macs.insert(rmac(v), ip(v));
                        want.neighs.insert(ip(v), rmac(v));
                        if p == 3 && let IpAddr::V4(a) = ip(v) {
                            want.neighs.insert(IpAddr::V6(a.to_ipv6_mapped()), rmac(v));
                        }
                    }
                }
            }
            prop_assert_eq!(k, want);
        }
    }
}
