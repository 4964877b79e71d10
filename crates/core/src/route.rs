//! What the core stores per path and sends per route: the EVPN NLRI (with
//! its labels and ESI, which are not part of the key), the next hop and the
//! shared attribute set.

use std::net::IpAddr;
use std::sync::Arc;

use evpnd_wire::attr::PathAttribute;
use evpnd_wire::nlri::evpn::EvpnRoute;

/// Path attributes other than MP_REACH/MP_UNREACH, shared between routes.
pub type AttrSet = Arc<Vec<PathAttribute>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub route: EvpnRoute,
    pub next_hop: IpAddr,
    pub attrs: AttrSet,
}

/// The RIB finds a path's destination from its route (it stores no key).
impl evpnd_rib::Keyed<evpnd_wire::nlri::evpn::EvpnKey> for RouteEntry {
    fn key(&self) -> evpnd_wire::nlri::evpn::EvpnKey {
        self.route.key()
    }
}
