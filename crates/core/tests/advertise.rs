//! The core's Adj-RIB-Out in motion: reflection, flow control (one batch
//! in flight per peer), coalescing, route refresh and peer down.

mod common;

use common::{RR_TWO_CLIENTS, Rig, leaf_routes, reach, two_peers_up, withdraw};
use evpnd_session::PeerEvent;
use evpnd_wire::Family;

const LEAF: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.2"
[evpn]
learn_from_kernel = false
[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }, { mac = "02:00:00:00:00:0b" }, { mac = "02:00:00:00:00:0c" }]
"#;

fn rig() -> Rig {
    two_peers_up(RR_TWO_CLIENTS)
}

#[test]
fn reflects_with_flow_control_coalescing_refresh_and_peer_down() {
    let mut r = rig();
    let routes = leaf_routes(LEAF);
    assert_eq!(routes.len(), 4);
    let macs = routes[1..].to_vec();
    r.update(0, reach(&routes[..1]));
    r.update(0, reach(&macs));
    // The first UPDATE went out; the second waits for the session to drain.
    assert_eq!(r.counts(1), (1, 0, 1));
    assert_eq!(r.counts(0), (0, 0, 0), "never back to the sender");
    r.drained(1);
    assert_eq!(r.counts(1), (3, 0, 1));
    r.drained(1);

    // A route announced again with the same attributes: nothing to send.
    r.update(0, reach(&macs[..1]));
    assert_eq!(r.counts(1), (0, 0, 0), "unchanged: nothing sent");
    r.update(0, withdraw(&macs[2..]));
    assert_eq!(r.counts(1), (0, 1, 1));
    // Withdrawn and announced again while in flight: only the latest goes.
    r.update(0, withdraw(&macs[..1]));
    r.update(0, reach(&macs[..1]));
    r.drained(1);
    assert_eq!(r.counts(1), (0, 0, 0), "withdraw + re-announce coalesced");
    assert_eq!(r.advertised(1), 3);

    // Route refresh: everything the peer has goes out again.
    r.peer(PeerEvent::RouteRefresh {
        peer: 1,
        family: Family::L2VPN_EVPN,
        subtype: 0,
    });
    assert_eq!(r.counts(1), (3, 0, 1));
    r.drained(1);

    // The sender goes: its routes are withdrawn from the other client.
    r.down(0, false);
    assert_eq!(r.counts(1), (0, 3, 1));
    assert_eq!(r.advertised(1), 0);
    assert_eq!(r.core.status().loc_rib_routes, 0);
}

#[test]
fn a_peer_s_last_error_keeps_the_notification_and_when() {
    let mut r = rig();
    r.now = evpnd_core::Time::from_secs(42);
    r.peer(PeerEvent::Down {
        peer: 0,
        reason: "hold timer expired".into(),
        keep_routes: false,
        notification: Some(evpnd_session::messages::Notified {
            notify: evpnd_wire::NotifyError::new(4, 0, Vec::new(), "hold timer expired"),
            sent: true,
        }),
    });
    let p = &r.core.peers()[0];
    let e = p.last_error.as_ref().expect("the last error");
    assert_eq!(e.message, "hold timer expired");
    assert_eq!(e.at, evpnd_core::Time::from_secs(42));
    let n = e.notification.as_ref().expect("the NOTIFICATION");
    assert_eq!((n.notify.code, n.notify.subcode, n.sent), (4, 0, true));
}
