//! `[evpn] vtep_allow`: the underlay prefixes remote VTEPs may have. A
//! route whose next hop or PMSI tunnel endpoint is outside them stays in
//! the RIB (visible, explained) but is never programmed into the kernel:
//! a peer or an API client cannot point the FDB or the flood list at an
//! arbitrary address.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::route::RouteView;

/// Which address of the route was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    NextHop,
    PmsiEndpoint,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endpoint::NextHop => "next hop",
            Endpoint::PmsiEndpoint => "PMSI tunnel endpoint",
        })
    }
}

/// Why a route may not reach the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error("{endpoint} {address} is outside evpn.vtep_allow")]
pub struct VtepRejection {
    pub endpoint: Endpoint,
    pub address: IpAddr,
}

/// The allow-list; empty allows every address (not configured).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VtepAllow {
    prefixes: Vec<IpNet>,
}

impl VtepAllow {
    pub fn new(prefixes: &[IpNet]) -> VtepAllow {
        VtepAllow {
            prefixes: prefixes.to_vec(),
        }
    }

    /// Whether a list is configured (otherwise everything is allowed).
    pub fn is_enforced(&self) -> bool {
        !self.prefixes.is_empty()
    }

    pub fn allows(&self, a: IpAddr) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| p.contains(&a))
    }

    /// The next hop, then the PMSI tunnel endpoint: the first outside the
    /// list is the reason. Absent addresses are not checked.
    pub fn check(&self, r: &RouteView<'_>) -> Result<(), VtepRejection> {
        for (endpoint, addr) in [
            (Endpoint::NextHop, r.next_hop),
            (Endpoint::PmsiEndpoint, r.pmsi_endpoint),
        ] {
            if let Some(address) = addr
                && !self.allows(address)
            {
                return Err(VtepRejection { endpoint, address });
            }
        }
        Ok(())
    }
}
