//! VLAN-aware bundle (RFC 7432 §6.3, RFC 8365 §5.1.2; ADR 0032): several
//! broadcast domains share one EVI (RD and route targets), their routes
//! told apart by the Ethernet Tag, which is the VNI.
//!
//! Import stays by route target (and indexed by route-target set,
//! [`crate::import`]); the tag only narrows where a route lands:
//! * tag 0 (VLAN-based service, FRR's way): every MAC-VRF that imports it;
//! * tag T ≠ 0: only the MAC-VRF of VNI T among those, as a receiver of a
//!   VLAN-aware bundle must (RFC 7432 §6.3: the tag identifies the
//!   broadcast domain);
//! * a tenant's L3VNI takes what its route targets import whatever the
//!   tag (a MAC+IP route of a bundle member still gives a host route).

use evpnd_wire::Vni;
use evpnd_wire::nlri::evpn::EvpnKey;

use crate::Evpn;

/// The Ethernet Tag of a route key (0 for the types that have none).
pub fn tag(key: &EvpnKey) -> u32 {
    match key {
        EvpnKey::EthernetAd { ethernet_tag, .. }
        | EvpnKey::MacIp { ethernet_tag, .. }
        | EvpnKey::Imet { ethernet_tag, .. }
        | EvpnKey::IpPrefix { ethernet_tag, .. } => *ethernet_tag,
        EvpnKey::EthernetSegment { .. } | EvpnKey::Unknown { .. } => 0,
    }
}

impl Evpn {
    /// Whether a route its route targets import into `vni` lands there.
    pub(crate) fn lands(&self, key: &EvpnKey, vni: Vni) -> bool {
        match tag(key) {
            0 => true,
            t => t == vni.get() || self.tenant_of_l3(vni).is_some(),
        }
    }
}
