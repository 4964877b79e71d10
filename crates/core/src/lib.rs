//! `evpnd-core`: the daemon's decisions, sans-IO.
//!
//! One owner of the EVPN RIB. Sessions' reports (decoded UPDATEs, up/down,
//! End-of-RIB, route refresh), the kernel's reports (VNIs, local MACs and
//! neighbours), timer ticks and management commands come in through
//! [`Core::handle`], each with `now`; what must be done goes out:
//!
//! * [`Core::poll_output`]: commands for sessions (packed UPDATEs, one batch
//!   in flight per peer; shutdowns) and watch events;
//! * [`Core::take_dataplane`]: the desired dataplane changes, taken when the
//!   kernel side has room (level-triggered, so they may wait);
//! * views ([`view`]) answer queries and change nothing.
//!
//! No tokio, no channels, no sockets, no clock, no protobuf: the daemon
//! (`crates/evpnd`) carries inputs and outputs between its tasks, tests and
//! the simulated fabric drive it with virtual time.
//!
//! Where things are: receiving UPDATEs, loops, max-prefix ([`receive`]);
//! sessions up and down, graceful restart as helper ([`helper`]); as
//! restarting speaker ([`restart`]); best paths into the EVPN domain and
//! its outputs back ([`import`]); who is sent what ([`advertise`],
//! [`export`], [`packing`]); local routes from configuration and the API
//! ([`origin`]); management ([`control`]), queries ([`query`]), watchers
//! ([`watch`]).

pub mod advertise;
pub mod bmp;
pub mod control;
pub mod export;
pub mod helper;
pub mod import;
pub mod io;
pub mod origin;
pub mod packing;
mod peer;
pub mod policy;
pub mod query;
pub mod query_l3;
pub mod receive;
pub mod refusal;
pub mod restart;
pub mod route;
#[cfg(feature = "sim")]
pub mod sim;
pub mod time;
pub mod unicast;
pub mod view;
pub mod watch;

use std::collections::{HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use evpnd_config::Config;
use evpnd_evpn::{DesiredChange, Evpn};
use evpnd_rib::{BestChange, Interner, PeerId, Table};
use evpnd_session::messages::{PeerCommand, PeerEvent, PeerIndex};
use evpnd_wire::attr::PathAttribute;
use evpnd_wire::nlri::evpn::EvpnKey;
use tracing::debug;

pub use bmp::{BmpEvent, BmpPage};
pub use io::{Command, CoreError, Input, LocalRoute, Output, Reply, WatchEvent};
pub use route::{AttrSet, RouteEntry};
pub use time::Time;

use export::ExportCtx;
use peer::PeerSlot;

/// Path ids of local routes: one source each, so all can exist for one key.
pub mod path_id {
    /// Routes of the configuration (`[[evpn.vni]]` MACs, prefixes, IMET).
    pub const CONFIG: u32 = 0;
    /// Routes the EVPN domain originates from kernel state.
    pub const KERNEL: u32 = 1;
    /// Routes added over the API.
    pub const API: u32 = 2;
}

/// How long after start the dataplane waits for End-of-RIB from every peer
/// before it sweeps what the previous run left and BGP did not re-confirm.
pub const CONVERGE_DEADLINE: Duration = Duration::from_secs(120);

pub struct Core {
    cfg: Arc<Config>,
    peers: Vec<PeerSlot>,
    rib: Table<EvpnKey, RouteEntry>,
    /// IPv4/IPv6 unicast: its own table, installed routes (`unicast`).
    uni: unicast::Unicast,
    interner: Interner<Vec<PathAttribute>>,
    /// The Adj-RIB-Outs and what each peer is owed.
    advertiser: advertise::Advertiser,
    /// The EVPN domain: kernel-learned instances, import, mobility.
    evpn: Evpn,
    /// Desired dataplane changes not yet taken by the kernel side.
    dataplane: Vec<DesiredChange>,
    /// `DesiredChange::Converged` queued (or not needed: no kernel side).
    converged: bool,
    /// The kernel's initial dump is in (always, without a kernel side).
    local_synced: bool,
    started: Time,
    /// The time of the input being handled.
    now: Time,
    /// Configuration generation: 1 at start, +1 per applied reload.
    generation: u64,
    /// Bumped by every RIB change: API listings reuse their sorted key
    /// snapshot while it is unchanged.
    rib_version: u64,
    sorted_keys: std::cell::RefCell<Option<(u64, Arc<Vec<EvpnKey>>)>>,
    /// UPDATE messages received / sent (API counters).
    updates_in: u64,
    /// Routes added over the API (path id [`path_id::API`]).
    api_originated: HashSet<EvpnKey>,
    /// Someone watches: route and peer changes become [`Output::Watch`].
    watching: bool,
    /// After a restart: advertisement held back (`restart.rs`, ADR 0011).
    deferral: Option<restart::Deferral>,
    /// This run is a restart: the main table's routes of the previous run
    /// are adopted by the kernel side and stay as they are until BGP has
    /// converged (installing paths as each peer's arrive would flap an
    /// adopted ECMP route to one next hop and back).
    restarted: bool,
    outputs: VecDeque<Output>,
    /// Routes refused, by reason (`refusal.rs`).
    refusals: refusal::Refusals,
    /// Our own addresses: a route with one of them as next hop is refused.
    own_addresses: HashSet<std::net::IpAddr>,
    /// Import/export policies and the VTEP allow-list (`policy.rs`).
    policies: evpnd_policy::PolicySet,
    /// VNIs with an import policy (`policy.rs`).
    vni_imports: policy::VniImports,
    /// Remote best paths kept out of the kernel (VNI import policy, allow-list).
    held: policy::Held,
    /// `[[bmp]]` collectors are configured: [`Output::Bmp`] events are built.
    bmp: bool,
    /// One of them monitors the post-policy Adj-RIB-In.
    bmp_post: bool,
}

/// The addresses that are ours by configuration: router id, VTEP, update
/// sources and listen addresses (the kernel's VTEPs are added as reported).
fn own_addresses(cfg: &Config) -> HashSet<std::net::IpAddr> {
    let mut own: HashSet<std::net::IpAddr> =
        [std::net::IpAddr::V4(cfg.bgp.router_id), cfg.vtep_ip()].into();
    own.extend(cfg.neighbor.iter().filter_map(|n| n.update_source));
    own.extend(
        cfg.bgp
            .listen
            .iter()
            .map(|a| a.ip())
            .filter(|ip| !ip.is_unspecified()),
    );
    own
}

impl Core {
    /// A core for `cfg` at time `now`, with the configuration's neighbours
    /// as peers 0.. (in file order) and its local routes originated.
    pub fn new(cfg: Arc<Config>, now: Time) -> Core {
        let export_cx = ExportCtx {
            local_asn: cfg.asn(),
            cluster_id: cfg.cluster_id(),
        };
        let asn = cfg.asn();
        let peers: Vec<PeerSlot> = cfg
            .neighbor
            .iter()
            .map(|n| PeerSlot::new(n.clone(), asn))
            .collect();
        let export_cx = advertise::Advertiser::new(export_cx, peers.len());
        let mut core = Core {
            evpn: Evpn::new(Arc::clone(&cfg)),
            uni: unicast::Unicast::new(&cfg),
            converged: !cfg.evpn.learn_from_kernel,
            local_synced: !cfg.evpn.learn_from_kernel,
            cfg,
            peers,
            rib: Table::new(),
            interner: Interner::new(),
            advertiser: export_cx,
            dataplane: Vec::new(),
            started: now,
            now,
            generation: 1,
            rib_version: 0,
            sorted_keys: std::cell::RefCell::new(None),
            api_originated: HashSet::new(),
            updates_in: 0,
            watching: false,
            deferral: None,
            restarted: false,
            outputs: VecDeque::new(),
            refusals: refusal::Refusals::default(),
            own_addresses: HashSet::new(),
            policies: evpnd_policy::PolicySet::default(),
            vni_imports: Vec::new(),
            held: policy::Held::default(),
            bmp: false,
            bmp_post: false,
        };
        core.bmp = !core.cfg.bmp.is_empty();
        core.bmp_post = bmp::wants_post_policy(&core.cfg);
        core.policies = policy::compile(&core.cfg);
        core.vni_imports = policy::vni_imports(&core.cfg, &core.policies);
        core.own_addresses = own_addresses(&core.cfg);
        core.originate_config();
        core.warn_unicast_without_kernel();
        core.originate_unicast();
        core
    }

    /// The one entry point: something happened at `now`.
    pub fn handle(&mut self, now: Time, input: Input) -> Result<Reply, CoreError> {
        self.now = self.now.max(now);
        match input {
            Input::Peer(ev) => {
                self.peer_event(ev);
                Ok(Reply::Done)
            }
            Input::Local(ev) => {
                self.local_event(ev);
                Ok(Reply::Done)
            }
            Input::Tick => {
                self.tick();
                Ok(Reply::Done)
            }
            Input::Command(c) => self.command(c),
        }
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Whether desired dataplane changes wait for the kernel side.
    pub fn dataplane_pending(&self) -> bool {
        !self.dataplane.is_empty()
    }

    /// The desired dataplane changes so far, in order.
    pub fn take_dataplane(&mut self) -> Vec<DesiredChange> {
        std::mem::take(&mut self.dataplane)
    }

    /// Watchers come and go: events are only built while someone watches
    /// (a 1M-route burst costs nothing without watchers).
    pub fn set_watching(&mut self, on: bool) {
        self.watching = on;
    }

    /// The earliest time a [`Input::Tick`] has something to do (graceful
    /// restart timers, the deferral, the convergence deadline). Duplicate
    /// MAC aging needs a tick a second while MACs are tracked.
    pub fn poll_timeout(&self) -> Option<Time> {
        let stale = self.peers.iter().filter_map(|p| p.stale.deadline());
        let converge = (!self.converged).then(|| self.started + CONVERGE_DEADLINE);
        let defer = self.deferral.as_ref().map(|d| d.until);
        stale.chain(converge).chain(defer).min()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn peer_id(i: PeerIndex) -> PeerId {
        PeerId(i + 1)
    }

    fn send(&mut self, peer: PeerIndex, command: PeerCommand) {
        self.outputs.push_back(Output::Peer { peer, command });
    }

    fn peer_event(&mut self, ev: PeerEvent) {
        match ev {
            PeerEvent::Up {
                peer,
                negotiated,
                transport,
            } => {
                if let Some(p) = self.peers.get_mut(peer as usize) {
                    p.local = transport.as_ref().map(|t| t.local.ip().to_canonical());
                    if let Some(t) = &transport {
                        p.remote = Some(t.remote.ip());
                    }
                }
                self.peer_up(peer, negotiated);
                self.bmp_peer_up(peer, transport);
            }
            PeerEvent::Down {
                peer,
                reason,
                keep_routes,
                notification,
            } => {
                self.bmp_peer_down(peer, notification.as_ref(), false);
                self.peer_down(peer, &reason, keep_routes, notification)
            }
            PeerEvent::Update { peer, update } => {
                self.updates_in += 1;
                self.bmp_received(peer, &update);
                self.update(peer, update)
            }
            PeerEvent::RouteRefresh {
                peer,
                family,
                subtype,
            } => self.route_refresh(peer, family, subtype),
            PeerEvent::State { peer, state } => {
                if let Some(p) = self.peers.get_mut(peer as usize) {
                    p.fsm_state = state;
                }
            }
            PeerEvent::Drained { peer } => {
                self.advertiser.drained(peer);
                self.flush(peer);
            }
        }
    }

    /// Timers: convergence deadline, deferral, duplicate aging, stale sweeps.
    fn tick(&mut self) {
        self.check_converged();
        self.check_deferral();
        self.evpn.tick(self.now_secs());
        self.apply(Vec::new());
        self.sweep_expired_stale();
    }

    fn now_secs(&self) -> u64 {
        self.now.since(self.started).as_secs()
    }

    /// Runs the consequences of RIB changes: watchers, Adj-RIB-Outs, the
    /// EVPN domain (whose own routes come back as more changes), then
    /// flushes every peer.
    fn apply(&mut self, mut changes: Vec<(EvpnKey, BestChange<RouteEntry>)>) {
        let mut touched = false;
        loop {
            for (k, c) in changes {
                match &c {
                    BestChange::Unchanged => continue,
                    BestChange::NewBest(p) => {
                        debug!(route = %p.attrs.route, next_hop = %p.attrs.next_hop, from = p.peer.0, seq = p.rank.mobility_seq, sticky = p.rank.sticky, "best path changed")
                    }
                    BestChange::Withdrawn => debug!(key = ?k, "route withdrawn"),
                }
                self.emit_route(&k, &c);
                self.bmp_best(&k, &c);
                self.export(&k);
                self.import(&k);
                touched = true;
                self.rib_version += 1;
            }
            // What the EVPN domain originated or withdrew in reaction goes
            // through the RIB too.
            changes = self.evpn_outputs();
            if changes.is_empty() {
                break;
            }
        }
        if touched {
            self.flush_all();
        }
        // Every change is marked in the Adj-RIB-Outs: ids of destinations
        // gone may be reused now (a reused id is withdrawn first, rib::out).
        self.rib.recycle();
        self.interner.purge_if_large();
    }
}

/// A negotiated iBGP L2VPN/EVPN session for tests; `gr`: graceful restart
/// with that Restart State bit (and F for EVPN), or none.
pub fn test_negotiated(router_id: Ipv4Addr, gr: Option<bool>) -> evpnd_session::Negotiated {
    use evpnd_wire::Family;
    evpnd_session::Negotiated {
        peer_asn: 65000,
        peer_router_id: router_id,
        hold_time: 90,
        keepalive: 30,
        four_octet_as: true,
        families: vec![Family::L2VPN_EVPN],
        route_refresh: true,
        enhanced_route_refresh: false,
        extended_message: false,
        add_path_rx: vec![],
        extended_next_hop: vec![],
        graceful_restart: gr.map(|restarting| evpnd_session::negotiate::PeerGr {
            restart_time: 120,
            restarting,
            notification: true,
            families: vec![(Family::L2VPN_EVPN, true)],
        }),
        ibgp: true,
    }
}
