//! The kernel's answers to the writes of [`L3`]: what is known of the
//! kernel follows each acknowledged write; a failed one is retried with
//! backoff (a nexthop object that could not be created is forgotten, so
//! the next plan creates it again, under another id if someone took it).

use super::{L3, L3Op, Obj, ROUTE_METRIC, Retry, RouteKey, Target, backoff};

impl L3 {
    /// The kernel's answer to an op.
    pub fn result(&mut self, op: &L3Op, error: Option<&str>, now_ms: u64) {
        match (op, error) {
            (L3Op::NhNew { id, .. } | L3Op::GroupNew { id, .. }, Some(e)) => {
                // Not there: forgotten, so the next plan creates it again
                // (under another id, if someone else took this one).
                if e.contains("File exists") {
                    self.foreign.insert(*id);
                }
                match self.objs.remove(id) {
                    Some(Obj::Hop(h)) => {
                        self.hop_ids.remove(&h);
                    }
                    Some(Obj::Group(m)) => {
                        self.group_ids.remove(&m);
                    }
                    None => {}
                }
                self.errors.insert(format!("nexthop {id}"), e.to_string());
            }
            (L3Op::GroupReplace { id, .. }, Some(e)) => {
                // What the group holds is unknown: its routes are rewritten
                // against a new group, and it is swept once unused.
                if let Some(Obj::Group(m)) = self.objs.get(id) {
                    let m = m.clone();
                    self.group_ids.remove(&m);
                }
                self.objs.insert(*id, Obj::Group(Vec::new()));
                let users: Vec<RouteKey> = self.users(*id).copied().collect();
                for k in users {
                    if let Some(m) = self.routes.get_mut(&k) {
                        m.insert(ROUTE_METRIC, Target::Other);
                    }
                    self.dirty.insert(k);
                }
                self.errors.insert(format!("nexthop {id}"), e.to_string());
            }
            (
                L3Op::RouteSet {
                    key,
                    metric,
                    target,
                    ..
                },
                None,
            ) => {
                self.routes
                    .entry(*key)
                    .or_default()
                    .insert(*metric, *target);
                self.retry.remove(key);
                if !self.errors.is_empty() {
                    self.errors.remove(&format!("route {key:?}"));
                }
                self.gc = true;
            }
            (L3Op::RouteDel { key, metric, .. }, None) => {
                if let Some(m) = self.routes.get_mut(key) {
                    m.remove(metric);
                    if m.is_empty() {
                        self.routes.remove(key);
                        self.leftover_routes.remove(key);
                    }
                }
                self.retry.remove(key);
                if !self.errors.is_empty() {
                    self.errors.remove(&format!("route {key:?}"));
                }
                self.gc = true;
            }
            (L3Op::RouteSet { key, .. } | L3Op::RouteDel { key, .. }, Some(e)) => {
                let r = self.retry.entry(*key).or_insert(Retry {
                    attempts: 0,
                    not_before: 0,
                });
                backoff(r, now_ms);
                self.errors.insert(format!("route {key:?}"), e.to_string());
                self.dirty.insert(*key);
                self.gc = true;
            }
            (L3Op::RuleSet(k), None) => {
                self.rules.insert(k.clone());
                self.rule_retry.remove(k);
            }
            (L3Op::RuleDel(k), None) => {
                self.rules.remove(k);
                self.leftover_rules.remove(k);
                self.rule_retry.remove(k);
            }
            (L3Op::RuleSet(k) | L3Op::RuleDel(k), Some(e)) => {
                let r = self.rule_retry.entry(k.clone()).or_insert(Retry {
                    attempts: 0,
                    not_before: 0,
                });
                backoff(r, now_ms);
                self.errors.insert(format!("rule {k:?}"), e.to_string());
                self.dirty_rules.insert(k.clone());
            }
            (L3Op::NhDel { id }, Some(e)) => {
                self.errors.insert(format!("nexthop {id}"), e.to_string());
            }
            (L3Op::GroupReplace { .. }, None) => self.gc = true,
            (L3Op::NhNew { .. } | L3Op::GroupNew { .. } | L3Op::NhDel { .. }, None) => {}
        }
    }
}
