//! Links and neighbour entries for the layout tests, built by hand as the
//! netlink parsers would produce them.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use evpnd_linux::kernel::{self, Link, Neigh, Vxlan};
use evpnd_wire::{MacAddr, Vni};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::neighbour::NeighbourFlags;

pub fn vni(v: u32) -> Vni {
    Vni::new(v).expect("vni")
}

pub fn mac(last: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, last])
}

pub fn vtep() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))
}

pub fn link(index: u32, name: &str) -> Link {
    Link {
        index,
        name: name.into(),
        ..Link::default()
    }
}

pub fn vxlan(external: bool, id: Option<u32>) -> Option<Vxlan> {
    Some(Vxlan {
        vni: id,
        local: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        port: 4789,
        learning: false,
        group: None,
        external,
        vnifilter: false,
        dev: None,
    })
}

pub fn neigh(family: AddressFamily, ifindex: u32) -> Neigh {
    Neigh {
        family,
        ifindex,
        state: kernel::NUD_REACHABLE,
        flags: NeighbourFlags::empty(),
        mac: Some(mac(1)),
        dst: None,
        master: None,
        protocol: None,
        vlan: None,
        src_vni: None,
    }
}
