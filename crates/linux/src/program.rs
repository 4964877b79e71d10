//! Writing the kernel: one netlink message per reconcile [`Op`], with the
//! flags FRR's zebra uses (`../shared/reference/frr-evpn.md` §2):
//!
//! ```text
//! remote MAC  RTM_NEWNEIGH  AF_BRIDGE ifindex=vxlan  NTF_MASTER|NTF_SELF|NTF_EXT_LEARNED
//!             (sticky: NTF_STICKY, state |= NUD_NOARP)  state NUD_REACHABLE
//!             (learning device: state |= NUD_NOARP, so the kernel cannot
//!             learn the MAC over it)
//!             NDA_LLADDR mac, NDA_DST vtep, NDA_MASTER bridge, NDA_PROTOCOL 245
//!             NLM_F_CREATE|NLM_F_REPLACE         → bridge entry + VXLAN dst in one
//! flood       RTM_NEWNEIGH  AF_BRIDGE ifindex=vxlan  NTF_SELF  NUD_NOARP|NUD_PERMANENT
//!             NDA_LLADDR 00:00:00:00:00:00, NDA_DST vtep, NDA_PROTOCOL 245
//!             NLM_F_CREATE|NLM_F_APPEND          (`bridge fdb append`)
//! neighbour   RTM_NEWNEIGH  AF_INET/AF_INET6 ifindex=SVI  NTF_EXT_LEARNED  NUD_NOARP
//!             NDA_DST ip, NDA_LLADDR mac, NDA_PROTOCOL 245   NLM_F_CREATE|NLM_F_REPLACE
//! deletes     RTM_DELNEIGH with the same identifying fields
//! ```
//!
//! On a single VXLAN device (VLAN-aware bridge) the FDB entries also carry
//! the VNI's bridge VLAN and VNI, as zebra ≥ 9 writes them:
//!
//! ```text
//! remote MAC  + NDA_VLAN vid (the bridge entry)  + NDA_SRC_VNI vni (the VXLAN entry)
//! flood       + NDA_SRC_VNI vni
//! ```

use std::net::IpAddr;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REPLACE, NLM_F_REQUEST, NetlinkMessage,
};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::RouteType;

use crate::VniInfo;
use crate::kernel::{NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE, our_protocol};
use crate::reconcile::{Key, Op, Value};

fn addr(ip: IpAddr) -> NeighbourAddress {
    match ip {
        IpAddr::V4(a) => NeighbourAddress::Inet(a),
        IpAddr::V6(a) => NeighbourAddress::Inet6(a),
    }
}

/// The messages for `op`, or `None` when the VNI lacks what it needs (an SVI
/// for a neighbour, a bridge for a MAC). Deleting a remote MAC takes two:
/// the VXLAN entry (`self`) and the bridge entry (`master`), separately,
/// because the bridge entry may already have moved to a local port (the MAC
/// moved here) and must then stay.
pub fn messages(op: &Op, v: &VniInfo) -> Option<Vec<NetlinkMessage<RouteNetlinkMessage>>> {
    let first = message(op, v)?;
    let mut out = vec![first];
    if let Op::Del(Key::Mac { .. }, _) = op
        && let Some(RouteNetlinkMessage::DelNeighbour(m)) = out.first().map(inner)
    {
        let mut own = m.clone();
        own.header.flags = NeighbourFlags::Own;
        let mut master = m;
        master.header.flags = NeighbourFlags::Controller;
        out = vec![
            wrap(
                RouteNetlinkMessage::DelNeighbour(own),
                NLM_F_REQUEST | NLM_F_ACK,
            ),
            wrap(
                RouteNetlinkMessage::DelNeighbour(master),
                NLM_F_REQUEST | NLM_F_ACK,
            ),
        ];
    }
    Some(out)
}

fn inner(m: &NetlinkMessage<RouteNetlinkMessage>) -> RouteNetlinkMessage {
    match &m.payload {
        netlink_packet_core::NetlinkPayload::InnerMessage(i) => i.clone(),
        _ => RouteNetlinkMessage::DelNeighbour(NeighbourMessage::default()),
    }
}

fn wrap(payload: RouteNetlinkMessage, flags: u16) -> NetlinkMessage<RouteNetlinkMessage> {
    let mut msg = NetlinkMessage::from(payload);
    msg.header.flags = flags;
    msg
}

fn message(op: &Op, v: &VniInfo) -> Option<NetlinkMessage<RouteNetlinkMessage>> {
    let mut m = NeighbourMessage::default();
    let (set, key, value) = match op {
        Op::Set(k, val) => (true, k, val),
        Op::Del(k, val) => (false, k, val),
    };
    let mut nl_flags = NLM_F_REQUEST | NLM_F_ACK;
    match (key, value) {
        (Key::Mac { mac, .. }, Value::Mac { vtep, sticky }) => {
            let bridge = v.bridge_ifindex?;
            m.header.family = AddressFamily::Bridge;
            m.header.ifindex = v.vxlan_ifindex;
            let mut f = NeighbourFlags::Own | NeighbourFlags::Controller;
            let mut state = NUD_REACHABLE;
            if *sticky {
                f |= NeighbourFlags::Sticky;
                state |= NUD_NOARP;
            } else {
                f |= NeighbourFlags::ExtLearned;
                // A learning device (a VNI with static VTEPs) would move a
                // NUD_REACHABLE entry to whichever VTEP the MAC's packets
                // come from (`vxlan_snoop`), keeping extern_learn, so the
                // move looks like our echo and is filtered: EVPN must win,
                // and the kernel migrates no NUD_NOARP entry (ADR 0034).
                if v.learning {
                    state |= NUD_NOARP;
                }
            }
            m.header.flags = f;
            m.header.state = NeighbourState::from(state);
            m.attributes = vec![
                NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()),
                NeighbourAttribute::Destination(addr(*vtep)),
                NeighbourAttribute::Controller(bridge),
                NeighbourAttribute::Protocol(our_protocol()),
            ];
            if let Some(vid) = v.vlan {
                m.attributes.push(NeighbourAttribute::Vlan(vid));
            }
            if v.single_device {
                m.attributes
                    .push(NeighbourAttribute::SourceVni(v.vni.get()));
            }
            if set {
                nl_flags |= NLM_F_CREATE | NLM_F_REPLACE;
            }
        }
        (Key::Flood { vtep, .. }, Value::Flood) => {
            m.header.family = AddressFamily::Bridge;
            m.header.ifindex = v.vxlan_ifindex;
            m.header.flags = NeighbourFlags::Own;
            m.header.state = NeighbourState::from(NUD_NOARP | NUD_PERMANENT);
            m.attributes = vec![
                NeighbourAttribute::LinkLayerAddress(vec![0; 6]),
                NeighbourAttribute::Destination(addr(*vtep)),
                NeighbourAttribute::Protocol(our_protocol()),
            ];
            if v.single_device {
                m.attributes
                    .push(NeighbourAttribute::SourceVni(v.vni.get()));
            }
            if set {
                nl_flags |= NLM_F_CREATE | NLM_F_APPEND;
            }
        }
        (Key::Neigh { ip, .. }, Value::Neigh { mac }) => {
            m.header.family = match ip {
                IpAddr::V4(_) => AddressFamily::Inet,
                IpAddr::V6(_) => AddressFamily::Inet6,
            };
            m.header.ifindex = v.svi_ifindex?;
            m.header.flags = NeighbourFlags::ExtLearned;
            m.header.state = NeighbourState::from(NUD_NOARP);
            m.header.kind = RouteType::Unicast;
            m.attributes = vec![
                NeighbourAttribute::Destination(addr(*ip)),
                NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()),
                NeighbourAttribute::Protocol(our_protocol()),
            ];
            if set {
                nl_flags |= NLM_F_CREATE | NLM_F_REPLACE;
            }
        }
        _ => return None,
    }
    let payload = if set {
        RouteNetlinkMessage::NewNeighbour(m)
    } else {
        RouteNetlinkMessage::DelNeighbour(m)
    };
    Some(wrap(payload, nl_flags))
}
