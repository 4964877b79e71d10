//! A table much larger than the queue budget reaches a collector that
//! reads, through the real driver and TCP, without an overflow: the core
//! dumps while `dump_room()` allows and resumes on `DumpMore`.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use evpnd_bmp::driver::{Client, Notice};
use evpnd_bmp::feed::{Feed, FeedConfig, MIN_QUEUE_BYTES, Push, Request, Source};
use evpnd_bmp::header::{PeerType, Timestamp};
use evpnd_bmp::message::{Message, decode_stream};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use common::*;

/// Routes per RIB: ~15 MB of Route Monitoring per RIB, 60x the budget.
const ROUTES: usize = 100_000;
const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_table_is_dumped_without_overflow() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    // The collector: decode everything, count Route Monitoring per RIB and
    // End-of-RIBs, until the Termination.
    let collector = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let (mut pre, mut loc, mut eor, mut ups) = (0usize, 0usize, 0usize, 0usize);
        let eor_pdu = evpnd_bmp::feed::end_of_rib();
        loop {
            let n = s.read(&mut chunk).await.expect("read");
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let (msgs, used) = decode_stream(&buf).expect("valid BMP");
            buf.drain(..used);
            for m in msgs {
                match m {
                    Message::RouteMonitoring(r) if r.update == eor_pdu => eor += 1,
                    Message::RouteMonitoring(r) if r.peer.peer_type == PeerType::LocRib => loc += 1,
                    Message::RouteMonitoring(_) => pre += 1,
                    Message::PeerUp(_) => ups += 1,
                    _ => {}
                }
            }
        }
        (pre, loc, eor, ups)
    });

    let mut cfg = FeedConfig::new("leaf1", LOCAL_AS, LOCAL);
    cfg.queue_bytes = MIN_QUEUE_BYTES;
    cfg.stats_interval = None;
    let t0 = Instant::now();
    let mut feed = Feed::new(cfg, t0);
    feed.peer_up(t0, session(PEER));
    let (tx, mut rx) = mpsc::unbounded_channel::<Notice>();
    let client = Client::spawn(0, addr.to_string(), feed, tx);

    // The "core": a cursor over two RIBs of ROUTES routes each.
    let update = type2();
    let peer = IpAddr::V4(PEER);
    let mut cursor = 0usize;
    let mut epoch = None;
    let mut resumed = 0;
    let deadline = Instant::now() + WAIT;
    while cursor < 2 * ROUTES {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, rx.recv())
            .await
            .expect("the feed keeps asking for the dump")
            .expect("channel open");
        match n.request {
            Request::Dump { epoch: e } => epoch = Some(e),
            Request::DumpMore { epoch: e } if Some(e) == epoch => resumed += 1,
            _ => continue,
        }
        client.with(|f| {
            let now = Instant::now();
            while cursor < 2 * ROUTES && f.dump_room() > 0 {
                let source = if cursor < ROUTES {
                    Source::PrePolicy(peer)
                } else {
                    Source::LocRib
                };
                assert_eq!(
                    f.route_monitoring(now, source, Timestamp::ZERO, &update),
                    Push::Queued
                );
                cursor += 1;
            }
            if cursor == 2 * ROUTES
                && let Some(e) = epoch
            {
                f.dump_done(now, e, Timestamp::ZERO);
            }
        });
    }
    let counters = client.shutdown(0, "done", WAIT).await;
    let (pre, loc, eor, ups) = tokio::time::timeout(WAIT, collector)
        .await
        .expect("collector finished")
        .expect("collector task");
    eprintln!("resumed {resumed} times, counters {counters:?}");
    assert_eq!((pre, loc, eor, ups), (ROUTES, ROUTES, 2, 2));
    assert_eq!(counters.overflows, 0);
    assert_eq!(counters.connects, 1);
    assert!(resumed > 10, "the dump never paused: {resumed}");
    assert!(counters.queue_high_water <= MIN_QUEUE_BYTES);
}
