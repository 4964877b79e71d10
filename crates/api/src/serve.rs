//! Serving the API: on a unix socket (the default, for evpnctl) or on TCP
//! with optional (mutual) TLS. Reflection is always on.

use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tonic::transport::server::Router;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::Backend;
use crate::pb;
use crate::service::ApiService;

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding, the socket path or a certificate file.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The gRPC transport (including TLS setup).
    #[error("grpc transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built.
    #[error("grpc reflection: {0}")]
    Reflection(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// TLS for the TCP listener: PEM files.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// The server certificate chain.
    pub cert: PathBuf,
    /// The server private key.
    pub key: PathBuf,
    /// When set, clients must present a certificate signed by this CA.
    pub client_ca: Option<PathBuf>,
}

/// Builds the router with every `evpn.v1` service and reflection (v1 and v1alpha).
pub fn router<B: Backend>(mut server: Server, backend: Arc<B>) -> Result<Router, ServeError> {
    let svc = ApiService::new(backend);
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServeError::Reflection(e.to_string()))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| ServeError::Reflection(e.to_string()))?;
    Ok(server
        .add_service(pb::daemon_service_server::DaemonServiceServer::new(
            svc.clone(),
        ))
        .add_service(pb::peer_service_server::PeerServiceServer::new(svc.clone()))
        .add_service(pb::route_service_server::RouteServiceServer::new(
            svc.clone(),
        ))
        .add_service(pb::evpn_service_server::EvpnServiceServer::new(svc.clone()))
        .add_service(pb::dataplane_service_server::DataplaneServiceServer::new(
            svc.clone(),
        ))
        .add_service(pb::watch_service_server::WatchServiceServer::new(svc))
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Binds the unix socket at `path`: creates the parent directory, replaces
/// a stale socket (refusing when a live server answers on it), chmod 0660.
pub async fn bind_unix(path: &Path) -> Result<UnixListener, ServeError> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if tokio::net::UnixStream::connect(path).await.is_ok() {
                return Err(ServeError::Io {
                    what: format!("{}: another server is listening", path.display()),
                    source: std::io::ErrorKind::AddrInUse.into(),
                });
            }
            std::fs::remove_file(path).map_err(io(format!("removing stale {}", path.display())))?;
        }
        Ok(_) => {
            return Err(ServeError::Io {
                what: format!("{} exists and is not a socket", path.display()),
                source: std::io::ErrorKind::AlreadyExists.into(),
            });
        }
        Err(_) => {}
    }
    let l = UnixListener::bind(path).map_err(io(format!("binding {}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(io(format!("chmod 0660 {}", path.display())))?;
    Ok(l)
}

/// Serves the API on a unix socket until `shutdown` completes, then removes it.
pub async fn serve_unix<B: Backend>(
    path: impl AsRef<Path>,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let path = path.as_ref();
    let listener = bind_unix(path).await?;
    let r = router(Server::builder(), backend)?
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), shutdown)
        .await;
    let _ = std::fs::remove_file(path);
    Ok(r?)
}

/// Serves the API on TCP, with TLS when `tls` is given, until `shutdown`.
pub async fn serve_tcp<B: Backend>(
    addr: SocketAddr,
    tls: Option<TlsConfig>,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(io(format!("binding {addr}")))?;
    serve_tcp_on(listener, tls, backend, shutdown).await
}

/// [`serve_tcp`] on a listener the caller bound (e.g. to port 0).
pub async fn serve_tcp_on<B: Backend>(
    listener: tokio::net::TcpListener,
    tls: Option<TlsConfig>,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let mut server = Server::builder();
    if let Some(t) = tls {
        server = server.tls_config(server_tls(&t)?)?;
    }
    router(server, backend)?
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}

fn server_tls(t: &TlsConfig) -> Result<ServerTlsConfig, ServeError> {
    let read = |p: &Path| std::fs::read(p).map_err(io(format!("reading {}", p.display())));
    let mut c = ServerTlsConfig::new().identity(Identity::from_pem(read(&t.cert)?, read(&t.key)?));
    if let Some(ca) = &t.client_ca {
        c = c.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(c)
}
