//! The state machine under random input sequences: the event stream is
//! consistent with itself and with `state()`, nothing outlives its
//! lifetime or our timeout, link down forgets everything, RAs go only on
//! an up link and never later than the interval.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use evpnd_ndisc::neighbour::{NUD_REACHABLE, NUD_STALE};
use evpnd_ndisc::{
    Discovery, DiscoveryConfig, Input, NeighbourEntry, Output, PeerEvent, PeerState,
    RouterAdvertisement,
};
use proptest::prelude::*;

const INTERVAL: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_secs(7);

/// Candidate sources: three link-local, one global (always refused).
fn source(i: u8) -> Ipv6Addr {
    match i % 4 {
        3 => Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 3),
        n => Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n) + 1),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Up,
    Down,
    Ra { src: u8, lifetime: u16 },
    Neighbours(Vec<(u8, bool, bool)>),
    Rs(u8),
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Up),
        1 => Just(Op::Down),
        6 => (0u8..4, prop_oneof![Just(0u16), 1u16..12, Just(1800)])
            .prop_map(|(src, lifetime)| Op::Ra { src, lifetime }),
        2 => proptest::collection::vec((0u8..4, any::<bool>(), any::<bool>()), 0..3)
            .prop_map(Op::Neighbours),
        1 => (0u8..4).prop_map(Op::Rs),
        5 => (0u64..9000).prop_map(Op::Wait),
    ]
}

/// What the event stream says the state is.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    None,
    Peer(Ipv6Addr),
    Conflict(Vec<Ipv6Addr>),
}

fn apply(told: &mut Told, e: &PeerEvent) -> Result<(), String> {
    *told = match (&*told, e) {
        (Told::None | Told::Conflict(_), PeerEvent::Found { peer, .. }) => Told::Peer(*peer),
        (Told::Peer(a), PeerEvent::Changed { old, new, .. }) if a == old && old != new => {
            Told::Peer(*new)
        }
        (Told::Peer(a), PeerEvent::Lost { peer, .. }) if a == peer => Told::None,
        (Told::None | Told::Conflict(_), PeerEvent::Conflict { sources }) if sources.len() > 1 => {
            Told::Conflict(sources.clone())
        }
        (Told::Conflict(_), PeerEvent::ConflictCleared) => Told::None,
        (t, e) => return Err(format!("{e:?} after {t:?}")),
    };
    Ok(())
}

fn stamp(now: Instant, outs: Vec<Output>) -> Vec<(Instant, Output)> {
    outs.into_iter().map(|o| (now, o)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_inputs_keep_the_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let cfg = DiscoveryConfig {
            ra_interval: INTERVAL,
            peer_timeout: TIMEOUT,
            seed: 1,
            ..DiscoveryConfig::default()
        };
        let mut d = Discovery::new(cfg).expect("valid");
        let mut now = Instant::now();
        let mut told = Told::None;
        // Per source: when its RA keeps it alive until (None: withdrawn).
        let mut alive_until: std::collections::BTreeMap<Ipv6Addr, Instant> = Default::default();
        let mut last_ra_sent: Option<Instant> = None;
        for op in ops {
            let outs = match op {
                Op::Up => stamp(now, d.handle(now, Input::LinkUp)),
                Op::Down => {
                    alive_until.clear();
                    stamp(now, d.handle(now, Input::LinkDown))
                }
                Op::Ra { src, lifetime } => {
                    let a = source(src);
                    if d.link_up() && a.is_unicast_link_local() {
                        let keep = Duration::from_secs(u64::from(lifetime)).min(TIMEOUT);
                        alive_until.insert(a, now + keep);
                    }
                    let ra = RouterAdvertisement { router_lifetime: lifetime, ..Default::default() };
                    stamp(now, d.handle(now, Input::Advertisement { source: a, ra }))
                }
                Op::Neighbours(v) => {
                    let entries = v
                        .iter()
                        .map(|&(s, router, stale)| NeighbourEntry {
                            address: source(s),
                            state: if stale { NUD_STALE } else { NUD_REACHABLE },
                            router,
                        })
                        .collect();
                    stamp(now, d.handle(now, Input::Neighbours(entries)))
                }
                Op::Rs(src) => stamp(now, d.handle(now, Input::Solicitation { source: source(src) })),
                Op::Wait(ms) => {
                    // Run every deadline on the way, as the shell does.
                    let end = now + Duration::from_millis(ms);
                    let mut outs = Vec::new();
                    while let Some(t) = d.next_deadline().filter(|t| *t <= end) {
                        prop_assert!(t >= now, "deadline in the past");
                        now = t;
                        outs.extend(d.tick(now).into_iter().map(|o| (now, o)));
                    }
                    now = end;
                    outs.extend(d.tick(now).into_iter().map(|o| (now, o)));
                    outs
                }
            };
            for (at, o) in &outs {
                let at = *at;
                match o {
                    Output::Event(e) => {
                        if let Err(m) = apply(&mut told, e) {
                            prop_assert!(false, "inconsistent events: {}", m);
                        }
                    }
                    Output::SendRa(ra) => {
                        prop_assert!(d.link_up(), "RA on a down link");
                        prop_assert_eq!(ra.router_lifetime, 6);
                        if let Some(prev) = last_ra_sent {
                            prop_assert!(at - prev <= INTERVAL, "RA gap {:?}", at - prev);
                        }
                        last_ra_sent = Some(at);
                    }
                }
            }
            if !d.link_up() {
                last_ra_sent = None;
                prop_assert_eq!(d.state(), &PeerState::None);
                prop_assert_eq!(d.next_deadline(), None);
            }
            // The events told the truth.
            let state = match d.state() {
                PeerState::None => Told::None,
                PeerState::Peer(a, _) => Told::Peer(*a),
                PeerState::Conflict(v) => Told::Conflict(v.clone()),
            };
            prop_assert_eq!(&told, &state);
            // Nobody is a peer past its RA's lifetime/our timeout, and no
            // peer is ever a global address.
            if let PeerState::Peer(a, evpnd_ndisc::Source::RouterAdvertisement) = d.state() {
                let until = alive_until.get(a).copied();
                prop_assert!(until.is_some_and(|u| u > now), "{} kept past {:?}", a, until);
            }
            if let PeerState::Peer(a, _) = d.state() {
                prop_assert!(a.is_unicast_link_local());
            }
        }
    }
}
