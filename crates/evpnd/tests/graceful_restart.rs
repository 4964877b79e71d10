//! evpnd as a restarting speaker (RFC 4724 §4.1, RFC 8538, ADR 0011), two
//! evpnd in a namespace: (a) A is killed with -9 and started again — its
//! first OPEN has R and F set as B sees it, B keeps A's routes throughout
//! (its route count never drops, nothing is withdrawn), and A advertises
//! only after B's End-of-RIB; (c) a graceful stop leaves A's routes at B
//! for the restart time, a default stop withdraws them at once.

mod lab;

use std::time::{Duration, Instant};

use evpnd_api::pb;
use lab::{Netns, sh, wait_until};

const T: Duration = Duration::from_secs(30);

fn conf(me: &str, peer: &str, mac: &str, gr: &str) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"{me}\"\nlisten = [\"{me}:179\"]\nhold_time = 9\nconnect_retry = 1\n\
         [bgp.graceful_restart]\n{gr}\n\
         [[neighbor]]\naddress = \"{peer}\"\nremote_asn = 65000\nupdate_source = \"{me}\"\n\
         [evpn]\nvtep_ip = \"{me}\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{{ mac = \"{mac}\" }}]\n"
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// B's Loc-RIB size over its API.
async fn loc_rib(ns: &Netns, label: &str) -> Result<u64, String> {
    let ch = evpnd_api::client::connect_unix(ns.api_socket(label))
        .await
        .map_err(|e| e.to_string())?;
    let s = pb::daemon_service_client::DaemonServiceClient::new(ch)
        .get_status(pb::GetStatusRequest {})
        .await
        .map_err(|e| e.to_string())?
        .into_inner();
    Ok(s.counters.unwrap_or_default().loc_rib_routes)
}

fn count(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

/// Index of the first line containing all of `parts`.
fn line_of(log: &str, parts: &[&str]) -> Option<usize> {
    log.lines()
        .position(|l| parts.iter().all(|p| l.contains(p)))
}

fn b_has(rt: &tokio::runtime::Runtime, ns: &Netns, n: u64) {
    wait_until(&format!("b has {n} routes"), T, || {
        match rt.block_on(loc_rib(ns, "b")) {
            Ok(c) if c == n => Ok(()),
            Ok(c) => Err(format!("{c} routes\n{}", ns.log("b"))),
            Err(e) => Err(e),
        }
    });
}

#[test]
fn kill_9_restart_sets_r_and_f_defers_and_b_keeps_routes_without_a_flap() {
    let mut ns = Netns::new("rs");
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    let a_conf = conf(
        "10.0.0.1",
        "10.0.0.2",
        "02:00:00:00:00:0a",
        "restart_time = 60",
    );
    ns.start_evpnd("a", &a_conf);
    ns.start_evpnd("b", &conf("10.0.0.2", "10.0.0.1", "02:00:00:00:00:0b", ""));
    let rt = rt();
    // 2 own routes (type 2 + type 3) + A's 2.
    b_has(&rt, &ns, 4);
    wait_until("b got a's End-of-RIB", T, || {
        let log = ns.log("b");
        (line_of(&log, &["End-of-RIB", "peer=10.0.0.1"]).is_some())
            .then_some(())
            .ok_or(log)
    });
    let first = ns.log("b");
    assert!(
        line_of(
            &first,
            &["peer graceful restart capability", "restart_state=false"]
        )
        .is_some(),
        "a's first OPEN is no restart:\n{first}"
    );

    ns.kill_9("a");
    ns.start_evpnd("a", &a_conf);
    // Watch B's route count through the restart until A's End-of-RIB is in again.
    let start = Instant::now();
    let mut min = u64::MAX;
    loop {
        if let Ok(c) = rt.block_on(loc_rib(&ns, "b")) {
            min = min.min(c);
        }
        let log = ns.log("b");
        if count(&log, "session established") >= 2
            && log
                .lines()
                .filter(|l| l.contains("End-of-RIB") && l.contains("peer=10.0.0.1"))
                .count()
                >= 2
        {
            break;
        }
        assert!(
            start.elapsed() < T,
            "a never came back:\n{log}\n--- a ---\n{}",
            ns.log("a")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        min,
        4,
        "b's routes dipped during a's restart:\n{}",
        ns.log("b")
    );
    let b = ns.log("b");
    assert_eq!(count(&b, "route withdrawn"), 0, "no flap at b:\n{b}");
    assert!(b.contains("keep_routes=true"), "b was a helper:\n{b}");
    // B's view of A's second OPEN: R set, F set for L2VPN/EVPN.
    assert!(
        line_of(
            &b,
            &[
                "peer graceful restart capability",
                "restart_state=true",
                "l2vpn-evpn"
            ]
        )
        .is_some(),
        "a's second OPEN must have R and F:\n{b}"
    );
    let caps = rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("b"))
            .await
            .expect("b's API");
        pb::peer_service_client::PeerServiceClient::new(ch)
            .get_peer(pb::GetPeerRequest {
                address: "10.0.0.1".into(),
            })
            .await
            .expect("peer")
            .into_inner()
            .peer
            .expect("peer")
            .capabilities
    });
    assert!(
        caps.iter().any(|c| c == "graceful-restart-restarting")
            && caps
                .iter()
                .any(|c| c.starts_with("graceful-restart-forwarding")),
        "{caps:?}"
    );
    // A: restart recognised, End-of-RIB from B before the deferral ends,
    // no routes sent before that.
    let a = ns.log("a");
    assert!(a.contains("graceful restart: the previous run"), "{a}");
    let eor = line_of(&a, &["End-of-RIB", "peer=10.0.0.2"]).expect("a got b's End-of-RIB");
    let over = line_of(&a, &["route selection deferral over"]).expect("deferral ended");
    let announce = a
        .lines()
        .position(|l| l.contains(" flush") && l.contains("announce=") && !l.contains("announce=0"))
        .expect("a announced");
    assert!(
        eor < over && over < announce,
        "order eor {eor} < over {over} < announce {announce}:\n{a}"
    );
    assert!(a.contains("timer_expired=false"), "{a}");
    b_has(&rt, &ns, 4);
}

#[test]
fn graceful_stop_keeps_routes_for_the_restart_time_default_stop_withdraws() {
    let mut ns = Netns::new("gs");
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    ns.start_evpnd(
        "a",
        &conf(
            "10.0.0.1",
            "10.0.0.2",
            "02:00:00:00:00:0a",
            "restart_time = 5\non_shutdown = \"graceful\"",
        ),
    );
    ns.start_evpnd("b", &conf("10.0.0.2", "10.0.0.1", "02:00:00:00:00:0b", ""));
    let rt = rt();
    b_has(&rt, &ns, 4);
    let marker = ns.dir.join("a.restart");
    assert!(marker.exists(), "the marker is written while running");

    // Graceful: Cease / Administrative Shutdown (N bit), b keeps a's routes...
    let stopped = Instant::now();
    sh(&["kill", "-TERM", &ns.pid("a").expect("pid").to_string()]).expect("stop a");
    wait_until("b keeps a's routes as stale", T, || {
        let log = ns.log("b");
        (log.contains("peer sent NOTIFICATION 6/2") && log.contains("keep_routes=true"))
            .then_some(())
            .ok_or(log)
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(rt.block_on(loc_rib(&ns, "b")), Ok(4), "{}", ns.log("b"));
    assert!(ns.log("a").contains("shutting down gracefully"));
    assert!(marker.exists(), "a graceful stop keeps the marker");
    // ...until its restart time runs out.
    b_has(&rt, &ns, 2);
    assert!(
        stopped.elapsed() >= Duration::from_secs(4),
        "swept too early"
    );
    assert!(ns.log("b").contains("graceful restart timer expired"));

    // Default (hard reset): b withdraws at once, well before a 60 s restart time.
    ns.start_evpnd(
        "a",
        &conf(
            "10.0.0.1",
            "10.0.0.2",
            "02:00:00:00:00:0a",
            "restart_time = 60",
        ),
    );
    b_has(&rt, &ns, 4);
    let stopped = Instant::now();
    sh(&["kill", "-TERM", &ns.pid("a").expect("pid").to_string()]).expect("stop a");
    b_has(&rt, &ns, 2);
    assert!(stopped.elapsed() < Duration::from_secs(10));
    assert!(
        ns.log("b").contains("peer sent NOTIFICATION 6/9"),
        "{}",
        ns.log("b")
    );
    wait_until("marker removed", T, || {
        (!marker.exists()).then_some(()).ok_or(ns.log("a"))
    });
}

const FRR: &str = "frr defaults datacenter
hostname frr
log stdout
router bgp 65000
 bgp router-id 10.1.1.2
 no bgp default ipv4-unicast
 neighbor 10.1.1.1 remote-as 65000
 neighbor 10.1.1.1 timers connect 1
 bgp graceful-restart
 address-family l2vpn evpn
  neighbor 10.1.1.1 activate
 exit-address-family
";

/// FRR's `show bgp neighbors 10.1.1.1 json`, the neighbour's object.
fn frr_neighbor(frr: &Netns) -> Result<serde_json::Value, String> {
    let v = frr.vtysh_json("show bgp neighbors 10.1.1.1 json")?;
    v.get("10.1.1.1")
        .cloned()
        .ok_or_else(|| format!("no neighbour in {v}"))
}

/// (b) FRR 8.4 as the peer of a restarting evpnd: FRR parses evpnd's
/// L2VPN/EVPN GR family with F, shows evpnd's R bit after evpnd's kill -9
/// restart, evpnd waits for FRR's End-of-RIB (not the timer) and its route
/// is back, not stale.
#[test]
fn frr_sees_the_restart_and_evpnd_waits_for_its_end_of_rib_after_kill_9() {
    let mut ev = Netns::new("gf");
    let mut frr = Netns::new("gh");
    lab::link(&ev, "tofrr", "10.1.1.1/24", &frr, "toev", "10.1.1.2/24");
    frr.start_frr(FRR, "10.1.1.2");
    let conf = "[bgp]\nasn = 65000\nrouter_id = \"10.1.1.1\"\nhold_time = 9\nconnect_retry = 1\n\
         [bgp.graceful_restart]\nrestart_time = 60\n\
         [[neighbor]]\naddress = \"10.1.1.2\"\nremote_asn = 65000\n\
         [evpn]\nvtep_ip = \"10.1.1.1\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{ mac = \"02:00:00:00:00:0a\" }]\n";
    ev.start_evpnd("evpnd", conf);
    wait_until("FRR has evpnd's MAC", Duration::from_secs(60), || {
        frr.frr_has("10.1.1.1:100", "02:00:00:00:00:0a")
    });
    let before = frr_neighbor(&frr).expect("neighbour json");
    // evpnd lists L2VPN/EVPN in its capability with F: FRR will keep the routes.
    let fams = &before["neighborCapabilities"]["addressFamiliesByPeer"];
    assert_eq!(
        fams["l2VpnEvpn"]["preserved"].as_bool(),
        Some(true),
        "FRR must see L2VPN/EVPN with F set: {before}"
    );
    ev.kill_9("evpnd");
    // FRR 8.4 does not keep the routes here although it parsed L2VPN/EVPN
    // with F (its restart/helper code counts only the unicast families:
    // remoteGrMode stays "Helper", nsf_af_count 0); FRR 9+ lists EVPN in
    // bgp_gr_supported_for_afi_safi. What FRR 8.4 does show is checked.
    std::thread::sleep(Duration::from_secs(1));
    ev.start_evpnd("evpnd", conf);
    let mut saw_r = false;
    let start = Instant::now();
    loop {
        let n = frr_neighbor(&frr).unwrap_or_default();
        let g = n.get("gracefulRestartInfo").cloned().unwrap_or_default();
        if g.get("rBit").and_then(|b| b.as_bool()) == Some(true) {
            saw_r = true;
        }
        let up = n.get("bgpState").and_then(|s| s.as_str()) == Some("Established");
        let log = ev.log("evpnd");
        if up
            && log.contains("route selection deferral over")
            && frr.frr_has("10.1.1.1:100", "02:00:00:00:00:0a").is_ok()
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "evpnd never came back: {n}\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        saw_r,
        "FRR never showed evpnd's R bit: {}",
        frr_neighbor(&frr).unwrap_or_default()
    );
    let log = ev.log("evpnd");
    assert!(log.contains("graceful restart: the previous run"), "{log}");
    assert!(
        log.contains("timer_expired=false"),
        "deferral ended by FRR's End-of-RIB:\n{log}"
    );
    // After evpnd's End-of-RIB FRR sweeps nothing: the route is still there, not stale.
    std::thread::sleep(Duration::from_secs(2));
    let path = frr
        .frr_has("10.1.1.1:100", "02:00:00:00:00:0a")
        .expect("route after the restart");
    assert!(path.get("stale").is_none(), "still stale: {path}");
}
