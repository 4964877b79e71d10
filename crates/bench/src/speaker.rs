//! The load generators' side of a BGP session: connect from a chosen
//! address, exchange OPEN (the families asked for — L2VPN/EVPN by default —,
//! route refresh, 4-octet AS) and KEEPALIVE, hand back the stream.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::BytesMut;
use evpnd_wire::capability::Capability;
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::open::Open;
use evpnd_wire::{Context, Family};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Connects from `local` to `peer`:179 and completes the OPEN exchange for
/// L2VPN/EVPN; returns the stream and what was read past the handshake.
pub async fn session(
    local: Ipv4Addr,
    peer: Ipv4Addr,
    asn: u32,
    hold: u16,
) -> Result<(TcpStream, BytesMut), String> {
    session_for(local, peer, asn, hold, &[Family::L2VPN_EVPN]).await
}

/// As [`session`], offering one Multiprotocol capability per family of
/// `families` (e.g. only IPv4 unicast for a transit speaker).
pub async fn session_for(
    local: Ipv4Addr,
    peer: Ipv4Addr,
    asn: u32,
    hold: u16,
    families: &[Family],
) -> Result<(TcpStream, BytesMut), String> {
    let sock = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    sock.bind(SocketAddr::new(IpAddr::V4(local), 0))
        .map_err(|e| format!("bind {local}: {e}"))?;
    let mut s = sock
        .connect(SocketAddr::new(IpAddr::V4(peer), 179))
        .await
        .map_err(|e| format!("connect {peer}: {e}"))?;
    let mut caps: Vec<Capability> = families
        .iter()
        .map(|f| Capability::multiprotocol(*f))
        .collect();
    caps.push(Capability::RouteRefresh);
    caps.push(Capability::FourOctetAs { asn });
    let ctx = Context::default();
    s.write_all(&Message::Open(Open::new(asn, hold, local, caps)).to_bytes(&ctx))
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = BytesMut::with_capacity(1 << 20);
    let (mut got_open, mut got_ka) = (false, false);
    while !(got_open && got_ka) {
        if s.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
            return Err(format!("{peer} closed the session during OPEN"));
        }
        // Stop at the handshake's end: what follows (the first UPDATEs) is
        // the caller's, left in `buf`.
        while !(got_open && got_ka)
            && let Some(f) = decode_frame(&mut buf, 65535).map_err(|e| e.to_string())?
        {
            match decode_message(&f, &ctx).map_err(|e| e.to_string())? {
                Message::Open(_) => {
                    got_open = true;
                    s.write_all(&Message::Keepalive.to_bytes(&ctx))
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Message::Keepalive => got_ka = true,
                Message::Notification(n) => return Err(format!("NOTIFICATION {n}")),
                _ => {}
            }
        }
    }
    Ok((s, buf))
}
