//! `fdb-watch N [gone]`: prints the wall-clock time (`done_unix=S.NNN`) at
//! which the N-th distinct remote MAC (a VXLAN `self` FDB entry with a
//! destination, on any VXLAN device) appeared — or, with `gone`, was
//! deleted — from netlink notifications. `fdb-watch N moved IP`: prints
//! `mac=MAC unix=T` the first time each remote MAC points at VTEP IP, until N.
//! `fdb-watch SECS churn`: counts the remote-MAC adds/replaces and deletes
//! notified in SECS seconds, printing `new=A del=D` every second. — no dump, which would
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
    let mode = std::env::args().nth(2).unwrap_or_default();
    let churn = mode == "churn";
    let until = tokio::time::sleep(std::time::Duration::from_secs(want as u64));
    tokio::pin!(until);
    let (mut new, mut del) = (0u64, 0u64);
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    let gone = mode == "gone";
    let moved_to: Option<std::net::IpAddr> = if mode == "moved" {
        match std::env::args().nth(3).map(|a| a.parse()) {
            Some(Ok(ip)) => Some(ip),
            _ => {
                eprintln!("usage: fdb-watch N moved IP");
                return std::process::ExitCode::from(2);
            }
        }
    } else {
        None
    };
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
    loop {
        let m = tokio::select! {
            m = msgs.next() => match m {
                Some((m, _)) => m,
                None => break,
            },
            _ = &mut until, if churn => {
                println!("new={new} del={del}");
                return std::process::ExitCode::SUCCESS;
            }
            _ = every.tick(), if churn => {
                println!("new={new} del={del}");
                continue;
            }
        };
        if churn {
            let (is_new, n) = match m.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) => (true, n),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelNeighbour(n)) => (false, n),
                NetlinkPayload::Overrun(_) => break,
                _ => continue,
            };
            let n = parse_neigh(&n);
            if n.flags.contains(NeighbourFlags::Own)
                && n.dst.is_some()
                && n.mac.is_some_and(|m| m.0 != [0; 6])
            {
                if is_new {
                    new += 1;
                } else {
                    del += 1;
                }
            }
            continue;
        }
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
                if let Some(to) = moved_to {
                    if n.dst != Some(to) || !seen.insert(mac) {
                        continue;
                    }
                    println!("mac={mac} unix={:.6}", unix_now());
                } else {
                    seen.insert(mac);
                }
                if seen.len() >= want {
                    println!("done_unix={:.3}", unix_now());
                    return std::process::ExitCode::SUCCESS;
                }
            }
        }
    }
    eprintln!("fdb-watch: notifications lost after {} MACs", seen.len());
    std::process::ExitCode::from(1)
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
