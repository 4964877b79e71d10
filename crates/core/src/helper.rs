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
        // RFC 4724 §4.2: back without a family in its graceful-restart
        // capability, or without the Forwarding State bit for it, the peer
        // kept nothing of its old routes of that family: they go now.
        let fwd = |family: Family| {
            n.graceful_restart
                .as_ref()
                .is_some_and(|g| g.families.iter().any(|(f, fwd)| *f == family && *fwd))
        };
        let forwarding = fwd(Family::L2VPN_EVPN);
        let unicast_gone: Vec<Family> = [Family::IPV4_UNICAST, Family::IPV6_UNICAST]
            .into_iter()
            .filter(|f| !fwd(*f))
            .collect();
        let ctx = n.tx_context();
        let families = crate::unicast::export::eor_families(&n);
        let any_forwarding = families.iter().any(|f| fwd(*f));
        slot.ibgp = n.ibgp;
        slot.eor_families.clear();
        slot.up = Some(Up {
            negotiated: n,
            since: now,
        });
        slot.over_limit = false;
        if slot.eor == EorSeen::ThisSession {
            slot.eor = EorSeen::Earlier;
        }
        let mut dropped = Vec::new();
        let had_stale = slot.stale != Stale::None;
        if had_stale && !forwarding {
            dropped = self.rib.sweep_stale(Self::peer_id(peer));
            info!(peer = %slot.address(), routes = dropped.len(),
                "peer came back without preserved forwarding for l2vpn-evpn (no F bit, or no graceful restart): stale routes removed");
        }
        if had_stale && !any_forwarding {
            slot.stale = Stale::None;
        } else if had_stale {
            // Back before the restart timer ran out: wait for its End-of-RIB, bounded.
            slot.stale = Stale::AwaitingEor {
                until: now + std::time::Duration::from_secs(stale_routes_time),
            };
        }
        if had_stale {
            self.sweep_unicast_stale(peer, &unicast_gone);
        }
        let self_nh = self.self_next_hop(peer);
        if let Some(p) = self.peers.get(peer as usize)
            && p.negotiated()
                .is_some_and(|n| n.families.contains(&Family::IPV6_UNICAST))
            && self_nh.v6.is_none()
        {
            tracing::warn!(peer = %p.address(),
                "ipv6-unicast negotiated but no IPv6 address of ours to send as next hop (session over IPv4, no IPv6 update_source, vtep_ip or /128 network): no IPv6 routes are sent to it");
        }
        self.advertiser.session_up(peer, ctx, families, self_nh);
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
        // Unicast: withdrawn from the main table at once (or kept stale).
        let touched = self.unicast_keys_of(id, false);
        let best = if keep_routes {
            self.uni.rib.mark_stale(id)
        } else {
            self.uni.rib.remove_peer(id)
        };
        self.apply_unicast(crate::unicast::receive::UniChanges { best, touched });
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
                self.sweep_unicast_stale(
                    i as PeerIndex,
                    &[Family::IPV4_UNICAST, Family::IPV6_UNICAST],
                );
            }
        }
    }

    /// End-of-RIB from `peer` for `family`: its stale routes of that
    /// family go; once every family it negotiated has sent one, the
    /// dataplane sweep and the restart deferral may be over.
    pub(crate) fn end_of_rib(&mut self, peer: PeerIndex, family: Family) {
        let Some(slot) = self.peers.get_mut(peer as usize) else {
            return;
        };
        if !slot.eor_families.contains(&family) {
            slot.eor_families.push(family);
        }
        let all = slot.negotiated().is_none_or(|n| {
            crate::unicast::export::eor_families(n)
                .iter()
                .all(|f| slot.eor_families.contains(f))
        });
        if all {
            slot.stale = Stale::None;
            slot.eor = EorSeen::ThisSession;
            self.check_converged();
        }
        if crate::unicast::is_unicast(family) {
            self.sweep_unicast_stale(peer, &[family]);
        } else {
            let changes = self.rib.sweep_stale(Self::peer_id(peer));
            self.apply(changes);
        }
        self.check_deferral();
    }

    /// Drops `peer`'s stale unicast paths of `families`.
    pub(crate) fn sweep_unicast_stale(&mut self, peer: PeerIndex, families: &[Family]) {
        if families.is_empty() {
            return;
        }
        let id = Self::peer_id(peer);
        let pick = |e: &crate::unicast::UnicastEntry| {
            families.contains(&crate::unicast::family_of(&e.prefix))
        };
        let touched: Vec<ipnet::IpNet> = self
            .unicast_keys_of(id, true)
            .into_iter()
            .filter(|k| families.contains(&crate::unicast::family_of(k)))
            .collect();
        if touched.is_empty() {
            return;
        }
        let best = self.uni.rib.sweep_stale_where(id, pick);
        self.apply_unicast(crate::unicast::receive::UniChanges { best, touched });
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
        } else if let Some(p) = self.peers.get(peer as usize)
            && crate::unicast::is_unicast(family)
            && subtype == REFRESH_REQUEST
        {
            let address = p.address();
            let routes = self.advertiser.requeue_uni(peer);
            info!(peer = %address, %family, routes, "route refresh: re-sending the unicast Adj-RIB-Out");
        }
        self.flush(peer);
    }
}
