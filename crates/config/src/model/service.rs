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
    /// Group (name or number) that owns `socket`; its members may use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_group: Option<String>,
    /// Permission bits of `socket`, octal. Default `"0660"`.
    #[serde(
        default = "default_socket_mode",
        skip_serializing_if = "is_default_socket_mode"
    )]
    pub socket_mode: SocketMode,
    /// A second unix socket, absolute path, where only queries are allowed:
    /// every RPC that changes state answers PERMISSION_DENIED. Off by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_socket: Option<PathBuf>,
    /// Group (name or number) that owns `readonly_socket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_socket_group: Option<String>,
    /// Permission bits of `readonly_socket`, octal. Default `"0666"`.
    #[serde(
        default = "default_readonly_socket_mode",
        skip_serializing_if = "is_default_readonly_socket_mode"
    )]
    pub readonly_socket_mode: SocketMode,
}

/// Unix permission bits, written as an octal string (`"0660"`) so that a
/// TOML integer cannot be misread as decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketMode(pub u32);

/// The highest mode: no setuid, setgid or sticky bit on a socket.
const MAX_SOCKET_MODE: u32 = 0o777;

impl std::str::FromStr for SocketMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("socket mode {s:?} is not octal permission bits like \"0660\"");
        if !(3..=4).contains(&s.len()) || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Err(bad());
        }
        match u32::from_str_radix(s, 8) {
            Ok(m) if m <= MAX_SOCKET_MODE => Ok(SocketMode(m)),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for SocketMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl Serialize for SocketMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SocketMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn default_socket_mode() -> SocketMode {
    SocketMode(0o660)
}

fn default_readonly_socket_mode() -> SocketMode {
    SocketMode(0o666)
}

fn is_default_socket_mode(m: &SocketMode) -> bool {
    *m == default_socket_mode()
}

fn is_default_readonly_socket_mode(m: &SocketMode) -> bool {
    *m == default_readonly_socket_mode()
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
            socket_group: None,
            socket_mode: default_socket_mode(),
            readonly_socket: None,
            readonly_socket_group: None,
            readonly_socket_mode: default_readonly_socket_mode(),
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
