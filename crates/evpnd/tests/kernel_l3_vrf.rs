//! L3 EVPN in VRF mode beside FRR (issue 11, VM stage): an evpnd leaf with
//! `[[evpn.vrf]] vrf_device = "vrf-t1"` and an FRR 8.4 leaf (`vrf vrf-t1` /
//! `vni 4000`, `router bgp 65000 vrf vrf-t1` with `advertise ipv4
//! unicast`), both with the anycast gateway on VNI 100 (192.168.100.1/24)
//! and VNI 200 (192.168.200.1/24), the SVIs and the L3 SVI `br4000`
//! enslaved to the VRF device `vrf-t1` (table 1000). evpnd learns the
//! tenant of VNIs 100/200 from their SVIs' VRF master (no `[[evpn.vni]]`).
//! Host 1 (VNI 100, evpnd) and host 2 (VNI 200, FRR) ping each other
//! routed and symmetric; FRR's `show evpn rmac vni all json` and `show ip
//! route vrf vrf-t1 json` show evpnd's Router's MAC and host route, evpnd's
//! kernel has FRR's; a type 5 from each side (a prefix behind each leaf) is
//! installed in the other's VRF table and the prefixes ping.
//!
//! The host kernel has no VRF devices: `#[ignore]`d in the plain `cargo
//! test` run and run in the VM stage (`interop/vm/tests.txt`); on a kernel
//! without VRF it fails saying so, it never skips.

mod lab;

use std::time::Duration;

use lab::l3::{
    H1, H2, attach_host, evpn_route, next_hops, rmac_fdb, rmac_neigh, route, router_mac, run,
    tenant_leaf,
};
use lab::{Netns, link, wait_until};

/// TCG is slow: generous, bounded waits.
const T: Duration = Duration::from_secs(150);
const TBL: &str = "1000";
const VRF_DEV: &str = "vrf-t1";

const EVPND: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"
hold_time = 30
connect_retry = 2

[[neighbor]]
address = "10.0.12.2"
remote_asn = 65000

[[evpn.vrf]]
name = "t1"
l3vni = 4000
vrf_device = "vrf-t1"
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
 address-family l2vpn evpn
  neighbor 10.0.12.1 activate
  advertise-all-vni
 exit-address-family
exit
router bgp 65000 vrf vrf-t1
 bgp router-id 10.0.0.2
 address-family ipv4 unicast
  network 10.202.2.0/24
 exit-address-family
 address-family l2vpn evpn
  advertise ipv4 unicast
 exit-address-family
exit
";

/// A prefix `10.20i.2.0/24` behind leaf `i`: host `hx` with 10.20`i`.2.1
/// on `lo`, on the leaf's port `ext` (in the VRF), a static route in the
/// VRF's table.
fn external(l: &Netns, hx: &Netns, i: u8) {
    link(
        l,
        "ext",
        &format!("10.20{i}.1.1/30"),
        hx,
        "eth0",
        &format!("10.20{i}.1.2/30"),
    );
    hx.add_lo_addr(&format!("10.20{i}.2.1/24"));
    run(hx, &[&format!("ip route add default via 10.20{i}.1.1")]);
    run(
        l,
        &[
            &format!("ip link set ext master {VRF_DEV}"),
            &format!(
                "ip route add 10.20{i}.2.0/24 via 10.20{i}.1.2 dev ext table {TBL} proto static"
            ),
        ],
    );
}

#[test]
#[ignore = "needs VRF devices: runs in the VM stage (interop/vm/tests.txt)"]
fn evpnd_vrf_leaf_and_frr_route_between_subnets_and_exchange_type5() {
    let mut el = Netns::new("v3e");
    let mut fl = Netns::new("v3f");
    let h1 = Netns::new("v3h1");
    let h2 = Netns::new("v3h2");
    let he = Netns::new("v3he");
    let hf = Netns::new("v3hf");
    link(&el, "u0", "10.0.12.1/30", &fl, "u0", "10.0.12.2/30");
    tenant_leaf(&el, 1, 4000, Some(VRF_DEV));
    tenant_leaf(&fl, 2, 4000, Some(VRF_DEV));
    run(&el, &["ip route add 10.0.0.2/32 via 10.0.12.2"]);
    run(&fl, &["ip route add 10.0.0.1/32 via 10.0.12.1"]);
    attach_host(
        &el,
        "br100",
        "acc1",
        &h1,
        &format!("{H1}/24"),
        "192.168.100.1",
        "02:00:00:00:01:10",
    );
    attach_host(
        &fl,
        "br200",
        "acc2",
        &h2,
        &format!("{H2}/24"),
        "192.168.200.1",
        "02:00:00:00:02:20",
    );
    external(&el, &he, 1);
    external(&fl, &hf, 2);

    fl.start_frr(FRR, "10.0.12.2");
    wait_until("zebra maps vni 4000 to vrf-t1", T, || {
        lab::sh(&[
            "vtysh",
            "-N",
            &fl.name,
            "-c",
            "configure terminal",
            "-c",
            "vrf vrf-t1",
            "-c",
            "vni 4000",
            "-c",
            "exit-vrf",
        ])?;
        let v = fl.vtysh_json("show evpn vni 4000 json")?;
        (v["type"] == "L3" && v["vrf"] == VRF_DEV && v["state"] == "Up")
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

    // Host routes (type 2 with the L3VNI) both ways.
    wait_until("host routes in both VRF tables", T, || {
        for (h, gw) in [(&h1, "192.168.100.1"), (&h2, "192.168.200.1")] {
            h.exec(&["ping", "-c", "1", "-W", "1", gw])?;
        }
        evpn_route(&el, TBL, &format!("{H2}/32"), &["10.0.0.2"], "br4000")?;
        let r = route(&fl, TBL, &format!("{H1}/32"))
            .ok_or_else(|| format!("no {H1} at FRR{}", log()))?;
        (next_hops(&r) == [("10.0.0.1".into(), "br4000".into(), true)])
            .then_some(())
            .ok_or(format!("FRR's {H1}: {r}"))
    });
    rmac_neigh(&el, "br4000", "10.0.0.2", &router_mac(2)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(&el, "vxlan4000", &router_mac(2), "10.0.0.2").unwrap_or_else(|e| panic!("{e}"));
    rmac_neigh(&fl, "br4000", "10.0.0.1", &router_mac(1)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(&fl, "vxlan4000", &router_mac(1), "10.0.0.1").unwrap_or_else(|e| panic!("{e}"));
    let rmacs = fl
        .vtysh_json("show evpn rmac vni all json")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rmacs["4000"][router_mac(1).as_str()]["vtepIp"],
        "10.0.0.1",
        "FRR's Router's MACs: {rmacs}"
    );
    let rib = fl
        .vtysh_json(&format!("show ip route vrf {VRF_DEV} json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &rib[format!("{H1}/32").as_str()][0];
    assert_eq!(
        (r["protocol"].as_str(), r["installed"].as_bool()),
        (Some("bgp"), Some(true)),
        "{r}"
    );
    assert_eq!(r["nexthops"][0]["ip"], "10.0.0.1", "{r}");

    // Routed pings both ways: two routers on the way.
    let out = wait_until("h1 → h2", T, || lab::l3::ping(&h1, H2));
    assert!(
        out.contains("ttl=62"),
        "routed twice (symmetric IRB): {out}"
    );
    let out = lab::l3::ping(&h2, H1).expect("h2 → h1");
    assert!(
        out.contains("ttl=62"),
        "routed twice (symmetric IRB): {out}"
    );

    // Type 5 each way, into the VRF tables, and the prefixes ping.
    wait_until("FRR's type 5 in evpnd's VRF", T, || {
        evpn_route(&el, TBL, "10.202.2.0/24", &["10.0.0.2"], "br4000")
            .map_err(|e| format!("{e}{}", log()))
    });
    wait_until("evpnd's type 5 in FRR's VRF", T, || {
        let r = route(&fl, TBL, "10.201.2.0/24").ok_or("not there")?;
        (next_hops(&r) == [("10.0.0.1".into(), "br4000".into(), true)])
            .then_some(())
            .ok_or(r.to_string())
    });
    let rib = fl
        .vtysh_json(&format!("show ip route vrf {VRF_DEV} json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        rib["10.201.2.0/24"][0]["nexthops"][0]["ip"], "10.0.0.1",
        "{rib}"
    );
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
