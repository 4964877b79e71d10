//! Value types shared by every part of the codec (and by the rest of evpnd):
//! address families, MAC addresses, route distinguishers, ESIs, route targets,
//! the VNI and the MPLS label.
//!
//! Every type here has a canonical text form (`Display`) and parses it back
//! (`FromStr`), so configuration, the API and the CLI all speak the same syntax.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Error returned by the `FromStr` impls in this module: what was wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn perr<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Address Family Identifier (IANA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Afi(pub u16);

impl Afi {
    pub const IPV4: Afi = Afi(1);
    pub const IPV6: Afi = Afi(2);
    pub const L2VPN: Afi = Afi(25);
}

/// Subsequent Address Family Identifier (IANA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Safi(pub u8);

impl Safi {
    pub const UNICAST: Safi = Safi(1);
    pub const EVPN: Safi = Safi(70);
}

/// An (AFI, SAFI) pair. The three families evpnd speaks have constants;
/// any other pair is carried as-is (capabilities, End-of-RIB, raw NLRI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Family {
    pub afi: Afi,
    pub safi: Safi,
}

impl Family {
    pub const IPV4_UNICAST: Family = Family::new(Afi::IPV4, Safi::UNICAST);
    pub const IPV6_UNICAST: Family = Family::new(Afi::IPV6, Safi::UNICAST);
    pub const L2VPN_EVPN: Family = Family::new(Afi::L2VPN, Safi::EVPN);

    pub const fn new(afi: Afi, safi: Safi) -> Self {
        Family { afi, safi }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Family::IPV4_UNICAST => f.write_str("ipv4-unicast"),
            Family::IPV6_UNICAST => f.write_str("ipv6-unicast"),
            Family::L2VPN_EVPN => f.write_str("l2vpn-evpn"),
            Family { afi, safi } => write!(f, "afi{}-safi{}", afi.0, safi.0),
        }
    }
}

impl FromStr for Family {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "ipv4-unicast" | "ipv4" => Ok(Family::IPV4_UNICAST),
            "ipv6-unicast" | "ipv6" => Ok(Family::IPV6_UNICAST),
            "l2vpn-evpn" | "evpn" => Ok(Family::L2VPN_EVPN),
            other => perr(format!(
                "unknown address family {other:?} (expected ipv4-unicast, ipv6-unicast or l2vpn-evpn)"
            )),
        }
    }
}

/// A 48-bit IEEE MAC address. Text form `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const ZERO: MacAddr = MacAddr([0; 6]);
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return perr(format!(
                "invalid MAC address {s:?}: expected six hex octets like 02:00:00:00:00:01"
            ));
        }
        let mut out = [0u8; 6];
        for (o, p) in out.iter_mut().zip(parts) {
            if p.is_empty() || p.len() > 2 {
                return perr(format!(
                    "invalid MAC address {s:?}: octet {p:?} is not 1-2 hex digits"
                ));
            }
            *o = u8::from_str_radix(p, 16)
                .map_err(|_| ParseError(format!("invalid MAC address {s:?}: {p:?} is not hex")))?;
        }
        Ok(MacAddr(out))
    }
}

/// A VXLAN Network Identifier: 24 bits.
///
/// In VXLAN EVPN (RFC 8365 §5.1.3) the 3-octet MPLS label field of an EVPN
/// NLRI or PMSI attribute carries the *whole* 24-bit VNI, not a 20-bit label
/// shifted left by 4. Keep this type distinct from [`MplsLabel`] so the two
/// readings of the same three octets can never be confused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Vni(u32);

impl Vni {
    pub const MAX: u32 = 0x00ff_ffff;
    /// `None` when `v` does not fit in 24 bits.
    pub const fn new(v: u32) -> Option<Vni> {
        if v <= Self::MAX { Some(Vni(v)) } else { None }
    }
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Vni {
    type Error = ParseError;
    fn try_from(v: u32) -> Result<Self, ParseError> {
        Vni::new(v).ok_or_else(|| ParseError(format!("VNI {v} out of range (1..=16777215)")))
    }
}

impl From<Vni> for u32 {
    fn from(v: Vni) -> u32 {
        v.0
    }
}

impl fmt::Display for Vni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Vni {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let v: u32 = s
            .trim()
            .parse()
            .map_err(|_| ParseError(format!("invalid VNI {s:?}: not a number")))?;
        Vni::try_from(v)
    }
}

/// The raw 3-octet label field of an EVPN NLRI / PMSI attribute, as on the wire.
/// Read it as a [`Vni`] (VXLAN, the whole 24 bits) or as an [`MplsLabel`]
/// (MPLS, high 20 bits + bottom-of-stack bit).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Label3(pub [u8; 3]);

impl Label3 {
    pub fn raw(self) -> u32 {
        u32::from_be_bytes([0, self.0[0], self.0[1], self.0[2]])
    }
    pub fn from_raw(v: u32) -> Label3 {
        let b = v.to_be_bytes();
        Label3([b[1], b[2], b[3]])
    }
    /// The VXLAN reading: all 24 bits are the VNI.
    pub fn vni(self) -> Vni {
        Vni(self.raw())
    }
    pub fn from_vni(v: Vni) -> Label3 {
        Label3::from_raw(v.get())
    }
    /// The MPLS reading: 20-bit label and bottom-of-stack bit.
    pub fn mpls(self) -> MplsLabel {
        MplsLabel {
            label: self.raw() >> 4,
            bos: self.raw() & 1 == 1,
        }
    }
}

/// A 20-bit MPLS label with its bottom-of-stack bit (RFC 3032), for the
/// MPLS reading of a [`Label3`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MplsLabel {
    pub label: u32,
    pub bos: bool,
}

/// Route Distinguisher (RFC 4364 §4.2): 2-octet type + 6-octet value.
///
/// ```text
///  type 0: | 0x0000 | 2-octet ASN | 4-octet assigned number |
///  type 1: | 0x0001 | IPv4 address (4)  | 2-octet number   |
///  type 2: | 0x0002 | 4-octet ASN       | 2-octet number   |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rd {
    As2 {
        asn: u16,
        number: u32,
    },
    Ipv4 {
        addr: Ipv4Addr,
        number: u16,
    },
    As4 {
        asn: u32,
        number: u16,
    },
    /// Unknown RD type: kept as the full 8 octets.
    Raw([u8; 8]),
}

impl Rd {
    pub fn from_bytes(b: [u8; 8]) -> Rd {
        let t = u16::from_be_bytes([b[0], b[1]]);
        match t {
            0 => Rd::As2 {
                asn: u16::from_be_bytes([b[2], b[3]]),
                number: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            },
            1 => Rd::Ipv4 {
                addr: Ipv4Addr::new(b[2], b[3], b[4], b[5]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            2 => Rd::As4 {
                asn: u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                number: u16::from_be_bytes([b[6], b[7]]),
            },
            _ => Rd::Raw(b),
        }
    }
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut o = [0u8; 8];
        match *self {
            Rd::As2 { asn, number } => {
                o[2..4].copy_from_slice(&asn.to_be_bytes());
                o[4..8].copy_from_slice(&number.to_be_bytes());
            }
            Rd::Ipv4 { addr, number } => {
                o[1] = 1;
                o[2..6].copy_from_slice(&addr.octets());
                o[6..8].copy_from_slice(&number.to_be_bytes());
            }
            Rd::As4 { asn, number } => {
                o[1] = 2;
                o[2..6].copy_from_slice(&asn.to_be_bytes());
                o[6..8].copy_from_slice(&number.to_be_bytes());
            }
            Rd::Raw(b) => o = b,
        }
        o
    }
}

impl fmt::Display for Rd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rd::As2 { asn, number } => write!(f, "{asn}:{number}"),
            Rd::Ipv4 { addr, number } => write!(f, "{addr}:{number}"),
            Rd::As4 { asn, number } => write!(f, "{asn}:{number}"),
            Rd::Raw(b) => {
                f.write_str("raw:")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
        }
    }
}

/// Splits `a:b`, parsing `a` as IPv4 address or AS number and `b` as a number.
/// Shared by [`Rd`] and [`RouteTarget`] (same text syntax, RFC 4364 style).
fn split_admin(s: &str, what: &str) -> Result<(Admin, u64), ParseError> {
    let Some((a, n)) = s.rsplit_once(':') else {
        return perr(format!(
            "invalid {what} {s:?}: expected ASN:NN or A.B.C.D:NN (e.g. 65001:100 or 10.0.0.1:100)"
        ));
    };
    let n: u64 = n
        .parse()
        .map_err(|_| ParseError(format!("invalid {what} {s:?}: {n:?} is not a number")))?;
    let admin =
        if a.contains('.') {
            Admin::Ip(a.parse().map_err(|_| {
                ParseError(format!(
                    "invalid {what} {s:?}: {a:?} is not an IPv4 address"
                ))
            })?)
        } else {
            Admin::As(a.parse().map_err(|_| {
                ParseError(format!("invalid {what} {s:?}: {a:?} is not an AS number"))
            })?)
        };
    Ok((admin, n))
}

enum Admin {
    As(u32),
    Ip(Ipv4Addr),
}

impl FromStr for Rd {
    type Err = ParseError;
    /// `65001:100` (type 0), `10.0.0.1:100` (type 1), `4200000001:100` (type 2,
    /// chosen automatically when the ASN does not fit 16 bits).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (admin, n) = split_admin(s, "route distinguisher")?;
        let too_big = |max: u64| {
            ParseError(format!(
                "invalid route distinguisher {s:?}: number {n} exceeds {max}"
            ))
        };
        match admin {
            Admin::Ip(addr) => Ok(Rd::Ipv4 {
                addr,
                number: u16::try_from(n).map_err(|_| too_big(65535))?,
            }),
            Admin::As(asn) if asn <= 0xffff => Ok(Rd::As2 {
                asn: asn as u16,
                number: u32::try_from(n).map_err(|_| too_big(u32::MAX as u64))?,
            }),
            Admin::As(asn) => Ok(Rd::As4 {
                asn,
                number: u16::try_from(n).map_err(|_| too_big(65535))?,
            }),
        }
    }
}

/// Route target (RFC 4360 §4, RFC 5668): the value part of a route-target
/// extended community, in its three encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteTarget {
    /// Type 0x00: 2-octet global administrator (AS), 4-octet local administrator.
    As2 { asn: u16, value: u32 },
    /// Type 0x01: IPv4 global administrator, 2-octet local administrator.
    Ipv4 { addr: Ipv4Addr, value: u16 },
    /// Type 0x02: 4-octet AS global administrator, 2-octet local administrator.
    As4 { asn: u32, value: u16 },
}

impl RouteTarget {
    /// The local administrator field (where auto-derived RTs keep the VNI).
    pub fn local_admin(&self) -> u32 {
        match *self {
            RouteTarget::As2 { value, .. } => value,
            RouteTarget::Ipv4 { value, .. } | RouteTarget::As4 { value, .. } => value as u32,
        }
    }
}

impl fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteTarget::As2 { asn, value } => write!(f, "{asn}:{value}"),
            RouteTarget::Ipv4 { addr, value } => write!(f, "{addr}:{value}"),
            RouteTarget::As4 { asn, value } => write!(f, "{asn}:{value}"),
        }
    }
}

impl FromStr for RouteTarget {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (admin, n) = split_admin(s, "route target")?;
        let too_big = |max: u64| {
            ParseError(format!(
                "invalid route target {s:?}: number {n} exceeds {max}"
            ))
        };
        match admin {
            Admin::Ip(addr) => Ok(RouteTarget::Ipv4 {
                addr,
                value: u16::try_from(n).map_err(|_| too_big(65535))?,
            }),
            Admin::As(asn) if asn <= 0xffff => Ok(RouteTarget::As2 {
                asn: asn as u16,
                value: u32::try_from(n).map_err(|_| too_big(u32::MAX as u64))?,
            }),
            Admin::As(asn) => Ok(RouteTarget::As4 {
                asn,
                value: u16::try_from(n).map_err(|_| too_big(65535))?,
            }),
        }
    }
}

/// Ethernet Segment Identifier (RFC 7432 §5): 1-octet type + 9-octet value.
/// Types 0..=5 are defined; the value is kept as bytes and interpreted by
/// [`Esi::kind`]. The all-zero ESI means "single-homed".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Esi(pub [u8; 10]);

/// The typed reading of an [`Esi`] (RFC 7432 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EsiKind {
    /// Type 0: arbitrary 9-octet value.
    Arbitrary([u8; 9]),
    /// Type 1: LACP system MAC + port key.
    Lacp { system_mac: MacAddr, port_key: u16 },
    /// Type 2: bridge root MAC + root priority.
    Bridge { root_mac: MacAddr, priority: u16 },
    /// Type 3: system MAC + 3-octet local discriminator.
    Mac {
        system_mac: MacAddr,
        discriminator: u32,
    },
    /// Type 4: router ID + 4-octet local discriminator.
    RouterId {
        router_id: Ipv4Addr,
        discriminator: u32,
    },
    /// Type 5: AS number + 4-octet local discriminator.
    As { asn: u32, discriminator: u32 },
    /// Any other type octet.
    Unknown { esi_type: u8, value: [u8; 9] },
}

impl Esi {
    pub const ZERO: Esi = Esi([0; 10]);
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 10]
    }
    pub fn kind(&self) -> EsiKind {
        let b = &self.0;
        let mac = |i: usize| MacAddr([b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]]);
        let u16at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let u32at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut v = [0u8; 9];
        v.copy_from_slice(&b[1..]);
        match b[0] {
            0 => EsiKind::Arbitrary(v),
            1 => EsiKind::Lacp {
                system_mac: mac(1),
                port_key: u16at(7),
            },
            2 => EsiKind::Bridge {
                root_mac: mac(1),
                priority: u16at(7),
            },
            3 => EsiKind::Mac {
                system_mac: mac(1),
                discriminator: u32::from_be_bytes([0, b[7], b[8], b[9]]),
            },
            4 => EsiKind::RouterId {
                router_id: Ipv4Addr::new(b[1], b[2], b[3], b[4]),
                discriminator: u32at(5),
            },
            5 => EsiKind::As {
                asn: u32at(1),
                discriminator: u32at(5),
            },
            t => EsiKind::Unknown {
                esi_type: t,
                value: v,
            },
        }
    }
}

impl fmt::Display for Esi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{x:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Esi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Esi {
    type Err = ParseError;
    /// Ten colon-separated hex octets, or `0` for the all-zero ESI.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s == "0" {
            return Ok(Esi::ZERO);
        }
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 10 {
            return perr(format!(
                "invalid ESI {s:?}: expected ten hex octets separated by ':'"
            ));
        }
        let mut out = [0u8; 10];
        for (o, p) in out.iter_mut().zip(parts) {
            *o = u8::from_str_radix(p, 16)
                .map_err(|_| ParseError(format!("invalid ESI {s:?}: {p:?} is not hex")))?;
        }
        Ok(Esi(out))
    }
}

macro_rules! serde_via_str {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
serde_via_str!(MacAddr, Rd, RouteTarget, Esi);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rd_text_and_bytes_round_trip() {
        for s in ["65001:100", "10.0.0.11:7", "4200000001:5"] {
            let rd: Rd = s.parse().expect("valid rd");
            assert_eq!(rd.to_string(), s);
            assert_eq!(Rd::from_bytes(rd.to_bytes()), rd);
        }
        assert_eq!(
            Rd::Ipv4 {
                addr: Ipv4Addr::new(172, 21, 64, 20),
                number: 2
            }
            .to_bytes(),
            [0, 1, 172, 21, 64, 20, 0, 2]
        );
    }

    #[test]
    fn rd_rejects_garbage_with_reason() {
        let e = "65001".parse::<Rd>().unwrap_err();
        assert!(e.0.contains("expected ASN:NN"), "{e}");
        let e = "10.0.0.1:70000".parse::<Rd>().unwrap_err();
        assert!(e.0.contains("exceeds 65535"), "{e}");
    }

    #[test]
    fn label_reads_as_vni_or_mpls() {
        let l = Label3([0x00, 0x00, 0x64]);
        assert_eq!(l.vni().get(), 100);
        assert_eq!(l.mpls().label, 6);
        assert_eq!(Label3::from_vni(Vni::new(100).expect("fits")), l);
    }

    #[test]
    fn vni_range() {
        assert!(Vni::new(0x00ff_ffff).is_some());
        assert!(Vni::new(0x0100_0000).is_none());
        assert!("16777216".parse::<Vni>().is_err());
    }

    #[test]
    fn mac_and_esi_text() {
        let m: MacAddr = "02:00:00:02:1b:94".parse().expect("mac");
        assert_eq!(m.to_string(), "02:00:00:02:1b:94");
        assert!("02:00:00:02:1b".parse::<MacAddr>().is_err());
        let e: Esi = "05:00:00:fd:e8:00:00:00:01:00".parse().expect("esi");
        assert_eq!(
            e.kind(),
            EsiKind::As {
                asn: 65000,
                discriminator: 1
            }
        );
    }

    #[test]
    fn route_target_local_admin() {
        let rt: RouteTarget = "65001:100".parse().expect("rt");
        assert_eq!(rt.local_admin(), 100);
        let rt: RouteTarget = "4200000001:100".parse().expect("rt");
        assert!(matches!(rt, RouteTarget::As4 { .. }));
    }
}
