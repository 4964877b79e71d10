//! The linux task (tokio): dumps the kernel, follows its notifications,
//! reports local state to the core and runs the reconcile loop, writing in
//! batches on a socket of its own (`crate::batch`) and checking every
//! write's outcome.

use std::collections::{BTreeMap, HashMap, HashSet};
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
use tokio::time::Instant;
use tracing::{debug, info, warn};

use evpnd_wire::{MacAddr, Vni};

use crate::batch::{Batcher, Request};
use crate::kernel::{self, Link, Seen};
use crate::layout::Layout;
use crate::ledger::FloodLedger;
use crate::program;
use crate::reconcile::{Key, Op, Reconciler};
use crate::{DesiredChange, LocalEvent};

#[derive(Debug, Clone)]
pub struct LinuxConfig {
    /// Full re-dump and comparison this often (catches missed notifications).
    pub resync_interval: Duration,
    /// Delete everything of ours when the core goes away (clean shutdown).
    pub flush_on_shutdown: bool,
    /// The flood ledger's file (`crate::ledger`); `None` keeps it in memory,
    /// so flood entries of a previous run are not recognised.
    pub flood_ledger: Option<std::path::PathBuf>,
    /// Devices the configuration pins VNIs to (`crate::layout::Pins`).
    pub pins: HashMap<Vni, crate::layout::Pins>,
}

impl Default for LinuxConfig {
    fn default() -> Self {
        LinuxConfig {
            resync_interval: Duration::from_secs(60),
            flush_on_shutdown: false,
            flood_ledger: None,
            pins: HashMap::new(),
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
                let sockets = subscribe().and_then(|n| {
                    rtnetlink::new_connection()
                        .map(|(conn, handle, _)| (n, conn, handle))
                        .map_err(|e| Error(format!("netlink socket: {e}")))
                });
                let sockets = sockets.and_then(|(n, conn, handle)| {
                    Batcher::new()
                        .map(|b| (n, conn, handle, b))
                        .map_err(|e| Error(format!("netlink write socket: {e}")))
                });
                let (notifications, conn, handle, batch) = match sockets {
                    Ok(x) => x,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                tokio::spawn(conn);
                let _ = ready_tx.send(Ok(()));
                let (flood, ledger_warnings) = FloodLedger::load(cfg.flood_ledger.clone());
                let mut t = Task {
                    cfg,
                    flush: flush_task,
                    handle,
                    batch,
                    links: HashMap::new(),
                    layout: Layout::default(),
                    device_warnings: HashSet::new(),
                    early_ports: HashMap::new(),
                    resync_due: false,
                    local_macs: HashMap::new(),
                    local_neigh: HashMap::new(),
                    rec: Reconciler::new(),
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

/// Receive buffer of the notification socket: room for the echo of a large
/// batch of writes (two notifications per remote MAC).
const NOTIFY_BUFFER: usize = 64 << 20;

/// A socket subscribed to link and neighbour notifications.
fn subscribe() -> Result<Notifications, Error> {
    let (mut conn, _, notifications) =
        rtnetlink::new_multicast_connection(&[MulticastGroup::Link, MulticastGroup::Neigh])
            .map_err(|e| Error(format!("netlink notification socket: {e}")))?;
    let sock = conn.socket_mut().socket_mut();
    if let Err(e) = sock.set_rx_buf_sz(NOTIFY_BUFFER) {
        warn!("netlink notification buffer: {e}");
    }
    crate::sockopt::force_rx_buf(sock.as_raw_fd(), NOTIFY_BUFFER);
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

/// A bridge port's VLAN→VNI mappings and PVID.
type PortVlans = (Vec<(u16, u32)>, Option<u16>);

struct Task {
    cfg: LinuxConfig,
    /// Flush our entries when the core goes away (see [`LinuxHandle`]).
    flush: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Dumps (rtnetlink).
    handle: Handle,
    /// Writes, in batches.
    batch: Batcher,
    links: HashMap<u32, Link>,
    layout: Layout,
    /// Notifications were lost (an overrun): dump and compare when idle.
    resync_due: bool,
    /// AF_BRIDGE port messages that came before their link's own message.
    early_ports: HashMap<u32, PortVlans>,
    /// Warnings about devices with no VNI, as last reported (each is
    /// reported when it first appears, not on every link change).
    device_warnings: HashSet<String>,
    /// Local MACs reported (so a move off the access port is reported too).
    local_macs: HashMap<(Vni, MacAddr), bool>,
    local_neigh: HashMap<(Vni, std::net::IpAddr), MacAddr>,
    rec: Reconciler,
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

    /// Links, then bridge FDB, then ARP/ND: the whole kernel state.
    async fn dump(&mut self) -> Result<(), Error> {
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
        let mut msgs = Vec::new();
        let mut fdb = self
            .handle
            .neighbours()
            .get()
            .set_address_family(AddressFamily::Bridge)
            .execute();
        while let Some(m) = fdb
            .try_next()
            .await
            .map_err(|e| Error(format!("fdb dump: {e}")))?
        {
            msgs.push(m);
        }
        for f in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut ns = self
                .handle
                .neighbours()
                .get()
                .set_address_family(f)
                .execute();
            while let Some(m) = ns
                .try_next()
                .await
                .map_err(|e| Error(format!("neighbour dump: {e}")))?
            {
                msgs.push(m);
            }
        }
        for m in msgs {
            self.neighbour(&m, true).await;
        }
        Ok(())
    }

    /// Recomputes the VNIs from the links and reports the differences.
    async fn links_changed(&mut self) {
        let (layout, warnings) = Layout::from_links(&self.links, &self.cfg.pins);
        let now = layout.vnis.clone();
        let old = std::mem::replace(&mut self.layout, layout);
        let gone: Vec<Vni> = old
            .vnis
            .keys()
            .filter(|v| !now.contains_key(v))
            .copied()
            .collect();
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
                    for (wv, what) in warnings.iter().filter(|(w, _)| *w == Some(vni)) {
                        self.emit(LocalEvent::Warning {
                            vni: *wv,
                            what: what.clone(),
                        })
                        .await;
                    }
                }
                self.emit(LocalEvent::Vni(info)).await;
            }
        }
        let device: HashSet<String> = warnings
            .into_iter()
            .filter(|(w, _)| w.is_none())
            .map(|(_, what)| what)
            .collect();
        for what in device.difference(&self.device_warnings) {
            self.emit(LocalEvent::Warning {
                vni: None,
                what: what.clone(),
            })
            .await;
        }
        self.device_warnings = device;
    }

    async fn neighbour(&mut self, m: &NeighbourMessage, present: bool) {
        let n = kernel::parse_neigh(m);
        let seen = kernel::classify(&n, &self.layout, &self.links);
        debug!(?n, ?seen, present, "neighbour");
        match seen {
            Seen::Ours(k, v) => self.ours(k, v, present),
            Seen::Flood { vni, vtep } if self.flood.contains(vni, vtep) => {
                self.ours(
                    Key::Flood { vni, vtep },
                    crate::reconcile::Value::Flood,
                    present,
                );
            }
            Seen::Flood { .. } => {}
            Seen::LocalMac { vni, mac, sticky } => {
                if present {
                    if self.local_macs.insert((vni, mac), sticky) != Some(sticky) {
                        self.emit(LocalEvent::Mac { vni, mac, sticky }).await;
                    }
                } else if self.local_macs.remove(&(vni, mac)).is_some() {
                    self.emit(LocalEvent::MacGone { vni, mac }).await;
                }
            }
            Seen::NotLocalMac { vni, mac } => {
                if present && self.local_macs.remove(&(vni, mac)).is_some() {
                    self.emit(LocalEvent::MacGone { vni, mac }).await;
                }
            }
            Seen::LocalNeigh { vni, ip, mac } => {
                if present {
                    if self.local_neigh.insert((vni, ip), mac) != Some(mac) {
                        self.emit(LocalEvent::Neigh { vni, ip, mac }).await;
                    }
                } else if self.local_neigh.remove(&(vni, ip)).is_some() {
                    self.emit(LocalEvent::NeighGone { vni, ip }).await;
                }
            }
            Seen::NotLocalNeigh { vni, ip } => {
                if self.local_neigh.remove(&(vni, ip)).is_some() {
                    self.emit(LocalEvent::NeighGone { vni, ip }).await;
                }
            }
            Seen::Other => {}
        }
    }

    async fn notification(&mut self, msg: NetlinkMessage<RouteNetlinkMessage>) {
        let m = match msg.payload {
            NetlinkPayload::InnerMessage(m) => m,
            NetlinkPayload::Overrun(_) => {
                // The kernel dropped notifications (the socket's buffer was
                // full): what they said is unknown, so compare everything
                // again from a dump once the writes in progress are done.
                if !self.resync_due {
                    info!(
                        "netlink notifications overran their buffer; resynchronising from a dump"
                    );
                }
                self.resync_due = true;
                return;
            }
            _ => return,
        };
        match m {
            // AF_BRIDGE link messages are the bridge's view of a port (port
            // state, flags), sent e.g. when a port starts forwarding; they
            // carry no IFLA_LINKINFO and must not replace the link, nor does
            // an AF_BRIDGE delete (the port left a bridge) delete the device.
            // The device's own AF_UNSPEC message follows such changes.
            RouteNetlinkMessage::NewLink(l)
                if l.header.interface_family == AddressFamily::Bridge =>
            {
                let vlans = kernel::parse_tunnels(&l).zip(kernel::parse_pvid(&l));
                self.port_vlans(&l, vlans).await;
            }
            RouteNetlinkMessage::DelLink(l)
                if l.header.interface_family == AddressFamily::Bridge =>
            {
                self.port_vlans(&l, Some((Vec::new(), None))).await;
            }
            RouteNetlinkMessage::NewLink(l) => {
                let mut l = kernel::parse_link(&l);
                if let Some(old) = self.links.get(&l.index) {
                    l.tunnels = old.tunnels.clone();
                    l.pvid = old.pvid;
                } else if let Some((t, pvid)) = self.early_ports.remove(&l.index) {
                    (l.tunnels, l.pvid) = (t, pvid);
                }
                if self.links.get(&l.index) != Some(&l) {
                    self.links.insert(l.index, l);
                    self.links_changed().await;
                }
            }
            RouteNetlinkMessage::DelLink(l) if self.links.remove(&l.header.index).is_some() => {
                self.early_ports.remove(&l.header.index);
                self.links_changed().await;
            }
            RouteNetlinkMessage::NewNeighbour(n) => self.neighbour(&n, true).await,
            RouteNetlinkMessage::DelNeighbour(n) => self.neighbour(&n, false).await,
            _ => {}
        }
    }

    /// A bridge port's VLAN→VNI mappings and PVID as an AF_BRIDGE link
    /// message states them (every such message lists them all); `None`
    /// leaves them as they were. For a link not known yet they are kept
    /// until its own message comes.
    async fn port_vlans(&mut self, m: &LinkMessage, vlans: Option<PortVlans>) {
        let Some((t, pvid)) = vlans else { return };
        let Some(l) = self.links.get_mut(&m.header.index) else {
            if self.early_ports.len() < 4096 {
                self.early_ports.insert(m.header.index, (t, pvid));
            }
            return;
        };
        if l.tunnels != t || l.pvid != pvid {
            l.tunnels = t;
            l.pvid = pvid;
            self.links_changed().await;
        }
    }

    /// Writes what is due in batches (`crate::batch`), each ACK checked.
    async fn reconcile(&mut self) {
        loop {
            let ops = self.rec.next_ops(self.now_ms(), 4096);
            if ops.is_empty() {
                return;
            }
            let mut writable = Vec::with_capacity(ops.len());
            let mut requests = Vec::with_capacity(ops.len());
            let mut unwritable = Vec::new();
            for op in ops {
                match self
                    .layout
                    .vnis
                    .get(&op.key().vni())
                    .and_then(|v| program::messages(&op, v))
                {
                    Some(messages) => {
                        requests.push(Request {
                            messages,
                            delete: matches!(op, Op::Del(..)),
                        });
                        writable.push(op);
                    }
                    None => unwritable.push(op),
                }
            }
            // Recorded before they exist, so a crash cannot leave one unrecorded.
            let new_flood = writable.iter().filter_map(|op| match op {
                Op::Set(Key::Flood { vni, vtep }, _) => Some((*vni, *vtep)),
                _ => None,
            });
            if let Err(e) = self.flood.record(new_flood) {
                self.warn(e).await;
            }
            let results = self.batch.run(&requests);
            let now = self.now_ms();
            let mut flood_gone = Vec::new();
            let outcomes = writable
                .into_iter()
                .zip(results.into_iter().map(|r| r.err().map(|e| e.to_string())))
                .chain(unwritable.into_iter().map(|op| {
                    (
                        op,
                        Some("the VNI has no bridge/SVI for this entry".to_string()),
                    )
                }));
            for (op, err) in outcomes {
                if let (None, Op::Del(Key::Flood { vni, vtep }, _)) = (&err, op) {
                    flood_gone.push((vni, vtep));
                }
                match &err {
                    None => self.writes_ok += 1,
                    Some(e) => {
                        self.writes_failed += 1;
                        warn!(op = ?op, "kernel write failed: {e}");
                    }
                }
                self.rec.result(op, err, now);
            }
            if let Err(e) = self.flood.forget(flood_gone) {
                self.warn(e).await;
            }
        }
    }

    fn publish(&self) {
        let mut st = DataplaneStatus {
            writes_ok: self.writes_ok,
            writes_failed: self.writes_failed,
            converged: self.rec.converged(),
            ..DataplaneStatus::default()
        };
        for vni in self.layout.vnis.keys() {
            st.vnis.insert(*vni, VniStatus::default());
        }
        for k in self.rec.desired().keys() {
            let s = st.vnis.entry(k.vni()).or_default();
            match k {
                Key::Mac { .. } => s.desired_macs += 1,
                Key::Flood { .. } => s.desired_flood += 1,
                Key::Neigh { .. } => s.desired_neigh += 1,
            }
        }
        for k in self.rec.actual().keys() {
            let s = st.vnis.entry(k.vni()).or_default();
            match k {
                Key::Mac { .. } => s.programmed_macs += 1,
                Key::Flood { .. } => s.programmed_flood += 1,
                Key::Neigh { .. } => s.programmed_neigh += 1,
            }
        }
        for (k, e) in self.rec.errors() {
            let s = st.vnis.entry(k.vni()).or_default();
            if s.errors.len() < 10 {
                s.errors.push(format!("{k:?}: {e}"));
            }
        }
        self.status.send_replace(st);
    }

    async fn run(
        mut self,
        mut changes: mpsc::Receiver<Vec<DesiredChange>>,
        mut notifications: Notifications,
    ) {
        let mut resync = tokio::time::interval(self.cfg.resync_interval);
        resync.tick().await;
        let mut retry = tokio::time::interval(Duration::from_millis(200));
        let mut status = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                batch = changes.recv() => match batch {
                    Some(b) => {
                        debug!(changes = b.len(), "desired state changes");
                        for c in b {
                            self.rec.desire(c);
                        }
                        // Take whatever else is queued before writing.
                        while let Ok(more) = changes.try_recv() {
                            for c in more {
                                self.rec.desire(c);
                            }
                        }
                    }
                    None => break,
                },
                msg = notifications.next() => match msg {
                    Some((msg, _)) => self.notification(msg).await,
                    None => {
                        // The socket overran and netlink-proto closed it:
                        // what changed meanwhile is unknown, so re-subscribe
                        // and dump everything again.
                        warn!("netlink notifications lost; re-subscribing and resynchronising");
                        match subscribe() {
                            Ok(n) => notifications = n,
                            Err(e) => {
                                warn!("{e}");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                                continue;
                            }
                        }
                        self.resync_due = true;
                    }
                },
                _ = resync.tick() => self.resync_due = true,
                _ = retry.tick(), if self.rec.next_retry().is_some() => {}
                _ = status.tick() => self.publish(),
            }
            if self.rec.has_work() {
                self.reconcile().await;
            }
            // Resync (periodic, or notifications lost): a full dump holds the
            // RTNL lock, so not in the middle of a burst of changes but once
            // they are written.
            if self.resync_due && changes.is_empty() {
                self.resync_due = false;
                self.rec.forget_actual();
                if let Err(e) = self.dump().await {
                    warn!("resync dump failed: {e}");
                }
                self.rec.resync();
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
                        messages: program::messages(op, v)?,
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
