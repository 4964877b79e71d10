//! The sans-IO feed: connection sequence, resync after an overflow, dump
//! pacing, End-of-RIB, backoff, statistics timer, shutdown. Time is passed in.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use evpnd_bmp::feed::{Feed, FeedConfig, Link, MIN_QUEUE_BYTES, Push, Request, Rib, Source};
use evpnd_bmp::header::{PeerType, Timestamp, flags};
use evpnd_bmp::message::{Message, decode_stream};
use evpnd_bmp::peer_down::PeerDownReason;
use evpnd_bmp::termination::reason;

use common::*;

const TS: Timestamp = Timestamp {
    secs: 1_800_000_000,
    micros: 0,
};

fn peer() -> IpAddr {
    IpAddr::V4(PEER)
}

fn config() -> FeedConfig {
    let mut c = FeedConfig::new("leaf1", LOCAL_AS, LOCAL);
    c.queue_bytes = MIN_QUEUE_BYTES;
    c.stats_interval = Some(Duration::from_secs(10));
    c
}

/// Everything queued on `epoch`, written and decoded.
fn drain(f: &mut Feed, epoch: u64) -> Vec<Message> {
    let mut bytes = Vec::new();
    while let Some(chunk) = f.transmit(epoch) {
        f.written(epoch, chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    let (msgs, used) = decode_stream(&bytes).expect("the feed writes valid BMP");
    assert_eq!(used, bytes.len(), "no partial message at the end");
    msgs
}

fn kinds(msgs: &[Message]) -> Vec<&'static str> {
    msgs.iter()
        .map(|m| match m {
            Message::Initiation(_) => "init",
            Message::PeerUp(p) if p.peer.peer_type == PeerType::LocRib => "up:loc-rib",
            Message::PeerUp(_) => "up",
            Message::PeerDown(_) => "down",
            Message::RouteMonitoring(r) if r.peer.peer_type == PeerType::LocRib => "rm:loc-rib",
            Message::RouteMonitoring(r) if r.peer.flags & flags::L != 0 => "rm:post",
            Message::RouteMonitoring(_) => "rm:pre",
            Message::StatisticsReport(_) => "stats",
            Message::Termination(_) => "term",
        })
        .collect()
}

/// A feed connected at `t0`, its peer up, the start-up messages drained.
fn connected(t0: Instant) -> (Feed, u64) {
    let mut f = Feed::new(config(), t0);
    assert_eq!(f.peer_up(t0, session(PEER)), Push::NotConnected);
    assert!(f.should_connect(t0));
    f.connecting();
    assert_eq!(f.link(), Link::Connecting);
    let e = f.connected(t0, TS);
    (f, e)
}

#[test]
fn a_connection_starts_with_initiation_peer_ups_and_a_dump_request() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    assert_eq!(e, 1);
    assert_eq!(f.link(), Link::Up { epoch: 1 });
    let msgs = drain(&mut f, e);
    assert_eq!(kinds(&msgs), ["init", "up:loc-rib", "up"]);
    let Message::PeerUp(up) = &msgs[2] else {
        unreachable!()
    };
    assert_eq!(up.peer.address, peer());
    assert_eq!(up.sent_open, session(PEER).sent_open);
    assert_eq!(up.received_open, session(PEER).received_open);
    assert_eq!(f.poll_request(), Some(Request::Dump { epoch: 1 }));
    assert_eq!(f.poll_request(), None);
}

#[test]
fn route_monitoring_goes_only_where_it_is_monitored_and_known() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    drain(&mut f, e);
    let u = type2();
    assert_eq!(
        f.route_monitoring(t0, Source::PrePolicy(peer()), TS, &u),
        Push::Queued
    );
    assert_eq!(f.route_monitoring(t0, Source::LocRib, TS, &u), Push::Queued);
    assert_eq!(
        f.route_monitoring(t0, Source::PostPolicy(peer()), TS, &u),
        Push::NotMonitored
    );
    let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 9, 9, 9));
    assert_eq!(
        f.route_monitoring(t0, Source::PrePolicy(other), TS, &u),
        Push::UnknownPeer
    );
    assert!(!f.wants(Source::PrePolicy(other)));
    let msgs = drain(&mut f, e);
    assert_eq!(kinds(&msgs), ["rm:pre", "rm:loc-rib"]);
    let Message::RouteMonitoring(rm) = &msgs[0] else {
        unreachable!()
    };
    assert_eq!(rm.update, u);
    assert_eq!(rm.peer.timestamp, TS);
    assert_eq!(rm.peer.asn, PEER_AS);
}

#[test]
fn post_policy_sets_the_l_flag() {
    let t0 = Instant::now();
    let mut c = config();
    c.monitor = vec![Rib::PostPolicy];
    let mut f = Feed::new(c, t0);
    f.peer_up(t0, session(PEER));
    f.connecting();
    let e = f.connected(t0, TS);
    assert_eq!(kinds(&drain(&mut f, e)), ["init", "up"]);
    assert_eq!(
        f.route_monitoring(t0, Source::PostPolicy(peer()), TS, &type3()),
        Push::Queued
    );
    assert_eq!(
        f.route_monitoring(t0, Source::LocRib, TS, &type3()),
        Push::NotMonitored
    );
    assert_eq!(kinds(&drain(&mut f, e)), ["rm:post"]);
}

#[test]
fn overflow_drops_the_queue_and_the_next_connection_resyncs() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    assert_eq!(f.poll_request(), Some(Request::Dump { epoch: e }));
    let u = type5();
    // Never written: the collector does not read.
    let mut pushed = 0;
    let outcome = loop {
        match f.route_monitoring(t0, Source::LocRib, TS, &u) {
            Push::Queued => pushed += 1,
            other => break other,
        }
        assert!(f.queued_bytes() <= MIN_QUEUE_BYTES);
    };
    assert_eq!(outcome, Push::Overflow);
    assert!(pushed > 1000);
    assert_eq!(f.queued_bytes(), 0);
    assert!(f.counters().queue_high_water <= MIN_QUEUE_BYTES);
    assert_eq!(f.counters().overflows, 1);
    assert_eq!(
        f.link(),
        Link::Down {
            retry_at: t0 + Duration::from_secs(1)
        }
    );
    // The abandoned connection gets nothing more.
    assert_eq!(f.transmit(e), None);
    assert_eq!(
        f.route_monitoring(t0, Source::LocRib, TS, &u),
        Push::NotConnected
    );
    assert!(!f.should_connect(t0));
    let t1 = t0 + Duration::from_secs(1);
    assert!(f.should_connect(t1));
    f.connecting();
    let e2 = f.connected(t1, TS);
    assert_eq!(e2, e + 1);
    assert_eq!(kinds(&drain(&mut f, e2)), ["init", "up:loc-rib", "up"]);
    assert_eq!(f.poll_request(), Some(Request::Dump { epoch: e2 }));
}

#[test]
fn the_dump_is_paced_and_ends_with_end_of_rib() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    drain(&mut f, e);
    assert_eq!(f.poll_request(), Some(Request::Dump { epoch: e }));
    let u = type2();
    let mut n = 0;
    while f.dump_room() >= u.len() + 48 {
        assert_eq!(f.route_monitoring(t0, Source::LocRib, TS, &u), Push::Queued);
        n += 1;
    }
    // Half the budget for the dump, the rest kept for live changes.
    assert!(f.queued_bytes() <= MIN_QUEUE_BYTES / 2);
    while f.dump_room() > 0 {
        f.route_monitoring(t0, Source::LocRib, TS, &u);
        n += 1;
    }
    assert_eq!(f.poll_request(), None);
    // Writing most of it out asks for more.
    let mut got_more = false;
    while let Some(c) = f.transmit(e) {
        f.written(e, c.len());
        if let Some(r) = f.poll_request() {
            assert_eq!(r, Request::DumpMore { epoch: e });
            got_more = true;
        }
    }
    assert!(got_more && n > 100);
    // A stale epoch is ignored; the right one ends the dump.
    f.dump_done(t0, e + 7, TS);
    assert_eq!(drain(&mut f, e).len(), 0);
    f.dump_done(t0, e, TS);
    let msgs = drain(&mut f, e);
    assert_eq!(kinds(&msgs), ["rm:loc-rib", "rm:pre"]);
    for m in &msgs {
        let Message::RouteMonitoring(rm) = m else {
            unreachable!()
        };
        assert_eq!(rm.update, evpnd_bmp::feed::end_of_rib());
    }
    assert_eq!(f.dump_room(), 0, "no dump in progress");
}

#[test]
fn peer_down_carries_its_reason_and_forgets_the_peer() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    drain(&mut f, e);
    assert_eq!(
        f.peer_down(t0, peer(), PeerDownReason::RemoteNoData, TS),
        Push::Queued
    );
    assert_eq!(
        f.peer_down(t0, peer(), PeerDownReason::RemoteNoData, TS),
        Push::UnknownPeer
    );
    let msgs = drain(&mut f, e);
    let [Message::PeerDown(d)] = &msgs[..] else {
        panic!("{msgs:?}")
    };
    assert_eq!(d.reason, PeerDownReason::RemoteNoData);
    assert_eq!(d.peer.address, peer());
    // A reconnect no longer announces it.
    f.lost(e, t0);
    let t1 = t0 + Duration::from_secs(1);
    f.connecting();
    let e2 = f.connected(t1, TS);
    assert_eq!(kinds(&drain(&mut f, e2)), ["init", "up:loc-rib"]);
}

#[test]
fn backoff_doubles_and_resets_after_a_stable_connection() {
    let t0 = Instant::now();
    let mut f = Feed::new(config(), t0);
    f.connecting();
    f.connect_failed(t0);
    assert_eq!(
        f.link(),
        Link::Down {
            retry_at: t0 + Duration::from_secs(1)
        }
    );
    f.connecting();
    f.connect_failed(t0);
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    f.connecting();
    let e = f.connected(t0, TS);
    // Lost at once: the delay keeps growing.
    f.lost(e, t0);
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(4)));
    f.connecting();
    let e = f.connected(t0, TS);
    // Lost after a minute up: back to the first delay.
    let t1 = t0 + Duration::from_secs(60);
    f.lost(e, t1);
    assert_eq!(f.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    assert_eq!(f.counters().connect_failures, 2);
    assert_eq!(f.counters().connections_lost, 2);
}

#[test]
fn statistics_are_requested_every_interval() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    drain(&mut f, e);
    assert_eq!(f.poll_request(), Some(Request::Dump { epoch: e }));
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    f.handle_timeout(t0 + Duration::from_secs(9));
    assert_eq!(f.poll_request(), None);
    // Three intervals late: one request, the next tick in the future.
    f.handle_timeout(t0 + Duration::from_secs(35));
    assert_eq!(f.poll_request(), Some(Request::Stats));
    assert_eq!(f.poll_request(), None);
    assert_eq!(f.poll_timeout(), Some(t0 + Duration::from_secs(40)));
    let st = [evpnd_bmp::Stat::gauge(
        evpnd_bmp::stats::stat_type::LOC_RIB_ROUTES,
        42,
    )];
    assert_eq!(f.statistics(t0, Source::LocRib, TS, &st), Push::Queued);
    let msgs = drain(&mut f, e);
    let [Message::StatisticsReport(r)] = &msgs[..] else {
        panic!("{msgs:?}")
    };
    assert_eq!(r.stats, st);
}

#[test]
fn shutdown_sends_termination_then_closes() {
    let t0 = Instant::now();
    let (mut f, e) = connected(t0);
    f.shutdown(reason::ADMIN_CLOSE, "bye");
    assert_eq!(
        f.route_monitoring(t0, Source::LocRib, TS, &type2()),
        Push::Closing
    );
    let msgs = drain(&mut f, e);
    assert_eq!(kinds(&msgs), ["init", "up:loc-rib", "up", "term"]);
    assert_eq!(f.link(), Link::Closed);
    assert_eq!(f.poll_timeout(), None);

    let mut idle = Feed::new(config(), t0);
    idle.shutdown(reason::ADMIN_CLOSE, "");
    assert_eq!(idle.link(), Link::Closed);
    assert!(!idle.should_connect(t0));
}

#[test]
fn update_pdu_is_a_whole_bgp_update() {
    use evpnd_wire::update::Update;
    let eor = evpnd_bmp::feed::update_pdu(&Update::end_of_rib(evpnd_wire::Family::L2VPN_EVPN), &[]);
    assert_eq!(eor, evpnd_bmp::feed::end_of_rib());
    assert_eq!(&eor[..16], &[0xff; 16]);
    assert_eq!(
        usize::from(u16::from_be_bytes([eor[16], eor[17]])),
        eor.len()
    );
    assert_eq!(eor[18], 2);
    let t0 = Instant::now();
    let (f, _) = connected(t0);
    assert_eq!(f.peers().map(|p| p.address).collect::<Vec<_>>(), [peer()]);
}
