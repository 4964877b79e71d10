//! Per-VNI VXLAN devices on one VLAN-aware bridge (FRR's "traditional
//! VLAN-aware" mode): each device's PVID is its VNI's VLAN, the SVI is the
//! 802.1Q device for that VLAN, entries are classified by VLAN and written
//! with `NDA_VLAN` but without `NDA_SRC_VNI` (the VNI is the device's own).
//! The end-to-end test runs in the VM stage (`crates/evpnd/tests/kernel_svd.rs`).

use std::collections::HashMap;

mod common;

use common::{link, mac, neigh, vni, vtep, vxlan};
use evpnd_linux::kernel::{self, Link, Seen};
use evpnd_linux::layout::Layout;
use evpnd_linux::program;
use evpnd_linux::reconcile::{Key, Op, Value};
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourFlags};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

const BR1: u32 = 30;
const VX300: u32 = 31;
const VX400: u32 = 32;
const VX500: u32 = 33;
const ETH3: u32 = 34;
const SVI30: u32 = 35;

/// br1 (VLAN-aware): vxlan300 (PVID 30), vxlan400 (PVID 40, no SVI),
/// vxlan500 (no PVID), access port eth3 and SVI br1.30.
fn links() -> HashMap<u32, Link> {
    let mut br1 = link(BR1, "br1");
    br1.kind = Some("bridge".into());
    br1.vlan_filtering = true;
    let port = |index: u32, name: &str, id: u32, pvid: Option<u16>| {
        let mut l = link(index, name);
        l.master = Some(BR1);
        l.vxlan = vxlan(false, Some(id));
        l.neigh_suppress = true;
        l.pvid = pvid;
        l
    };
    let mut eth3 = link(ETH3, "eth3");
    eth3.master = Some(BR1);
    let mut svi = link(SVI30, "br1.30");
    svi.vlan_id = Some(30);
    svi.lower = Some(BR1);
    [
        br1,
        port(VX300, "vxlan300", 300, Some(30)),
        port(VX400, "vxlan400", 400, Some(40)),
        port(VX500, "vxlan500", 500, None),
        eth3,
        svi,
    ]
    .into_iter()
    .map(|l| (l.index, l))
    .collect()
}

#[test]
fn each_device_pvid_is_its_vnis_vlan() {
    let (layout, warnings) = Layout::from_links(&links(), &HashMap::new());
    let mut found: Vec<_> = layout
        .vnis
        .values()
        .map(|v| (v.vni.get(), v.vlan, v.svi_name.as_deref(), v.single_device))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (300, Some(30), Some("br1.30"), false),
            (400, Some(40), None, false)
        ]
    );
    let w: Vec<&str> = warnings.iter().map(|(_, s)| s.as_str()).collect();
    assert!(
        w.contains(&"vxlan500: per-VNI device on VLAN-aware bridge br1 without a PVID: its VLAN is the port's PVID (`bridge vlan add dev vxlan500 vid VID pvid untagged`); VNI 500 ignored"),
        "{w:?}"
    );
    assert!(
        w.iter().any(|s| s.starts_with("vxlan400: vlan 40: no SVI")),
        "{w:?}"
    );
    assert!(
        !w.iter().any(|s| s.contains("already holds VNI")),
        "several per-VNI devices may share a VLAN-aware bridge: {w:?}"
    );
}

#[test]
fn two_devices_on_one_vlan_keep_the_first() {
    let mut l = links();
    l.get_mut(&VX400).expect("vxlan400").pvid = Some(30);
    let (layout, w) = Layout::from_links(&l, &HashMap::new());
    assert_eq!(layout.vnis[&vni(300)].vxlan_name, "vxlan300");
    assert!(!layout.vnis.contains_key(&vni(400)));
    assert!(
        w.iter().any(|(_, s)| s
            == "vxlan400: VLAN 30 of bridge br1 already maps to VNI 300; VNI 400 ignored"),
        "{w:?}"
    );
}

#[test]
fn entries_are_classified_by_vlan() {
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let l = links();
    // A MAC on the access port: its VLAN picks the VNI.
    let mut n = neigh(AddressFamily::Bridge, ETH3);
    n.master = Some(BR1);
    for (vid, want) in [(30, Some(300)), (40, Some(400)), (50, None)] {
        n.vlan = Some(vid);
        let got = match kernel::classify(&n, &layout, &l) {
            Seen::LocalMac { vni, .. } => Some(vni.get()),
            _ => None,
        };
        assert_eq!(got, want, "vlan {vid}");
    }
    // Our VXLAN entry on vxlan400: the device says the VNI.
    let mut own = neigh(AddressFamily::Bridge, VX400);
    own.flags = NeighbourFlags::Own | NeighbourFlags::ExtLearned;
    own.dst = Some(vtep());
    assert_eq!(
        kernel::classify(&own, &layout, &l),
        Seen::Ours(
            Key::Mac {
                vni: vni(400),
                mac: mac(1)
            },
            Value::Mac {
                vtep: vtep(),
                sticky: false
            }
        )
    );
    // The bridge's entry for a remote MAC in VLAN 30 (on the VXLAN port).
    let mut copy = neigh(AddressFamily::Bridge, VX300);
    copy.flags = NeighbourFlags::ExtLearned | NeighbourFlags::Controller;
    copy.master = Some(BR1);
    copy.vlan = Some(30);
    assert_eq!(
        kernel::classify(&copy, &layout, &l),
        Seen::NotLocalMac {
            vni: vni(300),
            mac: mac(1)
        }
    );
}

#[test]
fn writes_carry_the_vlan_but_no_source_vni() {
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let info = &layout.vnis[&vni(300)];
    let mac_op = Op::Set(
        Key::Mac {
            vni: vni(300),
            mac: mac(1),
        },
        Value::Mac {
            vtep: vtep(),
            sticky: false,
        },
    );
    let flood_op = Op::Set(
        Key::Flood {
            vni: vni(300),
            vtep: vtep(),
        },
        Value::Flood,
    );
    for (op, vlan) in [(mac_op, true), (flood_op, false)] {
        for m in program::messages(&op, info).expect("messages") {
            let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) = m.payload
            else {
                panic!("not a new neighbour");
            };
            assert_eq!(n.header.ifindex, VX300);
            let a = &n.attributes;
            assert_eq!(
                a.contains(&NeighbourAttribute::Vlan(30)),
                vlan,
                "{op:?}: {a:?}"
            );
            assert!(
                !a.iter()
                    .any(|x| matches!(x, NeighbourAttribute::SourceVni(_))),
                "{op:?}: {a:?}"
            );
        }
    }
}

#[test]
fn the_pvid_is_read_from_the_ports_vlan_list() {
    use netlink_packet_route::link::{
        AfSpecBridge, BridgeVlanInfo, BridgeVlanInfoFlags, LinkAttribute, LinkMessage,
    };
    let vlan = |vid: u16, flags: BridgeVlanInfoFlags| {
        AfSpecBridge::VlanInfo(BridgeVlanInfo { flags, vid })
    };
    let mut m = LinkMessage::default();
    assert_eq!(kernel::parse_pvid(&m), None, "no VLAN list: nothing known");
    m.attributes.push(LinkAttribute::AfSpecBridge(vec![
        vlan(20, BridgeVlanInfoFlags::empty()),
        vlan(
            30,
            BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged,
        ),
    ]));
    assert_eq!(kernel::parse_pvid(&m), Some(Some(30)));
    m.attributes = vec![LinkAttribute::AfSpecBridge(vec![vlan(
        20,
        BridgeVlanInfoFlags::empty(),
    )])];
    assert_eq!(kernel::parse_pvid(&m), Some(None), "VLANs but no PVID");
}
