//! `fdb-watch N [gone]`: prints the wall-clock time (`done_unix=S.NNN`) at
//! which the N-th distinct remote MAC (a VXLAN `self` FDB entry with a
//! destination, on any VXLAN device) appeared — or, with `gone`, was
//! deleted — from netlink notifications — no dump, which would
//! hold the RTNL lock and slow down the writer being measured. A 256 MB
//! receive buffer (SO_RCVBUFFORCE, root) keeps notifications from being
//! lost; if they are, it says so and exits 1.

use std::collections::HashSet;
use std::os::fd::AsRawFd;

use evpnd_linux::kernel::parse_neigh;
use futures::StreamExt;
use netlink_packet_core::NetlinkPayload;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::neighbour::NeighbourFlags;
use netlink_sys::AsyncSocket;
use rtnetlink::MulticastGroup;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let want: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: fdb-watch N [gone]");
            return std::process::ExitCode::from(2);
        }
    };
    let gone = std::env::args().nth(2).is_some_and(|a| a == "gone");
    let (mut conn, _, mut msgs) =
        match rtnetlink::new_multicast_connection(&[MulticastGroup::Neigh]) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("fdb-watch: {e}");
                return std::process::ExitCode::from(1);
            }
        };
    let fd = conn.socket_mut().socket_mut().as_raw_fd();
    let size: libc::c_int = 256 << 20;
    // SAFETY: setsockopt on our own socket with a c_int value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            std::ptr::from_ref(&size).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    tokio::spawn(conn);
    println!("ready");
    let mut seen = HashSet::new();
    while let Some((m, _)) = msgs.next().await {
        let n = match m.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) if !gone => n,
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelNeighbour(n)) if gone => n,
            NetlinkPayload::Overrun(_) => break,
            _ => continue,
        };
        {
            let n = parse_neigh(&n);
            if n.flags.contains(NeighbourFlags::Own)
                && n.dst.is_some()
                && let Some(mac) = n.mac
                && mac.0 != [0; 6]
            {
                seen.insert(mac);
                if seen.len() >= want {
                    let t = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs_f64())
                        .unwrap_or(0.0);
                    println!("done_unix={t:.3}");
                    return std::process::ExitCode::SUCCESS;
                }
            }
        }
    }
    eprintln!("fdb-watch: notifications lost after {} MACs", seen.len());
    std::process::ExitCode::from(1)
}
