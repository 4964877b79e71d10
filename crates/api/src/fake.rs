//! An in-memory [`Backend`] with a small fixed fabric, for tests and demos.
//!
//! Two peers, VNIs 100 (L2) and 5000 (L3), `routes_per_vni` type-2 routes in
//! VNIs 100 and 200, two type-3 routes and one type-5 route. Watch events
//! are published with [`FakeBackend::publish`].

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

use evpnd_wire::{MacAddr, Rd, Vni};
use tokio::sync::broadcast;

use crate::Backend;
use crate::metrics::{Metrics, PeerMetrics, RouteCount};
use crate::pb::{self, route_key::Key, watch_response::Event};
use crate::types::*;

/// The fake backend.
pub struct FakeBackend {
    routes: Vec<pb::Route>,
    local: Mutex<Vec<LocalRoute>>,
    events: broadcast::Sender<Event>,
    log_level: Mutex<pb::LogLevel>,
}

fn path(peer: &str, vni: u32, best: bool, seq: u32) -> pb::Path {
    pb::Path {
        peer: peer.into(),
        next_hop: peer.into(),
        best,
        route_targets: vec![format!("65000:{vni}")],
        vni,
        mac_mobility_sequence: seq,
        as_path: vec![65000],
        local_pref: 100,
        ..Default::default()
    }
}

fn type2(vni: u32, i: usize) -> pb::Route {
    let mac = format!(
        "aa:bb:cc:{:02x}:{:02x}:{:02x}",
        vni % 256,
        (i >> 8) & 0xff,
        i & 0xff
    );
    let ip = format!("10.{}.{}.{}", vni % 256, (i >> 8) & 0xff, i & 0xff);
    let rd = format!("10.0.0.2:{vni}");
    let mut paths = vec![path("10.0.0.2", vni, true, 1)];
    if i == 0 {
        // One route with a second, losing path for ExplainRoute.
        paths.push(path("10.0.0.3", vni, false, 0));
    }
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: format!("[2]:[0]:[48]:[{mac}]:[32]:[{ip}]"),
            rd,
            route_type: pb::RouteType::MacIp.into(),
            key: Some(Key::MacIp(pb::MacIpKey {
                ethernet_tag: 0,
                mac,
                ip,
            })),
        }),
        paths,
    }
}

fn type3(vtep: &str, vni: u32) -> pb::Route {
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: format!("[3]:[0]:[32]:[{vtep}]"),
            rd: format!("{vtep}:{vni}"),
            route_type: pb::RouteType::Imet.into(),
            key: Some(Key::Imet(pb::ImetKey {
                ethernet_tag: 0,
                originator_ip: vtep.into(),
            })),
        }),
        paths: vec![path(vtep, vni, true, 0)],
    }
}

fn type5() -> pb::Route {
    let mut p = path("10.0.0.2", 0, true, 0);
    p.l3_vni = 5000;
    p.route_targets = vec!["65000:5000".into()];
    p.router_mac = "02:00:00:00:00:02".into();
    pb::Route {
        key: Some(pb::RouteKey {
            prefix: "[5]:[0]:[24]:[10.5.0.0]".into(),
            rd: "10.0.0.2:5000".into(),
            route_type: pb::RouteType::IpPrefix.into(),
            key: Some(Key::IpPrefix(pb::IpPrefixKey {
                ethernet_tag: 0,
                prefix: "10.5.0.0/24".into(),
            })),
        }),
        paths: vec![p],
    }
}

/// The two fake peers.
pub fn peers() -> Vec<pb::Peer> {
    vec![
        pb::Peer {
            address: "10.0.0.2".into(),
            remote_asn: 65000,
            description: "spine1".into(),
            state: pb::FsmState::Established.into(),
            enabled: true,
            uptime_seconds: 3600,
            capabilities: vec![
                "mp-l2vpn-evpn".into(),
                "4-octet-as".into(),
                "route-refresh".into(),
            ],
            hold_time_seconds: 90,
            keepalive_seconds: 30,
            families: vec![pb::FamilyCounters {
                family: pb::AddressFamily::L2vpnEvpn.into(),
                received: 10,
                accepted: 10,
                advertised: 4,
            }],
            last_error: None,
        },
        pb::Peer {
            address: "10.0.0.3".into(),
            remote_asn: 65000,
            description: "spine2".into(),
            state: pb::FsmState::Active.into(),
            enabled: true,
            uptime_seconds: 12,
            hold_time_seconds: 90,
            keepalive_seconds: 30,
            last_error: Some(pb::PeerError {
                message: "peer sent NOTIFICATION".into(),
                notification: Some(pb::Notification {
                    code: 6,
                    subcode: 2,
                    text: "Cease / Administrative Shutdown".into(),
                    sent: false,
                }),
                at_unix_seconds: 1_700_000_000,
            }),
            ..Default::default()
        },
    ]
}

impl FakeBackend {
    /// A fake with `routes_per_vni` type-2 routes in each of VNIs 100 and 200
    /// and a watch feed of `watch_capacity` events.
    pub fn new(routes_per_vni: usize, watch_capacity: usize) -> Self {
        let mut routes = vec![type3("10.0.0.2", 100), type3("10.0.0.3", 100), type5()];
        for vni in [100, 200] {
            routes.extend((0..routes_per_vni).map(|i| type2(vni, i)));
        }
        FakeBackend {
            routes,
            local: Mutex::new(Vec::new()),
            events: broadcast::channel(watch_capacity.max(1)).0,
            log_level: Mutex::new(pb::LogLevel::Info),
        }
    }

    /// Publishes a live watch event; returns how many watchers got it.
    pub fn publish(&self, e: Event) -> usize {
        self.events.send(e).unwrap_or(0)
    }

    /// The local routes added so far.
    pub fn local_routes(&self) -> Vec<LocalRoute> {
        self.local.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn find_peer(&self, a: IpAddr) -> Result<pb::Peer, BackendError> {
        peers()
            .into_iter()
            .find(|p| p.address == a.to_string())
            .ok_or_else(|| BackendError::NotFound(format!("no peer {a}")))
    }
}

fn local_key(r: &LocalRoute) -> pb::RouteKey {
    let rd = "10.0.0.1:1".to_string();
    match r {
        LocalRoute::MacIp { mac, ip, .. } => {
            let ip_s = ip.map(|i| i.to_string()).unwrap_or_default();
            let tail = match ip {
                Some(IpAddr::V4(_)) => format!(":[32]:[{ip_s}]"),
                Some(IpAddr::V6(_)) => format!(":[128]:[{ip_s}]"),
                None => String::new(),
            };
            pb::RouteKey {
                prefix: format!("[2]:[0]:[48]:[{mac}]{tail}"),
                rd,
                route_type: pb::RouteType::MacIp.into(),
                key: Some(Key::MacIp(pb::MacIpKey {
                    ethernet_tag: 0,
                    mac: mac.to_string(),
                    ip: ip_s,
                })),
            }
        }
        LocalRoute::Imet { .. } => pb::RouteKey {
            prefix: "[3]:[0]:[32]:[10.0.0.1]".into(),
            rd,
            route_type: pb::RouteType::Imet.into(),
            key: Some(Key::Imet(pb::ImetKey {
                ethernet_tag: 0,
                originator_ip: "10.0.0.1".into(),
            })),
        },
        LocalRoute::IpPrefix { prefix, .. } => pb::RouteKey {
            prefix: format!("[5]:[0]:[{}]:[{}]", prefix.prefix_len(), prefix.network()),
            rd,
            route_type: pb::RouteType::IpPrefix.into(),
            key: Some(Key::IpPrefix(pb::IpPrefixKey {
                ethernet_tag: 0,
                prefix: prefix.to_string(),
            })),
        },
    }
}

fn vni_of(v: Option<Vni>, n: u32) -> bool {
    v.is_none_or(|v| v.get() == n)
}

#[tonic::async_trait]
impl Backend for FakeBackend {
    async fn status(&self) -> Result<pb::GetStatusResponse, BackendError> {
        Ok(pb::GetStatusResponse {
            version: "0.1.0-fake".into(),
            uptime_seconds: 3600,
            router_id: "10.0.0.1".into(),
            asn: 65001,
            config_generation: 3,
            counters: Some(pb::Counters {
                peers_configured: 2,
                peers_established: 1,
                loc_rib_routes: self.routes.len() as u64,
                vnis: 2,
                ..Default::default()
            }),
        })
    }

    async fn validate_config(
        &self,
        source: ConfigSource,
    ) -> Result<Vec<pb::ConfigError>, BackendError> {
        Ok(match source {
            ConfigSource::Text(t) if t.contains("asn = \"x\"") => vec![pb::ConfigError {
                file: "<text>".into(),
                line: 2,
                column: 7,
                message: "bgp.asn: expected an integer".into(),
            }],
            _ => Vec::new(),
        })
    }

    async fn reload_config(&self) -> Result<pb::ReloadConfigResponse, BackendError> {
        Ok(pb::ReloadConfigResponse {
            applied: true,
            generation: 4,
            changes: vec![pb::ConfigChange {
                kind: pb::ChangeKind::Added.into(),
                path: "vni.300".into(),
                detail: "new L2 VNI 300".into(),
            }],
            errors: Vec::new(),
        })
    }

    async fn set_log_level(&self, level: pb::LogLevel) -> Result<pb::LogLevel, BackendError> {
        let mut l = self
            .log_level
            .lock()
            .map_err(|_| BackendError::Internal("poisoned".into()))?;
        Ok(std::mem::replace(&mut *l, level))
    }

    async fn list_peers(&self) -> Result<Vec<pb::Peer>, BackendError> {
        Ok(peers())
    }

    async fn get_peer(&self, address: IpAddr) -> Result<Option<pb::Peer>, BackendError> {
        Ok(self.find_peer(address).ok())
    }

    async fn enable_peer(&self, address: IpAddr) -> Result<(), BackendError> {
        self.find_peer(address).map(|_| ())
    }

    async fn disable_peer(&self, address: IpAddr, _reason: String) -> Result<(), BackendError> {
        self.find_peer(address).map(|_| ())
    }

    async fn reset_peer(&self, address: IpAddr, _kind: pb::ResetKind) -> Result<(), BackendError> {
        self.find_peer(address).map(|_| ())
    }

    async fn list_routes(&self, q: RouteQuery) -> Result<RoutePage, BackendError> {
        // The cursor is the index of the next route to look at.
        let start = match &q.after {
            None => 0,
            Some(c) => {
                let b: [u8; 8] = c.0.as_slice().try_into().map_err(|_| {
                    BackendError::FailedPrecondition("page_token: stale or foreign".into())
                })?;
                usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX)
            }
        };
        let mut page = RoutePage::default();
        for (i, r) in self.routes.iter().enumerate().skip(start) {
            if let Some(r) = q.filter.apply(r) {
                if page.routes.len() == q.limit {
                    page.next = Some(RouteCursor((i as u64).to_be_bytes().to_vec()));
                    break;
                }
                page.routes.push(r);
            }
        }
        Ok(page)
    }

    async fn explain_route(
        &self,
        rd: Rd,
        prefix: String,
    ) -> Result<Option<pb::ExplainRouteResponse>, BackendError> {
        let rd = rd.to_string();
        let Some(r) = self.routes.iter().find(|r| {
            r.key
                .as_ref()
                .is_some_and(|k| k.rd == rd && k.prefix == prefix)
        }) else {
            return Ok(None);
        };
        let paths = r
            .paths
            .iter()
            .map(|p| pb::PathVerdict {
                path: Some(p.clone()),
                reason: if p.best {
                    pb::LossReason::Unspecified
                } else {
                    pb::LossReason::MobilitySequence
                }
                .into(),
                detail: if p.best {
                    "best".into()
                } else {
                    "sequence 0 < 1 of 10.0.0.2".into()
                },
            })
            .collect();
        Ok(Some(pb::ExplainRouteResponse {
            key: r.key.clone(),
            paths,
        }))
    }

    async fn add_route(&self, route: LocalRoute) -> Result<pb::RouteKey, BackendError> {
        let key = local_key(&route);
        let mut l = self
            .local
            .lock()
            .map_err(|_| BackendError::Internal("poisoned".into()))?;
        if !l.contains(&route) {
            l.push(route);
        }
        Ok(key)
    }

    async fn delete_route(&self, route: LocalRoute) -> Result<(), BackendError> {
        let mut l = self
            .local
            .lock()
            .map_err(|_| BackendError::Internal("poisoned".into()))?;
        let before = l.len();
        l.retain(|r| r != &route);
        if l.len() == before {
            return Err(BackendError::NotFound("no such local route".into()));
        }
        Ok(())
    }

    async fn list_vnis(&self, vni: Option<Vni>) -> Result<Vec<pb::Vni>, BackendError> {
        let all = vec![
            pb::Vni {
                vni: 100,
                kind: pb::VniKind::L2.into(),
                rd: "10.0.0.1:100".into(),
                import_rts: vec!["65000:100".into()],
                export_rts: vec!["65000:100".into()],
                bridge: "br100".into(),
                vlan: 0,
                svi: "br100".into(),
                vtep_ip: "10.0.0.1".into(),
                flood_list: vec!["10.0.0.2".into(), "10.0.0.3".into()],
                vxlan_device: "vxlan100".into(),
            },
            pb::Vni {
                vni: 5000,
                kind: pb::VniKind::L3.into(),
                rd: "10.0.0.1:5000".into(),
                import_rts: vec!["65000:5000".into()],
                export_rts: vec!["65000:5000".into()],
                bridge: "br5000".into(),
                vtep_ip: "10.0.0.1".into(),
                vxlan_device: "vxlan5000".into(),
                ..Default::default()
            },
        ];
        Ok(all.into_iter().filter(|v| vni_of(vni, v.vni)).collect())
    }

    async fn list_macs(&self, f: MacFilter) -> Result<Vec<pb::Mac>, BackendError> {
        let all = vec![
            pb::Mac {
                vni: 100,
                mac: "02:00:00:00:01:01".into(),
                origin: pb::EntryOrigin::Local.into(),
                interface: "eth1".into(),
                sequence: 0,
                ..Default::default()
            },
            pb::Mac {
                vni: 100,
                mac: "aa:bb:cc:64:00:00".into(),
                origin: pb::EntryOrigin::Remote.into(),
                vtep_ip: "10.0.0.2".into(),
                sequence: 1,
                duplicate: true,
                ..Default::default()
            },
        ];
        Ok(all
            .into_iter()
            .filter(|m| vni_of(f.vni, m.vni))
            .filter(|m| f.mac.is_none_or(|x| x.to_string() == m.mac))
            .filter(|m| match f.origin {
                None => true,
                Some(Origin::Local) => m.origin == i32::from(pb::EntryOrigin::Local),
                Some(Origin::Remote) => m.origin == i32::from(pb::EntryOrigin::Remote),
            })
            .collect())
    }

    async fn list_neighbors(&self, vni: Option<Vni>) -> Result<Vec<pb::Neighbor>, BackendError> {
        let all = vec![pb::Neighbor {
            vni: 100,
            ip: "10.100.0.0".into(),
            mac: "aa:bb:cc:64:00:00".into(),
            origin: pb::EntryOrigin::Remote.into(),
            vtep_ip: "10.0.0.2".into(),
        }];
        Ok(all.into_iter().filter(|n| vni_of(vni, n.vni)).collect())
    }

    async fn list_vteps(&self) -> Result<Vec<pb::Vtep>, BackendError> {
        Ok(vec![
            pb::Vtep {
                ip: "10.0.0.2".into(),
                vnis: vec![100, 200],
                macs: 2,
            },
            pb::Vtep {
                ip: "10.0.0.3".into(),
                vnis: vec![100],
                macs: 0,
            },
        ])
    }

    async fn list_duplicates(&self, vni: Option<Vni>) -> Result<Vec<pb::Duplicate>, BackendError> {
        let all = vec![pb::Duplicate {
            vni: 100,
            mac: "aa:bb:cc:64:00:00".into(),
            moves: 5,
            last_vtep_ip: "10.0.0.2".into(),
            detected_unix_seconds: 1_700_000_000,
        }];
        Ok(all.into_iter().filter(|d| vni_of(vni, d.vni)).collect())
    }

    async fn clear_duplicate(&self, vni: Vni, mac: MacAddr) -> Result<(), BackendError> {
        if vni.get() == 100 && mac.to_string() == "aa:bb:cc:64:00:00" {
            Ok(())
        } else {
            Err(BackendError::NotFound(format!(
                "{mac} in VNI {vni} is not a duplicate"
            )))
        }
    }

    async fn dataplane(&self, vni: Option<Vni>) -> Result<Vec<pb::VniDataplane>, BackendError> {
        let counts = |fdb| pb::DataplaneCounts {
            fdb,
            flood: 2,
            neighbors: 1,
            routes: 0,
        };
        let all = vec![pb::VniDataplane {
            vni: 100,
            desired: Some(counts(3)),
            programmed: Some(counts(2)),
            drift: true,
            last_errors: vec![pb::DataplaneError {
                object: "fdb aa:bb:cc:64:00:01 dst 10.0.0.2".into(),
                message: "EEXIST".into(),
                at_unix_seconds: 1_700_000_000,
            }],
        }];
        Ok(all.into_iter().filter(|d| vni_of(vni, d.vni)).collect())
    }

    async fn watch(&self) -> Result<WatchStart, BackendError> {
        let events = self.events.subscribe();
        let mut snapshot: Vec<Event> = peers()
            .into_iter()
            .map(|p| Event::Peer(pb::PeerEvent { peer: Some(p) }))
            .collect();
        snapshot.extend(self.routes.iter().take(3).map(|r| {
            Event::Route(pb::RouteEvent {
                change: pb::RouteChange::Updated.into(),
                route: Some(r.clone()),
            })
        }));
        Ok(WatchStart { snapshot, events })
    }

    async fn metrics(&self) -> Result<Metrics, BackendError> {
        let localhost = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        Ok(Metrics {
            uptime_seconds: 3600,
            config_generation: 3,
            peers: vec![PeerMetrics {
                address: localhost,
                state: pb::FsmState::Established,
                prefixes_received: 10,
                prefixes_advertised: 4,
            }],
            routes: vec![RouteCount {
                view: View::LocRib,
                route_type: 2,
                count: self.routes.len() as u64,
            }],
            vnis: 2,
            local_macs: 1,
            remote_macs: 1,
            duplicate_macs: 1,
            ..Default::default()
        })
    }
}
