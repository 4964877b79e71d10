//! The linux task (tokio): dumps the kernel, follows its notifications,
//! reports local state to the core and runs the reconcile loop, writing in
//! batches on a socket of its own (`crate::batch`) and checking every
//! write's outcome.
//!
//! Notifications are trusted: there is no periodic re-read. When the kernel
//! says some were lost (an overrun), the links are dumped again and the
//! devices re-read a few at a time, paced by `crate::repair`, while writes
//! go on (`crate::dumps`, `crate::reconcile::scan`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use std::os::fd::AsRawFd;

use netlink_sys::AsyncSocket;

use futures::{StreamExt, TryStreamExt};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkExtentMask, LinkMessage};
use netlink_packet_route::neighbour::NeighbourMessage;
use rtnetlink::{Handle, MulticastGroup};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{debug, info, warn};

use evpnd_wire::{MacAddr, Vni};

use crate::batch::{Batcher, Request};
use crate::dumps::{ScanStream, Scanned};
use crate::kernel::{self, Link, Seen};
use crate::l3::L3;
use crate::layout::Layout;
use crate::ledger::FloodLedger;
use crate::program;
use crate::reconcile::{Key, Op, Reconciler, Scope, Sweep};
use crate::repair::{Repair, Unit};
use crate::{DesiredChange, LocalEvent};
use ipnet::IpNet;

mod events;
mod scan;
mod tenant;
mod write;

#[derive(Debug, Clone)]
pub struct LinuxConfig {
    /// After notifications were lost, the pause between the end of one
    /// repair scan and the start of the next (`crate::repair`).
    pub repair_gap: Duration,
    /// Receive buffer of the notification socket, in octets.
    pub notify_buffer: usize,
    /// Delete everything of ours when the core goes away (clean shutdown).
    pub flush_on_shutdown: bool,
    /// The flood ledger's file (`crate::ledger`); `None` keeps it in memory,
    /// so flood entries of a previous run are not recognised.
    pub flood_ledger: Option<std::path::PathBuf>,
    /// Devices the configuration pins VNIs to (`crate::layout::Pins`).
    pub pins: HashMap<Vni, crate::layout::Pins>,
    /// The tables of tenants with a non-empty `redistribute`: their routes
    /// not written by evpnd are reported (`LocalEvent::TableRoute`). Route
    /// notifications are subscribed to only when there is one.
    pub redistribute: Vec<Redistribute>,
    /// VNIs with `static_vteps` (flood and learn beside EVPN): their VXLAN
    /// device is expected to learn, and warned about when it does not.
    pub learning_vnis: std::collections::HashSet<Vni>,
}

/// A table whose routes are reported ([`LinuxConfig::redistribute`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redistribute {
    /// Table mode: the table id.
    Table(u32),
    /// VRF mode: the VRF device, whose table is read from the kernel.
    VrfDevice(String),
}

impl Default for LinuxConfig {
    fn default() -> Self {
        LinuxConfig {
            repair_gap: Duration::from_millis(crate::repair::GAP_MS),
            notify_buffer: NOTIFY_BUFFER,
            flush_on_shutdown: false,
            flood_ledger: None,
            pins: HashMap::new(),
            redistribute: Vec::new(),
            learning_vnis: std::collections::HashSet::new(),
        }
    }
}

/// Per VNI: what is desired and what is programmed (of ours) in the kernel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VniStatus {
    pub desired_macs: usize,
    pub programmed_macs: usize,
    pub desired_flood: usize,
    pub programmed_flood: usize,
    pub desired_neigh: usize,
    pub programmed_neigh: usize,
    /// Entries whose last write failed, with the kernel's error.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataplaneStatus {
    pub vnis: BTreeMap<Vni, VniStatus>,
    pub writes_ok: u64,
    pub writes_failed: u64,
    pub converged: bool,
    /// Tenant routes desired and programmed ((table, prefix) pairs), `ip
    /// rule`s desired and programmed (per family), nexthop objects held.
    pub routes_desired: usize,
    pub routes_programmed: usize,
    pub rules_desired: usize,
    pub rules_programmed: usize,
    pub nexthops: usize,
    /// Last errors of tenant routes, rules and nexthops.
    pub route_errors: Vec<String>,
}

/// The core's ends of the linux task.
pub struct LinuxHandle {
    pub changes: mpsc::Sender<Vec<DesiredChange>>,
    pub events: mpsc::Receiver<LocalEvent>,
    pub status: watch::Receiver<DataplaneStatus>,
    /// Starts as [`LinuxConfig::flush_on_shutdown`]; the daemon clears it
    /// before a graceful stop (ADR 0011), which must leave forwarding alone.
    pub flush_on_shutdown: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Opens netlink (in the calling thread's network namespace) and starts the
/// task. The first events are the initial dump, ending with `Synced`.
pub async fn spawn(cfg: LinuxConfig) -> Result<LinuxHandle, Error> {
    let (changes_tx, changes_rx) = mpsc::channel(64);
    let (events_tx, events_rx) = mpsc::channel(4096);
    let (status_tx, status_rx) = watch::channel(DataplaneStatus::default());
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let flush = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(cfg.flush_on_shutdown));
    let flush_task = std::sync::Arc::clone(&flush);
    // Its own thread and single-threaded runtime: the netlink connection
    // tasks, the batched writer and the reconcile loop then wake each other
    // without crossing threads (cross-thread wake-ups were most of the
    // kernel time in `fdb-bench.sh`), and the BGP side keeps its cores.
    std::thread::Builder::new()
        .name("evpnd-netlink".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(Error(format!("netlink runtime: {e}"))));
                    return;
                }
            };
            rt.block_on(async move {
                // Requests and dumps on one socket, notifications on another:
                // a burst of notifications overrunning its buffer must not
                // take the writer down.
                let notify_buffer = cfg.notify_buffer;
                let routes = !cfg.redistribute.is_empty();
                let sockets = subscribe(notify_buffer, routes).and_then(|n| {
                    rtnetlink::new_connection()
                        .map(|(conn, handle, _)| (n, conn, handle))
                        .map_err(|e| Error(format!("netlink socket: {e}")))
                });
                let dumps = dump_socket().and_then(|d| {
                    crate::snapshot::Dumper::new()
                        .map(|s| (d, s))
                        .map_err(|e| Error(format!("netlink L3 dump socket: {e}")))
                });
                let sockets = sockets.and_then(|(n, conn, handle)| {
                    Batcher::new()
                        .map(|b| (n, conn, handle, b))
                        .map_err(|e| Error(format!("netlink write socket: {e}")))
                });
                let (notifications, conn, handle, batch, (dumps, dumper)) =
                    match sockets.and_then(|(n, c, h, b)| dumps.map(|d| (n, c, h, b, d))) {
                        Ok(x) => x,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                tokio::spawn(conn);
                let _ = ready_tx.send(Ok(()));
                let (flood, ledger_warnings) = FloodLedger::load(cfg.flood_ledger.clone());
                let repair = Repair::new(cfg.repair_gap.as_millis() as u64);
                let mut t = Task {
                    cfg,
                    dumps,
                    repair,
                    local_scan: None,
                    flush: flush_task,
                    handle,
                    batch,
                    links: HashMap::new(),
                    layout: Layout::default(),
                    setup_warnings: crate::warnings::Debounce::default(),
                    early_ports: HashMap::new(),
                    local_macs: HashMap::new(),
                    local_neigh: HashMap::new(),
                    rec: Reconciler::new(),
                    l3: L3::new(),
                    dumper,
                    addrs: HashMap::new(),
                    svi_addrs: HashMap::new(),
                    l3_svis: HashMap::new(),
                    vnis_down: HashSet::new(),
                    links_up: HashSet::new(),
                    watched: BTreeSet::new(),
                    table_routes: BTreeMap::new(),
                    flood,
                    events: events_tx,
                    status: status_tx,
                    started: Instant::now(),
                    writes_ok: 0,
                    writes_failed: 0,
                };
                // The initial dump runs here, not in `spawn`: its events may
                // be more than the channel holds before the core reads them.
                for what in ledger_warnings {
                    t.warn(what).await;
                }
                if let Err(e) = t.dump().await {
                    tracing::error!("initial netlink dump failed: {e}");
                    return; // the events channel closes: the daemon stops
                }
                // What the previous run recorded but the kernel no longer has
                // needs no record; what it has is adopted (swept after convergence).
                let actual = t.rec.actual();
                let pruned = t
                    .flood
                    .retain(|vni, vtep| actual.contains_key(&Key::Flood { vni, vtep }));
                if let Err(e) = pruned {
                    t.warn(e).await;
                }
                if !t.flood.is_empty() {
                    info!(
                        entries = t.flood.len(),
                        "flood entries of the previous run adopted"
                    );
                }
                t.emit(LocalEvent::Synced).await;
                t.run(changes_rx, notifications).await;
            });
        })
        .map_err(|e| Error(format!("netlink thread: {e}")))?;
    ready_rx
        .await
        .map_err(|_| Error("netlink thread ended before it started".into()))??;
    Ok(LinuxHandle {
        changes: changes_tx,
        events: events_rx,
        status: status_rx,
        flush_on_shutdown: flush,
    })
}

/// Receive buffer of the notification socket. The echoes of our own writes
/// never reach it (`crate::sockopt::drop_own_echoes`); this is room for a
/// burst of other changes (a flapping bridge, thousands of links).
const NOTIFY_BUFFER: usize = 16 << 20;

/// The socket of repair scans (`crate::dumps`): strict checking, so that
/// the kernel honours the per-device filters.
fn dump_socket() -> Result<Handle, Error> {
    let (mut conn, handle, _) =
        rtnetlink::new_connection().map_err(|e| Error(format!("netlink dump socket: {e}")))?;
    crate::sockopt::strict_dumps(conn.socket_mut().socket_mut().as_raw_fd())
        .map_err(|e| Error(format!("netlink dump socket: NETLINK_GET_STRICT_CHK: {e}")))?;
    tokio::spawn(conn);
    Ok(handle)
}

/// A socket subscribed to link, neighbour and address notifications, and
/// route notifications when `routes` (some tenant redistributes).
fn subscribe(buffer: usize, routes: bool) -> Result<Notifications, Error> {
    let mut groups = vec![
        MulticastGroup::Link,
        MulticastGroup::Neigh,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ];
    if routes {
        groups.extend([MulticastGroup::Ipv4Route, MulticastGroup::Ipv6Route]);
    }
    let (mut conn, _, notifications) = rtnetlink::new_multicast_connection(&groups)
        .map_err(|e| Error(format!("netlink notification socket: {e}")))?;
    let sock = conn.socket_mut().socket_mut();
    if let Err(e) = sock.set_rx_buf_sz(buffer) {
        warn!("netlink notification buffer: {e}");
    }
    crate::sockopt::force_rx_buf(sock.as_raw_fd(), buffer);
    if let Err(e) = crate::sockopt::drop_own_echoes(sock.as_raw_fd()) {
        warn!("netlink notification filter: {e}");
    }
    tokio::spawn(conn);
    Ok(notifications)
}

type Notifications = futures::channel::mpsc::UnboundedReceiver<(
    NetlinkMessage<RouteNetlinkMessage>,
    netlink_sys::SocketAddr,
)>;

/// The next message of the repair scan in progress (never, without one).
async fn next_scanned(scan: &mut Option<ScanStream>) -> Option<Scanned> {
    match scan {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at` (forever, without one).
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The local side of a repair scan: local MACs and neighbours of its VNIs
/// the dumps show, and those notifications changed meanwhile.
struct LocalScan {
    scope: Scope,
    macs: Sweep<(Vni, MacAddr)>,
    neigh: Sweep<(Vni, std::net::IpAddr)>,
}

/// A bridge port's VLAN→VNI mappings and PVID.
type PortVlans = (Vec<(u16, u32)>, Option<u16>);

struct Task {
    cfg: LinuxConfig,
    /// Flush our entries when the core goes away (see [`LinuxHandle`]).
    flush: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Link dumps (rtnetlink).
    handle: Handle,
    /// Per-device neighbour and FDB dumps (strict checking).
    dumps: Handle,
    /// Repair after lost notifications: what to re-read, and when.
    repair: Repair,
    /// The local side of the repair scan in progress.
    local_scan: Option<LocalScan>,
    /// Writes, in batches.
    batch: Batcher,
    links: HashMap<u32, Link>,
    layout: Layout,
    /// AF_BRIDGE port messages that came before their link's own message.
    early_ports: HashMap<u32, PortVlans>,
    /// Setup warnings (of VNIs and devices), reported once they held.
    setup_warnings: crate::warnings::Debounce,
    /// Local MACs reported (so a move off the access port is reported too).
    local_macs: HashMap<(Vni, MacAddr), bool>,
    local_neigh: HashMap<(Vni, std::net::IpAddr), MacAddr>,
    rec: Reconciler,
    /// Tenant routes, nexthops and rules (`crate::l3`).
    l3: L3,
    /// Blocking dumps of the L3 state (`crate::snapshot`).
    dumper: crate::snapshot::Dumper,
    /// Every device's addresses (IPv6 link-local left out).
    addrs: HashMap<u32, BTreeSet<IpNet>>,
    /// The SVIs of up VNIs, as the L3 reconciler last had them.
    l3_svis: HashMap<Vni, u32>,
    /// VNIs whose VXLAN device or SVI is down (re-read when back up).
    vnis_down: HashSet<Vni>,
    /// The links that are up (one going down may flush routes unnotified).
    links_up: HashSet<u32>,
    /// The SVI addresses reported, per VNI.
    svi_addrs: HashMap<Vni, BTreeSet<IpNet>>,
    /// The tables whose routes are reported (`LinuxConfig::redistribute`).
    watched: BTreeSet<u32>,
    /// Their routes not written by us: metric → protocol, per (table, prefix).
    table_routes: BTreeMap<(u32, IpNet), BTreeMap<u32, u8>>,
    /// The flood entries we wrote (the kernel does not mark them).
    flood: FloodLedger,
    events: mpsc::Sender<LocalEvent>,
    status: watch::Sender<DataplaneStatus>,
    started: Instant,
    writes_ok: u64,
    writes_failed: u64,
}

impl Task {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    async fn emit(&self, ev: LocalEvent) {
        // The core gone means evpnd is stopping; nothing to report to.
        let _ = self.events.send(ev).await;
    }

    /// The kernel dropped notifications: a repair round is due.
    fn notifications_lost(&mut self) {
        if !self.repair.busy() {
            info!("netlink notifications were lost; the devices will be re-read");
        }
        self.repair.lost();
    }

    /// A problem of the linux task itself (the core logs it).
    async fn warn(&self, what: String) {
        self.emit(LocalEvent::Warning { vni: None, what }).await;
    }

    /// An entry of ours seen in a dump or a notification.
    fn ours(&mut self, k: Key, v: crate::reconcile::Value, present: bool) {
        if !present {
            self.rec.kernel(k, None);
        } else if self.rec.converged() || self.rec.desired().contains_key(&k) {
            self.rec.kernel(k, Some(v));
        } else {
            self.rec.adopt(k, v);
        }
    }

    /// Links, then every device's FDB and neighbours, one unit at a time:
    /// the whole kernel state, at start.
    async fn dump(&mut self) -> Result<(), Error> {
        self.dump_links().await?;
        for unit in self.units() {
            let mut stream = self.scan_begin(unit);
            while let Some(item) = stream.next().await {
                if let Err(e) = self.scanned(item).await {
                    return Err(Error(e));
                }
            }
            self.scan_end().await;
        }
        let addrs = self
            .dumper
            .addresses()
            .map_err(|e| Error(format!("address dump: {e}")))?;
        for (ifindex, a) in addrs {
            self.addrs.entry(ifindex).or_default().insert(a);
        }
        self.svi_addrs_changed().await;
        self.reread_l3(None)
            .await
            .map_err(|e| Error(format!("route dump: {e}")))?;
        Ok(())
    }

    /// Links and the bridge's view of its ports (cheap: one message each).
    async fn dump_links(&mut self) -> Result<(), Error> {
        let mut links = self.handle.link().get().execute();
        let mut found = HashMap::new();
        while let Some(m) = links
            .try_next()
            .await
            .map_err(|e| Error(format!("link dump: {e}")))?
        {
            let l = kernel::parse_link(&m);
            found.insert(l.index, l);
        }
        // The bridge's view of its ports, with their VLAN→VNI tunnel_info
        // (only AF_BRIDGE messages asked for with RTEXT_FILTER_BRVLAN carry it).
        let mut ports = self
            .handle
            .link()
            .get()
            .set_filter_mask(AddressFamily::Bridge, vec![LinkExtentMask::Brvlan])
            .execute();
        while let Some(m) = ports
            .try_next()
            .await
            .map_err(|e| Error(format!("bridge port dump: {e}")))?
        {
            if let Some(l) = found.get_mut(&m.header.index) {
                if let Some(t) = kernel::parse_tunnels(&m) {
                    l.tunnels = t;
                }
                if let Some(p) = kernel::parse_pvid(&m) {
                    l.pvid = p;
                }
            }
        }
        self.links = found;
        self.links_changed().await;
        Ok(())
    }

    /// Recomputes the VNIs from the links and reports the differences.
    async fn links_changed(&mut self) {
        let (layout, warnings) =
            Layout::from_links_learning(&self.links, &self.cfg.pins, &self.cfg.learning_vnis);
        let now = layout.vnis.clone();
        let old = std::mem::replace(&mut self.layout, layout);
        let gone: Vec<Vni> = old
            .vnis
            .keys()
            .filter(|v| !now.contains_key(v))
            .copied()
            .collect();
        self.svi_addrs_changed().await;
        for vni in gone {
            self.rec.vni_present(vni, false);
            self.local_macs.retain(|(v, _), _| *v != vni);
            self.local_neigh.retain(|(v, _), _| *v != vni);
            self.emit(LocalEvent::VniGone(vni)).await;
        }
        for (vni, info) in now {
            if old.vnis.get(&vni) != Some(&info) {
                let new = !old.vnis.contains_key(&vni);
                self.rec.vni_present(vni, true);
                if new {
                    info!(%vni, device = %info.vxlan_name, bridge = ?info.bridge_name, vlan = ?info.vlan, local = ?info.local_ip, "VNI found");
                }
                self.emit(LocalEvent::Vni(info)).await;
            }
        }
        self.l3_links_changed().await;
        // Reported once they have held a moment (`crate::warnings`).
        let now = self.now_ms();
        self.setup_warnings.update(now, warnings);
    }

    /// The setup warnings that have held long enough, to the core.
    async fn report_warnings(&mut self) {
        for (vni, what) in self.setup_warnings.due(self.now_ms()) {
            self.emit(LocalEvent::Warning { vni, what }).await;
        }
    }

    async fn run(
        mut self,
        mut changes: mpsc::Receiver<Vec<DesiredChange>>,
        mut notifications: Notifications,
    ) {
        let mut retry = tokio::time::interval(Duration::from_millis(200));
        retry.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut status = tokio::time::interval(Duration::from_secs(1));
        status.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The repair scan in progress: its dumps, polled beside everything
        // else, so writes go on while it runs.
        let mut scan: Option<ScanStream> = None;
        loop {
            let warn_at = self
                .setup_warnings
                .next_due()
                .map(|ms| self.started + Duration::from_millis(ms));
            let repair_at = self
                .repair
                .wake_at()
                .filter(|_| scan.is_none())
                .map(|ms| self.started + Duration::from_millis(ms));
            tokio::select! {
                batch = changes.recv() => match batch {
                    Some(b) => {
                        debug!(changes = b.len(), "desired state changes");
                        for c in b {
                            self.l3.desire(&c);
                            self.rec.desire(c);
                        }
                        // Take whatever else is queued before writing.
                        while let Ok(more) = changes.try_recv() {
                            for c in more {
                                self.l3.desire(&c);
                                self.rec.desire(c);
                            }
                        }
                    }
                    None => break,
                },
                msg = notifications.next() => match msg {
                    Some((msg, _)) => self.notification(msg).await,
                    None => {
                        // netlink-proto closed the socket: what changed
                        // meanwhile is unknown, so re-subscribe and repair.
                        warn!("netlink notification socket closed; re-subscribing");
                        match subscribe(self.cfg.notify_buffer, !self.cfg.redistribute.is_empty()) {
                            Ok(n) => notifications = n,
                            Err(e) => {
                                warn!("{e}");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                                continue;
                            }
                        }
                        self.notifications_lost();
                    }
                },
                item = next_scanned(&mut scan) => {
                    let done = match item {
                        Some(item) => match self.scanned(item).await {
                            Ok(()) => false,
                            Err(e) => {
                                warn!("repair scan abandoned: {e}");
                                true
                            }
                        },
                        None => {
                            self.scan_end().await;
                            true
                        }
                    };
                    if done {
                        scan = None;
                        self.repair.finished(self.now_ms());
                    }
                }
                _ = sleep_until_some(repair_at) => {}
                _ = sleep_until_some(warn_at) => self.report_warnings().await,
                _ = retry.tick(), if self.rec.next_retry().is_some() || self.l3.next_retry().is_some() => {}
                _ = status.tick() => self.publish(),
            }
            if self.rec.has_work() || self.l3.has_work() {
                self.reconcile().await;
            }
            let now = self.now_ms();
            if self.repair.is_lost() && scan.take().is_some() {
                // Lost again while a scan ran: what it read is stale too.
                self.scan_abort();
                self.repair.finished(now);
            }
            if self.repair.round_due(now) {
                if let Err(e) = self.dump_links().await {
                    warn!("repair: link dump failed: {e}");
                }
                let mut units = self.units();
                if self.l3_relevant() {
                    units.push(Self::l3_unit());
                }
                info!(
                    scans = units.len(),
                    round = self.repair.rounds() + 1,
                    "netlink notifications were lost: re-reading the devices, a few at a time"
                );
                self.repair.plan(units);
            }
            if scan.is_none()
                && let Some(unit) = self.repair.next(now)
            {
                if unit.tables {
                    // Small: read at once (`crate::snapshot`), then written.
                    let tables = self.l3_tables();
                    if let Err(e) = self.reread_l3(Some(tables)).await {
                        warn!("repair: route dump failed: {e}");
                    }
                    self.repair.finished(self.now_ms());
                    self.reconcile().await;
                } else {
                    scan = Some(self.scan_begin(unit));
                }
            }
        }
        if self.flush.load(std::sync::atomic::Ordering::SeqCst) {
            let ops = self.rec.all_actual_ops();
            info!(
                entries = ops.len(),
                "flushing evpnd's kernel entries (flush_on_shutdown)"
            );
            let (ops, requests): (Vec<Op>, Vec<Request>) = ops
                .iter()
                .filter_map(|op| {
                    let v = self.layout.vnis.get(&op.key().vni())?;
                    let r = Request {
                        messages: program::messages(op, v)?
                            .into_iter()
                            .map(Into::into)
                            .collect(),
                        delete: true,
                    };
                    Some((*op, r))
                })
                .unzip();
            let results = self.batch.run(&requests);
            let failed = results.iter().filter(|r| r.is_err()).count();
            let flood_gone = ops.iter().zip(&results).filter_map(|(op, r)| match op {
                Op::Del(Key::Flood { vni, vtep }, _) if r.is_ok() => Some((*vni, *vtep)),
                _ => None,
            });
            if let Err(e) = self.flood.forget(flood_gone) {
                warn!("{e}");
            }
            let failed = failed + self.flush_l3();
            if failed > 0 {
                warn!(
                    failed,
                    "some of evpnd's kernel entries could not be flushed"
                );
            }
        } else {
            info!("dataplane left in place (flush_on_shutdown = false, or a graceful stop)");
        }
    }
}
