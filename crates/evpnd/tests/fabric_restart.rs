//! A leaf of the RFC 7938 fabric (`lab::clos`) restarted with its underlay
//! installed (issue 13): leaf 1's evpnd is killed with SIGKILL under a
//! 20 ms overlay ping and started again on the same configuration. Its
//! routes to the other leaves' loopbacks are adopted, not deleted and
//! re-added: a route monitor in leaf 1 sees nothing about them and their
//! nexthop objects keep their ids; the echoes lost are printed (bounded by
//! `MAX_LOST`). Spine 2 stops
//! originating its loopback while leaf 1 is down: that route, which BGP
//! does not re-confirm, is swept once leaf 1 has converged.

mod lab;

use std::time::Duration;

use lab::clos::{
    LEAVES, Leaf, MAX_LOST, T, Vteps, clos, host_ip, loopback, loopback_prefix, nexthop_ids,
    ping_counts, ping_in_background, spine_loopback, wait_until,
};
use lab::sh;

/// Pings at 20 ms across the kill and the restart: 8 s.
const PINGS: u32 = 400;

#[test]
fn kill_9_keeps_the_underlay_in_the_kernel_and_sweeps_the_stale() {
    let v = Vteps::V4;
    let mut f = clos("cr", v, &[Leaf::Evpnd; 3]);
    f.wait_ecmp_everywhere();
    let gone = spine_loopback(v, 2);
    wait_until("spine 2's loopback on leaf 1", T, || {
        f.route_to(1, &gone, &["swp2"])
    });
    lab::clos::ping(f.host(1), &host_ip(2)).expect("ping before the restart");
    let before: Vec<_> = (2..=LEAVES)
        .map(|j| f.underlay_route(1, j, &["swp1", "swp2"]).expect("ECMP"))
        .collect();
    let ids = nexthop_ids(f.leaf(1), before.iter().map(|r| r.nhid));

    // Every route and nexthop change in leaf 1 from now on.
    f.leaves[0].spawn("monitor", &["ip", "-t", "monitor", "route", "nexthop"]);
    // And in leaf 2, whose traffic back to host 1 needs leaf 1's loopback.
    f.leaves[1].spawn("monitor", &["ip", "-t", "monitor", "route", "nexthop"]);
    std::thread::sleep(Duration::from_millis(300));
    let pinger = ping_in_background(f.host(1), &host_ip(2), PINGS, "0.02");
    std::thread::sleep(Duration::from_millis(500));
    let first = f.leaf(1).log("evpnd");
    f.leaves[0].kill_9("evpnd");
    std::fs::write(f.leaf(1).dir.join("evpnd-first.log"), first).expect("keep the first log");
    // While leaf 1 is down, spine 2 stops originating its loopback.
    let spine2 = f.spines[1].name.clone();
    sh(&[
        "vtysh",
        "-N",
        &spine2,
        "-c",
        "configure terminal",
        "-c",
        &format!("router bgp {}", lab::clos::SPINE_ASN),
        "-c",
        "address-family ipv4 unicast",
        "-c",
        &format!("no network {gone}"),
    ])
    .expect("spine 2 withdraws its loopback");
    std::thread::sleep(Duration::from_millis(500));
    f.start_leaf(1);

    let out = pinger.join().expect("ping thread");
    let run = ping_counts(&out);
    println!(
        "leaf 1 kill -9 + restart: 20 ms ping h1→h2: {}/{} lost",
        run.lost(),
        run.sent
    );
    // Swept once BGP has re-converged without it …
    wait_until(
        "spine 2's loopback swept from leaf 1",
        T,
        || match lab::l3::route(f.leaf(1), "main", &gone) {
            None => Ok(()),
            Some(r) => Err(format!("{r}{}", f.logs())),
        },
    );
    // … while the confirmed routes stayed as they were. Every finding is
    // collected, then reported together.
    let mut wrong = Vec::new();
    for (j, b) in (2..=LEAVES).zip(&before) {
        match f.underlay_route(1, j, &["swp1", "swp2"]) {
            Ok(now) if now.nhid == b.nhid && now.hops == b.hops => {}
            Ok(now) => wrong.push(format!(
                "leaf {j}'s loopback: nexthop {} {:?} before, {} {:?} after",
                b.nhid, b.hops, now.nhid, now.hops
            )),
            Err(e) => wrong.push(e),
        }
    }
    let monitor = f.leaf(1).log("monitor");
    for j in 2..=LEAVES {
        let lo = loopback(v, j);
        let touched: Vec<&str> = monitor
            .lines()
            .filter(|l| l.split_whitespace().any(|w| w == lo))
            .collect();
        if !touched.is_empty() {
            wrong.push(format!(
                "leaf {j}'s loopback {} flapped in leaf 1's kernel:\n{}",
                loopback_prefix(v, j),
                touched.join("\n")
            ));
        }
    }
    let deleted: Vec<&str> = monitor
        .lines()
        .filter(|l| {
            ids.iter()
                .any(|id| l.starts_with(&format!("Deleted id {id} ")))
        })
        .collect();
    if !deleted.is_empty() {
        wrong.push(format!(
            "nexthop objects of the kept routes deleted:\n{}",
            deleted.join("\n")
        ));
    }
    if !monitor.contains(&format!("Deleted {}", gone.trim_end_matches("/32"))) {
        wrong.push(format!(
            "the monitor did not see the stale route go:\n{monitor}"
        ));
    }
    if run.lost() > MAX_LOST {
        wrong.push(format!(
            "echoes lost across kill -9 + restart:\n{out}\nleaf 2's route monitor:\n{}",
            f.leaf(2).log("monitor")
        ));
    }
    assert!(
        wrong.is_empty(),
        "{}\n\nleaf 1's route monitor:\n{monitor}{}",
        wrong.join("\n\n"),
        f.logs()
    );
}
