//! Connecting a tonic client to the API (used by evpnctl and the tests).

use std::path::PathBuf;

use hyper_util::rt::TokioIo;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

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

/// TLS settings of a client, as PEM files.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// The CA that signed the server's certificate.
    pub ca: Option<PathBuf>,
    /// The client certificate, for servers that require one.
    pub cert: Option<PathBuf>,
    /// The client certificate's key.
    pub key: Option<PathBuf>,
    /// The name to check the server certificate against (default: the URL's host).
    pub domain: Option<String>,
}

/// Why a client could not connect.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Reading a certificate or key file.
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// A client certificate without its key or the reverse.
    #[error("a client certificate needs both cert and key")]
    HalfIdentity,
    /// The transport (bad URL, refused, TLS handshake).
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
}

fn read(p: &PathBuf) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(p).map_err(|e| ConnectError::Read(p.clone(), e))
}

/// A channel to the API at `url` (`http://host:port`, or `https://` with `tls`).
pub async fn connect_url(url: String, tls: Option<ClientTls>) -> Result<Channel, ConnectError> {
    let mut ep = Endpoint::from_shared(url)?;
    if let Some(t) = tls {
        let mut c = ClientTlsConfig::new();
        if let Some(ca) = &t.ca {
            c = c.ca_certificate(Certificate::from_pem(read(ca)?));
        }
        match (&t.cert, &t.key) {
            (Some(cert), Some(key)) => c = c.identity(Identity::from_pem(read(cert)?, read(key)?)),
            (None, None) => {}
            _ => return Err(ConnectError::HalfIdentity),
        }
        if let Some(d) = t.domain {
            c = c.domain_name(d);
        }
        ep = ep.tls_config(c)?;
    }
    Ok(ep.connect().await?)
}
