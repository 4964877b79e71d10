//! `l3-load`: the L3 benchmark's BGP speaker (issue 11). Opens one iBGP
//! L2VPN EVPN session from `--local` to the leaf under test at `--peer`,
//! sends `--routes` type-5 IPv4 prefixes of one tenant (`--l3vni`, RT
//! `--asn`:L3VNI, Router's MAC `--router-mac`, next hop = `--local` as the
//! VTEP; `evpnd_bench::type5`) in full UPDATEs followed by End-of-RIB, then
//! keeps the session up for `--hold` seconds so the leaf programs its
//! kernel meanwhile. Prints `start_unix=S` when it starts sending and
//! `routes=N sent_seconds=S` when the last UPDATE is written.
//!
//! `--batch-file FILE [--svi br4000] [--table 1000]`: writes the `ip -batch`
//! file that installs the same routes as evpnd does (one nexthop object,
//! `route add P nhid ID table T proto 245 metric 20`) and exits: the
//! kernel baseline of `l3-bench.sh`.
//!
//! Exit 1 on a protocol error, 2 on bad arguments.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use evpnd_bench::speaker::session;
use evpnd_bench::type5::{Tenant, ip_batch, packed_type5_updates};
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family, MacAddr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// evpnd's route protocol (crates/linux PROTOCOL), used by the baseline too.
const PROTO: u8 = 245;
/// The nexthop object id of the baseline.
const BATCH_NHID: u32 = 4242;
/// Largest UPDATE without the extended-message capability.
const MAX_UPDATE: usize = 4096;
/// Our hold time and keepalive interval.
const HOLD_TIME: u16 = 180;
const KEEPALIVE: Duration = Duration::from_secs(20);

struct Args {
    peer: Ipv4Addr,
    local: Ipv4Addr,
    asn: u32,
    routes: u32,
    l3vni: u32,
    router_mac: MacAddr,
    hold: u64,
    batch_file: Option<String>,
    svi: String,
    table: u32,
}

use evpnd_bench::parse_flag as parse;

fn args() -> Result<Args, String> {
    let mut a = Args {
        peer: Ipv4Addr::new(10, 9, 0, 1),
        local: Ipv4Addr::new(10, 9, 0, 2),
        asn: 65000,
        routes: 100_000,
        l3vni: 4000,
        router_mac: MacAddr([0x02, 0, 0, 0, 0xbe, 0x01]),
        hold: 120,
        batch_file: None,
        svi: "br4000".into(),
        table: 1000,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for pair in v.chunks(2) {
        let [flag, val] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        match flag.as_str() {
            "--peer" => a.peer = parse(flag, val)?,
            "--local" => a.local = parse(flag, val)?,
            "--asn" => a.asn = parse(flag, val)?,
            "--routes" => a.routes = parse(flag, val)?,
            "--l3vni" => a.l3vni = parse(flag, val)?,
            "--router-mac" => a.router_mac = parse(flag, val)?,
            "--hold" => a.hold = parse(flag, val)?,
            "--batch-file" => a.batch_file = Some(val.clone()),
            "--svi" => a.svi = val.clone(),
            "--table" => a.table = parse(flag, val)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn send(a: &Args) -> Result<(), String> {
    let t = Tenant {
        asn: a.asn,
        l3vni: a.l3vni,
        vtep: a.local,
        router_mac: a.router_mac,
    };
    let (stream, _) = packed_type5_updates(&t, a.routes, MAX_UPDATE);
    let (mut s, mut sink) = session(a.local, a.peer, a.asn, HOLD_TIME).await?;
    let ctx = Context::default();
    // The leaf's own initial UPDATEs and End-of-RIB first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("start_unix={:.3}", unix_now());
    let start = Instant::now();
    s.write_all(&stream).await.map_err(|e| e.to_string())?;
    s.write_all(&Message::Update(Update::end_of_rib(Family::L2VPN_EVPN)).to_bytes(&ctx))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "routes={} sent_seconds={:.3}",
        a.routes,
        start.elapsed().as_secs_f64()
    );
    let mut ka = tokio::time::interval(KEEPALIVE);
    let until = tokio::time::sleep(Duration::from_secs(a.hold));
    tokio::pin!(until);
    loop {
        tokio::select! {
            r = s.read_buf(&mut sink) => match r {
                Ok(0) | Err(_) => return Err("the peer closed the session".into()),
                Ok(_) => {
                    while let Some(f) = decode_frame(&mut sink, 65535).map_err(|e| e.to_string())? {
                        if let Ok(Message::Notification(n)) = decode_message(&f, &ctx) {
                            return Err(format!("NOTIFICATION {n}"));
                        }
                    }
                }
            },
            _ = ka.tick() => {
                s.write_all(&Message::Keepalive.to_bytes(&ctx)).await.map_err(|e| e.to_string())?;
            }
            _ = &mut until => return Ok(()),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("l3-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(path) = &a.batch_file {
        let t = Tenant {
            asn: a.asn,
            l3vni: a.l3vni,
            vtep: a.local,
            router_mac: a.router_mac,
        };
        let text = ip_batch(&t, a.routes, &a.svi, a.table, PROTO, BATCH_NHID);
        return match std::fs::write(path, text) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("l3-load: {path}: {e}");
                std::process::ExitCode::from(1)
            }
        };
    }
    match send(&a).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("l3-load: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
