//! Reading the kernel: links (VXLAN devices, bridges, bridge ports) and
//! neighbour messages, turned into VNIs, local MACs / neighbours, and
//! entries of ours. Pure functions over `netlink-packet-route` types.
//!
//! Per-VNI layout: `vxlanN` (IFLA_VXLAN_ID = N) is a port of `brN`; the
//! bridge device itself is the SVI when it carries the IPs. The
//! single-device layout (VXLAN `external` + VLAN filtering) needs a kernel
//! with bridge VLAN filtering, which this environment lacks; such a device is
//! reported as a warning, not guessed at.

use std::collections::HashMap;
use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::link::{
    InfoBridgePort, InfoData, InfoKind, InfoPortData, InfoVxlan, LinkAttribute, LinkInfo,
    LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage,
};
use netlink_packet_route::route::RouteProtocol;

use crate::VniInfo;
use crate::reconcile::{Key, Value};

pub const NUD_INCOMPLETE: u16 = 0x01;
pub const NUD_REACHABLE: u16 = 0x02;
pub const NUD_FAILED: u16 = 0x20;
pub const NUD_NOARP: u16 = 0x40;
pub const NUD_PERMANENT: u16 = 0x80;

/// What we keep of a link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    pub kind: Option<String>,
    pub master: Option<u32>,
    pub vxlan: Option<Vxlan>,
    pub neigh_suppress: bool,
    pub learning_port: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vxlan {
    pub vni: Option<u32>,
    pub local: Option<IpAddr>,
    pub port: u16,
    pub learning: bool,
    pub group: Option<IpAddr>,
    pub external: bool,
}

pub fn parse_link(m: &LinkMessage) -> Link {
    let mut l = Link {
        index: m.header.index,
        ..Link::default()
    };
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => l.name = n.clone(),
            LinkAttribute::Controller(i) => l.master = Some(*i),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(k) => l.kind = Some(kind_name(k)),
                        LinkInfo::Data(InfoData::Vxlan(v)) => l.vxlan = Some(parse_vxlan(v)),
                        LinkInfo::PortData(InfoPortData::BridgePort(p)) => {
                            for x in p {
                                match x {
                                    InfoBridgePort::NeighSupress(b) => l.neigh_suppress = *b,
                                    InfoBridgePort::Learning(b) => l.learning_port = *b,
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    l
}

fn kind_name(k: &InfoKind) -> String {
    match k {
        InfoKind::Vxlan => "vxlan".into(),
        InfoKind::Bridge => "bridge".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn parse_vxlan(v: &[InfoVxlan]) -> Vxlan {
    let mut x = Vxlan {
        port: 4789,
        learning: true,
        ..Vxlan::default()
    };
    for a in v {
        match a {
            InfoVxlan::Id(id) => x.vni = Some(*id),
            InfoVxlan::Local(ip) => x.local = Some(IpAddr::V4(*ip)),
            InfoVxlan::Local6(ip) => x.local = Some(IpAddr::V6(*ip)),
            InfoVxlan::Port(p) => x.port = *p,
            InfoVxlan::Learning(b) => x.learning = *b,
            InfoVxlan::Group(g) if !g.is_unspecified() => x.group = Some(IpAddr::V4(*g)),
            InfoVxlan::Group6(g) if !g.is_unspecified() => x.group = Some(IpAddr::V6(*g)),
            InfoVxlan::CollectMetadata(b) => x.external = *b,
            _ => {}
        }
    }
    x
}

/// The VNIs the links describe, with the problems found on the way.
/// A dataplane prerequisite not met, per VNI (or for a device with none).
pub type Warnings = Vec<(Option<Vni>, String)>;

pub fn vnis(links: &HashMap<u32, Link>) -> (HashMap<Vni, VniInfo>, Warnings) {
    let mut out = HashMap::new();
    let mut warnings = Vec::new();
    for l in links.values() {
        let Some(x) = &l.vxlan else { continue };
        if x.external {
            warnings.push((None, format!("{}: single VXLAN device (external) layouts need bridge VLAN filtering, which this kernel lacks; ignored", l.name)));
            continue;
        }
        let Some(vni) = x.vni.and_then(|v| Vni::try_from(v).ok()) else {
            continue;
        };
        let bridge = l.master.and_then(|m| links.get(&m));
        let info = VniInfo {
            vni,
            vxlan_ifindex: l.index,
            vxlan_name: l.name.clone(),
            local_ip: x.local,
            dstport: x.port,
            learning: x.learning,
            group: x.group,
            bridge_ifindex: bridge.map(|b| b.index),
            bridge_name: bridge.map(|b| b.name.clone()),
            vlan: None,
            svi_ifindex: bridge.map(|b| b.index),
            svi_name: bridge.map(|b| b.name.clone()),
            neigh_suppress: l.neigh_suppress,
        };
        let w = |s: String| (Some(vni), format!("{}: {s}", l.name));
        if x.learning {
            warnings.push(w(
                "data-plane learning is on; EVPN wants `nolearning` (remote MACs come from BGP)"
                    .into(),
            ));
        }
        if x.local.is_none() {
            warnings.push(w("no `local` address: the VTEP address is taken from [evpn].vtep_ip or the router id".into()));
        }
        if bridge.is_none() {
            warnings.push(w(
                "not a port of a bridge: no MACs can be learned or installed".into(),
            ));
        } else if !l.neigh_suppress {
            warnings.push(w(
                "neigh_suppress is off: ARP/ND is flooded instead of answered locally".into(),
            ));
        }
        out.insert(vni, info);
    }
    (out, warnings)
}

/// A neighbour message, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neigh {
    pub family: AddressFamily,
    pub ifindex: u32,
    pub state: u16,
    pub flags: NeighbourFlags,
    pub mac: Option<MacAddr>,
    pub dst: Option<IpAddr>,
    pub master: Option<u32>,
    pub protocol: Option<u8>,
}

pub fn parse_neigh(m: &NeighbourMessage) -> Neigh {
    let mut n = Neigh {
        family: m.header.family,
        ifindex: m.header.ifindex,
        state: u16::from(m.header.state),
        flags: m.header.flags,
        mac: None,
        dst: None,
        master: None,
        protocol: None,
    };
    for a in &m.attributes {
        match a {
            NeighbourAttribute::LinkLayerAddress(b) if b.len() == 6 => {
                let mut o = [0u8; 6];
                o.copy_from_slice(b);
                n.mac = Some(MacAddr(o));
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet(ip)) => {
                n.dst = Some(IpAddr::V4(*ip))
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(ip)) => {
                n.dst = Some(IpAddr::V6(*ip))
            }
            // AF_BRIDGE messages carry NDA_DST as raw octets.
            NeighbourAttribute::Destination(NeighbourAddress::Other(b)) => {
                n.dst = match b.len() {
                    4 => <[u8; 4]>::try_from(b.as_slice()).ok().map(IpAddr::from),
                    16 => <[u8; 16]>::try_from(b.as_slice()).ok().map(IpAddr::from),
                    _ => None,
                }
            }
            NeighbourAttribute::Controller(i) => n.master = Some(*i),
            NeighbourAttribute::Protocol(p) => n.protocol = Some(u8::from(*p)),
            _ => {}
        }
    }
    n
}

/// What a neighbour message is to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// An entry of ours (the VXLAN-device `self` entry of a remote MAC, a
    /// flood entry, or a remote neighbour on an SVI).
    Ours(Key, Value),
    /// A MAC on an access port of a VNI's bridge.
    LocalMac {
        vni: Vni,
        mac: MacAddr,
        sticky: bool,
    },
    /// The MAC is (now) somewhere that is not an access port of the VNI.
    NotLocalMac {
        vni: Vni,
        mac: MacAddr,
    },
    /// A local ARP/ND entry on a VNI's SVI.
    LocalNeigh {
        vni: Vni,
        ip: IpAddr,
        mac: MacAddr,
    },
    /// An SVI neighbour that is no longer usable (failed / incomplete / ours).
    NotLocalNeigh {
        vni: Vni,
        ip: IpAddr,
    },
    Other,
}

/// Classifies a neighbour message against the VNIs we know.
pub fn classify(n: &Neigh, vnis: &HashMap<Vni, VniInfo>, links: &HashMap<u32, Link>) -> Seen {
    let ours = n.protocol == Some(crate::PROTOCOL);
    // The VXLAN FDB of this kernel does not keep NDA_PROTOCOL. A remote-MAC
    // entry without one is ours when it has the flags we write
    // (extern_learn, or sticky); the operator's `static` entries have neither.
    // Flood entries carry no such mark: without NDA_PROTOCOL they are never
    // adopted (so never swept), see docs/adr/0008-kernel-ownership.md.
    let ours_fdb = |mac: MacAddr| {
        ours || n.protocol.is_none()
            && mac.0 != [0; 6]
            && (n.flags.contains(NeighbourFlags::ExtLearned)
                || n.flags.contains(NeighbourFlags::Sticky))
    };
    match n.family {
        AddressFamily::Bridge => {
            let Some(mac) = n.mac else { return Seen::Other };
            // Our VXLAN-device entries.
            if let Some(v) = vnis.values().find(|v| v.vxlan_ifindex == n.ifindex) {
                if n.flags.contains(NeighbourFlags::Own) && ours_fdb(mac) {
                    let Some(vtep) = n.dst else {
                        return Seen::Other;
                    };
                    return if mac.0 == [0; 6] {
                        Seen::Ours(Key::Flood { vni: v.vni, vtep }, Value::Flood)
                    } else {
                        let sticky = n.flags.contains(NeighbourFlags::Sticky);
                        Seen::Ours(Key::Mac { vni: v.vni, mac }, Value::Mac { vtep, sticky })
                    };
                }
                if n.flags.contains(NeighbourFlags::Own) || mac.0 == [0; 6] {
                    return Seen::Other;
                }
                // The bridge's entry now points at the VXLAN port.
                return match v.bridge_ifindex {
                    Some(_) => Seen::NotLocalMac { vni: v.vni, mac },
                    None => Seen::Other,
                };
            }
            if mac.is_multicast() || mac.0 == [0; 6] {
                return Seen::Other;
            }
            // An access port: a port of a VNI's bridge that is not its VXLAN device.
            let port_master = n
                .master
                .or_else(|| links.get(&n.ifindex).and_then(|l| l.master));
            let Some(v) = vnis
                .values()
                .find(|v| v.bridge_ifindex.is_some() && v.bridge_ifindex == port_master)
            else {
                return Seen::Other;
            };
            if n.ifindex == v.bridge_ifindex.unwrap_or(0)
                || n.state & NUD_PERMANENT != 0
                || n.flags.contains(NeighbourFlags::ExtLearned)
                || n.flags.contains(NeighbourFlags::Own)
                    && !n.flags.contains(NeighbourFlags::Controller)
                    && n.master.is_none()
            {
                return Seen::Other;
            }
            let sticky = n.flags.contains(NeighbourFlags::Sticky) || n.state & NUD_NOARP != 0;
            Seen::LocalMac {
                vni: v.vni,
                mac,
                sticky,
            }
        }
        AddressFamily::Inet | AddressFamily::Inet6 => {
            let Some(ip) = n.dst else { return Seen::Other };
            let Some(v) = vnis.values().find(|v| v.svi_ifindex == Some(n.ifindex)) else {
                return Seen::Other;
            };
            if ours {
                return match n.mac {
                    Some(mac) => Seen::Ours(Key::Neigh { vni: v.vni, ip }, Value::Neigh { mac }),
                    None => Seen::Other,
                };
            }
            let unusable = n.state & (NUD_INCOMPLETE | NUD_FAILED) != 0 || n.state == 0;
            match n.mac {
                Some(mac)
                    if !unusable
                        && !n.flags.contains(NeighbourFlags::ExtLearned)
                        && !mac.is_multicast() =>
                {
                    Seen::LocalNeigh {
                        vni: v.vni,
                        ip,
                        mac,
                    }
                }
                _ => Seen::NotLocalNeigh { vni: v.vni, ip },
            }
        }
        _ => Seen::Other,
    }
}

/// `RouteProtocol` for our entries.
pub fn our_protocol() -> RouteProtocol {
    RouteProtocol::from(crate::PROTOCOL)
}
