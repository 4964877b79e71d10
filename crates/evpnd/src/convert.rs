//! The core's views and errors as `evpn.v1` messages, and API requests as
//! the core's types. The only place where both sides meet: changing a
//! `.proto` changes this file, never the core.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evpnd_api::{
    BackendError, LocalRoute as ApiRoute, MacFilter, Origin, RouteCursor, View, VrfMetrics,
    VrfRouteCursor, VrfRoutePage, VrfRouteQuery, pb,
};
use evpnd_core::view::*;
use evpnd_core::{CoreError, LocalRoute, Time, WatchEvent, packing::key_to_nlri};
use evpnd_rib::LossReason;
use evpnd_session::fsm::State;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute, decode_evpn_nlris, encode_evpn_nlri};

/// The wall clock of the core's time zero, for the API's Unix timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Epoch(pub SystemTime);

impl Epoch {
    pub fn unix_seconds(self, t: Time) -> u64 {
        (self.0 + Duration::from_millis(t.0))
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

pub fn error(e: CoreError) -> BackendError {
    match e {
        CoreError::NoSuchPeer(_)
        | CoreError::NotAddedOverApi(_)
        | CoreError::NotDuplicate { .. } => BackendError::NotFound(e.to_string()),
        CoreError::NotEstablished(_) | CoreError::NoRouteRefresh(_) => {
            BackendError::FailedPrecondition(e.to_string())
        }
    }
}

pub fn local_route(r: ApiRoute) -> LocalRoute {
    match r {
        ApiRoute::MacIp {
            vni,
            mac,
            ip,
            sticky,
        } => LocalRoute::MacIp {
            vni,
            mac,
            ip,
            sticky,
        },
        ApiRoute::Imet { vni } => LocalRoute::Imet { vni },
        ApiRoute::IpPrefix { vni, prefix } => LocalRoute::IpPrefix { vni, prefix },
    }
}

pub fn rib_view(v: View) -> RibView {
    match v {
        View::AdjRibIn => RibView::AdjRibIn,
        View::LocRib => RibView::LocRib,
        View::AdjRibOut => RibView::AdjRibOut,
    }
}

pub fn mac_query(f: &MacFilter) -> MacQuery {
    MacQuery {
        vni: f.vni,
        mac: f.mac,
        origin: f.origin.map(|o| match o {
            Origin::Local => EntryOrigin::Local,
            Origin::Remote => EntryOrigin::Remote,
        }),
    }
}

/// A cursor is the last key sent, as its NLRI octets.
pub fn cursor(k: &EvpnKey) -> Option<RouteCursor> {
    let n = key_to_nlri(k)?;
    let mut b = bytes::BytesMut::new();
    encode_evpn_nlri(&n, &mut b);
    Some(RouteCursor(b.to_vec()))
}

pub fn cursor_key(c: &RouteCursor) -> Option<EvpnKey> {
    decode_evpn_nlris(&c.0, false)
        .ok()?
        .first()
        .map(|n| n.route.key())
}

pub fn status(s: &StatusView) -> pb::GetStatusResponse {
    pb::GetStatusResponse {
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_seconds: s.uptime_secs,
        router_id: s.router_id.to_string(),
        asn: s.asn,
        config_generation: s.generation,
        counters: Some(pb::Counters {
            peers_configured: s.peers_configured,
            peers_established: s.peers_established,
            loc_rib_routes: s.loc_rib_routes,
            adj_rib_in_paths: s.adj_rib_in_paths,
            adj_rib_out_routes: s.adj_rib_out_routes,
            vnis: s.vnis,
            local_macs: s.local_macs,
            remote_macs: s.remote_macs,
            updates_received: s.updates_received,
            updates_sent: s.updates_sent,
        }),
    }
}

fn fsm_state(s: State) -> pb::FsmState {
    match s {
        State::Established => pb::FsmState::Established,
        State::Idle => pb::FsmState::Idle,
        State::Connect => pb::FsmState::Connect,
        State::Active => pb::FsmState::Active,
        State::OpenSent => pb::FsmState::OpenSent,
        State::OpenConfirm => pb::FsmState::OpenConfirm,
    }
}

pub fn peer(p: &PeerView, epoch: Epoch) -> pb::Peer {
    pb::Peer {
        address: p.address.to_string(),
        remote_asn: p.remote_asn,
        description: p.description.clone(),
        state: fsm_state(p.state) as i32,
        enabled: p.enabled,
        uptime_seconds: p.uptime_secs,
        families: vec![pb::FamilyCounters {
            family: pb::AddressFamily::L2vpnEvpn as i32,
            received: p.received,
            accepted: p.accepted,
            advertised: p.advertised,
        }],
        last_error: p.last_error.as_ref().map(|e| pb::PeerError {
            message: e.message.clone(),
            notification: e.notification.as_ref().map(|n| pb::Notification {
                code: u32::from(n.notify.code),
                subcode: u32::from(n.notify.subcode),
                text: evpnd_wire::notification::describe(n.notify.code, n.notify.subcode),
                sent: n.sent,
            }),
            at_unix_seconds: epoch.unix_seconds(e.at),
        }),
        hold_time_seconds: u32::from(p.hold_time),
        keepalive_seconds: u32::from(p.keepalive),
        capabilities: p.capabilities.clone(),
        // Filled by the daemon, which knows the configuration and discovery.
        ..Default::default()
    }
}

pub fn route_key(r: &EvpnRoute) -> pb::RouteKey {
    let shown = r.to_string();
    let (rd, prefix) = match shown.split_once(' ') {
        Some((rd, prefix)) => (rd.to_string(), prefix.to_string()),
        None => (String::new(), shown),
    };
    let k = match r {
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
        route_type: i32::from(r.route_type()),
        key: k,
    }
}

pub fn path(p: &PathView) -> pb::Path {
    pb::Path {
        peer: match p.source {
            PathSource::Local => "local".into(),
            PathSource::Peer(a) => a.to_string(),
            PathSource::Unknown => "?".into(),
        },
        next_hop: p.next_hop.to_string(),
        best: p.best,
        mac_mobility_sequence: p.mobility_seq,
        sticky: p.sticky,
        local_pref: p.local_pref,
        med: p.med,
        local: p.source == PathSource::Local,
        route_targets: p.route_targets.iter().map(ToString::to_string).collect(),
        router_mac: p.router_mac.map(|m| m.to_string()).unwrap_or_default(),
        as_path: p.as_path.clone(),
        vni: p.vni,
        l3_vni: p.l3_vni,
        ..pb::Path::default()
    }
}

pub fn route(r: &RouteView) -> pb::Route {
    pb::Route {
        key: Some(route_key(&r.route)),
        paths: r.paths.iter().map(path).collect(),
    }
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

pub fn explain(e: &ExplainView) -> pb::ExplainRouteResponse {
    let mut paths: Vec<pb::PathVerdict> = e
        .paths
        .iter()
        .map(|(p, why)| pb::PathVerdict {
            path: Some(path(p)),
            reason: why.map_or(pb::LossReason::Unspecified, loss) as i32,
            detail: match (why, &e.not_programmed) {
                (None, None) => "best path".into(),
                (None, Some(n)) => format!("best path; kept, not programmed: {n}"),
                (Some(w), _) => format!("lost on {w:?}"),
            },
        })
        .collect();
    // A route a peer sent and we refused: shown as an invalid path with why.
    if let Some((from, why)) = e.refused {
        paths.push(pb::PathVerdict {
            path: Some(pb::Path {
                peer: from.to_string(),
                ..pb::Path::default()
            }),
            reason: pb::LossReason::Invalid as i32,
            detail: match &e.refused_detail {
                Some(d) => format!("refused: {}: {d}", why.describe()),
                None => format!("refused: {}", why.describe()),
            },
        });
    }
    pb::ExplainRouteResponse {
        key: Some(route_key(&e.route)),
        paths,
        tenants: e
            .tenants
            .iter()
            .map(|t| pb::TenantVerdict {
                vrf: t.vrf.clone(),
                prefix: t.prefix.to_string(),
                installed: t.installed,
                not_installed: t.not_installed.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn vni(v: &VniView) -> pb::Vni {
    pb::Vni {
        vni: v.vni.get(),
        kind: if v.l3 {
            pb::VniKind::L3
        } else {
            pb::VniKind::L2
        } as i32,
        rd: v.rd.to_string(),
        import_rts: v.import.iter().map(rt_match).collect(),
        export_rts: v.export.iter().map(ToString::to_string).collect(),
        bridge: v.bridge.clone().unwrap_or_default(),
        vlan: v.vlan.map_or(0, u32::from),
        svi: v.svi.clone().unwrap_or_default(),
        vtep_ip: v.vtep.to_string(),
        flood_list: v.flood_list.iter().map(ToString::to_string).collect(),
        vxlan_device: v.vxlan_device.clone(),
        vrf: v.vrf.clone().unwrap_or_default(),
        flood_mode: match (v.l3, v.flood_group) {
            (true, _) => String::new(),
            (false, Some(g)) => format!("multicast {g}"),
            (false, None) => "ingress-replication".into(),
        },
        static_vteps: v.static_vteps.iter().map(ToString::to_string).collect(),
        remote_vteps: v.remote_vteps.iter().map(remote_vtep).collect(),
        ethernet_tag: v.ethernet_tag,
    }
}

/// A remote VTEP of a VNI: its flood entry's source, or why it has none.
fn remote_vtep(r: &RemoteVtepView) -> pb::RemoteVtep {
    use evpnd_evpn::FloodSource as S;
    let (source, reason) = match r.source {
        S::Evpn => (pb::FloodSource::Evpn, String::new()),
        S::Static => (pb::FloodSource::Static, String::new()),
        S::EvpnAndStatic => (pb::FloodSource::EvpnAndStatic, String::new()),
        S::NoEntry(why) => (pb::FloodSource::None, why.to_string()),
    };
    pb::RemoteVtep {
        vtep: r.vtep.to_string(),
        source: source.into(),
        reason,
    }
}

/// An import route target as configured: `65000:100`, or `*:100` for any ASN.
fn rt_match(m: &evpnd_config::RtMatch) -> String {
    match m {
        evpnd_config::RtMatch::Exact(rt) => rt.to_string(),
        evpnd_config::RtMatch::LocalAdmin(v) => format!("*:{v}"),
    }
}

pub fn vrf(v: &VrfView) -> pb::Vrf {
    let (mode, table, vrf_device) = match &v.mode {
        VrfModeView::Table { table } => (pb::VrfMode::Table, *table, String::new()),
        VrfModeView::Device { device, table } => {
            (pb::VrfMode::Device, table.unwrap_or(0), device.clone())
        }
    };
    pb::Vrf {
        name: v.name.clone(),
        l3vni: v.l3vni.get(),
        mode: mode as i32,
        table,
        vrf_device,
        rd: v.rd.to_string(),
        import_rts: v.import.iter().map(rt_match).collect(),
        export_rts: v.export.iter().map(ToString::to_string).collect(),
        router_mac: v.router_mac.map(|m| m.to_string()).unwrap_or_default(),
        vxlan_device: v.vxlan_device.clone().unwrap_or_default(),
        svi: v.svi.clone().unwrap_or_default(),
        l2vnis: v.l2vnis.iter().map(|v| v.get()).collect(),
        up: v.up,
        routes_installed: v.routes_installed,
        routes_held: v.routes_held,
        routes_originated: v.routes_originated,
    }
}

pub fn vrf_metrics(v: &VrfView) -> VrfMetrics {
    VrfMetrics {
        name: v.name.clone(),
        up: v.up,
        routes_installed: v.routes_installed,
        routes_held: v.routes_held,
        routes_originated: v.routes_originated,
    }
}

fn tenant_source(s: TenantRouteSource) -> pb::TenantRouteSource {
    use pb::TenantRouteSource as S;
    match s {
        TenantRouteSource::MacIp => S::MacIp,
        TenantRouteSource::IpPrefix => S::IpPrefix,
        TenantRouteSource::Connected => S::Connected,
        TenantRouteSource::Configured => S::Configured,
        TenantRouteSource::Redistributed => S::Redistributed,
    }
}

pub fn vrf_route(r: &TenantRouteView) -> pb::VrfRoute {
    pb::VrfRoute {
        vrf: r.vrf.clone(),
        prefix: r.prefix.to_string(),
        next_hops: r
            .next_hops
            .iter()
            .map(|h| pb::VrfNextHop {
                vtep_ip: h.vtep.to_string(),
                router_mac: h.router_mac.to_string(),
                source: tenant_source(h.source) as i32,
                route: h.route.clone(),
            })
            .collect(),
        local_source: r
            .local
            .map_or(pb::TenantRouteSource::Unspecified, tenant_source) as i32,
        installed: r.installed,
        not_installed_reason: r.not_installed.clone().unwrap_or_default(),
    }
}

/// The core's query for an API page: one route more than the page, to
/// know whether another page follows.
pub fn tenant_route_query(q: &VrfRouteQuery) -> TenantRouteQuery {
    TenantRouteQuery {
        vrf: q.vrf.clone(),
        prefix: q.prefix,
        after: q.after.as_ref().map(|c| (c.vrf.clone(), c.prefix)),
        limit: q.limit.saturating_add(1),
    }
}

/// A page of at most `limit` of the core's routes (asked for with
/// [`tenant_route_query`]); the cursor is the last route sent, only when
/// the core had more.
pub fn vrf_route_page(mut routes: Vec<TenantRouteView>, limit: usize) -> VrfRoutePage {
    let more = routes.len() > limit;
    routes.truncate(limit);
    let next = more
        .then(|| routes.last())
        .flatten()
        .map(|r| VrfRouteCursor {
            vrf: r.vrf.clone(),
            prefix: r.prefix,
        });
    VrfRoutePage {
        routes: routes.iter().map(vrf_route).collect(),
        next,
    }
}

pub fn router_mac(m: &RouterMacView) -> pb::RouterMac {
    pb::RouterMac {
        vrf: m.vrf.clone(),
        vtep_ip: m.vtep.to_string(),
        router_mac: m.router_mac.to_string(),
        routes: m.routes,
    }
}

fn origin(o: EntryOrigin) -> pb::EntryOrigin {
    match o {
        EntryOrigin::Local => pb::EntryOrigin::Local,
        EntryOrigin::Remote => pb::EntryOrigin::Remote,
    }
}

fn ip_or_empty(ip: Option<std::net::IpAddr>) -> String {
    ip.map(|i| i.to_string()).unwrap_or_default()
}

pub fn mac(m: &MacView) -> pb::Mac {
    pb::Mac {
        vni: m.vni.get(),
        mac: m.mac.to_string(),
        origin: origin(m.origin) as i32,
        vtep_ip: ip_or_empty(m.vtep),
        interface: String::new(),
        sequence: m.seq,
        sticky: m.sticky,
        duplicate: m.duplicate,
    }
}

pub fn neighbor(n: &NeighborView) -> pb::Neighbor {
    pb::Neighbor {
        vni: n.vni.get(),
        ip: n.ip.to_string(),
        mac: n.mac.to_string(),
        origin: origin(n.origin) as i32,
        vtep_ip: ip_or_empty(n.vtep),
    }
}

pub fn vtep(v: &VtepView) -> pb::Vtep {
    pb::Vtep {
        ip: v.ip.to_string(),
        vnis: v.vnis.clone(),
        macs: v.macs,
    }
}

pub fn duplicate(d: &DuplicateView) -> pb::Duplicate {
    pb::Duplicate {
        vni: d.vni.get(),
        mac: d.mac.to_string(),
        moves: d.moves,
        last_vtep_ip: ip_or_empty(d.last_vtep),
        detected_unix_seconds: 0,
    }
}

pub fn watch_event(e: &WatchEvent, epoch: Epoch) -> Option<pb::watch_response::Event> {
    Some(match e {
        WatchEvent::Peer(p) => pb::watch_response::Event::Peer(pb::PeerEvent {
            peer: Some(peer(p, epoch)),
        }),
        WatchEvent::Route { route: Some(r), .. } => {
            pb::watch_response::Event::Route(pb::RouteEvent {
                change: pb::RouteChange::Updated as i32,
                route: Some(route(r)),
            })
        }
        WatchEvent::Route { key, route: None } => {
            let n = key_to_nlri(key)?;
            pb::watch_response::Event::Route(pb::RouteEvent {
                change: pb::RouteChange::Withdrawn as i32,
                route: Some(pb::Route {
                    key: Some(route_key(&n.route)),
                    paths: Vec::new(),
                }),
            })
        }
    })
}

/// A unicast route of the core's view (issue 13).
pub fn unicast_route(r: &evpnd_core::unicast::view::UnicastRouteView) -> pb::UnicastRoute {
    let text = |ip: Option<std::net::Ipv6Addr>| ip.map(|a| a.to_string()).unwrap_or_default();
    pb::UnicastRoute {
        prefix: r.prefix.to_string(),
        multipath: r.multipath as u32,
        installed: r
            .installed
            .iter()
            .map(|g| pb::UnicastGateway {
                ip: g.ip.to_string(),
                dev: g.dev.clone().unwrap_or_default(),
            })
            .collect(),
        paths: r
            .paths
            .iter()
            .map(|p| pb::UnicastPath {
                peer: p.peer.map(|a| a.to_string()).unwrap_or_default(),
                next_hop: p.next_hop.to_string(),
                link_local: text(p.link_local),
                as_path: p.as_path.clone(),
                local_pref: p.local_pref,
                med: p.med,
                best: p.best,
                multipath: p.multipath,
                stale: p.stale,
                lost: p.lost.map(|l| l.name().to_string()).unwrap_or_default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use evpnd_config::RtMatch;
    use evpnd_wire::{MacAddr, Rd, RouteTarget, Vni};

    use super::*;

    fn vni(n: u32) -> Vni {
        Vni::new(n).expect("vni")
    }

    fn mac(s: &str) -> MacAddr {
        MacAddr::from_str(s).expect("mac")
    }

    fn blue(mode: VrfModeView) -> VrfView {
        VrfView {
            name: "blue".into(),
            l3vni: vni(5000),
            mode,
            rd: Rd::from_str("10.0.0.1:5000").expect("rd"),
            import: vec![
                RtMatch::LocalAdmin(5000),
                RtMatch::Exact(RouteTarget::from_str("65000:5001").expect("rt")),
            ],
            export: vec![RouteTarget::from_str("65000:5000").expect("rt")],
            router_mac: Some(mac("02:00:00:00:00:01")),
            vxlan_device: Some("vxlan5000".into()),
            svi: None,
            l2vnis: vec![vni(100), vni(200)],
            up: true,
            routes_installed: 7,
            routes_held: 2,
            routes_originated: 1,
        }
    }

    #[test]
    fn vrf_in_both_modes() {
        let t = vrf(&blue(VrfModeView::Table { table: 100 }));
        assert_eq!(
            (t.mode(), t.table, t.vrf_device.as_str()),
            (pb::VrfMode::Table, 100, "")
        );
        assert_eq!(
            (t.name.as_str(), t.l3vni, t.rd.as_str()),
            ("blue", 5000, "10.0.0.1:5000")
        );
        assert_eq!(t.import_rts, ["*:5000", "65000:5001"]);
        assert_eq!(t.export_rts, ["65000:5000"]);
        assert_eq!(t.router_mac, "02:00:00:00:00:01");
        assert_eq!((t.vxlan_device.as_str(), t.svi.as_str()), ("vxlan5000", ""));
        assert_eq!(t.l2vnis, [100, 200]);
        assert_eq!(
            (t.up, t.routes_installed, t.routes_held, t.routes_originated),
            (true, 7, 2, 1)
        );

        let found = VrfModeView::Device {
            device: "vrf-blue".into(),
            table: Some(1001),
        };
        let d = vrf(&blue(found));
        assert_eq!(
            (d.mode(), d.table, d.vrf_device.as_str()),
            (pb::VrfMode::Device, 1001, "vrf-blue")
        );
        let missing = VrfModeView::Device {
            device: "vrf-blue".into(),
            table: None,
        };
        assert_eq!(
            vrf(&blue(missing)).table,
            0,
            "0 while the device is not found"
        );

        let m = vrf_metrics(&blue(VrfModeView::Table { table: 254 }));
        assert_eq!((m.name.as_str(), m.up, m.routes_held), ("blue", true, 2));
    }

    fn route(vrf: &str, prefix: &str) -> TenantRouteView {
        TenantRouteView {
            vrf: vrf.into(),
            prefix: prefix.parse().expect("prefix"),
            next_hops: Vec::new(),
            local: None,
            installed: true,
            not_installed: None,
        }
    }

    #[test]
    fn tenant_routes_and_sources() {
        let mut remote = route("blue", "10.5.0.0/24");
        remote.next_hops = vec![TenantNextHopView {
            vtep: "10.0.0.2".parse().expect("ip"),
            router_mac: mac("02:00:00:00:00:02"),
            source: TenantRouteSource::IpPrefix,
            route: "[5]:[10.0.0.2:5000]:[0]:[24]:[10.5.0.0]".into(),
        }];
        remote.installed = false;
        remote.not_installed = Some("L3VNI down".into());
        let r = vrf_route(&remote);
        assert_eq!((r.vrf.as_str(), r.prefix.as_str()), ("blue", "10.5.0.0/24"));
        assert_eq!(r.local_source(), pb::TenantRouteSource::Unspecified);
        assert_eq!(
            (r.installed, r.not_installed_reason.as_str()),
            (false, "L3VNI down")
        );
        let h = &r.next_hops[0];
        assert_eq!(
            (h.vtep_ip.as_str(), h.router_mac.as_str()),
            ("10.0.0.2", "02:00:00:00:00:02")
        );
        assert_eq!(h.source(), pb::TenantRouteSource::IpPrefix);
        assert_eq!(h.route, "[5]:[10.0.0.2:5000]:[0]:[24]:[10.5.0.0]");

        for (s, want) in [
            (TenantRouteSource::MacIp, pb::TenantRouteSource::MacIp),
            (
                TenantRouteSource::Connected,
                pb::TenantRouteSource::Connected,
            ),
            (
                TenantRouteSource::Configured,
                pb::TenantRouteSource::Configured,
            ),
            (
                TenantRouteSource::Redistributed,
                pb::TenantRouteSource::Redistributed,
            ),
        ] {
            let mut local = route("blue", "2001:db8::/64");
            local.local = Some(s);
            assert_eq!(vrf_route(&local).local_source(), want);
        }
    }

    #[test]
    fn pages_ask_one_more_and_continue_after_the_last_sent() {
        let q = VrfRouteQuery {
            vrf: Some("blue".into()),
            prefix: None,
            after: Some(VrfRouteCursor {
                vrf: "blue".into(),
                prefix: "10.5.0.0/24".parse().expect("p"),
            }),
            limit: 2,
        };
        let tq = tenant_route_query(&q);
        assert_eq!(tq.limit, 3);
        assert_eq!(tq.vrf.as_deref(), Some("blue"));
        assert_eq!(
            tq.after,
            Some(("blue".to_string(), "10.5.0.0/24".parse().expect("p")))
        );

        let three = vec![
            route("blue", "10.5.1.0/24"),
            route("blue", "10.5.2.0/24"),
            route("red", "10.0.0.0/8"),
        ];
        let p = vrf_route_page(three.clone(), 2);
        assert_eq!(p.routes.len(), 2);
        let next = p.next.expect("more follow");
        assert_eq!(
            (next.vrf.as_str(), next.prefix.to_string().as_str()),
            ("blue", "10.5.2.0/24")
        );
        let last = vrf_route_page(three[..2].to_vec(), 2);
        assert_eq!((last.routes.len(), last.next), (2, None));
        assert_eq!(vrf_route_page(Vec::new(), 2).next, None);
    }

    #[test]
    fn router_macs() {
        let m = router_mac(&RouterMacView {
            vrf: "blue".into(),
            vtep: "10.0.0.3".parse().expect("ip"),
            router_mac: mac("02:00:00:00:00:03"),
            routes: 4,
        });
        assert_eq!(
            (
                m.vrf.as_str(),
                m.vtep_ip.as_str(),
                m.router_mac.as_str(),
                m.routes
            ),
            ("blue", "10.0.0.3", "02:00:00:00:00:03", 4)
        );
    }
}
