//! An L3 tenant through the core: a received type-5 UPDATE becomes a
//! tenant route over the L3VNI (with its Router's MAC entries), a local
//! neighbour becomes a MAC+IP we send with two labels and our Router's
//! MAC, and the tenant queries and `explain` show both.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::Rig;
use evpnd_core::Input;
use evpnd_core::view::TenantRouteQuery;
use evpnd_evpn::dataplane::RouteVia;
use evpnd_evpn::{DesiredChange, LocalEvent, VniInfo};
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, Origin, PathAttribute};
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, IpPrefix};
use evpnd_wire::update::Update;
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget, Vni};

const LEAF: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.9"
remote_asn = 65000

[[evpn.vrf]]
name = "blue"
l3vni = 4000
table = 1000

[[evpn.vni]]
vni = 100
vrf = "blue"
"#;

const OUR_RMAC: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);
const THEIR_RMAC: MacAddr = MacAddr([0x02, 0xbb, 0, 0, 0, 2]);

fn vni(n: u32) -> Vni {
    Vni::try_from(n).expect("vni")
}

fn info(n: u32, svi_mac: Option<MacAddr>) -> VniInfo {
    VniInfo {
        vni: vni(n),
        vxlan_ifindex: 10 + n,
        vxlan_name: format!("vxlan{n}"),
        local_ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
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
        svi_mac,
        vrf_master: None,
        up: true,
    }
}

/// Leaf 10.0.0.2's type 5 for 10.9.0.0/24: RT 65000:4000, VXLAN, its RMAC.
fn their_type5() -> Update {
    let route = EvpnRoute::IpPrefix(IpPrefix {
        rd: Rd::Ipv4 {
            addr: Ipv4Addr::new(10, 0, 0, 2),
            number: 4000,
        },
        esi: Esi::ZERO,
        ethernet_tag: 0,
        prefix: "10.9.0.0/24".parse().expect("prefix"),
        gateway: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        label: Label3::from_vni(vni(4000)),
    });
    let attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        PathAttribute::new(AttrValue::LocalPref(100)),
        PathAttribute::new(AttrValue::ExtCommunities(vec![
            ExtCommunity::RouteTarget {
                value: RouteTarget::As2 {
                    asn: 65000,
                    value: 4000,
                },
            },
            ExtCommunity::VXLAN,
            ExtCommunity::RouterMac { mac: THEIR_RMAC },
        ])),
    ];
    Update::evpn_reach(
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        vec![EvpnNlri {
            path_id: None,
            route,
        }],
        attrs,
    )
}

fn leaf() -> Rig {
    let mut r = Rig::new(LEAF);
    r.up(0, "10.0.0.9", None);
    r.drained(0);
    r.input(Input::Local(LocalEvent::Vni(info(4000, Some(OUR_RMAC)))));
    r.input(Input::Local(LocalEvent::Vni(info(
        100,
        Some(MacAddr([0, 0, 0x5e, 0, 1, 1])),
    ))));
    r.input(Input::Local(LocalEvent::Synced));
    r.core.take_dataplane();
    r
}

#[test]
fn a_received_type_5_is_installed_in_the_tenant_table_over_the_l3vni() {
    let mut r = leaf();
    r.update(0, their_type5());
    let d = r.core.take_dataplane();
    let vtep = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    assert_eq!(
        d,
        vec![
            DesiredChange::RemoteMac {
                vni: vni(4000),
                mac: THEIR_RMAC,
                vtep,
                sticky: false
            },
            DesiredChange::RemoteNeigh {
                vni: vni(4000),
                ip: vtep,
                mac: THEIR_RMAC
            },
            DesiredChange::Route {
                table: 1000,
                prefix: "10.9.0.0/24".parse().expect("prefix"),
                via: RouteVia::Vteps {
                    l3vni: vni(4000),
                    vteps: vec![vtep]
                },
            },
        ]
    );
    // The queries.
    let vrfs = r.core.vrfs();
    assert_eq!(vrfs.len(), 1);
    assert_eq!(vrfs[0].name, "blue");
    assert_eq!(vrfs[0].router_mac, Some(OUR_RMAC));
    assert_eq!(vrfs[0].l2vnis, vec![vni(100)]);
    assert!(vrfs[0].up);
    assert_eq!(vrfs[0].routes_installed, 1);
    let routes = r.core.vrf_routes(&TenantRouteQuery {
        vrf: Some("blue".into()),
        limit: 10,
        ..TenantRouteQuery::default()
    });
    assert_eq!(routes.len(), 1);
    assert!(routes[0].installed);
    assert_eq!(routes[0].next_hops[0].router_mac, THEIR_RMAC);
    let macs = r.core.router_macs(Some("blue"));
    assert_eq!(macs.len(), 1);
    assert_eq!(
        (macs[0].vtep, macs[0].router_mac, macs[0].routes),
        (vtep, THEIR_RMAC, 1)
    );
    // explain says which tenant imported it and that it is installed.
    let rd: Rd = "10.0.0.2:4000".parse().expect("rd");
    let e = r
        .core
        .explain(rd, "[5]:[0]:[24]:[10.9.0.0]")
        .expect("explained");
    assert_eq!(e.tenants.len(), 1, "{e:?}");
    assert_eq!(e.tenants[0].vrf, "blue");
    assert!(e.tenants[0].installed);
    // The L3VNI goes down: uninstalled, held, explained.
    r.input(Input::Local(LocalEvent::Vni(VniInfo {
        up: false,
        ..info(4000, Some(OUR_RMAC))
    })));
    let d = r.core.take_dataplane();
    assert!(d.contains(&DesiredChange::RouteGone {
        table: 1000,
        prefix: "10.9.0.0/24".parse().expect("prefix")
    }));
    let e = r
        .core
        .explain(rd, "[5]:[0]:[24]:[10.9.0.0]")
        .expect("explained");
    assert!(!e.tenants[0].installed);
    assert!(
        e.tenants[0]
            .not_installed
            .as_deref()
            .is_some_and(|w| w.contains("L3VNI 4000 is down")),
        "{e:?}"
    );
}

#[test]
fn a_local_neighbour_is_sent_with_two_labels_and_our_router_mac() {
    let mut r = leaf();
    r.batches(0);
    let host = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 5));
    let m = MacAddr([2, 0, 0, 0, 0, 5]);
    r.input(Input::Local(LocalEvent::Mac {
        vni: vni(100),
        mac: m,
        sticky: false,
    }));
    r.input(Input::Local(LocalEvent::Neigh {
        vni: vni(100),
        ip: host,
        mac: m,
    }));
    r.drained(0);
    let sent: Vec<Update> = r.batches(0).into_iter().flatten().collect();
    let (mac_ip, attrs) = sent
        .iter()
        .find_map(|u| {
            u.evpn_routes().find_map(|(n, reach)| match &n.route {
                EvpnRoute::MacIp(mi) if reach && mi.ip == Some(host) => {
                    Some((*mi, u.attributes.clone()))
                }
                _ => None,
            })
        })
        .expect("our MAC+IP sent");
    assert_eq!(mac_ip.label1.vni(), vni(100));
    assert_eq!(mac_ip.label2.map(|l| l.vni()), Some(vni(4000)));
    let ecs: Vec<ExtCommunity> = attrs
        .iter()
        .filter_map(|a| match &a.value {
            AttrValue::ExtCommunities(c) => Some(c.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        ecs.contains(&ExtCommunity::RouterMac { mac: OUR_RMAC }),
        "{ecs:?}"
    );
    for value in [100, 4000] {
        assert!(ecs.contains(&ExtCommunity::RouteTarget {
            value: RouteTarget::As2 { asn: 65000, value }
        }));
    }
}

/// With a tenant configured the core hands remote routes over from the
/// start: a type 5 received before any VNI exists is held, then installed
/// when the L3VNI appears (no re-import asked for).
#[test]
fn a_type_5_received_before_the_l3vni_is_installed_when_it_appears() {
    let mut r = Rig::new(LEAF);
    r.up(0, "10.0.0.9", None);
    r.drained(0);
    r.input(Input::Local(LocalEvent::Synced));
    r.core.take_dataplane();
    r.update(0, their_type5());
    assert!(r.core.take_dataplane().is_empty());
    let routes = r.core.vrf_routes(&TenantRouteQuery::default());
    assert_eq!(routes.len(), 1);
    assert!(!routes[0].installed);
    assert!(
        routes[0]
            .not_installed
            .as_deref()
            .is_some_and(|w| w.contains("down or absent")),
        "{routes:?}"
    );
    r.input(Input::Local(LocalEvent::Vni(info(4000, Some(OUR_RMAC)))));
    let d = r.core.take_dataplane();
    assert!(
        d.iter().any(|c| matches!(
            c,
            DesiredChange::Route {
                table: 1000,
                via: RouteVia::Vteps { .. },
                ..
            }
        )),
        "{d:?}"
    );
}

/// A type 5 whose route targets no tenant imports: `explain` says so.
#[test]
fn explain_says_when_no_tenant_imports_a_type_5() {
    let mut r = leaf();
    let mut u = their_type5();
    for a in &mut u.attributes {
        if let AttrValue::ExtCommunities(c) = &mut a.value {
            c[0] = ExtCommunity::RouteTarget {
                value: RouteTarget::As2 {
                    asn: 65000,
                    value: 4999,
                },
            };
        }
    }
    r.update(0, u);
    let rd: Rd = "10.0.0.2:4000".parse().expect("rd");
    let e = r
        .core
        .explain(rd, "[5]:[0]:[24]:[10.9.0.0]")
        .expect("explained");
    assert!(e.tenants.is_empty());
    assert!(
        e.not_programmed
            .as_deref()
            .is_some_and(|w| w.contains("no tenant")),
        "{e:?}"
    );
}

/// `vnis` lists the L3VNI too (kind L3, its tenant's RD and RTs, no flood
/// list), and names the tenant each L2VNI routes in.
#[test]
fn the_vni_listing_shows_the_l3vni_and_the_tenants() {
    let r = leaf();
    let vs = r.core.vnis(None);
    let got: Vec<(u32, bool, Option<&str>)> = vs
        .iter()
        .map(|v| (v.vni.get(), v.l3, v.vrf.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![(100, false, Some("blue")), (4000, true, Some("blue"))]
    );
    let l3 = &r.core.vnis(Some(vni(4000)))[0];
    assert!(l3.flood_list.is_empty());
    assert_eq!(l3.svi.as_deref(), Some("br4000"));
    assert!(r.core.vnis(Some(vni(4001))).is_empty());
}
