//! Fuzz the API's request validation: a protobuf request of any kind (the
//! first byte picks which RPC) decoded from arbitrary bytes and handed to the
//! real service implementation over the in-memory fake backend. An answer or
//! a gRPC status is fine; a panic is not. Reaches every validator (VNIs,
//! MACs, RDs, RTs, prefixes, filters, page tokens, route notation, config
//! text).
#![no_main]

use std::sync::{Arc, OnceLock};

use evpnd_api::fake::FakeBackend;
use evpnd_api::pb;
use evpnd_api::pb::daemon_service_server::DaemonService;
use evpnd_api::pb::dataplane_service_server::DataplaneService;
use evpnd_api::pb::evpn_service_server::EvpnService;
use evpnd_api::pb::peer_service_server::PeerService;
use evpnd_api::pb::route_service_server::RouteService;
use evpnd_api::service::ApiService;
use libfuzzer_sys::fuzz_target;
use prost::Message;
use tonic::Request;

fn service() -> &'static (tokio::runtime::Runtime, ApiService<FakeBackend>) {
    static S: OnceLock<(tokio::runtime::Runtime, ApiService<FakeBackend>)> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        (rt, ApiService::new(Arc::new(FakeBackend::new(8, 16))))
    })
}

/// Decodes `bytes` as `T` and calls `rpc` with it; decode failures end the run.
macro_rules! call {
    ($svc:expr, $rt:expr, $bytes:expr, $req:ty, $rpc:path) => {
        if let Ok(r) = <$req>::decode($bytes) {
            let _ = $rt.block_on($rpc($svc, Request::new(r)));
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let (rt, s) = service();
    match sel % 16 {
        0 => call!(
            s,
            rt,
            bytes,
            pb::ListRoutesRequest,
            RouteService::list_routes
        ),
        1 => call!(
            s,
            rt,
            bytes,
            pb::ExplainRouteRequest,
            RouteService::explain_route
        ),
        2 => call!(s, rt, bytes, pb::AddRouteRequest, RouteService::add_route),
        3 => call!(
            s,
            rt,
            bytes,
            pb::DeleteRouteRequest,
            RouteService::delete_route
        ),
        4 => call!(s, rt, bytes, pb::GetPeerRequest, PeerService::get_peer),
        5 => call!(
            s,
            rt,
            bytes,
            pb::EnablePeerRequest,
            PeerService::enable_peer
        ),
        6 => call!(s, rt, bytes, pb::ResetPeerRequest, PeerService::reset_peer),
        7 => call!(s, rt, bytes, pb::ListMacsRequest, EvpnService::list_macs),
        8 => call!(
            s,
            rt,
            bytes,
            pb::ListNeighborsRequest,
            EvpnService::list_neighbors
        ),
        9 => call!(s, rt, bytes, pb::ListVnisRequest, EvpnService::list_vnis),
        10 => call!(
            s,
            rt,
            bytes,
            pb::ClearDuplicateRequest,
            EvpnService::clear_duplicate
        ),
        11 => call!(
            s,
            rt,
            bytes,
            pb::ListDuplicatesRequest,
            EvpnService::list_duplicates
        ),
        12 => call!(
            s,
            rt,
            bytes,
            pb::GetDataplaneRequest,
            DataplaneService::get_dataplane
        ),
        13 => call!(
            s,
            rt,
            bytes,
            pb::ValidateConfigRequest,
            DaemonService::validate_config
        ),
        14 => call!(
            s,
            rt,
            bytes,
            pb::SetLogLevelRequest,
            DaemonService::set_log_level
        ),
        _ => call!(
            s,
            rt,
            bytes,
            pb::DisablePeerRequest,
            PeerService::disable_peer
        ),
    }
});
