//! Watch: snapshot, END_OF_SNAPSHOT, live events, RESYNC_REQUIRED when slow.

mod common;

use evpnd_api::pb::{self, watch_response::Event, watch_service_client::WatchServiceClient};

fn peer_event(address: &str) -> Event {
    Event::Peer(pb::PeerEvent {
        peer: Some(pb::Peer {
            address: address.into(),
            ..Default::default()
        }),
    })
}

async fn next(s: &mut tonic::Streaming<pb::WatchResponse>) -> Option<Event> {
    s.message()
        .await
        .expect("watch message")
        .and_then(|m| m.event)
}

// The default single-threaded test runtime makes the lag deterministic: the
// burst below is published without yielding, so the watch task cannot keep up.
#[tokio::test]
async fn snapshot_live_then_resync_for_a_slow_client() {
    let s = common::start(2, 8).await;
    let mut c = WatchServiceClient::new(s.channel.clone());
    let mut w = c
        .watch(pb::WatchRequest { topics: vec![] })
        .await
        .expect("watch")
        .into_inner();
    let mut snapshot = Vec::new();
    loop {
        match next(&mut w).await.expect("event") {
            Event::EndOfSnapshot(_) => break,
            e => snapshot.push(e),
        }
    }
    assert_eq!(
        snapshot
            .iter()
            .filter(|e| matches!(e, Event::Peer(_)))
            .count(),
        2
    );
    // The whole Loc-RIB: 2 type-2 routes in each of two VNIs, two type 3, a type 5.
    assert_eq!(
        snapshot
            .iter()
            .filter(|e| matches!(e, Event::Route(_)))
            .count(),
        7
    );

    assert_eq!(s.backend.publish(peer_event("10.0.0.9")), 1);
    match next(&mut w).await {
        Some(Event::Peer(p)) => assert_eq!(p.peer.map(|p| p.address).as_deref(), Some("10.0.0.9")),
        other => panic!("expected the live peer event, got {other:?}"),
    }

    for i in 0..100 {
        s.backend.publish(peer_event(&format!("10.1.0.{i}")));
    }
    let mut delivered = 0;
    loop {
        match next(&mut w).await {
            Some(Event::Peer(_)) => delivered += 1,
            Some(Event::ResyncRequired(r)) => {
                assert!(r.missed_events > 0);
                break;
            }
            other => panic!("expected RESYNC_REQUIRED, got {other:?}"),
        }
    }
    assert!(
        delivered < 100,
        "nothing was lost yet RESYNC_REQUIRED was sent"
    );
    // The server ends the stream after RESYNC_REQUIRED.
    assert!(w.message().await.expect("end").is_none());
}

#[tokio::test]
async fn topics_filter_the_snapshot() {
    let s = common::start(2, 8).await;
    let mut c = WatchServiceClient::new(s.channel.clone());
    let req = pb::WatchRequest {
        topics: vec![pb::WatchTopic::Peers.into()],
    };
    let mut w = c.watch(req).await.expect("watch").into_inner();
    let mut n = 0;
    while let Some(e) = next(&mut w).await {
        match e {
            Event::Peer(_) => n += 1,
            Event::EndOfSnapshot(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(n, 2);
    let bad = c
        .watch(pb::WatchRequest { topics: vec![7] })
        .await
        .expect_err("bad topic");
    assert!(bad.message().starts_with("topics:"), "{}", bad.message());
}

#[tokio::test]
async fn a_gone_client_releases_its_feed() {
    let s = common::start(1, 8).await;
    let mut c = WatchServiceClient::new(s.channel.clone());
    let mut w = c
        .watch(pb::WatchRequest { topics: vec![] })
        .await
        .expect("watch")
        .into_inner();
    while !matches!(next(&mut w).await, Some(Event::EndOfSnapshot(_))) {}
    assert_eq!(s.backend.publish(peer_event("10.0.0.9")), 1);
    drop(w);
    // The server notices the reset stream without any further event.
    for _ in 0..200 {
        if s.backend.watchers() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the watch task still holds its receiver");
}
