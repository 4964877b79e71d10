//! Connecting a tonic client to the API (used by evpnctl and the tests).

use std::path::PathBuf;

use hyper_util::rt::TokioIo;
use tonic::transport::{Channel, Endpoint};

/// A channel to the API on the unix socket at `path`.
///
/// The connection is made now, so a missing socket or a refused connection
/// is reported here rather than on the first call.
pub async fn connect_unix(path: impl Into<PathBuf>) -> Result<Channel, tonic::transport::Error> {
    let path = path.into();
    // The URI is required by the API but never used: the connector dials the socket.
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                tokio::net::UnixStream::connect(path)
                    .await
                    .map(TokioIo::new)
            }
        }))
        .await
}

/// A channel to the API at `url` (`http://host:port` or `https://...`).
pub async fn connect_url(url: String) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(url)?.connect().await
}
