//! A fake-backend server on a temporary socket, and evpnctl run against it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use evpnd_api::fake::FakeBackend;
use serde_json::Value;

pub struct Server {
    pub backend: Arc<FakeBackend>,
    pub socket: PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

pub async fn start() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("evpnd.sock");
    let backend = Arc::new(FakeBackend::new(3, 64));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (b, s) = (Arc::clone(&backend), socket.clone());
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        evpnd_api::serve_unix(&s, b, shutdown).await.expect("serve");
    });
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Server {
        backend,
        socket,
        _stop: stop,
        _dir: dir,
    }
}

/// Runs evpnctl with `--socket`; returns (status, stdout, stderr).
pub async fn evpnctl(socket: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evpnctl"));
    cmd.arg("--socket").arg(socket).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run evpnctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub async fn json(socket: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, out, err) = evpnctl(socket, &all).await;
    assert_eq!(code, 0, "evpnctl {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("evpnctl {args:?}: not JSON ({e}): {out}"))
}
