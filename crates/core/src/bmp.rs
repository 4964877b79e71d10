//! What BMP collectors (RFC 7854, RFC 9069) are told, as [`BmpEvent`]
//! outputs: sessions up and down with their OPENs, every received UPDATE as
//! pre-policy Route Monitoring, every best-path change as Loc-RIB Route
//! Monitoring. Built only while `[[bmp]]` collectors are configured. The
//! daemon hands them to each collector's `evpnd_bmp::Feed` and answers the
//! feeds' requests with [`Core::bmp_page`] (the table dump, walked in
//! bounded pages from a cursor, ADR 0020) and [`Core::bmp_stats`].

use std::net::IpAddr;
use std::sync::Arc;

use evpnd_bmp::feed::update_pdu;
use evpnd_bmp::stats::stat_type;
use evpnd_bmp::{PeerDownReason, PeerSession, Source, Stat, Timestamp};
use evpnd_rib::{BestChange, PeerId};
use evpnd_session::messages::{Notified, PeerIndex, Transport};
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::message::Message;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnNlri};
use evpnd_wire::notification::Notification;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use serde::Serialize;

use crate::io::Output;
use crate::refusal::Refusal;
use crate::route::{AttrSet, RouteEntry};
use crate::{Core, packing};

/// Something every collector is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "bmp", rename_all = "snake_case")]
pub enum BmpEvent {
    /// A session is established (only with its [`Transport`]; `up_since` is left zero: the daemon stamps
    /// it with the wall clock, which the core does not read).
    PeerUp(Box<PeerSession>),
    PeerDown {
        address: IpAddr,
        reason: PeerDownReason,
    },
    /// One UPDATE, a whole BGP message encoded with 4-octet AS numbers.
    RouteMonitoring { source: Source, update: Vec<u8> },
}

/// One page of a table dump: UPDATEs (whole messages) and the route id
/// the next page starts after (`None`: this RIB is done).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BmpPage {
    pub updates: Vec<Vec<u8>>,
    pub next_after: Option<u32>,
}

/// One UPDATE's routes after the import policy: accepted (with the
/// attributes stored) and withdrawn or refused.
#[derive(Debug, Default)]
pub(crate) struct PostPolicy {
    pub reach: Vec<(Arc<RouteEntry>, Option<u32>)>,
    pub unreach: Vec<EvpnNlri>,
}

/// Whether a collector monitors the post-policy Adj-RIB-In.
pub(crate) fn wants_post_policy(cfg: &evpnd_config::Config) -> bool {
    cfg.bmp.iter().any(|b| {
        b.route_monitoring
            .contains(&evpnd_config::BmpRib::PostPolicy)
    })
}

/// The Loc-RIB form of a best path or a withdrawal.
fn loc_rib_update(key: &EvpnKey, best: Option<&RouteEntry>) -> Option<Update> {
    match best {
        Some(e) => Some(Update::evpn_reach(
            e.next_hop,
            vec![EvpnNlri {
                path_id: None,
                route: e.route.clone(),
            }],
            (*e.attrs).clone(),
        )),
        None => packing::key_to_nlri(key).map(|n| Update::evpn_withdraw(vec![n])),
    }
}

/// The families whose path ids appear in Route Monitoring of this session.
fn add_path(n: &Negotiated) -> &[Family] {
    &n.add_path_rx
}

impl Core {
    /// Whether BMP events are built (`[[bmp]]` configured).
    pub fn monitoring(&self) -> bool {
        self.bmp
    }

    fn bmp(&mut self, ev: BmpEvent) {
        self.outputs.push_back(Output::Bmp(ev));
    }

    /// Sessions up and down are always reported (they are rare), so that
    /// collectors a reload adds know the sessions already up.
    pub(crate) fn bmp_peer_up(&mut self, peer: PeerIndex, t: Option<Box<Transport>>) {
        let Some(t) = t else {
            return;
        };
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let Some(n) = slot.negotiated() else {
            return;
        };
        let t = *t;
        let s = PeerSession {
            address: slot.address(),
            asn: n.peer_asn,
            bgp_id: n.peer_router_id,
            local_address: t.local.ip(),
            local_port: t.local.port(),
            remote_port: t.remote.port(),
            sent_open: t.sent_open,
            received_open: t.received_open,
            legacy_as_path: false,
            up_since: Timestamp::ZERO,
        };
        self.bmp(BmpEvent::PeerUp(Box::new(s)));
    }

    /// Before the session's state is dropped: only a session that was up
    /// has a Peer Down.
    pub(crate) fn bmp_peer_down(
        &mut self,
        peer: PeerIndex,
        notification: Option<&Notified>,
        deconfigured: bool,
    ) {
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        if slot.up.is_none() {
            return;
        }
        let address = slot.address();
        let reason = match notification {
            _ if deconfigured => PeerDownReason::Deconfigured,
            Some(n) => {
                let bytes = Message::Notification(Notification::from(&n.notify))
                    .to_bytes(&Context::default())
                    .to_vec();
                if n.sent {
                    PeerDownReason::LocalNotification(bytes)
                } else {
                    PeerDownReason::RemoteNotification(bytes)
                }
            }
            None => PeerDownReason::RemoteNoData,
        };
        self.bmp(BmpEvent::PeerDown { address, reason });
    }

    /// An UPDATE as received, before anything is decided on it.
    pub(crate) fn bmp_received(&mut self, peer: PeerIndex, u: &Update) {
        if !self.bmp {
            return;
        }
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let Some(n) = slot.negotiated() else {
            return;
        };
        let source = Source::PrePolicy(slot.address());
        let update = update_pdu(u, add_path(n));
        self.bmp(BmpEvent::RouteMonitoring { source, update });
    }

    /// An UPDATE's routes as the import policy left them (RFC 7854 §4.6,
    /// L flag): accepted ones grouped by next hop and attributes, refused
    /// ones as withdrawn.
    pub(crate) fn bmp_post_policy(&mut self, peer: PeerIndex, p: PostPolicy) {
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let Some(n) = slot.negotiated() else {
            return;
        };
        let source = Source::PostPolicy(slot.address());
        let add_path = add_path(n).to_vec();
        let mut groups: Vec<(IpAddr, AttrSet, Vec<EvpnNlri>)> = Vec::new();
        for (e, path_id) in p.reach {
            let nlri = EvpnNlri {
                path_id,
                route: e.route.clone(),
            };
            match groups
                .iter_mut()
                .find(|(nh, a, _)| *nh == e.next_hop && Arc::ptr_eq(a, &e.attrs))
            {
                Some(g) => g.2.push(nlri),
                None => groups.push((e.next_hop, Arc::clone(&e.attrs), vec![nlri])),
            }
        }
        let mut updates: Vec<Update> = groups
            .into_iter()
            .map(|(nh, attrs, routes)| Update::evpn_reach(nh, routes, (*attrs).clone()))
            .collect();
        if !p.unreach.is_empty() {
            updates.push(Update::evpn_withdraw(p.unreach));
        }
        for u in updates {
            let update = update_pdu(&u, &add_path);
            self.bmp(BmpEvent::RouteMonitoring { source, update });
        }
    }

    /// A best path changed.
    pub(crate) fn bmp_best(&mut self, key: &EvpnKey, c: &BestChange<RouteEntry>) {
        if !self.bmp {
            return;
        }
        let u = match c {
            BestChange::Unchanged => return,
            BestChange::NewBest(p) => loc_rib_update(key, Some(&p.attrs)),
            BestChange::Withdrawn => loc_rib_update(key, None),
        };
        if let Some(u) = u {
            let update = update_pdu(&u, &[]);
            self.bmp(BmpEvent::RouteMonitoring {
                source: Source::LocRib,
                update,
            });
        }
    }

    /// What a table dump covers: the Loc-RIB and every established peer's
    /// Adj-RIB-In (pre- and post-policy), in this order.
    pub fn bmp_sources(&self) -> Vec<Source> {
        let peers = self.peers.iter().filter(|p| p.up.is_some()).flat_map(|p| {
            [
                Source::PrePolicy(p.address()),
                Source::PostPolicy(p.address()),
            ]
        });
        std::iter::once(Source::LocRib).chain(peers).collect()
    }

    /// Up to `limit` routes of `source`'s RIB after the route id `after`,
    /// in route id order, as Route Monitoring UPDATEs. Ids are walked
    /// directly (no sorted snapshot, whatever the churn): a route that
    /// changes while a dump is under way is also sent live, so the
    /// collector's view converges whether the dump saw it or not. The
    /// Adj-RIB-In holds the routes the import policy accepted (a rejected
    /// route is not stored), with the attributes the peer sent and the
    /// policy's changes.
    pub fn bmp_page(&self, source: Source, after: Option<u32>, limit: usize) -> BmpPage {
        let peer = match source {
            Source::PrePolicy(a) | Source::PostPolicy(a) => {
                let Some(i) = self
                    .peers
                    .iter()
                    .position(|p| !p.removed && p.address() == a)
                else {
                    return BmpPage::default();
                };
                let Some(n) = self.peers[i].negotiated() else {
                    return BmpPage::default();
                };
                Some((Self::peer_id(i as PeerIndex), add_path(n).to_vec()))
            }
            Source::LocRib => None,
        };
        let limit = limit.max(1);
        let mut page = BmpPage::default();
        let start = after.map_or(0, |a| a.saturating_add(1));
        let mut taken = 0;
        for id in start..self.rib.id_bound() {
            let Some(best) = self.rib.best_by_id(id) else {
                continue;
            };
            if taken == limit {
                page.next_after = Some(id - 1);
                return page;
            }
            taken += 1;
            match &peer {
                None => {
                    let k = best.attrs.route.key();
                    if let Some(u) = loc_rib_update(&k, Some(&best.attrs)) {
                        page.updates.push(update_pdu(&u, &[]));
                    }
                }
                Some((pid, add_path)) => {
                    let Some(k) = self.rib.key_of(id) else {
                        continue;
                    };
                    let with_ids = add_path.contains(&Family::L2VPN_EVPN);
                    for (p, _) in self
                        .rib
                        .explain(&k)
                        .into_iter()
                        .filter(|(p, _)| p.peer == *pid)
                    {
                        let e = &p.attrs;
                        let u = Update::evpn_reach(
                            e.next_hop,
                            vec![EvpnNlri {
                                path_id: with_ids.then_some(p.path_id),
                                route: e.route.clone(),
                            }],
                            (*e.attrs).clone(),
                        );
                        page.updates.push(update_pdu(&u, add_path));
                    }
                }
            }
        }
        page
    }

    /// A Statistics Report's counters for `source`: routes rejected by the
    /// import policy (type 0), Adj-RIB-In routes (7, 9) for a peer;
    /// Loc-RIB routes (8, 10).
    pub fn bmp_stats(&self, source: Source) -> Vec<Stat> {
        match source {
            Source::LocRib => {
                let n = self.rib.len() as u64;
                vec![
                    Stat::gauge(stat_type::LOC_RIB_ROUTES, n),
                    Stat::afi_safi(stat_type::LOC_RIB_ROUTES_AFI_SAFI, Family::L2VPN_EVPN, n),
                ]
            }
            Source::PrePolicy(a) | Source::PostPolicy(a) => {
                let Some(i) = self
                    .peers
                    .iter()
                    .position(|p| !p.removed && p.address() == a)
                else {
                    return Vec::new();
                };
                let n = self.rib.peer_path_count(PeerId(i as u32 + 1)) as u64;
                let rejected = self.refusals.peer_count(i as PeerIndex, Refusal::Policy);
                vec![
                    Stat::counter(
                        stat_type::REJECTED_PREFIXES,
                        u32::try_from(rejected).unwrap_or(u32::MAX),
                    ),
                    Stat::gauge(stat_type::ADJ_RIB_IN_ROUTES, n),
                    Stat::afi_safi(stat_type::ADJ_RIB_IN_ROUTES_AFI_SAFI, Family::L2VPN_EVPN, n),
                ]
            }
        }
    }
}
