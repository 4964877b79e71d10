//! `underlay-load`: the main-table half of issue 13's benchmark
//! (`underlay-bench.sh`). Two modes:
//!
//! * `--routes N --gateways fe80::b:1%s1[,fe80::b:2%s2]`: starts evpnd's
//!   linux task (`evpnd_linux::spawn`, the code path of the daemon) in the
//!   calling namespace, waits for its initial dump (`Synced`), prints
//!   `start_unix=S.NNN` and sends N `DesiredChange::Route { table: 254,
//!   20.0.0.0/24, 20.0.1.0/24, …, via: Gateways }` in batches of
//!   `--chunk` (default 10,000), as the core would; prints
//!   `sent_unix=S.NNN` and then `programmed_unix=S.NNN` when the task's
//!   status says N routes are programmed; then holds (`--hold` seconds)
//!   so the caller can read its RSS.
//! * `--batch-file FILE` (same `--routes` and `--gateways`): writes the
//!   `ip -batch` file of the same routes the way evpnd writes them —
//!   `nexthop add id I via G dev D proto 245` each gateway, a `group` when
//!   there are several, then `route add P nhid ID proto 245 metric 20`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use evpnd_evpn::dataplane::{Gateway, RouteVia};
use evpnd_linux::{DesiredChange, LinuxConfig, LocalEvent};
use ipnet::{IpNet, Ipv4Net};

/// The main table.
const MAIN: u32 = 254;
/// The first prefix (20.0.0.0/24), then every /24 after it.
const FIRST: u32 = 20 << 24;
/// Nexthop ids of the `ip -batch` file.
const BATCH_NH_BASE: u32 = 1000;

struct Args {
    routes: u32,
    gateways: Vec<Gateway>,
    chunk: usize,
    hold: u64,
    batch_file: Option<String>,
}

fn gateway(s: &str) -> Result<Gateway, String> {
    let (ip, dev) = match s.split_once('%') {
        Some((ip, dev)) => (ip, Some(dev.to_string())),
        None => (s, None),
    };
    Ok(Gateway {
        ip: ip.parse::<IpAddr>().map_err(|e| format!("{s}: {e}"))?,
        dev,
    })
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        routes: 1_000_000,
        gateways: Vec::new(),
        chunk: 10_000,
        hold: 0,
        batch_file: None,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v.get(i + 1).ok_or(format!("{} needs a value", v[i]))?;
        let num = |s: &str| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
        match v[i].as_str() {
            "--routes" => a.routes = num(val)? as u32,
            "--chunk" => a.chunk = num(val)?.max(1) as usize,
            "--hold" => a.hold = num(val)?,
            "--batch-file" => a.batch_file = Some(val.clone()),
            "--gateways" => {
                a.gateways = val.split(',').map(gateway).collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
        i += 2;
    }
    if a.gateways.is_empty() {
        return Err("--gateways G%DEV[,G%DEV…] is required".into());
    }
    a.gateways.sort();
    Ok(a)
}

fn prefix(i: u32) -> Ipv4Net {
    let addr = Ipv4Addr::from(FIRST + (i << 8));
    Ipv4Net::new(addr, 24).unwrap_or_default()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn batch_file(a: &Args, path: &str) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut ids = Vec::new();
    for (n, g) in a.gateways.iter().enumerate() {
        let id = BATCH_NH_BASE + n as u32;
        let dev = g.dev.as_deref().unwrap_or("lo");
        writeln!(f, "nexthop add id {id} via {} dev {dev} proto 245", g.ip)?;
        ids.push(id.to_string());
    }
    let target = if ids.len() > 1 {
        let id = BATCH_NH_BASE + ids.len() as u32;
        writeln!(f, "nexthop add id {id} group {} proto 245", ids.join("/"))?;
        id
    } else {
        BATCH_NH_BASE
    };
    for i in 0..a.routes {
        writeln!(
            f,
            "route add {} nhid {target} proto 245 metric 20",
            prefix(i)
        )?;
    }
    f.flush()
}

async fn load(a: Args) -> Result<(), String> {
    let mut h = evpnd_linux::spawn(LinuxConfig::default())
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match h.events.recv().await {
            Some(LocalEvent::Synced) => break,
            Some(_) => {}
            None => return Err("the linux task ended".into()),
        }
    }
    // Keep reading its events (the task blocks on a full channel).
    let mut events = h.events;
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let LocalEvent::Warning { what, .. } = e {
                eprintln!("warning: {what}");
            }
        }
    });
    let via = RouteVia::Gateways {
        hops: a.gateways.clone(),
    };
    println!("start_unix={:.3}", now());
    let mut batch = Vec::with_capacity(a.chunk);
    for i in 0..a.routes {
        batch.push(DesiredChange::Route {
            table: MAIN,
            prefix: IpNet::V4(prefix(i)),
            via: via.clone(),
        });
        if batch.len() == a.chunk {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(a.chunk));
            h.changes.send(full).await.map_err(|e| e.to_string())?;
        }
    }
    if !batch.is_empty() {
        h.changes.send(batch).await.map_err(|e| e.to_string())?;
    }
    println!("sent_unix={:.3}", now());
    let want = a.routes as usize;
    loop {
        let st = h.status.borrow_and_update().clone();
        if st.routes_programmed >= want {
            println!(
                "programmed_unix={:.3} writes_ok={} writes_failed={} nexthops={}",
                now(),
                st.writes_ok,
                st.writes_failed,
                st.nexthops
            );
            break;
        }
        if h.status.changed().await.is_err() {
            return Err("the linux task ended".into());
        }
    }
    let _ = std::io::stdout().flush();
    tokio::time::sleep(Duration::from_secs(a.hold)).await;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("underlay-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(path) = a.batch_file.clone() {
        return match batch_file(&a, &path) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("underlay-load: {path}: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("underlay-load: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(load(a)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("underlay-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
