//! Underlay routes (`RouteVia::Gateways`) in the planner, against the model
//! kernel of `super::tests`.

use std::collections::HashMap;

use evpnd_evpn::dataplane::Gateway;

use super::tests::Kernel;
use super::*;

const MAIN: u32 = 254;
const SWP1: u32 = 11;
const SWP2: u32 = 12;
const SWP3: u32 = 13;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn key(prefix: &str) -> RouteKey {
    RouteKey {
        table: MAIN,
        prefix: prefix.parse().expect("prefix"),
    }
}

fn gw(ip: &str, dev: Option<&str>) -> Gateway {
    Gateway {
        ip: ip.parse().expect("ip"),
        dev: dev.map(String::from),
    }
}

fn route(prefix: &str, hops: &[Gateway]) -> DesiredChange {
    DesiredChange::Route {
        table: MAIN,
        prefix: prefix.parse().expect("prefix"),
        via: RouteVia::Gateways {
            hops: hops.to_vec(),
        },
    }
}

fn devs(names: &[(&str, u32)]) -> HashMap<String, u32> {
    names.iter().map(|(n, i)| (n.to_string(), *i)).collect()
}

fn spines() -> [Gateway; 2] {
    [gw("fe80::1", Some("swp1")), gw("fe80::2", Some("swp2"))]
}

fn hop(ip: &str, oif: u32) -> Hop {
    Hop {
        gateway: ip.parse().expect("ip"),
        oif,
        onlink: false,
    }
}

fn target(k: &Kernel, prefix: &str) -> Option<Target> {
    k.routes.get(&(key(prefix), ROUTE_METRIC)).copied()
}

/// What the kernel does when `oif` goes down: its nexthops deleted and
/// taken out of their groups (empty groups deleted), routes through a
/// deleted object deleted.
fn link_down(k: &mut Kernel, oif: u32) {
    let dead: Vec<u32> = k
        .objs
        .iter()
        .filter(|(_, o)| matches!(o, Obj::Hop(h) if h.oif == oif))
        .map(|(i, _)| *i)
        .collect();
    let mut gone = dead.clone();
    for (id, o) in &mut k.objs {
        if let Obj::Group(m) = o {
            m.retain(|x| !dead.contains(x));
            if m.is_empty() {
                gone.push(*id);
            }
        }
    }
    k.objs.retain(|id, _| !gone.contains(id));
    k.routes
        .retain(|_, t| !matches!(t, Target::Nh(id) if gone.contains(id)));
}

fn converged_l3() -> L3 {
    let mut l = L3::new();
    l.devs_changed(devs(&[("swp1", SWP1), ("swp2", SWP2)]));
    l.desire(&DesiredChange::Converged);
    l
}

#[test]
fn gateways_by_device_share_nexthops_and_a_group_without_onlink() {
    let mut l = converged_l3();
    let mut k = Kernel::default();
    // RFC 8950: IPv4 prefixes via IPv6 link-local gateways.
    l.desire(&route("10.0.0.11/32", &spines()));
    l.desire(&route("10.0.0.12/32", &spines()));
    l.desire(&route("2001:db8::11/128", &spines()));
    l.desire(&route("10.0.0.21/32", &[gw("fe80::1", Some("swp1"))]));
    let ops = k.apply(&mut l, 0);
    assert_eq!(k.objs.len(), 3, "two nexthops, one group: {:?}", k.objs);
    let g = target(&k, "10.0.0.11/32");
    assert_eq!(g, target(&k, "10.0.0.12/32"));
    assert_eq!(g, target(&k, "2001:db8::11/128"), "IPv4 and IPv6 share");
    assert_eq!(
        k.members(g),
        vec![hop("fe80::1", SWP1), hop("fe80::2", SWP2)]
    );
    assert_eq!(
        k.members(target(&k, "10.0.0.21/32")),
        vec![hop("fe80::1", SWP1)],
        "the single path uses the group's member"
    );
    assert_eq!(ops.len(), 3 + 4, "{ops:?}");
    assert!(l.errors().next().is_none());
}

#[test]
fn a_route_waits_for_its_device_and_the_device_is_reported_once() {
    let mut l = converged_l3();
    let mut k = Kernel::default();
    l.desire(&route("10.0.0.31/32", &[gw("fe80::3", Some("swp3"))]));
    l.desire(&route("10.0.0.32/32", &[gw("fe80::3", Some("swp3"))]));
    assert!(k.apply(&mut l, 0).is_empty(), "nothing to go through");
    assert_eq!(l.take_missing(), vec!["swp3".to_string()]);
    let (_, err) = l.errors().next().expect("an error for status");
    assert!(err.contains("swp3"), "{err}");
    // A route with one gateway there goes through it meanwhile.
    l.desire(&route(
        "10.0.0.33/32",
        &[gw("fe80::1", Some("swp1")), gw("fe80::3", Some("swp3"))],
    ));
    k.apply(&mut l, 0);
    assert_eq!(
        k.members(target(&k, "10.0.0.33/32")),
        vec![hop("fe80::1", SWP1)]
    );
    assert!(l.take_missing().is_empty(), "reported once");
    // The link appears: every route is there, the mixed one over both.
    l.devs_changed(devs(&[("swp1", SWP1), ("swp2", SWP2), ("swp3", SWP3)]));
    k.apply(&mut l, 0);
    assert_eq!(
        k.members(target(&k, "10.0.0.31/32")),
        vec![hop("fe80::3", SWP3)]
    );
    assert!(target(&k, "10.0.0.32/32").is_some());
    assert_eq!(k.members(target(&k, "10.0.0.33/32")).len(), 2);
    assert!(
        l.errors().next().is_none(),
        "{:?}",
        l.errors().collect::<Vec<_>>()
    );
}

#[test]
fn a_link_down_is_mirrored_and_moving_to_the_other_spine_costs_no_write() {
    let mut l = converged_l3();
    let mut k = Kernel::default();
    for p in ["10.0.0.11/32", "10.0.0.12/32"] {
        l.desire(&route(p, &spines()));
    }
    l.desire(&route("10.0.0.21/32", &[gw("fe80::1", Some("swp1"))]));
    k.apply(&mut l, 0);
    let group = target(&k, "10.0.0.11/32");
    // swp1 goes down: the kernel shrinks the group, deletes the single path.
    link_down(&mut k, SWP1);
    l.devs_changed(devs(&[("swp2", SWP2)]));
    assert!(
        !l.routes().contains_key(&key("10.0.0.21/32")),
        "deleted with its link"
    );
    let before = k.writes;
    assert!(k.apply(&mut l, 0).is_empty(), "nothing to write");
    // The core moves the routes to the other spine: they already go there.
    for p in ["10.0.0.11/32", "10.0.0.12/32"] {
        l.desire(&route(p, &[gw("fe80::2", Some("swp2"))]));
    }
    assert!(k.apply(&mut l, 0).is_empty(), "the shrunk group is it");
    assert_eq!(k.writes, before);
    assert_eq!(target(&k, "10.0.0.11/32"), group);
    // swp1 is back and the routes are desired over both again: one new
    // nexthop, the group's members replaced in place, the single path back.
    l.devs_changed(devs(&[("swp1", SWP1), ("swp2", SWP2)]));
    for p in ["10.0.0.11/32", "10.0.0.12/32"] {
        l.desire(&route(p, &spines()));
    }
    let ops = k.apply(&mut l, 0);
    assert_eq!(target(&k, "10.0.0.11/32"), group);
    let mut members = k.members(group);
    members.sort();
    assert_eq!(members, vec![hop("fe80::1", SWP1), hop("fe80::2", SWP2)]);
    assert_eq!(
        k.members(target(&k, "10.0.0.21/32")),
        vec![hop("fe80::1", SWP1)]
    );
    let kinds: Vec<&str> = ops
        .iter()
        .map(|o| match o {
            L3Op::NhNew { .. } => "nh",
            L3Op::GroupReplace { .. } => "replace",
            L3Op::RouteSet { .. } => "route",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["nh", "replace", "route"], "{ops:?}");
    // Both links down: the group goes, every route with it.
    link_down(&mut k, SWP1);
    link_down(&mut k, SWP2);
    l.devs_changed(HashMap::new());
    assert!(l.routes().is_empty() && l.objs().is_empty());
    assert!(k.apply(&mut l, 0).is_empty());
}

#[test]
fn gateways_without_a_device_are_looked_up_and_follow_the_lookup() {
    let mut l = converged_l3();
    let mut k = Kernel::default();
    l.desire(&route("10.0.0.41/32", &[gw("10.9.0.2", None)]));
    assert_eq!(l.take_lookups(), vec![ip("10.9.0.2")]);
    l.looked_up(ip("10.9.0.2"), Some((ip("10.9.0.2"), SWP1)));
    k.apply(&mut l, 0);
    assert_eq!(
        k.members(target(&k, "10.0.0.41/32")),
        vec![hop("10.9.0.2", SWP1)]
    );
    // The underlay changed: looked up again; the same answer writes nothing.
    l.underlay_changed();
    assert_eq!(l.take_lookups(), vec![ip("10.9.0.2")]);
    l.looked_up(ip("10.9.0.2"), Some((ip("10.9.0.2"), SWP1)));
    assert!(k.apply(&mut l, 0).is_empty());
    // Now behind another router: via that one.
    l.looked_up(ip("10.9.0.2"), Some((ip("fe80::2"), SWP2)));
    k.apply(&mut l, 0);
    assert_eq!(
        k.members(target(&k, "10.0.0.41/32")),
        vec![hop("fe80::2", SWP2)]
    );
    // A link-local gateway needs its device; an IPv6 route no IPv4 gateway.
    l.desire(&route("10.0.0.42/32", &[gw("fe80::9", None)]));
    l.desire(&route("2001:db8::42/128", &[gw("10.9.0.2", Some("swp1"))]));
    assert!(l.take_lookups().is_empty());
    k.apply(&mut l, 0);
    assert!(target(&k, "10.0.0.42/32").is_none());
    assert!(target(&k, "2001:db8::42/128").is_none());
    assert_eq!(l.errors().count(), 2);
}

#[test]
fn main_table_routes_are_adopted_after_a_restart_and_swept_after_convergence() {
    let mut l = converged_l3();
    let mut k = Kernel::default();
    l.desire(&route("10.0.0.11/32", &spines()));
    l.desire(&route("10.0.0.12/32", &spines()));
    k.apply(&mut l, 0);
    // A new process: the kernel's state read back before any wish.
    let mut l = L3::new();
    l.devs_changed(devs(&[("swp1", SWP1), ("swp2", SWP2)]));
    l.snapshot(Snapshot {
        tables: None,
        routes: k.routes.iter().map(|((k, m), t)| (*k, *m, *t)).collect(),
        objs: k.objs.iter().map(|(i, o)| (*i, o.clone())).collect(),
        foreign: Vec::new(),
        rules: Vec::new(),
    });
    l.desire(&route("10.0.0.11/32", &spines()));
    assert!(k.apply(&mut l, 0).is_empty(), "adopted as it is");
    l.desire(&DesiredChange::Converged);
    let ops = k.apply(&mut l, 0);
    assert!(
        matches!(&ops[..], [L3Op::RouteDel { key: d, .. }] if *d == key("10.0.0.12/32")),
        "only the route not desired again goes: {ops:?}"
    );
    assert_eq!(k.objs.len(), 3, "still used");
}
