//! PMSI Tunnel attribute (RFC 6514 §5), type 22, as used by EVPN type-3 routes.
//!
//! ```text
//! +---------------------------------+
//! |  Flags (1 octet)                |  0x01 = Leaf Information Required
//! +---------------------------------+
//! |  Tunnel Type (1 octet)          |  6 = Ingress Replication
//! +---------------------------------+
//! |  MPLS Label (3 octets)          |  VXLAN: the VNI, all 24 bits (RFC 8365 §5.1.3)
//! +---------------------------------+
//! |  Tunnel Identifier (variable)   |  Ingress Replication: the VTEP's IP (4 or 16)
//! +---------------------------------+
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::hex::{Hex, ser_hex};
use crate::types::Label3;

pub const INGRESS_REPLICATION: u8 = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelId {
    /// Ingress replication endpoint (tunnel type 6).
    Ip(IpAddr),
    Raw(#[serde(serialize_with = "ser_hex")] Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PmsiTunnel {
    pub flags: u8,
    pub tunnel_type: u8,
    #[serde(serialize_with = "crate::nlri::evpn::ser_label")]
    pub label: Label3,
    pub tunnel_id: TunnelId,
}

/// Tunnel types defined by RFC 6514 §5 and RFC 7524 (0..=7, 0x0B for BIER).
fn known_type(t: u8) -> bool {
    t <= 7 || t == 0x0b
}

impl PmsiTunnel {
    /// The type-3 route's PMSI for VXLAN ingress replication.
    pub fn ingress_replication(vni: crate::types::Vni, vtep: IpAddr) -> PmsiTunnel {
        PmsiTunnel {
            flags: 0,
            tunnel_type: INGRESS_REPLICATION,
            label: Label3::from_vni(vni),
            tunnel_id: TunnelId::Ip(vtep),
        }
    }

    pub(crate) fn decode(v: &[u8]) -> Result<PmsiTunnel, String> {
        if v.len() < 5 {
            return Err(format!(
                "length {} is shorter than the 5-octet fixed part",
                v.len()
            ));
        }
        let (flags, tunnel_type) = (v[0], v[1]);
        if !known_type(tunnel_type) {
            return Err(format!("unknown tunnel type {tunnel_type}"));
        }
        let label = Label3([v[2], v[3], v[4]]);
        let id = &v[5..];
        let tunnel_id = if tunnel_type == INGRESS_REPLICATION {
            match id.len() {
                4 => TunnelId::Ip(IpAddr::V4(Ipv4Addr::new(id[0], id[1], id[2], id[3]))),
                16 => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(id);
                    TunnelId::Ip(IpAddr::V6(Ipv6Addr::from(a)))
                }
                n => {
                    return Err(format!(
                        "ingress replication tunnel id of {n} octets (expected 4 or 16)"
                    ));
                }
            }
        } else {
            TunnelId::Raw(id.to_vec())
        };
        Ok(PmsiTunnel {
            flags,
            tunnel_type,
            label,
            tunnel_id,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        5 + match &self.tunnel_id {
            TunnelId::Ip(IpAddr::V4(_)) => 4,
            TunnelId::Ip(IpAddr::V6(_)) => 16,
            TunnelId::Raw(r) => r.len(),
        }
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.flags);
        out.put_u8(self.tunnel_type);
        out.put_slice(&self.label.0);
        match &self.tunnel_id {
            TunnelId::Ip(IpAddr::V4(a)) => out.put_slice(&a.octets()),
            TunnelId::Ip(IpAddr::V6(a)) => out.put_slice(&a.octets()),
            TunnelId::Raw(r) => out.put_slice(r),
        }
    }
}

impl fmt::Display for PmsiTunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.tunnel_type, &self.tunnel_id) {
            (&INGRESS_REPLICATION, TunnelId::Ip(ip)) => {
                write!(
                    f,
                    "pmsi ingress-replication vni {} endpoint {ip}",
                    self.label.vni()
                )
            }
            (t, TunnelId::Ip(ip)) => write!(f, "pmsi type {t} label {} id {ip}", self.label.raw()),
            (t, TunnelId::Raw(r)) => {
                write!(f, "pmsi type {t} label {} id {}", self.label.raw(), Hex(r))
            }
        }?;
        if self.flags & 1 != 0 {
            f.write_str(" leaf-info-required")?;
        }
        Ok(())
    }
}
