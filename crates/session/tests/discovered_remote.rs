//! The driver's discovered remote (BGP unnumbered, `SessionInput::Remote`)
//! on loopback: a started session waits for its peer's address, connects
//! when told it, moves when the address changes (the established session
//! ends with a Cease first) and stops at once when the peer is gone.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use evpnd_session::driver::{PeerConfig, SessionInput, run_peer};
use evpnd_session::fsm::FsmConfig;
use evpnd_session::negotiate::{LocalPolicy, RemoteAs};
use evpnd_session::{PeerCommand, PeerEvent};
use evpnd_wire::message::Message;
use evpnd_wire::{Context, Family};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);
/// BGP message type codes (RFC 4271 §4.1).
const OPEN: u8 = 1;
const NOTIFICATION: u8 = 3;
/// Cease (RFC 4271 §6.7).
const CEASE: u8 = 6;

fn policy(local_asn: u32, router_id: [u8; 4], remote: RemoteAs) -> LocalPolicy {
    LocalPolicy {
        local_asn,
        router_id: Ipv4Addr::from(router_id),
        remote_asn: remote,
        hold_time: 9,
        keepalive: None,
        families: vec![Family::IPV4_UNICAST, Family::L2VPN_EVPN],
        add_path_receive: vec![],
        graceful_restart: false,
        restarting: false,
        forwarding_preserved: true,
        extended_next_hop: vec![Family::IPV4_UNICAST],
    }
}

fn config() -> PeerConfig {
    PeerConfig {
        // Not used until a remote is given.
        remote: "[::]:179".parse().expect("addr"),
        local: None,
        fsm: FsmConfig {
            connect_retry: Duration::from_secs(1),
            ..FsmConfig::default()
        },
        policy: policy(65001, [10, 0, 0, 1], RemoteAs::External),
        restart_time: 120,
        password: None,
        ttl_security: None,
        ttl: None,
        discovered: true,
    }
}

/// Reads whole BGP messages' types from `s` until it closes or `WAIT` passes.
async fn types_until_closed(s: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(Ok(n)) = timeout(WAIT, s.read(&mut chunk)).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    split(&buf)
}

/// (type, body) of each whole message in `buf` (header: 16 marker octets,
/// 2 length octets, 1 type octet).
fn split(mut buf: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while buf.len() >= 19 {
        let len = usize::from(u16::from_be_bytes([buf[16], buf[17]]));
        if len < 19 || buf.len() < len {
            break;
        }
        out.push((buf[18], buf[19..len].to_vec()));
        buf = &buf[len..];
    }
    out
}

/// Reads one whole message's type from `s`.
async fn first_type(s: &mut TcpStream) -> u8 {
    let mut hdr = [0u8; 19];
    timeout(WAIT, s.read_exact(&mut hdr))
        .await
        .expect("a message in time")
        .expect("read");
    let len = usize::from(u16::from_be_bytes([hdr[16], hdr[17]]));
    let mut body = vec![0u8; len.saturating_sub(19)];
    timeout(WAIT, s.read_exact(&mut body))
        .await
        .expect("the body in time")
        .expect("read");
    hdr[18]
}

async fn next_up_or_down(ev: &mut mpsc::Receiver<PeerEvent>) -> PeerEvent {
    loop {
        let e = timeout(WAIT, ev.recv())
            .await
            .expect("an event in time")
            .expect("events");
        if matches!(e, PeerEvent::Up { .. } | PeerEvent::Down { .. }) {
            return e;
        }
    }
}

#[tokio::test]
async fn the_session_follows_its_discovered_peer() {
    let a = TcpListener::bind("127.0.0.1:0").await.expect("listener a");
    let b = TcpListener::bind("127.0.0.1:0").await.expect("listener b");
    let (tx, rx) = mpsc::channel(8);
    let (ev_tx, mut ev) = mpsc::channel(64);
    let task = tokio::spawn(run_peer(0, config(), rx, ev_tx));

    // Started, but no peer known: nothing happens (no connect, no state change).
    tx.send(PeerCommand::Start.into()).await.expect("start");
    assert!(
        timeout(Duration::from_millis(300), ev.recv())
            .await
            .is_err(),
        "the session moved without a peer address"
    );

    // Found: it connects there and opens; we answer as an eBGP peer.
    let at_a: SocketAddr = a.local_addr().expect("addr");
    tx.send(SessionInput::Remote(Some(at_a)))
        .await
        .expect("remote");
    let (mut conn, _) = timeout(WAIT, a.accept())
        .await
        .expect("a connection to the discovered address")
        .expect("accept");
    assert_eq!(first_type(&mut conn).await, OPEN);
    let ours = Message::Open(policy(65002, [10, 0, 0, 2], RemoteAs::Asn(65001)).open(120));
    conn.write_all(&ours.to_bytes(&Context::default()))
        .await
        .expect("open");
    conn.write_all(&Message::Keepalive.to_bytes(&Context::default()))
        .await
        .expect("keepalive");
    match next_up_or_down(&mut ev).await {
        PeerEvent::Up { negotiated, .. } => {
            assert_eq!(negotiated.peer_asn, 65002);
            assert!(!negotiated.ibgp);
            assert_eq!(negotiated.extended_next_hop, [Family::IPV4_UNICAST]);
        }
        other => panic!("expected Up, got {other:?}"),
    }

    // The peer moved: a Cease on the old connection, down, then the new address.
    let at_b: SocketAddr = b.local_addr().expect("addr");
    tx.send(SessionInput::Remote(Some(at_b)))
        .await
        .expect("remote");
    let seen = types_until_closed(&mut conn).await;
    assert!(
        seen.iter()
            .any(|(t, body)| *t == NOTIFICATION && body.first() == Some(&CEASE)),
        "a Cease before the old connection closed: {seen:?}"
    );
    assert!(matches!(
        next_up_or_down(&mut ev).await,
        PeerEvent::Down {
            keep_routes: false,
            ..
        }
    ));
    let (mut conn_b, _) = timeout(WAIT, b.accept())
        .await
        .expect("a connection to the new address")
        .expect("accept");
    assert_eq!(first_type(&mut conn_b).await, OPEN);

    // Gone (link down): closed at once, and no new attempt anywhere.
    tx.send(SessionInput::Remote(None)).await.expect("remote");
    let mut byte = [0u8; 1];
    let closed = timeout(WAIT, async {
        loop {
            match conn_b.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the connection was not closed");
    for l in [&a, &b] {
        assert!(
            timeout(Duration::from_millis(2500), l.accept())
                .await
                .is_err(),
            "a connection attempt without a peer address"
        );
    }
    drop(tx);
    timeout(WAIT, task)
        .await
        .expect("the session ends with its input")
        .expect("join");
}
