//! Change events for API watchers: peer state changes and best-path
//! changes, on a broadcast channel. Built only while someone watches (a
//! 1M-route burst costs nothing without watchers); a watcher that falls
//! behind is told to resynchronise by the API layer.

use evpnd_api::{BackendError, WatchStart, pb};
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

    /// Loc-RIB routes per EVPN route type (metrics).
    pub fn route_counts(&self) -> Vec<(u8, u64)> {
        let mut n = [0u64; 6];
        for (_, p) in self.rib.iter_best() {
            let t = usize::from(p.attrs.route.route_type());
            if let Some(x) = n.get_mut(t) {
                *x += 1;
            }
        }
        (1..=5u8).map(|t| (t, n[usize::from(t)])).collect()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The operator enabled or disabled a peer (API).
    pub fn set_enabled(&mut self, addr: std::net::IpAddr, enabled: bool) {
        if let Some(s) = self
            .peers
            .iter_mut()
            .find(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        {
            s.cfg.enabled = enabled;
        }
    }

    /// Soft reset in is possible only if the peer negotiated route refresh.
    pub fn refresh_in(&self, addr: std::net::IpAddr) -> Result<(), BackendError> {
        let Some(s) = self
            .peers
            .iter()
            .find(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        else {
            return Err(BackendError::NotFound(format!(
                "no neighbor {addr} in the configuration"
            )));
        };
        match &s.up {
            None => Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} is not established"
            ))),
            Some(n) if !n.route_refresh => Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} did not negotiate route refresh; use a hard reset"
            ))),
            Some(_) => Ok(()),
        }
    }

    /// Soft reset out: re-sends the peer's whole Adj-RIB-Out.
    pub async fn resend(&mut self, addr: std::net::IpAddr) -> Result<(), BackendError> {
        let Some(i) = self
            .peers
            .iter()
            .position(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        else {
            return Err(BackendError::NotFound(format!(
                "no neighbor {addr} in the configuration"
            )));
        };
        if self.peers[i].up.is_none() {
            return Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} is not established"
            )));
        }
        self.peers[i].out.requeue_all();
        self.flush(i as u32).await;
        Ok(())
    }
}
