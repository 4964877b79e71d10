//! A client that is not ours: Python grpcio + grpcio-reflection, with no
//! channel options (grpc-core then sends the socket path as `:authority`,
//! which `evpnd_api::authority` makes acceptable), discovers the API over
//! reflection and calls GetStatus. Fails (does not skip) when python3 or the
//! modules are missing: `interop/setup.sh` installs them.

mod common;

use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_grpcio_lists_services_and_gets_status() {
    let s = common::start(1, 8).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/grpc_generic_client.py");
    let target = format!("unix:{}", s.socket.display());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).arg(target).output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("python3 could not run ({e}); run interop/setup.sh"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the python client failed (pip install grpcio grpcio-reflection, see interop/setup.sh):\n{stderr}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON from the python client");
    let services: Vec<&str> = v["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for svc in [
        "evpn.v1.DaemonService",
        "evpn.v1.RouteService",
        "evpn.v1.WatchService",
    ] {
        assert!(services.contains(&svc), "{svc} missing from {services:?}");
    }
    assert_eq!(v["status"]["routerId"], "10.0.0.1");
    assert_eq!(v["status"]["asn"], 65001);
    assert_eq!(v["status"]["version"], "0.1.0-fake");
}
