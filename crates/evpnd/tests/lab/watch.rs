//! A management-API watcher that never reads: a raw HTTP/2 client with the
//! default 64 KiB windows that never releases them, as a stock client that
//! stops reading does (a tonic client would keep reading into its own
//! buffers).

use std::path::PathBuf;

/// Opens a Watch (all topics) on the API socket `sock` and never reads its
/// body. Returns what keeps the stream open; `None` if the socket refused.
pub async fn stalled_watch(sock: PathBuf) -> Option<impl Sized + Send + 'static> {
    let io = tokio::net::UnixStream::connect(sock).await.ok()?;
    let (mut client, conn) = h2::client::Builder::new()
        .initial_window_size(65_535)
        .initial_connection_window_size(65_535)
        .handshake::<_, bytes::Bytes>(io)
        .await
        .ok()?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = http::Request::post("http://localhost/evpn.v1.WatchService/Watch")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .ok()?;
    let (resp, mut body) = client.send_request(req, false).ok()?;
    // A gRPC frame: not compressed, length 0 (an empty WatchRequest: all topics).
    body.send_data(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]), true)
        .ok()?;
    let resp = resp.await.ok()?;
    (resp.status() == 200).then_some((client, resp.into_body(), driver))
}
