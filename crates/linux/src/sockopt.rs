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
