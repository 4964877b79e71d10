//! IPv4 and IPv6 unicast: the underlay (issue 13, RFC 7938).
//!
//! A table of its own, `Table<IpNet, UnicastEntry>` (both address families,
//! keyed by prefix), beside the EVPN RIB, so the EVPN fast path is not
//! touched. Where things are:
//!
//! * [`receive`]: UPDATEs in (classic NLRI + NEXT_HOP, MP_REACH/MP_UNREACH
//!   for AFI 1 and 2, RFC 8950 IPv6 next hops for IPv4), the same checks as
//!   EVPN (RFC 7606 verdicts, eBGP first AS, loops, own next hop);
//! * [`install`]: the best path and its multipath set (RFC 4271 decision
//!   process, multipath relax) into the main table as
//!   `DesiredChange::Route { table: 254, via: Gateways }`;
//! * [`export`]: what each peer is sent (eBGP next hop self, RFC 8950 next
//!   hops out, AS-loop suppression, packing);
//! * [`origin`]: `[bgp] networks` and the VTEP loopback;
//! * [`view`]: the unicast RIB as the API would show it.

pub mod export;
pub mod install;
pub mod origin;
pub mod receive;
pub mod view;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use evpnd_evpn::dataplane::Gateway;
use evpnd_rib::{Multipath, Table};
use evpnd_wire::Family;
use foldhash::fast::RandomState;
use ipnet::IpNet;

use crate::route::AttrSet;

/// The kernel's main routing table, where underlay routes go.
pub const MAIN_TABLE: u32 = 254;

/// One unicast path: its prefix (the key), next hop and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicastEntry {
    pub prefix: IpNet,
    /// The next hop to forward to: IPv4, or the global half of an IPv6
    /// next hop (which FRR sets to the link-local too on unnumbered links).
    /// Unspecified for our own prefixes.
    pub next_hop: IpAddr,
    /// The link-local half of a 32-octet IPv6 next hop (RFC 2545 §3).
    pub link_local: Option<Ipv6Addr>,
    /// Path attributes other than NEXT_HOP, MP_REACH and MP_UNREACH.
    pub attrs: AttrSet,
}

impl evpnd_rib::Keyed<IpNet> for UnicastEntry {
    fn key(&self) -> IpNet {
        self.prefix
    }
}

/// The unicast family of a prefix.
pub fn family_of(prefix: &IpNet) -> Family {
    match prefix {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    }
}

/// Whether `f` is one of the unicast families.
pub fn is_unicast(f: Family) -> bool {
    f == Family::IPV4_UNICAST || f == Family::IPV6_UNICAST
}

/// An IPv6 link-local address (fe80::/10): usable only with an interface.
pub fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(a) if a.is_unicast_link_local())
}

/// The unicast side of the core.
pub(crate) struct Unicast {
    pub rib: Table<IpNet, UnicastEntry>,
    /// What the main table has from us, per prefix (hops sorted, shared
    /// through `hop_sets`). foldhash seeded at random: prefixes come from
    /// peers, so the hash must not be predictable, but SipHash was most of
    /// the cost of installing a route (as in the RIB, ADR 0013).
    pub installed: HashMap<IpNet, Arc<[Gateway]>, RandomState>,
    pub hop_sets: install::HopSets,
    pub multipath: Multipath,
}

impl Unicast {
    pub fn new(cfg: &evpnd_config::Config) -> Unicast {
        Unicast {
            rib: Table::new(),
            installed: HashMap::default(),
            hop_sets: install::HopSets::default(),
            multipath: multipath_of(cfg),
        }
    }
}

/// `[bgp] max_paths` and `multipath_relax`.
pub(crate) fn multipath_of(cfg: &evpnd_config::Config) -> Multipath {
    Multipath {
        max_paths: usize::from(cfg.bgp.max_paths.max(1)),
        relax: cfg.bgp.multipath_relax,
    }
}
