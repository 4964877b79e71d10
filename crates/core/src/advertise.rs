//! What each peer is sent. The [`Advertiser`] owns the Adj-RIB-Outs: keyed
//! by the RIB's route ids, holding only what was sent (ADR 0013). A change
//! marks the route's id in every established peer's Adj-RIB-Out; what the
//! peer should have is worked out when it has room for a batch (one batch in
//! flight per peer, ADR 0004), from the best path at that moment (split
//! horizon, reflection, eBGP rewriting).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_rib::{AdjOut, OutValue, PeerId, Table};
use evpnd_session::messages::{PeerCommand, PeerIndex};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnNlri};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use tracing::debug;

use crate::Core;
use crate::export::{self, ExportCtx, Side};
use crate::packing::{key_to_nlri, pack};
use crate::peer::PeerSlot;
use crate::policy::route_view;
use crate::route::{AttrSet, RouteEntry};
use crate::unicast::export::{SelfNextHop, UniOut};
use crate::unicast::{self, UnicastEntry, is_unicast};
use evpnd_policy::{Attributes, Direction, PolicySet};
use ipnet::IpNet;

/// Routes re-evaluated per batch (bounded so one peer cannot hog the core).
const BATCH: usize = 2000;

/// Rewritten attribute sets kept for packing before the cache is cleared.
const OUT_CACHE_MAX: usize = 65536;

/// An entry of a peer's Adj-RIB-Out: the RIB's own route entry (shared, not
/// copied: it is most of the per-route memory) and the attributes it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRoute {
    pub entry: Arc<RouteEntry>,
    pub attrs: AttrSet,
}

impl OutValue for OutRoute {
    fn same_destination(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entry, &other.entry) || self.entry.route.key() == other.entry.route.key()
    }
}

/// A peer's sending side while its session is up.
#[derive(Debug)]
struct Sending {
    /// How UPDATEs to it are encoded (4-octet AS, message size, ADD-PATH).
    ctx: Context,
    /// End-of-RIB still owed after the initial table, per family.
    eor_owed: Vec<Family>,
    /// A batch is with the session and not yet written.
    in_flight: bool,
    /// The session negotiated IPv4 or IPv6 unicast.
    unicast: bool,
    /// Our next hops towards the peer (unicast next hop self).
    self_nh: SelfNextHop,
}

/// One peer's Adj-RIB-Out and sending state.
#[derive(Default)]
pub(crate) struct PeerOut {
    pub adj: AdjOut<OutRoute>,
    /// The unicast Adj-RIB-Out (ids of the unicast table).
    pub uni: AdjOut<UniOut>,
    sending: Option<Sending>,
}

/// The Adj-RIB-Outs of every peer (indexed like the core's peers) and the
/// cache of rewritten attribute sets.
pub(crate) struct Advertiser {
    outs: Vec<PeerOut>,
    /// Rewritten attribute sets per (incoming set, export kind, source
    /// router id), so packing can group by pointer. Holds the incoming set
    /// too, so its address stays unique.
    cache: RewriteCache,
    /// Attribute sets a peer's export policy changed, per (rewritten set,
    /// peer): routes the policy changed alike still share one set. The
    /// policy decides per route (it may match the NLRI), so only its
    /// result is cached.
    changed: ChangedCache,
    cx: ExportCtx,
    /// UPDATE messages handed to sessions (API counter).
    pub updates_out: u64,
}

pub(crate) type ChangedCache = HashMap<(usize, PeerIndex), Vec<(Attributes, AttrSet)>>;
pub(crate) type RewriteCache = HashMap<(usize, u8, Ipv4Addr), (AttrSet, AttrSet)>;

/// What the advertiser needs to know of the rest of the core for one flush.
pub(crate) struct World<'a> {
    pub rib: &'a Table<EvpnKey, RouteEntry>,
    pub uni: &'a Table<IpNet, UnicastEntry>,
    pub peers: &'a [PeerSlot],
    pub policies: &'a PolicySet,
    pub router_id: Ipv4Addr,
    /// The kernel's initial state is in: End-of-RIB may go.
    pub local_synced: bool,
}

impl Advertiser {
    pub fn new(cx: ExportCtx, peers: usize) -> Advertiser {
        Advertiser {
            outs: (0..peers).map(|_| PeerOut::default()).collect(),
            cache: HashMap::new(),
            changed: HashMap::new(),
            cx,
            updates_out: 0,
        }
    }

    pub fn add_peer(&mut self) {
        self.outs.push(PeerOut::default());
    }

    pub fn peer(&self, peer: PeerIndex) -> Option<&PeerOut> {
        self.outs.get(peer as usize)
    }

    /// Routes sent to every peer.
    pub fn sent_total(&self) -> usize {
        self.outs.iter().map(|o| o.adj.sent_len()).sum()
    }

    /// The session came up: everything starts again, End-of-RIB is owed
    /// for each of `families`.
    pub fn session_up(
        &mut self,
        peer: PeerIndex,
        ctx: Context,
        families: Vec<Family>,
        self_nh: SelfNextHop,
    ) {
        if let Some(o) = self.outs.get_mut(peer as usize) {
            o.adj.clear();
            o.uni.clear();
            o.sending = Some(Sending {
                ctx,
                unicast: families.iter().any(|f| is_unicast(*f)),
                eor_owed: families,
                in_flight: false,
                self_nh,
            });
        }
    }

    pub fn session_down(&mut self, peer: PeerIndex) {
        if let Some(o) = self.outs.get_mut(peer as usize) {
            o.adj.clear();
            o.uni.clear();
            o.sending = None;
        }
    }

    /// The session wrote the last batch: the next may go.
    pub fn drained(&mut self, peer: PeerIndex) {
        if let Some(s) = self
            .outs
            .get_mut(peer as usize)
            .and_then(|o| o.sending.as_mut())
        {
            s.in_flight = false;
        }
    }

    /// Route refresh or soft reset out: everything the peer has goes again.
    /// Returns how many routes that is.
    pub fn requeue_all(&mut self, peer: PeerIndex) -> usize {
        self.outs.get_mut(peer as usize).map_or(0, |o| {
            o.adj.requeue_all();
            o.adj.pending_len()
        })
    }

    /// Route id `id` changed; `source` is the peer its best path came from.
    /// Split horizon: that peer gets nothing for it, so unless it holds
    /// something from us to take back it is not even queued (a full table
    /// from one client costs the client nothing).
    pub fn mark(&mut self, id: u32, source: Option<PeerIndex>) {
        for (i, o) in self.outs.iter_mut().enumerate() {
            if o.sending.is_none()
                || (source == Some(i as PeerIndex) && o.adj.sent_value(id).is_none())
            {
                continue;
            }
            o.adj.mark(id);
        }
    }

    /// Unicast route id `id` changed (see [`Advertiser::mark`]); only
    /// peers with a unicast family are marked.
    pub fn mark_uni(&mut self, id: u32, source: Option<PeerIndex>) {
        for (i, o) in self.outs.iter_mut().enumerate() {
            if !o.sending.as_ref().is_some_and(|s| s.unicast)
                || (source == Some(i as PeerIndex) && o.uni.sent_value(id).is_none())
            {
                continue;
            }
            o.uni.mark(id);
        }
    }

    /// Every unicast route is re-evaluated for `peer`.
    pub fn mark_all_uni(&mut self, peer: PeerIndex, ids: impl Iterator<Item = u32>) {
        if let Some(o) = self.outs.get_mut(peer as usize)
            && o.sending.as_ref().is_some_and(|s| s.unicast)
        {
            for id in ids {
                o.uni.mark(id);
            }
        }
    }

    /// Route refresh of a unicast family: the unicast Adj-RIB-Out goes
    /// again (both families). Returns how many routes that is.
    pub fn requeue_uni(&mut self, peer: PeerIndex) -> usize {
        self.outs.get_mut(peer as usize).map_or(0, |o| {
            o.uni.requeue_all();
            o.uni.pending_len()
        })
    }

    /// Every route is re-evaluated for `peer` (session up, settings changed).
    pub fn mark_all(&mut self, peer: PeerIndex, ids: impl Iterator<Item = u32>) {
        if let Some(o) = self.outs.get_mut(peer as usize)
            && o.sending.is_some()
        {
            for id in ids {
                o.adj.mark(id);
            }
        }
    }

    /// The peer's next batch of UPDATEs, if it has room and anything is due
    /// (End-of-RIB included, once the initial table is out).
    pub fn flush(&mut self, peer: PeerIndex, w: &World<'_>) -> Option<Vec<Update>> {
        let o = self.outs.get_mut(peer as usize)?;
        let s = o.sending.as_ref()?;
        if s.in_flight {
            debug!(
                peer,
                pending = o.adj.pending_len(),
                "flush: waiting for the session to drain"
            );
            return None;
        }
        let ctx = s.ctx.clone();
        let unicast = s.unicast.then(|| s.self_nh.clone());
        let (cache, changed, cx) = (&mut self.cache, &mut self.changed, &self.cx);
        let mut wish = |id| wish(id, peer, w, (cache, changed), cx);
        // Batches that turn out empty (split horizon, unchanged) do not end
        // the flush.
        let mut batch = o.adj.take_batch(BATCH, &mut wish);
        while batch.is_empty() && o.adj.pending_len() > 0 {
            batch = o.adj.take_batch(BATCH, &mut wish);
        }
        debug!(
            peer,
            announce = batch.announce.len(),
            withdraw = batch.withdraw.len(),
            "flush"
        );
        let mut updates = Vec::new();
        if !batch.withdraw.is_empty() {
            // A withdrawal needs only the key fields.
            let routes: Vec<EvpnNlri> = batch
                .withdraw
                .iter()
                .filter_map(|o| key_to_nlri(&o.entry.route.key()))
                .collect();
            updates.extend(pack(routes, &ctx, Update::evpn_withdraw));
        }
        // Group by (next hop, attribute set) so each UPDATE shares one attribute block.
        // Groups in order of first appearance, so a replay sends the same
        // UPDATEs in the same order (conformance goldens, simulations).
        let mut index: HashMap<(IpAddr, usize), usize> = HashMap::new();
        let mut groups: Vec<(IpAddr, AttrSet, Vec<EvpnNlri>)> = Vec::new();
        for o in batch.announce {
            let i = *index
                .entry((o.entry.next_hop, Arc::as_ptr(&o.attrs) as usize))
                .or_insert_with(|| {
                    groups.push((o.entry.next_hop, Arc::clone(&o.attrs), Vec::new()));
                    groups.len() - 1
                });
            groups[i].2.push(EvpnNlri {
                path_id: None,
                route: o.entry.route.clone(),
            });
        }
        for (nh, attrs, routes) in groups {
            updates.extend(pack(routes, &ctx, |r| {
                Update::evpn_reach(nh, r, (*attrs).clone())
            }));
        }
        if let Some(self_nh) = unicast {
            let mut wish = |id| unicast::export::wish(id, peer, w, (cache, changed), cx, &self_nh);
            let mut batch = o.uni.take_batch(BATCH, &mut wish);
            while batch.is_empty() && o.uni.pending_len() > 0 {
                batch = o.uni.take_batch(BATCH, &mut wish);
            }
            updates.extend(unicast::export::updates(
                &batch.withdraw,
                batch.announce,
                &ctx,
            ));
        }
        let pending = o.adj.pending_len() + o.uni.pending_len();
        let s = o.sending.as_mut()?;
        if updates.is_empty() {
            // End-of-RIB only once the kernel's MACs and VNIs are in: sent
            // earlier, it would make a graceful-restart helper sweep our
            // routes that are about to be re-advertised (RFC 4724 §4.1).
            if s.eor_owed.is_empty() || pending != 0 || !w.local_synced {
                return None;
            }
            for f in std::mem::take(&mut s.eor_owed) {
                updates.push(Update::end_of_rib(f));
            }
        } else {
            self.updates_out += updates.len() as u64;
        }
        s.in_flight = true;
        Some(updates)
    }
}

/// The export sides of a best path from `source` towards `peer`: (from,
/// to, the source's router id); `None` when it goes nowhere (back to its
/// source, a peer that is not up).
pub(crate) fn sides(
    source: PeerId,
    peer: PeerIndex,
    w: &World<'_>,
) -> Option<(Side, Side, Ipv4Addr)> {
    let slot = w.peers.get(peer as usize)?;
    slot.up.as_ref()?;
    let to = Side {
        ibgp: Some(slot.ibgp),
        rr_client: slot.cfg.route_reflector_client,
    };
    if source == PeerId::LOCAL {
        let local = Side {
            ibgp: None,
            rr_client: false,
        };
        return Some((local, to, w.router_id));
    }
    if source == Core::peer_id(peer) {
        return None; // never back to where it came from
    }
    let src = w.peers.get((source.0 - 1) as usize)?;
    let rid = src
        .negotiated()
        .map_or(Ipv4Addr::UNSPECIFIED, |n| n.peer_router_id);
    let side = Side {
        ibgp: Some(src.ibgp),
        rr_client: src.cfg.route_reflector_client,
    };
    Some((side, to, rid))
}

/// The attribute set `attrs` becomes when sent from `from` to `to`
/// (shared through the rewrite cache).
pub(crate) fn rewritten(
    attrs: &AttrSet,
    (from, from_id): (Side, Ipv4Addr),
    to_ibgp: bool,
    (cache, changed): (&mut RewriteCache, &mut ChangedCache),
    cx: &ExportCtx,
) -> AttrSet {
    let kind = (u8::from(to_ibgp) << 2)
        | (u8::from(from.ibgp == Some(true)) << 1)
        | u8::from(from.ibgp.is_none());
    // The source's router id is part of the key: two clients sending the
    // same attributes share one interned set, but reflection adds each
    // one's own ORIGINATOR_ID.
    let cache_key = (Arc::as_ptr(attrs) as usize, kind, from_id);
    match cache.get(&cache_key) {
        Some((_, a)) => Arc::clone(a),
        None => {
            let a = export::rewrite(attrs, from, from_id, to_ibgp, cx);
            if cache.len() > OUT_CACHE_MAX {
                // `changed` is keyed by the address of sets held here.
                cache.clear();
                changed.clear();
            }
            cache.insert(cache_key, (Arc::clone(attrs), Arc::clone(&a)));
            a
        }
    }
}

/// What `peer` should have for route id `id` now, if anything.
fn wish(
    id: u32,
    peer: PeerIndex,
    w: &World<'_>,
    (cache, changed): (&mut RewriteCache, &mut ChangedCache),
    cx: &ExportCtx,
) -> Option<OutRoute> {
    let b = w.rib.best_by_id(id)?;
    let (from, to, from_id) = sides(b.peer, peer, w)?;
    let slot = w.peers.get(peer as usize)?;
    if !export::allowed(from, to) {
        return None;
    }
    let attrs = rewritten(
        &b.attrs.attrs,
        (from, from_id),
        slot.ibgp,
        (cache, changed),
        cx,
    );
    let e = &b.attrs;
    // A local route: its VNI's export policy first.
    let vni_policy = (b.peer == PeerId::LOCAL)
        .then(|| route_view(&e.route, e.next_hop, &attrs).vni)
        .flatten()
        .and_then(|v| w.policies.vni_policy(v, Direction::Export));
    let neighbor_policy = w
        .policies
        .neighbor_policy(slot.address(), Direction::Export);
    let mut attrs = attrs;
    for p in [vni_policy, neighbor_policy].into_iter().flatten() {
        attrs = export_policy(p, e, attrs, peer, changed)?;
    }
    Some(OutRoute {
        entry: Arc::clone(&b.attrs),
        attrs,
    })
}

/// An export policy on the route as it would be sent: `None` when it
/// rejects; the changed set is shared by the routes it changed alike.
fn export_policy(
    p: &evpnd_config::model::Policy,
    e: &RouteEntry,
    attrs: AttrSet,
    peer: PeerIndex,
    changed: &mut ChangedCache,
) -> Option<AttrSet> {
    let o = evpnd_policy::evaluate(p, &route_view(&e.route, e.next_hop, &attrs));
    if !o.accepted() {
        return None;
    }
    let Some(a) = o.attributes else {
        return Some(attrs);
    };
    // Keyed by the address of `attrs`, which the rewrite cache or this
    // cache holds (this one is cleared with the rewrite cache, or alone).
    if changed.len() > OUT_CACHE_MAX {
        changed.clear();
    }
    let sets = changed
        .entry((Arc::as_ptr(&attrs) as usize, peer))
        .or_default();
    if let Some((_, set)) = sets.iter().find(|(x, _)| *x == a) {
        return Some(Arc::clone(set));
    }
    let mut v = (*attrs).clone();
    a.write_to(&mut v);
    let set: AttrSet = Arc::new(v);
    sets.push((a, Arc::clone(&set)));
    Some(set)
}

impl Core {
    /// The best path of `key` changed (or went): every established peer re-evaluates it.
    pub(crate) fn export(&mut self, key: &EvpnKey) {
        let Some(id) = self.rib.id(key) else {
            return;
        };
        let source = self
            .rib
            .best_by_id(id)
            .filter(|b| b.peer != PeerId::LOCAL)
            .map(|b| b.peer.0 - 1);
        self.advertiser.mark(id, source);
    }

    /// Every route is re-evaluated for `peer` (session up, settings changed).
    pub(crate) fn export_all_to(&mut self, peer: PeerIndex) {
        self.advertiser.mark_all(peer, self.rib.ids());
        self.advertiser.mark_all_uni(peer, self.uni.rib.ids());
    }

    /// Every peer that has room is sent its pending changes.
    pub(crate) fn flush_all(&mut self) {
        for i in 0..self.peers.len() {
            self.flush(i as PeerIndex);
        }
    }

    /// Sends the peer's pending changes as packed UPDATEs if it has room.
    pub(crate) fn flush(&mut self, peer: PeerIndex) {
        if self.deferring() {
            // Restarting: the Adj-RIB-Out fills, nothing is sent (restart.rs).
            return;
        }
        let w = World {
            rib: &self.rib,
            uni: &self.uni.rib,
            peers: &self.peers,
            policies: &self.policies,
            router_id: self.cfg.bgp.router_id,
            local_synced: self.local_synced,
        };
        if let Some(updates) = self.advertiser.flush(peer, &w) {
            self.send(peer, PeerCommand::Send { updates });
        }
    }
}
