//! Fixtures shared by the EVPN domain's tests: a per-VNI VXLAN device as
//! the linux task reports it, and the dataplane changes among outputs.
#![allow(dead_code)]

use std::net::IpAddr;

use evpnd_evpn::{DesiredChange, Output, VniInfo};
use evpnd_wire::Vni;

pub fn vni(n: u32) -> Vni {
    Vni::try_from(n).expect("vni")
}

/// VNI `n` on `vxlan{n}` (ifindex 10, `local`) in `br{n}` (ifindex 11,
/// also its SVI), learning off, `neigh_suppress` on, no group, up.
pub fn vni_info(n: u32, local: IpAddr) -> VniInfo {
    VniInfo {
        vni: vni(n),
        vxlan_ifindex: 10,
        vxlan_name: format!("vxlan{n}"),
        local_ip: Some(local),
        dstport: 4789,
        learning: false,
        group: None,
        bridge_ifindex: Some(11),
        bridge_name: Some(format!("br{n}")),
        vlan: None,
        single_device: false,
        svi_ifindex: Some(11),
        svi_name: Some(format!("br{n}")),
        neigh_suppress: true,
        svi_mac: None,
        vrf_master: None,
        up: true,
    }
}

/// [`vni_info`] without an SVI, on ifindexes of its own (`vxlan_ifindex`,
/// bridge `bridge_ifindex`).
pub fn vni_info_no_svi(n: u32, local: IpAddr, vxlan_ifindex: u32, bridge_ifindex: u32) -> VniInfo {
    VniInfo {
        vxlan_ifindex,
        bridge_ifindex: Some(bridge_ifindex),
        svi_ifindex: None,
        svi_name: None,
        ..vni_info(n, local)
    }
}

/// The dataplane changes among `out`, in order.
pub fn dataplane(out: &[Output]) -> Vec<DesiredChange> {
    out.iter()
        .filter_map(|o| match o {
            Output::Dataplane(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}
