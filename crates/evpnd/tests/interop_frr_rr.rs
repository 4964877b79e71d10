//! Interop, the other role: FRR 8.4 is the route reflector, evpnd and gobgpd
//! are its clients, each in its own namespace. evpnd's routes must reach
//! GoBGP through FRR with FRR's reflection attributes (ORIGINATOR_ID = evpnd,
//! CLUSTER_LIST = FRR), FRR's ROUTE-REFRESH is answered, and GoBGP's
//! routes must reach evpnd.

mod lab;

use std::time::Duration;

use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(40);

const EVPND: &str = r#"
[bgp]
asn = 65000
router_id = "10.1.1.2"
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.1"
remote_asn = 65000
description = "frr-rr"

[evpn]
vtep_ip = "10.1.1.2"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:01:01" }]
"#;

const FRR: &str = "frr defaults datacenter
hostname rr
log stdout
router bgp 65000
 bgp router-id 10.1.1.1
 bgp cluster-id 10.1.1.1
 no bgp default ipv4-unicast
 neighbor 10.1.1.2 remote-as 65000
 neighbor 10.1.2.2 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.1.1.2 activate
  neighbor 10.1.1.2 route-reflector-client
  neighbor 10.1.2.2 activate
  neighbor 10.1.2.2 route-reflector-client
 exit-address-family
";

#[test]
fn evpnd_as_client_of_frr_reflector() {
    let mut frr = Netns::new("rf");
    let mut ev = Netns::new("cl");
    let mut gob = Netns::new("gc");
    link(&frr, "toev", "10.1.1.1/30", &ev, "torr", "10.1.1.2/30");
    link(&frr, "togob", "10.1.2.1/30", &gob, "torr", "10.1.2.2/30");
    frr.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        .expect("forwarding");
    ev.exec(&["ip", "route", "add", "10.1.0.0/16", "via", "10.1.1.1"])
        .expect("route");
    gob.exec(&["ip", "route", "add", "10.1.0.0/16", "via", "10.1.2.1"])
        .expect("route");

    ev.start_evpnd("evpnd", EVPND);
    frr.start_frr(FRR, "0.0.0.0");
    gob.start_gobgp(&lab::gobgp_conf(65000, "10.1.2.2", "10.1.2.1"));

    wait_until("FRR reflector has both clients Established", T, || {
        let v = frr.vtysh_json("show bgp l2vpn evpn summary json")?;
        let a = v["peers"]["10.1.1.2"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let b = v["peers"]["10.1.2.2"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if a == "Established" && b == "Established" {
            Ok(())
        } else {
            Err(format!("{a} {b}; evpnd:\n{}", ev.log("evpnd")))
        }
    });

    // evpnd -> FRR (reflector) -> GoBGP, with reflection attributes added by FRR.
    let rib = wait_until("evpnd's routes at GoBGP via FRR", T, || {
        let rib = gob.gobgp(&["global", "rib", "-a", "evpn"])?;
        if rib.contains("[type:macadv][rd:10.1.1.2:100][etag:0][mac:02:00:00:00:01:01]")
            && rib.contains("[type:multicast][rd:10.1.1.2:100]")
        {
            Ok(rib)
        } else {
            Err(rib)
        }
    });
    assert!(
        rib.contains("{Originator: 10.1.1.2}"),
        "ORIGINATOR_ID is evpnd's router id:\n{rib}"
    );
    assert!(
        rib.contains("{ClusterList: [10.1.1.1]}"),
        "CLUSTER_LIST is FRR's:\n{rib}"
    );
    assert!(
        rib.contains("label: 100, tunnel-id: 10.1.1.2"),
        "PMSI carries VNI 100 and the VTEP:\n{rib}"
    );

    // FRR asks evpnd for its EVPN routes again (ROUTE-REFRESH): evpnd re-sends its Adj-RIB-Out.
    frr.exec(&[
        "vtysh",
        "-N",
        &frr.name,
        "-c",
        "clear bgp l2vpn evpn 10.1.1.2 soft in",
    ])
    .expect("soft in");
    wait_until("evpnd answers FRR's ROUTE-REFRESH", T, || {
        let log = ev.log("evpnd");
        if log.contains("route refresh: re-sending the Adj-RIB-Out") {
            Ok(())
        } else {
            Err(log)
        }
    });
    wait_until("evpnd's routes still at FRR after the refresh", T, || {
        frr.frr_has("10.1.1.2:100", "[2]:[0]:[48]:[02:00:00:00:01:01]")
    });

    // GoBGP -> FRR -> evpnd.
    gob.gobgp_macadv(
        true,
        "02:00:00:00:02:02",
        "0.0.0.0",
        "10.1.2.2:100",
        "65000:100",
        "10.1.2.2",
    );
    wait_until("GoBGP's route at evpnd", T, || {
        let log = ev.log("evpnd");
        if log.contains("best path changed route=10.1.2.2:100 [2]:[0]:[48]:[02:00:00:00:02:02]") {
            Ok(())
        } else {
            Err(log)
        }
    });
    // evpnd must not have re-advertised it (iBGP split horizon): FRR sees it from GoBGP only.
    let v = frr
        .vtysh_json("show bgp l2vpn evpn route rd 10.1.2.2:100 json")
        .expect("route");
    let s = v.to_string();
    assert!(
        !s.contains("\"peerId\":\"10.1.1.2\""),
        "evpnd re-advertised an iBGP route: {s}"
    );
}
