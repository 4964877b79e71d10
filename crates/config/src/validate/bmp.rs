//! `[[bmp]]` rules.

use std::collections::HashSet;

use super::Collector;
use crate::model::{BMP_MAX_QUEUE_BYTES, BMP_MIN_QUEUE_BYTES, Config, split_host_port};
use crate::path;

/// Longest Statistics Report interval, seconds (a day).
const MAX_STATS_INTERVAL: u32 = 86_400;

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let mut seen = HashSet::new();
    for (i, b) in cfg.bmp.iter().enumerate() {
        let addr = b.address.get_ref();
        let who = format!("bmp {addr:?}: ");
        if let Err(why) = split_host_port(addr) {
            c.err(path!["bmp", i, "address"], format!("bmp address {why}"));
        }
        if !seen.insert(addr.as_str()) {
            c.err(
                path!["bmp", i, "address"],
                format!("bmp {addr:?} is configured twice"),
            );
        }
        let mut ribs = HashSet::new();
        for (j, r) in b.route_monitoring.iter().enumerate() {
            if !ribs.insert(r) {
                c.err(
                    path!["bmp", i, "route_monitoring", j],
                    format!("{who}route_monitoring lists {:?} twice", r.as_str()),
                );
            }
        }
        if b.stats_interval > MAX_STATS_INTERVAL {
            c.err(
                path!["bmp", i, "stats_interval"],
                format!(
                    "{who}stats_interval {} is out of range (0 for none, or 1 to {MAX_STATS_INTERVAL} seconds)",
                    b.stats_interval
                ),
            );
        }
        if !(BMP_MIN_QUEUE_BYTES..=BMP_MAX_QUEUE_BYTES).contains(&b.queue_bytes) {
            c.err(
                path!["bmp", i, "queue_bytes"],
                format!(
                    "{who}queue_bytes {} is out of range ({BMP_MIN_QUEUE_BYTES} to {BMP_MAX_QUEUE_BYTES})",
                    b.queue_bytes
                ),
            );
        }
    }
}
