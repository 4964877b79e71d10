//! Unicast UPDATEs from peers. IPv4 comes in the classic withdrawn/NLRI
//! fields (next hop: the NEXT_HOP attribute) or in MP_REACH/MP_UNREACH
//! (AFI 1; an IPv6 next hop only with the Extended Next Hop capability,
//! RFC 8950 §4, else treat-as-withdraw); IPv6 in MP_REACH/MP_UNREACH (next
//! hop 16 octets, or 32: global + link-local, RFC 2545 §3).
//!
//! The checks are EVPN's (`receive.rs`): RFC 7606 verdicts, the eBGP first
//! AS (against the AS the session negotiated), AS_PATH / ORIGINATOR_ID /
//! CLUSTER_LIST loops, our own next hop. Each refusal is counted and
//! logged. Neighbour import policies are not applied to unicast routes
//! (their match conditions are EVPN's: route type, VNI, route targets).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use evpnd_rib::{BestChange, Path, Rank};
use evpnd_session::messages::PeerIndex;
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::attr::{MpNlri, NextHop, PathAttribute, code};
use evpnd_wire::nlri::prefix::Prefix;
use evpnd_wire::update::Update;
use evpnd_wire::{Action, Family};
use ipnet::IpNet;

use super::{UnicastEntry, is_unicast};
use crate::Core;
use crate::receive::DEFAULT_LOCAL_PREF;
use crate::refusal::Refusal;

/// ORIGIN INCOMPLETE (RFC 4271 §5.1.1), assumed when ORIGIN is missing.
const ORIGIN_INCOMPLETE: u8 = 2;

/// Whether an UPDATE carries unicast routes (or withdrawals).
pub fn carries_unicast(u: &Update) -> bool {
    !u.nlri.is_empty()
        || !u.withdrawn.is_empty()
        || u.mp_reach().is_some_and(|m| is_unicast(m.family))
        || u.mp_unreach().is_some_and(|m| is_unicast(m.family))
}

/// Whether an UPDATE carries EVPN routes (or withdrawals).
pub fn carries_evpn(u: &Update) -> bool {
    u.mp_reach().is_some_and(|m| m.family == Family::L2VPN_EVPN)
        || u.mp_unreach()
            .is_some_and(|m| m.family == Family::L2VPN_EVPN)
}

/// The unicast prefixes of an MP attribute of a unicast family.
fn mp_prefixes(family: Family, nlri: &MpNlri) -> Option<&[Prefix]> {
    match nlri {
        MpNlri::Prefixes(p) if is_unicast(family) => Some(p),
        _ => None,
    }
}

/// The ranking facts shared by every prefix of one UPDATE.
fn rank_of(u: &Update, ibgp: bool, n: &Negotiated, peer_addr: IpAddr) -> Rank {
    let as_path = u.as_path();
    Rank {
        local_pref: if ibgp {
            u.local_pref().unwrap_or(DEFAULT_LOCAL_PREF)
        } else {
            DEFAULT_LOCAL_PREF
        },
        as_path_len: as_path.map_or(0, |p| p.length()),
        origin: u.origin().map_or(ORIGIN_INCOMPLETE, |o| o.code()),
        med: u.med().unwrap_or(0),
        neighbor_as: as_path.and_then(|p| p.first_as()),
        ebgp: !ibgp,
        cluster_list_len: u.cluster_list().len() as u32,
        originator_id: u.originator_id().unwrap_or(n.peer_router_id),
        peer_addr,
        ..Rank::default()
    }
}

/// Changes to the unicast RIB and every prefix whose multipath set may
/// have changed (a path added or removed that is not the best).
#[derive(Default)]
pub(crate) struct UniChanges {
    pub best: Vec<(IpNet, BestChange<UnicastEntry>)>,
    pub touched: Vec<IpNet>,
}

impl Core {
    /// The unicast part of an UPDATE from `peer` (session `n`).
    pub(crate) fn update_unicast(&mut self, peer: PeerIndex, u: &Update, n: &Negotiated) {
        let Some(slot) = self.peers.get(peer as usize) else {
            return;
        };
        let id = Self::peer_id(peer);
        let from = slot.address();
        let mut ch = UniChanges::default();
        // Withdrawals: the classic field (IPv4), MP_UNREACH (either).
        let unreach = u
            .mp_unreach()
            .and_then(|m| mp_prefixes(m.family, &m.nlri).map(|p| (m.family, p)));
        let withdrawn =
            (!u.withdrawn.is_empty()).then_some((Family::IPV4_UNICAST, &u.withdrawn[..]));
        for (family, prefixes) in withdrawn.into_iter().chain(unreach) {
            if !n.families.contains(&family) {
                self.refusals
                    .count(peer, from, Refusal::FamilyNotNegotiated, None);
                continue;
            }
            for p in prefixes {
                let key = p.net.trunc();
                ch.best
                    .push((key, self.uni.rib.remove(&key, id, p.path_id.unwrap_or(0))));
                ch.touched.push(key);
            }
        }
        // Announcements: the classic NLRI with NEXT_HOP, MP_REACH.
        let classic = (!u.nlri.is_empty()).then(|| {
            let nh = u.next_hop().map(|a| (IpAddr::V4(a), None));
            (Family::IPV4_UNICAST, nh, &u.nlri[..])
        });
        let reach = u.mp_reach().and_then(|m| {
            let p = mp_prefixes(m.family, &m.nlri)?;
            let nh = match m.next_hop {
                NextHop::V4(a) => Some((IpAddr::V4(a), None)),
                NextHop::V6(g) => Some((IpAddr::V6(g), None)),
                // Some speakers leave the global half zero on unnumbered
                // links: the link-local is then the next hop.
                NextHop::V6LinkLocal { global, link_local } if global.is_unspecified() => {
                    Some((IpAddr::V6(link_local), Some(link_local)))
                }
                NextHop::V6LinkLocal { global, link_local } => {
                    Some((IpAddr::V6(global), Some(link_local)))
                }
                NextHop::Raw(_) => None,
            };
            Some((m.family, nh, p))
        });
        if classic.is_some() || reach.is_some() {
            let ibgp = n.ibgp;
            // RFC 4271 §6.3, RFC 7606 §7.2: an eBGP peer's AS_PATH starts with its AS.
            let first_as = u.as_path().and_then(|p| p.first_as());
            let whole = if u.verdict() == Some(Action::TreatAsWithdraw) {
                Some(Refusal::TreatAsWithdraw)
            } else if !ibgp && first_as != Some(n.peer_asn) {
                Some(Refusal::FirstAsMismatch)
            } else {
                self.loop_reason(u)
            };
            let attrs: Vec<PathAttribute> = u
                .attributes
                .iter()
                .filter(|a| {
                    !matches!(
                        a.type_code(),
                        code::NEXT_HOP | code::MP_REACH_NLRI | code::MP_UNREACH_NLRI
                    )
                })
                .cloned()
                .collect();
            let attrs = self.interner.intern(attrs);
            let rank = Arc::new(rank_of(u, ibgp, n, from));
            for (family, nh, prefixes) in classic.into_iter().chain(reach) {
                let why = if !n.families.contains(&family) {
                    Some(Refusal::FamilyNotNegotiated)
                } else {
                    whole.or_else(|| self.unicast_next_hop_refusal(family, nh, n))
                };
                if why == Some(Refusal::FamilyNotNegotiated) {
                    self.refusals
                        .count(peer, from, Refusal::FamilyNotNegotiated, None);
                    continue;
                }
                for p in prefixes {
                    let key = p.net.trunc();
                    let path_id = p.path_id.unwrap_or(0);
                    ch.touched.push(key);
                    match (why, nh) {
                        (None, Some((next_hop, link_local))) => {
                            let entry = UnicastEntry {
                                prefix: key,
                                next_hop,
                                link_local,
                                attrs: Arc::clone(&attrs),
                            };
                            let path = Path {
                                peer: id,
                                path_id,
                                attrs: Arc::new(entry),
                                rank: Arc::clone(&rank),
                            };
                            ch.best.push((key, self.uni.rib.insert(key, path)));
                        }
                        (why, _) => {
                            let why = why.unwrap_or(Refusal::NoNextHop);
                            self.refusals.count(peer, from, why, None);
                            ch.best.push((key, self.uni.rib.remove(&key, id, path_id)));
                        }
                    }
                }
            }
        }
        self.apply_unicast(ch);
    }

    /// What is wrong with a unicast next hop, if anything: missing, zero,
    /// ours, or IPv6 for IPv4 without RFC 8950 negotiated.
    fn unicast_next_hop_refusal(
        &self,
        family: Family,
        nh: Option<(IpAddr, Option<Ipv6Addr>)>,
        n: &Negotiated,
    ) -> Option<Refusal> {
        let (ip, _) = nh?;
        if family == Family::IPV4_UNICAST
            && ip.is_ipv6()
            && !n.extended_next_hop.contains(&Family::IPV4_UNICAST)
        {
            return Some(Refusal::ExtendedNextHop);
        }
        self.next_hop_refusal(Some(ip))
    }
}
