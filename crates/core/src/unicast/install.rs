//! Best unicast routes into the kernel's main table: the multipath set of
//! each prefix learned from peers becomes
//! `DesiredChange::Route { table: 254, via: Gateways { hops } }`, one
//! gateway per distinct next hop; our own prefixes install nothing.
//!
//! A gateway learned from an interface (unnumbered) peer carries the
//! interface as `dev`; of a 32-octet IPv6 next hop (global + link-local)
//! the link-local is used there, the global otherwise. Routes are only
//! desired once the kernel's initial dump is in (`local_synced`, as tenant
//! routes) and only with a kernel side (`[evpn] learn_from_kernel`); a
//! prefix is re-sent only when its hops change.

use evpnd_evpn::DesiredChange;
use evpnd_evpn::dataplane::{Gateway, RouteVia};
use evpnd_rib::{BestChange, Multipath, Path, PeerId, Table};
use evpnd_wire::Family;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use tracing::debug;

use super::receive::UniChanges;
use super::{MAIN_TABLE, UnicastEntry, is_link_local};
use crate::Core;
use crate::peer::PeerSlot;

impl Core {
    /// Says once, at start, that unicast routes will be carried but not
    /// installed: without a kernel side (`learn_from_kernel = false`, a
    /// route reflector or a transit speaker) nothing reaches the FIB, which
    /// an operator building a spine would otherwise find out from a ping.
    pub(crate) fn warn_unicast_without_kernel(&self) {
        let unicast = self.cfg.neighbor.iter().any(|n| {
            n.families
                .iter()
                .any(|f| *f == Family::IPV4_UNICAST || *f == Family::IPV6_UNICAST)
        });
        for n in &self.cfg.neighbor {
            let carries_unicast = n
                .families
                .iter()
                .any(|f| *f == Family::IPV4_UNICAST || *f == Family::IPV6_UNICAST);
            if carries_unicast && (n.import_policy.is_some() || n.export_policy.is_some()) {
                tracing::warn!(
                    neighbor = %n.key(),
                    "import_policy/export_policy apply to this neighbor's EVPN routes only: its IPv4/IPv6 unicast routes are accepted and sent unfiltered (docs/unicast.md)"
                );
            }
        }
        if unicast && !self.cfg.evpn.learn_from_kernel {
            tracing::warn!(
                "unicast families are carried but not installed into the kernel: [evpn] learn_from_kernel = false starts no kernel side (set it to true on a router that forwards)"
            );
        }
    }

    /// Whether unicast routes go to the kernel now: once its dump is in,
    /// and after a restart once BGP has converged (until then the routes
    /// the kernel side adopted keep forwarding, untouched).
    fn installing(&self) -> bool {
        self.cfg.evpn.learn_from_kernel && self.local_synced && (!self.restarted || self.converged)
    }

    /// Brings the main table's route for `prefix` in line with the RIB.
    /// Per route: one RIB lookup, one lookup of what is installed, and
    /// only on a change the `DesiredChange` (its own `Vec`, the shared
    /// type) and a shared hop set (interned: a table shares a few).
    pub(crate) fn install(&mut self, prefix: IpNet) {
        if !self.installing() {
            return;
        }
        let uni = &mut self.uni;
        let Some(want) = desired_hops(&uni.rib, &self.peers, uni.multipath, &prefix) else {
            if uni.installed.remove(&prefix).is_some() {
                debug!(%prefix, "unicast route gone from the main table");
                self.dataplane.push(DesiredChange::RouteGone {
                    table: MAIN_TABLE,
                    prefix,
                });
            }
            return;
        };
        let entry = uni.installed.entry(prefix);
        if let Entry::Occupied(have) = &entry
            && want.same_as(have.get())
        {
            return;
        }
        let hops: Vec<Gateway> = want.iter().map(|&(ip, dev)| owned(ip, dev)).collect();
        debug!(%prefix, hops = hops.len(), "unicast route to the main table");
        entry.insert_entry(uni.hop_sets.intern(&hops));
        self.dataplane.push(DesiredChange::Route {
            table: MAIN_TABLE,
            prefix,
            via: RouteVia::Gateways { hops },
        });
    }

    /// The kernel's dump is in: every learned best route goes down.
    pub(crate) fn install_all(&mut self) {
        let prefixes: Vec<IpNet> = self
            .uni
            .rib
            .iter_best()
            .filter(|(_, p)| p.peer != PeerId::LOCAL)
            .map(|(k, _)| k)
            .collect();
        for p in prefixes {
            self.install(p);
        }
    }

    /// The consequences of unicast RIB changes: peers' Adj-RIB-Outs (best
    /// changes), the main table (every prefix touched: the multipath set
    /// may change without the best), then every peer is flushed.
    pub(crate) fn apply_unicast(&mut self, ch: UniChanges) {
        let mut changed = false;
        for (k, c) in &ch.best {
            if matches!(c, BestChange::Unchanged) {
                continue;
            }
            changed = true;
            self.export_unicast(k);
        }
        for k in ch.touched {
            self.install(k);
        }
        if changed {
            self.flush_all();
        }
        self.uni.rib.recycle();
    }

    /// Prefixes where `peer` has a path (stale ones only with `stale_only`):
    /// their multipath sets change when those paths go or go stale.
    pub(crate) fn unicast_keys_of(&self, peer: PeerId, stale_only: bool) -> Vec<IpNet> {
        self.uni
            .rib
            .iter_paths()
            .filter(|(_, p, _)| p.peer == peer && (!stale_only || p.rank.stale))
            .map(|(k, _, _)| k)
            .collect()
    }
}

/// The gateway a path's next hop gives, if it can be installed, borrowed
/// (the interface name is copied only into a change). A gateway learned
/// from an interface peer carries the interface.
fn gateway<'a>(peers: &'a [PeerSlot], p: &Path<UnicastEntry>) -> Option<HopRef<'a>> {
    let slot = peers.get(p.peer.0.checked_sub(1)? as usize)?;
    let dev = slot.cfg.interface.as_ref().map(|i| i.get_ref().as_str());
    let e = &p.attrs;
    match (e.link_local, dev) {
        (Some(ll), Some(dev)) => Some((IpAddr::V6(ll), Some(dev))),
        (_, Some(dev)) => Some((e.next_hop, Some(dev))),
        // A link-local gateway without a known interface cannot be used.
        (_, None) if is_link_local(e.next_hop) => None,
        (_, None) => Some((e.next_hop, None)),
    }
}

/// The hops `prefix` should have in the main table (`None`: no route of
/// ours, e.g. our own prefix or nothing learned), sorted and without
/// duplicates. A destination with one path, or `max_paths = 1`, is one
/// lookup and no allocation (a transit table is almost all of those).
fn desired_hops<'a>(
    rib: &Table<IpNet, UnicastEntry>,
    peers: &'a [PeerSlot],
    mp: Multipath,
    prefix: &IpNet,
) -> Option<HopRefs<'a>> {
    let id = rib.id(prefix)?;
    let best = rib.best_by_id(id)?;
    if best.peer == PeerId::LOCAL {
        return None;
    }
    if mp.max_paths <= 1 || rib.paths_by_id(id).len() == 1 {
        return gateway(peers, best).map(HopRefs::One);
    }
    let mut hops: Vec<HopRef<'a>> = rib
        .multipath(prefix, mp)
        .iter()
        .filter_map(|p| gateway(peers, p))
        .collect();
    hops.sort();
    hops.dedup();
    (!hops.is_empty()).then_some(HopRefs::Many(hops))
}

/// A gateway borrowed from the RIB and the peer's config: its address and
/// interface name (ordered as [`Gateway`] is).
type HopRef<'a> = (IpAddr, Option<&'a str>);

/// A prefix's desired hops, borrowed: one (no allocation) or several.
enum HopRefs<'a> {
    One(HopRef<'a>),
    Many(Vec<HopRef<'a>>),
}

impl<'a> HopRefs<'a> {
    fn iter(&self) -> std::slice::Iter<'_, HopRef<'a>> {
        match self {
            HopRefs::One(h) => std::slice::from_ref(h).iter(),
            HopRefs::Many(v) => v.iter(),
        }
    }

    /// Whether these are exactly the installed `hops`.
    fn same_as(&self, hops: &[Gateway]) -> bool {
        self.iter().len() == hops.len()
            && self
                .iter()
                .zip(hops)
                .all(|(&(ip, dev), g)| ip == g.ip && dev == g.dev.as_deref())
    }
}

fn owned(ip: IpAddr, dev: Option<&str>) -> Gateway {
    Gateway {
        ip,
        dev: dev.map(str::to_owned),
    }
}

/// Hop sets are kept at most this many: a fabric has a handful (one per
/// combination of uplinks), sets beyond it are simply not shared.
const HOP_SETS_MAX: usize = 64;

/// The distinct hop sets installed, shared by the prefixes that use them
/// (a full table through two uplinks has one or two): storing a prefix's
/// hops is then a reference count, not an allocation.
#[derive(Default)]
pub(crate) struct HopSets {
    sets: Vec<Arc<[Gateway]>>,
}

impl HopSets {
    /// The shared set equal to `hops` (a new one when none is).
    pub fn intern(&mut self, hops: &[Gateway]) -> Arc<[Gateway]> {
        if let Some(s) = self.sets.iter().find(|s| ***s == *hops) {
            return Arc::clone(s);
        }
        if self.sets.len() >= HOP_SETS_MAX {
            // Sets no prefix uses any more.
            self.sets.retain(|s| Arc::strong_count(s) > 1);
        }
        let s: Arc<[Gateway]> = Arc::from(hops);
        if self.sets.len() < HOP_SETS_MAX {
            self.sets.push(Arc::clone(&s));
        }
        s
    }
}
