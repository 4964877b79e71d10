//! The notifications against real datagram sockets this test owns: a path
//! and an abstract name, as systemd hands out both.

use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::*;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    format!(
        "evpnd-notify-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A manager socket at a path; removed on drop.
struct Manager {
    sock: UnixDatagram,
    path: Option<std::path::PathBuf>,
}

impl Manager {
    fn at_path() -> (Manager, String) {
        let path = std::env::temp_dir().join(format!("{}.sock", unique()));
        let sock = UnixDatagram::bind(&path).expect("bind the manager socket");
        sock.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let spec = path.to_str().expect("utf-8").to_string();
        (
            Manager {
                sock,
                path: Some(path),
            },
            spec,
        )
    }

    fn abstract_name() -> (Manager, String) {
        use std::os::linux::net::SocketAddrExt;
        let name = unique();
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
        let sock = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        sock.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        (Manager { sock, path: None }, format!("@{name}"))
    }

    fn recv(&self) -> String {
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    fn nothing_pending(&self) -> bool {
        self.sock.set_nonblocking(true).expect("nonblocking");
        let mut buf = [0u8; 64];
        let r = self.sock.recv(&mut buf);
        self.sock.set_nonblocking(false).expect("blocking");
        r.is_err()
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn status(peers: u32, up: u32, routes: u64) -> pb::GetStatusResponse {
    pb::GetStatusResponse {
        counters: Some(pb::Counters {
            peers_configured: peers,
            peers_established: up,
            loc_rib_routes: routes,
            vnis: 2,
            local_macs: 3,
            remote_macs: 4,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn ready_reload_watchdog_and_stop_on_a_path() {
    let (m, spec) = Manager::at_path();
    let mut n = Notifier::new(Some(&spec), true, false);
    n.started(|| status(2, 1, 10));
    assert_eq!(
        m.recv(),
        "READY=1\nSTATUS=1/2 peers established, 10 routes, 2 VNIs, 3 local and 4 remote MACs"
    );
    n.reloading();
    let r = m.recv();
    let mut lines = r.lines();
    assert_eq!(lines.next(), Some("RELOADING=1"));
    let usec: u64 = lines
        .next()
        .and_then(|l| l.strip_prefix("MONOTONIC_USEC="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("MONOTONIC_USEC in {r:?}"));
    assert!(usec > 0);
    n.reloaded(|| status(2, 2, 12));
    assert!(
        m.recv()
            .starts_with("READY=1\nSTATUS=2/2 peers established, 12 routes")
    );
    // A tick right after: the watchdog, no STATUS (sent less than 5 s ago).
    n.tick(|| status(2, 2, 13));
    assert_eq!(m.recv(), "WATCHDOG=1");
    assert!(m.nothing_pending());
    n.stopping();
    assert_eq!(m.recv(), "STOPPING=1\nSTATUS=stopping");
}

#[test]
fn ready_waits_for_the_kernel_and_is_sent_once() {
    let (m, spec) = Manager::abstract_name();
    let mut n = Notifier::new(Some(&spec), false, true);
    n.started(|| status(1, 0, 0));
    // Without a watchdog a tick sends nothing, and READY waits for the kernel.
    n.tick(|| status(1, 0, 0));
    assert!(m.nothing_pending());
    n.kernel_synced(|| status(1, 0, 5));
    assert!(m.recv().starts_with("READY=1\nSTATUS=0/1 peers"));
    // A later resync of the kernel is no second start-up.
    n.kernel_synced(|| status(1, 0, 5));
    assert!(m.nothing_pending());
}

#[test]
fn status_changes_are_sent_at_most_every_interval() {
    let (m, spec) = Manager::at_path();
    let mut n = Notifier::new(Some(&spec), false, false);
    n.started(|| status(1, 1, 1));
    m.recv();
    n.status_at = Instant::now().checked_sub(STATUS_INTERVAL);
    n.tick(|| status(1, 1, 2));
    assert!(
        m.recv()
            .starts_with("STATUS=1/1 peers established, 2 routes")
    );
    n.status_at = Instant::now().checked_sub(STATUS_INTERVAL);
    n.tick(|| status(1, 1, 2));
    assert!(m.nothing_pending(), "an unchanged status is not repeated");
}

#[test]
fn no_socket_no_notifications_and_bad_addresses() {
    let mut n = Notifier::new(None, true, false);
    n.started(|| unreachable!("no status without a socket"));
    n.tick(|| unreachable!("no status without a socket"));
    assert!(matches!(
        address("relative/notify"),
        Err(NotifyError::Address(_))
    ));
    assert!(address("@name").is_ok());
    assert!(address("/run/systemd/notify").is_ok());
}

#[test]
fn watchdog_only_for_our_pid_and_a_positive_interval() {
    assert!(watchdog_enabled(Some("3000000"), None, 42));
    assert!(watchdog_enabled(Some("3000000"), Some("42"), 42));
    assert!(!watchdog_enabled(Some("3000000"), Some("43"), 42));
    assert!(!watchdog_enabled(Some("0"), None, 42));
    assert!(!watchdog_enabled(Some("soon"), None, 42));
    assert!(!watchdog_enabled(None, None, 42));
}
