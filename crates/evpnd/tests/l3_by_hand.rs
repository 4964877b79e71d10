//! The `kernel_l3` topology with the kernel entries evpnd must write put
//! there by hand (no daemon): proves the lab, the readers of `lab::l3` and
//! the data path the L3 tests rely on — symmetric IRB over the L3VNI with
//! the anycast gateway, `ip rule iif SVI lookup 1000`, routes `via VTEP dev
//! br4000 onlink` through a nexthop object, the Router's MAC neighbour and
//! FDB entry — independently of evpnd. A failure here is the lab's, not
//! evpnd's.

mod lab;

use lab::Netns;
use lab::l3::{
    EXT_HOST, EXT_PREFIX, H1, H2, evpn_route, group_size, iif_rules, l3_topology, nexthop, ping,
    rmac_fdb, rmac_left, rmac_neigh, route, router_mac, run,
};

/// What evpnd writes on leaf `i` for the other leaf `j` and the routes `pfx`.
fn program(l: &Netns, j: u8, pfx: &[&str]) {
    let vtep = format!("10.0.0.{j}");
    let mac = router_mac(j);
    let mut cmds = vec![];
    for svi in ["br100", "br200", "br4000"] {
        cmds.push(format!(
            "ip rule add iif {svi} lookup 1000 pref 1000 proto 245"
        ));
    }
    cmds.push("ip route add 192.168.100.0/24 dev br100 table 1000 proto 245".into());
    cmds.push("ip route add 192.168.200.0/24 dev br200 table 1000 proto 245".into());
    cmds.push("ip route add unreachable default table 1000 proto 245".into());
    cmds.push(format!(
        "ip nexthop add id 77 via {vtep} dev br4000 onlink proto 245"
    ));
    for p in pfx {
        cmds.push(format!(
            "ip route add {p} nhid 77 table 1000 proto 245 metric 20"
        ));
    }
    cmds.push(format!(
        "ip neigh add {vtep} lladdr {mac} dev br4000 nud noarp extern_learn protocol 245"
    ));
    cmds.push(format!(
        "bridge fdb replace {mac} dev vxlan4000 dst {vtep} self master extern_learn"
    ));
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    run(l, &refs);
}

#[test]
fn the_l3_lab_routes_symmetrically_when_programmed_by_hand() {
    let f = l3_topology("l3h");
    let (l1, l2) = (&f.leaves[0], &f.leaves[1]);
    program(l1, 2, &[&format!("{H2}/32")]);
    program(l2, 1, &[&format!("{H1}/32"), EXT_PREFIX]);
    let r = iif_rules(l1);
    assert!(
        r.iter()
            .any(|(i, t, p, o)| i == "br4000" && t == "1000" && *p == 1000 && *o),
        "{r:?}"
    );
    assert!(
        r.iter()
            .any(|(i, t, p, o)| i == "ext" && t == "1000" && *p == 900 && !*o),
        "{r:?}"
    );
    evpn_route(l1, "1000", &format!("{H2}/32"), &["10.0.0.2"], "br4000").unwrap();
    evpn_route(l2, "1000", EXT_PREFIX, &["10.0.0.1"], "br4000").unwrap();
    assert!(evpn_route(l2, "1000", EXT_PREFIX, &["10.0.0.9"], "br4000").is_err());
    assert_eq!(route(l1, "1000", "default").unwrap()["type"], "unreachable");
    rmac_neigh(l1, "br4000", "10.0.0.2", &router_mac(2)).unwrap();
    rmac_fdb(l1, "vxlan4000", &router_mac(2), "10.0.0.2").unwrap();
    assert!(rmac_left(l1, "br4000", "vxlan4000", &router_mac(2)));
    assert!(!rmac_left(l1, "br4000", "vxlan4000", &router_mac(9)));
    assert!(nexthop(l1, 77).is_some());
    // ECMP through a group, IPv4 and IPv6 (via the IPv4-mapped VTEP).
    run(
        l1,
        &[
            "ip nexthop add id 78 via 10.0.0.3 dev br4000 onlink proto 245",
            "ip nexthop add id 79 via 10.0.0.4 dev br4000 onlink proto 245",
            "ip nexthop add id 80 group 78/79 proto 245",
            "ip route add 10.99.0.0/24 nhid 80 table 1000 proto 245 metric 20",
            "ip -6 nexthop add id 81 via ::ffff:10.0.0.3 dev br4000 onlink proto 245",
            "ip -6 nexthop add id 82 via ::ffff:10.0.0.4 dev br4000 onlink proto 245",
            "ip nexthop add id 83 group 81/82 proto 245",
            "ip -6 route add 2001:db8:99::/64 nhid 83 table 1000 proto 245 metric 20",
            "ip -6 neigh add ::ffff:10.0.0.3 lladdr 02:00:00:00:aa:03 dev br4000 nud noarp extern_learn",
        ],
    );
    evpn_route(
        l1,
        "1000",
        "10.99.0.0/24",
        &["10.0.0.4", "10.0.0.3"],
        "br4000",
    )
    .unwrap();
    evpn_route(
        l1,
        "1000",
        "2001:db8:99::/64",
        &["::ffff:10.0.0.3", "::ffff:10.0.0.4"],
        "br4000",
    )
    .unwrap();
    assert!(evpn_route(l1, "1000", "10.99.0.0/24", &["10.0.0.3"], "br4000").is_err());
    assert_eq!(group_size(l1, "1000", "10.99.0.0/24"), Ok(2));
    assert_eq!(group_size(l1, "1000", &format!("{H2}/32")), Ok(1));
    rmac_neigh(l1, "br4000", "::ffff:10.0.0.3", "02:00:00:00:aa:03").unwrap();
    let out = ping(&f.hosts[0], H2).unwrap();
    assert!(out.contains("ttl=62"), "{out}");
    ping(&f.hosts[1], H1).unwrap();
    ping(&f.hosts[1], EXT_HOST).unwrap();
}
