//! A fake-backend server on a temporary unix socket, and a channel to it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use evpnd_api::fake::FakeBackend;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// A running server; dropping it stops the server and removes the directory.
pub struct Server {
    pub backend: Arc<FakeBackend>,
    pub socket: PathBuf,
    pub channel: Channel,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// Starts a server with `routes_per_vni` type-2 routes per VNI and a watch
/// feed of `watch_capacity` events.
pub async fn start(routes_per_vni: usize, watch_capacity: usize) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    // A parent that does not exist yet: serve_unix must create it.
    let socket = dir.path().join("run/evpnd.sock");
    let backend = Arc::new(FakeBackend::new(routes_per_vni, watch_capacity));
    let (stop, stopped) = oneshot::channel::<()>();
    let (b, s) = (Arc::clone(&backend), socket.clone());
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        evpnd_api::serve_unix(&s, b, shutdown)
            .await
            .expect("serve_unix");
    });
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let channel = evpnd_api::client::connect_unix(&socket)
        .await
        .expect("connect");
    Server {
        backend,
        socket,
        channel,
        _stop: stop,
        _dir: dir,
    }
}
