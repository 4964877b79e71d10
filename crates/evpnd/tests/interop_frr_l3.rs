//! L3 interop on the host kernel, default table (issue 11): an FRR 8.4 leaf
//! whose zebra maps the L3VNI 1000 to the default VRF (global `vni 1000`,
//! `advertise ipv4 unicast`, `network 10.202.2.0/24`) and an evpnd leaf with
//! `[[evpn.vrf]] table = "main"`, l3vni 1000, redistributing its static
//! route to 10.201.2.0/24. Each leaf installs the other's type-5 prefix `via
//! VTEP dev br1000 onlink` with the Router's MAC neighbour (NOARP,
//! extern_learn) on `br1000` and FDB entry on `vxlan1000`; FRR's own JSON
//! (`show evpn rmac vni all json`, `show ip route json`) shows evpnd's
//! Router's MAC and prefix; hosts behind the two prefixes ping each other.
//!
//! What FRR 8.4 does here was checked with GoBGP in evpnd's place
//! (interop/frr-l3/README.md).

mod lab;

use std::time::Duration;

use lab::l3::{
    evpn_route, next_hops, rmac_fdb, rmac_neigh, route, router_mac, router_sysctls, run, vni_bridge,
};
use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(45);
const L3VNI: u32 = 1000;

const EVPND: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"
hold_time = 9
connect_retry = 1

[[neighbor]]
address = "10.0.12.2"
remote_asn = 65000

[[evpn.vrf]]
name = "default"
l3vni = 1000
table = "main"
redistribute = ["static"]
redistribute_prefixes = ["10.201.0.0/16"]
"#;

const FRR: &str = "frr defaults datacenter
hostname frrleaf
log stdout
router bgp 65000
 bgp router-id 10.0.0.2
 no bgp default ipv4-unicast
 neighbor 10.0.12.1 remote-as 65000
 address-family ipv4 unicast
  network 10.202.2.0/24
 exit-address-family
 address-family l2vpn evpn
  neighbor 10.0.12.1 activate
  advertise-all-vni
  advertise ipv4 unicast
 exit-address-family
";

/// Leaf `i` (VTEP 10.0.0.`i`, L3VNI 1000 in `br1000` with Router's MAC
/// `router_mac(i)`) and its host: `10.20i.2.1/24` on the host's `lo`
/// behind `ext` (10.20i.1.0/30), routed in the leaf's main table.
fn leaf(l: &Netns, h: &Netns, i: u8, proto: &str) {
    router_sysctls(l);
    l.add_lo_addr(&format!("10.0.0.{i}/32"));
    vni_bridge(l, L3VNI, &format!("10.0.0.{i}"), &router_mac(i));
    link(
        l,
        "ext",
        &format!("10.20{i}.1.1/30"),
        h,
        "eth0",
        &format!("10.20{i}.1.2/30"),
    );
    h.add_lo_addr(&format!("10.20{i}.2.1/24"));
    run(h, &[&format!("ip route add default via 10.20{i}.1.1")]);
    run(
        l,
        &[&format!(
            "ip route add 10.20{i}.2.0/24 via 10.20{i}.1.2 proto {proto}"
        )],
    );
}

#[test]
fn evpnd_and_frr_exchange_type5_in_the_default_vrf() {
    let mut el = Netns::new("f3e");
    let mut fl = Netns::new("f3f");
    let he = Netns::new("f3he");
    let hf = Netns::new("f3hf");
    link(&el, "u0", "10.0.12.1/30", &fl, "u0", "10.0.12.2/30");
    leaf(&el, &he, 1, "static");
    leaf(&fl, &hf, 2, "boot");
    run(&el, &["ip route add 10.0.0.2/32 via 10.0.12.2"]);
    run(&fl, &["ip route add 10.0.0.1/32 via 10.0.12.1"]);
    fl.start_frr(FRR, "10.0.12.2");
    // zebra's global `vni 1000`: the L3VNI of the default VRF.
    wait_until("zebra takes `vni 1000`", T, || {
        lab::sh(&[
            "vtysh",
            "-N",
            &fl.name,
            "-c",
            "configure terminal",
            "-c",
            "vni 1000",
        ])?;
        let v = fl.vtysh_json("show evpn vni 1000 json")?;
        (v["type"] == "L3" && v["vrf"] == "default" && v["sviIntf"] == "br1000")
            .then_some(())
            .ok_or(v.to_string())
    });
    el.start_evpnd("evpnd", EVPND);
    let log = || {
        format!(
            "\n--- evpnd ---\n{}\n--- bgpd ---\n{}",
            el.log("evpnd"),
            fl.log("bgpd")
        )
    };

    // evpnd installs FRR's prefix in main, with FRR's Router's MAC entries.
    wait_until("FRR's type 5 in evpnd's main table", T, || {
        evpn_route(&el, "main", "10.202.2.0/24", &["10.0.0.2"], "br1000")
            .map_err(|e| format!("{e}{}", log()))
    });
    rmac_neigh(&el, "br1000", "10.0.0.2", &router_mac(2)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(&el, "vxlan1000", &router_mac(2), "10.0.0.2").unwrap_or_else(|e| panic!("{e}"));

    // FRR installs evpnd's, the same way.
    wait_until("evpnd's type 5 in FRR's kernel", T, || {
        let r = route(&fl, "main", "10.201.2.0/24").ok_or_else(|| format!("not there{}", log()))?;
        (next_hops(&r) == [("10.0.0.1".to_string(), "br1000".to_string(), true)])
            .then_some(())
            .ok_or(r.to_string())
    });
    rmac_neigh(&fl, "br1000", "10.0.0.1", &router_mac(1)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(&fl, "vxlan1000", &router_mac(1), "10.0.0.1").unwrap_or_else(|e| panic!("{e}"));
    // FRR's own view: {"1000": {"numRmacs": 1, MAC: {"routerMac", "vtepIp"}}}.
    let rmacs = fl
        .vtysh_json("show evpn rmac vni all json")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rmacs["1000"][router_mac(1).as_str()]["vtepIp"],
        "10.0.0.1",
        "FRR's Router's MACs: {rmacs}"
    );
    let rib = fl
        .vtysh_json("show ip route json")
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &rib["10.201.2.0/24"][0];
    assert_eq!(r["protocol"], "bgp", "FRR's RIB: {r}");
    assert_eq!(r["installed"], true, "FRR's RIB: {r}");
    assert_eq!(r["nexthops"][0]["ip"], "10.0.0.1", "{r}");
    assert_eq!(r["nexthops"][0]["interfaceName"], "br1000", "{r}");
    assert_eq!(r["nexthops"][0]["onLink"], true, "{r}");

    // The two prefixes reach each other over the L3VNI.
    wait_until("10.201.2.1 ⇄ 10.202.2.1", T, || {
        he.exec(&[
            "ping",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "1",
            "-I",
            "10.201.2.1",
            "10.202.2.1",
        ])?;
        hf.exec(&[
            "ping",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "1",
            "-I",
            "10.202.2.1",
            "10.201.2.1",
        ])
    });
}
