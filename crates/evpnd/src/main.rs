//! `evpnd -c fabric.toml`: the BGP EVPN daemon.
//!
//! Wiring only: configuration, logging, tasks and the channels between them.
//! Every decision is the sans-IO core's (`evpnd_core::Core`); the main loop
//! owns it, feeds it inputs with `now` and carries its outputs.
//!
//! ```text
//!                 accept_loop (per listen address)
//!                     │ SessionInput::Incoming(TcpStream), by source address
//!                     ▼
//!  TCP peers ◄──► run_peer (one task per neighbour: socket, framing, FSM)
//!                     │ PeerEvent (mpsc 256, all peers)   ▲ SessionInput::Command
//!                     ▼                                   │ (mpsc 64 per peer)
//!              ┌──────────────── main loop ──────────────────────────┐
//!  signals ──► │ Daemon: Core::handle(now, Input) → poll_output()     │ ◄── api::Job
//!  1 s tick ─► │   Output::Peer  → that session's channel             │     (mpsc 64, from
//!              │   Output::Watch → broadcast (4096) → API watchers    │      the gRPC tasks;
//!              │   take_dataplane() → when the linux channel has room │      oneshot replies)
//!              └──────────────────────────────────────────────────────┘
//!                     │ Vec<DesiredChange> (mpsc)          ▲ LocalEvent (mpsc)
//!                     ▼                                    │
//!              linux task (own thread: netlink dumps, notifications, batched writes)
//! ```
//!
//! Signals: SIGTERM/SIGINT stop the sessions as
//! `[bgp.graceful_restart] on_shutdown` says (Hard Reset by default, ADR
//! 0006; graceful keeps our routes at the peers, ADR 0011) and exit; SIGHUP
//! re-reads the file (a broken file is rejected and the running
//! configuration stays).

mod api;
mod bmp;
mod convert;
mod listen;
mod logging;
mod manual;
mod marker;
mod notify;
mod unnumbered;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use evpnd_config::{Config, PeerKey};
use evpnd_core::{Command, Core, CoreError, Input, Output, Reply, Time};
use evpnd_session::driver::{PeerConfig, SessionInput, run_peer};
use evpnd_session::fsm::FsmConfig;
use evpnd_session::negotiate::LocalPolicy;
use evpnd_session::{PeerCommand, PeerEvent};
use std::collections::HashMap;
use std::net::IpAddr;
use tokio::net::TcpListener;

use listen::{Origin, PeerMap, listens_link_local, origin, secure_listener};
use tokio::signal::unix::{SignalKind, signal};

use evpnd_linux::{DesiredChange, LocalEvent};
use tokio::sync::{broadcast, mpsc, watch};
use tracing::{error, info, warn};

#[derive(Parser)]
#[command(
    name = "evpnd",
    version,
    about = "BGP EVPN control-plane daemon for Linux VXLAN fabrics"
)]
struct Args {
    /// The configuration file.
    #[arg(short, long, default_value = "/etc/evpnd/fabric.toml")]
    config: PathBuf,
    /// Validate the configuration and exit (0 valid, 1 invalid).
    #[arg(long)]
    check_config: bool,
    /// Log format: human or json (overrides [log].format).
    #[arg(long)]
    log_format: Option<String>,
    /// Print the man page (roff) and exit; the Debian package ships it.
    #[arg(long, hide = true)]
    man: bool,
}

/// malloc arenas evpnd allows glibc (`MALLOC_ARENA_MAX` in the environment
/// wins). By default glibc gives threads that allocate at once arenas of
/// their own, up to eight per core, and memory freed in one is not reused
/// by another: the session, core and netlink threads each kept a share of
/// a million routes' worth (issue 16, docs/benchmarks.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS: libc::c_int = 1;

/// Applies [`MALLOC_ARENAS`] unless the environment says otherwise; before
/// any thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a tuning parameter of glibc's malloc;
        // called from main before the runtime's threads exist.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let args = Args::parse();
    if args.man {
        return manual::print(<Args as clap::CommandFactory>::command());
    }
    let cfg = match evpnd_config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if args.check_config {
        println!("{}: configuration is valid", args.config.display());
        return ExitCode::SUCCESS;
    }
    init_logging(&cfg, args.log_format.as_deref());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("evpnd: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cfg, args.config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            eprintln!("evpnd: {e}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(cfg: &Config, format: Option<&str>) {
    let json = match format {
        Some(f) => f == "json",
        None => cfg.log.format == evpnd_config::LogFormat::Json,
    };
    logging::init(&cfg.log.level, json);
}

/// `restarting`: this run is a graceful restart (ADR 0011); the first OPENs
/// of a graceful-restart neighbour then carry the R bit.
fn peer_config(cfg: &Config, n: &evpnd_config::Neighbor, restarting: bool) -> PeerConfig {
    let hold = cfg.hold_time(n);
    // An interface neighbour's address comes from discovery.
    let unspecified = IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
    PeerConfig {
        remote: SocketAddr::new(n.ip().unwrap_or(unspecified), n.port),
        discovered: n.interface.is_some(),
        local: n.update_source,
        fsm: FsmConfig {
            passive: n.passive,
            connect_retry: Duration::from_secs(u64::from(cfg.bgp.connect_retry)),
            jitter_seed: u64::from(u32::from(cfg.bgp.router_id)) ^ 0x9e37_79b9,
            ..FsmConfig::default()
        },
        policy: LocalPolicy {
            local_asn: cfg.asn(),
            router_id: cfg.bgp.router_id,
            remote_asn: n.remote_asn,
            hold_time: hold,
            keepalive: cfg.keepalive(n),
            families: n.families.clone(),
            add_path_receive: if n.add_path_receive {
                n.families.clone()
            } else {
                Vec::new()
            },
            graceful_restart: cfg.graceful_restart(n),
            restarting: restarting && cfg.graceful_restart(n),
            // Forwarding is the kernel's: neither a crash nor a graceful stop
            // touches it, and a reboot clears the marker (ADR 0011).
            forwarding_preserved: true,
            extended_next_hop: cfg.extended_next_hop(n),
        },
        restart_time: cfg.bgp.graceful_restart.restart_time,
        password: n.password.clone(),
        ttl_security: n.ttl_security.as_ref().map(|t| *t.get_ref()),
        // eBGP is single-hop unless configured otherwise (RFC 4271 practice,
        // as FRR; an unnumbered eBGP peer is on the link: TTL 1 too).
        ttl: match (cfg.is_ibgp(n), n.ebgp_multihop) {
            (true, _) => None,
            (false, Some(h)) => Some(h),
            (false, None) => Some(1),
        },
    }
}

/// One configured neighbour's running session.
struct Slot {
    key: PeerKey,
    tx: mpsc::Sender<SessionInput>,
    /// The remote port (`[[neighbor]] port`).
    port: u16,
    /// Where the listeners accept its connections from (an interface
    /// neighbour: once found; `None` before).
    accept: Option<Origin>,
}

/// Events a watcher may fall behind by before it must resynchronise.
const WATCH_BUFFER: usize = 4096;

/// The running daemon: sessions by index (stable across reloads), listeners, core.
struct Daemon {
    cfg: Config,
    /// The linux task's last status (`None` without the kernel side).
    dp_status: Option<watch::Receiver<evpnd_linux::DataplaneStatus>>,
    ev_tx: mpsc::Sender<PeerEvent>,
    /// The session per core peer index; `None` once removed.
    sessions: Vec<Option<Slot>>,
    /// BGP unnumbered: discovery of the interface neighbours' peers.
    unnumbered: unnumbered::Unnumbered,
    listeners: Vec<(SocketAddr, Arc<TcpListener>)>,
    peer_map: watch::Sender<PeerMap>,
    core: Core,
    /// The core's time zero.
    started: tokio::time::Instant,
    epoch: convert::Epoch,
    /// Change events for API watchers.
    events: broadcast::Sender<evpnd_api::pb::watch_response::Event>,
    /// Sessions spawned now are the first after a restart (only the
    /// neighbours configured at start; cleared once they are spawned).
    restarting: bool,
    /// The `[[bmp]]` collectors.
    bmp: bmp::Collectors,
}

impl Daemon {
    fn now(&self) -> Time {
        Time::from_duration(self.started.elapsed())
    }

    /// Hands the core one input and carries out what it asks for.
    async fn input(&mut self, input: Input) -> Result<Reply, CoreError> {
        self.core.set_watching(self.events.receiver_count() > 0);
        let r = self.core.handle(self.now(), input);
        self.carry_outputs().await;
        r
    }

    /// A management command, as the API sees its result.
    async fn command(&mut self, c: Command) -> Result<Reply, evpnd_api::BackendError> {
        self.input(Input::Command(c)).await.map_err(convert::error)
    }

    async fn carry_outputs(&mut self) {
        while let Some(o) = self.core.poll_output() {
            match o {
                Output::Peer { peer, command } => {
                    let Some(Some(slot)) = self.sessions.get(peer as usize) else {
                        continue;
                    };
                    if slot.tx.send(command.into()).await.is_err() {
                        warn!(peer, "session task of a peer is gone");
                    }
                }
                Output::Watch(ev) => {
                    if let Some(ev) = convert::watch_event(&ev, self.epoch) {
                        let _ = self.events.send(ev);
                    }
                }
                Output::Bmp(ev) => self.bmp.event(ev),
            }
        }
    }

    /// Every configured peer, by address (interface neighbours by their
    /// session's address, then interface).
    fn peers(&self) -> Vec<evpnd_api::pb::Peer> {
        let mut v: Vec<(std::net::IpAddr, evpnd_api::pb::Peer)> = (0..self.sessions.len())
            .filter_map(|i| {
                let a = self.core.peer_view_of(i)?.address;
                Some((a, self.peer_at(i)?))
            })
            .collect();
        v.sort_by(|a, b| (a.0, &a.1.interface).cmp(&(b.0, &b.1.interface)));
        v.into_iter().map(|(_, p)| p).collect()
    }

    /// The view of the peer with core index `i`.
    fn peer_at(&self, i: usize) -> Option<evpnd_api::pb::Peer> {
        let slot = self.sessions.get(i)?.as_ref()?;
        let mut v = convert::peer(&self.core.peer_view_of(i)?, self.epoch);
        if let Some(n) = self.cfg.neighbor_by_key(&slot.key) {
            v.remote_as = n.remote_asn.to_string();
        }
        self.unnumbered_view(&slot.key, &mut v);
        Some(v)
    }

    /// An interface neighbour's view: its interface, the discovered
    /// address (the address field too) and discovery's state.
    fn unnumbered_view(&self, key: &PeerKey, v: &mut evpnd_api::pb::Peer) {
        let Some(ifname) = key.interface() else {
            return;
        };
        v.interface = ifname.to_string();
        let state = self.unnumbered.state(ifname);
        v.discovery = state
            .map(unnumbered::LinkState::describe)
            .unwrap_or_default();
        v.discovered_address = state
            .and_then(unnumbered::LinkState::peer)
            .map(|a| a.to_string())
            .unwrap_or_default();
    }

    fn routes(&self, q: &evpnd_api::RouteQuery) -> evpnd_api::RoutePage {
        let after = q.after.as_ref().and_then(convert::cursor_key);
        let mut keep =
            |r: &evpnd_core::view::RouteView| q.filter.apply(&convert::route(r)).is_some();
        let page = self.core.routes(
            convert::rib_view(q.view),
            after.as_ref(),
            q.limit,
            q.filter.peer,
            &mut keep,
        );
        evpnd_api::RoutePage {
            routes: page
                .routes
                .iter()
                .filter_map(|r| q.filter.apply(&convert::route(r)))
                .collect(),
            next: page.next_after.as_ref().and_then(convert::cursor),
        }
    }

    /// Subscribes, then the peers (no await in between: nothing is
    /// missed); the API reads the routes of the snapshot page by page.
    fn watch(&self) -> evpnd_api::WatchStart {
        let events = self.events.subscribe();
        let snapshot = self
            .peers()
            .into_iter()
            .map(|p| {
                evpnd_api::pb::watch_response::Event::Peer(evpnd_api::pb::PeerEvent {
                    peer: Some(p),
                })
            })
            .collect();
        evpnd_api::WatchStart { snapshot, events }
    }

    async fn spawn_session(&mut self, n: &evpnd_config::Neighbor) -> mpsc::Sender<SessionInput> {
        let (tx, rx) = mpsc::channel(64);
        let mut accept = n.ip().map(|a| (a.to_canonical(), 0));
        let index = self.sessions.len() as u32;
        tokio::spawn(run_peer(
            index,
            peer_config(&self.cfg, n, self.restarting),
            rx,
            self.ev_tx.clone(),
        ));
        if let Some(ifname) = n.ifname() {
            if let Err(e) = self.unnumbered.add(ifname) {
                error!(neighbor = ifname, "{e}");
            }
            // Reset on reload: the link's peer is already known.
            if let Some(remote) = self.unnumbered.remote(ifname, n.port) {
                accept = Some(origin(remote));
                let _ = tx.send(SessionInput::Remote(Some(remote))).await;
            }
        }
        if n.enabled {
            let _ = tx.send(PeerCommand::Start.into()).await;
        }
        self.sessions.push(Some(Slot {
            key: n.key(),
            tx: tx.clone(),
            port: n.port,
            accept,
        }));
        tx
    }

    /// A discovery event: the interface neighbour's session follows its
    /// peer (new address: reset and connect there; none: stopped now).
    async fn discovered(&mut self, ev: evpnd_ndisc::driver::DriverEvent) {
        let Some(remote) = self.unnumbered.apply(&ev) else {
            return;
        };
        if let Some((peer, _)) = remote {
            self.unnumbered.answer(&ev.interface, peer).await;
        }
        let key = PeerKey::Interface(ev.interface);
        let Some(i) = self.index_of(&key) else {
            return;
        };
        let Some(slot) = self.sessions[i].as_mut() else {
            return;
        };
        let remote = remote.map(|(peer, ifindex)| {
            SocketAddr::V6(std::net::SocketAddrV6::new(peer, slot.port, 0, ifindex))
        });
        slot.accept = remote.map(origin);
        let _ = slot.tx.send(SessionInput::Remote(remote)).await;
        self.publish();
    }

    fn publish(&self) {
        let map: HashMap<Origin, mpsc::Sender<SessionInput>> = self
            .sessions
            .iter()
            .flatten()
            .filter_map(|s| {
                let from = match (s.accept, s.key.interface()) {
                    (Some(a), _) => a,
                    // Not found yet: any link-local peer on the link.
                    (None, Some(ifname)) => (
                        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                        unnumbered::ifindex(ifname)?,
                    ),
                    (None, None) => return None,
                };
                Some((from, s.tx.clone()))
            })
            .collect();
        self.peer_map.send_replace(Arc::new(map));
    }

    fn index_of(&self, key: &PeerKey) -> Option<usize> {
        self.sessions
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.key == *key))
    }

    async fn stop_session(&mut self, i: usize) {
        if let Some(slot) = self.sessions[i].take() {
            let _ = slot.tx.send(PeerCommand::Stop.into()).await;
        }
        let _ = self
            .input(Input::Command(Command::RemovePeer { peer: i as u32 }))
            .await;
    }

    /// The session of a configured neighbour, and its index.
    fn session(&self, key: &PeerKey) -> Option<(usize, mpsc::Sender<SessionInput>)> {
        self.index_of(key)
            .and_then(|i| self.sessions[i].as_ref().map(|s| (i, s.tx.clone())))
    }

    /// Desired vs programmed per VNI, from the linux task's last status.
    fn dataplane_view(&self, only: Option<evpnd_wire::Vni>) -> Vec<evpnd_api::pb::VniDataplane> {
        use evpnd_api::pb;
        let Some(st) = &self.dp_status else {
            return Vec::new();
        };
        let s = st.borrow();
        s.vnis
            .iter()
            .filter(|(v, _)| only.is_none_or(|x| x == **v))
            .map(|(vni, v)| {
                let desired = pb::DataplaneCounts {
                    fdb: v.desired_macs as u64,
                    flood: v.desired_flood as u64,
                    neighbors: v.desired_neigh as u64,
                    routes: 0,
                };
                let programmed = pb::DataplaneCounts {
                    fdb: v.programmed_macs as u64,
                    flood: v.programmed_flood as u64,
                    neighbors: v.programmed_neigh as u64,
                    routes: 0,
                };
                pb::VniDataplane {
                    vni: vni.get(),
                    drift: desired != programmed,
                    desired: Some(desired),
                    programmed: Some(programmed),
                    last_errors: v
                        .errors
                        .iter()
                        .map(|e| pb::DataplaneError {
                            object: String::new(),
                            message: e.clone(),
                            at_unix_seconds: 0,
                        })
                        .collect(),
                }
            })
            .collect()
    }

    fn dataplane_errors(&self) -> u64 {
        self.dp_status
            .as_ref()
            .map_or(0, |s| s.borrow().writes_failed)
    }

    /// SIGHUP or the API: validate the file, then apply the difference.
    /// Sessions whose configuration did not change are not touched. `Ok(None)`:
    /// nothing changed.
    async fn reload(
        &mut self,
        path: &std::path::Path,
    ) -> Result<Option<evpnd_config::ConfigDiff>, evpnd_config::ConfigErrors> {
        // Parsed on a blocking thread: the sessions' tasks keep running.
        let file = path.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || evpnd_config::load(&file)).await;
        let loaded = loaded.unwrap_or_else(|e| {
            Err(evpnd_config::ConfigErrors(vec![
                evpnd_config::ConfigError {
                    file: path.display().to_string(),
                    line: 0,
                    col: 0,
                    message: format!("reading the configuration failed: {e}"),
                },
            ]))
        });
        let new = match loaded {
            Ok(c) => c,
            Err(e) => {
                error!("reload rejected, the running configuration stays:\n{e}");
                return Err(e);
            }
        };
        let d = Config::diff(&self.cfg, &new);
        if d.is_empty() {
            info!("reload: no change");
            return Ok(None);
        }
        let _ = self.input(Input::Command(Command::BumpGeneration)).await;
        if !d.restart_required.is_empty() {
            warn!(keys = ?d.restart_required, "reload: these keys only take effect after a restart; the rest is applied");
        }
        let find = |key: &PeerKey| new.neighbor_by_key(key).cloned();
        // Take the new file except the keys that only a restart can change.
        let mut applied = new.clone();
        applied.bgp.asn = self.cfg.bgp.asn.clone();
        applied.bgp.router_id = self.cfg.bgp.router_id;
        applied.bgp.listen = self.cfg.bgp.listen.clone();
        self.cfg = applied;
        for key in d.neighbors_removed.iter().chain(&d.neighbors_reset) {
            if let Some(i) = self.index_of(key) {
                self.stop_session(i).await;
            }
        }
        // A reset keeps discovery (and the peer it found) running.
        for key in &d.neighbors_removed {
            if let Some(ifname) = key.interface() {
                self.unnumbered.remove(ifname).await;
            }
        }
        if !d.neighbors_added.iter().all(|k| k.interface().is_none())
            && !self.listeners.iter().any(|(a, _)| listens_link_local(a))
        {
            warn!(
                "reload: new interface neighbours, but no listener takes IPv6 link-local connections (added at start only): their sessions connect out only"
            );
        }
        for key in d.neighbors_added.iter().chain(&d.neighbors_reset) {
            if let Some(n) = find(key) {
                self.spawn_session(&n).await;
                let neighbor = Box::new(n);
                let _ = self
                    .input(Input::Command(Command::AddPeer { neighbor }))
                    .await;
            }
        }
        for key in &d.neighbors_updated {
            if let (Some(i), Some(n)) = (self.index_of(key), find(key)) {
                let (peer, neighbor) = (i as u32, Box::new(n));
                let _ = self
                    .input(Input::Command(Command::UpdatePeer { peer, neighbor }))
                    .await;
            }
        }
        for (addr, l) in &self.listeners {
            if let Err(e) = secure_listener(&self.cfg, l, addr) {
                error!("reload: {e}");
            }
        }
        self.publish();
        let config = Box::new(self.cfg.clone());
        let _ = self
            .input(Input::Command(Command::Reconfigure { config }))
            .await;
        self.bmp.reload(&self.cfg).await;
        info!(
            added = ?d.neighbors_added, removed = ?d.neighbors_removed, reset = ?d.neighbors_reset,
            updated = ?d.neighbors_updated, vnis_added = ?d.vnis_added, vnis_removed = ?d.vnis_removed,
            vnis_changed = ?d.vnis_changed, "reload applied"
        );
        Ok(Some(d))
    }
}

async fn run(cfg: Config, path: PathBuf) -> Result<(), String> {
    info!(asn = cfg.asn(), router_id = %cfg.bgp.router_id, neighbors = cfg.neighbor.len(), "evpnd starting");
    // Decoded UPDATEs waiting for the core (~100 routes each, all peers):
    // 256 keep it busy; 1024 only held ~15 MB more at the peak of a
    // 1M-route burst (docs/benchmarks.md, issue 3).
    let (ev_tx, mut ev_rx) = mpsc::channel::<PeerEvent>(256);
    let (peer_map, peer_rx) = watch::channel::<PeerMap>(Arc::new(HashMap::new()));
    let listeners = listen::bind_all(&cfg, &peer_rx).await?;
    // ADR 0011: a marker left by the previous run makes this a restart.
    let marker = marker::Marker::new(cfg.restart_state_file());
    let gr_anywhere = cfg.neighbor.iter().any(|n| cfg.graceful_restart(n));
    let restarting = match marker.previous(cfg.bgp.graceful_restart.restart_time) {
        marker::Previous::Restart(age) if gr_anywhere => {
            info!(marker = %marker.path().display(), age_s = age.as_secs(),
                "graceful restart: the previous run did not withdraw its routes; OPENs carry the Restart State bit");
            true
        }
        marker::Previous::Restart(_) => {
            info!(
                "the previous run did not withdraw its routes, but no neighbour has graceful restart: a fresh start"
            );
            false
        }
        marker::Previous::TooOld(age) => {
            info!(marker = %marker.path().display(), age_s = age.as_secs(),
                "restart marker older than the restart time: peers have dropped our routes, a fresh start");
            false
        }
        marker::Previous::Fresh => false,
    };
    // The core's peers are the configuration's neighbours, in file order:
    // the sessions are spawned in the same order, so indices agree.
    let core = Core::new(Arc::new(cfg.clone()), Time::ZERO);
    let (bmp, mut bmp_rx) = bmp::Collectors::start(&cfg);
    let (unnumbered, mut nd_rx) = unnumbered::Unnumbered::new();
    let mut d = Daemon {
        unnumbered,
        bmp,
        restarting,
        dp_status: None,
        cfg: cfg.clone(),
        ev_tx,
        sessions: Vec::new(),
        listeners,
        peer_map,
        core,
        started: tokio::time::Instant::now(),
        epoch: convert::Epoch(std::time::SystemTime::now()),
        events: broadcast::channel(WATCH_BUFFER).0,
    };
    if restarting {
        let defer = Duration::from_secs(u64::from(cfg.bgp.graceful_restart.select_defer_time));
        let _ = d
            .input(Input::Command(Command::BeginRestart { defer }))
            .await;
    }
    for n in &cfg.neighbor {
        d.spawn_session(n).await;
    }
    d.restarting = false;
    d.publish();
    let (dp_tx, mut dp_rx, dp_flush) = match cfg.evpn.learn_from_kernel {
        true => {
            let h = start_dataplane(&cfg).await?;
            d.dp_status = Some(h.status);
            (Some(h.changes), Some(h.events), Some(h.flush_on_shutdown))
        }
        false => (None, None, None),
    };
    // The management API (and metrics): their jobs run in this loop, which owns the core.
    let (job_tx, mut job_rx) = mpsc::channel::<api::Job>(64);
    let backend = Arc::new(api::DaemonApi::new(job_tx, path.clone()));
    let sock_opts = evpnd_api::SocketOptions {
        mode: cfg.api.socket_mode.0,
        group: cfg.api.socket_group.clone(),
    };
    let listener = evpnd_api::bind_unix_with(&cfg.api.socket, &sock_opts)
        .await
        .map_err(|e| format!("management API: {e}"))?;
    info!(socket = %cfg.api.socket.display(), "management API listening");
    // Only now: a second instance on the same files has failed above and
    // must not have touched the marker of the running one.
    marker.write();
    let (stop_tx, stop_rx) = watch::channel(false);
    let api_router = evpnd_api::router(tonic::transport::Server::builder(), Arc::clone(&backend))
        .map_err(|e| format!("management API: {e}"))?;
    let mut stop = stop_rx.clone();
    tokio::spawn(async move {
        let done = async move {
            let _ = stop.changed().await;
        };
        if let Err(e) = api_router
            .serve_with_incoming_shutdown(evpnd_api::unix_incoming(listener), done)
            .await
        {
            error!("management API stopped: {e}");
        }
    });
    if let Some(ro) = &cfg.api.readonly_socket {
        let opts = evpnd_api::SocketOptions {
            mode: cfg.api.readonly_socket_mode.0,
            group: cfg.api.readonly_socket_group.clone(),
        };
        let mut stop = stop_rx.clone();
        let done = async move {
            let _ = stop.changed().await;
        };
        evpnd_api::spawn_readonly_unix(ro, &opts, Arc::clone(&backend), done)
            .await
            .map_err(|e| format!("read-only management API: {e}"))?;
        info!(socket = %ro.display(), "read-only management API listening");
    }
    if let Some(addr) = cfg.api.listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("management API: cannot listen on {addr}: {e}"))?;
        let tls = match (&cfg.api.tls_cert, &cfg.api.tls_key) {
            (Some(cert), Some(key)) => Some(evpnd_api::TlsConfig {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: cfg.api.client_ca.clone(),
            }),
            _ => None,
        };
        info!(%addr, tls = tls.is_some(), client_certificates = cfg.api.client_ca.is_some(), "management API on TCP");
        let mut stop = stop_rx.clone();
        let b = Arc::clone(&backend);
        tokio::spawn(async move {
            let done = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = evpnd_api::serve_tcp_on(l, tls, b, done).await {
                error!("management API on TCP stopped: {e}");
            }
        });
    }
    if let Some(addr) = cfg.metrics.listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("metrics: cannot listen on {addr}: {e}"))?;
        info!(%addr, "Prometheus metrics on /metrics");
        let mut stop = stop_rx.clone();
        let b = Arc::clone(&backend);
        tokio::spawn(async move {
            let done = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = evpnd_api::serve_metrics_on(l, b, done).await {
                error!("metrics server stopped: {e}");
            }
        });
    }

    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut refresh = tokio::time::interval(marker::REFRESH);
    // systemd (Type=notify): READY=1 now, or once the kernel's initial dump is in.
    let mut notifier = notify::Notifier::from_env(dp_rx.is_some());
    notifier.started(|| convert::status(&d.core.status()));
    loop {
        tokio::select! {
            Some(ev) = ev_rx.recv() => {
                let _ = d.input(Input::Peer(ev)).await;
            }
            Some(ev) = nd_rx.recv() => d.discovered(ev).await,
            ev = recv_local(&mut dp_rx) => match ev {
                Some(ev) => {
                    let synced = ev == LocalEvent::Synced;
                    let _ = d.input(Input::Local(ev)).await;
                    if synced {
                        notifier.kernel_synced(|| convert::status(&d.core.status()));
                    }
                }
                None => return Err("the dataplane (netlink) task stopped".into()),
            },
            Some(permit) = reserve(&dp_tx), if d.core.dataplane_pending() => {
                permit.send(d.core.take_dataplane());
            }
            _ = tick.tick() => {
                let _ = d.input(Input::Tick).await;
                notifier.tick(|| convert::status(&d.core.status()));
            }
            _ = refresh.tick() => marker.write(),
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                notifier.reloading();
                let _ = d.reload(&path).await;
                notifier.reloaded(|| convert::status(&d.core.status()));
            }
            Some(job) = job_rx.recv() => job(&mut d).await,
            Some(n) = bmp_rx.recv() => d.bmp.answer(&d.core, n),
        }
    }
    notifier.stopping();
    // The reloaded configuration decides (on_shutdown is applied live).
    let graceful = d.cfg.bgp.graceful_restart.on_shutdown == evpnd_config::OnShutdown::Graceful;
    if graceful {
        info!(
            restart_time = d.cfg.bgp.graceful_restart.restart_time,
            "shutting down gracefully: peers keep our routes for the restart time, kernel entries stay"
        );
        if let Some(f) = &dp_flush {
            f.store(false, std::sync::atomic::Ordering::SeqCst);
        }
        marker.write();
    } else {
        info!("shutting down: stopping sessions (peers withdraw our routes)");
        marker.remove();
    }
    let _ = stop_tx.send(true);
    let _ = std::fs::remove_file(&cfg.api.socket);
    for slot in d.sessions.iter().flatten() {
        let cmd = if graceful {
            PeerCommand::GracefulStop
        } else {
            PeerCommand::Stop
        };
        let _ = slot.tx.send(cmd.into()).await;
    }
    d.unnumbered.shutdown().await;
    d.bmp.close().await;
    // Give sessions a moment to send their Cease NOTIFICATIONs.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// Starts the linux task (netlink): kernel state in, desired entries out.
async fn start_dataplane(cfg: &Config) -> Result<evpnd_linux::LinuxHandle, String> {
    let mut pins: std::collections::HashMap<_, _> = cfg
        .evpn
        .vni
        .iter()
        .filter(|v| v.bridge.is_some() || v.vxlan_device.is_some() || v.svi.is_some())
        .map(|v| {
            let pins = evpnd_linux::layout::Pins {
                vxlan_device: v.vxlan_device.clone(),
                bridge: v.bridge.clone(),
                svi: v.svi.clone(),
            };
            (*v.vni.get_ref(), pins)
        })
        .collect();
    // An L3VNI's `svi` pins its L3 SVI (else: its VXLAN device's bridge).
    for v in &cfg.evpn.vrf {
        if let Some(svi) = &v.svi {
            let p: &mut evpnd_linux::layout::Pins = pins.entry(*v.l3vni.get_ref()).or_default();
            p.svi = Some(svi.clone());
        }
    }
    // Tenants that redistribute: their tables' routes are reported.
    let redistribute = cfg
        .evpn
        .vrf
        .iter()
        .filter(|v| !v.redistribute.is_empty())
        .filter_map(|v| match (&v.table, &v.vrf_device) {
            (Some(t), _) => Some(evpnd_linux::Redistribute::Table(t.id())),
            (None, Some(d)) => Some(evpnd_linux::Redistribute::VrfDevice(d.clone())),
            (None, None) => None,
        })
        .collect();
    let h = evpnd_linux::spawn(evpnd_linux::LinuxConfig {
        flush_on_shutdown: cfg.evpn.flush_on_shutdown,
        notify_buffer: usize::try_from(cfg.evpn.netlink_buffer).unwrap_or(usize::MAX),
        flood_ledger: Some(cfg.flood_state_file()),
        pins,
        redistribute,
        // Flood-and-learn VNIs expect data-plane learning (ADR 0031).
        learning_vnis: cfg
            .evpn
            .vni
            .iter()
            .filter(|v| !v.static_vteps.is_empty())
            .map(|v| *v.vni.get_ref())
            .collect(),
        ..evpnd_linux::LinuxConfig::default()
    })
    .await
    .map_err(|e| format!("cannot start the netlink dataplane (learn_from_kernel = true): {e}"))?;
    info!("netlink dataplane started");
    Ok(h)
}

async fn recv_local(rx: &mut Option<mpsc::Receiver<LocalEvent>>) -> Option<LocalEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Room in the channel to the linux task (never ready without one).
async fn reserve(
    tx: &Option<mpsc::Sender<Vec<DesiredChange>>>,
) -> Option<mpsc::Permit<'_, Vec<DesiredChange>>> {
    match tx {
        Some(tx) => tx.reserve().await.ok(),
        None => std::future::pending().await,
    }
}
