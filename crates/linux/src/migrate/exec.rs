//! Carrying out one `evpnd_migrate::Op` over netlink, the way iproute2 does
//! the command the plan shows:
//!
//! ```text
//! CreateVxlan       RTM_NEWLINK  CREATE|EXCL  IFLA_IFNAME, IFLA_LINKINFO { "vxlan", ID, LOCAL,
//!                                             GROUP, LINK, PORT, LEARNING }
//! DeleteLink        RTM_DELLINK               ifindex
//! SetMaster         RTM_NEWLINK               IFLA_MASTER (0: release)
//! SetPort           RTM_NEWLINK               IFLA_LINKINFO { slave "bridge", NEIGH_SUPPRESS, LEARNING }
//! SetVxlanLearning  RTM_NEWLINK               IFLA_LINKINFO { "vxlan", ID (unchanged), LEARNING }
//! SetUp             RTM_NEWLINK               ifi_flags IFF_UP, ifi_change IFF_UP
//! VlanAdd / VlanDel RTM_SETLINK / RTM_DELLINK AF_BRIDGE, IFLA_AF_SPEC { [FLAGS self,] VLAN_INFO }
//! FloodAdd          RTM_NEWNEIGH CREATE|APPEND AF_BRIDGE, NTF_SELF, NUD_PERMANENT|NOARP,
//!                                             LLADDR 00:00:00:00:00:00, DST
//! FloodDel          RTM_DELNEIGH              the same entry
//! ```

use std::net::IpAddr;

use evpnd_migrate::{Op, VxlanSpec};
use futures::StreamExt;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage,
    NetlinkPayload,
};
use netlink_packet_route::link::{BridgeVlanInfoFlags, LinkAttribute, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{Handle, LinkBridgePort, LinkBridgeVlan, LinkUnspec, LinkVxlan};

use crate::kernel::{NUD_NOARP, NUD_PERMANENT};

/// Sends one request and waits for its ACK.
async fn send(handle: &Handle, msg: RouteNetlinkMessage, flags: u16) -> Result<(), String> {
    let mut req = NetlinkMessage::from(msg);
    req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    let mut h = handle.clone();
    let mut answers = h.request(req).map_err(|e| format!("netlink: {e}"))?;
    while let Some(m) = answers.next().await {
        if let NetlinkPayload::Error(e) = m.payload
            && e.code.is_some()
        {
            return Err(e.to_io().to_string());
        }
    }
    Ok(())
}

/// The ifindex of `name`.
async fn index(handle: &Handle, name: &str) -> Result<u32, String> {
    let mut links = handle.link().get().match_name(name.to_string()).execute();
    match links.next().await {
        Some(Ok(m)) => Ok(m.header.index),
        Some(Err(e)) => Err(format!("{name}: {e}")),
        None => Err(format!("{name}: no such device")),
    }
}

async fn is_bridge(handle: &Handle, idx: u32) -> Result<bool, String> {
    let mut links = handle.link().get().match_index(idx).execute();
    match links.next().await {
        Some(Ok(m)) => Ok(crate::kernel::parse_link(&m).kind.as_deref() == Some("bridge")),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!("ifindex {idx}: gone")),
    }
}

async fn create(handle: &Handle, s: &VxlanSpec) -> Result<(), String> {
    let mut b = LinkVxlan::new(&s.name, s.vni)
        .port(s.dstport)
        .learning(s.learning);
    match s.local {
        Some(IpAddr::V4(a)) => b = b.local(a),
        Some(IpAddr::V6(a)) => b = b.local6(a),
        None => {}
    }
    match s.group {
        Some(IpAddr::V4(a)) => b = b.group(a),
        Some(IpAddr::V6(a)) => b = b.group6(a),
        None => {}
    }
    if let Some(d) = &s.dev {
        b = b.dev(index(handle, d).await?);
    }
    if let Some(a) = &s.address {
        let mac: evpnd_wire::MacAddr = a.parse().map_err(|e| format!("{}: {e}", s.name))?;
        b = b.address(mac.0.to_vec());
    }
    send(
        handle,
        RouteNetlinkMessage::NewLink(b.build()),
        NLM_F_CREATE | NLM_F_EXCL,
    )
    .await
}

fn change(m: LinkMessage) -> RouteNetlinkMessage {
    RouteNetlinkMessage::NewLink(m)
}

/// Carries out `op`.
pub async fn execute(handle: &Handle, op: &Op) -> Result<(), String> {
    if let Op::CreateVxlan(s) = op {
        return create(handle, s).await;
    }
    let idx = index(handle, op.device()).await?;
    match op {
        Op::CreateVxlan(_) => Ok(()),
        Op::DeleteLink { .. } => {
            let mut m = LinkMessage::default();
            m.header.index = idx;
            send(handle, RouteNetlinkMessage::DelLink(m), 0).await
        }
        Op::SetMaster { master, .. } => {
            let b = LinkUnspec::new_with_index(idx);
            let b = match master {
                Some(m) => b.controller(index(handle, m).await?),
                None => b.nocontroller(),
            };
            send(handle, change(b.build()), 0).await
        }
        Op::SetPort {
            neigh_suppress,
            learning,
            ..
        } => {
            let m = LinkBridgePort::new(idx)
                .neigh_suppress(*neigh_suppress)
                .learning(*learning)
                .build();
            send(handle, change(m), 0).await
        }
        Op::SetVxlanLearning { dev, learning } => {
            let vni = vni_of(handle, idx).await?;
            let mut m = LinkVxlan::new(dev, vni).learning(*learning).build();
            m.header.index = idx;
            send(handle, change(m), 0).await
        }
        Op::SetUp { up, .. } => {
            let b = LinkUnspec::new_with_index(idx);
            let b = if *up { b.up() } else { b.down() };
            send(handle, change(b.build()), 0).await
        }
        Op::VlanAdd {
            vid,
            pvid,
            untagged,
            ..
        } => {
            let mut flags = BridgeVlanInfoFlags::empty();
            if *pvid {
                flags |= BridgeVlanInfoFlags::Pvid;
            }
            if *untagged {
                flags |= BridgeVlanInfoFlags::Untagged;
            }
            let m = vlan_msg(handle, idx, *vid, flags).await?;
            send(handle, RouteNetlinkMessage::SetLink(m), 0).await
        }
        Op::VlanDel { vid, .. } => {
            let m = vlan_msg(handle, idx, *vid, BridgeVlanInfoFlags::empty()).await?;
            send(handle, RouteNetlinkMessage::DelLink(m), 0).await
        }
        Op::FloodAdd { dst, .. } => {
            send(
                handle,
                RouteNetlinkMessage::NewNeighbour(flood(idx, *dst)),
                NLM_F_CREATE | NLM_F_APPEND,
            )
            .await
        }
        Op::FloodDel { dst, .. } => {
            send(
                handle,
                RouteNetlinkMessage::DelNeighbour(flood(idx, *dst)),
                0,
            )
            .await
        }
    }
}

/// `bridge vlan add|del dev DEV vid VID [flags] [self]`.
async fn vlan_msg(
    handle: &Handle,
    idx: u32,
    vid: u16,
    flags: BridgeVlanInfoFlags,
) -> Result<LinkMessage, String> {
    let mut b = LinkBridgeVlan::new(idx).vlan(vid, flags);
    if is_bridge(handle, idx).await? {
        b = b.bridge_self();
    }
    Ok(b.build())
}

/// The VNI of a VXLAN device (a change must repeat it: the kernel refuses
/// a different one).
async fn vni_of(handle: &Handle, idx: u32) -> Result<u32, String> {
    let mut links = handle.link().get().match_index(idx).execute();
    let m = match links.next().await {
        Some(Ok(m)) => m,
        Some(Err(e)) => return Err(e.to_string()),
        None => return Err(format!("ifindex {idx}: gone")),
    };
    crate::kernel::parse_link(&m)
        .vxlan
        .and_then(|x| x.vni)
        .ok_or_else(|| {
            let name = m.attributes.iter().find_map(|a| match a {
                LinkAttribute::IfName(n) => Some(n.clone()),
                _ => None,
            });
            format!(
                "{}: not a VXLAN device with a VNI",
                name.unwrap_or_default()
            )
        })
}

/// The static all-zero flood entry towards `dst` on VXLAN device `idx`.
fn flood(idx: u32, dst: IpAddr) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = idx;
    m.header.flags = NeighbourFlags::Own;
    m.header.state = NeighbourState::from(NUD_PERMANENT | NUD_NOARP);
    let dst = match dst {
        IpAddr::V4(a) => NeighbourAddress::Inet(a),
        IpAddr::V6(a) => NeighbourAddress::Inet6(a),
    };
    m.attributes = vec![
        NeighbourAttribute::LinkLayerAddress(vec![0; 6]),
        NeighbourAttribute::Destination(dst),
    ];
    m
}
