//! `api-latency SOCKET SECONDS`: calls DaemonService/GetStatus back to back
//! for SECONDS (at most 100 per second) and prints the latency
//! distribution: `calls=N p50_ms=.. p99_ms=.. max_ms=..`. Used by
//! `api-bench.sh` while the daemon takes in a large burst of routes.

use std::time::{Duration, Instant};

use evpnd_api::pb;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(sock), Some(secs)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok()))
    else {
        eprintln!("usage: api-latency SOCKET SECONDS");
        return std::process::ExitCode::from(2);
    };
    let ch = match evpnd_api::client::connect_unix(sock.clone()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("api-latency: {sock}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let mut c = pb::daemon_service_client::DaemonServiceClient::new(ch);
    let end = Instant::now() + Duration::from_secs(secs);
    let mut lat: Vec<f64> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while Instant::now() < end {
        tick.tick().await;
        let t = Instant::now();
        if let Err(e) = c.get_status(pb::GetStatusRequest {}).await {
            eprintln!("api-latency: {e}");
            return std::process::ExitCode::from(1);
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "calls={} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        lat.len(),
        q(0.5),
        q(0.99),
        lat.last().copied().unwrap_or(0.0)
    );
    std::process::ExitCode::SUCCESS
}
