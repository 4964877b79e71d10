//! The kernel's IPv6 neighbour table as discovery reads it: when a peer
//! sends no RAs (or we do not hear them), a link-local neighbour flagged as
//! a router (`NTF_ROUTER`, set by the kernel from the R flag of the peer's
//! Neighbor Advertisements or from its RAs) is the peer, as FRR does.

use std::net::Ipv6Addr;

use serde::{Deserialize, Serialize};

/// `NUD_REACHABLE`: confirmed recently.
pub const NUD_REACHABLE: u16 = 0x02;
/// `NUD_STALE`: not confirmed recently, still believed.
pub const NUD_STALE: u16 = 0x04;
/// `NUD_DELAY`: stale and used, waiting before probing.
pub const NUD_DELAY: u16 = 0x08;
/// `NUD_PROBE`: being probed.
pub const NUD_PROBE: u16 = 0x10;
/// `NTF_ROUTER` in `ndm_flags`: the neighbour is a router.
pub const NTF_ROUTER: u8 = 0x80;
/// States of an entry the kernel still believes: REACHABLE and STALE, and
/// the DELAY/PROBE states a STALE entry passes through on its way back to
/// REACHABLE (leaving them out would flap the peer on every probe).
pub const LIVE_STATES: u16 = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE;

/// One IPv6 neighbour of the interface, as the shell read it from an
/// `RTM_GETNEIGH` dump or notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighbourEntry {
    pub address: Ipv6Addr,
    /// `ndm_state` (NUD_* bits).
    pub state: u16,
    /// `ndm_flags & NTF_ROUTER`.
    pub router: bool,
}

impl NeighbourEntry {
    /// Whether this entry names a peer: link-local, a router, believed.
    pub fn is_peer_candidate(&self) -> bool {
        self.router && self.state & LIVE_STATES != 0 && self.address.is_unicast_link_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(addr: &str, state: u16, router: bool) -> NeighbourEntry {
        NeighbourEntry {
            address: addr.parse().expect("address"),
            state,
            router,
        }
    }

    #[test]
    fn only_live_link_local_routers_are_candidates() {
        assert!(e("fe80::1", NUD_REACHABLE, true).is_peer_candidate());
        assert!(e("fe80::1", NUD_STALE, true).is_peer_candidate());
        assert!(e("fe80::1", NUD_PROBE, true).is_peer_candidate());
        assert!(!e("fe80::1", NUD_REACHABLE, false).is_peer_candidate());
        assert!(!e("fe80::1", 0x20 /* FAILED */, true).is_peer_candidate());
        assert!(!e("fe80::1", 0x01 /* INCOMPLETE */, true).is_peer_candidate());
        assert!(!e("2001:db8::1", NUD_REACHABLE, true).is_peer_candidate());
    }
}
