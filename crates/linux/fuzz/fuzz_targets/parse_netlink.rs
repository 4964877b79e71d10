//! Fuzz what the kernel sends: a whole netlink message, or a bare link or
//! neighbour message, through netlink-packet-route and then evpnd's own
//! readers (`kernel::parse_link`, `parse_tunnels`, `parse_neigh`). Nothing
//! may panic, whatever the attributes say.
#![no_main]

use evpnd_linux::kernel::{parse_link, parse_neigh, parse_tunnels};
use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, Parseable};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::NeighbourMessage;

fn link(m: &LinkMessage) {
    let _ = parse_link(m);
    let _ = parse_tunnels(m);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 3 {
        0 => {
            let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest) else {
                return;
            };
            if let NetlinkPayload::InnerMessage(inner) = msg.payload {
                match inner {
                    RouteNetlinkMessage::NewLink(m) | RouteNetlinkMessage::DelLink(m) => link(&m),
                    RouteNetlinkMessage::NewNeighbour(m) | RouteNetlinkMessage::DelNeighbour(m) => {
                        let _ = parse_neigh(&m);
                    }
                    _ => {}
                }
            }
        }
        1 => {
            if let Ok(m) = LinkMessage::parse(rest) {
                link(&m);
            }
        }
        _ => {
            if let Ok(m) = NeighbourMessage::parse(rest) {
                let _ = parse_neigh(&m);
            }
        }
    }
});
