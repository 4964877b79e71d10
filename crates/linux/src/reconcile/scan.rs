//! Repair scans, without I/O: what a re-read of part of the kernel covers,
//! and the mark-and-sweep that turns it into differences while writes and
//! notifications go on (issue 16).
//!
//! A scan re-reads some devices with dumps that do not stop anything else:
//! between two of the dump's messages we may write an entry, or a
//! notification may change one. So an entry written or notified while the
//! scan runs ("touched") is newer than whatever the dump says of it, and is
//! left alone by the sweep; of the rest, what the dump shows is the truth,
//! and what it does not show is gone.

use std::collections::{BTreeSet, HashSet};
use std::hash::Hash;

use evpnd_wire::Vni;

use super::Key;

/// What one scan re-reads, by VNI and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub vnis: BTreeSet<Vni>,
    /// Our FDB entries: remote MACs and flood entries (the VXLAN device).
    pub ours_fdb: bool,
    /// Local MACs (the bridge's access ports).
    pub local_macs: bool,
    /// Neighbours on the SVI: ours and local ones.
    pub neigh: bool,
}

impl Scope {
    /// Whether the scan re-reads this entry of ours.
    pub fn covers(&self, k: &Key) -> bool {
        let kind = match k {
            Key::Mac { .. } | Key::Flood { .. } => self.ours_fdb,
            Key::Neigh { .. } => self.neigh,
        };
        kind && self.vnis.contains(&k.vni())
    }
}

/// Mark-and-sweep over one set of keys.
#[derive(Debug)]
pub struct Sweep<K> {
    seen: HashSet<K>,
    touched: HashSet<K>,
}

impl<K> Default for Sweep<K> {
    fn default() -> Self {
        Sweep {
            seen: HashSet::new(),
            touched: HashSet::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> Sweep<K> {
    /// The dump shows `k`. False when a write or notification during the
    /// scan already said something newer (the dump's word is then ignored).
    pub fn see(&mut self, k: K) -> bool {
        if self.touched.contains(&k) {
            return false;
        }
        self.seen.insert(k);
        true
    }

    /// `k` was written or notified while the scan ran.
    pub fn touch(&mut self, k: K) {
        self.touched.insert(k);
    }

    /// Of `held` (what we hold in the scan's scope), what the dump did not
    /// show and nothing touched: gone from the kernel.
    pub fn stale<'a>(&self, held: impl Iterator<Item = &'a K>) -> Vec<K>
    where
        K: 'a,
    {
        held.filter(|k| !self.seen.contains(*k) && !self.touched.contains(*k))
            .copied()
            .collect()
    }
}
