//! UPDATEs from peers: RFC 7606 verdicts, eBGP first-AS check, loops,
//! ranking for best path, and max-prefix (RFC 4486).

use std::sync::Arc;
use std::time::Duration;

use evpnd_rib::{Path, Rank};
use evpnd_session::messages::{PeerCommand, PeerIndex};
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::attr::{MpNlri, PathAttribute, code};
use evpnd_wire::error::NlriReason;
use evpnd_wire::nlri::evpn::EvpnRoute;
use evpnd_wire::update::Update;
use evpnd_wire::{Action, Family, NotifyError};
use tracing::{debug, warn};

use crate::Core;
use crate::bmp::PostPolicy;
use crate::peer::PeerSlot;
use crate::refusal::Refusal;
use crate::route::RouteEntry;

/// LOCAL_PREF assumed when an iBGP UPDATE carries none, and for eBGP.
pub const DEFAULT_LOCAL_PREF: u32 = 100;
/// ORIGIN INCOMPLETE (RFC 4271 §5.1.1), assumed when ORIGIN is missing.
const ORIGIN_INCOMPLETE: u8 = 2;

/// Mobility rules only apply to MAC/IP routes.
pub(crate) fn for_route(mut rank: Rank, r: &EvpnRoute) -> Rank {
    if !matches!(r, EvpnRoute::MacIp(_)) {
        rank.mobility_seq = 0;
        rank.sticky = false;
    }
    rank
}

fn rank_for(entry: &RouteEntry, u: &Update, peer: &PeerSlot, n: &Negotiated) -> Rank {
    let (mobility_seq, sticky) = u.mac_mobility().unwrap_or((0, false));
    let as_path = u.as_path();
    let rank = Rank {
        stale: false,
        sticky,
        mobility_seq,
        local: false,
        local_pref: if peer.ibgp {
            u.local_pref().unwrap_or(DEFAULT_LOCAL_PREF)
        } else {
            DEFAULT_LOCAL_PREF
        },
        as_path_len: as_path.map_or(0, |p| p.length()),
        origin: u.origin().map_or(ORIGIN_INCOMPLETE, |o| o.code()),
        med: u.med().unwrap_or(0),
        neighbor_as: as_path.and_then(|p| p.first_as()),
        ebgp: !peer.ibgp,
        cluster_list_len: u.cluster_list().len() as u32,
        originator_id: u.originator_id().unwrap_or(n.peer_router_id),
        peer_addr: peer.address(),
    };
    for_route(rank, &entry.route)
}

impl Core {
    pub(crate) fn update(&mut self, peer: PeerIndex, u: Update) {
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let Some(n) = slot.negotiated().cloned() else {
            return;
        };
        let id = Self::peer_id(peer);
        if let Some(f) = u.is_end_of_rib() {
            debug!(peer = %slot.address(), family = %f, "End-of-RIB");
            self.end_of_rib(peer, f);
            return;
        }
        // IPv4/IPv6 unicast has its own table (`unicast`); an UPDATE with
        // nothing of EVPN stops there.
        if crate::unicast::receive::carries_unicast(&u) {
            self.update_unicast(peer, &u, &n);
            let family = if u.nlri.is_empty() && u.withdrawn.is_empty() {
                u.mp_reach()
                    .map(|m| m.family)
                    .or(u.mp_unreach().map(|m| m.family))
                    .unwrap_or(Family::IPV4_UNICAST)
            } else {
                Family::IPV4_UNICAST
            };
            self.check_max_prefix(peer, family);
            if !crate::unicast::receive::carries_evpn(&u) {
                return;
            }
        }
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        // RFC 4271 §6.3, RFC 7606 §7.2: an eBGP peer's AS_PATH starts with
        // its own AS, else the UPDATE is treated as a withdrawal.
        let first_as = u.as_path().and_then(|p| p.first_as());
        let bad_first_as = !n.ibgp && u.mp_reach().is_some() && first_as != Some(n.peer_asn);
        let from = slot.address();
        let whole = if u.verdict() == Some(Action::TreatAsWithdraw) {
            Some(Refusal::TreatAsWithdraw)
        } else if bad_first_as {
            Some(Refusal::FirstAsMismatch)
        } else {
            self.loop_reason(&u)
        };
        let mut changes = Vec::new();
        // Routes the decoder refused alone (RFC 7606 §5.4, RFC 9136 §3.2):
        // counted, and withdrawn from this peer when the issue says so.
        for issue in &u.issues {
            if let Some(n) = &issue.withdraw {
                let key = n.route.key();
                let path_id = n.path_id.unwrap_or(0);
                self.refusals
                    .record(peer, from, Refusal::EsiAndGateway, key.clone());
                changes.push((key.clone(), self.rib.remove(&key, id, path_id)));
            } else if issue.nlri == Some(NlriReason::UnknownRouteType) {
                self.refusals
                    .count(peer, from, Refusal::UnknownRouteType, None);
            }
        }
        // The peer's routes after import policy, for BMP post-policy.
        let mut post = self.bmp_post.then(PostPolicy::default);
        if let Some(mp) = u.mp_unreach()
            && let MpNlri::Evpn(routes) = &mp.nlri
        {
            for r in routes {
                if let Some(p) = &mut post {
                    p.unreach.push(r.clone());
                }
                let key = r.route.key();
                let path_id = r.path_id.unwrap_or(0);
                self.refusals.forget(&key);
                changes.push((key.clone(), self.rib.remove(&key, id, path_id)));
            }
        }
        if let Some(mp) = u.mp_reach()
            && let MpNlri::Evpn(routes) = &mp.nlri
        {
            let next_hop = mp.next_hop.ip();
            let nh_refusal = self.next_hop_refusal(next_hop);
            let attrs: Vec<PathAttribute> = u
                .attributes
                .iter()
                .filter(|a| {
                    a.type_code() != code::MP_REACH_NLRI && a.type_code() != code::MP_UNREACH_NLRI
                })
                .cloned()
                .collect();
            let attrs = self.interner.intern(attrs);
            for r in routes {
                let key = r.route.key();
                let path_id = r.path_id.unwrap_or(0);
                let unknown = matches!(r.route, EvpnRoute::Unknown { .. });
                let why = whole
                    .or(unknown.then_some(Refusal::UnknownRouteType))
                    .or(nh_refusal);
                // The neighbour's import policy: rejected routes are refused
                // like any other (and explained), accepted ones may come
                // with changed communities or LOCAL_PREF.
                let verdict = match (why, next_hop) {
                    (None, Some(nh)) => self.import_policy(from, &r.route, nh, &attrs),
                    _ => None,
                };
                let why = match &verdict {
                    Some(o) if !o.accepted() => {
                        self.refusals.explain(&key, o.to_string());
                        Some(Refusal::Policy)
                    }
                    _ => why,
                };
                let changed = verdict.and_then(|o| o.attributes);
                match (why, next_hop) {
                    (None, Some(nh)) => {
                        self.refusals.forget(&key);
                        let route_attrs = match &changed {
                            Some(a) => {
                                let mut v = (*attrs).clone();
                                a.write_to(&mut v);
                                self.interner.intern(v)
                            }
                            None => Arc::clone(&attrs),
                        };
                        let entry = RouteEntry {
                            route: r.route.clone(),
                            next_hop: nh,
                            attrs: route_attrs,
                        };
                        let mut rank = rank_for(&entry, &u, &self.peers[peer as usize], &n);
                        if let Some(lp) = changed.as_ref().and_then(|a| a.local_pref) {
                            rank.local_pref = lp;
                        }
                        let entry = Arc::new(entry);
                        if let Some(p) = &mut post {
                            p.reach.push((Arc::clone(&entry), r.path_id));
                        }
                        let path = Path {
                            peer: id,
                            path_id,
                            attrs: entry,
                            rank: Arc::new(rank),
                        };
                        changes.push((key.clone(), self.rib.insert(key, path)));
                    }
                    (why, _) => {
                        let why = why.unwrap_or(Refusal::NoNextHop);
                        self.refusals.record(peer, from, why, key.clone());
                        // An unknown route type is discarded alone (RFC 7606
                        // §5.4); every other refusal withdraws what the peer
                        // had under that key.
                        if why != Refusal::UnknownRouteType {
                            if let Some(p) = &mut post {
                                p.unreach.push(r.clone());
                            }
                            changes.push((key.clone(), self.rib.remove(&key, id, path_id)));
                        }
                    }
                }
            }
        }
        if let Some(p) = post {
            self.bmp_post_policy(peer, p);
        }
        self.apply(changes);
        self.check_max_prefix(peer, Family::L2VPN_EVPN);
    }

    /// RFC 4486: past `max_prefix.limit` accepted routes the session is closed
    /// with Cease / Maximum Number of Prefixes Reached (data: AFI, SAFI,
    /// limit), or only logged with `warning_only`.
    fn check_max_prefix(&mut self, peer: PeerIndex, family: Family) {
        let id = Self::peer_id(peer);
        let accepted = self.rib.peer_path_count(id) + self.uni.rib.peer_path_count(id);
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
        warn!(peer = %slot.address(), accepted, limit = mp.limit, "maximum prefix limit exceeded");
        if mp.warning_only {
            return;
        }
        // RFC 4486 §4: AFI (2 octets), SAFI (1 octet), the limit (4 octets).
        let mut data = family.afi.0.to_be_bytes().to_vec();
        data.push(family.safi.0);
        data.extend_from_slice(&mp.limit.to_be_bytes());
        let notify = NotifyError::new(
            evpnd_wire::error::code::CEASE,
            evpnd_wire::error::subcode::MAXIMUM_PREFIXES_REACHED,
            data,
            format!("more than {} routes received (max_prefix)", mp.limit),
        );
        let restart_after = mp.restart_after.map(|s| Duration::from_secs(u64::from(s)));
        self.send(
            peer,
            PeerCommand::Shutdown {
                notify,
                restart_after,
            },
        );
    }

    /// RFC 4456 §8 and RFC 4271 §9.1.2: our own routes coming back are
    /// ignored, from iBGP and eBGP peers alike.
    pub(crate) fn loop_reason(&self, u: &Update) -> Option<Refusal> {
        if u.originator_id() == Some(self.cfg.bgp.router_id) {
            Some(Refusal::OriginatorIsUs)
        } else if u.cluster_list().contains(&self.cfg.cluster_id()) {
            Some(Refusal::ClusterLoop)
        } else if u.as_path().is_some_and(|p| p.contains(self.cfg.asn())) {
            Some(Refusal::AsPathLoop)
        } else {
            None
        }
    }

    /// A next hop a route must not have: none, unspecified, or ours.
    pub(crate) fn next_hop_refusal(&self, nh: Option<std::net::IpAddr>) -> Option<Refusal> {
        match nh {
            None => Some(Refusal::NoNextHop),
            Some(ip) if ip.is_unspecified() => Some(Refusal::ZeroNextHop),
            // An IPv4-mapped IPv6 next hop is the IPv4 address.
            Some(ip) if self.own_addresses.contains(&ip.to_canonical()) => {
                Some(Refusal::OwnNextHop)
            }
            Some(_) => None,
        }
    }
}
