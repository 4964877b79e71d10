use super::*;
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn vni(n: u32) -> Vni {
    Vni::try_from(n).expect("vni")
}
fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}
fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

/// Runs ops against a model kernel until nothing is left to do.
fn settle(r: &mut Reconciler, kernel: &mut HashMap<Key, Value>) {
    for _ in 0..100 {
        let ops = r.next_ops(u64::MAX / 2, 1000);
        if ops.is_empty() {
            return;
        }
        for op in ops {
            match op {
                Op::Set(k, v) => kernel.insert(k, v),
                Op::Del(k, _) => kernel.remove(&k),
            };
            r.result(op, None, 0);
        }
    }
    panic!("did not settle");
}

#[test]
fn desired_entries_are_written_and_removed() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    r.desire(DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(1),
        vtep: ip(2),
        sticky: false,
    });
    r.desire(DesiredChange::Flood {
        vni: vni(100),
        vtep: ip(2),
    });
    settle(&mut r, &mut k);
    assert_eq!(k.len(), 2);
    r.desire(DesiredChange::FloodGone {
        vni: vni(100),
        vtep: ip(2),
    });
    settle(&mut r, &mut k);
    assert_eq!(k.len(), 1);
}

#[test]
fn writes_wait_for_the_device() {
    let mut r = Reconciler::new();
    r.desire(DesiredChange::Flood {
        vni: vni(100),
        vtep: ip(2),
    });
    assert!(r.next_ops(0, 10).is_empty());
    r.vni_present(vni(100), true);
    assert_eq!(r.next_ops(0, 10).len(), 1);
}

#[test]
fn leftovers_stay_until_converged_then_go_unless_reconfirmed() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    let a = Key::Mac {
        vni: vni(100),
        mac: mac(1),
    };
    let b = Key::Mac {
        vni: vni(100),
        mac: mac(2),
    };
    let v = Value::Mac {
        vtep: ip(2),
        sticky: false,
    };
    for key in [a, b] {
        r.adopt(key, v);
        k.insert(key, v);
    }
    settle(&mut r, &mut k);
    assert_eq!(k.len(), 2, "nothing deleted before convergence");
    r.desire(DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(1),
        vtep: ip(2),
        sticky: false,
    });
    r.desire(DesiredChange::Converged);
    settle(&mut r, &mut k);
    assert_eq!(k.keys().copied().collect::<Vec<_>>(), vec![a]);
}

#[test]
fn kernel_side_deletion_is_repaired_and_failures_back_off() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    r.desire(DesiredChange::RemoteNeigh {
        vni: vni(100),
        ip: ip(50),
        mac: mac(1),
    });
    settle(&mut r, &mut k);
    let key = Key::Neigh {
        vni: vni(100),
        ip: ip(50),
    };
    r.kernel(key, None);
    let ops = r.next_ops(1000, 10);
    assert_eq!(ops.len(), 1);
    r.result(ops[0], Some("EBUSY".into()), 1000);
    assert!(r.next_ops(1100, 10).is_empty(), "backing off");
    assert_eq!(r.next_ops(1000 + 400, 10).len(), 1);
}

#[derive(Debug, Clone)]
enum Step {
    Desire(DesiredChange),
    KernelDelete(u8),
    Fail(bool),
    Converge,
}

fn step() -> impl Strategy<Value = Step> {
    let v = (0u8..3).prop_map(|n| vni(100 + u32::from(n)));
    prop_oneof![
        (v.clone(), 0u8..4, 1u8..4, any::<bool>()).prop_map(|(vni, m, t, s)| Step::Desire(
            DesiredChange::RemoteMac {
                vni,
                mac: mac(m),
                vtep: ip(t),
                sticky: s
            }
        )),
        (v.clone(), 0u8..4)
            .prop_map(|(vni, m)| Step::Desire(DesiredChange::RemoteMacGone { vni, mac: mac(m) })),
        (v.clone(), 1u8..4)
            .prop_map(|(vni, t)| Step::Desire(DesiredChange::Flood { vni, vtep: ip(t) })),
        (v.clone(), 1u8..4)
            .prop_map(|(vni, t)| Step::Desire(DesiredChange::FloodGone { vni, vtep: ip(t) })),
        (v, 0u8..4, 0u8..4).prop_map(|(vni, i, m)| Step::Desire(DesiredChange::RemoteNeigh {
            vni,
            ip: ip(100 + i),
            mac: mac(m)
        })),
        any::<u8>().prop_map(Step::KernelDelete),
        any::<bool>().prop_map(Step::Fail),
        Just(Step::Converge),
    ]
}

proptest! {
    /// Whatever happens (kernel deletions, failed writes), once writes
    /// succeed the kernel holds exactly what is desired, and a foreign entry
    /// is never touched.
    #[test]
    fn converges_to_desired_and_never_touches_foreign(steps in prop::collection::vec(step(), 1..60)) {
        let mut r = Reconciler::new();
        for n in 0..3 { r.vni_present(vni(100 + n), true); }
        let mut kernel: HashMap<Key, Value> = HashMap::new();
        // Foreign (operator's) entry: never in `actual`, so never in an op.
        let foreign = Key::Mac { vni: vni(100), mac: mac(200) };
        let mut now = 0;
        for s in steps {
            now += 1000;
            match s {
                Step::Desire(c) => r.desire(c),
                Step::Converge => r.desire(DesiredChange::Converged),
                Step::KernelDelete(i) => {
                    if let Some(k) = kernel.keys().copied().nth(usize::from(i) % kernel.len().max(1)) {
                        kernel.remove(&k);
                        r.kernel(k, None);
                    }
                }
                Step::Fail(fail) => {
                    for op in r.next_ops(now, 1000) {
                        prop_assert_ne!(op.key(), foreign);
                        if fail {
                            r.result(op, Some("error".into()), now);
                        } else {
                            match op {
                                Op::Set(k, v) => kernel.insert(k, v),
                                Op::Del(k, _) => kernel.remove(&k),
                            };
                            r.result(op, None, now);
                        }
                    }
                }
            }
        }
        r.resync();
        settle(&mut r, &mut kernel);
        prop_assert_eq!(&kernel, &r.desired().to_map());
        assert_counts(&r);
    }
}

fn fdb_scope(v: u32) -> Scope {
    Scope {
        vnis: [vni(v)].into(),
        ours_fdb: true,
        ..Scope::default()
    }
}

/// Two remote MACs written; the kernel then loses one and rewrites the
/// other behind our back. A scan of the VNI finds both and the reconciler
/// puts them back, nothing else.
#[test]
fn a_scan_repairs_what_the_kernel_lost_or_changed() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    r.vni_present(vni(200), true);
    for (v, m) in [(100, 1), (100, 2), (200, 3)] {
        r.desire(DesiredChange::RemoteMac {
            vni: vni(v),
            mac: mac(m),
            vtep: ip(2),
            sticky: false,
        });
    }
    r.desire(DesiredChange::Converged);
    settle(&mut r, &mut k);
    let m1 = Key::Mac {
        vni: vni(100),
        mac: mac(1),
    };
    let m2 = Key::Mac {
        vni: vni(100),
        mac: mac(2),
    };
    let m3 = Key::Mac {
        vni: vni(200),
        mac: mac(3),
    };
    k.remove(&m1);
    k.insert(
        m2,
        Value::Mac {
            vtep: ip(9),
            sticky: false,
        },
    );
    k.remove(&m3); // outside the scan's scope: not its business
    assert!(!r.has_work(), "nothing known yet");
    r.scan_begin(fdb_scope(100));
    for (key, v) in k.clone() {
        r.scan_seen(key, v);
    }
    assert_eq!(r.scan_end(), 1, "one entry gone");
    let ops = r.next_ops(0, 100);
    let want = [
        Op::Set(
            m1,
            Value::Mac {
                vtep: ip(2),
                sticky: false,
            },
        ),
        Op::Set(
            m2,
            Value::Mac {
                vtep: ip(2),
                sticky: false,
            },
        ),
    ];
    assert_eq!(ops.len(), 2, "{ops:?}");
    for w in want {
        assert!(ops.contains(&w), "{ops:?}");
    }
}

/// Writes go on during a scan: an entry written after the dump passed its
/// place is not in the dump, and must not be taken for gone; a delete
/// notified during the scan beats the dump's stale copy.
#[test]
fn what_changes_during_a_scan_is_newer_than_the_dump() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    r.desire(DesiredChange::Converged);
    r.desire(DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(1),
        vtep: ip(2),
        sticky: false,
    });
    settle(&mut r, &mut k);
    let m1 = Key::Mac {
        vni: vni(100),
        mac: mac(1),
    };
    let m2 = Key::Mac {
        vni: vni(100),
        mac: mac(2),
    };
    let v = Value::Mac {
        vtep: ip(2),
        sticky: false,
    };
    r.scan_begin(fdb_scope(100));
    // The dump shows m1, then m1 is deleted by someone (notified).
    r.scan_seen(m1, v);
    r.kernel(m1, None);
    // m2 is desired and written while the dump runs; the dump missed it.
    r.desire(DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(2),
        vtep: ip(2),
        sticky: false,
    });
    settle(&mut r, &mut k);
    // A late copy of m1 in the dump (after the delete) is ignored too.
    r.scan_seen(m1, v);
    assert_eq!(r.scan_end(), 0, "nothing swept");
    assert_eq!(r.actual().get(&m2), Some(v), "m2 stays written");
    // m1 was deleted behind our back and is still desired: rewritten.
    assert!(r.actual().contains_key(&m1));
    assert_eq!(k.get(&m1), Some(&v));
}

#[test]
fn an_abandoned_scan_sweeps_nothing() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    r.desire(DesiredChange::RemoteMac {
        vni: vni(100),
        mac: mac(1),
        vtep: ip(2),
        sticky: false,
    });
    settle(&mut r, &mut k);
    r.scan_begin(fdb_scope(100));
    r.scan_abort();
    assert_eq!(r.scan_end(), 0);
    assert_eq!(r.actual().len(), 1);
    assert!(!r.has_work());
}

/// Before convergence a scan adopts what nobody desires yet (a leftover):
/// it is not deleted until the core has converged.
#[test]
fn a_scan_before_convergence_keeps_leftovers() {
    let mut r = Reconciler::new();
    r.vni_present(vni(100), true);
    let m1 = Key::Mac {
        vni: vni(100),
        mac: mac(1),
    };
    r.scan_begin(fdb_scope(100));
    r.scan_seen(
        m1,
        Value::Mac {
            vtep: ip(2),
            sticky: false,
        },
    );
    r.scan_end();
    assert!(r.next_ops(0, 10).is_empty(), "kept until convergence");
    r.desire(DesiredChange::Converged);
    assert!(matches!(r.next_ops(0, 10)[..], [Op::Del(k, _)] if k == m1));
}

/// The counts kept as the tables change are what a recount finds.
fn assert_counts(r: &Reconciler) {
    let mut want: HashMap<Vni, Counts> = HashMap::new();
    for k in r.desired().keys() {
        want.entry(k.vni()).or_default().desired[k.kind()] += 1;
    }
    for k in r.actual().keys() {
        want.entry(k.vni()).or_default().actual[k.kind()] += 1;
    }
    let got: HashMap<Vni, Counts> = r
        .counts()
        .iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(v, c)| (*v, *c))
        .collect();
    assert_eq!(got, want);
}

/// A VNI whose device goes takes its programmed entries with it, in the
/// counts too; one that appears holding nothing costs no walk of the tables
/// (nothing becomes dirty).
#[test]
fn counts_follow_the_tables_through_scans_and_devices() {
    let mut r = Reconciler::new();
    let mut k = HashMap::new();
    r.vni_present(vni(100), true);
    for m in 1..=3 {
        r.desire(DesiredChange::RemoteMac {
            vni: vni(100),
            mac: mac(m),
            vtep: ip(2),
            sticky: false,
        });
    }
    r.desire(DesiredChange::Flood {
        vni: vni(100),
        vtep: ip(2),
    });
    r.desire(DesiredChange::Converged);
    settle(&mut r, &mut k);
    assert_counts(&r);
    assert_eq!(r.counts()[&vni(100)].actual, [3, 1, 0]);
    r.scan_begin(fdb_scope(100));
    r.scan_seen(
        Key::Mac {
            vni: vni(100),
            mac: mac(1),
        },
        Value::Mac {
            vtep: ip(2),
            sticky: false,
        },
    );
    assert_eq!(r.scan_end(), 3, "two MACs and the flood entry not shown");
    assert_counts(&r);
    r.vni_present(vni(100), false);
    assert_counts(&r);
    assert_eq!(r.counts()[&vni(100)].actual, [0; 3]);
    r.vni_present(vni(200), true);
    assert!(
        r.next_ops(0, 100)
            .iter()
            .all(|op| op.key().vni() == vni(100))
    );
}
