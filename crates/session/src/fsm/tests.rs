//! Restarting-speaker and stop rules of the FSM (RFC 4724 §4.1, RFC 8538).

use std::net::Ipv4Addr;

use evpnd_wire::Family;
use evpnd_wire::error::{code, subcode};

use super::*;
use crate::negotiate::{PeerGr, RemoteAs};

fn policy(restarting: bool) -> LocalPolicy {
    LocalPolicy {
        local_asn: 65001,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        remote_asn: RemoteAs::Asn(65001),
        hold_time: 9,
        keepalive: None,
        families: vec![Family::L2VPN_EVPN],
        add_path_receive: vec![],
        graceful_restart: true,
        restarting,
        forwarding_preserved: !restarting,
        extended_next_hop: vec![],
    }
}

fn open(n_bit: bool) -> PeerOpen {
    PeerOpen {
        version: 4,
        my_as: 65001,
        as4: Some(65001),
        hold_time: 9,
        router_id: Ipv4Addr::new(10, 0, 0, 2),
        families: vec![Family::L2VPN_EVPN],
        route_refresh: true,
        enhanced_route_refresh: false,
        extended_message: false,
        add_path_send: vec![],
        add_path_receive: vec![],
        graceful_restart: Some(PeerGr {
            restart_time: 120,
            restarting: false,
            notification: n_bit,
            families: vec![(Family::L2VPN_EVPN, true)],
        }),
        extended_next_hop: vec![],
    }
}

/// Start, connect, OPEN; stops in OpenConfirm.
fn to_open_confirm(fsm: &mut Fsm, n_bit: bool) {
    fsm.handle(Event::Start);
    fsm.handle(Event::TcpConnected);
    fsm.handle(Event::OpenReceived(open(n_bit)));
    assert_eq!(fsm.state(), State::OpenConfirm);
}

fn notifications(actions: &[Action]) -> Vec<(u8, u8)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendNotification(n) => Some((n.code, n.subcode)),
            _ => None,
        })
        .collect()
}

#[test]
fn restart_bits_last_until_the_first_session_is_established() {
    let mut fsm = Fsm::new(FsmConfig::default(), policy(true));
    to_open_confirm(&mut fsm, true);
    // A session that fails before Established is not "the first session":
    // the next OPEN still says we restarted.
    fsm.handle(Event::TcpClosed);
    assert!(fsm.policy().restarting && !fsm.policy().forwarding_preserved);
    fsm.handle(Event::TimerExpired(Timer::IdleHold));
    to_open_confirm(&mut fsm, true);
    assert!(fsm.policy().restarting, "R is still set in OpenConfirm");
    let a = fsm.handle(Event::KeepaliveReceived);
    assert!(a.iter().any(|a| matches!(a, Action::Established(_))));
    assert!(!fsm.policy().restarting, "R cleared once established");
    assert!(
        fsm.policy().forwarding_preserved,
        "F set for later sessions"
    );
    let g = fsm
        .policy()
        .open(120)
        .capabilities()
        .find_map(|c| match c {
            evpnd_wire::capability::Capability::GracefulRestart(g) => Some(g.clone()),
            _ => None,
        })
        .expect("capability");
    assert!(!g.restarting && g.families.iter().all(|f| f.forwarding));
}

#[test]
fn deliberate_stop_is_a_hard_reset_with_the_n_bit() {
    let mut fsm = Fsm::new(FsmConfig::default(), policy(false));
    to_open_confirm(&mut fsm, true);
    fsm.handle(Event::KeepaliveReceived);
    let a = fsm.handle(Event::Stop);
    assert_eq!(notifications(&a), vec![(code::CEASE, subcode::HARD_RESET)]);
}

#[test]
fn graceful_stop_sends_admin_shutdown_with_n_and_nothing_without() {
    for (n_bit, want) in [
        (true, vec![(code::CEASE, subcode::ADMINISTRATIVE_SHUTDOWN)]),
        (false, vec![]),
    ] {
        let mut fsm = Fsm::new(FsmConfig::default(), policy(false));
        to_open_confirm(&mut fsm, n_bit);
        fsm.handle(Event::KeepaliveReceived);
        let a = fsm.handle(Event::GracefulStop);
        assert_eq!(notifications(&a), want, "n_bit {n_bit}");
        assert!(a.contains(&Action::CloseConnection));
        assert_eq!(fsm.state(), State::Idle);
        // Stopped: no automatic restart.
        assert!(fsm.handle(Event::TimerExpired(Timer::IdleHold)).is_empty());
    }
}
