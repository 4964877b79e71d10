//! The unix socket: a stale socket is replaced, a live one or a regular file
//! is never clobbered, and the socket is removed on shutdown.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::sync::Arc;

use evpnd_api::fake::FakeBackend;

#[tokio::test]
async fn stale_socket_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evpnd.sock");
    // A socket left behind by a dead process: bound, then its listener dropped.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    assert!(path.exists());
    let l = evpnd_api::bind_unix(&path)
        .await
        .expect("replaces the stale socket");
    drop(l);
}

#[tokio::test]
async fn live_socket_and_regular_file_are_refused() {
    let s = common::start(1, 8).await;
    let e = evpnd_api::bind_unix(&s.socket)
        .await
        .expect_err("a server is listening");
    assert!(e.to_string().contains("another server is listening"), "{e}");

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-socket");
    std::fs::write(&file, "keep me").expect("write");
    let e = evpnd_api::bind_unix(&file)
        .await
        .expect_err("a regular file");
    assert!(e.to_string().contains("not a socket"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&file).ok().as_deref(),
        Some("keep me")
    );
}

#[tokio::test]
async fn socket_is_removed_on_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evpnd.sock");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(FakeBackend::new(1, 8));
    let p = path.clone();
    let server = tokio::spawn(async move {
        evpnd_api::serve_unix(&p, b, async {
            let _ = stopped.await;
        })
        .await
    });
    for _ in 0..200 {
        if path.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let meta = std::fs::symlink_metadata(&path).expect("socket");
    assert!(meta.file_type().is_socket());
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
    assert!(!path.exists());
}
