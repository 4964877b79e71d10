//! L3 tenants: `vrfs`, `vrf-routes` (every page) and `rmacs`.

use evpnd_api::pb::{self, tenant_service_client::TenantServiceClient};
use serde_json::json;
use tonic::transport::Channel;

use super::{Fail, Out, opt, yes};
use crate::VrfRouteArgs;
use crate::json as j;
use crate::table::render;

/// The kernel's main table (`table = "main"`).
const MAIN_TABLE: u32 = 254;

/// Where a tenant's routes go: `100`, `main`, `vrf-red:1001` (`?` while
/// the VRF device is not found).
fn table(v: &pb::Vrf) -> String {
    match (v.mode(), v.table) {
        (pb::VrfMode::Device, 0) => format!("{}:?", v.vrf_device),
        (pb::VrfMode::Device, t) => format!("{}:{t}", v.vrf_device),
        (_, MAIN_TABLE) => "main".into(),
        (_, t) => t.to_string(),
    }
}

pub(super) async fn vrfs(ch: Channel, name: Option<String>) -> Result<Out, Fail> {
    let req = pb::ListVrfsRequest { name: opt(&name) };
    let vs = TenantServiceClient::new(ch)
        .list_vrfs(req)
        .await?
        .into_inner()
        .vrfs;
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            let l2: Vec<String> = v.l2vnis.iter().map(u32::to_string).collect();
            vec![
                v.name.clone(),
                v.l3vni.to_string(),
                table(v),
                v.rd.clone(),
                v.import_rts.join(","),
                v.export_rts.join(","),
                v.router_mac.clone(),
                l2.join(","),
                if v.up { "up" } else { "down" }.into(),
                v.routes_installed.to_string(),
                v.routes_held.to_string(),
                v.routes_originated.to_string(),
            ]
        })
        .collect();
    let text = render(
        &[
            "VRF",
            "L3VNI",
            "TABLE",
            "RD",
            "IMPORT",
            "EXPORT",
            "ROUTER MAC",
            "L2VNIS",
            "STATE",
            "INSTALLED",
            "HELD",
            "ORIGINATED",
        ],
        &rows,
    );
    Ok(Out {
        json: json!({ "vrfs": vs.iter().map(j::vrf).collect::<Vec<_>>() }),
        text,
    })
}

/// Installed, or why not.
fn installed(r: &pb::VrfRoute) -> String {
    match (r.installed, r.not_installed_reason.as_str()) {
        (false, why) if !why.is_empty() => format!("no ({why})"),
        (b, _) => yes(b),
    }
}

/// One row per next hop of a remote route, one row for a local route.
fn route_rows(routes: &[pb::VrfRoute]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in routes {
        if r.next_hops.is_empty() {
            let source = match r.local_source() {
                pb::TenantRouteSource::Unspecified => String::new(),
                s => format!("local {}", j::tenant_source(s)),
            };
            rows.push(vec![
                r.vrf.clone(),
                r.prefix.clone(),
                source,
                String::new(),
                String::new(),
                installed(r),
            ]);
        }
        for h in &r.next_hops {
            rows.push(vec![
                r.vrf.clone(),
                r.prefix.clone(),
                j::tenant_source(h.source()),
                h.vtep_ip.clone(),
                h.router_mac.clone(),
                installed(r),
            ]);
        }
    }
    rows
}

pub(super) async fn vrf_routes(ch: Channel, a: VrfRouteArgs) -> Result<Out, Fail> {
    let mut c = TenantServiceClient::new(ch);
    let (mut routes, mut token) = (Vec::new(), String::new());
    loop {
        let req = pb::ListVrfRoutesRequest {
            vrf: opt(&a.vrf),
            prefix: opt(&a.prefix),
            page_size: a.page_size,
            page_token: token,
        };
        let page = c.list_vrf_routes(req).await?.into_inner();
        routes.extend(page.routes);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let text = render(
        &["VRF", "PREFIX", "SOURCE", "VTEP", "ROUTER MAC", "INSTALLED"],
        &route_rows(&routes),
    );
    Ok(Out {
        json: json!({ "routes": routes.iter().map(j::vrf_route).collect::<Vec<_>>() }),
        text,
    })
}

pub(super) async fn rmacs(ch: Channel, vrf: Option<String>) -> Result<Out, Fail> {
    let req = pb::ListRouterMacsRequest { vrf: opt(&vrf) };
    let ms = TenantServiceClient::new(ch)
        .list_router_macs(req)
        .await?
        .into_inner()
        .router_macs;
    let rows: Vec<Vec<String>> = ms
        .iter()
        .map(|m| {
            vec![
                m.vrf.clone(),
                m.vtep_ip.clone(),
                m.router_mac.clone(),
                m.routes.to_string(),
            ]
        })
        .collect();
    let text = render(&["VRF", "VTEP", "ROUTER MAC", "ROUTES"], &rows);
    Ok(Out {
        json: json!({ "router_macs": ms.iter().map(j::router_mac).collect::<Vec<_>>() }),
        text,
    })
}
