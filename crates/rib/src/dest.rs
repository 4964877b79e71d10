//! One destination of a [`Table`](crate::Table): its key, every peer's path
//! and which one is best. A destination with a single path (nearly all of
//! them on a route reflector) keeps it inline, without a heap allocation.

use std::cmp::Ordering;

use crate::rank::compare;
use crate::table::Path;

/// The paths of one destination: none, one inline, or several on the heap.
#[derive(Debug, Clone)]
pub(crate) enum Paths<A> {
    One(Path<A>),
    /// Never holds exactly one path (that is `One`); empty = no path.
    Many(Vec<Path<A>>),
}

impl<A> Default for Paths<A> {
    fn default() -> Self {
        Paths::Many(Vec::new())
    }
}

impl<A> Paths<A> {
    pub(crate) fn as_slice(&self) -> &[Path<A>] {
        match self {
            Paths::One(p) => std::slice::from_ref(p),
            Paths::Many(v) => v,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [Path<A>] {
        match self {
            Paths::One(p) => std::slice::from_mut(p),
            Paths::Many(v) => v,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Paths::Many(v) if v.is_empty())
    }

    pub(crate) fn push(&mut self, p: Path<A>) {
        match std::mem::take(self) {
            Paths::One(first) => *self = Paths::Many(vec![first, p]),
            Paths::Many(v) if v.is_empty() => *self = Paths::One(p),
            Paths::Many(mut v) => {
                v.push(p);
                *self = Paths::Many(v);
            }
        }
    }

    /// Removes path `i` (the last path moves into its place).
    pub(crate) fn swap_remove(&mut self, i: usize) {
        match self {
            Paths::One(_) => *self = Paths::default(),
            Paths::Many(v) => {
                v.swap_remove(i);
                self.normalize();
            }
        }
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(&Path<A>) -> bool) {
        match self {
            Paths::One(p) => {
                if !keep(p) {
                    *self = Paths::default();
                }
            }
            Paths::Many(v) => {
                v.retain(keep);
                self.normalize();
            }
        }
    }

    /// A heap list of one path goes back inline.
    fn normalize(&mut self) {
        if let Paths::Many(v) = self
            && v.len() == 1
            && let Some(p) = v.pop()
        {
            *self = Paths::One(p);
        }
    }
}

/// One destination: its key, its paths and the index of the best.
#[derive(Debug, Clone)]
pub(crate) struct Dest<K, A> {
    pub(crate) key: K,
    pub(crate) paths: Paths<A>,
    /// Index into `paths` of the best; meaningful while `paths` is non-empty.
    pub(crate) best: u32,
}

impl<K, A> Dest<K, A> {
    pub(crate) fn new(key: K) -> Self {
        Dest {
            key,
            paths: Paths::default(),
            best: 0,
        }
    }

    pub(crate) fn best(&self) -> Option<&Path<A>> {
        self.paths.as_slice().get(self.best as usize)
    }

    /// Recomputes the best path. Ties keep the earlier (older) path, so a
    /// re-announcement never flaps the choice.
    pub(crate) fn select(&mut self) {
        let paths = self.paths.as_slice();
        let mut best = 0;
        for i in 1..paths.len() {
            if compare(&paths[i].rank, &paths[best].rank).0 == Ordering::Less {
                best = i;
            }
        }
        self.best = best as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PeerId, Rank};
    use std::sync::Arc;

    fn p(peer: u32) -> Path<()> {
        Path {
            peer: PeerId(peer),
            path_id: 0,
            attrs: Arc::new(()),
            rank: Rank::default(),
        }
    }

    #[test]
    fn one_path_is_inline_and_lists_normalize() {
        let mut ps: Paths<()> = Paths::default();
        assert!(ps.is_empty());
        ps.push(p(1));
        assert!(matches!(ps, Paths::One(_)));
        ps.push(p(2));
        ps.push(p(3));
        assert_eq!(ps.as_slice().len(), 3);
        ps.swap_remove(0);
        assert_eq!(
            ps.as_slice().iter().map(|p| p.peer.0).collect::<Vec<_>>(),
            vec![3, 2]
        );
        ps.retain(|p| p.peer.0 == 2);
        assert!(matches!(&ps, Paths::One(p) if p.peer.0 == 2));
        ps.swap_remove(0);
        assert!(ps.is_empty());
    }

    #[test]
    fn inline_storage_costs_no_more_than_a_path() {
        // The enum uses a niche of the path: one path costs no extra word.
        assert!(std::mem::size_of::<Paths<()>>() <= std::mem::size_of::<Path<()>>() + 8);
    }
}
