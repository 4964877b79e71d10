use super::*;
use evpnd_wire::Vni;

fn unit(port: u32, vni: u32) -> Unit {
    Unit {
        fdb_ports: vec![port],
        neigh_devs: vec![],
        scope: Scope {
            vnis: [Vni::new(vni).expect("vni")].into(),
            ours_fdb: true,
            ..Scope::default()
        },
        tables: false,
    }
}

/// Drives `r` from `start` to `end` in 1 ms steps; each scan takes
/// `scan_ms`, except that time jumps by `stall_ms` once at `stall_at`
/// (the task was busy). Returns when each scan started.
fn drive(r: &mut Repair, end: u64, scan_ms: u64, stall_at: u64, stall_ms: u64) -> Vec<u64> {
    let mut started = Vec::new();
    let mut now = 0;
    let mut running_until = None;
    while now < end {
        if let Some(t) = running_until
            && now >= t
        {
            r.finished(now);
            running_until = None;
        }
        if r.next(now).is_some() {
            started.push(now);
            running_until = Some(now + scan_ms);
        }
        now += if now == stall_at { stall_ms } else { 1 };
    }
    started
}

#[test]
fn scans_are_spaced_from_the_end_of_the_last_and_never_catch_up() {
    let mut r = Repair::new(100);
    r.lost();
    assert!(r.round_due(0));
    r.plan((0..20).map(|i| unit(i, 100 + i)).collect());
    // Scans of 30 ms, a 10 s stall of the task at t = 500.
    let started = drive(&mut r, 20_000, 30, 500, 10_000);
    // Before the stall: one every 130 ms (30 ms scan + 100 ms gap).
    assert_eq!(&started[..4], &[0, 130, 260, 390]);
    // After it, still 130 ms apart: no burst to make up for the stall.
    for w in started.windows(2) {
        assert!(w[1] - w[0] >= 130, "scans back to back: {started:?}");
    }
    assert_eq!(started.len(), 20, "every unit scanned once");
}

#[test]
fn one_scan_at_a_time_and_a_new_loss_replans_after_the_gap() {
    let mut r = Repair::new(50);
    r.lost();
    r.plan(vec![unit(1, 100), unit(2, 200), unit(3, 300)]);
    assert_eq!(r.next(0), Some(unit(1, 100)));
    assert_eq!(r.next(0), None, "one at a time");
    // Lost again during the scan: the caller abandons it, then replans.
    r.lost();
    r.finished(10);
    assert!(!r.round_due(20), "not before the gap");
    assert_eq!(r.wake_at(), Some(60));
    assert!(r.round_due(60));
    r.plan(vec![unit(9, 900)]);
    assert_eq!(r.next(60), Some(unit(9, 900)));
    r.finished(70);
    assert_eq!(r.next(200), None, "the old round's units are gone");
    assert!(!r.busy());
    assert_eq!(r.rounds(), 2);
}

#[test]
fn small_devices_are_grouped_and_large_ones_are_alone() {
    let items = vec![
        (unit(1, 1), 10),
        (unit(2, 2), 10),
        (unit(3, 3), UNIT_ENTRIES),
        (unit(4, 4), 10),
    ];
    let units = group(items);
    let ports: Vec<Vec<u32>> = units.iter().map(|u| u.fdb_ports.clone()).collect();
    assert_eq!(ports, [vec![1, 2], vec![3], vec![4]]);
    assert_eq!(units[0].scope.vnis.len(), 2);
    // Different kinds never share a unit.
    let mut local = unit(5, 5);
    local.scope.ours_fdb = false;
    local.scope.local_macs = true;
    let units = group(vec![(unit(1, 1), 1), (local, 1)]);
    assert_eq!(units.len(), 2);
    // The device bound.
    let many: Vec<(Unit, usize)> = (0..(UNIT_DEVICES as u32 + 1))
        .map(|i| (unit(i, 1 + i), 0))
        .collect();
    assert_eq!(group(many).len(), 2);
}
