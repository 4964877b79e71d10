//! L3 EVPN on the host kernel, table mode (issue 11, "How it must be
//! shown"): an evpnd reflector and two evpnd leaves in namespaces, each leaf
//! with the anycast gateway on VNI 100 (192.168.100.1/24) and VNI 200
//! (192.168.200.1/24), the L3VNI 4000 (`vxlan4000` in `br4000`) and the
//! tenant `t1` in table 1000 (`lab::l3`). Host 1 (VNI 100, leaf 1) pings
//! host 2 (VNI 200, leaf 2) routed and symmetric: each leaf holds the other's
//! host as a /32 via the other's VTEP `onlink dev br4000` (proto 245, through
//! a nexthop object), with the Router's MAC neighbour and FDB entries, and
//! the packets leave on `vxlan4000`. An external prefix behind leaf 1 (a
//! static route in table 1000, `redistribute = ["static"]`) is reached from
//! host 2. Type-5 routes injected by GoBGP (IPv4 and IPv6) from two "VTEPs"
//! are installed as ECMP through a nexthop group, withdrawn one by one.

mod lab;

use std::time::Duration;

use lab::l3::{
    EXT_HOST, EXT_PREFIX, H1, H2, L3Fabric, evpn_route, evpnctl_json, gobgp_rmac, gobgp_type5,
    group_size, hosts_greet_gateways, iif_rules, l3_fabric, ping, rmac_fdb, rmac_left, rmac_neigh,
    route, router_mac,
};
use lab::{Netns, wait_until};
use serde_json::Value;

const T: Duration = Duration::from_secs(45);
const TBL: &str = "1000";

fn evpnd_log(f: &L3Fabric) -> String {
    format!(
        "\n--- leaf1 ---\n{}\n--- leaf2 ---\n{}",
        tail(&f.leaves[0].log("evpnd")),
        tail(&f.leaves[1].log("evpnd"))
    )
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Packets sent by `dev` (`ip -s -j link`).
fn tx_packets(ns: &Netns, dev: &str) -> u64 {
    let out = ns
        .exec(&["ip", "-s", "-j", "link", "show", "dev", dev])
        .unwrap_or_else(|e| panic!("{e}"));
    let v: Vec<Value> = serde_json::from_str(&out).unwrap_or_default();
    v.first()
        .and_then(|l| l["stats64"]["tx"]["packets"].as_u64())
        .unwrap_or_else(|| panic!("no tx counter for {dev}: {out}"))
}

#[test]
fn hosts_in_two_subnets_route_symmetrically_and_reach_an_external_prefix() {
    let f = l3_fabric("l3s");
    let (l1, l2) = (&f.leaves[0], &f.leaves[1]);
    // Table mode: an ip rule per tenant SVI (L2VNI SVIs and the L3 SVI),
    // the SVIs' subnets and `unreachable default` in the tenant table.
    wait_until(
        "leaf 1's tenant rules, subnets and unreachable default",
        T,
        || {
            let r = iif_rules(l1);
            let rules = ["br100", "br200", "br4000"].iter().all(|svi| {
                r.iter()
                    .any(|(i, t, _, ours)| i == svi && t == TBL && *ours)
            });
            if !rules {
                return Err(format!("rules: {r:?}{}", evpnd_log(&f)));
            }
            for (pfx, dev) in [("192.168.100.0/24", "br100"), ("192.168.200.0/24", "br200")] {
                match route(l1, TBL, pfx) {
                    Some(r) if r["dev"] == dev => {}
                    other => return Err(format!("connected {pfx}: {other:?}")),
                }
            }
            match route(l1, TBL, "default") {
                Some(r) if r["type"] == "unreachable" => Ok(()),
                other => Err(format!("default: {other:?}")),
            }
        },
    );

    // Each leaf learns its host as a neighbour and advertises it (MAC+IP
    // with the L3VNI): the other leaf installs the /32 via its VTEP.
    let (rt12, rt21) = (format!("{H2}/32"), format!("{H1}/32"));
    wait_until("host 2's /32 on leaf 1, host 1's /32 on leaf 2", T, || {
        hosts_greet_gateways(&f);
        evpn_route(l1, TBL, &rt12, &["10.0.0.2"], "br4000")?;
        evpn_route(l2, TBL, &rt21, &["10.0.0.1"], "br4000")
            .map_err(|e| format!("{e}{}", evpnd_log(&f)))
    });
    // The Router's MAC entries, as FRR writes them.
    rmac_neigh(l1, "br4000", "10.0.0.2", &router_mac(2)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(l1, "vxlan4000", &router_mac(2), "10.0.0.2").unwrap_or_else(|e| panic!("{e}"));
    rmac_neigh(l2, "br4000", "10.0.0.1", &router_mac(1)).unwrap_or_else(|e| panic!("{e}"));
    rmac_fdb(l2, "vxlan4000", &router_mac(1), "10.0.0.1").unwrap_or_else(|e| panic!("{e}"));

    // Routed and symmetric: two routers on the way (TTL 64 → 62).
    let out = wait_until("h1 → h2", Duration::from_secs(10), || {
        ping(&f.hosts[0], H2)
    });
    assert!(
        out.contains("ttl=62"),
        "routed twice (symmetric IRB): {out}"
    );
    // And the packets cross the fabric on the L3VNI, not on VNI 200: 40
    // echo requests in 1 s leave on vxlan4000; vxlan200 carries at most the
    // bridges' own IPv6 multicast meanwhile (a few packets), not the echoes.
    let (tx4000, tx200) = (tx_packets(l1, "vxlan4000"), tx_packets(l1, "vxlan200"));
    f.hosts[0]
        .exec(&["ping", "-c", "40", "-i", "0.025", "-W", "1", H2])
        .unwrap_or_else(|e| panic!("40 pings h1 → h2: {e}"));
    let (d4000, d200) = (
        tx_packets(l1, "vxlan4000") - tx4000,
        tx_packets(l1, "vxlan200") - tx200,
    );
    assert!(
        d4000 >= 40 && d200 < 20,
        "echo requests out of leaf 1: {d4000} on vxlan4000 (want ≥ 40), {d200} on vxlan200 (want < 20)"
    );
    wait_until("h2 → h1", Duration::from_secs(10), || {
        ping(&f.hosts[1], H1)
    });

    // The external prefix behind leaf 1: type 5 from the static route.
    wait_until("the external prefix on leaf 2", T, || {
        evpn_route(l2, TBL, EXT_PREFIX, &["10.0.0.1"], "br4000")
            .map_err(|e| format!("{e}{}", evpnd_log(&f)))
    });
    wait_until(
        "h2 → the external host behind leaf 1",
        Duration::from_secs(10),
        || ping(&f.hosts[1], EXT_HOST),
    );
    // The operator's route and rule are untouched.
    let ext = route(l1, TBL, EXT_PREFIX).expect("the operator's static route");
    assert_eq!(ext["protocol"], "static", "{ext}");
    assert!(
        iif_rules(l1)
            .iter()
            .any(|(i, t, p, ours)| i == "ext" && t == TBL && *p == 900 && !*ours),
        "the operator's ip rule stays"
    );

    // The API: the tenant, its routes and Router's MACs.
    let vrfs = evpnctl_json(l1, "evpnd", &["vrfs"]).unwrap_or_else(|e| panic!("{e}"));
    let s = vrfs.to_string();
    assert!(
        s.contains("\"t1\"") && s.contains("4000"),
        "evpnctl vrfs: {s}"
    );
    let routes = evpnctl_json(l1, "evpnd", &["vrf-routes", "t1", "--prefix", &rt12])
        .unwrap_or_else(|e| panic!("{e}"));
    let s = routes.to_string();
    assert!(
        s.contains(H2) && s.contains("10.0.0.2"),
        "evpnctl vrf-routes: {s}"
    );
    let rmacs = evpnctl_json(l1, "evpnd", &["rmacs", "t1"]).unwrap_or_else(|e| panic!("{e}"));
    let s = rmacs.to_string();
    assert!(
        s.contains(&router_mac(2)) && s.contains("10.0.0.2"),
        "evpnctl rmacs: {s}"
    );
}

#[test]
fn gobgp_type5_routes_are_installed_ecmp_and_withdrawn() {
    let f = l3_fabric("l3g");
    let (l1, g) = (&f.leaves[0], &f.gobgp);
    wait_until("GoBGP ⇄ reflector Established", T, || {
        let out = g.gobgp(&["neighbor"])?;
        out.contains("Establ").then_some(()).ok_or(out)
    });
    const V4: &str = "10.99.0.0/24";
    const V6: &str = "2001:db8:99::/64";
    for v in [3, 4] {
        for p in [V4, V6] {
            gobgp_type5(g, true, p, v);
        }
    }
    let (m3, m4) = ("::ffff:10.0.0.3", "::ffff:10.0.0.4");
    wait_until("both VTEPs' type 5 on leaf 1 (ECMP)", T, || {
        evpn_route(l1, TBL, V4, &["10.0.0.3", "10.0.0.4"], "br4000")?;
        // IPv6 over an IPv4 VTEP: the IPv4-mapped next hop, as FRR.
        evpn_route(l1, TBL, V6, &[m3, m4], "br4000").map_err(|e| format!("{e}{}", evpnd_log(&f)))
    });
    assert_eq!(group_size(l1, TBL, V4), Ok(2), "a nexthop group of two");
    assert_eq!(group_size(l1, TBL, V6), Ok(2), "a nexthop group of two");
    for v in [3u8, 4] {
        let (vtep, mac) = (format!("10.0.0.{v}"), gobgp_rmac(v));
        rmac_neigh(l1, "br4000", &vtep, &mac).unwrap_or_else(|e| panic!("{e}"));
        rmac_neigh(l1, "br4000", &format!("::ffff:{vtep}"), &mac).unwrap_or_else(|e| panic!("{e}"));
        rmac_fdb(l1, "vxlan4000", &mac, &vtep).unwrap_or_else(|e| panic!("{e}"));
    }
    let routes = evpnctl_json(l1, "evpnd", &["vrf-routes", "t1", "--prefix", V4])
        .unwrap_or_else(|e| panic!("{e}"));
    let s = routes.to_string();
    assert!(
        s.contains("10.99.0.0/24") && s.contains("10.0.0.3") && s.contains("10.0.0.4"),
        "evpnctl vrf-routes shows both next hops: {s}"
    );

    // One VTEP withdraws: one next hop left.
    for p in [V4, V6] {
        gobgp_type5(g, false, p, 4);
    }
    wait_until("one next hop left", T, || {
        evpn_route(l1, TBL, V4, &["10.0.0.3"], "br4000")?;
        evpn_route(l1, TBL, V6, &[m3], "br4000")
    });
    wait_until("10.0.0.4's Router's MAC gone", T, || {
        (!rmac_left(l1, "br4000", "vxlan4000", &gobgp_rmac(4)))
            .then_some(())
            .ok_or("still there".to_string())
    });
    // Both withdraw: the routes and the Router's MAC entries go.
    for p in [V4, V6] {
        gobgp_type5(g, false, p, 3);
    }
    wait_until("routes and Router's MACs gone", T, || {
        let left: Vec<_> = [V4, V6].iter().filter_map(|p| route(l1, TBL, p)).collect();
        if !left.is_empty() {
            return Err(format!("{left:?}"));
        }
        (!rmac_left(l1, "br4000", "vxlan4000", &gobgp_rmac(3)))
            .then_some(())
            .ok_or("10.0.0.3's Router's MAC still there".to_string())
    });
}
