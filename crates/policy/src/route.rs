//! The view of a route that policies and the VTEP allow-list read. The core
//! builds it from the NLRI ([`RouteView::of_nlri`]) and the path's
//! attributes; it borrows the community lists, so building it is cheap.

use std::net::IpAddr;

use evpnd_wire::attr::{ExtCommunity, LargeCommunity};
use evpnd_wire::nlri::evpn::EvpnRoute;
use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};
use ipnet::IpNet;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteView<'a> {
    /// EVPN route type, 1 to 5.
    pub route_type: u8,
    pub rd: Option<Rd>,
    /// Types 2 and 5: label 1 read as a VNI (RFC 8365); type 3: the PMSI
    /// tunnel's label (the core sets it, the NLRI has none).
    pub vni: Option<Vni>,
    /// Type 2.
    pub mac: Option<MacAddr>,
    /// Type 2: the IP of a MAC+IP route.
    pub ip: Option<IpAddr>,
    /// Type 5: the prefix.
    pub prefix: Option<IpNet>,
    /// MP_REACH next hop: the remote VTEP.
    pub next_hop: Option<IpAddr>,
    /// Type 3: the PMSI tunnel endpoint (ingress replication), the address
    /// flood traffic is sent to.
    pub pmsi_endpoint: Option<IpAddr>,
    pub communities: &'a [u32],
    pub large_communities: &'a [LargeCommunity],
    /// Route targets are read from here too.
    pub ext_communities: &'a [ExtCommunity],
    pub local_pref: Option<u32>,
}

impl RouteView<'_> {
    /// The fields the NLRI gives: type, RD, MAC, IP, prefix, and the VNI of
    /// types 2 and 5. The caller adds next hop, PMSI, communities and local
    /// preference with struct update syntax.
    pub fn of_nlri(route: &EvpnRoute) -> RouteView<'static> {
        let mut v = RouteView {
            route_type: route.route_type(),
            rd: route.rd(),
            ..RouteView::default()
        };
        match route {
            EvpnRoute::MacIp(m) => {
                v.mac = Some(m.mac);
                v.ip = m.ip;
                v.vni = Some(m.label1.vni());
            }
            EvpnRoute::IpPrefix(p) => {
                v.prefix = Some(p.prefix);
                v.vni = Some(p.label.vni());
            }
            EvpnRoute::EthernetAd(a) => v.vni = Some(a.label.vni()),
            EvpnRoute::Imet(_) | EvpnRoute::EthernetSegment(_) | EvpnRoute::Unknown { .. } => {}
        }
        v
    }

    /// The route targets among the extended communities.
    pub fn route_targets(&self) -> impl Iterator<Item = RouteTarget> + '_ {
        self.ext_communities.iter().filter_map(|c| match c {
            ExtCommunity::RouteTarget { value } => Some(*value),
            _ => None,
        })
    }

    /// The prefix `prefix` conditions test: a type-5 prefix, or a type-2 IP
    /// as a host prefix (/32, /128).
    pub fn match_prefix(&self) -> Option<IpNet> {
        self.prefix.or_else(|| self.ip.map(IpNet::from))
    }
}
