//! An in-memory [`Backend`] with a small fixed fabric, for tests and demos.
//!
//! Two peers, VNIs 100 (L2) and 5000 (L3), `routes_per_vni` type-2 routes in
//! VNIs 100 and 200, two type-3 routes and one type-5 route; two L3 tenants
//! (`blue`, `red`) with `routes_per_vni` + 3 tenant routes ([`tenant`]).
//! Watch events are published with [`FakeBackend::publish`].

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

use evpnd_wire::{MacAddr, Rd, Vni};
use tokio::sync::broadcast;

use crate::Backend;
use crate::metrics::{Metrics, PeerMetrics, RouteCount, VrfMetrics};
use crate::pb::{self, watch_response::Event};
use crate::types::*;

mod data;
pub mod tenant;

pub use data::peers;
use data::{local_key, type2, type3, type5};

/// The fake backend.
pub struct FakeBackend {
    routes: Vec<pb::Route>,
    /// How many remote type-5 prefixes tenant `blue` has.
    tenant_prefixes: usize,
    tenant_routes: Vec<pb::VrfRoute>,
    local: Mutex<Vec<LocalRoute>>,
    events: broadcast::Sender<Event>,
    log_level: Mutex<pb::LogLevel>,
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
            tenant_prefixes: routes_per_vni,
            tenant_routes: tenant::routes(routes_per_vni),
            local: Mutex::new(Vec::new()),
            events: broadcast::channel(watch_capacity.max(1)).0,
            log_level: Mutex::new(pb::LogLevel::Info),
        }
    }

    /// Publishes a live watch event; returns how many watchers got it.
    pub fn publish(&self, e: Event) -> usize {
        self.events.send(e).unwrap_or(0)
    }

    /// How many watchers hold a live feed.
    pub fn watchers(&self) -> usize {
        self.events.receiver_count()
    }

    /// The local routes added so far.
    pub fn local_routes(&self) -> Vec<LocalRoute> {
        self.local.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn find_peer(&self, a: PeerRef) -> Result<pb::Peer, BackendError> {
        let want = a.to_string();
        peers()
            .into_iter()
            .find(|p| p.address == want || (!p.interface.is_empty() && p.interface == want))
            .ok_or_else(|| BackendError::NotFound(format!("no peer {a}")))
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

    async fn get_peer(&self, address: PeerRef) -> Result<Option<pb::Peer>, BackendError> {
        Ok(self.find_peer(address).ok())
    }

    async fn enable_peer(&self, address: PeerRef) -> Result<(), BackendError> {
        self.find_peer(address).map(|_| ())
    }

    async fn disable_peer(&self, address: PeerRef, _reason: String) -> Result<(), BackendError> {
        self.find_peer(address).map(|_| ())
    }

    async fn reset_peer(&self, address: PeerRef, _kind: pb::ResetKind) -> Result<(), BackendError> {
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
        // A type 5 is imported by the fake's tenant "blue", not installed.
        let tenants = match r.key.as_ref().and_then(|k| k.key.as_ref()) {
            Some(pb::route_key::Key::IpPrefix(k)) => vec![pb::TenantVerdict {
                vrf: "blue".into(),
                prefix: k.prefix.clone(),
                installed: false,
                not_installed: "the L3VNI is down".into(),
            }],
            _ => Vec::new(),
        };
        Ok(Some(pb::ExplainRouteResponse {
            key: r.key.clone(),
            paths,
            tenants,
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
                vrf: "blue".into(),
                flood_mode: "multicast 239.1.1.100".into(),
                static_vteps: vec!["10.0.0.3".into()],
                remote_vteps: vec![
                    pb::RemoteVtep {
                        vtep: "10.0.0.2".into(),
                        source: pb::FloodSource::Evpn.into(),
                        reason: String::new(),
                    },
                    pb::RemoteVtep {
                        vtep: "10.0.0.3".into(),
                        source: pb::FloodSource::EvpnAndStatic.into(),
                        reason: String::new(),
                    },
                    pb::RemoteVtep {
                        vtep: "10.0.0.4".into(),
                        source: pb::FloodSource::None.into(),
                        reason: "same multicast group 239.1.1.100: no head-end entry".into(),
                    },
                ],
                ethernet_tag: 0,
            },
            pb::Vni {
                vni: 5000,
                kind: pb::VniKind::L3.into(),
                rd: "10.0.0.1:5000".into(),
                import_rts: vec!["65000:5000".into()],
                export_rts: vec!["65000:5000".into()],
                vrf: "blue".into(),
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

    async fn list_vrfs(&self, name: Option<String>) -> Result<Vec<pb::Vrf>, BackendError> {
        Ok(tenant::vrfs(self.tenant_prefixes)
            .into_iter()
            .filter(|v| name.as_ref().is_none_or(|n| *n == v.name))
            .collect())
    }

    async fn list_vrf_routes(
        &self,
        query: VrfRouteQuery,
    ) -> Result<Option<VrfRoutePage>, BackendError> {
        Ok(tenant::page(&self.tenant_routes, &query))
    }

    async fn list_router_macs(
        &self,
        vrf: Option<String>,
    ) -> Result<Option<Vec<pb::RouterMac>>, BackendError> {
        if vrf.as_deref().is_some_and(|v| !tenant::known(v)) {
            return Ok(None);
        }
        Ok(Some(
            tenant::router_macs(self.tenant_prefixes)
                .into_iter()
                .filter(|m| vrf.as_ref().is_none_or(|v| *v == m.vrf))
                .collect(),
        ))
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
        let snapshot: Vec<Event> = peers()
            .into_iter()
            .map(|p| Event::Peer(pb::PeerEvent { peer: Some(p) }))
            .collect();
        Ok(WatchStart { snapshot, events })
    }

    async fn metrics(&self) -> Result<Metrics, BackendError> {
        let localhost = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        Ok(Metrics {
            uptime_seconds: 3600,
            config_generation: 3,
            peers: vec![PeerMetrics {
                peer: localhost.to_string(),
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
            macs_per_vni: vec![(100, 1, 1)],
            duplicate_macs: 1,
            routes_refused: vec![("as_path_loop".into(), 2)],
            vrfs: tenant::vrfs(self.tenant_prefixes)
                .into_iter()
                .map(|v| VrfMetrics {
                    name: v.name,
                    up: v.up,
                    routes_installed: v.routes_installed,
                    routes_held: v.routes_held,
                    routes_originated: v.routes_originated,
                })
                .collect(),
            ..Default::default()
        })
    }
}
