//! Route listings (paged or streamed) and explain.

use evpnd_api::pb::{self, route_service_client::RouteServiceClient};
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::{Fail, Out, opt};
use crate::json::{self as j, enum_word};
use crate::table::render;
use crate::{RouteArgs, ViewArg};

fn filter(a: &RouteArgs) -> pb::RouteFilter {
    pb::RouteFilter {
        route_type: a.route_type.unwrap_or(0),
        rd: opt(&a.rd),
        route_target: opt(&a.rt),
        vni: a.vni,
        mac: opt(&a.mac),
        ip: opt(&a.ip),
        peer: opt(&a.peer),
        best_only: a.best,
    }
}

fn route_rows(routes: &[pb::Route]) -> String {
    let mut rows = Vec::new();
    for r in routes {
        let k = r.key.clone().unwrap_or_default();
        for p in &r.paths {
            rows.push(vec![
                if p.best { "*".into() } else { String::new() },
                k.rd.clone(),
                k.prefix.clone(),
                p.next_hop.clone(),
                p.peer.clone(),
                p.vni.to_string(),
                p.mac_mobility_sequence.to_string(),
                p.route_targets.join(","),
            ]);
        }
    }
    render(
        &[
            "BEST", "RD", "PREFIX", "NEXT HOP", "PEER", "VNI", "SEQ", "RTS",
        ],
        &rows,
    )
}

pub(super) async fn routes(ch: Channel, a: RouteArgs) -> Result<Out, Fail> {
    let view = match a.view {
        ViewArg::In => pb::RibView::AdjRibIn,
        ViewArg::Loc => pb::RibView::LocRib,
        ViewArg::Out => pb::RibView::AdjRibOut,
    };
    let mut c = RouteServiceClient::new(ch);
    let (routes, next) = if let Some(size) = a.page_size {
        let req = pb::ListRoutesRequest {
            view: view.into(),
            filter: Some(filter(&a)),
            page_size: size,
            page_token: opt(&a.page_token),
        };
        let r = c.list_routes(req).await?.into_inner();
        (r.routes, r.next_page_token)
    } else {
        let req = pb::StreamRoutesRequest {
            view: view.into(),
            filter: Some(filter(&a)),
        };
        let mut s = c.stream_routes(req).await?.into_inner();
        let mut all = Vec::new();
        while let Some(m) = s.message().await? {
            all.extend(m.routes);
        }
        (all, String::new())
    };
    let mut text = route_rows(&routes);
    if !next.is_empty() {
        text.push_str(&format!("next page: --page-token {next}\n"));
    }
    let json = json!({ "routes": routes.iter().map(j::route).collect::<Vec<_>>(), "next_page_token": next });
    Ok(Out { json, text })
}

pub(super) async fn explain(ch: Channel, key: String, rd: String) -> Result<Out, Fail> {
    let req = pb::ExplainRouteRequest { rd, prefix: key };
    let e = RouteServiceClient::new(ch)
        .explain_route(req)
        .await?
        .into_inner();
    let verdicts: Vec<Value> = e
        .paths
        .iter()
        .map(|v| {
            json!({
                "path": v.path.as_ref().map(j::path),
                "won": v.reason() == pb::LossReason::Unspecified,
                "reason": enum_word(v.reason().as_str_name(), "LOSS_REASON_"),
                "detail": v.detail,
            })
        })
        .collect();
    let rows: Vec<Vec<String>> = e
        .paths
        .iter()
        .map(|v| {
            let p = v.path.clone().unwrap_or_default();
            let verdict = match v.reason() {
                pb::LossReason::Unspecified => "best".to_string(),
                r => format!("lost: {}", enum_word(r.as_str_name(), "LOSS_REASON_")),
            };
            vec![p.peer, p.next_hop, verdict, v.detail.clone()]
        })
        .collect();
    let k = e.key.clone().unwrap_or_default();
    let mut text = format!(
        "{} {}\n{}",
        k.rd,
        k.prefix,
        render(&["PEER", "NEXT HOP", "VERDICT", "DETAIL"], &rows)
    );
    let tenant_rows: Vec<Vec<String>> = e
        .tenants
        .iter()
        .map(|t| {
            let state = if t.installed {
                "installed".to_string()
            } else {
                format!("not installed: {}", t.not_installed)
            };
            vec![t.vrf.clone(), t.prefix.clone(), state]
        })
        .collect();
    if !tenant_rows.is_empty() {
        text.push_str(&render(&["VRF", "PREFIX", "STATE"], &tenant_rows));
    }
    let tenants: Vec<Value> = e
        .tenants
        .iter()
        .map(|t| {
            json!({
                "vrf": t.vrf,
                "prefix": t.prefix,
                "installed": t.installed,
                "not_installed": (!t.not_installed.is_empty()).then_some(&t.not_installed),
            })
        })
        .collect();
    Ok(Out {
        json: json!({ "key": j::key(e.key.as_ref()), "paths": verdicts, "tenants": tenants }),
        text,
    })
}
