//! BGP capabilities (RFC 5492), carried in OPEN optional parameter type 2.
//!
//! ```text
//! +------------------------------+
//! | Capability Code (1 octet)    |
//! +------------------------------+
//! | Capability Length (1 octet)  |
//! +------------------------------+
//! | Capability Value (variable)  |
//! +------------------------------+
//!  1 multiprotocol:    AFI (2) | reserved (1) | SAFI (1)                  RFC 4760
//!  2 route refresh:    (empty)                                            RFC 2918
//!  5 extended nexthop: { NLRI AFI (2) | NLRI SAFI (2) | NH AFI (2) }*     RFC 8950
//!  6 extended message: (empty)                                            RFC 8654
//!  9 BGP role:         role (1)                                           RFC 9234
//! 64 graceful restart: R|N|rsvd|time (2) { AFI (2) | SAFI (1) | flags }*  RFC 4724, 8538
//! 65 4-octet AS:       AS (4)                                             RFC 6793
//! 69 ADD-PATH:         { AFI (2) | SAFI (1) | send/receive (1) }*         RFC 7911
//! 70 enhanced RR:      (empty)                                            RFC 7313
//! 71 long-lived GR:    { AFI (2) | SAFI (1) | flags (1) | stale time (3) }*  RFC 9494
//! 73 FQDN:             hostname len (1) | hostname | domain len (1) | domain  (draft)
//! ```
//! A capability whose value does not fit its layout is kept raw (and
//! reported by `Capability::malformed`), never fatal: the peer may still be
//! usable, and negotiation decides what matters.

use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::hex::{Hex, ser_hex};
use crate::read::Reader;
use crate::types::{Afi, Family, Safi};

pub mod code {
    pub const MULTIPROTOCOL: u8 = 1;
    pub const ROUTE_REFRESH: u8 = 2;
    pub const EXTENDED_NEXT_HOP: u8 = 5;
    pub const EXTENDED_MESSAGE: u8 = 6;
    pub const ROLE: u8 = 9;
    pub const GRACEFUL_RESTART: u8 = 64;
    pub const FOUR_OCTET_AS: u8 = 65;
    pub const ADD_PATH: u8 = 69;
    pub const ENHANCED_ROUTE_REFRESH: u8 = 70;
    pub const LONG_LIVED_GR: u8 = 71;
    pub const FQDN: u8 = 73;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GrFamily {
    pub family: Family,
    /// F bit: forwarding state preserved.
    pub forwarding: bool,
    /// The whole flags octet (F is 0x80), kept for exact re-encoding.
    pub flags: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GracefulRestart {
    /// R bit: the sender has restarted.
    pub restarting: bool,
    /// N bit (RFC 8538): graceful restart also for NOTIFICATIONs.
    pub notification: bool,
    /// Restart time in seconds (12 bits).
    pub restart_time: u16,
    /// The top 4 bits as received (R, N, 2 reserved).
    pub flags: u8,
    pub families: Vec<GrFamily>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LlgrFamily {
    pub family: Family,
    pub flags: u8,
    /// Long-lived stale time, seconds (24 bits).
    pub stale_time: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddPathMode {
    Receive,
    Send,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct AddPathFamily {
    pub family: Family,
    pub mode: AddPathMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ExtNextHop {
    pub afi: Afi,
    /// 2 octets in this capability (RFC 8950 §3).
    pub safi: u16,
    pub next_hop_afi: Afi,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "capability", rename_all = "snake_case")]
pub enum Capability {
    Multiprotocol {
        family: Family,
        reserved: u8,
    },
    RouteRefresh,
    ExtendedNextHop {
        tuples: Vec<ExtNextHop>,
    },
    ExtendedMessage,
    Role {
        role: u8,
    },
    GracefulRestart(GracefulRestart),
    FourOctetAs {
        asn: u32,
    },
    AddPath {
        families: Vec<AddPathFamily>,
    },
    EnhancedRouteRefresh,
    LongLivedGracefulRestart {
        families: Vec<LlgrFamily>,
    },
    Fqdn {
        hostname: String,
        domain: String,
    },
    /// An unknown capability, or a known one whose value did not fit its layout.
    Raw {
        code: u8,
        #[serde(serialize_with = "ser_hex")]
        value: Vec<u8>,
    },
}

fn fam(r: &mut Reader<'_>) -> Option<Family> {
    Some(Family::new(Afi(r.u16()?), Safi(r.u8()?)))
}

fn repeated<T>(
    v: &[u8],
    size: usize,
    mut f: impl FnMut(&mut Reader<'_>) -> Option<T>,
) -> Option<Vec<T>> {
    if !v.len().is_multiple_of(size) {
        return None;
    }
    let mut r = Reader::new(v);
    let mut out = Vec::with_capacity(v.len() / size);
    while !r.is_empty() {
        out.push(f(&mut r)?);
    }
    Some(out)
}

impl Capability {
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol { .. } => code::MULTIPROTOCOL,
            Capability::RouteRefresh => code::ROUTE_REFRESH,
            Capability::ExtendedNextHop { .. } => code::EXTENDED_NEXT_HOP,
            Capability::ExtendedMessage => code::EXTENDED_MESSAGE,
            Capability::Role { .. } => code::ROLE,
            Capability::GracefulRestart(_) => code::GRACEFUL_RESTART,
            Capability::FourOctetAs { .. } => code::FOUR_OCTET_AS,
            Capability::AddPath { .. } => code::ADD_PATH,
            Capability::EnhancedRouteRefresh => code::ENHANCED_ROUTE_REFRESH,
            Capability::LongLivedGracefulRestart { .. } => code::LONG_LIVED_GR,
            Capability::Fqdn { .. } => code::FQDN,
            Capability::Raw { code, .. } => *code,
        }
    }

    pub fn multiprotocol(family: Family) -> Capability {
        Capability::Multiprotocol {
            family,
            reserved: 0,
        }
    }

    /// A capability code evpnd knows but whose value was kept raw: malformed.
    pub fn malformed(&self) -> bool {
        matches!(self, Capability::Raw { code, .. } if matches!(*code, 1 | 2 | 5 | 6 | 9 | 64 | 65 | 69 | 70 | 71 | 73))
    }

    pub fn decode(code: u8, v: &[u8]) -> Capability {
        Self::typed(code, v)
            .filter(|c| c.value_bytes() == v)
            .unwrap_or(Capability::Raw {
                code,
                value: v.to_vec(),
            })
    }

    fn typed(c: u8, v: &[u8]) -> Option<Capability> {
        let mut r = Reader::new(v);
        Some(match c {
            code::MULTIPROTOCOL if v.len() == 4 => {
                let afi = r.u16()?;
                let reserved = r.u8()?;
                Capability::Multiprotocol {
                    family: Family::new(Afi(afi), Safi(r.u8()?)),
                    reserved,
                }
            }
            code::ROUTE_REFRESH if v.is_empty() => Capability::RouteRefresh,
            code::EXTENDED_MESSAGE if v.is_empty() => Capability::ExtendedMessage,
            code::ENHANCED_ROUTE_REFRESH if v.is_empty() => Capability::EnhancedRouteRefresh,
            code::ROLE if v.len() == 1 => Capability::Role { role: v[0] },
            code::FOUR_OCTET_AS if v.len() == 4 => Capability::FourOctetAs { asn: r.u32()? },
            code::EXTENDED_NEXT_HOP => Capability::ExtendedNextHop {
                tuples: repeated(v, 6, |r| {
                    Some(ExtNextHop {
                        afi: Afi(r.u16()?),
                        safi: r.u16()?,
                        next_hop_afi: Afi(r.u16()?),
                    })
                })?,
            },
            code::GRACEFUL_RESTART if v.len() >= 2 => {
                let hdr = r.u16()?;
                let families = repeated(r.rest(), 4, |r| {
                    let family = fam(r)?;
                    let flags = r.u8()?;
                    Some(GrFamily {
                        family,
                        forwarding: flags & 0x80 != 0,
                        flags,
                    })
                })?;
                Capability::GracefulRestart(GracefulRestart {
                    restarting: hdr & 0x8000 != 0,
                    notification: hdr & 0x4000 != 0,
                    restart_time: hdr & 0x0fff,
                    flags: (hdr >> 12) as u8,
                    families,
                })
            }
            code::ADD_PATH => Capability::AddPath {
                families: repeated(v, 4, |r| {
                    let family = fam(r)?;
                    let mode = match r.u8()? {
                        1 => AddPathMode::Receive,
                        2 => AddPathMode::Send,
                        3 => AddPathMode::Both,
                        _ => return None,
                    };
                    Some(AddPathFamily { family, mode })
                })?,
            },
            code::LONG_LIVED_GR => Capability::LongLivedGracefulRestart {
                families: repeated(v, 7, |r| {
                    let family = fam(r)?;
                    let flags = r.u8()?;
                    let t = r.array::<3>()?;
                    Some(LlgrFamily {
                        family,
                        flags,
                        stale_time: u32::from_be_bytes([0, t[0], t[1], t[2]]),
                    })
                })?,
            },
            code::FQDN => {
                let hl = usize::from(r.u8()?);
                let hostname = String::from_utf8(r.bytes(hl)?.to_vec()).ok()?;
                let dl = usize::from(r.u8()?);
                let domain = String::from_utf8(r.bytes(dl)?.to_vec()).ok()?;
                if !r.is_empty() {
                    return None;
                }
                Capability::Fqdn { hostname, domain }
            }
            _ => return None,
        })
    }

    fn value_bytes(&self) -> Vec<u8> {
        let mut o = BytesMut::new();
        self.encode_value(&mut o);
        o.to_vec()
    }

    fn encode_value(&self, o: &mut BytesMut) {
        let put_fam = |o: &mut BytesMut, f: &Family| {
            o.put_u16(f.afi.0);
            o.put_u8(f.safi.0);
        };
        match self {
            Capability::Multiprotocol { family, reserved } => {
                o.put_u16(family.afi.0);
                o.put_u8(*reserved);
                o.put_u8(family.safi.0);
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh => {}
            Capability::Role { role } => o.put_u8(*role),
            Capability::FourOctetAs { asn } => o.put_u32(*asn),
            Capability::ExtendedNextHop { tuples } => tuples.iter().for_each(|t| {
                o.put_u16(t.afi.0);
                o.put_u16(t.safi);
                o.put_u16(t.next_hop_afi.0);
            }),
            Capability::GracefulRestart(g) => {
                o.put_u16((u16::from(g.flags) << 12) | (g.restart_time & 0x0fff));
                g.families.iter().for_each(|f| {
                    put_fam(o, &f.family);
                    o.put_u8(f.flags);
                });
            }
            Capability::AddPath { families } => families.iter().for_each(|f| {
                put_fam(o, &f.family);
                o.put_u8(match f.mode {
                    AddPathMode::Receive => 1,
                    AddPathMode::Send => 2,
                    AddPathMode::Both => 3,
                });
            }),
            Capability::LongLivedGracefulRestart { families } => families.iter().for_each(|f| {
                put_fam(o, &f.family);
                o.put_u8(f.flags);
                o.put_slice(&f.stale_time.to_be_bytes()[1..]);
            }),
            Capability::Fqdn { hostname, domain } => {
                o.put_u8(hostname.len().min(255) as u8);
                o.put_slice(&hostname.as_bytes()[..hostname.len().min(255)]);
                o.put_u8(domain.len().min(255) as u8);
                o.put_slice(&domain.as_bytes()[..domain.len().min(255)]);
            }
            Capability::Raw { value, .. } => o.put_slice(value),
        }
    }

    /// Code + length + value.
    pub fn encode(&self, out: &mut BytesMut) {
        let v = self.value_bytes();
        out.put_u8(self.code());
        out.put_u8(v.len().min(255) as u8);
        out.put_slice(&v[..v.len().min(255)]);
    }

    pub fn encoded_len(&self) -> usize {
        2 + self.value_bytes().len().min(255)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::Multiprotocol { family, .. } => write!(f, "multiprotocol {family}"),
            Capability::RouteRefresh => f.write_str("route-refresh"),
            Capability::ExtendedNextHop { tuples } => {
                let t: Vec<String> = tuples
                    .iter()
                    .map(|t| format!("afi{}/safi{} via afi{}", t.afi.0, t.safi, t.next_hop_afi.0))
                    .collect();
                write!(f, "extended-next-hop {}", t.join(", "))
            }
            Capability::ExtendedMessage => f.write_str("extended-message"),
            Capability::Role { role } => {
                let name = ["provider", "rs", "rs-client", "customer", "peer"]
                    .get(usize::from(*role))
                    .copied();
                write!(f, "role {}", name.unwrap_or("unknown"))
            }
            Capability::GracefulRestart(g) => {
                let fams: Vec<String> = g
                    .families
                    .iter()
                    .map(|x| format!("{}{}", x.family, if x.forwarding { " (F)" } else { "" }))
                    .collect();
                write!(
                    f,
                    "graceful-restart time {}{}{} [{}]",
                    g.restart_time,
                    if g.restarting { " R" } else { "" },
                    if g.notification { " N" } else { "" },
                    fams.join(", ")
                )
            }
            Capability::FourOctetAs { asn } => write!(f, "4-octet-as {asn}"),
            Capability::AddPath { families } => {
                let v: Vec<String> = families
                    .iter()
                    .map(|x| format!("{} {:?}", x.family, x.mode).to_lowercase())
                    .collect();
                write!(f, "add-path {}", v.join(", "))
            }
            Capability::EnhancedRouteRefresh => f.write_str("enhanced-route-refresh"),
            Capability::LongLivedGracefulRestart { families } => {
                let v: Vec<String> = families
                    .iter()
                    .map(|x| format!("{} stale {}s", x.family, x.stale_time))
                    .collect();
                write!(f, "long-lived-graceful-restart {}", v.join(", "))
            }
            Capability::Fqdn { hostname, domain } => write!(
                f,
                "fqdn {hostname}{}{domain}",
                if domain.is_empty() { "" } else { "." }
            ),
            Capability::Raw { code, value } => write!(f, "capability {code} raw {}", Hex(value)),
        }
    }
}
