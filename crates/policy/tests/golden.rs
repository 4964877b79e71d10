//! Golden test: the policies, bindings, strict RT import and VTEP
//! allow-list of `golden/NAME.toml` applied to the routes of
//! `golden/NAME.cases.json`, in the order the core applies them (neighbour
//! policy; for an import with a VNI: RT import rule, VNI policy, VTEP
//! allow-list). The record of each case is compared with
//! `golden/NAME.expected.json`; `EVPND_UPDATE_GOLDEN=1` rewrites it.

use std::net::IpAddr;
use std::path::PathBuf;

use evpnd_config::RtMatch;
use evpnd_policy::rt::{describe, imported_by};
use evpnd_policy::{Direction, PolicySet, RouteView};
use evpnd_wire::attr::{ExtCommunity, LargeCommunity};
use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Case {
    name: String,
    peer: IpAddr,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    vni: Option<u32>,
    #[serde(rename = "type")]
    route_type: u8,
    rd: String,
    #[serde(default)]
    mac: Option<String>,
    #[serde(default)]
    ip: Option<IpAddr>,
    #[serde(default)]
    prefix: Option<IpNet>,
    #[serde(default)]
    vni_label: Option<u32>,
    #[serde(default)]
    rts: Vec<String>,
    next_hop: IpAddr,
    #[serde(default)]
    pmsi: Option<IpAddr>,
    #[serde(default)]
    communities: Vec<String>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn run(name: &str) -> Value {
    let cfg =
        evpnd_config::load(dir().join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"));
    let set = PolicySet::from_config(&cfg).expect("every policy defined");
    let cases: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(dir().join(format!("{name}.cases.json"))).expect("cases"),
    )
    .expect("cases parse");
    let mut out = Vec::new();
    for c in cases {
        let ext: Vec<ExtCommunity> = c
            .rts
            .iter()
            .map(|s| ExtCommunity::RouteTarget {
                value: s.parse::<RouteTarget>().expect("rt"),
            })
            .collect();
        let comms: Vec<u32> = c
            .communities
            .iter()
            .map(|s| s.parse::<evpnd_config::Community>().expect("community").0)
            .collect();
        let large: Vec<LargeCommunity> = Vec::new();
        let vni_label = c.vni_label.or(c.vni).and_then(Vni::new);
        let view = RouteView {
            route_type: c.route_type,
            rd: Some(c.rd.parse::<Rd>().expect("rd")),
            vni: vni_label,
            mac: c.mac.as_deref().map(|m| m.parse::<MacAddr>().expect("mac")),
            ip: c.ip,
            prefix: c.prefix,
            next_hop: Some(c.next_hop),
            pmsi_endpoint: c.pmsi,
            communities: &comms,
            large_communities: &large,
            ext_communities: &ext,
            local_pref: Some(100),
        };
        let direction = match c.direction.as_deref() {
            Some("export") => Direction::Export,
            _ => Direction::Import,
        };
        let mut rec = json!({ "case": c.name });
        let o = set.neighbor(c.peer, direction, &view);
        rec["neighbor"] = json!({
            "explain": o.to_string(),
            "outcome": serde_json::to_value(&o).expect("json"),
        });
        if o.accepted()
            && direction == Direction::Import
            && let Some(v) = c.vni.and_then(Vni::new)
        {
            let changed = o.attributes.clone();
            let view = match &changed {
                Some(a) => a.view(&view),
                None => view,
            };
            let vc = cfg.vni(v).expect("a configured VNI");
            let rules: Vec<RtMatch> = cfg.import_rts(vc);
            match imported_by(&rules, &view) {
                None => {
                    rec["rt_import"] = json!(format!(
                        "not imported into VNI {v}: no route target matches (imports {})",
                        rules.iter().map(describe).collect::<Vec<_>>().join(", ")
                    ));
                }
                Some((rule, rt)) => {
                    rec["rt_import"] = json!(format!(
                        "imported into VNI {v} by {} ({rt})",
                        describe(&rule)
                    ));
                    let vo = set.vni(v, Direction::Import, &view);
                    rec["vni"] = json!(vo.to_string());
                    if vo.accepted() {
                        rec["kernel"] = match set.vtep_check(&view) {
                            Ok(()) => json!("programmed"),
                            Err(why) => json!(format!("kept, not programmed: {why}")),
                        };
                    }
                }
            }
        }
        out.push(rec);
    }
    Value::Array(out)
}

#[test]
fn leaf() {
    let got = run("leaf");
    let path = dir().join("leaf.expected.json");
    let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
    if std::env::var_os("EVPND_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("write golden");
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path:?}: run with EVPND_UPDATE_GOLDEN=1"));
    assert_eq!(text, want, "golden {path:?} differs");
}
