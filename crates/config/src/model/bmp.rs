//! `[[bmp]]`: BMP collectors (RFC 7854) that receive evpnd's monitoring feed.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Default queue budget per collector, octets (= `evpnd_bmp::feed::DEFAULT_QUEUE_BYTES`).
pub const BMP_DEFAULT_QUEUE_BYTES: u64 = 16 * 1024 * 1024;
/// Smallest queue budget, octets (= `evpnd_bmp::feed::MIN_QUEUE_BYTES`).
pub const BMP_MIN_QUEUE_BYTES: u64 = 256 * 1024;
/// Largest queue budget, octets: 1 GiB.
pub const BMP_MAX_QUEUE_BYTES: u64 = 1024 * 1024 * 1024;
/// Default Statistics Report interval, seconds.
pub const BMP_DEFAULT_STATS_INTERVAL: u32 = 60;

/// `[[bmp]]`: one collector. evpnd connects to it (BMP speakers are the
/// active side) and reconnects with backoff.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bmp {
    /// `"HOST:PORT"` (an IPv6 address in brackets: `"[2001:db8::1]:1790"`);
    /// a host name is resolved on every connection attempt.
    pub address: Spanned<String>,
    /// The RIBs sent: `"pre-policy"` (Adj-RIB-In as received),
    /// `"post-policy"` (after import policy), `"loc-rib"` (best paths,
    /// RFC 9069). Default `["pre-policy", "loc-rib"]`.
    #[serde(default = "default_route_monitoring")]
    pub route_monitoring: Vec<BmpRib>,
    /// Seconds between Statistics Reports; 0 sends none. Default 60.
    #[serde(default = "default_stats_interval")]
    pub stats_interval: u32,
    /// Octets queued for this collector at most; past it the queue is
    /// dropped and the collector resynced on reconnect. Default 16 MiB.
    #[serde(default = "default_queue_bytes")]
    pub queue_bytes: u64,
}

/// A RIB a collector monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BmpRib {
    PrePolicy,
    PostPolicy,
    LocRib,
}

impl BmpRib {
    /// The name as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            BmpRib::PrePolicy => "pre-policy",
            BmpRib::PostPolicy => "post-policy",
            BmpRib::LocRib => "loc-rib",
        }
    }
}

fn default_route_monitoring() -> Vec<BmpRib> {
    vec![BmpRib::PrePolicy, BmpRib::LocRib]
}
fn default_stats_interval() -> u32 {
    BMP_DEFAULT_STATS_INTERVAL
}
fn default_queue_bytes() -> u64 {
    BMP_DEFAULT_QUEUE_BYTES
}

/// A `HOST:PORT` split, or why it is not one.
pub fn split_host_port(s: &str) -> Result<(&str, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?}: missing ']' after the IPv6 address"))?;
        let p = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{s:?}: missing \":PORT\" after the address"))?;
        (h, p)
    } else {
        let (h, p) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("{s:?} is not HOST:PORT (the port is required)"))?;
        if h.contains(':') {
            return Err(format!(
                "{s:?}: write an IPv6 address in brackets, \"[{h}]:{p}\""
            ));
        }
        (h, p)
    };
    if host.is_empty() {
        return Err(format!("{s:?}: the host is empty"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{s:?}: port {port:?} is not a number from 1 to 65535"))?;
    if port == 0 {
        return Err(format!("{s:?}: port 0 is invalid"));
    }
    Ok((host, port))
}
