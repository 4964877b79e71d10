//! The remote routes the domain holds, indexed by their route targets
//! (issue 16): a VNI that appears imports the routes of the RT sets its
//! instance imports, and one that goes un-imports only those, instead of
//! every route being handed over and re-imported again.
//!
//! A route's route targets are shared: routes carrying the same set (all
//! the MACs of one VNI, typically) hold one `Arc<[RouteTarget]>`, which is
//! also the index key. What a route needs once imported is kept compact
//! ([`What`]): the core's RIB has the rest.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::{MacAddr, RouteTarget, Vni};
use ipnet::IpNet;

use crate::RemoteRoute;
use crate::flood::Tunnel;
use crate::mobility::RemoteMac;
use crate::tenant::Overlay;

/// What an imported route gives the dataplane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Type 2: the MAC (and host IP) behind a VTEP; the Router's MAC of a
    /// MAC+IP route with L3 attributes (a tenant's host route).
    Mac {
        mac: MacAddr,
        ip: Option<IpAddr>,
        remote: RemoteMac,
        rmac: Option<MacAddr>,
    },
    /// Type 3: a flood entry as its PMSI tunnel decides ([`crate::flood`]).
    Imet { tunnel: Option<Tunnel> },
    /// Type 5: a tenant prefix behind a VTEP, and its RFC 9136 §3.2
    /// overlay index if any (only its kind: the route shows the rest, and
    /// the variant stays no larger than `Mac`).
    Prefix {
        prefix: IpNet,
        vtep: IpAddr,
        rmac: Option<MacAddr>,
        overlay: Option<Overlay>,
    },
}

impl What {
    /// `None` for route types that give the dataplane nothing.
    pub fn of(r: &RemoteRoute) -> Option<What> {
        match &r.route {
            EvpnRoute::MacIp(m) => Some(What::Mac {
                mac: m.mac,
                ip: m.ip,
                remote: RemoteMac {
                    vtep: r.next_hop,
                    seq: r.seq,
                    sticky: r.sticky,
                },
                rmac: r.router_mac.filter(|_| m.ip.is_some()),
            }),
            EvpnRoute::Imet(_) => Some(What::Imet { tunnel: r.tunnel }),
            EvpnRoute::IpPrefix(p) => Some(What::Prefix {
                prefix: p.prefix,
                vtep: r.next_hop,
                rmac: r.router_mac,
                overlay: if !p.gateway.is_unspecified() {
                    Some(Overlay::GatewayIp)
                } else if !p.esi.is_zero() {
                    Some(Overlay::Esi)
                } else {
                    None
                },
            }),
            _ => None,
        }
    }
}

/// One remote best path: its route targets, what it gives the dataplane.
/// Where it is imported is its route-target set's ([`Routes::vnis`]).
#[derive(Debug)]
pub struct Stored {
    pub rts: Arc<[RouteTarget]>,
    pub what: What,
}

/// The routes carrying one set of route targets, and the VNIs that set is
/// imported into (the same for all of them).
#[derive(Debug, Default)]
struct RtSet {
    vnis: Vec<Vni>,
    keys: HashSet<EvpnKey>,
}

#[derive(Debug, Default)]
pub struct Routes {
    routes: HashMap<EvpnKey, Stored>,
    sets: HashMap<Arc<[RouteTarget]>, RtSet>,
}

impl Routes {
    /// The shared copy of a set of route targets.
    pub fn intern(&self, rts: &[RouteTarget]) -> Arc<[RouteTarget]> {
        match self.sets.get_key_value(rts) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(rts),
        }
    }

    /// The VNIs routes with these route targets are imported into, when
    /// such routes are held (`None`: none are, the caller finds out).
    pub fn vnis(&self, rts: &[RouteTarget]) -> Option<&[Vni]> {
        self.sets.get(rts).map(|s| s.vnis.as_slice())
    }

    pub fn get(&self, key: &EvpnKey) -> Option<&Stored> {
        self.routes.get(key)
    }

    /// Holds a route (not held before) whose set is imported into `vnis`
    /// (used when the set is new).
    pub fn insert(&mut self, key: EvpnKey, s: Stored, vnis: Vec<Vni>) {
        let set = self
            .sets
            .entry(Arc::clone(&s.rts))
            .or_insert_with(|| RtSet {
                vnis,
                keys: HashSet::new(),
            });
        set.keys.insert(key.clone());
        self.routes.insert(key, s);
    }

    /// Forgets a route; with the VNIs it was imported into.
    pub fn remove(&mut self, key: &EvpnKey) -> Option<(Stored, Vec<Vni>)> {
        let s = self.routes.remove(key)?;
        let mut vnis = Vec::new();
        if let Some(set) = self.sets.get_mut(&s.rts) {
            set.keys.remove(key);
            vnis = set.vnis.clone();
            if set.keys.is_empty() {
                self.sets.remove(&s.rts);
            }
        }
        Some((s, vnis))
    }

    /// The sets `imports` accepts: only the sets are tested, not routes.
    pub fn sets_matching(
        &self,
        imports: impl Fn(&[RouteTarget]) -> bool,
    ) -> Vec<Arc<[RouteTarget]>> {
        self.sets
            .keys()
            .filter(|rts| imports(rts))
            .cloned()
            .collect()
    }

    /// The set is imported into `vni` too (or, `present` false, no longer):
    /// the routes it concerns, when that changed anything.
    pub fn set_vni(
        &mut self,
        rts: &[RouteTarget],
        vni: Vni,
        present: bool,
    ) -> Vec<(EvpnKey, What)> {
        let Some(set) = self.sets.get_mut(rts) else {
            return Vec::new();
        };
        let had = set.vnis.contains(&vni);
        if had == present {
            return Vec::new();
        }
        if present {
            set.vnis.push(vni);
        } else {
            set.vnis.retain(|v| *v != vni);
        }
        set.keys
            .iter()
            .filter_map(|k| self.routes.get(k).map(|s| (k.clone(), s.what)))
            .collect()
    }

    /// The routes held with this set of route targets.
    pub fn of_set(&self, rts: &[RouteTarget]) -> Vec<(EvpnKey, What)> {
        self.sets
            .get(rts)
            .map(|set| {
                set.keys
                    .iter()
                    .filter_map(|k| self.routes.get(k).map(|s| (k.clone(), s.what)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn clear(&mut self) {
        self.routes = HashMap::new();
        self.sets = HashMap::new();
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// The VNIs (and tenants' L3VNIs) a held route is imported into.
    pub fn imported_into(&self, key: &EvpnKey) -> Option<(&Stored, &[Vni])> {
        let s = self.routes.get(key)?;
        let vnis = self.sets.get(&s.rts).map(|x| x.vnis.as_slice())?;
        Some((s, vnis))
    }
}
