//! Serving the API: on a unix socket (the default, for evpnctl) or on TCP
//! with optional (mutual) TLS. Reflection is always on. A unix listener
//! accepts any `:authority` ([`crate::authority`]) and may be read-only.

use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::{UnixListener, UnixStream};
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::Router;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::Backend;
use crate::authority::AnyAuthority;
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
pub fn router<B: Backend>(server: Server, backend: Arc<B>) -> Result<Router, ServeError> {
    router_with(server, backend, Access::ReadWrite)
}

/// [`router`] for a listener with the given [`Access`].
pub fn router_with<B: Backend>(
    mut server: Server,
    backend: Arc<B>,
    access: Access,
) -> Result<Router, ServeError> {
    let svc = ApiService::with_access(backend, access);
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
        .add_service(pb::tenant_service_server::TenantServiceServer::new(
            svc.clone(),
        ))
        .add_service(pb::watch_service_server::WatchServiceServer::new(svc))
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Ownership and permissions of a Unix socket (`[api] socket_group`,
/// `socket_mode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketOptions {
    /// The permission bits (`0o660`: owner and group read and write).
    pub mode: u32,
    /// A group name or numeric id to own the socket; `None` keeps the
    /// process's group.
    pub group: Option<String>,
}

/// The default socket mode: the owner and its group.
pub const DEFAULT_SOCKET_MODE: u32 = 0o660;

impl Default for SocketOptions {
    fn default() -> Self {
        SocketOptions {
            mode: DEFAULT_SOCKET_MODE,
            group: None,
        }
    }
}

/// What a listener lets its clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Every RPC.
    #[default]
    ReadWrite,
    /// Only RPCs that change nothing; the rest answer `PERMISSION_DENIED`.
    ReadOnly,
}

/// Binds the unix socket at `path` with the default [`SocketOptions`].
pub async fn bind_unix(path: &Path) -> Result<UnixListener, ServeError> {
    bind_unix_with(path, &SocketOptions::default()).await
}

/// Binds the unix socket at `path`: creates the parent directory, replaces
/// a stale socket (refusing when a live server answers on it), then sets
/// the group and mode of `opts`.
pub async fn bind_unix_with(path: &Path, opts: &SocketOptions) -> Result<UnixListener, ServeError> {
    // Resolve the group first: a typo must not leave a socket behind.
    let gid = match &opts.group {
        Some(g) => Some(crate::group::gid_of(g).map_err(io(format!("socket group {g:?}")))?),
        None => None,
    };
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
    if let Some(gid) = gid {
        std::os::unix::fs::chown(path, None, Some(gid))
            .map_err(io(format!("chgrp {gid} {}", path.display())))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(opts.mode))
        .map_err(io(format!("chmod {:04o} {}", opts.mode, path.display())))?;
    Ok(l)
}

/// The connections of a unix listener, each accepting any `:authority`
/// (grpc-core's clients send the socket path, see [`crate::authority`]).
pub fn unix_incoming(
    listener: UnixListener,
) -> impl Stream<Item = std::io::Result<AnyAuthority<UnixStream>>> {
    UnixListenerStream::new(listener).map(|r| r.map(AnyAuthority::new))
}

/// Serves the API on a unix socket until `shutdown` completes, then removes it.
pub async fn serve_unix<B: Backend>(
    path: impl AsRef<Path>,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let path = path.as_ref();
    let listener = bind_unix(path).await?;
    let r = serve_unix_on(listener, backend, Access::ReadWrite, shutdown).await;
    let _ = std::fs::remove_file(path);
    r
}

/// Serves the API on a bound unix listener until `shutdown` completes.
pub async fn serve_unix_on<B: Backend>(
    listener: UnixListener,
    backend: Arc<B>,
    access: Access,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    router_with(Server::builder(), backend, access)?
        .serve_with_incoming_shutdown(unix_incoming(listener), shutdown)
        .await?;
    Ok(())
}

/// Binds `path` and serves the API there, read-only, on a task of its own
/// until `shutdown`; the socket is removed then. Errors binding are returned.
pub async fn spawn_readonly_unix<B: Backend>(
    path: &Path,
    opts: &SocketOptions,
    backend: Arc<B>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let listener = bind_unix_with(path, opts).await?;
    let path = path.to_path_buf();
    tokio::spawn(async move {
        if let Err(e) = serve_unix_on(listener, backend, Access::ReadOnly, shutdown).await {
            tracing::error!(socket = %path.display(), "read-only management API stopped: {e}");
        }
        let _ = std::fs::remove_file(&path);
    });
    Ok(())
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
