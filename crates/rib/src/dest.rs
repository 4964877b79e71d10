//! One destination of a [`Table`](crate::Table): every peer's path and which
//! one is best. A destination with a single path (nearly all of them on a
//! route reflector) keeps it inline, without a heap allocation. The key is
//! not stored: every path knows it ([`Keyed`]), and a destination that lost
//! its last path keeps that path's attributes until its id is recycled.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::rank::compare;
use crate::table::{Keyed, Path};

/// The paths of one destination: none, one inline, or several on the heap.
#[derive(Debug, Clone)]
pub(crate) enum Paths<A> {
    One(Path<A>),
    /// Never holds exactly one path (that is `One`); empty = a free slot.
    Many(Vec<Path<A>>),
    /// No path left, id not yet recycled: the last path's attributes, which
    /// still name the destination.
    Gone(Arc<A>),
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
            Paths::Gone(_) => &[],
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [Path<A>] {
        match self {
            Paths::One(p) => std::slice::from_mut(p),
            Paths::Many(v) => v,
            Paths::Gone(_) => &mut [],
        }
    }

    /// No path (a free slot, or a destination gone and not yet recycled).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Paths::One(_) => false,
            Paths::Many(v) => v.is_empty(),
            Paths::Gone(_) => true,
        }
    }

    pub(crate) fn push(&mut self, p: Path<A>) {
        match std::mem::take(self) {
            Paths::One(first) => *self = Paths::Many(vec![first, p]),
            Paths::Many(v) if v.is_empty() => *self = Paths::One(p),
            Paths::Many(mut v) => {
                v.push(p);
                *self = Paths::Many(v);
            }
            Paths::Gone(_) => *self = Paths::One(p),
        }
    }

    /// Removes path `i` (the last path moves into its place); the last path
    /// leaves its attributes behind as `Gone`.
    pub(crate) fn swap_remove(&mut self, i: usize) {
        match std::mem::take(self) {
            Paths::One(p) => *self = Paths::Gone(p.attrs),
            Paths::Many(mut v) => {
                let p = v.swap_remove(i);
                *self = Paths::Many(v);
                self.normalize(p.attrs);
            }
            Paths::Gone(a) => *self = Paths::Gone(a),
        }
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(&Path<A>) -> bool) {
        match std::mem::take(self) {
            Paths::One(p) if keep(&p) => *self = Paths::One(p),
            Paths::One(p) => *self = Paths::Gone(p.attrs),
            Paths::Many(mut v) => {
                let Some(any) = v.first().map(|p| Arc::clone(&p.attrs)) else {
                    return;
                };
                v.retain(keep);
                *self = Paths::Many(v);
                self.normalize(any);
            }
            Paths::Gone(a) => *self = Paths::Gone(a),
        }
    }

    /// A heap list of one path goes back inline; an emptied one keeps
    /// `last` (attributes of a path that was there) to name the destination.
    fn normalize(&mut self, last: Arc<A>) {
        if let Paths::Many(v) = self {
            if v.len() == 1
                && let Some(p) = v.pop()
            {
                *self = Paths::One(p);
            } else if v.is_empty() {
                *self = Paths::Gone(last);
            }
        }
    }
}

/// One destination: its paths and the index of the best.
#[derive(Debug, Clone)]
pub(crate) struct Dest<A> {
    pub(crate) paths: Paths<A>,
    /// Index into `paths` of the best; meaningful while `paths` is non-empty.
    pub(crate) best: u32,
}

impl<A> Default for Dest<A> {
    fn default() -> Self {
        Dest {
            paths: Paths::default(),
            best: 0,
        }
    }
}

impl<A> Dest<A> {
    /// The destination's key; `None` for a free slot.
    pub(crate) fn key<K>(&self) -> Option<K>
    where
        A: Keyed<K>,
    {
        match &self.paths {
            Paths::One(p) => Some(p.attrs.key()),
            Paths::Many(v) => v.first().map(|p| p.attrs.key()),
            Paths::Gone(a) => Some(a.key()),
        }
    }

    /// Whether this slot is destination `key`.
    pub(crate) fn is<K: PartialEq>(&self, key: &K) -> bool
    where
        A: Keyed<K>,
    {
        self.key().as_ref() == Some(key)
    }

    /// A free slot (no destination, not in the index).
    pub(crate) fn is_free(&self) -> bool {
        matches!(&self.paths, Paths::Many(v) if v.is_empty())
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
            rank: Arc::new(Rank::default()),
        }
    }

    impl Keyed<u8> for () {
        fn key(&self) -> u8 {
            7
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
        // The last path's attributes still name the destination.
        let d = Dest { paths: ps, best: 0 };
        assert_eq!(d.key::<u8>(), Some(7));
        assert!(!d.is_free() && Dest::<()>::default().is_free());
    }

    #[test]
    fn inline_storage_costs_no_more_than_a_path() {
        // The enum uses a niche of the path: one path costs no extra word.
        assert!(std::mem::size_of::<Paths<()>>() <= std::mem::size_of::<Path<()>>() + 8);
    }
}
