//! `[[bmp]]` as the feed reads it, and the constants the configuration
//! mirrors (it does not depend on this crate).

use std::time::Duration;

use evpnd_bmp::feed::{
    DEFAULT_QUEUE_BYTES, DEFAULT_STATS_INTERVAL, FeedConfig, MIN_QUEUE_BYTES, Rib,
};

#[test]
fn constants_agree_with_the_configuration() {
    assert_eq!(evpnd_config::BMP_MIN_QUEUE_BYTES, MIN_QUEUE_BYTES as u64);
    assert_eq!(
        evpnd_config::BMP_DEFAULT_QUEUE_BYTES,
        DEFAULT_QUEUE_BYTES as u64
    );
    assert_eq!(
        Duration::from_secs(u64::from(evpnd_config::BMP_DEFAULT_STATS_INTERVAL)),
        DEFAULT_STATS_INTERVAL
    );
}

#[test]
fn a_bmp_table_becomes_a_feed_config() {
    let text = r#"
[bgp]
asn = 65001
router_id = "10.0.0.11"
[[bmp]]
address = "127.0.0.1:1790"
[[bmp]]
address = "collector:1790"
route_monitoring = ["post-policy"]
stats_interval = 0
queue_bytes = 1048576
"#;
    let cfg = evpnd_config::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    let a = FeedConfig::from_config(&cfg, &cfg.bmp[0], "leaf1");
    assert_eq!(a.monitor, [Rib::PrePolicy, Rib::LocRib]);
    assert_eq!(a.stats_interval, Some(DEFAULT_STATS_INTERVAL));
    assert_eq!(a.queue_bytes, DEFAULT_QUEUE_BYTES);
    assert_eq!(
        (a.asn, a.router_id),
        (65001, "10.0.0.11".parse().expect("id"))
    );
    let b = FeedConfig::from_config(&cfg, &cfg.bmp[1], "leaf1");
    assert_eq!(b.monitor, [Rib::PostPolicy]);
    assert_eq!(b.stats_interval, None);
    assert_eq!(b.queue_bytes, 1 << 20);
}
