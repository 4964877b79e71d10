//! Tenant routes and rules (issue 11), without I/O: the desired routes and
//! `ip rule`s (from the core's [`DesiredChange`]s), what the kernel holds of
//! ours (routes, nexthop objects and rules with protocol 245), and the
//! operations that make the kernel match — the L3 side of
//! [`crate::reconcile`], with the same contract: level-triggered, entries
//! of a previous run adopted and kept until [`DesiredChange::Converged`],
//! failed writes retried with backoff, nothing of anyone else's touched.
//!
//! A route over remote VTEPs points at a kernel nexthop object
//! (`RTA_NH_ID`): one single nexthop per (gateway, L3 SVI) — `via VTEP dev
//! SVI onlink`, the gateway of an IPv6 prefix over an IPv4 VTEP being
//! `::ffff:VTEP` — and one group per distinct set of them (ECMP). Objects
//! are shared by every route that leads the same way and deleted once no
//! route of ours uses them (docs/adr/0026-nexthop-groups.md). When every
//! route of a group moves to one new VTEP set, the group's members are
//! replaced in place: one message instead of one per route.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use evpnd_evpn::dataplane::RouteVia;
use evpnd_wire::Vni;
use ipnet::IpNet;

use crate::DesiredChange;

/// The metric of every route of ours: an operator's route for the same
/// prefix at a lower metric (0) coexists and wins.
pub const ROUTE_METRIC: u32 = 20;
/// The metric of `unreachable default` (what zebra uses): below everything.
pub const UNREACHABLE_METRIC: u32 = 4_278_198_272;
/// The first nexthop id evpnd allocates (245 as its protocol); ids in use
/// by anyone are skipped.
pub const NH_ID_BASE: u32 = 245_000_000;

/// Routes waiting (for an SVI, a device, a gateway) whose reason is kept
/// for status; the others wait all the same.
const MAX_WAIT_ERRORS: usize = 1024;
/// The interned `RouteVia`s are first pruned past this many.
const VIAS_PRUNE_MIN: usize = 1024;
const RETRY_BASE_MS: u64 = 200;
const RETRY_CAP_MS: u64 = 30_000;

/// A route of a tenant table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    pub table: u32,
    pub prefix: IpNet,
}

/// Where a kernel route of ours leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `nhid N`: a nexthop object or group.
    Nh(u32),
    /// `dev IFINDEX scope link` (a connected subnet).
    Dev(u32),
    /// `unreachable`.
    Unreachable,
    /// Something evpnd does not write (replaced or deleted).
    Other,
}

/// One `ip rule` (per address family).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    pub v6: bool,
    pub table: u32,
    pub iif: String,
    pub priority: u32,
}

/// A single nexthop: `via gateway dev oif`, `onlink` for a VTEP over an
/// L3 SVI (the VTEP is not on the SVI's subnet), never for an underlay
/// gateway (the kernel checks it is on the link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hop {
    pub gateway: IpAddr,
    pub oif: u32,
    pub onlink: bool,
}

/// A nexthop object of ours in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obj {
    Hop(Hop),
    /// Member ids, sorted.
    Group(Vec<u32>),
}

/// One kernel write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L3Op {
    NhNew {
        id: u32,
        hop: Hop,
    },
    GroupNew {
        id: u32,
        members: Vec<u32>,
    },
    /// The group's members replaced in place (`NLM_F_REPLACE`).
    GroupReplace {
        id: u32,
        members: Vec<u32>,
    },
    RouteSet {
        key: RouteKey,
        metric: u32,
        target: Target,
        /// Ours is there at this metric: `NLM_F_REPLACE` (else `NLM_F_EXCL`:
        /// an operator's route at our metric is never replaced).
        replace: bool,
    },
    RouteDel {
        key: RouteKey,
        metric: u32,
        target: Target,
    },
    NhDel {
        id: u32,
    },
    RuleSet(RuleKey),
    RuleDel(RuleKey),
}

/// What a re-read of the kernel found (`crate::snapshot`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The tables read (`None`: all of them).
    pub tables: Option<BTreeSet<u32>>,
    /// Routes of ours: key, metric, target.
    pub routes: Vec<(RouteKey, u32, Target)>,
    /// Nexthop objects of ours.
    pub objs: Vec<(u32, Obj)>,
    /// Nexthop ids of anyone else (never allocated).
    pub foreign: Vec<u32>,
    /// Rules of ours.
    pub rules: Vec<RuleKey>,
}

/// The routes of one group due to move, where to (while they all go to
/// the same set of hops), and whether they do.
type Move = (Vec<RouteKey>, Option<Vec<Hop>>, bool);

#[derive(Debug, Clone, Copy)]
struct Retry {
    attempts: u32,
    not_before: u64,
}

/// What a desired route resolves to.
enum Want {
    Hops(Vec<Hop>),
    Dev(u32),
    Unreachable,
}

#[derive(Debug, Default)]
pub struct L3 {
    /// Each distinct `RouteVia` once ([`L3::intern`]): a million routes
    /// over the same spines share one.
    desired: HashMap<RouteKey, Arc<RouteVia>>,
    vias: HashSet<Arc<RouteVia>>,
    /// `vias` is pruned of what no route uses when it grows past this.
    vias_mark: usize,
    desired_rules: BTreeSet<RuleKey>,
    /// Ours in the kernel, by metric.
    routes: BTreeMap<RouteKey, BTreeMap<u32, Target>>,
    rules: BTreeSet<RuleKey>,
    objs: HashMap<u32, Obj>,
    hop_ids: HashMap<Hop, u32>,
    group_ids: HashMap<Vec<u32>, u32>,
    foreign: HashSet<u32>,
    /// Objects found at start: kept until convergence even when unused.
    adopted_objs: HashSet<u32>,
    leftover_routes: HashSet<RouteKey>,
    leftover_rules: HashSet<RuleKey>,
    converged: bool,
    dirty: BTreeSet<RouteKey>,
    dirty_rules: BTreeSet<RuleKey>,
    /// Unused nexthop objects may exist.
    gc: bool,
    retry: HashMap<RouteKey, Retry>,
    rule_retry: HashMap<RuleKey, Retry>,
    errors: HashMap<String, String>,
    /// The SVI of each VNI that has one (VTEP routes over an L3VNI's,
    /// connected routes over an L2VNI's).
    svis: HashMap<Vni, u32>,
    next_id: u32,
    /// The links gateways may go over (up and running), by name (`crate::l3::underlay`).
    devs: HashMap<String, u32>,
    /// Gateways without a device: what the kernel's FIB says leads to each
    /// (gateway to use, device), `None` when nothing does.
    lookups: HashMap<IpAddr, Option<(IpAddr, u32)>>,
    /// Gateways to look up (again) before the next plan.
    pending_lookups: BTreeSet<IpAddr>,
    /// Devices desired routes wait for that were reported.
    warned_devs: BTreeSet<String>,
    /// Devices routes newly wait for, to report.
    missing_new: Vec<String>,
}

/// The gateway of `prefix` towards `vtep`: an IPv6 prefix over an IPv4 VTEP
/// goes via the IPv4-mapped address (the kernel refuses IPv4 nexthops for
/// IPv6 routes); an IPv4 prefix may go via an IPv6 VTEP (RFC 5549).
pub fn gateway(prefix: &IpNet, vtep: IpAddr) -> IpAddr {
    match (prefix, vtep) {
        (IpNet::V6(_), IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
        _ => vtep,
    }
}

fn backoff(r: &mut Retry, now_ms: u64) {
    r.attempts += 1;
    let delay = RETRY_BASE_MS
        .saturating_mul(1 << r.attempts.min(10))
        .min(RETRY_CAP_MS);
    r.not_before = now_ms + delay;
}

impl L3 {
    pub fn new() -> L3 {
        L3 {
            next_id: NH_ID_BASE,
            ..L3::default()
        }
    }

    /// The core's wishes (other changes are not this table's).
    pub fn desire(&mut self, c: &DesiredChange) {
        match c {
            DesiredChange::Route { table, prefix, via } => {
                let key = RouteKey {
                    table: *table,
                    prefix: prefix.trunc(),
                };
                self.leftover_routes.remove(&key);
                self.retry.remove(&key);
                if let RouteVia::Gateways { hops } = via {
                    self.want_lookups(hops);
                }
                let via = self.intern(via);
                self.desired.insert(key, via);
                self.dirty.insert(key);
            }
            DesiredChange::RouteGone { table, prefix } => {
                let key = RouteKey {
                    table: *table,
                    prefix: prefix.trunc(),
                };
                self.leftover_routes.remove(&key);
                self.retry.remove(&key);
                self.errors.remove(&format!("route {key:?}"));
                self.desired.remove(&key);
                self.dirty.insert(key);
            }
            DesiredChange::Rule {
                table,
                iif,
                priority,
            }
            | DesiredChange::RuleGone {
                table,
                iif,
                priority,
            } => {
                let want = matches!(c, DesiredChange::Rule { .. });
                for v6 in [false, true] {
                    let k = RuleKey {
                        v6,
                        table: *table,
                        iif: iif.clone(),
                        priority: *priority,
                    };
                    self.leftover_rules.remove(&k);
                    self.rule_retry.remove(&k);
                    if want {
                        self.desired_rules.insert(k.clone());
                    } else {
                        self.desired_rules.remove(&k);
                    }
                    self.dirty_rules.insert(k);
                }
            }
            DesiredChange::Converged => {
                self.converged = true;
                self.dirty.extend(self.leftover_routes.iter().copied());
                self.dirty_rules.extend(self.leftover_rules.iter().cloned());
                self.adopted_objs.clear();
                self.gc = true;
            }
            _ => {}
        }
    }

    /// The SVIs of the VNIs changed: every route is compared again.
    pub fn svis_changed(&mut self, svis: HashMap<Vni, u32>) {
        if svis == self.svis {
            return;
        }
        self.svis = svis;
        self.dirty_all();
    }

    /// The shared copy of `via`; copies no route uses any more are dropped
    /// now and then (when the set has doubled since).
    fn intern(&mut self, via: &RouteVia) -> Arc<RouteVia> {
        if let Some(v) = self.vias.get(via) {
            return Arc::clone(v);
        }
        if self.vias.len() >= self.vias_mark {
            self.vias.retain(|v| Arc::strong_count(v) > 1);
            self.vias_mark = (self.vias.len() * 2).max(VIAS_PRUNE_MIN);
        }
        let v = Arc::new(via.clone());
        self.vias.insert(Arc::clone(&v));
        v
    }

    fn dirty_all(&mut self) {
        self.dirty.extend(self.desired.keys().copied());
        self.dirty.extend(self.routes.keys().copied());
        self.dirty_rules.extend(self.desired_rules.iter().cloned());
        self.dirty_rules.extend(self.rules.iter().cloned());
        self.gc = true;
    }

    /// A re-read of the kernel: what it shows of ours replaces what was
    /// known (for the tables it read; nexthops and rules whole). Ours that
    /// nobody desires are leftovers until convergence.
    pub fn snapshot(&mut self, s: Snapshot) {
        match &s.tables {
            None => self.routes.clear(),
            Some(t) => self.routes.retain(|k, _| !t.contains(&k.table)),
        }
        for (k, metric, target) in s.routes {
            if !self.converged && !self.desired.contains_key(&k) {
                self.leftover_routes.insert(k);
            }
            self.routes.entry(k).or_default().insert(metric, target);
        }
        self.objs.clear();
        self.hop_ids.clear();
        self.group_ids.clear();
        for (id, o) in s.objs {
            match &o {
                Obj::Hop(h) => {
                    self.hop_ids.entry(*h).or_insert(id);
                }
                Obj::Group(m) => {
                    self.group_ids.entry(m.clone()).or_insert(id);
                }
            }
            if !self.converged {
                self.adopted_objs.insert(id);
            }
            self.objs.insert(id, o);
        }
        self.foreign = s.foreign.into_iter().collect();
        self.rules = s.rules.into_iter().collect();
        if !self.converged {
            for r in &self.rules {
                if !self.desired_rules.contains(r) {
                    self.leftover_rules.insert(r.clone());
                }
            }
        }
        self.dirty_all();
    }

    /// What `via` leads to now; devices a gateway waits for go to `missing`.
    fn resolve(
        &self,
        key: &RouteKey,
        via: &RouteVia,
        missing: &mut Vec<String>,
    ) -> Result<(u32, Want), String> {
        let svi = |vni: &Vni| {
            self.svis
                .get(vni)
                .copied()
                .ok_or_else(|| format!("VNI {vni} has no SVI (up) for the route"))
        };
        Ok(match via {
            RouteVia::Vteps { l3vni, vteps } => {
                let oif = svi(l3vni)?;
                let mut hops: Vec<Hop> = vteps
                    .iter()
                    .map(|v| Hop {
                        gateway: gateway(&key.prefix, *v),
                        oif,
                        onlink: true,
                    })
                    .collect();
                hops.sort();
                hops.dedup();
                if hops.is_empty() {
                    return Err("a route over no VTEP".into());
                }
                (ROUTE_METRIC, Want::Hops(hops))
            }
            RouteVia::Connected { vni } => (ROUTE_METRIC, Want::Dev(svi(vni)?)),
            RouteVia::Unreachable => (UNREACHABLE_METRIC, Want::Unreachable),
            RouteVia::Gateways { hops } => {
                (ROUTE_METRIC, Want::Hops(self.gateways(key, hops, missing)?))
            }
        })
    }

    /// The operations due at `now_ms`, in the order they must be carried
    /// out: new nexthops, new or replaced groups, routes, rules, then the
    /// objects no route uses any more (groups before their members).
    pub fn plan(&mut self, now_ms: u64) -> Vec<L3Op> {
        let mut nh_ops = Vec::new();
        let mut route_ops = Vec::new();
        let due: Vec<RouteKey> = self
            .dirty
            .iter()
            .filter(|k| {
                self.retry.is_empty() || self.retry.get(k).is_none_or(|r| r.not_before <= now_ms)
            })
            .copied()
            .collect();
        let replaced = self.in_place(&due, &mut nh_ops);
        let mut planned: HashSet<u32> = HashSet::new();
        for key in &due {
            self.dirty.remove(key);
            if replaced.contains(key) {
                continue;
            }
            let have = self.routes.get(key).cloned().unwrap_or_default();
            let want = match self.desired.get(key).cloned() {
                None => None,
                Some(via) => {
                    let mut missing = Vec::new();
                    let w = self.resolve(key, &via, &mut missing);
                    self.note_missing(missing);
                    match w {
                        Ok(w) => {
                            if !self.errors.is_empty() {
                                self.errors.remove(&format!("route {key:?}"));
                            }
                            Some(w)
                        }
                        Err(e) => {
                            // Waits for the links (`svis_changed`,
                            // `devs_changed` re-dirty it).
                            // Kept for status, a bounded number: a million
                            // routes waiting for one link are one problem.
                            let k = format!("route {key:?}");
                            if self.errors.len() < MAX_WAIT_ERRORS || self.errors.contains_key(&k) {
                                self.errors.insert(k, e);
                            }
                            continue;
                        }
                    }
                }
            };
            match want {
                Some((metric, w)) => {
                    let target = match w {
                        Want::Hops(h) => Target::Nh(self.ensure(&h, &mut nh_ops)),
                        Want::Dev(i) => Target::Dev(i),
                        Want::Unreachable => Target::Unreachable,
                    };
                    if let Target::Nh(id) = target {
                        planned.insert(id);
                    }
                    // An object of another id that leads the same way (a
                    // group the kernel shrank when a link went down) is kept.
                    let same = have.get(&metric).is_some_and(|h| self.same_way(*h, target));
                    if same && let Some(Target::Nh(id)) = have.get(&metric) {
                        planned.insert(*id);
                    }
                    if !same {
                        route_ops.push(L3Op::RouteSet {
                            key: *key,
                            metric,
                            target,
                            replace: have.contains_key(&metric),
                        });
                    }
                    for (m, t) in have.iter().filter(|(m, _)| **m != metric) {
                        route_ops.push(L3Op::RouteDel {
                            key: *key,
                            metric: *m,
                            target: *t,
                        });
                    }
                }
                None if self.converged || !self.leftover_routes.contains(key) => {
                    for (m, t) in &have {
                        route_ops.push(L3Op::RouteDel {
                            key: *key,
                            metric: *m,
                            target: *t,
                        });
                    }
                }
                None => {}
            }
        }
        let mut ops = nh_ops;
        ops.extend(route_ops);
        let rules: Vec<RuleKey> = self
            .dirty_rules
            .iter()
            .filter(|k| {
                self.rule_retry
                    .get(k)
                    .is_none_or(|r| r.not_before <= now_ms)
            })
            .cloned()
            .collect();
        for k in rules {
            self.dirty_rules.remove(&k);
            let want = self.desired_rules.contains(&k);
            let have = self.rules.contains(&k);
            if want && !have {
                ops.push(L3Op::RuleSet(k));
            } else if !want && have && (self.converged || !self.leftover_rules.contains(&k)) {
                ops.push(L3Op::RuleDel(k));
            }
        }
        if self.gc {
            self.gc = false;
            ops.extend(self.collect(&planned));
        }
        ops
    }

    pub fn has_work(&self) -> bool {
        !self.dirty.is_empty()
            || !self.dirty_rules.is_empty()
            || self.gc
            || !self.pending_lookups.is_empty()
    }

    /// When the next retry is due, if one waits.
    pub fn next_retry(&self) -> Option<u64> {
        self.retry
            .values()
            .chain(self.rule_retry.values())
            .map(|r| r.not_before)
            .min()
    }

    /// Everything of ours, deleted (flush on shutdown): routes, rules, then
    /// groups and nexthops.
    pub fn flush_ops(&self) -> Vec<L3Op> {
        let mut ops: Vec<L3Op> = Vec::new();
        for (k, m) in &self.routes {
            for (metric, target) in m {
                ops.push(L3Op::RouteDel {
                    key: *k,
                    metric: *metric,
                    target: *target,
                });
            }
        }
        ops.extend(self.rules.iter().cloned().map(L3Op::RuleDel));
        let mut ids: Vec<(bool, u32)> = self
            .objs
            .iter()
            .map(|(id, o)| (matches!(o, Obj::Hop(_)), *id))
            .collect();
        ids.sort_unstable();
        ops.extend(ids.into_iter().map(|(_, id)| L3Op::NhDel { id }));
        ops
    }

    /// The tables holding routes of ours or desired ones (what a re-read covers).
    pub fn tables(&self) -> BTreeSet<u32> {
        self.desired
            .keys()
            .chain(self.routes.keys())
            .map(|k| k.table)
            .collect()
    }

    /// Whether anything of ours is desired or held (a re-read is worth it).
    pub fn is_empty(&self) -> bool {
        self.desired.is_empty()
            && self.routes.is_empty()
            && self.desired_rules.is_empty()
            && self.rules.is_empty()
            && self.objs.is_empty()
    }

    /// (desired, programmed) routes, rules, and nexthop objects held.
    pub fn counts(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.desired.len(),
            self.routes.len(),
            self.desired_rules.len(),
            self.rules.len(),
            self.objs.len(),
        )
    }

    /// Last errors, for status.
    pub fn errors(&self) -> impl Iterator<Item = (&String, &String)> {
        self.errors.iter()
    }

    pub fn routes(&self) -> &BTreeMap<RouteKey, BTreeMap<u32, Target>> {
        &self.routes
    }

    pub fn objs(&self) -> &HashMap<u32, Obj> {
        &self.objs
    }
}

mod answers;
mod objects;
#[cfg(test)]
mod tests;
mod underlay;
#[cfg(test)]
mod underlay_tests;
