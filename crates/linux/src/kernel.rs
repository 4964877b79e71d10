//! Reading the kernel: links (VXLAN devices, bridges, bridge ports) and
//! neighbour messages, turned into VNIs, local MACs / neighbours, and
//! entries of ours. Pure functions over `netlink-packet-route` types.
//!
//! Which links make which VNI (both layouts) is [`crate::layout`]; this
//! module reads messages and classifies neighbour entries against it.

use std::collections::HashMap;
use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::link::{
    AfSpecBridge, BridgeVlanInfoFlags, BridgeVlanTunnelInfo, InfoBridge, InfoBridgePort, InfoData,
    InfoKind, InfoPortData, InfoVlan, InfoVrf, InfoVxlan, LinkAttribute, LinkFlags, LinkInfo,
    LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage,
};
use netlink_packet_route::route::RouteProtocol;

use crate::layout::Layout;
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
    /// A bridge with `vlan_filtering 1` (VLAN-aware).
    pub vlan_filtering: bool,
    /// A bridge port with `vlan_tunnel on` (VLAN→VNI mapping by tunnel_info).
    pub vlan_tunnel: bool,
    /// An 802.1Q device: its VLAN id, on top of `lower`.
    pub vlan_id: Option<u16>,
    pub lower: Option<u32>,
    /// The port's VLAN→VNI `tunnel_info` mappings, from AF_BRIDGE link
    /// messages (the AF_UNSPEC message of the device does not carry them).
    pub tunnels: Vec<(u16, u32)>,
    /// The port's PVID (its access VLAN, untagged ingress) on a VLAN-aware
    /// bridge, from the same AF_BRIDGE messages.
    pub pvid: Option<u16>,
    /// `IFLA_ADDRESS`, when it is a MAC (6 octets).
    pub mac: Option<MacAddr>,
    /// Administratively up (`IFF_UP`) and operationally up (`IFF_RUNNING`:
    /// `IF_OPER_UP` or `IF_OPER_UNKNOWN`).
    pub up: bool,
    /// A VRF device: its routing table (`IFLA_VRF_TABLE`).
    pub vrf_table: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vxlan {
    pub vni: Option<u32>,
    pub local: Option<IpAddr>,
    pub port: u16,
    pub learning: bool,
    pub group: Option<IpAddr>,
    pub external: bool,
    /// `vnifilter`: the device only takes the VNIs in its `bridge vni` list.
    pub vnifilter: bool,
    /// `IFLA_VXLAN_LINK`: the underlay device (of a multicast group).
    pub dev: Option<u32>,
}

pub fn parse_link(m: &LinkMessage) -> Link {
    let mut l = Link {
        index: m.header.index,
        ..Link::default()
    };
    l.up = m.header.flags.contains(LinkFlags::Up) && m.header.flags.contains(LinkFlags::Running);
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => l.name = n.clone(),
            LinkAttribute::Address(b) => {
                l.mac = <[u8; 6]>::try_from(b.as_slice()).ok().map(MacAddr);
            }
            LinkAttribute::Controller(i) => l.master = Some(*i),
            LinkAttribute::Link(i) => l.lower = Some(*i),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    match i {
                        LinkInfo::Kind(k) => l.kind = Some(kind_name(k)),
                        LinkInfo::Data(InfoData::Vxlan(v)) => l.vxlan = Some(parse_vxlan(v)),
                        LinkInfo::Data(InfoData::Vrf(v)) => {
                            l.vrf_table = v.iter().find_map(|x| match x {
                                InfoVrf::TableId(t) => Some(*t),
                                _ => None,
                            });
                        }
                        LinkInfo::Data(InfoData::Bridge(b)) => {
                            l.vlan_filtering = b.contains(&InfoBridge::VlanFiltering(true));
                        }
                        LinkInfo::Data(InfoData::Vlan(v)) => {
                            l.vlan_id = v.iter().find_map(|x| match x {
                                InfoVlan::Id(id) => Some(*id),
                                _ => None,
                            });
                        }
                        LinkInfo::PortData(InfoPortData::BridgePort(p)) => {
                            for x in p {
                                match x {
                                    InfoBridgePort::NeighSupress(b) => l.neigh_suppress = *b,
                                    InfoBridgePort::Learning(b) => l.learning_port = *b,
                                    InfoBridgePort::VlanTunnel(b) => l.vlan_tunnel = *b,
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
        InfoKind::Vrf => "vrf".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The VLAN→VNI mappings of a bridge port, from an AF_BRIDGE link message
/// (`bridge vlan add dev vxlan0 vid 10 tunnel_info id 100`), or `None` when
/// the message carries no bridge AF_SPEC (then the last ones known stand).
///
/// ```text
/// IFLA_AF_SPEC
///   IFLA_BRIDGE_VLAN_TUNNEL_INFO   one nest per entry or per range end
///     IFLA_BRIDGE_VLAN_TUNNEL_ID     u32  VNI
///     IFLA_BRIDGE_VLAN_TUNNEL_VID    u16  VLAN
///     IFLA_BRIDGE_VLAN_TUNNEL_FLAGS  u16  RANGE_BEGIN (0x08) / RANGE_END (0x10)
/// ```
/// A range (`vid 10-12 tunnel_info id 100-102`) comes as its begin and end
/// entry; VLAN and VNI advance together.
/// The bridge's `IFLA_AF_SPEC` of an AF_BRIDGE link message (VLANs, tunnels).
fn bridge_spec(m: &LinkMessage) -> Option<&Vec<AfSpecBridge>> {
    m.attributes.iter().find_map(|a| match a {
        LinkAttribute::AfSpecBridge(s) => Some(s),
        _ => None,
    })
}

/// The PVID among a bridge port's VLANs (AF_BRIDGE link message with
/// `RTEXT_FILTER_BRVLAN`); `None` when the message has no VLAN list at all.
pub fn parse_pvid(m: &LinkMessage) -> Option<Option<u16>> {
    let vlans = parse_vlans(m)?;
    Some(
        vlans
            .iter()
            .find(|(_, f)| f.contains(BridgeVlanInfoFlags::Pvid))
            .map(|(vid, _)| *vid),
    )
}

/// A bridge port's VLANs with their flags (AF_BRIDGE link message with
/// `RTEXT_FILTER_BRVLAN`), ranges expanded (each VLAN of a range gets the
/// range's flags, without the range bits); `None` when the message has
/// no VLAN list at all.
pub fn parse_vlans(m: &LinkMessage) -> Option<Vec<(u16, BridgeVlanInfoFlags)>> {
    let spec = bridge_spec(m)?;
    let range = BridgeVlanInfoFlags::RangeBegin | BridgeVlanInfoFlags::RangeEnd;
    let mut out = Vec::new();
    let mut begin = None;
    for e in spec {
        let AfSpecBridge::VlanInfo(v) = e else {
            continue;
        };
        if v.flags.contains(BridgeVlanInfoFlags::RangeBegin) {
            begin = Some(v.vid);
        } else if v.flags.contains(BridgeVlanInfoFlags::RangeEnd) {
            if let Some(b) = begin.take() {
                out.extend((b..=v.vid).map(|vid| (vid, v.flags - range)));
            }
        } else {
            out.push((v.vid, v.flags));
        }
    }
    Some(out)
}

pub fn parse_tunnels(m: &LinkMessage) -> Option<Vec<(u16, u32)>> {
    let spec = bridge_spec(m)?;
    let mut out = Vec::new();
    let mut begin: Option<(u16, u32)> = None;
    for e in spec {
        let AfSpecBridge::VlanTunnelInfo(fields) = e else {
            continue;
        };
        let (mut vid, mut id, mut flags) = (None, None, BridgeVlanInfoFlags::empty());
        for f in fields {
            match f {
                BridgeVlanTunnelInfo::Id(x) => id = Some(*x),
                BridgeVlanTunnelInfo::Vid(x) => vid = Some(*x),
                BridgeVlanTunnelInfo::Flags(x) => flags = *x,
                _ => {}
            }
        }
        let (Some(vid), Some(id)) = (vid, id) else {
            continue;
        };
        if flags.contains(BridgeVlanInfoFlags::RangeBegin) {
            begin = Some((vid, id));
        } else if flags.contains(BridgeVlanInfoFlags::RangeEnd) {
            if let Some((v0, i0)) = begin.take()
                && v0 <= vid
            {
                out.extend((v0..=vid).zip(i0..));
            }
        } else {
            out.push((vid, id));
        }
    }
    Some(out)
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
            InfoVxlan::Vnifilter(b) => x.vnifilter = *b,
            InfoVxlan::Link(i) => x.dev = Some(*i),
            _ => {}
        }
    }
    x
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
    /// `NDA_VLAN`: the bridge VLAN of an FDB entry (VLAN-aware bridges).
    pub vlan: Option<u16>,
    /// `NDA_SRC_VNI`: the VNI of a VXLAN FDB entry (single-device layout).
    pub src_vni: Option<u32>,
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
        vlan: None,
        src_vni: None,
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
            NeighbourAttribute::Vlan(v) => n.vlan = Some(*v),
            NeighbourAttribute::SourceVni(v) => n.src_vni = Some(*v),
            _ => {}
        }
    }
    n
}

/// What a neighbour message is to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// An entry of ours (the VXLAN-device `self` entry of a remote MAC, a
    /// flood entry with our protocol, or a remote neighbour on an SVI).
    Ours(Key, Value),
    /// A flood (all-zero MAC) entry without an owner mark: ours if the
    /// flood ledger names it, the operator's (or another daemon's) if not.
    Flood {
        vni: Vni,
        vtep: IpAddr,
    },
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
pub fn classify(n: &Neigh, layout: &Layout, links: &HashMap<u32, Link>) -> Seen {
    let ours = n.protocol == Some(crate::PROTOCOL);
    // The VXLAN FDB of this kernel does not keep NDA_PROTOCOL. A remote-MAC
    // entry without one is ours when it has the flags we write
    // (extern_learn, or sticky); the operator's `static` entries have neither.
    // Flood entries carry no such mark: they are reported as `Seen::Flood`
    // and the flood ledger (`crate::ledger`) says whether they are ours,
    // see docs/adr/0008-kernel-ownership.md.
    let ours_fdb = {
        ours || n.protocol.is_none()
            && (n.flags.contains(NeighbourFlags::ExtLearned)
                || n.flags.contains(NeighbourFlags::Sticky))
    };
    let master_of = |ifindex: u32| {
        n.master
            .or_else(|| links.get(&ifindex).and_then(|l| l.master))
    };
    match n.family {
        AddressFamily::Bridge => {
            let Some(mac) = n.mac else { return Seen::Other };
            let own = n.flags.contains(NeighbourFlags::Own);
            if layout.is_vxlan(n.ifindex) {
                // The VXLAN device's own (`self`) entries: ours, or not for us.
                if own {
                    let Some(v) = layout.vxlan_vni(n.ifindex, n.src_vni) else {
                        return Seen::Other;
                    };
                    let Some(vtep) = n.dst else {
                        return Seen::Other;
                    };
                    if mac.0 == [0; 6] {
                        // The group entry of a multicast device is the
                        // kernel's, whatever a ledger says.
                        if vtep.is_multicast() {
                            return Seen::Other;
                        }
                        return if ours {
                            Seen::Ours(Key::Flood { vni: v.vni, vtep }, Value::Flood)
                        } else {
                            Seen::Flood { vni: v.vni, vtep }
                        };
                    }
                    if !ours_fdb {
                        return Seen::Other;
                    }
                    let sticky = n.flags.contains(NeighbourFlags::Sticky);
                    return Seen::Ours(Key::Mac { vni: v.vni, mac }, Value::Mac { vtep, sticky });
                }
                if mac.0 == [0; 6] {
                    return Seen::Other;
                }
                // The bridge's entry now points at the VXLAN port.
                return match master_of(n.ifindex).and_then(|b| layout.port_vni(b, n.vlan)) {
                    Some(v) => Seen::NotLocalMac { vni: v.vni, mac },
                    None => Seen::Other,
                };
            }
            if mac.is_multicast() || mac.0 == [0; 6] {
                return Seen::Other;
            }
            // An access port: a port of a VNI's bridge that is not its VXLAN
            // device (on a VLAN-aware bridge, the entry's VLAN picks the VNI).
            let Some(bridge) = master_of(n.ifindex) else {
                return Seen::Other;
            };
            let Some(v) = layout.port_vni(bridge, n.vlan) else {
                return Seen::Other;
            };
            if n.ifindex == bridge
                || n.state & NUD_PERMANENT != 0
                || n.flags.contains(NeighbourFlags::ExtLearned)
                || own && !n.flags.contains(NeighbourFlags::Controller) && n.master.is_none()
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
            let Some(v) = layout.svi_vni(n.ifindex) else {
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
