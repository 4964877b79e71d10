//! What each peer is sent: the Adj-RIB-Outs are keyed by the RIB's route ids
//! and hold only what was sent (ADR 0013). A change marks the route's id in
//! every established peer's Adj-RIB-Out; what the peer should have is worked
//! out when it has room for a batch ([`Core::flush`], ADR 0004), from the
//! best path at that moment (split horizon, reflection, eBGP rewriting).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_rib::{OutValue, PeerId};
use evpnd_session::driver::{PeerCommand, PeerIndex};
use evpnd_wire::Family;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnNlri};
use evpnd_wire::update::Update;
use tracing::{debug, warn};

use super::Core;
use crate::export::{self, Side};
use crate::packing::{key_to_nlri, pack};
use crate::route::{AttrSet, RouteEntry};

/// Routes re-evaluated per batch (bounded so one peer cannot hog the core).
const BATCH: usize = 2000;

/// An entry of a peer's Adj-RIB-Out: the RIB's own route entry (shared, not
/// copied: it is most of the per-route memory) and the attributes it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OutRoute {
    pub(super) entry: Arc<RouteEntry>,
    pub(super) attrs: AttrSet,
}

impl OutValue for OutRoute {
    fn same_destination(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entry, &other.entry) || self.entry.route.key() == other.entry.route.key()
    }
}

impl Core {
    /// The best path of `key` changed (or went): every established peer re-evaluates it.
    pub(super) fn export(&mut self, key: &EvpnKey) {
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
    pub(super) fn export_all_to(&mut self, peer: PeerIndex) {
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
                .up
                .as_ref()
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
                if self.out_cache.len() > 65536 {
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

    /// Sends the peer's pending changes as packed UPDATEs if it has room.
    pub(super) async fn flush(&mut self, peer: PeerIndex) {
        if self.deferring() {
            // Restarting: the Adj-RIB-Out fills, nothing is sent (restart.rs).
            return;
        }
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        let Some(n) = slot.up.as_ref() else { return };
        if slot.in_flight {
            debug!(peer = %slot.cfg.address.get_ref(), pending = slot.out.pending_len(), "flush: waiting for the session to drain");
            return;
        }
        let ctx = n.tx_context();
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
        if updates.is_empty() {
            // End-of-RIB only once the kernel's MACs and VNIs are in: sent
            // earlier, it would make a graceful-restart helper sweep our
            // routes that are about to be re-advertised (RFC 4724 §4.1).
            if slot.eor_pending && slot.out.pending_len() == 0 && local_synced {
                slot.eor_pending = false;
                slot.in_flight = true;
                if slot
                    .tx
                    .send(PeerCommand::Send(vec![Update::end_of_rib(
                        Family::L2VPN_EVPN,
                    )]))
                    .await
                    .is_err()
                {
                    warn!("session task of a peer is gone");
                }
            }
            return;
        }
        slot.in_flight = true;
        self.updates_out += updates.len() as u64;
        if slot.tx.send(PeerCommand::Send(updates)).await.is_err() {
            warn!("session task of a peer is gone");
        }
    }
}

#[cfg(test)]
mod tests {
    //! The core's Adj-RIB-Out in motion: reflection, flow control (one batch
    //! in flight per peer), coalescing, route refresh and peer down.

    use std::sync::Arc;

    use evpnd_session::driver::{PeerCommand, PeerEvent};
    use evpnd_session::negotiate::Negotiated;
    use evpnd_wire::Family;
    use evpnd_wire::nlri::evpn::EvpnNlri;
    use evpnd_wire::route_refresh::RouteRefresh;
    use evpnd_wire::update::Update;
    use tokio::sync::mpsc;

    use super::Core;
    use crate::route::RouteEntry;

    const RR: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000
route_reflector_client = true

[[neighbor]]
address = "10.0.0.3"
remote_asn = 65000
route_reflector_client = true

[evpn]
learn_from_kernel = false
"#;

    /// Routes a leaf would send: IMET + three MAC routes of VNI 100.
    fn leaf_routes() -> Vec<RouteEntry> {
        let leaf = r#"
[bgp]
asn = 65000
router_id = "10.0.0.2"
[evpn]
learn_from_kernel = false
[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }, { mac = "02:00:00:00:00:0b" }, { mac = "02:00:00:00:00:0c" }]
"#;
        let cfg = evpnd_config::parse(leaf, "leaf.toml").expect("leaf config");
        crate::origin::routes(&cfg)
    }

    fn negotiated(router_id: &str) -> Negotiated {
        super::super::test_negotiated(router_id, None)
    }

    fn reach(routes: &[RouteEntry]) -> Update {
        let nlri = routes
            .iter()
            .map(|r| EvpnNlri {
                path_id: None,
                route: r.route.clone(),
            })
            .collect();
        Update::evpn_reach(routes[0].next_hop, nlri, (*routes[0].attrs).clone())
    }

    fn withdraw(routes: &[RouteEntry]) -> Update {
        Update::evpn_withdraw(
            routes
                .iter()
                .map(|r| EvpnNlri {
                    path_id: None,
                    route: r.route.clone(),
                })
                .collect(),
        )
    }

    /// (routes announced, routes withdrawn, batches) handed to a session so far.
    fn sent(rx: &mut mpsc::Receiver<PeerCommand>) -> (usize, usize, usize) {
        let (mut a, mut w, mut n) = (0, 0, 0);
        while let Ok(c) = rx.try_recv() {
            if let PeerCommand::Send(us) = c {
                n += 1;
                for (_, reach) in us.iter().flat_map(|u| u.evpn_routes()) {
                    if reach { a += 1 } else { w += 1 }
                }
            }
        }
        (a, w, n)
    }

    async fn rig() -> (Core, Vec<mpsc::Receiver<PeerCommand>>) {
        let cfg = evpnd_config::parse(RR, "rr.toml").expect("rr config");
        let mut core = Core::new(Arc::new(cfg.clone()), Vec::new());
        let mut rx = Vec::new();
        for n in &cfg.neighbor {
            let (tx, r) = mpsc::channel(64);
            core.add_peer(n.clone(), tx);
            rx.push(r);
        }
        for (peer, rid) in [(0, "10.0.0.2"), (1, "10.0.0.3")] {
            let negotiated = negotiated(rid);
            core.handle(PeerEvent::Up { peer, negotiated }).await;
            core.handle(PeerEvent::Drained { peer }).await; // the End-of-RIB
        }
        for r in &mut rx {
            sent(r);
        }
        (core, rx)
    }

    async fn update(core: &mut Core, peer: u32, update: Update) {
        core.handle(PeerEvent::Update { peer, update }).await;
    }

    #[tokio::test]
    async fn reflects_with_flow_control_coalescing_refresh_and_peer_down() {
        let (mut core, mut rx) = rig().await;
        let routes = leaf_routes();
        assert_eq!(routes.len(), 4);
        let macs: Vec<RouteEntry> = routes[1..].to_vec();
        update(&mut core, 0, reach(&routes[..1])).await;
        update(&mut core, 0, reach(&macs)).await;
        // The first UPDATE went out; the second waits for the session to drain.
        assert_eq!(sent(&mut rx[1]), (1, 0, 1));
        assert_eq!(sent(&mut rx[0]), (0, 0, 0), "never back to the sender");
        core.handle(PeerEvent::Drained { peer: 1 }).await;
        assert_eq!(sent(&mut rx[1]), (3, 0, 1));
        core.handle(PeerEvent::Drained { peer: 1 }).await;

        // A route announced again with the same attributes: nothing to send.
        update(&mut core, 0, reach(&macs[..1])).await;
        assert_eq!(sent(&mut rx[1]), (0, 0, 0), "unchanged: nothing sent");
        update(&mut core, 0, withdraw(&macs[2..])).await;
        assert_eq!(sent(&mut rx[1]), (0, 1, 1));
        // Withdrawn and announced again while in flight: only the latest goes.
        update(&mut core, 0, withdraw(&macs[..1])).await;
        update(&mut core, 0, reach(&macs[..1])).await;
        core.handle(PeerEvent::Drained { peer: 1 }).await;
        assert_eq!(
            sent(&mut rx[1]),
            (0, 0, 0),
            "withdraw + re-announce coalesced"
        );
        assert_eq!(core.peers[1].out.sent_len(), 3);

        // Route refresh: everything the peer has goes out again.
        let refresh = RouteRefresh {
            family: Family::L2VPN_EVPN,
            subtype: 0,
        };
        core.handle(PeerEvent::RouteRefresh { peer: 1, refresh })
            .await;
        assert_eq!(sent(&mut rx[1]), (3, 0, 1));
        core.handle(PeerEvent::Drained { peer: 1 }).await;

        // The sender goes: its routes are withdrawn from the other client.
        core.handle(PeerEvent::Down {
            peer: 0,
            reason: "test".into(),
            keep_routes: false,
        })
        .await;
        assert_eq!(sent(&mut rx[1]), (0, 3, 1));
        assert_eq!(core.peers[1].out.sent_len(), 0);
        assert!(core.rib.is_empty());
    }
}
