//! Graceful restart as the restarting speaker (RFC 4724 §4.1, ADR 0011):
//! advertisement deferred until End-of-RIB from every waited-for peer or
//! the timer, with virtual time.

mod common;

use std::time::Duration;

use common::Rig;
use evpnd_core::{Command, Input, Time};

const CONFIG: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000

[[neighbor]]
address = "10.0.0.3"
remote_asn = 65000

[[neighbor]]
address = "10.0.0.4"
remote_asn = 65000

[evpn]
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }]
"#;

fn restarting() -> Rig {
    let mut r = Rig::new(CONFIG);
    let defer = Duration::from_secs(300);
    r.input(Input::Command(Command::BeginRestart { defer }));
    r
}

#[test]
fn nothing_is_advertised_until_every_gr_peer_sent_end_of_rib() {
    let mut r = restarting();
    // 0: GR helper (waited for), 1: no GR (not waited for), 2: restarting itself (not waited for).
    for (i, gr) in [Some(false), None, Some(true)].into_iter().enumerate() {
        r.up(i as u32, "10.0.0.9", gr);
    }
    for p in 0..3 {
        assert!(
            r.batches(p).is_empty(),
            "nothing may go out while deferring"
        );
    }
    // The non-GR peer's End-of-RIB changes nothing.
    r.eor(1);
    assert!(r.batches(0).is_empty());
    r.eor(0);
    for p in 0..3 {
        let batches = r.batches(p);
        let first = batches.first().expect("the routes after the deferral");
        assert!(
            first.iter().all(|u| u.is_end_of_rib().is_none()),
            "routes before End-of-RIB: {first:?}"
        );
    }
}

#[test]
fn the_timer_ends_the_deferral_and_a_start_without_peers_waits() {
    let mut r = restarting();
    // No peer up yet: not over (vacuous truth does not count).
    r.now = Time::from_secs(1);
    r.input(Input::Tick);
    assert_eq!(
        r.core.poll_timeout(),
        Some(Time::from_secs(300)),
        "the deferral timer"
    );
    r.up(0, "10.0.0.9", Some(false));
    r.now = Time::from_secs(299);
    r.input(Input::Tick);
    assert!(r.batches(0).is_empty());
    r.now = Time::from_secs(300);
    r.input(Input::Tick);
    assert!(!r.batches(0).is_empty());
}

#[test]
fn a_waited_for_peer_going_down_is_no_longer_waited_for() {
    let mut r = restarting();
    r.up(0, "10.0.0.9", Some(false));
    r.up(1, "10.0.0.9", Some(false));
    r.eor(0);
    assert!(r.batches(0).is_empty());
    r.down(1, false);
    assert!(!r.batches(0).is_empty());
}

#[test]
fn without_a_restart_routes_go_out_at_once() {
    let mut r = Rig::new(CONFIG);
    r.up(0, "10.0.0.9", Some(false));
    assert!(!r.batches(0).is_empty());
}
