//! ListRoutes filters and paging, StreamRoutes, and bad filter arguments.

mod common;

use evpnd_api::pb::{self, route_service_client::RouteServiceClient};
use tonic::Code;

fn list(filter: pb::RouteFilter, page_size: u32, page_token: String) -> pb::ListRoutesRequest {
    pb::ListRoutesRequest {
        view: pb::RibView::LocRib.into(),
        filter: Some(filter),
        page_size,
        page_token,
    }
}

fn prefixes(routes: &[pb::Route]) -> Vec<String> {
    routes
        .iter()
        .filter_map(|r| r.key.as_ref().map(|k| k.prefix.clone()))
        .collect()
}

#[tokio::test]
async fn paging_visits_every_route_once() {
    let s = common::start(25, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let (mut seen, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let r = c
            .list_routes(list(Default::default(), 7, token))
            .await
            .expect("page")
            .into_inner();
        assert!(r.routes.len() <= 7);
        seen.extend(prefixes(&r.routes));
        pages += 1;
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    // 3 (two type 3, one type 5) + 2 VNIs x 25 type 2.
    assert_eq!(seen.len(), 53);
    assert_eq!(pages, 8);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 53);
}

#[tokio::test]
async fn filters() {
    let s = common::start(10, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let mut count = async |f: pb::RouteFilter| {
        let r = c
            .list_routes(list(f, 1000, String::new()))
            .await
            .expect("list")
            .into_inner();
        assert!(r.next_page_token.is_empty());
        r.routes
    };
    let t3 = count(pb::RouteFilter {
        route_type: pb::RouteType::Imet.into(),
        ..Default::default()
    })
    .await;
    assert_eq!(t3.len(), 2);
    let t5 = count(pb::RouteFilter {
        route_type: pb::RouteType::IpPrefix.into(),
        ..Default::default()
    })
    .await;
    assert_eq!(prefixes(&t5), ["[5]:[0]:[24]:[10.5.0.0]"]);
    let by_rd = count(pb::RouteFilter {
        rd: "10.0.0.2:200".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_rd.len(), 10);
    let by_rt = count(pb::RouteFilter {
        route_target: "65000:200".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_rt.len(), 10);
    let by_vni = count(pb::RouteFilter {
        vni: Some(100),
        ..Default::default()
    })
    .await;
    assert_eq!(by_vni.len(), 12); // 10 type 2 + 2 type 3
    let by_mac = count(pb::RouteFilter {
        mac: "aa:bb:cc:64:00:03".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(
        prefixes(&by_mac),
        ["[2]:[0]:[48]:[aa:bb:cc:64:00:03]:[32]:[10.100.0.3]"]
    );
    let by_ip = count(pb::RouteFilter {
        ip: "10.200.0.0/30".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_ip.len(), 4);
    let in_prefix = count(pb::RouteFilter {
        ip: "10.5.0.0/16".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(in_prefix.len(), 1);
    let from_peer = count(pb::RouteFilter {
        peer: "10.0.0.3".into(),
        ..Default::default()
    })
    .await;
    // Its type 3, and the losing paths of the first type 2 of each VNI.
    assert_eq!(from_peer.len(), 3);
    let best = count(pb::RouteFilter {
        peer: "10.0.0.3".into(),
        best_only: true,
        ..Default::default()
    })
    .await;
    assert_eq!(best.len(), 1);
}

#[tokio::test]
async fn invalid_filters_name_the_field() {
    let s = common::start(1, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let cases = [
        (
            pb::RouteFilter {
                mac: "aa:bb".into(),
                ..Default::default()
            },
            "filter.mac:",
        ),
        (
            pb::RouteFilter {
                ip: "10.0.0.300".into(),
                ..Default::default()
            },
            "filter.ip:",
        ),
        (
            pb::RouteFilter {
                rd: "nonsense".into(),
                ..Default::default()
            },
            "filter.rd:",
        ),
        (
            pb::RouteFilter {
                route_target: "1:2:3".into(),
                ..Default::default()
            },
            "filter.route_target:",
        ),
        (
            pb::RouteFilter {
                vni: Some(0),
                ..Default::default()
            },
            "filter.vni:",
        ),
        (
            pb::RouteFilter {
                vni: Some(16_777_216),
                ..Default::default()
            },
            "filter.vni:",
        ),
        (
            pb::RouteFilter {
                peer: "peer1".into(),
                ..Default::default()
            },
            "filter.peer:",
        ),
        (
            pb::RouteFilter {
                route_type: 9,
                ..Default::default()
            },
            "filter.route_type:",
        ),
    ];
    for (f, field) in cases {
        let e = c
            .list_routes(list(f, 10, String::new()))
            .await
            .expect_err(field);
        assert_eq!(e.code(), Code::InvalidArgument, "{field}");
        assert!(e.message().starts_with(field), "{field}: {}", e.message());
    }
    let e = c
        .list_routes(list(Default::default(), 10, "garbage".into()))
        .await
        .expect_err("token");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("page_token:"), "{}", e.message());
    // A token is only good for the query that issued it.
    let first = c
        .list_routes(list(Default::default(), 1, String::new()))
        .await
        .expect("page");
    let token = first.into_inner().next_page_token;
    let other = pb::RouteFilter {
        best_only: true,
        ..Default::default()
    };
    let e = c
        .list_routes(list(other, 1, token))
        .await
        .expect_err("foreign token");
    assert!(
        e.message().starts_with("page_token: issued for another"),
        "{}",
        e.message()
    );
    let bad_view = pb::ListRoutesRequest {
        view: 42,
        ..Default::default()
    };
    let e = c.list_routes(bad_view).await.expect_err("view");
    assert!(e.message().starts_with("view:"), "{}", e.message());
}

#[tokio::test]
async fn stream_routes_sends_the_whole_table_in_batches() {
    let s = common::start(600, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let req = pb::StreamRoutesRequest {
        view: pb::RibView::AdjRibIn.into(),
        filter: None,
    };
    let mut stream = c.stream_routes(req).await.expect("stream").into_inner();
    let (mut total, mut batches) = (0, 0);
    while let Some(m) = stream.message().await.expect("message") {
        assert!(m.routes.len() <= evpnd_api::service::STREAM_BATCH);
        total += m.routes.len();
        batches += 1;
    }
    assert_eq!(total, 1203);
    assert_eq!(batches, 3);
}

/// Issue 15: a page token with one digit of its cursor changed was taken as a
/// cursor; it is refused now (the token carries a keyed tag).
#[tokio::test]
async fn a_page_token_with_one_digit_changed_is_invalid() {
    let s = common::start(20, 16).await;
    let mut c = RouteServiceClient::new(s.channel.clone());
    let first = c
        .list_routes(list(Default::default(), 1, String::new()))
        .await
        .expect("page");
    let token = first.into_inner().next_page_token;
    // The last cursor digit (the tag is the last 16 digits).
    let at = token.len() - 17;
    let mut b = token.clone().into_bytes();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(b).expect("ascii");
    let e = c
        .list_routes(list(Default::default(), 1, altered))
        .await
        .expect_err("altered token");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(e.message(), "page_token: not a token this server issued");
    // The genuine token still pages on.
    c.list_routes(list(Default::default(), 1, token))
        .await
        .expect("genuine token");
}
