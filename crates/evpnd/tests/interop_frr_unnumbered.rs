//! BGP unnumbered against FRR 8.4: evpnd `[[neighbor]] interface = "veth0"`,
//! `remote_asn = "external"`, IPv4 unicast + EVPN, and FRR `neighbor veth1
//! interface remote-as external` on the other end of a veth pair with no
//! address but the kernel's link-local ones.
//!
//! * the session comes up over the link-local addresses with both families
//!   and the RFC 8950 Extended Next Hop capability on both sides (FRR's
//!   `show bgp neighbors json`, evpnd's API), and evpnd's VTEP loopback
//!   reaches FRR as an IPv4 route with evpnd's link-local next hop;
//! * FRR's veth goes down: evpnd's session goes down at once (link event,
//!   not hold expiry: measured and printed, checked below the hold time),
//!   and comes back when the link is up again.
//!
//! ```text
//! [ev: evpnd AS 65001] veth0 ──(fe80::… only)── veth1 [fr: FRR AS 65002]
//! ```

mod lab;

use std::time::{Duration, Instant};

use evpnd_api::pb;
use lab::{Netns, sh, wait_until};

const T: Duration = Duration::from_secs(60);
/// evpnd's hold time: a session that falls later than this after the
/// link went down fell by hold expiry, not by the link event.
const HOLD: Duration = Duration::from_secs(9);

const EVPND: &str = r#"
[bgp]
asn = 65001
router_id = "10.0.0.1"
hold_time = 9
connect_retry = 2

[[neighbor]]
interface = "veth0"
remote_asn = "external"
families = ["ipv4-unicast", "l2vpn-evpn"]
description = "frr-spine"

[evpn]
vtep_ip = "10.0.0.1"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:01:01" }]
"#;

const FRR: &str = "frr defaults datacenter
hostname frrunnum
log stdout informational
router bgp 65002
 bgp router-id 10.0.0.2
 no bgp ebgp-requires-policy
 neighbor veth1 interface remote-as external
 neighbor veth1 timers 3 9
 no bgp network import-check
 address-family ipv4 unicast
  network 10.0.0.2/32
  neighbor veth1 activate
 exit-address-family
 address-family l2vpn evpn
  neighbor veth1 activate
 exit-address-family
";

/// A veth pair with no configured address (each end has only the link-local
/// one the kernel gives it), both ends up.
fn unnumbered_link(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    sh(&[
        "ip", "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ])
    .expect("veth pair");
    for (ns, ifn) in [(a, a_if), (b, b_if)] {
        // Routers: the kernel's Neighbor Advertisements carry the R bit.
        ns.exec(&["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
            .expect("forwarding");
        ns.exec(&["ip", "link", "set", ifn, "up"]).expect("veth up");
    }
}

/// The link-local address of `dev` once DAD is done.
fn link_local(ns: &Netns, dev: &str) -> String {
    wait_until(&format!("a link-local on {dev}"), T, || {
        let out = ns.exec(&[
            "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link",
        ])?;
        if out.contains("tentative") {
            return Err(out);
        }
        out.split_whitespace()
            .skip_while(|w| *w != "inet6")
            .nth(1)
            .and_then(|a| a.split('/').next())
            .map(str::to_string)
            .ok_or(out)
    })
}

fn peer(rt: &tokio::runtime::Runtime, ns: &Netns) -> Result<pb::Peer, String> {
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| format!("API: {e}"))?;
        pb::peer_service_client::PeerServiceClient::new(ch)
            .get_peer(pb::GetPeerRequest {
                address: "veth0".into(),
            })
            .await
            .map_err(|e| format!("GetPeer veth0: {e}"))?
            .into_inner()
            .peer
            .ok_or_else(|| "no peer".to_string())
    })
}

/// evpnd's paths for FRR's 10.0.0.2/32: (peer, next hop, link-local half).
fn frr_prefix_at_evpnd(
    rt: &tokio::runtime::Runtime,
    ns: &Netns,
) -> Result<Vec<(String, String, String)>, String> {
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| format!("API: {e}"))?;
        let routes = pb::route_service_client::RouteServiceClient::new(ch)
            .list_unicast_routes(pb::ListUnicastRoutesRequest {
                family: "ipv4-unicast".into(),
                prefix: "10.0.0.2/32".into(),
            })
            .await
            .map_err(|e| format!("ListUnicastRoutes: {e}"))?
            .into_inner()
            .routes;
        Ok(routes
            .iter()
            .flat_map(|r| &r.paths)
            .map(|p| (p.peer.clone(), p.next_hop.clone(), p.link_local.clone()))
            .collect())
    })
}

fn established(p: &pb::Peer) -> bool {
    p.state == pb::FsmState::Established as i32
}

/// FRR's view of its unnumbered neighbour, once Established.
fn frr_neighbor(frr: &Netns) -> Result<serde_json::Value, String> {
    let v = frr.vtysh_json("show bgp neighbors json")?;
    let n = v.get("veth1").cloned().ok_or_else(|| v.to_string())?;
    if n["bgpState"] == "Established" {
        Ok(n)
    } else {
        Err(format!("bgpState {}", n["bgpState"]))
    }
}

#[test]
fn unnumbered_session_with_frr_follows_the_link() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut ev = Netns::new("ue");
    let mut frr = Netns::new("uf");
    unnumbered_link(&ev, "veth0", &frr, "veth1");
    let ll_ev = link_local(&ev, "veth0");
    let ll_frr = link_local(&frr, "veth1");

    ev.start_evpnd("evpnd", EVPND);
    // bgpd on the IPv6 wildcard: the unnumbered peer connects from fe80::.
    frr.start_frr(FRR, "::");

    let n = wait_until("FRR's unnumbered neighbour Established", T, || {
        frr_neighbor(&frr).map_err(|e| format!("{e}\nevpnd:\n{}", ev.log("evpnd")))
    });
    // FRR's side: the session runs between the two link-local addresses,
    // with both families and the extended next hop capability both ways.
    let text = n.to_string();
    assert_eq!(n["remoteAs"], 65001, "{text}");
    assert!(
        text.contains(&ll_ev),
        "FRR peers with evpnd's {ll_ev}: {text}"
    );
    let caps = &n["neighborCapabilities"];
    assert_eq!(
        caps["extendedNexthop"], "advertisedAndReceived",
        "RFC 8950 capability: {caps}"
    );
    let afs = n["addressFamilyInfo"]
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(
        afs.iter().any(|f| f == "ipv4Unicast") && afs.iter().any(|f| f == "l2VpnEvpn"),
        "both families active at FRR: {afs:?}"
    );
    let mp = &caps["multiprotocolExtensions"];
    assert!(
        mp["ipv4Unicast"]["advertisedAndReceived"] == true
            && mp["l2VpnEvpn"]["advertisedAndReceived"] == true,
        "both families negotiated: {mp}"
    );

    // evpnd's side, through the API by interface name.
    let p = wait_until("evpnd's veth0 peer Established", T, || {
        let p = peer(&rt, &ev)?;
        if established(&p) {
            Ok(p)
        } else {
            Err(format!("{p:?}"))
        }
    });
    eprintln!("evpnd peer: {p:?}");
    assert_eq!(p.interface, "veth0");
    assert_eq!(p.discovered_address, ll_frr);
    assert!(p.discovery.starts_with("found"), "{}", p.discovery);
    assert_eq!((p.remote_asn, p.remote_as.as_str()), (65002, "external"));
    assert!(
        p.capabilities
            .iter()
            .any(|c| c == "extended-nexthop ipv4-unicast"),
        "{:?}",
        p.capabilities
    );
    assert!(
        p.capabilities
            .iter()
            .any(|c| c == "multiprotocol ipv4-unicast")
            && p.capabilities
                .iter()
                .any(|c| c == "multiprotocol l2vpn-evpn"),
        "{:?}",
        p.capabilities
    );

    // IPv4 over the IPv6 link (RFC 8950): evpnd's VTEP loopback reaches
    // FRR with evpnd's link-local address as its next hop.
    let route = wait_until("evpnd's 10.0.0.1/32 at FRR", T, || {
        let v = frr.vtysh_json("show bgp ipv4 unicast 10.0.0.1/32 json")?;
        if v["paths"].as_array().is_some_and(|p| !p.is_empty()) {
            Ok(v)
        } else {
            Err(v.to_string())
        }
    });
    let text = route.to_string();
    assert!(
        text.contains(&ll_ev),
        "next hop is evpnd's link-local {ll_ev}: {text}"
    );
    eprintln!("FRR's route from evpnd: {text}");

    // And FRR's 10.0.0.2/32 at evpnd, with FRR's link-local next hop.
    let paths = wait_until("FRR's 10.0.0.2/32 at evpnd", T, || {
        let p = frr_prefix_at_evpnd(&rt, &ev)?;
        if p.is_empty() {
            Err("none".into())
        } else {
            Ok(p)
        }
    });
    eprintln!("evpnd's paths for FRR's prefix: {paths:?}");
    assert!(
        paths
            .iter()
            .any(|(_, nh, ll)| *nh == ll_frr || *ll == ll_frr),
        "FRR's link-local {ll_frr} as the next hop: {paths:?}"
    );

    // FRR's end of the link goes down: evpnd's session stops on the link
    // event, long before its 9 s hold time.
    let t0 = Instant::now();
    frr.exec(&["ip", "link", "set", "veth1", "down"])
        .expect("link down");
    let (down_after, p) = wait_until("evpnd's session down", T, || {
        let p = peer(&rt, &ev)?;
        if established(&p) {
            Err("still Established".into())
        } else {
            Ok((t0.elapsed(), p))
        }
    });
    eprintln!(
        "link down on FRR's side: evpnd's session down after {down_after:?} (hold time {HOLD:?}); discovery: {}",
        p.discovery
    );
    assert!(
        down_after < HOLD,
        "the session fell after {down_after:?}: by hold expiry, not the link event\n{}",
        ev.log("evpnd")
    );
    assert_eq!(p.discovery, "searching");
    assert!(p.discovered_address.is_empty(), "{p:?}");
    // The session went down with the link: FRR's route is gone with it.
    let gone = frr_prefix_at_evpnd(&rt, &ev).expect("API");
    eprintln!(
        "FRR's prefix at evpnd {:?} after the link went down: {gone:?}",
        t0.elapsed()
    );
    assert!(gone.is_empty(), "withdrawn with the session: {gone:?}");

    // And back.
    let t1 = Instant::now();
    frr.exec(&["ip", "link", "set", "veth1", "up"])
        .expect("link up");
    wait_until("evpnd's session back", T, || {
        let p = peer(&rt, &ev)?;
        if established(&p) {
            Ok(())
        } else {
            Err(format!("{p:?}"))
        }
    });
    eprintln!(
        "link up: evpnd's session Established again after {:?}",
        t1.elapsed()
    );
    wait_until("FRR Established again", T, || frr_neighbor(&frr));
    if std::env::var_os("SHOW_LOG").is_some() {
        eprintln!("{}\n--- bgpd ---\n{}", ev.log("evpnd"), frr.log("bgpd"));
    }
}
