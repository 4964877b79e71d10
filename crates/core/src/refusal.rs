//! Routes a peer sent that the core does not take, and why: each reason is
//! counted, logged (once per peer and reason per session, then at debug),
//! and remembered for the most recent keys so `explain` can say why a route
//! is missing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use evpnd_session::messages::PeerIndex;
use evpnd_wire::nlri::evpn::EvpnKey;
use serde::Serialize;
use tracing::{debug, warn};

/// Why a received route was not taken into the RIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// A malformed attribute made the UPDATE treat-as-withdraw (RFC 7606).
    TreatAsWithdraw,
    /// eBGP: the AS_PATH does not start with the peer's AS (RFC 7606 §7.2).
    FirstAsMismatch,
    /// The AS_PATH contains our own AS: a loop (RFC 4271 §9.1.2).
    AsPathLoop,
    /// ORIGINATOR_ID is our router id: our own route reflected back (RFC 4456 §8).
    OriginatorIsUs,
    /// The CLUSTER_LIST contains our cluster id (RFC 4456 §8).
    ClusterLoop,
    /// The MP_REACH next hop is 0.0.0.0 or :: (RFC 4271 §6.3: not a valid
    /// host address).
    ZeroNextHop,
    /// The next hop is one of our own addresses: forwarding to it loops.
    OwnNextHop,
    /// The next hop is not an IP address evpnd can use.
    NoNextHop,
    /// An EVPN route type evpnd does not know (RFC 7606 §5.4: discarded,
    /// the other routes of the UPDATE are kept).
    UnknownRouteType,
    /// A type-5 route with both an ESI and a gateway IP: treated as
    /// withdrawn (RFC 9136 §3.2).
    EsiAndGateway,
    /// The neighbour's import policy rejected it (the deciding term is
    /// remembered for `explain`).
    Policy,
    /// An IPv4 unicast route with an IPv6 next hop from a peer that did not
    /// negotiate the Extended Next Hop capability: treated as withdrawn
    /// (RFC 8950 §4, RFC 7606).
    ExtendedNextHop,
    /// A unicast route of a family the session did not negotiate (RFC 4760
    /// §7): ignored.
    FamilyNotNegotiated,
}

impl Refusal {
    /// The reason's name in metrics labels and logs (its serde name).
    pub fn name(self) -> &'static str {
        match self {
            Refusal::TreatAsWithdraw => "treat_as_withdraw",
            Refusal::FirstAsMismatch => "first_as_mismatch",
            Refusal::AsPathLoop => "as_path_loop",
            Refusal::OriginatorIsUs => "originator_is_us",
            Refusal::ClusterLoop => "cluster_loop",
            Refusal::ZeroNextHop => "zero_next_hop",
            Refusal::OwnNextHop => "own_next_hop",
            Refusal::NoNextHop => "no_next_hop",
            Refusal::UnknownRouteType => "unknown_route_type",
            Refusal::EsiAndGateway => "esi_and_gateway",
            Refusal::Policy => "policy",
            Refusal::ExtendedNextHop => "extended_next_hop",
            Refusal::FamilyNotNegotiated => "family_not_negotiated",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Refusal::TreatAsWithdraw => "malformed attribute: treat-as-withdraw (RFC 7606)",
            Refusal::FirstAsMismatch => {
                "AS_PATH does not start with the peer's AS: treated as withdrawn (RFC 7606 §7.2)"
            }
            Refusal::AsPathLoop => "AS_PATH contains our own AS: loop (RFC 4271 §9.1.2)",
            Refusal::OriginatorIsUs => "ORIGINATOR_ID is our router id: loop (RFC 4456 §8)",
            Refusal::ClusterLoop => "CLUSTER_LIST contains our cluster id: loop (RFC 4456 §8)",
            Refusal::ZeroNextHop => "next hop 0.0.0.0 or :: is not a host address",
            Refusal::OwnNextHop => "next hop is one of our own addresses",
            Refusal::NoNextHop => "next hop is not an IP address",
            Refusal::UnknownRouteType => "unknown EVPN route type: discarded (RFC 7606 §5.4)",
            Refusal::EsiAndGateway => {
                "type 5 with both ESI and gateway IP: treated as withdrawn (RFC 9136 §3.2)"
            }
            Refusal::Policy => "rejected by the neighbor's import policy",
            Refusal::ExtendedNextHop => {
                "IPv4 route with an IPv6 next hop but no extended next hop capability: treated as withdrawn (RFC 8950 §4)"
            }
            Refusal::FamilyNotNegotiated => {
                "address family not negotiated on this session: ignored"
            }
        }
    }
}

/// Refused keys remembered for `explain` (oldest forgotten first).
pub const REMEMBERED: usize = 4096;

#[derive(Default)]
pub(crate) struct Refusals {
    counts: HashMap<Refusal, u64>,
    per_peer: HashMap<(PeerIndex, Refusal), u64>,
    logged: HashSet<(PeerIndex, Refusal)>,
    recent: HashMap<EvpnKey, (IpAddr, Refusal)>,
    order: VecDeque<EvpnKey>,
    /// The policy verdict of the refused keys [`Refusal::Policy`] names
    /// (`rejected by policy "p" term "t"`).
    details: HashMap<EvpnKey, String>,
}

impl Refusals {
    pub fn record(&mut self, peer: PeerIndex, from: IpAddr, why: Refusal, key: EvpnKey) {
        self.count(peer, from, why, Some(&key));
        if why != Refusal::Policy {
            self.details.remove(&key);
        }
        if self.recent.insert(key.clone(), (from, why)).is_none() {
            self.order.push_back(key);
            while self.order.len() > REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.recent.remove(&old);
                    self.details.remove(&old);
                }
            }
        }
    }

    /// Counts and logs a refusal (`key`: the route, when it has one).
    pub fn count(&mut self, peer: PeerIndex, from: IpAddr, why: Refusal, key: Option<&EvpnKey>) {
        *self.counts.entry(why).or_default() += 1;
        *self.per_peer.entry((peer, why)).or_default() += 1;
        if self.logged.insert((peer, why)) {
            warn!(peer = %from, route = ?key, "route refused: {} (further ones from this peer logged at debug)", why.describe());
        } else {
            debug!(peer = %from, route = ?key, "route refused: {}", why.describe());
        }
    }

    /// The policy's sentence for a key about to be refused by policy.
    pub fn explain(&mut self, key: &EvpnKey, text: String) {
        self.details.insert(key.clone(), text);
    }

    /// What decided a refusal, when a policy did.
    pub fn detail(&self, key: &EvpnKey) -> Option<&str> {
        self.details.get(key).map(String::as_str)
    }

    /// A route of that key was accepted (or withdrawn) since: forget it.
    pub fn forget(&mut self, key: &EvpnKey) {
        // The common case, nothing refused lately, costs no hashing.
        if !self.recent.is_empty() {
            self.recent.remove(key);
        }
        if !self.details.is_empty() {
            self.details.remove(key);
        }
    }

    /// A peer's session went up again: log its refusals afresh.
    pub fn session_up(&mut self, peer: PeerIndex) {
        self.logged.retain(|(p, _)| *p != peer);
    }

    /// Routes of one peer refused for one reason (BMP statistics).
    pub fn peer_count(&self, peer: PeerIndex, why: Refusal) -> u64 {
        self.per_peer.get(&(peer, why)).copied().unwrap_or(0)
    }

    pub fn counts(&self) -> Vec<(Refusal, u64)> {
        let mut v: Vec<(Refusal, u64)> = self.counts.iter().map(|(r, n)| (*r, *n)).collect();
        v.sort();
        v
    }

    pub fn recent(&self) -> impl Iterator<Item = (&EvpnKey, &(IpAddr, Refusal))> {
        self.recent.iter()
    }
}
