//! PMSI Tunnel attribute (RFC 6514 §5), type 22, as used by EVPN type-3 routes.
//!
//! ```text
//! +---------------------------------+
//! |  Flags (1 octet)                |  0x01 = Leaf Information Required
//! +---------------------------------+
//! |  Tunnel Type (1 octet)          |  3 PIM-SSM, 4 PIM-SM, 5 BIDIR-PIM tree,
//! |                                 |  6 Ingress Replication
//! +---------------------------------+
//! |  MPLS Label (3 octets)          |  VXLAN: the VNI, all 24 bits (RFC 8365 §5.1.3)
//! +---------------------------------+
//! |  Tunnel Identifier (variable)   |  Ingress Replication: the VTEP's IP (4 or 16)
//! +---------------------------------+  PIM trees: <Sender Address, P-Multicast Group>
//! ```
//!
//! The Tunnel Identifier of the PIM trees (RFC 6514 §5) is two addresses of
//! one family:
//!
//! ```text
//! +---------------------------------+
//! |  Sender Address (4 or 16)       |  the VTEP sending into the tree
//! +---------------------------------+
//! |  P-Multicast Group (4 or 16)    |  the underlay group (RFC 8365 §5.1.3)
//! +---------------------------------+
//! ```
//!
//! Any other length, or another tunnel type, keeps its identifier raw.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use crate::hex::{Hex, ser_hex};
use crate::types::Label3;

/// RFC 6514 §5: a PIM-SSM tree (the group is in the SSM range).
pub const PIM_SSM_TREE: u8 = 3;
/// RFC 6514 §5: a PIM-SM tree (FRR's multicast flood mode).
pub const PIM_SM_TREE: u8 = 4;
/// RFC 6514 §5: a BIDIR-PIM tree.
pub const BIDIR_PIM_TREE: u8 = 5;
pub const INGRESS_REPLICATION: u8 = 6;

/// The fixed part: flags, tunnel type, label.
const FIXED_LEN: usize = 5;
const V4_LEN: usize = 4;
const V6_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelId {
    /// Ingress replication endpoint (tunnel type 6).
    Ip(IpAddr),
    /// A PIM tree (tunnel types 3, 4, 5): `<Sender Address, P-Multicast
    /// Group>`, both of one family.
    Multicast {
        sender: IpAddr,
        group: IpAddr,
    },
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

/// Whether the tunnel type is a PIM tree, whose id is `<sender, group>`.
pub fn is_pim_tree(t: u8) -> bool {
    matches!(t, PIM_SSM_TREE | PIM_SM_TREE | BIDIR_PIM_TREE)
}

/// The name of a tunnel type, as `Display` shows it (`None`: a number).
pub fn type_name(t: u8) -> Option<&'static str> {
    match t {
        PIM_SSM_TREE => Some("pim-ssm"),
        PIM_SM_TREE => Some("pim-sm"),
        BIDIR_PIM_TREE => Some("bidir-pim"),
        INGRESS_REPLICATION => Some("ingress-replication"),
        _ => None,
    }
}

/// A group of the source-specific multicast range: 232.0.0.0/8 (RFC 4607
/// §1) or ff3x::/32 (RFC 4607 §1, RFC 3306 with prefix length 0).
pub fn is_ssm_group(group: IpAddr) -> bool {
    match group {
        IpAddr::V4(a) => a.octets()[0] == 232,
        IpAddr::V6(a) => {
            let s = a.segments();
            s[0] & 0xfff0 == 0xff30 && s[1] == 0
        }
    }
}

fn ip_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        V4_LEN => <[u8; V4_LEN]>::try_from(b)
            .ok()
            .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        V6_LEN => <[u8; V6_LEN]>::try_from(b)
            .ok()
            .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

fn put_ip(out: &mut BytesMut, ip: &IpAddr) {
    match ip {
        IpAddr::V4(a) => out.put_slice(&a.octets()),
        IpAddr::V6(a) => out.put_slice(&a.octets()),
    }
}

fn ip_len(ip: &IpAddr) -> usize {
    match ip {
        IpAddr::V4(_) => V4_LEN,
        IpAddr::V6(_) => V6_LEN,
    }
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

    /// The type-3 route's PMSI for a VNI flooding into an underlay group
    /// (RFC 8365 §5.1.3): a PIM-SSM tree for a group of the SSM range, else
    /// a PIM-SM tree (what FRR accepts besides ingress replication).
    /// `sender` is our VTEP, of the group's family.
    pub fn multicast(vni: crate::types::Vni, sender: IpAddr, group: IpAddr) -> PmsiTunnel {
        PmsiTunnel {
            flags: 0,
            tunnel_type: if is_ssm_group(group) {
                PIM_SSM_TREE
            } else {
                PIM_SM_TREE
            },
            label: Label3::from_vni(vni),
            tunnel_id: TunnelId::Multicast { sender, group },
        }
    }

    pub(crate) fn decode(v: &[u8]) -> Result<PmsiTunnel, String> {
        if v.len() < FIXED_LEN {
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
        let id = &v[FIXED_LEN..];
        let tunnel_id = if tunnel_type == INGRESS_REPLICATION {
            match ip_of(id) {
                Some(ip) => TunnelId::Ip(ip),
                None => {
                    return Err(format!(
                        "ingress replication tunnel id of {} octets (expected 4 or 16)",
                        id.len()
                    ));
                }
            }
        } else if is_pim_tree(tunnel_type) && matches!(id.len(), 8 | 32) {
            let (s, g) = id.split_at(id.len() / 2);
            match (ip_of(s), ip_of(g)) {
                (Some(sender), Some(group)) => TunnelId::Multicast { sender, group },
                _ => TunnelId::Raw(id.to_vec()),
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
        FIXED_LEN
            + match &self.tunnel_id {
                TunnelId::Ip(ip) => ip_len(ip),
                TunnelId::Multicast { sender, group } => ip_len(sender) + ip_len(group),
                TunnelId::Raw(r) => r.len(),
            }
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.flags);
        out.put_u8(self.tunnel_type);
        out.put_slice(&self.label.0);
        match &self.tunnel_id {
            TunnelId::Ip(ip) => put_ip(out, ip),
            TunnelId::Multicast { sender, group } => {
                put_ip(out, sender);
                put_ip(out, group);
            }
            TunnelId::Raw(r) => out.put_slice(r),
        }
    }
}

impl fmt::Display for PmsiTunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.tunnel_type;
        match (type_name(t), &self.tunnel_id) {
            (Some(name), TunnelId::Ip(ip)) if t == INGRESS_REPLICATION => {
                write!(f, "pmsi {name} vni {} endpoint {ip}", self.label.vni())
            }
            (Some(name), TunnelId::Multicast { sender, group }) => write!(
                f,
                "pmsi {name} vni {} sender {sender} group {group}",
                self.label.vni()
            ),
            (_, TunnelId::Ip(ip)) => write!(f, "pmsi type {t} label {} id {ip}", self.label.raw()),
            (_, TunnelId::Multicast { sender, group }) => write!(
                f,
                "pmsi type {t} label {} sender {sender} group {group}",
                self.label.raw()
            ),
            (_, TunnelId::Raw(r)) => {
                write!(f, "pmsi type {t} label {} id {}", self.label.raw(), Hex(r))
            }
        }?;
        if self.flags & 1 != 0 {
            f.write_str(" leaf-info-required")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Vni;

    fn vni() -> Vni {
        Vni::new(100).expect("vni")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn round_trip(p: &PmsiTunnel) -> Vec<u8> {
        let mut out = BytesMut::new();
        p.encode(&mut out);
        assert_eq!(out.len(), p.encoded_len());
        assert_eq!(PmsiTunnel::decode(&out).as_ref(), Ok(p));
        out.to_vec()
    }

    #[test]
    fn multicast_picks_ssm_or_sm_by_group() {
        let s4 = PmsiTunnel::multicast(vni(), ip("10.0.0.1"), ip("232.1.1.1"));
        assert_eq!(s4.tunnel_type, PIM_SSM_TREE);
        let sm4 = PmsiTunnel::multicast(vni(), ip("10.0.0.1"), ip("239.1.1.1"));
        assert_eq!(sm4.tunnel_type, PIM_SM_TREE);
        let s6 = PmsiTunnel::multicast(vni(), ip("2001:db8::1"), ip("ff3e::8000:1"));
        assert_eq!(s6.tunnel_type, PIM_SSM_TREE);
        // ff3e:1:: has a non-zero prefix length field: not the SSM range.
        let sm6 = PmsiTunnel::multicast(vni(), ip("2001:db8::1"), ip("ff3e:1::1"));
        assert_eq!(sm6.tunnel_type, PIM_SM_TREE);
        let sm6 = PmsiTunnel::multicast(vni(), ip("2001:db8::1"), ip("ff0e::1"));
        assert_eq!(sm6.tunnel_type, PIM_SM_TREE);
    }

    #[test]
    fn pim_sm_tree_layout() {
        let p = PmsiTunnel::multicast(vni(), ip("10.0.0.1"), ip("239.1.1.1"));
        assert_eq!(
            round_trip(&p),
            [0, 4, 0, 0, 100, 10, 0, 0, 1, 239, 1, 1, 1],
            "flags, type 4, label = VNI 100, sender, group"
        );
        assert_eq!(
            p.to_string(),
            "pmsi pim-sm vni 100 sender 10.0.0.1 group 239.1.1.1"
        );
        let p6 = PmsiTunnel::multicast(vni(), ip("2001:db8::1"), ip("ff3e::8000:1"));
        assert_eq!(round_trip(&p6).len(), FIXED_LEN + 32);
        assert_eq!(
            p6.to_string(),
            "pmsi pim-ssm vni 100 sender 2001:db8::1 group ff3e::8000:1"
        );
    }

    #[test]
    fn pim_tree_ids_of_other_lengths_stay_raw() {
        // BIDIR-PIM with 5 octets of id, and an 8-octet id of another type.
        let odd = [0, BIDIR_PIM_TREE, 0, 0, 1, 1, 2, 3, 4, 5];
        let p = PmsiTunnel::decode(&odd).expect("decodes");
        assert_eq!(p.tunnel_id, TunnelId::Raw(vec![1, 2, 3, 4, 5]));
        assert_eq!(p.to_string(), "pmsi type 5 label 1 id 0102030405");
        let other = [0, 2, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        let p = PmsiTunnel::decode(&other).expect("decodes");
        assert!(matches!(p.tunnel_id, TunnelId::Raw(_)));
        let bidir = [0, BIDIR_PIM_TREE, 0, 0, 1, 10, 0, 0, 1, 239, 0, 0, 9];
        let p = PmsiTunnel::decode(&bidir).expect("decodes");
        assert_eq!(
            p.tunnel_id,
            TunnelId::Multicast {
                sender: ip("10.0.0.1"),
                group: ip("239.0.0.9")
            }
        );
        assert_eq!(
            p.to_string(),
            "pmsi bidir-pim vni 1 sender 10.0.0.1 group 239.0.0.9"
        );
    }

    fn addr_pair() -> impl proptest::strategy::Strategy<Value = (IpAddr, IpAddr)> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<[u8; 4]>(), any::<[u8; 4]>())
                .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
            (any::<[u8; 16]>(), any::<[u8; 16]>())
                .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b))),
        ]
    }

    proptest::proptest! {
        /// Typed multicast tunnels encode and decode back to themselves.
        #[test]
        fn multicast_round_trips(
            flags: u8,
            t in 3u8..=5,
            label: [u8; 3],
            (sender, group) in addr_pair(),
        ) {
            let p = PmsiTunnel {
                flags,
                tunnel_type: t,
                label: Label3(label),
                tunnel_id: TunnelId::Multicast { sender, group },
            };
            round_trip(&p);
        }

        /// Any bytes that decode encode back to exactly the same bytes.
        #[test]
        fn bytes_round_trip(
            flags: u8,
            t in 0u8..=7,
            label: [u8; 3],
            id in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let mut v = vec![flags, t, label[0], label[1], label[2]];
            v.extend_from_slice(&id);
            if let Ok(p) = PmsiTunnel::decode(&v) {
                let mut out = BytesMut::new();
                p.encode(&mut out);
                proptest::prop_assert_eq!(out.to_vec(), v);
                let typed = matches!(p.tunnel_id, TunnelId::Multicast { .. });
                proptest::prop_assert_eq!(typed, is_pim_tree(t) && matches!(id.len(), 8 | 32));
            }
        }
    }
}
