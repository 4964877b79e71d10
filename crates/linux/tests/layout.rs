//! Both VXLAN layouts read from links, and neighbour entries classified and
//! written against them. The single-device layout cannot be built on the CI
//! kernel (no bridge VLAN filtering); its end-to-end test runs in the VM
//! stage (`crates/evpnd/tests/kernel_svd.rs`), these pin the logic.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

mod common;

use common::{link, mac, neigh, vni, vtep, vxlan};
use evpnd_linux::kernel::{self, Link, Seen};
use evpnd_linux::layout::{Layout, Pins};
use evpnd_linux::program;
use evpnd_linux::reconcile::{Key, Op, Value};
use evpnd_wire::{MacAddr, Vni};
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::link::{
    AfSpecBridge, BridgeVlanInfoFlags, BridgeVlanTunnelInfo, LinkAttribute, LinkMessage,
};
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourFlags};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

const BR0: u32 = 10;
const VX0: u32 = 11;
const ETH1: u32 = 12;
const SVI10: u32 = 13;
const BR100: u32 = 20;
const VX100: u32 = 21;
const ETH2: u32 = 22;

/// br0 (VLAN-aware) with vxlan0 (external, vlan_tunnel, vid 10 → 100,
/// vid 20 → 200), access port eth1 and SVI br0.10; beside it the per-VNI
/// br100 with vxlan100 and eth2.
fn links() -> HashMap<u32, Link> {
    let mut br0 = link(BR0, "br0");
    br0.kind = Some("bridge".into());
    br0.vlan_filtering = true;
    let mut vx0 = link(VX0, "vxlan0");
    vx0.master = Some(BR0);
    vx0.vxlan = vxlan(true, None);
    vx0.vlan_tunnel = true;
    vx0.neigh_suppress = true;
    vx0.tunnels = vec![(10, 100), (20, 200)];
    let mut eth1 = link(ETH1, "eth1");
    eth1.master = Some(BR0);
    let mut svi = link(SVI10, "br0.10");
    svi.vlan_id = Some(10);
    svi.lower = Some(BR0);
    let mut br100 = link(BR100, "br100");
    br100.kind = Some("bridge".into());
    let mut vx100 = link(VX100, "vxlan100");
    vx100.master = Some(BR100);
    vx100.vxlan = vxlan(false, Some(100_000));
    vx100.neigh_suppress = true;
    let mut eth2 = link(ETH2, "eth2");
    eth2.master = Some(BR100);
    [br0, vx0, eth1, svi, br100, vx100, eth2]
        .into_iter()
        .map(|l| (l.index, l))
        .collect()
}

#[test]
fn both_layouts_side_by_side() {
    let (layout, warnings) = Layout::from_links(&links(), &HashMap::new());
    let mut found: Vec<_> = layout
        .vnis
        .values()
        .map(|v| {
            (
                v.vni.get(),
                v.vxlan_name.as_str(),
                v.vlan,
                v.svi_name.as_deref(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (100, "vxlan0", Some(10), Some("br0.10")),
            (200, "vxlan0", Some(20), None),
            (100_000, "vxlan100", None, Some("br100")),
        ]
    );
    // VLAN 20 has no SVI: said once, against its VNI.
    let w: Vec<_> = warnings
        .iter()
        .map(|(v, s)| (v.map(Vni::get), s.as_str()))
        .collect();
    assert_eq!(
        w,
        [(
            Some(200),
            "vxlan0: vlan 20: no SVI (an 802.1Q device on br0 with id 20): MAC+IP routes are neither learned nor installed"
        )]
    );
}

/// A VNI pinned to its devices is served by those or not at all; the pinned
/// SVI replaces the discovered one.
#[test]
fn pinned_devices_win_over_discovery_and_a_mismatch_is_reported() {
    // Both vxlan0 (lower ifindex, would win) and vxlan100 carry 100000;
    // pinned to vxlan100, with eth2 as its SVI.
    let mut l = links();
    l.get_mut(&VX0).expect("vxlan0").tunnels = vec![(10, 100_000)];
    let pin = Pins {
        vxlan_device: Some("vxlan100".into()),
        bridge: Some("br100".into()),
        svi: Some("eth2".into()),
    };
    let pins = HashMap::from([(vni(100_000), pin.clone())]);
    let (layout, w) = Layout::from_links(&l, &pins);
    let v = &layout.vnis[&vni(100_000)];
    assert_eq!(
        (v.vxlan_name.as_str(), v.svi_name.as_deref()),
        ("vxlan100", Some("eth2"))
    );
    assert!(
        !w.iter().any(|(_, s)| s.contains("another VXLAN device")),
        "the pinned device is the only claimant: {w:?}"
    );
    assert_eq!(layout.svi_vni(ETH2).map(|v| v.vni), Some(vni(100_000)));
    assert!(
        layout.svi_vni(BR100).is_none(),
        "the discovered SVI is replaced"
    );

    // Pinned to a bridge it is not on: reported, not programmed.
    let pins = HashMap::from([(
        vni(100_000),
        Pins {
            bridge: Some("br9".into()),
            ..pin.clone()
        },
    )]);
    let (layout, w) = Layout::from_links(&links(), &pins);
    assert!(!layout.vnis.contains_key(&vni(100_000)));
    assert!(
        w.iter().any(|(v, s)| v.is_none()
            && s == "vxlan100: VNI 100000 is on bridge br100, but [[evpn.vni]] pins it to bridge br9: not programmed until they match"),
        "{w:?}"
    );

    // Pinned to a device that does not exist: reported by name.
    let pins = HashMap::from([(
        vni(100_000),
        Pins {
            vxlan_device: Some("vx-missing".into()),
            ..Pins::default()
        },
    )]);
    let (layout, w) = Layout::from_links(&links(), &pins);
    assert!(!layout.vnis.contains_key(&vni(100_000)));
    assert!(
        w.iter().any(|(_, s)| s
            == "vx-missing: pinned by [[evpn.vni]] vni = 100000, does not exist: VNI 100000 is not programmed"),
        "{w:?}"
    );
}

#[test]
fn single_device_prerequisites_are_reported_not_guessed() {
    let mut l = links();
    l.get_mut(&BR0).expect("br0").vlan_filtering = false;
    let (layout, w) = Layout::from_links(&l, &HashMap::new());
    assert!(
        layout.vnis.values().all(|v| v.vlan.is_none()),
        "no SVD VNIs without vlan_filtering"
    );
    assert!(
        w.iter()
            .any(|(v, s)| v.is_none() && s.contains("without vlan_filtering")),
        "{w:?}"
    );

    let mut l = links();
    if let Some(x) = l.get_mut(&VX0).and_then(|d| d.vxlan.as_mut()) {
        x.vnifilter = true;
    }
    let (layout, w) = Layout::from_links(&l, &HashMap::new());
    assert_eq!(layout.vnis.len(), 3, "vnifilter changes nothing evpnd does");
    assert!(
        w.iter()
            .any(|(v, s)| v.is_none() && s.starts_with("vxlan0: vnifilter is on")),
        "{w:?}"
    );

    let mut l = links();
    l.get_mut(&VX0).expect("vxlan0").vlan_tunnel = false;
    let (layout, w) = Layout::from_links(&l, &HashMap::new());
    assert_eq!(layout.vnis.len(), 1);
    assert!(
        w.iter().any(|(_, s)| s.contains("vlan_tunnel is off")),
        "{w:?}"
    );

    let mut l = links();
    l.get_mut(&VX0).expect("vxlan0").tunnels = vec![(10, 100_000)];
    let (layout, w) = Layout::from_links(&l, &HashMap::new());
    // The per-VNI device (higher ifindex) does not take over the VNI.
    assert_eq!(layout.vnis[&vni(100_000)].vxlan_name, "vxlan0");
    assert!(
        w.iter()
            .any(|(v, s)| *v == Some(vni(100_000))
                && s.starts_with("vxlan100: another VXLAN device")),
        "{w:?}"
    );
}

#[test]
fn tunnel_info_entries_and_ranges() {
    let entry = |vid: u16, id: u32, flags: BridgeVlanInfoFlags| {
        AfSpecBridge::VlanTunnelInfo(vec![
            BridgeVlanTunnelInfo::Id(id),
            BridgeVlanTunnelInfo::Vid(vid),
            BridgeVlanTunnelInfo::Flags(flags),
        ])
    };
    let mut m = LinkMessage::default();
    m.header.interface_family = AddressFamily::Bridge;
    m.header.index = VX0;
    assert_eq!(kernel::parse_tunnels(&m), None, "no AF_SPEC: nothing said");
    m.attributes.push(LinkAttribute::AfSpecBridge(vec![
        entry(5, 500, BridgeVlanInfoFlags::empty()),
        entry(10, 100, BridgeVlanInfoFlags::RangeBegin),
        entry(12, 102, BridgeVlanInfoFlags::RangeEnd),
    ]));
    assert_eq!(
        kernel::parse_tunnels(&m),
        Some(vec![(5, 500), (10, 100), (11, 101), (12, 102)])
    );
    m.attributes = vec![LinkAttribute::AfSpecBridge(vec![])];
    assert_eq!(
        kernel::parse_tunnels(&m),
        Some(vec![]),
        "all mappings removed"
    );
}

#[test]
fn single_device_entries_are_classified_by_vlan_and_src_vni() {
    let l = links();
    let (layout, _) = Layout::from_links(&l, &HashMap::new());

    // A host behind eth1 in VLAN 10 is a local MAC of VNI 100.
    let mut n = neigh(AddressFamily::Bridge, ETH1);
    n.master = Some(BR0);
    n.vlan = Some(10);
    assert_eq!(
        kernel::classify(&n, &layout, &l),
        Seen::LocalMac {
            vni: vni(100),
            mac: mac(1),
            sticky: false
        }
    );
    // The same MAC in a VLAN with no VNI, or without a VLAN, is not ours.
    n.vlan = Some(30);
    assert_eq!(kernel::classify(&n, &layout, &l), Seen::Other);
    n.vlan = None;
    assert_eq!(kernel::classify(&n, &layout, &l), Seen::Other);

    // Our remote MAC: the VXLAN entry (self, src_vni) and the bridge copy (master, vlan).
    let mut own = neigh(AddressFamily::Bridge, VX0);
    own.flags = NeighbourFlags::Own | NeighbourFlags::ExtLearned;
    own.dst = Some(vtep());
    own.src_vni = Some(200);
    assert_eq!(
        kernel::classify(&own, &layout, &l),
        Seen::Ours(
            Key::Mac {
                vni: vni(200),
                mac: mac(1)
            },
            Value::Mac {
                vtep: vtep(),
                sticky: false
            }
        )
    );
    own.src_vni = None;
    assert_eq!(
        kernel::classify(&own, &layout, &l),
        Seen::Other,
        "no src_vni: no VNI to put it in"
    );
    let mut copy = neigh(AddressFamily::Bridge, VX0);
    copy.flags = NeighbourFlags::ExtLearned | NeighbourFlags::Controller;
    copy.master = Some(BR0);
    copy.vlan = Some(20);
    assert_eq!(
        kernel::classify(&copy, &layout, &l),
        Seen::NotLocalMac {
            vni: vni(200),
            mac: mac(1)
        }
    );

    // A flood entry of ours (our protocol) per VNI.
    let mut flood = neigh(AddressFamily::Bridge, VX0);
    flood.mac = Some(MacAddr([0; 6]));
    flood.flags = NeighbourFlags::Own;
    flood.dst = Some(vtep());
    flood.src_vni = Some(100);
    flood.protocol = Some(evpnd_linux::PROTOCOL);
    assert_eq!(
        kernel::classify(&flood, &layout, &l),
        Seen::Ours(
            Key::Flood {
                vni: vni(100),
                vtep: vtep()
            },
            Value::Flood
        )
    );

    // Without a protocol (the VXLAN FDB keeps none) a flood entry is only
    // reported: the flood ledger decides whether it is ours.
    flood.protocol = None;
    assert_eq!(
        kernel::classify(&flood, &layout, &l),
        Seen::Flood {
            vni: vni(100),
            vtep: vtep()
        }
    );

    // An ARP entry on br0.10 is a local neighbour of VNI 100.
    let mut arp = neigh(AddressFamily::Inet, SVI10);
    arp.dst = Some(IpAddr::V4(Ipv4Addr::new(192, 168, 10, 5)));
    assert!(
        matches!(kernel::classify(&arp, &layout, &l), Seen::LocalNeigh { vni: v, .. } if v == vni(100))
    );

    // The per-VNI bridge beside it is unaffected.
    let mut n = neigh(AddressFamily::Bridge, ETH2);
    n.master = Some(BR100);
    assert_eq!(
        kernel::classify(&n, &layout, &l),
        Seen::LocalMac {
            vni: vni(100_000),
            mac: mac(1),
            sticky: false
        }
    );
}

fn attrs(op: &Op, vni_: u32) -> Vec<Vec<NeighbourAttribute>> {
    let (layout, _) = Layout::from_links(&links(), &HashMap::new());
    let info = &layout.vnis[&vni(vni_)];
    program::messages(op, info)
        .expect("messages")
        .into_iter()
        .map(|m| match m.payload {
            NetlinkPayload::InnerMessage(
                RouteNetlinkMessage::NewNeighbour(n) | RouteNetlinkMessage::DelNeighbour(n),
            ) => {
                assert_eq!(n.header.ifindex, info.vxlan_ifindex);
                n.attributes
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn single_device_writes_carry_vlan_and_src_vni() {
    let set = Op::Set(
        Key::Mac {
            vni: vni(200),
            mac: mac(1),
        },
        Value::Mac {
            vtep: vtep(),
            sticky: false,
        },
    );
    let a = attrs(&set, 200);
    assert!(a[0].contains(&NeighbourAttribute::Vlan(20)), "{a:?}");
    assert!(a[0].contains(&NeighbourAttribute::SourceVni(200)), "{a:?}");
    let del = Op::Del(
        Key::Mac {
            vni: vni(200),
            mac: mac(1),
        },
        Value::Mac {
            vtep: vtep(),
            sticky: false,
        },
    );
    for m in attrs(&del, 200) {
        assert!(
            m.contains(&NeighbourAttribute::Vlan(20))
                && m.contains(&NeighbourAttribute::SourceVni(200)),
            "{m:?}"
        );
    }
    let flood = Op::Set(
        Key::Flood {
            vni: vni(100),
            vtep: vtep(),
        },
        Value::Flood,
    );
    let a = attrs(&flood, 100);
    assert!(a[0].contains(&NeighbourAttribute::SourceVni(100)), "{a:?}");
    assert!(
        !a[0]
            .iter()
            .any(|x| matches!(x, NeighbourAttribute::Vlan(_))),
        "flood entries are VXLAN-only: {a:?}"
    );
    // Per-VNI devices: written exactly as before, no VLAN, no source VNI.
    let a = attrs(
        &Op::Set(
            Key::Mac {
                vni: vni(100_000),
                mac: mac(1),
            },
            Value::Mac {
                vtep: vtep(),
                sticky: false,
            },
        ),
        100_000,
    );
    assert!(
        !a[0].iter().any(|x| matches!(
            x,
            NeighbourAttribute::Vlan(_) | NeighbourAttribute::SourceVni(_)
        )),
        "{a:?}"
    );
}

/// An RTM_NEWLINK of a VRF device, octet by octet as the kernel sends it
/// (`ip link add vrf-red type vrf table 1001`, up; the host kernel of CI has
/// no VRF module, so the message is built here):
///
/// ```text
/// nlmsghdr  len, type 16 (RTM_NEWLINK), flags 0, seq 0, pid 0
/// ifinfomsg family 0, type 1 (ether), index 30, flags UP|RUNNING|MASTER|LOWER_UP
/// IFLA_IFNAME   (3)  "vrf-red\0"
/// IFLA_ADDRESS  (1)  02:00:00:00:00:30
/// IFLA_LINKINFO (18)
///   IFLA_INFO_KIND (1) "vrf\0"
///   IFLA_INFO_DATA (2)
///     IFLA_VRF_TABLE (1) u32 1001
/// ```
fn vrf_message() -> Vec<u8> {
    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(value);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }
    let flags: u32 = 0x1 | 0x40 | 0x400 | 0x10000;
    let mut body = vec![0u8, 0];
    body.extend_from_slice(&1u16.to_ne_bytes());
    body.extend_from_slice(&30i32.to_ne_bytes());
    body.extend_from_slice(&flags.to_ne_bytes());
    body.extend_from_slice(&0u32.to_ne_bytes());
    body.extend(attr(3, b"vrf-red\0"));
    body.extend(attr(1, &[2, 0, 0, 0, 0, 0x30]));
    let data = attr(1, &1001u32.to_ne_bytes());
    let mut info = attr(1, b"vrf\0");
    info.extend(attr(2, &data));
    body.extend(attr(18, &info));
    let mut m = ((16 + body.len()) as u32).to_ne_bytes().to_vec();
    m.extend_from_slice(&16u16.to_ne_bytes());
    m.extend_from_slice(&[0; 10]);
    m.extend(body);
    m
}

/// VRF mode: the SVI's master is a VRF device; its table comes from
/// IFLA_VRF_TABLE, and the VNI says so with the SVI's MAC and link state.
#[test]
fn a_vrf_master_is_read_from_the_kernels_message() {
    let msg =
        netlink_packet_core::NetlinkMessage::<RouteNetlinkMessage>::deserialize(&vrf_message())
            .expect("an RTM_NEWLINK");
    let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) = msg.payload else {
        panic!("not a link: {msg:?}");
    };
    let vrf = kernel::parse_link(&l);
    assert_eq!(vrf.vrf_table, Some(1001));
    assert_eq!(vrf.kind.as_deref(), Some("vrf"));
    assert_eq!(vrf.mac, Some(MacAddr([2, 0, 0, 0, 0, 0x30])));
    assert!(vrf.up);
    let mut ls = links();
    ls.get_mut(&BR100).expect("br100").master = Some(30);
    for i in [BR100, VX100] {
        let l = ls.get_mut(&i).expect("link");
        l.up = true;
        l.mac = Some(mac(i as u8));
    }
    ls.insert(30, vrf);
    let (layout, _) = Layout::from_links(&ls, &HashMap::new());
    let v = &layout.vnis[&vni(100_000)];
    let m = v.vrf_master.as_ref().expect("a VRF master");
    assert_eq!((m.ifindex, m.name.as_str(), m.table), (30, "vrf-red", 1001));
    assert_eq!(v.svi_mac, Some(mac(BR100 as u8)));
    assert!(v.up);
    // A master that is not a VRF device (no table) is none; a down SVI is
    // a VNI down.
    ls.get_mut(&30).expect("vrf").vrf_table = None;
    ls.get_mut(&BR100).expect("br100").up = false;
    let (layout, _) = Layout::from_links(&ls, &HashMap::new());
    assert_eq!(layout.vnis[&vni(100_000)].vrf_master, None);
    assert!(!layout.vnis[&vni(100_000)].up);
}

#[test]
fn learning_is_expected_only_of_flood_and_learn_vnis() {
    use std::collections::HashSet;
    let learning = |w: &[(Option<Vni>, String)], v: u32, what: &str| {
        w.iter()
            .any(|(x, s)| *x == Some(vni(v)) && s.contains(what))
    };
    let on = "data-plane learning is on";
    let off = "data-plane learning is off, but [[evpn.vni]] static_vteps is set";
    let mut l = links();
    if let Some(x) = l.get_mut(&VX100).and_then(|d| d.vxlan.as_mut()) {
        x.learning = true;
    }
    // Learning on a plain EVPN VNI: warned, as before.
    let (_, w) = Layout::from_links(&l, &HashMap::new());
    assert!(learning(&w, 100_000, on), "{w:?}");
    // On a VNI with static_vteps it is what the VNI needs: no warning.
    let flood_and_learn: HashSet<Vni> = [vni(100_000), vni(100)].into();
    let (_, w) = Layout::from_links_learning(&l, &HashMap::new(), &flood_and_learn);
    assert!(!learning(&w, 100_000, on), "{w:?}");
    assert!(!learning(&w, 100_000, off), "{w:?}");
    // The single device serves VNI 100 and learns nothing: warned for it.
    assert!(learning(&w, 100, off), "{w:?}");
    assert!(!learning(&w, 200, off), "{w:?}");
    // Learning off on a flood-and-learn VNI's device: warned.
    let (_, w) = Layout::from_links_learning(&links(), &HashMap::new(), &flood_and_learn);
    assert!(learning(&w, 100_000, off), "{w:?}");
}

#[test]
fn macs_the_kernel_learns_behind_static_vteps_are_never_local() {
    let l = links();
    let (layout, _) = Layout::from_links(&l, &HashMap::new());
    // Learned by the VXLAN device from a static VTEP's traffic: `self`,
    // with the VTEP, none of our marks (no extern_learn, no protocol).
    let mut learned = neigh(AddressFamily::Bridge, VX100);
    learned.flags = NeighbourFlags::Own;
    learned.dst = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 21)));
    assert_eq!(kernel::classify(&learned, &layout, &l), Seen::Other);
    // The bridge's entry for it points at the VXLAN port: not local (and
    // a local MAC that moved there is gone).
    let mut bridge = neigh(AddressFamily::Bridge, VX100);
    bridge.master = Some(BR100);
    assert_eq!(
        kernel::classify(&bridge, &layout, &l),
        Seen::NotLocalMac {
            vni: vni(100_000),
            mac: mac(1)
        }
    );
}
