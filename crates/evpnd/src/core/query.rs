//! What the core answers the management API, built from its own state (it
//! owns the RIB, the peers and the EVPN domain; no copies, no locks). Each
//! answer is bounded: route listings come a page at a time.

use std::collections::BinaryHeap;
use std::net::IpAddr;

use evpnd_api::{BackendError, MacFilter, Origin, RouteCursor, RoutePage, RouteQuery, View, pb};
use evpnd_evpn::Owner;
use evpnd_rib::{LossReason, Path, PeerId};
use evpnd_wire::attr::{AttrValue, ExtCommunity};
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute, decode_evpn_nlris, encode_evpn_nlri};
use evpnd_wire::{MacAddr, Rd, Vni};

use super::Core;
use crate::packing::key_to_nlri;
use crate::route::RouteEntry;

pub(super) fn key_of(e: &RouteEntry) -> pb::RouteKey {
    let shown = e.route.to_string();
    let (rd, prefix) = match shown.split_once(' ') {
        Some((rd, prefix)) => (rd.to_string(), prefix.to_string()),
        None => (String::new(), shown),
    };
    let k = match &e.route {
        EvpnRoute::MacIp(m) => Some(pb::route_key::Key::MacIp(pb::MacIpKey {
            ethernet_tag: m.ethernet_tag,
            mac: m.mac.to_string(),
            ip: m.ip.map(|i| i.to_string()).unwrap_or_default(),
        })),
        EvpnRoute::Imet(i) => Some(pb::route_key::Key::Imet(pb::ImetKey {
            ethernet_tag: i.ethernet_tag,
            originator_ip: i.originator.to_string(),
        })),
        EvpnRoute::IpPrefix(x) => Some(pb::route_key::Key::IpPrefix(pb::IpPrefixKey {
            ethernet_tag: x.ethernet_tag,
            prefix: x.prefix.to_string(),
        })),
        _ => None,
    };
    pb::RouteKey {
        prefix,
        rd,
        route_type: i32::from(e.route.route_type()),
        key: k,
    }
}

pub(super) fn path_of(core: &Core, e: &RouteEntry, p: &Path<RouteEntry>, best: bool) -> pb::Path {
    let mut out = pb::Path {
        peer: core.from(p.peer).0,
        next_hop: e.next_hop.to_string(),
        best,
        mac_mobility_sequence: p.rank.mobility_seq,
        sticky: p.rank.sticky,
        local_pref: p.rank.local_pref,
        med: p.rank.med,
        local: p.peer == PeerId::LOCAL,
        ..pb::Path::default()
    };
    for a in e.attrs.iter() {
        match &a.value {
            AttrValue::ExtCommunities(c) => {
                for x in c {
                    match x {
                        ExtCommunity::RouteTarget { value } => {
                            out.route_targets.push(value.to_string())
                        }
                        ExtCommunity::RouterMac { mac } => out.router_mac = mac.to_string(),
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

fn loss(r: LossReason) -> pb::LossReason {
    use pb::LossReason as L;
    match r {
        LossReason::Stale => L::Invalid,
        LossReason::NotSticky => L::Sticky,
        LossReason::LowerMobilitySequence => L::MobilitySequence,
        LossReason::NotLocal => L::LocalOrigin,
        LossReason::LowerLocalPref => L::LocalPref,
        LossReason::LongerAsPath => L::AsPathLength,
        LossReason::HigherOrigin => L::Origin,
        LossReason::HigherMed => L::Med,
        LossReason::IbgpVsEbgp => L::EbgpOverIbgp,
        LossReason::LongerClusterList | LossReason::HigherRouterId => L::RouterId,
        LossReason::HigherPeerAddress | LossReason::Tie => L::PeerAddress,
    }
}

/// One page of a route listing, chosen in a single pass over the table:
/// the `limit` smallest keys after the cursor (route-key order), kept in a
/// max-heap, so a page costs O(n log limit) and never sorts the table; a
/// route is only built (and filtered) when it would be kept.
struct Page {
    after: Option<EvpnKey>,
    limit: usize,
    heap: BinaryHeap<Ranked>,
    /// A matching route may lie beyond this page.
    more: bool,
}

struct Ranked(EvpnKey, pb::Route);

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

/// A cursor is the last key sent, as its NLRI octets.
fn cursor_of(k: &EvpnKey) -> Option<RouteCursor> {
    let n = key_to_nlri(k)?;
    let mut b = bytes::BytesMut::new();
    encode_evpn_nlri(&n, &mut b);
    Some(RouteCursor(b.to_vec()))
}

fn key_of_cursor(c: &RouteCursor) -> Option<EvpnKey> {
    decode_evpn_nlris(&c.0, false)
        .ok()?
        .first()
        .map(|n| n.route.key())
}

impl Page {
    fn new(q: &RouteQuery) -> Page {
        Page {
            after: q.after.as_ref().and_then(key_of_cursor),
            limit: q.limit.max(1),
            heap: BinaryHeap::new(),
            more: false,
        }
    }

    /// Offers `k`; `build` makes the filtered route when it could be kept.
    fn offer(&mut self, k: &EvpnKey, build: impl FnOnce() -> Option<pb::Route>) {
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

    fn finish(self) -> RoutePage {
        let routes = self.heap.into_sorted_vec();
        let next = if self.more {
            routes.last().and_then(|r| cursor_of(&r.0))
        } else {
            None
        };
        RoutePage {
            routes: routes.into_iter().map(|r| r.1).collect(),
            next,
        }
    }
}

impl Core {
    /// Where a path came from: the neighbour's address, or "local".
    pub(super) fn from(&self, peer: PeerId) -> (String, Option<IpAddr>) {
        if peer == PeerId::LOCAL {
            return ("local".into(), None);
        }
        match self.peers.get((peer.0 - 1) as usize) {
            Some(s) => {
                let a = *s.cfg.address.get_ref();
                (a.to_string(), Some(a))
            }
            None => ("?".into(), None),
        }
    }

    pub fn api_status(&self) -> pb::GetStatusResponse {
        let live = self.peers.iter().filter(|p| !p.removed);
        let (local, remote) = self.mac_counts();
        pb::GetStatusResponse {
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_seconds: self.started.elapsed().as_secs(),
            router_id: self.cfg.bgp.router_id.to_string(),
            asn: self.cfg.asn(),
            config_generation: self.generation,
            counters: Some(pb::Counters {
                peers_configured: live.clone().count() as u32,
                peers_established: live.clone().filter(|p| p.up.is_some()).count() as u32,
                loc_rib_routes: self.rib.len() as u64,
                adj_rib_in_paths: self.rib.path_count() as u64,
                adj_rib_out_routes: live.map(|p| p.out.sent_len() as u64).sum(),
                vnis: self.evpn.instances().count() as u32,
                local_macs: local,
                remote_macs: remote,
                updates_received: self.updates_in,
                updates_sent: self.updates_out,
            }),
        }
    }

    pub fn mac_counts(&self) -> (u64, u64) {
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
        let mut by: std::collections::BTreeMap<u32, (u64, u64)> = self
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

    pub fn api_peers(&self) -> Vec<pb::Peer> {
        let mut v: Vec<pb::Peer> = self
            .peers
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.removed)
            .map(|(i, p)| {
                use evpnd_session::fsm::State;
                let state = match (p.up.is_some(), p.fsm_state) {
                    (true, _) | (false, State::Established) => pb::FsmState::Established,
                    (false, State::Idle) => pb::FsmState::Idle,
                    (false, State::Connect) => pb::FsmState::Connect,
                    (false, State::Active) => pb::FsmState::Active,
                    (false, State::OpenSent) => pb::FsmState::OpenSent,
                    (false, State::OpenConfirm) => pb::FsmState::OpenConfirm,
                };
                let received = self.rib.peer_path_count(Self::peer_id(i as u32)) as u64;
                let mut out = pb::Peer {
                    address: p.cfg.address.get_ref().to_string(),
                    remote_asn: p.cfg.remote_asn,
                    description: p.cfg.description.clone().unwrap_or_default(),
                    state: state as i32,
                    enabled: p.cfg.enabled,
                    uptime_seconds: p.up_since.map_or(0, |t| t.elapsed().as_secs()),
                    families: vec![pb::FamilyCounters {
                        family: pb::AddressFamily::L2vpnEvpn as i32,
                        received,
                        accepted: received,
                        advertised: p.out.sent_len() as u64,
                    }],
                    last_error: (!p.last_error.is_empty()).then(|| pb::PeerError {
                        message: p.last_error.clone(),
                        ..pb::PeerError::default()
                    }),
                    ..pb::Peer::default()
                };
                if let Some(n) = &p.up {
                    out.hold_time_seconds = u32::from(n.hold_time);
                    out.keepalive_seconds = u32::from(n.keepalive);
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
                out
            })
            .collect();
        v.sort_by_key(|p| p.address.parse::<IpAddr>().ok());
        v
    }

    /// Loc-RIB keys in order, rebuilt only when the RIB changed since the
    /// last listing: paging a large table costs one sort, then a binary
    /// search and `limit` steps per page.
    fn keys_in_order(&self) -> std::sync::Arc<Vec<EvpnKey>> {
        let mut cache = self.sorted_keys.borrow_mut();
        if let Some((v, keys)) = cache.as_ref()
            && *v == self.rib_version
        {
            return std::sync::Arc::clone(keys);
        }
        let mut keys: Vec<EvpnKey> = self.rib.iter_best().map(|(k, _)| k).collect();
        keys.sort_unstable();
        let keys = std::sync::Arc::new(keys);
        *cache = Some((self.rib_version, std::sync::Arc::clone(&keys)));
        keys
    }

    pub fn api_routes(&self, q: &RouteQuery) -> RoutePage {
        if q.view == View::AdjRibOut {
            return self.adj_rib_out_page(q);
        }
        let keys = self.keys_in_order();
        let after = q.after.as_ref().and_then(key_of_cursor);
        let start = match &after {
            Some(a) => keys.partition_point(|k| k <= a),
            None => 0,
        };
        let limit = q.limit.max(1);
        let mut routes = Vec::new();
        let mut last = None;
        let mut more = false;
        for k in &keys[start..] {
            if routes.len() == limit {
                more = true;
                break;
            }
            let Some(best) = self.rib.best(k) else {
                continue;
            };
            let r = match q.view {
                View::LocRib => pb::Route {
                    key: Some(key_of(&best.attrs)),
                    paths: vec![path_of(self, &best.attrs, best, true)],
                },
                _ => pb::Route {
                    key: Some(key_of(&best.attrs)),
                    paths: self
                        .rib
                        .explain(k)
                        .into_iter()
                        .map(|(p, why)| path_of(self, &p.attrs, p, why.is_none()))
                        .collect(),
                },
            };
            if let Some(r) = q.filter.apply(&r) {
                routes.push(r);
                last = Some(k);
            }
        }
        RoutePage {
            routes,
            next: if more { last.and_then(cursor_of) } else { None },
        }
    }

    fn adj_rib_out_page(&self, q: &RouteQuery) -> RoutePage {
        let mut page = Page::new(q);
        for s in self.peers.iter().filter(|s| !s.removed) {
            let addr = *s.cfg.address.get_ref();
            if q.filter.peer.is_some_and(|p| p != addr) {
                continue;
            }
            for (_, o) in s.out.sent() {
                let k = o.entry.route.key();
                let Some(best) = self.rib.best(&k) else {
                    continue;
                };
                page.offer(&k, || {
                    let mut e = (*o.entry).clone();
                    e.attrs = o.attrs.clone();
                    let mut p = path_of(self, &e, best, true);
                    p.peer = addr.to_string();
                    q.filter.apply(&pb::Route {
                        key: Some(key_of(&e)),
                        paths: vec![p],
                    })
                });
            }
        }
        page.finish()
    }

    pub fn api_explain(&self, rd: Rd, prefix: &str) -> Option<pb::ExplainRouteResponse> {
        let wanted = format!("{rd} {prefix}");
        let k = self
            .rib
            .iter_best()
            .find(|(_, p)| p.attrs.route.to_string() == wanted)
            .map(|(k, _)| k)?;
        let paths = self.rib.explain(&k);
        let best = paths.first()?.0;
        Some(pb::ExplainRouteResponse {
            key: Some(key_of(&best.attrs)),
            paths: paths
                .iter()
                .map(|(p, why)| pb::PathVerdict {
                    path: Some(path_of(self, &p.attrs, p, why.is_none())),
                    reason: why.map_or(pb::LossReason::Unspecified, loss) as i32,
                    detail: match why {
                        None => "best path".into(),
                        Some(w) => format!("lost on {w:?}"),
                    },
                })
                .collect(),
        })
    }

    pub fn api_vnis(&self, only: Option<Vni>) -> Vec<pb::Vni> {
        self.evpn
            .instances()
            .filter(|i| only.is_none_or(|v| v == i.vni))
            .map(|i| {
                let k = &i.kernel;
                pb::Vni {
                    vni: i.vni.get(),
                    kind: pb::VniKind::L2 as i32,
                    rd: i.rd.to_string(),
                    import_rts: i
                        .import
                        .iter()
                        .map(|m| match m {
                            evpnd_config::RtMatch::Exact(rt) => rt.to_string(),
                            evpnd_config::RtMatch::LocalAdmin(v) => format!("*:{v}"),
                        })
                        .collect(),
                    export_rts: i.export_rts.iter().map(ToString::to_string).collect(),
                    bridge: k.bridge_name.clone().unwrap_or_default(),
                    vlan: k.vlan.map_or(0, u32::from),
                    svi: k.svi_name.clone().unwrap_or_default(),
                    vtep_ip: i.vtep.to_string(),
                    flood_list: self
                        .evpn
                        .flood_list()
                        .filter(|(v, _)| *v == i.vni)
                        .map(|(_, ip)| ip.to_string())
                        .collect(),
                    vxlan_device: k.vxlan_name.clone(),
                }
            })
            .collect()
    }

    pub fn api_macs(&self, f: &MacFilter) -> Vec<pb::Mac> {
        let mut out: Vec<pb::Mac> = self
            .evpn
            .macs()
            .filter(|((v, m), _)| f.vni.is_none_or(|x| x == *v) && f.mac.is_none_or(|x| x == *m))
            .filter_map(|((v, mac), m)| {
                let (origin, vtep, sequence, sticky) = match m.owner? {
                    Owner::Local { seq, sticky } => (Origin::Local, String::new(), seq, sticky),
                    Owner::Remote(r) => (Origin::Remote, r.vtep.to_string(), r.seq, r.sticky),
                };
                if f.origin.is_some_and(|o| o != origin) {
                    return None;
                }
                Some(pb::Mac {
                    vni: v.get(),
                    mac: mac.to_string(),
                    origin: match origin {
                        Origin::Local => pb::EntryOrigin::Local,
                        Origin::Remote => pb::EntryOrigin::Remote,
                    } as i32,
                    vtep_ip: vtep,
                    interface: String::new(),
                    sequence,
                    sticky,
                    duplicate: m.duplicate,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.vni, &a.mac).cmp(&(b.vni, &b.mac)));
        out
    }

    pub fn api_neighbors(&self, only: Option<Vni>) -> Vec<pb::Neighbor> {
        let remote_vtep = |vni: Vni, mac: &MacAddr| {
            self.evpn
                .macs()
                .find(|((v, m), _)| *v == vni && m == mac)
                .and_then(|(_, s)| match s.owner {
                    Some(Owner::Remote(r)) => Some(r.vtep.to_string()),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let mut out: Vec<pb::Neighbor> = self
            .evpn
            .local_neighbours()
            .map(|(k, m)| (k, m, pb::EntryOrigin::Local))
            .chain(
                self.evpn
                    .remote_neighbours()
                    .map(|(k, m)| (k, m, pb::EntryOrigin::Remote)),
            )
            .filter(|((v, _), _, _)| only.is_none_or(|x| x == *v))
            .map(|((v, ip), mac, origin)| pb::Neighbor {
                vni: v.get(),
                ip: ip.to_string(),
                mac: mac.to_string(),
                origin: origin as i32,
                vtep_ip: if origin == pb::EntryOrigin::Remote {
                    remote_vtep(*v, mac)
                } else {
                    String::new()
                },
            })
            .collect();
        out.sort_by(|a, b| (a.vni, &a.ip).cmp(&(b.vni, &b.ip)));
        out
    }

    pub fn api_vteps(&self) -> Vec<pb::Vtep> {
        let mut by: std::collections::BTreeMap<IpAddr, (std::collections::BTreeSet<u32>, u64)> =
            std::collections::BTreeMap::new();
        for (vni, ip) in self.evpn.flood_list() {
            by.entry(*ip).or_default().0.insert(vni.get());
        }
        for ((vni, _), m) in self.evpn.macs() {
            if let Some(Owner::Remote(r)) = m.owner {
                let e = by.entry(r.vtep).or_default();
                e.0.insert(vni.get());
                e.1 += 1;
            }
        }
        by.into_iter()
            .map(|(ip, (vnis, macs))| pb::Vtep {
                ip: ip.to_string(),
                vnis: vnis.into_iter().collect(),
                macs,
            })
            .collect()
    }

    pub fn api_duplicates(&self, only: Option<Vni>) -> Vec<pb::Duplicate> {
        let mut out: Vec<pb::Duplicate> = self
            .evpn
            .macs()
            .filter(|((v, _), m)| m.duplicate && only.is_none_or(|x| x == *v))
            .map(|((v, mac), m)| pb::Duplicate {
                vni: v.get(),
                mac: mac.to_string(),
                moves: m.recent_moves() as u32,
                last_vtep_ip: match m.owner {
                    Some(Owner::Remote(r)) => r.vtep.to_string(),
                    _ => String::new(),
                },
                detected_unix_seconds: 0,
            })
            .collect();
        out.sort_by(|a, b| (a.vni, &a.mac).cmp(&(b.vni, &b.mac)));
        out
    }

    /// The operator clears a duplicate MAC.
    pub async fn api_clear_duplicate(
        &mut self,
        vni: Vni,
        mac: MacAddr,
    ) -> Result<(), BackendError> {
        let now = self.now_secs();
        if !self.evpn.clear_duplicate(vni, mac, now) {
            return Err(BackendError::NotFound(format!(
                "{mac} in VNI {vni} is not marked duplicate"
            )));
        }
        self.apply(Vec::new()).await;
        Ok(())
    }

    /// Loc-RIB routes per EVPN route type (metrics).
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
