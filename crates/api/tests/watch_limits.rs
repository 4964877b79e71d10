//! Watch streams are bounded: a snapshot larger than a page arrives whole,
//! in order, read page by page; past MAX_WATCHERS open streams a new one
//! gets RESOURCE_EXHAUSTED, and closing one frees its place. (Its own test
//! binary: the watcher count is per process.)

mod common;

use evpnd_api::pb::{self, watch_response::Event, watch_service_client::WatchServiceClient};
use evpnd_api::service::{MAX_WATCHERS, SNAPSHOT_PAGE};

#[tokio::test]
async fn a_large_snapshot_is_read_in_pages_and_streams_are_limited() {
    // 2 × 1000 type-2 routes + 3: several pages.
    let s = common::start(1000, 8).await;
    const { assert!(2003 > 3 * SNAPSHOT_PAGE) };
    let mut c = WatchServiceClient::new(s.channel.clone());
    let mut w = c
        .watch(pb::WatchRequest {
            topics: vec![pb::WatchTopic::Routes as i32],
        })
        .await
        .expect("watch")
        .into_inner();
    let mut prefixes = Vec::new();
    loop {
        match w.message().await.expect("message").and_then(|m| m.event) {
            Some(Event::Route(r)) => prefixes.push(
                r.route
                    .and_then(|r| r.key)
                    .map(|k| k.prefix)
                    .unwrap_or_default(),
            ),
            Some(Event::EndOfSnapshot(_)) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(prefixes.len(), 2003, "every route, once");
    let mut unique = prefixes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), prefixes.len(), "no route twice across pages");
    drop(w);

    // Up to the limit (this process holds none other now).
    let mut open = Vec::new();
    for _ in 0..MAX_WATCHERS {
        open.push(
            c.watch(pb::WatchRequest { topics: vec![] })
                .await
                .expect("a watch within the limit")
                .into_inner(),
        );
    }
    let err = c
        .watch(pb::WatchRequest { topics: vec![] })
        .await
        .expect_err("one too many");
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    // A closed stream frees its place once the server notices.
    drop(open.pop());
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if c.watch(pb::WatchRequest { topics: vec![] }).await.is_ok() {
            ok = true;
            break;
        }
    }
    assert!(ok, "a place freed by a closed stream is reusable");
}
