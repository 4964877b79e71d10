//! Leaves on VLAN-aware bridges for the VM-stage kernel tests: the
//! single-VXLAN-device layout and per-VNI devices on one VLAN-aware bridge,
//! beside the plain per-VNI layout of [`super::vtep`]. Each leaf has VTEP
//! 10.0.0.`i` and a host 192.168.100.`i` in VLAN 10 / VNI 100.

use serde_json::Value;

use super::{Netns, host_mac, link, vtep};

/// How a leaf's bridge and VXLAN devices are laid out.
#[derive(Debug, Clone, Copy)]
pub enum Leaf {
    /// `br100` + `vxlan100`, no VLANs (runs on any kernel).
    PerVni,
    /// `br0` (vlan_filtering) + one `external` `vxlan0`: VLAN 10 → VNI 100,
    /// VLAN 20 → VNI 200 by tunnel_info; with `vnifilter` the device only
    /// accepts the VNIs listed with `bridge vni add`.
    Svd { vnifilter: bool },
    /// `br0` (vlan_filtering) + `vxlan100` (PVID 10) and `vxlan200` (PVID 20).
    VlanAware,
}

/// Runs the commands `cmds` in `ns` as one script (one `ip netns exec`,
/// which is slow under the VM stage's TCG), stopping at the first failure
/// and panicking with it (`sh -x` shows which command it was).
pub fn run(ns: &Netns, cmds: &[&str]) {
    ns.exec(&["sh", "-exc", &cmds.join("\n")])
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A VLAN-aware `br0`, or a failure saying this kernel has none.
pub fn vlan_bridge(leaf: &Netns) {
    let made = leaf.exec(&[
        "ip",
        "link",
        "add",
        "br0",
        "type",
        "bridge",
        "vlan_filtering",
        "1",
    ]);
    let shown = leaf
        .exec(&["ip", "-d", "link", "show", "br0"])
        .unwrap_or_default();
    assert!(
        made.is_ok() && shown.contains("vlan_filtering 1"),
        "this kernel has no bridge VLAN filtering ({made:?}): needs bridge VLAN filtering: run it in the VM stage (bash interop/vm/run.sh)"
    );
}

/// Host `i` on access port `acc` of `br0` in VLAN 10, the SVI `br0.10`.
fn vlan_host(leaf: &Netns, host: &Netns, i: u8) {
    super::sh(&[
        "ip", "link", "add", "acc", "netns", &leaf.name, "type", "veth", "peer", "name", "eth0",
        "netns", &host.name,
    ])
    .expect("host veth");
    run(
        leaf,
        &[
            "ip link set acc master br0",
            "bridge vlan del dev acc vid 1",
            "bridge vlan add dev acc vid 10 pvid untagged",
            "ip link add link br0 name br0.10 type vlan id 10",
            "ip link set br0 up",
            "ip link set acc up",
            "ip link set br0.10 up",
            &format!("ip addr add 192.168.100.25{i}/24 dev br0.10"),
        ],
    );
    run(
        host,
        &[
            &format!("ip link set eth0 address {}", host_mac(i)),
            &format!("ip addr add 192.168.100.{i}/24 dev eth0"),
            "ip link set eth0 up",
        ],
    );
}

/// Per-VNI devices `vxlan100` (PVID 10) and `vxlan200` (PVID 20) on `br0`.
fn vlan_aware_vtep(leaf: &Netns, host: &Netns, i: u8) {
    run(leaf, &[&format!("ip addr add 10.0.0.{i}/32 dev lo")]);
    vlan_bridge(leaf);
    for (vid, vni) in [(10, 100), (20, 200)] {
        run(
            leaf,
            &[
                &format!(
                    "ip link add vxlan{vni} type vxlan id {vni} dstport 4789 local 10.0.0.{i} nolearning"
                ),
                &format!("ip link set vxlan{vni} master br0"),
                &format!("bridge link set dev vxlan{vni} neigh_suppress on learning off"),
                &format!("bridge vlan del dev vxlan{vni} vid 1"),
                &format!("bridge vlan add dev vxlan{vni} vid {vid} pvid untagged"),
                &format!("bridge vlan add dev br0 vid {vid} self"),
                &format!("ip link set vxlan{vni} up"),
            ],
        );
    }
    vlan_host(leaf, host, i);
}

/// A leaf in the single-device layout ([`Leaf::Svd`]).
fn svd_vtep(leaf: &Netns, host: &Netns, i: u8, vnifilter: bool) {
    run(leaf, &[&format!("ip addr add 10.0.0.{i}/32 dev lo")]);
    vlan_bridge(leaf);
    let filter = if vnifilter { " vnifilter" } else { "" };
    run(
        leaf,
        &[
            &format!(
                "ip link add vxlan0 type vxlan dstport 4789 local 10.0.0.{i} nolearning external{filter}"
            ),
            "ip link set vxlan0 master br0",
            "bridge link set dev vxlan0 vlan_tunnel on neigh_suppress on learning off",
        ],
    );
    for (vid, vni) in [(10, 100), (20, 200)] {
        run(
            leaf,
            &[
                &format!("bridge vlan add dev vxlan0 vid {vid}"),
                &format!("bridge vlan add dev vxlan0 vid {vid} tunnel_info id {vni}"),
                &format!("bridge vlan add dev br0 vid {vid} self"),
            ],
        );
        if vnifilter {
            run(leaf, &[&format!("bridge vni add dev vxlan0 vni {vni}")]);
        }
    }
    run(leaf, &["ip link set vxlan0 up"]);
    vlan_host(leaf, host, i);
}

pub fn leaf_conf(i: u8, peer: u8) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.{i}\"\nhold_time = 9\n\
         [[neighbor]]\naddress = \"10.0.12.{peer}\"\nremote_asn = 65000\n"
    )
}

pub struct Pair {
    pub leaves: Vec<Netns>,
    pub hosts: Vec<Netns>,
}

/// Two leaves on one underlay link (iBGP between them, no reflector), each
/// in the given layout.
pub fn pair(tag: &str, layouts: [Leaf; 2]) -> Pair {
    let l1 = Netns::new(&format!("{tag}l1"));
    let l2 = Netns::new(&format!("{tag}l2"));
    link(&l1, "u0", "10.0.12.1/30", &l2, "u0", "10.0.12.2/30");
    let mut leaves = vec![l1, l2];
    let mut hosts = Vec::new();
    for (k, l) in leaves.iter().enumerate() {
        let i = k as u8 + 1;
        let h = Netns::new(&format!("{tag}h{i}"));
        match layouts[k] {
            Leaf::Svd { vnifilter } => svd_vtep(l, &h, i, vnifilter),
            Leaf::VlanAware => vlan_aware_vtep(l, &h, i),
            Leaf::PerVni => vtep(l, &h, i),
        }
        let other = 3 - i;
        l.exec(&[
            "ip",
            "route",
            "add",
            &format!("10.0.0.{other}/32"),
            "via",
            &format!("10.0.12.{other}"),
        ])
        .expect("underlay route");
        hosts.push(h);
    }
    for (k, l) in leaves.iter_mut().enumerate() {
        let i = k as u8 + 1;
        l.start_evpnd("evpnd", &leaf_conf(i, 3 - i));
    }
    Pair { leaves, hosts }
}

pub fn fdb(ns: &Netns, dev: &str) -> Vec<Value> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", dev])
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&out).unwrap_or_default()
}

pub fn has_flag(e: &Value, flag: &str) -> bool {
    e["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == flag))
}
