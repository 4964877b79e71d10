//! The layer-2 gateway (issue 12): a legacy VLAN trunk bridged with a VNI
//! is one more port of the VNI's bridge, and what is learned on it is local.
//! Per-VLAN bridges: the trunk's 802.1Q sub-interface `eth0.100` in
//! `br100` beside `vxlan100` (it is a port, not an SVI). VLAN-aware: the
//! trunk `eth0` in `br0` carrying VLANs tagged; an entry's VLAN picks the
//! VNI, and a VLAN that maps to no VNI stays out. The end-to-end test, with
//! traffic, an evpnd and an FRR leaf, runs in the VM stage
//! (`crates/evpnd/tests/kernel_l2gw.rs`).

use std::collections::HashMap;

mod common;

use common::{link, neigh, vni, vxlan};
use evpnd_linux::kernel::{self, Link, Seen};
use evpnd_linux::layout::Layout;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::neighbour::NeighbourFlags;

const ETH0: u32 = 2;
const ETH0_100: u32 = 3;
const BR100: u32 = 4;
const VX100: u32 = 5;
const BR0: u32 = 6;
const VX200: u32 = 7;
const ETH1: u32 = 8;
const BR0_200: u32 = 9;

/// Per-VLAN: `eth0.100` (802.1Q on the trunk `eth0`) and `vxlan100` in
/// `br100`. VLAN-aware: the trunk `eth1` and `vxlan200` (PVID 200) in
/// `br0`, SVI `br0.200`.
fn links() -> HashMap<u32, Link> {
    let eth0 = link(ETH0, "eth0");
    let mut sub = link(ETH0_100, "eth0.100");
    sub.vlan_id = Some(100);
    sub.lower = Some(ETH0);
    sub.master = Some(BR100);
    let mut br100 = link(BR100, "br100");
    br100.kind = Some("bridge".into());
    let mut vx100 = link(VX100, "vxlan100");
    vx100.vxlan = vxlan(false, Some(100));
    vx100.master = Some(BR100);
    vx100.neigh_suppress = true;
    let mut br0 = link(BR0, "br0");
    br0.kind = Some("bridge".into());
    br0.vlan_filtering = true;
    let mut vx200 = link(VX200, "vxlan200");
    vx200.vxlan = vxlan(false, Some(200));
    vx200.master = Some(BR0);
    vx200.neigh_suppress = true;
    vx200.pvid = Some(200);
    let mut trunk = link(ETH1, "eth1");
    trunk.master = Some(BR0);
    let mut svi = link(BR0_200, "br0.200");
    svi.vlan_id = Some(200);
    svi.lower = Some(BR0);
    [eth0, sub, br100, vx100, br0, vx200, trunk, svi]
        .into_iter()
        .map(|l| (l.index, l))
        .collect()
}

fn local_vni(n: &kernel::Neigh, layout: &Layout, links: &HashMap<u32, Link>) -> Option<u32> {
    match kernel::classify(n, layout, links) {
        Seen::LocalMac { vni, .. } => Some(vni.get()),
        _ => None,
    }
}

#[test]
fn the_trunk_sub_interface_is_a_port_of_the_vnis_bridge_not_its_svi() {
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let v = &layout.vnis[&vni(100)];
    assert_eq!(v.bridge_name.as_deref(), Some("br100"));
    assert_eq!(v.svi_name.as_deref(), Some("br100"));
    assert_eq!(v.vlan, None);
    assert!(layout.svi_vni(ETH0_100).is_none());
    // A host behind the trunk, learned on eth0.100: a local MAC of VNI 100.
    let mut n = neigh(AddressFamily::Bridge, ETH0_100);
    n.master = Some(BR100);
    assert_eq!(local_vni(&n, &layout, &links()), Some(100));
    // Seen on the trunk itself (no bridge): nothing of ours.
    let n = neigh(AddressFamily::Bridge, ETH0);
    assert_eq!(kernel::classify(&n, &layout, &links()), Seen::Other);
}

#[test]
fn a_trunk_port_of_a_vlan_aware_bridge_is_classified_by_the_entrys_vlan() {
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let mut n = neigh(AddressFamily::Bridge, ETH1);
    n.master = Some(BR0);
    // VLAN 200 is VNI 200; VLAN 300 is trunked but maps to no VNI, and an
    // untagged (VLAN-less) entry belongs to no VNI either.
    for (vid, want) in [(Some(200), Some(200)), (Some(300), None), (None, None)] {
        n.vlan = vid;
        assert_eq!(local_vni(&n, &layout, &links()), want, "vlan {vid:?}");
    }
}

#[test]
fn a_remote_entry_taken_over_by_the_trunk_is_local_again() {
    // The host came back behind the trunk: the kernel moved the bridge
    // entry evpnd had written (extern_learn, on the VXLAN port) to the
    // trunk and cleared extern_learn. That is a local learn; while the
    // entry still carries extern_learn it is not.
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let mut n = neigh(AddressFamily::Bridge, ETH1);
    n.master = Some(BR0);
    n.vlan = Some(200);
    n.flags = NeighbourFlags::Controller | NeighbourFlags::ExtLearned;
    assert_eq!(kernel::classify(&n, &layout, &links()), Seen::Other);
    n.flags = NeighbourFlags::Controller;
    assert_eq!(local_vni(&n, &layout, &links()), Some(200));
}
