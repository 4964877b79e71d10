//! What the core answers about L3 tenants (`[[evpn.vrf]]`): the tenants,
//! their routes and the remote Router's MACs — read from the EVPN domain's
//! tenant state (`evpnd_evpn::tenant`); nothing here changes anything.

use evpnd_evpn::Tenant;
use evpnd_evpn::dataplane::RouteVia;
use evpnd_evpn::tenant::RouteSource;
use evpnd_evpn::tenant::view::RouteState;
use evpnd_wire::MacAddr;
use evpnd_wire::nlri::evpn::EvpnKey;

use crate::Core;
use crate::view::{
    RouterMacView, TenantExplainView, TenantNextHopView, TenantRouteQuery, TenantRouteSource,
    TenantRouteView, VrfModeView, VrfView,
};

fn source(s: RouteSource) -> TenantRouteSource {
    match s {
        RouteSource::MacIp => TenantRouteSource::MacIp,
        RouteSource::IpPrefix => TenantRouteSource::IpPrefix,
        RouteSource::Connected => TenantRouteSource::Connected,
        RouteSource::Configured => TenantRouteSource::Configured,
        RouteSource::Redistributed => TenantRouteSource::Redistributed,
    }
}

/// FRR's notation of a route key (`[5]:[0]:[24]:[10.0.0.0]` with its RD).
fn key_text(k: &EvpnKey) -> String {
    crate::packing::key_to_nlri(k)
        .map(|n| n.route.to_string())
        .unwrap_or_else(|| format!("{k:?}"))
}

fn mode(t: &Tenant) -> VrfModeView {
    match t.vrf_device() {
        Some(device) => VrfModeView::Device {
            device: device.to_string(),
            table: t.table(),
        },
        None => VrfModeView::Table {
            table: t.table().unwrap_or(evpnd_config::TABLE_MAIN),
        },
    }
}

fn route_view(t: &Tenant, r: RouteState) -> TenantRouteView {
    TenantRouteView {
        vrf: t.name.clone(),
        prefix: r.prefix,
        next_hops: r
            .paths
            .iter()
            .map(|p| TenantNextHopView {
                vtep: p.vtep,
                router_mac: p.rmac.unwrap_or(MacAddr::ZERO),
                source: source(p.source),
                route: key_text(&p.key),
            })
            .collect(),
        local: r.local.map(source),
        installed: matches!(r.installed, Some(RouteVia::Vteps { .. })),
        not_installed: r.not_installed,
    }
}

impl Core {
    /// Every configured tenant, in configuration order.
    pub fn vrfs(&self) -> Vec<VrfView> {
        self.evpn
            .tenants()
            .map(|t| VrfView {
                name: t.name.clone(),
                l3vni: t.l3vni,
                mode: mode(t),
                rd: t.rd,
                import: t.import.clone(),
                export: t.export_rts.clone(),
                router_mac: t.router_mac(),
                vxlan_device: t.l3.as_ref().map(|i| i.vxlan_name.clone()),
                svi: t.svi(),
                l2vnis: t.l2vnis().collect(),
                up: t.up(),
                routes_installed: t.routes_installed() as u64,
                routes_held: t.routes_held() as u64,
                routes_originated: t.routes_originated() as u64,
            })
            .collect()
    }

    /// A page of tenant routes (installed, held and originated), in
    /// (tenant name, prefix) order after `q.after`, at most `q.limit`
    /// (0: no limit).
    pub fn vrf_routes(&self, q: &TenantRouteQuery) -> Vec<TenantRouteView> {
        let limit = if q.limit == 0 { usize::MAX } else { q.limit };
        let mut tenants: Vec<&Tenant> = self
            .evpn
            .tenants()
            .filter(|t| q.vrf.as_ref().is_none_or(|v| *v == t.name))
            .collect();
        tenants.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = Vec::new();
        for t in tenants {
            if out.len() >= limit {
                break;
            }
            let after = match &q.after {
                Some((name, _)) if *name > t.name => continue,
                Some((name, p)) if *name == t.name => Some(*p),
                _ => None,
            };
            if let Some(p) = q.prefix {
                if after.is_none_or(|a| p > a)
                    && let Some(r) = t.route(&p)
                {
                    out.push(route_view(t, r));
                }
                continue;
            }
            for p in t.prefixes_after(after, limit - out.len()) {
                if let Some(r) = t.route(&p) {
                    out.push(route_view(t, r));
                }
            }
        }
        out
    }

    /// Remote VTEPs' Router's MACs, per tenant (`None`: all tenants).
    pub fn router_macs(&self, vrf: Option<&str>) -> Vec<RouterMacView> {
        self.evpn
            .tenants()
            .filter(|t| vrf.is_none_or(|v| v == t.name))
            .flat_map(|t| {
                t.router_macs().map(|(vtep, mac, routes)| RouterMacView {
                    vrf: t.name.clone(),
                    vtep,
                    router_mac: mac,
                    routes: u64::from(routes),
                })
            })
            .collect()
    }

    /// For `explain`: the tenants a remote route is imported into, and
    /// whether its tenant prefix is installed (or why not).
    pub(crate) fn tenant_explain(&self, key: &EvpnKey) -> Vec<TenantExplainView> {
        self.evpn
            .tenant_imports(key)
            .into_iter()
            .map(|(t, prefix)| {
                let r = t.route(&prefix);
                let problem = t.path_problem(&prefix, key);
                let installed = problem.is_none()
                    && r.as_ref()
                        .is_some_and(|r| matches!(r.installed, Some(RouteVia::Vteps { .. })));
                TenantExplainView {
                    vrf: t.name.clone(),
                    prefix,
                    installed,
                    not_installed: problem.or_else(|| r.and_then(|r| r.not_installed)),
                }
            })
            .collect()
    }
}
