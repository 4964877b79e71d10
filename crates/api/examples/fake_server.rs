//! Serves the in-memory fake backend, to try evpnctl without a fabric:
//!
//! ```text
//! cargo run -p evpnd-api --features fake --example fake_server -- /tmp/evpnd.sock [metrics-addr]
//! evpnctl --socket /tmp/evpnd.sock peers
//! ```

use std::sync::Arc;

use evpnd_api::fake::FakeBackend;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let socket = args.next().unwrap_or_else(|| "/tmp/evpnd.sock".into());
    let backend = Arc::new(FakeBackend::new(5, 1024));
    if let Some(addr) = args.next() {
        let b = Arc::clone(&backend);
        let addr = addr.parse()?;
        tokio::spawn(async move {
            if let Err(e) = evpnd_api::serve_metrics(addr, b, std::future::pending()).await {
                eprintln!("metrics: {e}");
            }
        });
    }
    eprintln!("serving the fake backend on {socket}; Ctrl-C stops");
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    evpnd_api::serve_unix(&socket, backend, stop).await?;
    Ok(())
}
