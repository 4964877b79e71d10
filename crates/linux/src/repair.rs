//! Repairing lost notifications, without I/O: which devices to re-read, in
//! which groups, and when (issue 16).
//!
//! Notifications are trusted. When the kernel says some were lost (an
//! overrun, `ENOBUFS` on the notification socket), the links are dumped
//! again (cheap) and then every VNI's devices are re-read, a group of
//! devices at a time ([`Unit`]), each group a [`crate::reconcile::Scope`]
//! swept on its own. Only one group is read at a time, and the next starts
//! no sooner than [`Repair::gap_ms`] after the last one *ended*: a delay
//! measured from completion, so a slow scan or a stalled task never makes
//! groups run back to back to "catch up". Writes go on meanwhile (the dumps
//! are polled beside them).
//!
//! Why per device: the kernel's FDB dump restarts its walk of a device's
//! hash list for every message buffer it fills, so one dump costs the
//! square of the entries it walks (`docs/benchmarks.md`, issue 16): 1M
//! entries in one dump take minutes under the RTNL lock, ten dumps of 100k
//! take seconds. A single-device layout holds every VNI on one VXLAN
//! device: its dump is still the whole FDB, but it no longer stops writes.

use std::collections::VecDeque;

use crate::reconcile::Scope;

/// Devices re-read together and what they cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    /// Bridge ports whose FDB entries are dumped (`ndm_ifindex` filter:
    /// the port's bridge entries and its own, e.g. a VXLAN device's).
    pub fdb_ports: Vec<u32>,
    /// Devices whose ARP/ND neighbours are dumped (`NDA_IFINDEX` filter).
    pub neigh_devs: Vec<u32>,
    pub scope: Scope,
    /// The L3 state (tenant tables' routes, nexthops, rules), re-read at
    /// once (`crate::snapshot`) instead of per device.
    pub tables: bool,
}

/// Entries a group of small devices may hold before another group starts
/// (an estimate, from what we hold): the work of one scan stays bounded.
pub const UNIT_ENTRIES: usize = 50_000;
/// Devices per group at most.
pub const UNIT_DEVICES: usize = 256;
/// Default gap between the end of one scan and the start of the next.
pub const GAP_MS: u64 = 50;

#[derive(Debug)]
pub struct Repair {
    pub gap_ms: u64,
    /// Notifications were lost: a new round (links, then every unit) is due.
    lost: bool,
    queue: VecDeque<Unit>,
    running: bool,
    not_before: u64,
    rounds: u64,
}

impl Repair {
    pub fn new(gap_ms: u64) -> Repair {
        Repair {
            gap_ms,
            lost: false,
            queue: VecDeque::new(),
            running: false,
            not_before: 0,
            rounds: 0,
        }
    }

    /// The kernel dropped notifications: what they said is unknown.
    pub fn lost(&mut self) {
        self.lost = true;
    }

    /// Whether a loss waits for its round.
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Whether a new round must be planned now (then [`Repair::plan`] with
    /// its units). Not while a scan runs (it is abandoned first: the caller
    /// aborts it) nor before the gap after the last one has passed.
    pub fn round_due(&self, now_ms: u64) -> bool {
        self.lost && now_ms >= self.not_before
    }

    /// A new round replaces whatever the last one had left to do.
    pub fn plan(&mut self, units: Vec<Unit>) {
        self.lost = false;
        self.running = false;
        self.queue = units.into();
        self.rounds += 1;
    }

    /// Queues one more unit (unless an equal one waits already): a re-read
    /// of part of the kernel that a link change calls for, paced like the
    /// rest.
    pub fn enqueue(&mut self, unit: Unit) {
        if !self.queue.contains(&unit) {
            self.queue.push_back(unit);
        }
    }

    /// The next unit to scan, if one is due at `now_ms`.
    pub fn next(&mut self, now_ms: u64) -> Option<Unit> {
        if self.running || self.lost || now_ms < self.not_before {
            return None;
        }
        let u = self.queue.pop_front()?;
        self.running = true;
        Some(u)
    }

    /// The unit's scan ended (completed or abandoned) at `now_ms`.
    pub fn finished(&mut self, now_ms: u64) {
        self.running = false;
        self.not_before = now_ms.saturating_add(self.gap_ms);
    }

    /// When the next step (a round or a unit) may start, if one waits.
    pub fn wake_at(&self) -> Option<u64> {
        (!self.running && (self.lost || !self.queue.is_empty())).then_some(self.not_before)
    }

    /// Whether a repair is under way or due.
    pub fn busy(&self) -> bool {
        self.running || self.lost || !self.queue.is_empty()
    }

    /// Rounds planned so far (each one is a loss of notifications).
    pub fn rounds(&self) -> u64 {
        self.rounds
    }
}

/// Groups per-device work into units of bounded size: `items` are
/// (devices, scope, estimated entries) for one VNI group each, in order;
/// consecutive items of the same kind are merged while they stay under
/// [`UNIT_ENTRIES`] and [`UNIT_DEVICES`]. A device larger than the bound
/// is a unit of its own.
pub fn group(items: Vec<(Unit, usize)>) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut size = 0usize;
    for (u, n) in items {
        let same_kind = out.last().is_some_and(|l| {
            (
                l.scope.ours_fdb,
                l.scope.local_macs,
                l.scope.neigh,
                l.tables,
            ) == (
                u.scope.ours_fdb,
                u.scope.local_macs,
                u.scope.neigh,
                u.tables,
            )
        });
        let fits = |l: &Unit| {
            size + n <= UNIT_ENTRIES
                && l.fdb_ports.len() + l.neigh_devs.len() + u.fdb_ports.len() + u.neigh_devs.len()
                    <= UNIT_DEVICES
        };
        match out.last_mut() {
            Some(l) if same_kind && fits(l) => {
                l.fdb_ports.extend(u.fdb_ports);
                l.neigh_devs.extend(u.neigh_devs);
                l.scope.vnis.extend(u.scope.vnis);
                size += n;
            }
            _ => {
                out.push(u);
                size = n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
