//! What the core answers the management API, built from its own state (it
//! owns the RIB, the peers and the EVPN domain; no copies, no locks) as
//! [`crate::view`] types. Each answer is bounded: route listings come a page
//! at a time.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::net::IpAddr;
use std::sync::Arc;

use evpnd_evpn::Owner;
use evpnd_rib::{Path, PeerId};
use evpnd_session::fsm::State;
use evpnd_wire::attr::{AttrValue, ExtCommunity};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::{Family, MacAddr, Rd, Vni};

use crate::Core;
use crate::route::RouteEntry;
use crate::view::*;

/// A route page's filter: whether a built route is kept.
pub type Keep<'a> = &'a mut dyn FnMut(&RouteView) -> bool;

/// One page of a listing, chosen in a single pass over the table: the
/// `limit` smallest keys after the cursor, kept in a max-heap, so a page
/// costs O(n log limit) and never sorts the table; a route is only built
/// (and filtered) when it would be kept.
struct Page {
    after: Option<EvpnKey>,
    limit: usize,
    heap: BinaryHeap<Ranked>,
    /// A matching route may lie beyond this page.
    more: bool,
}

struct Ranked(EvpnKey, RouteView);

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

impl Page {
    fn new(after: Option<EvpnKey>, limit: usize) -> Page {
        Page {
            after,
            limit: limit.max(1),
            heap: BinaryHeap::new(),
            more: false,
        }
    }

    /// Offers `k`; `build` makes the filtered route when it could be kept.
    fn offer(&mut self, k: &EvpnKey, build: impl FnOnce() -> Option<RouteView>) {
        if self.after.as_ref().is_some_and(|a| k <= a) {
            return;
        }
        if self.heap.len() >= self.limit && self.heap.peek().is_some_and(|m| *k >= m.0) {
            self.more = true;
            return;
        }
        let Some(r) = build() else { return };
        self.heap.push(Ranked(k.clone(), r));
        if self.heap.len() > self.limit {
            self.heap.pop();
            self.more = true;
        }
    }

    fn finish(self) -> RoutePageView {
        let routes = self.heap.into_sorted_vec();
        let next_after = if self.more {
            routes.last().map(|r| r.0.clone())
        } else {
            None
        };
        RoutePageView {
            routes: routes.into_iter().map(|r| r.1).collect(),
            next_after,
        }
    }
}

impl Core {
    /// Where a path came from.
    fn source(&self, peer: PeerId) -> PathSource {
        if peer == PeerId::LOCAL {
            return PathSource::Local;
        }
        match self.peers.get((peer.0 - 1) as usize) {
            Some(s) => PathSource::Peer(s.address()),
            None => PathSource::Unknown,
        }
    }

    /// A path as the API shows it.
    pub(crate) fn path_view(&self, e: &RouteEntry, p: &Path<RouteEntry>, best: bool) -> PathView {
        let mut out = PathView {
            source: self.source(p.peer),
            next_hop: e.next_hop,
            best,
            mobility_seq: p.rank.mobility_seq,
            sticky: p.rank.sticky,
            local_pref: p.rank.local_pref,
            med: p.rank.med,
            route_targets: Vec::new(),
            router_mac: None,
            as_path: Vec::new(),
            vni: 0,
            l3_vni: 0,
        };
        for a in e.attrs.iter() {
            match &a.value {
                AttrValue::ExtCommunities(c) => {
                    for x in c {
                        match x {
                            ExtCommunity::RouteTarget { value } => out.route_targets.push(*value),
                            ExtCommunity::RouterMac { mac } => out.router_mac = Some(*mac),
                            _ => {}
                        }
                    }
                }
                AttrValue::AsPath(asp) => {
                    out.as_path = asp.segments.iter().flat_map(|s| s.asns.clone()).collect()
                }
                AttrValue::PmsiTunnel(t) if matches!(e.route, EvpnRoute::Imet(_)) => {
                    out.vni = t.label.vni().get();
                }
                _ => {}
            }
        }
        match &e.route {
            EvpnRoute::MacIp(m) => {
                out.vni = m.label1.vni().get();
                out.l3_vni = m.label2.map_or(0, |l| l.vni().get());
            }
            EvpnRoute::IpPrefix(x) => out.l3_vni = x.label.vni().get(),
            _ => {}
        }
        out
    }

    /// The best path of `k` alone, or every path of it.
    fn route_view(&self, k: &EvpnKey, all_paths: bool) -> Option<RouteView> {
        let best = self.rib.best(k)?;
        let paths = if all_paths {
            self.rib
                .explain(k)
                .into_iter()
                .map(|(p, why)| self.path_view(&p.attrs, p, why.is_none()))
                .collect()
        } else {
            vec![self.path_view(&best.attrs, best, true)]
        };
        Some(RouteView {
            route: best.attrs.route.clone(),
            paths,
        })
    }

    pub fn status(&self) -> StatusView {
        let live = self.peers.iter().filter(|p| !p.removed);
        let (local, remote) = self.mac_counts();
        StatusView {
            uptime_secs: self.now.since(self.started).as_secs(),
            router_id: self.cfg.bgp.router_id,
            asn: self.cfg.asn(),
            generation: self.generation,
            peers_configured: live.clone().count() as u32,
            peers_established: live.clone().filter(|p| p.up.is_some()).count() as u32,
            loc_rib_routes: self.rib.len() as u64,
            adj_rib_in_paths: self.rib.path_count() as u64,
            adj_rib_out_routes: self.advertiser.sent_total() as u64,
            vnis: self.evpn.instances().count() as u32,
            local_macs: local,
            remote_macs: remote,
            updates_received: self.updates_in,
            updates_sent: self.advertiser.updates_out,
            refused: self.refusals.counts(),
            vtep_held: self.held.by_vtep,
            vni_policy_held: self.held.by_vni_policy,
            not_programmed_now: (self.held.routes.len() + self.evpn.family_refusals().0) as u64,
        }
    }

    fn mac_counts(&self) -> (u64, u64) {
        let mut l = 0;
        let mut r = 0;
        for (_, m) in self.evpn.macs() {
            match m.owner {
                Some(Owner::Local { .. }) => l += 1,
                Some(Owner::Remote(_)) => r += 1,
                None => {}
            }
        }
        (l, r)
    }

    /// (VNI, local MACs, remote MACs) for every EVPN instance (metrics).
    pub fn macs_per_vni(&self) -> Vec<(u32, u64, u64)> {
        let mut by: BTreeMap<u32, (u64, u64)> = self
            .evpn
            .instances()
            .map(|i| (i.vni.get(), (0, 0)))
            .collect();
        for ((v, _), m) in self.evpn.macs() {
            let e = by.entry(v.get()).or_default();
            match m.owner {
                Some(Owner::Local { .. }) => e.0 += 1,
                Some(Owner::Remote(_)) => e.1 += 1,
                None => {}
            }
        }
        by.into_iter().map(|(v, (l, r))| (v, l, r)).collect()
    }

    fn peer_view(&self, i: usize) -> Option<PeerView> {
        let p = self.peers.get(i).filter(|p| !p.removed)?;
        let received = self.rib.peer_path_count(Self::peer_id(i as u32)) as u64;
        let mut out = PeerView {
            address: p.address(),
            // The peer's AS as its OPEN said; before that the configured
            // number (0 for "external" / "internal").
            remote_asn: p
                .negotiated()
                .map(|n| n.peer_asn)
                .or(p.cfg.remote_asn.number())
                .unwrap_or(0),
            description: p.cfg.description.clone().unwrap_or_default(),
            state: if p.up.is_some() {
                State::Established
            } else {
                p.fsm_state
            },
            enabled: p.cfg.enabled,
            uptime_secs: p
                .up
                .as_ref()
                .map_or(0, |u| self.now.since(u.since).as_secs()),
            family: Family::L2VPN_EVPN,
            received,
            accepted: received,
            advertised: self
                .advertiser
                .peer(i as u32)
                .map_or(0, |o| o.adj.sent_len() as u64),
            last_error: p.last_error.clone(),
            hold_time: 0,
            keepalive: 0,
            capabilities: Vec::new(),
        };
        if let Some(n) = p.negotiated() {
            out.hold_time = n.hold_time;
            out.keepalive = n.keepalive;
            let mut caps: Vec<String> = n
                .families
                .iter()
                .map(|f| format!("multiprotocol {f}"))
                .collect();
            for (on, name) in [
                (n.route_refresh, "route-refresh"),
                (n.enhanced_route_refresh, "enhanced-route-refresh"),
                (n.four_octet_as, "4-octet-as"),
                (n.extended_message, "extended-message"),
                (n.graceful_restart.is_some(), "graceful-restart"),
                (!n.add_path_rx.is_empty(), "add-path-receive"),
            ] {
                if on {
                    caps.push(name.into());
                }
            }
            // RFC 8950: families carried with IPv6 next hops.
            caps.extend(
                n.extended_next_hop
                    .iter()
                    .map(|f| format!("extended-nexthop {f}")),
            );
            // The peer's graceful-restart state as its OPEN gave it:
            // R bit, N bit, F bit per family (RFC 4724, RFC 8538).
            if let Some(g) = &n.graceful_restart {
                caps.push(format!("graceful-restart-time {}", g.restart_time));
                if g.restarting {
                    caps.push("graceful-restart-restarting".into());
                }
                if g.notification {
                    caps.push("graceful-restart-notification".into());
                }
                for (f, fwd) in &g.families {
                    if *fwd {
                        caps.push(format!("graceful-restart-forwarding {f}"));
                    }
                }
            }
            out.capabilities = caps;
        }
        Some(out)
    }

    /// Every configured neighbour, by address.
    pub fn peers(&self) -> Vec<PeerView> {
        let mut v: Vec<PeerView> = (0..self.peers.len())
            .filter_map(|i| self.peer_view(i))
            .collect();
        v.sort_by_key(|p| p.address);
        v
    }

    /// One peer's view by its index (`None` once removed).
    pub fn peer_view_of(&self, index: usize) -> Option<PeerView> {
        self.peer_view(index)
    }

    /// Loc-RIB keys in order, rebuilt only when the RIB changed since the
    /// last listing: paging a large table costs one sort, then a binary
    /// search and `limit` steps per page.
    fn keys_in_order(&self) -> Arc<Vec<EvpnKey>> {
        let mut cache = self.sorted_keys.borrow_mut();
        if let Some((v, keys)) = cache.as_ref()
            && *v == self.rib_version
        {
            return Arc::clone(keys);
        }
        let mut keys: Vec<EvpnKey> = self.rib.iter_best().map(|(k, _)| k).collect();
        keys.sort_unstable();
        let keys = Arc::new(keys);
        *cache = Some((self.rib_version, Arc::clone(&keys)));
        keys
    }

    /// A page of routes after `after`, in key order, that `keep` accepts.
    /// `peer` narrows the Adj-RIB-Out view to one neighbour.
    pub fn routes(
        &self,
        view: RibView,
        after: Option<&EvpnKey>,
        limit: usize,
        peer: Option<IpAddr>,
        keep: Keep<'_>,
    ) -> RoutePageView {
        if view == RibView::AdjRibOut {
            return self.adj_rib_out_page(after, limit, peer, keep);
        }
        let keys = self.keys_in_order();
        let start = match after {
            Some(a) => keys.partition_point(|k| k <= a),
            None => 0,
        };
        let limit = limit.max(1);
        let mut routes = Vec::new();
        let mut last = None;
        let mut more = false;
        for k in &keys[start..] {
            if routes.len() == limit {
                more = true;
                break;
            }
            let Some(r) = self.route_view(k, view == RibView::AdjRibIn) else {
                continue;
            };
            if keep(&r) {
                routes.push(r);
                last = Some(k);
            }
        }
        RoutePageView {
            routes,
            next_after: if more { last.cloned() } else { None },
        }
    }

    fn adj_rib_out_page(
        &self,
        after: Option<&EvpnKey>,
        limit: usize,
        peer: Option<IpAddr>,
        keep: Keep<'_>,
    ) -> RoutePageView {
        let mut page = Page::new(after.cloned(), limit);
        for (i, s) in self.peers.iter().enumerate().filter(|(_, s)| !s.removed) {
            let addr = s.address();
            if peer.is_some_and(|p| p != addr) {
                continue;
            }
            let Some(out) = self.advertiser.peer(i as u32) else {
                continue;
            };
            for (_, o) in out.adj.sent() {
                let k = o.entry.route.key();
                let Some(best) = self.rib.best(&k) else {
                    continue;
                };
                page.offer(&k, || {
                    let mut e = (*o.entry).clone();
                    e.attrs = o.attrs.clone();
                    let mut p = self.path_view(&e, best, true);
                    p.source = PathSource::Peer(addr);
                    let r = RouteView {
                        route: e.route.clone(),
                        paths: vec![p],
                    };
                    keep(&r).then_some(r)
                });
            }
        }
        page.finish()
    }

    /// Every path of the route `rd` + `prefix` (as routes are displayed)
    /// and why each lost.
    pub fn explain(&self, rd: Rd, prefix: &str) -> Option<ExplainView> {
        let wanted = format!("{rd} {prefix}");
        let refused = self
            .refusals
            .recent()
            .find(|(k, _)| {
                crate::packing::key_to_nlri(k).is_some_and(|n| n.route.to_string() == wanted)
            })
            .map(|(k, why)| (k.clone(), *why));
        let in_rib = self
            .rib
            .iter_best()
            .find(|(_, p)| p.attrs.route.to_string() == wanted)
            .map(|(k, _)| k);
        let Some(k) = in_rib else {
            // Not in the RIB: a refusal may still explain why.
            let (k, why) = refused?;
            return Some(ExplainView {
                route: crate::packing::key_to_nlri(&k)?.route,
                paths: Vec::new(),
                refused: Some(why),
                refused_detail: self.refusals.detail(&k).map(str::to_string),
                not_programmed: None,
                tenants: Vec::new(),
            });
        };
        let paths = self.rib.explain(&k);
        let best = paths.first()?.0;
        let tenants = self.tenant_explain(&k);
        Some(ExplainView {
            route: best.attrs.route.clone(),
            paths: paths
                .iter()
                .map(|(p, why)| (self.path_view(&p.attrs, p, why.is_none()), *why))
                .collect(),
            refused: refused.filter(|(rk, _)| *rk == k).map(|(_, why)| why),
            refused_detail: self.refusals.detail(&k).map(str::to_string),
            not_programmed: self.held.routes.get(&k).map(|w| w.to_string()).or_else(|| {
                // A VTEP of the other family than the VNI's VXLAN device.
                if let Some(why) = self.evpn.family_refused(&k) {
                    return Some(why);
                }
                // A type 3 whose PMSI tunnel gives no flood entry.
                if let Some(why) = self.evpn.flood_refusal(&k) {
                    return Some(why);
                }
                // A remote type 5 no tenant imports gives the kernel nothing.
                let remote5 =
                    matches!(k, EvpnKey::IpPrefix { .. }) && best.peer != evpnd_rib::PeerId::LOCAL;
                (remote5 && tenants.is_empty()).then(|| {
                    "imported by no tenant (no [[evpn.vrf]] import route target matches)"
                        .to_string()
                })
            }),
            tenants,
        })
    }

    pub fn vnis(&self, only: Option<Vni>) -> Vec<VniView> {
        let mut out: Vec<VniView> = self
            .evpn
            .instances()
            .filter(|i| only.is_none_or(|v| v == i.vni))
            .map(|i| {
                let k = &i.kernel;
                VniView {
                    vni: i.vni,
                    l3: false,
                    vrf: self
                        .evpn
                        .tenants()
                        .find(|t| t.l2.contains_key(&i.vni))
                        .map(|t| t.name.clone()),
                    rd: i.rd,
                    import: i.import.clone(),
                    export: i.export_rts.clone(),
                    vxlan_device: k.vxlan_name.clone(),
                    bridge: k.bridge_name.clone(),
                    vlan: k.vlan,
                    svi: k.svi_name.clone(),
                    vtep: i.vtep,
                    flood_list: self
                        .evpn
                        .flood_list()
                        .filter(|(v, _)| *v == i.vni)
                        .map(|(_, ip)| ip)
                        .collect(),
                    flood_group: k.group,
                    static_vteps: self.evpn.static_vteps(i.vni),
                    remote_vteps: self
                        .evpn
                        .flood_sources(i.vni)
                        .into_iter()
                        .map(|(vtep, source)| RemoteVtepView { vtep, source })
                        .collect(),
                    ethernet_tag: i.ethernet_tag,
                }
            })
            .collect();
        // The tenants' L3VNIs the kernel has.
        for t in self.evpn.tenants() {
            let Some(k) = &t.l3 else { continue };
            if only.is_some_and(|v| v != t.l3vni) {
                continue;
            }
            out.push(VniView {
                vni: t.l3vni,
                l3: true,
                vrf: Some(t.name.clone()),
                rd: t.rd,
                import: t.import.clone(),
                export: t.export_rts.clone(),
                vxlan_device: k.vxlan_name.clone(),
                bridge: k.bridge_name.clone(),
                vlan: k.vlan,
                svi: t.svi(),
                vtep: t.vtep(),
                flood_list: Vec::new(),
                flood_group: None,
                static_vteps: Vec::new(),
                remote_vteps: Vec::new(),
                ethernet_tag: 0,
            });
        }
        out.sort_by_key(|v| v.vni);
        out
    }

    pub fn macs(&self, f: &MacQuery) -> Vec<MacView> {
        let mut out: Vec<MacView> = self
            .evpn
            .macs()
            .filter(|((v, m), _)| f.vni.is_none_or(|x| x == *v) && f.mac.is_none_or(|x| x == *m))
            .filter_map(|((v, mac), m)| {
                let (origin, vtep, seq, sticky) = match m.owner? {
                    Owner::Local { seq, sticky } => (EntryOrigin::Local, None, seq, sticky),
                    Owner::Remote(r) => (EntryOrigin::Remote, Some(r.vtep), r.seq, r.sticky),
                };
                if f.origin.is_some_and(|o| o != origin) {
                    return None;
                }
                Some(MacView {
                    vni: *v,
                    mac: *mac,
                    origin,
                    vtep,
                    seq,
                    sticky,
                    duplicate: m.duplicate,
                })
            })
            .collect();
        out.sort_by_key(|m| (m.vni, m.mac));
        out
    }

    pub fn neighbors(&self, only: Option<Vni>) -> Vec<NeighborView> {
        let remote_vtep = |vni: Vni, mac: &MacAddr| {
            self.evpn
                .macs()
                .find(|((v, m), _)| *v == vni && m == mac)
                .and_then(|(_, s)| match s.owner {
                    Some(Owner::Remote(r)) => Some(r.vtep),
                    _ => None,
                })
        };
        let mut out: Vec<NeighborView> = self
            .evpn
            .local_neighbours()
            .map(|(k, m)| (k, m, EntryOrigin::Local))
            .chain(
                self.evpn
                    .remote_neighbours()
                    .map(|(k, m)| (k, m, EntryOrigin::Remote)),
            )
            .filter(|((v, _), _, _)| only.is_none_or(|x| x == *v))
            .map(|((v, ip), mac, origin)| NeighborView {
                vni: *v,
                ip: *ip,
                mac: *mac,
                origin,
                vtep: match origin {
                    EntryOrigin::Remote => remote_vtep(*v, mac),
                    EntryOrigin::Local => None,
                },
            })
            .collect();
        out.sort_by_key(|n| (n.vni, n.ip));
        out
    }

    pub fn vteps(&self) -> Vec<VtepView> {
        let mut by: BTreeMap<IpAddr, (BTreeSet<u32>, u64)> = BTreeMap::new();
        for (vni, ip) in self.evpn.flood_list() {
            by.entry(ip).or_default().0.insert(vni.get());
        }
        for ((vni, _), m) in self.evpn.macs() {
            if let Some(Owner::Remote(r)) = m.owner {
                let e = by.entry(r.vtep).or_default();
                e.0.insert(vni.get());
                e.1 += 1;
            }
        }
        by.into_iter()
            .map(|(ip, (vnis, macs))| VtepView {
                ip,
                vnis: vnis.into_iter().collect(),
                macs,
            })
            .collect()
    }

    pub fn duplicates(&self, only: Option<Vni>) -> Vec<DuplicateView> {
        let mut out: Vec<DuplicateView> = self
            .evpn
            .macs()
            .filter(|((v, _), m)| m.duplicate && only.is_none_or(|x| x == *v))
            .map(|((v, mac), m)| DuplicateView {
                vni: *v,
                mac: *mac,
                moves: m.recent_moves() as u32,
                last_vtep: match m.owner {
                    Some(Owner::Remote(r)) => Some(r.vtep),
                    _ => None,
                },
            })
            .collect();
        out.sort_by_key(|d| (d.vni, d.mac));
        out
    }

    /// Loc-RIB routes per EVPN route type 1..=5 (metrics).
    pub fn route_counts(&self) -> Vec<(u8, u64)> {
        let mut n = [0u64; 6];
        for (_, p) in self.rib.iter_best() {
            let t = usize::from(p.attrs.route.route_type());
            if let Some(x) = n.get_mut(t) {
                *x += 1;
            }
        }
        (1..=5u8).map(|t| (t, n[usize::from(t)])).collect()
    }
}
