//! Group names to ids, for `[api] socket_group`.

use std::ffi::CString;
use std::io;

/// The first buffer for `getgrnam_r`; doubled on `ERANGE` up to the limit.
const INITIAL_BUFFER: usize = 1024;
const MAX_BUFFER: usize = 1 << 20;

/// The id of group `name`, or `name` itself when it is a number.
pub(crate) fn gid_of(name: &str) -> io::Result<u32> {
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(gid);
    }
    let c = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the name"))?;
    let mut size = INITIAL_BUFFER;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: a zeroed `group` is a valid value to be overwritten.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is to a live local of the right type, and
        // `buf.len()` is the size of `buf`.
        let rc = unsafe {
            libc::getgrnam_r(
                c.as_ptr(),
                &mut grp,
                buf.as_mut_ptr(),
                buf.len(),
                &mut found,
            )
        };
        match rc {
            0 if found.is_null() => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such group (getent group NAME)",
                ));
            }
            0 => return Ok(grp.gr_gid),
            libc::ERANGE if size < MAX_BUFFER => size *= 2,
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_unknown_groups() {
        assert_eq!(gid_of("4242").ok(), Some(4242));
        // Group 0 is "root" on every Linux system.
        assert_eq!(gid_of("root").ok(), Some(0));
        let e = gid_of("evpnd-no-such-group").expect_err("unknown");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
