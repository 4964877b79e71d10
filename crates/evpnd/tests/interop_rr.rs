//! Interop: evpnd as the EVPN route reflector between FRR 8.4 (bgpd+zebra,
//! with a real VXLAN device so it originates its own type-3 route) and
//! gobgpd, each in its own network namespace linked to evpnd's by a veth
//! pair (one namespace would make every next hop local, which FRR rejects
//! as martian). Checked from the
//! peers' own views: routes evpnd originates, routes it reflects in both
//! directions (RD, RT, VNI label, next hop, PMSI), and withdrawals.

mod lab;

use std::time::Duration;

use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(40);

const EVPND: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"
listen = ["0.0.0.0:179"]
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.2"
remote_asn = 65000
route_reflector_client = true
description = "frr"

[[neighbor]]
address = "10.1.2.2"
remote_asn = 65000
route_reflector_client = true
description = "gobgp"

[evpn]
vtep_ip = "10.1.1.1"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:01:01", ip = "192.168.100.1" }]
prefixes = ["192.168.200.0/24"]
"#;

const FRR: &str = "frr defaults datacenter
hostname frr
log stdout
router bgp 65000
 bgp router-id 10.1.1.2
 no bgp default ipv4-unicast
 neighbor 10.1.1.1 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.1.1.1 activate
  advertise-all-vni
 exit-address-family
";

fn gobgp_rib(ns: &Netns) -> Result<String, String> {
    ns.gobgp(&["global", "rib", "-a", "evpn"])
}

#[test]
fn evpnd_reflects_between_frr_and_gobgp() {
    let mut ns = Netns::new("rr");
    let mut frr = Netns::new("fr");
    let mut gob = Netns::new("gb");
    link(&ns, "tofrr", "10.1.1.1/30", &frr, "torr", "10.1.1.2/30");
    link(&ns, "togob", "10.1.2.1/30", &gob, "torr", "10.1.2.2/30");
    ns.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        .expect("forwarding");
    frr.exec(&["ip", "route", "add", "10.1.0.0/16", "via", "10.1.1.1"])
        .expect("route");
    gob.exec(&["ip", "route", "add", "10.1.0.0/16", "via", "10.1.2.1"])
        .expect("route");
    // A real VXLAN device for FRR's zebra: VNI 100 makes bgpd originate its type-3 route.
    frr.exec(&["ip", "link", "add", "br100", "type", "bridge"])
        .expect("bridge");
    frr.exec(&[
        "ip",
        "link",
        "add",
        "vxlan100",
        "type",
        "vxlan",
        "id",
        "100",
        "local",
        "10.1.1.2",
        "dstport",
        "4789",
        "nolearning",
    ])
    .expect("vxlan");
    frr.exec(&["ip", "link", "set", "vxlan100", "master", "br100"])
        .expect("enslave");
    frr.exec(&["ip", "link", "set", "br100", "up"])
        .expect("br up");
    frr.exec(&["ip", "link", "set", "vxlan100", "up"])
        .expect("vxlan up");

    ns.start_evpnd("evpnd", EVPND);
    frr.start_frr(FRR, "10.1.1.2");
    gob.start_gobgp(&lab::gobgp_conf(65000, "10.1.2.2", "10.1.2.1"));

    wait_until("FRR session with evpnd Established", T, || {
        let v = frr.vtysh_json("show bgp l2vpn evpn summary json")?;
        let st = v["peers"]["10.1.1.1"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if st == "Established" {
            Ok(())
        } else {
            Err(format!("state {st:?}; evpnd log:\n{}", ns.log("evpnd")))
        }
    });
    wait_until("GoBGP session with evpnd Established", T, || {
        let out = gob.gobgp(&["neighbor"])?;
        if out.contains("Establ") {
            Ok(())
        } else {
            Err(out)
        }
    });

    // 1. evpnd's own routes reach FRR with the right RD, RT, encapsulation, next hop.
    let imet = wait_until("evpnd's type 3 at FRR", T, || {
        frr.frr_has("10.0.0.1:100", "[3]:[0]:[32]:[10.1.1.1]")
    });
    let ec = imet["extendedCommunity"]["string"]
        .as_str()
        .unwrap_or_default();
    assert!(
        ec.contains("RT:65000:100") && ec.contains("ET:8"),
        "communities at FRR: {ec}"
    );
    let mac = wait_until("evpnd's type 2 at FRR", T, || {
        frr.frr_has(
            "10.0.0.1:100",
            "[2]:[0]:[48]:[02:00:00:00:01:01]:[32]:[192.168.100.1]",
        )
    });
    let nh = mac["nexthops"][0]["ip"].as_str().unwrap_or_default();
    assert_eq!(nh, "10.1.1.1", "next hop is evpnd's VTEP: {mac}");
    wait_until("evpnd's type 5 at FRR", T, || {
        frr.frr_has("10.0.0.1:100", "[5]:[0]:[24]:[192.168.200.0]")
    });

    // 2. FRR's own type 3 (VNI 100 from the kernel) is reflected to GoBGP.
    wait_until("FRR's type 3 reflected to GoBGP", T, || {
        let rib = gobgp_rib(&gob)?;
        if rib.contains("[type:multicast][rd:10.1.1.2:") && rib.contains("tunnel-id: 10.1.1.2") {
            Ok(())
        } else {
            Err(rib)
        }
    });

    // 3. A GoBGP route is reflected to FRR, with the VNI in the label (not shifted).
    gob.gobgp_macadv(
        true,
        "02:00:00:00:02:02",
        "192.168.100.2",
        "10.1.2.2:100",
        "65000:100",
        "10.1.2.2",
    );
    let p = wait_until("GoBGP's type 2 reflected to FRR", T, || {
        frr.frr_has(
            "10.1.2.2:100",
            "[2]:[0]:[48]:[02:00:00:00:02:02]:[32]:[192.168.100.2]",
        )
    });
    assert_eq!(
        p["nexthops"][0]["ip"].as_str(),
        Some("10.1.2.2"),
        "reflected next hop unchanged: {p}"
    );

    // 4. Withdrawal travels too.
    gob.gobgp_macadv(
        false,
        "02:00:00:00:02:02",
        "192.168.100.2",
        "10.1.2.2:100",
        "",
        "",
    );
    wait_until("withdrawal reflected to FRR", T, || {
        match frr.frr_has("10.1.2.2:100", "02:00:00:00:02:02") {
            Ok(_) => Err("still present".to_string()),
            Err(_) => Ok(()),
        }
    });
}
