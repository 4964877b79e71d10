//! IPv4 unicast against FRR 8.4 over eBGP (issue 13): evpnd (AS 65011)
//! originates `[bgp] networks` and its VTEP loopback, FRR (AS 65101)
//! originates a network of its own. FRR must hold evpnd's prefixes with
//! next hop = evpnd's session address and AS_PATH 65011; evpnd's API must
//! show FRR's prefix from 10.1.1.1, AS_PATH 65101, and not send it back.

mod lab;

use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(40);

const EVPND: &str = r#"
[bgp]
asn = 65011
router_id = "10.0.0.11"
hold_time = 9
connect_retry = 2
networks = ["10.11.0.0/24"]

[[neighbor]]
address = "10.1.1.1"
remote_asn = 65101
families = ["ipv4-unicast"]

[evpn]
vtep_ip = "10.0.0.11"
learn_from_kernel = false
"#;

const FRR: &str = "frr defaults datacenter
hostname spine
log stdout
router bgp 65101
 bgp router-id 10.0.1.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.1.1.2 remote-as 65011
 address-family ipv4 unicast
  network 10.101.0.0/24
  neighbor 10.1.1.2 activate
 exit-address-family
";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn ipv4_unicast_both_ways_with_frr() {
    let mut frr = Netns::new("uf");
    let mut ev = Netns::new("ue");
    link(&frr, "toev", "10.1.1.1/30", &ev, "tofrr", "10.1.1.2/30");
    ev.start_evpnd("evpnd", EVPND);
    frr.start_frr(FRR, "0.0.0.0");

    // FRR has evpnd's two prefixes, next hop self, AS_PATH 65011.
    let got = wait_until("FRR learns evpnd's networks and loopback", T, || {
        let v = frr.vtysh_json("show bgp ipv4 unicast json")?;
        let routes = &v["routes"];
        let mut out = Vec::new();
        for p in ["10.11.0.0/24", "10.0.0.11/32"] {
            let path = &routes[p][0];
            if path.is_null() {
                return Err(format!(
                    "{p} not in FRR's table yet: {v}\n{}",
                    ev.log("evpnd")
                ));
            }
            out.push((
                p,
                path["nexthops"][0]["ip"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                path["path"].as_str().unwrap_or_default().to_string(),
                path["valid"].as_bool().unwrap_or(false),
            ));
        }
        Ok(out)
    });
    for (p, nh, as_path, valid) in got {
        assert_eq!(nh, "10.1.1.2", "{p}: next hop self (the session's address)");
        assert_eq!(as_path, "65011", "{p}: AS_PATH");
        assert!(valid, "{p}: FRR takes it as valid");
    }

    // evpnd has FRR's prefix, and does not send it back to FRR.
    let sock = ev.api_socket("evpnd");
    let routes = rt().block_on(async {
        let ch = evpnd_api::client::connect_unix(sock)
            .await
            .expect("connect to the API socket");
        let mut c = pb::route_service_client::RouteServiceClient::new(ch);
        for _ in 0..160 {
            let r = c
                .list_unicast_routes(pb::ListUnicastRoutesRequest {
                    family: "ipv4-unicast".into(),
                    prefix: String::new(),
                })
                .await
                .expect("ListUnicastRoutes")
                .into_inner()
                .routes;
            if r.iter().any(|r| r.prefix == "10.101.0.0/24") {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("evpnd never learned 10.101.0.0/24:\n{}", ev.log("evpnd"));
    });
    let r = routes
        .iter()
        .find(|r| r.prefix == "10.101.0.0/24")
        .expect("FRR's prefix");
    let p = &r.paths[0];
    assert_eq!(
        (
            p.peer.as_str(),
            p.next_hop.as_str(),
            p.as_path.as_str(),
            p.best
        ),
        ("10.1.1.1", "10.1.1.1", "65101", true)
    );
    let ours: Vec<&str> = routes
        .iter()
        .filter(|r| r.paths.iter().any(|p| p.peer.is_empty()))
        .map(|r| r.prefix.as_str())
        .collect();
    assert_eq!(ours, vec!["10.0.0.11/32", "10.11.0.0/24"]);
    let v = frr
        .vtysh_json("show bgp ipv4 unicast 10.101.0.0/24 json")
        .expect("FRR's own prefix");
    let paths = v["paths"].as_array().map_or(0, Vec::len);
    assert_eq!(paths, 1, "evpnd did not send FRR's prefix back: {v}");
}
