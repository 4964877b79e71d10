//! L3 tenant plumbing for the symmetric-IRB tests (issue 11): a leaf with
//! the anycast gateway on two L2VNIs (VNI 100 `br100` 192.168.100.1/24, VNI
//! 200 `br200` 192.168.200.1/24, the same SVI MAC and IP on every leaf), an
//! L3VNI (`vxlan<l3vni>` in `br<l3vni>`, the L3 SVI, whose MAC is the
//! leaf's Router's MAC), hosts behind access ports, and readers of the kernel
//! state evpnd must program (`ip -j route/neigh/rule/nexthop`, `bridge -j
//! fdb`). Table mode on any kernel; VRF mode (`vrf_device`) where the kernel
//! has VRF devices (the VM stage).

use std::path::PathBuf;

use serde_json::Value;

use super::{Netns, sh};

/// The tenant of every L3 test.
pub const VRF: &str = "t1";
/// Its L3VNI in the two-evpnd fabric and the VM stage.
pub const L3VNI: u32 = 4000;
/// Its routing table in table mode.
pub const TABLE: u32 = 1000;
/// evpnd's route protocol (crates/linux PROTOCOL): routes, nexthops, rules.
pub const PROTO: u64 = 245;
/// The anycast gateway's MAC on the VNI 100 / VNI 200 SVIs of every leaf.
pub const GW_MAC_100: &str = "02:00:5e:00:01:64";
pub const GW_MAC_200: &str = "02:00:5e:00:01:c8";

/// Leaf `i`'s Router's MAC (its L3 SVI's MAC).
pub fn router_mac(i: u8) -> String {
    format!("02:00:00:40:00:{i:02x}")
}

/// Runs each whitespace-separated command line in `ns`, panicking with the error.
pub fn run(ns: &Netns, cmds: &[&str]) {
    for cmd in cmds {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        ns.exec(&args)
            .unwrap_or_else(|e| panic!("{}: {e}", ns.name));
    }
}

/// Routing on, reverse-path filtering off, bridged frames kept out of
/// iptables (lab-notes: a new namespace starts from kernel defaults).
pub fn router_sysctls(ns: &Netns) {
    for s in [
        "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
    ] {
        ns.exec(&["sysctl", "-qw", s])
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for k in ["iptables", "ip6tables", "arptables"] {
        // br_netfilter may be absent (then nothing is filtered anyway).
        let _ = ns.exec(&["sysctl", "-qw", &format!("net.bridge.bridge-nf-call-{k}=0")]);
    }
}

/// A VXLAN device `vxlan<vni>` (local `vtep`, nolearning) in a new bridge
/// `br<vni>` with MAC `mac`, learning off and ARP/ND suppression on its port,
/// all up.
pub fn vni_bridge(leaf: &Netns, vni: u32, vtep: &str, mac: &str) {
    let (br, vx) = (format!("br{vni}"), format!("vxlan{vni}"));
    run(
        leaf,
        &[
            &format!("ip link add {br} type bridge"),
            &format!("ip link set {br} address {mac}"),
            &format!("ip link add {vx} type vxlan id {vni} local {vtep} dstport 4789 nolearning"),
            &format!("ip link set {vx} master {br}"),
            &format!("bridge link set dev {vx} neigh_suppress on learning off"),
            &format!("ip link set {vx} up"),
            &format!("ip link set {br} up"),
        ],
    );
}

/// Host `host` (address `cidr`, MAC `mac`, default gateway `gw`) on a new
/// access port `port` of `bridge` on `leaf`.
pub fn attach_host(
    leaf: &Netns,
    bridge: &str,
    port: &str,
    host: &Netns,
    cidr: &str,
    gw: &str,
    mac: &str,
) {
    sh(&[
        "ip", "link", "add", port, "netns", &leaf.name, "type", "veth", "peer", "name", "eth0",
        "netns", &host.name,
    ])
    .expect("host veth");
    run(
        leaf,
        &[
            &format!("ip link set {port} master {bridge}"),
            &format!("ip link set {port} up"),
        ],
    );
    run(
        host,
        &[
            &format!("ip link set eth0 address {mac}"),
            &format!("ip addr add {cidr} dev eth0"),
            "ip link set eth0 up",
            &format!("ip route add default via {gw}"),
        ],
    );
}

/// The tenant side of leaf `i` (VTEP 10.0.0.`i`, already on `lo` or added
/// here): VNI 100 and 200 with the anycast gateway, the L3VNI `l3vni` whose
/// bridge has the leaf's Router's MAC. With `vrf` (VRF mode) the VRF device
/// `vrf` (table [`TABLE`]) is created and the SVIs are enslaved to it.
pub fn tenant_leaf(leaf: &Netns, i: u8, l3vni: u32, vrf: Option<&str>) {
    router_sysctls(leaf);
    let vtep = format!("10.0.0.{i}");
    if !leaf
        .exec(&["ip", "-o", "addr", "show", "dev", "lo"])
        .unwrap_or_default()
        .contains(&format!("{vtep}/32"))
    {
        leaf.add_lo_addr(&format!("{vtep}/32"));
    }
    vni_bridge(leaf, 100, &vtep, GW_MAC_100);
    vni_bridge(leaf, 200, &vtep, GW_MAC_200);
    vni_bridge(leaf, l3vni, &vtep, &router_mac(i));
    run(
        leaf,
        &[
            "ip addr add 192.168.100.1/24 dev br100",
            "ip addr add 192.168.200.1/24 dev br200",
        ],
    );
    if let Some(vrf) = vrf {
        let made = leaf.exec(&[
            "ip",
            "link",
            "add",
            vrf,
            "type",
            "vrf",
            "table",
            &TABLE.to_string(),
        ]);
        assert!(
            made.is_ok(),
            "this kernel has no VRF devices ({made:?}): VRF mode runs in the VM stage (bash interop/vm/run.sh)"
        );
        run(leaf, &[&format!("ip link set {vrf} up")]);
        for br in [
            "br100".to_string(),
            "br200".to_string(),
            format!("br{l3vni}"),
        ] {
            run(leaf, &[&format!("ip link set {br} master {vrf}")]);
        }
    }
}

/// A leaf's `[bgp]` + one iBGP neighbour + the tenant (`mode` is the
/// `table = …` or `vrf_device = …` line) + VNIs 100 and 200 bound to it.
pub fn leaf_conf(i: u8, neighbor: &str, l3vni: u32, mode: &str, extra_vrf: &str) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.{i}\"\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"{neighbor}\"\nremote_asn = 65000\n\
         [[evpn.vrf]]\nname = \"{VRF}\"\nl3vni = {l3vni}\n{mode}\n{extra_vrf}\n\
         [[evpn.vni]]\nvni = 100\nvrf = \"{VRF}\"\n\
         [[evpn.vni]]\nvni = 200\nvrf = \"{VRF}\"\n"
    )
}

fn json(ns: &Netns, args: &[&str]) -> Vec<Value> {
    let out = ns.exec(args).unwrap_or_else(|e| panic!("{e}"));
    if out.trim().is_empty() {
        return Vec::new();
    }
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {out}", args.join(" ")))
}

/// `ip -j [-6] route show table T` (all protocols).
pub fn routes(ns: &Netns, table: &str, v6: bool) -> Vec<Value> {
    let fam = if v6 { "-6" } else { "-4" };
    json(ns, &["ip", "-j", fam, "route", "show", "table", table])
}

/// The route for exactly `prefix` (as `ip` prints it: host routes without
/// `/32`/`/128`) in `table`.
pub fn route(ns: &Netns, table: &str, prefix: &str) -> Option<Value> {
    let v6 = prefix.contains(':');
    let dst = prefix
        .strip_suffix(if v6 { "/128" } else { "/32" })
        .unwrap_or(prefix);
    routes(ns, table, v6).into_iter().find(|r| r["dst"] == dst)
}

/// A route's next hops as (gateway, dev, onlink): the single `gateway` or
/// the `nexthops` of a multipath (group) route, sorted by gateway.
pub fn next_hops(r: &Value) -> Vec<(String, String, bool)> {
    let onlink = |x: &Value| {
        x["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "onlink"))
    };
    let one = |x: &Value| {
        (
            x["gateway"].as_str().unwrap_or("").to_string(),
            x["dev"].as_str().unwrap_or("").to_string(),
            onlink(x),
        )
    };
    let mut v: Vec<_> = match r["nexthops"].as_array() {
        Some(hops) => hops.iter().map(one).collect(),
        None => vec![one(r)],
    };
    v.sort();
    v
}

/// `Ok` when `prefix` is in `table` with protocol 245, through a nexthop
/// object (`nhid`), via exactly `vteps` (as gateways) `onlink` on `svi`.
pub fn evpn_route(
    ns: &Netns,
    table: &str,
    prefix: &str,
    vteps: &[&str],
    svi: &str,
) -> Result<Value, String> {
    let r = route(ns, table, prefix).ok_or_else(|| {
        format!(
            "no {prefix} in table {table}: {:?}",
            routes(ns, table, prefix.contains(':'))
        )
    })?;
    let mut want: Vec<_> = vteps
        .iter()
        .map(|v| (v.to_string(), svi.to_string(), true))
        .collect();
    want.sort();
    if is_ours(&r["protocol"]) && r["nhid"].is_u64() && next_hops(&r) == want {
        Ok(r)
    } else {
        Err(format!(
            "{prefix} in table {table} is {r}, want proto {PROTO}, nhid, via {want:?}"
        ))
    }
}

/// Whether an `ip -j` `protocol` field is evpnd's: 245, or its name when
/// /etc/iproute2/rt_protos names it (the Debian package adds `evpnd`).
pub fn is_ours(p: &Value) -> bool {
    *p == PROTO || *p == PROTO.to_string().as_str() || *p == "evpnd"
}

/// The nexthop object `id` (`ip -j nexthop show id N`).
pub fn nexthop(ns: &Netns, id: u64) -> Option<Value> {
    ns.exec(&["ip", "-j", "nexthop", "show", "id", &id.to_string()])
        .ok()
        .and_then(|o| serde_json::from_str::<Vec<Value>>(&o).ok())
        .and_then(|v| v.into_iter().next())
}

/// How many members the nexthop object of `prefix` in `table` has (1 for
/// a plain nexthop, the group's size for a group).
pub fn group_size(ns: &Netns, table: &str, prefix: &str) -> Result<usize, String> {
    let r = route(ns, table, prefix).ok_or(format!("no {prefix}"))?;
    let id = r["nhid"]
        .as_u64()
        .ok_or(format!("{prefix} has no nhid: {r}"))?;
    let nh = nexthop(ns, id).ok_or(format!("nexthop {id} missing"))?;
    Ok(nh["group"].as_array().map_or(1, Vec::len))
}

/// `Ok` when the L3 SVI `svi` has the neighbour `ip` → `mac`, NOARP and
/// extern_learn (the VTEP → Router's MAC entry).
pub fn rmac_neigh(ns: &Netns, svi: &str, ip: &str, mac: &str) -> Result<(), String> {
    let fam = if ip.contains(':') { "-6" } else { "-4" };
    let v = json(ns, &["ip", "-j", fam, "neigh", "show", "dev", svi]);
    let ok = v.iter().any(|n| {
        n["dst"] == ip
            && n["lladdr"] == mac
            && n.get("extern_learn").is_some()
            && n["state"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s == "NOARP"))
    });
    ok.then_some(())
        .ok_or_else(|| format!("no {ip} → {mac} NOARP extern_learn on {svi}: {v:?}"))
}

/// `Ok` when the L3VNI's VXLAN device `vxlan` has `mac` → dst `vtep`
/// (`self`, extern_learn): the Router's MAC entry.
pub fn rmac_fdb(ns: &Netns, vxlan: &str, mac: &str, vtep: &str) -> Result<(), String> {
    let v = json(ns, &["bridge", "-j", "fdb", "show", "dev", vxlan]);
    let flag = |e: &Value, f: &str| {
        e["flags"]
            .as_array()
            .is_some_and(|x| x.iter().any(|x| x == f))
    };
    let ok = v
        .iter()
        .any(|e| e["mac"] == mac && e["dst"] == vtep && flag(e, "self") && flag(e, "extern_learn"));
    ok.then_some(())
        .ok_or_else(|| format!("no {mac} → dst {vtep} self extern_learn on {vxlan}: {v:?}"))
}

/// Whether any neighbour on `svi` or FDB entry on `vxlan` still names `mac`.
pub fn rmac_left(ns: &Netns, svi: &str, vxlan: &str, mac: &str) -> bool {
    let n = json(ns, &["ip", "-j", "neigh", "show", "dev", svi]);
    let f = json(ns, &["bridge", "-j", "fdb", "show", "dev", vxlan]);
    n.iter()
        .chain(f.iter())
        .any(|e| e["lladdr"] == mac || e["mac"] == mac)
}

/// `ip -j rule show`: (iif, table, priority, evpnd's) of every rule with an iif.
pub fn iif_rules(ns: &Netns) -> Vec<(String, String, u64, bool)> {
    json(ns, &["ip", "-j", "rule", "show"])
        .iter()
        .filter_map(|r| {
            Some((
                r["iif"].as_str()?.to_string(),
                r["table"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| r["table"].to_string()),
                r["priority"].as_u64().unwrap_or(0),
                is_ours(&r["protocol"]),
            ))
        })
        .collect()
}

/// Three pings 200 ms apart, 1 s wait each.
pub fn ping(from: &Netns, to: &str) -> Result<String, String> {
    let six = if to.contains(':') { "-6" } else { "-4" };
    from.exec(&["ping", six, "-c", "3", "-i", "0.2", "-W", "1", to])
}

/// The `evpnctl` built beside evpnd (`cargo build -p evpnctl`; `cargo test
/// --workspace` builds it), or a failure that says so.
pub fn evpnctl_path() -> PathBuf {
    let p = std::path::Path::new(env!("CARGO_BIN_EXE_evpnd")).with_file_name("evpnctl");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p evpnctl` (cargo test --workspace does)",
        p.display()
    );
    p
}

/// `evpnctl --socket SOCK --json ARGS…` as JSON.
pub fn evpnctl_json(ns: &Netns, label: &str, args: &[&str]) -> Result<Value, String> {
    let ctl = evpnctl_path();
    let sock = ns.api_socket(label);
    let mut v = vec![
        ctl.to_str().expect("utf-8 path"),
        "--socket",
        sock.to_str().expect("utf-8 path"),
        "--json",
    ];
    v.extend_from_slice(args);
    let out = sh(&v)?;
    serde_json::from_str(&out).map_err(|e| format!("evpnctl {args:?}: not JSON ({e}): {out}"))
}

/// Host 1 (VNI 100 behind leaf 1), host 2 (VNI 200 behind leaf 2).
pub const H1: &str = "192.168.100.10";
pub const H2: &str = "192.168.200.20";
/// The external prefix behind leaf 1 (host 3's loopback) and host 3's link.
pub const EXT_PREFIX: &str = "10.201.2.0/24";
pub const EXT_HOST: &str = "10.201.2.1";

/// The reflector's config: leaves 1 and 2 and the GoBGP speaker as clients.
pub const RR_CONF: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.254\"\n\
    [[neighbor]]\naddress = \"10.0.1.1\"\nremote_asn = 65000\nroute_reflector_client = true\n\
    [[neighbor]]\naddress = \"10.0.2.1\"\nremote_asn = 65000\nroute_reflector_client = true\n\
    [[neighbor]]\naddress = \"10.0.3.1\"\nremote_asn = 65000\nroute_reflector_client = true\n\
    [evpn]\nlearn_from_kernel = false\n";

/// The table-mode fabric of `kernel_l3` and `l3_restart`: an evpnd
/// reflector, two evpnd leaves (VTEPs 10.0.0.1/.2, underlay 10.0.`i`.0/30
/// to the reflector, static routes), a GoBGP speaker behind the reflector
/// (10.0.3.1, "VTEPs" 10.0.0.3 and 10.0.0.4 on its `lo`), host 1 on leaf 1's
/// br100, host 2 on leaf 2's br200, host 3 behind leaf 1's `ext` port with
/// [`EXT_HOST`] (leaf 1: `EXT_PREFIX via 10.201.1.2 proto static` in table
/// [`TABLE`] and the operator's `ip rule iif ext lookup TABLE`).
pub struct L3Fabric {
    pub rr: Netns,
    pub leaves: Vec<Netns>,
    pub hosts: Vec<Netns>,
    pub gobgp: Netns,
}

/// Leaf `i`'s config in the table-mode fabric (both redistribute static
/// routes of the tenant table).
pub fn table_leaf_conf(i: u8) -> String {
    leaf_conf(
        i,
        &format!("10.0.{i}.2"),
        L3VNI,
        &format!("table = {TABLE}"),
        "redistribute = [\"static\"]",
    )
}

/// The fabric with evpnd on the reflector and the leaves and gobgpd started.
pub fn l3_fabric(tag: &str) -> L3Fabric {
    let mut f = l3_topology(tag);
    f.rr.start_evpnd("evpnd", RR_CONF);
    for (i, l) in f.leaves.iter_mut().enumerate() {
        l.start_evpnd("evpnd", &table_leaf_conf(i as u8 + 1));
    }
    f.gobgp
        .start_gobgp(&super::gobgp_conf(65000, "10.0.0.3", "10.0.3.2"));
    f
}

/// The namespaces, links, devices, hosts and the operator's route and rule
/// of [`l3_fabric`], no daemon started.
pub fn l3_topology(tag: &str) -> L3Fabric {
    let rr = Netns::new(&format!("{tag}r"));
    router_sysctls(&rr);
    let mut leaves = Vec::new();
    for i in 1..=2u8 {
        let l = Netns::new(&format!("{tag}l{i}"));
        super::link(
            &l,
            "u0",
            &format!("10.0.{i}.1/30"),
            &rr,
            &format!("d{i}"),
            &format!("10.0.{i}.2/30"),
        );
        run(
            &rr,
            &[&format!("ip route add 10.0.0.{i}/32 via 10.0.{i}.1")],
        );
        tenant_leaf(&l, i, L3VNI, None);
        run(&l, &[&format!("ip route add 10.0.0.0/24 via 10.0.{i}.2")]);
        leaves.push(l);
    }
    let gobgp = Netns::new(&format!("{tag}g"));
    super::link(&gobgp, "u0", "10.0.3.1/30", &rr, "d3", "10.0.3.2/30");
    gobgp.add_lo_addr("10.0.0.3/32");
    gobgp.add_lo_addr("10.0.0.4/32");
    run(&gobgp, &["ip route add 10.0.0.0/24 via 10.0.3.2"]);
    run(
        &rr,
        &[
            "ip route add 10.0.0.3/32 via 10.0.3.1",
            "ip route add 10.0.0.4/32 via 10.0.3.1",
        ],
    );

    let h1 = Netns::new(&format!("{tag}h1"));
    let h2 = Netns::new(&format!("{tag}h2"));
    let h3 = Netns::new(&format!("{tag}h3"));
    attach_host(
        &leaves[0],
        "br100",
        "acc1",
        &h1,
        &format!("{H1}/24"),
        "192.168.100.1",
        "02:00:00:00:01:10",
    );
    attach_host(
        &leaves[1],
        "br200",
        "acc2",
        &h2,
        &format!("{H2}/24"),
        "192.168.200.1",
        "02:00:00:00:02:20",
    );
    super::link(
        &leaves[0],
        "ext",
        "10.201.1.1/30",
        &h3,
        "eth0",
        "10.201.1.2/30",
    );
    h3.add_lo_addr(&format!("{EXT_HOST}/24"));
    run(&h3, &["ip route add default via 10.201.1.1"]);
    run(
        &leaves[0],
        &[
            &format!(
                "ip route add {EXT_PREFIX} via 10.201.1.2 dev ext onlink table {TABLE} proto static"
            ),
            &format!("ip rule add iif ext lookup {TABLE} pref 900"),
        ],
    );

    L3Fabric {
        rr,
        leaves,
        hosts: vec![h1, h2, h3],
        gobgp,
    }
}

/// Hosts 1 and 2 talk to their gateway, so each leaf has its host as a
/// neighbour on the SVI (what it advertises as MAC+IP with the L3VNI).
pub fn hosts_greet_gateways(f: &L3Fabric) {
    for (h, gw) in [
        (&f.hosts[0], "192.168.100.1"),
        (&f.hosts[1], "192.168.200.1"),
    ] {
        h.exec(&["ping", "-c", "1", "-W", "1", gw])
            .unwrap_or_else(|e| panic!("host → its gateway: {e}"));
    }
}

/// Adds (`add`) or withdraws a type 5 at the GoBGP speaker: `prefix` (v4 or
/// v6) from "VTEP" 10.0.0.`v` (RD 10.0.0.`v`:L3VNI, label L3VNI, RT
/// 65000:L3VNI, Router's MAC [`gobgp_rmac`]`(v)`, gateway IP 0).
pub fn gobgp_type5(g: &Netns, add: bool, prefix: &str, v: u8) {
    let gw = if prefix.contains(':') {
        "::"
    } else {
        "0.0.0.0"
    };
    let rd = format!("10.0.0.{v}:{L3VNI}");
    let label = L3VNI.to_string();
    let mut args = vec![
        "global",
        "rib",
        "-a",
        "evpn",
        if add { "add" } else { "del" },
        "prefix",
        prefix,
        "gw",
        gw,
        "etag",
        "0",
        "label",
        &label,
        "rd",
        &rd,
    ];
    let (rt, mac, nh) = (
        format!("65000:{L3VNI}"),
        gobgp_rmac(v),
        format!("10.0.0.{v}"),
    );
    if add {
        args.extend([
            "rt",
            &rt,
            "encap",
            "vxlan",
            "router-mac",
            &mac,
            "nexthop",
            &nh,
        ]);
    }
    g.gobgp(&args)
        .unwrap_or_else(|e| panic!("gobgp type 5 {prefix} from 10.0.0.{v}: {e}"));
}

/// The Router's MAC of the GoBGP speaker's "VTEP" 10.0.0.`v`.
pub fn gobgp_rmac(v: u8) -> String {
    format!("02:00:00:00:aa:{v:02x}")
}
