//! `route-watch N TABLE PROTO`: prints `ready`, then the wall-clock time
//! (`done_unix=S.NNN`) at which the N-th distinct IPv4 route of protocol
//! PROTO in table TABLE was notified (RTM_NEWROUTE), from netlink
//! notifications only — no dump, which would hold the RTNL lock and slow
//! down the writer being measured (docs/benchmarks.md, issue 5). A 256 MB
//! receive buffer (SO_RCVBUFFORCE, root) keeps notifications from being
//! lost; if they are, it says so and exits 1. The L3 benchmark
//! (`l3-bench.sh`) times evpnd and `ip -batch` with it.

use std::collections::HashSet;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use futures::StreamExt;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_sys::AsyncSocket;
use rtnetlink::MulticastGroup;

/// The notification socket's receive buffer.
const RCVBUF: libc::c_int = 256 << 20;

/// (destination, prefix length) of `m` if it is in `table` with `proto`.
fn key(m: &RouteMessage, table: u32, proto: u8) -> Option<(IpAddr, u8)> {
    let t = m
        .attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(m.header.table));
    if t != table || u8::from(m.header.protocol) != proto {
        return None;
    }
    let dst = m.attributes.iter().find_map(|a| match a {
        RouteAttribute::Destination(RouteAddress::Inet(v4)) => Some(IpAddr::V4(*v4)),
        _ => None,
    })?;
    Some((dst, m.header.destination_prefix_length))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (
        a.first().and_then(|s| s.parse::<usize>().ok()),
        a.get(1).and_then(|s| s.parse::<u32>().ok()),
        a.get(2).and_then(|s| s.parse::<u8>().ok()),
    );
    let (Some(want), Some(table), Some(proto)) = parsed else {
        eprintln!("usage: route-watch N TABLE PROTO");
        return std::process::ExitCode::from(2);
    };
    let (mut conn, _, mut msgs) =
        match rtnetlink::new_multicast_connection(&[MulticastGroup::Ipv4Route]) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("route-watch: {e}");
                return std::process::ExitCode::from(1);
            }
        };
    let fd = conn.socket_mut().socket_mut().as_raw_fd();
    // SAFETY: setsockopt on our own socket with a c_int value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            std::ptr::from_ref(&RCVBUF).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    tokio::spawn(conn);
    println!("ready");
    let mut seen = HashSet::new();
    while let Some((m, _)) = msgs.next().await {
        let r = match m.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(r)) => r,
            NetlinkPayload::Overrun(_) => break,
            _ => continue,
        };
        if let Some(k) = key(&r, table, proto) {
            seen.insert(k);
            if seen.len() >= want {
                println!("done_unix={:.3}", unix_now());
                return std::process::ExitCode::SUCCESS;
            }
        }
    }
    eprintln!(
        "route-watch: notifications lost after {} routes",
        seen.len()
    );
    std::process::ExitCode::from(1)
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
