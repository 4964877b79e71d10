//! Routes added and deleted over the API ("tooling-driven fabrics"). They
//! are local paths with their own path id, so they live beside the
//! configuration's and the kernel's, and a delete removes only them. RD,
//! route targets and VTEP come from the VNI's EVPN instance when the kernel
//! has it, else from its `[[evpn.vni]]` entry, else auto-derived.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use evpnd_api::{BackendError, LocalRoute, pb};
use evpnd_evpn::origin::base_attrs;
use evpnd_rib::PeerId;
use evpnd_wire::attr::{AttrValue, ExtCommunity, PathAttribute, PmsiTunnel};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, IpPrefix, MacIp};
use evpnd_wire::{Esi, Label3, Rd, RouteTarget, Vni};

use super::Core;
use crate::route::RouteEntry;

/// Path id of API-originated routes (0: configuration, 1: kernel).
pub const API_PATH: u32 = 2;

impl Core {
    /// RD, export RTs and VTEP for a VNI.
    fn vni_identity(&self, vni: Vni) -> (Rd, Vec<RouteTarget>, IpAddr) {
        if let Some(i) = self.evpn.instances().find(|i| i.vni == vni) {
            return (i.rd, i.export_rts.clone(), i.vtep);
        }
        let vtep = IpAddr::V4(self.cfg.vtep_ip());
        match self.cfg.vni(vni) {
            Some(v) => (self.cfg.rd(v), self.cfg.export_rts(v), vtep),
            None => (
                evpnd_config::auto_rd(self.cfg.bgp.router_id, vni),
                vec![self.cfg.auto_rt(vni)],
                vtep,
            ),
        }
    }

    fn api_entry(&self, r: &LocalRoute) -> (RouteEntry, (u32, bool)) {
        let vni = match r {
            LocalRoute::MacIp { vni, .. }
            | LocalRoute::Imet { vni }
            | LocalRoute::IpPrefix { vni, .. } => *vni,
        };
        let (rd, rts, vtep) = self.vni_identity(vni);
        let label = Label3::from_vni(vni);
        match r {
            LocalRoute::MacIp {
                mac, ip, sticky, ..
            } => {
                let extra: Vec<ExtCommunity> = if *sticky {
                    vec![ExtCommunity::MacMobility {
                        sticky: true,
                        sequence: 0,
                    }]
                } else {
                    Vec::new()
                };
                let entry = RouteEntry {
                    route: EvpnRoute::MacIp(MacIp {
                        rd,
                        esi: Esi::ZERO,
                        ethernet_tag: 0,
                        mac: *mac,
                        ip: *ip,
                        label1: label,
                        label2: None,
                    }),
                    next_hop: vtep,
                    attrs: Arc::new(base_attrs(&rts, &extra)),
                };
                (entry, (0, *sticky))
            }
            LocalRoute::Imet { .. } => {
                let mut a = base_attrs(&rts, &[]);
                a.push(PathAttribute::new(AttrValue::PmsiTunnel(
                    PmsiTunnel::ingress_replication(vni, vtep),
                )));
                let entry = RouteEntry {
                    route: EvpnRoute::Imet(Imet {
                        rd,
                        ethernet_tag: 0,
                        originator: vtep,
                    }),
                    next_hop: vtep,
                    attrs: Arc::new(a),
                };
                (entry, (0, false))
            }
            LocalRoute::IpPrefix { prefix, .. } => {
                let gateway = if prefix.addr().is_ipv4() {
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
                } else {
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED)
                };
                let entry = RouteEntry {
                    route: EvpnRoute::IpPrefix(IpPrefix {
                        rd,
                        esi: Esi::ZERO,
                        ethernet_tag: 0,
                        prefix: *prefix,
                        gateway,
                        label,
                    }),
                    next_hop: vtep,
                    attrs: Arc::new(base_attrs(&rts, &[])),
                };
                (entry, (0, false))
            }
        }
    }

    /// Originates a route for tooling; advertised like any local route.
    pub async fn api_add_route(&mut self, r: LocalRoute) -> pb::RouteKey {
        let (entry, mobility) = self.api_entry(&r);
        let shown = super::query::key_of(&entry);
        let (key, path) = self.local_path(entry, API_PATH, mobility);
        self.api_originated.insert(key.clone());
        let change = self.rib.insert(key.clone(), path);
        self.apply(vec![(key, change)]).await;
        shown
    }

    /// Withdraws a route added over the API (never the configuration's).
    pub async fn api_delete_route(&mut self, r: LocalRoute) -> Result<(), BackendError> {
        let (entry, _) = self.api_entry(&r);
        let key = entry.route.key();
        if !self.api_originated.remove(&key) {
            return Err(BackendError::NotFound(format!(
                "{} was not added over the API",
                entry.route
            )));
        }
        let change = self.rib.remove(&key, PeerId::LOCAL, API_PATH);
        self.apply(vec![(key, change)]).await;
        Ok(())
    }
}
