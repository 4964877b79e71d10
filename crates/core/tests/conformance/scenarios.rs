//! The scripts the scenarios' `events.jsonl` were recorded from
//! (`EVPND_RECORD=1`). Each says, step by step, what happens to the core;
//! the scenario's README.md says what it shows.

use std::net::IpAddr;
use std::time::Duration;

use evpnd_core::{Command, test_negotiated};
use evpnd_evpn::{LocalEvent, VniInfo};
use evpnd_session::PeerEvent;
use evpnd_session::messages::Notified;
use evpnd_wire::attr::{PmsiTunnel, TunnelId};
use evpnd_wire::{Family, NotifyError};

use crate::script::{
    Script, imet_with, leaf, mac_of, mac_route, reach, reflected, vni_info, vni_of, withdraw,
};

/// The route reflector the leaf scenarios sit behind.
const RR: &str = "10.0.0.1";
const RR2: &str = "10.0.0.2";
const L1: &str = "10.0.0.11";
const L2: &str = "10.0.0.12";
const L3: &str = "10.0.0.13";
const VNI: u32 = 100;

const M1: &str = "02:00:00:00:00:01";
const M2: &str = "02:00:00:00:00:02";
const M3: &str = "02:00:00:00:00:03";
const M4: &str = "02:00:00:00:00:04";
const M5: &str = "02:00:00:00:00:05";

pub fn record(name: &str, config: &str) -> Script {
    let mut s = Script::new(config);
    match name {
        "reflection" => reflection(&mut s),
        "mac_mobility" => mac_mobility(&mut s),
        "gr_helper" => gr_helper(&mut s),
        "gr_restarting" => gr_restarting(&mut s),
        "route_refresh" => route_refresh(&mut s),
        "max_prefix" => max_prefix(&mut s),
        "local_learn" => local_learn(&mut s),
        "remote_dataplane" => remote_dataplane(&mut s),
        "eor_gating" => eor_gating(&mut s),
        "eor_deadline" => eor_deadline(&mut s),
        "flood_sources" => flood_sources(&mut s),
        other => panic!("no script for scenario {other}"),
    }
    s
}

/// Every peer up without graceful restart, each sending End-of-RIB.
fn all_up(s: &mut Script, rids: &[&str]) {
    for (i, rid) in rids.iter().enumerate() {
        s.up(i as u32, rid, None);
    }
    for i in 0..rids.len() {
        s.eor(i as u32);
    }
}

fn reflection(s: &mut Script) {
    all_up(s, &["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]);
    // A client's route: to the other client and both non-clients, not back.
    s.at(1).update(
        0,
        reach(&[mac_route(&leaf(VNI, "10.0.0.2"), M1, None, 0, false)]),
    );
    // A non-client's route: to the clients only.
    s.at(2).update(
        2,
        reach(&[mac_route(&leaf(VNI, "10.0.0.4"), M2, None, 0, false)]),
    );
    // Already reflected once elsewhere: ORIGINATOR_ID kept, our cluster
    // id prepended to CLUSTER_LIST.
    let r3 = mac_route(&leaf(VNI, "10.0.0.9"), M3, None, 0, false);
    s.at(3)
        .update(1, reach(&[reflected(&r3, "10.0.0.9", &["10.0.0.50"])]));
    // A loop: our cluster id in CLUSTER_LIST; dropped.
    let r4 = mac_route(&leaf(VNI, "10.0.0.9"), M4, None, 0, false);
    s.at(4)
        .update(1, reach(&[reflected(&r4, "10.0.0.9", &["10.0.0.100"])]));
    // A loop: our router id as ORIGINATOR_ID; dropped.
    let r5 = mac_route(&leaf(VNI, "10.0.0.5"), M5, None, 0, false);
    s.at(5)
        .update(3, reach(&[reflected(&r5, "10.0.0.1", &["10.0.0.77"])]));
    // The client withdraws: withdrawn from everyone it was sent to.
    s.at(6).update(
        0,
        withdraw(&[mac_route(&leaf(VNI, "10.0.0.2"), M1, None, 0, false)]),
    );
}

/// A route of leaf `vtep` for `mac` as the reflector passes it on.
fn via_rr(vtep: &str, mac: &str, seq: u32, sticky: bool) -> evpnd_core::RouteEntry {
    reflected(
        &mac_route(&leaf(VNI, vtep), mac, None, seq, sticky),
        vtep,
        &[RR],
    )
}

fn mac_mobility(s: &mut Script) {
    s.vni(VNI, L1).local(LocalEvent::Synced);
    s.up(0, RR, None).eor(0);
    // Learned here: advertised without a sequence number.
    s.at(10).mac(VNI, M1, false);
    // Leaf 2 has it now (sequence 1): it moved away, it is remote here.
    s.at(20).update(0, reach(&[via_rr(L2, M1, 1, false)]));
    // The kernel's entry is now the remote one: the access port's is gone.
    s.at(21).mac_gone(VNI, M1);
    // Leaf 3 (sequence 2); leaf 2's route goes.
    s.at(30).update(0, reach(&[via_rr(L3, M1, 2, false)]));
    s.at(31).update(0, withdraw(&[via_rr(L2, M1, 1, false)]));
    // Back here: advertised with sequence 3.
    s.at(40).mac(VNI, M1, false);

    // Sticky: leaf 2 pins M2; a local learn of M2 does not take it over.
    s.at(50).update(0, reach(&[via_rr(L2, M2, 0, true)]));
    s.at(51).mac(VNI, M2, false);

    // Duplicate: M3 moves back and forth four times within 180 s and is
    // frozen; the operator clears it.
    s.at(60).mac(VNI, M3, false);
    s.at(61).update(0, reach(&[via_rr(L2, M3, 1, false)]));
    s.mac_gone(VNI, M3);
    s.at(62).mac(VNI, M3, false);
    s.at(63).update(0, reach(&[via_rr(L2, M3, 3, false)]));
    s.mac_gone(VNI, M3);
    // The fourth move: duplicate, frozen (not advertised).
    s.at(64).mac(VNI, M3, false);
    // Leaf 2 takes it back: frozen, not installed either.
    s.at(65).update(0, reach(&[via_rr(L2, M3, 5, false)]));
    s.at(70).command(Command::ClearDuplicate {
        vni: vni_of(VNI),
        mac: mac_of(M3),
    });
}

fn gr_helper(s: &mut Script) {
    s.up(0, "10.0.0.2", Some(false))
        .up(1, "10.0.0.3", Some(false));
    s.eor(0).eor(1);
    let o = leaf(VNI, "10.0.0.2");
    let routes = [M1, M2, M3].map(|m| mac_route(&o, m, None, 0, false));
    s.at(1).update(0, reach(&routes));
    // The client restarts, keeping its forwarding state: its routes stay
    // (stale) and nothing is withdrawn from the other client.
    s.at(10).down(0, true);
    // Back (Restart State bit set); it re-sends two of the three, then
    // End-of-RIB: the third, never re-sent, is swept.
    s.at(20).up(0, "10.0.0.2", Some(true));
    s.at(21).update(0, reach(&routes[..2]));
    s.at(22).eor(0);
    // It goes again and does not come back within its restart time
    // (120 s): at the deadline its stale routes go.
    s.at(30).down(0, true);
    s.at(149).tick();
    s.at(150).tick();
}

fn gr_restarting(s: &mut Script) {
    s.command(Command::BeginRestart {
        defer: Duration::from_secs(300),
    });
    // 0 and 2 are helpers (waited for), 1 has no graceful restart.
    s.up(0, "10.0.0.2", Some(false))
        .up(1, "10.0.0.3", None)
        .up(2, "10.0.0.4", Some(false));
    // Routes come in while selection is deferred: nothing goes out.
    let r = mac_route(&leaf(VNI, "10.0.0.2"), M1, None, 0, false);
    s.at(1).update(0, reach(&[r])).eor(0);
    s.at(2).eor(1);
    // The last waited-for End-of-RIB: routes, then End-of-RIB, to all.
    s.at(5).eor(2);
}

fn route_refresh(s: &mut Script) {
    s.up(0, "10.0.0.2", None);
    let mut no_refresh = test_negotiated("10.0.0.3".parse().expect("rid"), None);
    no_refresh.route_refresh = false;
    s.peer(PeerEvent::Up {
        peer: 1,
        negotiated: no_refresh,
        transport: None,
    });
    s.eor(0).eor(1);
    let o = leaf(VNI, "10.0.0.2");
    s.at(1).update(
        0,
        reach(&[M1, M2].map(|m| mac_route(&o, m, None, 0, false))),
    );
    // The client asks for our routes again (RFC 2918): all of them, then
    // End-of-RIB.
    s.at(2).peer(PeerEvent::RouteRefresh {
        peer: 1,
        family: Family::L2VPN_EVPN,
        subtype: 0,
    });
    // Soft reset out by the operator: the same.
    s.at(3).command(Command::ResendTo {
        address: ip("10.0.0.3"),
    });
    // Soft reset in: only towards a peer that negotiated route refresh.
    s.at(4).command(Command::CheckRefreshIn {
        address: ip("10.0.0.2"),
    });
    s.command(Command::CheckRefreshIn {
        address: ip("10.0.0.3"),
    });
    s.command(Command::CheckRefreshIn {
        address: ip("10.0.0.9"),
    });
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn max_prefix(s: &mut Script) {
    all_up(s, &["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    let three = |vtep: &str| [M1, M2, M3].map(|m| mac_route(&leaf(VNI, vtep), m, None, 0, false));
    // Two routes are within the limit, the third crosses it: the session
    // is closed with Cease / Maximum Number of Prefixes Reached and its
    // routes go.
    let a = three("10.0.0.2");
    s.at(1).update(0, reach(&a[..2]));
    s.at(2).update(0, reach(&a[2..]));
    s.at(2).peer(PeerEvent::Down {
        peer: 0,
        reason: "maximum number of prefixes reached".into(),
        keep_routes: false,
        notification: Some(Notified {
            notify: NotifyError::new(6, 1, vec![0, 25, 70, 0, 0, 0, 2], "max-prefix"),
            sent: true,
        }),
    });
    // The warning-only client keeps its session and its routes.
    let b = three("10.0.0.3");
    s.at(3).update(1, reach(&b));
}

fn local_learn(s: &mut Script) {
    all_up(s, &[RR, RR2]);
    s.local(LocalEvent::Synced);
    // A VNI appears: its type 3 (IMET) goes to both reflectors.
    s.at(1).vni(VNI, L1);
    // A MAC, then its IP (type 2 MAC and MAC+IP), a sticky MAC.
    s.at(2).mac(VNI, M1, false);
    s.at(3).neigh(VNI, "192.0.2.1", M1);
    s.at(4).mac(VNI, M2, true);
    // They go again: withdrawn.
    s.at(5).local(LocalEvent::NeighGone {
        vni: vni_of(VNI),
        ip: ip("192.0.2.1"),
    });
    s.at(6).mac_gone(VNI, M1);
    // The VNI goes: everything of it is withdrawn.
    s.at(7).local(LocalEvent::VniGone(vni_of(VNI)));
}

fn remote_dataplane(s: &mut Script) {
    s.vni(VNI, L1).local(LocalEvent::Synced);
    all_up(s, &[RR, RR2]);
    let l2 = leaf(VNI, L2);
    let l3 = leaf(VNI, L3);
    // Type 3 from two leaves: flood entries towards both.
    s.at(1)
        .update(0, reach(&[reflected(&l2.imet(), L2, &[RR])]));
    s.at(1)
        .update(1, reach(&[reflected(&l3.imet(), L3, &[RR2])]));
    // Type 2: a MAC, a MAC+IP (the neighbour for ARP suppression), a sticky MAC.
    s.at(2).update(0, reach(&[via_rr(L2, M1, 0, false)]));
    let m1_ip = mac_route(&l2, M1, Some("192.0.2.1"), 0, false);
    s.at(3).update(0, reach(&[reflected(&m1_ip, L2, &[RR])]));
    s.at(4).update(1, reach(&[via_rr(L3, M2, 0, true)]));
    // A VNI this leaf does not have: nothing to install.
    let other = mac_route(&leaf(200, L3), M3, None, 0, false);
    s.at(5).update(1, reach(&[reflected(&other, L3, &[RR2])]));
    // The same MAC from both reflectors: one entry.
    s.at(6).update(1, reach(&[reflected(&m1_ip, L2, &[RR2])]));
    // Withdrawn from one reflector: still there through the other.
    s.at(7).update(0, withdraw(std::slice::from_ref(&m1_ip)));
    // From both: the neighbour goes, the MAC stays (its MAC-only route).
    s.at(8).update(1, withdraw(&[m1_ip]));
    s.at(9).update(0, withdraw(&[l2.imet()]));
    // A reflector goes down (no graceful restart): what only it had goes.
    s.at(10).down(0, false);
}

/// The kernel side starts with entries of a previous run: it may delete
/// those BGP did not re-learn only after `Converged`.
fn eor_gating(s: &mut Script) {
    s.vni(VNI, L1).local(LocalEvent::Synced);
    s.at(1).up(0, RR, None);
    s.update(0, reach(&[via_rr(L2, M1, 0, false)]));
    s.eor(0);
    // One reflector's End-of-RIB is not enough.
    s.at(5).up(1, RR2, None);
    s.at(6).tick();
    // The second one's: converged.
    s.at(7).eor(1);
}

fn eor_deadline(s: &mut Script) {
    s.vni(VNI, L1).local(LocalEvent::Synced);
    s.at(1).up(0, RR, None).eor(0);
    // The second reflector never comes: at 120 s the sweep goes ahead.
    s.at(119).tick();
    s.at(120).tick();
}

/// Flood sources (ADR 0031): static VTEPs beside type 3s, and the PMSI
/// decision of a VNI on an underlay group.
fn flood_sources(s: &mut Script) {
    let group: IpAddr = "239.1.1.100".parse().expect("group");
    let on_group = VniInfo {
        group: Some(group),
        ..vni_info(VNI, L1)
    };
    s.local(LocalEvent::Vni(on_group)).local(LocalEvent::Synced);
    all_up(s, &[RR]);
    let pim = |vtep: &str, g: &str| {
        PmsiTunnel::multicast(
            vni_of(VNI),
            vtep.parse().expect("vtep"),
            g.parse().expect("group"),
        )
    };
    // The same group: no head-end entry.
    let l2 = imet_with(&leaf(VNI, L2), pim(L2, "239.1.1.100"));
    s.at(1).update(0, reach(&[reflected(&l2, L2, &[RR])]));
    // A static VTEP starts speaking EVPN: one entry, no change.
    let l3 = leaf(VNI, L3).imet();
    s.at(2).update(0, reach(&[reflected(&l3, L3, &[RR])]));
    // Another group, an SSM group: head-end entries towards the senders.
    let l4 = imet_with(&leaf(VNI, "10.0.0.14"), pim("10.0.0.14", "239.1.1.200"));
    s.at(3)
        .update(0, reach(&[reflected(&l4, "10.0.0.14", &[RR])]));
    let l6 = imet_with(&leaf(VNI, "10.0.0.16"), pim("10.0.0.16", "232.1.1.1"));
    s.at(3)
        .update(0, reach(&[reflected(&l6, "10.0.0.16", &[RR])]));
    // Tunnel type 0 (no tunnel information): no entry.
    let none = PmsiTunnel {
        flags: 0,
        tunnel_type: 0,
        label: evpnd_wire::Label3::from_vni(vni_of(VNI)),
        tunnel_id: TunnelId::Raw(Vec::new()),
    };
    let l5 = imet_with(&leaf(VNI, "10.0.0.15"), none);
    s.at(4)
        .update(0, reach(&[reflected(&l5, "10.0.0.15", &[RR])]));
    // Our device leaves the group: ingress replication from now on.
    s.at(5).local(LocalEvent::Vni(vni_info(VNI, L1)));
    // The static VTEP withdraws its type 3: its static entry stays.
    s.at(6).update(0, withdraw(&[l3]));
}
