//! `route add|delete` (AddRoute, DeleteRoute), `duplicates [clear]`
//! (ListDuplicates, ClearDuplicate), the documented exit statuses, and the
//! man pages, against the api crate's fake backend.

mod common;

use std::sync::Arc;

use common::{evpnctl, json, start};
use evpnd_api::Access;
use evpnd_api::fake::FakeBackend;

/// Exit statuses, as docs/evpnctl.md lists them.
const FAILED: i32 = 1;
const USAGE: i32 = 2;
const UNREACHABLE: i32 = 4;
const DENIED: i32 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_and_delete_local_routes() {
    let s = start().await;
    let p = s.socket.as_path();
    let v = json(
        p,
        &[
            "route",
            "add",
            "mac-ip",
            "--vni",
            "100",
            "--mac",
            "02:00:00:00:00:09",
            "--ip",
            "10.100.0.9",
            "--sticky",
        ],
    )
    .await;
    assert_eq!(v["added"]["type"], "mac_ip");
    assert_eq!(v["added"]["sticky"], true);
    assert_eq!(v["key"]["type"], "mac_ip");
    let prefix = v["key"]["prefix"].as_str().unwrap_or_default();
    assert!(
        prefix.contains("02:00:00:00:00:09") && prefix.contains("10.100.0.9"),
        "{v}"
    );

    let (code, out, err) = evpnctl(p, &["route", "add", "imet", "--vni", "100"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("added imet vni 100: "), "{out}");
    let v = json(
        p,
        &[
            "route",
            "add",
            "ip-prefix",
            "--vni",
            "5000",
            "--prefix",
            "10.1.0.0/24",
        ],
    )
    .await;
    assert_eq!(v["key"]["type"], "ip_prefix");

    // Delete what was added: once, then it is gone.
    let del = [
        "route",
        "delete",
        "mac-ip",
        "--vni",
        "100",
        "--mac",
        "02:00:00:00:00:09",
        "--ip",
        "10.100.0.9",
        "--sticky",
    ];
    let (code, out, err) = evpnctl(p, &del).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "deleted mac-ip vni 100 mac 02:00:00:00:00:09 ip 10.100.0.9\n"
    );
    let (code, _, err) = evpnctl(p, &del).await;
    assert_eq!(code, FAILED);
    assert!(err.starts_with("evpnctl: not_found:"), "{err}");
    let v = json(p, &["route", "delete", "imet", "--vni", "100"]).await;
    assert_eq!(
        v["deleted"],
        serde_json::json!({ "type": "imet", "vni": 100 })
    );

    // The daemon validates: a bad prefix is invalid_argument, exit 1.
    let (code, _, err) = evpnctl(
        p,
        &[
            "route",
            "add",
            "ip-prefix",
            "--vni",
            "5000",
            "--prefix",
            "10.1.0.0/33",
        ],
    )
    .await;
    assert_eq!(code, FAILED);
    assert!(
        err.starts_with("evpnctl: invalid_argument: route.ip_prefix.prefix:"),
        "{err}"
    );
    // A missing argument is clap's usage error.
    let (code, _, _) = evpnctl(p, &["route", "add", "mac-ip", "--vni", "100"]).await;
    assert_eq!(code, USAGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_clear_duplicates() {
    let s = start().await;
    let p = s.socket.as_path();
    let v = json(p, &["duplicates"]).await;
    assert_eq!(
        v["duplicates"][0],
        serde_json::json!({
            "vni": 100, "mac": "aa:bb:cc:64:00:00", "moves": 5,
            "last_vtep_ip": "10.0.0.2", "detected_unix_seconds": 1_700_000_000u64,
        })
    );
    let v = json(p, &["duplicates", "--vni", "200"]).await;
    assert_eq!(v["duplicates"].as_array().map(Vec::len), Some(0));
    let (code, out, _) = evpnctl(p, &["duplicates"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("VNI  MAC"), "{out}");
    assert!(lines[1].starts_with("100  aa:bb:cc:64:00:00  5"), "{out}");

    let v = json(
        p,
        &[
            "duplicates",
            "clear",
            "--vni",
            "100",
            "--mac",
            "aa:bb:cc:64:00:00",
        ],
    )
    .await;
    assert_eq!(v["cleared"], true);
    let (code, _, err) = evpnctl(
        p,
        &[
            "duplicates",
            "clear",
            "--vni",
            "100",
            "--mac",
            "aa:bb:cc:64:00:09",
        ],
    )
    .await;
    assert_eq!(code, FAILED);
    assert!(err.starts_with("evpnctl: not_found:"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_statuses_unreachable_and_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nobody listening: 4.
    let (code, _, err) = evpnctl(&dir.path().join("none.sock"), &["status"]).await;
    assert_eq!(code, UNREACHABLE, "{err}");
    // A read-only socket: queries work, changes are denied with 5.
    let ro = dir.path().join("ro.sock");
    let listener = evpnd_api::bind_unix(&ro).await.expect("bind");
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(FakeBackend::new(1, 8));
    tokio::spawn(evpnd_api::serve_unix_on(
        listener,
        b,
        Access::ReadOnly,
        async {
            let _ = stopped.await;
        },
    ));
    let v = json(&ro, &["status"]).await;
    assert_eq!(v["asn"], 65001);
    for args in [
        &["route", "add", "imet", "--vni", "100"][..],
        &[
            "duplicates",
            "clear",
            "--vni",
            "100",
            "--mac",
            "aa:bb:cc:64:00:00",
        ],
        &["reload"],
        &["peer", "10.0.0.2", "disable"],
    ] {
        let (code, _, err) = evpnctl(&ro, args).await;
        assert_eq!(code, DENIED, "{args:?}: {err}");
        assert!(err.starts_with("evpnctl: permission_denied:"), "{err}");
    }
}

#[tokio::test]
async fn man_pages_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = evpnctl(
        dir.path(),
        &["manpages", dir.path().to_str().expect("utf-8")],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    for page in [
        "evpnctl.1",
        "evpnctl-route-add.1",
        "evpnctl-duplicates.1",
        "evpnctl-peer.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is not roff");
    }
    let main = std::fs::read_to_string(dir.path().join("evpnctl.1")).unwrap_or_default();
    assert!(
        main.contains("duplicates") && main.contains("dataplane"),
        "{main}"
    );
}
