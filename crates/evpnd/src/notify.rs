//! systemd's notification protocol (sd_notify(3)), without libsystemd.
//!
//! A `Type=notify` service is handed `$NOTIFY_SOCKET`: a Unix datagram
//! socket, a path (`/run/systemd/notify`) or, with a leading `@`, a name in
//! the abstract namespace. Each datagram is newline-separated `KEY=VALUE`
//! assignments:
//!
//! ```text
//! READY=1                      start-up finished (or a reload did)
//! RELOADING=1                  a reload started; MONOTONIC_USEC=<CLOCK_MONOTONIC µs> with it
//! STOPPING=1                   shutting down
//! WATCHDOG=1                   alive; due every $WATCHDOG_USEC (we ping each loop tick)
//! STATUS=<one line of text>    shown by `systemctl status`
//! ```
//!
//! Without `$NOTIFY_SOCKET` every call does nothing. Sends never block (a
//! full receive queue loses the datagram) and failures are logged once at
//! debug level: supervision must not stall the core.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

use evpnd_api::pb;
use tracing::debug;

/// The environment variables systemd sets (sd_notify(3), sd_watchdog_enabled(3)).
const ENV_SOCKET: &str = "NOTIFY_SOCKET";
const ENV_WATCHDOG_USEC: &str = "WATCHDOG_USEC";
const ENV_WATCHDOG_PID: &str = "WATCHDOG_PID";
/// At most one STATUS= line this often, and only when it changed.
const STATUS_INTERVAL: Duration = Duration::from_secs(5);

/// Why `$NOTIFY_SOCKET` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Neither an absolute path nor `@name`.
    #[error("NOTIFY_SOCKET {0:?} is neither an absolute path nor @abstract")]
    Address(String),
    /// The socket could not be created or the address built.
    #[error("NOTIFY_SOCKET: {0}")]
    Io(#[from] io::Error),
}

/// A connection to the service manager (or to nothing).
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: bool,
    /// READY=1 was sent for the start.
    ready: bool,
    /// The kernel's initial dump is still due before READY.
    waiting_for_kernel: bool,
    last_status: String,
    status_at: Option<Instant>,
}

impl Notifier {
    /// From the environment: `$NOTIFY_SOCKET`, and `$WATCHDOG_USEC` when
    /// `$WATCHDOG_PID` is unset or ours. `kernel`: READY waits for
    /// [`Notifier::kernel_synced`] (`learn_from_kernel`).
    pub fn from_env(kernel: bool) -> Notifier {
        let socket = std::env::var_os(ENV_SOCKET).map(|s| s.to_string_lossy().into_owned());
        let watchdog = watchdog_enabled(
            std::env::var(ENV_WATCHDOG_USEC).ok().as_deref(),
            std::env::var(ENV_WATCHDOG_PID).ok().as_deref(),
            std::process::id(),
        );
        Notifier::new(socket.as_deref(), watchdog, kernel)
    }

    /// Notifies `socket` (none: nothing); `watchdog`: ping every tick.
    pub fn new(socket: Option<&str>, watchdog: bool, kernel: bool) -> Notifier {
        let target = socket.and_then(|s| match connect(s) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!("{e}; not notifying systemd");
                None
            }
        });
        Notifier {
            target,
            watchdog,
            ready: false,
            waiting_for_kernel: kernel,
            last_status: String::new(),
            status_at: None,
        }
    }

    /// Configuration loaded, listeners and API up: READY=1 now, or once the
    /// kernel's initial state is read.
    pub fn started(&mut self, status: impl FnOnce() -> pb::GetStatusResponse) {
        if !self.waiting_for_kernel {
            self.ready_now(status);
        }
    }

    /// The kernel's initial dump reached the core (`LocalEvent::Synced`).
    pub fn kernel_synced(&mut self, status: impl FnOnce() -> pb::GetStatusResponse) {
        if self.waiting_for_kernel {
            self.waiting_for_kernel = false;
            self.ready_now(status);
        }
    }

    fn ready_now(&mut self, status: impl FnOnce() -> pb::GetStatusResponse) {
        if self.ready || self.target.is_none() {
            self.ready = true;
            return;
        }
        self.ready = true;
        let line = status_line(&status());
        self.send(&format!("READY=1\nSTATUS={line}"));
        self.remember(line);
    }

    /// SIGHUP received: RELOADING=1 with the monotonic time of the request.
    pub fn reloading(&self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration",
            monotonic_usec()
        ));
    }

    /// The reload is over (applied or rejected): READY=1 again.
    pub fn reloaded(&mut self, status: impl FnOnce() -> pb::GetStatusResponse) {
        if self.target.is_some() {
            let line = status_line(&status());
            self.send(&format!("READY=1\nSTATUS={line}"));
            self.remember(line);
        }
    }

    /// One turn of the core's loop: WATCHDOG=1 when systemd asked for it,
    /// and STATUS= now and then when it changed.
    pub fn tick(&mut self, status: impl FnOnce() -> pb::GetStatusResponse) {
        if self.target.is_none() {
            return;
        }
        if self.watchdog {
            self.send("WATCHDOG=1");
        }
        if self.ready
            && self
                .status_at
                .is_none_or(|t| t.elapsed() >= STATUS_INTERVAL)
        {
            let line = status_line(&status());
            if line != self.last_status {
                self.send(&format!("STATUS={line}"));
            }
            self.remember(line);
        }
    }

    /// Shutting down.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    fn remember(&mut self, line: String) {
        self.last_status = line;
        self.status_at = Some(Instant::now());
    }

    fn send(&self, msg: &str) {
        if let Some((sock, addr)) = &self.target
            && let Err(e) = sock.send_to_addr(msg.as_bytes(), addr)
        {
            debug!("NOTIFY_SOCKET: {e}");
        }
    }
}

/// Whether systemd wants WATCHDOG=1 from this process (sd_watchdog_enabled(3)):
/// a positive `WATCHDOG_USEC`, and `WATCHDOG_PID` unset or `pid`.
fn watchdog_enabled(usec: Option<&str>, watchdog_pid: Option<&str>, pid: u32) -> bool {
    let ours = watchdog_pid.is_none_or(|p| p.trim().parse::<u32>().ok() == Some(pid));
    ours && usec
        .and_then(|u| u.trim().parse::<u64>().ok())
        .is_some_and(|u| u > 0)
}

/// An unbound, non-blocking datagram socket and the manager's address.
fn connect(spec: &str) -> Result<(UnixDatagram, SocketAddr), NotifyError> {
    let addr = address(spec)?;
    let sock = UnixDatagram::unbound()?;
    sock.set_nonblocking(true)?;
    Ok((sock, addr))
}

/// `/path` or `@abstract` (sd_notify(3)).
fn address(spec: &str) -> Result<SocketAddr, NotifyError> {
    if let Some(name) = spec.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        return Ok(SocketAddr::from_abstract_name(name.as_bytes())?);
    }
    if spec.starts_with('/') {
        return Ok(SocketAddr::from_pathname(spec)?);
    }
    Err(NotifyError::Address(spec.to_string()))
}

/// CLOCK_MONOTONIC in microseconds, as systemd wants with RELOADING=1.
fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1_000_000 + (ts.tv_nsec as u64) / 1_000
}

/// `systemctl status`'s line: peers up, routes, MACs.
pub fn status_line(s: &pb::GetStatusResponse) -> String {
    let c = s.counters.unwrap_or_default();
    format!(
        "{}/{} peers established, {} routes, {} VNIs, {} local and {} remote MACs",
        c.peers_established,
        c.peers_configured,
        c.loc_rib_routes,
        c.vnis,
        c.local_macs,
        c.remote_macs
    )
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
