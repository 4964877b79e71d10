//! `evpnctl migrate plan` end to end from a saved inventory (no kernel, no
//! root): the review text, the JSON `apply` reads, the exit status on a
//! refusal, and `--config` shown as a diff.

use std::process::Command;

fn evpnctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_evpnctl"))
        .args(args)
        .output()
        .expect("run evpnctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const INVENTORY: &str = r#"{"links": [
  {"name": "br100", "type": "bridge", "up": true},
  {"name": "eth0", "type": "other", "kind": "veth", "up": true},
  {"name": "eth0.100", "type": "vlan", "parent": "eth0", "vid": 100, "up": true,
   "master": "br100", "port": {"learning": true, "neigh_suppress": false}},
  {"name": "br5000", "type": "bridge", "up": true},
  {"name": "vxlan5000", "type": "vxlan", "vni": 5000, "local": "10.0.0.1", "learning": true,
   "flood": ["10.0.0.2"], "up": true, "master": "br5000",
   "port": {"learning": true, "neigh_suppress": false}}
]}"#;

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8").to_string()
}

/// A temporary directory with [`INVENTORY`] saved in it, and its path.
fn saved_inventory() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = file(&dir, "inv.json", INVENTORY);
    (dir, inv)
}

/// `evpnctl [--json] migrate plan --from INV ARGS…`.
fn plan(json: bool, inv: &str, args: &[&str]) -> (i32, String, String) {
    let head = ["--json", "migrate", "plan", "--from", inv];
    let head = if json { &head[..] } else { &head[1..] };
    evpnctl(&[head, args].concat())
}

#[test]
fn plan_from_an_inventory_shows_the_map_the_file_and_the_steps() {
    let (_dir, inv) = saved_inventory();
    let args = ["--vtep-ip", "10.0.0.1", "--asn", "65000"];
    let (code, out, err) = plan(false, &inv, &args);
    assert_eq!(code, 0, "{err}{out}");
    assert!(
        out.contains("  100    10100     br100        vxlan10100     vlan"),
        "{out}"
    );
    assert!(
        out.contains(
            "  -      5000      br5000       vxlan5000      flood-and-learn          10.0.0.2"
        ),
        "{out}"
    );
    assert!(out.contains("fabric.toml (proposed):\n"), "{out}");
    assert!(out.contains("static_vteps = [\"10.0.0.2\"]"), "{out}");
    assert!(out.contains("    1. ip link add vxlan10100 type vxlan id 10100 local 10.0.0.1 dstport 4789 nolearning\n       why:  VLAN 100 on br100 → VNI 10100\n       undo: ip link del vxlan10100\n"), "{out}");
    assert!(!out.contains("Refused"), "{out}");

    let (code, json, _) = plan(true, &inv, &args);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("plan JSON");
    assert_eq!(v["steps"].as_array().map(Vec::len), Some(4), "{v}");
    assert_eq!(v["steps"][0]["op"]["op"], "create_vxlan", "{v}");
    assert_eq!(v["mappings"][0]["from"], "flood_and_learn", "{v}");
    assert_eq!(v["mappings"][1]["vni"], 10100, "{v}");
}

#[test]
fn plan_against_a_config_is_a_diff() {
    let (dir, inv) = saved_inventory();
    let cfg = file(
        &dir,
        "fabric.toml",
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\n[evpn]\nvtep_ip = \"10.0.0.1\"\n",
    );
    let (code, out, err) = plan(false, &inv, &["--config", &cfg]);
    assert_eq!(code, 0, "{err}{out}");
    assert!(out.contains("fabric.toml changes:\n--- "), "{out}");
    assert!(out.contains("+[[evpn.vni]]\n+vni = 10100\n"), "{out}");
    assert!(out.contains("+static_vteps = [\"10.0.0.2\"]\n"), "{out}");
}

#[test]
fn a_refused_plan_exits_1_and_names_the_collision() {
    let (_dir, inv) = saved_inventory();
    // VLAN 100 + base 4900 = VNI 5000: vxlan5000's.
    let (code, out, _) = plan(
        false,
        &inv,
        &["--vtep-ip", "10.0.0.1", "--vni-base", "4900"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Refused (the plan cannot be applied):\n  - VLAN 100 on br100 maps to VNI 5000, which vxlan5000 already carries: choose another --vni-base\n"), "{out}");
}

#[test]
fn rollback_without_a_journal_has_nothing_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = dir.path().join("none.json");
    let (code, out, _) = evpnctl(&[
        "migrate",
        "rollback",
        "--journal",
        j.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("no journal: nothing to roll back"), "{out}");
}
