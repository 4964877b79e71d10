//! `evpnctl migrate` against a real kernel, in network namespaces: plan →
//! apply → the kernel has what the plan said (`ip -d -j link`, `bridge -j
//! fdb`) → apply again changes nothing → rollback → the kernel is as before
//! (normalised JSON dumps compared whole).
//!
//! The host kernel (no 802.1Q, no VLAN filtering) runs the flood-and-learn
//! and per-VNI cases, and a per-VLAN bridge planned from an inventory that
//! names the trunk sub-interface (the steps never touch it). The `#[ignore]`d
//! cases need VLANs and run in the VM stage (interop/vm/tests.txt):
//!
//! ```sh
//! cargo build -p evpnctl && cargo test -p evpnd --test kernel_migrate --no-run
//! bash interop/vm/setup.sh
//! bash interop/vm/run.sh --timeout 900 -- target/debug/deps/kernel_migrate-HASH --ignored --test-threads=1
//! ```

mod lab;

use std::process::Command;
use std::time::Duration;

use lab::{Netns, wait_until};
use serde_json::Value;

/// `evpnctl ARGS…` inside `ns`: (exit status, stdout, stderr).
fn ctl(ns: &Netns, args: &[&str]) -> (i32, String, String) {
    let bin = lab::l3::evpnctl_path();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .arg(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run evpnctl: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `evpnctl ARGS…` that must succeed, its stdout.
fn ctl_ok(ns: &Netns, args: &[&str]) -> String {
    let (code, out, err) = ctl(ns, args);
    assert_eq!(code, 0, "evpnctl {args:?}: {err}\n{out}");
    out
}

/// `evpnctl --json ARGS…` that must succeed, its output parsed (`what`
/// names the output when it is no JSON).
fn ctl_json(ns: &Netns, args: &[&str], what: &str) -> Value {
    let args: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    serde_json::from_str(&ctl_ok(ns, &args)).unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// `evpnctl [--json] migrate plan ARGS…` that must succeed, its stdout.
fn plan(ns: &Netns, json: bool, args: &[&str]) -> String {
    let head = ["--json", "migrate", "plan"];
    let head = if json { &head[..] } else { &head[1..] };
    ctl_ok(ns, &[head, args].concat())
}

/// The journal file at `path`, parsed.
fn journal_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("journal")).expect("journal JSON")
}

/// VNI `vni` as `evpnctl vnis` of the evpnd in `ns` lists it.
fn evpnd_vni(ns: &Netns, vni: u32) -> Result<Value, String> {
    let v = lab::l3::evpnctl_json(ns, "evpnd", &["vnis"])?;
    v["vnis"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["vni"] == vni).cloned())
        .ok_or(format!("no VNI {vni} yet: {v}"))
}

fn run(ns: &Netns, cmds: &[&str]) {
    for c in cmds {
        let args: Vec<&str> = c.split_whitespace().collect();
        ns.exec(&args).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Drops what changes by itself (timers) from a dump.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.ends_with("_timer"));
            m.values_mut().for_each(normalise);
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn json(ns: &Netns, args: &[&str]) -> Value {
    let out = ns.exec(args).unwrap_or_else(|e| panic!("{e}"));
    let mut v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    normalise(&mut v);
    v
}

/// The entries of a dump in a fixed order, without interface indices (a
/// re-created device gets a new one; its name and everything else must be
/// back).
fn by_content(mut v: Value) -> Value {
    if let Value::Array(a) = &mut v {
        for e in a.iter_mut() {
            if let Value::Object(m) = e {
                m.remove("ifindex");
            }
        }
        a.sort_by_key(|e| e.to_string());
    }
    v
}

/// The kernel's links (with details), bridge ports and FDB, normalised.
fn snapshot(ns: &Netns) -> String {
    let v = serde_json::json!({
        "links": by_content(json(ns, &["ip", "-d", "-j", "link", "show"])),
        "fdb": by_content(json(ns, &["bridge", "-j", "fdb", "show"])),
        "vlans": by_content(json(ns, &["bridge", "-j", "vlan", "show"])),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// A snapshot once two in a row, half a second apart, agree (links
/// coming up settle their carrier and bridge state).
fn settled(ns: &Netns) -> String {
    let mut last = snapshot(ns);
    wait_until("the namespace to settle", Duration::from_secs(10), || {
        std::thread::sleep(Duration::from_millis(500));
        let now = snapshot(ns);
        let same = now == last;
        let diff = first_difference(&last, &now);
        last = now;
        if same { Ok(()) } else { Err(diff) }
    });
    last
}

/// A namespace without IPv6 (no autoconfiguration traffic, no multicast
/// FDB entries appearing while the test compares dumps).
fn quiet_ns(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    run(
        &ns,
        &[
            "sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
            "sysctl -qw net.ipv6.conf.default.disable_ipv6=1",
        ],
    );
    ns
}

/// Waits (bounded) until the kernel is as `before` again.
fn assert_restored(ns: &Netns, before: &str) {
    wait_until(
        "the kernel as before the apply",
        Duration::from_secs(10),
        || {
            let now = snapshot(ns);
            if now == before {
                Ok(())
            } else {
                Err(first_difference(before, &now))
            }
        },
    );
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {i}: before {x:?}, now {y:?}"))
        .unwrap_or_else(|| format!("lengths {} and {}", a.len(), b.len()))
}

fn link(ns: &Netns, dev: &str) -> Value {
    json(ns, &["ip", "-d", "-j", "link", "show", "dev", dev])[0].clone()
}

/// `bridge -d -j link show dev DEV`: the port's flags.
fn port(ns: &Netns, dev: &str) -> Value {
    json(ns, &["bridge", "-d", "-j", "link", "show", "dev", dev])[0].clone()
}

fn flood_dsts(ns: &Netns, dev: &str) -> Vec<String> {
    let v = json(ns, &["bridge", "-j", "fdb", "show", "dev", dev]);
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

/// apply (checked by `check`), apply again (nothing made), rollback (the
/// kernel as before). `plan` is the path of a saved plan.
fn apply_again_and_roll_back(ns: &Netns, plan: &str, check: impl Fn(&Netns)) {
    let before = settled(ns);
    let journal = ns.dir.join("journal.json");
    let journal = journal.to_str().expect("utf-8");
    let dry = ctl_ok(
        ns,
        &["migrate", "apply", plan, "--dry-run", "--journal", journal],
    );
    assert!(dry.contains("would run"), "{dry}");
    let now = snapshot(ns);
    assert!(
        now == before,
        "--dry-run changed the kernel: {}",
        first_difference(&before, &now)
    );
    let made = ctl_json(
        ns,
        &["migrate", "apply", plan, "--journal", journal],
        "apply JSON",
    );
    let done = made["done"].as_array().cloned().unwrap_or_default();
    assert!(
        !done.is_empty() && done.iter().all(|d| d["made"] == true),
        "{made}"
    );
    check(ns);
    let after = snapshot(ns);
    let again = ctl_json(
        ns,
        &["migrate", "apply", plan, "--journal", journal],
        "apply JSON",
    );
    let done = again["done"].as_array().cloned().unwrap_or_default();
    assert!(
        done.iter().all(|d| d["made"] == false),
        "second apply: {again}"
    );
    let now = snapshot(ns);
    assert!(
        now == after,
        "the second apply changed the kernel: {}",
        first_difference(&after, &now)
    );
    let j = journal_json(journal);
    assert_eq!(
        j["entries"].as_array().map(Vec::len),
        made["done"].as_array().map(Vec::len),
        "one journal entry per step made, none for the second run"
    );
    let out = ctl_ok(ns, &["migrate", "rollback", "--journal", journal]);
    assert!(out.contains("rolled back"), "{out}");
    assert!(
        !std::path::Path::new(journal).exists(),
        "rollback clears the journal"
    );
    assert_restored(ns, &before);
}

/// Saves `text` as the plan file of `ns`.
fn save(ns: &Netns, name: &str, text: &str) -> String {
    let p = ns.dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8").to_string()
}

/// A flood-and-learn VNI (learning, static flood entries) and a VNI whose
/// VXLAN port is not yet EVPN-style.
fn legacy_host(ns: &Netns) {
    run(
        ns,
        &[
            "ip link add br5000 type bridge",
            "ip link add vxlan5000 type vxlan id 5000 local 10.0.0.1 dstport 4789",
            "ip link set vxlan5000 master br5000",
            "bridge fdb append 00:00:00:00:00:00 dev vxlan5000 dst 10.0.0.2 self permanent",
            "bridge fdb append 00:00:00:00:00:00 dev vxlan5000 dst 10.0.0.3 self permanent",
            "ip link add acc5000 type veth peer name h5000",
            "ip link set acc5000 master br5000",
            "ip link add br6000 type bridge",
            "ip link add vxlan6000 type vxlan id 6000 local 10.0.0.1 dstport 4789 nolearning",
            "ip link set vxlan6000 master br6000",
            "ip link set br5000 up",
            "ip link set br6000 up",
            "ip link set acc5000 up",
            "ip link set h5000 up",
            "ip link set vxlan5000 up",
            "ip link set vxlan6000 up",
        ],
    );
}

#[test]
fn flood_and_learn_devices_keep_their_vteps_then_move_to_evpn_and_roll_back() {
    let ns = quiet_ns("mgfl");
    legacy_host(&ns);
    // The live inventory as the planner reads it.
    let inv: Value =
        serde_json::from_str(&ctl_ok(&ns, &["migrate", "inventory"])).expect("inventory JSON");
    let vx = inv["links"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["name"] == "vxlan5000"))
        .cloned()
        .expect("vxlan5000 in the inventory");
    assert_eq!(vx["vni"], 5000);
    assert_eq!(vx["learning"], true);
    assert_eq!(vx["master"], "br5000");
    assert_eq!(vx["flood"], serde_json::json!(["10.0.0.2", "10.0.0.3"]));

    // One legacy VTEP speaks EVPN: the other stays static, learning stays on.
    let p = ctl_json(
        &ns,
        &[
            "migrate",
            "plan",
            "--vtep-ip",
            "10.0.0.1",
            "--evpn-vtep",
            "10.0.0.2",
        ],
        "plan JSON",
    );
    let m5000 = p["mappings"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["vni"] == 5000))
        .cloned()
        .expect("VNI 5000 mapped");
    assert_eq!(m5000["static_vteps"], serde_json::json!(["10.0.0.3"]));
    assert_eq!(m5000["from"], "flood_and_learn");
    let cmds: Vec<&str> = p["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["command"].as_str())
        .collect();
    assert_eq!(
        cmds,
        ["bridge link set dev vxlan6000 neigh_suppress on learning off"],
        "vxlan5000 keeps learning while a static VTEP remains"
    );

    // Both speak EVPN: learning off on vxlan5000 too.
    let both = [
        "--vtep-ip",
        "10.0.0.1",
        "--evpn-vtep",
        "10.0.0.2",
        "--evpn-vtep",
        "10.0.0.3",
    ];
    let plan = save(&ns, "plan.json", &self::plan(&ns, true, &both));
    let human = self::plan(&ns, false, &both);
    assert!(
        human.contains("ip link set vxlan5000 type vxlan nolearning"),
        "{human}"
    );
    assert!(
        human.contains("undo: ip link set vxlan5000 type vxlan learning"),
        "{human}"
    );
    apply_again_and_roll_back(&ns, &plan, |ns| {
        assert_eq!(
            link(ns, "vxlan5000")["linkinfo"]["info_data"]["learning"],
            false
        );
        for dev in ["vxlan5000", "vxlan6000"] {
            let p = port(ns, dev);
            assert_eq!(p["neigh_suppress"], true, "{dev}: {p}");
            assert_eq!(p["learning"], false, "{dev}: {p}");
        }
        assert_eq!(
            flood_dsts(ns, "vxlan5000"),
            ["10.0.0.2", "10.0.0.3"],
            "the flood entries are evpnd's to manage, not the plan's"
        );
    });
    // evpnd on the file proposed while 10.0.0.3 speaks no EVPN: it keeps a
    // static flood entry towards it.
    let toml = p["fabric_toml"].as_str().expect("fabric_toml").replace(
        "# asn = 65000                   # give --asn",
        "asn = 65000",
    );
    let mut ns = ns;
    ns.start_evpnd("evpnd", &toml);
    wait_until(
        "evpnd to list 10.0.0.3 as a static VTEP",
        Duration::from_secs(20),
        || {
            let vni = evpnd_vni(&ns, 5000)?;
            let statics = &vni["static_vteps"];
            let remote = vni["remote_vteps"].as_array().cloned().unwrap_or_default();
            let src = remote
                .iter()
                .find(|r| r["vtep"] == "10.0.0.3")
                .map(|r| r["source"].clone());
            if *statics == serde_json::json!(["10.0.0.3"]) && src == Some(Value::from("static")) {
                Ok(())
            } else {
                Err(format!("{vni}"))
            }
        },
    );
}

/// The inventory of `ns` with `eth0.100` (parent eth0, VLAN 100) as a port
/// of `bridge`: the host kernel has no 802.1Q, and the steps never touch
/// the trunk.
fn with_trunk(ns: &Netns, bridge: &str) -> String {
    let mut inv: Value =
        serde_json::from_str(&ctl_ok(ns, &["migrate", "inventory"])).expect("inventory JSON");
    let links = inv["links"].as_array_mut().expect("links");
    links.push(serde_json::json!({
        "name": "eth0.100", "type": "vlan", "parent": "eth0", "vid": 100, "up": true,
        "master": bridge, "port": {"learning": true, "neigh_suppress": false}
    }));
    save(ns, "inventory.json", &inv.to_string())
}

#[test]
fn a_per_vlan_bridge_gets_its_vxlan_device_and_loses_it_on_rollback() {
    let ns = quiet_ns("mgpv");
    run(
        &ns,
        &[
            "ip link add br100 type bridge",
            "ip link add acc100 type veth peer name h100",
            "ip link set acc100 master br100",
            "ip link set acc100 up",
            "ip link set h100 up",
            "ip link set br100 up",
            "ip addr add 192.168.100.254/24 dev br100",
        ],
    );
    let inv = with_trunk(&ns, "br100");
    let text = plan(
        &ns,
        true,
        &["--from", &inv, "--vtep-ip", "10.0.0.1", "--asn", "65000"],
    );
    let p: Value = serde_json::from_str(&text).expect("plan JSON");
    assert_eq!(p["mappings"][0]["vlan"], 100);
    assert_eq!(p["mappings"][0]["vni"], 10100);
    assert!(
        p["fabric_toml"]
            .as_str()
            .is_some_and(|t| t.contains("vni = 10100")),
        "{p}"
    );
    let saved = save(&ns, "plan.json", &text);
    apply_again_and_roll_back(&ns, &saved, |ns| {
        let l = link(ns, "vxlan10100");
        let x = &l["linkinfo"]["info_data"];
        assert_eq!(x["id"], 10100, "{l}");
        assert_eq!(x["local"], "10.0.0.1", "{l}");
        assert_eq!(x["port"], 4789, "{l}");
        assert_eq!(x["learning"], false, "{l}");
        assert_eq!(l["master"], "br100", "{l}");
        assert!(
            l["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "UP")),
            "{l}"
        );
        let p = port(ns, "vxlan10100");
        assert_eq!(p["neigh_suppress"], true, "{p}");
        assert_eq!(p["learning"], false, "{p}");
    });
    // Applied for real, evpnd on the proposed fabric.toml serves the VNI
    // on the device the plan made.
    let journal = ns.dir.join("j2.json");
    ctl_ok(
        &ns,
        &[
            "migrate",
            "apply",
            &saved,
            "--journal",
            journal.to_str().expect("utf-8"),
        ],
    );
    let mut ns = ns;
    ns.start_evpnd("evpnd", p["fabric_toml"].as_str().expect("fabric_toml"));
    wait_until("evpnd to serve VNI 10100", Duration::from_secs(20), || {
        let vni = evpnd_vni(&ns, 10100)?;
        if vni["vxlan_device"] == "vxlan10100" && vni["bridge"] == "br100" {
            Ok(())
        } else {
            Err(format!("{vni}"))
        }
    });
}

#[test]
fn a_failed_step_stops_apply_and_the_journal_undoes_what_was_made() {
    let ns = quiet_ns("mgfail");
    run(&ns, &["ip link add acc100 type veth peer name h100"]);
    let before = settled(&ns);
    // The inventory claims a bridge the kernel does not have: step 2
    // (enslaving to it) fails after step 1 made the device.
    let inv = save(
        &ns,
        "inventory.json",
        r#"{"links": [
            {"name": "br100", "type": "bridge", "up": true},
            {"name": "eth0.100", "type": "vlan", "parent": "eth0", "vid": 100, "master": "br100",
             "port": {"learning": true, "neigh_suppress": false}}]}"#,
    );
    let plan = save(
        &ns,
        "plan.json",
        &plan(&ns, true, &["--from", &inv, "--vtep-ip", "10.0.0.1"]),
    );
    let journal = ns.dir.join("journal.json");
    let journal = journal.to_str().expect("utf-8");
    let (code, out, _) = ctl(&ns, &["migrate", "apply", &plan, "--journal", journal]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("stopped: step 2 (ip link set vxlan10100 master br100) failed"),
        "{out}"
    );
    assert!(out.contains("holds the 1 step(s) made so far"), "{out}");
    let j = journal_json(journal);
    assert_eq!(j["entries"][0]["step"], 1, "{j}");
    ctl_ok(&ns, &["migrate", "rollback", "--journal", journal]);
    assert_restored(&ns, &before);
}

#[test]
fn refusals_exit_non_zero_and_apply_refuses_the_plan() {
    let ns = quiet_ns("mgref");
    let inv = save(
        &ns,
        "inventory.json",
        r#"{"links": [
            {"name": "br100", "type": "bridge"},
            {"name": "eth0.100", "type": "vlan", "parent": "eth0", "vid": 100, "master": "br100",
             "port": {"learning": true, "neigh_suppress": false}},
            {"name": "br100b", "type": "bridge"},
            {"name": "eth1.100", "type": "vlan", "parent": "eth1", "vid": 100, "master": "br100b",
             "port": {"learning": true, "neigh_suppress": false}}]}"#,
    );
    let (code, out, _) = ctl(
        &ns,
        &["migrate", "plan", "--from", &inv, "--vtep-ip", "10.0.0.1"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Refused"), "{out}");
    assert!(
        out.contains("VLAN 100 is in bridges [\"br100\", \"br100b\"]"),
        "{out}"
    );
    let (code, _, err) = ctl(
        &ns,
        &[
            "migrate",
            "apply",
            "--from",
            &inv,
            "--vtep-ip",
            "10.0.0.1",
            "--journal",
            "/dev/null/x",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("nothing applied"), "{err}");
}

#[test]
fn a_multicast_device_is_recreated_for_ingress_replication_and_back() {
    let ns = quiet_ns("mgmc");
    run(
        &ns,
        &[
            "ip link add u0 type veth peer name u1",
            "ip addr add 10.0.0.1/24 dev u0",
            "ip link set u0 up",
            "ip link set u1 up",
            "ip link add br300 type bridge",
            "ip link add vxlan300 type vxlan id 300 local 10.0.0.1 group 239.1.1.1 dev u0 dstport 4789",
            "ip link set vxlan300 master br300",
            "ip link add acc300 type veth peer name h300",
            "ip link set acc300 master br300",
            "ip link set acc300 up",
            "ip link set h300 up",
            "ip link set vxlan300 up",
            "ip link set br300 up",
        ],
    );
    // --flood keep: nothing to do in the kernel, the group stays.
    let keep = ctl_json(&ns, &["migrate", "plan", "--flood", "keep"], "plan JSON");
    assert_eq!(keep["steps"].as_array().map(Vec::len), Some(0), "{keep}");
    assert_eq!(keep["mappings"][0]["flood_group"], "239.1.1.1", "{keep}");
    // Ingress replication: the device is re-created without the group.
    let human = plan(&ns, false, &[]);
    assert!(
        human.contains("ip link del vxlan300 [disruptive]"),
        "{human}"
    );
    let text = plan(&ns, true, &[]);
    let plan = save(&ns, "plan.json", &text);
    let mac = link(&ns, "vxlan300")["address"].clone();
    apply_again_and_roll_back(&ns, &plan, |ns| {
        let l = link(ns, "vxlan300");
        let x = &l["linkinfo"]["info_data"];
        assert!(x.get("group").is_none(), "{l}");
        assert_eq!(x["learning"], false, "{l}");
        assert_eq!(x["id"], 300, "{l}");
        assert_eq!(l["master"], "br300", "{l}");
        assert_eq!(l["address"], mac, "the re-created device keeps its MAC");
        assert_eq!(port(ns, "vxlan300")["neigh_suppress"], true);
    });
    let x = &link(&ns, "vxlan300")["linkinfo"]["info_data"];
    assert_eq!(
        x["group"], "239.1.1.1",
        "rollback brings the group back: {x}"
    );
}

/// A VLAN-aware `br0`, or a failure saying this kernel has none.
fn vlan_kernel(ns: &Netns) {
    let made = ns.exec(&[
        "ip",
        "link",
        "add",
        "probe0",
        "type",
        "bridge",
        "vlan_filtering",
        "1",
    ]);
    let shown = ns
        .exec(&["ip", "-d", "link", "show", "probe0"])
        .unwrap_or_default();
    assert!(
        made.is_ok() && shown.contains("vlan_filtering 1"),
        "this kernel has no bridge VLAN filtering ({made:?}): run it in the VM stage (interop/vm/README.md)"
    );
    run(ns, &["ip link del probe0"]);
}

/// A quiet namespace on a kernel with VLANs ([`vlan_kernel`]), `cmds` run
/// in it.
fn vlan_ns(tag: &str, cmds: &[&str]) -> Netns {
    let ns = quiet_ns(tag);
    vlan_kernel(&ns);
    run(&ns, cmds);
    ns
}

#[test]
#[ignore = "needs 802.1Q: VM stage (interop/vm/tests.txt)"]
fn vm_a_vlan_sub_interface_bridge_becomes_a_layer_2_gateway() {
    let ns = vlan_ns(
        "mgsub",
        &[
            "ip link add eth0 type veth peer name peer0",
            "ip link add link eth0 name eth0.100 type vlan id 100",
            "ip link add br100 type bridge",
            "ip link set eth0.100 master br100",
            "ip link add acc100 type veth peer name h100",
            "ip link set acc100 master br100",
            "ip link set eth0 up",
            "ip link set peer0 up",
            "ip link set eth0.100 up",
            "ip link set acc100 up",
            "ip link set br100 up",
        ],
    );
    let p = ctl_json(
        &ns,
        &["migrate", "plan", "--vtep-ip", "10.0.0.1"],
        "plan JSON",
    );
    assert_eq!(p["mappings"][0]["vlan"], 100, "{p}");
    assert_eq!(p["mappings"][0]["vni"], 10100, "{p}");
    let plan = save(&ns, "plan.json", &p.to_string());
    apply_again_and_roll_back(&ns, &plan, |ns| {
        assert_eq!(link(ns, "vxlan10100")["master"], "br100");
        assert_eq!(link(ns, "eth0.100")["master"], "br100", "the trunk stays");
        assert_eq!(port(ns, "vxlan10100")["neigh_suppress"], true);
    });
}

#[test]
#[ignore = "needs bridge VLAN filtering: VM stage (interop/vm/tests.txt)"]
fn vm_a_vlan_aware_bridge_gets_one_device_per_vlan() {
    let ns = vlan_ns(
        "mgvaw",
        &[
            "ip link add br0 type bridge vlan_filtering 1",
            "ip link add acc1 type veth peer name h1",
            "ip link add acc2 type veth peer name h2",
            "ip link add trunk type veth peer name far",
            "ip link set acc1 master br0",
            "ip link set acc2 master br0",
            "ip link set trunk master br0",
            "bridge vlan del dev acc1 vid 1",
            "bridge vlan add dev acc1 vid 10 pvid untagged",
            "bridge vlan del dev acc2 vid 1",
            "bridge vlan add dev acc2 vid 20 pvid untagged",
            "bridge vlan add dev trunk vid 10",
            "bridge vlan add dev trunk vid 20",
            "ip link set acc1 up",
            "ip link set acc2 up",
            "ip link set trunk up",
            "ip link set br0 up",
        ],
    );
    let p = ctl_json(
        &ns,
        &["migrate", "plan", "--vtep-ip", "10.0.0.1"],
        "plan JSON",
    );
    let vnis: Vec<&Value> = p["mappings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| &m["vni"])
        .collect();
    assert_eq!(vnis, [10010, 10020], "{p}");
    let plan = save(&ns, "plan.json", &p.to_string());
    apply_again_and_roll_back(&ns, &plan, |ns| {
        let v = json(ns, &["bridge", "-j", "vlan", "show", "dev", "vxlan10020"]);
        let vlans = &v[0]["vlans"];
        assert_eq!(vlans.as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(vlans[0]["vlan"], 20, "{v}");
        let flags = vlans[0]["flags"].as_array().cloned().unwrap_or_default();
        assert!(
            flags.iter().any(|f| f == "PVID") && flags.iter().any(|f| f == "Egress Untagged"),
            "{v}"
        );
        assert_eq!(link(ns, "vxlan10010")["master"], "br0");
    });
}
