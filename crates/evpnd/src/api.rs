//! The daemon's side of the management API: `evpnd_api::Backend`, answered
//! by the main loop, which owns the core. Every call is a job sent to that
//! loop over a bounded channel; reads run there against the live state (one
//! owner, no locks), and nothing blocks BGP for longer than building one
//! answer (route listings are paged by the API layer).

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;

use evpnd_api::{
    Backend, BackendError, ConfigSource, LocalRoute, MacFilter, Metrics, PeerMetrics, PeerRef,
    RouteCount, RoutePage, RouteQuery, View, VrfRoutePage, VrfRouteQuery, WatchStart, pb,
};
use evpnd_config::PeerKey;
use evpnd_core::{Command, Reply};
use evpnd_session::PeerCommand;
use evpnd_wire::{MacAddr, Rd, Vni};
use tokio::sync::{mpsc, oneshot};

use crate::{Daemon, convert};

/// A piece of work for the main loop.
pub type Job =
    Box<dyn for<'a> FnOnce(&'a mut Daemon) -> Pin<Box<dyn Future<Output = ()> + 'a>> + Send>;

pub struct DaemonApi {
    jobs: mpsc::Sender<Job>,
    config_path: PathBuf,
}

fn gone() -> BackendError {
    BackendError::Unavailable("evpnd is stopping".into())
}

fn config_errors(e: evpnd_config::ConfigErrors) -> Vec<pb::ConfigError> {
    e.0.into_iter()
        .map(|e| pb::ConfigError {
            file: e.file,
            line: e.line as u32,
            column: e.col as u32,
            message: e.message,
        })
        .collect()
}

impl DaemonApi {
    pub fn new(jobs: mpsc::Sender<Job>, config_path: PathBuf) -> DaemonApi {
        DaemonApi { jobs, config_path }
    }

    /// Runs `f` on the main loop and returns its answer.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Daemon) -> T + Send + 'static,
    ) -> Result<T, BackendError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |d| {
            let _ = tx.send(f(d));
            Box::pin(async {})
        });
        self.jobs.send(job).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    /// Runs an async action on the main loop.
    async fn act<T: Send + 'static>(
        &self,
        f: impl for<'a> FnOnce(&'a mut Daemon) -> Pin<Box<dyn Future<Output = T> + 'a>> + Send + 'static,
    ) -> Result<T, BackendError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |d| {
            Box::pin(async move {
                let _ = tx.send(f(d).await);
            })
        });
        self.jobs.send(job).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    /// Sends a command to a configured peer's session.
    async fn peer_command(
        &self,
        peer: PeerRef,
        enabled: Option<bool>,
        cmds: Vec<PeerCommand>,
    ) -> Result<(), BackendError> {
        self.act(move |d| {
            Box::pin(async move {
                let key = key(&peer);
                let Some((i, tx)) = d.session(&key) else {
                    return Err(BackendError::NotFound(format!(
                        "no neighbor {peer} in the configuration"
                    )));
                };
                if let Some(enabled) = enabled {
                    d.set_enabled(i, &key, enabled).await?;
                }
                for c in cmds {
                    tx.send(c.into()).await.map_err(|_| gone())?;
                }
                Ok(())
            })
        })
        .await?
    }
}

#[tonic::async_trait]
impl Backend for DaemonApi {
    async fn status(&self) -> Result<pb::GetStatusResponse, BackendError> {
        self.read(|d| convert::status(&d.core.status())).await
    }

    async fn validate_config(
        &self,
        source: ConfigSource,
    ) -> Result<Vec<pb::ConfigError>, BackendError> {
        // Parsing is CPU work (linear, the file at most 4 MiB): on a blocking
        // thread, never on a runtime worker the sessions share.
        let r = tokio::task::spawn_blocking(move || match source {
            ConfigSource::Path(p) => evpnd_config::load(&p),
            ConfigSource::Text(t) => evpnd_config::parse(&t, "<request>"),
        })
        .await
        .map_err(|e| BackendError::Internal(format!("validating the configuration: {e}")))?;
        Ok(r.err().map(config_errors).unwrap_or_default())
    }

    async fn reload_config(&self) -> Result<pb::ReloadConfigResponse, BackendError> {
        let path = self.config_path.clone();
        self.act(move |d| {
            Box::pin(async move {
                match d.reload(&path).await {
                    Err(e) => pb::ReloadConfigResponse {
                        applied: false,
                        generation: d.core.generation(),
                        changes: Vec::new(),
                        errors: config_errors(e),
                    },
                    Ok(diff) => pb::ReloadConfigResponse {
                        applied: true,
                        generation: d.core.generation(),
                        changes: diff.map(|x| changes(&x)).unwrap_or_default(),
                        errors: Vec::new(),
                    },
                }
            })
        })
        .await
    }

    async fn set_log_level(&self, level: pb::LogLevel) -> Result<pb::LogLevel, BackendError> {
        crate::logging::set_level(level).map_err(BackendError::Internal)
    }

    async fn list_peers(&self) -> Result<Vec<pb::Peer>, BackendError> {
        self.read(|d| d.peers()).await
    }

    async fn get_peer(&self, peer: PeerRef) -> Result<Option<pb::Peer>, BackendError> {
        let key = key(&peer);
        self.read(move |d| d.peer(&key)).await
    }

    async fn enable_peer(&self, peer: PeerRef) -> Result<(), BackendError> {
        self.peer_command(peer, Some(true), vec![PeerCommand::Start])
            .await
    }

    async fn disable_peer(&self, peer: PeerRef, _reason: String) -> Result<(), BackendError> {
        self.peer_command(peer, Some(false), vec![PeerCommand::Stop])
            .await
    }

    async fn reset_peer(&self, peer: PeerRef, kind: pb::ResetKind) -> Result<(), BackendError> {
        // The core knows a peer by its address: an interface neighbour's
        // is the one of its session (soft resets need an Established one).
        let address = self.read({
            let key = key(&peer);
            move |d| d.core_address(&key)
        });
        let Some(address) = address.await? else {
            return Err(BackendError::NotFound(format!(
                "no neighbor {peer} in the configuration"
            )));
        };
        match kind {
            pb::ResetKind::Hard => {
                self.peer_command(peer, None, vec![PeerCommand::Stop, PeerCommand::Start])
                    .await
            }
            pb::ResetKind::SoftOut => self
                .act(move |d| {
                    Box::pin(async move { d.command(Command::ResendTo { address }).await })
                })
                .await?
                .map(|_| ()),
            _ => {
                self.act(move |d| {
                    Box::pin(async move { d.command(Command::CheckRefreshIn { address }).await })
                })
                .await??;
                let family = evpnd_wire::Family::L2VPN_EVPN;
                self.peer_command(peer, None, vec![PeerCommand::RouteRefresh { family }])
                    .await
            }
        }
    }

    async fn list_routes(&self, query: RouteQuery) -> Result<RoutePage, BackendError> {
        self.read(move |d| d.routes(&query)).await
    }

    async fn explain_route(
        &self,
        rd: Rd,
        prefix: String,
    ) -> Result<Option<pb::ExplainRouteResponse>, BackendError> {
        self.read(move |d| d.core.explain(rd, &prefix).as_ref().map(convert::explain))
            .await
    }

    async fn add_route(&self, route: LocalRoute) -> Result<pb::RouteKey, BackendError> {
        let route = convert::local_route(route);
        let reply = self
            .act(move |d| Box::pin(async move { d.command(Command::AddRoute { route }).await }))
            .await??;
        match reply {
            Reply::RouteAdded { route } => Ok(convert::route_key(&route)),
            other => Err(BackendError::Internal(format!(
                "the core answered AddRoute with {other:?}"
            ))),
        }
    }

    async fn delete_route(&self, route: LocalRoute) -> Result<(), BackendError> {
        let route = convert::local_route(route);
        self.act(move |d| Box::pin(async move { d.command(Command::DeleteRoute { route }).await }))
            .await?
            .map(|_| ())
    }

    async fn list_unicast_routes(
        &self,
        family: Option<evpnd_wire::Family>,
        prefix: Option<ipnet::IpNet>,
    ) -> Result<Vec<pb::UnicastRoute>, BackendError> {
        self.read(move |d| {
            let routes = match prefix {
                Some(p) => d.core.unicast_route(&p).into_iter().collect(),
                None => d.core.unicast_routes(family),
            };
            routes.iter().map(convert::unicast_route).collect()
        })
        .await
    }

    async fn list_vnis(&self, vni: Option<Vni>) -> Result<Vec<pb::Vni>, BackendError> {
        self.read(move |d| d.core.vnis(vni).iter().map(convert::vni).collect())
            .await
    }

    async fn list_macs(&self, filter: MacFilter) -> Result<Vec<pb::Mac>, BackendError> {
        let q = convert::mac_query(&filter);
        self.read(move |d| d.core.macs(&q).iter().map(convert::mac).collect())
            .await
    }

    async fn list_neighbors(&self, vni: Option<Vni>) -> Result<Vec<pb::Neighbor>, BackendError> {
        self.read(move |d| {
            d.core
                .neighbors(vni)
                .iter()
                .map(convert::neighbor)
                .collect()
        })
        .await
    }

    async fn list_vteps(&self) -> Result<Vec<pb::Vtep>, BackendError> {
        self.read(|d| d.core.vteps().iter().map(convert::vtep).collect())
            .await
    }

    async fn list_duplicates(&self, vni: Option<Vni>) -> Result<Vec<pb::Duplicate>, BackendError> {
        self.read(move |d| {
            d.core
                .duplicates(vni)
                .iter()
                .map(convert::duplicate)
                .collect()
        })
        .await
    }

    async fn clear_duplicate(&self, vni: Vni, mac: MacAddr) -> Result<(), BackendError> {
        self.act(move |d| {
            Box::pin(async move { d.command(Command::ClearDuplicate { vni, mac }).await })
        })
        .await?
        .map(|_| ())
    }

    async fn list_vrfs(&self, name: Option<String>) -> Result<Vec<pb::Vrf>, BackendError> {
        self.read(move |d| {
            d.core
                .vrfs()
                .iter()
                .filter(|v| name.as_ref().is_none_or(|n| *n == v.name))
                .map(convert::vrf)
                .collect()
        })
        .await
    }

    async fn list_vrf_routes(
        &self,
        query: VrfRouteQuery,
    ) -> Result<Option<VrfRoutePage>, BackendError> {
        self.read(move |d| {
            if !d.knows_vrf(query.vrf.as_deref()) {
                return None;
            }
            let routes = d.core.vrf_routes(&convert::tenant_route_query(&query));
            Some(convert::vrf_route_page(routes, query.limit))
        })
        .await
    }

    async fn list_router_macs(
        &self,
        vrf: Option<String>,
    ) -> Result<Option<Vec<pb::RouterMac>>, BackendError> {
        self.read(move |d| {
            if !d.knows_vrf(vrf.as_deref()) {
                return None;
            }
            let mut macs: Vec<pb::RouterMac> = d
                .core
                .router_macs(vrf.as_deref())
                .iter()
                .map(convert::router_mac)
                .collect();
            // By tenant, then VTEP (as addresses, not as text).
            macs.sort_by_cached_key(|m| (m.vrf.clone(), m.vtep_ip.parse::<IpAddr>().ok()));
            Some(macs)
        })
        .await
    }

    async fn dataplane(&self, vni: Option<Vni>) -> Result<Vec<pb::VniDataplane>, BackendError> {
        self.read(move |d| d.dataplane_view(vni)).await
    }

    async fn watch(&self) -> Result<WatchStart, BackendError> {
        // Subscribed and snapshotted in one job: no change falls between.
        self.read(|d| d.watch()).await
    }

    async fn metrics(&self) -> Result<Metrics, BackendError> {
        self.read(|d| {
            let st = convert::status(&d.core.status());
            let c = st.counters.unwrap_or_default();
            let peers = d
                .peers()
                .into_iter()
                .map(|p| PeerMetrics {
                    peer: if p.interface.is_empty() {
                        p.address.clone()
                    } else {
                        p.interface.clone()
                    },
                    state: pb::FsmState::try_from(p.state).unwrap_or(pb::FsmState::Unspecified),
                    prefixes_received: p.families.first().map_or(0, |f| f.received),
                    prefixes_advertised: p.families.first().map_or(0, |f| f.advertised),
                })
                .collect();
            let dp = d.dataplane_view(None);
            Metrics {
                uptime_seconds: st.uptime_seconds,
                config_generation: st.config_generation,
                peers,
                routes: d
                    .core
                    .route_counts()
                    .into_iter()
                    .map(|(t, n)| RouteCount {
                        view: View::LocRib,
                        route_type: t,
                        count: n,
                    })
                    .collect(),
                vnis: u64::from(c.vnis),
                local_macs: c.local_macs,
                remote_macs: c.remote_macs,
                macs_per_vni: d.core.macs_per_vni(),
                duplicate_macs: d.core.duplicates(None).len() as u64,
                updates_received: c.updates_received,
                updates_sent: c.updates_sent,
                dataplane_drift_vnis: dp.iter().filter(|v| v.drift).count() as u64,
                dataplane_errors: d.dataplane_errors(),
                routes_refused: d
                    .core
                    .status()
                    .refused
                    .iter()
                    .map(|(why, n)| (why.name().to_string(), *n))
                    .collect(),
                vrfs: d.core.vrfs().iter().map(convert::vrf_metrics).collect(),
            }
        })
        .await
    }
}

/// The configuration's key for an API peer reference.
fn key(p: &PeerRef) -> PeerKey {
    match p {
        PeerRef::Address(a) => PeerKey::Address(*a),
        PeerRef::Interface(i) => PeerKey::Interface(i.clone()),
    }
}

impl Daemon {
    /// One configured peer's view, by address or interface.
    fn peer(&self, key: &PeerKey) -> Option<pb::Peer> {
        self.peer_at(self.index_of(key)?)
    }

    /// The address the core knows a peer by.
    fn core_address(&self, key: &PeerKey) -> Option<IpAddr> {
        let i = self.index_of(key)?;
        self.core.peer_view_of(i).map(|p| p.address)
    }

    /// Enables or disables a peer in the core. The core finds a peer by
    /// address; an interface neighbour's may be unknown or shared across
    /// links, so it gets its configuration with the flag instead.
    async fn set_enabled(
        &mut self,
        i: usize,
        key: &PeerKey,
        enabled: bool,
    ) -> Result<Reply, BackendError> {
        match key {
            PeerKey::Address(address) => {
                let address = *address;
                self.command(Command::SetEnabled { address, enabled }).await
            }
            PeerKey::Interface(_) => {
                let Some(mut n) = self.cfg.neighbor_by_key(key).cloned() else {
                    return Err(BackendError::NotFound(format!("no neighbor {key}")));
                };
                n.enabled = enabled;
                let (peer, neighbor) = (i as u32, Box::new(n));
                self.command(Command::UpdatePeer { peer, neighbor }).await
            }
        }
    }

    /// True for `None` (every tenant) and for a configured tenant's name.
    fn knows_vrf(&self, name: Option<&str>) -> bool {
        name.is_none_or(|n| self.core.vrfs().iter().any(|v| v.name == n))
    }
}

/// A reload's effect as the API reports it.
fn changes(d: &evpnd_config::ConfigDiff) -> Vec<pb::ConfigChange> {
    let mut out = Vec::new();
    let mut push = |kind: pb::ChangeKind, path: String, detail: &str| {
        out.push(pb::ConfigChange {
            kind: kind as i32,
            path,
            detail: detail.into(),
        })
    };
    for a in &d.neighbors_added {
        push(
            pb::ChangeKind::Added,
            format!("neighbor {a}"),
            "session started",
        );
    }
    for a in &d.neighbors_removed {
        push(
            pb::ChangeKind::Removed,
            format!("neighbor {a}"),
            "session stopped",
        );
    }
    for a in &d.neighbors_reset {
        push(
            pb::ChangeKind::Modified,
            format!("neighbor {a}"),
            "session reset to apply",
        );
    }
    for a in &d.neighbors_updated {
        push(
            pb::ChangeKind::Modified,
            format!("neighbor {a}"),
            "applied without a reset",
        );
    }
    for v in &d.vnis_added {
        push(pb::ChangeKind::Added, format!("evpn.vni {v}"), "");
    }
    for v in &d.vnis_removed {
        push(pb::ChangeKind::Removed, format!("evpn.vni {v}"), "");
    }
    for v in &d.vnis_changed {
        push(pb::ChangeKind::Modified, format!("evpn.vni {v}"), "");
    }
    for k in &d.global_changed {
        push(pb::ChangeKind::Modified, (*k).to_string(), "");
    }
    for k in &d.restart_required {
        push(
            pb::ChangeKind::Modified,
            (*k).to_string(),
            "takes effect after a restart",
        );
    }
    out
}
