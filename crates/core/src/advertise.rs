//! What each peer is sent: the Adj-RIB-Outs are keyed by the RIB's route ids
//! and hold only what was sent (ADR 0013). A change marks the route's id in
//! every established peer's Adj-RIB-Out; what the peer should have is worked
//! out when it has room for a batch ([`Core::flush`], ADR 0004), from the
//! best path at that moment (split horizon, reflection, eBGP rewriting).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_rib::{OutValue, PeerId};
use evpnd_session::messages::{PeerCommand, PeerIndex};
use evpnd_wire::Family;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnNlri};
use evpnd_wire::update::Update;
use tracing::debug;

use crate::export::{self, Side};
use crate::packing::{key_to_nlri, pack};
use crate::route::{AttrSet, RouteEntry};
use crate::{Core, OUT_CACHE_MAX};

/// Routes re-evaluated per batch (bounded so one peer cannot hog the core).
const BATCH: usize = 2000;

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

impl Core {
    /// The best path of `key` changed (or went): every established peer re-evaluates it.
    pub(crate) fn export(&mut self, key: &EvpnKey) {
        let Some(id) = self.rib.id(key) else {
            return;
        };
        // Split horizon: the peer the best path came from gets nothing for
        // it, so unless it holds something from us to take back it is not
        // even queued (a full table from one client costs the client nothing).
        let source = self.rib.best_by_id(id).map(|b| b.peer);
        for (i, slot) in self.peers.iter_mut().enumerate() {
            if slot.up.is_none()
                || (source == Some(Self::peer_id(i as PeerIndex))
                    && slot.out.sent_value(id).is_none())
            {
                continue;
            }
            slot.out.mark(id);
        }
    }

    /// Every route is re-evaluated for `peer` (session up, settings changed).
    pub(crate) fn export_all_to(&mut self, peer: PeerIndex) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        if slot.up.is_none() {
            return;
        }
        for id in self.rib.ids() {
            slot.out.mark(id);
        }
    }

    /// What `peer` should have for route id `id` now, if anything.
    fn wish(&mut self, id: u32, peer: PeerIndex) -> Option<OutRoute> {
        let b = self.rib.best_by_id(id)?;
        let slot = self.peers.get(peer as usize)?;
        slot.up.as_ref()?;
        let to = Side {
            ibgp: Some(slot.ibgp),
            rr_client: slot.cfg.route_reflector_client,
        };
        let (from, from_id) = if b.peer == PeerId::LOCAL {
            (
                Side {
                    ibgp: None,
                    rr_client: false,
                },
                self.cfg.bgp.router_id,
            )
        } else {
            if b.peer == Self::peer_id(peer) {
                return None; // never back to where it came from
            }
            let src = self.peers.get((b.peer.0 - 1) as usize)?;
            let rid = src
                .negotiated()
                .map_or(Ipv4Addr::UNSPECIFIED, |n| n.peer_router_id);
            (
                Side {
                    ibgp: Some(src.ibgp),
                    rr_client: src.cfg.route_reflector_client,
                },
                rid,
            )
        };
        if !export::allowed(from, to) {
            return None;
        }
        let kind = (u8::from(slot.ibgp) << 2)
            | (u8::from(from.ibgp == Some(true)) << 1)
            | u8::from(from.ibgp.is_none());
        // The source's router id is part of the key: two clients sending the
        // same attributes share one interned set, but reflection adds each
        // one's own ORIGINATOR_ID.
        let cache_key = (Arc::as_ptr(&b.attrs.attrs) as usize, kind, from_id);
        let attrs = match self.out_cache.get(&cache_key) {
            Some((_, a)) => Arc::clone(a),
            None => {
                let a = export::rewrite(&b.attrs.attrs, from, from_id, slot.ibgp, &self.export_cx);
                if self.out_cache.len() > OUT_CACHE_MAX {
                    self.out_cache.clear();
                }
                self.out_cache
                    .insert(cache_key, (Arc::clone(&b.attrs.attrs), Arc::clone(&a)));
                a
            }
        };
        Some(OutRoute {
            entry: Arc::clone(&b.attrs),
            attrs,
        })
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
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        let Some(up) = slot.up.as_ref() else { return };
        if up.in_flight {
            debug!(peer = %slot.cfg.address.get_ref(), pending = slot.out.pending_len(), "flush: waiting for the session to drain");
            return;
        }
        let ctx = up.negotiated.tx_context();
        // The Adj-RIB-Out is moved out while the wishes are worked out
        // (they need the rest of the core); batches that turn out empty
        // (split horizon, unchanged) do not end the flush.
        let mut out = std::mem::take(&mut slot.out);
        let mut batch = out.take_batch(BATCH, |id| self.wish(id, peer));
        while batch.is_empty() && out.pending_len() > 0 {
            batch = out.take_batch(BATCH, |id| self.wish(id, peer));
        }
        let local_synced = self.local_synced;
        let slot = &mut self.peers[peer as usize];
        slot.out = out;
        debug!(peer = %slot.cfg.address.get_ref(), announce = batch.announce.len(), withdraw = batch.withdraw.len(), "flush");
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
        let mut groups: HashMap<(IpAddr, usize), (AttrSet, Vec<EvpnNlri>)> = HashMap::new();
        for o in batch.announce {
            let g = groups
                .entry((o.entry.next_hop, Arc::as_ptr(&o.attrs) as usize))
                .or_insert_with(|| (Arc::clone(&o.attrs), Vec::new()));
            g.1.push(EvpnNlri {
                path_id: None,
                route: o.entry.route.clone(),
            });
        }
        for ((nh, _), (attrs, routes)) in groups {
            updates.extend(pack(routes, &ctx, |r| {
                Update::evpn_reach(nh, r, (*attrs).clone())
            }));
        }
        let Some(up) = slot.up.as_mut() else { return };
        if updates.is_empty() {
            // End-of-RIB only once the kernel's MACs and VNIs are in: sent
            // earlier, it would make a graceful-restart helper sweep our
            // routes that are about to be re-advertised (RFC 4724 §4.1).
            if up.eor_owed && slot.out.pending_len() == 0 && local_synced {
                up.eor_owed = false;
                up.in_flight = true;
                let updates = vec![Update::end_of_rib(Family::L2VPN_EVPN)];
                self.send(peer, PeerCommand::Send { updates });
            }
            return;
        }
        up.in_flight = true;
        self.updates_out += updates.len() as u64;
        self.send(peer, PeerCommand::Send { updates });
    }
}
