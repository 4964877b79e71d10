//! The management API of an evpnd peering with FRR 8.4 (each in its own
//! namespace): a route added over the API appears in FRR's own table and
//! goes when deleted; disabling and enabling the peer takes FRR's session
//! down and up; a reload that adds a neighbour leaves FRR's session alone;
//! validate, log level, the EVPN tables, the metrics endpoint; and a watcher
//! that stops reading while 60,000 routes change is told to resync.

mod lab;

use std::fmt::Write as _;
use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(40);

const FRR: &str = "frr defaults datacenter
hostname frr
log stdout
router bgp 65000
 bgp router-id 10.1.1.2
 no bgp default ipv4-unicast
 neighbor 10.1.1.1 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.1.1.1 activate
 exit-address-family
";

fn evpnd_conf(extra_neighbor: bool, macs: usize) -> String {
    let mut c = String::from(
        "[bgp]\nasn = 65000\nrouter_id = \"10.1.1.1\"\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"10.1.1.2\"\nremote_asn = 65000\ndescription = \"frr\"\n",
    );
    if extra_neighbor {
        c.push_str("[[neighbor]]\naddress = \"10.1.1.9\"\nremote_asn = 65000\ndescription = \"not there\"\n");
    }
    c.push_str(
        "[evpn]\nvtep_ip = \"10.1.1.1\"\nlearn_from_kernel = false\n[metrics]\nlisten = \"10.1.1.1:9100\"\n\
         [[evpn.vni]]\nvni = 100\nmacs = [",
    );
    for i in 0..macs {
        let _ = write!(
            c,
            "{}{{ mac = \"02:00:00:{:02x}:{:02x}:{:02x}\" }}",
            if i > 0 { ", " } else { "" },
            i >> 16,
            (i >> 8) & 0xff,
            i & 0xff
        );
    }
    c.push_str("]\n");
    c
}

/// The FRR neighbour as evpnd's API reports it.
async fn frr_peer(
    peers: &mut pb::peer_service_client::PeerServiceClient<tonic::transport::Channel>,
) -> pb::Peer {
    peers
        .get_peer(pb::GetPeerRequest {
            address: "10.1.1.2".into(),
        })
        .await
        .expect("peer")
        .into_inner()
        .peer
        .expect("peer")
}

/// Rewrites evpnd's configuration in place (keeping its API socket).
fn rewrite_conf(ev: &Netns, extra_neighbor: bool, macs: usize) {
    let socket = ev.api_socket("evpnd");
    let text =
        evpnd_conf(extra_neighbor, macs) + &format!("[api]\nsocket = \"{}\"\n", socket.display());
    std::fs::write(ev.dir.join("evpnd.toml"), text).expect("write config");
}

fn frr_established(frr: &Netns) -> Result<(), String> {
    let v = frr.vtysh_json("show bgp l2vpn evpn summary json")?;
    v.to_string()
        .contains("\"state\":\"Established\"")
        .then_some(())
        .ok_or(v.to_string())
}

#[test]
fn api_steers_evpnd_with_frr_as_peer() {
    let mut ev = Netns::new("af");
    let mut frr = Netns::new("ar");
    link(&ev, "tofrr", "10.1.1.1/24", &frr, "toev", "10.1.1.2/24");
    frr.start_frr(FRR, "10.1.1.2");
    ev.start_evpnd("evpnd", &evpnd_conf(false, 1));
    wait_until("FRR session", T, || frr_established(&frr));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ev.api_socket("evpnd"))
            .await
            .expect("API");
        let mut routes = pb::route_service_client::RouteServiceClient::new(ch.clone());
        let mut peers = pb::peer_service_client::PeerServiceClient::new(ch.clone());
        let mut daemon = pb::daemon_service_client::DaemonServiceClient::new(ch.clone());
        let mut evpn = pb::evpn_service_client::EvpnServiceClient::new(ch.clone());

        // AddRoute / DeleteRoute, seen in FRR's own table.
        let r = pb::LocalRoute {
            route: Some(pb::local_route::Route::MacIp(pb::LocalMacIp {
                vni: 100,
                mac: "02:aa:00:00:00:01".into(),
                ip: "192.168.100.77".into(),
                sticky: false,
            })),
        };
        routes
            .add_route(pb::AddRouteRequest { route: Some(r.clone()) })
            .await
            .expect("add");
        wait_until("FRR has the API route", T, || frr.frr_has("10.1.1.1:100", "02:aa:00:00:00:01"));
        routes
            .delete_route(pb::DeleteRouteRequest { route: Some(r) })
            .await
            .expect("delete");
        wait_until("FRR lost the API route", T, || {
            match frr.frr_has("10.1.1.1:100", "02:aa:00:00:00:01") {
                Ok(_) => Err("still there".to_string()),
                Err(_) => Ok(()),
            }
        });

        // Disable / enable the peer: FRR sees the session go and come back.
        peers
            .disable_peer(pb::DisablePeerRequest { address: "10.1.1.2".into(), reason: "maintenance".into() })
            .await
            .expect("disable");
        wait_until("FRR session down", T, || match frr_established(&frr) {
            Ok(()) => Err("still up".into()),
            Err(_) => Ok(()),
        });
        let p = frr_peer(&mut peers).await;
        assert!(!p.enabled);
        assert_eq!(p.state, pb::FsmState::Idle as i32, "a disabled peer's session is Idle");
        peers
            .enable_peer(pb::EnablePeerRequest { address: "10.1.1.2".into() })
            .await
            .expect("enable");
        wait_until("FRR session back", T, || frr_established(&frr));

        // Reload adding a neighbour: FRR's session is not reset.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let up = |p: &pb::Peer| p.uptime_seconds;
        let before = frr_peer(&mut peers).await;
        rewrite_conf(&ev, true, 1);
        let rl = daemon.reload_config(pb::ReloadConfigRequest {}).await.expect("reload").into_inner();
        assert!(rl.applied && rl.changes.iter().any(|c| c.path == "neighbor 10.1.1.9"), "{rl:?}");
        let after = frr_peer(&mut peers).await;
        assert_eq!(after.state, pb::FsmState::Established as i32);
        assert!(up(&after) >= up(&before), "FRR's session was reset by the reload");
        let all = peers.list_peers(pb::ListPeersRequest {}).await.expect("peers").into_inner().peers;
        assert_eq!(all.len(), 2);

        // Validate and log level.
        let v = daemon
            .validate_config(pb::ValidateConfigRequest {
                source: Some(pb::validate_config_request::Source::Text("[bgp]\nasn = 0\nrouter_id = \"10.0.0.1\"\n".into())),
            })
            .await
            .expect("validate")
            .into_inner();
        assert!(v.errors.iter().any(|e| e.line == 2), "{v:?}");
        let prev = daemon
            .set_log_level(pb::SetLogLevelRequest { level: pb::LogLevel::Warn as i32 })
            .await
            .expect("log level")
            .into_inner()
            .previous;
        assert_ne!(prev, pb::LogLevel::Unspecified as i32);

        // The EVPN tables answer (no kernel side here: no VNIs, no VTEPs).
        assert!(evpn.list_vnis(pb::ListVnisRequest { vni: None }).await.expect("vnis").into_inner().vnis.is_empty());
        assert!(evpn.list_vteps(pb::ListVtepsRequest {}).await.expect("vteps").into_inner().vteps.is_empty());
        evpn.list_neighbors(pb::ListNeighborsRequest { vni: None }).await.expect("neighbors");
        evpn.list_duplicates(pb::ListDuplicatesRequest { vni: None }).await.expect("duplicates");

        // Metrics on [metrics] listen.
        let body = ev
            .exec(&["python3", "-c", "import urllib.request;print(urllib.request.urlopen('http://10.1.1.1:9100/metrics').read().decode())"])
            .expect("scrape /metrics");
        assert!(body.contains("evpnd_peer_up{peer=\"10.1.1.2\"} 1"), "{body}");

        // A watcher that stops reading while 60,000 routes change is told to resync.
        let mut w = pb::watch_service_client::WatchServiceClient::new(ch)
            .watch(pb::WatchRequest { topics: vec![] })
            .await
            .expect("watch")
            .into_inner();
        loop {
            let m = w.message().await.expect("watch").expect("open");
            if matches!(m.event, Some(pb::watch_response::Event::EndOfSnapshot(_))) {
                break;
            }
        }
        rewrite_conf(&ev, true, 60000);
        let rl = daemon.reload_config(pb::ReloadConfigRequest {}).await.expect("reload").into_inner();
        assert!(rl.applied, "{rl:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut seen = 0;
        let resync = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(m)) = w.message().await {
                seen += 1;
                if matches!(m.event, Some(pb::watch_response::Event::ResyncRequired(_))) {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or_else(|_| panic!("the watch did not end; {seen} events read"));
        assert!(resync, "a lagging watcher must get RESYNC_REQUIRED");
    });
}
