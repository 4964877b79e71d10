//! The core task: sole owner of the EVPN RIB. Sessions send it decoded
//! UPDATEs and state changes; it runs best path, decides what each peer
//! should have (split horizon, reflection, eBGP rewriting) and hands each
//! session packed UPDATEs when it has room. One owner, no locks.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use evpnd_config::{Config, Neighbor};
use evpnd_evpn::{DesiredChange, Evpn, LocalEvent, Output, RemoteRoute};
use evpnd_rib::{AdjOut, BestChange, Interner, Path, PeerId, Rank, Table};
use evpnd_session::driver::{PeerCommand, PeerEvent, PeerIndex};
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::attr::{AttrValue, ExtCommunity, MpNlri, PathAttribute, TunnelId, code};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::update::Update;
use evpnd_wire::{Action, Family, NotifyError};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};
use tracing::{debug, info, warn};

mod advertise;
mod control;
mod local;
mod query;
mod restart;
mod watch;

use crate::export::ExportCtx;
use crate::route::{AttrSet, RouteEntry};
use advertise::OutRoute;

struct PeerSlot {
    cfg: Neighbor,
    ibgp: bool,
    tx: mpsc::Sender<PeerCommand>,
    up: Option<Negotiated>,
    /// What the peer was sent, by route id, and which ids to re-evaluate.
    out: AdjOut<OutRoute>,
    /// A batch is with the session and not yet written.
    in_flight: bool,
    /// End-of-RIB still owed after the initial table.
    eor_pending: bool,
    /// Graceful restart: when the peer's stale routes are swept if it has not
    /// re-sent them (restart time while down, stale-routes time once back up).
    stale_until: Option<Instant>,
    /// max-prefix already tripped for this session.
    over_limit: bool,
    /// End-of-RIB received since evpnd started (dataplane sweep waits for it).
    eor_seen: bool,
    /// End-of-RIB received in the current session (restart deferral waits for it).
    eor_rx: bool,
    /// Removed from the configuration (the slot stays: indices are stable).
    removed: bool,
    /// When the session last reached Established.
    up_since: Option<Instant>,
    /// Why the session last went down.
    last_error: String,
    /// The session's FSM state as last reported.
    fsm_state: evpnd_session::fsm::State,
}

impl PeerSlot {
    fn new(cfg: Neighbor, tx: mpsc::Sender<PeerCommand>, local_asn: u32) -> PeerSlot {
        PeerSlot {
            ibgp: cfg.remote_asn == local_asn,
            cfg,
            tx,
            up: None,
            out: AdjOut::new(),
            in_flight: false,
            eor_pending: false,
            stale_until: None,
            over_limit: false,
            eor_seen: false,
            eor_rx: false,
            removed: false,
            up_since: None,
            last_error: String::new(),
            fsm_state: evpnd_session::fsm::State::Idle,
        }
    }
}

pub struct Core {
    cfg: Arc<Config>,
    peers: Vec<PeerSlot>,
    rib: Table<EvpnKey, RouteEntry>,
    interner: Interner<Vec<PathAttribute>>,
    export_cx: ExportCtx,
    /// Rewritten attribute sets per (incoming set, export kind, source router
    /// id), so packing can
    /// group by pointer. Holds the incoming set too, so its address stays unique.
    out_cache: HashMap<(usize, u8, Ipv4Addr), (AttrSet, AttrSet)>,
    /// The EVPN domain: kernel-learned instances, import, mobility.
    evpn: Evpn,
    /// Desired dataplane changes not yet taken by the linux task.
    dataplane: Vec<DesiredChange>,
    /// `DesiredChange::Converged` sent (or not needed: no linux task).
    converged: bool,
    /// The linux task's initial dump is in (always, without one).
    local_synced: bool,
    started: Instant,
    /// Configuration generation: 1 at start, +1 per applied reload.
    generation: u64,
    /// Bumped by every RIB change: API listings reuse their sorted key
    /// snapshot while it is unchanged.
    rib_version: u64,
    sorted_keys: std::cell::RefCell<Option<(u64, std::sync::Arc<Vec<EvpnKey>>)>>,
    /// UPDATE messages received / sent (API counters).
    updates_in: u64,
    updates_out: u64,
    /// Routes added over the API (path id [`local::API_PATH`]).
    api_originated: std::collections::HashSet<EvpnKey>,
    /// Peer and route changes for API watchers.
    events: tokio::sync::broadcast::Sender<evpnd_api::pb::watch_response::Event>,
    /// After a restart: advertisement held back (`restart.rs`, ADR 0011).
    deferral: Option<restart::Deferral>,
}

/// Path id of the routes the EVPN domain originates from kernel state (the
/// configuration's own local routes use 0), so both can exist for one key.
const KERNEL_PATH: u32 = 1;

/// How long after start the dataplane waits for End-of-RIB from every peer
/// before it sweeps what the previous run left and BGP did not re-confirm.
const CONVERGE_DEADLINE: Duration = Duration::from_secs(120);

/// What the EVPN domain needs of a remote best path.
fn remote_route(e: &RouteEntry, rank: &Rank) -> RemoteRoute {
    let mut rts = Vec::new();
    let mut ir_endpoint = None;
    for a in e.attrs.iter() {
        match &a.value {
            AttrValue::ExtCommunities(c) => rts.extend(c.iter().filter_map(|c| match c {
                ExtCommunity::RouteTarget { value } => Some(*value),
                _ => None,
            })),
            // Ingress replication (RFC 6514 tunnel type 6) only.
            AttrValue::PmsiTunnel(p) if p.tunnel_type == 6 => {
                if let TunnelId::Ip(ip) = p.tunnel_id {
                    ir_endpoint = Some(ip);
                }
            }
            _ => {}
        }
    }
    RemoteRoute {
        route: e.route.clone(),
        next_hop: e.next_hop,
        rts,
        seq: rank.mobility_seq,
        sticky: rank.sticky,
        ir_endpoint,
    }
}

fn rank_for(entry: &RouteEntry, u: &Update, peer: &PeerSlot, n: &Negotiated) -> Rank {
    let (mobility_seq, sticky) = u.mac_mobility().unwrap_or((0, false));
    let as_path = u.as_path();
    Rank {
        stale: false,
        sticky,
        mobility_seq,
        local: false,
        local_pref: if peer.ibgp {
            u.local_pref().unwrap_or(100)
        } else {
            100
        },
        as_path_len: as_path.map_or(0, |p| p.length()),
        origin: u.origin().map_or(2, |o| o.code()),
        med: u.med().unwrap_or(0),
        neighbor_as: as_path.and_then(|p| p.first_as()),
        ebgp: !peer.ibgp,
        cluster_list_len: u.cluster_list().len() as u32,
        originator_id: u.originator_id().unwrap_or(n.peer_router_id),
        peer_addr: *peer.cfg.address.get_ref(),
    }
    .with_route(&entry.route)
}

trait WithRoute {
    fn with_route(self, r: &EvpnRoute) -> Self;
}

impl WithRoute for Rank {
    /// Mobility rules only apply to MAC/IP routes.
    fn with_route(mut self, r: &EvpnRoute) -> Self {
        if !matches!(r, EvpnRoute::MacIp(_)) {
            self.mobility_seq = 0;
            self.sticky = false;
        }
        self
    }
}

impl Core {
    pub fn new(cfg: Arc<Config>, peers: Vec<(Neighbor, mpsc::Sender<PeerCommand>)>) -> Core {
        let export_cx = ExportCtx {
            local_asn: cfg.asn(),
            cluster_id: cfg.cluster_id(),
        };
        let asn = cfg.asn();
        let peers = peers
            .into_iter()
            .map(|(n, tx)| PeerSlot::new(n, tx, asn))
            .collect();
        Core {
            evpn: Evpn::new(Arc::clone(&cfg)),
            converged: !cfg.evpn.learn_from_kernel,
            local_synced: !cfg.evpn.learn_from_kernel,
            cfg,
            peers,
            rib: Table::new(),
            interner: Interner::new(),
            export_cx,
            out_cache: HashMap::new(),
            dataplane: Vec::new(),
            started: Instant::now(),
            generation: 1,
            rib_version: 0,
            sorted_keys: std::cell::RefCell::new(None),
            api_originated: std::collections::HashSet::new(),
            updates_in: 0,
            updates_out: 0,
            events: tokio::sync::broadcast::channel(watch::WATCH_BUFFER).0,
            deferral: None,
        }
    }

    fn peer_id(i: PeerIndex) -> PeerId {
        PeerId(i + 1)
    }

    /// Installs the routes originated from configuration.
    pub fn originate(&mut self, routes: Vec<RouteEntry>) {
        for r in routes {
            let (key, path) = self.local_path(r, 0, (0, false));
            self.rib.insert(key.clone(), path);
            self.export(&key);
        }
    }

    /// A reload was applied.
    pub fn bump_generation(&mut self) {
        self.generation += 1;
    }

    /// Reload: a new neighbour (its session task is already started).
    pub fn add_peer(&mut self, n: Neighbor, tx: mpsc::Sender<PeerCommand>) -> PeerIndex {
        self.peers.push(PeerSlot::new(n, tx, self.cfg.asn()));
        (self.peers.len() - 1) as PeerIndex
    }

    /// Reload: a neighbour removed (or about to be replaced): its routes go now.
    /// The slot stays (indices are stable) but is never used again.
    pub async fn remove_peer(&mut self, peer: PeerIndex) {
        self.peer_down(peer, "neighbor removed from the configuration", false)
            .await;
        if let Some(slot) = self.peers.get_mut(peer as usize) {
            slot.cfg.enabled = false;
            slot.removed = true;
            // Drop our handle on the old session so its task ends.
            slot.tx = mpsc::channel(1).0;
        }
    }

    /// Reload: settings that apply to a live session (description, max-prefix,
    /// route-reflector client); what the peer should have is re-evaluated.
    pub async fn update_peer(&mut self, peer: PeerIndex, n: Neighbor) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        slot.cfg = n;
        self.export_all_to(peer);
        self.flush(peer).await;
    }

    /// Reload: replaces the locally originated routes (VNIs, static MACs, prefixes).
    pub async fn set_local_routes(&mut self, routes: Vec<RouteEntry>) {
        let keep: std::collections::HashSet<EvpnKey> =
            routes.iter().map(|r| r.route.key()).collect();
        let stale: Vec<EvpnKey> = self
            .rib
            .iter_best()
            .filter(|(k, p)| p.peer == PeerId::LOCAL && p.path_id == 0 && !keep.contains(k))
            .map(|(k, _)| k)
            .collect();
        let mut changes: Vec<(EvpnKey, BestChange<RouteEntry>)> = stale
            .into_iter()
            .map(|k| (k.clone(), self.rib.remove(&k, PeerId::LOCAL, 0)))
            .collect();
        for r in routes {
            let (key, path) = self.local_path(r, 0, (0, false));
            changes.push((key.clone(), self.rib.insert(key, path)));
        }
        self.apply(changes).await;
    }

    fn local_path(
        &mut self,
        mut r: RouteEntry,
        path_id: u32,
        (mobility_seq, sticky): (u32, bool),
    ) -> (EvpnKey, Path<RouteEntry>) {
        r.attrs = self.interner.intern((*r.attrs).clone());
        let rank = Rank {
            local: true,
            mobility_seq,
            sticky,
            originator_id: self.cfg.bgp.router_id,
            ..Rank::default()
        }
        .with_route(&r.route);
        (
            r.route.key(),
            Path {
                peer: PeerId::LOCAL,
                path_id,
                attrs: Arc::new(r),
                rank,
            },
        )
    }

    pub async fn handle(&mut self, ev: PeerEvent) {
        match ev {
            PeerEvent::Up { peer, negotiated } => self.peer_up(peer, negotiated).await,
            PeerEvent::Down {
                peer,
                reason,
                keep_routes,
            } => self.peer_down(peer, &reason, keep_routes).await,
            PeerEvent::Update { peer, update } => {
                self.updates_in += 1;
                self.update(peer, update).await
            }
            PeerEvent::RouteRefresh { peer, refresh } => {
                if let Some(p) = self.peers.get_mut(peer as usize)
                    && refresh.family == Family::L2VPN_EVPN
                    && refresh.subtype == 0
                {
                    p.out.requeue_all();
                    info!(peer = %p.cfg.address.get_ref(), routes = p.out.pending_len(), "route refresh: re-sending the Adj-RIB-Out");
                }
                self.flush(peer).await;
            }
            PeerEvent::State { peer, state } => {
                if let Some(p) = self.peers.get_mut(peer as usize) {
                    p.fsm_state = state;
                }
            }
            PeerEvent::Drained { peer } => {
                if let Some(p) = self.peers.get_mut(peer as usize) {
                    p.in_flight = false;
                }
                self.flush(peer).await;
            }
        }
    }

    async fn peer_up(&mut self, peer: PeerIndex, n: Negotiated) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        if let Some(g) = &n.graceful_restart {
            let forwarding: Vec<String> = g
                .families
                .iter()
                .filter(|(_, f)| *f)
                .map(|(f, _)| f.to_string())
                .collect();
            info!(peer = %slot.cfg.address.get_ref(), restart_state = g.restarting, notification = g.notification,
                forwarding = ?forwarding, restart_time = g.restart_time, "peer graceful restart capability");
        }
        slot.up = Some(n);
        slot.up_since = Some(Instant::now());
        slot.over_limit = false;
        slot.out.clear();
        slot.eor_pending = true;
        slot.eor_rx = false;
        slot.in_flight = false;
        // RFC 4724 §4.2: back without L2VPN/EVPN in its graceful-restart
        // capability, or without the Forwarding State bit for it, the peer
        // kept nothing of its old routes: the stale ones go now.
        let forwarding = slot
            .up
            .as_ref()
            .and_then(|n| n.graceful_restart.as_ref())
            .is_some_and(|g| {
                g.families
                    .iter()
                    .any(|(f, fwd)| *f == Family::L2VPN_EVPN && *fwd)
            });
        let mut dropped = Vec::new();
        if slot.stale_until.is_some() && !forwarding {
            slot.stale_until = None;
            dropped = self.rib.sweep_stale(Self::peer_id(peer));
            info!(peer = %slot.cfg.address.get_ref(), routes = dropped.len(),
                "peer came back without preserved forwarding for l2vpn-evpn (no F bit, or no graceful restart): stale routes removed");
        } else if slot.stale_until.is_some() {
            // Back before the restart timer ran out: wait for its End-of-RIB, bounded.
            let t = u64::from(self.cfg.bgp.graceful_restart.stale_routes_time);
            slot.stale_until = Some(Instant::now() + Duration::from_secs(t));
        }
        self.apply(dropped).await;
        self.export_all_to(peer);
        self.flush(peer).await;
        self.emit_peer(peer as usize);
        self.deferral_peer_up();
        self.check_deferral(Instant::now()).await;
    }

    async fn peer_down(&mut self, peer: PeerIndex, reason: &str, keep_routes: bool) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        // Helper mode (RFC 4724 §4.2): keep the routes for the restart time the peer advertised.
        let restart_time = slot
            .up
            .as_ref()
            .and_then(|n| n.graceful_restart.as_ref())
            .map_or(0, |g| g.restart_time);
        slot.stale_until =
            keep_routes.then(|| Instant::now() + Duration::from_secs(u64::from(restart_time)));
        slot.up = None;
        slot.up_since = None;
        slot.last_error = reason.to_string();
        slot.out.clear();
        slot.in_flight = false;
        let id = Self::peer_id(peer);
        let changes = if keep_routes {
            self.rib.mark_stale(id)
        } else {
            self.rib.remove_peer(id)
        };
        info!(peer = %slot.cfg.address.get_ref(), routes_changed = changes.len(), keep_routes, "peer down: {reason}");
        self.apply(changes).await;
        self.emit_peer(peer as usize);
        // It is no longer waited for.
        self.check_deferral(Instant::now()).await;
    }

    /// Sweeps the stale routes of peers whose graceful-restart time ran out.
    pub async fn tick(&mut self, now: Instant) {
        self.check_converged();
        self.check_deferral(now).await;
        let secs = self.now_secs();
        self.evpn.tick(secs);
        self.apply(Vec::new()).await;
        for i in 0..self.peers.len() {
            if self.peers[i].stale_until.is_some_and(|t| t <= now) {
                self.peers[i].stale_until = None;
                let changes = self.rib.sweep_stale(Self::peer_id(i as PeerIndex));
                info!(peer = %self.peers[i].cfg.address.get_ref(), routes = changes.len(), "graceful restart timer expired: stale routes removed");
                self.apply(changes).await;
            }
        }
    }

    async fn update(&mut self, peer: PeerIndex, u: Update) {
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let Some(n) = slot.up.clone() else { return };
        let id = Self::peer_id(peer);
        if let Some(f) = u.is_end_of_rib() {
            debug!(peer = %slot.cfg.address.get_ref(), family = %f, "End-of-RIB");
            self.peers[peer as usize].stale_until = None;
            self.peers[peer as usize].eor_seen = true;
            self.peers[peer as usize].eor_rx = true;
            self.check_converged();
            let changes = self.rib.sweep_stale(id);
            self.apply(changes).await;
            self.check_deferral(Instant::now()).await;
            return;
        }
        // RFC 4271 §6.3, RFC 7606 §7.2: an eBGP peer's AS_PATH starts with
        // its own AS, else the UPDATE is treated as a withdrawal.
        let first_as = u.as_path().and_then(|p| p.first_as());
        let bad_first_as =
            !slot.ibgp && u.mp_reach().is_some() && first_as != Some(slot.cfg.remote_asn);
        if bad_first_as {
            warn!(peer = %slot.cfg.address.get_ref(), first_as = ?first_as, remote_asn = slot.cfg.remote_asn,
                "AS_PATH does not start with the peer's AS: routes treated as withdrawn (RFC 7606 §7.2)");
        }
        let withdraw_all = u.verdict() == Some(Action::TreatAsWithdraw) || bad_first_as;
        let looped = self.is_loop(&u, slot.ibgp);
        let mut changes = Vec::new();
        if let Some(mp) = u.mp_unreach()
            && let MpNlri::Evpn(routes) = &mp.nlri
        {
            for r in routes {
                let key = r.route.key();
                let path_id = r.path_id.unwrap_or(0);
                changes.push((key.clone(), self.rib.remove(&key, id, path_id)));
            }
        }
        if let Some(mp) = u.mp_reach()
            && let MpNlri::Evpn(routes) = &mp.nlri
        {
            let next_hop = mp.next_hop.ip();
            let attrs: Vec<PathAttribute> = u
                .attributes
                .iter()
                .filter(|a| {
                    a.type_code() != code::MP_REACH_NLRI && a.type_code() != code::MP_UNREACH_NLRI
                })
                .cloned()
                .collect();
            let attrs = self.interner.intern(attrs);
            let slot = &self.peers[peer as usize];
            for r in routes {
                let key = r.route.key();
                let path_id = r.path_id.unwrap_or(0);
                match (withdraw_all || looped, next_hop) {
                    (false, Some(nh)) => {
                        let entry = RouteEntry {
                            route: r.route.clone(),
                            next_hop: nh,
                            attrs: Arc::clone(&attrs),
                        };
                        let rank = rank_for(&entry, &u, slot, &n);
                        let path = Path {
                            peer: id,
                            path_id,
                            attrs: Arc::new(entry),
                            rank,
                        };
                        changes.push((key.clone(), self.rib.insert(key, path)));
                    }
                    _ => changes.push((key.clone(), self.rib.remove(&key, id, path_id))),
                }
            }
        }
        self.apply(changes).await;
        self.check_max_prefix(peer).await;
    }

    /// RFC 4486: past `max_prefix.limit` accepted routes the session is closed
    /// with Cease / Maximum Number of Prefixes Reached (data: AFI, SAFI,
    /// limit), or only logged with `warning_only`.
    async fn check_max_prefix(&mut self, peer: PeerIndex) {
        let accepted = self.rib.peer_path_count(Self::peer_id(peer));
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        let Some(mp) = slot.cfg.max_prefix.clone() else {
            return;
        };
        if accepted <= mp.limit as usize || slot.over_limit {
            return;
        }
        slot.over_limit = true;
        warn!(peer = %slot.cfg.address.get_ref(), accepted, limit = mp.limit, "maximum prefix limit exceeded");
        if mp.warning_only {
            return;
        }
        let mut data = vec![0, 25, 70];
        data.extend_from_slice(&mp.limit.to_be_bytes());
        let notify = NotifyError::new(
            evpnd_wire::error::code::CEASE,
            evpnd_wire::error::subcode::MAXIMUM_PREFIXES_REACHED,
            data,
            format!("more than {} routes received (max_prefix)", mp.limit),
        );
        let restart_after = mp.restart_after.map(|s| Duration::from_secs(u64::from(s)));
        let _ = slot
            .tx
            .send(PeerCommand::Shutdown {
                notify,
                restart_after,
            })
            .await;
    }

    /// RFC 4456 §8 and RFC 4271 §9.1.2: our own routes coming back are ignored.
    fn is_loop(&self, u: &Update, ibgp: bool) -> bool {
        if u.originator_id() == Some(self.cfg.bgp.router_id)
            || u.cluster_list().contains(&self.cfg.cluster_id())
        {
            return true;
        }
        !ibgp && u.as_path().is_some_and(|p| p.contains(self.cfg.asn()))
    }

    async fn apply(&mut self, mut changes: Vec<(EvpnKey, BestChange<RouteEntry>)>) {
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
            for i in 0..self.peers.len() {
                self.flush(i as PeerIndex).await;
            }
        }
        // Every change is marked in the Adj-RIB-Outs: ids of destinations
        // gone may be reused now (a reused id is withdrawn first, rib::out).
        self.rib.recycle();
        self.interner.purge_if_large();
    }

    fn now_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Hands the EVPN domain the new best path of `key` (when remote).
    fn import(&mut self, key: &EvpnKey) {
        if !self.evpn.has_instances() {
            return;
        }
        let remote = self
            .rib
            .best(key)
            .filter(|p| p.peer != PeerId::LOCAL)
            .map(|p| remote_route(&p.attrs, &p.rank));
        let now = self.now_secs();
        self.evpn.remote_best(key, remote, now);
    }

    /// Turns the EVPN domain's outputs into RIB changes (its routes) and
    /// queued dataplane changes.
    fn evpn_outputs(&mut self) -> Vec<(EvpnKey, BestChange<RouteEntry>)> {
        let mut changes = Vec::new();
        loop {
            let outs = self.evpn.take_outputs();
            if outs.is_empty() {
                return changes;
            }
            for o in outs {
                match o {
                    Output::Originate(o) => {
                        let entry = RouteEntry {
                            route: o.route,
                            next_hop: o.next_hop,
                            attrs: Arc::new(o.attrs),
                        };
                        let (key, path) = self.local_path(entry, KERNEL_PATH, (o.seq, o.sticky));
                        changes.push((key.clone(), self.rib.insert(key, path)));
                    }
                    Output::Withdraw(key) => {
                        let c = self.rib.remove(&key, PeerId::LOCAL, KERNEL_PATH);
                        changes.push((key, c));
                    }
                    Output::Dataplane(d) => self.dataplane.push(d),
                    Output::Reimport => {
                        let now = self.now_secs();
                        let remote: Vec<(EvpnKey, RemoteRoute)> = self
                            .rib
                            .iter_best()
                            .filter(|(_, p)| p.peer != PeerId::LOCAL)
                            .map(|(k, p)| (k, remote_route(&p.attrs, &p.rank)))
                            .collect();
                        for (k, r) in remote {
                            self.evpn.remote_best(&k, Some(r), now);
                        }
                    }
                }
            }
        }
    }

    /// Kernel state from the linux task.
    pub async fn local_event(&mut self, ev: LocalEvent) {
        let now = self.now_secs();
        let synced = ev == LocalEvent::Synced;
        self.evpn.local_event(ev, now);
        self.apply(Vec::new()).await;
        if synced && !self.local_synced {
            // Everything local is in the Adj-RIB-Outs now: End-of-RIB may go.
            self.local_synced = true;
            for i in 0..self.peers.len() {
                self.flush(i as PeerIndex).await;
            }
        }
    }

    /// Whether dataplane changes wait for the linux task.
    pub fn dataplane_pending(&self) -> bool {
        !self.dataplane.is_empty()
    }

    pub fn take_dataplane(&mut self) -> Vec<DesiredChange> {
        std::mem::take(&mut self.dataplane)
    }

    /// Once every enabled peer has sent End-of-RIB (or the deadline passed),
    /// the linux task may sweep leftovers of a previous run.
    fn check_converged(&mut self) {
        if self.converged {
            return;
        }
        let all_eor = self
            .peers
            .iter()
            .filter(|p| p.cfg.enabled)
            .all(|p| p.eor_seen);
        if all_eor || self.started.elapsed() >= CONVERGE_DEADLINE {
            info!(
                all_eor,
                "BGP converged: the dataplane may sweep entries not re-learned"
            );
            self.converged = true;
            self.dataplane.push(DesiredChange::Converged);
        }
    }
}

/// A negotiated iBGP L2VPN/EVPN session for the core's unit tests; `gr`:
/// graceful restart with that Restart State bit (and F for EVPN), or none.
#[cfg(test)]
fn test_negotiated(router_id: &str, gr: Option<bool>) -> Negotiated {
    Negotiated {
        peer_asn: 65000,
        peer_router_id: router_id.parse().expect("ip"),
        hold_time: 90,
        keepalive: 30,
        four_octet_as: true,
        families: vec![Family::L2VPN_EVPN],
        route_refresh: true,
        enhanced_route_refresh: false,
        extended_message: false,
        add_path_rx: vec![],
        graceful_restart: gr.map(|restarting| evpnd_session::negotiate::PeerGr {
            restart_time: 120,
            restarting,
            notification: true,
            families: vec![(Family::L2VPN_EVPN, true)],
        }),
        ibgp: true,
    }
}
