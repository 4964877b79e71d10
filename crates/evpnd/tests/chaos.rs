//! Chaos (issue 15): the overlay fabric (an evpnd reflector, two evpnd
//! leaves, a host behind each) under everything at once, then the checks
//! that matter once it stops.
//!
//! For `EVPND_CHAOS_SECS` seconds (default 30; a soak: `EVPND_CHAOS_SECS=600
//! cargo test -p evpnd --test chaos`):
//! * UPDATE churn: leaf 1 originates MAC routes over its API, a rolling window
//!   of 64 added and deleted as fast as the API answers;
//! * API queries on leaf 2 (status, a page of routes) and five watchers on
//!   leaf 2 that never read (raw HTTP/2, windows never released);
//! * SIGHUP reloads of leaf 2 every 700 ms;
//! * peer flaps: the reflector disables and enables leaf 1 every 4 s;
//! * neighbour-table floods on leaf 2 (thousands of entries added and
//!   deleted with `ip -batch`) into a notification socket of 256 KiB
//!   (`[evpn] netlink_buffer`): netlink overruns, repaired by scans;
//! * halfway, `kill -9` of leaf 2's evpnd and a restart on the same flood
//!   ledger.
//!
//! Afterwards, with the API routes deleted: every session is up again, leaf
//! 2's kernel holds host 1's MAC and nothing of the churn (no stale route),
//! its API says desired = programmed, the hosts ping, no daemon panicked,
//! and leaf 2's memory is back within bounds.

mod lab;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use evpnd_api::pb;
use lab::fabric::{fabric, fdb, has_flag, leaf_conf, ping};
use lab::watch::stalled_watch;
use lab::{Netns, host_mac, wait_until};

const WINDOW: u32 = 64;
/// Leaf 2's notification socket: small, so the floods overrun it.
const SMALL_BUFFER: u32 = 256 << 10;

fn secs() -> u64 {
    std::env::var("EVPND_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

fn churn_mac(i: u32) -> String {
    format!(
        "02:cc:00:{:02x}:{:02x}:{:02x}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff
    )
}

fn mac_route(i: u32) -> pb::LocalRoute {
    pb::LocalRoute {
        route: Some(pb::local_route::Route::MacIp(pb::LocalMacIp {
            vni: 100,
            mac: churn_mac(i),
            ip: String::new(),
            sticky: false,
        })),
    }
}

fn rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |k| k / 1024)
}

async fn channel(ns: &Netns, label: &str) -> tonic::transport::Channel {
    let sock = ns.api_socket(label);
    for _ in 0..100 {
        if let Ok(c) = evpnd_api::client::connect_unix(&sock).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no API on {}:\n{}", sock.display(), ns.log(label));
}

#[test]
fn the_fabric_survives_churn_flaps_reloads_floods_and_kill_9() {
    let mut f = fabric("cx");
    wait_until("host 2 pings host 1", Duration::from_secs(30), || {
        ping(&f.hosts[1], "192.168.100.1")
    });
    let duration = Duration::from_secs(secs());
    let stop = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // Reloads of leaf 2 and neighbour-table floods, on threads of their own.
    let l2 = f.leaves[1].name.clone();
    let l2_dir = f.leaves[1].dir.clone();
    let reloads = {
        let stop = Arc::clone(&stop);
        let l2_dir = l2_dir.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                // The pid of whichever evpnd runs now (restarted halfway).
                let pid = ["evpnd2.pid", "evpnd.pid"]
                    .iter()
                    .find_map(|p| std::fs::read_to_string(l2_dir.join(p)).ok());
                if let Some(pid) = pid {
                    let _ = lab::sh(&["kill", "-HUP", pid.trim()]);
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(700));
            }
            n
        })
    };
    let floods = {
        let stop = Arc::clone(&stop);
        let l2 = l2.clone();
        std::thread::spawn(move || {
            // A veth pair (this kernel has no dummy devices), outside any bridge.
            lab::sh(&[
                "ip", "-n", &l2, "link", "add", "flood0", "type", "veth", "peer", "name", "flood1",
            ])
            .expect("flood device");
            for d in ["flood0", "flood1"] {
                lab::sh(&["ip", "-n", &l2, "link", "set", d, "up"]).expect("flood device up");
            }
            let batch = |verb: &str| {
                (0..4000u32)
                    .map(|i| {
                        format!(
                            "neigh {verb} 172.30.{}.{} lladdr 02:dd:00:00:{:02x}:{:02x} dev flood0\n",
                            i / 250,
                            i % 250 + 1,
                            i >> 8,
                            i & 0xff
                        )
                    })
                    .collect::<String>()
            };
            let (add, del) = (batch("replace"), batch("del"));
            let file = std::env::temp_dir().join(format!("chaos-flood-{}", std::process::id()));
            let mut rounds = 0;
            while !stop.load(Ordering::Relaxed) {
                for b in [&add, &del] {
                    std::fs::write(&file, b).expect("batch file");
                    lab::sh(&["ip", "-n", &l2, "-batch", &file.display().to_string()])
                        .expect("neighbour flood");
                }
                rounds += 1;
            }
            let _ = std::fs::remove_file(&file);
            rounds
        })
    };
    // The lab writes no pid files: record leaf 2's for the reload thread.
    let pid1 = f.leaves[1].pid("evpnd").expect("leaf 2's evpnd");
    std::fs::write(l2_dir.join("evpnd.pid"), pid1.to_string()).expect("pid file");

    let (added, flaps, queries) = rt.block_on(async {
        let l1 = channel(&f.leaves[0], "evpnd").await;
        let rr = channel(&f.rr, "evpnd").await;
        let mut watchers = Vec::new();
        for _ in 0..5 {
            watchers.push(stalled_watch(f.leaves[1].api_socket("evpnd")).await);
        }
        // Churn on leaf 1.
        let churn = {
            let stop = Arc::clone(&stop);
            let mut routes = pb::route_service_client::RouteServiceClient::new(l1);
            tokio::spawn(async move {
                let mut i = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let _ = routes
                        .add_route(pb::AddRouteRequest {
                            route: Some(mac_route(i)),
                        })
                        .await;
                    if i >= WINDOW {
                        let _ = routes
                            .delete_route(pb::DeleteRouteRequest {
                                route: Some(mac_route(i - WINDOW)),
                            })
                            .await;
                    }
                    i += 1;
                }
                // What is still up goes too: afterwards nothing of it may stay.
                for j in i.saturating_sub(WINDOW)..i {
                    let _ = routes
                        .delete_route(pb::DeleteRouteRequest {
                            route: Some(mac_route(j)),
                        })
                        .await;
                }
                i
            })
        };
        // Flaps of leaf 1 at the reflector.
        let flapper = {
            let stop = Arc::clone(&stop);
            let mut peers = pb::peer_service_client::PeerServiceClient::new(rr);
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_secs(4)).await;
                    let _ = peers
                        .disable_peer(pb::DisablePeerRequest {
                            address: "10.0.1.1".into(),
                            reason: "chaos".into(),
                        })
                        .await;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let _ = peers
                        .enable_peer(pb::EnablePeerRequest {
                            address: "10.0.1.1".into(),
                        })
                        .await;
                    n += 1;
                }
                n
            })
        };
        // Queries on leaf 2 (its socket survives the restart: reconnect).
        let querier = {
            let stop = Arc::clone(&stop);
            let sock = f.leaves[1].api_socket("evpnd");
            let sock2 = f.leaves[1].api_socket("evpnd2");
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for s in [&sock, &sock2] {
                        if let Ok(ch) = evpnd_api::client::connect_unix(s).await {
                            let mut d =
                                pb::daemon_service_client::DaemonServiceClient::new(ch.clone());
                            let mut r = pb::route_service_client::RouteServiceClient::new(ch);
                            if d.get_status(pb::GetStatusRequest {}).await.is_ok() {
                                n += 1;
                            }
                            let _ = r
                                .list_routes(pb::ListRoutesRequest {
                                    page_size: 100,
                                    ..Default::default()
                                })
                                .await;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                n
            })
        };
        let t0 = Instant::now();
        tokio::time::sleep(duration / 2).await;
        // kill -9 leaf 2 halfway, and start it again on the same flood ledger.
        f.leaves[1].kill_9("evpnd");
        let _ = std::fs::remove_file(l2_dir.join("evpnd.pid"));
        let ledger = l2_dir.join("evpnd.flood");
        let conf = format!(
            "{}[evpn]\nflood_state_file = \"{}\"\nnetlink_buffer = {SMALL_BUFFER}\n",
            leaf_conf(2),
            ledger.display()
        );
        f.leaves[1].start_evpnd("evpnd2", &conf);
        let pid2 = f.leaves[1].pid("evpnd2").expect("restarted evpnd");
        std::fs::write(l2_dir.join("evpnd2.pid"), pid2.to_string()).expect("pid file");
        tokio::time::sleep(duration.saturating_sub(t0.elapsed())).await;
        stop.store(true, Ordering::Relaxed);
        let added = churn.await.expect("churn");
        let flaps = flapper.await.expect("flapper");
        let queries = querier.await.expect("querier");
        drop(watchers);
        (added, flaps, queries)
    });
    let reloads = reloads.join().expect("reloads");
    let floods = floods.join().expect("floods");
    eprintln!(
        "chaos for {}s: {added} routes added and deleted, {flaps} flaps, {reloads} reloads, {floods} flood rounds, {queries} status answers",
        duration.as_secs()
    );
    assert!(added > 0 && queries > 0, "the churn and the queries ran");

    // Every session up again (the reflector sees both leaves).
    rt.block_on(async {
        let mut peers =
            pb::peer_service_client::PeerServiceClient::new(channel(&f.rr, "evpnd").await);
        let mut up = 0;
        for _ in 0..150 {
            let list = peers
                .list_peers(pb::ListPeersRequest {})
                .await
                .expect("peers")
                .into_inner()
                .peers;
            up = list
                .iter()
                .filter(|p| p.state == pb::FsmState::Established as i32)
                .count();
            if up == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(up, 2, "both leaves established at the reflector");
    });
    // Leaf 2's kernel: host 1's MAC from BGP, nothing of the churn left.
    wait_until(
        "leaf 2's FDB without churn MACs and with host 1",
        Duration::from_secs(60),
        || {
            let entries = fdb(&f.leaves[1]);
            let stale: Vec<String> = entries
                .iter()
                .filter(|e| e["mac"].as_str().is_some_and(|m| m.starts_with("02:cc:")))
                .map(|e| e["mac"].to_string())
                .collect();
            let host1 = entries
                .iter()
                .any(|e| e["mac"] == host_mac(1) && has_flag(e, "extern_learn"));
            if stale.is_empty() && host1 {
                Ok(())
            } else {
                Err(format!("stale {stale:?}, host 1 present {host1}"))
            }
        },
    );
    wait_until("host 2 pings host 1 again", Duration::from_secs(30), || {
        ping(&f.hosts[1], "192.168.100.1")
    });
    // The API agrees with the kernel: desired = programmed.
    rt.block_on(async {
        let mut dp = pb::dataplane_service_client::DataplaneServiceClient::new(
            channel(&f.leaves[1], "evpnd2").await,
        );
        let mut drift = true;
        for _ in 0..100 {
            let vnis = dp
                .get_dataplane(pb::GetDataplaneRequest { vni: None })
                .await
                .expect("dataplane")
                .into_inner()
                .vnis;
            drift = vnis.is_empty() || vnis.iter().any(|v| v.drift);
            if !drift {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(!drift, "leaf 2's kernel state equals its desired state");
    });
    // The floods did overrun the restarted leaf's small socket: the repair
    // path ran, and the state above is right nonetheless.
    assert!(
        f.leaves[1]
            .log("evpnd2")
            .contains("netlink notifications were lost"),
        "no overrun on a {SMALL_BUFFER}-byte notification socket:\n{}",
        f.leaves[1].log("evpnd2")
    );
    let rss = rss_mib(f.leaves[1].pid("evpnd2").expect("pid"));
    assert!(rss < 200, "leaf 2's evpnd at {rss} MiB after the chaos");
    for (ns, label) in [
        (&f.rr, "evpnd"),
        (&f.leaves[0], "evpnd"),
        (&f.leaves[1], "evpnd"),
        (&f.leaves[1], "evpnd2"),
    ] {
        let log = ns.log(label);
        assert!(
            !log.contains("panicked"),
            "{label} in {} panicked:\n{log}",
            ns.name
        );
    }
}
