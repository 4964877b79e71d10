//! Kernel interop: an evpnd leaf and an FRR 8.4 leaf (zebra + bgpd) in one
//! fabric, each with a real VXLAN device, bridge and host. Hosts ping both
//! ways; FRR's own view (`show evpn mac vni 100 json`) lists evpnd's MAC as
//! remote behind evpnd's VTEP, and each kernel holds the other's MAC.

mod lab;

use std::time::Duration;

use lab::{Netns, host_mac, link, vtep, wait_until};
use serde_json::Value;

const EVPND: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\
    [[neighbor]]\naddress = \"10.0.12.2\"\nremote_asn = 65000\n";

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
";

/// The VXLAN (`self`) entry for `mac` on `ns`'s vxlan100: its dst.
fn vxlan_dst(ns: &Netns, mac: &str) -> Option<String> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .ok()?;
    let v: Vec<Value> = serde_json::from_str(&out).ok()?;
    v.iter()
        .find(|e| {
            e["mac"] == mac
                && e["flags"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|x| x == "self"))
        })
        .and_then(|e| e["dst"].as_str().map(str::to_string))
}

#[test]
fn evpnd_and_frr_leaves_carry_traffic_both_ways() {
    let mut l1 = Netns::new("kfl1");
    let mut l2 = Netns::new("kfl2");
    let h1 = Netns::new("kfh1");
    let h2 = Netns::new("kfh2");
    link(&l1, "u0", "10.0.12.1/30", &l2, "u0", "10.0.12.2/30");
    vtep(&l1, &h1, 1);
    vtep(&l2, &h2, 2);
    l1.exec(&["ip", "route", "add", "10.0.0.2/32", "via", "10.0.12.2"])
        .expect("route");
    l2.exec(&["ip", "route", "add", "10.0.0.1/32", "via", "10.0.12.1"])
        .expect("route");
    l2.start_frr(FRR, "10.0.12.2");
    l1.start_evpnd("evpnd", EVPND);

    wait_until("ping h1 → h2", Duration::from_secs(60), || {
        h1.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", "192.168.100.2"])
            .map_err(|e| format!("{e}\nevpnd:\n{}", l1.log("evpnd")))
    });
    h2.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", "192.168.100.1"])
        .expect("ping h2 → h1");
    // evpnd's kernel has FRR's host behind FRR's VTEP, and the reverse.
    wait_until(
        "FRR's host in evpnd's FDB",
        Duration::from_secs(20),
        || match vxlan_dst(&l1, &host_mac(2)) {
            Some(d) if d == "10.0.0.2" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    wait_until(
        "evpnd's host in FRR's FDB",
        Duration::from_secs(20),
        || match vxlan_dst(&l2, &host_mac(1)) {
            Some(d) if d == "10.0.0.1" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    // FRR's own view: evpnd's MAC is remote, behind evpnd's VTEP.
    wait_until(
        "FRR lists evpnd's MAC as remote",
        Duration::from_secs(20),
        || {
            let v = l2.vtysh_json("show evpn mac vni 100 json")?;
            let m = &v["macs"][host_mac(1).as_str()];
            (m["type"] == "remote" && m["remoteVtep"] == "10.0.0.1")
                .then_some(())
                .ok_or(v.to_string())
        },
    );
    // And FRR's VNI has evpnd's VTEP in its flood list.
    let vni = l2
        .vtysh_json("show evpn vni 100 json")
        .expect("show evpn vni");
    assert!(
        vni.to_string().contains("10.0.0.1"),
        "evpnd's VTEP not in FRR's remote VTEPs: {vni}"
    );
}
