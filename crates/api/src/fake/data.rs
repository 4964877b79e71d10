//! The fake backend's fixed fabric: peers and routes, and the keys of
//! locally originated routes.

use std::net::IpAddr;

use crate::pb::{self, route_key::Key};
use crate::types::LocalRoute;

pub(super) fn path(peer: &str, vni: u32, best: bool, seq: u32) -> pb::Path {
    pb::Path {
        peer: peer.into(),
        next_hop: peer.into(),
        best,
        route_targets: vec![format!("65000:{vni}")],
        vni,
        mac_mobility_sequence: seq,
        as_path: vec![65000],
        local_pref: 100,
        ..Default::default()
    }
}

pub(super) fn type2(vni: u32, i: usize) -> pb::Route {
    let mac = format!(
        "aa:bb:cc:{:02x}:{:02x}:{:02x}",
        vni % 256,
        (i >> 8) & 0xff,
        i & 0xff
    );
    let ip = format!("10.{}.{}.{}", vni % 256, (i >> 8) & 0xff, i & 0xff);
    let rd = format!("10.0.0.2:{vni}");
    let mut paths = vec![path("10.0.0.2", vni, true, 1)];
    if i == 0 {
        // One route with a second, losing path for ExplainRoute.
        paths.push(path("10.0.0.3", vni, false, 0));
    }
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: format!("[2]:[0]:[48]:[{mac}]:[32]:[{ip}]"),
            rd,
            route_type: pb::RouteType::MacIp.into(),
            key: Some(Key::MacIp(pb::MacIpKey {
                ethernet_tag: 0,
                mac,
                ip,
            })),
        }),
        paths,
    }
}

pub(super) fn type3(vtep: &str, vni: u32) -> pb::Route {
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: format!("[3]:[0]:[32]:[{vtep}]"),
            rd: format!("{vtep}:{vni}"),
            route_type: pb::RouteType::Imet.into(),
            key: Some(Key::Imet(pb::ImetKey {
                ethernet_tag: 0,
                originator_ip: vtep.into(),
            })),
        }),
        paths: vec![path(vtep, vni, true, 0)],
    }
}

pub(super) fn type5() -> pb::Route {
    let mut p = path("10.0.0.2", 0, true, 0);
    p.l3_vni = 5000;
    p.route_targets = vec!["65000:5000".into()];
    p.router_mac = "02:00:00:00:00:02".into();
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: "[5]:[0]:[24]:[10.5.0.0]".into(),
            rd: "10.0.0.2:5000".into(),
            route_type: pb::RouteType::IpPrefix.into(),
            key: Some(Key::IpPrefix(pb::IpPrefixKey {
                ethernet_tag: 0,
                prefix: "10.5.0.0/24".into(),
            })),
        }),
        paths: vec![p],
    }
}

/// The two fake peers.
pub fn peers() -> Vec<pb::Peer> {
    vec![
        pb::Peer {
            address: "10.0.0.2".into(),
            remote_asn: 65000,
            description: "spine1".into(),
            state: pb::FsmState::Established.into(),
            enabled: true,
            uptime_seconds: 3600,
            capabilities: vec![
                "mp-l2vpn-evpn".into(),
                "4-octet-as".into(),
                "route-refresh".into(),
            ],
            hold_time_seconds: 90,
            keepalive_seconds: 30,
            families: vec![pb::FamilyCounters {
                family: pb::AddressFamily::L2vpnEvpn.into(),
                received: 10,
                accepted: 10,
                advertised: 4,
            }],
            last_error: None,
            remote_as: "65000".into(),
            ..Default::default()
        },
        pb::Peer {
            address: "10.0.0.3".into(),
            remote_asn: 65000,
            description: "spine2".into(),
            state: pb::FsmState::Active.into(),
            enabled: true,
            uptime_seconds: 12,
            hold_time_seconds: 90,
            keepalive_seconds: 30,
            last_error: Some(pb::PeerError {
                message: "peer sent NOTIFICATION".into(),
                notification: Some(pb::Notification {
                    code: 6,
                    subcode: 2,
                    text: "Cease / Administrative Shutdown".into(),
                    sent: false,
                }),
                at_unix_seconds: 1_700_000_000,
            }),
            ..Default::default()
        },
    ]
}

pub(super) fn local_key(r: &LocalRoute) -> pb::RouteKey {
    let rd = "10.0.0.1:1".to_string();
    match r {
        LocalRoute::MacIp { mac, ip, .. } => {
            let ip_s = ip.map(|i| i.to_string()).unwrap_or_default();
            let tail = match ip {
                Some(IpAddr::V4(_)) => format!(":[32]:[{ip_s}]"),
                Some(IpAddr::V6(_)) => format!(":[128]:[{ip_s}]"),
                None => String::new(),
            };
            pb::RouteKey {
                prefix: format!("[2]:[0]:[48]:[{mac}]{tail}"),
                rd,
                route_type: pb::RouteType::MacIp.into(),
                key: Some(Key::MacIp(pb::MacIpKey {
                    ethernet_tag: 0,
                    mac: mac.to_string(),
                    ip: ip_s,
                })),
            }
        }
        LocalRoute::Imet { .. } => pb::RouteKey {
            prefix: "[3]:[0]:[32]:[10.0.0.1]".into(),
            rd,
            route_type: pb::RouteType::Imet.into(),
            key: Some(Key::Imet(pb::ImetKey {
                ethernet_tag: 0,
                originator_ip: "10.0.0.1".into(),
            })),
        },
        LocalRoute::IpPrefix { prefix, .. } => pb::RouteKey {
            prefix: format!("[5]:[0]:[{}]:[{}]", prefix.prefix_len(), prefix.network()),
            rd,
            route_type: pb::RouteType::IpPrefix.into(),
            key: Some(Key::IpPrefix(pb::IpPrefixKey {
                ethernet_tag: 0,
                prefix: prefix.to_string(),
            })),
        },
    }
}
