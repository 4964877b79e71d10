//! Adj-RIB-Out for one peer, as a sent-set plus a pending queue.
//!
//! The core tells it the attributes it wants the peer to have for a key
//! (`Some(attrs)`) or that the key must go (`None`). It remembers what was
//! actually sent, so re-announcing identical attributes sends nothing and a
//! withdraw for a key the peer never got is dropped. `take_batch` drains the
//! queue grouped by attribute set — the shape UPDATE packing needs (many NLRI
//! per UPDATE sharing one attribute block) — and withdrawals coalesced.
//! A route refresh is answered by `requeue_all` from the sent-set.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::sync::Arc;

/// What to send to a peer: withdrawals, then announcements grouped by attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<K, A> {
    pub withdraw: Vec<K>,
    pub announce: Vec<(Arc<A>, Vec<K>)>,
}

impl<K, A> Batch<K, A> {
    pub fn is_empty(&self) -> bool {
        self.withdraw.is_empty() && self.announce.is_empty()
    }
}

#[derive(Debug)]
pub struct AdjOut<K, A> {
    sent: HashMap<K, Arc<A>>,
    /// Latest wish per key since the last batch (`None` = withdraw).
    pending: HashMap<K, Option<Arc<A>>>,
}

impl<K, A> Default for AdjOut<K, A> {
    fn default() -> Self {
        AdjOut {
            sent: HashMap::new(),
            pending: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, A: PartialEq> AdjOut<K, A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes the peer currently has from us.
    pub fn sent_len(&self) -> usize {
        self.sent.len()
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    pub fn sent(&self) -> impl Iterator<Item = (&K, &Arc<A>)> {
        self.sent.iter()
    }

    /// Records that the peer should have `attrs` for `key` (`None`: should not have it).
    pub fn set(&mut self, key: K, attrs: Option<Arc<A>>) {
        self.pending.insert(key, attrs);
    }

    /// Route refresh (RFC 2918): send everything again.
    pub fn requeue_all(&mut self) {
        // Keys with a newer wish keep it; the rest are re-sent with what the
        // peer has. Removing them from `sent` forces the re-send.
        let sent = std::mem::take(&mut self.sent);
        for (k, a) in sent {
            match self.pending.entry(k) {
                Entry::Occupied(e) => {
                    self.sent.insert(e.key().clone(), a);
                }
                Entry::Vacant(e) => {
                    e.insert(Some(a));
                }
            }
        }
    }

    /// Session down: forget everything sent.
    pub fn clear(&mut self) {
        self.sent.clear();
        self.pending.clear();
    }

    /// Drains up to `max_keys` pending changes into a batch, updating the sent-set.
    pub fn take_batch(&mut self, max_keys: usize) -> Batch<K, A> {
        let mut withdraw = Vec::new();
        let mut groups: Vec<(Arc<A>, Vec<K>)> = Vec::new();
        let mut by_ptr: HashMap<*const A, usize> = HashMap::new();
        let keys: Vec<K> = self.pending.keys().take(max_keys).cloned().collect();
        for k in keys {
            let Some(wish) = self.pending.remove(&k) else {
                continue;
            };
            match wish {
                None => {
                    if self.sent.remove(&k).is_some() {
                        withdraw.push(k);
                    }
                }
                Some(a) => {
                    if self
                        .sent
                        .get(&k)
                        .is_some_and(|s| Arc::ptr_eq(s, &a) || **s == *a)
                    {
                        continue;
                    }
                    self.sent.insert(k.clone(), Arc::clone(&a));
                    let i = *by_ptr.entry(Arc::as_ptr(&a)).or_insert_with(|| {
                        groups.push((Arc::clone(&a), Vec::new()));
                        groups.len() - 1
                    });
                    groups[i].1.push(k);
                }
            }
        }
        Batch {
            withdraw,
            announce: groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_attributes_and_suppresses_duplicates() {
        let mut o: AdjOut<u32, &str> = AdjOut::new();
        let a = Arc::new("a");
        let b = Arc::new("b");
        for k in 0..4 {
            o.set(k, Some(Arc::clone(if k % 2 == 0 { &a } else { &b })));
        }
        let batch = o.take_batch(100);
        assert!(batch.withdraw.is_empty());
        assert_eq!(batch.announce.len(), 2);
        let mut n: Vec<usize> = batch.announce.iter().map(|(_, ks)| ks.len()).collect();
        n.sort();
        assert_eq!(n, vec![2, 2]);
        // Same attributes again: nothing to send.
        o.set(0, Some(Arc::new("a")));
        assert!(o.take_batch(100).is_empty());
        // Withdraw of a never-sent key: dropped. Of a sent key: sent once.
        o.set(99, None);
        o.set(1, None);
        let batch = o.take_batch(100);
        assert_eq!(batch.withdraw, vec![1]);
        assert_eq!(o.sent_len(), 3);
    }

    #[test]
    fn announce_then_withdraw_before_flush_coalesces() {
        let mut o: AdjOut<u32, &str> = AdjOut::new();
        o.set(7, Some(Arc::new("x")));
        o.set(7, None);
        assert!(o.take_batch(10).is_empty());
    }

    #[test]
    fn route_refresh_resends_everything() {
        let mut o: AdjOut<u32, &str> = AdjOut::new();
        o.set(1, Some(Arc::new("x")));
        o.set(2, Some(Arc::new("y")));
        o.take_batch(10);
        // A withdraw queued before the refresh still goes out as a withdraw.
        o.set(2, None);
        o.requeue_all();
        let b = o.take_batch(10);
        assert_eq!(b.announce.iter().map(|(_, k)| k.len()).sum::<usize>(), 1);
        assert_eq!(b.withdraw, vec![2]);
        assert_eq!(o.sent_len(), 1);
    }

    #[test]
    fn batches_are_bounded() {
        let mut o: AdjOut<u32, &str> = AdjOut::new();
        let a = Arc::new("a");
        for k in 0..10 {
            o.set(k, Some(Arc::clone(&a)));
        }
        assert_eq!(o.take_batch(4).announce[0].1.len(), 4);
        assert_eq!(o.pending_len(), 6);
    }
}
