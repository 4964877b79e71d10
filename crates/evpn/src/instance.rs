//! A MAC-VRF: one per VNI the kernel has (the configuration may override its
//! RD and route targets). Routes are imported by route target, never by VNI.

use std::net::IpAddr;

use crate::VniInfo;
use evpnd_config::{Config, RtMatch, auto_rd};
use evpnd_wire::{Rd, RouteTarget, Vni};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub vni: Vni,
    pub rd: Rd,
    pub export_rts: Vec<RouteTarget>,
    pub import: Vec<RtMatch>,
    /// Next hop and PMSI endpoint of this VNI's routes.
    pub vtep: IpAddr,
    /// The Ethernet Tag of this VNI's type 2 and type 3: 0, or the VNI in
    /// a VLAN-aware bundle (`ethernet_tag = "vni"`, ADR 0032).
    pub ethernet_tag: u32,
    pub kernel: VniInfo,
}

impl Instance {
    /// The instance for a VNI found in the kernel: RD and RTs from its
    /// `[[evpn.vni]]` entry when there is one, else auto-derived. The VTEP is
    /// `[evpn].vtep_ip`, else the VXLAN device's `local`, else the router id.
    pub fn new(cfg: &Config, info: VniInfo) -> Instance {
        let vni = info.vni;
        let (rd, export_rts, import) = match cfg.vni(vni) {
            Some(v) => (cfg.rd(v), cfg.export_rts(v), cfg.import_rts(v)),
            None => {
                let auto = cfg.auto_rt(vni);
                // `[evpn] strict_rt_import`: only our own AS's auto RT.
                let import = if cfg.evpn.strict_rt_import {
                    RtMatch::Exact(auto)
                } else {
                    RtMatch::LocalAdmin(auto.local_admin())
                };
                (auto_rd(cfg.bgp.router_id, vni), vec![auto], vec![import])
            }
        };
        let ethernet_tag = cfg.vni(vni).map_or(0, |v| v.ethernet_tag.of(vni));
        let vtep = match (cfg.evpn.vtep_ip, info.local_ip) {
            (Some(ip), _) => ip,
            (None, Some(ip)) => ip,
            (None, None) => IpAddr::V4(cfg.bgp.router_id),
        };
        Instance {
            vni,
            rd,
            export_rts,
            import,
            vtep,
            ethernet_tag,
            kernel: info,
        }
    }

    /// Whether a route carrying these route targets belongs here.
    pub fn imports(&self, rts: &[RouteTarget]) -> bool {
        rts.iter()
            .any(|rt| self.import.iter().any(|m| m.matches(rt)))
    }
}
