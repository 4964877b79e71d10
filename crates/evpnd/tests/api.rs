//! The management API against running daemons: two evpnd on loopback in a
//! namespace, one a route source for the other, queried over the Unix
//! socket with a tonic client: status, peers, routes with filters and
//! paging, explain, invalid arguments, tenant listings, reload that changes one VNI without
//! resetting the session, and a watch that sees the reload's new route.

mod lab;

use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, wait_until};
use tonic::Code;

fn conf(me: &str, peer: &str, macs: &str) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"{me}\"\nlisten = [\"{me}:179\"]\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"{peer}\"\nremote_asn = 65000\nupdate_source = \"{me}\"\n\
         [evpn]\nvtep_ip = \"{me}\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{macs}]\n"
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn channel(ns: &Netns, label: &str) -> tonic::transport::Channel {
    let sock = ns.api_socket(label);
    wait_until("the API socket", Duration::from_secs(20), || {
        sock.exists().then_some(()).ok_or(ns.log(label))
    });
    evpnd_api::client::connect_unix(sock)
        .await
        .expect("connect to the API socket")
}

#[test]
fn api_answers_from_a_running_daemon() {
    let mut ns = Netns::new("api");
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    ns.start_evpnd(
        "a",
        &conf("10.0.0.1", "10.0.0.2", "{ mac = \"02:00:00:00:00:0a\" }"),
    );
    let b_conf = conf(
        "10.0.0.2",
        "10.0.0.1",
        "{ mac = \"02:00:00:00:00:0b\", ip = \"192.168.1.2\" }, { mac = \"02:00:00:00:00:0c\" }",
    );
    ns.start_evpnd("b", &b_conf);
    let rt = rt();
    rt.block_on(async {
        // Status: up, one peer established, b's 4 routes + a's 2 in a's RIB.
        let mut daemon =
            pb::daemon_service_client::DaemonServiceClient::new(channel(&ns, "a").await);
        let mut status = None;
        for _ in 0..120 {
            let s = daemon
                .get_status(pb::GetStatusRequest {})
                .await
                .expect("status")
                .into_inner();
            let c = s.counters.unwrap_or_default();
            if c.peers_established == 1 && c.loc_rib_routes == 6 {
                status = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let s = status
            .unwrap_or_else(|| panic!("a never had the session and 6 routes:\n{}", ns.log("a")));
        assert_eq!((s.asn, s.router_id.as_str()), (65000, "10.0.0.1"));

        // Peers.
        let mut peers = pb::peer_service_client::PeerServiceClient::new(channel(&ns, "a").await);
        let p = peers
            .get_peer(pb::GetPeerRequest {
                address: "10.0.0.2".into(),
            })
            .await
            .expect("get peer")
            .into_inner()
            .peer
            .expect("peer");
        assert_eq!(p.state, pb::FsmState::Established as i32);
        assert_eq!(
            p.families[0].received, 4,
            "b's routes: 2 MAC-only, 1 MAC+IP, 1 IMET"
        );
        let e = peers
            .get_peer(pb::GetPeerRequest {
                address: "10.9.9.9".into(),
            })
            .await
            .expect_err("unknown peer");
        assert_eq!(e.code(), Code::NotFound);

        // Routes: a filter, then every route across pages of 2.
        let mut routes = pb::route_service_client::RouteServiceClient::new(channel(&ns, "a").await);
        let list = |filter: pb::RouteFilter, size: u32, token: String| pb::ListRoutesRequest {
            view: pb::RibView::LocRib as i32,
            filter: Some(filter),
            page_size: size,
            page_token: token,
        };
        let by_mac = routes
            .list_routes(list(
                pb::RouteFilter {
                    mac: "02:00:00:00:00:0b".into(),
                    ..Default::default()
                },
                0,
                String::new(),
            ))
            .await
            .expect("by mac")
            .into_inner();
        assert_eq!(by_mac.routes.len(), 2, "MAC-only and MAC+IP of 0b");
        assert!(by_mac.routes.iter().all(|r| r.paths[0].peer == "10.0.0.2"));
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = routes
                .list_routes(list(pb::RouteFilter::default(), 2, token))
                .await
                .expect("page")
                .into_inner();
            assert!(page.routes.len() <= 2);
            seen.extend(page.routes.into_iter().map(|r| r.key.expect("key").prefix));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen.len(), 6, "every route once across the pages: {seen:?}");
        let bad = routes
            .list_routes(list(
                pb::RouteFilter {
                    mac: "zz".into(),
                    ..Default::default()
                },
                0,
                String::new(),
            ))
            .await
            .expect_err("bad mac");
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert!(bad.message().contains("mac"), "{}", bad.message());

        // Explain.
        let ex = routes
            .explain_route(pb::ExplainRouteRequest {
                rd: "10.0.0.2:100".into(),
                prefix: "[2]:[0]:[48]:[02:00:00:00:00:0b]".into(),
            })
            .await
            .expect("explain")
            .into_inner();
        assert_eq!(ex.paths.len(), 1);
        assert!(ex.paths[0].path.as_ref().is_some_and(|p| p.best));

        // Tenants: a has none configured, so the listings are empty and a
        // named tenant is NOT_FOUND (the daemon's backend, not the fake).
        let mut tenants =
            pb::tenant_service_client::TenantServiceClient::new(channel(&ns, "a").await);
        let vrfs = tenants
            .list_vrfs(pb::ListVrfsRequest::default())
            .await
            .expect("list vrfs")
            .into_inner();
        assert!(vrfs.vrfs.is_empty(), "{vrfs:?}");
        let tr = tenants
            .list_vrf_routes(pb::ListVrfRoutesRequest::default())
            .await
            .expect("list vrf routes")
            .into_inner();
        assert!(
            tr.routes.is_empty() && tr.next_page_token.is_empty(),
            "{tr:?}"
        );
        let none = tenants
            .list_vrf_routes(pb::ListVrfRoutesRequest {
                vrf: "blue".into(),
                ..Default::default()
            })
            .await
            .expect_err("no such tenant");
        assert_eq!(none.code(), Code::NotFound, "{}", none.message());
        let none = tenants
            .list_router_macs(pb::ListRouterMacsRequest { vrf: "blue".into() })
            .await
            .expect_err("no such tenant");
        assert_eq!(none.code(), Code::NotFound, "{}", none.message());

        // Soft reset in: a asks b for its routes again (ROUTE-REFRESH); soft out re-sends a's.
        for kind in [pb::ResetKind::SoftIn, pb::ResetKind::SoftOut] {
            peers
                .reset_peer(pb::ResetPeerRequest {
                    address: "10.0.0.2".into(),
                    kind: kind as i32,
                })
                .await
                .expect("soft reset");
        }
        wait_until(
            "b answers a's ROUTE-REFRESH",
            Duration::from_secs(10),
            || {
                ns.log("b")
                    .contains("route refresh: re-sending the Adj-RIB-Out")
                    .then_some(())
                    .ok_or("no refresh on b".to_string())
            },
        );

        // A route added over a's API reaches b; deleting it withdraws it.
        let added = pb::LocalRoute {
            route: Some(pb::local_route::Route::MacIp(pb::LocalMacIp {
                vni: 100,
                mac: "02:00:00:00:00:0e".into(),
                ip: String::new(),
                sticky: true,
            })),
        };
        let k = routes
            .add_route(pb::AddRouteRequest {
                route: Some(added.clone()),
            })
            .await
            .expect("add route")
            .into_inner()
            .key
            .expect("key");
        assert_eq!(k.rd, "10.0.0.1:100");
        let routes_b = pb::route_service_client::RouteServiceClient::new(channel(&ns, "b").await);
        let on_b = |present: bool| {
            let mut c = routes_b.clone();
            async move {
                for _ in 0..40 {
                    let n = c
                        .list_routes(pb::ListRoutesRequest {
                            view: pb::RibView::LocRib as i32,
                            filter: Some(pb::RouteFilter {
                                mac: "02:00:00:00:00:0e".into(),
                                ..Default::default()
                            }),
                            page_size: 0,
                            page_token: String::new(),
                        })
                        .await
                        .expect("list on b")
                        .into_inner()
                        .routes;
                    if (n.len() == 1 && n[0].paths[0].sticky) == present
                        && (n.is_empty() != present)
                    {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                panic!("route added over the API: expected present={present} on b");
            }
        };
        on_b(true).await;
        routes
            .delete_route(pb::DeleteRouteRequest {
                route: Some(added.clone()),
            })
            .await
            .expect("delete route");
        on_b(false).await;
        let again = routes
            .delete_route(pb::DeleteRouteRequest { route: Some(added) })
            .await
            .expect_err("deleting twice");
        assert_eq!(again.code(), Code::NotFound);

        // Watch on a, then reload b with one more MAC: the watcher sees it, and
        // the session is not reset by a VNI change.
        let mut watch = pb::watch_service_client::WatchServiceClient::new(channel(&ns, "a").await);
        let mut stream = watch
            .watch(pb::WatchRequest { topics: vec![] })
            .await
            .expect("watch")
            .into_inner();
        let mut snapshot = 0;
        loop {
            let m = stream
                .message()
                .await
                .expect("watch message")
                .expect("open");
            match m.event {
                Some(pb::watch_response::Event::EndOfSnapshot(_)) => break,
                Some(_) => snapshot += 1,
                None => {}
            }
        }
        assert_eq!(snapshot, 1 + 6, "one peer and six routes before the marker");
        let uptime_before = p.uptime_seconds;
        let path = ns.dir.join("b.toml");
        let text = std::fs::read_to_string(&path).expect("b.toml");
        std::fs::write(
            &path,
            text.replace(
                "{ mac = \"02:00:00:00:00:0c\" }",
                "{ mac = \"02:00:00:00:00:0c\" }, { mac = \"02:00:00:00:00:0d\" }",
            ),
        )
        .expect("rewrite b.toml");
        let mut b = pb::daemon_service_client::DaemonServiceClient::new(channel(&ns, "b").await);
        let r = b
            .reload_config(pb::ReloadConfigRequest {})
            .await
            .expect("reload")
            .into_inner();
        assert!(r.applied, "{r:?}");
        assert_eq!(r.generation, 2);
        assert!(
            r.changes.iter().any(|c| c.path.contains("evpn.vni 100")),
            "{r:?}"
        );
        let got = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let m = stream.message().await.expect("watch").expect("open");
                if let Some(pb::watch_response::Event::Route(e)) = m.event
                    && e.route
                        .and_then(|r| r.key)
                        .is_some_and(|k| k.prefix.contains("02:00:00:00:00:0d"))
                {
                    return e.change;
                }
            }
        })
        .await
        .expect("the new route reaches the watcher");
        assert_eq!(got, pb::RouteChange::Updated as i32);
        let p2 = peers
            .get_peer(pb::GetPeerRequest {
                address: "10.0.0.2".into(),
            })
            .await
            .expect("get peer")
            .into_inner()
            .peer
            .expect("peer");
        assert!(
            p2.uptime_seconds >= uptime_before,
            "the session was not reset by the reload"
        );

        // A broken file is rejected with its errors; generation stays.
        std::fs::write(&path, "[bgp]\nasn = \"x\"\n").expect("break b.toml");
        let r = b
            .reload_config(pb::ReloadConfigRequest {})
            .await
            .expect("reload")
            .into_inner();
        assert!(!r.applied);
        assert!(r.errors.iter().any(|e| e.line == 2), "{r:?}");
    });
}
