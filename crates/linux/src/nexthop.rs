//! Kernel nexthop objects (`RTM_NEWNEXTHOP`, Linux ≥ 5.3): a small encoder
//! and decoder, since `netlink-packet-route` 0.34 has no such message.
//!
//! ```text
//! struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }   16 octets
//!   type RTM_NEWNEXTHOP 104, RTM_DELNEXTHOP 105, RTM_GETNEXTHOP 106
//! struct nhmsg    { u8 nh_family; u8 nh_scope; u8 nh_protocol; u8 resvd;
//!                   u32 nh_flags; }                                      8 octets
//! struct nlattr   { u16 len; u16 type; value }   4-octet aligned, after nhmsg
//!   NHA_ID        1  u32        the object's id (chosen by the writer)
//!   NHA_GROUP     2  struct nexthop_grp { u32 id; u8 weight; u8 weight_high;
//!                                         u16 resvd2; } × members (8 octets each)
//!   NHA_GROUP_TYPE 3 u16        0 = multipath (hash-threshold)
//!   NHA_BLACKHOLE 4  flag       (no value)
//!   NHA_OIF       5  u32        the device
//!   NHA_GATEWAY   6  4 or 16 octets (nh_family AF_INET / AF_INET6)
//! ```
//!
//! A single nexthop has a family, `NHA_OIF` and `NHA_GATEWAY`; evpnd writes
//! it with `RTNH_F_ONLINK` in `nh_flags` (the VTEP is not on the SVI's
//! subnet) and protocol 245. A group has `nh_family` AF_UNSPEC and
//! `NHA_GROUP`; its members must exist first. A delete needs only `NHA_ID`.

use std::net::IpAddr;

/// `RTM_NEWNEXTHOP`.
pub const RTM_NEWNEXTHOP: u16 = 104;
/// `RTM_DELNEXTHOP`.
pub const RTM_DELNEXTHOP: u16 = 105;
/// `RTM_GETNEXTHOP`.
pub const RTM_GETNEXTHOP: u16 = 106;
/// `RTNH_F_ONLINK`: the gateway is reachable on the device without a route.
pub const RTNH_F_ONLINK: u32 = 4;

const NHMSG_LEN: usize = 8;
const NHA_ID: u16 = 1;
const NHA_GROUP: u16 = 2;
const NHA_BLACKHOLE: u16 = 4;
const NHA_OIF: u16 = 5;
const NHA_GATEWAY: u16 = 6;
const AF_UNSPEC: u8 = 0;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
/// `RT_SCOPE_UNIVERSE`.
const SCOPE_UNIVERSE: u8 = 0;
/// `struct nexthop_grp`.
const GROUP_ENTRY_LEN: usize = 8;

/// What a nexthop object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `via gateway dev oif` (with the flags of [`Nexthop::flags`]).
    Hop {
        gateway: IpAddr,
        oif: u32,
    },
    /// A multipath group of the member ids (weight 1 each).
    Group(Vec<u32>),
    Blackhole,
    /// Anything else (an encapsulation, a device-only nexthop, ...).
    Other,
}

/// One nexthop object, as written or dumped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nexthop {
    pub id: u32,
    pub protocol: u8,
    pub flags: u32,
    pub body: Body,
}

/// Why a nexthop message did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Short,
    NoId,
    BadGateway(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Short => f.write_str("nexthop message shorter than nhmsg"),
            DecodeError::NoId => f.write_str("nexthop message without NHA_ID"),
            DecodeError::BadGateway(n) => write!(f, "NHA_GATEWAY of {n} octets"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = 4 + value.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The payload (nhmsg and attributes, no nlmsghdr) of an `RTM_NEWNEXTHOP`.
pub fn encode_new(nh: &Nexthop) -> Vec<u8> {
    let family = match &nh.body {
        Body::Hop {
            gateway: IpAddr::V4(_),
            ..
        } => AF_INET,
        Body::Hop {
            gateway: IpAddr::V6(_),
            ..
        } => AF_INET6,
        _ => AF_UNSPEC,
    };
    let mut out = vec![family, SCOPE_UNIVERSE, nh.protocol, 0];
    let flags = match nh.body {
        Body::Hop { .. } => nh.flags,
        _ => 0,
    };
    out.extend_from_slice(&flags.to_ne_bytes());
    attr(&mut out, NHA_ID, &nh.id.to_ne_bytes());
    match &nh.body {
        Body::Hop { gateway, oif } => {
            attr(&mut out, NHA_OIF, &oif.to_ne_bytes());
            match gateway {
                IpAddr::V4(a) => attr(&mut out, NHA_GATEWAY, &a.octets()),
                IpAddr::V6(a) => attr(&mut out, NHA_GATEWAY, &a.octets()),
            }
        }
        Body::Group(members) => {
            let mut v = Vec::with_capacity(members.len() * GROUP_ENTRY_LEN);
            for m in members {
                v.extend_from_slice(&m.to_ne_bytes());
                v.extend_from_slice(&[0, 0, 0, 0]); // weight 1 (stored minus one), resvd
            }
            attr(&mut out, NHA_GROUP, &v);
        }
        Body::Blackhole => attr(&mut out, NHA_BLACKHOLE, &[]),
        Body::Other => {}
    }
    out
}

/// The payload of an `RTM_DELNEXTHOP` of `id`.
pub fn encode_del(id: u32) -> Vec<u8> {
    let mut out = vec![0u8; NHMSG_LEN];
    attr(&mut out, NHA_ID, &id.to_ne_bytes());
    out
}

/// The payload of an `RTM_GETNEXTHOP` dump request (strict checking wants
/// an all-zero nhmsg and no attributes).
pub fn encode_dump() -> Vec<u8> {
    vec![0u8; NHMSG_LEN]
}

/// Decodes the payload (after the nlmsghdr) of an `RTM_NEWNEXTHOP`.
pub fn decode(payload: &[u8]) -> Result<Nexthop, DecodeError> {
    if payload.len() < NHMSG_LEN {
        return Err(DecodeError::Short);
    }
    let family = payload[0];
    let protocol = payload[2];
    let flags = u32::from_ne_bytes([payload[4], payload[5], payload[6], payload[7]]);
    let (mut id, mut oif, mut gateway, mut group, mut blackhole) = (None, None, None, None, false);
    let mut at = NHMSG_LEN;
    while payload.len() >= at + 4 {
        let len = usize::from(u16::from_ne_bytes([payload[at], payload[at + 1]]));
        let kind = u16::from_ne_bytes([payload[at + 2], payload[at + 3]]) & 0x3fff;
        if len < 4 || at + len > payload.len() {
            break;
        }
        let v = &payload[at + 4..at + len];
        let u32_of = |v: &[u8]| <[u8; 4]>::try_from(v).ok().map(u32::from_ne_bytes);
        match kind {
            NHA_ID => id = u32_of(v),
            NHA_OIF => oif = u32_of(v),
            NHA_GATEWAY => {
                let g = match (family, v.len()) {
                    (AF_INET, 4) => <[u8; 4]>::try_from(v).map(IpAddr::from).ok(),
                    (AF_INET6, 16) => <[u8; 16]>::try_from(v).map(IpAddr::from).ok(),
                    _ => None,
                };
                gateway = Some(g.ok_or(DecodeError::BadGateway(v.len()))?);
            }
            NHA_GROUP => {
                group = Some(
                    v.chunks_exact(GROUP_ENTRY_LEN)
                        .filter_map(|e| u32_of(&e[..4]))
                        .collect::<Vec<u32>>(),
                );
            }
            NHA_BLACKHOLE => blackhole = true,
            _ => {}
        }
        at += (len + 3) & !3;
    }
    let body = match (group, gateway, oif) {
        (Some(g), _, _) => Body::Group(g),
        (None, Some(gateway), Some(oif)) => Body::Hop { gateway, oif },
        _ if blackhole => Body::Blackhole,
        _ => Body::Other,
    };
    Ok(Nexthop {
        id: id.ok_or(DecodeError::NoId)?,
        protocol,
        flags,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The octets of `ip nexthop add id 7 via 10.0.0.2 dev <ifindex 3>
    /// onlink proto 245`: nhmsg, then NHA_ID, NHA_OIF, NHA_GATEWAY.
    #[test]
    fn a_hop_encodes_as_iproute2_writes_it_and_decodes_back() {
        let nh = Nexthop {
            id: 7,
            protocol: 245,
            flags: RTNH_F_ONLINK,
            body: Body::Hop {
                gateway: "10.0.0.2".parse().expect("ip"),
                oif: 3,
            },
        };
        let b = encode_new(&nh);
        #[rustfmt::skip]
        let want: Vec<u8> = [
            vec![2, 0, 245, 0], 4u32.to_ne_bytes().to_vec(),
            8u16.to_ne_bytes().to_vec(), 1u16.to_ne_bytes().to_vec(), 7u32.to_ne_bytes().to_vec(),
            8u16.to_ne_bytes().to_vec(), 5u16.to_ne_bytes().to_vec(), 3u32.to_ne_bytes().to_vec(),
            8u16.to_ne_bytes().to_vec(), 6u16.to_ne_bytes().to_vec(), vec![10, 0, 0, 2],
        ].concat();
        assert_eq!(b, want);
        assert_eq!(decode(&b), Ok(nh));
    }

    #[test]
    fn groups_and_v6_hops_round_trip_and_garbage_is_refused() {
        let g = Nexthop {
            id: 9,
            protocol: 245,
            flags: 0,
            body: Body::Group(vec![7, 8]),
        };
        let b = encode_new(&g);
        assert_eq!(b[0], AF_UNSPEC);
        assert_eq!(decode(&b), Ok(g));
        let v6 = Nexthop {
            id: 10,
            protocol: 245,
            flags: RTNH_F_ONLINK,
            body: Body::Hop {
                gateway: "::ffff:10.0.0.2".parse().expect("ip"),
                oif: 3,
            },
        };
        assert_eq!(decode(&encode_new(&v6)), Ok(v6));
        assert_eq!(decode(&[2, 0, 0]), Err(DecodeError::Short));
        assert_eq!(decode(&encode_dump()), Err(DecodeError::NoId));
        // An AF_INET nexthop with a 16-octet gateway.
        let mut bad = encode_new(&Nexthop {
            id: 1,
            protocol: 0,
            flags: 0,
            body: Body::Hop {
                gateway: "2001:db8::1".parse().expect("ip"),
                oif: 1,
            },
        });
        bad[0] = AF_INET;
        assert_eq!(decode(&bad), Err(DecodeError::BadGateway(16)));
        let del = encode_del(5);
        assert_eq!(decode(&del).map(|n| n.id), Ok(5));
    }
}
