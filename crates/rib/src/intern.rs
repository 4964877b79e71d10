//! Attribute interning: routes that share an attribute set share one `Arc`.
//!
//! A fabric advertises thousands of MACs with identical attributes (same next
//! hop, RT, encapsulation), so the RIB stores one copy. `purge` drops sets no
//! route uses any more; call it after large withdrawals.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Interner<A> {
    set: HashSet<Arc<A>>,
    last_purge_len: usize,
}

impl<A> Default for Interner<A> {
    fn default() -> Self {
        Interner {
            set: HashSet::new(),
            last_purge_len: 0,
        }
    }
}

impl<A: Hash + Eq> Interner<A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the shared copy of `a`, storing it on first sight.
    pub fn intern(&mut self, a: A) -> Arc<A> {
        if let Some(x) = self.set.get(&a) {
            return Arc::clone(x);
        }
        let x = Arc::new(a);
        self.set.insert(Arc::clone(&x));
        x
    }

    /// Returns the shared copy of `*a`: `a` itself, stored, on first sight.
    pub fn share(&mut self, a: Arc<A>) -> Arc<A> {
        if let Some(x) = self.set.get(&*a) {
            return Arc::clone(x);
        }
        self.set.insert(Arc::clone(&a));
        a
    }

    /// Drops sets referenced only by the interner. Returns how many were dropped.
    pub fn purge(&mut self) -> usize {
        let before = self.set.len();
        self.set.retain(|x| Arc::strong_count(x) > 1);
        before - self.set.len()
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl<A: std::hash::Hash + Eq> Interner<A> {
    /// Purges when the interner holds many sets (amortised: at most every doubling).
    pub fn purge_if_large(&mut self) {
        if self.len() > 1024 && self.len() > 2 * self.last_purge_len {
            self.purge();
            self.last_purge_len = self.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_purges() {
        let mut i = Interner::new();
        let a = i.intern(vec![1, 2]);
        let b = i.intern(vec![1, 2]);
        assert!(Arc::ptr_eq(&a, &b));
        let c = i.intern(vec![3]);
        assert_eq!(i.len(), 2);
        drop(c);
        assert_eq!(i.purge(), 1);
        assert_eq!(i.len(), 1);
        drop((a, b));
        assert_eq!(i.purge(), 1);
        assert!(i.is_empty());
    }
}
