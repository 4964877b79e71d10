//! A map whose entries sit in one vector, found through a hash table of
//! their positions (issue 16). A `HashMap` holds its entries in the table
//! itself, which is between 44% and 88% full: just past a doubling, a
//! million MAC states of ~100 octets cost twice their size. Here the table
//! holds a 4-octet position per entry and the vector grows by doubling too,
//! but realloc moves a large one without copying and it is full after
//! each removal (the last entry takes the removed one's place).

use std::hash::{BuildHasher, Hash, RandomState};

use hashbrown::HashTable;

#[derive(Debug, Default)]
pub struct Dense<K, V> {
    entries: Vec<(K, V)>,
    /// Positions in `entries`, hashed by the key there.
    index: HashTable<u32>,
    hasher: RandomState,
}

impl<K: Hash + Eq, V> Dense<K, V> {
    pub fn new() -> Self {
        Dense {
            entries: Vec::new(),
            index: HashTable::new(),
            hasher: RandomState::new(),
        }
    }

    fn at(&self, k: &K) -> Option<usize> {
        let hash = self.hasher.hash_one(k);
        let entries = &self.entries;
        self.index
            .find(hash, |i| {
                entries.get(*i as usize).is_some_and(|e| e.0 == *k)
            })
            .map(|i| *i as usize)
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.at(k).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.at(k).map(|i| &mut self.entries[i].1)
    }

    /// The value of `k`, inserted with `V::default()` when absent.
    pub fn get_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.at(&k) {
            Some(i) => i,
            None => {
                let hash = self.hasher.hash_one(&k);
                let i = self.entries.len();
                self.entries.push((k, V::default()));
                let (entries, hasher) = (&self.entries, &self.hasher);
                self.index.insert_unique(hash, position(i), |p| {
                    entries
                        .get(*p as usize)
                        .map_or(0, |e| hasher.hash_one(&e.0))
                });
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        let hash = self.hasher.hash_one(k);
        let entries = &self.entries;
        let (at, _) = self
            .index
            .find_entry(hash, |i| {
                entries.get(*i as usize).is_some_and(|e| e.0 == *k)
            })
            .ok()?
            .remove();
        let at = at as usize;
        let last = self.entries.len() - 1;
        if at != last {
            // The last entry moves into the hole: its position changes.
            let moved = self.hasher.hash_one(&self.entries[last].0);
            if let Some(p) = self.index.find_mut(moved, |p| *p as usize == last) {
                *p = position(at);
            }
        }
        let (_, v) = self.entries.swap_remove(at);
        if self.entries.is_empty() {
            *self = Dense {
                hasher: std::mem::take(&mut self.hasher),
                ..Dense::new()
            };
        }
        Some(v)
    }

    /// Keeps the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let before = self.entries.len();
        self.entries.retain_mut(|(k, v)| keep(k, v));
        if self.entries.len() != before {
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.index = HashTable::with_capacity(self.entries.len());
        let (entries, hasher) = (&self.entries, &self.hasher);
        for (i, (k, _)) in entries.iter().enumerate() {
            self.index
                .insert_unique(hasher.hash_one(k), position(i), |p| {
                    entries
                        .get(*p as usize)
                        .map_or(0, |e| hasher.hash_one(&e.0))
                });
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A position: the domain never holds `u32::MAX` entries (the core's RIB
/// is bounded far below that).
fn position(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_moves_the_last_entry_and_keeps_it_found() {
        let mut d: Dense<u32, u32> = Dense::new();
        for i in 0..100 {
            *d.get_or_default(i) = i * 10;
        }
        for i in (0..100).step_by(3) {
            assert_eq!(d.remove(&i), Some(i * 10));
            assert_eq!(d.remove(&i), None);
        }
        for i in 0..100 {
            assert_eq!(d.get(&i).copied(), (i % 3 != 0).then_some(i * 10), "{i}");
        }
        d.retain(|k, _| k % 2 == 0);
        for i in 0..100 {
            let want = (i % 3 != 0 && i % 2 == 0).then_some(i * 10);
            assert_eq!(d.get(&i).copied(), want, "{i}");
        }
        assert_eq!(d.len(), d.iter().count());
        let keys: Vec<u32> = d.iter().map(|(k, _)| *k).collect();
        for k in keys {
            d.remove(&k);
        }
        assert_eq!(d.len(), 0);
        assert_eq!(d.get_or_default(7), &0);
    }
}
