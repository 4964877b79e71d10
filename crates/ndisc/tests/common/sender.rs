//! A third party's Router Advertisement, sent from a chosen link-local
//! source with a chosen IPv6 hop limit — what the driver must refuse when
//! the hop limit is not 255.

use std::mem::{size_of, zeroed};
use std::net::Ipv6Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use evpnd_ndisc::driver::socket::ALL_NODES;

use super::enter;

fn check(rc: libc::c_int, what: &str) {
    assert!(rc >= 0, "{what}: {}", std::io::Error::last_os_error());
}

fn addr(ip: Ipv6Addr, scope: u32) -> libc::sockaddr_in6 {
    // SAFETY: plain C struct, all-zero valid.
    let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    sa.sin6_addr.s6_addr = ip.octets();
    sa.sin6_scope_id = scope;
    sa
}

/// Sends `payload` (ICMPv6) to ff02::1 on `dev` in namespace `ns`, from
/// `source` (an address on `dev`), with IPv6 hop limit `hops`.
pub fn send_ra(ns: &str, dev: &str, source: Ipv6Addr, hops: u8, payload: Vec<u8>) {
    let ns = ns.to_string();
    let dev = dev.to_string();
    std::thread::spawn(move || {
        enter(&ns);
        let name = std::ffi::CString::new(dev.clone()).expect("name");
        // SAFETY: plain libc calls on a descriptor we own, with live buffers.
        unsafe {
            let ifindex = libc::if_nametoindex(name.as_ptr());
            assert!(ifindex > 0, "no {dev}");
            let raw = libc::socket(libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_ICMPV6);
            check(raw, "socket");
            let fd = OwnedFd::from_raw_fd(raw);
            let sa = addr(source, ifindex);
            let len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            check(
                libc::bind(
                    fd.as_raw_fd(),
                    (&sa as *const libc::sockaddr_in6).cast(),
                    len,
                ),
                "bind",
            );
            let idx = ifindex as libc::c_int;
            let hops = libc::c_int::from(hops);
            let off: libc::c_int = 0;
            let int = size_of::<libc::c_int>() as libc::socklen_t;
            for (opt, v) in [
                (libc::IPV6_MULTICAST_IF, &idx),
                (libc::IPV6_MULTICAST_HOPS, &hops),
                (libc::IPV6_MULTICAST_LOOP, &off),
            ] {
                check(
                    libc::setsockopt(
                        fd.as_raw_fd(),
                        libc::IPPROTO_IPV6,
                        opt,
                        (v as *const libc::c_int).cast(),
                        int,
                    ),
                    "setsockopt",
                );
            }
            let to = addr(ALL_NODES, ifindex);
            let n = libc::sendto(
                fd.as_raw_fd(),
                payload.as_ptr().cast(),
                payload.len(),
                0,
                (&to as *const libc::sockaddr_in6).cast(),
                len,
            );
            assert!(n >= 0, "sendto: {}", std::io::Error::last_os_error());
        }
    })
    .join()
    .expect("sender thread");
}
