//! `unicast`: the IPv4/IPv6 unicast routes (the underlay), one line per
//! path: best and multipath marks, next hop, AS_PATH, and what the main
//! table has for the prefix.

use evpnd_api::pb::{self, route_service_client::RouteServiceClient};
use serde_json::json;
use tonic::transport::Channel;

use super::{Fail, Out, opt};
use crate::table::render;

/// `>` best, `=` in the multipath set, `s` stale.
fn marks(p: &pb::UnicastPath) -> String {
    let mut m = String::new();
    m.push(if p.best { '>' } else { ' ' });
    m.push(if p.multipath { '=' } else { ' ' });
    if p.stale {
        m.push('s');
    }
    m.trim_end().to_string()
}

fn installed(r: &pb::UnicastRoute) -> String {
    if r.installed.is_empty() {
        return "-".into();
    }
    r.installed
        .iter()
        .map(|g| match g.dev.as_str() {
            "" => g.ip.clone(),
            dev => format!("{} dev {dev}", g.ip),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn unicast(
    ch: Channel,
    family: Option<String>,
    prefix: Option<String>,
) -> Result<Out, Fail> {
    let req = pb::ListUnicastRoutesRequest {
        family: opt(&family),
        prefix: opt(&prefix),
    };
    let routes = RouteServiceClient::new(ch)
        .list_unicast_routes(req)
        .await?
        .into_inner()
        .routes;
    let mut rows = Vec::new();
    for r in &routes {
        for (i, p) in r.paths.iter().enumerate() {
            let next_hop = match p.link_local.as_str() {
                "" => p.next_hop.clone(),
                ll => format!("{} ({ll})", p.next_hop),
            };
            rows.push(vec![
                if i == 0 {
                    r.prefix.clone()
                } else {
                    String::new()
                },
                marks(p),
                if p.peer.is_empty() {
                    "local".into()
                } else {
                    p.peer.clone()
                },
                next_hop,
                p.as_path.clone(),
                if p.best { installed(r) } else { p.lost.clone() },
            ]);
        }
    }
    let text = render(
        &[
            "PREFIX",
            "",
            "FROM",
            "NEXT HOP",
            "AS PATH",
            "INSTALLED / LOST",
        ],
        &rows,
    );
    let json_routes: Vec<_> = routes
        .iter()
        .map(|r| {
            json!({
                "prefix": r.prefix,
                "multipath": r.multipath,
                "installed": r.installed.iter().map(|g| json!({"ip": g.ip, "dev": g.dev})).collect::<Vec<_>>(),
                "paths": r.paths.iter().map(|p| json!({
                    "peer": p.peer, "next_hop": p.next_hop, "link_local": p.link_local,
                    "as_path": p.as_path, "local_pref": p.local_pref, "med": p.med,
                    "best": p.best, "multipath": p.multipath, "stale": p.stale, "lost": p.lost,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Out {
        json: json!({ "routes": json_routes }),
        text,
    })
}
