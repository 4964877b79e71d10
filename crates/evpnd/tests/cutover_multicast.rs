//! Cut-over of a multicast-group VXLAN fabric to EVPN ingress replication
//! under traffic (issue 12). Two legacy VTEPs whose `vxlan100` floods to
//! the group 239.1.1.100 on one underlay L2 segment (learning on, no BGP)
//! and their hosts; an evpnd leaf (ingress replication, not on the group)
//! joins with `static_vteps`, the legacy VTEPs add a head-end entry towards
//! it beside their group. Then, two ways:
//!
//! * by hand, each legacy VTEP becomes evpnd and leaves the group in place
//!   (`ip link set vxlan100 type vxlan remote 0.0.0.0`: the device, its
//!   other flood entries and learned MACs stay);
//! * with `evpnctl migrate`: each becomes evpnd keeping the group
//!   (`--flood keep`, a mixed fabric), then each leaves it
//!   (`--flood ingress-replication`, which re-creates the device).
//!
//! Hosts ping each other every 20 ms through every step; the losses per
//! step are printed (docs/migration.md "Measured cut-over"), and once a
//! step has settled nothing may be lost.

mod lab;

use lab::legacy::{
    Bum, FdbMonitor, GROUP, Segment, evpnd_leaf_joins, flood_deletions, flood_list, flood_to_vtep,
    ips, legacy_fabric, migrate_legacy, migrate_replan, set_static_vteps, settled, start_leaf,
    step, table, wait_flood_list, wait_remote_vtep, wait_speaks_evpn,
};

/// VTEP `i` leaves the group: `ip link set vxlan100 type vxlan remote
/// 0.0.0.0` drops the default (group) flood entry and the membership; the
/// other flood entries stay.
fn leave_group(seg: &Segment, i: u8) {
    seg.vtep(i)
        .exec(&[
            "ip", "link", "set", "vxlan100", "type", "vxlan", "remote", "0.0.0.0", "dev", "u0",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Converts legacy multicast VTEP `i` to evpnd with ingress replication:
/// the VTEPs still on the group add a head-end entry towards `i` (they
/// keep flooding to the group too); `i` starts evpnd with them as
/// `static_vteps` (head-end entries towards them, beside its group entry),
/// speaks EVPN to the evpnd VTEPs, and leaves the group; the evpnd VTEPs
/// drop `i` from their `static_vteps`.
/// No head-end entry went away meanwhile, on any VTEP (only `i`'s group
/// entry may: it leaves the group).
fn convert(seg: &mut Segment, i: u8, still_legacy: &[u8], evpnd: &[u8]) {
    let monitors: Vec<FdbMonitor> = (1..=3).map(|j| FdbMonitor::start(seg.vtep(j))).collect();
    for &j in still_legacy {
        flood_to_vtep(seg.vtep(j), i);
    }
    start_leaf(seg, i, still_legacy);
    wait_speaks_evpn(seg, i, evpnd);
    for &j in evpnd {
        wait_speaks_evpn(seg, j, &[i]);
    }
    let mut want = ips(&(1..=3).filter(|k| *k != i).collect::<Vec<_>>());
    want.push(GROUP.to_string());
    wait_flood_list(seg, i, &want);
    leave_group(seg, i);
    for &j in evpnd {
        set_static_vteps(seg, j, still_legacy);
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    for &j in evpnd.iter().chain([&i]) {
        let others: Vec<u8> = (1..=3).filter(|k| *k != j).collect();
        wait_flood_list(seg, j, &ips(&others));
    }
    for (k, m) in monitors.into_iter().enumerate() {
        let out = m.stop();
        if k + 1 == usize::from(i) {
            // The monitor sees deletions: this one left the group.
            assert!(
                flood_deletions(&out).iter().any(|l| l.contains(GROUP)),
                "VTEP {i}'s group entry not seen going:\n{out}"
            );
        }
        let gaps: Vec<&str> = flood_deletions(&out)
            .into_iter()
            .filter(|l| !l.contains(GROUP))
            .collect();
        assert!(
            gaps.is_empty(),
            "a head-end entry went away: {gaps:?}\n{out}"
        );
    }
}

/// VTEPs 1 and 2 flood to the group, VTEP 3 (evpnd's to be) head-end.
fn multicast_fabric(tag: &str) -> Segment {
    legacy_fabric(
        tag,
        &[(Bum::Group, &[]), (Bum::Group, &[]), (Bum::HeadEnd, &[])],
    )
}

#[test]
fn multicast_fabric_cuts_over_to_ingress_replication_under_traffic() {
    let mut seg = multicast_fabric("cm");
    for i in [1, 2] {
        assert_eq!(
            flood_list(seg.vtep(i)),
            [GROUP],
            "VTEP {i} floods to the group only"
        );
    }
    settled(&seg, "legacy multicast fabric", &[1, 2]);

    let mut steps = vec![evpnd_leaf_joins(
        &mut seg,
        "1: evpnd VTEP 3 (ingress replication) joins (static_vteps = [1, 2])",
    )];
    steps.push(step(
        &mut seg,
        "2: VTEP 1 to evpnd, leaves the group in place (static_vteps = [2])",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| convert(seg, 1, &[2], &[3]),
    ));
    steps.push(step(
        &mut seg,
        "3: VTEP 2 to evpnd, leaves the group in place (no static_vteps left)",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| convert(seg, 2, &[], &[1, 3]),
    ));
    for i in 1..=3 {
        assert!(
            !flood_list(seg.vtep(i)).contains(&GROUP.to_string()),
            "VTEP {i} still floods to the group"
        );
    }
    settled(&seg, "all EVPN ingress replication", &[1, 2, 3]);
    eprintln!(
        "{}",
        table(
            "Multicast-group fabric → EVPN, group left in place by hand (cutover_multicast)",
            &steps
        )
    );
}

/// VTEP `i`'s flood list, as VTEP numbers and the group.
fn want(vteps: &[u8], group: bool) -> Vec<String> {
    let mut w = ips(vteps);
    if group {
        w.push(GROUP.to_string());
    }
    w
}

/// The same fabric converted the way `evpnctl migrate` plans it: each
/// legacy VTEP first becomes evpnd keeping its group (`--flood keep`: type 3
/// with a PIM-SM PMSI; the ingress-replication VTEP 3 floods to it
/// head-end, and it to VTEP 3; VTEPs on the same group get no head-end
/// entry towards each other), then each leaves the group
/// (`--flood ingress-replication`: the planner re-creates the device —
/// the step it marks disruptive, measured here).
/// How the evpnd VTEPs that kept the group leave it at the end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// `evpnctl migrate apply --flood ingress-replication`: the device is
    /// re-created without the group.
    Recreate,
    /// `ip link set vxlan100 type vxlan remote 0.0.0.0` on the running
    /// device: evpnd must see the group go and advertise ingress
    /// replication, or the VTEP still on the group keeps no head-end entry
    /// towards it.
    InPlace,
}

#[test]
fn multicast_fabric_migrates_with_evpnctl_keeping_the_group_first() {
    migrate_multicast("cn", Leave::Recreate);
}

#[test]
fn multicast_fabric_kept_by_evpnd_leaves_the_group_in_place() {
    migrate_multicast("cp", Leave::InPlace);
}

fn migrate_multicast(tag: &str, leave: Leave) {
    let mut seg = multicast_fabric(tag);
    settled(&seg, "legacy multicast fabric", &[1, 2]);
    let keep = ["--flood", "keep"];
    let ir = ["--flood", "ingress-replication"];
    let mut steps = vec![evpnd_leaf_joins(
        &mut seg,
        "1: evpnd VTEP 3 (ingress replication) joins (static_vteps = [1, 2])",
    )];
    steps.push(step(
        &mut seg,
        "2: VTEP 1 migrated to evpnd, group kept (`--flood keep`)",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| {
            migrate_legacy(seg, 1, &[3], &keep);
            wait_speaks_evpn(seg, 1, &[3]);
            wait_speaks_evpn(seg, 3, &[1]);
            migrate_replan(seg, 3, &[1], &[]);
            wait_flood_list(seg, 1, &want(&[3], true));
            wait_flood_list(seg, 3, &want(&[1, 2], false));
        },
    ));
    steps.push(step(
        &mut seg,
        "3: VTEP 2 migrated to evpnd, group kept (`--flood keep`)",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| {
            migrate_legacy(seg, 2, &[1, 3], &keep);
            wait_speaks_evpn(seg, 2, &[1, 3]);
            wait_speaks_evpn(seg, 1, &[2]);
            wait_speaks_evpn(seg, 3, &[2]);
            migrate_replan(seg, 3, &[1, 2], &[]);
            // 1 and 2 share the group: no head-end entry between them,
            // and `evpnctl vnis` says why; VTEP 3 is reached head-end.
            wait_flood_list(seg, 1, &want(&[3], true));
            wait_flood_list(seg, 2, &want(&[3], true));
            wait_flood_list(seg, 3, &want(&[1, 2], false));
            for (a, b) in [(1, 2), (2, 1)] {
                wait_remote_vtep(seg, a, b, "none", GROUP);
                wait_remote_vtep(seg, a, 3, "evpn", "");
            }
            wait_remote_vtep(seg, 3, 1, "evpn", "");
        },
    ));
    steps.push(step(
        &mut seg,
        leave.label(1),
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| {
            leave.run(seg, 1, &ir);
            wait_flood_list(seg, 1, &want(&[2, 3], false));
            wait_flood_list(seg, 2, &want(&[1, 3], true));
        },
    ));
    steps.push(step(
        &mut seg,
        leave.label(2),
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| {
            leave.run(seg, 2, &ir);
            for i in 1..=3 {
                let others: Vec<u8> = (1..=3).filter(|k| *k != i).collect();
                wait_flood_list(seg, i, &want(&others, false));
            }
        },
    ));
    settled(&seg, "all EVPN ingress replication", &[1, 2, 3]);
    eprintln!(
        "{}",
        table(
            &format!(
                "Multicast-group fabric → EVPN with `evpnctl migrate`, then {} (cutover_multicast)",
                match leave {
                    Leave::Recreate => "`--flood ingress-replication`",
                    Leave::InPlace => "`remote 0.0.0.0`",
                }
            ),
            &steps
        )
    );
}

impl Leave {
    fn label(self, i: u8) -> &'static str {
        match (self, i) {
            (Leave::Recreate, 1) => {
                "4: VTEP 1 leaves the group (`--flood ingress-replication`, device re-created)"
            }
            (Leave::Recreate, _) => {
                "5: VTEP 2 leaves the group (`--flood ingress-replication`, device re-created)"
            }
            (Leave::InPlace, 1) => "4: VTEP 1 leaves the group in place (`remote 0.0.0.0`)",
            (Leave::InPlace, _) => "5: VTEP 2 leaves the group in place (`remote 0.0.0.0`)",
        }
    }

    /// VTEP `i` leaves the group; the others speak EVPN already.
    fn run(self, seg: &mut Segment, i: u8, ir: &[&str]) {
        let others: Vec<u8> = (1..=3).filter(|k| *k != i).collect();
        match self {
            Leave::Recreate => migrate_replan(seg, i, &others, ir),
            Leave::InPlace => leave_group(seg, i),
        }
    }
}
