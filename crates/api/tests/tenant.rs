//! TenantService against the fake backend: the listings, paging through
//! every tenant route once, each validation error (naming its field), and
//! NOT_FOUND for tenants that are not configured.

mod common;

use evpnd_api::pb::{
    self, route_service_client::RouteServiceClient, tenant_service_client::TenantServiceClient,
};
use evpnd_api::service::MAX_VRF_PAGE_SIZE;
use tonic::Code;

fn req(vrf: &str, prefix: &str, page_size: u32, page_token: &str) -> pb::ListVrfRoutesRequest {
    pb::ListVrfRoutesRequest {
        vrf: vrf.into(),
        prefix: prefix.into(),
        page_size,
        page_token: page_token.into(),
    }
}

/// Every route of a listing, paging with `page_size`; (routes, pages).
async fn all(
    c: &mut TenantServiceClient<tonic::transport::Channel>,
    vrf: &str,
    page_size: u32,
) -> (Vec<pb::VrfRoute>, usize) {
    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let r = c
            .list_vrf_routes(req(vrf, "", page_size, &token))
            .await
            .expect("page")
            .into_inner();
        assert!(r.routes.len() <= page_size as usize, "{}", r.routes.len());
        seen.extend(r.routes);
        pages += 1;
        if r.next_page_token.is_empty() {
            return (seen, pages);
        }
        token = r.next_page_token;
    }
}

#[tokio::test]
async fn vrfs_and_router_macs() {
    let s = common::start(4, 8).await;
    let mut c = TenantServiceClient::new(s.channel.clone());
    let v = c
        .list_vrfs(pb::ListVrfsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .vrfs;
    let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["blue", "red"]);
    assert_eq!(
        (v[0].l3vni, v[0].table, v[0].mode()),
        (5000, 100, pb::VrfMode::Table)
    );
    assert_eq!(v[0].routes_installed, 5);
    assert_eq!(
        (v[1].mode(), v[1].vrf_device.as_str(), v[1].up),
        (pb::VrfMode::Device, "vrf-red", false)
    );

    let one = c
        .list_vrfs(pb::ListVrfsRequest { name: "red".into() })
        .await
        .expect("red")
        .into_inner()
        .vrfs;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].l3vni, 5001);

    let all = c
        .list_router_macs(pb::ListRouterMacsRequest::default())
        .await
        .expect("rmacs")
        .into_inner()
        .router_macs;
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].vtep_ip.as_str(), all[0].routes), ("10.0.0.2", 4));
    let red = c
        .list_router_macs(pb::ListRouterMacsRequest { vrf: "red".into() })
        .await
        .expect("red rmacs")
        .into_inner()
        .router_macs;
    assert!(red.is_empty(), "{red:?}");
}

#[tokio::test]
async fn paging_visits_every_tenant_route_once_in_order() {
    let s = common::start(25, 8).await;
    let mut c = TenantServiceClient::new(s.channel.clone());
    // 25 type-5 + 1 connected + 1 host route in blue, 1 held route in red.
    let (seen, pages) = all(&mut c, "", 4).await;
    assert_eq!((seen.len(), pages), (28, 7));
    let keys: Vec<(String, ipnet::IpNet)> = seen
        .iter()
        .map(|r| (r.vrf.clone(), r.prefix.parse().expect("prefix")))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "in (vrf, prefix) order, no repeats");
    assert_eq!(seen.last().map(|r| r.vrf.as_str()), Some("red"));
    let held = seen.last().expect("red");
    assert!(!held.installed);
    assert_eq!(held.not_installed_reason, "L3VNI down");

    // One tenant; a page size that divides the count exactly ends with an
    // empty token, not an empty extra page.
    let (blue, pages) = all(&mut c, "blue", 9).await;
    assert_eq!((blue.len(), pages), (27, 3));
    assert!(blue.iter().all(|r| r.vrf == "blue"));
    let local = blue
        .iter()
        .find(|r| r.prefix == "10.100.0.0/24")
        .expect("connected");
    assert_eq!(local.local_source(), pb::TenantRouteSource::Connected);
    let ecmp = blue
        .iter()
        .find(|r| r.prefix == "10.5.0.0/32")
        .expect("ecmp");
    assert_eq!(ecmp.next_hops.len(), 2);

    // The default page size is 100: everything at once.
    let r = c
        .list_vrf_routes(req("", "", 0, ""))
        .await
        .expect("default")
        .into_inner();
    assert_eq!((r.routes.len(), r.next_page_token.as_str()), (28, ""));
    let max = u32::try_from(MAX_VRF_PAGE_SIZE).expect("u32");
    assert!(c.list_vrf_routes(req("", "", max, "")).await.is_ok());
}

#[tokio::test]
async fn prefix_filter_is_exact() {
    let s = common::start(3, 8).await;
    let mut c = TenantServiceClient::new(s.channel.clone());
    let got = |r: pb::ListVrfRoutesResponse| -> Vec<String> {
        r.routes
            .into_iter()
            .map(|r| format!("{} {}", r.vrf, r.prefix))
            .collect()
    };
    let r = c
        .list_vrf_routes(req("", "10.100.0.7", 0, ""))
        .await
        .expect("host");
    assert_eq!(got(r.into_inner()), ["blue 10.100.0.7/32"]);
    let r = c
        .list_vrf_routes(req("blue", "10.100.0.0/24", 0, ""))
        .await
        .expect("subnet");
    assert_eq!(got(r.into_inner()), ["blue 10.100.0.0/24"]);
    let r = c
        .list_vrf_routes(req("red", "10.100.0.0/24", 0, ""))
        .await
        .expect("other vrf");
    assert!(got(r.into_inner()).is_empty());
    let r = c
        .list_vrf_routes(req("", "10.0.0.0/8", 0, ""))
        .await
        .expect("covering");
    assert!(got(r.into_inner()).is_empty(), "not a longest-match lookup");
}

/// The status of a failed call: (code, message).
fn status<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> (Code, String) {
    let e = r.expect_err("an error");
    (e.code(), e.message().to_string())
}

#[tokio::test]
async fn each_bad_argument_names_its_field() {
    let s = common::start(10, 8).await;
    let mut c = TenantServiceClient::new(s.channel.clone());

    let (code, m) = status(c.list_vrf_routes(req("", "10.1.0.0/33", 0, "")).await);
    assert_eq!(code, Code::InvalidArgument);
    assert!(m.starts_with("prefix: invalid IP address or prefix"), "{m}");
    let (code, m) = status(c.list_vrf_routes(req("", "10.1.0.5/24", 0, "")).await);
    assert_eq!(code, Code::InvalidArgument);
    assert!(m.starts_with("prefix:") && m.contains("10.1.0.0/24"), "{m}");

    for bad in ["a b", "blue/1", &"x".repeat(65)] {
        let (code, m) = status(c.list_vrf_routes(req(bad, "", 0, "")).await);
        assert_eq!(code, Code::InvalidArgument, "{bad}");
        assert!(
            m.starts_with("vrf:") && m.contains("is not a vrf name"),
            "{m}"
        );
        let (code, m) = status(c.list_vrfs(pb::ListVrfsRequest { name: bad.into() }).await);
        assert_eq!(code, Code::InvalidArgument, "{bad}");
        assert!(m.starts_with("name:"), "{m}");
        let (code, m) = status(
            c.list_router_macs(pb::ListRouterMacsRequest { vrf: bad.into() })
                .await,
        );
        assert_eq!(code, Code::InvalidArgument, "{bad}");
        assert!(m.starts_with("vrf:"), "{m}");
    }

    let over = u32::try_from(MAX_VRF_PAGE_SIZE + 1).expect("u32");
    for size in [over, u32::MAX] {
        let (code, m) = status(c.list_vrf_routes(req("", "", size, "")).await);
        assert_eq!(code, Code::InvalidArgument);
        assert!(
            m.starts_with("page_size:") && m.contains("out of range"),
            "{m}"
        );
    }

    // A token from another query: another tenant, another prefix, or ListRoutes.
    let first = c
        .list_vrf_routes(req("", "", 2, ""))
        .await
        .expect("page")
        .into_inner();
    let token = first.next_page_token;
    assert!(!token.is_empty());
    for (vrf, prefix) in [("blue", ""), ("", "10.100.0.7/32")] {
        let (code, m) = status(c.list_vrf_routes(req(vrf, prefix, 2, &token)).await);
        assert_eq!(code, Code::InvalidArgument);
        assert!(
            m.starts_with("page_token: issued for another vrf or prefix"),
            "{m}"
        );
    }
    let mut routes = RouteServiceClient::new(s.channel.clone());
    let rt = routes
        .list_routes(pb::ListRoutesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("routes")
        .into_inner()
        .next_page_token;
    let (code, m) = status(c.list_vrf_routes(req("", "", 2, &rt)).await);
    assert_eq!(code, Code::InvalidArgument);
    assert!(m.starts_with("page_token: issued for another"), "{m}");
    let (code, m) = status(
        routes
            .list_routes(pb::ListRoutesRequest {
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(code, Code::InvalidArgument, "{m}");
    assert!(m.starts_with("page_token:"), "{m}");
    // Altered or foreign text.
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).expect("ascii");
    for bad in [altered.as_str(), "p2.00", "hello"] {
        let (code, m) = status(c.list_vrf_routes(req("", "", 2, bad)).await);
        assert_eq!(code, Code::InvalidArgument);
        assert_eq!(m, "page_token: not a token this server issued");
    }
    // The genuine token still continues where the first page stopped.
    let next = c
        .list_vrf_routes(req("", "", 2, &token))
        .await
        .expect("next")
        .into_inner();
    assert_ne!(
        next.routes.first().map(|r| &r.prefix),
        first.routes.first().map(|r| &r.prefix)
    );
}

#[tokio::test]
async fn unknown_tenants_are_not_found() {
    let s = common::start(1, 8).await;
    let mut c = TenantServiceClient::new(s.channel.clone());
    let (code, m) = status(
        c.list_vrfs(pb::ListVrfsRequest {
            name: "green".into(),
        })
        .await,
    );
    assert_eq!(
        (code, m.as_str()),
        (Code::NotFound, "name: no vrf green in the configuration")
    );
    let (code, m) = status(c.list_vrf_routes(req("green", "", 0, "")).await);
    assert_eq!(
        (code, m.as_str()),
        (Code::NotFound, "vrf: no vrf green in the configuration")
    );
    let (code, m) = status(
        c.list_router_macs(pb::ListRouterMacsRequest {
            vrf: "green".into(),
        })
        .await,
    );
    assert_eq!(
        (code, m.as_str()),
        (Code::NotFound, "vrf: no vrf green in the configuration")
    );
}
