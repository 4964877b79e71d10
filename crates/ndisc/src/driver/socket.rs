//! The raw ICMPv6 socket of one interface: RAs out to ff02::1 with hop
//! limit 255, RAs in with the hop limit they arrived with.
//!
//! ```text
//! socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
//!   ICMP6_FILTER          pass types 134 (RA) and 133 (RS) only
//!   SO_BINDTODEVICE       the interface (receive only its packets)
//!   IPV6_MULTICAST_IF     the interface (send ff02::1 out of it)
//!   IPV6_MULTICAST_HOPS   255, IPV6_UNICAST_HOPS 255 (RFC 4861 §6.1.2)
//!   IPV6_MULTICAST_LOOP   0 (not our own RAs back)
//!   IPV6_RECVHOPLIMIT     1 → each recvmsg carries an IPV6_HOPLIMIT cmsg
//! ```
//!
//! The kernel computes and verifies the ICMPv6 checksum of raw ICMPv6
//! sockets (RFC 3542 §3.1).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::Ipv6Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use thiserror::Error;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::ra::ICMPV6_ROUTER_ADVERTISEMENT;
use crate::rs::ICMPV6_ROUTER_SOLICITATION;

/// RFC 4861 §6.1.2 / §6.2.4: ND messages are sent, and must arrive, with
/// IPv6 hop limit 255 — proof that they were not forwarded by a router.
pub const ND_HOP_LIMIT: u8 = 255;
/// All-nodes link-local multicast, where periodic RAs go.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// `ICMP6_FILTER` (linux/icmpv6.h), at level `IPPROTO_ICMPV6`.
const ICMP6_FILTER: libc::c_int = 1;
/// Words of `struct icmp6_filter` (256 types, one bit each; set = block).
const ICMP6_FILTER_WORDS: usize = 8;
/// Octets of the control buffer: one `IPV6_HOPLIMIT` cmsg with room to spare.
const CMSG_BUFFER: usize = 64;

/// A socket operation that failed, with the call that failed.
#[derive(Debug, Error)]
#[error("{op}: {source}")]
pub struct SocketError {
    pub op: &'static str,
    #[source]
    pub source: io::Error,
}

impl SocketError {
    fn last(op: &'static str) -> SocketError {
        SocketError {
            op,
            source: io::Error::last_os_error(),
        }
    }
}

/// One datagram as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    pub source: Ipv6Addr,
    /// The IPv6 hop limit it arrived with; `None` if the kernel did not
    /// say (then it cannot be trusted either).
    pub hop_limit: Option<u8>,
    /// The datagram was longer than the buffer (`MSG_TRUNC`).
    pub truncated: bool,
}

/// The ICMPv6 socket of one interface.
#[derive(Debug)]
pub struct RaSocket {
    fd: AsyncFd<OwnedFd>,
    ifindex: u32,
}

fn setsockopt<T>(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    op: &'static str,
) -> Result<(), SocketError> {
    let len = libc::socklen_t::try_from(size_of::<T>()).map_err(|_| SocketError {
        op,
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })?;
    // SAFETY: `value` points to a live `T` of `len` octets for the call.
    let rc =
        unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), len) };
    if rc < 0 {
        return Err(SocketError::last(op));
    }
    Ok(())
}

fn sockaddr(addr: Ipv6Addr, scope: u32) -> libc::sockaddr_in6 {
    // SAFETY: sockaddr_in6 is plain old data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    sa.sin6_addr.s6_addr = addr.octets();
    sa.sin6_scope_id = scope;
    sa
}

impl RaSocket {
    /// Opens the socket on interface `name` (index `ifindex`), in the
    /// calling thread's network namespace. Needs CAP_NET_RAW.
    pub fn open(name: &str, ifindex: u32) -> Result<RaSocket, SocketError> {
        // SAFETY: plain socket(2); the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET6,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                libc::IPPROTO_ICMPV6,
            )
        };
        if raw < 0 {
            return Err(SocketError::last("socket(AF_INET6, SOCK_RAW, ICMPV6)"));
        }
        // SAFETY: `raw` is a fresh descriptor we own from here on.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        let mut filter = [u32::MAX; ICMP6_FILTER_WORDS];
        for t in [ICMPV6_ROUTER_ADVERTISEMENT, ICMPV6_ROUTER_SOLICITATION] {
            let t = usize::from(t);
            filter[t >> 5] &= !(1u32 << (t & 31));
        }
        setsockopt(
            &fd,
            libc::IPPROTO_ICMPV6,
            ICMP6_FILTER,
            &filter,
            "ICMP6_FILTER",
        )?;

        let ifname = name.as_bytes();
        let len = libc::socklen_t::try_from(ifname.len()).map_err(|_| SocketError {
            op: "SO_BINDTODEVICE",
            source: io::Error::from(io::ErrorKind::InvalidInput),
        })?;
        // SAFETY: `ifname` is a live slice of `len` octets for the call.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                ifname.as_ptr().cast(),
                len,
            )
        };
        if rc < 0 {
            return Err(SocketError::last("SO_BINDTODEVICE"));
        }
        let index = libc::c_int::try_from(ifindex).map_err(|_| SocketError {
            op: "IPV6_MULTICAST_IF",
            source: io::Error::from(io::ErrorKind::InvalidInput),
        })?;
        let ip6 = libc::IPPROTO_IPV6;
        setsockopt(
            &fd,
            ip6,
            libc::IPV6_MULTICAST_IF,
            &index,
            "IPV6_MULTICAST_IF",
        )?;
        let hops = libc::c_int::from(ND_HOP_LIMIT);
        setsockopt(
            &fd,
            ip6,
            libc::IPV6_MULTICAST_HOPS,
            &hops,
            "IPV6_MULTICAST_HOPS",
        )?;
        setsockopt(
            &fd,
            ip6,
            libc::IPV6_UNICAST_HOPS,
            &hops,
            "IPV6_UNICAST_HOPS",
        )?;
        let off: libc::c_int = 0;
        setsockopt(
            &fd,
            ip6,
            libc::IPV6_MULTICAST_LOOP,
            &off,
            "IPV6_MULTICAST_LOOP",
        )?;
        let on: libc::c_int = 1;
        setsockopt(&fd, ip6, libc::IPV6_RECVHOPLIMIT, &on, "IPV6_RECVHOPLIMIT")?;

        // SAFETY: the OwnedFd keeps the descriptor open, and its
        // `as_raw_fd` returns the same descriptor, until the AsyncFd drops it.
        let fd = unsafe { AsyncFd::register(fd) }.map_err(|e| SocketError {
            op: "register with tokio",
            source: e.into_parts().1,
        })?;
        Ok(RaSocket { fd, ifindex })
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one ICMPv6 message to ff02::1 on the interface.
    pub fn send_all_nodes(&self, payload: &[u8]) -> Result<(), SocketError> {
        let sa = sockaddr(ALL_NODES, self.ifindex);
        // SAFETY: `payload` and `sa` are live for the call; lengths match.
        let rc = unsafe {
            libc::sendto(
                self.fd.get_ref().as_raw_fd(),
                payload.as_ptr().cast(),
                payload.len(),
                0,
                (&sa as *const libc::sockaddr_in6).cast(),
                size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(SocketError::last("sendto ff02::1"));
        }
        Ok(())
    }

    /// Waits for and reads one datagram into `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received, SocketError> {
        loop {
            let mut guard =
                self.fd
                    .ready(Interest::READABLE)
                    .await
                    .map_err(|source| SocketError {
                        op: "poll readable",
                        source,
                    })?;
            match recvmsg(self.fd.get_ref(), buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(SocketError {
                        op: "recvmsg",
                        source,
                    });
                }
                Ok(r) => return Ok(r),
            }
        }
    }
}

/// One `recvmsg(2)` with the hop limit from its control message.
fn recvmsg(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<Received> {
    // SAFETY: all-zero is valid for these plain C structs.
    let mut from: libc::sockaddr_in6 = unsafe { zeroed() };
    let mut control = [0u64; CMSG_BUFFER / size_of::<u64>()];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = CMSG_BUFFER as _;
    // SAFETY: every pointer in `msg` refers to a live local buffer of the
    // length given beside it.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = usize::try_from(n).unwrap_or(0);
    let mut hop_limit = None;
    // SAFETY: the kernel filled `msg_control` up to `msg_controllen`; the
    // CMSG_* macros stay within it, and each IPV6_HOPLIMIT cmsg carries a
    // C int (RFC 3542 §6.3) read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IPV6 && (*c).cmsg_type == libc::IPV6_HOPLIMIT {
                let v = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>());
                hop_limit = u8::try_from(v).ok();
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(Received {
        len: len.min(buf.len()),
        source: Ipv6Addr::from(from.sin6_addr.s6_addr),
        hop_limit,
        truncated: msg.msg_flags & libc::MSG_TRUNC != 0,
    })
}
