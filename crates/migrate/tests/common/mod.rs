//! Inventory builders for the planner's tests.
#![allow(dead_code)]

use std::net::IpAddr;

use evpnd_migrate::inventory::{DEFAULT_VLAN, VXLAN_PORT};
use evpnd_migrate::{Inventory, Kind, Link, Port, PortVlan, Vxlan};

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn link(name: &str, kind: Kind) -> Link {
    Link {
        name: name.into(),
        kind,
        up: true,
        master: None,
        port: None,
        mac: None,
        addresses: Vec::new(),
    }
}

pub fn bridge(name: &str, vlan_filtering: bool) -> Link {
    link(
        name,
        Kind::Bridge {
            vlan_filtering,
            vlans: Vec::new(),
        },
    )
}

pub fn other(name: &str) -> Link {
    link(
        name,
        Kind::Other {
            kind: Some("veth".into()),
        },
    )
}

pub fn vlan_dev(parent: &str, vid: u16) -> Link {
    link(
        &format!("{parent}.{vid}"),
        Kind::Vlan {
            parent: parent.into(),
            vid,
        },
    )
}

pub fn vxlan(name: &str, vni: u32, learning: bool, flood: &[&str], group: Option<&str>) -> Link {
    link(
        name,
        Kind::Vxlan(Vxlan {
            vni: Some(vni),
            local: Some(ip("10.0.0.1")),
            group: group.map(ip),
            dev: group.map(|_| "u0".to_string()),
            dstport: VXLAN_PORT,
            learning,
            external: false,
            vnifilter: false,
            flood: flood.iter().map(|s| ip(s)).collect(),
        }),
    )
}

/// `l` as a port of `bridge` (VLANs for a VLAN-aware one).
pub fn port(mut l: Link, bridge: &str, vlans: &[(u16, bool)]) -> Link {
    l.master = Some(bridge.into());
    l.port = Some(Port {
        vlans: vlans
            .iter()
            .map(|&(vid, pvid)| PortVlan {
                vid,
                pvid,
                untagged: pvid,
            })
            .collect(),
        ..Port::default()
    });
    l
}

/// An access port on a VLAN-aware bridge: VLAN `vid` as PVID, untagged,
/// and no default VLAN.
pub fn access(name: &str, bridge: &str, vid: u16) -> Link {
    port(other(name), bridge, &[(vid, true)])
}

/// A trunk on a VLAN-aware bridge: the default VLAN plus tagged `vids`.
pub fn trunk(name: &str, bridge: &str, vids: &[u16]) -> Link {
    let mut v = vec![(DEFAULT_VLAN, true)];
    v.extend(vids.iter().map(|&x| (x, false)));
    port(other(name), bridge, &v)
}

pub fn inv(links: Vec<Link>) -> Inventory {
    let mut i = Inventory { links };
    i.normalise();
    i
}

/// `br<vid>` with `eth0.<vid>` and an access port `acc<vid>`.
pub fn per_vlan_bridge(vid: u16) -> Vec<Link> {
    let br = format!("br{vid}");
    vec![
        bridge(&br, false),
        port(vlan_dev("eth0", vid), &br, &[]),
        port(other(&format!("acc{vid}")), &br, &[]),
    ]
}
