//! RFC 7432 §15 MAC mobility for one MAC of one MAC-VRF: who owns it (this
//! leaf or which remote VTEP), with what sequence number, and duplicate
//! detection (§15.1: N moves within M seconds).
//!
//! Ranking between the local MAC and the remote routes for it (FRR's order,
//! `../shared/reference/frr-evpn.md` §1): sticky beats non-sticky, a higher
//! sequence wins, then the lowest VTEP address. A local learn of a MAC known
//! as remote takes `max(remote + 1, local)` (RFC 7432 §15).

use std::collections::{BTreeSet, VecDeque};
use std::net::IpAddr;

use serde::Serialize;

/// One remote route (MAC-only or MAC+IP) naming this MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RemoteMac {
    pub vtep: IpAddr,
    pub seq: u32,
    pub sticky: bool,
}

impl RemoteMac {
    /// Larger is better.
    fn rank(&self) -> (bool, u32, std::cmp::Reverse<IpAddr>) {
        (self.sticky, self.seq, std::cmp::Reverse(self.vtep))
    }
}

/// The handle of a held remote route: its slot in the domain's table of
/// routes ([`crate::import`]), fixed while the route is held. Four octets
/// instead of a copy of its ~40-octet `EvpnKey` (issue 16).
pub type RouteId = u32;

/// The remote routes naming one MAC, by route handle: nearly always one,
/// held inline (a few during a move, or for a multihomed host, boxed).
/// Not a map or a vector: a `BTreeMap` allocates a node of eleven slots
/// (~770 octets here) for its first entry, and a vector one heap block per
/// MAC (issue 16).
#[derive(Debug, Clone, Default)]
pub enum RemoteRoutes {
    #[default]
    Empty,
    One((RouteId, RemoteMac)),
    Many(Box<[(RouteId, RemoteMac)]>),
}

impl RemoteRoutes {
    fn as_slice(&self) -> &[(RouteId, RemoteMac)] {
        match self {
            RemoteRoutes::Empty => &[],
            RemoteRoutes::One(r) => std::slice::from_ref(r),
            RemoteRoutes::Many(rs) => rs,
        }
    }

    /// Adds or replaces the route `k`; the old value, if any.
    pub fn insert(&mut self, k: RouteId, v: RemoteMac) -> Option<RemoteMac> {
        match self {
            RemoteRoutes::Empty => {
                *self = RemoteRoutes::One((k, v));
                None
            }
            RemoteRoutes::One((x, old)) if *x == k => Some(std::mem::replace(old, v)),
            RemoteRoutes::One(r) => {
                *self = RemoteRoutes::Many(Box::new([*r, (k, v)]));
                None
            }
            RemoteRoutes::Many(rs) => {
                if let Some((_, old)) = rs.iter_mut().find(|(x, _)| *x == k) {
                    return Some(std::mem::replace(old, v));
                }
                let mut all = rs.to_vec();
                all.push((k, v));
                *self = RemoteRoutes::Many(all.into_boxed_slice());
                None
            }
        }
    }

    pub fn remove(&mut self, k: RouteId) -> Option<RemoteMac> {
        let at = self.as_slice().iter().position(|(x, _)| *x == k)?;
        let mut all = self.as_slice().to_vec();
        let (_, v) = all.swap_remove(at);
        *self = match all.as_slice() {
            [] => RemoteRoutes::Empty,
            [one] => RemoteRoutes::One(*one),
            _ => RemoteRoutes::Many(all.into_boxed_slice()),
        };
        Some(v)
    }

    pub fn clear(&mut self) {
        *self = RemoteRoutes::Empty;
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn values(&self) -> impl Iterator<Item = &RemoteMac> {
        self.as_slice().iter().map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (RouteId, &RemoteMac)> {
        self.as_slice().iter().map(|(k, v)| (*k, v))
    }
}

/// The local side of a MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LocalMac {
    pub sticky: bool,
}

/// Who has the MAC now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Owner {
    Local { seq: u32, sticky: bool },
    Remote(RemoteMac),
}

/// Duplicate-detection settings (`[evpn.duplicate_detection]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DadPolicy {
    pub enabled: bool,
    pub max_moves: u32,
    pub window_secs: u64,
    /// `None`: warn only. `Some(None)`: freeze until cleared.
    /// `Some(Some(s))`: freeze for `s` seconds.
    pub freeze: Option<Option<u64>>,
}

/// The parts of a MAC's state most remote MACs never use: local
/// neighbours, move history, a freeze. Boxed (issue 16): a million remote
/// MACs pay one pointer for them, not ~50 octets in a half-empty table.
#[derive(Debug, Clone, Default, Serialize)]
struct Rare {
    /// Local neighbours (IPs on the SVI) with this MAC.
    local_ips: BTreeSet<IpAddr>,
    /// Times (seconds) of recent moves.
    #[serde(skip)]
    moves: VecDeque<u64>,
    /// Frozen (neither advertised nor installed) until this time; `u64::MAX`
    /// until cleared.
    frozen_until: Option<u64>,
}

impl Rare {
    fn is_unused(&self) -> bool {
        self.local_ips.is_empty() && self.moves.is_empty() && self.frozen_until.is_none()
    }
}

/// What [`MacState::local_ips`] shows for a MAC without local neighbours.
static NO_IPS: BTreeSet<IpAddr> = BTreeSet::new();

#[derive(Debug, Clone, Default, Serialize)]
pub struct MacState {
    pub local: Option<LocalMac>,
    /// The sequence number our local route carries (or would).
    pub local_seq: u32,
    /// Remote routes for this MAC, by route key.
    #[serde(skip)]
    pub remote: RemoteRoutes,
    pub duplicate: bool,
    /// Who owned it when last settled (moves are changes of this).
    pub owner: Option<Owner>,
    /// The remote entry the dataplane was last told to hold (VTEP, sticky),
    /// kept here rather than in a map of its own.
    #[serde(skip)]
    pub installed: Option<(IpAddr, bool)>,
    #[serde(flatten)]
    rare: Option<Box<Rare>>,
}

impl MacState {
    /// Local neighbours (IPs on the SVI) with this MAC.
    pub fn local_ips(&self) -> &BTreeSet<IpAddr> {
        self.rare.as_ref().map_or(&NO_IPS, |r| &r.local_ips)
    }

    /// A local neighbour with this MAC; false if it was known.
    pub fn add_local_ip(&mut self, ip: IpAddr) -> bool {
        self.rare.get_or_insert_default().local_ips.insert(ip)
    }

    /// A local neighbour gone; false if it was not known.
    pub fn remove_local_ip(&mut self, ip: &IpAddr) -> bool {
        let gone = self.rare.as_mut().is_some_and(|r| r.local_ips.remove(ip));
        self.tidy();
        gone
    }

    /// Frozen (neither advertised nor installed) until this time; `u64::MAX`
    /// until cleared.
    pub fn frozen_until(&self) -> Option<u64> {
        self.rare.as_ref().and_then(|r| r.frozen_until)
    }

    /// Frees the rare parts once none is used.
    fn tidy(&mut self) {
        if self.rare.as_ref().is_some_and(|r| r.is_unused()) {
            self.rare = None;
        }
    }

    pub fn best_remote(&self) -> Option<RemoteMac> {
        self.remote.values().copied().max_by_key(RemoteMac::rank)
    }

    /// A local learn (or a change of its sticky flag). A learn that takes
    /// the MAC over from a remote VTEP bumps the sequence past the remote's.
    /// Refused (returns false) when the remote route is sticky.
    pub fn learn_local(&mut self, sticky: bool) -> bool {
        let remote = self.best_remote();
        if let Some(r) = remote
            && r.sticky
            && !sticky
        {
            return false;
        }
        if self.local.is_none()
            && let Some(r) = remote
            && r.seq >= self.local_seq
        {
            self.local_seq = r.seq.saturating_add(1);
        }
        self.local = Some(LocalMac { sticky });
        true
    }

    /// Decides the owner now, counting a move when it changed between local
    /// and remote or between VTEPs. Returns the new owner (what to advertise
    /// or install), honouring a freeze.
    pub fn settle(&mut self, now: u64, dad: &DadPolicy) -> Option<Owner> {
        let remote = self.best_remote();
        let owner = match (self.local, remote) {
            (Some(l), Some(r)) if (r.sticky, r.seq) > (l.sticky, self.local_seq) => {
                Some(Owner::Remote(r))
            }
            (Some(l), _) => Some(Owner::Local {
                seq: self.local_seq,
                sticky: l.sticky,
            }),
            (None, Some(r)) => Some(Owner::Remote(r)),
            (None, None) => None,
        };
        let moved = match (self.owner, owner) {
            (Some(Owner::Local { .. }), Some(Owner::Remote(_)))
            | (Some(Owner::Remote(_)), Some(Owner::Local { .. })) => true,
            (Some(Owner::Remote(a)), Some(Owner::Remote(b))) => a.vtep != b.vtep,
            _ => false,
        };
        if moved && dad.enabled {
            let rare = self.rare.get_or_insert_default();
            let moves = &mut rare.moves;
            moves.push_back(now);
            while moves
                .front()
                .is_some_and(|t| now.saturating_sub(*t) > dad.window_secs)
            {
                moves.pop_front();
            }
            if !self.duplicate && moves.len() as u32 >= dad.max_moves {
                self.duplicate = true;
                rare.frozen_until = dad
                    .freeze
                    .map(|f| f.map_or(u64::MAX, |s| now.saturating_add(s)));
            }
        }
        self.owner = owner;
        if self.frozen_until().is_some_and(|t| now < t) {
            return None;
        }
        owner
    }

    /// Ends a freeze whose time has come, or (operator) clears the duplicate.
    pub fn clear_duplicate(&mut self) {
        self.duplicate = false;
        if let Some(r) = self.rare.as_mut() {
            r.frozen_until = None;
            r.moves.clear();
        }
        self.tidy();
    }

    /// Moves counted within the current detection window.
    pub fn recent_moves(&self) -> usize {
        self.rare.as_ref().map_or(0, |r| r.moves.len())
    }

    pub fn is_empty(&self) -> bool {
        self.local.is_none() && self.remote.is_empty() && self.local_ips().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const DAD: DadPolicy = DadPolicy {
        enabled: true,
        max_moves: 3,
        window_secs: 180,
        freeze: None,
    };

    fn key(n: u8) -> RouteId {
        RouteId::from(n)
    }
    fn vtep(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }
    fn remote(n: u8, seq: u32, sticky: bool) -> RemoteMac {
        RemoteMac {
            vtep: vtep(n),
            seq,
            sticky,
        }
    }

    #[test]
    fn local_learn_of_a_remote_mac_bumps_the_sequence() {
        let mut m = MacState::default();
        m.remote.insert(key(2), remote(2, 4, false));
        assert_eq!(m.settle(0, &DAD), Some(Owner::Remote(remote(2, 4, false))));
        assert!(m.learn_local(false));
        assert_eq!(
            m.settle(1, &DAD),
            Some(Owner::Local {
                seq: 5,
                sticky: false
            })
        );
    }

    #[test]
    fn higher_remote_sequence_takes_the_mac_away() {
        let mut m = MacState::default();
        m.learn_local(false);
        assert!(matches!(
            m.settle(0, &DAD),
            Some(Owner::Local { seq: 0, .. })
        ));
        m.remote.insert(key(2), remote(2, 1, false));
        assert_eq!(m.settle(1, &DAD), Some(Owner::Remote(remote(2, 1, false))));
    }

    #[test]
    fn equal_sequence_goes_to_the_lowest_vtep_and_sticky_beats_all() {
        let mut m = MacState::default();
        m.remote.insert(key(3), remote(3, 2, false));
        m.remote.insert(key(2), remote(2, 2, false));
        assert_eq!(m.best_remote(), Some(remote(2, 2, false)));
        m.remote.insert(key(4), remote(4, 0, true));
        assert_eq!(m.best_remote(), Some(remote(4, 0, true)));
        // A local learn of a remote sticky MAC is refused.
        assert!(!m.learn_local(false));
        assert_eq!(m.settle(0, &DAD), Some(Owner::Remote(remote(4, 0, true))));
    }

    #[test]
    fn moves_within_the_window_mark_a_duplicate_and_freeze_holds_it() {
        let dad = DadPolicy {
            freeze: Some(None),
            ..DAD
        };
        let mut m = MacState::default();
        let mut seq = 0;
        m.learn_local(false);
        m.settle(0, &dad);
        for t in 1..=3u64 {
            // Remote takes it, then a local learn takes it back.
            seq += 1;
            m.remote.insert(key(2), remote(2, seq, false));
            m.local = None;
            m.settle(t * 10, &dad);
            m.learn_local(false);
            seq = m.local_seq;
            let o = m.settle(t * 10 + 1, &dad);
            if m.duplicate {
                assert_eq!(
                    o, None,
                    "a frozen duplicate is neither advertised nor installed"
                );
            }
        }
        assert!(m.duplicate);
        m.clear_duplicate();
        assert!(m.settle(100, &dad).is_some());
    }

    #[test]
    fn moves_outside_the_window_do_not_add_up() {
        let mut m = MacState::default();
        for t in 0..10u64 {
            m.remote.clear();
            m.remote
                .insert(key(2 + (t % 2) as u8), remote(2 + (t % 2) as u8, 0, false));
            m.settle(t * 1000, &DAD);
        }
        assert!(!m.duplicate);
    }

    #[test]
    fn remote_routes_hold_one_inline_and_more_in_a_box() {
        let mut r = RemoteRoutes::default();
        assert!(r.is_empty());
        assert_eq!(r.insert(key(2), remote(2, 0, false)), None);
        assert!(matches!(r, RemoteRoutes::One(_)));
        assert_eq!(
            r.insert(key(2), remote(2, 1, false)),
            Some(remote(2, 0, false))
        );
        assert_eq!(r.insert(key(3), remote(3, 0, false)), None);
        assert_eq!(r.insert(key(4), remote(4, 0, false)), None);
        assert!(matches!(r, RemoteRoutes::Many(_)));
        assert_eq!(r.len(), 3);
        assert_eq!(r.remove(key(3)), Some(remote(3, 0, false)));
        assert_eq!(r.remove(key(3)), None);
        assert_eq!(r.remove(key(2)), Some(remote(2, 1, false)));
        assert!(matches!(r, RemoteRoutes::One((4, _))));
        assert_eq!(r.remove(key(4)), Some(remote(4, 0, false)));
        assert!(r.is_empty());
    }
}
