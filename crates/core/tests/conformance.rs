//! Conformance scenarios: recorded inputs replayed against the core with
//! virtual time, outputs compared with goldens (in the manner of Holo's
//! protocol conformance tests).
//!
//! Each directory `tests/conformance/NAME/` holds:
//!
//! * `config.toml`: the core's configuration (its `[[neighbor]]`s are
//!   peers 0.. in file order);
//! * `events.jsonl`: one `{"t": <ms>, "input": <Input>}` per line, UPDATEs
//!   as hex (`evpnd_session::messages`);
//! * `output/peers.jsonl`: every command the core handed a session, in
//!   order, UPDATEs decoded;
//! * `output/dataplane.jsonl`: every desired dataplane change, in order;
//! * `output/replies.jsonl`: what each management command answered;
//! * `output/state.json`: the views at the end (status, peers, every path
//!   of every route, MACs, neighbours, duplicates, VNIs);
//! * `README.md`: what the scenario shows.
//!
//! `EVPND_UPDATE_GOLDEN=1` rewrites the outputs (as for the FSM and RIB
//! goldens); `EVPND_RECORD=1` first records `events.jsonl` again from the
//! scripts in `conformance/scenarios.rs`. Review the diff either way.

#[path = "conformance/scenarios.rs"]
mod scenarios;
#[path = "conformance/script.rs"]
mod script;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use evpnd_core::view::MacQuery;
use evpnd_core::view::{
    DuplicateView, MacView, NeighborView, PeerView, RibView, RouteView, StatusView, VniView,
};
use evpnd_core::{Core, CoreError, Input, Output, Reply, Time};
use evpnd_evpn::DesiredChange;
use evpnd_session::PeerCommand;
use evpnd_wire::update::Update;
use serde::Serialize;

use script::Line;

/// Environment variable: rewrite the golden outputs.
const UPDATE_GOLDEN: &str = "EVPND_UPDATE_GOLDEN";
/// Environment variable: record `events.jsonl` again from the scripts.
const RECORD: &str = "EVPND_RECORD";

fn scenario_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

/// A command for a session as the golden shows it: UPDATEs decoded.
#[derive(Serialize)]
#[serde(untagged)]
enum Sent<'a> {
    Updates { send: &'a [Update] },
    Other(&'a PeerCommand),
}

#[derive(Serialize)]
struct PeerLine<'a> {
    t: u64,
    peer: u32,
    address: IpAddr,
    #[serde(flatten)]
    command: Sent<'a>,
}

#[derive(Serialize)]
struct DataplaneLine<'a> {
    t: u64,
    change: &'a DesiredChange,
}

#[derive(Serialize)]
struct ReplyLine<'a> {
    t: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<&'a Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The views at the end of a scenario.
#[derive(Serialize)]
struct State {
    status: StatusView,
    peers: Vec<PeerView>,
    /// Every path of every route (Adj-RIB-In), in key order.
    routes: Vec<RouteView>,
    macs: Vec<MacView>,
    neighbors: Vec<NeighborView>,
    duplicates: Vec<DuplicateView>,
    vnis: Vec<VniView>,
}

/// What a replay produced, as the golden files' text.
struct Outputs {
    peers: String,
    dataplane: String,
    replies: String,
    state: String,
}

fn json_line<T: Serialize>(out: &mut String, v: &T) {
    *out += &serde_json::to_string(v).expect("output serializes");
    out.push('\n');
}

fn replay(config: &str, events: &str) -> Outputs {
    let cfg = evpnd_config::parse(config, "config.toml").expect("scenario config parses");
    let addresses: Vec<IpAddr> = cfg.neighbor.iter().filter_map(|n| n.ip()).collect();
    let mut core = Core::new(Arc::new(cfg), Time::ZERO);
    let mut out = Outputs {
        peers: String::new(),
        dataplane: String::new(),
        replies: String::new(),
        state: String::new(),
    };
    for (n, text) in events.lines().enumerate() {
        let line: Line = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("events.jsonl line {}: {e}", n + 1));
        let t = line.t;
        let is_command = matches!(line.input, Input::Command(_));
        let result: Result<Reply, CoreError> = core.handle(Time(t), line.input);
        if is_command {
            let (reply, error) = match &result {
                Ok(r) => (Some(r), None),
                Err(e) => (None, Some(e.to_string())),
            };
            json_line(&mut out.replies, &ReplyLine { t, reply, error });
        }
        while let Some(o) = core.poll_output() {
            let Output::Peer { peer, command } = o else {
                continue;
            };
            let canonical;
            let command = match &command {
                PeerCommand::Send { updates } => {
                    canonical = canonical_batch(updates);
                    Sent::Updates { send: &canonical }
                }
                c => Sent::Other(c),
            };
            let address = addresses[peer as usize];
            json_line(
                &mut out.peers,
                &PeerLine {
                    t,
                    peer,
                    address,
                    command,
                },
            );
        }
        for change in core.take_dataplane() {
            json_line(&mut out.dataplane, &DataplaneLine { t, change: &change });
        }
    }
    let state = State {
        status: core.status(),
        peers: core.peers(),
        routes: core
            .routes(RibView::AdjRibIn, None, usize::MAX, None, &mut |_| true)
            .routes,
        macs: core.macs(&MacQuery::default()),
        neighbors: core.neighbors(None),
        duplicates: core.duplicates(None),
        vnis: core.vnis(None),
    };
    out.state = serde_json::to_string_pretty(&state).expect("state serializes") + "\n";
    out
}

/// A batch with its announcements in a stable order: withdrawals first as
/// sent, then one UPDATE per (next hop, attribute set) group, ordered by
/// content. The core groups announcements in a hash map keyed by the
/// interned attribute set's address, so the order of the groups in a batch
/// differs from run to run; it carries no meaning (each UPDATE stands
/// alone), the golden must not depend on it.
fn canonical_batch(updates: &[Update]) -> Vec<Update> {
    let mut keyed: Vec<(bool, String, Update)> = updates
        .iter()
        .map(|u| {
            let reach = u.evpn_routes().any(|(_, reach)| reach);
            let text = serde_json::to_string(u).expect("update serializes");
            (reach, text, u.clone())
        })
        .collect();
    // Stable: withdrawals keep their order; announcements sort by content.
    keyed.sort_by(|a, b| match (a.0, b.0) {
        (true, true) => a.1.cmp(&b.1),
        _ => a.0.cmp(&b.0),
    });
    keyed.into_iter().map(|(_, _, u)| u).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{}: {e} (record with {RECORD}=1, or write the goldens with {UPDATE_GOLDEN}=1, and review)", path.display())
    })
}

/// Replays scenario `name` and compares (or, with `EVPND_UPDATE_GOLDEN`,
/// rewrites) its goldens.
fn run(name: &str) {
    let dir = scenario_dir(name);
    let config = read(&dir.join("config.toml"));
    if std::env::var_os(RECORD).is_some() {
        scenarios::record(name, &config).save(&dir);
    }
    let events = read(&dir.join("events.jsonl"));
    let got = replay(&config, &events);
    let files = [
        ("peers.jsonl", &got.peers),
        ("dataplane.jsonl", &got.dataplane),
        ("replies.jsonl", &got.replies),
        ("state.json", &got.state),
    ];
    let out = dir.join("output");
    if std::env::var_os(UPDATE_GOLDEN).is_some() || std::env::var_os(RECORD).is_some() {
        std::fs::create_dir_all(&out).expect("output dir");
        for (f, text) in files {
            std::fs::write(out.join(f), text).expect("write golden");
        }
        return;
    }
    let mut differ = Vec::new();
    for (f, text) in files {
        let want = read(&out.join(f));
        if *text != want {
            let line = text
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| text.lines().count().min(want.lines().count()));
            differ.push(format!(
                "{name}/output/{f} differs from line {}:\n  got:  {}\n  want: {}",
                line + 1,
                text.lines().nth(line).unwrap_or("<end>"),
                want.lines().nth(line).unwrap_or("<end>"),
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{}\n(a deliberate change? rerun with {UPDATE_GOLDEN}=1 and review the diff)",
        differ.join("\n")
    );
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run(stringify!($name)); })*
        const ALL: &[&str] = &[$(stringify!($name)),*];
    };
}

scenarios!(
    reflection,
    mac_mobility,
    gr_helper,
    gr_restarting,
    route_refresh,
    max_prefix,
    local_learn,
    remote_dataplane,
    eor_gating,
    eor_deadline,
    flood_sources,
);

/// Every directory is a scenario that runs (none forgotten in the list).
#[test]
fn every_scenario_directory_is_run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/conformance")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
}
