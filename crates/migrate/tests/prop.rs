//! Property tests of the planner over arbitrary bridge/VLAN/VXLAN layouts:
//! the plan is consistent (no VNI twice, every VLAN that carries traffic
//! mapped or refused), refusals happen exactly on collisions, and the steps
//! applied to the in-memory kernel then rolled back give the original back;
//! applying twice is applying once.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use evpnd_migrate::inventory::DEFAULT_VLAN;
use evpnd_migrate::{
    Flood, Inventory, Journal, Kind, Link, Model, Options, Refusal, apply, plan, rollback,
};
use proptest::prelude::*;

/// VLANs and VNIs drawn from small sets, so collisions are common.
const VIDS: [u16; 4] = [10, 20, 30, 100];
const VNIS: [u32; 4] = [5000, 5001, 10010, 10100];
const VTEPS: [&str; 3] = ["10.0.0.2", "10.0.0.3", "10.0.0.4"];

#[derive(Debug, Clone)]
struct DevSpec {
    vni: usize,
    learning: bool,
    flood: Vec<bool>,
    group: bool,
    pvid: usize,
}

#[derive(Debug, Clone)]
struct BridgeSpec {
    aware: bool,
    /// Plain: VLAN sub-interfaces; aware: access ports' VLANs.
    vlans: Vec<usize>,
    devs: Vec<DevSpec>,
}

fn dev_spec() -> impl Strategy<Value = DevSpec> {
    (
        0..VNIS.len(),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), VTEPS.len()),
        prop::bool::weighted(0.2),
        0..VIDS.len(),
    )
        .prop_map(|(vni, learning, flood, group, pvid)| DevSpec {
            vni,
            learning,
            flood,
            group,
            pvid,
        })
}

fn bridge_spec() -> impl Strategy<Value = BridgeSpec> {
    (
        any::<bool>(),
        prop::collection::vec(0..VIDS.len(), 0..3),
        prop::collection::vec(dev_spec(), 0..2),
    )
        .prop_map(|(aware, vlans, devs)| BridgeSpec { aware, vlans, devs })
}

fn build(bridges: &[BridgeSpec], loose: &[DevSpec]) -> Inventory {
    let mut links = vec![other("u0")];
    let dev = |name: &str, d: &DevSpec| {
        let flood: Vec<&str> = VTEPS
            .iter()
            .zip(&d.flood)
            .filter(|(_, on)| **on && !d.group)
            .map(|(v, _)| *v)
            .collect();
        vxlan(
            name,
            VNIS[d.vni],
            d.learning,
            &flood,
            d.group.then_some("239.1.1.1"),
        )
    };
    for (i, b) in bridges.iter().enumerate() {
        let br = format!("br{i}");
        links.push(bridge(&br, b.aware));
        for (k, &v) in b.vlans.iter().enumerate() {
            if b.aware {
                links.push(access(&format!("acc{i}_{k}"), &br, VIDS[v]));
            } else {
                let parent = format!("eth{i}");
                if !links.iter().any(|l| l.name == parent) {
                    links.push(other(&parent));
                }
                let mut l = vlan_dev(&parent, VIDS[v]);
                // Several sub-interfaces of one VLAN: distinct names.
                l.name = format!("{parent}.{}.{k}", VIDS[v]);
                links.push(port(l, &br, &[]));
            }
        }
        for (k, d) in b.devs.iter().enumerate() {
            let vlans: Vec<(u16, bool)> = if b.aware {
                vec![(VIDS[d.pvid], true)]
            } else {
                vec![]
            };
            links.push(port(dev(&format!("vx{i}_{k}"), d), &br, &vlans));
        }
    }
    for (k, d) in loose.iter().enumerate() {
        links.push(dev(&format!("vxl{k}"), d));
    }
    inv(links)
}

fn opts() -> Options {
    Options {
        vtep_ip: Some(ip("10.0.0.1")),
        asn: Some(65000),
        ..Options::default()
    }
}

/// What the planner must refuse, worked out from the layout directly:
/// (refusal kind, the thing refused).
fn expected_refusals(inv: &Inventory, base: u32) -> BTreeSet<(&'static str, String)> {
    let mut out = BTreeSet::new();
    let mut by_vni: BTreeMap<u32, usize> = BTreeMap::new();
    for (_, x) in inv.vxlans() {
        *by_vni.entry(x.vni.unwrap_or(0)).or_default() += 1;
    }
    for (vni, n) in &by_vni {
        if *n > 1 {
            out.insert(("two_vxlans_one_vni", vni.to_string()));
        }
    }
    // Candidate new domains: (vlan) → bridges.
    let mut new: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for b in inv.bridges() {
        let ports: Vec<&Link> = inv.ports(&b.name).collect();
        let vnis: BTreeSet<u32> = ports.iter().filter_map(|p| p.vxlan()?.vni).collect();
        if b.vlan_filtering() {
            let served: BTreeSet<u16> = ports
                .iter()
                .filter(|p| p.vxlan().is_some())
                .flat_map(|p| p.port.iter().flat_map(|x| x.vlans.iter()))
                .filter(|v| v.pvid)
                .map(|v| v.vid)
                .collect();
            let carried: BTreeSet<u16> = ports
                .iter()
                .filter(|p| p.vxlan().is_none())
                .flat_map(|p| p.port.iter().flat_map(|x| x.vlans.iter()))
                .map(|v| v.vid)
                .filter(|v| *v != DEFAULT_VLAN && !served.contains(v))
                .collect();
            for v in carried {
                new.entry(v).or_default().push(b.name.clone());
            }
            continue;
        }
        let vids: BTreeSet<u16> = ports.iter().filter_map(|p| p.vlan_id()).collect();
        if vnis.len() > 1 {
            out.insert(("bridge_with_two_vnis", b.name.clone()));
        } else if vids.len() > 1 {
            out.insert(("bridge_with_two_vlans", b.name.clone()));
        } else if let (Some(v), true) = (vids.first(), vnis.is_empty()) {
            new.entry(*v).or_default().push(b.name.clone());
        }
    }
    for (vlan, bridges) in new {
        let vni = base + u32::from(vlan);
        if bridges.len() > 1 {
            out.insert(("vlan_in_two_bridges", vlan.to_string()));
        } else if by_vni.contains_key(&vni) {
            out.insert(("vni_in_use", vlan.to_string()));
        }
    }
    out
}

fn refused(r: &Refusal) -> (&'static str, String) {
    match r {
        Refusal::TwoVxlansOneVni { vni, .. } => ("two_vxlans_one_vni", vni.to_string()),
        Refusal::BridgeWithTwoVnis { bridge, .. } => ("bridge_with_two_vnis", bridge.clone()),
        Refusal::BridgeWithTwoVlans { bridge, .. } => ("bridge_with_two_vlans", bridge.clone()),
        Refusal::VlanInTwoBridges { vlan, .. } => ("vlan_in_two_bridges", vlan.to_string()),
        Refusal::VniInUse { vlan, .. } => ("vni_in_use", vlan.to_string()),
        other => ("unexpected", other.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plans_are_consistent_refuse_exactly_collisions_and_roll_back(
        bridges in prop::collection::vec(bridge_spec(), 0..5),
        loose in prop::collection::vec(dev_spec(), 0..2),
        base in prop::sample::select(vec![0u32, 10000]),
        evpn in prop::collection::vec(any::<bool>(), VTEPS.len()),
        keep in any::<bool>(),
    ) {
        let inv = build(&bridges, &loose);
        let o = Options {
            vni_base: base,
            evpn_vteps: VTEPS.iter().zip(&evpn).filter(|(_, e)| **e).map(|(v, _)| ip(v)).collect(),
            flood: if keep { Flood::Keep } else { Flood::IngressReplication },
            ..opts()
        };
        let p = plan(&inv, &o, None);
        prop_assert_eq!(&plan(&inv, &o, None), &p, "deterministic");

        // Refusals exactly on collisions (Config refusals aside: the
        // proposed file is checked by the config crate, not here).
        let got: BTreeSet<_> = p.refusals.iter()
            .filter(|r| !matches!(r, Refusal::Config { .. }))
            .map(refused).collect();
        prop_assert_eq!(got, expected_refusals(&inv, base));

        // No VNI twice, no (bridge, VLAN) twice.
        let vnis: BTreeSet<u32> = p.mappings.iter().map(|m| m.vni).collect();
        prop_assert_eq!(vnis.len(), p.mappings.len());
        let bv: BTreeSet<(String, Option<u16>, u32)> =
            p.mappings.iter().map(|m| (m.bridge.clone(), m.vlan, m.vni)).collect();
        prop_assert_eq!(bv.len(), p.mappings.len());

        // Every VLAN that carries traffic is mapped or refused.
        let refused_any = !p.refusals.is_empty();
        for b in inv.bridges() {
            for l in inv.ports(&b.name) {
                let vids: Vec<u16> = match (&l.kind, b.vlan_filtering()) {
                    (Kind::Vlan { vid, .. }, false) => vec![*vid],
                    (Kind::Other { .. }, true) => l.port.iter()
                        .flat_map(|x| x.vlans.iter().map(|v| v.vid))
                        .filter(|v| *v != DEFAULT_VLAN).collect(),
                    _ => vec![],
                };
                for vid in vids {
                    let mapped = p.mappings.iter()
                        .any(|m| m.bridge == b.name && m.vlan == Some(vid));
                    prop_assert!(mapped || refused_any,
                        "VLAN {} on {} neither mapped nor refused", vid, b.name);
                }
            }
        }

        // Apply on the model, apply again, roll back.
        let mut k = Model { inv: inv.clone() };
        let mut j = Journal::default();
        let done = apply(&p.steps, &mut k, &mut j, &mut |_| Ok(()));
        prop_assert!(done.is_ok(), "{:?}", done);
        let after = k.inv.clone();
        for m in &p.mappings {
            let dev = after.link(&m.vxlan_device);
            prop_assert!(dev.is_some_and(|l| l.master.as_deref() == Some(m.bridge.as_str())),
                "{} is in {}", m.vxlan_device, m.bridge);
        }
        let again = apply(&p.steps, &mut k, &mut j, &mut |_| Ok(()));
        prop_assert!(again.is_ok_and(|d| d.iter().all(|d| !d.made)));
        prop_assert_eq!(&k.inv, &after);
        let r = rollback(&mut k, &mut j, &mut |_| Ok(()));
        prop_assert!(r.is_ok(), "{:?}", r);
        prop_assert_eq!(&k.inv, &inv);
        prop_assert!(j.entries.is_empty());
    }
}
