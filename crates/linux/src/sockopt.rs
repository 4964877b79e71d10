//! Socket options the netlink crates do not set.

use std::os::fd::RawFd;
use std::time::Duration;

use tracing::debug;

fn set(fd: RawFd, level: libc::c_int, name: libc::c_int, v: &[u8]) -> std::io::Result<()> {
    // SAFETY: setsockopt on a socket the caller owns, with a pointer to `v`
    // and its length.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            v.as_ptr().cast(),
            v.len() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// As root, SO_RCVBUFFORCE lifts the buffer past `net.core.rmem_max`.
pub fn force_rx_buf(fd: RawFd, size: usize) {
    let v = size as libc::c_int;
    if let Err(e) = set(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v.to_ne_bytes()) {
        debug!("SO_RCVBUFFORCE: {e}");
    }
}

/// A blocking receive gives up after `t` (EAGAIN).
pub fn recv_timeout(fd: RawFd, t: Duration) -> std::io::Result<()> {
    let tv = libc::timeval {
        tv_sec: t.as_secs() as libc::time_t,
        tv_usec: libc::suseconds_t::from(t.subsec_micros() as i32),
    };
    // SAFETY: `timeval` is plain old data; its octets are what the kernel reads.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            std::ptr::from_ref(&tv).cast::<u8>(),
            std::mem::size_of::<libc::timeval>(),
        )
    };
    set(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, bytes)
}

/// A classic BPF filter on the notification socket that drops the kernel's
/// echo of every remote MAC we write to a VXLAN device: `RTM_NEWNEIGH`,
/// `AF_BRIDGE`, flags `NTF_SELF` + `NTF_EXT_LEARNED`. The write's own ACK
/// already told us its outcome; the echo only cost a copy, a wake-up and a
/// parse per entry on the writing thread. Deletions, `master` (bridge)
/// entries, flood and sticky entries still come through; the periodic
/// resync sees what the filter hides (an extern_learn entry someone else
/// rewrote).
///
/// ```text
/// struct nlmsghdr { u32 len; u16 type @4; u16 flags; u32 seq; u32 pid; }  16 octets
/// struct ndmsg    { u8 family @16; u8 pad[3]; s32 ifindex; u16 state; u8 flags @26; u8 type; }
/// ```
pub fn drop_vxlan_echoes(fd: RawFd) -> std::io::Result<()> {
    const RTM_NEWNEIGH: u16 = 28;
    const AF_BRIDGE: u32 = 7;
    const NTF_SELF_EXT_LEARNED: u32 = 0x02 | 0x10;
    // BPF's absolute loads read big-endian; the header is in host order.
    let newneigh = u32::from(u16::from_be_bytes(RTM_NEWNEIGH.to_ne_bytes()));
    let ins = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let (ld_h, ld_b) = (
        (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16,
        (libc::BPF_LD | libc::BPF_B | libc::BPF_ABS) as u16,
    );
    let jeq = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let and = (libc::BPF_ALU | libc::BPF_AND | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let mut prog = [
        ins(ld_h, 0, 0, 4),                   // 0: A = nlmsg_type
        ins(jeq, 0, 6, newneigh),             // 1: not NEWNEIGH → 8
        ins(ld_b, 0, 0, 16),                  // 2: A = ndm_family
        ins(jeq, 0, 4, AF_BRIDGE),            // 3: not AF_BRIDGE → 8
        ins(ld_b, 0, 0, 26),                  // 4: A = ndm_flags
        ins(and, 0, 0, NTF_SELF_EXT_LEARNED), // 5
        ins(jeq, 0, 1, NTF_SELF_EXT_LEARNED), // 6: both set → 7, else 8
        ins(ret, 0, 0, 0),                    // 7: drop
        ins(ret, 0, 0, u32::MAX),             // 8: keep
    ];
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: `sock_fprog` points at `prog`, alive for the call; the kernel
    // copies the program.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            std::ptr::from_ref(&fprog).cast::<u8>(),
            std::mem::size_of::<libc::sock_fprog>(),
        )
    };
    set(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, bytes)
}

#[cfg(test)]
mod tests {
    use netlink_sys::{Socket, protocols::NETLINK_ROUTE};
    use std::os::fd::AsRawFd;

    fn sh(ns_cmd: &str) {
        let args: Vec<&str> = ns_cmd.split_whitespace().collect();
        let ok = std::process::Command::new(args[0])
            .args(&args[1..])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "{ns_cmd}");
    }

    /// In a network namespace of the test thread's own (root): of a remote
    /// MAC's echo, a flood entry and a delete, the filter drops the first.
    #[test]
    fn the_filter_drops_remote_mac_echoes_and_nothing_else() {
        std::thread::spawn(|| {
            // SAFETY: unshare only changes this thread's network namespace.
            let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "unshare(CLONE_NEWNET) needs root");
            sh("ip link add vx1 type vxlan id 100 local 10.9.0.1 dstport 4789 nolearning");
            let mut sock = Socket::new(NETLINK_ROUTE).expect("socket");
            sock.bind_auto().expect("bind");
            sock.add_membership(3).expect("RTNLGRP_NEIGH");
            super::drop_vxlan_echoes(sock.as_raw_fd()).expect("filter");
            super::recv_timeout(sock.as_raw_fd(), std::time::Duration::from_millis(500))
                .expect("timeout");
            sh("bridge fdb add 02:00:00:00:00:01 dev vx1 dst 10.9.0.2 self extern_learn");
            sh("bridge fdb append 00:00:00:00:00:00 dev vx1 dst 10.9.0.3 self permanent");
            sh("bridge fdb del 02:00:00:00:00:01 dev vx1 self");
            // (nlmsg_type, ndm_flags) of what arrives.
            let mut seen = Vec::new();
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = sock.recv(&mut &mut buf[..], 0) {
                if n >= 27 {
                    seen.push((u16::from_ne_bytes([buf[4], buf[5]]), buf[26]));
                }
            }
            // RTM_NEWNEIGH 28 for the flood entry (self), RTM_DELNEIGH 29.
            let types: Vec<u16> = seen.iter().map(|(t, _)| *t).collect();
            assert_eq!(types, [28, 29], "{seen:?}");
            assert_eq!(
                seen[1].1 & 0x10,
                0x10,
                "the delete of an extern_learn entry is kept"
            );
        })
        .join()
        .expect("test thread");
    }
}
