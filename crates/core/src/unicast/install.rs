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
use evpnd_rib::{BestChange, Path, PeerId};
use evpnd_wire::Family;
use ipnet::IpNet;
use tracing::debug;

use super::receive::UniChanges;
use super::{MAIN_TABLE, UnicastEntry, is_link_local};
use crate::Core;

impl Core {
    /// The gateway a path's next hop gives, if it can be installed.
    pub(crate) fn gateway(&self, p: &Path<UnicastEntry>) -> Option<Gateway> {
        let slot = self.peers.get(p.peer.0.checked_sub(1)? as usize)?;
        let dev = slot.cfg.interface.as_ref().map(|i| i.get_ref().clone());
        let e = &p.attrs;
        match (e.link_local, dev) {
            (Some(ll), Some(dev)) => Some(Gateway {
                ip: std::net::IpAddr::V6(ll),
                dev: Some(dev),
            }),
            (_, Some(dev)) => Some(Gateway {
                ip: e.next_hop,
                dev: Some(dev),
            }),
            // A link-local gateway without a known interface cannot be used.
            (_, None) if is_link_local(e.next_hop) => None,
            (_, None) => Some(Gateway {
                ip: e.next_hop,
                dev: None,
            }),
        }
    }

    /// The hops `prefix` should have in the main table (`None`: no route
    /// of ours, e.g. our own prefix or nothing learned).
    pub(crate) fn desired_hops(&self, prefix: &IpNet) -> Option<Vec<Gateway>> {
        let set = self.uni.rib.multipath(prefix, self.uni.multipath);
        if set.first()?.peer == PeerId::LOCAL {
            return None;
        }
        let mut hops: Vec<Gateway> = set.iter().filter_map(|p| self.gateway(p)).collect();
        hops.sort();
        hops.dedup();
        (!hops.is_empty()).then_some(hops)
    }

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
    pub(crate) fn install(&mut self, prefix: IpNet) {
        if !self.installing() {
            return;
        }
        let want = self.desired_hops(&prefix);
        match want {
            Some(hops) => {
                if self.uni.installed.get(&prefix) == Some(&hops) {
                    return;
                }
                debug!(%prefix, hops = hops.len(), "unicast route to the main table");
                self.uni.installed.insert(prefix, hops.clone());
                self.dataplane.push(DesiredChange::Route {
                    table: MAIN_TABLE,
                    prefix,
                    via: RouteVia::Gateways { hops },
                });
            }
            None => {
                if self.uni.installed.remove(&prefix).is_some() {
                    debug!(%prefix, "unicast route gone from the main table");
                    self.dataplane.push(DesiredChange::RouteGone {
                        table: MAIN_TABLE,
                        prefix,
                    });
                }
            }
        }
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
