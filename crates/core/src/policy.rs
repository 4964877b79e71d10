//! The core's calls into `evpnd-policy`: a route as the policies see it
//! ([`route_view`]), the neighbours' import and export policies, and the
//! VNI import policies and the VTEP allow-list before the EVPN domain
//! (ADR 0021). Policies are compiled
//! once per load and reload ([`evpnd_policy::PolicySet`]); what changed on a
//! reload is re-evaluated here ([`Core::policies_changed`]).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use evpnd_config::RtMatch;
use evpnd_config::model::Policy;

use evpnd_policy::{Direction, PolicySet, RouteView, VtepRejection};
use evpnd_session::messages::{PeerCommand, PeerIndex};
use evpnd_wire::attr::{AttrValue, PathAttribute, TunnelId};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::{Family, Vni};
use tracing::{info, warn};

use crate::Core;

/// The policies of `cfg`; a reference to an undefined policy (which
/// validation reports first) leaves every binding unenforced, loudly.
pub(crate) fn compile(cfg: &evpnd_config::Config) -> PolicySet {
    PolicySet::from_config(cfg).unwrap_or_else(|e| {
        warn!("policies not applied: {e}");
        PolicySet::default()
    })
}

/// What a policy or the allow-list sees of a route: the NLRI's fields, the
/// next hop, the PMSI tunnel (endpoint, and label as the type-3 VNI),
/// communities and LOCAL_PREF, borrowed from `attrs`.
pub fn route_view<'a>(
    route: &EvpnRoute,
    next_hop: IpAddr,
    attrs: &'a [PathAttribute],
) -> RouteView<'a> {
    let mut v = RouteView::of_nlri(route);
    v.next_hop = Some(next_hop);
    for a in attrs {
        match &a.value {
            AttrValue::Communities(c) => v.communities = c,
            AttrValue::LargeCommunities(c) => v.large_communities = c,
            AttrValue::ExtCommunities(c) => v.ext_communities = c,
            AttrValue::LocalPref(lp) => v.local_pref = Some(*lp),
            AttrValue::PmsiTunnel(p) => {
                // The VTEP a head-end entry would lead to: an ingress
                // replication endpoint, or a PIM tree's sender.
                match p.tunnel_id {
                    TunnelId::Ip(ip) | TunnelId::Multicast { sender: ip, .. } => {
                        v.pmsi_endpoint = Some(ip)
                    }
                    TunnelId::Raw(_) => {}
                }
                if matches!(route, EvpnRoute::Imet(_)) {
                    v.vni = Some(p.label.vni());
                }
            }
            _ => {}
        }
    }
    v
}

/// The VNIs with an import policy: their import rules (the route targets
/// `Config::import_rts` derives, strict or `*:VNI`) and the policy.
pub(crate) type VniImports = Vec<(Vni, Vec<RtMatch>, Policy)>;

pub(crate) fn vni_imports(cfg: &evpnd_config::Config, set: &PolicySet) -> VniImports {
    cfg.evpn
        .vni
        .iter()
        .filter_map(|v| {
            let vni = *v.vni.get_ref();
            let p = set.vni_policy(vni, Direction::Import)?;
            Some((vni, cfg.import_rts(v), p.clone()))
        })
        .collect()
}

/// Why a remote best path is kept out of the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotProgrammed {
    /// Its next hop or PMSI endpoint is outside `[evpn] vtep_allow`.
    Vtep(VtepRejection),
    /// The import policy of a VNI it is imported into rejected it.
    VniPolicy { vni: Vni, outcome: String },
}

impl fmt::Display for NotProgrammed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotProgrammed::Vtep(v) => write!(f, "{v}"),
            NotProgrammed::VniPolicy { vni, outcome } => write!(f, "VNI {vni}: {outcome}"),
        }
    }
}

/// Remote best paths kept out of the kernel, with why, and how many times
/// a best path was held back by the allow-list and by VNI import policies.
#[derive(Debug, Default)]
pub(crate) struct Held {
    pub routes: HashMap<EvpnKey, NotProgrammed>,
    pub by_vtep: u64,
    pub by_vni_policy: u64,
}

impl Core {
    /// A reload: the new policies are compiled; peers whose import policy
    /// changed are asked to send their routes again (route refresh), those
    /// whose export policy changed are re-evaluated, and a changed
    /// allow-list re-checks every remote best path.
    pub(crate) fn policies_changed(&mut self, new: PolicySet) {
        let old = std::mem::replace(&mut self.policies, new);
        for i in 0..self.peers.len() {
            let slot = &self.peers[i];
            if slot.removed {
                continue;
            }
            let addr = slot.address();
            let changed =
                |d| old.neighbor_policy(addr, d) != self.policies.neighbor_policy(addr, d);
            let (import, export) = (changed(Direction::Import), changed(Direction::Export));
            let Some(n) = slot.negotiated() else {
                continue;
            };
            if import {
                if n.route_refresh {
                    info!(peer = %addr, "import policy changed: asking the peer for its routes again (route refresh)");
                    self.send(
                        i as PeerIndex,
                        PeerCommand::RouteRefresh {
                            family: Family::L2VPN_EVPN,
                        },
                    );
                } else {
                    warn!(peer = %addr, "import policy changed, but the peer did not negotiate route refresh: routes received before keep the old verdict until the session is reset");
                }
            }
            if export {
                self.export_all_to(i as PeerIndex);
                self.flush(i as PeerIndex);
            }
        }
        let vni_imports = vni_imports(&self.cfg, &self.policies);
        let vnis_changed = vni_imports != self.vni_imports;
        self.vni_imports = vni_imports;
        if old.vtep_allow() != self.policies.vtep_allow() || vnis_changed {
            info!(
                "evpn.vtep_allow or a VNI import policy changed: every remote best path is checked again"
            );
            let keys: Vec<EvpnKey> = self.rib.iter_best().map(|(k, _)| k).collect();
            for k in &keys {
                self.import(k);
            }
            self.apply(Vec::new());
        }
    }

    /// The import policy of the peer at `from` on one received route.
    pub(crate) fn import_policy(
        &self,
        from: IpAddr,
        route: &EvpnRoute,
        next_hop: IpAddr,
        attrs: &[PathAttribute],
    ) -> Option<evpnd_policy::Outcome> {
        self.policies
            .neighbor_policy(from, Direction::Import)
            .map(|p| evpnd_policy::evaluate(p, &route_view(route, next_hop, attrs)))
    }
}
