//! The gRPC service implementations: validate, call the [`Backend`], answer.

mod daemon;
mod evpn;
mod peer;
mod route;
mod tenant;

pub use route::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, STREAM_BATCH};
pub use tenant::{DEFAULT_VRF_PAGE_SIZE, MAX_VRF_PAGE_SIZE};
mod watch;
pub use watch::{MAX_WATCHERS, SNAPSHOT_PAGE, WATCH_BUFFER, WATCH_STALL};

use std::sync::Arc;

use tonic::Status;

use crate::Backend;
use crate::serve::Access;

/// Implements every `evpn.v1` service on top of a [`Backend`].
pub struct ApiService<B> {
    backend: Arc<B>,
    access: Access,
}

impl<B> ApiService<B> {
    /// A service answering from `backend`, every RPC allowed.
    pub fn new(backend: Arc<B>) -> Self {
        Self::with_access(backend, Access::ReadWrite)
    }

    /// A service answering from `backend` with the given [`Access`].
    pub fn with_access(backend: Arc<B>, access: Access) -> Self {
        ApiService { backend, access }
    }

    /// `PERMISSION_DENIED` for an RPC that changes state, on a read-only
    /// listener. Checked before the request is validated.
    fn require_write(&self, rpc: &str) -> Result<(), Status> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(Status::permission_denied(format!(
                "{rpc} changes the daemon's state; this socket is read-only (use the operator socket, [api] socket)"
            ))),
        }
    }
}

impl<B> Clone for ApiService<B> {
    fn clone(&self) -> Self {
        ApiService {
            backend: Arc::clone(&self.backend),
            access: self.access,
        }
    }
}

impl<B: Backend> ApiService<B> {
    /// The backend, for the service modules.
    fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend, for tasks that outlive a call (a watch stream).
    fn backend_arc(&self) -> Arc<B> {
        Arc::clone(&self.backend)
    }
}
