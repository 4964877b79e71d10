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
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Arc;

use hashbrown::HashTable;

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
#[derive(Debug, Clone)]
pub struct Stored {
    pub rts: Arc<[RouteTarget]>,
    pub what: What,
}

/// A held route: its key (held only here), the id of its route-target
/// set, what it gives the dataplane.
#[derive(Debug)]
struct Held {
    key: EvpnKey,
    set: u32,
    what: What,
}

/// The routes carrying one set of route targets, and the VNIs that set is
/// imported into (the same for all of them). Routes by slot, not by key.
#[derive(Debug)]
struct RtSet {
    rts: Arc<[RouteTarget]>,
    vnis: Vec<Vni>,
    slots: HashSet<u32>,
}

/// The held routes. Each key is stored once, in its slot; the index by
/// key and each set's list of routes hold the slot's number (4 octets),
/// not a second copy of the key (issue 16: ~50 octets per key, and one
/// more copy per route in its set's index).
#[derive(Debug, Default)]
pub struct Routes {
    slots: Vec<Option<Held>>,
    /// Slots a removed route left, reused first.
    free: Vec<u32>,
    /// Route key → slot, hashed by the key the slot holds.
    index: HashTable<u32>,
    hasher: RandomState,
    /// Route-target sets by id (a removed set leaves a hole).
    sets: Vec<Option<RtSet>>,
    sets_free: Vec<u32>,
    set_ids: HashMap<Arc<[RouteTarget]>, u32>,
    len: usize,
}

impl Routes {
    /// The shared copy of a set of route targets.
    pub fn intern(&self, rts: &[RouteTarget]) -> Arc<[RouteTarget]> {
        match self.set_ids.get_key_value(rts) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(rts),
        }
    }

    fn set(&self, id: u32) -> Option<&RtSet> {
        self.sets.get(id as usize).and_then(Option::as_ref)
    }

    fn set_mut(&mut self, id: u32) -> Option<&mut RtSet> {
        self.sets.get_mut(id as usize).and_then(Option::as_mut)
    }

    fn held(&self, slot: u32) -> Option<&Held> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// The slot holding `key`: the route's handle while it is held.
    pub fn slot(&self, key: &EvpnKey) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        self.index
            .find(hash, |s| {
                slots
                    .get(*s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|h| h.key == *key)
            })
            .copied()
    }

    /// The VNIs routes with these route targets are imported into, when
    /// such routes are held (`None`: none are, the caller finds out).
    pub fn vnis(&self, rts: &[RouteTarget]) -> Option<&[Vni]> {
        let id = *self.set_ids.get(rts)?;
        self.set(id).map(|s| s.vnis.as_slice())
    }

    pub fn get(&self, key: &EvpnKey) -> Option<Stored> {
        let h = self.held(self.slot(key)?)?;
        let set = self.set(h.set)?;
        Some(Stored {
            rts: Arc::clone(&set.rts),
            what: h.what,
        })
    }

    /// Holds a route (not held before) whose set is imported into `vnis`
    /// (used when the set is new).
    pub fn insert(&mut self, key: EvpnKey, s: Stored, vnis: Vec<Vni>) {
        let set = match self.set_ids.get(&s.rts) {
            Some(id) => *id,
            None => {
                let rts = Arc::clone(&s.rts);
                let new = RtSet {
                    rts: Arc::clone(&rts),
                    vnis,
                    slots: HashSet::new(),
                };
                let id = match self.sets_free.pop() {
                    Some(id) => {
                        self.sets[id as usize] = Some(new);
                        id
                    }
                    None => {
                        self.sets.push(Some(new));
                        to_u32(self.sets.len() - 1)
                    }
                };
                self.set_ids.insert(rts, id);
                id
            }
        };
        let hash = self.hasher.hash_one(&key);
        let held = Held {
            key,
            set,
            what: s.what,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(held);
                slot
            }
            None => {
                self.slots.push(Some(held));
                to_u32(self.slots.len() - 1)
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, slot, |s| {
            slots
                .get(*s as usize)
                .and_then(Option::as_ref)
                .map_or(0, |h| hasher.hash_one(&h.key))
        });
        if let Some(set) = self.set_mut(set) {
            set.slots.insert(slot);
        }
        self.len += 1;
    }

    /// Forgets a route; with the VNIs it was imported into.
    pub fn remove(&mut self, key: &EvpnKey) -> Option<(Stored, Vec<Vni>)> {
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        let entry = self
            .index
            .find_entry(hash, |s| {
                slots
                    .get(*s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|h| h.key == *key)
            })
            .ok()?;
        let (slot, _) = entry.remove();
        let h = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.len -= 1;
        if self.len == 0 {
            // Give the memory back when the last route goes.
            self.slots = Vec::new();
            self.free = Vec::new();
        }
        let mut vnis = Vec::new();
        let mut rts = None;
        let mut empty = false;
        if let Some(set) = self.set_mut(h.set) {
            set.slots.remove(&slot);
            vnis = set.vnis.clone();
            rts = Some(Arc::clone(&set.rts));
            empty = set.slots.is_empty();
        }
        if empty {
            if let Some(set) = self.sets.get_mut(h.set as usize).and_then(Option::take) {
                self.set_ids.remove(&set.rts);
            }
            self.sets_free.push(h.set);
        }
        let rts = rts?;
        Some((Stored { rts, what: h.what }, vnis))
    }

    /// The sets `imports` accepts: only the sets are tested, not routes.
    pub fn sets_matching(
        &self,
        imports: impl Fn(&[RouteTarget]) -> bool,
    ) -> Vec<Arc<[RouteTarget]>> {
        self.set_ids
            .keys()
            .filter(|rts| imports(rts))
            .cloned()
            .collect()
    }

    /// The routes of a set, with what they give.
    fn routes_of(&self, set: &RtSet) -> Vec<(EvpnKey, What)> {
        set.slots
            .iter()
            .filter_map(|s| self.held(*s).map(|h| (h.key.clone(), h.what)))
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
        let Some(&id) = self.set_ids.get(rts) else {
            return Vec::new();
        };
        let Some(set) = self.set_mut(id) else {
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
        self.of_set(rts)
    }

    /// The routes held with this set of route targets.
    pub fn of_set(&self, rts: &[RouteTarget]) -> Vec<(EvpnKey, What)> {
        self.set_ids
            .get(rts)
            .and_then(|id| self.set(*id))
            .map(|set| self.routes_of(set))
            .unwrap_or_default()
    }

    pub fn clear(&mut self) {
        *self = Routes::default();
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The VNIs (and tenants' L3VNIs) a held route is imported into.
    pub fn imported_into(&self, key: &EvpnKey) -> Option<(Stored, &[Vni])> {
        let h = self.held(self.slot(key)?)?;
        let set = self.set(h.set)?;
        Some((
            Stored {
                rts: Arc::clone(&set.rts),
                what: h.what,
            },
            set.vnis.as_slice(),
        ))
    }
}

/// A slot or set number: never more than `u32::MAX` routes are held (the
/// core's RIB is bounded far below that).
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
