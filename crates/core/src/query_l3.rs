//! What the core answers about L3 tenants (`[[evpn.vrf]]`): the tenants,
//! their routes and the remote Router's MACs.
//!
//! Interface first (issue 11): the EVPN domain's tenant state fills these.

use crate::Core;
use crate::view::{RouterMacView, TenantRouteQuery, TenantRouteView, VrfView};

impl Core {
    /// Every configured tenant, in configuration order.
    pub fn vrfs(&self) -> Vec<VrfView> {
        Vec::new()
    }

    /// A page of tenant routes (installed, held and originated).
    pub fn vrf_routes(&self, q: &TenantRouteQuery) -> Vec<TenantRouteView> {
        let _ = q;
        Vec::new()
    }

    /// Remote VTEPs' Router's MACs, per tenant (`None`: all tenants).
    pub fn router_macs(&self, vrf: Option<&str>) -> Vec<RouterMacView> {
        let _ = vrf;
        Vec::new()
    }
}
