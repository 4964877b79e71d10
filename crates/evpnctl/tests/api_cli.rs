//! evpnctl's client commands against a fake-backend server on a temp socket:
//! the `--json` output of each command, one human table, errors, completions.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use evpnd_api::fake::FakeBackend;
use evpnd_api::pb;
use serde_json::Value;

use common::{evpnctl, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_of_every_command() {
    let s = start().await;
    let p = s.socket.as_path();

    let v = json(p, &["status"]).await;
    assert_eq!(
        (v["router_id"].as_str(), v["asn"].as_u64()),
        (Some("10.0.0.1"), Some(65001))
    );
    assert_eq!(v["counters"]["peers_established"], 1);

    let v = json(p, &["peers"]).await;
    assert_eq!(v["peers"][0]["address"], "10.0.0.2");
    assert_eq!(v["peers"][0]["state"], "established");
    assert_eq!(v["peers"][0]["families"][0]["family"], "l2vpn_evpn");

    let v = json(p, &["peer", "10.0.0.3"]).await;
    assert_eq!(v["state"], "active");
    assert_eq!(v["last_error"]["notification"]["code"], 6);
    assert_eq!(v["last_error"]["notification"]["subcode"], 2);

    let v = json(p, &["peer", "10.0.0.2", "reset", "soft-in"]).await;
    assert_eq!(
        (v["address"].as_str(), v["done"].as_str()),
        (Some("10.0.0.2"), Some("reset_soft_in"))
    );
    let v = json(
        p,
        &["peer", "10.0.0.2", "disable", "--reason", "maintenance"],
    )
    .await;
    assert_eq!(v["done"], "disabled");
    let v = json(p, &["peer", "10.0.0.2", "enable"]).await;
    assert_eq!(v["done"], "enabled");

    let v = json(p, &["routes"]).await;
    assert_eq!(v["routes"].as_array().map(Vec::len), Some(9));
    let v = json(p, &["routes", "--type", "3"]).await;
    assert_eq!(v["routes"][0]["type"], "imet");
    assert_eq!(v["routes"][0]["prefix"], "[3]:[0]:[32]:[10.0.0.2]");
    let v = json(
        p,
        &[
            "routes",
            "--vni",
            "200",
            "--mac",
            "aa:bb:cc:c8:00:01",
            "--best",
        ],
    )
    .await;
    assert_eq!(v["routes"][0]["rd"], "10.0.0.2:200");
    assert_eq!(v["routes"][0]["paths"][0]["best"], true);
    let page = json(p, &["routes", "--page-size", "4"]).await;
    let token = page["next_page_token"].as_str().expect("token").to_string();
    assert!(!token.is_empty());
    let next = json(p, &["routes", "--page-size", "4", "--page-token", &token]).await;
    assert_ne!(next["routes"][0]["prefix"], page["routes"][0]["prefix"]);

    let key = "[2]:[0]:[48]:[aa:bb:cc:64:00:00]:[32]:[10.100.0.0]";
    let v = json(p, &["route", "explain", key, "--rd", "10.0.0.2:100"]).await;
    assert_eq!(v["paths"][0]["won"], true);
    assert_eq!(v["paths"][1]["reason"], "mobility_sequence");
    assert_eq!(v["tenants"].as_array().map(Vec::len), Some(0));
    let v = json(
        p,
        &[
            "route",
            "explain",
            "[5]:[0]:[24]:[10.5.0.0]",
            "--rd",
            "10.0.0.2:5000",
        ],
    )
    .await;
    assert_eq!(v["tenants"][0]["vrf"], "blue");
    assert_eq!(v["tenants"][0]["prefix"], "10.5.0.0/24");
    assert_eq!(v["tenants"][0]["installed"], false);
    assert_eq!(v["tenants"][0]["not_installed"], "the L3VNI is down");

    let v = json(p, &["vnis"]).await;
    assert_eq!(v["vnis"][0]["vni"], 100);
    assert_eq!(v["vnis"][0]["kind"], "l2");
    assert_eq!(v["vnis"][0]["vrf"], "blue");
    assert_eq!(v["vnis"][1]["kind"], "l3");
    assert_eq!(v["vnis"][0]["flood_list"][1], "10.0.0.3");
    assert_eq!(v["vnis"][0]["flood_mode"], "multicast 239.1.1.100");
    assert_eq!(v["vnis"][0]["static_vteps"][0], "10.0.0.3");
    assert_eq!(v["vnis"][0]["ethernet_tag"], 0);
    assert_eq!(v["vnis"][0]["remote_vteps"][1]["source"], "evpn+static");
    assert_eq!(v["vnis"][0]["remote_vteps"][2]["source"], "none");
    assert_eq!(
        v["vnis"][0]["remote_vteps"][2]["reason"],
        "same multicast group 239.1.1.100: no head-end entry"
    );
    let v = json(p, &["macs", "--remote"]).await;
    assert_eq!(v["macs"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["macs"][0]["duplicate"], true);
    let v = json(p, &["neigh"]).await;
    assert_eq!(v["neighbors"][0]["ip"], "10.100.0.0");
    let v = json(p, &["vteps"]).await;
    assert_eq!(v["vteps"][0]["vnis"][1], 200);
    let v = json(p, &["dataplane"]).await;
    assert_eq!(v["vnis"][0]["drift"], true);
    assert_eq!(v["vnis"][0]["desired"]["fdb"], 3);
    let v = json(p, &["reload"]).await;
    assert_eq!(v["changes"][0]["kind"], "added");
    let v = json(p, &["log-level", "debug"]).await;
    assert_eq!(
        (v["level"].as_str(), v["previous"].as_str()),
        (Some("debug"), Some("info"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_json_lines() {
    let s = start().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_evpnctl"))
        .arg("--socket")
        .arg(&s.socket)
        .args(["--json", "watch", "--peers"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let backend = Arc::clone(&s.backend);
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut got = Vec::new();
        for l in lines.by_ref() {
            let l = l.expect("line");
            let end = l.contains("end_of_snapshot");
            got.push(l);
            if end {
                break;
            }
        }
        let ev = pb::PeerEvent {
            peer: Some(pb::Peer {
                address: "10.0.0.7".into(),
                ..Default::default()
            }),
        };
        backend.publish(pb::watch_response::Event::Peer(ev));
        got.push(lines.next().expect("live event").expect("line"));
        got
    })
    .await
    .expect("join");
    let _ = child.kill();
    let _ = child.wait();
    let v: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(v.len(), 4, "{lines:?}");
    assert_eq!(v[0]["event"], "peer");
    assert_eq!(v[2]["event"], "end_of_snapshot");
    assert_eq!(v[3]["peer"]["address"], "10.0.0.7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_table_errors_and_completions() {
    let s = start().await;
    let (code, out, _) = evpnctl(&s.socket, &["peers"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("PEER      ASN    STATE"), "{out}");
    assert!(
        lines[1].starts_with("10.0.0.2  65000  established"),
        "{out}"
    );

    // `vnis`: the flood mode per VNI, then each remote VTEP's flood source.
    let (code, out, _) = evpnctl(&s.socket, &["vnis"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    assert!(
        lines[0].ends_with("VTEP      BUM                    FLOOD"),
        "{out}"
    );
    assert!(
        lines[1].ends_with("10.0.0.1  multicast 239.1.1.100  10.0.0.2,10.0.0.3"),
        "{out}"
    );
    assert_eq!(
        lines[4..],
        [
            "VNI  REMOTE VTEP  FLOOD SOURCE",
            "100  10.0.0.2     evpn",
            "100  10.0.0.3     evpn+static",
            "100  10.0.0.4     same multicast group 239.1.1.100: no head-end entry",
        ],
        "{out}"
    );

    let (code, out, err) = evpnctl(&s.socket, &["peer", "not/an-ip"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("evpnctl: invalid_argument: address:"),
        "{err}"
    );
    let (code, _, err) = evpnctl(&s.socket, &["peer", "10.9.9.9", "enable"]).await;
    assert_eq!(code, 1);
    assert!(err.starts_with("evpnctl: not_found:"), "{err}");
    let (code, _, err) = evpnctl(&s.socket, &["peer", "10.9.9.9"]).await;
    assert_eq!(code, 1);
    assert!(err.starts_with("evpnctl: not_found:"), "{err}");

    let missing = s.socket.with_file_name("nope.sock");
    let (code, _, err) = evpnctl(&missing, &["status"]).await;
    assert_eq!(code, 4, "unreachable");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot connect to") && err.contains("nope.sock"),
        "{err}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[bgp]\nasn = 65001\n").expect("write");
    let (code, out, _) = evpnctl(&s.socket, &["validate", good.to_str().expect("utf-8")]).await;
    assert_eq!(code, 0);
    assert!(out.ends_with("good.toml: valid\n"), "{out}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[bgp]\nasn = \"x\"\n").expect("write");
    let (code, _, err) = evpnctl(&s.socket, &["validate", bad.to_str().expect("utf-8")]).await;
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].ends_with("bad.toml:2:7: bgp.asn: expected an integer"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("evpnctl: ") && lines[1].ends_with("bad.toml: 1 problem"),
        "{err}"
    );
    // A file past the daemon's size limit is refused before it is read whole.
    let (code, _, err) = evpnctl(&s.socket, &["validate", "/dev/zero"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("larger than the daemon's limit"), "{err}");

    let (code, out, _) = evpnctl(&s.socket, &["completions", "bash"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("evpnctl") && out.contains("dataplane"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_over_tcp() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(FakeBackend::new(1, 8));
    tokio::spawn(evpnd_api::serve_tcp_on(l, None, b, async {
        let _ = stopped.await;
    }));
    let url = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evpnctl"));
    cmd.args(["--endpoint", &url, "--json", "status"]);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["asn"], 65001);
}
