//! The netns harness of the driver tests: namespaces joined by veth pairs,
//! a discoverer (the tokio driver on its own thread, inside one namespace),
//! and a raw RA sender for third-party advertisements. Everything is
//! removed on drop, also when the test panics. A test that cannot run
//! (not root, no `ip`) FAILS.
#![allow(dead_code)]

pub mod frr;
pub mod sender;

use std::fs::File;
use std::net::Ipv6Addr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use evpnd_ndisc::driver::{Driver, DriverEvent};
use evpnd_ndisc::{Counters, DiscoveryConfig, Input, PeerEvent};
use tokio::sync::{mpsc, oneshot};

pub fn sh(args: &[&str]) -> Result<String, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn require_root() {
    let uid = sh(&["id", "-u"]).unwrap_or_default();
    assert_eq!(
        uid.trim(),
        "0",
        "the netns tests create namespaces and must run as root"
    );
}

/// Enters namespace `ns` on the calling thread (only this thread).
pub fn enter(ns: &str) {
    let f = File::open(format!("/var/run/netns/{ns}")).expect("namespace file");
    // SAFETY: setns changes only the calling thread's network namespace.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns {ns}: {}", std::io::Error::last_os_error());
}

/// A network namespace named after the test and this process.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        require_root();
        let name = format!("nd{tag}{}", std::process::id());
        let _ = sh(&["ip", "netns", "del", &name]);
        sh(&["ip", "netns", "add", &name]).expect("create namespace (is iproute2 installed?)");
        let ns = Netns { name };
        ns.exec(&["ip", "link", "set", "lo", "up"]).expect("lo up");
        ns
    }

    pub fn exec(&self, args: &[&str]) -> Result<String, String> {
        let mut v = vec!["ip", "netns", "exec", &self.name];
        v.extend_from_slice(args);
        sh(&v)
    }

    /// Makes the namespace a router (IPv6 forwarding on), as a leaf or
    /// spine is: its kernel then ignores RAs it hears (no default route,
    /// no NTF_ROUTER entries from them) and flags its own NAs as a router's.
    pub fn router(&self) {
        self.exec(&["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
            .expect("forwarding");
    }

    /// The link-local address of `dev`, once DAD has finished with it.
    pub fn link_local(&self, dev: &str) -> Ipv6Addr {
        wait_until(
            &format!("a usable link-local on {dev}"),
            Duration::from_secs(10),
            || {
                let out = self.exec(&[
                    "ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "link",
                ])?;
                if out.contains("tentative") {
                    return Err(out);
                }
                out.split_whitespace()
                    .skip_while(|w| *w != "inet6")
                    .nth(1)
                    .and_then(|a| a.split('/').next())
                    .and_then(|a| a.parse().ok())
                    .ok_or(out)
            },
        )
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.name]);
    }
}

/// A veth pair `a_if` (in `a`) — `b_if` (in `b`), both up.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    sh(&[
        "ip", "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ])
    .expect("veth pair");
    a.exec(&["ip", "link", "set", a_if, "up"]).expect("up");
    b.exec(&["ip", "link", "set", b_if, "up"]).expect("up");
}

pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match f() {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}; last: {last}");
}

enum Ask {
    Counters(String, oneshot::Sender<Counters>),
    Add(String, DiscoveryConfig, oneshot::Sender<Result<(), String>>),
    Remove(String, oneshot::Sender<Result<(), String>>),
    Feed(String, Input),
}

/// A driver running on its own thread inside a namespace; its events come
/// out on a std channel.
pub struct Discoverer {
    events: std_mpsc::Receiver<DriverEvent>,
    asks: mpsc::Sender<Ask>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Discoverer {
    /// Starts a driver in `ns` serving `ifaces` with `cfg`, polling the
    /// links every 100 ms.
    pub fn start(ns: &Netns, ifaces: &[&str], cfg: DiscoveryConfig) -> Discoverer {
        Discoverer::start_with_poll(ns, ifaces, cfg, Duration::from_millis(100))
    }

    /// The same with the driver's link poll every `poll`.
    pub fn start_with_poll(
        ns: &Netns,
        ifaces: &[&str],
        cfg: DiscoveryConfig,
        poll: Duration,
    ) -> Discoverer {
        let (ev_tx, ev_rx) = std_mpsc::channel();
        let (ask_tx, mut ask_rx) = mpsc::channel::<Ask>(4);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let ns = ns.name.clone();
        let ifaces: Vec<String> = ifaces.iter().map(|s| s.to_string()).collect();
        let thread = std::thread::spawn(move || {
            enter(&ns);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let (tx, mut rx) = mpsc::channel(16);
                let mut d =
                    Driver::with_poll_interval(tx, poll).expect("driver");
                for i in &ifaces {
                    d.add_interface(i, cfg).expect("add interface");
                }
                let mut stop_rx = stop_rx;
                loop {
                    tokio::select! {
                        _ = &mut stop_rx => break,
                        Some(e) = rx.recv() => { let _ = ev_tx.send(e); }
                        Some(a) = ask_rx.recv() => match a {
                            Ask::Counters(i, reply) => {
                                let _ = reply.send(d.counters(&i).await.expect("counters"));
                            }
                            Ask::Add(i, c, reply) => {
                                let _ = reply.send(d.add_interface(&i, c).map_err(|e| e.to_string()));
                            }
                            Ask::Feed(i, input) => {
                                d.feed(&i, input).await.expect("feed");
                            }
                            Ask::Remove(i, reply) => {
                                let _ = reply.send(d.remove_interface(&i).await.map_err(|e| e.to_string()));
                            }
                        },
                    }
                }
                d.shutdown().await;
            });
        });
        Discoverer {
            events: ev_rx,
            asks: ask_tx,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Waits for an event matching `want`, returning it and how long it took;
    /// other events are collected into the error message.
    pub fn expect(
        &self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&DriverEvent) -> bool,
    ) -> (DriverEvent, Duration) {
        let start = Instant::now();
        let mut seen = Vec::new();
        while let Some(left) = timeout.checked_sub(start.elapsed()) {
            match self.events.recv_timeout(left) {
                Ok(e) if want(&e) => return (e, start.elapsed()),
                Ok(e) => seen.push(e),
                Err(_) => break,
            }
        }
        panic!("no {what} within {timeout:?}; saw {seen:?}");
    }

    /// Events that arrive within `window`.
    pub fn drain(&self, window: Duration) -> Vec<PeerEvent> {
        let start = Instant::now();
        let mut out = Vec::new();
        while let Some(left) = window.checked_sub(start.elapsed()) {
            match self.events.recv_timeout(left) {
                Ok(e) => out.push(e.event),
                Err(_) => break,
            }
        }
        out
    }

    /// Serves one more interface at run time.
    pub fn add(&self, iface: &str, cfg: DiscoveryConfig) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.asks
            .blocking_send(Ask::Add(iface.to_string(), cfg, tx))
            .expect("driver thread alive");
        rx.blocking_recv().expect("add reply")
    }

    /// Stops serving an interface at run time (goodbye RA).
    pub fn remove(&self, iface: &str) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.asks
            .blocking_send(Ask::Remove(iface.to_string(), tx))
            .expect("driver thread alive");
        rx.blocking_recv().expect("remove reply")
    }

    /// Feeds an outside input to an interface.
    pub fn feed(&self, iface: &str, input: Input) {
        self.asks
            .blocking_send(Ask::Feed(iface.to_string(), input))
            .expect("driver thread alive");
    }

    pub fn counters(&self, iface: &str) -> Counters {
        let (tx, rx) = oneshot::channel();
        self.asks
            .blocking_send(Ask::Counters(iface.to_string(), tx))
            .expect("driver thread alive");
        rx.blocking_recv().expect("counters reply")
    }
}

impl Drop for Discoverer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn is_found(peer: Ipv6Addr) -> impl Fn(&DriverEvent) -> bool {
    move |e| matches!(e.event, PeerEvent::Found { peer: p, .. } if p == peer)
}

pub fn is_lost(peer: Ipv6Addr) -> impl Fn(&DriverEvent) -> bool {
    move |e| matches!(e.event, PeerEvent::Lost { peer: p, .. } if p == peer)
}
