//! The reconcile core, without I/O: the desired table (from the core's
//! [`DesiredChange`]s), the actual table (what the kernel holds *of ours*,
//! from dumps and notifications) and the operations that make the kernel
//! match. Level-triggered: whatever happened in between, comparing the two
//! tables tells what to do.
//!
//! Ownership: only entries we own are ever in `actual`; the netlink side
//! decides what is ours (our `NDA_PROTOCOL`, see [`crate::PROTOCOL`]).
//! Entries of ours found at start ("leftovers" of a previous run) are kept
//! until [`DesiredChange::Converged`], so a restart never interrupts traffic.
//! Failed writes are retried with exponential backoff.
//!
//! Notifications are trusted (the kernel's echo of our own writes is not
//! even sent to us, `crate::sockopt`); when some were lost, repair scans
//! re-read the kernel a few devices at a time while writes go on
//! ([`scan`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};
use serde::Serialize;

use crate::DesiredChange;

pub mod scan;
mod table;
pub use scan::{Scope, Sweep};
pub use table::Table;

/// One kernel entry we may own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Key {
    /// Remote MAC: bridge + VXLAN FDB entry on the VNI's VXLAN device.
    Mac { vni: Vni, mac: MacAddr },
    /// All-zero-MAC flood entry towards a remote VTEP.
    Flood { vni: Vni, vtep: IpAddr },
    /// Remote neighbour on the VNI's SVI.
    Neigh { vni: Vni, ip: IpAddr },
}

impl Key {
    pub fn vni(&self) -> Vni {
        match self {
            Key::Mac { vni, .. } | Key::Flood { vni, .. } | Key::Neigh { vni, .. } => *vni,
        }
    }

    /// 0 remote MAC, 1 flood entry, 2 neighbour ([`Counts`]).
    pub fn kind(&self) -> usize {
        match self {
            Key::Mac { .. } => 0,
            Key::Flood { .. } => 1,
            Key::Neigh { .. } => 2,
        }
    }
}

/// What the entry says (the part a replace changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Value {
    Mac { vtep: IpAddr, sticky: bool },
    Flood,
    Neigh { mac: MacAddr },
}

/// One kernel write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    Set(Key, Value),
    Del(Key, Value),
}

impl Op {
    pub fn key(&self) -> Key {
        match self {
            Op::Set(k, _) | Op::Del(k, _) => *k,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: u32,
    not_before: u64,
}

/// Retry delay base in ms: the n-th failure waits base × 2^n (the first
/// retry after 400 ms), capped.
const RETRY_BASE_MS: u64 = 200;
const RETRY_CAP_MS: u64 = 30_000;

#[derive(Debug, Default)]
pub struct Reconciler {
    /// Both tables compact for remote MACs ([`Table`], issue 16).
    desired: Table,
    actual: Table,
    /// Keys whose two sides may differ.
    dirty: BTreeSet<Key>,
    /// Ours from a previous run, not (yet) desired by this one.
    leftovers: HashSet<Key>,
    converged: bool,
    retry: HashMap<Key, Retry>,
    /// VNIs the kernel has a device for (writes wait for it).
    present: HashSet<Vni>,
    /// Last error per key, for status.
    errors: HashMap<Key, String>,
    /// The repair scan in progress, if one is.
    scan: Option<(Scope, Sweep<Key>)>,
    /// Entries per VNI and kind in each table, kept as they change: status
    /// without walking a million entries, and VNIs that hold nothing.
    counts: HashMap<Vni, Counts>,
}

/// Entries of one VNI, by kind ([`Key::kind`]: remote MACs, flood entries,
/// neighbours), in the desired and the actual table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub desired: [u32; 3],
    pub actual: [u32; 3],
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.desired == [0; 3] && self.actual == [0; 3]
    }
}

impl Reconciler {
    pub fn new() -> Reconciler {
        Reconciler::default()
    }

    /// A VNI's device appeared (or went): its keys are re-examined.
    pub fn vni_present(&mut self, vni: Vni, present: bool) {
        let changed = if present {
            self.present.insert(vni)
        } else {
            self.present.remove(&vni)
        };
        let held = self.counts.get(&vni).is_some_and(|c| !c.is_empty());
        if changed && present && held {
            let keys: Vec<Key> = self
                .desired
                .keys()
                .chain(self.actual.keys())
                .filter(|k| k.vni() == vni)
                .collect();
            self.dirty.extend(keys);
        }
        if !present {
            // The device (and the kernel's entries on it) are gone.
            if self.counts.get(&vni).is_some_and(|c| c.actual != [0; 3]) {
                self.actual.retain(|k| k.vni() != vni);
            }
            if let Some(c) = self.counts.get_mut(&vni) {
                c.actual = [0; 3];
            }
            if let Some((scope, _)) = &mut self.scan {
                scope.vnis.remove(&vni);
            }
        }
    }

    /// The core's wishes.
    pub fn desire(&mut self, c: DesiredChange) {
        let (key, value) = match c {
            DesiredChange::RemoteMac {
                vni,
                mac,
                vtep,
                sticky,
            } => (Key::Mac { vni, mac }, Some(Value::Mac { vtep, sticky })),
            DesiredChange::RemoteMacGone { vni, mac } => (Key::Mac { vni, mac }, None),
            DesiredChange::Flood { vni, vtep } => (Key::Flood { vni, vtep }, Some(Value::Flood)),
            DesiredChange::FloodGone { vni, vtep } => (Key::Flood { vni, vtep }, None),
            DesiredChange::RemoteNeigh { vni, ip, mac } => {
                (Key::Neigh { vni, ip }, Some(Value::Neigh { mac }))
            }
            DesiredChange::RemoteNeighGone { vni, ip } => (Key::Neigh { vni, ip }, None),
            // L3 tenants (issue 11): the route programmer's, not this table's.
            DesiredChange::Route { .. }
            | DesiredChange::RouteGone { .. }
            | DesiredChange::Rule { .. }
            | DesiredChange::RuleGone { .. } => return,
            DesiredChange::Converged => {
                self.converged = true;
                self.dirty.extend(self.leftovers.iter().copied());
                return;
            }
        };
        self.leftovers.remove(&key);
        self.set_desired(key, value);
        self.retry.remove(&key);
        self.dirty.insert(key);
    }

    /// Initial dump: an entry of ours already in the kernel.
    pub fn adopt(&mut self, key: Key, value: Value) {
        self.set_actual(key, Some(value));
        if !self.desired.contains_key(&key) && !self.converged {
            self.leftovers.insert(key);
        }
        self.dirty.insert(key);
    }

    /// A notification: our entry now holds `value` (`None`: deleted).
    pub fn kernel(&mut self, key: Key, value: Option<Value>) {
        self.touch(key);
        // The echo of our own write: nothing to compare again.
        if self.actual.get(&key) == value {
            return;
        }
        self.set_actual(key, value);
        self.dirty.insert(key);
    }

    /// The operations due at `now_ms` (at most `max`), dirty keys first.
    pub fn next_ops(&mut self, now_ms: u64, max: usize) -> Vec<Op> {
        let mut ops = Vec::new();
        let mut done = Vec::new();
        for key in self.dirty.iter() {
            if ops.len() >= max {
                break;
            }
            if !self.present.contains(&key.vni()) {
                continue; // stays dirty until the device appears
            }
            if self.retry.get(key).is_some_and(|r| r.not_before > now_ms) {
                continue;
            }
            done.push(*key);
            let d = self.desired.get(key);
            let a = self.actual.get(key);
            match (d, a) {
                (Some(d), a) if a != Some(d) => ops.push(Op::Set(*key, d)),
                (None, Some(a)) if self.converged || !self.leftovers.contains(key) => {
                    ops.push(Op::Del(*key, a))
                }
                _ => {}
            }
        }
        for k in done {
            self.dirty.remove(&k);
        }
        ops
    }

    /// The kernel's answer to an op. The actual table follows on success
    /// (notifications will say the same); a failure is retried later.
    pub fn result(&mut self, op: Op, error: Option<String>, now_ms: u64) {
        let key = op.key();
        self.touch(key);
        match error {
            None => {
                self.retry.remove(&key);
                self.errors.remove(&key);
                match op {
                    Op::Set(k, v) => self.set_actual(k, Some(v)),
                    Op::Del(k, _) => {
                        self.leftovers.remove(&k);
                        self.set_actual(k, None);
                    }
                }
            }
            Some(e) => {
                let r = self.retry.entry(key).or_insert(Retry {
                    attempts: 0,
                    not_before: 0,
                });
                r.attempts += 1;
                let delay = RETRY_BASE_MS
                    .saturating_mul(1 << r.attempts.min(10))
                    .min(RETRY_CAP_MS);
                r.not_before = now_ms + delay;
                self.errors.insert(key, e);
                self.dirty.insert(key);
            }
        }
    }

    /// The desired table changes (every change goes through here: counts).
    fn set_desired(&mut self, key: Key, value: Option<Value>) {
        let (added, removed) = match value {
            Some(v) => (self.desired.insert(key, v).is_none(), false),
            None => (false, self.desired.remove(&key).is_some()),
        };
        let c = self.counts.entry(key.vni()).or_default();
        let n = &mut c.desired[key.kind()];
        *n = n
            .wrapping_add(u32::from(added))
            .wrapping_sub(u32::from(removed));
    }

    /// The actual table changes (every change goes through here: counts).
    fn set_actual(&mut self, key: Key, value: Option<Value>) {
        let (added, removed) = match value {
            Some(v) => (self.actual.insert(key, v).is_none(), false),
            None => (false, self.actual.remove(&key).is_some()),
        };
        let c = self.counts.entry(key.vni()).or_default();
        let n = &mut c.actual[key.kind()];
        *n = n
            .wrapping_add(u32::from(added))
            .wrapping_sub(u32::from(removed));
    }

    /// Entries per VNI, desired and programmed, by kind (status).
    pub fn counts(&self) -> &HashMap<Vni, Counts> {
        &self.counts
    }

    /// A write or notification while a scan runs: newer than the dump.
    fn touch(&mut self, key: Key) {
        if let Some((scope, sweep)) = &mut self.scan
            && scope.covers(&key)
        {
            sweep.touch(key);
        }
    }

    /// A repair scan of `scope` starts (one at a time: a scan in progress
    /// is abandoned, nothing of it applied).
    pub fn scan_begin(&mut self, scope: Scope) {
        self.scan = Some((scope, Sweep::default()));
    }

    /// The scan's dump shows an entry of ours. It is the truth unless a
    /// write or notification during the scan said otherwise since; before
    /// convergence an entry nobody desires is a leftover (kept until then).
    pub fn scan_seen(&mut self, key: Key, value: Value) {
        let Some((scope, sweep)) = &mut self.scan else {
            return;
        };
        if !scope.covers(&key) || !sweep.see(key) {
            return;
        }
        if !self.converged && !self.desired.contains_key(&key) {
            self.leftovers.insert(key);
        }
        if self.actual.get(&key) != Some(value) {
            self.set_actual(key, Some(value));
            self.dirty.insert(key);
        }
    }

    /// The scan's dumps all completed: entries of ours in its scope that it
    /// did not show (and nothing touched meanwhile) are gone from the
    /// kernel, and compared again. Returns how many were.
    pub fn scan_end(&mut self) -> usize {
        let Some((scope, sweep)) = self.scan.take() else {
            return 0;
        };
        let held: Vec<Key> = self.actual.keys().filter(|k| scope.covers(k)).collect();
        let gone = sweep.stale(held.iter());
        for k in &gone {
            self.set_actual(*k, None);
            self.dirty.insert(*k);
        }
        gone.len()
    }

    /// A scan that did not complete (a dump failed, notifications were lost
    /// again): what it saw stands, nothing is swept.
    pub fn scan_abort(&mut self) {
        self.scan = None;
    }

    /// Periodic resync: everything is compared again.
    pub fn resync(&mut self) {
        let keys: Vec<Key> = self.desired.keys().chain(self.actual.keys()).collect();
        self.dirty.extend(keys);
    }

    pub fn has_work(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// When the next retry is due, if one waits.
    pub fn next_retry(&self) -> Option<u64> {
        self.retry.values().map(|r| r.not_before).min()
    }

    pub fn desired(&self) -> &Table {
        &self.desired
    }

    pub fn actual(&self) -> &Table {
        &self.actual
    }

    pub fn errors(&self) -> &HashMap<Key, String> {
        &self.errors
    }

    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Everything of ours (for a flush on shutdown).
    pub fn all_actual_ops(&self) -> Vec<Op> {
        self.actual.iter().map(|(k, v)| Op::Del(k, v)).collect()
    }
}

#[cfg(test)]
mod tests;
