//! Change events for API watchers: peer state changes and best-path
//! changes, on a broadcast channel. Built only while someone watches (a
//! 1M-route burst costs nothing without watchers); a watcher that falls
//! behind is told to resynchronise by the API layer.

use evpnd_api::{WatchStart, pb};
use evpnd_rib::BestChange;
use evpnd_wire::nlri::evpn::EvpnKey;

use super::Core;
use crate::packing::key_to_nlri;
use crate::route::RouteEntry;

/// Events a watcher may fall behind by before it must resynchronise.
pub const WATCH_BUFFER: usize = 4096;

impl Core {
    /// Subscribes, then snapshots (no await in between: nothing is missed).
    pub fn api_watch(&self) -> WatchStart {
        let events = self.events.subscribe();
        let mut snapshot: Vec<pb::watch_response::Event> = self
            .api_peers()
            .into_iter()
            .map(|p| pb::watch_response::Event::Peer(pb::PeerEvent { peer: Some(p) }))
            .collect();
        for (_, p) in self.rib.iter_best() {
            snapshot.push(self.route_event(&p.attrs, Some(p)));
        }
        WatchStart { snapshot, events }
    }

    fn route_event(
        &self,
        e: &RouteEntry,
        best: Option<&evpnd_rib::Path<RouteEntry>>,
    ) -> pb::watch_response::Event {
        let (change, paths) = match best {
            Some(p) => (
                pb::RouteChange::Updated,
                vec![super::query::path_of(self, e, p, true)],
            ),
            None => (pb::RouteChange::Withdrawn, Vec::new()),
        };
        pb::watch_response::Event::Route(pb::RouteEvent {
            change: change as i32,
            route: Some(pb::Route {
                key: Some(super::query::key_of(e)),
                paths,
            }),
        })
    }

    pub(super) fn watching(&self) -> bool {
        self.events.receiver_count() > 0
    }

    /// A best-path change, for watchers.
    pub(super) fn emit_route(&self, k: &EvpnKey, c: &BestChange<RouteEntry>) {
        if !self.watching() {
            return;
        }
        let ev = match c {
            BestChange::Unchanged => return,
            BestChange::NewBest(p) => self.route_event(&p.attrs, Some(p)),
            BestChange::Withdrawn => {
                let Some(n) = key_to_nlri(k) else { return };
                let e = RouteEntry {
                    route: n.route,
                    next_hop: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                    attrs: std::sync::Arc::new(Vec::new()),
                };
                self.route_event(&e, None)
            }
        };
        let _ = self.events.send(ev);
    }

    /// A peer changed state, for watchers.
    pub(super) fn emit_peer(&self, index: usize) {
        if !self.watching() {
            return;
        }
        let Some(s) = self.peers.get(index) else {
            return;
        };
        let addr = s.cfg.address.get_ref().to_string();
        if let Some(p) = self.api_peers().into_iter().find(|p| p.address == addr) {
            let _ = self
                .events
                .send(pb::watch_response::Event::Peer(pb::PeerEvent {
                    peer: Some(p),
                }));
        }
    }
}
