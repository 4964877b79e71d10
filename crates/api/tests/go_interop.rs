//! A stock Go client: grpc-go from Debian (`golang-google-grpc-dev`, built
//! in GOPATH mode, so no module download), default dial options, lists the
//! services over reflection and calls GetStatus. Fails (does not skip) when
//! Go or the package is missing: `interop/setup.sh` installs them.

mod common;

use std::path::Path;
use std::process::Command;

/// Where Debian's Go packages put their sources.
const DEBIAN_GOPATH: &str = "/usr/share/gocode";

fn build(out: &Path) {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go_client/main.go");
    let cache = out.with_file_name("gocache");
    let r = Command::new("go")
        .args(["build", "-o"])
        .arg(out)
        .arg(src)
        .env("GOPATH", DEBIAN_GOPATH)
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOCACHE", &cache)
        .output()
        .unwrap_or_else(|e| panic!("go could not run ({e}); run interop/setup.sh (golang-go)"));
    assert!(
        r.status.success(),
        "go build failed (apt-get install golang-google-grpc-dev, see interop/setup.sh):\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

/// Runs the client; `authority`: sent as `:authority` instead of grpc-go's
/// default for `unix:` targets (`localhost`).
async fn call(bin: &Path, socket: &Path, authority: Option<String>) -> serde_json::Value {
    let mut cmd = Command::new(bin);
    cmd.arg(format!("unix://{}", socket.display()));
    if let Some(a) = &authority {
        cmd.arg(a);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run the Go client");
    assert!(
        out.status.success(),
        "the Go client (authority {authority:?}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the Go client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_grpc_lists_services_and_gets_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("go_client");
    let b = bin.clone();
    tokio::task::spawn_blocking(move || build(&b))
        .await
        .expect("join");
    let s = common::start(1, 8).await;
    // Default options; then the socket path as authority, which Go's HPACK
    // encoder Huffman-codes (the path grpc-swift and others take).
    let path = s.socket.display().to_string();
    for authority in [None, Some(path.clone()), Some(format!("unix:{path}"))] {
        let v = call(&bin, &s.socket, authority).await;
        let services: Vec<&str> = v["services"]
            .as_array()
            .expect("services")
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        for svc in ["evpn.v1.DaemonService", "evpn.v1.RouteService"] {
            assert!(services.contains(&svc), "{svc} missing from {services:?}");
        }
        assert_eq!(v["router_id"], "10.0.0.1");
        assert_eq!(v["asn"], 65001);
    }
}
