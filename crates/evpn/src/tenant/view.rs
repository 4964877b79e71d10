//! What the queries show of a tenant: its routes (paths, local source,
//! installed or why not) and the remote Router's MACs.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::ops::Bound;

use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;

use super::{Local, Overlay, RouteSource, Tenant, host, link_local};
use crate::Evpn;
use crate::dataplane::RouteVia;
use crate::import::What;

/// One remote path of a tenant prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathState {
    pub key: EvpnKey,
    pub vtep: IpAddr,
    pub rmac: Option<MacAddr>,
    pub source: RouteSource,
}

/// A tenant prefix: its remote paths, what makes it ours, whether it is
/// installed, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteState {
    pub prefix: IpNet,
    pub paths: Vec<PathState>,
    /// The first local source (`None`: remote only).
    pub local: Option<RouteSource>,
    /// We advertise it (type 5).
    pub advertised: bool,
    /// The kernel has it from us (remote paths, or a table-mode copy).
    pub installed: Option<RouteVia>,
    /// Why remote paths are not (all) in the kernel.
    pub not_installed: Option<String>,
}

/// Why one path is not used.
fn path_problem(p: &super::Path) -> Option<String> {
    match (p.overlay, p.rmac) {
        (Some(Overlay::GatewayIp), _) => {
            Some("gateway-IP overlay index not resolved (RFC 9136 §3.2)".to_string())
        }
        (Some(Overlay::Esi), _) => {
            Some("ESI overlay index not resolved (RFC 9136 §3.2)".to_string())
        }
        (None, None) => Some(format!(
            "no Router's MAC extended community from VTEP {}",
            p.vtep
        )),
        (None, Some(_)) => None,
    }
}

impl Tenant {
    /// The state of one prefix (`None`: the tenant has nothing for it).
    pub fn route(&self, prefix: &IpNet) -> Option<RouteState> {
        let paths = self.paths.get(prefix);
        let local = self.local.get(prefix).and_then(|s| s.first().copied());
        let installed = self.installed.get(prefix).cloned();
        // The unreachable defaults alone are no route of the tenant's.
        if paths.is_none() && local.is_none() {
            return None;
        }
        let list: Vec<PathState> = paths
            .into_iter()
            .flatten()
            .map(|(k, p)| PathState {
                key: k.clone(),
                vtep: p.vtep,
                rmac: p.rmac,
                source: p.source,
            })
            .collect();
        let not_installed = paths.and_then(|ps| {
            if let Some(l) = local {
                return Some(match l {
                    Local::Connected(vni) => format!(
                        "a local route for the prefix wins (connected: the SVI of VNI {vni})"
                    ),
                    Local::Address(vni) => {
                        format!("the address is ours (the SVI of VNI {vni})")
                    }
                    Local::Configured => {
                        "a local route for the prefix wins (configured)".to_string()
                    }
                    Local::Redistributed => {
                        "a local route for the prefix wins (redistributed)".to_string()
                    }
                });
            }
            if !self.synced {
                return Some(
                    "held: the kernel's state is not learned yet (installed after its dump)"
                        .to_string(),
                );
            }
            if !self.up() {
                return Some(format!(
                    "held: the L3VNI {} is down or absent (installed when it comes up)",
                    self.l3vni
                ));
            }
            if self.table().is_none() {
                return Some("held: the VRF device's table is not known yet".to_string());
            }
            let problems: Vec<String> = ps.values().filter_map(path_problem).collect();
            if problems.len() == ps.len() {
                problems.into_iter().next()
            } else {
                None
            }
        });
        Some(RouteState {
            prefix: *prefix,
            paths: list,
            local: local.map(|l| l.source()),
            advertised: self.advertised.contains(prefix),
            installed,
            not_installed,
        })
    }

    /// Why the path of `key` for `prefix` cannot be used (overlay index,
    /// no Router's MAC); `None` when usable or unknown.
    pub fn path_problem(&self, prefix: &IpNet, key: &EvpnKey) -> Option<String> {
        self.paths.get(prefix)?.get(key).and_then(path_problem)
    }

    /// The tenant's prefixes (remote or local) after `after` (all when
    /// `None`), in order, at most `limit`.
    pub fn prefixes_after(&self, after: Option<IpNet>, limit: usize) -> Vec<IpNet> {
        let lower = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        let range = (lower, Bound::Unbounded);
        let mut set: BTreeSet<IpNet> = BTreeSet::new();
        set.extend(self.paths.range(range).map(|(p, _)| *p).take(limit));
        set.extend(self.local.range(range).map(|(p, _)| *p).take(limit));
        set.into_iter().take(limit).collect()
    }

    /// Remote VTEPs with their Router's MAC and the installed routes
    /// through them.
    pub fn router_macs(&self) -> impl Iterator<Item = (IpAddr, MacAddr, u32)> + '_ {
        self.vteps.iter().map(|(ip, v)| (*ip, v.rmac, v.routes))
    }

    /// Remote routes installed (through VTEPs).
    pub fn routes_installed(&self) -> usize {
        self.installed
            .values()
            .filter(|v| matches!(v, RouteVia::Vteps { .. }))
            .count()
    }

    /// Prefixes with remote paths, not installed.
    pub fn routes_held(&self) -> usize {
        self.paths
            .keys()
            .filter(|p| !matches!(self.installed.get(p), Some(RouteVia::Vteps { .. })))
            .count()
    }

    pub fn routes_originated(&self) -> usize {
        self.advertised.len()
    }

    /// The L2VNIs routing in the tenant.
    pub fn l2vnis(&self) -> impl Iterator<Item = Vni> + '_ {
        self.l2.keys().copied()
    }
}

impl Evpn {
    /// The tenants a held remote route is imported into, with the tenant
    /// prefix it gives (`explain`).
    pub fn tenant_imports(&self, key: &EvpnKey) -> Vec<(&Tenant, IpNet)> {
        let Some((stored, vnis)) = self.routes.imported_into(key) else {
            return Vec::new();
        };
        let prefix = match stored.what {
            What::Prefix { prefix, .. } => prefix.trunc(),
            What::Mac { ip: Some(ip), .. } if !link_local(ip) => host(ip),
            _ => return Vec::new(),
        };
        vnis.iter()
            .filter_map(|v| self.tenant_of_l3(*v))
            .map(|ti| (&self.tenants[ti], prefix))
            .collect()
    }
}
