//! The gRPC service implementations: validate, call the [`Backend`], answer.

mod daemon;
mod evpn;
mod peer;
mod route;

pub use route::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, STREAM_BATCH};
mod watch;

use std::sync::Arc;

use crate::Backend;

/// Implements every `evpn.v1` service on top of a [`Backend`].
pub struct ApiService<B> {
    backend: Arc<B>,
}

impl<B> ApiService<B> {
    /// A service answering from `backend`.
    pub fn new(backend: Arc<B>) -> Self {
        ApiService { backend }
    }
}

impl<B> Clone for ApiService<B> {
    fn clone(&self) -> Self {
        ApiService {
            backend: Arc::clone(&self.backend),
        }
    }
}

impl<B: Backend> ApiService<B> {
    /// The backend, for the service modules.
    fn backend(&self) -> &B {
        &self.backend
    }
}
