//! What each peer is sent of the unicast RIB. The Adj-RIB-Out and the
//! sending state are the advertiser's (`advertise.rs`: one batch in flight
//! per peer for all families); here: the wish per route and peer, our own
//! next hop per session, and packing into UPDATEs.
//!
//! Rules: RFC 4271 §9.2 / RFC 4456 like EVPN ([`crate::export::allowed`]);
//! a family goes only to peers that negotiated it. eBGP: AS_PATH
//! prepended, LOCAL_PREF and a learned MED dropped (`export::rewrite`),
//! next hop self, and nothing whose AS_PATH already holds the peer's AS
//! (it would drop it as a loop). iBGP: next hop self for our own prefixes,
//! unchanged otherwise (unless it cannot be sent as it is: an IPv6 next
//! hop for IPv4 without RFC 8950, or a link-local one).
//!
//! Next hop self is the session's local address: IPv4 for IPv4 routes on
//! an IPv4 session (classic NLRI + NEXT_HOP); on an IPv6 session with the
//! Extended Next Hop capability for IPv4 (RFC 8950) IPv4 routes go in
//! MP_REACH with our IPv6 address. A link-local session address is sent
//! as 32 octets with the link-local in both halves, as FRR does on
//! unnumbered links.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use evpnd_rib::{OutValue, PeerId};
use evpnd_session::messages::PeerIndex;
use evpnd_session::negotiate::Negotiated;
use evpnd_wire::attr::{AttrValue, NextHop};
use evpnd_wire::nlri::prefix::{Prefix, prefix_len};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use ipnet::IpNet;

use super::{UnicastEntry, family_of, is_link_local};
use crate::Core;
use crate::advertise::{ChangedCache, RewriteCache, World, rewritten, sides};
use crate::export::{self, ExportCtx};
use crate::packing::pack_with;
use crate::route::AttrSet;

/// An entry of a peer's unicast Adj-RIB-Out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniOut {
    pub entry: Arc<UnicastEntry>,
    pub next_hop: NextHop,
    pub attrs: AttrSet,
}

impl OutValue for UniOut {
    fn same_destination(&self, other: &Self) -> bool {
        self.entry.prefix == other.entry.prefix
    }
}

/// Our next hops towards one peer (next hop self), per family; `None`:
/// that family cannot be sent (no address of ours of a usable kind).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfNextHop {
    pub v4: Option<NextHop>,
    pub v6: Option<NextHop>,
    /// The peer negotiated RFC 8950 for IPv4 unicast.
    pub extended_v4: bool,
}

impl SelfNextHop {
    /// Our next hop towards a peer whose session runs from `local` (our
    /// end, if known), falling back to `update_source`, the VTEP address,
    /// the router id (IPv4) or an IPv6 host route we originate.
    pub fn for_session(
        local: Option<IpAddr>,
        n: &Negotiated,
        cfg: &evpnd_config::Config,
        update_source: Option<IpAddr>,
    ) -> SelfNextHop {
        let local = local.map(|a| a.to_canonical());
        let v6_of = |a: std::net::Ipv6Addr| {
            if a.is_unicast_link_local() {
                NextHop::V6LinkLocal {
                    global: a,
                    link_local: a,
                }
            } else {
                NextHop::V6(a)
            }
        };
        let host_v6 = cfg.bgp.networks.iter().find_map(|p| match p {
            IpNet::V6(p) if p.prefix_len() == 128 => Some(p.addr()),
            _ => None,
        });
        let vtep = cfg.vtep_ip();
        let v6 = [local, update_source, Some(vtep)]
            .into_iter()
            .flatten()
            .find_map(|a| match a {
                IpAddr::V6(a) => Some(a),
                IpAddr::V4(_) => None,
            })
            .or(host_v6)
            .map(v6_of);
        let extended_v4 = n.extended_next_hop.contains(&Family::IPV4_UNICAST);
        let v4_addr = [local, update_source, Some(vtep)]
            .into_iter()
            .flatten()
            .find_map(|a| match a {
                IpAddr::V4(a) => Some(a),
                IpAddr::V6(_) => None,
            })
            .unwrap_or(cfg.bgp.router_id);
        // An IPv6 session with RFC 8950: IPv4 routes get our IPv6 address.
        let v4 = match (local, &v6) {
            (Some(IpAddr::V6(_)), Some(v6)) if extended_v4 => Some(v6.clone()),
            _ => Some(NextHop::V4(v4_addr)),
        };
        SelfNextHop {
            v4,
            v6,
            extended_v4,
        }
    }

    fn for_family(&self, f: Family) -> Option<&NextHop> {
        if f == Family::IPV4_UNICAST {
            self.v4.as_ref()
        } else {
            self.v6.as_ref()
        }
    }
}

/// The next hop a learned path keeps towards an iBGP peer, if it can.
fn unchanged_next_hop(e: &UnicastEntry, f: Family, extended_v4: bool) -> Option<NextHop> {
    if is_link_local(e.next_hop) {
        return None;
    }
    match e.next_hop {
        IpAddr::V4(a) => Some(NextHop::V4(a)),
        IpAddr::V6(_) if f == Family::IPV4_UNICAST && !extended_v4 => None,
        IpAddr::V6(a) => Some(match e.link_local {
            Some(ll) => NextHop::V6LinkLocal {
                global: a,
                link_local: ll,
            },
            None => NextHop::V6(a),
        }),
    }
}

/// Whether the AS_PATH of `attrs` holds `asn`.
fn path_has(attrs: &AttrSet, asn: u32) -> bool {
    attrs.iter().any(|a| match &a.value {
        AttrValue::AsPath(p) => p.contains(asn),
        _ => false,
    })
}

/// What `peer` should have for unicast route id `id` now, if anything.
pub(crate) fn wish(
    id: u32,
    peer: PeerIndex,
    w: &World<'_>,
    caches: (&mut RewriteCache, &mut ChangedCache),
    cx: &ExportCtx,
    self_nh: &SelfNextHop,
) -> Option<UniOut> {
    let b = w.uni.best_by_id(id)?;
    let family = family_of(&b.attrs.prefix);
    let slot = w.peers.get(peer as usize)?;
    let n = slot.negotiated()?;
    if !n.families.contains(&family) {
        return None;
    }
    let (from, to, from_id) = sides(b.peer, peer, w)?;
    if !export::allowed(from, to) {
        return None;
    }
    // The peer would drop it as an AS loop (FRR does not send it either).
    if !slot.ibgp && path_has(&b.attrs.attrs, n.peer_asn) {
        return None;
    }
    let next_hop = if slot.ibgp && b.peer != PeerId::LOCAL {
        unchanged_next_hop(&b.attrs, family, self_nh.extended_v4)
            .or_else(|| self_nh.for_family(family).cloned())
    } else {
        self_nh.for_family(family).cloned()
    }?;
    let attrs = rewritten(&b.attrs.attrs, (from, from_id), slot.ibgp, caches, cx);
    Some(UniOut {
        entry: Arc::clone(&b.attrs),
        next_hop,
        attrs,
    })
}

fn as_prefix(net: IpNet) -> Prefix {
    Prefix { path_id: None, net }
}

/// UPDATEs for a unicast batch: withdrawals per family, announcements
/// grouped by (family, next hop, attribute set) in order of first
/// appearance, each group packed into as few UPDATEs as the session allows.
pub(crate) fn updates(withdraw: &[UniOut], announce: Vec<UniOut>, ctx: &Context) -> Vec<Update> {
    let mut out = Vec::new();
    for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
        let gone: Vec<Prefix> = withdraw
            .iter()
            .filter(|o| family_of(&o.entry.prefix) == f)
            .map(|o| as_prefix(o.entry.prefix))
            .collect();
        if !gone.is_empty() {
            out.extend(pack_with(gone, ctx, prefix_len, |p| {
                Update::unicast_withdraw(f, p)
            }));
        }
    }
    type Group = (Family, NextHop, AttrSet, Vec<Prefix>);
    let mut index: HashMap<(Family, NextHop, usize), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for o in announce {
        let f = family_of(&o.entry.prefix);
        let i = *index
            .entry((f, o.next_hop.clone(), Arc::as_ptr(&o.attrs) as usize))
            .or_insert_with(|| {
                groups.push((f, o.next_hop.clone(), Arc::clone(&o.attrs), Vec::new()));
                groups.len() - 1
            });
        groups[i].3.push(as_prefix(o.entry.prefix));
    }
    for (f, nh, attrs, prefixes) in groups {
        out.extend(pack_with(prefixes, ctx, prefix_len, |p| {
            Update::unicast_reach(f, nh.clone(), p, (*attrs).clone())
        }));
    }
    out
}

/// The known families a session negotiated, in the order their End-of-RIB
/// goes (EVPN first, as before unicast existed; EVPN alone when none).
pub(crate) fn eor_families(n: &Negotiated) -> Vec<Family> {
    let known = [
        Family::L2VPN_EVPN,
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
    ];
    let v: Vec<Family> = known
        .into_iter()
        .filter(|f| n.families.contains(f))
        .collect();
    if v.is_empty() {
        vec![Family::L2VPN_EVPN]
    } else {
        v
    }
}

impl Core {
    /// The best unicast path of `prefix` changed (or went): every peer
    /// with unicast re-evaluates it.
    pub(crate) fn export_unicast(&mut self, prefix: &IpNet) {
        let Some(id) = self.uni.rib.id(prefix) else {
            return;
        };
        let source = self
            .uni
            .rib
            .best_by_id(id)
            .filter(|b| b.peer != PeerId::LOCAL)
            .map(|b| b.peer.0 - 1);
        self.advertiser.mark_uni(id, source);
    }

    /// Our next hops towards `peer` (at session up).
    pub(crate) fn self_next_hop(&self, peer: PeerIndex) -> SelfNextHop {
        let Some(slot) = self.peers.get(peer as usize) else {
            return SelfNextHop::default();
        };
        let Some(n) = slot.negotiated() else {
            return SelfNextHop::default();
        };
        SelfNextHop::for_session(slot.local, n, &self.cfg, slot.cfg.update_source)
    }
}
