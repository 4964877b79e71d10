//! Underlay routes of [`L3`] (issue 13): `RouteVia::Gateways` into the main
//! table (or any table), through the same nexthop objects as the tenant
//! routes (docs/adr/0026-nexthop-groups.md), without `onlink`.
//!
//! * A gateway with a device (`dev = Some("swp1")`, every link-local and
//!   RFC 8950 next hop) goes over that link, by name, while it is up and
//!   running; an IPv4 prefix may go via an IPv6 gateway (the kernel takes
//!   an IPv6 nexthop object in an IPv4 route).
//! * A gateway without one is looked up in the kernel's FIB
//!   (`RTM_GETROUTE`, by the linux task): a connected gateway goes over the
//!   link the lookup names; one behind another route goes via that route's
//!   gateway (the kernel never resolves recursively). Looked up again when
//!   links or addresses change.
//! * A route goes via the hops it can reach now; one whose gateways all
//!   wait (a device absent or down, nothing leading to a gateway) is held,
//!   its error kept for status and each device it waits for reported once,
//!   and it is planned again when the links change.
//!
//! When a link goes down (or away, or loses its carrier) the kernel deletes
//! every nexthop object over it, takes them out of their groups (deleting
//! a group left empty) and deletes the routes that used a deleted object —
//! without a notification. [`L3::devs_changed`] does the same to what is
//! known, so that the model matches the kernel: a route whose group
//! shrank stays, and a later change to the hops it still has costs no
//! write ([`L3::same_way`]).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use evpnd_evpn::dataplane::{Gateway, RouteVia};
use ipnet::IpNet;

use super::{Hop, L3, Obj, RouteKey, Target};

impl L3 {
    /// The hops of an underlay route (sorted, at least one); devices it
    /// waits for go to `missing`.
    pub(super) fn gateways(
        &self,
        key: &RouteKey,
        gateways: &[Gateway],
        missing: &mut Vec<String>,
    ) -> Result<Vec<Hop>, String> {
        let mut hops = Vec::with_capacity(gateways.len());
        let mut why = Vec::new();
        for g in gateways {
            if matches!((key.prefix, g.ip), (IpNet::V6(_), IpAddr::V4(_))) {
                return Err(format!("an IPv6 route via the IPv4 gateway {}", g.ip));
            }
            match &g.dev {
                Some(name) => match self.devs.get(name) {
                    Some(oif) => hops.push(Hop {
                        gateway: g.ip,
                        oif: *oif,
                        onlink: false,
                    }),
                    None => {
                        missing.push(name.clone());
                        why.push(format!("waits for device {name} (absent or down)"));
                    }
                },
                None if is_link_local(g.ip) => {
                    why.push(format!("the link-local gateway {} has no device", g.ip));
                }
                None => match self.lookups.get(&g.ip) {
                    Some(Some((gateway, oif))) => hops.push(Hop {
                        gateway: *gateway,
                        oif: *oif,
                        onlink: false,
                    }),
                    Some(None) => why.push(format!("no route to the gateway {}", g.ip)),
                    None => why.push(format!("the gateway {} is being looked up", g.ip)),
                },
            }
        }
        hops.sort_unstable();
        hops.dedup();
        if hops.is_empty() {
            return Err(if why.is_empty() {
                "a route via no gateway".into()
            } else {
                why.join("; ")
            });
        }
        Ok(hops)
    }

    /// Devices a route waits for: reported once each (until they appear).
    pub(super) fn note_missing(&mut self, names: Vec<String>) {
        for n in names {
            if self.warned_devs.insert(n.clone()) {
                self.missing_new.push(n);
            }
        }
    }

    /// Devices routes began to wait for since the last call (each reported
    /// once, until it appears).
    pub fn take_missing(&mut self) -> Vec<String> {
        std::mem::take(&mut self.missing_new)
    }

    /// The members of an object of ours (itself for a single nexthop).
    fn members(&self, id: u32) -> Option<Vec<u32>> {
        match self.objs.get(&id)? {
            Obj::Hop(_) => Some(vec![id]),
            Obj::Group(m) if !m.is_empty() => Some(m.clone()),
            Obj::Group(_) => None,
        }
    }

    /// Whether a route at `have` leads where `want` does: the same target,
    /// or objects with the same single nexthops.
    pub(super) fn same_way(&self, have: Target, want: Target) -> bool {
        if have == want {
            return true;
        }
        match (have, want) {
            (Target::Nh(a), Target::Nh(b)) => {
                let a = self.members(a);
                a.is_some() && a == self.members(b)
            }
            _ => false,
        }
    }

    /// Gateways without a device to look up, unless known.
    pub(super) fn want_lookups(&mut self, gateways: &[Gateway]) {
        for g in gateways {
            if g.dev.is_none() && !is_link_local(g.ip) && !self.lookups.contains_key(&g.ip) {
                self.pending_lookups.insert(g.ip);
            }
        }
    }

    /// The gateways to look up before the next plan.
    pub fn take_lookups(&mut self) -> Vec<IpAddr> {
        std::mem::take(&mut self.pending_lookups)
            .into_iter()
            .collect()
    }

    /// What the kernel's FIB says leads to `gateway` (the gateway to use
    /// and the device): routes via it are planned again when it changed.
    pub fn looked_up(&mut self, gateway: IpAddr, via: Option<(IpAddr, u32)>) {
        if self.lookups.insert(gateway, via) == Some(via) {
            return;
        }
        let keys: Vec<RouteKey> = self
            .desired
            .iter()
            .filter(|(_, v)| match v.as_ref() {
                RouteVia::Gateways { hops } => {
                    hops.iter().any(|g| g.ip == gateway && g.dev.is_none())
                }
                _ => false,
            })
            .map(|(k, _)| *k)
            .collect();
        self.dirty.extend(keys);
    }

    /// Links or addresses changed: every gateway without a device is
    /// looked up again.
    pub fn underlay_changed(&mut self) {
        self.pending_lookups.extend(self.lookups.keys().copied());
    }

    /// The links that are up and running now, by name. Routes via a device
    /// that appeared, went or changed are planned again; what the kernel
    /// deleted with a link that went down is forgotten.
    pub fn devs_changed(&mut self, devs: HashMap<String, u32>) {
        if devs == self.devs {
            return;
        }
        let now: HashSet<u32> = devs.values().copied().collect();
        let lost: Vec<u32> = self
            .devs
            .values()
            .filter(|i| !now.contains(i))
            .copied()
            .collect();
        for ifindex in lost {
            self.flushed(ifindex);
        }
        let changed: HashSet<&String> = devs
            .iter()
            .filter(|(n, i)| self.devs.get(*n) != Some(*i))
            .map(|(n, _)| n)
            .chain(self.devs.keys().filter(|n| !devs.contains_key(*n)))
            .collect();
        let keys: Vec<RouteKey> = self
            .desired
            .iter()
            .filter(|(_, v)| match v.as_ref() {
                RouteVia::Gateways { hops } => hops
                    .iter()
                    .any(|g| g.dev.as_ref().is_some_and(|d| changed.contains(d))),
                _ => false,
            })
            .map(|(k, _)| *k)
            .collect();
        self.dirty.extend(keys);
        self.warned_devs.retain(|n| !devs.contains_key(n));
        self.devs = devs;
    }

    /// The kernel's flush of a link that went down: its nexthop objects
    /// deleted, taken out of their groups (a group left empty deleted), the
    /// routes through a deleted object deleted.
    pub(super) fn flushed(&mut self, ifindex: u32) {
        let dead: HashSet<u32> = self
            .objs
            .iter()
            .filter(|(_, o)| matches!(o, Obj::Hop(h) if h.oif == ifindex))
            .map(|(id, _)| *id)
            .collect();
        if dead.is_empty() {
            return;
        }
        let mut gone = dead.clone();
        let mut shrunk = Vec::new();
        for (id, o) in &mut self.objs {
            if let Obj::Group(m) = o
                && m.iter().any(|x| dead.contains(x))
            {
                let old = std::mem::take(m);
                *m = old.iter().copied().filter(|x| !dead.contains(x)).collect();
                if m.is_empty() {
                    gone.insert(*id);
                }
                shrunk.push((*id, old, m.clone()));
            }
        }
        for (id, old, new) in shrunk {
            if self.group_ids.get(&old) == Some(&id) {
                self.group_ids.remove(&old);
            }
            if !new.is_empty() {
                self.group_ids.entry(new).or_insert(id);
            }
        }
        for id in &gone {
            match self.objs.remove(id) {
                Some(Obj::Hop(h)) => {
                    self.hop_ids.remove(&h);
                }
                Some(Obj::Group(_)) | None => {}
            }
            self.adopted_objs.remove(id);
        }
        let mut lost = Vec::new();
        for (k, m) in &mut self.routes {
            let before = m.len();
            m.retain(|_, t| !matches!(t, Target::Nh(id) if gone.contains(id)));
            if m.len() != before {
                lost.push(*k);
            }
        }
        for k in lost {
            if self.routes.get(&k).is_some_and(|m| m.is_empty()) {
                self.routes.remove(&k);
                self.leftover_routes.remove(&k);
            }
            self.dirty.insert(k);
        }
        self.gc = true;
    }
}

/// An IPv6 link-local address (it means nothing without a device).
fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local())
}
