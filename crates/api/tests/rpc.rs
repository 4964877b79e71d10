//! Every unary RPC over a real unix socket with a tonic client.

mod common;

use std::os::unix::fs::PermissionsExt;

use evpnd_api::pb::{
    self, daemon_service_client::DaemonServiceClient,
    dataplane_service_client::DataplaneServiceClient, evpn_service_client::EvpnServiceClient,
    peer_service_client::PeerServiceClient, route_service_client::RouteServiceClient,
};
use tonic::Code;

#[tokio::test]
async fn daemon_service() {
    let s = common::start(2, 16).await;
    let mode = std::fs::metadata(&s.socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660);
    let mut c = DaemonServiceClient::new(s.channel.clone());
    let st = c
        .get_status(pb::GetStatusRequest {})
        .await
        .expect("status")
        .into_inner();
    assert_eq!(
        (st.router_id.as_str(), st.asn, st.config_generation),
        ("10.0.0.1", 65001, 3)
    );
    assert_eq!(st.counters.map(|c| c.peers_established), Some(1));

    use pb::validate_config_request::Source;
    let bad = pb::ValidateConfigRequest {
        source: Some(Source::Text("[bgp]\nasn = \"x\"\n".into())),
    };
    let v = c.validate_config(bad).await.expect("validate").into_inner();
    assert_eq!(v.errors.len(), 1);
    assert_eq!((v.errors[0].line, v.errors[0].column), (2, 7));
    let none = c
        .validate_config(pb::ValidateConfigRequest { source: None })
        .await;
    assert_eq!(none.err().map(|e| e.code()), Some(Code::InvalidArgument));

    let r = c
        .reload_config(pb::ReloadConfigRequest {})
        .await
        .expect("reload")
        .into_inner();
    assert!(r.applied);
    assert_eq!(r.changes[0].path, "vni.300");

    let l = c
        .set_log_level(pb::SetLogLevelRequest {
            level: pb::LogLevel::Debug.into(),
        })
        .await
        .expect("log level")
        .into_inner();
    assert_eq!(l.previous(), pb::LogLevel::Info);
    let e = c
        .set_log_level(pb::SetLogLevelRequest { level: 0 })
        .await
        .expect_err("unspecified");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("level:"), "{}", e.message());
}

#[tokio::test]
async fn peer_service() {
    let s = common::start(2, 16).await;
    let mut c = PeerServiceClient::new(s.channel.clone());
    let peers = c
        .list_peers(pb::ListPeersRequest {})
        .await
        .expect("list")
        .into_inner()
        .peers;
    assert_eq!(peers.len(), 2);
    let p = c
        .get_peer(pb::GetPeerRequest {
            address: "10.0.0.3".into(),
        })
        .await
        .expect("get")
        .into_inner()
        .peer
        .expect("peer");
    let n = p
        .last_error
        .and_then(|e| e.notification)
        .expect("notification");
    assert_eq!((n.code, n.subcode), (6, 2));

    let e = c
        .get_peer(pb::GetPeerRequest {
            address: "10.9.9.9".into(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .get_peer(pb::GetPeerRequest {
            address: "no/pe".into(),
        })
        .await
        .expect_err("bad");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("address:"), "{}", e.message());

    c.enable_peer(pb::EnablePeerRequest {
        address: "10.0.0.2".into(),
    })
    .await
    .expect("enable");
    c.disable_peer(pb::DisablePeerRequest {
        address: "10.0.0.2".into(),
        reason: "maintenance".into(),
    })
    .await
    .expect("disable");
    let e = c
        .enable_peer(pb::EnablePeerRequest {
            address: "10.0.0.9".into(),
        })
        .await
        .expect_err("unknown");
    assert_eq!(e.code(), Code::NotFound);
    c.reset_peer(pb::ResetPeerRequest {
        address: "10.0.0.2".into(),
        kind: pb::ResetKind::SoftIn.into(),
    })
    .await
    .expect("reset");
    let e = c
        .reset_peer(pb::ResetPeerRequest {
            address: "10.0.0.2".into(),
            kind: 0,
        })
        .await
        .expect_err("no kind");
    assert!(e.message().starts_with("kind:"), "{}", e.message());
}

#[tokio::test]
async fn evpn_and_dataplane_services() {
    let s = common::start(2, 16).await;
    let mut c = EvpnServiceClient::new(s.channel.clone());
    let v = c
        .list_vnis(pb::ListVnisRequest { vni: None })
        .await
        .expect("vnis")
        .into_inner()
        .vnis;
    assert_eq!(v.iter().map(|v| v.vni).collect::<Vec<_>>(), [100, 5000]);
    let v = c
        .list_vnis(pb::ListVnisRequest { vni: Some(100) })
        .await
        .expect("vni")
        .into_inner()
        .vnis;
    assert_eq!(v[0].flood_list, ["10.0.0.2", "10.0.0.3"]);
    let e = c
        .list_vnis(pb::ListVnisRequest { vni: Some(1 << 24) })
        .await
        .expect_err("big vni");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("vni:"), "{}", e.message());

    let req = pb::ListMacsRequest {
        vni: Some(100),
        mac: String::new(),
        origin: pb::EntryOrigin::Remote.into(),
    };
    let m = c.list_macs(req).await.expect("macs").into_inner().macs;
    assert_eq!(m.len(), 1);
    assert!(m[0].duplicate);
    let req = pb::ListMacsRequest {
        vni: None,
        mac: "zz:00".into(),
        origin: 0,
    };
    let e = c.list_macs(req).await.expect_err("bad mac");
    assert!(e.message().starts_with("mac:"), "{}", e.message());

    let n = c
        .list_neighbors(pb::ListNeighborsRequest { vni: None })
        .await
        .expect("neigh")
        .into_inner();
    assert_eq!(n.neighbors.len(), 1);
    let t = c
        .list_vteps(pb::ListVtepsRequest {})
        .await
        .expect("vteps")
        .into_inner();
    assert_eq!(t.vteps.len(), 2);
    let d = c
        .list_duplicates(pb::ListDuplicatesRequest { vni: None })
        .await
        .expect("dups")
        .into_inner();
    assert_eq!(d.duplicates[0].moves, 5);
    let ok = pb::ClearDuplicateRequest {
        vni: 100,
        mac: "aa:bb:cc:64:00:00".into(),
    };
    c.clear_duplicate(ok).await.expect("clear");
    let missing = pb::ClearDuplicateRequest {
        vni: 100,
        mac: "aa:bb:cc:64:00:09".into(),
    };
    assert_eq!(
        c.clear_duplicate(missing).await.err().map(|e| e.code()),
        Some(Code::NotFound)
    );
    let zero = pb::ClearDuplicateRequest {
        vni: 0,
        mac: "aa:bb:cc:64:00:00".into(),
    };
    assert_eq!(
        c.clear_duplicate(zero).await.err().map(|e| e.code()),
        Some(Code::InvalidArgument)
    );

    let mut d = DataplaneServiceClient::new(s.channel.clone());
    let dp = d
        .get_dataplane(pb::GetDataplaneRequest { vni: None })
        .await
        .expect("dp")
        .into_inner();
    assert!(dp.vnis[0].drift);
    assert_eq!(dp.vnis[0].last_errors[0].message, "EEXIST");
}

#[tokio::test]
async fn add_explain_delete_routes() {
    let s = common::start(2, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let local = pb::LocalRoute {
        route: Some(pb::local_route::Route::MacIp(pb::LocalMacIp {
            vni: 100,
            mac: "02:00:00:00:00:09".into(),
            ip: "10.100.0.9".into(),
            sticky: false,
        })),
    };
    let k = c
        .add_route(pb::AddRouteRequest {
            route: Some(local.clone()),
        })
        .await
        .expect("add")
        .into_inner()
        .key
        .expect("key");
    assert_eq!(
        k.prefix,
        "[2]:[0]:[48]:[02:00:00:00:00:09]:[32]:[10.100.0.9]"
    );
    assert_eq!(s.backend.local_routes().len(), 1);
    c.delete_route(pb::DeleteRouteRequest {
        route: Some(local.clone()),
    })
    .await
    .expect("delete");
    let again = c
        .delete_route(pb::DeleteRouteRequest { route: Some(local) })
        .await;
    assert_eq!(again.err().map(|e| e.code()), Some(Code::NotFound));

    let bad = pb::LocalRoute {
        route: Some(pb::local_route::Route::IpPrefix(pb::LocalIpPrefix {
            vni: 5000,
            prefix: "10.0.0.0/33".into(),
        })),
    };
    let e = c
        .add_route(pb::AddRouteRequest { route: Some(bad) })
        .await
        .expect_err("bad prefix");
    assert!(
        e.message().starts_with("route.ip_prefix.prefix:"),
        "{}",
        e.message()
    );
    let e = c
        .add_route(pb::AddRouteRequest { route: None })
        .await
        .expect_err("no route");
    assert_eq!(e.code(), Code::InvalidArgument);

    let ex = pb::ExplainRouteRequest {
        rd: "10.0.0.2:100".into(),
        prefix: "[2]:[0]:[48]:[aa:bb:cc:64:00:00]:[32]:[10.100.0.0]".into(),
    };
    let ex = c.explain_route(ex).await.expect("explain").into_inner();
    assert_eq!(ex.paths.len(), 2);
    assert_eq!(ex.paths[1].reason(), pb::LossReason::MobilitySequence);
    let e = c
        .explain_route(pb::ExplainRouteRequest {
            rd: "x".into(),
            prefix: "[3]:[0]".into(),
        })
        .await
        .expect_err("bad rd");
    assert!(e.message().starts_with("rd:"), "{}", e.message());
    let unknown = pb::ExplainRouteRequest {
        rd: "10.0.0.2:100".into(),
        prefix: "[3]:[0]:[32]:[9.9.9.9]".into(),
    };
    assert_eq!(
        c.explain_route(unknown).await.err().map(|e| e.code()),
        Some(Code::NotFound)
    );
}
