//! evpnd's management API: the `evpn.v1` gRPC services as a library.
//!
//! The daemon implements [`Backend`] (by asking its core task) and calls
//! [`serve_unix`] / [`serve_tcp`] / [`serve_metrics`]. The services validate
//! every request and hand the backend typed values ([`RouteFilter`],
//! [`LocalRoute`], ...); the backend answers with the generated [`pb`] types.

pub mod authority;
pub mod backend;
pub mod client;
pub mod filter;
mod group;
mod huffman;
pub mod metrics;
mod page_token;
pub mod serve;
pub mod service;
pub mod types;
mod validate;

pub mod pb {
    //! The generated `evpn.v1` messages, clients and servers.
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("evpn.v1");
    /// The encoded file descriptor set, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("evpn_v1_descriptor");
}

pub use backend::Backend;
pub use metrics::{Metrics, PeerMetrics, RouteCount, VrfMetrics, serve_metrics, serve_metrics_on};
pub use serve::{
    Access, DEFAULT_SOCKET_MODE, ServeError, SocketOptions, TlsConfig, bind_unix, bind_unix_with,
    router, router_with, serve_tcp, serve_tcp_on, serve_unix, serve_unix_on, spawn_readonly_unix,
    unix_incoming,
};
pub use service::ApiService;
pub use types::{
    BackendError, ConfigSource, LocalRoute, MacFilter, Origin, PeerRef, RouteCursor, RouteFilter,
    RoutePage, RouteQuery, View, VrfRouteCursor, VrfRoutePage, VrfRouteQuery, WatchStart,
};

#[cfg(feature = "fake")]
pub mod fake;
