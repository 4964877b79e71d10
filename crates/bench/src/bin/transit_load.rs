//! `transit-load`: the IPv4 unicast transit benchmark's two outside peers
//! (issue 13), measured the way the published "ze-perf" benchmark does.
//!
//! `transit-load --dut 10.3.0.1 --sender 10.3.0.2 --receiver 10.3.0.3 --routes 100000`
//!
//! Two eBGP speakers built on `evpnd-wire` around the speaker under test
//! (the DUT, AS `--dut-asn`, both peers passive on its side): the receiver
//! (AS `--receiver-asn`, 65002) connects and completes its OPEN exchange
//! first, then the sender (AS `--sender-asn`, 65001); after `--warmup-ms`
//! (2 s) the sender writes N /24 prefixes in full 4096-octet UPDATEs
//! (`evpnd_bench::unicast`: scattered prefixes from `--seed`, classic NLRI,
//! `--attr-sets` attribute sets, default 1 as ze-perf). Time = the sender's
//! first byte → the last of the N prefixes announced to the receiver
//! (`evpnd_bench::tally`). Then the sender withdraws them all and the time
//! to the receiver's last withdrawal is taken the same way; both sessions
//! are closed with a Cease. That is one iteration; `--warmup-runs` (1)
//! iterations are discarded, `--repeat` (3) are kept, `--iter-delay-ms`
//! (8 s) apart, as ze-perf's runner runs them. A session the DUT refuses
//! (still holding the peer idle after the last Cease) is tried again every
//! second.
//!
//! Prints one line per iteration and a summary (medians):
//! `iteration=I warmup=0|1 routes=N seconds=S first_seconds=F withdraw_seconds=W updates=U repeats=R dut_cpu_seconds=C`
//! `routes=N seconds=S runs=S1,S2,S3 first_seconds=F withdraw_seconds=W dut_cpu_seconds=C`
//! `--dut-pid P` (repeatable) adds the DUT processes' user + system CPU
//! seconds spent in the announcement phase (from /proc). Exit 1 on a
//! protocol error, a lost prefix or a timeout (`--deadline`, 120 s a phase).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use evpnd_bench::speaker::session_for;
use evpnd_bench::tally::{HEADER_OCTETS, TYPE_NOTIFICATION, TYPE_UPDATE, Tally};
use evpnd_bench::unicast::{announcements, ebgp_context, prefixes, withdrawals};
use evpnd_wire::Family;
use evpnd_wire::error::{code, subcode};
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::Message;
use evpnd_wire::notification::Notification;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc};

/// The hold time offered in our OPENs (ze-perf offers 90 s).
const HOLD_TIME: u16 = 90;
/// Keepalives on both sessions, a third of the hold time.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(30);
/// Pause between attempts to open a session the DUT refused.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Largest message we accept (no RFC 8654 offered).
const MAX_MESSAGE: usize = 4096;

struct Args {
    dut: Ipv4Addr,
    sender: Ipv4Addr,
    receiver: Ipv4Addr,
    sender_asn: u32,
    receiver_asn: u32,
    routes: u32,
    seed: u64,
    attr_sets: u32,
    repeat: u32,
    warmup_runs: u32,
    warmup: Duration,
    iter_delay: Duration,
    deadline: Duration,
    dut_pids: Vec<u32>,
}

use evpnd_bench::parse_flag as parse;

fn args() -> Result<Args, String> {
    let mut a = Args {
        dut: Ipv4Addr::new(10, 3, 0, 1),
        sender: Ipv4Addr::new(10, 3, 0, 2),
        receiver: Ipv4Addr::new(10, 3, 0, 3),
        sender_asn: 65001,
        receiver_asn: 65002,
        routes: 100_000,
        seed: 42,
        attr_sets: 1,
        repeat: 3,
        warmup_runs: 1,
        warmup: Duration::from_secs(2),
        iter_delay: Duration::from_secs(8),
        deadline: Duration::from_secs(120),
        dut_pids: Vec::new(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for pair in v.chunks(2) {
        let [flag, val] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        let ms = |s: &str| parse::<u64>(flag, s).map(Duration::from_millis);
        match flag.as_str() {
            "--dut" => a.dut = parse(flag, val)?,
            "--sender" => a.sender = parse(flag, val)?,
            "--receiver" => a.receiver = parse(flag, val)?,
            "--sender-asn" => a.sender_asn = parse(flag, val)?,
            "--receiver-asn" => a.receiver_asn = parse(flag, val)?,
            "--routes" => a.routes = parse(flag, val)?,
            "--seed" => a.seed = parse(flag, val)?,
            "--attr-sets" => a.attr_sets = parse(flag, val)?,
            "--repeat" => a.repeat = parse(flag, val)?,
            "--warmup-runs" => a.warmup_runs = parse(flag, val)?,
            "--warmup-ms" => a.warmup = ms(val)?,
            "--iter-delay-ms" => a.iter_delay = ms(val)?,
            "--deadline" => a.deadline = Duration::from_secs(parse(flag, val)?),
            "--dut-pid" => a.dut_pids.push(parse(flag, val)?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if a.repeat == 0 || a.routes == 0 {
        return Err("--repeat and --routes must be at least 1".into());
    }
    Ok(a)
}

/// What the receiver reports as the workload arrives and leaves.
enum Event {
    /// The first workload prefix was announced.
    First(Instant),
    /// Every workload prefix is announced (and how many UPDATEs and
    /// duplicate announcements it took).
    AllIn(Instant, usize, usize),
    /// Every workload prefix was withdrawn again.
    AllOut(Instant),
}

/// The receiving session: counts the workload, answers nothing but
/// keepalives, reports to `tx`; ends when the DUT closes or `tx` is gone.
async fn receive(
    mut s: TcpStream,
    mut buf: BytesMut,
    mut tally: Tally,
    want: usize,
    tx: mpsc::UnboundedSender<Event>,
) -> Result<(), String> {
    let ka = Message::Keepalive.to_bytes(&ebgp_context());
    let mut tick = tokio::time::interval(KEEPALIVE_EVERY);
    let (mut updates, mut first, mut all_in) = (0usize, false, false);
    loop {
        while let Some(f) = decode_frame(&mut buf, MAX_MESSAGE).map_err(|e| e.to_string())? {
            match f[HEADER_OCTETS - 1] {
                TYPE_UPDATE => {
                    tally.update(&f[HEADER_OCTETS..])?;
                    updates += 1;
                }
                TYPE_NOTIFICATION => {
                    return Err(format!(
                        "the DUT sent the receiver a NOTIFICATION after {updates} UPDATEs"
                    ));
                }
                _ => {}
            }
            let now = Instant::now();
            if !first && tally.held_count > 0 {
                first = true;
                let _ = tx.send(Event::First(now));
            }
            if !all_in && tally.held_count == want {
                all_in = true;
                let _ = tx.send(Event::AllIn(now, updates, tally.repeats));
            } else if all_in && tally.held_count == 0 {
                let _ = tx.send(Event::AllOut(now));
                let _ = s.write_all(&cease()).await;
                return Ok(());
            }
        }
        tokio::select! {
            r = s.read_buf(&mut buf) => {
                if r.map_err(|e| e.to_string())? == 0 {
                    return Err(format!("the DUT closed the receiver's session holding {} of {want} prefixes", tally.held_count));
                }
            }
            _ = tick.tick() => s.write_all(&ka).await.map_err(|e| e.to_string())?,
            _ = tx.closed() => return Ok(()),
        }
    }
}

/// NOTIFICATION Cease / Administrative Shutdown: how an iteration ends.
fn cease() -> BytesMut {
    Message::Notification(Notification::new(
        code::CEASE,
        subcode::ADMINISTRATIVE_SHUTDOWN,
        Vec::new(),
    ))
    .to_bytes(&ebgp_context())
}

/// User + system CPU seconds of `pid` so far (/proc/PID/stat fields 14, 15).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf reads a constant of the C library; no memory is touched.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| ticks as f64 / hz as f64)
}

fn cpu_of(pids: &[u32]) -> f64 {
    pids.iter().filter_map(|&p| cpu_seconds(p)).sum()
}

struct Iteration {
    seconds: f64,
    first: f64,
    withdraw: f64,
    updates: usize,
    repeats: usize,
    cpu: f64,
}

async fn next_event(
    rx: &mut mpsc::UnboundedReceiver<Event>,
    deadline: Duration,
    what: &str,
) -> Result<Event, String> {
    match tokio::time::timeout(deadline, rx.recv()).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(format!("the receiver stopped while waiting for {what}")),
        Err(_) => Err(format!(
            "timed out after {} s waiting for {what}",
            deadline.as_secs()
        )),
    }
}

/// Opens an IPv4 unicast session, again every [`RETRY_EVERY`] while the
/// DUT refuses it (a speaker may hold a peer idle for a while after the
/// previous iteration's Cease: GoBGP does), until `deadline`.
async fn connect(
    local: Ipv4Addr,
    dut: Ipv4Addr,
    asn: u32,
    deadline: Duration,
) -> Result<(TcpStream, BytesMut), String> {
    let start = Instant::now();
    loop {
        match session_for(local, dut, asn, HOLD_TIME, &[Family::IPV4_UNICAST]).await {
            Ok(s) => return Ok(s),
            Err(e) if start.elapsed() + RETRY_EVERY > deadline => return Err(e),
            Err(_) => tokio::time::sleep(RETRY_EVERY).await,
        }
    }
}

/// Writes `bytes` to the sender's session under its lock.
async fn send(w: &Mutex<OwnedWriteHalf>, bytes: &[u8]) -> Result<(), String> {
    w.lock()
        .await
        .write_all(bytes)
        .await
        .map_err(|e| e.to_string())
}

async fn iteration(
    a: &Args,
    work: &[u32],
    announce: &[u8],
    withdraw: &[u8],
) -> Result<Iteration, String> {
    let (recv, rbuf) = connect(a.receiver, a.dut, a.receiver_asn, a.deadline)
        .await
        .map_err(|e| format!("receiver: {e}"))?;
    let (send_s, _) = connect(a.sender, a.dut, a.sender_asn, a.deadline)
        .await
        .map_err(|e| format!("sender: {e}"))?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let want = work.len();
    let receiver = tokio::spawn(receive(recv, rbuf, Tally::new(work), want, tx));
    // The sender's session: drain what the DUT sends it, keep it alive.
    let (mut rd, wr) = send_s.into_split();
    let wr = Arc::new(Mutex::new(wr));
    let ka = Message::Keepalive.to_bytes(&ebgp_context());
    let keeper = {
        let wr = wr.clone();
        tokio::spawn(async move {
            let mut sink = vec![0u8; 1 << 16];
            let mut tick = tokio::time::interval(KEEPALIVE_EVERY);
            loop {
                tokio::select! {
                    r = rd.read(&mut sink) => if matches!(r, Ok(0) | Err(_)) { return },
                    _ = tick.tick() => if send(&wr, &ka).await.is_err() { return },
                }
            }
        })
    };
    tokio::time::sleep(a.warmup).await;

    let cpu0 = cpu_of(&a.dut_pids);
    let start = Instant::now();
    send(&wr, announce).await?;
    let mut first = None;
    let (done, updates, repeats) = loop {
        match next_event(&mut rx, a.deadline, "the last announcement").await? {
            Event::First(t) => first = Some(t),
            Event::AllIn(t, u, r) => break (t, u, r),
            Event::AllOut(_) => return Err("withdrawn before all arrived".into()),
        }
    };
    let cpu = cpu_of(&a.dut_pids) - cpu0;

    let wstart = Instant::now();
    send(&wr, withdraw).await?;
    let gone = match next_event(&mut rx, a.deadline, "the last withdrawal").await? {
        Event::AllOut(t) => t,
        _ => return Err("unexpected receiver event during withdrawal".into()),
    };

    let _ = send(&wr, &cease()).await;
    keeper.abort();
    // The receiver's task sent its Cease at AllOut and closed its stream.
    receiver.await.map_err(|e| e.to_string())??;
    let secs = |t: Instant, from: Instant| t.duration_since(from).as_secs_f64();
    Ok(Iteration {
        seconds: secs(done, start),
        first: first.map_or(secs(done, start), |t| secs(t, start)),
        withdraw: secs(gone, wstart),
        updates,
        repeats,
        cpu,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

async fn run(a: Args) -> Result<(), String> {
    let work = prefixes(a.routes, a.seed);
    if work.len() < a.routes as usize {
        return Err(format!("only {} usable /24 prefixes", work.len()));
    }
    let (announce, _) = announcements(&work, a.attr_sets, a.sender_asn, a.sender);
    let (withdraw, _) = withdrawals(&work);
    let mut kept = Vec::new();
    let total = a.warmup_runs + a.repeat;
    for i in 0..total {
        let warm = i < a.warmup_runs;
        let it = iteration(&a, &work, &announce, &withdraw)
            .await
            .map_err(|e| format!("iteration {}: {e}", i + 1))?;
        println!(
            "iteration={} warmup={} routes={} seconds={:.3} first_seconds={:.3} withdraw_seconds={:.3} updates={} repeats={} dut_cpu_seconds={:.2}",
            i + 1,
            u8::from(warm),
            work.len(),
            it.seconds,
            it.first,
            it.withdraw,
            it.updates,
            it.repeats,
            it.cpu
        );
        if !warm {
            kept.push(it);
        }
        if i + 1 < total {
            tokio::time::sleep(a.iter_delay).await;
        }
    }
    let runs: Vec<String> = kept.iter().map(|i| format!("{:.3}", i.seconds)).collect();
    println!(
        "routes={} seconds={:.3} runs={} first_seconds={:.3} withdraw_seconds={:.3} dut_cpu_seconds={:.2}",
        work.len(),
        median(kept.iter().map(|i| i.seconds).collect()),
        runs.join(","),
        median(kept.iter().map(|i| i.first).collect()),
        median(kept.iter().map(|i| i.withdraw).collect()),
        median(kept.iter().map(|i| i.cpu).collect()),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("transit-load: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(a).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("transit-load: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
