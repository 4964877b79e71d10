//! Read-only listings: status, peers, VNIs, MACs, neighbours, VTEPs, dataplane.

use evpnd_api::pb::{
    self, daemon_service_client::DaemonServiceClient,
    dataplane_service_client::DataplaneServiceClient, evpn_service_client::EvpnServiceClient,
    peer_service_client::PeerServiceClient,
};
use serde_json::json;
use tonic::transport::Channel;

use super::{Fail, Out, opt, yes};
use crate::MacArgs;
use crate::json::{self as j, enum_word};
use crate::table::{fields, render};

pub(super) async fn status(ch: Channel) -> Result<Out, Fail> {
    let s = DaemonServiceClient::new(ch)
        .get_status(pb::GetStatusRequest {})
        .await?
        .into_inner();
    let c = s.counters.unwrap_or_default();
    let text = fields(&[
        ("version", s.version.clone()),
        ("uptime", format!("{}s", s.uptime_seconds)),
        ("router id", s.router_id.clone()),
        ("asn", s.asn.to_string()),
        ("config generation", s.config_generation.to_string()),
        (
            "peers",
            format!("{}/{} established", c.peers_established, c.peers_configured),
        ),
        ("loc-rib routes", c.loc_rib_routes.to_string()),
        ("vnis", c.vnis.to_string()),
        (
            "macs",
            format!("{} local, {} remote", c.local_macs, c.remote_macs),
        ),
    ]);
    Ok(Out {
        json: j::status(&s),
        text,
    })
}

pub(super) async fn peers(ch: Channel) -> Result<Out, Fail> {
    let ps = PeerServiceClient::new(ch)
        .list_peers(pb::ListPeersRequest {})
        .await?
        .into_inner()
        .peers;
    let rows: Vec<Vec<String>> = ps
        .iter()
        .map(|p| {
            let (rx, adv) = p
                .families
                .iter()
                .fold((0, 0), |(r, a), f| (r + f.accepted, a + f.advertised));
            vec![
                peer_name(p),
                p.remote_asn.to_string(),
                j::state(p),
                format!("{}s", p.uptime_seconds),
                rx.to_string(),
                adv.to_string(),
                p.description.clone(),
            ]
        })
        .collect();
    let text = render(
        &[
            "PEER",
            "ASN",
            "STATE",
            "UPTIME",
            "ACCEPTED",
            "ADVERTISED",
            "DESCRIPTION",
        ],
        &rows,
    );
    Ok(Out {
        json: json!({ "peers": ps.iter().map(j::peer).collect::<Vec<_>>() }),
        text,
    })
}

/// How the peers table names a peer: its address, or for an interface
/// (unnumbered) neighbour `swp1 fe80::…` once found, else `swp1 (searching)`.
fn peer_name(p: &pb::Peer) -> String {
    match (p.interface.as_str(), p.discovered_address.as_str()) {
        ("", _) => p.address.clone(),
        (i, "") => format!("{i} ({})", p.discovery),
        (i, a) => format!("{i} {a}"),
    }
}

pub(super) async fn peer(ch: Channel, address: String) -> Result<Out, Fail> {
    let req = pb::GetPeerRequest { address };
    let p = PeerServiceClient::new(ch)
        .get_peer(req)
        .await?
        .into_inner()
        .peer
        .unwrap_or_default();
    let mut pairs = vec![
        ("address", p.address.clone()),
        ("remote asn", p.remote_asn.to_string()),
        ("description", p.description.clone()),
        ("state", j::state(&p)),
        ("enabled", yes(p.enabled)),
        ("uptime", format!("{}s", p.uptime_seconds)),
        (
            "hold/keepalive",
            format!("{}s/{}s", p.hold_time_seconds, p.keepalive_seconds),
        ),
        ("capabilities", p.capabilities.join(", ")),
    ];
    if !p.remote_as.is_empty() && p.remote_as != p.remote_asn.to_string() {
        pairs.insert(2, ("remote as (configured)", p.remote_as.clone()));
    }
    if !p.interface.is_empty() {
        pairs.insert(1, ("interface", p.interface.clone()));
        pairs.insert(2, ("discovered address", p.discovered_address.clone()));
        pairs.insert(3, ("discovery", p.discovery.clone()));
    }
    for f in &p.families {
        let fam = enum_word(f.family().as_str_name(), "ADDRESS_FAMILY_");
        pairs.push((
            "family",
            format!(
                "{fam}: {} received, {} accepted, {} advertised",
                f.received, f.accepted, f.advertised
            ),
        ));
    }
    if let Some(e) = &p.last_error {
        let n = e
            .notification
            .as_ref()
            .map(|n| format!(" (NOTIFICATION {}/{} {})", n.code, n.subcode, n.text));
        pairs.push((
            "last error",
            format!("{}{}", e.message, n.unwrap_or_default()),
        ));
    }
    Ok(Out {
        json: j::peer(&p),
        text: fields(&pairs),
    })
}

pub(super) async fn vnis(ch: Channel) -> Result<Out, Fail> {
    let vs = EvpnServiceClient::new(ch)
        .list_vnis(pb::ListVnisRequest { vni: None })
        .await?
        .into_inner()
        .vnis;
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            vec![
                v.vni.to_string(),
                enum_word(v.kind().as_str_name(), "VNI_KIND_"),
                v.vrf.clone(),
                v.rd.clone(),
                v.import_rts.join(","),
                v.export_rts.join(","),
                v.bridge.clone(),
                v.vtep_ip.clone(),
                v.flood_mode.clone(),
                v.flood_list.join(","),
            ]
        })
        .collect();
    let mut text = render(
        &[
            "VNI", "KIND", "VRF", "RD", "IMPORT", "EXPORT", "BRIDGE", "VTEP", "BUM", "FLOOD",
        ],
        &rows,
    );
    // Each remote VTEP's flood source, or why it has no flood entry.
    let remote: Vec<Vec<String>> = vs
        .iter()
        .flat_map(|v| {
            v.remote_vteps.iter().map(|r| {
                let source = match r.source() {
                    pb::FloodSource::None => r.reason.clone(),
                    s => enum_word(s.as_str_name(), "FLOOD_SOURCE_").replace("_and_", "+"),
                };
                vec![v.vni.to_string(), r.vtep.clone(), source]
            })
        })
        .collect();
    if !remote.is_empty() {
        text.push('\n');
        text.push_str(&render(&["VNI", "REMOTE VTEP", "FLOOD SOURCE"], &remote));
    }
    Ok(Out {
        json: json!({ "vnis": vs.iter().map(j::vni).collect::<Vec<_>>() }),
        text,
    })
}

pub(super) async fn macs(ch: Channel, a: MacArgs) -> Result<Out, Fail> {
    let origin = match (a.local, a.remote) {
        (true, _) => pb::EntryOrigin::Local,
        (_, true) => pb::EntryOrigin::Remote,
        _ => pb::EntryOrigin::Unspecified,
    };
    let req = pb::ListMacsRequest {
        vni: a.vni,
        mac: opt(&a.mac),
        origin: origin.into(),
    };
    let ms = EvpnServiceClient::new(ch)
        .list_macs(req)
        .await?
        .into_inner()
        .macs;
    let rows: Vec<Vec<String>> = ms
        .iter()
        .map(|m| {
            let at = if m.vtep_ip.is_empty() {
                m.interface.clone()
            } else {
                m.vtep_ip.clone()
            };
            let flags = [(m.sticky, "sticky"), (m.duplicate, "duplicate")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| *f)
                .collect::<Vec<_>>()
                .join(",");
            vec![
                m.vni.to_string(),
                m.mac.clone(),
                j::origin(m.origin()),
                at,
                m.sequence.to_string(),
                flags,
            ]
        })
        .collect();
    let text = render(
        &["VNI", "MAC", "ORIGIN", "VTEP/PORT", "SEQ", "FLAGS"],
        &rows,
    );
    Ok(Out {
        json: json!({ "macs": ms.iter().map(j::mac).collect::<Vec<_>>() }),
        text,
    })
}

pub(super) async fn neigh(ch: Channel, vni: Option<u32>) -> Result<Out, Fail> {
    let req = pb::ListNeighborsRequest { vni };
    let ns = EvpnServiceClient::new(ch)
        .list_neighbors(req)
        .await?
        .into_inner()
        .neighbors;
    let rows: Vec<Vec<String>> = ns
        .iter()
        .map(|n| {
            vec![
                n.vni.to_string(),
                n.ip.clone(),
                n.mac.clone(),
                j::origin(n.origin()),
                n.vtep_ip.clone(),
            ]
        })
        .collect();
    let text = render(&["VNI", "IP", "MAC", "ORIGIN", "VTEP"], &rows);
    Ok(Out {
        json: json!({ "neighbors": ns.iter().map(j::neighbor).collect::<Vec<_>>() }),
        text,
    })
}

pub(super) async fn vteps(ch: Channel) -> Result<Out, Fail> {
    let vs = EvpnServiceClient::new(ch)
        .list_vteps(pb::ListVtepsRequest {})
        .await?
        .into_inner()
        .vteps;
    let rows: Vec<Vec<String>> = vs
        .iter()
        .map(|v| {
            let vnis: Vec<String> = v.vnis.iter().map(u32::to_string).collect();
            vec![v.ip.clone(), vnis.join(","), v.macs.to_string()]
        })
        .collect();
    let text = render(&["VTEP", "VNIS", "MACS"], &rows);
    Ok(Out {
        json: json!({ "vteps": vs.iter().map(j::vtep).collect::<Vec<_>>() }),
        text,
    })
}

pub(super) async fn dataplane(ch: Channel, vni: Option<u32>) -> Result<Out, Fail> {
    let req = pb::GetDataplaneRequest { vni };
    let ds = DataplaneServiceClient::new(ch)
        .get_dataplane(req)
        .await?
        .into_inner()
        .vnis;
    let rows: Vec<Vec<String>> = ds
        .iter()
        .map(|d| {
            let (w, h) = (
                d.desired.unwrap_or_default(),
                d.programmed.unwrap_or_default(),
            );
            let last = d
                .last_errors
                .first()
                .map(|e| format!("{}: {}", e.object, e.message));
            vec![
                d.vni.to_string(),
                format!("{}/{}", h.fdb, w.fdb),
                format!("{}/{}", h.flood, w.flood),
                format!("{}/{}", h.neighbors, w.neighbors),
                format!("{}/{}", h.routes, w.routes),
                yes(d.drift),
                last.unwrap_or_default(),
            ]
        })
        .collect();
    // Counts read programmed/desired, e.g. 2/3 = one entry still missing.
    let text = render(
        &[
            "VNI",
            "FDB (HAVE/WANT)",
            "FLOOD",
            "NEIGH",
            "ROUTES",
            "DRIFT",
            "LAST ERROR",
        ],
        &rows,
    );
    Ok(Out {
        json: json!({ "vnis": ds.iter().map(j::dataplane).collect::<Vec<_>>() }),
        text,
    })
}
