//! A collector that accepts and never reads: the feed's queue stays within
//! its budget (the kernel's socket buffers fill, then the queue, then it is
//! dropped and the collector resynced on the next connection), and the
//! process's resident memory does not follow the volume pushed. Alone in its
//! file so the RSS measurement is this test's own.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use evpnd_bmp::driver::{Client, Notice};
use evpnd_bmp::feed::{Feed, FeedConfig, Push, Request, Source};
use evpnd_bmp::header::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use common::*;

/// The budget under test.
const BUDGET: usize = 1024 * 1024;
/// Messages per batch; a batch every millisecond (~150 MB/s offered).
const BATCH: usize = 1000;
/// Long enough for two overflows and the reconnect between them (1 s backoff).
const RUN_AT_MOST: Duration = Duration::from_secs(15);

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("resident pages in statm");
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_never_reads_bounds_the_queue() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    // Accept and hold every connection, read nothing.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });

    let mut cfg = FeedConfig::new("leaf1", LOCAL_AS, LOCAL);
    cfg.queue_bytes = BUDGET;
    cfg.stats_interval = None;
    let t0 = Instant::now();
    let mut feed = Feed::new(cfg, t0);
    feed.peer_up(t0, session(PEER));
    let (tx, mut rx) = mpsc::unbounded_channel::<Notice>();
    let client = Client::spawn(0, addr.to_string(), feed, tx);

    let rss_before = rss_bytes();
    let update = type2();
    let peer = IpAddr::V4(PEER);
    let mut max_queued = 0;
    let mut outcomes = [0usize; 3]; // queued, not connected, overflow
    loop {
        while let Ok(n) = rx.try_recv() {
            if let Request::Dump { epoch } = n.request {
                client.with(|f| f.dump_done(Instant::now(), epoch, Timestamp::ZERO));
            }
        }
        let (q, o) = client.with(|f| {
            let now = Instant::now();
            let mut o = [0usize; 3];
            for _ in 0..BATCH {
                match f.route_monitoring(now, Source::PrePolicy(peer), Timestamp::ZERO, &update) {
                    Push::Queued => o[0] += 1,
                    Push::NotConnected => o[1] += 1,
                    Push::Overflow => o[2] += 1,
                    other => panic!("unexpected {other:?}"),
                }
            }
            (f.queued_bytes(), o)
        });
        for k in 0..3 {
            outcomes[k] += o[k];
        }
        max_queued = max_queued.max(q);
        assert!(q <= BUDGET, "queue {q} above the budget {BUDGET}");
        tokio::time::sleep(Duration::from_millis(1)).await;
        if outcomes[2] >= 2 || t0.elapsed() > RUN_AT_MOST {
            break;
        }
    }
    let rss_after = rss_bytes();
    let counters = client.counters();
    let pushed = outcomes.iter().sum::<usize>();
    eprintln!(
        "pushed {pushed} messages ({} MB), outcomes {outcomes:?}, max queued {max_queued} B, \
         counters {counters:?}, RSS {} -> {} MB",
        pushed * (update.len() + 48) / 1_000_000,
        rss_before / 1_000_000,
        rss_after / 1_000_000
    );
    assert!(counters.overflows >= 1, "the budget was never reached");
    assert!(
        counters.connects >= 2,
        "no resync connection after the overflow"
    );
    assert!(counters.queue_high_water <= BUDGET);
    assert!(
        max_queued > BUDGET / 2,
        "the queue never filled: {max_queued}"
    );
    // Resident memory grows by far less than what was offered.
    let pushed_bytes = pushed * (update.len() + 48);
    let growth = rss_after.saturating_sub(rss_before);
    assert!(
        pushed_bytes > 20 * BUDGET,
        "too little offered: {pushed_bytes}"
    );
    assert!(
        growth < 16 * BUDGET,
        "RSS grew {growth} B for {pushed_bytes} B pushed"
    );
    client.shutdown(0, "", Duration::from_millis(200)).await;
    holder.abort();
}
