//! Linux socket options for BGP transport security: TCP MD5 signatures
//! (RFC 2385) and GTSM (RFC 5082). The only `unsafe` in the session crate:
//! plain `setsockopt` calls on a socket we own, with structures laid out as
//! the kernel's `linux/tcp.h` defines them.

use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

/// `struct tcp_md5sig` from `linux/tcp.h`.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefixlen: u8,
    keylen: u16,
    ifindex: libc::c_int,
    key: [u8; 80],
}

fn setsockopt<T>(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` points to a live `T` of the size we pass; the fd is open.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Installs (or with an empty key, removes) the MD5 key for segments to and
/// from `peer` on this socket (listening or connecting). Keys longer than 80
/// octets are refused.
pub fn set_md5(fd: &impl AsRawFd, peer: IpAddr, key: &str) -> io::Result<()> {
    if key.len() > 80 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "TCP MD5 key longer than 80 octets",
        ));
    }
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut sig = TcpMd5Sig {
        addr: unsafe { std::mem::zeroed() },
        flags: 0,
        prefixlen: 0,
        keylen: key.len() as u16,
        ifindex: 0,
        key: [0; 80],
    };
    sig.key[..key.len()].copy_from_slice(key.as_bytes());
    match peer {
        IpAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage; both are plain data.
            unsafe { std::ptr::write((&mut sig.addr as *mut libc::sockaddr_storage).cast(), sin) };
        }
        IpAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut sig.addr as *mut libc::sockaddr_storage).cast(), sin6) };
        }
    }
    setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_MD5SIG, &sig)
}

/// GTSM (RFC 5082): send with TTL 255 and drop anything that arrives with a
/// TTL below 256 - `hops` (for directly connected peers, `hops` = 1 → 255).
pub fn set_gtsm(fd: &impl AsRawFd, v6: bool, hops: u8) -> io::Result<()> {
    let min: libc::c_int = 256 - libc::c_int::from(hops.max(1));
    let ttl: libc::c_int = 255;
    if v6 {
        setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &ttl)?;
        setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, &min)
    } else {
        setsockopt(fd, libc::IPPROTO_IP, libc::IP_TTL, &ttl)?;
        setsockopt(fd, libc::IPPROTO_IP, libc::IP_MINTTL, &min)
    }
}

/// Outgoing TTL for multihop eBGP.
pub fn set_ttl(fd: &impl AsRawFd, v6: bool, ttl: u8) -> io::Result<()> {
    let t = libc::c_int::from(ttl);
    if v6 {
        setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &t)
    } else {
        setsockopt(fd, libc::IPPROTO_IP, libc::IP_TTL, &t)
    }
}
