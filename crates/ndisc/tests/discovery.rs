//! The per-interface state machine: who the peer is, when it is lost, when
//! we advertise — driven with a fake clock.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use evpnd_ndisc::neighbour::{NUD_REACHABLE, NUD_STALE};
use evpnd_ndisc::{
    Discovery, DiscoveryConfig, Input, LossReason, NeighbourEntry, Output, PeerEvent, PeerState,
    RouterAdvertisement, Source,
};

const A: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xa);
const B: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xb);
/// `NUD_FAILED`: resolution failed.
const NUD_FAILED: u16 = 0x20;
const GLOBAL: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

fn cfg() -> DiscoveryConfig {
    DiscoveryConfig {
        ra_interval: Duration::from_secs(10),
        peer_timeout: Duration::from_secs(30),
        seed: 42,
        ..DiscoveryConfig::default()
    }
}

fn ra(lifetime: u16) -> RouterAdvertisement {
    RouterAdvertisement {
        cur_hop_limit: 64,
        router_lifetime: lifetime,
        ..RouterAdvertisement::default()
    }
}

fn heard(source: Ipv6Addr, lifetime: u16) -> Input {
    Input::Advertisement {
        source,
        ra: ra(lifetime),
    }
}

fn events(out: &[Output]) -> Vec<PeerEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            Output::SendRa(_) => None,
        })
        .collect()
}

fn sent(out: &[Output]) -> Vec<RouterAdvertisement> {
    out.iter()
        .filter_map(|o| match o {
            Output::SendRa(r) => Some(*r),
            Output::Event(_) => None,
        })
        .collect()
}

/// A discovery with its link up at `t0`.
fn up(cfg: DiscoveryConfig) -> (Discovery, Instant) {
    let mut d = Discovery::new(cfg).expect("valid config");
    let t0 = Instant::now();
    d.handle(t0, Input::LinkUp);
    (d, t0)
}

fn found(peer: Ipv6Addr) -> PeerEvent {
    PeerEvent::Found {
        peer,
        source: Source::RouterAdvertisement,
    }
}

#[test]
fn an_ra_from_a_link_local_source_is_the_peer() {
    let (mut d, t0) = up(cfg());
    let out = d.handle(t0, heard(A, 30));
    assert_eq!(events(&out), vec![found(A)]);
    assert_eq!(d.peer(), Some(A));
    // The same source again is no news.
    assert!(events(&d.handle(t0 + Duration::from_secs(5), heard(A, 30))).is_empty());
}

#[test]
fn a_non_link_local_source_is_refused() {
    let (mut d, t0) = up(cfg());
    assert!(events(&d.handle(t0, heard(GLOBAL, 30))).is_empty());
    assert_eq!(d.peer(), None);
    assert_eq!(d.counters().rejected_source, 1);
}

#[test]
fn lifetime_zero_is_the_peer_leaving() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 30));
    let out = d.handle(t0 + Duration::from_secs(1), heard(A, 0));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::Withdrawn
        }]
    );
    assert_eq!(d.peer(), None);
}

#[test]
fn the_peer_expires_at_its_advertised_lifetime() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 12));
    assert_eq!(
        d.next_deadline().map(|t| t <= t0 + Duration::from_secs(10)),
        Some(true)
    );
    assert!(events(&d.tick(t0 + Duration::from_millis(11_999))).is_empty());
    let out = d.tick(t0 + Duration::from_secs(12));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::LifetimeExpired
        }]
    );
}

#[test]
fn our_timeout_applies_when_shorter_than_the_lifetime() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 1800));
    // A refresh before the timeout pushes it out.
    d.handle(t0 + Duration::from_secs(20), heard(A, 1800));
    assert!(events(&d.tick(t0 + Duration::from_secs(49))).is_empty());
    let out = d.tick(t0 + Duration::from_secs(50));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::Timeout
        }]
    );
}

#[test]
fn a_loss_names_the_peer_s_own_cause() {
    // The peer expires as a neighbour snapshot arrives: its expiry is the
    // cause, not the snapshot.
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 12));
    let out = d.handle(t0 + Duration::from_secs(13), Input::Neighbours(vec![]));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::LifetimeExpired
        }]
    );
}

#[test]
fn two_sources_are_a_conflict_not_a_choice() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 30));
    let out = d.handle(t0 + Duration::from_secs(1), heard(B, 30));
    assert_eq!(
        events(&out),
        vec![
            PeerEvent::Lost {
                peer: A,
                reason: LossReason::Conflict
            },
            PeerEvent::Conflict {
                sources: vec![A, B]
            },
        ]
    );
    assert_eq!(d.state(), &PeerState::Conflict(vec![A, B]));
    assert_eq!(d.peer(), None);
    // B leaves: A is the peer again.
    let out = d.handle(t0 + Duration::from_secs(2), heard(B, 0));
    assert_eq!(events(&out), vec![found(A)]);
    // A conflict whose sources all expire together is cleared.
    let t3 = t0 + Duration::from_secs(3);
    d.handle(t3, heard(B, 30));
    d.handle(t3, heard(A, 30));
    assert_eq!(d.state(), &PeerState::Conflict(vec![A, B]));
    let out = d.tick(t3 + Duration::from_secs(30));
    assert_eq!(events(&out), vec![PeerEvent::ConflictCleared]);
    assert_eq!(d.state(), &PeerState::None);
}

#[test]
fn link_down_loses_the_peer_and_stops_advertising() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 30));
    let out = d.handle(t0 + Duration::from_secs(1), Input::LinkDown);
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::LinkDown
        }]
    );
    assert_eq!(d.next_deadline(), None, "no RA and no expiry while down");
    // RAs while down are ignored (counted).
    assert!(events(&d.handle(t0 + Duration::from_secs(2), heard(A, 30))).is_empty());
    assert_eq!(d.counters().ignored_link_down, 1);
    // Up again: an RA at once, and the peer is found again when heard.
    let out = d.handle(t0 + Duration::from_secs(3), Input::LinkUp);
    assert_eq!(sent(&out).len(), 1);
    assert_eq!(
        events(&d.handle(t0 + Duration::from_secs(4), heard(A, 30))),
        vec![found(A)]
    );
}

#[test]
fn ras_go_at_link_up_then_every_interval_less_jitter() {
    let (mut d, t0) = {
        let mut d = Discovery::new(cfg()).expect("valid");
        let t0 = Instant::now();
        let out = d.handle(t0, Input::LinkUp);
        let ras = sent(&out);
        assert_eq!(ras.len(), 1, "an RA at link up");
        assert_eq!(ras[0].router_lifetime, 30, "3 × interval");
        assert_eq!(ras[0].cur_hop_limit, 64);
        (d, t0)
    };
    let mut last = t0;
    let mut gaps = Vec::new();
    for _ in 0..20 {
        let next = d.next_deadline().expect("a next RA");
        assert!(next > last);
        assert!(sent(&d.tick(next - Duration::from_millis(1))).is_empty());
        assert_eq!(sent(&d.tick(next)).len(), 1);
        gaps.push(next - last);
        last = next;
    }
    assert!(
        gaps.iter()
            .all(|g| *g <= Duration::from_secs(10) && *g > Duration::from_millis(7500)),
        "{gaps:?}"
    );
    assert!(gaps.windows(2).any(|w| w[0] != w[1]), "no jitter: {gaps:?}");
    assert_eq!(d.counters().ra_sent, 21);
}

#[test]
fn a_solicitation_brings_the_next_ra_forward_but_not_too_close() {
    let (mut d, t0) = up(cfg()); // RA at t0, the next ≥ 7.5 s later
    let rs = |source| Input::Solicitation { source };
    // At t0 + 5 s: within MAX_RA_DELAY (0.5 s).
    let t = t0 + Duration::from_secs(5);
    assert!(
        events(&d.handle(t, rs(A))).is_empty(),
        "a solicitation names no peer"
    );
    let next = d.next_deadline().expect("an RA due");
    assert!(
        next >= t && next < t + Duration::from_millis(500),
        "{:?}",
        next - t0
    );
    assert_eq!(sent(&d.tick(next)).len(), 1);
    // Right after that RA: not before MIN_DELAY_BETWEEN_RAS (3 s).
    let t = next + Duration::from_millis(100);
    d.handle(t, rs(Ipv6Addr::UNSPECIFIED));
    assert_eq!(d.next_deadline(), Some(next + Duration::from_secs(3)));
    assert_eq!(d.peer(), None);
    assert_eq!(d.counters().rs_received, 2);
    // A solicitation from a global address is refused.
    d.handle(t, rs(GLOBAL));
    assert_eq!(d.counters().rejected_source, 1);
}

#[test]
fn listen_only_sends_nothing() {
    let (mut d, t0) = up(DiscoveryConfig {
        send_ra: false,
        ..cfg()
    });
    assert_eq!(d.next_deadline(), None);
    assert!(sent(&d.tick(t0 + Duration::from_secs(60))).is_empty());
    let rs = Input::Solicitation { source: A };
    assert!(sent(&d.handle(t0 + Duration::from_secs(61), rs)).is_empty());
    assert_eq!(
        d.next_deadline(),
        None,
        "a solicitation does not make us speak"
    );
    assert_eq!(d.shutdown(), None);
}

#[test]
fn shutdown_sends_a_goodbye() {
    let (mut d, _) = up(cfg());
    let bye = d.shutdown().expect("a final RA");
    assert_eq!(bye.router_lifetime, 0);
}

fn neigh(address: Ipv6Addr, state: u16, router: bool) -> NeighbourEntry {
    NeighbourEntry {
        address,
        state,
        router,
    }
}

#[test]
fn a_router_in_the_neighbour_table_is_the_peer_without_ras() {
    let (mut d, t0) = up(cfg());
    // A non-router and a failed entry do not count.
    let out = d.handle(
        t0,
        Input::Neighbours(vec![
            neigh(A, NUD_REACHABLE, false),
            neigh(B, NUD_FAILED, true),
        ]),
    );
    assert!(events(&out).is_empty());
    let out = d.handle(t0, Input::Neighbours(vec![neigh(A, NUD_STALE, true)]));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Found {
            peer: A,
            source: Source::NeighbourTable
        }]
    );
    let out = d.handle(t0, Input::Neighbours(vec![]));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::NeighbourGone
        }]
    );
}

#[test]
fn a_neighbour_snapshot_while_down_is_ignored() {
    let mut d = Discovery::new(cfg()).expect("valid");
    let t0 = Instant::now();
    let out = d.handle(t0, Input::Neighbours(vec![neigh(A, NUD_STALE, true)]));
    assert!(events(&out).is_empty());
    assert_eq!(d.peer(), None);
}

#[test]
fn ras_take_precedence_over_the_neighbour_table() {
    let (mut d, t0) = up(cfg());
    d.handle(t0, Input::Neighbours(vec![neigh(A, NUD_REACHABLE, true)]));
    // An RA from B: B is the peer, A's entry is no longer consulted.
    let out = d.handle(t0, heard(B, 30));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Changed {
            old: A,
            new: B,
            source: Source::RouterAdvertisement
        }]
    );
    // The same address by both means is one peer, no conflict.
    let (mut d, t0) = up(cfg());
    d.handle(t0, heard(A, 30));
    assert!(events(&d.handle(t0, Input::Neighbours(vec![neigh(A, NUD_STALE, true)]))).is_empty());
    // Once A's RAs stop, its STALE entry does not bring it back.
    let out = d.tick(t0 + Duration::from_secs(30));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::LifetimeExpired
        }]
    );
    assert_eq!(d.peer(), None);
}

#[test]
fn the_table_is_read_only_while_no_ra_is_live() {
    let mut d = Discovery::new(cfg()).expect("valid");
    let t0 = Instant::now();
    assert!(!d.consults_neighbours(), "link down");
    d.handle(t0, Input::LinkUp);
    assert!(d.consults_neighbours());
    // A snapshot naming B, then an RA from A: the snapshot is forgotten, so
    // when A expires only a fresh snapshot may name a peer.
    d.handle(t0, Input::Neighbours(vec![neigh(B, NUD_STALE, true)]));
    d.handle(t0, heard(A, 12));
    assert!(!d.consults_neighbours());
    let out = d.tick(t0 + Duration::from_secs(12));
    assert_eq!(
        events(&out),
        vec![PeerEvent::Lost {
            peer: A,
            reason: LossReason::LifetimeExpired
        }]
    );
    assert!(d.consults_neighbours());
    let out = d.handle(
        t0 + Duration::from_secs(12),
        Input::Neighbours(vec![neigh(B, NUD_STALE, true)]),
    );
    assert_eq!(
        events(&out),
        vec![PeerEvent::Found {
            peer: B,
            source: Source::NeighbourTable
        }]
    );
}

#[test]
fn two_routers_in_the_neighbour_table_are_a_conflict() {
    let (mut d, t0) = up(cfg());
    let out = d.handle(
        t0,
        Input::Neighbours(vec![
            neigh(A, NUD_STALE, true),
            neigh(B, NUD_REACHABLE, true),
        ]),
    );
    assert_eq!(
        events(&out),
        vec![PeerEvent::Conflict {
            sources: vec![A, B]
        }]
    );
    let out = d.handle(t0, Input::Neighbours(vec![]));
    assert_eq!(events(&out), vec![PeerEvent::ConflictCleared]);
}

#[test]
fn inputs_and_outputs_serialise_for_replay() {
    let i = heard(A, 30);
    let j = serde_json::to_string(&i).expect("serialise");
    let back: Input = serde_json::from_str(&j).expect("deserialise");
    assert_eq!(back, i);
    let o = Output::Event(PeerEvent::Lost {
        peer: A,
        reason: LossReason::Withdrawn,
    });
    let j = serde_json::to_string(&o).expect("serialise");
    assert_eq!(serde_json::from_str::<Output>(&j).expect("deserialise"), o);
}
