//! The client commands: connect, call the API, print JSON or a table.
//!
//! Every failure ends as one line on stderr (`evpnctl: ...`) and exit status
//! 1; a watch that must resynchronise exits with status 3.

use std::path::PathBuf;
use std::process::ExitCode;

use evpnd_api::pb::{
    self, daemon_service_client::DaemonServiceClient,
    dataplane_service_client::DataplaneServiceClient, evpn_service_client::EvpnServiceClient,
    peer_service_client::PeerServiceClient, route_service_client::RouteServiceClient,
    watch_service_client::WatchServiceClient,
};
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::json::{self as j, enum_word};
use crate::table::{fields, render};
use crate::{Level, MacArgs, RouteArgs, ViewArg};

/// Where the daemon listens.
pub enum Target {
    /// A unix socket.
    Socket(PathBuf),
    /// A URL (`http://host:port`).
    Url(String),
}

/// One client command.
pub enum Query {
    Status,
    Peers,
    Peer(String),
    Routes(RouteArgs),
    Explain { key: String, rd: String },
    Vnis,
    Macs(MacArgs),
    Neigh(Option<u32>),
    Vteps,
    Dataplane(Option<u32>),
    Watch { peers: bool, routes: bool },
    Reload,
    LogLevel(Level),
}

/// A command's answer in both forms.
struct Out {
    json: Value,
    text: String,
}

/// A one-line failure.
struct Fail(String, u8);

impl From<tonic::Status> for Fail {
    fn from(s: tonic::Status) -> Self {
        Fail(
            format!("{}: {}", snake(&format!("{:?}", s.code())), s.message()),
            1,
        )
    }
}

/// Runs `q` against `target` and prints the result.
pub fn run(target: Target, q: Query, json: bool) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(Fail(format!("cannot start the runtime: {e}"), 1)),
    };
    match rt.block_on(execute(target, q, json)) {
        Ok(Some(out)) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out.json).unwrap_or_default()
                );
            } else {
                print!("{}", out.text);
            }
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(f) => fail(f),
    }
}

fn fail(f: Fail) -> ExitCode {
    eprintln!("evpnctl: {}", f.0.replace('\n', " "));
    ExitCode::from(f.1)
}

/// `InvalidArgument` → `invalid_argument` (gRPC's canonical code names).
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

async fn connect(target: Target) -> Result<Channel, Fail> {
    match target {
        Target::Socket(p) => evpnd_api::client::connect_unix(&p).await.map_err(|e| {
            Fail(
                format!("cannot connect to {}: {}", p.display(), source_chain(&e)),
                1,
            )
        }),
        Target::Url(u) => evpnd_api::client::connect_url(u.clone())
            .await
            .map_err(|e| Fail(format!("cannot connect to {u}: {}", source_chain(&e)), 1)),
    }
}

/// The error and its causes on one line.
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn yes(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

async fn execute(target: Target, q: Query, json: bool) -> Result<Option<Out>, Fail> {
    let ch = connect(target).await?;
    Ok(Some(match q {
        Query::Status => status(ch).await?,
        Query::Peers => peers(ch).await?,
        Query::Peer(a) => peer(ch, a).await?,
        Query::Routes(a) => routes(ch, a).await?,
        Query::Explain { key, rd } => explain(ch, key, rd).await?,
        Query::Vnis => vnis(ch).await?,
        Query::Macs(a) => macs(ch, a).await?,
        Query::Neigh(vni) => neigh(ch, vni).await?,
        Query::Vteps => vteps(ch).await?,
        Query::Dataplane(vni) => dataplane(ch, vni).await?,
        Query::Watch { peers, routes } => {
            watch(ch, peers, routes, json).await?;
            return Ok(None);
        }
        Query::Reload => reload(ch).await?,
        Query::LogLevel(l) => log_level(ch, l).await?,
    }))
}

async fn status(ch: Channel) -> Result<Out, Fail> {
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

async fn peers(ch: Channel) -> Result<Out, Fail> {
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
                p.address.clone(),
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

async fn peer(ch: Channel, address: String) -> Result<Out, Fail> {
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

async fn routes(ch: Channel, a: RouteArgs) -> Result<Out, Fail> {
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

async fn explain(ch: Channel, key: String, rd: String) -> Result<Out, Fail> {
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
    let text = format!(
        "{} {}\n{}",
        k.rd,
        k.prefix,
        render(&["PEER", "NEXT HOP", "VERDICT", "DETAIL"], &rows)
    );
    Ok(Out {
        json: json!({ "key": j::key(e.key.as_ref()), "paths": verdicts }),
        text,
    })
}

async fn vnis(ch: Channel) -> Result<Out, Fail> {
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
                v.rd.clone(),
                v.import_rts.join(","),
                v.export_rts.join(","),
                v.bridge.clone(),
                v.vtep_ip.clone(),
                v.flood_list.join(","),
            ]
        })
        .collect();
    let text = render(
        &[
            "VNI", "KIND", "RD", "IMPORT", "EXPORT", "BRIDGE", "VTEP", "FLOOD",
        ],
        &rows,
    );
    Ok(Out {
        json: json!({ "vnis": vs.iter().map(j::vni).collect::<Vec<_>>() }),
        text,
    })
}

async fn macs(ch: Channel, a: MacArgs) -> Result<Out, Fail> {
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

async fn neigh(ch: Channel, vni: Option<u32>) -> Result<Out, Fail> {
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

async fn vteps(ch: Channel) -> Result<Out, Fail> {
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

async fn dataplane(ch: Channel, vni: Option<u32>) -> Result<Out, Fail> {
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
    let text = render(
        &[
            "VNI",
            "FDB",
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

/// Prints events as they come (one JSON object per line with `--json`).
async fn watch(ch: Channel, peers: bool, routes: bool, json: bool) -> Result<(), Fail> {
    use pb::watch_response::Event;
    let mut topics = Vec::new();
    if peers {
        topics.push(pb::WatchTopic::Peers.into());
    }
    if routes {
        topics.push(pb::WatchTopic::Routes.into());
    }
    let mut s = WatchServiceClient::new(ch)
        .watch(pb::WatchRequest { topics })
        .await?
        .into_inner();
    while let Some(m) = s.message().await? {
        let Some(e) = m.event else { continue };
        if json {
            println!("{}", j::event(&e));
        } else {
            match &e {
                Event::Peer(p) => {
                    let p = p.peer.clone().unwrap_or_default();
                    println!("peer {} {}", p.address, j::state(&p));
                }
                Event::Route(r) => {
                    let k = r
                        .route
                        .as_ref()
                        .and_then(|r| r.key.clone())
                        .unwrap_or_default();
                    let change = enum_word(r.change().as_str_name(), "ROUTE_CHANGE_");
                    println!("route {change} {} {}", k.rd, k.prefix);
                }
                Event::EndOfSnapshot(_) => println!("-- end of snapshot --"),
                Event::ResyncRequired(_) => {}
            }
        }
        if let Event::ResyncRequired(r) = e {
            return Err(Fail(
                format!(
                    "too slow: {} events missed, watch again to resync",
                    r.missed_events
                ),
                3,
            ));
        }
    }
    Ok(())
}

async fn reload(ch: Channel) -> Result<Out, Fail> {
    let r = DaemonServiceClient::new(ch)
        .reload_config(pb::ReloadConfigRequest {})
        .await?
        .into_inner();
    let changes: Vec<Value> = r
        .changes
        .iter()
        .map(|c| json!({ "kind": enum_word(c.kind().as_str_name(), "CHANGE_KIND_"), "path": c.path, "detail": c.detail }))
        .collect();
    let errors: Vec<Value> = r
        .errors
        .iter()
        .map(
            |e| json!({ "file": e.file, "line": e.line, "column": e.column, "message": e.message }),
        )
        .collect();
    let mut text = if r.applied {
        format!("applied, generation {}\n", r.generation)
    } else {
        "refused\n".to_string()
    };
    for c in &r.changes {
        text.push_str(&format!(
            "  {} {}: {}\n",
            enum_word(c.kind().as_str_name(), "CHANGE_KIND_"),
            c.path,
            c.detail
        ));
    }
    for e in &r.errors {
        text.push_str(&format!(
            "  {}:{}:{}: {}\n",
            e.file, e.line, e.column, e.message
        ));
    }
    let json = json!({ "applied": r.applied, "generation": r.generation, "changes": changes, "errors": errors });
    if !r.applied {
        let first = r
            .errors
            .first()
            .map(|e| format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message));
        return Err(Fail(
            format!("reload refused: {}", first.unwrap_or_default()),
            1,
        ));
    }
    Ok(Out { json, text })
}

async fn log_level(ch: Channel, l: Level) -> Result<Out, Fail> {
    let level = match l {
        Level::Error => pb::LogLevel::Error,
        Level::Warn => pb::LogLevel::Warn,
        Level::Info => pb::LogLevel::Info,
        Level::Debug => pb::LogLevel::Debug,
        Level::Trace => pb::LogLevel::Trace,
    };
    let req = pb::SetLogLevelRequest {
        level: level.into(),
    };
    let r = DaemonServiceClient::new(ch)
        .set_log_level(req)
        .await?
        .into_inner();
    let (now, was) = (
        enum_word(level.as_str_name(), "LOG_LEVEL_"),
        enum_word(r.previous().as_str_name(), "LOG_LEVEL_"),
    );
    Ok(Out {
        text: format!("log level {now} (was {was})\n"),
        json: json!({ "level": now, "previous": was }),
    })
}
