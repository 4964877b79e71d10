//! Targeted dumps for repair scans (`crate::repair`): the FDB of one bridge
//! port, the ARP/ND neighbours of one device, on a socket of their own with
//! strict checking (the kernel only honours an FDB dump's `ndm_ifindex`
//! filter with `NETLINK_GET_STRICT_CHK`), yielded as one stream that the
//! linux task polls beside its writes.
//!
//! ```text
//! FDB        RTM_GETNEIGH NLM_F_DUMP  ndmsg { family AF_BRIDGE, ifindex port, rest 0 }
//!            → the port's bridge (master) entries and its own (self) entries
//! neighbours RTM_GETNEIGH NLM_F_DUMP  ndmsg { family AF_INET[6], ifindex 0, rest 0 }
//!            NDA_IFINDEX u32 device
//! ```

use std::pin::Pin;

use futures::{Stream, StreamExt};
use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::neighbour::{
    NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::RouteType;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::Handle;

use crate::repair::Unit;

/// One result of a scan's dumps.
#[derive(Debug)]
pub enum Scanned {
    Neigh(NeighbourMessage),
    /// A dump failed: the scan is incomplete and must not sweep.
    Failed(String),
}

pub type ScanStream = Pin<Box<dyn Stream<Item = Scanned>>>;

/// The dump requests of `unit`, in order: its ports' FDB, then its
/// devices' IPv4 and IPv6 neighbours.
pub fn requests(unit: &Unit) -> Vec<NetlinkMessage<RouteNetlinkMessage>> {
    let mut out: Vec<NeighbourMessage> = unit
        .fdb_ports
        .iter()
        .map(|&port| header(AddressFamily::Bridge, port))
        .collect();
    for &dev in &unit.neigh_devs {
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut m = header(family, 0);
            m.attributes.push(NeighbourAttribute::IfIndex(dev));
            out.push(m);
        }
    }
    out.into_iter()
        .map(|m| {
            let mut msg = NetlinkMessage::from(RouteNetlinkMessage::GetNeighbour(m));
            msg.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
            msg
        })
        .collect()
}

/// A dump request's `ndmsg`: strict checking wants every other field 0.
fn header(family: AddressFamily, ifindex: u32) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = family;
    m.header.ifindex = ifindex;
    m.header.state = NeighbourState::from(0u16);
    m.header.flags = NeighbourFlags::empty();
    m.header.kind = RouteType::Unspec;
    m
}

/// The unit's dumps one after the other, as one stream of neighbour
/// messages (each request is sent when the previous dump is done).
pub fn scan(handle: &Handle, unit: &Unit) -> ScanStream {
    let handle = handle.clone();
    Box::pin(futures::stream::iter(requests(unit)).flat_map(move |req| {
        let mut h = handle.clone();
        match h.request(req) {
            Ok(s) => s
                .filter_map(|m| {
                    futures::future::ready(match m.payload {
                        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) => {
                            Some(Scanned::Neigh(n))
                        }
                        NetlinkPayload::Error(e) if e.code.is_some() => {
                            Some(Scanned::Failed(format!("dump: {e}")))
                        }
                        NetlinkPayload::Overrun(_) => {
                            Some(Scanned::Failed("dump overran its buffer".into()))
                        }
                        _ => None,
                    })
                })
                .boxed_local(),
            Err(e) => futures::stream::once(futures::future::ready(Scanned::Failed(format!(
                "dump request: {e}"
            ))))
            .boxed_local(),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The requests' octets as strict checking wants them.
    #[test]
    fn dump_requests_have_zero_headers_and_the_filter_where_the_kernel_reads_it() {
        let unit = Unit {
            fdb_ports: vec![7],
            neigh_devs: vec![9],
            ..Unit::default()
        };
        let reqs = requests(&unit);
        assert_eq!(reqs.len(), 3);
        let octets = |m: &NetlinkMessage<RouteNetlinkMessage>| {
            let mut m = m.clone();
            m.finalize();
            let mut buf = vec![0u8; m.buffer_len()];
            m.serialize(&mut buf);
            buf
        };
        let fdb = octets(&reqs[0]);
        // ndmsg after the 16-octet header: family 7, ifindex 7, rest 0.
        assert_eq!(fdb.len(), 16 + 12, "no attributes: {fdb:?}");
        assert_eq!(fdb[16], 7);
        assert_eq!(&fdb[20..24], &7u32.to_ne_bytes());
        assert_eq!(&fdb[24..28], &[0, 0, 0, 0]);
        let inet = octets(&reqs[1]);
        assert_eq!(inet[16], 2);
        assert_eq!(
            &inet[20..28],
            &[0; 8],
            "ifindex in the attribute, not the header"
        );
        // NDA_IFINDEX (8): len 8, type 8, value 9.
        assert_eq!(&inet[28..36], &[8, 0, 8, 0, 9, 0, 0, 0]);
        assert_eq!(octets(&reqs[2])[16], 10);
    }
}
