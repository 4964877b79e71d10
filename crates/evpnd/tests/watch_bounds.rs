//! Watchers that never read cost the daemon a bounded amount (issue 15,
//! defect 1): a daemon with 30,000 routes, 40 watch streams that never read
//! a message. Each is a raw HTTP/2 client with the default 64 KiB windows
//! that never releases them, as a stock client that stops reading does (a
//! tonic client would keep reading into its own buffers). Before, each got
//! the whole table built as one snapshot in the daemon (~20 MB apiece
//! here, and ~1 s of the main loop, which BGP shares); now the snapshot is
//! read a page at a time as the client reads. The watchers all open at
//! once while GetStatus is timed: it must keep answering within a second
//! (before, it queued behind 40 whole snapshots, ~40 s). The daemon's RSS
//! growth is asserted loosely.

mod lab;

use std::time::{Duration, Instant};

use evpnd_api::pb;
use lab::watch::stalled_watch;
use lab::{Netns, wait_until};

const MACS: usize = 30_000;
const WATCHERS: usize = 40;

fn conf() -> String {
    let macs: Vec<String> = (0..MACS)
        .map(|i| {
            format!(
                "{{ mac = \"02:00:00:{:02x}:{:02x}:{:02x}\" }}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            )
        })
        .collect();
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\nlisten = [\"10.0.0.1:179\"]\n\
         [evpn]\nvtep_ip = \"10.0.0.1\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{}]\n",
        macs.join(", ")
    )
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn never_reading_watchers_cost_a_bounded_amount() {
    let mut ns = Netns::new("watchb");
    ns.add_lo_addr("10.0.0.1/32");
    ns.start_evpnd("a", &conf());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sock = ns.api_socket("a");
        wait_until("the API socket", Duration::from_secs(20), || {
            sock.exists().then_some(()).ok_or(ns.log("a"))
        });
        let channel = evpnd_api::client::connect_unix(&sock).await.expect("connect");
        let mut daemon = pb::daemon_service_client::DaemonServiceClient::new(channel.clone());
        let routes = daemon
            .get_status(pb::GetStatusRequest {})
            .await
            .expect("status")
            .into_inner()
            .counters
            .unwrap_or_default()
            .loc_rib_routes;
        assert_eq!(routes, MACS as u64 + 1, "the MACs and the type 3");
        let pid = ns.pid("a").expect("evpnd's pid");
        let before = rss_kib(pid);
        // Each on its own connection, as separate clients would be, all at
        // once; none reads.
        let opening: Vec<_> = (0..WATCHERS)
            .map(|_| {
                let sock = sock.clone();
                tokio::spawn(stalled_watch(sock))
            })
            .collect();
        let mut answered = Duration::ZERO;
        let until = Instant::now() + Duration::from_secs(4);
        while Instant::now() < until {
            let t = Instant::now();
            daemon
                .get_status(pb::GetStatusRequest {})
                .await
                .expect("status while watchers open");
            answered = answered.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut streams = Vec::new();
        for o in opening {
            streams.push(o.await.expect("watcher task").expect("the watch opened"));
        }
        let after = rss_kib(pid);
        let growth_mib = after.saturating_sub(before) / 1024;
        eprintln!(
            "RSS {} MiB -> {} MiB with {WATCHERS} never-reading watchers ({growth_mib} MiB); slowest status {answered:?}",
            before / 1024,
            after / 1024
        );
        assert!(
            growth_mib < 150,
            "{WATCHERS} watchers that never read grew evpnd by {growth_mib} MiB"
        );
        assert!(
            answered < Duration::from_secs(1),
            "GetStatus took {answered:?} while watchers opened"
        );
        drop(streams);
    });
}
