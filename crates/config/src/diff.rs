//! What changed between two configurations, for SIGHUP reload: which
//! neighbours must be reset, which can change in place, which VNIs changed,
//! and which global changes need a restart.

use std::collections::BTreeMap;
use std::net::IpAddr;

use evpnd_wire::Vni;

use crate::model::{Config, Neighbor, VniConfig};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigDiff {
    pub neighbors_added: Vec<IpAddr>,
    pub neighbors_removed: Vec<IpAddr>,
    /// Changed neighbours whose session must be reset (AS, password, families, timers...).
    pub neighbors_reset: Vec<IpAddr>,
    /// Changed neighbours whose change applies without a reset (description, max-prefix...).
    pub neighbors_updated: Vec<IpAddr>,
    pub vnis_added: Vec<Vni>,
    pub vnis_removed: Vec<Vni>,
    pub vnis_changed: Vec<Vni>,
    /// Keys that only take effect after a restart (asn, router_id, listen).
    pub restart_required: Vec<&'static str>,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        *self == ConfigDiff::default()
    }
}

/// Whether a change to a neighbour can be applied to the live session.
fn needs_reset(a: &Neighbor, b: &Neighbor) -> bool {
    let live = |n: &Neighbor| {
        let mut n = n.clone();
        n.description = None;
        n.max_prefix = None;
        n.route_reflector_client = false;
        n
    };
    live(a) != live(b)
}

impl Config {
    pub fn diff(old: &Config, new: &Config) -> ConfigDiff {
        let mut d = ConfigDiff::default();
        if old.asn() != new.asn() {
            d.restart_required.push("bgp.asn");
        }
        if old.bgp.router_id != new.bgp.router_id {
            d.restart_required.push("bgp.router_id");
        }
        if old.bgp.listen != new.bgp.listen {
            d.restart_required.push("bgp.listen");
        }
        let map = |c: &Config| -> BTreeMap<IpAddr, Neighbor> {
            c.neighbor
                .iter()
                .map(|n| (*n.address.get_ref(), n.clone()))
                .collect()
        };
        let (a, b) = (map(old), map(new));
        let global_timers_changed =
            old.bgp.hold_time != new.bgp.hold_time || old.bgp.keepalive != new.bgp.keepalive;
        for (addr, nb) in &b {
            match a.get(addr) {
                None => d.neighbors_added.push(*addr),
                Some(na) if needs_reset(na, nb) || global_timers_changed => {
                    d.neighbors_reset.push(*addr)
                }
                Some(na) if na != nb => d.neighbors_updated.push(*addr),
                Some(_) => {}
            }
        }
        d.neighbors_removed = a.keys().filter(|k| !b.contains_key(k)).copied().collect();
        let vmap = |c: &Config| -> BTreeMap<u32, VniConfig> {
            c.evpn
                .vni
                .iter()
                .map(|v| (v.vni.get_ref().get(), v.clone()))
                .collect()
        };
        let (va, vb) = (vmap(old), vmap(new));
        for (k, v) in &vb {
            match va.get(k) {
                None => d.vnis_added.push(*v.vni.get_ref()),
                // Spanned values compare by value: moving a block in the file is not a change.
                Some(o) if o != v => d.vnis_changed.push(*v.vni.get_ref()),
                Some(_) => {}
            }
        }
        d.vnis_removed = va
            .iter()
            .filter(|(k, _)| !vb.contains_key(k))
            .map(|(_, v)| *v.vni.get_ref())
            .collect();
        d
    }
}
