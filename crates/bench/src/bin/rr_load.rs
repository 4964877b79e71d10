//! `rr-load`: drive a route reflector with N type-2 routes and time their
//! arrival at a second client.
//!
//! `rr-load --rr 10.2.0.1 --sender 10.2.0.2 --receiver 10.2.0.3 --routes 1000000 --asn 65000`
//!
//! Two iBGP speakers built on `evpnd-wire`: the sender opens a session from
//! `--sender` and, once the receiver's session is up, streams the routes in
//! full UPDATEs followed by End-of-RIB; the receiver counts EVPN NLRI in the
//! UPDATEs it is sent. Prints one line: `routes=N seconds=S`. Exit 1 on a
//! protocol error or a timeout (120 s).
//!
//! `--send-only HOLD_SECS [--mac-only true] [--vnis K]`: only the sender, for
//! a leaf under test (`fdb-bench.sh`, `scale-bench.sh`); prints `start_unix=`
//! when it starts sending, and `imets=N unix=T` each time the leaf has
//! advertised N type-3 routes to it in all. `--vnis K` spreads the routes
//! over VNIs 100 .. 100+K (RT 65001:VNI), in contiguous blocks.
//!
//! `--moves M --move-every MS --move-to IP`: once it gets SIGUSR1 (the
//! script's signal that the load is in the kernel), M of the routes (spread evenly over them) move to VTEP IP with MAC
//! mobility sequence 1, one UPDATE every MS milliseconds (`--move-burst B`:
//! B UPDATEs back to back each time); prints `moved=MAC unix=T` for each.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use evpnd_bench::speaker::session;
use evpnd_bench::{FIRST_VNI, move_update, packed_updates_via, packed_updates_vnis};
use evpnd_wire::attr::MpNlri;
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::nlri::evpn::EvpnRoute;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The hold time offered in our OPEN.
const HOLD_TIME: u16 = 180;

struct Args {
    rr: Ipv4Addr,
    sender: Ipv4Addr,
    receiver: Ipv4Addr,
    routes: u32,
    asn: u32,
    /// No receiver: send, then keep the session this many seconds (a leaf
    /// under test programs its kernel meanwhile).
    send_only: Option<u64>,
    mac_only: bool,
    vnis: u32,
    moves: u32,
    move_every_ms: u64,
    move_burst: u32,
    move_to: Ipv4Addr,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        rr: Ipv4Addr::new(10, 2, 0, 1),
        sender: Ipv4Addr::new(10, 2, 0, 2),
        receiver: Ipv4Addr::new(10, 2, 0, 3),
        routes: 1_000_000,
        asn: 65000,
        send_only: None,
        mac_only: false,
        vnis: 1,
        moves: 0,
        move_every_ms: 50,
        move_burst: 1,
        move_to: Ipv4Addr::new(10, 2, 0, 3),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v
            .get(i + 1)
            .ok_or_else(|| format!("{} needs a value", v[i]))?;
        let bad = |e: String| format!("{}: {e}", v[i]);
        match v[i].as_str() {
            "--rr" => {
                a.rr = val
                    .parse()
                    .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?
            }
            "--sender" => {
                a.sender = val
                    .parse()
                    .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?
            }
            "--receiver" => {
                a.receiver = val
                    .parse()
                    .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?
            }
            "--routes" => {
                a.routes = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            "--asn" => {
                a.asn = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            "--send-only" => {
                a.send_only = Some(
                    val.parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "--mac-only" => {
                a.mac_only = val
                    .parse()
                    .map_err(|e: std::str::ParseBoolError| bad(e.to_string()))?
            }
            "--moves" => {
                a.moves = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            "--move-every" => {
                a.move_every_ms = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            "--move-burst" => {
                a.move_burst = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            "--move-to" => {
                a.move_to = val
                    .parse()
                    .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?
            }
            "--vnis" => {
                a.vnis = val
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?
            }
            other => return Err(format!("unknown option {other}")),
        }
        i += 2;
    }
    Ok(a)
}

fn count_routes(u: &Update) -> usize {
    u.mp_reach().map_or(0, |m| m.nlri.len())
}

/// `--send-only`: one session, the routes, End-of-RIB, then keepalives for
/// `hold` seconds. Prints the wall-clock time sending started
/// (`start_unix=S.NNN`) so a script can time what the peer does with them.
async fn send_only(a: &Args, hold: u64) -> Result<(u32, f64), String> {
    let (mut send, mut sink) = session(a.sender, a.rr, a.asn, HOLD_TIME).await?;
    let (stream, _) = packed_updates_vnis(a.routes, 4096, a.sender, a.mac_only, a.vnis);
    let ctx = Context::default();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    println!("start_unix={:.3}", unix.as_secs_f64());
    let start = Instant::now();
    send.write_all(&stream).await.map_err(|e| e.to_string())?;
    send.write_all(&Message::Update(Update::end_of_rib(Family::L2VPN_EVPN)).to_bytes(&ctx))
        .await
        .map_err(|e| e.to_string())?;
    let sent = start.elapsed().as_secs_f64();
    let mut imets = 0usize;
    // Moves: the i-th of them moves route i * step, after a pause.
    let step = (a.routes / a.moves.max(1)).max(1);
    let per_vni = a.routes.div_ceil(a.vnis.max(1)).max(1);
    let mut moved = 0u32;
    let mut tick = tokio::time::interval(Duration::from_millis(a.move_every_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut go = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
        .map_err(|e| e.to_string())?;
    let mut moving = false;
    let mut ka = tokio::time::interval(Duration::from_secs(2));
    let until = tokio::time::sleep(Duration::from_secs(hold));
    tokio::pin!(until);
    loop {
        tokio::select! {
            r = send.read_buf(&mut sink) => match r {
                Ok(0) | Err(_) => return Err("the peer closed the session".into()),
                Ok(_) => {
                    let before = imets;
                    while let Some(f) = decode_frame(&mut sink, 65535).map_err(|e| e.to_string())? {
                        if let Ok(Message::Update(u)) = decode_message(&f, &ctx) {
                            imets += u.mp_reach().map_or(0, |m| match &m.nlri {
                                MpNlri::Evpn(v) => v.iter().filter(|n| matches!(n.route, EvpnRoute::Imet(_))).count(),
                                _ => 0,
                            });
                        }
                    }
                    if imets != before {
                        println!("imets={imets} unix={:.3}", unix_now());
                    }
                }
            },
            _ = ka.tick() => {
                send.write_all(&Message::Keepalive.to_bytes(&ctx)).await.map_err(|e| e.to_string())?;
            }
            _ = go.recv(), if !moving => {
                moving = true;
                tick.reset();
            }
            _ = tick.tick(), if moving && moved < a.moves => {
                for _ in 0..a.move_burst {
                    if moved >= a.moves {
                        break;
                    }
                    let i = moved * step;
                    let u = move_update(i, FIRST_VNI + i / per_vni, a.move_to, 1);
                    send.write_all(&u).await.map_err(|e| e.to_string())?;
                    let b = i.to_be_bytes();
                    println!(
                        "moved=02:00:{:02x}:{:02x}:{:02x}:{:02x} unix={:.6}",
                        b[0], b[1], b[2], b[3], unix_now()
                    );
                    moved += 1;
                }
            }
            _ = &mut until => return Ok((a.routes, sent)),
        }
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn run(a: Args) -> Result<(u32, f64), String> {
    if let Some(hold) = a.send_only {
        return send_only(&a, hold).await;
    }
    let (recv, mut rbuf) = session(a.receiver, a.rr, a.asn, HOLD_TIME).await?;
    let (mut send, _) = session(a.sender, a.rr, a.asn, HOLD_TIME).await?;
    let (stream, _) = packed_updates_via(a.routes, 4096, a.sender);
    let ctx = Context::default();
    let want = a.routes as usize;
    // Receiver: counts routes until all arrived, answering nothing but keepalives.
    let receiver = tokio::spawn(async move {
        let mut recv = recv;
        let mut n = 0usize;
        let mut ka = tokio::time::interval(Duration::from_secs(2));
        while n < want {
            tokio::select! {
                r = recv.read_buf(&mut rbuf) => {
                    if r.map_err(|e| e.to_string())? == 0 {
                        return Err(format!("reflector closed the receiver session after {n} routes"));
                    }
                    while let Some(f) = decode_frame(&mut rbuf, 65535).map_err(|e| e.to_string())? {
                        match decode_message(&f, &Context::default()).map_err(|e| e.to_string())? {
                            Message::Update(u) => n += count_routes(&u),
                            Message::Notification(m) => return Err(format!("receiver got NOTIFICATION {m} after {n} routes")),
                            _ => {}
                        }
                    }
                }
                _ = ka.tick() => {
                    recv.write_all(&Message::Keepalive.to_bytes(&Context::default())).await.map_err(|e| e.to_string())?;
                }
            }
        }
        Ok::<Instant, String>(Instant::now())
    });
    // Give the reflector a moment to finish the receiver's initial exchange.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Instant::now();
    send.write_all(&stream).await.map_err(|e| e.to_string())?;
    send.write_all(&Message::Update(Update::end_of_rib(Family::L2VPN_EVPN)).to_bytes(&ctx))
        .await
        .map_err(|e| e.to_string())?;
    // Keep the sender's session alive (keepalives, drain what the reflector sends) until the end.
    let keeper = tokio::spawn(async move {
        let mut sink = BytesMut::with_capacity(1 << 16);
        let mut ka = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                r = send.read_buf(&mut sink) => match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => sink.clear(),
                },
                _ = ka.tick() => {
                    if send.write_all(&Message::Keepalive.to_bytes(&Context::default())).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let end = tokio::time::timeout(Duration::from_secs(120), receiver)
        .await
        .map_err(|_| "timed out after 120 s".to_string())?
        .map_err(|e| e.to_string())??;
    keeper.abort();
    Ok((a.routes, (end - start).as_secs_f64()))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("rr-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(a).await {
        Ok((n, s)) => {
            println!("routes={n} seconds={s:.3}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rr-load: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
