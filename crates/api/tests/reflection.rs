//! gRPC reflection lists every evpn.v1 service.

mod common;

use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

#[tokio::test]
async fn reflection_lists_the_services() {
    let s = common::start(1, 8).await;
    let mut c = ServerReflectionClient::new(s.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = c
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .expect("reflection")
        .into_inner();
    let m = resp.message().await.expect("message").expect("a response");
    let Some(MessageResponse::ListServicesResponse(list)) = m.message_response else {
        panic!("unexpected {m:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for svc in [
        "Daemon",
        "Peer",
        "Route",
        "Evpn",
        "Dataplane",
        "Tenant",
        "Watch",
    ] {
        let want = format!("evpn.v1.{svc}Service");
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}
