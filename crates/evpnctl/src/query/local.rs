//! Local routes (AddRoute, DeleteRoute) and duplicate MACs (ListDuplicates,
//! ClearDuplicate).

use evpnd_api::pb::{
    self, evpn_service_client::EvpnServiceClient, route_service_client::RouteServiceClient,
};
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::{Fail, Out};
use crate::LocalRouteArg;
use crate::json as j;
use crate::table::render;

/// The request's route, and how it reads in the output.
fn local_route(r: LocalRouteArg) -> (pb::LocalRoute, Value, String) {
    use pb::local_route::Route;
    let (route, json, text) = match r {
        LocalRouteArg::MacIp {
            vni,
            mac,
            ip,
            sticky,
        } => {
            let ip = ip.unwrap_or_default();
            let text = match ip.as_str() {
                "" => format!("mac-ip vni {vni} mac {mac}"),
                ip => format!("mac-ip vni {vni} mac {mac} ip {ip}"),
            };
            let json =
                json!({ "type": "mac_ip", "vni": vni, "mac": mac, "ip": ip, "sticky": sticky });
            let r = Route::MacIp(pb::LocalMacIp {
                vni,
                mac,
                ip,
                sticky,
            });
            (r, json, text)
        }
        LocalRouteArg::Imet { vni } => (
            Route::Imet(pb::LocalImet { vni }),
            json!({ "type": "imet", "vni": vni }),
            format!("imet vni {vni}"),
        ),
        LocalRouteArg::IpPrefix { vni, prefix } => (
            Route::IpPrefix(pb::LocalIpPrefix {
                vni,
                prefix: prefix.clone(),
            }),
            json!({ "type": "ip_prefix", "vni": vni, "prefix": prefix }),
            format!("ip-prefix vni {vni} prefix {prefix}"),
        ),
    };
    (pb::LocalRoute { route: Some(route) }, json, text)
}

/// `route add`: originates a local route; prints its key.
pub(super) async fn add(ch: Channel, r: LocalRouteArg) -> Result<Out, Fail> {
    let (route, json, what) = local_route(r);
    let key = RouteServiceClient::new(ch)
        .add_route(pb::AddRouteRequest { route: Some(route) })
        .await?
        .into_inner()
        .key;
    let text = match &key {
        Some(k) => format!("added {what}: {} {}\n", k.rd, k.prefix),
        None => format!("added {what}\n"),
    };
    Ok(Out {
        json: json!({ "added": json, "key": j::key(key.as_ref()) }),
        text,
    })
}

/// `route delete`: withdraws a local route.
pub(super) async fn delete(ch: Channel, r: LocalRouteArg) -> Result<Out, Fail> {
    let (route, json, what) = local_route(r);
    RouteServiceClient::new(ch)
        .delete_route(pb::DeleteRouteRequest { route: Some(route) })
        .await?;
    Ok(Out {
        json: json!({ "deleted": json }),
        text: format!("deleted {what}\n"),
    })
}

/// `duplicates`: MACs frozen or flagged by duplicate detection.
pub(super) async fn duplicates(ch: Channel, vni: Option<u32>) -> Result<Out, Fail> {
    let ds = EvpnServiceClient::new(ch)
        .list_duplicates(pb::ListDuplicatesRequest { vni })
        .await?
        .into_inner()
        .duplicates;
    let rows: Vec<Vec<String>> = ds
        .iter()
        .map(|d| {
            vec![
                d.vni.to_string(),
                d.mac.clone(),
                d.moves.to_string(),
                if d.last_vtep_ip.is_empty() {
                    "local".into()
                } else {
                    d.last_vtep_ip.clone()
                },
                d.detected_unix_seconds.to_string(),
            ]
        })
        .collect();
    let json: Vec<Value> = ds
        .iter()
        .map(|d| {
            json!({
                "vni": d.vni, "mac": d.mac, "moves": d.moves,
                "last_vtep_ip": d.last_vtep_ip, "detected_unix_seconds": d.detected_unix_seconds,
            })
        })
        .collect();
    Ok(Out {
        json: json!({ "duplicates": json }),
        text: render(&["VNI", "MAC", "MOVES", "LAST SEEN", "DETECTED"], &rows),
    })
}

/// `duplicates clear`: lets a frozen MAC be learned and advertised again.
pub(super) async fn clear(ch: Channel, vni: u32, mac: String) -> Result<Out, Fail> {
    let req = pb::ClearDuplicateRequest {
        vni,
        mac: mac.clone(),
    };
    EvpnServiceClient::new(ch).clear_duplicate(req).await?;
    Ok(Out {
        json: json!({ "vni": vni, "mac": mac, "cleared": true }),
        text: format!("cleared {mac} in VNI {vni}\n"),
    })
}
