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

/// `NETLINK_GET_STRICT_CHK`: the kernel checks dump requests strictly, and
/// only then honours the filters in them (an FDB dump's `ndm_ifindex`).
pub fn strict_dumps(fd: RawFd) -> std::io::Result<()> {
    const SOL_NETLINK: libc::c_int = 270;
    const NETLINK_GET_STRICT_CHK: libc::c_int = 12;
    set(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &1i32.to_ne_bytes())
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

/// `struct nlmsghdr` (16 octets) then `struct ndmsg` (12 octets) then the
/// attributes of a neighbour message:
///
/// ```text
/// struct nlmsghdr { u32 len; u16 type @4; u16 flags; u32 seq; u32 pid; }  16 octets
/// struct ndmsg    { u8 family @16; u8 pad[3]; s32 ifindex; u16 state; u8 flags @26; u8 type; }
/// struct nlattr   { u16 len; u16 type; value @4 }   from @28, 4-octet aligned
/// ```
const NDMSG_ATTRS: u32 = 16 + 12;
const RTM_NEWNEIGH: u16 = 28;
const RTM_DELNEIGH: u16 = 29;
const AF_INET: u32 = 2;
const AF_INET6: u32 = 10;
const AF_BRIDGE: u32 = 7;
const NTF_EXT_LEARNED: u32 = 0x10;
const NDA_PROTOCOL: u32 = 12;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
/// `struct rtmsg { u8 family @16; u8 dst_len; u8 src_len; u8 tos; u8 table;
/// u8 protocol @21; u8 scope; u8 type; u32 flags; }`
const RTM_PROTOCOL_AT: u32 = 21;

/// A classic BPF filter on the notification socket that drops the kernel's
/// echo of every entry we write, added or deleted, both copies:
///
/// * `AF_BRIDGE` with `NTF_EXT_LEARNED`: a remote MAC's VXLAN (`self`) and
///   bridge (`master`) entry. The kernel keeps no `NDA_PROTOCOL` on FDB
///   entries, so the flag is the mark (ADR 0008); an access port's entry
///   with the flag (a switchdev-learned MAC) is not a local MAC to us
///   either (`kernel::classify`).
/// * `AF_INET`/`AF_INET6` with `NDA_PROTOCOL` 245 ([`crate::PROTOCOL`]): a
///   remote neighbour on an SVI.
/// * `RTM_NEWROUTE`/`RTM_DELROUTE` with `rtm_protocol` 245: a tenant route
///   of ours (route notifications are subscribed to only for the tables of
///   tenants that redistribute; ours in them are never reported).
///
/// The write's own outcome comes from its ACK (`crate::batch`); the echoes
/// only cost buffer space (they overran 64 MiB at a 1M load, issue 16), a
/// wake-up and a parse each. What still comes: flood and sticky entries
/// (few), local MACs and neighbours, links. A change someone else makes to
/// one of our entries is not seen until a repair scan re-reads the device.
///
/// The attribute search is the kernel's `SKF_AD_NLATTR` (`nla_find` from
/// offset A for type X).
pub fn drop_own_echoes(fd: RawFd) -> std::io::Result<()> {
    // BPF's absolute loads read big-endian; the header is in host order.
    let be = |t: u16| u32::from(u16::from_be_bytes(t.to_ne_bytes()));
    let ins = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let ld_abs = |size: u32, k: u32| ins(libc::BPF_LD | size | libc::BPF_ABS, 0, 0, k);
    let jeq = |k: u32, jt: u8, jf: u8| ins(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, jt, jf, k);
    let nlattr = (libc::SKF_AD_OFF + libc::SKF_AD_NLATTR) as u32;
    // Jump offsets count from the next instruction: DROP is 22, KEEP 23.
    let mut prog = [
        ld_abs(libc::BPF_H, 4),                  // 0: A = nlmsg_type
        jeq(be(RTM_NEWROUTE), 1, 0),             // 1: → 3
        jeq(be(RTM_DELROUTE), 0, 2),             // 2: else → 5 (neighbours)
        ld_abs(libc::BPF_B, RTM_PROTOCOL_AT),    // 3: A = rtm_protocol
        jeq(u32::from(crate::PROTOCOL), 17, 18), // 4: ours → DROP, else KEEP
        ld_abs(libc::BPF_H, 4),                  // 5: A = nlmsg_type
        jeq(be(RTM_NEWNEIGH), 1, 0),             // 1: → 3
        jeq(be(RTM_DELNEIGH), 0, 15),            // 2: else KEEP
        ld_abs(libc::BPF_B, 16),                 // 3: A = ndm_family
        jeq(AF_BRIDGE, 0, 3),                    // 4: else → 8
        ld_abs(libc::BPF_B, 26),                 // 5: A = ndm_flags
        ins(
            libc::BPF_ALU | libc::BPF_AND | libc::BPF_K,
            0,
            0,
            NTF_EXT_LEARNED,
        ), // 6
        jeq(NTF_EXT_LEARNED, 9, 10),             // 7: DROP / KEEP
        jeq(AF_INET, 1, 0),                      // 8: → 10
        jeq(AF_INET6, 0, 8),                     // 9: else KEEP
        ins(libc::BPF_LD | libc::BPF_IMM, 0, 0, NDMSG_ATTRS), // 10: A = first attribute
        ins(libc::BPF_LDX | libc::BPF_IMM, 0, 0, NDA_PROTOCOL), // 11: X = NDA_PROTOCOL
        ld_abs(libc::BPF_W, nlattr),             // 12: A = its offset, or 0
        jeq(0, 4, 0),                            // 13: none → KEEP
        ins(libc::BPF_MISC | libc::BPF_TAX, 0, 0, 0), // 14: X = A
        ins(libc::BPF_LD | libc::BPF_B | libc::BPF_IND, 0, 0, 4), // 15: A = its value
        jeq(u32::from(crate::PROTOCOL), 0, 1),   // 16: ours → DROP
        ins(libc::BPF_RET | libc::BPF_K, 0, 0, 0), // 17: DROP
        ins(libc::BPF_RET | libc::BPF_K, 0, 0, u32::MAX), // 18: KEEP
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
mod tests;
