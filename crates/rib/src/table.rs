//! One routing table: destinations keyed by the full RFC route key, each with
//! every peer's path (the Adj-RIB-In, post-import) and the index of its best
//! (the Loc-RIB entry).
//!
//! Destinations live in a slab and are numbered by a `u32` route id; the
//! index is a hash table of ids. The key itself is not stored: the
//! attributes of a path know it ([`Keyed`]; in the daemon the EVPN route
//! carries its key fields), which saves a copy per destination (ADR 0013). Adj-RIB-Outs key their state by that id ([`crate::AdjOut`]). An id
//! stays with its destination while it has paths; once the last path is gone
//! the id is kept until [`Table::recycle`], so the layer above can still look
//! up the id of what it just withdrew, and is then reused.
//!
//! Every mutation returns what happened to the best path, which is all the
//! layers above need: the EVPN layer re-evaluates the MAC-VRF entry, the
//! outbound side advertises or withdraws.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use foldhash::fast::RandomState;
use std::sync::Arc;

use hashbrown::HashTable;

use crate::dest::Dest;
use crate::intern::Interner;
use crate::rank::{LossReason, Rank, compare};

/// A peer as the RIB knows it. `PeerId::LOCAL` is the daemon's own origination.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PeerId(pub u32);

impl PeerId {
    pub const LOCAL: PeerId = PeerId(0);
}

/// What a table's attributes know of their destination: its key. Every path
/// of a destination must give the same key.
pub trait Keyed<K> {
    fn key(&self) -> K;
}

/// A key with a value (tests, tools): the pair names its destination.
impl<K: Clone, T> Keyed<K> for (K, T) {
    fn key(&self) -> K {
        self.0.clone()
    }
}

/// One path for a destination: who sent it, its attributes, its ranking facts.
///
/// The ranking facts are shared: they are the same for every route of an
/// attribute set from one peer, and the table keeps one copy of each
/// distinct [`Rank`] (issue 16: 56 octets per path inline, 8 shared; a
/// path is 24 octets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path<A> {
    pub peer: PeerId,
    /// RFC 7911 path identifier (0 without ADD-PATH).
    pub path_id: u32,
    pub attrs: Arc<A>,
    pub rank: Arc<Rank>,
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

/// An entry of the index: a route id and 32 bits of its key's hash, so that
/// growing the index and most failed probes never touch the paths (the
/// key is only reachable through them).
#[derive(Debug, Clone, Copy)]
struct Indexed {
    id: u32,
    hash: u32,
}

/// The 64-bit hash the index works with, from the stored 32 bits (hashbrown
/// takes its bucket from the low bits and its tag from the top ones).
fn spread(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

/// A table of destinations keyed by `K`, attributes of type `A`.
#[derive(Debug, Clone)]
pub struct Table<K, A> {
    /// The destinations, by route id. Free slots have no paths.
    slots: Vec<Dest<A>>,
    /// Route ids by the hash of their slot's key.
    index: HashTable<Indexed>,
    /// foldhash with a random seed per table: keys come from peers, so the
    /// hash must not be predictable, but SipHash cost a quarter of the
    /// core's time on a full-table burst (ADR 0013).
    hasher: RandomState,
    /// Ids of free slots (not in `index`).
    free: Vec<u32>,
    /// Ids whose destination lost its last path since the last `recycle`.
    emptied: Vec<u32>,
    /// Destinations with at least one path.
    live: usize,
    paths: usize,
    /// Paths held per peer, kept by every mutation (max-prefix, API counters).
    per_peer: HashMap<PeerId, usize>,
    /// One copy of each distinct rank the paths hold.
    ranks: Interner<Rank>,
    /// The rank interned last: consecutive paths (one UPDATE, one peer)
    /// nearly always carry the same, found without hashing.
    last_rank: Option<Arc<Rank>>,
    _key: std::marker::PhantomData<fn() -> K>,
}

impl<K, A> Default for Table<K, A> {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            index: HashTable::new(),
            hasher: RandomState::default(),
            free: Vec::new(),
            emptied: Vec::new(),
            live: 0,
            paths: 0,
            per_peer: HashMap::new(),
            ranks: Interner::new(),
            last_rank: None,
            _key: std::marker::PhantomData,
        }
    }
}

fn identity<A>(a: Option<&Path<A>>) -> Option<(PeerId, u32, *const A)> {
    a.map(|p| (p.peer, p.path_id, Arc::as_ptr(&p.attrs)))
}

impl<K: Hash + Eq + Clone, A: PartialEq + Keyed<K>> Table<K, A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of destinations (Loc-RIB size).
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of paths over all destinations (Adj-RIB-In size).
    pub fn path_count(&self) -> usize {
        self.paths
    }

    /// Paths held from `peer`.
    pub fn peer_path_count(&self, peer: PeerId) -> usize {
        self.per_peer.get(&peer).copied().unwrap_or(0)
    }

    fn hash(&self, key: &K) -> u32 {
        let h = self.hasher.hash_one(key);
        ((h >> 32) ^ h) as u32
    }

    /// The route id of `key`: while it has paths, and after its last path
    /// went until the next [`Table::recycle`].
    pub fn id(&self, key: &K) -> Option<u32> {
        let h = self.hash(key);
        self.index
            .find(spread(h), |e| {
                e.hash == h && self.slots[e.id as usize].is(key)
            })
            .map(|e| e.id)
    }

    /// The best path of route id `id`, if it has a path.
    pub fn best_by_id(&self, id: u32) -> Option<&Path<A>> {
        self.slots.get(id as usize)?.best()
    }

    /// The key of route id `id` while the id is taken (see [`Table::id`]).
    pub fn key_of(&self, id: u32) -> Option<K> {
        self.slots.get(id as usize)?.key()
    }

    pub fn best(&self, key: &K) -> Option<&Path<A>> {
        self.id(key).and_then(|i| self.slots[i as usize].best())
    }

    /// Every path of route id `id` (in storage order; the best is one of them).
    pub fn paths_by_id(&self, id: u32) -> &[Path<A>] {
        self.slots
            .get(id as usize)
            .map_or(&[], |d| d.paths.as_slice())
    }

    /// The multipath set of `key`: the best path first, then the paths equal
    /// to it for multipath ([`crate::multipath_equal`]) in decision order,
    /// at most `mp.max_paths` of them. Empty when the key has no path.
    pub fn multipath(&self, key: &K, mp: crate::Multipath) -> Vec<&Path<A>> {
        let Some(d) = self.id(key).map(|i| &self.slots[i as usize]) else {
            return Vec::new();
        };
        let Some(best) = d.best() else {
            return Vec::new();
        };
        let mut out = vec![best];
        if mp.max_paths <= 1 {
            return out;
        }
        let mut rest: Vec<&Path<A>> = d
            .paths
            .as_slice()
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                *i != d.best as usize && crate::multipath_equal(&best.rank, &p.rank, mp.relax)
            })
            .map(|(_, p)| p)
            .collect();
        rest.sort_by(|a, b| compare(&a.rank, &b.rank).0);
        out.extend(rest.into_iter().take(mp.max_paths - 1));
        out
    }

    /// Every path of a destination, best first, each with the reason it lost
    /// against the best (`None` for the best itself).
    pub fn explain(&self, key: &K) -> Vec<(&Path<A>, Option<LossReason>)> {
        let Some(d) = self.id(key).map(|i| &self.slots[i as usize]) else {
            return Vec::new();
        };
        let Some(best) = d.best() else {
            return Vec::new();
        };
        let mut out = vec![(best, None)];
        for (i, p) in d.paths.as_slice().iter().enumerate() {
            if i != d.best as usize {
                out.push((p, Some(compare(&best.rank, &p.rank).1)));
            }
        }
        out
    }

    /// Iterates destinations with their best path.
    pub fn iter_best(&self) -> impl Iterator<Item = (K, &Path<A>)> {
        self.slots
            .iter()
            .filter_map(|d| d.best().map(|b| (b.attrs.key(), b)))
    }

    /// One past the highest route id ever handed out: ids below it may be
    /// walked from a cursor (`best_by_id`, `key_of`).
    pub fn id_bound(&self) -> u32 {
        self.slots.len() as u32
    }

    /// Iterates the route ids that have a best path.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.paths.is_empty())
            .map(|(i, _)| i as u32)
    }

    /// Iterates every path of every destination (the Adj-RIB-In of all
    /// peers plus local paths), each with whether it is the best.
    pub fn iter_paths(&self) -> impl Iterator<Item = (K, &Path<A>, bool)> {
        self.slots.iter().flat_map(|d| {
            d.paths
                .as_slice()
                .iter()
                .enumerate()
                .map(move |(i, p)| (p.attrs.key(), p, i == d.best as usize))
        })
    }

    /// A free slot for a new destination (reused, or at the end).
    fn alloc(&mut self) -> u32 {
        if let Some(i) = self.free.pop() {
            return i;
        }
        // Four billion destinations do not fit in memory first.
        let i = u32::try_from(self.slots.len()).expect("route ids fit in u32");
        self.slots.push(Dest::default());
        i
    }

    /// Adds or replaces the path `(path.peer, path.path_id)` for `key`
    /// (which must be `path.attrs.key()`).
    pub fn insert(&mut self, key: K, path: Path<A>) -> BestChange<A>
    where
        A: Clone,
    {
        debug_assert!(path.attrs.key() == key, "a path's attributes name its key");
        let path = Path {
            rank: self.share_rank(path.rank),
            ..path
        };
        let h = self.hash(&key);
        let slots = &self.slots;
        let found = self
            .index
            .find(spread(h), |e| e.hash == h && slots[e.id as usize].is(&key))
            .map(|e| e.id);
        let id = match found {
            Some(i) => i,
            None => self.alloc(),
        };
        let dest = &mut self.slots[id as usize];
        if dest.paths.is_empty() {
            self.live += 1;
        }
        let before = identity(dest.best());
        let old_best_attrs = dest.best().map(|b| Arc::clone(&b.attrs));
        match dest
            .paths
            .as_mut_slice()
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
        if found.is_none() {
            self.index
                .insert_unique(spread(h), Indexed { id, hash: h }, |e| spread(e.hash));
        }
        let dest = &self.slots[id as usize];
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

    /// The table's copy of `rank` (which becomes it when new).
    fn share_rank(&mut self, rank: Arc<Rank>) -> Arc<Rank> {
        if let Some(last) = &self.last_rank
            && (Arc::ptr_eq(last, &rank) || **last == *rank)
        {
            return Arc::clone(last);
        }
        self.ranks.purge_if_large();
        let shared = self.ranks.share(rank);
        self.last_rank = Some(Arc::clone(&shared));
        shared
    }

    /// Ranks held by the table (distinct [`Rank`]s, shared by the paths).
    pub fn rank_count(&self) -> usize {
        self.ranks.len()
    }

    /// Removes the path `(peer, path_id)` for `key`, if present.
    pub fn remove(&mut self, key: &K, peer: PeerId, path_id: u32) -> BestChange<A>
    where
        A: Clone,
    {
        let Some(id) = self.id(key) else {
            return BestChange::Unchanged;
        };
        let dest = &mut self.slots[id as usize];
        let Some(i) = dest
            .paths
            .as_slice()
            .iter()
            .position(|p| p.peer == peer && p.path_id == path_id)
        else {
            return BestChange::Unchanged;
        };
        let was_best = i == dest.best as usize;
        dest.paths.swap_remove(i);
        self.paths -= 1;
        if let Some(n) = self.per_peer.get_mut(&peer) {
            *n -= 1;
        }
        if dest.paths.is_empty() {
            self.live -= 1;
            self.emptied.push(id);
            return BestChange::Withdrawn;
        }
        // swap_remove may have moved the best; select() finds it again.
        dest.select();
        if was_best {
            dest.best()
                .map_or(BestChange::Withdrawn, |b| BestChange::NewBest(b.clone()))
        } else {
            BestChange::Unchanged
        }
    }

    /// Frees the ids of destinations left without paths since the last call
    /// (their ids may be handed to new destinations afterwards).
    pub fn recycle(&mut self) {
        for id in std::mem::take(&mut self.emptied) {
            let d = &mut self.slots[id as usize];
            if !d.paths.is_empty() || d.is_free() {
                continue; // re-announced meanwhile, or already freed
            }
            let Some(key) = d.key::<K>() else {
                continue;
            };
            *d = Dest::default();
            let h = self.hash(&key);
            if let Ok(e) = self.index.find_entry(spread(h), |e| e.id == id) {
                e.remove();
                self.free.push(id);
            }
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
        // Paths that shared a rank share its stale twin.
        let mut twins: HashMap<*const Rank, (Arc<Rank>, Arc<Rank>)> = HashMap::new();
        for d in self.slots.iter_mut() {
            if !d.paths.as_slice().iter().any(|p| p.peer == peer) {
                continue;
            }
            let before = identity(d.best()).map(|(p, i, _)| (p, i));
            for p in d.paths.as_mut_slice().iter_mut().filter(|p| p.peer == peer) {
                if p.rank.stale {
                    continue;
                }
                let (_, twin) = twins.entry(Arc::as_ptr(&p.rank)).or_insert_with(|| {
                    let stale = self.ranks.intern(Rank {
                        stale: true,
                        ..(*p.rank).clone()
                    });
                    // The original is kept while the map may name it.
                    (Arc::clone(&p.rank), stale)
                });
                p.rank = Arc::clone(twin);
            }
            d.select();
            let after = d.best();
            if identity(after).map(|(p, i, _)| (p, i)) != before
                && let Some(b) = after
            {
                out.push((b.attrs.key(), BestChange::NewBest(b.clone())));
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

    /// Graceful restart per family: drops `peer`'s stale paths whose
    /// attributes `pick` selects (e.g. one address family of a table that
    /// holds two).
    pub fn sweep_stale_where(
        &mut self,
        peer: PeerId,
        pick: impl Fn(&A) -> bool,
    ) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        self.retain_paths(|p| !(p.peer == peer && p.rank.stale && pick(&p.attrs)))
    }

    fn retain_paths(&mut self, keep: impl Fn(&Path<A>) -> bool) -> Vec<(K, BestChange<A>)>
    where
        A: Clone,
    {
        let mut out = Vec::new();
        for (id, d) in self.slots.iter_mut().enumerate() {
            if d.paths.as_slice().iter().all(&keep) {
                continue;
            }
            let best_gone = d.best().is_some_and(|b| !keep(b));
            for p in d.paths.as_slice().iter().filter(|p| !keep(p)) {
                if let Some(n) = self.per_peer.get_mut(&p.peer) {
                    *n -= 1;
                }
                self.paths -= 1;
            }
            d.paths.retain(&keep);
            if d.paths.is_empty() {
                self.live -= 1;
                self.emptied.push(id as u32);
                if let Some(k) = d.key() {
                    out.push((k, BestChange::Withdrawn));
                }
                continue;
            }
            d.select();
            if best_gone && let Some(b) = d.best() {
                out.push((b.attrs.key(), BestChange::NewBest(b.clone())));
            }
        }
        out
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn path<K>(key: K, peer: u32, lp: u32, attrs: &str) -> Path<(K, String)> {
        Path {
            peer: PeerId(peer),
            path_id: 0,
            attrs: Arc::new((key, attrs.to_string())),
            rank: Arc::new(Rank {
                local_pref: lp,
                peer_addr: format!("10.0.0.{peer}").parse().expect("ip"),
                ..Rank::default()
            }),
        }
    }

    #[test]
    fn insert_selects_best_and_reports_changes() {
        let mut t: Table<&str, (&str, String)> = Table::new();
        assert!(
            matches!(t.insert("k", path("k", 1, 100, "a")), BestChange::NewBest(p) if p.peer == PeerId(1))
        );
        // A worse path does not change the best.
        assert_eq!(t.insert("k", path("k", 2, 50, "b")), BestChange::Unchanged);
        // A better one does.
        assert!(
            matches!(t.insert("k", path("k", 3, 200, "c")), BestChange::NewBest(p) if p.peer == PeerId(3))
        );
        assert_eq!((t.len(), t.path_count()), (1, 3));
        // Same peer re-announces same attrs: unchanged; new attrs: new best.
        assert_eq!(t.insert("k", path("k", 3, 200, "c")), BestChange::Unchanged);
        assert!(
            matches!(t.insert("k", path("k", 3, 200, "c2")), BestChange::NewBest(p) if p.attrs.1 == "c2")
        );
        assert_eq!(t.path_count(), 3);
    }

    #[test]
    fn remove_falls_back_then_withdraws() {
        let mut t: Table<&str, (&str, String)> = Table::new();
        t.insert("k", path("k", 1, 100, "a"));
        t.insert("k", path("k", 2, 200, "b"));
        assert_eq!(t.remove(&"k", PeerId(1), 0), BestChange::Unchanged);
        t.insert("k", path("k", 1, 100, "a"));
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
        let mut t: Table<&str, (&str, String)> = Table::new();
        t.insert("k", path("k", 1, 100, "a"));
        t.insert("k", path("k", 2, 200, "b"));
        let e = t.explain(&"k");
        assert_eq!(e[0].0.peer, PeerId(2));
        assert_eq!(
            e[1],
            (&path("k", 1, 100, "a"), Some(LossReason::LowerLocalPref))
        );
    }

    #[test]
    fn multipath_set_is_the_best_and_its_equals_capped() {
        let mut t: Table<&str, (&str, String)> = Table::new();
        let ebgp = |peer: u32, asn: u32, len: u32| {
            let mut p = path("k", peer, 100, "a");
            let r = Arc::make_mut(&mut p.rank);
            r.ebgp = true;
            r.neighbor_as = Some(asn);
            r.as_path_len = len;
            p
        };
        t.insert("k", ebgp(3, 65103, 2));
        t.insert("k", ebgp(1, 65101, 2));
        t.insert("k", ebgp(2, 65102, 2));
        t.insert("k", ebgp(4, 65104, 3)); // longer: not equal
        let relax = crate::Multipath {
            max_paths: 64,
            relax: true,
        };
        let peers = |v: Vec<&Path<(&str, String)>>| v.iter().map(|p| p.peer.0).collect::<Vec<_>>();
        assert_eq!(peers(t.multipath(&"k", relax)), vec![1, 2, 3]);
        let strict = crate::Multipath {
            relax: false,
            ..relax
        };
        assert_eq!(peers(t.multipath(&"k", strict)), vec![1]);
        let two = crate::Multipath {
            max_paths: 2,
            ..relax
        };
        assert_eq!(peers(t.multipath(&"k", two)), vec![1, 2]);
        t.remove(&"k", PeerId(1), 0);
        assert_eq!(peers(t.multipath(&"k", relax)), vec![2, 3]);
        assert!(t.multipath(&"none", relax).is_empty());
    }

    #[test]
    fn peer_down_and_graceful_restart() {
        let mut t: Table<u32, (u32, String)> = Table::new();
        for k in 0..10 {
            t.insert(k, path(k, 1, 200, "a"));
            if k % 2 == 0 {
                t.insert(k, path(k, 2, 100, "b"));
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
        assert!(t.insert(0, path(0, 1, 200, "a")).is_change());
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
