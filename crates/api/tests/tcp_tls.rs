//! serve_tcp: plain TCP, and mutual TLS with certificates made for the test.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use evpnd_api::client::{ClientTls, connect_url};
use evpnd_api::fake::FakeBackend;
use evpnd_api::pb::{self, daemon_service_client::DaemonServiceClient};
use evpnd_api::{TlsConfig, serve_tcp_on};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// Starts a server on 127.0.0.1:0; returns its port and the stop handle.
async fn start(tls: Option<TlsConfig>) -> (u16, tokio::sync::oneshot::Sender<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let b = Arc::new(FakeBackend::new(1, 8));
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        serve_tcp_on(l, tls, b, shutdown).await.expect("serve");
    });
    (port, stop)
}

async fn asn(url: String, tls: Option<ClientTls>) -> Result<u32, String> {
    let ch = connect_url(url, tls).await.map_err(|e| e.to_string())?;
    let s = DaemonServiceClient::new(ch)
        .get_status(pb::GetStatusRequest {})
        .await
        .map_err(|e| e.to_string())?;
    Ok(s.into_inner().asn)
}

#[tokio::test]
async fn plain_tcp() {
    let (port, _stop) = start(None).await;
    assert_eq!(
        asn(format!("http://127.0.0.1:{port}"), None).await,
        Ok(65001)
    );
}

fn write(dir: &Path, name: &str, text: String) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[tokio::test]
async fn mutual_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf = |name: &str| {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![name.to_string()]).expect("params");
        let cert = params.signed_by(&key, &ca).expect("sign");
        (cert.pem(), key.serialize_pem())
    };
    let (srv_cert, srv_key) = leaf("localhost");
    let (cli_cert, cli_key) = leaf("evpnctl");
    let ca_pem = write(d, "ca.pem", ca.pem());
    let tls = TlsConfig {
        cert: write(d, "server.pem", srv_cert),
        key: write(d, "server.key", srv_key),
        client_ca: Some(ca_pem.clone()),
    };
    let (port, _stop) = start(Some(tls)).await;
    let url = format!("https://127.0.0.1:{port}");
    let client = ClientTls {
        ca: Some(ca_pem.clone()),
        cert: Some(write(d, "client.pem", cli_cert)),
        key: Some(write(d, "client.key", cli_key)),
        domain: Some("localhost".into()),
    };
    assert_eq!(asn(url.clone(), Some(client)).await, Ok(65001));

    // Without a client certificate the server refuses.
    let anonymous = ClientTls {
        ca: Some(ca_pem),
        domain: Some("localhost".into()),
        ..Default::default()
    };
    assert!(asn(url.clone(), Some(anonymous)).await.is_err());
    // Plain text against the TLS port fails too.
    assert!(asn(format!("http://127.0.0.1:{port}"), None).await.is_err());
}
