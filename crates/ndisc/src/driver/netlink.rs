//! What the driver reads over rtnetlink: the interface's index, state and
//! MAC, and its IPv6 neighbours.
//!
//! ```text
//! RTM_GETLINK  ifinfomsg{}  IFLA_IFNAME name   → index, IFF_UP|IFF_LOWER_UP, IFLA_ADDRESS
//! RTM_GETADDR  NLM_F_DUMP   ifaddrmsg{family AF_INET6, index}
//!              → IFA_ADDRESS fe80::/10, IFA_FLAGS without TENTATIVE|DADFAILED
//! RTM_GETNEIGH NLM_F_DUMP   ndmsg{family AF_INET6, rest 0} NDA_IFINDEX ifindex
//!              (strict checking: the kernel filters by interface)
//!              → ndm_ifindex, ndm_state, ndm_flags (NTF_ROUTER), NDA_DST
//! ```

use std::os::fd::AsRawFd;

use futures::{StreamExt, TryStreamExt};
use rtnetlink::packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::neighbour::{NeighbourMessage, NeighbourState};
use rtnetlink::packet_route::route::RouteType;
use rtnetlink::sys::AsyncSocket;
use std::net::{IpAddr, Ipv6Addr};

use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressFlags};
use netlink_packet_route::link::{LinkAttribute, LinkFlags};
use netlink_packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourFlags};
use rtnetlink::Handle;
use thiserror::Error;

use crate::neighbour::NeighbourEntry;
use crate::option::{ETHERNET_ADDR_LEN, LinkLayerAddr};

/// `ENODEV`: the kernel's answer for a link name it does not know.
const ENODEV: i32 = 19;
/// `SOL_NETLINK` socket option level.
const SOL_NETLINK: libc::c_int = 270;
/// `NETLINK_GET_STRICT_CHK`: the kernel validates dump requests and
/// honours their filters (here `NDA_IFINDEX`: one interface's neighbours
/// instead of the whole ND table of a leaf with thousands of hosts).
const NETLINK_GET_STRICT_CHK: libc::c_int = 12;

/// A connection with strict dump checking, for the per-interface
/// neighbour dumps; its future must be spawned.
pub fn strict_connection()
-> std::io::Result<(rtnetlink::proto::Connection<RouteNetlinkMessage>, Handle)> {
    let (mut conn, handle, _) = rtnetlink::new_connection()?;
    let fd = conn.socket_mut().socket_mut().as_raw_fd();
    let on: libc::c_int = 1;
    // SAFETY: `on` is a live c_int for the call; the length matches.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            SOL_NETLINK,
            NETLINK_GET_STRICT_CHK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((conn, handle))
}

#[derive(Debug, Error)]
#[error("netlink {op}: {source}")]
pub struct NetlinkError {
    pub op: &'static str,
    #[source]
    pub source: rtnetlink::Error,
}

/// An interface as discovery needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    /// Administratively up and with carrier.
    pub up: bool,
    pub mac: Option<LinkLayerAddr>,
}

/// The link called `name`, or `None` if there is none.
pub async fn link(handle: &Handle, name: &str) -> Result<Option<LinkInfo>, NetlinkError> {
    let mut s = handle.link().get().match_name(name.to_string()).execute();
    let msg = match s.try_next().await {
        Ok(Some(m)) => m,
        Ok(None) => return Ok(None),
        Err(rtnetlink::Error::NetlinkError(e))
            if e.code.is_some_and(|c| c.get().abs() == ENODEV) =>
        {
            return Ok(None);
        }
        Err(source) => {
            return Err(NetlinkError {
                op: "get link",
                source,
            });
        }
    };
    let flags = msg.header.flags;
    let mac = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::Address(b) if b.len() == ETHERNET_ADDR_LEN => {
            <[u8; ETHERNET_ADDR_LEN]>::try_from(b.as_slice())
                .ok()
                .map(LinkLayerAddr)
        }
        _ => None,
    });
    Ok(Some(LinkInfo {
        index: msg.header.index,
        up: flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::LowerUp),
        mac,
    }))
}

/// The IPv6 neighbours of interface `ifindex` (all of them; the core
/// decides which name a peer), dumped on a strict-checking connection
/// ([`strict_connection`]) so that the kernel filters by interface.
pub async fn neighbours(
    handle: &Handle,
    ifindex: u32,
) -> Result<Vec<NeighbourEntry>, NetlinkError> {
    // Strict checking wants every header field but the family zero.
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Inet6;
    m.header.state = NeighbourState::from(0u16);
    m.header.flags = NeighbourFlags::empty();
    m.header.kind = RouteType::Unspec;
    m.attributes.push(NeighbourAttribute::IfIndex(ifindex));
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNeighbour(m));
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut h = handle.clone();
    let mut s = h.request(req).map_err(|source| NetlinkError {
        op: "dump neighbours",
        source,
    })?;
    let mut out = Vec::new();
    while let Some(msg) = s.next().await {
        let m = match msg.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(m)) => m,
            NetlinkPayload::Error(e) if e.code.is_some() => {
                return Err(NetlinkError {
                    op: "dump neighbours",
                    source: rtnetlink::Error::NetlinkError(e),
                });
            }
            _ => continue,
        };
        if m.header.ifindex != ifindex {
            continue;
        }
        let address = m.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(ip)) => Some(*ip),
            _ => None,
        });
        if let Some(address) = address {
            out.push(NeighbourEntry {
                address,
                state: u16::from(m.header.state),
                router: m.header.flags.contains(NeighbourFlags::Router),
            });
        }
    }
    Ok(out)
}

/// The interface's link-local address once DAD has passed: RAs sent
/// before it exists would leave with no usable source, so the driver
/// treats the link as down until it has one.
pub async fn usable_link_local(
    handle: &Handle,
    ifindex: u32,
) -> Result<Option<Ipv6Addr>, NetlinkError> {
    let mut s = handle
        .address()
        .get()
        .set_link_index_filter(ifindex)
        .execute();
    let mut found = None;
    while let Some(m) = s.try_next().await.map_err(|source| NetlinkError {
        op: "dump addresses",
        source,
    })? {
        if m.header.index != ifindex || m.header.family != AddressFamily::Inet6 {
            continue;
        }
        let mut addr = None;
        let mut flags = AddressFlags::from_bits_retain(u32::from(m.header.flags.bits()));
        for a in &m.attributes {
            match a {
                AddressAttribute::Address(IpAddr::V6(ip)) => addr = Some(*ip),
                AddressAttribute::Flags(f) => flags = *f,
                _ => {}
            }
        }
        let settling = flags.intersects(AddressFlags::Tentative | AddressFlags::Dadfailed);
        if let Some(ip) = addr
            && ip.is_unicast_link_local()
            && !settling
            && found.is_none()
        {
            found = Some(ip);
        }
    }
    Ok(found)
}
