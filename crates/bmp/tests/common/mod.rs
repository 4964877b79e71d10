//! Shared by the integration tests: a peer session and EVPN UPDATEs of
//! route types 2, 3 and 5, built with `evpnd_wire`'s encoder.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use evpnd_bmp::feed::PeerSession;
use evpnd_bmp::header::Timestamp;
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, Origin, PathAttribute, PmsiTunnel};
use evpnd_wire::capability::Capability;
use evpnd_wire::message::Message;
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, Imet, IpPrefix, MacIp};
use evpnd_wire::open::Open;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Esi, Family, Label3, MacAddr, Rd, RouteTarget, Vni};

pub const LOCAL_AS: u32 = 65000;
pub const PEER_AS: u32 = 65002;
pub const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub const LOCAL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const VNI: u32 = 100;
pub const L3VNI: u32 = 5000;

pub fn open(asn: u32, id: Ipv4Addr) -> Vec<u8> {
    let o = Open::new(
        asn,
        90,
        id,
        vec![
            Capability::Multiprotocol {
                family: Family::L2VPN_EVPN,
                reserved: 0,
            },
            Capability::FourOctetAs { asn },
        ],
    );
    Message::Open(o).to_bytes(&Context::default()).to_vec()
}

pub fn session(addr: Ipv4Addr) -> PeerSession {
    PeerSession {
        address: IpAddr::V4(addr),
        asn: PEER_AS,
        bgp_id: addr,
        local_address: IpAddr::V4(LOCAL),
        local_port: 179,
        remote_port: 40_000,
        sent_open: open(LOCAL_AS, LOCAL),
        received_open: open(PEER_AS, addr),
        legacy_as_path: false,
        up_since: Timestamp {
            secs: 1_700_000_000,
            micros: 0,
        },
    }
}

fn rd() -> Rd {
    Rd::Ipv4 {
        addr: PEER,
        number: VNI as u16,
    }
}

fn vni(v: u32) -> Vni {
    Vni::new(v).expect("a valid test VNI")
}

fn attrs(extra: Vec<PathAttribute>, rt_value: u32) -> Vec<PathAttribute> {
    let mut a = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![PEER_AS]))),
        PathAttribute::new(AttrValue::ExtCommunities(vec![
            ExtCommunity::RouteTarget {
                value: RouteTarget::As2 {
                    asn: PEER_AS as u16,
                    value: rt_value,
                },
            },
            ExtCommunity::VXLAN,
        ])),
    ];
    a.extend(extra);
    a
}

fn bytes(u: Update) -> Vec<u8> {
    Message::Update(u).to_bytes(&Context::default()).to_vec()
}

pub fn mac() -> MacAddr {
    MacAddr([0x02, 0, 0, 0, 0x01, 0x01])
}

/// Type 2: MAC 02:00:00:00:01:01 with 192.168.100.1 in VNI 100.
pub fn type2() -> Vec<u8> {
    let r = EvpnRoute::MacIp(MacIp {
        rd: rd(),
        esi: Esi::ZERO,
        ethernet_tag: 0,
        mac: mac(),
        ip: Some(IpAddr::V4(Ipv4Addr::new(192, 168, 100, 1))),
        label1: Label3::from_vni(vni(VNI)),
        label2: None,
    });
    bytes(Update::evpn_reach(
        IpAddr::V4(PEER),
        vec![EvpnNlri {
            path_id: None,
            route: r,
        }],
        attrs(vec![], VNI),
    ))
}

/// Type 3: the flood route of VNI 100 with its PMSI tunnel.
pub fn type3() -> Vec<u8> {
    let r = EvpnRoute::Imet(Imet {
        rd: rd(),
        ethernet_tag: 0,
        originator: IpAddr::V4(PEER),
    });
    let pmsi = PathAttribute::new(AttrValue::PmsiTunnel(PmsiTunnel::ingress_replication(
        vni(VNI),
        IpAddr::V4(PEER),
    )));
    bytes(Update::evpn_reach(
        IpAddr::V4(PEER),
        vec![EvpnNlri {
            path_id: None,
            route: r,
        }],
        attrs(vec![pmsi], VNI),
    ))
}

/// Type 5: 192.168.200.0/24 in L3VNI 5000.
pub fn type5() -> Vec<u8> {
    let r = EvpnRoute::IpPrefix(IpPrefix {
        rd: rd(),
        esi: Esi::ZERO,
        ethernet_tag: 0,
        prefix: "192.168.200.0/24".parse().expect("a valid prefix"),
        gateway: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        label: Label3::from_vni(vni(L3VNI)),
    });
    bytes(Update::evpn_reach(
        IpAddr::V4(PEER),
        vec![EvpnNlri {
            path_id: None,
            route: r,
        }],
        attrs(vec![], L3VNI),
    ))
}

/// A plain IPv4 unicast route (198.51.100.0/24), as a control.
pub fn ipv4_unicast() -> Vec<u8> {
    let u = Update {
        attributes: vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![PEER_AS]))),
            PathAttribute::new(AttrValue::NextHop(PEER)),
        ],
        nlri: vec![evpnd_wire::nlri::prefix::Prefix {
            path_id: None,
            net: "198.51.100.0/24".parse().expect("a valid prefix"),
        }],
        ..Update::default()
    };
    bytes(u)
}
