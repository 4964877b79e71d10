//! Local routes: one builder for every route evpnd originates outside the
//! EVPN domain's kernel-driven ones — the configuration's (`[[evpn.vni]]`:
//! type 3 without kernel learning, static MACs as type 2, prefixes as type
//! 5) and tooling's (the API's AddRoute). All carry next hop = VTEP, label
//! = VNI, the VXLAN encapsulation and the VNI's export route targets
//! (`evpnd_evpn::origin::base_attrs`); each source has its own path id
//! ([`crate::path_id`]), so a delete never touches another's route.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use evpnd_config::Config;
use evpnd_evpn::origin::base_attrs;
use evpnd_rib::{BestChange, Path, PeerId, Rank};
use evpnd_wire::attr::{AttrValue, ExtCommunity, PathAttribute, PmsiTunnel};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute, Imet, IpPrefix, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget, Vni};

use crate::io::{CoreError, LocalRoute};
use crate::route::RouteEntry;
use crate::{Core, path_id};

/// What a VNI's local routes share.
#[derive(Debug, Clone)]
pub struct VniOrigin {
    pub vni: Vni,
    pub rd: Rd,
    pub rts: Vec<RouteTarget>,
    pub vtep: IpAddr,
    /// The Ethernet Tag of its type 2 and type 3: 0, or the VNI in a
    /// VLAN-aware bundle (ADR 0032).
    pub ethernet_tag: u32,
}

/// The gateway of a type-5 route without an overlay index: zero, of the
/// prefix's family (RFC 9136 §3.1).
fn zero_gateway(v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    }
}

impl VniOrigin {
    fn entry(&self, route: EvpnRoute, attrs: Vec<PathAttribute>) -> RouteEntry {
        RouteEntry {
            route,
            next_hop: self.vtep,
            attrs: Arc::new(attrs),
        }
    }

    /// Type 3 with PMSI ingress replication (label = VNI, id = VTEP).
    pub fn imet(&self) -> RouteEntry {
        let mut a = base_attrs(&self.rts, &[]);
        a.push(PathAttribute::new(AttrValue::PmsiTunnel(
            PmsiTunnel::ingress_replication(self.vni, self.vtep),
        )));
        let route = EvpnRoute::Imet(Imet {
            rd: self.rd,
            ethernet_tag: self.ethernet_tag,
            originator: self.vtep,
        });
        self.entry(route, a)
    }

    /// Type 2, MAC-only or MAC+IP, with `extra` communities.
    pub fn mac_ip(&self, mac: MacAddr, ip: Option<IpAddr>, extra: &[ExtCommunity]) -> RouteEntry {
        let route = EvpnRoute::MacIp(MacIp {
            rd: self.rd,
            esi: Esi::ZERO,
            ethernet_tag: self.ethernet_tag,
            mac,
            ip,
            label1: Label3::from_vni(self.vni),
            label2: None,
        });
        self.entry(route, base_attrs(&self.rts, extra))
    }

    /// Type 5 with gateway 0 and label = VNI.
    pub fn prefix(&self, prefix: ipnet::IpNet) -> RouteEntry {
        let route = EvpnRoute::IpPrefix(IpPrefix {
            rd: self.rd,
            esi: Esi::ZERO,
            ethernet_tag: 0,
            prefix,
            gateway: zero_gateway(prefix.addr().is_ipv4()),
            label: Label3::from_vni(self.vni),
        });
        self.entry(route, base_attrs(&self.rts, &[]))
    }
}

/// Every locally originated route of the configuration. With kernel
/// learning a VNI's type 3 comes from its VXLAN device (crates/evpn, with
/// the device's VTEP address); here only without.
pub fn config_routes(cfg: &Config) -> Vec<RouteEntry> {
    let vtep = cfg.vtep_ip();
    let mut out = Vec::new();
    for v in &cfg.evpn.vni {
        let o = VniOrigin {
            vni: *v.vni.get_ref(),
            rd: cfg.rd(v),
            rts: cfg.export_rts(v),
            vtep,
            ethernet_tag: v.ethernet_tag.of(*v.vni.get_ref()),
        };
        if !cfg.evpn.learn_from_kernel {
            out.push(o.imet());
        }
        for m in &v.macs {
            let m = m.get_ref();
            let extra: &[ExtCommunity] = if cfg.evpn.default_gateway_macs.contains(&m.mac) {
                &[ExtCommunity::DefaultGateway]
            } else {
                &[]
            };
            // MAC-only, plus MAC+IP when an IP is given, as FRR does.
            out.push(o.mac_ip(m.mac, None, extra));
            if let Some(ip) = m.ip {
                out.push(o.mac_ip(m.mac, Some(ip), extra));
            }
        }
        out.extend(v.prefixes.iter().map(|p| o.prefix(*p)));
    }
    out
}

impl Core {
    /// A local path for the RIB (attributes interned).
    pub(crate) fn local_path(
        &mut self,
        mut r: RouteEntry,
        path_id: u32,
        (mobility_seq, sticky): (u32, bool),
    ) -> (EvpnKey, Path<RouteEntry>) {
        r.attrs = self.interner.intern((*r.attrs).clone());
        let rank = Rank {
            local: true,
            mobility_seq,
            sticky,
            originator_id: self.cfg.bgp.router_id,
            ..Rank::default()
        };
        let rank = crate::receive::for_route(rank, &r.route);
        (
            r.route.key(),
            Path {
                peer: PeerId::LOCAL,
                path_id,
                attrs: Arc::new(r),
                rank: Arc::new(rank),
            },
        )
    }

    /// The configuration's local routes, at start.
    pub(crate) fn originate_config(&mut self) {
        for r in config_routes(&self.cfg) {
            let (key, path) = self.local_path(r, path_id::CONFIG, (0, false));
            self.rib.insert(key.clone(), path);
            self.export(&key);
        }
    }

    /// Reload: replaces the configuration's local routes by `routes`.
    pub(crate) fn set_config_routes(&mut self, routes: Vec<RouteEntry>) {
        let keep: HashSet<EvpnKey> = routes.iter().map(|r| r.route.key()).collect();
        let stale: Vec<EvpnKey> = self
            .rib
            .iter_best()
            .filter(|(k, p)| {
                p.peer == PeerId::LOCAL && p.path_id == path_id::CONFIG && !keep.contains(k)
            })
            .map(|(k, _)| k)
            .collect();
        let mut changes: Vec<(EvpnKey, BestChange<RouteEntry>)> = stale
            .into_iter()
            .map(|k| {
                (
                    k.clone(),
                    self.rib.remove(&k, PeerId::LOCAL, path_id::CONFIG),
                )
            })
            .collect();
        for r in routes {
            let (key, path) = self.local_path(r, path_id::CONFIG, (0, false));
            changes.push((key.clone(), self.rib.insert(key, path)));
        }
        self.apply(changes);
    }

    /// RD, export RTs, VTEP and Ethernet Tag of a VNI: its kernel instance, else its
    /// `[[evpn.vni]]` entry, else auto-derived.
    fn vni_origin(&self, vni: Vni) -> VniOrigin {
        if let Some(i) = self.evpn.instances().find(|i| i.vni == vni) {
            return VniOrigin {
                vni,
                rd: i.rd,
                rts: i.export_rts.clone(),
                vtep: i.vtep,
                ethernet_tag: i.ethernet_tag,
            };
        }
        let vtep = self.cfg.vtep_ip();
        let (rd, rts, ethernet_tag) = match self.cfg.vni(vni) {
            Some(v) => (
                self.cfg.rd(v),
                self.cfg.export_rts(v),
                v.ethernet_tag.of(vni),
            ),
            None => (
                evpnd_config::auto_rd(self.cfg.bgp.router_id, vni),
                vec![self.cfg.auto_rt(vni)],
                0,
            ),
        };
        VniOrigin {
            vni,
            rd,
            rts,
            vtep,
            ethernet_tag,
        }
    }

    /// The route an API request stands for, with its (sequence, sticky).
    fn api_entry(&self, r: &LocalRoute) -> (RouteEntry, (u32, bool)) {
        let o = self.vni_origin(r.vni());
        match r {
            LocalRoute::MacIp {
                mac, ip, sticky, ..
            } => {
                let extra: &[ExtCommunity] = if *sticky {
                    &[ExtCommunity::MacMobility {
                        sticky: true,
                        sequence: 0,
                    }]
                } else {
                    &[]
                };
                (o.mac_ip(*mac, *ip, extra), (0, *sticky))
            }
            LocalRoute::Imet { .. } => (o.imet(), (0, false)),
            LocalRoute::IpPrefix { prefix, .. } => (o.prefix(*prefix), (0, false)),
        }
    }

    /// Originates a route for tooling; advertised like any local route.
    pub(crate) fn api_add_route(&mut self, r: &LocalRoute) -> EvpnRoute {
        let (entry, mobility) = self.api_entry(r);
        let shown = entry.route.clone();
        let (key, path) = self.local_path(entry, path_id::API, mobility);
        self.api_originated.insert(key.clone());
        let change = self.rib.insert(key.clone(), path);
        self.apply(vec![(key, change)]);
        shown
    }

    /// Withdraws a route added over the API (never the configuration's).
    pub(crate) fn api_delete_route(&mut self, r: &LocalRoute) -> Result<(), CoreError> {
        let (entry, _) = self.api_entry(r);
        let key = entry.route.key();
        if !self.api_originated.remove(&key) {
            return Err(CoreError::NotAddedOverApi(entry.route.to_string()));
        }
        let change = self.rib.remove(&key, PeerId::LOCAL, path_id::API);
        self.apply(vec![(key, change)]);
        Ok(())
    }
}
