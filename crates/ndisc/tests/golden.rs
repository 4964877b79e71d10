//! Golden replay: a recorded input script (JSON lines: milliseconds since
//! the start, then an input or a tick) is replayed through `Discovery`, and
//! its outputs, one JSON line each stamped with the step's time, must equal
//! the recorded ones. `UPDATE_GOLDEN=1` rewrites the expected file after a
//! deliberate behaviour change (review the diff).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use evpnd_ndisc::{Discovery, DiscoveryConfig, Input};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct Step {
    at_ms: u64,
    /// `None` = a tick.
    input: Option<Input>,
}

#[derive(Debug, Serialize)]
struct Stamped<'a, T> {
    at_ms: u64,
    output: &'a T,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn replay(name: &str) {
    let script =
        std::fs::read_to_string(dir().join(format!("{name}.in.jsonl"))).expect("input script");
    let cfg = DiscoveryConfig {
        ra_interval: Duration::from_secs(10),
        peer_timeout: Duration::from_secs(30),
        seed: 7,
        ..DiscoveryConfig::default()
    };
    let mut d = Discovery::new(cfg).expect("valid");
    let t0 = Instant::now();
    let mut got = String::new();
    for (n, line) in script.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let step: Step =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let now = t0 + Duration::from_millis(step.at_ms);
        let outs = match step.input {
            Some(i) => d.handle(now, i),
            None => d.tick(now),
        };
        for o in &outs {
            let s = serde_json::to_string(&Stamped {
                at_ms: step.at_ms,
                output: o,
            })
            .expect("serialise");
            got.push_str(&s);
            got.push('\n');
        }
    }
    let expected_path = dir().join(format!("{name}.out.jsonl"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &got).expect("write golden");
    }
    let expected = std::fs::read_to_string(&expected_path).expect("expected outputs");
    assert_eq!(
        got, expected,
        "{name}: outputs differ from {expected_path:?}"
    );
}

/// An FRR peer found, refreshed, a second router appearing (conflict),
/// leaving (lifetime 0), the link bouncing, the peer expiring.
#[test]
fn frr_peer_conflict_link_bounce_expiry() {
    replay("frr_peer");
}
