//! Shared by the tenant tests: a leaf with tenant blue (L3VNI 4000, table
//! 1000) and L2VNI 100, remote type-5 and MAC+IP routes, the wire octets.

#![allow(dead_code, unused_imports)]

pub use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
pub use std::sync::Arc;

pub use bytes::BytesMut;
pub use evpnd_evpn::dataplane::{RouteVia, VrfMaster};
pub use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Originated, Output, RemoteRoute, VniInfo};
pub use evpnd_wire::attr::{AttrValue, PathAttribute};
pub use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, IpPrefix, MacIp, encode_evpn_nlri};
pub use evpnd_wire::{Context, Esi, Label3, MacAddr, Rd, RouteTarget, Vni};
pub use ipnet::IpNet;

pub const TENANT_TABLE: &str = r#"
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

pub fn cfg(extra: &str) -> Arc<evpnd_config::Config> {
    let text = format!("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n[evpn]\n{extra}");
    Arc::new(evpnd_config::parse(&text, "test.toml").expect("valid config"))
}

pub fn vni(n: u32) -> Vni {
    Vni::try_from(n).expect("vni")
}

pub fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

pub fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

pub fn net(s: &str) -> IpNet {
    s.parse().expect("prefix")
}

/// Our L3 SVI's MAC: the Router's MAC we advertise.
pub const OUR_RMAC: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 0x01]);
/// The anycast gateway MAC of the L2VNI SVIs.
pub const GW_MAC: MacAddr = MacAddr([0x00, 0x00, 0x5e, 0, 0x01, 0x01]);

pub fn info(n: u32) -> VniInfo {
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

pub fn l3_info() -> VniInfo {
    VniInfo {
        svi_mac: Some(OUR_RMAC),
        ..info(4000)
    }
}

pub fn rt(value: u32) -> RouteTarget {
    RouteTarget::As2 { asn: 65001, value }
}

pub fn rd(leaf: u8, number: u16) -> Rd {
    Rd::Ipv4 {
        addr: Ipv4Addr::new(10, 0, 0, leaf),
        number,
    }
}

/// A remote type 5 from `leaf` (RD leaf:4000, RT 65001:4000).
pub fn remote_t5(leaf: u8, prefix: &str, rmac: Option<MacAddr>) -> RemoteRoute {
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
        tunnel: None,
        router_mac: rmac,
    }
}

/// A remote MAC+IP from `leaf` in VNI 100 with the L3 attributes.
pub fn remote_host(leaf: u8, m: MacAddr, host: IpAddr, rmac: Option<MacAddr>) -> RemoteRoute {
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
        tunnel: None,
        router_mac: rmac,
    }
}

pub fn rmac(leaf: u8) -> MacAddr {
    MacAddr([0x02, 0xbb, 0, 0, 0, leaf])
}

pub fn announce(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), Some(r.clone()), 0);
}

pub fn withdraw(e: &mut Evpn, r: &RemoteRoute) {
    e.remote_best(&r.route.key(), None, 0);
}

pub fn dataplane(out: &[Output]) -> Vec<DesiredChange> {
    out.iter()
        .filter_map(|o| match o {
            Output::Dataplane(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

pub fn originated(out: &[Output]) -> Vec<Originated> {
    out.iter()
        .filter_map(|o| match o {
            Output::Originate(o) => Some(o.clone()),
            _ => None,
        })
        .collect()
}

pub fn ev(e: &mut Evpn, ev: LocalEvent) -> Vec<Output> {
    e.local_event(ev, 0);
    e.take_outputs()
}

/// A domain past the kernel's initial dump (`LocalEvent::Synced`, with
/// nothing in the kernel): what follows are live notifications.
pub fn synced(c: Arc<evpnd_config::Config>) -> Evpn {
    let mut e = Evpn::new(c);
    ev(&mut e, LocalEvent::Synced);
    e
}

/// A leaf with tenant blue (table 1000) and L2VNI 100 (SVI 10.1.0.1/24).
pub fn leaf(extra: &str) -> Evpn {
    let mut e = synced(cfg(&format!("{TENANT_TABLE}{extra}")));
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

pub fn route(table: u32, prefix: &str, via: RouteVia) -> DesiredChange {
    DesiredChange::Route {
        table,
        prefix: net(prefix),
        via,
    }
}

pub fn vteps(v: &[u8]) -> RouteVia {
    RouteVia::Vteps {
        l3vni: vni(4000),
        vteps: v.iter().map(|n| ip(*n)).collect(),
    }
}

/// NLRI octets (type, length, value) as the wire encoder writes them.
pub fn nlri_bytes(r: &EvpnRoute) -> Vec<u8> {
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
pub fn ext_bytes(attrs: &[PathAttribute]) -> Vec<u8> {
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

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
