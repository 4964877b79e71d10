//! The transit receiver's count: which of the workload's /24 prefixes a
//! speaker has announced (and not withdrawn again), read straight off the
//! UPDATE bytes without decoding attributes — cheap enough to leave the
//! receiver's CPU out of the measurement, as ze-perf does.
//!
//! An UPDATE body (RFC 4271 §4.3; RFC 4760 for the MP attributes):
//!
//! ```text
//! | Withdrawn Routes Length (2) | Withdrawn Routes (var)               |
//! | Total Path Attribute Length (2) | Path Attributes (var)            |
//! | NLRI (var, to the end of the message)                              |
//!
//! attribute:      | flags (1) | type (1) | length (1, or 2 if flags & 0x10) | value |
//! MP_REACH (14):  | AFI (2) | SAFI (1) | NH len (1) | next hop | reserved (1) | NLRI |
//! MP_UNREACH (15):| AFI (2) | SAFI (1) | withdrawn NLRI |
//! prefix:         | length in bits (1) | ceil(length / 8) octets |
//! ```
//!
//! Only IPv4 unicast counts (classic fields, or MP attributes with AFI 1
//! SAFI 1); only /24s the workload sent count, so the speaker's own routes
//! (a loopback, connected networks) are ignored. ADD-PATH is not offered by
//! the receiver, so prefixes carry no path identifier.

/// Attribute flag: the length is two octets (RFC 4271 §4.3).
const FLAG_EXTENDED_LENGTH: u8 = 0x10;
const ATTR_MP_REACH: u8 = 14;
const ATTR_MP_UNREACH: u8 = 15;
const AFI_IPV4: u16 = 1;
const SAFI_UNICAST: u8 = 1;
/// Octets of the BGP message header before the body.
pub const HEADER_OCTETS: usize = 19;
/// Message type of an UPDATE (RFC 4271 §4.1).
pub const TYPE_UPDATE: u8 = 2;
/// Message type of a NOTIFICATION.
pub const TYPE_NOTIFICATION: u8 = 3;

/// A bit per /24 of IPv4.
struct Bitmap(Vec<u64>);

impl Bitmap {
    fn new() -> Bitmap {
        Bitmap(vec![0; (1 << 24) / 64])
    }
    fn get(&self, i: u32) -> bool {
        self.0[(i >> 6) as usize] & (1 << (i & 63)) != 0
    }
    /// Sets bit `i` to `on`; whether it changed.
    fn set(&mut self, i: u32, on: bool) -> bool {
        let w = &mut self.0[(i >> 6) as usize];
        let bit = 1u64 << (i & 63);
        let was = *w & bit != 0;
        if on {
            *w |= bit;
        } else {
            *w &= !bit;
        }
        was != on
    }
}

/// What the receiver holds of the workload.
pub struct Tally {
    wanted: Bitmap,
    held: Bitmap,
    /// Workload prefixes currently announced to the receiver.
    pub held_count: usize,
    /// Workload prefixes announced again while already held (duplicates).
    pub repeats: usize,
}

impl Tally {
    /// A tally of the workload `prefixes` (/24 indexes, see `unicast::prefixes`).
    pub fn new(prefixes: &[u32]) -> Tally {
        let mut wanted = Bitmap::new();
        for &p in prefixes {
            wanted.set(p, true);
        }
        Tally {
            wanted,
            held: Bitmap::new(),
            held_count: 0,
            repeats: 0,
        }
    }

    /// Applies one UPDATE body (the message without its 19-octet header).
    pub fn update(&mut self, body: &[u8]) -> Result<(), String> {
        let wlen = be16(body, 0)? as usize;
        let withdrawn = slice(body, 2, wlen)?;
        self.prefixes(withdrawn, false)?;
        let alen = be16(body, 2 + wlen)? as usize;
        let attrs = slice(body, 4 + wlen, alen)?;
        let nlri = &body[4 + wlen + alen..];
        let mut at = 0;
        while at < attrs.len() {
            let flags = *attrs.get(at).ok_or("attribute flags truncated")?;
            let code = *attrs.get(at + 1).ok_or("attribute type truncated")?;
            let (len, hdr) = if flags & FLAG_EXTENDED_LENGTH != 0 {
                (be16(attrs, at + 2)? as usize, 4)
            } else {
                (
                    *attrs.get(at + 2).ok_or("attribute length truncated")? as usize,
                    3,
                )
            };
            let v = slice(attrs, at + hdr, len)?;
            match code {
                ATTR_MP_REACH if is_ipv4_unicast(v)? => {
                    let nh = *v.get(3).ok_or("MP_REACH next hop length missing")? as usize;
                    // AFI, SAFI, next hop length, next hop, reserved octet.
                    let start = 4 + nh + 1;
                    self.prefixes(v.get(start..).ok_or("MP_REACH truncated")?, true)?;
                }
                ATTR_MP_UNREACH if is_ipv4_unicast(v)? => self.prefixes(&v[3..], false)?,
                _ => {}
            }
            at += hdr + len;
        }
        self.prefixes(nlri, true)
    }

    /// Marks each /24 of a run of prefixes announced (`on`) or withdrawn.
    fn prefixes(&mut self, mut run: &[u8], on: bool) -> Result<(), String> {
        while let Some((&bits, rest)) = run.split_first() {
            let n = usize::from(bits).div_ceil(8);
            if bits > 32 || rest.len() < n {
                return Err(format!("bad IPv4 prefix of {bits} bits"));
            }
            if bits == 24 {
                let idx = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]);
                if self.wanted.get(idx) {
                    if self.held.set(idx, on) {
                        if on {
                            self.held_count += 1;
                        } else {
                            self.held_count -= 1;
                        }
                    } else if on {
                        self.repeats += 1;
                    }
                }
            }
            run = &rest[n..];
        }
        Ok(())
    }
}

fn is_ipv4_unicast(v: &[u8]) -> Result<bool, String> {
    Ok(be16(v, 0)? == AFI_IPV4 && *v.get(2).ok_or("MP attribute truncated")? == SAFI_UNICAST)
}

fn be16(b: &[u8], at: usize) -> Result<u16, String> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err(format!("UPDATE truncated at octet {at}")),
    }
}

fn slice(b: &[u8], at: usize, len: usize) -> Result<&[u8], String> {
    b.get(at..at + len)
        .ok_or_else(|| format!("UPDATE field of {len} octets at {at} runs past the end"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unicast::{announcements, prefixes, withdrawals};
    use evpnd_wire::framing::decode_frame;
    use std::net::Ipv4Addr;

    fn apply(t: &mut Tally, mut stream: bytes::BytesMut) -> usize {
        let mut n = 0;
        while let Some(f) = decode_frame(&mut stream, 4096).expect("frame") {
            t.update(&f[HEADER_OCTETS..]).expect("update");
            n += 1;
        }
        n
    }

    #[test]
    fn counts_announcements_then_withdrawals() {
        let p = prefixes(5000, 42);
        let mut t = Tally::new(&p);
        let (a, msgs) = announcements(&p, 3, 65001, Ipv4Addr::new(10, 3, 0, 2));
        assert_eq!(apply(&mut t, a.clone()), msgs);
        assert_eq!(t.held_count, 5000);
        assert_eq!(t.repeats, 0);
        apply(&mut t, a);
        assert_eq!((t.held_count, t.repeats), (5000, 5000));
        let (w, _) = withdrawals(&p[..1234]);
        apply(&mut t, w);
        assert_eq!(t.held_count, 5000 - 1234);
    }

    #[test]
    fn ignores_prefixes_not_sent() {
        let p = prefixes(2000, 1);
        let mut t = Tally::new(&p[..1000]);
        let (a, _) = announcements(&p, 1, 65001, Ipv4Addr::new(10, 3, 0, 2));
        apply(&mut t, a);
        assert_eq!(t.held_count, 1000);
    }

    #[test]
    fn counts_mp_reach_ipv4_unicast() {
        // MP_REACH_NLRI (AFI 1, SAFI 1, next hop 10.3.0.1) with 203.0.113.0/24
        // and MP_UNREACH_NLRI with 198.51.100.0/24.
        let a = [203u32 << 16 | 113, 198 << 16 | 51 << 8 | 100];
        let mut t = Tally::new(&a);
        let reach = [0x90, 14, 0, 13, 0, 1, 1, 4, 10, 3, 0, 1, 0, 24, 203, 0, 113];
        let mut body = vec![0, 0, 0, reach.len() as u8];
        body.extend_from_slice(&reach);
        t.update(&body).expect("reach");
        assert_eq!(t.held_count, 1);
        let mut body2 = vec![0, 4, 24, 198, 51, 100, 0, 0];
        body2.extend_from_slice(&[24, 198, 51, 100]);
        t.update(&body2).expect("classic withdraw then announce");
        assert_eq!(t.held_count, 2);
        let unreach = [0x80, 15, 7, 0, 1, 1, 24, 203, 0, 113];
        let mut body3 = vec![0, 0, 0, unreach.len() as u8];
        body3.extend_from_slice(&unreach);
        t.update(&body3).expect("unreach");
        assert_eq!(t.held_count, 1);
    }

    #[test]
    fn refuses_truncated_updates() {
        let mut t = Tally::new(&[]);
        assert!(t.update(&[0]).is_err());
        assert!(t.update(&[0, 5, 24]).is_err());
        assert!(t.update(&[0, 0, 0, 0, 24, 1]).is_err());
        assert!(t.update(&[0, 0, 0, 3, 0x40, 1, 5]).is_err());
    }
}
