//! An L3 leaf restarted with routes installed (issue 11): in the table-mode
//! fabric of `kernel_l3` (`lab::l3`), leaf 1's evpnd is killed with SIGKILL
//! during a 20 ms routed ping from host 1 (VNI 100) to host 2 (VNI 200
//! behind leaf 2) and started again. No echo is lost; the tenant routes,
//! their nexthop objects and the Router's MAC entries are adopted, not
//! deleted and re-added (a route monitor in leaf 1 sees no deletion, the
//! nexthop ids are the same); a type 5 withdrawn while leaf 1 was down is
//! swept after convergence, one added meanwhile is installed.

mod lab;

use std::time::Duration;

use lab::l3::{
    H1, H2, TABLE, evpn_route, hosts_greet_gateways, l3_fabric, rmac_fdb, rmac_neigh, route,
    router_mac, run, table_leaf_conf,
};
use lab::wait_until;

const T: Duration = Duration::from_secs(45);
const TBL: &str = "1000";
/// A prefix leaf 2 redistributes before the restart and removes while leaf 1 is down.
const GONE: &str = "10.203.0.0/24";
/// One it adds while leaf 1 is down.
const NEW: &str = "10.204.0.0/24";
/// Pings at 20 ms across the kill and the restart: 6 s.
const PINGS: &str = "300";

#[test]
fn kill_9_and_restart_keeps_routed_traffic_and_sweeps_only_the_stale() {
    let mut f = l3_fabric("l3r");
    wait_until("host routes both ways", T, || {
        hosts_greet_gateways(&f);
        evpn_route(
            &f.leaves[0],
            TBL,
            &format!("{H2}/32"),
            &["10.0.0.2"],
            "br4000",
        )?;
        evpn_route(
            &f.leaves[1],
            TBL,
            &format!("{H1}/32"),
            &["10.0.0.1"],
            "br4000",
        )
    });
    // Leaf 2 redistributes a static route (towards host 2) that will be
    // gone by the time leaf 1 is back.
    run(
        &f.leaves[1],
        &[&format!(
            "ip route add {GONE} via {H2} dev br200 table {TABLE} proto static"
        )],
    );
    wait_until("the soon-stale type 5 on leaf 1", T, || {
        evpn_route(&f.leaves[0], TBL, GONE, &["10.0.0.2"], "br4000")
    });
    wait_until("routed ping before the restart", T, || {
        lab::l3::ping(&f.hosts[0], H2)
    });
    let before = route(&f.leaves[0], TBL, &format!("{H2}/32")).expect("host 2's route");

    // Every route and nexthop change in leaf 1 from now on.
    f.leaves[0].spawn("monitor", &["ip", "-t", "monitor", "route", "nexthop"]);
    std::thread::sleep(Duration::from_millis(300));
    let h1 = f.hosts[0].name.clone();
    let pinger = std::thread::spawn(move || {
        lab::sh(&[
            "ip", "netns", "exec", &h1, "ping", "-c", PINGS, "-i", "0.02", "-W", "1", H2,
        ])
    });
    std::thread::sleep(Duration::from_millis(500));
    let first = f.leaves[0].log("evpnd");
    f.leaves[0].kill_9("evpnd");
    // While leaf 1 is down: one type 5 goes, one comes.
    run(
        &f.leaves[1],
        &[
            &format!("ip route del {GONE} table {TABLE} proto static"),
            &format!("ip route add {NEW} via {H2} dev br200 table {TABLE} proto static"),
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(f.leaves[0].dir.join("evpnd-first.log"), first).expect("keep the first log");
    // The same config and API socket: the restart marker says "restart".
    f.leaves[0].start_evpnd("evpnd", &table_leaf_conf(1));

    let out = pinger.join().expect("ping thread").unwrap_or_else(|e| e);
    let received = out
        .lines()
        .find_map(|l| {
            l.split(" received")
                .next()?
                .rsplit(", ")
                .next()?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    assert_eq!(
        received.to_string(),
        PINGS,
        "routed pings lost across kill -9 + restart:\n{out}\n{}",
        f.leaves[0].log("evpnd")
    );
    // The new process programs: the type 5 added meanwhile arrives …
    wait_until("the new type 5 on leaf 1", T, || {
        evpn_route(&f.leaves[0], TBL, NEW, &["10.0.0.2"], "br4000")
            .map_err(|e| format!("{e}\n{}", f.leaves[0].log("evpnd")))
    });
    // … and, once converged, the stale one is swept.
    wait_until("the stale type 5 swept", T, || {
        match route(&f.leaves[0], TBL, GONE) {
            None => Ok(()),
            Some(r) => Err(format!("{r}\n{}", f.leaves[0].log("evpnd"))),
        }
    });
    // Adopted, not re-created: the same route through the same nexthop
    // object, and no deletion of it or of its nexthop was ever seen.
    let after = route(&f.leaves[0], TBL, &format!("{H2}/32")).expect("host 2's route after");
    assert_eq!(
        before, after,
        "host 2's route is unchanged across the restart"
    );
    let nhid = after["nhid"].as_u64().expect("nhid");
    let mon = f.leaves[0].log("monitor");
    // `ip monitor` lines: `[Deleted ]192.168.200.20 nhid N via …` for the
    // route, `[Deleted ]id N via …` for its nexthop (deleting a nexthop
    // takes its routes silently). Adopted means neither is written again.
    let (route_line, nh_line) = (format!("{H2} "), format!("id {nhid} "));
    let churn: Vec<&str> = mon
        .lines()
        .filter(|l| {
            let l = l.strip_prefix("Deleted ").unwrap_or(l);
            l.starts_with(&route_line) || l.starts_with(&nh_line)
        })
        .collect();
    assert!(
        churn.is_empty(),
        "host 2's route or nexthop rewritten across the restart: {churn:?}\n{mon}"
    );
    rmac_neigh(&f.leaves[0], "br4000", "10.0.0.2", &router_mac(2))
        .unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(&f.leaves[0], "vxlan4000", &router_mac(2), "10.0.0.2")
        .unwrap_or_else(|e| panic!("{e}"));
    lab::l3::ping(&f.hosts[0], H2).expect("routed ping after the restart");
}
