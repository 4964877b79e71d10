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

use crate::RemoteRoute;
use crate::mobility::RemoteMac;

/// What an imported route gives the dataplane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Type 2: the MAC (and host IP) behind a VTEP.
    Mac {
        mac: MacAddr,
        ip: Option<IpAddr>,
        remote: RemoteMac,
    },
    /// Type 3: a flood entry towards its ingress-replication endpoint.
    Imet { endpoint: Option<IpAddr> },
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
            }),
            EvpnRoute::Imet(_) => Some(What::Imet {
                endpoint: r.ir_endpoint,
            }),
            _ => None,
        }
    }
}

/// One remote best path: where it is imported, its route targets, what it
/// gives the dataplane.
#[derive(Debug)]
pub struct Stored {
    /// The VNIs it is imported into (none: held for a VNI that may come).
    pub vnis: Vec<Vni>,
    pub rts: Arc<[RouteTarget]>,
    pub what: What,
}

#[derive(Debug, Default)]
pub struct Routes {
    routes: HashMap<EvpnKey, Stored>,
    by_rts: HashMap<Arc<[RouteTarget]>, HashSet<EvpnKey>>,
}

impl Routes {
    /// The shared copy of a set of route targets.
    pub fn intern(&self, rts: &[RouteTarget]) -> Arc<[RouteTarget]> {
        match self.by_rts.get_key_value(rts) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(rts),
        }
    }

    /// The VNIs the routes of this RT set are imported into, when the set
    /// has routes already (they all share them).
    pub fn vnis_of_set(&self, rts: &[RouteTarget]) -> Option<Vec<Vni>> {
        let key = self.by_rts.get(rts)?.iter().next()?;
        self.routes.get(key).map(|s| s.vnis.clone())
    }

    pub fn get(&self, key: &EvpnKey) -> Option<&Stored> {
        self.routes.get(key)
    }

    pub fn get_mut(&mut self, key: &EvpnKey) -> Option<&mut Stored> {
        self.routes.get_mut(key)
    }

    pub fn insert(&mut self, key: EvpnKey, s: Stored) {
        let old = self.remove(&key);
        debug_assert!(old.is_none(), "removed by the caller first");
        self.by_rts
            .entry(Arc::clone(&s.rts))
            .or_default()
            .insert(key.clone());
        self.routes.insert(key, s);
    }

    pub fn remove(&mut self, key: &EvpnKey) -> Option<Stored> {
        let s = self.routes.remove(key)?;
        if let Some(keys) = self.by_rts.get_mut(&s.rts) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_rts.remove(&s.rts);
            }
        }
        Some(s)
    }

    /// The routes whose route-target set `imports` accepts: only the sets
    /// are tested, not the routes.
    pub fn matching(&self, imports: impl Fn(&[RouteTarget]) -> bool) -> Vec<EvpnKey> {
        self.by_rts
            .iter()
            .filter(|(rts, _)| imports(rts))
            .flat_map(|(_, keys)| keys.iter().cloned())
            .collect()
    }

    pub fn clear(&mut self) {
        self.routes = HashMap::new();
        self.by_rts = HashMap::new();
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }
}
