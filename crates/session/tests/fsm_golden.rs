//! Golden event tests for the FSM: each scenario in `tests/golden/NAME.json`
//! lists events; the actions the FSM returns for each are compared with
//! `tests/golden/NAME.expected.json`. Set `EVPND_UPDATE_GOLDEN=1` to rewrite
//! the expected files after a deliberate behaviour change (and review the diff).

use std::path::PathBuf;

use evpnd_session::{Event, Fsm, FsmConfig, LocalPolicy};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Scenario {
    config: FsmConfig,
    policy: LocalPolicy,
    events: Vec<Event>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Step {
    event: Event,
    state_after: evpnd_session::State,
    actions: Vec<evpnd_session::Action>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn run(name: &str) {
    let dir = golden_dir();
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("scenario file");
    let sc: Scenario = serde_json::from_str(&text).expect("scenario parses");
    let mut fsm = Fsm::new(sc.config, sc.policy);
    let steps: Vec<Step> = sc
        .events
        .into_iter()
        .map(|event| {
            let actions = fsm.handle(event.clone());
            Step {
                event,
                state_after: fsm.state(),
                actions,
            }
        })
        .collect();
    let got = serde_json::to_string_pretty(&steps).expect("serialize") + "\n";
    let path = dir.join(format!("{name}.expected.json"));
    if std::env::var_os("EVPND_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing {path:?}: run with EVPND_UPDATE_GOLDEN=1 and review it")
    });
    assert_eq!(got, want, "FSM output for {name} differs from {path:?}");
}

#[test]
fn golden_establish_and_hold_expiry() {
    run("establish_hold_expiry");
}

#[test]
fn golden_bad_peer_as() {
    run("bad_peer_as");
}

#[test]
fn golden_passive_gr_helper() {
    run("passive_gr_helper");
}

/// A graceful stop with the N bit: Cease / Administrative Shutdown (the peer
/// keeps our routes); after a new start, a plain stop is a Hard Reset.
#[test]
fn golden_graceful_stop_then_hard_reset() {
    run("graceful_stop_then_hard_reset");
}

/// A restarting speaker's graceful stop without the N bit: no NOTIFICATION at
/// all (any NOTIFICATION would make the peer flush, RFC 4724 §4.2).
#[test]
fn golden_restarting_graceful_stop_without_n() {
    run("restarting_graceful_stop_without_n");
}
