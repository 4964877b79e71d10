//! Nexthop objects of [`L3`]: one single nexthop per (gateway, L3 SVI), one
//! group per distinct set of them, ids allocated from [`NH_ID_BASE`] past
//! ids in use, shared by every route that leads the same way, replaced in
//! place when all of a group's routes move together, deleted once unused
//! (docs/adr/0026-nexthop-groups.md).

use std::collections::{HashMap, HashSet};

use super::{Hop, L3, L3Op, Move, NH_ID_BASE, Obj, ROUTE_METRIC, RouteKey, Target, Want};

impl L3 {
    fn alloc(&mut self) -> u32 {
        while self.objs.contains_key(&self.next_id) || self.foreign.contains(&self.next_id) {
            self.next_id = self.next_id.checked_add(1).unwrap_or(NH_ID_BASE);
        }
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(NH_ID_BASE);
        id
    }

    fn ensure_hop(&mut self, hop: Hop, ops: &mut Vec<L3Op>) -> u32 {
        if let Some(id) = self.hop_ids.get(&hop) {
            return *id;
        }
        let id = self.alloc();
        self.objs.insert(id, Obj::Hop(hop));
        self.hop_ids.insert(hop, id);
        ops.push(L3Op::NhNew { id, hop });
        id
    }

    /// The object for `hops` (created first when missing, members before
    /// the group): its id.
    pub(super) fn ensure(&mut self, hops: &[Hop], ops: &mut Vec<L3Op>) -> u32 {
        if let [one] = hops {
            return self.ensure_hop(*one, ops);
        }
        let mut members: Vec<u32> = hops.iter().map(|h| self.ensure_hop(*h, ops)).collect();
        members.sort_unstable();
        if let Some(id) = self.group_ids.get(&members) {
            return *id;
        }
        let id = self.alloc();
        self.objs.insert(id, Obj::Group(members.clone()));
        self.group_ids.insert(members.clone(), id);
        ops.push(L3Op::GroupNew { id, members });
        id
    }

    /// The routes of ours that point at object `id`.
    pub(super) fn users(&self, id: u32) -> impl Iterator<Item = &RouteKey> {
        self.routes
            .iter()
            .filter(move |(_, m)| m.values().any(|t| *t == Target::Nh(id)))
            .map(|(k, _)| k)
    }

    /// Stretch of the brief: when every route of a group of ours is due to
    /// move to one same new set of hops (of more than one, and no group for
    /// it exists yet), the group's members are replaced in place.
    pub(super) fn in_place(&mut self, due: &[RouteKey], ops: &mut Vec<L3Op>) -> HashSet<RouteKey> {
        let mut moves: HashMap<u32, Move> = HashMap::new();
        for key in due {
            // Only a route in a group now may move with it (a new route
            // costs one lookup here).
            let Some(Target::Nh(old)) = self.routes.get(key).and_then(|m| m.get(&ROUTE_METRIC))
            else {
                continue;
            };
            if !matches!(self.objs.get(old), Some(Obj::Group(_))) {
                continue;
            }
            let Some(via) = self.desired.get(key) else {
                continue;
            };
            let Ok((ROUTE_METRIC, Want::Hops(hops))) = self.resolve(key, via, &mut Vec::new())
            else {
                continue;
            };
            if hops.len() < 2 {
                continue;
            }
            let e = moves
                .entry(*old)
                .or_insert((Vec::new(), Some(hops.clone()), true));
            e.0.push(*key);
            e.2 &= e.1.as_ref() == Some(&hops);
        }
        let mut done = HashSet::new();
        for (gid, (keys, hops, same)) in moves {
            let Some(hops) = hops.filter(|_| same) else {
                continue;
            };
            let users: HashSet<RouteKey> = self.users(gid).copied().collect();
            if users.len() != keys.len() || !keys.iter().all(|k| users.contains(k)) {
                continue;
            }
            let mut members: Vec<u32> = hops.iter().map(|h| self.ensure_hop(*h, ops)).collect();
            members.sort_unstable();
            if self.group_ids.contains_key(&members) {
                continue; // routes simply move to the existing group
            }
            if let Some(Obj::Group(old)) = self.objs.get(&gid) {
                let old = old.clone();
                self.group_ids.remove(&old);
            }
            self.objs.insert(gid, Obj::Group(members.clone()));
            self.group_ids.insert(members.clone(), gid);
            ops.push(L3Op::GroupReplace { id: gid, members });
            done.extend(keys);
        }
        done
    }

    /// `id` and, for a group, its members are in use.
    fn strike(&self, id: u32, candidates: &mut HashSet<u32>) {
        candidates.remove(&id);
        if let Some(Obj::Group(m)) = self.objs.get(&id) {
            for x in m {
                candidates.remove(x);
            }
        }
    }

    /// Deletes of our objects that no route of ours uses (now, or by a
    /// write planned with them): groups first, then single nexthops.
    pub(super) fn collect(&mut self, planned: &HashSet<u32>) -> Vec<L3Op> {
        // The candidates, struck off as uses are found: the walk over the
        // routes stops once none is left, so with every object in use (a
        // million routes over a few objects) it costs a few routes, not all.
        let mut candidates: HashSet<u32> = self
            .objs
            .keys()
            .filter(|id| !planned.contains(id) && !self.adopted_objs.contains(id))
            .copied()
            .collect();
        let kept: Vec<u32> = planned
            .iter()
            .chain(self.adopted_objs.iter())
            .copied()
            .collect();
        for id in kept {
            self.strike(id, &mut candidates);
        }
        for t in self.routes.values().flat_map(|m| m.values()) {
            if candidates.is_empty() {
                break;
            }
            if let Target::Nh(id) = t {
                self.strike(*id, &mut candidates);
            }
        }
        let mut unused: Vec<(bool, u32)> = candidates
            .into_iter()
            .filter_map(|id| Some((matches!(self.objs.get(&id)?, Obj::Hop(_)), id)))
            .collect();
        unused.sort_unstable();
        let mut ops = Vec::new();
        for (_, id) in unused {
            match self.objs.remove(&id) {
                Some(Obj::Hop(h)) => {
                    self.hop_ids.remove(&h);
                }
                Some(Obj::Group(m)) => {
                    self.group_ids.remove(&m);
                }
                None => {}
            }
            ops.push(L3Op::NhDel { id });
        }
        ops
    }
}
