//! The linux task's L3 side (issue 11): SVI addresses and tenant-table
//! routes reported to the core, tenant routes, nexthops and rules written
//! (`crate::l3`), and their bounded re-read (`crate::snapshot`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ipnet::IpNet;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::route::RouteMessage;
use tracing::{info, warn};

use evpnd_wire::Vni;

use super::{Redistribute, Task};
use crate::LocalEvent;
use crate::batch::Request;
use crate::repair::Unit;
use crate::route::{self, Route};

/// The protocol of the route that wins among those of one prefix (the
/// lowest metric).
fn best(m: Option<&BTreeMap<u32, u8>>) -> Option<u8> {
    m.and_then(|m| m.values().next().copied())
}

impl Task {
    /// The repair unit that re-reads the L3 state (routes of the tenants'
    /// tables, nexthops, rules).
    pub(super) fn l3_unit() -> Unit {
        Unit {
            tables: true,
            ..Unit::default()
        }
    }

    /// Whether there is L3 state to re-read after lost notifications.
    pub(super) fn l3_relevant(&self) -> bool {
        !self.l3.is_empty() || !self.watched.is_empty()
    }

    /// The links changed: the SVIs routes go over, the watched tables, the
    /// SVI addresses. When an SVI that carried routes went down or away the
    /// kernel flushed what used it: our tables are re-read (paced).
    pub(super) async fn l3_links_changed(&mut self) {
        let svis: HashMap<Vni, u32> = self
            .layout
            .vnis
            .iter()
            .filter(|(_, v)| v.up)
            .filter_map(|(k, v)| Some((*k, v.svi_ifindex?)))
            .collect();
        let lost = self.l3_svis.iter().any(|(v, i)| svis.get(v) != Some(i));
        if lost && !self.l3.is_empty() {
            self.repair.enqueue(Self::l3_unit());
        }
        // A device that went down lost its entries (the kernel flushes a
        // VXLAN device's FDB and an SVI's neighbours; the deletes of ours are
        // filtered, `crate::sockopt`): when it is back, its VNI is re-read.
        let mut back = Vec::new();
        for (vni, v) in &self.layout.vnis {
            if !v.up {
                self.vnis_down.insert(*vni);
            } else if self.vnis_down.remove(vni) {
                back.push(Unit {
                    fdb_ports: vec![v.vxlan_ifindex],
                    neigh_devs: v.svi_ifindex.into_iter().collect(),
                    scope: crate::reconcile::Scope {
                        vnis: [*vni].into(),
                        ours_fdb: true,
                        neigh: v.svi_ifindex.is_some(),
                        ..Default::default()
                    },
                    tables: false,
                });
            }
        }
        let vnis = &self.layout.vnis;
        self.vnis_down.retain(|v| vnis.contains_key(v));
        // IPv4 routes over a device that goes down are flushed without a
        // notification: the watched tables are re-read when one does.
        let up: HashSet<u32> = self
            .links
            .values()
            .filter(|l| l.up)
            .map(|l| l.index)
            .collect();
        if !self.watched.is_empty() && self.links_up.iter().any(|i| !up.contains(i)) {
            self.repair.enqueue(Self::l3_unit());
        }
        self.links_up = up;
        for u in back {
            self.repair.enqueue(u);
        }
        self.l3_svis = svis.clone();
        self.l3.svis_changed(svis);
        // Underlay gateways go over any link that is up and running, by
        // name; one that went down took its nexthops with it (`crate::l3`).
        let devs: HashMap<String, u32> = self
            .links
            .values()
            .filter(|l| l.up)
            .map(|l| (l.name.clone(), l.index))
            .collect();
        self.l3.devs_changed(devs);
        self.l3.underlay_changed();
        self.watched_changed().await;
    }

    /// Recomputes the watched tables (a VRF device's table may appear);
    /// reads the new ones, forgets the old ones.
    async fn watched_changed(&mut self) {
        let now: BTreeSet<u32> = self
            .cfg
            .redistribute
            .iter()
            .filter_map(|r| match r {
                Redistribute::Table(t) => Some(*t),
                Redistribute::VrfDevice(name) => self
                    .links
                    .values()
                    .find(|l| l.name == *name)
                    .and_then(|l| l.vrf_table),
            })
            .collect();
        if now == self.watched {
            return;
        }
        let gone: Vec<u32> = self.watched.difference(&now).copied().collect();
        let added: BTreeSet<u32> = now.difference(&self.watched).copied().collect();
        self.watched = now;
        for t in gone {
            let keys: Vec<(u32, IpNet)> = self
                .table_routes
                .range((t, IpNet::default())..)
                .take_while(|((tt, _), _)| *tt == t)
                .map(|(k, _)| *k)
                .collect();
            for k in keys {
                self.table_routes.remove(&k);
                self.emit(LocalEvent::TableRouteGone {
                    table: k.0,
                    prefix: k.1,
                })
                .await;
            }
        }
        if !added.is_empty()
            && let Err(e) = self.reread_l3(Some(added)).await
        {
            warn!("route dump of a redistributed table: {e}");
        }
    }

    /// Reports the differences between the SVI addresses reported and
    /// those of the SVIs of the VNIs now.
    pub(super) async fn svi_addrs_changed(&mut self) {
        let mut now: HashMap<Vni, BTreeSet<IpNet>> = HashMap::new();
        for (vni, v) in &self.layout.vnis {
            if let Some(a) = v.svi_ifindex.and_then(|s| self.addrs.get(&s))
                && !a.is_empty()
            {
                now.insert(*vni, a.clone());
            }
        }
        if now == self.svi_addrs {
            return;
        }
        let old = std::mem::replace(&mut self.svi_addrs, now);
        let empty = BTreeSet::new();
        for (vni, addrs) in &old {
            let keep = self.svi_addrs.get(vni).unwrap_or(&empty);
            for a in addrs.difference(keep) {
                self.emit(LocalEvent::SviAddrGone {
                    vni: *vni,
                    addr: *a,
                })
                .await;
            }
        }
        let news: Vec<(Vni, IpNet)> = self
            .svi_addrs
            .iter()
            .flat_map(|(vni, addrs)| {
                let had = old.get(vni).unwrap_or(&empty);
                addrs
                    .difference(had)
                    .map(|a| (*vni, *a))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (vni, addr) in news {
            self.emit(LocalEvent::SviAddr { vni, addr }).await;
        }
    }

    /// An address notification.
    pub(super) async fn address(&mut self, m: &AddressMessage, present: bool) {
        let Some((ifindex, a)) = route::parse_addr(m) else {
            return;
        };
        let set = self.addrs.entry(ifindex).or_default();
        let changed = if present {
            set.insert(a)
        } else {
            set.remove(&a)
        };
        if set.is_empty() {
            self.addrs.remove(&ifindex);
        }
        if changed {
            // A connected route came or went: gateways are looked up again.
            self.l3.underlay_changed();
        }
        if changed && self.layout.svi_vni(ifindex).is_some() {
            self.svi_addrs_changed().await;
        }
    }

    /// A route notification (subscribed only when some tenant
    /// redistributes): other tables are dropped before anything is read.
    pub(super) async fn route_notified(&mut self, m: &RouteMessage, present: bool) {
        if !self.watched.contains(&route::route_table(m))
            || u8::from(m.header.protocol) == crate::PROTOCOL
        {
            return;
        }
        if let Some(r) = route::parse_route(m)
            && r.unicast
        {
            self.table_route(r, present).await;
        }
    }

    async fn table_route(&mut self, r: Route, present: bool) {
        if let IpNet::V6(n) = r.key.prefix
            && n.addr().is_unicast_link_local()
        {
            return;
        }
        let k = (r.key.table, r.key.prefix);
        let before = best(self.table_routes.get(&k));
        let m = self.table_routes.entry(k).or_default();
        if present {
            m.insert(r.metric, r.protocol);
        } else {
            m.remove(&r.metric);
        }
        if m.is_empty() {
            self.table_routes.remove(&k);
        }
        let after = best(self.table_routes.get(&k));
        if before != after {
            let (table, prefix) = k;
            self.emit(match after {
                Some(protocol) => LocalEvent::TableRoute {
                    table,
                    prefix,
                    protocol,
                },
                None => LocalEvent::TableRouteGone { table, prefix },
            })
            .await;
        }
    }

    /// Re-reads the L3 state: our routes in `tables` (`None`: every table),
    /// nexthops and rules; and the other routes of the watched tables read.
    pub(super) async fn reread_l3(&mut self, tables: Option<BTreeSet<u32>>) -> std::io::Result<()> {
        let watched = self.watched.clone();
        let (snap, others) = self.dumper.l3(tables.as_ref(), &watched)?;
        let read = |t: u32| tables.as_ref().is_none_or(|ts| ts.contains(&t));
        let old: Vec<(u32, IpNet)> = self
            .table_routes
            .keys()
            .filter(|(t, _)| read(*t))
            .copied()
            .collect();
        let mut now: BTreeMap<(u32, IpNet), BTreeMap<u32, u8>> = BTreeMap::new();
        for r in others {
            if let IpNet::V6(n) = r.key.prefix
                && n.addr().is_unicast_link_local()
            {
                continue;
            }
            now.entry((r.key.table, r.key.prefix))
                .or_default()
                .insert(r.metric, r.protocol);
        }
        for k in old {
            if !now.contains_key(&k) {
                self.table_routes.remove(&k);
                self.emit(LocalEvent::TableRouteGone {
                    table: k.0,
                    prefix: k.1,
                })
                .await;
            }
        }
        for (k, m) in now {
            let before = best(self.table_routes.get(&k));
            let after = best(Some(&m));
            self.table_routes.insert(k, m);
            if let (Some(protocol), true) = (after, before != after) {
                self.emit(LocalEvent::TableRoute {
                    table: k.0,
                    prefix: k.1,
                    protocol,
                })
                .await;
            }
        }
        let (routes, objs) = (snap.routes.len(), snap.objs.len());
        if tables.is_none() && (routes > 0 || objs > 0) {
            info!(
                routes,
                nexthops = objs,
                rules = snap.rules.len(),
                "tenant routes of the previous run adopted"
            );
        }
        self.l3.snapshot(snap);
        Ok(())
    }

    /// The tables a repair re-reads: ours and the watched ones.
    pub(super) fn l3_tables(&self) -> BTreeSet<u32> {
        let mut t = self.l3.tables();
        t.extend(self.watched.iter().copied());
        t
    }

    /// Writes what the L3 reconciler plans, each ACK checked.
    pub(super) fn reconcile_l3(&mut self) {
        for gateway in self.l3.take_lookups() {
            let via = match self.dumper.lookup(gateway) {
                Ok(via) => via,
                Err(e) => {
                    warn!(%gateway, "route lookup of an underlay gateway failed: {e}");
                    None
                }
            };
            self.l3.looked_up(gateway, via);
        }
        loop {
            let ops = self.l3.plan(self.now_ms());
            if ops.is_empty() {
                return;
            }
            // In order, a slice at a time: the encoded requests of a
            // million routes are never all in memory at once.
            for slice in ops.chunks(L3_WRITE_SLICE) {
                let requests = l3_requests(slice);
                let results = self.batch.run(&requests);
                let now = self.now_ms();
                for (op, r) in slice.iter().zip(results) {
                    let err = r.err().map(|e| e.to_string());
                    match &err {
                        None => self.writes_ok += 1,
                        Some(e) => {
                            self.writes_failed += 1;
                            warn!(?op, "kernel write failed: {e}");
                        }
                    }
                    self.l3.result(op, err.as_deref(), now);
                }
            }
        }
    }

    /// Deletes every route, rule and nexthop of ours (flush on shutdown).
    pub(super) fn flush_l3(&mut self) -> usize {
        let requests = l3_requests(&self.l3.flush_ops());
        self.batch
            .run(&requests)
            .iter()
            .filter(|r| r.is_err())
            .count()
    }
}

/// L3 operations encoded and written together (a few batcher chunks).
const L3_WRITE_SLICE: usize = 8192;

/// One batched request per L3 operation.
fn l3_requests(ops: &[crate::l3::L3Op]) -> Vec<Request> {
    ops.iter()
        .map(|op| {
            let (m, delete) = route::request(op);
            Request {
                messages: vec![m],
                delete,
            }
        })
        .collect()
}
