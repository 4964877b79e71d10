//! Adj-RIB-Out for one peer, keyed by the [`Table`](crate::Table)'s route
//! ids: what was sent per id, plus a queue of ids whose wish may have changed.
//!
//! The core marks an id whenever the best path behind it changes
//! ([`AdjOut::mark`]); nothing about the change is stored. When the peer has
//! room, [`AdjOut::take_batch`] asks the caller what the peer should have for
//! each queued id *now* and compares it with what was sent: identical
//! announcements send nothing, a withdraw of a route the peer never got is
//! dropped, and any number of changes to one route between two batches cost
//! one queue slot and send only the latest (ADR 0004, ADR 0013).
//!
//! Ids are reused by the table once a destination is gone. An id whose sent
//! value belongs to another destination than the current wish is answered
//! with a withdrawal of the old route and an announcement of the new one, so
//! reuse needs no coordination with the table.
//!
//! A route refresh ([`AdjOut::requeue_all`]) re-sends every sent route even
//! when it is unchanged.

use std::collections::VecDeque;

/// A value one Adj-RIB-Out entry holds (in the daemon: the route and the
/// attributes as exported to that peer).
pub trait OutValue: PartialEq {
    /// Whether `self` and `other` are for the same destination (route key):
    /// replacing one by the other is an implicit withdrawal in BGP.
    fn same_destination(&self, other: &Self) -> bool;
}

/// What to send to a peer: routes to withdraw (as they were sent), then
/// routes to announce (the caller groups them by attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch<V> {
    pub withdraw: Vec<V>,
    pub announce: Vec<V>,
}

impl<V> Batch<V> {
    pub fn is_empty(&self) -> bool {
        self.withdraw.is_empty() && self.announce.is_empty()
    }
}

/// A set of route ids as one bit each.
#[derive(Debug, Default, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    /// Sets the bit; returns whether it was clear.
    fn set(&mut self, id: u32) -> bool {
        let i = id as usize / 64;
        if i >= self.0.len() {
            self.0.resize(i + 1, 0);
        }
        let was = self.0[i] & (1 << (id % 64)) != 0;
        self.0[i] |= 1 << (id % 64);
        !was
    }

    /// Clears the bit; returns whether it was set.
    fn clear(&mut self, id: u32) -> bool {
        let Some(w) = self.0.get_mut(id as usize / 64) else {
            return false;
        };
        let was = *w & (1 << (id % 64)) != 0;
        *w &= !(1 << (id % 64));
        was
    }
}

/// One peer's Adj-RIB-Out.
#[derive(Debug)]
pub struct AdjOut<V> {
    /// What the peer has from us, by route id (dense: an RR sends most
    /// routes to most peers).
    sent: Vec<Option<V>>,
    sent_len: usize,
    /// Ids to re-evaluate, oldest first, each at most once (`queued`).
    queue: VecDeque<u32>,
    queued: Bits,
    /// Ids to send even when unchanged (route refresh).
    forced: Bits,
}

impl<V> Default for AdjOut<V> {
    fn default() -> Self {
        AdjOut {
            sent: Vec::new(),
            sent_len: 0,
            queue: VecDeque::new(),
            queued: Bits::default(),
            forced: Bits::default(),
        }
    }
}

impl<V: OutValue + Clone> AdjOut<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes the peer currently has from us.
    pub fn sent_len(&self) -> usize {
        self.sent_len
    }

    /// Ids waiting to be re-evaluated.
    pub fn pending_len(&self) -> usize {
        self.queue.len()
    }

    /// What the peer has, by route id.
    pub fn sent(&self) -> impl Iterator<Item = (u32, &V)> {
        self.sent
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (i as u32, v)))
    }

    /// What the peer has for `id`.
    pub fn sent_value(&self, id: u32) -> Option<&V> {
        self.sent.get(id as usize).and_then(Option::as_ref)
    }

    /// The wish for `id` may have changed: re-evaluate it in a later batch.
    pub fn mark(&mut self, id: u32) {
        if self.queued.set(id) {
            self.queue.push_back(id);
        }
    }

    /// Route refresh (RFC 2918): send everything the peer has again. Ids with
    /// a newer wish send that wish instead.
    pub fn requeue_all(&mut self) {
        for id in 0..self.sent.len() as u32 {
            if self.sent[id as usize].is_some() {
                self.forced.set(id);
                self.mark(id);
            }
        }
    }

    /// Session down: forget everything sent and queued.
    pub fn clear(&mut self) {
        *self = AdjOut::default();
    }

    /// Re-evaluates up to `max_ids` queued ids: `wish(id)` is what the peer
    /// should have for `id` now (`None`: nothing). Returns what must be sent
    /// and records it as sent.
    pub fn take_batch(
        &mut self,
        max_ids: usize,
        mut wish: impl FnMut(u32) -> Option<V>,
    ) -> Batch<V> {
        let mut batch = Batch {
            withdraw: Vec::new(),
            announce: Vec::new(),
        };
        for _ in 0..max_ids {
            let Some(id) = self.queue.pop_front() else {
                break;
            };
            self.queued.clear(id);
            let forced = self.forced.clear(id);
            let new = wish(id);
            let slot = id as usize;
            let old = self.sent.get_mut(slot).and_then(Option::take);
            match (old, new) {
                (None, None) => {}
                (Some(o), None) => {
                    self.sent_len -= 1;
                    batch.withdraw.push(o);
                }
                (old, Some(n)) => {
                    match old {
                        None => self.sent_len += 1,
                        Some(o) if o == n && !forced => {
                            self.sent[slot] = Some(o);
                            continue;
                        }
                        Some(o) if !o.same_destination(&n) => batch.withdraw.push(o),
                        Some(_) => {}
                    }
                    if slot >= self.sent.len() {
                        self.sent.resize_with(slot + 1, || None);
                    }
                    self.sent[slot] = Some(n.clone());
                    batch.announce.push(n);
                }
            }
        }
        if self.queue.is_empty() && self.queue.capacity() > 4096 {
            // A full-table burst is over: give its queue back.
            self.queue = VecDeque::new();
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (destination, attributes)
    type V = (u32, &'static str);

    impl OutValue for V {
        fn same_destination(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }

    fn take(o: &mut AdjOut<V>, max: usize, want: &[(u32, V)]) -> Batch<V> {
        o.take_batch(max, |id| {
            want.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
        })
    }

    #[test]
    fn suppresses_duplicates_and_unknown_withdrawals() {
        let mut o: AdjOut<V> = AdjOut::new();
        let want: Vec<(u32, V)> = (0..4).map(|i| (i, (i, "a"))).collect();
        (0..4).for_each(|i| o.mark(i));
        let b = take(&mut o, 100, &want);
        assert_eq!((b.announce.len(), b.withdraw.len()), (4, 0));
        // Same wish again: nothing to send.
        o.mark(0);
        assert!(take(&mut o, 100, &want).is_empty());
        // Withdraw of a never-sent id: dropped. Of a sent one: sent once.
        o.mark(99);
        o.mark(1);
        let b = take(&mut o, 100, &want[2..]);
        assert_eq!(b.withdraw, vec![(1, "a")]);
        assert_eq!(o.sent_len(), 3);
        // Several marks before a batch cost one queue slot.
        o.mark(2);
        o.mark(2);
        assert_eq!(o.pending_len(), 1);
    }

    #[test]
    fn reused_id_withdraws_the_old_destination() {
        let mut o: AdjOut<V> = AdjOut::new();
        o.mark(3);
        take(&mut o, 10, &[(3, (7, "a"))]);
        o.mark(3);
        let b = take(&mut o, 10, &[(3, (8, "a"))]);
        assert_eq!(b.withdraw, vec![(7, "a")]);
        assert_eq!(b.announce, vec![(8, "a")]);
        assert_eq!(o.sent_len(), 1);
    }

    #[test]
    fn route_refresh_resends_everything() {
        let mut o: AdjOut<V> = AdjOut::new();
        o.mark(1);
        o.mark(2);
        take(&mut o, 10, &[(1, (1, "x")), (2, (2, "y"))]);
        // A withdraw wished before the refresh still goes out as a withdraw.
        o.requeue_all();
        let b = take(&mut o, 10, &[(1, (1, "x"))]);
        assert_eq!(b.announce, vec![(1, "x")]);
        assert_eq!(b.withdraw, vec![(2, "y")]);
        assert_eq!(o.sent_len(), 1);
    }

    #[test]
    fn batches_are_bounded() {
        let mut o: AdjOut<V> = AdjOut::new();
        let want: Vec<(u32, V)> = (0..10).map(|i| (i, (i, "a"))).collect();
        (0..10).for_each(|i| o.mark(i));
        assert_eq!(take(&mut o, 4, &want).announce.len(), 4);
        assert_eq!(o.pending_len(), 6);
    }
}
