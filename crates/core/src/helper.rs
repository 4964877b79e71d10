//! Sessions coming and going, and graceful restart as the helper (RFC 4724
//! §4.2): a peer that restarts keeps its routes as stale for the restart
//! time it advertised; back with forwarding preserved for L2VPN/EVPN, its
//! stale routes go at its End-of-RIB (or `stale_routes_time`); back
//! without, they go at once.

use evpnd_session::messages::PeerIndex;
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::Family;
use tracing::info;

use crate::Core;
use crate::peer::{EorSeen, Stale, Up};
use crate::view::PeerErrorView;

/// ROUTE-REFRESH subtype of a plain request (RFC 7313 §3.2).
const REFRESH_REQUEST: u8 = 0;

impl Core {
    pub(crate) fn peer_up(&mut self, peer: PeerIndex, n: Negotiated) {
        let now = self.now;
        let stale_routes_time = u64::from(self.cfg.bgp.graceful_restart.stale_routes_time);
        self.refusals.session_up(peer);
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
            info!(peer = %slot.address(), restart_state = g.restarting, notification = g.notification,
                forwarding = ?forwarding, restart_time = g.restart_time, "peer graceful restart capability");
        }
        // RFC 4724 §4.2: back without L2VPN/EVPN in its graceful-restart
        // capability, or without the Forwarding State bit for it, the peer
        // kept nothing of its old routes: the stale ones go now.
        let forwarding = n.graceful_restart.as_ref().is_some_and(|g| {
            g.families
                .iter()
                .any(|(f, fwd)| *f == Family::L2VPN_EVPN && *fwd)
        });
        let ctx = n.tx_context();
        slot.up = Some(Up {
            negotiated: n,
            since: now,
        });
        slot.over_limit = false;
        if slot.eor == EorSeen::ThisSession {
            slot.eor = EorSeen::Earlier;
        }
        let mut dropped = Vec::new();
        if slot.stale != Stale::None && !forwarding {
            slot.stale = Stale::None;
            dropped = self.rib.sweep_stale(Self::peer_id(peer));
            info!(peer = %slot.address(), routes = dropped.len(),
                "peer came back without preserved forwarding for l2vpn-evpn (no F bit, or no graceful restart): stale routes removed");
        } else if slot.stale != Stale::None {
            // Back before the restart timer ran out: wait for its End-of-RIB, bounded.
            slot.stale = Stale::AwaitingEor {
                until: now + std::time::Duration::from_secs(stale_routes_time),
            };
        }
        self.advertiser.session_up(peer, ctx);
        self.apply(dropped);
        self.export_all_to(peer);
        self.flush(peer);
        self.emit_peer(peer as usize);
        self.deferral_peer_up();
        self.check_deferral();
    }

    pub(crate) fn peer_down(
        &mut self,
        peer: PeerIndex,
        reason: &str,
        keep_routes: bool,
        notification: Option<evpnd_session::messages::Notified>,
    ) {
        let now = self.now;
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        // Helper mode (RFC 4724 §4.2): keep the routes for the restart time the peer advertised.
        let restart_time = slot
            .negotiated()
            .and_then(|n| n.graceful_restart.as_ref())
            .map_or(0, |g| g.restart_time);
        slot.stale = if keep_routes {
            Stale::Restarting {
                until: now + std::time::Duration::from_secs(u64::from(restart_time)),
            }
        } else {
            Stale::None
        };
        slot.up = None;
        slot.last_error = Some(PeerErrorView {
            message: reason.to_string(),
            notification,
            at: now,
        });
        self.advertiser.session_down(peer);
        let id = Self::peer_id(peer);
        let changes = if keep_routes {
            self.rib.mark_stale(id)
        } else {
            self.rib.remove_peer(id)
        };
        info!(peer = %slot.address(), routes_changed = changes.len(), keep_routes, "peer down: {reason}");
        self.apply(changes);
        self.emit_peer(peer as usize);
        // It is no longer waited for.
        self.check_deferral();
    }

    /// Sweeps the stale routes of peers whose graceful-restart time ran out.
    pub(crate) fn sweep_expired_stale(&mut self) {
        for i in 0..self.peers.len() {
            if self.peers[i]
                .stale
                .deadline()
                .is_some_and(|t| t <= self.now)
            {
                self.peers[i].stale = Stale::None;
                let changes = self.rib.sweep_stale(Self::peer_id(i as PeerIndex));
                info!(peer = %self.peers[i].address(), routes = changes.len(), "graceful restart timer expired: stale routes removed");
                self.apply(changes);
            }
        }
    }

    /// End-of-RIB from `peer`: its stale routes go, the dataplane sweep and
    /// the restart deferral may be over.
    pub(crate) fn end_of_rib(&mut self, peer: PeerIndex) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        slot.stale = Stale::None;
        slot.eor = EorSeen::ThisSession;
        self.check_converged();
        let changes = self.rib.sweep_stale(Self::peer_id(peer));
        self.apply(changes);
        self.check_deferral();
    }

    /// ROUTE-REFRESH request: the peer's Adj-RIB-Out goes out again.
    pub(crate) fn route_refresh(&mut self, peer: PeerIndex, family: Family, subtype: u8) {
        if let Some(p) = self.peers.get(peer as usize)
            && family == Family::L2VPN_EVPN
            && subtype == REFRESH_REQUEST
        {
            let address = p.address();
            let routes = self.advertiser.requeue_all(peer);
            info!(peer = %address, routes, "route refresh: re-sending the Adj-RIB-Out");
        }
        self.flush(peer);
    }
}
