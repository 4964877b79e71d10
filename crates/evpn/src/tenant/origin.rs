//! What a tenant advertises (RFC 9136 §3, RFC 9135 §8, as FRR does).
//!
//! Type 5, one per local prefix (IPv4 34 octets, IPv6 58):
//!
//! ```text
//! RD(8) = vrf_rd | ESI(10) = 0 | Ethernet Tag(4) = 0 | Prefix Len(1)
//! | Prefix(4/16) | Gateway IP(4/16) = 0 | Label(3) = L3VNI
//! ```
//!
//! with next hop = VTEP and the extended communities: the tenant's export
//! RTs, VXLAN encapsulation (RFC 9012 tunnel type 8), Router's MAC
//! (0x06/0x03). Never with an unknown or all-zero Router's MAC: held until
//! the L3 SVI's MAC is known.
//!
//! The MAC+IP routes of the hosts of the tenant's L2VNIs (not IPv6 link
//! local) get the L3 attributes ([`L3Attrs`]): Label2 = L3VNI, the tenant's
//! export RTs after the VNI's, and the Router's MAC.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use evpnd_wire::attr::ExtCommunity;
use evpnd_wire::nlri::evpn::{EvpnRoute, IpPrefix};
use evpnd_wire::{Esi, Label3, MacAddr, RouteTarget, Vni};
use ipnet::IpNet;

use super::{Local, Tenant};
use crate::origin::base_attrs;
use crate::{Originated, Output};

/// The L3 part of a host's MAC+IP route (symmetric IRB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L3Attrs {
    pub l3vni: Vni,
    pub rts: Vec<RouteTarget>,
    pub rmac: MacAddr,
}

impl L3Attrs {
    /// Whether a host address gets them: not IPv6 link-local (FRR sends
    /// those without label 2, Router's MAC or VRF route targets).
    pub fn applies(ip: IpAddr) -> bool {
        !matches!(ip, IpAddr::V6(a) if a.is_unicast_link_local())
    }
}

fn zero_gateway(prefix: &IpNet) -> IpAddr {
    match prefix {
        IpNet::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpNet::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

impl Tenant {
    /// The L3 attributes for our hosts' MAC+IP routes (`None`: the tenant
    /// does not originate: L3VNI down or Router's MAC unknown).
    pub fn l3_attrs(&self) -> Option<L3Attrs> {
        let (rmac, _) = self.originating()?;
        Some(L3Attrs {
            l3vni: self.l3vni,
            rts: self.export_rts.clone(),
            rmac,
        })
    }

    /// The type-5 route of a local prefix.
    pub fn ip_prefix(&self, prefix: IpNet, rmac: MacAddr, vtep: IpAddr) -> Originated {
        Originated {
            route: EvpnRoute::IpPrefix(IpPrefix {
                rd: self.rd,
                esi: Esi::ZERO,
                ethernet_tag: 0,
                prefix,
                gateway: zero_gateway(&prefix),
                label: Label3::from_vni(self.l3vni),
            }),
            next_hop: vtep,
            attrs: base_attrs(&self.export_rts, &[ExtCommunity::RouterMac { mac: rmac }]),
            seq: 0,
            sticky: false,
        }
    }

    /// Whether a local prefix is advertised: one of its sources is
    /// (connected only with `advertise_connected`).
    fn advertisable(&self, prefix: &IpNet) -> bool {
        self.local.get(prefix).is_some_and(|s| {
            s.iter().any(|l| match l {
                Local::Connected(_) => self.cfg.advertise_connected,
                Local::Address(_) => false,
                Local::Configured | Local::Redistributed => true,
            })
        })
    }

    /// Originates or withdraws the type 5 of `prefix`.
    pub(crate) fn settle_advertised(&mut self, prefix: IpNet, out: &mut Vec<Output>) {
        let with = self.originating();
        let want = with.is_some() && self.advertisable(&prefix);
        let have = self.advertised.contains(&prefix);
        match (with, want, have) {
            (Some((rmac, vtep)), true, false) => {
                self.advertised.insert(prefix);
                self.advertised_with = with;
                out.push(Output::Originate(self.ip_prefix(prefix, rmac, vtep)));
            }
            (_, false, true) => {
                self.advertised.remove(&prefix);
                let key = self
                    .ip_prefix(prefix, MacAddr::ZERO, self.vtep())
                    .route
                    .key();
                out.push(Output::Withdraw(key));
            }
            _ => {}
        }
    }

    /// Everything we advertise, again: the L3VNI or the Router's MAC
    /// changed (re-originated under the new one, withdrawn when none).
    pub(crate) fn settle_all_advertised(&mut self, out: &mut Vec<Output>) {
        let with = self.originating();
        if with != self.advertised_with
            && let Some((rmac, vtep)) = with
        {
            for p in &self.advertised {
                out.push(Output::Originate(self.ip_prefix(*p, rmac, vtep)));
            }
            self.advertised_with = with;
        }
        let mut prefixes: Vec<IpNet> = self.local.keys().copied().collect();
        prefixes.extend(self.advertised.iter().copied());
        prefixes.sort();
        prefixes.dedup();
        for p in prefixes {
            self.settle_advertised(p, out);
        }
    }
}
