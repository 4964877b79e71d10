//! The Prometheus endpoint answers GET /metrics with bounded labels and RSS.

use std::sync::Arc;

use evpnd_api::fake::FakeBackend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    c.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    c.read_to_string(&mut out).await.expect("read");
    out
}

#[tokio::test]
async fn metrics_endpoint() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    let b = Arc::new(FakeBackend::new(3, 8));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(evpnd_api::serve_metrics_on(l, b, async {
        let _ = stopped.await;
    }));
    let r = get(addr, "/metrics").await;
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert!(r.contains("Content-Type: text/plain; version=0.0.4"));
    assert!(r.contains("evpnd_peer_up{peer=\"10.0.0.2\"} 1\n"), "{r}");
    assert!(
        r.contains("evpnd_routes{rib=\"loc_rib\",type=\"2\"} 9\n"),
        "{r}"
    );
    assert!(r.contains("evpnd_macs{origin=\"remote\"} 1\n"));
    assert!(r.contains("evpnd_vni_macs{vni=\"100\",origin=\"local\"} 1\n"));
    assert!(r.contains("# TYPE evpnd_updates_received_total counter\n"));
    assert!(
        r.contains("evpnd_routes_refused_total{reason=\"as_path_loop\"} 2\n"),
        "{r}"
    );
    // Per configured tenant: bounded by the configuration.
    assert!(r.contains("evpnd_vrf_up{vrf=\"blue\"} 1\n"), "{r}");
    assert!(r.contains("evpnd_vrf_up{vrf=\"red\"} 0\n"), "{r}");
    assert!(
        r.contains("evpnd_vrf_routes{vrf=\"blue\",state=\"installed\"} 4\n"),
        "{r}"
    );
    assert!(
        r.contains("evpnd_vrf_routes{vrf=\"red\",state=\"held\"} 1\n"),
        "{r}"
    );
    let rss = r
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .and_then(|v| v.parse::<u64>().ok())
        .expect("RSS line");
    assert!(rss > 1_000_000, "rss {rss}");
    assert!(get(addr, "/other").await.starts_with("HTTP/1.1 404"));
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
