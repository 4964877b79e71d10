//! Prometheus text metrics on a minimal HTTP/1.1 responder (`GET /metrics`).
//!
//! Labels are bounded: per peer (the configured peers), per RIB view and
//! route type, per configured tenant; never per MAC, route or prefix.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Backend;
use crate::pb;
use crate::types::View;

/// The numbers behind `/metrics`, from [`Backend::metrics`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// The configuration generation in force.
    pub config_generation: u64,
    /// One entry per configured peer.
    pub peers: Vec<PeerMetrics>,
    /// Route counts per view and route type.
    pub routes: Vec<RouteCount>,
    /// Configured VNIs.
    pub vnis: u64,
    /// Locally learned MACs.
    pub local_macs: u64,
    /// Remote MACs.
    pub remote_macs: u64,
    /// Per VNI: (VNI, local MACs, remote MACs). VNIs are few, so the label
    /// stays bounded (there is never a per-MAC label).
    pub macs_per_vni: Vec<(u32, u64, u64)>,
    /// MACs frozen by duplicate detection.
    pub duplicate_macs: u64,
    /// UPDATEs received since start.
    pub updates_received: u64,
    /// UPDATEs sent since start.
    pub updates_sent: u64,
    /// VNIs whose programmed state differs from the desired state.
    pub dataplane_drift_vnis: u64,
    /// Failed kernel operations since start.
    pub dataplane_errors: u64,
    /// Routes received and refused since start, per reason (a fixed,
    /// small set of reason names: the label stays bounded).
    pub routes_refused: Vec<(String, u64)>,
    /// One entry per configured L3 tenant (`[[evpn.vrf]]`): configured
    /// tenants are few, so the `vrf` label stays bounded.
    pub vrfs: Vec<VrfMetrics>,
}

/// Per-tenant numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrfMetrics {
    /// The tenant's name (the label).
    pub name: String,
    /// Its L3VNI's devices are there and up.
    pub up: bool,
    /// Remote routes in the kernel.
    pub routes_installed: u64,
    /// Remote routes held back (not installed).
    pub routes_held: u64,
    /// Routes originated as type 5.
    pub routes_originated: u64,
}

/// Per-peer numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerMetrics {
    /// The peer's address, or the interface of a BGP unnumbered neighbour
    /// (the only label; escaped when written).
    pub peer: String,
    /// Its FSM state.
    pub state: pb::FsmState,
    /// EVPN prefixes received.
    pub prefixes_received: u64,
    /// EVPN prefixes advertised.
    pub prefixes_advertised: u64,
}

/// How many routes of one type one RIB holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteCount {
    /// The RIB.
    pub view: View,
    /// The EVPN route type (1..=5).
    pub route_type: u8,
    /// The count.
    pub count: u64,
}

/// This process's resident set size in bytes, from `/proc/self/statm`.
pub fn process_rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|p| *p > 0)?)
}

fn view_label(v: View) -> &'static str {
    match v {
        View::AdjRibIn => "adj_rib_in",
        View::LocRib => "loc_rib",
        View::AdjRibOut => "adj_rib_out",
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn single(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    family(out, name, kind, help);
    let _ = writeln!(out, "{name} {v}");
}

/// Renders metrics in the Prometheus text exposition format (0.0.4).
pub fn render(m: &Metrics, rss: Option<u64>) -> String {
    let mut o = String::with_capacity(4096);
    single(
        &mut o,
        "evpnd_uptime_seconds",
        "gauge",
        "Seconds since start.",
        m.uptime_seconds,
    );
    single(
        &mut o,
        "evpnd_config_generation",
        "gauge",
        "Configuration generation in force.",
        m.config_generation,
    );
    family(
        &mut o,
        "evpnd_peer_up",
        "gauge",
        "1 when the peer is Established.",
    );
    for p in &m.peers {
        let up = u8::from(p.state == pb::FsmState::Established);
        let _ = writeln!(o, "evpnd_peer_up{{peer=\"{}\"}} {up}", label(&p.peer));
    }
    family(
        &mut o,
        "evpnd_peer_prefixes_received",
        "gauge",
        "EVPN prefixes received from the peer.",
    );
    for p in &m.peers {
        let _ = writeln!(
            o,
            "evpnd_peer_prefixes_received{{peer=\"{}\"}} {}",
            label(&p.peer),
            p.prefixes_received
        );
    }
    family(
        &mut o,
        "evpnd_peer_prefixes_advertised",
        "gauge",
        "EVPN prefixes advertised to the peer.",
    );
    for p in &m.peers {
        let _ = writeln!(
            o,
            "evpnd_peer_prefixes_advertised{{peer=\"{}\"}} {}",
            label(&p.peer),
            p.prefixes_advertised
        );
    }
    family(
        &mut o,
        "evpnd_routes",
        "gauge",
        "Routes per RIB and EVPN route type.",
    );
    for r in &m.routes {
        let _ = writeln!(
            o,
            "evpnd_routes{{rib=\"{}\",type=\"{}\"}} {}",
            view_label(r.view),
            r.route_type,
            r.count
        );
    }
    single(&mut o, "evpnd_vnis", "gauge", "Configured VNIs.", m.vnis);
    family(
        &mut o,
        "evpnd_macs",
        "gauge",
        "MAC table entries by origin.",
    );
    let _ = writeln!(o, "evpnd_macs{{origin=\"local\"}} {}", m.local_macs);
    let _ = writeln!(o, "evpnd_macs{{origin=\"remote\"}} {}", m.remote_macs);
    if !m.macs_per_vni.is_empty() {
        family(
            &mut o,
            "evpnd_vni_macs",
            "gauge",
            "MAC table entries per VNI and origin.",
        );
        for (vni, local, remote) in &m.macs_per_vni {
            let _ = writeln!(
                o,
                "evpnd_vni_macs{{vni=\"{vni}\",origin=\"local\"}} {local}"
            );
            let _ = writeln!(
                o,
                "evpnd_vni_macs{{vni=\"{vni}\",origin=\"remote\"}} {remote}"
            );
        }
    }
    single(
        &mut o,
        "evpnd_duplicate_macs",
        "gauge",
        "MACs frozen by duplicate detection.",
        m.duplicate_macs,
    );
    single(
        &mut o,
        "evpnd_updates_received_total",
        "counter",
        "UPDATE messages received.",
        m.updates_received,
    );
    single(
        &mut o,
        "evpnd_updates_sent_total",
        "counter",
        "UPDATE messages sent.",
        m.updates_sent,
    );
    single(
        &mut o,
        "evpnd_dataplane_drift_vnis",
        "gauge",
        "VNIs whose kernel state differs from the desired state.",
        m.dataplane_drift_vnis,
    );
    single(
        &mut o,
        "evpnd_dataplane_errors_total",
        "counter",
        "Failed kernel operations.",
        m.dataplane_errors,
    );
    if !m.routes_refused.is_empty() {
        family(
            &mut o,
            "evpnd_routes_refused_total",
            "counter",
            "Received routes refused (loops, bad next hops, unknown route types, malformed attributes), by reason.",
        );
        for (reason, n) in &m.routes_refused {
            let _ = writeln!(o, "evpnd_routes_refused_total{{reason=\"{reason}\"}} {n}");
        }
    }
    render_vrfs(&mut o, &m.vrfs);
    if let Some(rss) = rss {
        single(
            &mut o,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            rss,
        );
    }
    o
}

/// The per-tenant families (none without tenants).
fn render_vrfs(o: &mut String, vrfs: &[VrfMetrics]) {
    if vrfs.is_empty() {
        return;
    }
    family(
        o,
        "evpnd_vrf_up",
        "gauge",
        "1 when the tenant's L3VNI devices are there and up.",
    );
    for v in vrfs {
        let _ = writeln!(o, "evpnd_vrf_up{{vrf=\"{}\"}} {}", v.name, u8::from(v.up));
    }
    family(
        o,
        "evpnd_vrf_routes",
        "gauge",
        "Tenant routes: remote installed, remote held back, local originated.",
    );
    for v in vrfs {
        for (state, n) in [
            ("installed", v.routes_installed),
            ("held", v.routes_held),
            ("originated", v.routes_originated),
        ] {
            let _ = writeln!(
                o,
                "evpnd_vrf_routes{{vrf=\"{}\",state=\"{state}\"}} {n}",
                v.name
            );
        }
    }
}

/// Serves `GET /metrics` on `addr` until `shutdown` completes.
pub async fn serve_metrics<B: Backend>(
    addr: SocketAddr,
    backend: Arc<B>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    serve_metrics_on(listener, backend, shutdown).await
}

/// [`serve_metrics`] on a listener the caller bound (e.g. to port 0).
pub async fn serve_metrics_on<B: Backend>(
    listener: TcpListener,
    backend: Arc<B>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            acc = listener.accept() => {
                let Ok((conn, _)) = acc else { continue };
                let b = Arc::clone(&backend);
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(10), answer(conn, b)).await;
                });
            }
        }
    }
}

/// Reads one request head and answers it; the connection then closes.
async fn answer<B: Backend>(mut conn: TcpStream, backend: Arc<B>) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).await?;
        if n == 0 || buf.len() + n > 8192 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut first = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (
        first.next().unwrap_or_default(),
        first.next().unwrap_or_default(),
    );
    let (status, ctype, body) = if method != "GET" {
        (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_string(),
        )
    } else if path != "/metrics" && !path.starts_with("/metrics?") {
        ("404 Not Found", "text/plain", "try /metrics\n".to_string())
    } else {
        match backend.metrics().await {
            Ok(m) => (
                "200 OK",
                "text/plain; version=0.0.4",
                render(&m, process_rss_bytes()),
            ),
            Err(e) => ("503 Service Unavailable", "text/plain", format!("{e}\n")),
        }
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(resp.as_bytes()).await?;
    conn.shutdown().await
}

/// A label value in the text format: `\`, `"` and newlines escaped (an
/// interface name may hold any byte but `/`, `:` and whitespace).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("swp1"), "swp1");
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
