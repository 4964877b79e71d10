//! Golden event tests for the RIB: each `tests/golden/NAME.json` is a list of
//! operations (announce, withdraw, peer down, GR stale/sweep); the best-path
//! change each produces and the final explanation of every destination are
//! compared with `NAME.expected.json`. `EVPND_UPDATE_GOLDEN=1` rewrites the
//! expected files after a deliberate change (review the diff).

use std::path::PathBuf;
use std::sync::Arc;

use evpnd_rib::{BestChange, Path, PeerId, Rank, Table};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Announce {
        key: String,
        peer: u32,
        attrs: String,
        rank: Rank,
    },
    Withdraw {
        key: String,
        peer: u32,
    },
    PeerDown {
        peer: u32,
    },
    MarkStale {
        peer: u32,
    },
    SweepStale {
        peer: u32,
    },
}

#[derive(Serialize)]
struct Outcome {
    op: String,
    changes: Vec<(String, String)>,
}

fn describe(c: &BestChange<(String, String)>) -> String {
    match c {
        BestChange::Unchanged => "unchanged".into(),
        BestChange::Withdrawn => "withdrawn".into(),
        BestChange::NewBest(p) => format!("best = peer {} ({})", p.peer.0, p.attrs.1),
    }
}

fn run(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let ops: Vec<Op> = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("scenario"),
    )
    .expect("parse");
    let mut t: Table<String, (String, String)> = Table::new();
    let mut out = Vec::new();
    for op in ops {
        let (label, changes) = match op {
            Op::Announce {
                key,
                peer,
                attrs,
                rank,
            } => {
                let c = t.insert(
                    key.clone(),
                    Path {
                        peer: PeerId(peer),
                        path_id: 0,
                        attrs: Arc::new((key.clone(), attrs)),
                        rank: rank.into(),
                    },
                );
                (
                    format!("announce {key} from {peer}"),
                    vec![(key, describe(&c))],
                )
            }
            Op::Withdraw { key, peer } => {
                let c = t.remove(&key, PeerId(peer), 0);
                (
                    format!("withdraw {key} from {peer}"),
                    vec![(key, describe(&c))],
                )
            }
            Op::PeerDown { peer } => (
                format!("peer {peer} down"),
                sorted(t.remove_peer(PeerId(peer))),
            ),
            Op::MarkStale { peer } => (
                format!("peer {peer} restarting"),
                sorted(t.mark_stale(PeerId(peer))),
            ),
            Op::SweepStale { peer } => (
                format!("peer {peer} End-of-RIB"),
                sorted(t.sweep_stale(PeerId(peer))),
            ),
        };
        out.push(Outcome { op: label, changes });
    }
    let mut keys: Vec<String> = t.iter_best().map(|(k, _)| k).collect();
    keys.sort();
    let explain: Vec<(String, Vec<String>)> = keys
        .iter()
        .map(|k| {
            let lines = t
                .explain(k)
                .into_iter()
                .map(|(p, why)| match why {
                    None => format!("peer {} best", p.peer.0),
                    Some(r) => format!(
                        "peer {} lost: {}",
                        p.peer.0,
                        serde_json::to_value(r).expect("reason")
                    ),
                })
                .collect();
            (k.clone(), lines)
        })
        .collect();
    let got = serde_json::to_string_pretty(&serde_json::json!({ "steps": out, "final": explain }))
        .expect("json")
        + "\n";
    let path = dir.join(format!("{name}.expected.json"));
    if std::env::var_os("EVPND_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).expect("write");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path:?}: run with EVPND_UPDATE_GOLDEN=1"));
    assert_eq!(got, want, "RIB output for {name} differs from {path:?}");
}

fn sorted(mut v: Vec<(String, BestChange<(String, String)>)>) -> Vec<(String, String)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(k, c)| (k, describe(&c))).collect()
}

#[test]
fn golden_mac_mobility_across_leaves() {
    run("mac_mobility");
}

#[test]
fn golden_graceful_restart_and_peer_down() {
    run("graceful_restart");
}
