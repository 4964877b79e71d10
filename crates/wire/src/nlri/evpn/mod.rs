//! EVPN NLRI (RFC 7432 §7, RFC 9136 §3): route types 1-5, unknown types kept raw.
//!
//! ```text
//! +-----------------------------------+
//! | Path Identifier (4, ADD-PATH only)|
//! +-----------------------------------+
//! | Route Type (1 octet)              |
//! +-----------------------------------+
//! | Length (1 octet)                  |
//! +-----------------------------------+
//! | Route Type specific (variable)    |
//! +-----------------------------------+
//! ```

use std::net::IpAddr;

use bytes::BytesMut;
use ipnet::IpNet;

use super::NlriError;
use crate::types::{Esi, Label3, MacAddr, Rd};

/// One EVPN NLRI as received or sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EvpnNlri {
    pub path_id: Option<u32>,
    pub route: EvpnRoute,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EvpnRoute {
    EthernetAd(EthernetAd),
    MacIp(MacIp),
    Imet(Imet),
    EthernetSegment(EthernetSegment),
    IpPrefix(IpPrefix),
    /// A route type this codec does not know: skipped by length (RFC 7606 §5.4), kept for re-sending.
    Unknown { route_type: u8, value: Vec<u8> },
}

/// Type 1, Ethernet Auto-Discovery (RFC 7432 §7.1): RD(8) ESI(10) Ethernet Tag(4) MPLS Label(3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetAd {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    pub label: Label3,
}

/// Type 2, MAC/IP Advertisement (RFC 7432 §7.2):
/// RD(8) ESI(10) Ethernet Tag(4) MAC Len(1)=48 MAC(6) IP Len(1)=0/32/128 IP(0/4/16) Label1(3) [Label2(3)].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacIp {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    pub mac: MacAddr,
    pub ip: Option<IpAddr>,
    pub label1: Label3,
    pub label2: Option<Label3>,
}

/// Type 3, Inclusive Multicast Ethernet Tag (RFC 7432 §7.3):
/// RD(8) Ethernet Tag(4) IP Len(1)=32/128 Originating Router's IP(4/16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Imet {
    pub rd: Rd,
    pub ethernet_tag: u32,
    pub originator: IpAddr,
}

/// Type 4, Ethernet Segment (RFC 7432 §7.4): RD(8) ESI(10) IP Len(1) Originating Router's IP(4/16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetSegment {
    pub rd: Rd,
    pub esi: Esi,
    pub originator: IpAddr,
}

/// Type 5, IP Prefix (RFC 9136 §3.1): RD(8) ESI(10) Ethernet Tag(4) IP Prefix Len(1)
/// IP Prefix(4/16) Gateway IP(4/16) MPLS Label(3); length 34 (IPv4) or 58 (IPv6).
/// `prefix` keeps any host bits exactly as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    pub rd: Rd,
    pub esi: Esi,
    pub ethernet_tag: u32,
    pub prefix: IpNet,
    pub gateway: IpAddr,
    pub label: Label3,
}

/// Decodes a run of EVPN NLRI (the NLRI part of MP_REACH / MP_UNREACH).
pub fn decode_evpn_nlris(_buf: &[u8], _add_path: bool) -> Result<Vec<EvpnNlri>, NlriError> {
    todo!("NLRI package")
}

/// Appends `nlris` in wire form (path ids written when `Some`).
pub fn encode_evpn_nlris(_nlris: &[EvpnNlri], _out: &mut BytesMut) {
    todo!("NLRI package")
}
