//! One routing table: destinations keyed by the full RFC route key, each with
//! every peer's path (the Adj-RIB-In, post-import) and the index of its best
//! (the Loc-RIB entry).
//!
//! Every mutation returns what happened to the best path, which is all the
//! layers above need: the EVPN layer re-evaluates the MAC-VRF entry, the
//! outbound side advertises or withdraws.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use crate::rank::{LossReason, Rank, compare};

/// A peer as the RIB knows it. `PeerId::LOCAL` is the daemon's own origination.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PeerId(pub u32);

impl PeerId {
    pub const LOCAL: PeerId = PeerId(0);
}

/// One path for a destination: who sent it, its attributes, its ranking facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<A> {
    pub peer: PeerId,
    /// RFC 7911 path identifier (0 without ADD-PATH).
    pub path_id: u32,
    pub attrs: Arc<A>,
    pub rank: Rank,
}

/// The effect of a mutation on a destination's best path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BestChange<A> {
    /// The best path is the same path with the same attributes.
    Unchanged,
    /// A different path (or the same path with new attributes) is now best.
    NewBest(Path<A>),
    /// No path is left: the destination is gone.
    Withdrawn,
}

impl<A> BestChange<A> {
    pub fn is_change(&self) -> bool {
        !matches!(self, BestChange::Unchanged)
    }
}

#[derive(Debug, Clone)]
struct Dest<A> {
    paths: Vec<Path<A>>,
    /// Index into `paths` of the best; meaningful while `paths` is non-empty.
    best: usize,
}

impl<A> Dest<A> {
    fn best(&self) -> Option<&Path<A>> {
        self.paths.get(self.best)
    }

    /// Recomputes the best path. Ties keep the earlier (older) path, so a
    /// re-announcement never flaps the choice.
    fn select(&mut self) {
        let mut best = 0;
        for i in 1..self.paths.len() {
            if compare(&self.paths[i].rank, &self.paths[best].rank).0 == Ordering::Less {
                best = i;
            }
        }
        self.best = best;
    }
}

/// A table of destinations keyed by `K`, attributes of type `A`.
#[derive(Debug, Clone)]
pub struct Table<K, A> {
    dests: HashMap<K, Dest<A>>,
    paths: usize,
    /// Paths held per peer, kept by every mutation (max-prefix, API counters).
    per_peer: HashMap<PeerId, usize>,
}

impl<K, A> Default for Table<K, A> {
    fn default() -> Self {
        Table {
            dests: HashMap::new(),
            paths: 0,
            per_peer: HashMap::new(),
        }
    }
}

fn identity<A>(a: Option<&Path<A>>) -> Option<(PeerId, u32, *const A)> {
    a.map(|p| (p.peer, p.path_id, Arc::as_ptr(&p.attrs)))
}

impl<K: Hash + Eq + Clone, A: PartialEq> Table<K, A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of destinations (Loc-RIB size).
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Number of paths over all destinations (Adj-RIB-In size).
    pub fn path_count(&self) -> usize {
        self.paths
    }

    /// Paths held from `peer`.
    pub fn peer_path_count(&self, peer: PeerId) -> usize {
        self.per_peer.get(&peer).copied().unwrap_or(0)
    }

    pub fn best(&self, key: &K) -> Option<&Path<A>> {
        self.dests.get(key).and_then(Dest::best)
    }

    /// Every path of a destination, best first, each with the reason it lost
    /// against the best (`None` for the best itself).
    pub fn explain(&self, key: &K) -> Vec<(&Path<A>, Option<LossReason>)> {
        let Some(d) = self.dests.get(key) else {
            return Vec::new();
        };
        let Some(best) = d.best() else {
            return Vec::new();
        };
        let mut out = vec![(best, None)];
        for (i, p) in d.paths.iter().enumerate() {
            if i != d.best {
                out.push((p, Some(compare(&best.rank, &p.rank).1)));
            }
        }
        out
    }

    /// Iterates destinations with their best path.
    pub fn iter_best(&self) -> impl Iterator<Item = (&K, &Path<A>)> {
        self.dests
            .iter()
            .filter_map(|(k, d)| d.best().map(|b| (k, b)))
    }

    /// Iterates every path of every destination (the Adj-RIB-In of all
    /// peers plus local paths), each with whether it is the best.
    pub fn iter_paths(&self) -> impl Iterator<Item = (&K, &Path<A>, bool)> {
        self.dests.iter().flat_map(|(k, d)| {
            d.paths
                .iter()
                .enumerate()
                .map(move |(i, p)| (k, p, i == d.best))
        })
    }

    /// Adds or replaces the path `(path.peer, path.path_id)` for `key`.
    pub fn insert(&mut self, key: K, path: Path<A>) -> BestChange<A>
    where
        A: Clone,
    {
        let dest = self.dests.entry(key).or_insert_with(|| Dest {
            paths: Vec::with_capacity(1),
            best: 0,
        });
        let before = identity(dest.best());
        let old_best_attrs = dest.best().map(|b| Arc::clone(&b.attrs));
        match dest
            .paths
            .iter_mut()
            .find(|p| p.peer == path.peer && p.path_id == path.path_id)
        {
            Some(slot) => *slot = path,
            None => {
                *self.per_peer.entry(path.peer).or_default() += 1;
                dest.paths.push(path);
                self.paths += 1;
            }
        }
        dest.select();
        let after = dest.best();
        let same_path = identity(after).map(|(p, i, _)| (p, i)) == before.map(|(p, i, _)| (p, i));
        let same_attrs = match (old_best_attrs, after) {
            (Some(old), Some(new)) => Arc::ptr_eq(&old, &new.attrs) || *old == *new.attrs,
            _ => false,
        };
        match after {
            Some(b) if !(same_path && same_attrs) => BestChange::NewBest(b.clone()),
            _ => BestChange::Unchanged,
        }
    }

    /// Removes the path `(peer, path_id)` for `key`, if present.
    pub fn remove(&mut self, key: &K, peer: PeerId, path_id: u32) -> BestChange<A>
    where
        A: Clone,
    {
        let Some(dest) = self.dests.get_mut(key) else {
            return BestChange::Unchanged;
        };
        let Some(i) = dest
            .paths
            .iter()
            .position(|p| p.peer == peer && p.path_id == path_id)
        else {
            return BestChange::Unchanged;
        };
        let was_best = i == dest.best;
        dest.paths.swap_remove(i);
        self.paths -= 1;
        if let Some(n) = self.per_peer.get_mut(&peer) {
            *n -= 1;
        }
        if dest.paths.is_empty() {
            self.dests.remove(key);
            return BestChange::Withdrawn;
        }
        let old_best = dest.best;
        dest.select();
        if was_best {
            dest.best()
                .map_or(BestChange::Withdrawn, |b| BestChange::NewBest(b.clone()))
        } else {
            // swap_remove may have moved the best to index i; select() found it again.
            let _ = old_best;
            BestChange::Unchanged
        }
    }

    /// Removes every path of `peer` (session down), returning the changed destinations.
    pub fn remove_peer(&mut self, peer: PeerId) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        self.retain_paths(|p| p.peer != peer)
    }

    /// Graceful restart: marks every path of `peer` stale (it then loses to
    /// any fresh path). Returns the destinations whose best changed.
    pub fn mark_stale(&mut self, peer: PeerId) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        let mut out = Vec::new();
        for (k, d) in self.dests.iter_mut() {
            if !d.paths.iter().any(|p| p.peer == peer) {
                continue;
            }
            let before = identity(d.best()).map(|(p, i, _)| (p, i));
            for p in d.paths.iter_mut().filter(|p| p.peer == peer) {
                p.rank.stale = true;
            }
            d.select();
            let after = d.best();
            if identity(after).map(|(p, i, _)| (p, i)) != before
                && let Some(b) = after
            {
                out.push((k.clone(), BestChange::NewBest(b.clone())));
            }
        }
        out
    }

    /// Graceful restart end (End-of-RIB or timer): drops `peer`'s paths still stale.
    pub fn sweep_stale(&mut self, peer: PeerId) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        self.retain_paths(|p| !(p.peer == peer && p.rank.stale))
    }

    fn retain_paths(&mut self, keep: impl Fn(&Path<A>) -> bool) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        let mut out = Vec::new();
        let mut removed = 0;
        let per_peer = &mut self.per_peer;
        self.dests.retain(|k, d| {
            if d.paths.iter().all(&keep) {
                return true;
            }
            let best_gone = d.best().is_some_and(|b| !keep(b));
            for p in d.paths.iter().filter(|p| !keep(p)) {
                if let Some(n) = per_peer.get_mut(&p.peer) {
                    *n -= 1;
                }
                removed += 1;
            }
            d.paths.retain(&keep);
            if d.paths.is_empty() {
                out.push((k.clone(), BestChange::Withdrawn));
                return false;
            }
            d.select();
            if best_gone && let Some(b) = d.best() {
                out.push((k.clone(), BestChange::NewBest(b.clone())));
            }
            true
        });
        self.paths -= removed;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(peer: u32, lp: u32, attrs: &str) -> Path<String> {
        Path {
            peer: PeerId(peer),
            path_id: 0,
            attrs: Arc::new(attrs.to_string()),
            rank: Rank {
                local_pref: lp,
                peer_addr: format!("10.0.0.{peer}").parse().expect("ip"),
                ..Rank::default()
            },
        }
    }

    #[test]
    fn insert_selects_best_and_reports_changes() {
        let mut t: Table<&str, String> = Table::new();
        assert!(
            matches!(t.insert("k", path(1, 100, "a")), BestChange::NewBest(p) if p.peer == PeerId(1))
        );
        // A worse path does not change the best.
        assert_eq!(t.insert("k", path(2, 50, "b")), BestChange::Unchanged);
        // A better one does.
        assert!(
            matches!(t.insert("k", path(3, 200, "c")), BestChange::NewBest(p) if p.peer == PeerId(3))
        );
        assert_eq!((t.len(), t.path_count()), (1, 3));
        // Same peer re-announces same attrs: unchanged; new attrs: new best.
        assert_eq!(t.insert("k", path(3, 200, "c")), BestChange::Unchanged);
        assert!(
            matches!(t.insert("k", path(3, 200, "c2")), BestChange::NewBest(p) if *p.attrs == "c2")
        );
        assert_eq!(t.path_count(), 3);
    }

    #[test]
    fn remove_falls_back_then_withdraws() {
        let mut t: Table<&str, String> = Table::new();
        t.insert("k", path(1, 100, "a"));
        t.insert("k", path(2, 200, "b"));
        assert_eq!(t.remove(&"k", PeerId(1), 0), BestChange::Unchanged);
        t.insert("k", path(1, 100, "a"));
        assert!(
            matches!(t.remove(&"k", PeerId(2), 0), BestChange::NewBest(p) if p.peer == PeerId(1))
        );
        assert_eq!(t.remove(&"k", PeerId(1), 0), BestChange::Withdrawn);
        assert!(t.is_empty());
        assert_eq!(t.path_count(), 0);
        assert_eq!(t.remove(&"k", PeerId(1), 0), BestChange::Unchanged);
    }

    #[test]
    fn explain_names_the_deciding_rule() {
        let mut t: Table<&str, String> = Table::new();
        t.insert("k", path(1, 100, "a"));
        t.insert("k", path(2, 200, "b"));
        let e = t.explain(&"k");
        assert_eq!(e[0].0.peer, PeerId(2));
        assert_eq!(e[1], (&path(1, 100, "a"), Some(LossReason::LowerLocalPref)));
    }

    #[test]
    fn peer_down_and_graceful_restart() {
        let mut t: Table<u32, String> = Table::new();
        for k in 0..10 {
            t.insert(k, path(1, 200, "a"));
            if k % 2 == 0 {
                t.insert(k, path(2, 100, "b"));
            }
        }
        // Peer 1 restarts: its paths go stale, peer 2 takes over where present.
        let ch = t.mark_stale(PeerId(1));
        assert_eq!(ch.len(), 5);
        assert!(
            ch.iter()
                .all(|(_, c)| matches!(c, BestChange::NewBest(p) if p.peer == PeerId(2)))
        );
        // Peer 1 re-announces key 0 fresh: it wins again.
        assert!(t.insert(0, path(1, 200, "a")).is_change());
        // End-of-RIB: stale leftovers swept; odd keys had only peer 1 -> withdrawn.
        let ch = t.sweep_stale(PeerId(1));
        assert_eq!(
            ch.iter()
                .filter(|(_, c)| *c == BestChange::Withdrawn)
                .count(),
            5
        );
        assert_eq!(t.len(), 5);
        let ch = t.remove_peer(PeerId(2));
        // Key 0 still has peer 1; 2,4,6,8 are gone.
        assert_eq!(ch.len(), 4);
        assert_eq!(t.len(), 1);
        assert_eq!(t.path_count(), 1);
    }
}
