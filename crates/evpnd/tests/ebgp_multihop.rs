//! eBGP across a router: single-hop eBGP (TTL 1, the default) cannot reach
//! a neighbour two hops away; `ebgp_multihop = 2` on both sides can, and
//! routes are exchanged.
//!
//! ```text
//! [a: evpnd AS 65001, 10.0.1.1] -- [r: router] -- [b: evpnd AS 65002, 10.0.2.2]
//! ```

mod lab;

use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, wait_until};

fn conf(me: &str, asn: u32, peer: &str, peer_asn: u32, multihop: bool, mac: &str) -> String {
    format!(
        "[bgp]\nasn = {asn}\nrouter_id = \"{me}\"\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"{peer}\"\nremote_asn = {peer_asn}\n{}\
         [evpn]\nvtep_ip = \"{me}\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{{ mac = \"{mac}\" }}]\n",
        if multihop { "ebgp_multihop = 2\n" } else { "" }
    )
}

fn state(rt: &tokio::runtime::Runtime, ns: &Netns, label: &str, peer: &str) -> (i32, u64) {
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket(label))
            .await
            .expect("API");
        let p = pb::peer_service_client::PeerServiceClient::new(ch)
            .get_peer(pb::GetPeerRequest {
                address: peer.into(),
            })
            .await
            .expect("peer")
            .into_inner()
            .peer
            .expect("peer");
        (p.state, p.families.first().map_or(0, |f| f.received))
    })
}

/// a — r — b: two evpnd namespaces joined through a router namespace;
/// both evpnd started single-hop (TTL 1), and their API sockets ready.
fn two_hops(tag: &str) -> (Netns, Netns, Netns) {
    let mut a = Netns::new(&format!("{tag}a"));
    let r = Netns::new(&format!("{tag}r"));
    let mut b = Netns::new(&format!("{tag}b"));
    link(&a, "tor", "10.0.1.1/24", &r, "toa", "10.0.1.254/24");
    link(&b, "tor", "10.0.2.2/24", &r, "tob", "10.0.2.254/24");
    r.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        .expect("forwarding");
    a.exec(&["ip", "route", "add", "10.0.2.0/24", "via", "10.0.1.254"])
        .expect("route");
    b.exec(&["ip", "route", "add", "10.0.1.0/24", "via", "10.0.2.254"])
        .expect("route");
    // Reachable by IP (ping crosses the router), but TTL 1 BGP is not.
    a.exec(&["ping", "-c", "1", "-W", "2", "10.0.2.2"])
        .expect("IP path");
    a.start_evpnd(
        "evpnd",
        &conf(
            "10.0.1.1",
            65001,
            "10.0.2.2",
            65002,
            false,
            "02:00:00:00:00:0a",
        ),
    );
    b.start_evpnd(
        "evpnd",
        &conf(
            "10.0.2.2",
            65002,
            "10.0.1.1",
            65001,
            false,
            "02:00:00:00:00:0b",
        ),
    );
    wait_until("both API sockets", Duration::from_secs(20), || {
        (a.api_socket("evpnd").exists() && b.api_socket("evpnd").exists())
            .then_some(())
            .ok_or(String::new())
    });
    (a, r, b)
}

#[test]
fn ebgp_multihop_reaches_a_peer_two_hops_away() {
    let (mut a, _r, mut b) = two_hops("mh");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    std::thread::sleep(Duration::from_secs(6));
    let (st, _) = state(&rt, &a, "evpnd", "10.0.2.2");
    assert_ne!(
        st,
        pb::FsmState::Established as i32,
        "single-hop eBGP must not reach a peer two hops away"
    );
    // Both restarted with ebgp_multihop = 2: the session comes up, routes flow.
    for ns in [&a, &b] {
        let pid = ns.pid("evpnd").expect("pid");
        lab::sh(&["kill", &pid.to_string()]).expect("stop evpnd");
    }
    std::thread::sleep(Duration::from_millis(500));
    a.start_evpnd(
        "evpnd2",
        &conf(
            "10.0.1.1",
            65001,
            "10.0.2.2",
            65002,
            true,
            "02:00:00:00:00:0a",
        ),
    );
    b.start_evpnd(
        "evpnd2",
        &conf(
            "10.0.2.2",
            65002,
            "10.0.1.1",
            65001,
            true,
            "02:00:00:00:00:0b",
        ),
    );
    wait_until("the new API socket", Duration::from_secs(20), || {
        a.api_socket("evpnd2")
            .exists()
            .then_some(())
            .ok_or(String::new())
    });
    wait_until(
        "eBGP multihop session with routes",
        Duration::from_secs(40),
        || match state(&rt, &a, "evpnd2", "10.0.2.2") {
            (s, n) if s == pb::FsmState::Established as i32 && n >= 2 => Ok(()),
            other => Err(format!("{other:?}\n{}", b.log("evpnd2"))),
        },
    );
}

/// The same switch made by SIGHUP on both sides, one after the other: for a
/// moment one side sends with TTL 2 and the other still with TTL 1, which
/// leaves a half-open connection behind. The side holding the peer's newer
/// connection must not wait out the OpenSent hold time (240 s) on the dead
/// one.
#[test]
fn ebgp_multihop_switched_on_by_reload() {
    let (a, _r, b) = two_hops("mr");
    std::thread::sleep(Duration::from_secs(2));
    for (ns, peer_asn) in [(&a, 65002), (&b, 65001)] {
        let path = ns.dir.join("evpnd.toml");
        let text = std::fs::read_to_string(&path).expect("config");
        let from = format!("remote_asn = {peer_asn}\n");
        std::fs::write(
            &path,
            text.replace(&from, &format!("{from}ebgp_multihop = 2\n")),
        )
        .expect("rewrite config");
        let pid = ns.pid("evpnd").expect("pid");
        lab::sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    wait_until(
        "eBGP multihop session after the reloads",
        Duration::from_secs(30),
        || match state(&rt, &a, "evpnd", "10.0.2.2") {
            (s, n) if s == pb::FsmState::Established as i32 && n >= 2 => Ok(()),
            other => Err(format!(
                "{other:?}\na:\n{}\nb:\n{}",
                a.log("evpnd"),
                b.log("evpnd")
            )),
        },
    );
}
