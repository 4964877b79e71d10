//! The planner on the layouts of issue 12: what it proposes, that the
//! proposal applies, is idempotent and rolls back, and what it refuses.

mod common;

use common::*;
use evpnd_migrate::{
    Flood, Journal, Kernel, Model, Op, Options, Plan, Refusal, Source, apply, plan, rollback,
};

fn opts() -> Options {
    Options {
        vtep_ip: Some(ip("10.0.0.1")),
        asn: Some(65000),
        ..Options::default()
    }
}

fn commands(p: &Plan) -> Vec<&str> {
    p.steps.iter().map(|s| s.command.as_str()).collect()
}

/// Applies `p` to a model of `inv`, checks a second run changes nothing,
/// rolls back and checks the model is `inv` again. Returns the model after
/// the apply.
fn apply_twice_and_roll_back(inv: &evpnd_migrate::Inventory, p: &Plan) -> Model {
    assert!(p.ok(), "refusals: {:?}", p.refusals);
    let mut k = Model { inv: inv.clone() };
    let mut j = Journal::default();
    let mut saves = 0;
    let done = apply(&p.steps, &mut k, &mut j, &mut |_| {
        saves += 1;
        Ok(())
    })
    .expect("apply");
    assert!(done.iter().all(|d| d.made), "{done:?}");
    assert_eq!(j.entries.len(), p.steps.len());
    assert_eq!(saves, p.steps.len(), "saved after every step made");
    let after = k.clone();
    let again = apply(&p.steps, &mut k, &mut j, &mut |_| Ok(())).expect("apply again");
    assert!(again.iter().all(|d| !d.made), "second apply made {again:?}");
    assert_eq!(k, after, "apply twice = apply once");
    assert_eq!(j.entries.len(), p.steps.len(), "nothing journaled twice");
    rollback(&mut k, &mut j, &mut |_| Ok(())).expect("rollback");
    assert!(j.entries.is_empty());
    assert_eq!(&k.inv, inv, "rollback restores the original");
    after
}

/// The proposed file is one evpnd accepts.
fn valid(p: &Plan) {
    if let Err(e) = evpnd_config::parse(&p.fabric_toml, "proposed") {
        panic!("{e}\n{}", p.fabric_toml);
    }
}

#[test]
fn a_per_vlan_bridge_gets_a_vxlan_device_beside_its_trunk() {
    let mut links = per_vlan_bridge(100);
    links.push(other("eth0"));
    let inv = inv(links);
    let p = plan(&inv, &opts(), None);
    assert_eq!(
        commands(&p),
        [
            "ip link add vxlan10100 type vxlan id 10100 local 10.0.0.1 dstport 4789 nolearning",
            "ip link set vxlan10100 master br100",
            "bridge link set dev vxlan10100 neigh_suppress on learning off",
            "ip link set vxlan10100 up",
        ]
    );
    assert_eq!(p.steps[0].inverse, ["ip link del vxlan10100"]);
    assert_eq!(p.steps[1].inverse, ["ip link set vxlan10100 nomaster"]);
    assert_eq!(p.mappings.len(), 1);
    assert_eq!(p.mappings[0].vlan, Some(100));
    assert_eq!(p.mappings[0].vni, 10100);
    assert_eq!(p.mappings[0].source, Source::Vlan);
    assert!(p.fabric_toml.contains("[[evpn.vni]]\nvni = 10100\n"));
    assert!(p.fabric_toml.contains("vtep_ip = \"10.0.0.1\""));
    valid(&p);
    let after = apply_twice_and_roll_back(&inv, &p);
    let v = after.inv.link("vxlan10100").expect("created");
    assert_eq!(v.master.as_deref(), Some("br100"));
    let port = v.port.as_ref().expect("a port");
    assert!(port.neigh_suppress && !port.learning && v.up);
    assert_eq!(
        after.inv.link("eth0.100").and_then(|l| l.master.as_deref()),
        Some("br100"),
        "the trunk stays in the bridge"
    );
}

#[test]
fn vni_base_moves_the_map() {
    let inv = inv(per_vlan_bridge(100));
    let o = Options {
        vni_base: 0,
        ..opts()
    };
    let p = plan(&inv, &o, None);
    assert_eq!(p.mappings[0].vni, 100);
    assert!(commands(&p)[0].starts_with("ip link add vxlan100 type vxlan id 100 "));
}

#[test]
fn a_vlan_aware_bridge_gets_one_device_per_vlan_with_its_pvid() {
    let inv = inv(vec![
        bridge("br0", true),
        access("acc1", "br0", 10),
        access("acc2", "br0", 20),
        trunk("bond0", "br0", &[10, 20]),
    ]);
    let p = plan(&inv, &opts(), None);
    assert_eq!(
        commands(&p),
        [
            "ip link add vxlan10010 type vxlan id 10010 local 10.0.0.1 dstport 4789 nolearning",
            "ip link set vxlan10010 master br0",
            "bridge link set dev vxlan10010 neigh_suppress on learning off",
            "bridge vlan del dev vxlan10010 vid 1",
            "bridge vlan add dev vxlan10010 vid 10 pvid untagged",
            "ip link set vxlan10010 up",
            "ip link add vxlan10020 type vxlan id 10020 local 10.0.0.1 dstport 4789 nolearning",
            "ip link set vxlan10020 master br0",
            "bridge link set dev vxlan10020 neigh_suppress on learning off",
            "bridge vlan del dev vxlan10020 vid 1",
            "bridge vlan add dev vxlan10020 vid 20 pvid untagged",
            "ip link set vxlan10020 up",
        ]
    );
    assert_eq!(
        p.steps[3].inverse,
        ["bridge vlan add dev vxlan10010 vid 1 pvid untagged"]
    );
    valid(&p);
    let after = apply_twice_and_roll_back(&inv, &p);
    let port = after.inv.link("vxlan10020").and_then(|l| l.port.clone());
    assert_eq!(
        port.map(|p| p.vlans),
        Some(vec![evpnd_migrate::PortVlan {
            vid: 20,
            pvid: true,
            untagged: true
        }])
    );
    // Planning the result again proposes nothing more.
    let p2 = plan(&after.inv, &opts(), None);
    assert!(p2.steps.is_empty(), "{:?}", commands(&p2));
    assert_eq!(p2.mappings.len(), 2);
    assert_eq!(p2.mappings[1].vlan, Some(20));
}

fn flood_and_learn() -> evpnd_migrate::Inventory {
    inv(vec![
        bridge("br5000", false),
        port(
            vxlan("vxlan5000", 5000, true, &["10.0.0.2", "10.0.0.3"], None),
            "br5000",
            &[],
        ),
        port(other("acc"), "br5000", &[]),
    ])
}

#[test]
fn a_flood_and_learn_device_keeps_its_vni_and_its_vteps_as_static() {
    let inv = flood_and_learn();
    let p = plan(&inv, &opts(), None);
    assert!(p.steps.is_empty(), "learning stays on: {:?}", commands(&p));
    assert_eq!(p.mappings[0].vni, 5000);
    assert_eq!(p.mappings[0].source, Source::FloodAndLearn);
    assert_eq!(p.mappings[0].static_vteps, [ip("10.0.0.2"), ip("10.0.0.3")]);
    assert!(
        p.fabric_toml
            .contains("vni = 5000\nstatic_vteps = [\"10.0.0.2\", \"10.0.0.3\"]\n"),
        "{}",
        p.fabric_toml
    );
    valid(&p);
}

#[test]
fn once_the_static_vteps_speak_evpn_learning_goes_off_and_static_vteps_go() {
    let inv = flood_and_learn();
    let one = Options {
        evpn_vteps: vec![ip("10.0.0.2")],
        ..opts()
    };
    let p = plan(&inv, &one, None);
    assert!(p.steps.is_empty());
    assert_eq!(p.mappings[0].static_vteps, [ip("10.0.0.3")]);
    let all = Options {
        evpn_vteps: vec![ip("10.0.0.2"), ip("10.0.0.3")],
        ..opts()
    };
    let p = plan(&inv, &all, None);
    assert_eq!(
        commands(&p),
        [
            "ip link set vxlan5000 type vxlan nolearning",
            "bridge link set dev vxlan5000 neigh_suppress on learning off",
        ]
    );
    assert!(p.mappings[0].static_vteps.is_empty());
    assert!(!p.fabric_toml.contains("static_vteps"));
    valid(&p);
    let after = apply_twice_and_roll_back(&inv, &p);
    // Planning the migrated leaf again (its flood entries now evpnd's,
    // without any --evpn-vtep): nothing more, and no static VTEPs.
    let again = plan(&after.inv, &opts(), None);
    assert!(again.steps.is_empty(), "{:?}", commands(&again));
    assert_eq!(again.mappings[0].source, Source::Vxlan);
    assert!(again.mappings[0].static_vteps.is_empty());
}

#[test]
fn an_existing_config_is_merged_and_shown_as_a_diff() {
    let inv = flood_and_learn();
    let old = "# our leaf\n[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\n[evpn]\n# the loopback\nvtep_ip = \"10.0.0.1\"\n\n[[evpn.vni]]\nvni = 5000\nstatic_vteps = [\"10.0.0.2\",\n  \"10.0.0.3\"]   # the legacy pair\n";
    let all = Options {
        evpn_vteps: vec![ip("10.0.0.2"), ip("10.0.0.3")],
        ..opts()
    };
    let p = plan(&inv, &all, Some(("fabric.toml", old)));
    assert!(p.ok(), "{:?}", p.refusals);
    assert_eq!(
        p.fabric_toml,
        "# our leaf\n[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\n[evpn]\n# the loopback\nvtep_ip = \"10.0.0.1\"\n\n[[evpn.vni]]\nvni = 5000\n"
    );
    let diff = p.config_diff.as_deref().expect("a diff");
    assert!(diff.starts_with("--- fabric.toml\n+++ fabric.toml (proposed)\n"));
    assert!(
        diff.contains("-static_vteps = [\"10.0.0.2\",\n-  \"10.0.0.3\"]"),
        "{diff}"
    );
    // A new VLAN is appended, keeping the rest.
    let mut links = per_vlan_bridge(100);
    links.extend(flood_and_learn().links);
    let p = plan(&common::inv(links), &opts(), Some(("fabric.toml", old)));
    assert!(p.ok(), "{:?}", p.refusals);
    assert!(p.fabric_toml.starts_with("# our leaf\n[bgp]\n"));
    assert!(
        p.fabric_toml
            .contains("vni = 5000\nstatic_vteps = [\"10.0.0.2\", \"10.0.0.3\"]\n"),
        "{}",
        p.fabric_toml
    );
    assert!(
        p.fabric_toml.ends_with("[[evpn.vni]]\nvni = 10100\n"),
        "{}",
        p.fabric_toml
    );
}

#[test]
fn a_broken_config_is_refused() {
    let p = plan(
        &flood_and_learn(),
        &opts(),
        Some(("fabric.toml", "[bgp]\nasn = \"x\"\n")),
    );
    assert!(
        matches!(p.refusals[..], [Refusal::Config { .. }]),
        "{:?}",
        p.refusals
    );
}

fn multicast() -> evpnd_migrate::Inventory {
    inv(vec![
        bridge("br300", false),
        port(
            vxlan("vxlan300", 300, true, &[], Some("239.1.1.1")),
            "br300",
            &[],
        ),
        other("u0"),
    ])
}

#[test]
fn a_multicast_device_keeps_its_group_when_asked() {
    let p = plan(
        &multicast(),
        &Options {
            flood: Flood::Keep,
            ..opts()
        },
        None,
    );
    assert!(p.steps.is_empty());
    assert_eq!(p.mappings[0].flood_group, Some(ip("239.1.1.1")));
    valid(&p);
}

#[test]
fn a_multicast_device_is_recreated_for_ingress_replication_disruptively() {
    let inv = multicast();
    let p = plan(&inv, &opts(), None);
    assert_eq!(
        commands(&p),
        [
            "ip link del vxlan300",
            "ip link add vxlan300 type vxlan id 300 local 10.0.0.1 dstport 4789 nolearning",
            "ip link set vxlan300 master br300",
            "bridge link set dev vxlan300 neigh_suppress on learning off",
            "ip link set vxlan300 up",
        ]
    );
    assert!(p.steps.iter().all(|s| s.disruptive));
    assert!(
        p.steps[0].why.contains("until step 5"),
        "{}",
        p.steps[0].why
    );
    assert_eq!(
        p.steps[0].inverse[0],
        "ip link add vxlan300 type vxlan id 300 local 10.0.0.1 group 239.1.1.1 dev u0 dstport 4789 learning"
    );
    let after = apply_twice_and_roll_back(&inv, &p);
    let x = after.inv.link("vxlan300").and_then(|l| l.vxlan()).cloned();
    assert_eq!(x.map(|x| (x.group, x.learning)), Some((None, false)));
}

#[test]
fn the_same_vlan_in_two_bridges_is_refused() {
    let mut links = per_vlan_bridge(100);
    links.extend([
        bridge("br100b", false),
        port(vlan_dev("eth1", 100), "br100b", &[]),
    ]);
    let p = plan(&inv(links), &opts(), None);
    assert_eq!(
        p.refusals,
        [Refusal::VlanInTwoBridges {
            vlan: 100,
            vni: 10100,
            bridges: vec!["br100".into(), "br100b".into()]
        }]
    );
    assert!(p.steps.is_empty());
    assert!(!p.ok());
}

#[test]
fn a_vni_already_in_use_is_refused() {
    let mut links = per_vlan_bridge(100);
    links.extend([
        bridge("brx", false),
        port(vxlan("vx", 10100, false, &[], None), "brx", &[]),
    ]);
    let p = plan(&inv(links), &opts(), None);
    assert_eq!(
        p.refusals,
        [Refusal::VniInUse {
            vlan: 100,
            bridge: "br100".into(),
            vni: 10100,
            used_by: "vx".into()
        }]
    );
}

#[test]
fn two_devices_for_one_vni_are_refused() {
    let p = plan(
        &inv(vec![
            bridge("br5", false),
            port(vxlan("vxa", 5, false, &[], None), "br5", &[]),
            port(vxlan("vxb", 5, false, &[], None), "br5", &[]),
        ]),
        &opts(),
        None,
    );
    assert_eq!(
        p.refusals,
        [Refusal::TwoVxlansOneVni {
            vni: 5,
            devices: vec!["vxa".into(), "vxb".into()]
        }]
    );
    assert!(p.mappings.is_empty() && p.steps.is_empty());
}

#[test]
fn a_vni_out_of_range_is_refused() {
    let o = Options {
        vni_base: 16_777_200,
        ..opts()
    };
    let p = plan(&inv(per_vlan_bridge(100)), &o, None);
    assert_eq!(
        p.refusals,
        [Refusal::VniOutOfRange {
            vlan: 100,
            bridge: "br100".into(),
            vni: 16_777_300
        }]
    );
}

#[test]
fn a_bridge_of_two_vlans_and_a_missing_vtep_ip_are_refused() {
    let mut links = per_vlan_bridge(100);
    links.push(port(vlan_dev("eth0", 200), "br100", &[]));
    let p = plan(&inv(links), &opts(), None);
    assert_eq!(
        p.refusals,
        [Refusal::BridgeWithTwoVlans {
            bridge: "br100".into(),
            vlans: vec![100, 200]
        }]
    );
    let p = plan(&inv(per_vlan_bridge(7)), &Options::default(), None);
    assert!(
        matches!(&p.refusals[..], [Refusal::NoVtepIp { .. }]),
        "{:?}",
        p.refusals
    );
}

/// A kernel that fails the n-th op.
struct FailAt {
    model: Model,
    left: usize,
}

impl Kernel for FailAt {
    fn read(&mut self) -> Result<evpnd_migrate::Inventory, String> {
        self.model.read()
    }
    fn execute(&mut self, op: &Op) -> Result<(), String> {
        if self.left == 0 {
            return Err("Operation not permitted".into());
        }
        self.left -= 1;
        self.model.execute(op)
    }
}

#[test]
fn apply_stops_at_the_first_failure_with_the_journal_naming_what_was_made() {
    let inv = inv(per_vlan_bridge(100));
    let p = plan(&inv, &opts(), None);
    let mut k = FailAt {
        model: Model { inv: inv.clone() },
        left: 2,
    };
    let mut j = Journal::default();
    let mut saved = Journal::default();
    let e = apply(&p.steps, &mut k, &mut j, &mut |j| {
        saved = j.clone();
        Ok(())
    })
    .expect_err("step 3 fails");
    assert_eq!(e.step, 3);
    assert!(
        e.to_string().contains("neigh_suppress on learning off"),
        "{e}"
    );
    assert!(e.to_string().contains("Operation not permitted"), "{e}");
    assert_eq!(saved.entries.len(), 2);
    assert_eq!(saved, j);
    // Rollback of the partial apply leaves the original.
    rollback(&mut k.model, &mut j, &mut |_| Ok(())).expect("rollback");
    assert_eq!(k.model.inv, inv);
}

#[test]
fn the_inventory_reads_back_from_its_json() {
    let inv = flood_and_learn();
    let text = serde_json::to_string_pretty(&inv).expect("json");
    assert!(text.contains("\"type\": \"vxlan\""), "{text}");
    let back: evpnd_migrate::Inventory = serde_json::from_str(&text).expect("read back");
    assert_eq!(back, inv);
    let p = plan(&inv, &opts(), None);
    let pj = serde_json::to_string(&p).expect("plan json");
    let back: Plan = serde_json::from_str(&pj).expect("plan back");
    assert_eq!(back, p);
}
