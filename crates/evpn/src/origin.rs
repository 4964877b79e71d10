//! The routes a leaf originates for what the kernel has (RFC 7432 §7, RFC
//! 8365 §5.1.3): next hop = VTEP, label = VNI, the VXLAN encapsulation
//! community (RFC 9012 tunnel type 8) and the export route targets on all.
//!
//! * type 3 (IMET): + PMSI tunnel, ingress replication (label = VNI, id =
//!   VTEP), or a PIM tree (id = <VTEP, group>) when the VXLAN device floods
//!   to a multicast group (RFC 8365 §5.1.3);
//! * types 2 and 3 carry Ethernet Tag 0, or the VNI in a VLAN-aware bundle;
//! * type 2 (MAC/IP): + MAC Mobility (RFC 7432 §7.7) when the sequence is not
//!   zero or the MAC is sticky, + Default Gateway (RFC 7432 §10.1) for the
//!   configured anycast gateway MACs; a MAC+IP of a tenant's L2VNI also
//!   Label2 = L3VNI, the tenant's export RTs and the Router's MAC
//!   ([`crate::tenant::origin::L3Attrs`]).

use std::net::IpAddr;

use evpnd_config::Config;
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, Origin, PathAttribute, PmsiTunnel};
use evpnd_wire::nlri::evpn::{EvpnRoute, Imet, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, RouteTarget};

use crate::tenant::origin::L3Attrs;
use crate::{Instance, Originated};

fn attrs(inst: &Instance, extra: &[ExtCommunity]) -> Vec<PathAttribute> {
    base_attrs(&inst.export_rts, extra)
}

/// ORIGIN IGP, an empty AS_PATH and the extended communities every EVPN
/// route of ours carries: the route targets, VXLAN encapsulation, `extra`.
pub fn base_attrs(rts: &[RouteTarget], extra: &[ExtCommunity]) -> Vec<PathAttribute> {
    let mut ecs: Vec<ExtCommunity> = rts
        .iter()
        .map(|rt| ExtCommunity::RouteTarget { value: *rt })
        .collect();
    ecs.push(ExtCommunity::VXLAN);
    ecs.extend_from_slice(extra);
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::default())),
        PathAttribute::new(AttrValue::ExtCommunities(ecs)),
    ]
}

/// The PMSI tunnel of our type 3 in a VNI: a PIM tree rooted at our VTEP
/// with the group when the VXLAN device floods to one (of our VTEP's
/// family), else ingress replication (ADR 0031).
pub fn pmsi(inst: &Instance) -> PmsiTunnel {
    match inst.kernel.group {
        Some(group) if crate::family::same(group, inst.vtep) => {
            PmsiTunnel::multicast(inst.vni, inst.vtep, group)
        }
        _ => PmsiTunnel::ingress_replication(inst.vni, inst.vtep),
    }
}

pub(crate) fn imet(inst: &Instance) -> Originated {
    let mut a = attrs(inst, &[]);
    a.push(PathAttribute::new(AttrValue::PmsiTunnel(pmsi(inst))));
    Originated {
        route: EvpnRoute::Imet(Imet {
            rd: inst.rd,
            ethernet_tag: inst.ethernet_tag,
            originator: inst.vtep,
        }),
        next_hop: inst.vtep,
        attrs: a,
        seq: 0,
        sticky: false,
    }
}

pub(crate) fn mac_ip(
    cfg: &Config,
    inst: &Instance,
    mac: MacAddr,
    ip: Option<IpAddr>,
    (seq, sticky): (u32, bool),
    l3: Option<&L3Attrs>,
) -> Originated {
    let l3 = l3.filter(|_| ip.is_some_and(L3Attrs::applies));
    let mut extra = Vec::new();
    if seq > 0 || sticky {
        extra.push(ExtCommunity::MacMobility {
            sticky,
            sequence: seq,
        });
    }
    if cfg.evpn.default_gateway_macs.contains(&mac) {
        extra.push(ExtCommunity::DefaultGateway);
    }
    let mut rts = inst.export_rts.clone();
    if let Some(l3) = l3 {
        for rt in &l3.rts {
            if !rts.contains(rt) {
                rts.push(*rt);
            }
        }
        extra.push(ExtCommunity::RouterMac { mac: l3.rmac });
    }
    Originated {
        route: EvpnRoute::MacIp(MacIp {
            rd: inst.rd,
            esi: Esi::ZERO,
            ethernet_tag: inst.ethernet_tag,
            mac,
            ip,
            label1: Label3::from_vni(inst.vni),
            label2: l3.map(|l| Label3::from_vni(l.l3vni)),
        }),
        next_hop: inst.vtep,
        attrs: base_attrs(&rts, &extra),
        seq,
        sticky,
    }
}
