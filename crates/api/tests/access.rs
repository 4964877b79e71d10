//! Socket ownership and mode, and the read-only socket: every RPC that
//! changes state answers PERMISSION_DENIED there, every query works.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use evpnd_api::fake::FakeBackend;
use evpnd_api::pb::{
    self, daemon_service_client::DaemonServiceClient, evpn_service_client::EvpnServiceClient,
    peer_service_client::PeerServiceClient, route_service_client::RouteServiceClient,
    tenant_service_client::TenantServiceClient,
};
use evpnd_api::{Access, SocketOptions};
use tonic::Code;
use tonic::transport::Channel;

/// A group id no account has; root may give a socket to it.
const SOME_GID: u32 = 4242;

#[tokio::test]
async fn socket_group_and_mode_are_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evpnd.sock");
    let opts = SocketOptions {
        mode: 0o640,
        group: Some(SOME_GID.to_string()),
    };
    let l = evpnd_api::bind_unix_with(&path, &opts).await;
    let meta = std::fs::metadata(&path);
    match (l, meta) {
        (Ok(_), Ok(m)) => {
            assert_eq!(m.permissions().mode() & 0o777, 0o640);
            assert_eq!(m.gid(), SOME_GID);
        }
        (l, m) => panic!(
            "bind {:?} metadata {:?} (needs root to chgrp)",
            l.err(),
            m.err()
        ),
    }
}

#[tokio::test]
async fn unknown_group_is_an_error_and_leaves_no_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evpnd.sock");
    let opts = SocketOptions {
        mode: 0o660,
        group: Some("evpnd-no-such-group".into()),
    };
    let e = evpnd_api::bind_unix_with(&path, &opts)
        .await
        .expect_err("unknown group");
    assert!(e.to_string().contains("evpnd-no-such-group"), "{e}");
    assert!(!path.exists());
}

async fn serve(path: &Path, access: Access) -> (Channel, tokio::sync::oneshot::Sender<()>) {
    let listener = evpnd_api::bind_unix(path).await.expect("bind");
    let backend = Arc::new(FakeBackend::new(1, 8));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let done = async {
            let _ = stopped.await;
        };
        evpnd_api::serve_unix_on(listener, backend, access, done)
            .await
            .expect("serve");
    });
    let ch = evpnd_api::client::connect_unix(path)
        .await
        .expect("connect");
    (ch, stop)
}

fn local() -> pb::LocalRoute {
    pb::LocalRoute {
        route: Some(pb::local_route::Route::MacIp(pb::LocalMacIp {
            vni: 100,
            mac: "02:00:00:00:00:09".into(),
            ip: String::new(),
            sticky: false,
        })),
    }
}

/// The code of every mutating RPC's answer.
async fn mutations(ch: &Channel) -> Vec<(&'static str, Code)> {
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |e| e.code());
    let mut d = DaemonServiceClient::new(ch.clone());
    let mut p = PeerServiceClient::new(ch.clone());
    let mut r = RouteServiceClient::new(ch.clone());
    let mut e = EvpnServiceClient::new(ch.clone());
    let peer = "127.0.0.2".to_string();
    vec![
        (
            "ReloadConfig",
            code(d.reload_config(pb::ReloadConfigRequest {}).await.map(drop)),
        ),
        (
            "SetLogLevel",
            code(
                d.set_log_level(pb::SetLogLevelRequest {
                    level: pb::LogLevel::Debug.into(),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "EnablePeer",
            code(
                p.enable_peer(pb::EnablePeerRequest {
                    address: peer.clone(),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "DisablePeer",
            code(
                p.disable_peer(pb::DisablePeerRequest {
                    address: peer.clone(),
                    reason: String::new(),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "ResetPeer",
            code(
                p.reset_peer(pb::ResetPeerRequest {
                    address: peer,
                    kind: pb::ResetKind::SoftOut.into(),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "AddRoute",
            code(
                r.add_route(pb::AddRouteRequest {
                    route: Some(local()),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "DeleteRoute",
            code(
                r.delete_route(pb::DeleteRouteRequest {
                    route: Some(local()),
                })
                .await
                .map(drop),
            ),
        ),
        (
            "ClearDuplicate",
            code(
                e.clear_duplicate(pb::ClearDuplicateRequest {
                    vni: 100,
                    mac: "aa:bb:cc:64:00:00".into(),
                })
                .await
                .map(drop),
            ),
        ),
    ]
}

#[tokio::test]
async fn read_only_socket_denies_every_mutation_and_answers_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ro, _stop_ro) = serve(&dir.path().join("ro.sock"), Access::ReadOnly).await;
    for (rpc, c) in mutations(&ro).await {
        assert_eq!(c, Code::PermissionDenied, "{rpc} on the read-only socket");
    }
    let mut d = DaemonServiceClient::new(ro.clone());
    let st = d
        .get_status(pb::GetStatusRequest {})
        .await
        .expect("GetStatus is a query")
        .into_inner();
    assert_eq!(st.asn, 65001);
    let mut r = RouteServiceClient::new(ro.clone());
    r.list_routes(pb::ListRoutesRequest::default())
        .await
        .expect("ListRoutes is a query");
    // The tenant listings only read: all answer on the read-only socket.
    let mut t = TenantServiceClient::new(ro.clone());
    let vrfs = t
        .list_vrfs(pb::ListVrfsRequest::default())
        .await
        .expect("ListVrfs is a query")
        .into_inner()
        .vrfs;
    assert!(!vrfs.is_empty());
    t.list_vrf_routes(pb::ListVrfRoutesRequest::default())
        .await
        .expect("ListVrfRoutes is a query");
    t.list_router_macs(pb::ListRouterMacsRequest::default())
        .await
        .expect("ListRouterMacs is a query");
    let text = pb::ValidateConfigRequest {
        source: Some(pb::validate_config_request::Source::Text(String::new())),
    };
    let path = pb::ValidateConfigRequest {
        source: Some(pb::validate_config_request::Source::Path(
            "/etc/shadow".into(),
        )),
    };
    assert!(d.validate_config(text).await.is_ok());
    assert_eq!(
        d.validate_config(path).await.err().map(|e| e.code()),
        Some(Code::PermissionDenied)
    );

    // The same calls on a read-write socket are not denied (the fake answers).
    let (rw, _stop_rw) = serve(&dir.path().join("rw.sock"), Access::ReadWrite).await;
    for (rpc, c) in mutations(&rw).await {
        assert_ne!(c, Code::PermissionDenied, "{rpc} on the operator socket");
    }
}
