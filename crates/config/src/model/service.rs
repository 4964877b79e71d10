//! `[api]`, `[metrics]`, `[log]`: the daemon's own services.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[api]`: the gRPC management API (`proto/evpn/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Unix socket, absolute path. Default `/run/evpnd/evpnd.sock`.
    #[serde(default = "default_socket")]
    pub socket: PathBuf,
    /// Optional TCP listener. Off by default; a non-loopback address needs TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// PEM certificate chain for `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: when set, clients must present a certificate it signed (mTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
}

pub(crate) fn default_socket() -> PathBuf {
    PathBuf::from("/run/evpnd/evpnd.sock")
}

impl Default for Api {
    fn default() -> Self {
        Api {
            socket: default_socket(),
            listen: None,
            tls_cert: None,
            tls_key: None,
            client_ca: None,
        }
    }
}

/// `[metrics]`: Prometheus text exposition over HTTP, off unless `listen` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event (colours only on a terminal).
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// A level (`error`, `warn`, `info`, `debug`, `trace`, `off`) or comma-separated
    /// `target=level` directives (`info,evpnd_session=debug`). `RUST_LOG` overrides it.
    #[serde(default = "default_level")]
    pub level: String,
    #[serde(default)]
    pub format: LogFormat,
}

fn default_level() -> String {
    "info".into()
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: default_level(),
            format: LogFormat::Human,
        }
    }
}
