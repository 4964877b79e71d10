//! The unicast RIB as the API would show it: per prefix the best path, the
//! multipath set, what the main table has from us, and every peer's path
//! with why it lost. Read-only.

use std::net::{IpAddr, Ipv6Addr};

use evpnd_evpn::dataplane::Gateway;
use evpnd_rib::{LossReason, PeerId, multipath_equal};
use evpnd_wire::Family;
use evpnd_wire::attr::AttrValue;
use ipnet::IpNet;
use serde::Serialize;

use super::{UnicastEntry, family_of};
use crate::Core;

/// One path of a unicast prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnicastPathView {
    /// The peer it came from; `None`: originated here.
    pub peer: Option<IpAddr>,
    pub next_hop: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_local: Option<Ipv6Addr>,
    pub as_path: String,
    pub local_pref: u32,
    pub med: u32,
    pub best: bool,
    /// In the multipath set (installed with the best).
    pub multipath: bool,
    pub stale: bool,
    /// Why it lost against the best (`None` for the best).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<LossReason>,
}

/// One unicast prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnicastRouteView {
    pub prefix: IpNet,
    /// Paths in the multipath set (the best included).
    pub multipath: usize,
    /// What the main table has from us for it (empty: nothing).
    pub installed: Vec<Gateway>,
    /// Best first.
    pub paths: Vec<UnicastPathView>,
}

fn as_path_of(e: &UnicastEntry) -> String {
    e.attrs
        .iter()
        .find_map(|a| match &a.value {
            AttrValue::AsPath(p) => Some(p.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

impl Core {
    /// The unicast route of `prefix`, if any path exists.
    pub fn unicast_route(&self, prefix: &IpNet) -> Option<UnicastRouteView> {
        let explained = self.uni.rib.explain(prefix);
        let (best, _) = explained.first()?;
        let best_rank = best.rank.clone();
        let set = self.uni.rib.multipath(prefix, self.uni.multipath);
        let in_set = |p: &evpnd_rib::Path<UnicastEntry>| {
            set.iter()
                .any(|q| q.peer == p.peer && q.path_id == p.path_id)
        };
        let paths = explained
            .iter()
            .map(|(p, lost)| UnicastPathView {
                peer: (p.peer != PeerId::LOCAL)
                    .then(|| self.peers.get((p.peer.0 - 1) as usize).map(|s| s.address()))
                    .flatten(),
                next_hop: p.attrs.next_hop,
                link_local: p.attrs.link_local,
                as_path: as_path_of(&p.attrs),
                local_pref: p.rank.local_pref,
                med: p.rank.med,
                best: lost.is_none(),
                multipath: in_set(p)
                    && (lost.is_none()
                        || multipath_equal(&best_rank, &p.rank, self.uni.multipath.relax)),
                stale: p.rank.stale,
                lost: *lost,
            })
            .collect();
        Some(UnicastRouteView {
            prefix: *prefix,
            multipath: set.len(),
            installed: self
                .uni
                .installed
                .get(prefix)
                .map(|h| h.to_vec())
                .unwrap_or_default(),
            paths,
        })
    }

    /// Every unicast route (of `family` when given), sorted by prefix.
    pub fn unicast_routes(&self, family: Option<Family>) -> Vec<UnicastRouteView> {
        let mut keys: Vec<IpNet> = self
            .uni
            .rib
            .iter_best()
            .map(|(k, _)| k)
            .filter(|k| family.is_none_or(|f| family_of(k) == f))
            .collect();
        keys.sort();
        keys.iter().filter_map(|k| self.unicast_route(k)).collect()
    }

    /// Unicast prefixes in the RIB and installed in the main table.
    pub fn unicast_counts(&self) -> (usize, usize) {
        (self.uni.rib.len(), self.uni.installed.len())
    }
}
