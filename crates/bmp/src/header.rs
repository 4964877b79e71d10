//! The Common Header (RFC 7854 §4.1) and the Per-Peer Header (§4.2, with the
//! Loc-RIB peer type of RFC 9069 §4.1), plus the reader the decoders share.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::error::DecodeError;

/// The only BMP version (RFC 7854 §4.1).
pub const VERSION: u8 = 3;
/// Common Header length: version (1) + message length (4) + type (1).
pub const COMMON_HEADER_LEN: usize = 6;
/// Per-Peer Header length: type, flags, distinguisher (8), address (16),
/// AS (4), BGP ID (4), timestamp (4 + 4).
pub const PEER_HEADER_LEN: usize = 42;
/// Octets of an address field (IPv4 sits in the last four, RFC 7854 §4.2).
pub const ADDRESS_LEN: usize = 16;

/// Message types (RFC 7854 §4.1; 6 Route Mirroring is not sent by evpnd).
pub mod msg_type {
    pub const ROUTE_MONITORING: u8 = 0;
    pub const STATISTICS_REPORT: u8 = 1;
    pub const PEER_DOWN: u8 = 2;
    pub const PEER_UP: u8 = 3;
    pub const INITIATION: u8 = 4;
    pub const TERMINATION: u8 = 5;
}

/// Per-Peer Header flags (RFC 7854 §4.2, RFC 8671 §4, RFC 9069 §4.2).
pub mod flags {
    /// V: the peer address is IPv6.
    pub const V: u8 = 0x80;
    /// L: post-policy Adj-RIB-In (clear: pre-policy).
    pub const L: u8 = 0x40;
    /// A: the UPDATE uses the legacy 2-octet AS_PATH format.
    pub const A: u8 = 0x20;
    /// O: Adj-RIB-Out (RFC 8671).
    pub const O: u8 = 0x10;
    /// F: for the Loc-RIB peer type, the Loc-RIB is filtered (RFC 9069 §4.2).
    pub const F: u8 = 0x80;
}

/// The Common Header, in front of every message.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+
/// |    Version    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                        Message Length                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Msg. Type   |
/// +---------------+
/// Version 3; Message Length counts the whole message, this header included.
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonHeader {
    pub length: u32,
    pub msg_type: u8,
}

impl CommonHeader {
    /// Reads the header at the start of `buf`.
    pub fn decode(buf: &[u8]) -> Result<CommonHeader, DecodeError> {
        let mut r = Reader::new(buf, "common header");
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let length = r.u32()?;
        let msg_type = r.u8()?;
        if (length as usize) < COMMON_HEADER_LEN {
            return Err(DecodeError::Length(length));
        }
        Ok(CommonHeader { length, msg_type })
    }
}

/// Starts a message of `msg_type` at the end of `out`; returns where it
/// starts, for [`finish`].
pub(crate) fn begin(out: &mut BytesMut, msg_type: u8) -> usize {
    let start = out.len();
    out.put_u8(VERSION);
    out.put_u32(0);
    out.put_u8(msg_type);
    start
}

/// Fills in the length of the message begun at `start`.
pub(crate) fn finish(out: &mut BytesMut, start: usize) {
    let len = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
    out[start + 1..start + 5].copy_from_slice(&len.to_be_bytes());
}

/// Peer types (RFC 7854 §4.2, RFC 9069 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PeerType {
    /// 0: a peer of the global instance (the Adj-RIB-In of a neighbour).
    Global,
    /// 1: an RD instance peer.
    Rd,
    /// 2: a local instance peer.
    Local,
    /// 3: the Loc-RIB of this router (RFC 9069).
    LocRib,
    /// Anything else, kept as read.
    Other(u8),
}

impl PeerType {
    pub fn code(self) -> u8 {
        match self {
            PeerType::Global => 0,
            PeerType::Rd => 1,
            PeerType::Local => 2,
            PeerType::LocRib => 3,
            PeerType::Other(c) => c,
        }
    }

    pub fn from_code(c: u8) -> PeerType {
        match c {
            0 => PeerType::Global,
            1 => PeerType::Rd,
            2 => PeerType::Local,
            3 => PeerType::LocRib,
            c => PeerType::Other(c),
        }
    }
}

/// Seconds and microseconds since the Unix epoch, as the Per-Peer Header
/// carries them; zero when unknown (RFC 7854 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize)]
pub struct Timestamp {
    pub secs: u32,
    pub micros: u32,
}

impl Timestamp {
    pub const ZERO: Timestamp = Timestamp { secs: 0, micros: 0 };

    /// A wall-clock time; before 1970 or after 2106 it is zero.
    pub fn from_system(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => match u32::try_from(d.as_secs()) {
                Ok(secs) => Timestamp {
                    secs,
                    micros: d.subsec_micros(),
                },
                Err(_) => Timestamp::ZERO,
            },
            Err(_) => Timestamp::ZERO,
        }
    }
}

/// The Per-Peer Header, after the Common Header of every message but
/// Initiation and Termination.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Peer Type   |  Peer Flags   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Peer Distinguisher (present based on peer type)       |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Peer Address (16 bytes)                       |
/// ~                                                               ~
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Peer AS                             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Peer BGP ID                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Timestamp (seconds)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Timestamp (microseconds)                     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// Flags (peer types 0-2):  0 1 2 3 4 5 6 7
///                         +-+-+-+-+-+-+-+-+
///                         |V|L|A|O| Resv  |
///                         +-+-+-+-+-+-+-+-+
/// Flags (type 3 Loc-RIB): F (filtered) in bit 0, the rest reserved.
/// An IPv4 address sits in the last 4 octets, the first 12 are zero.
/// Loc-RIB (RFC 9069 §4.1): distinguisher 0 for the global table, address
/// zero, AS and BGP ID of the local router.
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeerHeader {
    pub peer_type: PeerType,
    /// The flags octet as sent; the V bit is set from `address` when encoding
    /// peer types other than Loc-RIB.
    pub flags: u8,
    /// Route distinguisher of the instance, raw (0 for the global instance).
    pub distinguisher: u64,
    pub address: IpAddr,
    pub asn: u32,
    pub bgp_id: Ipv4Addr,
    pub timestamp: Timestamp,
}

impl PeerHeader {
    /// A neighbour of the global instance; `flags` carries L, A or O as
    /// needed, V is set from the address.
    pub fn global(
        address: IpAddr,
        asn: u32,
        bgp_id: Ipv4Addr,
        flags: u8,
        timestamp: Timestamp,
    ) -> PeerHeader {
        let v = if address.is_ipv6() { flags::V } else { 0 };
        PeerHeader {
            peer_type: PeerType::Global,
            flags: (flags & !flags::V) | v,
            distinguisher: 0,
            address,
            asn,
            bgp_id,
            timestamp,
        }
    }

    /// This router's own Loc-RIB (RFC 9069 §4.1): unfiltered, global table.
    pub fn loc_rib(asn: u32, bgp_id: Ipv4Addr, timestamp: Timestamp) -> PeerHeader {
        PeerHeader {
            peer_type: PeerType::LocRib,
            flags: 0,
            distinguisher: 0,
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            asn,
            bgp_id,
            timestamp,
        }
    }

    /// Whether the address field holds IPv6 (the V flag; never for Loc-RIB).
    fn v6(peer_type: PeerType, flags: u8) -> bool {
        peer_type != PeerType::LocRib && flags & flags::V != 0
    }

    /// The flags octet as encoded.
    pub fn wire_flags(&self) -> u8 {
        match (self.peer_type, self.address) {
            (PeerType::LocRib, _) => self.flags,
            (_, IpAddr::V6(_)) => self.flags | flags::V,
            (_, IpAddr::V4(_)) => self.flags & !flags::V,
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.peer_type.code());
        out.put_u8(self.wire_flags());
        out.put_u64(self.distinguisher);
        put_address(out, self.address);
        out.put_u32(self.asn);
        out.put_slice(&self.bgp_id.octets());
        out.put_u32(self.timestamp.secs);
        out.put_u32(self.timestamp.micros);
    }

    pub fn decode(r: &mut Reader<'_>) -> Result<PeerHeader, DecodeError> {
        let peer_type = PeerType::from_code(r.u8()?);
        let flags = r.u8()?;
        let distinguisher = r.u64()?;
        let address = r.address(Self::v6(peer_type, flags))?;
        let asn = r.u32()?;
        let bgp_id = Ipv4Addr::from(r.u32()?);
        let secs = r.u32()?;
        let micros = r.u32()?;
        Ok(PeerHeader {
            peer_type,
            flags,
            distinguisher,
            address,
            asn,
            bgp_id,
            timestamp: Timestamp { secs, micros },
        })
    }

    /// Whether addresses in this peer's messages (Peer Up's local address) are IPv6.
    pub fn is_v6(&self) -> bool {
        Self::v6(self.peer_type, self.wire_flags())
    }
}

/// A 16-octet address field: IPv6 as is, IPv4 in the last 4 octets.
pub(crate) fn put_address(out: &mut BytesMut, a: IpAddr) {
    match a {
        IpAddr::V4(v4) => {
            out.put_bytes(0, ADDRESS_LEN - 4);
            out.put_slice(&v4.octets());
        }
        IpAddr::V6(v6) => out.put_slice(&v6.octets()),
    }
}

/// Reads fields in network order, each short read an error naming `what`.
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { buf, what }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::short(self.what, n, self.buf.len()));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A 16-octet address field.
    pub fn address(&mut self, v6: bool) -> Result<IpAddr, DecodeError> {
        let a: [u8; ADDRESS_LEN] = self.array()?;
        Ok(if v6 {
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            IpAddr::V4(Ipv4Addr::new(a[12], a[13], a[14], a[15]))
        })
    }

    /// One whole BGP message (marker, length, type, body), by its own length.
    pub fn bgp_message(&mut self) -> Result<&'a [u8], DecodeError> {
        let head = self
            .buf
            .get(..evpnd_wire::header::HEADER_LEN)
            .ok_or_else(|| {
                DecodeError::short(self.what, evpnd_wire::header::HEADER_LEN, self.buf.len())
            })?;
        if head[..16].iter().any(|b| *b != 0xff) {
            return Err(DecodeError::Malformed(format!(
                "{}: BGP message without its marker",
                self.what
            )));
        }
        let len = usize::from(u16::from_be_bytes([head[16], head[17]]));
        if len < evpnd_wire::header::HEADER_LEN {
            return Err(DecodeError::Malformed(format!(
                "{}: BGP message length {len} is shorter than its header",
                self.what
            )));
        }
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_header_layout() {
        let mut b = BytesMut::new();
        let s = begin(&mut b, msg_type::INITIATION);
        b.put_slice(&[1, 2]);
        finish(&mut b, s);
        assert_eq!(&b[..], &[3, 0, 0, 0, 8, 4, 1, 2]);
        assert_eq!(
            CommonHeader::decode(&b),
            Ok(CommonHeader {
                length: 8,
                msg_type: 4
            })
        );
        assert_eq!(
            CommonHeader::decode(&[2, 0, 0, 0, 6, 4]),
            Err(DecodeError::Version(2))
        );
        assert_eq!(
            CommonHeader::decode(&[3, 0, 0, 0, 5, 4]),
            Err(DecodeError::Length(5))
        );
    }

    #[test]
    fn peer_header_ipv4_global_by_hand() {
        let h = PeerHeader::global(
            "10.0.0.2".parse().unwrap(),
            65001,
            Ipv4Addr::new(10, 0, 0, 2),
            flags::L,
            Timestamp {
                secs: 0x01020304,
                micros: 5,
            },
        );
        let mut b = BytesMut::new();
        h.encode(&mut b);
        let mut want = vec![0u8, 0x40];
        want.extend([0; 8]);
        want.extend([0; 12]);
        want.extend([10, 0, 0, 2]);
        want.extend(65001u32.to_be_bytes());
        want.extend([10, 0, 0, 2]);
        want.extend([1, 2, 3, 4, 0, 0, 0, 5]);
        assert_eq!(&b[..], &want[..]);
        assert_eq!(b.len(), PEER_HEADER_LEN);
        let back = PeerHeader::decode(&mut Reader::new(&b, "t")).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn peer_header_ipv6_sets_v_and_loc_rib_keeps_f() {
        let h = PeerHeader::global(
            "2001:db8::1".parse().unwrap(),
            1,
            Ipv4Addr::new(1, 1, 1, 1),
            0,
            Timestamp::ZERO,
        );
        let mut b = BytesMut::new();
        h.encode(&mut b);
        assert_eq!(b[1], flags::V);
        assert_eq!(
            &b[10..26],
            &"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets()
        );
        let back = PeerHeader::decode(&mut Reader::new(&b, "t")).unwrap();
        assert_eq!(back.address, h.address);
        assert!(back.is_v6());

        let mut l = PeerHeader::loc_rib(65000, Ipv4Addr::new(10, 0, 0, 1), Timestamp::ZERO);
        l.flags = flags::F;
        let mut b = BytesMut::new();
        l.encode(&mut b);
        assert_eq!((b[0], b[1]), (3, 0x80));
        assert!(b[2..26].iter().all(|x| *x == 0));
        let back = PeerHeader::decode(&mut Reader::new(&b, "t")).unwrap();
        assert_eq!(back, l);
        assert!(!back.is_v6());
    }

    #[test]
    fn timestamps_from_wall_clock() {
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(
            Timestamp::from_system(t),
            Timestamp {
                secs: 1_700_000_000,
                micros: 123_456
            }
        );
        let early = UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert_eq!(Timestamp::from_system(early), Timestamp::ZERO);
    }
}
