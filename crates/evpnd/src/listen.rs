//! The BGP listeners: bind `[bgp] listen` (plus `[::]:179` for BGP
//! unnumbered), and hand each accepted connection to the session of the
//! neighbour it comes from — matched by address and, for an IPv6
//! link-local source, by the interface it arrived on.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use evpnd_config::Config;
use evpnd_session::driver::SessionInput;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// Pending connections per listener (the kernel's accept queue).
const BACKLOG: u32 = 1024;

/// Where a connection comes from, as the listeners match it to a
/// neighbour: the canonical address (IPv4-mapped IPv6 as IPv4), and the
/// scope id — the interface index — for an IPv6 link-local address (0
/// otherwise): the same `fe80::1` on two links is two peers.
pub type Origin = (IpAddr, u32);

/// Where a connection from `a` comes from.
pub fn origin(a: SocketAddr) -> Origin {
    let ip = a.ip().to_canonical();
    match (a, ip) {
        (SocketAddr::V6(v6), IpAddr::V6(l)) if l.is_unicast_link_local() => (ip, v6.scope_id()),
        _ => (ip, 0),
    }
}

/// Connection origin → its session, as the listeners see it (replaced on
/// reload, and when an unnumbered peer is found or lost).
pub type PeerMap = Arc<HashMap<Origin, mpsc::Sender<SessionInput>>>;

/// Whether a listener on `a` takes IPv6 link-local connections (an IPv6
/// wildcard; a dual-stack socket too).
pub fn listens_link_local(a: &SocketAddr) -> bool {
    a.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED)
}

/// The BGP port interface neighbours are reached on by default.
const BGP_PORT: u16 = 179;

/// Binds every `[bgp] listen` address and starts its accept loop. With
/// interface neighbours and no IPv6 wildcard among them (the default is
/// `0.0.0.0:179` only), `[::]:179` is added, IPv6-only so that it sits
/// beside an IPv4 wildcard on the same port: the unnumbered peers connect
/// from their link-local addresses.
pub async fn bind_all(
    cfg: &Config,
    peers: &watch::Receiver<PeerMap>,
) -> Result<Vec<(SocketAddr, Arc<TcpListener>)>, String> {
    let mut out = Vec::new();
    for addr in &cfg.bgp.listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        out.push((*addr, l));
    }
    let unnumbered = cfg.neighbor.iter().any(|n| n.interface.is_some());
    if unnumbered && !cfg.bgp.listen.is_empty() && !cfg.bgp.listen.iter().any(listens_link_local) {
        let addr = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), BGP_PORT);
        let l = bind_v6_only(addr)
            .map_err(|e| format!("cannot listen on {addr} for the interface neighbours: {e}"))?;
        out.push((addr, l));
    }
    let mut listeners = Vec::new();
    for (addr, l) in out {
        secure_listener(cfg, &l, &addr)?;
        info!(%addr, "listening for BGP");
        let l = Arc::new(l);
        tokio::spawn(accept_loop(Arc::clone(&l), peers.clone()));
        listeners.push((addr, l));
    }
    Ok(listeners)
}

/// An IPv6 listener that leaves IPv4 to another socket (IPV6_V6ONLY).
fn bind_v6_only(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let s = TcpSocket::new_v6()?;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a c_int option value of the right size.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_V6ONLY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    s.set_reuseaddr(true)?;
    s.bind(addr)?;
    s.listen(BACKLOG)
}

/// MD5 keys must be on the listening socket (a SYN without the right
/// signature never reaches accept), and with GTSM the SYN-ACK must already
/// leave with TTL 255, before the accepted socket exists.
pub fn secure_listener(cfg: &Config, l: &TcpListener, addr: &SocketAddr) -> Result<(), String> {
    for n in &cfg.neighbor {
        // Interface neighbours have no password (refused by validation).
        let Some(peer) = n.ip() else {
            continue;
        };
        if let Some(pw) = &n.password
            && (peer.is_ipv4() == addr.is_ipv4() || addr.is_ipv6())
        {
            evpnd_session::sockopt::set_md5(l, peer, pw)
                .map_err(|e| format!("TCP MD5 for neighbor {peer} on {addr}: {e}"))?;
        }
    }
    if cfg.neighbor.iter().any(|n| n.ttl_security.is_some()) {
        evpnd_session::sockopt::set_ttl(l, addr.is_ipv6(), 255)
            .map_err(|e| format!("TTL 255 on {addr}: {e}"))?;
    }
    Ok(())
}

/// Accepts BGP connections; only configured neighbours get through.
async fn accept_loop(l: Arc<TcpListener>, peers: watch::Receiver<PeerMap>) {
    let mut last_log = std::time::Instant::now() - Duration::from_secs(60);
    let mut suppressed = 0u64;
    loop {
        let (stream, from) = match l.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let session = {
            let map = peers.borrow();
            let (ip, scope) = origin(from);
            map.get(&(ip, scope))
                .or_else(|| {
                    // An interface neighbour not discovered yet takes any
                    // link-local peer on its link.
                    let any = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
                    (scope != 0).then(|| map.get(&(any, scope))).flatten()
                })
                .cloned()
        };
        match session {
            Some(tx) => {
                let _ = tx.send(SessionInput::Incoming(stream)).await;
            }
            None => {
                // Refused and logged, at most once every 10 s (with a count of the rest).
                if last_log.elapsed() >= Duration::from_secs(10) {
                    warn!(%from, suppressed, "refused BGP connection from an unconfigured address");
                    last_log = std::time::Instant::now();
                    suppressed = 0;
                } else {
                    suppressed += 1;
                }
                drop(stream);
            }
        }
    }
}
