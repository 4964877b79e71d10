//! Cut-over of a flood-and-learn VXLAN fabric to EVPN under traffic
//! (issue 12). Two legacy VTEPs (VXLAN `learning` on, a static all-zero
//! flood entry towards each other, no BGP) and their hosts; an evpnd leaf
//! joins with `static_vteps`, then each legacy VTEP is converted to evpnd in
//! turn (`evpnctl migrate plan/apply`). Hosts ping each other every 20 ms
//! through every step; the losses per step are printed (docs/migration.md
//! "Measured cut-over" has a run's), and once a step has settled nothing
//! may be lost.
//!
//! Topology: `lab::legacy` (one underlay segment, an evpnd reflector on it).

mod lab;

use lab::host_mac;
use lab::legacy::{
    Bum, FdbMonitor, Segment, T, evpnd_leaf_joins, evpnd_routes_mention, fdb, flood_deletions, ips,
    legacy_fabric, migrate_legacy, migrate_replan, parse_ping, settled, step, table, vtep_ip,
    wait_flood_list, wait_remote_vtep, wait_speaks_evpn,
};
use lab::wait_until;

/// Converts legacy VTEP `i` to evpnd with `evpnctl migrate plan/apply`:
/// its plan keeps the VTEPs not in `evpnd` as `static_vteps` (evpnd takes
/// over the operator's flood entries towards them, and towards the evpnd
/// VTEPs once their type 3 arrives). Once `i` speaks EVPN to every evpnd
/// VTEP, those plan again (`--config`, `i` now an EVPN VTEP): `i` leaves
/// their `static_vteps` (its flood entry stays: type 3 asks for it), and
/// with none left learning stops. Returns the `bridge monitor fdb` output
/// of every VTEP meanwhile.
fn convert(seg: &mut Segment, i: u8, evpnd: &[u8]) -> Vec<String> {
    let monitors: Vec<FdbMonitor> = (1..=3).map(|j| FdbMonitor::start(seg.vtep(j))).collect();
    migrate_legacy(seg, i, evpnd, &[]);
    wait_speaks_evpn(seg, i, evpnd);
    for &j in evpnd {
        wait_speaks_evpn(seg, j, &[i]);
    }
    // `evpnctl vnis` on the evpnd VTEPs: `i` is both a static VTEP and an
    // EVPN one (the static entry redundant), then EVPN only.
    for &j in evpnd {
        wait_remote_vtep(seg, j, i, "evpn+static", "");
    }
    let now: Vec<u8> = evpnd.iter().copied().chain([i]).collect();
    for &j in evpnd {
        migrate_replan(seg, j, &now, &[]);
        wait_remote_vtep(seg, j, i, "evpn", "");
    }
    // The reloads are applied within a moment; the flood lists must not
    // change meanwhile.
    std::thread::sleep(std::time::Duration::from_secs(1));
    for j in 1..=3 {
        let others: Vec<u8> = (1..=3).filter(|k| *k != j).collect();
        wait_flood_list(seg, j, &ips(&others));
    }
    monitors.into_iter().map(FdbMonitor::stop).collect()
}

/// The kernel learned `mac` on VTEP `on` (no extern_learn): dst `via`.
fn kernel_learned(seg: &Segment, on: u8, mac: &str, via: u8) -> Result<(), String> {
    let entries = fdb(seg.vtep(on));
    let e = entries
        .iter()
        .find(|e| e["mac"] == mac && e["dst"].is_string())
        .ok_or_else(|| format!("no {mac} on VTEP {on}: {entries:?}"))?;
    let flags = e["flags"].as_array().cloned().unwrap_or_default();
    if e["dst"] == vtep_ip(via).as_str() && !flags.iter().any(|f| f == "extern_learn") {
        Ok(())
    } else {
        Err(format!("{mac} on VTEP {on}: {e}"))
    }
}

/// The EVPN entry of `mac` on VTEP `on`: extern_learn, dst `via`.
fn evpn_installed(seg: &Segment, on: u8, mac: &str, via: u8) -> Result<(), String> {
    let entries = fdb(seg.vtep(on));
    entries
        .iter()
        .find(|e| {
            e["mac"] == mac
                && e["dst"] == vtep_ip(via).as_str()
                && e["flags"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|x| x == "extern_learn"))
        })
        .map(|_| ())
        .ok_or_else(|| format!("no EVPN {mac} via {via} on VTEP {on}: {entries:?}"))
}

#[test]
fn flood_and_learn_fabric_cuts_over_to_evpn_under_traffic() {
    // VTEP 3's devices exist; its flood entries are evpnd's to make.
    let mut seg = legacy_fabric(
        "cf",
        &[
            (Bum::HeadEnd, &[2]),
            (Bum::HeadEnd, &[1]),
            (Bum::HeadEnd, &[]),
        ],
    );
    settled(&seg, "legacy fabric", &[1, 2]);

    // Step 1: an evpnd leaf joins; the legacy VTEPs get a flood entry to it.
    let mut steps = vec![evpnd_leaf_joins(
        &mut seg,
        "1: evpnd VTEP 3 joins (static_vteps = [1, 2])",
    )];
    for j in [1, 2] {
        wait_remote_vtep(&seg, 3, j, "static", "");
    }
    // VTEP 3's kernel learned host 1 behind VTEP 1; evpnd does not call it
    // local (the reflector has no route for it).
    wait_until("VTEP 3 learned host 1", T, || {
        kernel_learned(&seg, 3, &host_mac(1), 1)
    });
    assert!(
        evpnd_routes_mention(&seg.underlay, &host_mac(1)).is_err(),
        "VTEP 3 advertised a MAC its kernel learned from VTEP 1 as local"
    );

    // Step 2: VTEP 1 becomes evpnd; VTEP 3 drops it from static_vteps.
    let mut changes = Vec::new();
    steps.push(step(
        &mut seg,
        "2: VTEP 1 migrated to evpnd (static_vteps = [2])",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| changes = convert(seg, 1, &[3]),
    ));
    no_flood_gap(&changes);
    // Now VTEP 1 advertises host 1 (the probe above would have seen it).
    wait_until("the reflector has host 1's type 2", T, || {
        evpnd_routes_mention(&seg.underlay, &host_mac(1))
    });
    // Host 1's MAC on VTEP 3: EVPN's entry replaced the learned one.
    wait_until("VTEP 3 installs host 1 from EVPN", T, || {
        evpn_installed(&seg, 3, &host_mac(1), 1)
    });

    // Step 3: VTEP 2 becomes evpnd; nobody keeps a static VTEP.
    steps.push(step(
        &mut seg,
        "3: VTEP 2 migrated to evpnd (no static_vteps left, learning off)",
        &[1, 2, 3],
        &[1, 2, 3],
        |seg| changes = convert(seg, 2, &[1, 3]),
    ));
    no_flood_gap(&changes);
    for (on, mac_of) in [(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)] {
        wait_until("every host's MAC from EVPN", T, || {
            evpn_installed(&seg, on, &host_mac(mac_of), mac_of)
        });
    }
    // No static VTEP left: the plans stopped data-plane learning.
    for i in 1..=3 {
        let d = seg
            .vtep(i)
            .exec(&["ip", "-d", "link", "show", "vxlan100"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(d.contains("nolearning"), "VTEP {i} still learns: {d}");
    }
    settled(&seg, "all EVPN", &[1, 2, 3]);
    eprintln!(
        "{}",
        table(
            "Flood-and-learn fabric → EVPN (cutover_flood_learn)",
            &steps
        )
    );
}

/// No VTEP deleted a flood entry while a static VTEP started speaking EVPN.
fn no_flood_gap(changes: &[String]) {
    for c in changes {
        let d = flood_deletions(c);
        assert!(d.is_empty(), "a flood entry went away: {d:?}\n{c}");
    }
}

#[test]
fn ping_output_counts_missing_replies_but_not_the_last_in_flight() {
    let out = "PING 192.168.100.2 (192.168.100.2) 56(84) bytes of data.\n\
        64 bytes from 192.168.100.2: icmp_seq=1 ttl=64 time=0.1 ms\n\
        64 bytes from 192.168.100.2: icmp_seq=3 ttl=64 time=0.1 ms\n\
        64 bytes from 192.168.100.2: icmp_seq=3 ttl=64 time=0.1 ms (DUP!)\n\n\
        --- 192.168.100.2 ping statistics ---\n\
        5 packets transmitted, 2 received, +1 duplicates, 60% packet loss, time 80ms\n";
    let l = parse_ping(out);
    assert_eq!((l.sent, l.lost), (5, 2));
}
