use super::*;

fn vni(n: u32) -> Vni {
    Vni::new(n).expect("vni")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn net(s: &str) -> IpNet {
    s.parse().expect("prefix")
}

const SVI: u32 = 7;

fn route(prefix: &str, vteps: &[&str]) -> DesiredChange {
    DesiredChange::Route {
        table: 1000,
        prefix: net(prefix),
        via: RouteVia::Vteps {
            l3vni: vni(5000),
            vteps: vteps.iter().map(|v| ip(v)).collect(),
        },
    }
}

fn l3() -> L3 {
    let mut l = L3::new();
    l.svis_changed([(vni(5000), SVI), (vni(100), 9)].into());
    l
}

/// A model kernel: applies ops, checks their order (objects exist before
/// they are used; nothing used is deleted), answers success.
#[derive(Default)]
pub(super) struct Kernel {
    pub(super) objs: HashMap<u32, Obj>,
    pub(super) routes: HashMap<(RouteKey, u32), Target>,
    pub(super) rules: BTreeSet<RuleKey>,
    pub(super) writes: usize,
}

impl Kernel {
    pub(super) fn apply(&mut self, l: &mut L3, now: u64) -> Vec<L3Op> {
        let mut all = Vec::new();
        for _ in 0..10 {
            let ops = l.plan(now);
            if ops.is_empty() {
                return all;
            }
            for op in &ops {
                self.writes += 1;
                match op {
                    L3Op::NhNew { id, hop } => {
                        assert!(self.objs.insert(*id, Obj::Hop(*hop)).is_none());
                    }
                    L3Op::GroupNew { id, members } | L3Op::GroupReplace { id, members } => {
                        assert!(members.iter().all(|m| self.objs.contains_key(m)));
                        self.objs.insert(*id, Obj::Group(members.clone()));
                    }
                    L3Op::RouteSet {
                        key,
                        metric,
                        target,
                        replace,
                    } => {
                        if let Target::Nh(id) = target {
                            assert!(self.objs.contains_key(id), "{op:?} before its object");
                        }
                        let old = self.routes.insert((*key, *metric), *target);
                        assert_eq!(old.is_some(), *replace, "{op:?}");
                    }
                    L3Op::RouteDel { key, metric, .. } => {
                        self.routes.remove(&(*key, *metric));
                    }
                    L3Op::NhDel { id } => {
                        let used = self.routes.values().any(|t| *t == Target::Nh(*id))
                            || self
                                .objs
                                .values()
                                .any(|o| matches!(o, Obj::Group(m) if m.contains(id)));
                        assert!(!used, "{op:?} while in use");
                        self.objs.remove(id);
                    }
                    L3Op::RuleSet(k) => {
                        self.rules.insert(k.clone());
                    }
                    L3Op::RuleDel(k) => {
                        self.rules.remove(k);
                    }
                }
                l.result(op, None, now);
            }
            all.extend(ops);
        }
        panic!("did not settle");
    }

    fn target(&self, prefix: &str) -> Option<Target> {
        let key = RouteKey {
            table: 1000,
            prefix: net(prefix),
        };
        self.routes.get(&(key, ROUTE_METRIC)).copied()
    }

    pub(super) fn members(&self, t: Option<Target>) -> Vec<Hop> {
        match t {
            Some(Target::Nh(id)) => match &self.objs[&id] {
                Obj::Hop(h) => vec![*h],
                Obj::Group(m) => m
                    .iter()
                    .map(|i| match &self.objs[i] {
                        Obj::Hop(h) => *h,
                        Obj::Group(_) => panic!("nested group"),
                    })
                    .collect(),
            },
            _ => Vec::new(),
        }
    }
}

fn hop(gw: &str) -> Hop {
    Hop {
        gateway: ip(gw),
        oif: SVI,
        onlink: true,
    }
}

#[test]
fn vteps_share_nexthops_and_groups_and_unused_ones_go() {
    let mut l = l3();
    let mut k = Kernel::default();
    l.desire(&DesiredChange::Converged);
    l.desire(&route("10.1.0.0/16", &["192.0.2.1", "192.0.2.2"]));
    l.desire(&route("10.2.0.0/16", &["192.0.2.1", "192.0.2.2"]));
    k.apply(&mut l, 0);
    assert_eq!(k.objs.len(), 3, "two nexthops, one group: {:?}", k.objs);
    assert_eq!(k.target("10.1.0.0/16"), k.target("10.2.0.0/16"));
    assert_eq!(
        k.members(k.target("10.1.0.0/16")),
        [hop("192.0.2.1"), hop("192.0.2.2")]
    );
    // One route loses a VTEP: a single nexthop; the group stays for the other.
    l.desire(&route("10.1.0.0/16", &["192.0.2.1"]));
    k.apply(&mut l, 0);
    assert_eq!(k.members(k.target("10.1.0.0/16")), [hop("192.0.2.1")]);
    assert_eq!(k.objs.len(), 3);
    // The other goes: the group and the second nexthop are deleted.
    l.desire(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("10.2.0.0/16"),
    });
    k.apply(&mut l, 0);
    assert_eq!(k.target("10.2.0.0/16"), None);
    assert_eq!(k.objs.len(), 1, "{:?}", k.objs);
    l.desire(&DesiredChange::RouteGone {
        table: 1000,
        prefix: net("10.1.0.0/16"),
    });
    k.apply(&mut l, 0);
    assert!(k.objs.is_empty() && k.routes.is_empty());
}

#[test]
fn a_group_whose_routes_all_move_together_is_replaced_in_place() {
    let mut l = l3();
    let mut k = Kernel::default();
    l.desire(&DesiredChange::Converged);
    for p in ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"] {
        l.desire(&route(p, &["192.0.2.1", "192.0.2.2"]));
    }
    k.apply(&mut l, 0);
    let before = k.target("10.1.0.0/16");
    for p in ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"] {
        l.desire(&route(p, &["192.0.2.1", "192.0.2.3"]));
    }
    let ops = k.apply(&mut l, 0);
    assert!(
        !ops.iter().any(|o| matches!(o, L3Op::RouteSet { .. })),
        "no route rewritten: {ops:?}"
    );
    assert!(ops.iter().any(|o| matches!(o, L3Op::GroupReplace { .. })));
    assert_eq!(k.target("10.3.0.0/16"), before);
    assert_eq!(k.members(before), [hop("192.0.2.1"), hop("192.0.2.3")]);
    assert_eq!(k.objs.len(), 3, "192.0.2.2's nexthop deleted: {:?}", k.objs);
}

#[test]
fn ipv6_prefixes_over_ipv4_vteps_go_via_the_mapped_address() {
    let mut l = l3();
    let mut k = Kernel::default();
    l.desire(&route("2001:db8:1::/48", &["192.0.2.1"]));
    l.desire(&route("10.1.0.0/16", &["192.0.2.1"]));
    k.apply(&mut l, 0);
    assert_eq!(
        k.members(k.target("2001:db8:1::/48")),
        [hop("::ffff:192.0.2.1")]
    );
    assert_eq!(k.members(k.target("10.1.0.0/16")), [hop("192.0.2.1")]);
}

#[test]
fn connected_unreachable_and_rules() {
    let mut l = l3();
    let mut k = Kernel::default();
    l.desire(&DesiredChange::Route {
        table: 1000,
        prefix: net("192.168.100.1/24"),
        via: RouteVia::Connected { vni: vni(100) },
    });
    l.desire(&DesiredChange::Route {
        table: 1000,
        prefix: net("::/0"),
        via: RouteVia::Unreachable,
    });
    l.desire(&DesiredChange::Rule {
        table: 1000,
        iif: "br100".into(),
        priority: 1000,
    });
    k.apply(&mut l, 0);
    assert_eq!(k.target("192.168.100.0/24"), Some(Target::Dev(9)));
    let d = RouteKey {
        table: 1000,
        prefix: net("::/0"),
    };
    assert_eq!(
        k.routes.get(&(d, UNREACHABLE_METRIC)),
        Some(&Target::Unreachable)
    );
    assert_eq!(k.rules.len(), 2, "v4 and v6");
    l.desire(&DesiredChange::RuleGone {
        table: 1000,
        iif: "br100".into(),
        priority: 1000,
    });
    k.apply(&mut l, 0);
    assert!(k.rules.is_empty());
}

/// A restart: the kernel's routes and objects of ours are adopted; those
/// re-desired as they are cost no write; the rest goes after convergence.
#[test]
fn a_restart_adopts_rewrites_nothing_right_and_sweeps_after_convergence() {
    let mut l = l3();
    let mut k = Kernel::default();
    l.desire(&route("10.1.0.0/16", &["192.0.2.1", "192.0.2.2"]));
    l.desire(&route("10.9.0.0/16", &["192.0.2.9"]));
    l.desire(&DesiredChange::Rule {
        table: 1000,
        iif: "br100".into(),
        priority: 1000,
    });
    k.apply(&mut l, 0);
    let snap = Snapshot {
        tables: None,
        routes: k.routes.iter().map(|((k, m), t)| (*k, *m, *t)).collect(),
        objs: k.objs.iter().map(|(i, o)| (*i, o.clone())).collect(),
        foreign: vec![NH_ID_BASE + 100],
        rules: k.rules.iter().cloned().collect(),
    };
    let mut l = l3();
    l.snapshot(snap);
    l.desire(&route("10.1.0.0/16", &["192.0.2.2", "192.0.2.1"]));
    l.desire(&DesiredChange::Rule {
        table: 1000,
        iif: "br100".into(),
        priority: 1000,
    });
    let writes = k.writes;
    k.apply(&mut l, 0);
    assert_eq!(k.writes, writes, "nothing rewritten before convergence");
    l.desire(&DesiredChange::Converged);
    let ops = k.apply(&mut l, 0);
    assert_eq!(k.target("10.9.0.0/16"), None, "the leftover swept");
    assert_eq!(k.objs.len(), 3, "its nexthop too: {ops:?}");
    assert_eq!(k.rules.len(), 2);
    assert!(
        ops.iter()
            .all(|o| matches!(o, L3Op::RouteDel { .. } | L3Op::NhDel { .. }))
    );
}

#[test]
fn failures_back_off_and_routes_wait_for_their_svi() {
    let mut l = L3::new();
    l.desire(&route("10.1.0.0/16", &["192.0.2.1"]));
    assert!(l.plan(0).is_empty(), "no SVI for the L3VNI yet");
    l.svis_changed([(vni(5000), SVI)].into());
    let ops = l.plan(0);
    assert_eq!(ops.len(), 2, "{ops:?}");
    for op in &ops {
        l.result(op, Some("Network is down (os error 100)"), 1000);
    }
    assert!(
        l.plan(1100)
            .iter()
            .all(|o| !matches!(o, L3Op::RouteSet { .. }))
    );
    let again = l.plan(1400);
    assert!(
        again.iter().any(|o| matches!(o, L3Op::NhNew { .. })),
        "{again:?}"
    );
    assert!(again.iter().any(|o| matches!(o, L3Op::RouteSet { .. })));
}
