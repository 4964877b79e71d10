//! The RFC 7938 underlay in the simulated fabric: two spines (AS 65101,
//! 65102) and three leaves (AS 65011..65013), all eBGP, IPv4 unicast only
//! (plus EVPN between leaves and spines); each leaf originates its
//! loopback (= VTEP = router id) and learns the others' with ECMP over both
//! spines into its main table.

use std::net::Ipv4Addr;

use evpnd_core::sim::Fabric;
use evpnd_evpn::LocalEvent;
use evpnd_evpn::dataplane::{Gateway, RouteVia};
use ipnet::IpNet;

fn spine_id(s: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 1, 1 + s as u8)
}

fn leaf_id(l: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, 11 + l as u8)
}

const FAMILIES: &str = r#"families = ["ipv4-unicast", "l2vpn-evpn"]"#;

fn spine(s: usize, leaves: usize) -> String {
    let mut t = format!(
        "[bgp]\nasn = {}\nrouter_id = \"{}\"\n[evpn]\nlearn_from_kernel = false\n",
        65101 + s,
        spine_id(s)
    );
    for l in 0..leaves {
        t += &format!(
            "[[neighbor]]\naddress = \"{}\"\nremote_asn = {}\n{FAMILIES}\n",
            leaf_id(l),
            65011 + l
        );
    }
    t
}

fn leaf(l: usize, spines: usize) -> String {
    let mut t = format!(
        "[bgp]\nasn = {}\nrouter_id = \"{}\"\n[evpn]\nlearn_from_kernel = true\n",
        65011 + l,
        leaf_id(l)
    );
    for s in 0..spines {
        t += &format!(
            "[[neighbor]]\naddress = \"{}\"\nremote_asn = {}\n{FAMILIES}\n",
            spine_id(s),
            65101 + s
        );
    }
    t
}

/// Spines are nodes 0 and 1, leaves 2, 3, 4.
fn fabric() -> Fabric {
    let texts = (0..2)
        .map(|s| spine(s, 3))
        .chain((0..3).map(|l| leaf(l, 2)));
    let configs = texts
        .map(|t| evpnd_config::parse(&t, "sim.toml").expect("config"))
        .collect();
    let mut f = Fabric::new(configs).expect("fabric");
    for l in 0..3 {
        f.local(2 + l, LocalEvent::Synced);
    }
    f.all_links_up();
    f.settle().expect("settles");
    f
}

fn host(ip: Ipv4Addr) -> IpNet {
    IpNet::from(std::net::IpAddr::V4(ip))
}

fn hops(f: &Fabric, node: usize, prefix: IpNet) -> Option<Vec<Gateway>> {
    match f.nodes[node].fdb.routes.get(&(254, prefix)) {
        Some(RouteVia::Gateways { hops }) => Some(hops.clone()),
        Some(other) => panic!("not a gateway route: {other:?}"),
        None => None,
    }
}

fn via(ips: &[Ipv4Addr]) -> Vec<Gateway> {
    ips.iter()
        .map(|ip| Gateway {
            ip: std::net::IpAddr::V4(*ip),
            dev: None,
        })
        .collect()
}

#[test]
fn leaves_learn_each_others_loopbacks_with_ecmp_over_both_spines() {
    let mut f = fabric();
    for l in 0..3 {
        for other in (0..3).filter(|o| *o != l) {
            assert_eq!(
                hops(&f, 2 + l, host(leaf_id(other))),
                Some(via(&[spine_id(0), spine_id(1)])),
                "leaf {l} to leaf {other}"
            );
        }
        // Its own loopback is never installed; every leaf converged.
        assert_eq!(hops(&f, 2 + l, host(leaf_id(l))), None);
        assert!(f.nodes[2 + l].fdb.converged, "leaf {l} converged");
    }
    // The spines install nothing (no kernel side).
    assert!(f.nodes[0].fdb.routes.is_empty());
    // Leaf 0 loses its link to spine 0: everyone's route to leaf 0 goes
    // through spine 1 alone, and leaf 0 reaches the others through spine 1.
    f.link_down(2, 0, false).expect("link");
    f.settle().expect("settles");
    for other in 1..3 {
        assert_eq!(
            hops(&f, 2 + other, host(leaf_id(0))),
            Some(via(&[spine_id(1)])),
            "leaf {other} to leaf 0"
        );
        assert_eq!(hops(&f, 2, host(leaf_id(other))), Some(via(&[spine_id(1)])));
    }
    // Back: ECMP again.
    f.link_up(2, 0).expect("link");
    f.settle().expect("settles");
    assert_eq!(
        hops(&f, 3, host(leaf_id(0))),
        Some(via(&[spine_id(0), spine_id(1)]))
    );
    let view = f.nodes[3]
        .core
        .unicast_route(&host(leaf_id(0)))
        .expect("view");
    assert_eq!(view.multipath, 2);
    println!("{} inputs", f.inputs);
}
