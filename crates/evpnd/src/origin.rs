//! Routes evpnd originates from configuration: per VNI a type 3 (IMET with
//! PMSI ingress replication, label = VNI, tunnel id = VTEP) when
//! `learn_from_kernel = false` (otherwise the kernel's VXLAN devices bring
//! theirs, see crates/evpn), type 2 for static MACs (MAC-only, plus MAC+IP
//! when an IP is given, as FRR does), type 5 for configured prefixes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use evpnd_config::Config;
use evpnd_wire::attr::{AttrValue, ExtCommunity, PathAttribute, PmsiTunnel};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, IpPrefix, MacIp};
use evpnd_wire::{Esi, Label3};

use evpnd_evpn::origin::base_attrs;

use crate::route::RouteEntry;

/// Every locally originated route of the configuration.
pub fn routes(cfg: &Config) -> Vec<RouteEntry> {
    let vtep = cfg.vtep_ip();
    let nh = IpAddr::V4(vtep);
    let mut out = Vec::new();
    for v in &cfg.evpn.vni {
        let vni = *v.vni.get_ref();
        let rd = cfg.rd(v);
        let rts = cfg.export_rts(v);
        let label = Label3::from_vni(vni);
        // With kernel learning the type 3 comes from the VNI's VXLAN device
        // (crates/evpn), with the device's VTEP address; here only without.
        if !cfg.evpn.learn_from_kernel {
            let mut imet_attrs = base_attrs(&rts, &[]);
            imet_attrs.push(PathAttribute::new(AttrValue::PmsiTunnel(
                PmsiTunnel::ingress_replication(vni, nh),
            )));
            out.push(RouteEntry {
                route: EvpnRoute::Imet(Imet {
                    rd,
                    ethernet_tag: 0,
                    originator: nh,
                }),
                next_hop: nh,
                attrs: Arc::new(imet_attrs),
            });
        }
        let plain = Arc::new(base_attrs(&rts, &[]));
        let gateway = Arc::new(base_attrs(&rts, &[ExtCommunity::DefaultGateway]));
        for m in &v.macs {
            let m = m.get_ref();
            let attrs = if cfg.evpn.default_gateway_macs.contains(&m.mac) {
                &gateway
            } else {
                &plain
            };
            let mac_only = MacIp {
                rd,
                esi: Esi::ZERO,
                ethernet_tag: 0,
                mac: m.mac,
                ip: None,
                label1: label,
                label2: None,
            };
            out.push(RouteEntry {
                route: EvpnRoute::MacIp(mac_only),
                next_hop: nh,
                attrs: Arc::clone(attrs),
            });
            if let Some(ip) = m.ip {
                let with_ip = MacIp {
                    ip: Some(ip),
                    ..mac_only
                };
                out.push(RouteEntry {
                    route: EvpnRoute::MacIp(with_ip),
                    next_hop: nh,
                    attrs: Arc::clone(attrs),
                });
            }
        }
        for p in &v.prefixes {
            let gw = if p.addr().is_ipv4() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            };
            out.push(RouteEntry {
                route: EvpnRoute::IpPrefix(IpPrefix {
                    rd,
                    esi: Esi::ZERO,
                    ethernet_tag: 0,
                    prefix: *p,
                    gateway: gw,
                    label,
                }),
                next_hop: nh,
                attrs: Arc::clone(&plain),
            });
        }
    }
    out
}
