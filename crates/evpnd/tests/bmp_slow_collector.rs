//! A BMP collector that accepts and never reads does not grow evpnd's
//! memory (issue 14, ADR 0020), measured on running daemons: evpnd "b"
//! originates `ROUTES` MAC routes to two leaves, "a" with a `[[bmp]]`
//! collector that is stuck (this test accepts its connections in a's
//! namespace and never reads them) and a 256 KiB queue, "c" without BMP.
//! Both hold the same routes; a's peak resident memory may exceed c's by
//! the queue and some slack, far less than the ~2 × `ROUTES` Route
//! Monitoring messages it was offered. a's feed overflows and reconnects
//! instead (logged as a closed connection).

mod lab;

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, wait_until};

const ROUTES: usize = 100_000;
const PORT: u16 = 1790;
const QUEUE: u64 = 256 * 1024;
/// What a's peak RSS may exceed c's by: the queue, a write chunk, and the
/// allocator's noise between two processes.
const SLACK: u64 = 4 * 1024 * 1024;
const T: Duration = Duration::from_secs(120);

fn leaf(i: u8, bmp: bool) -> String {
    let bmp = if bmp {
        format!(
            "[[bmp]]\naddress = \"127.0.0.1:{PORT}\"\nqueue_bytes = {QUEUE}\nstats_interval = 0\n"
        )
    } else {
        String::new()
    };
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.1.{i}.1\"\nhold_time = 30\nconnect_retry = 2\n\
         [[neighbor]]\naddress = \"10.1.{i}.2\"\nremote_asn = 65000\n\
         [evpn]\nvtep_ip = \"10.1.{i}.1\"\nlearn_from_kernel = false\n{bmp}"
    )
}

fn origin() -> String {
    let macs: Vec<String> = (0..ROUTES)
        .map(|n| {
            format!(
                "{{ mac = \"02:01:00:{:02x}:{:02x}:{:02x}\" }}",
                (n >> 16) & 0xff,
                (n >> 8) & 0xff,
                n & 0xff
            )
        })
        .collect();
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.1.1.2\"\nhold_time = 30\nconnect_retry = 2\n\
         [[neighbor]]\naddress = \"10.1.1.1\"\nremote_asn = 65000\n\
         [[neighbor]]\naddress = \"10.1.2.1\"\nremote_asn = 65000\n\
         [evpn]\nvtep_ip = \"10.1.1.2\"\nlearn_from_kernel = false\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{}]\n",
        macs.join(", ")
    )
}

/// Accepts on 127.0.0.1:`PORT` inside `ns` and never reads; returns how many
/// connections it held when stopped.
fn stuck_collector(ns: &Netns, stop: Arc<AtomicBool>) -> JoinHandle<usize> {
    let netns = format!("/var/run/netns/{}", ns.name);
    std::thread::spawn(move || {
        let f = File::open(&netns).expect("namespace file");
        // This thread only: the socket below lives in the namespace.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
        let l = TcpListener::bind(("127.0.0.1", PORT)).expect("bind the stuck collector");
        l.set_nonblocking(true).expect("nonblocking");
        let mut held: Vec<TcpStream> = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            match l.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        held.len()
    })
}

fn loc_rib_routes(ns: &Netns) -> Result<u64, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| e.to_string())?;
        let s = pb::daemon_service_client::DaemonServiceClient::new(ch)
            .get_status(pb::GetStatusRequest {})
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        Ok(s.counters.map_or(0, |c| c.loc_rib_routes))
    })
}

/// VmHWM (peak resident set) of a process, in octets.
fn peak_rss(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

#[test]
fn a_stuck_collector_does_not_grow_evpnds_memory() {
    let mut a = Netns::new("bsa");
    let mut b = Netns::new("bsb");
    let mut c = Netns::new("bsc");
    link(&a, "tob", "10.1.1.1/30", &b, "toa", "10.1.1.2/30");
    link(&c, "tob", "10.1.2.1/30", &b, "toc", "10.1.2.2/30");
    let stop = Arc::new(AtomicBool::new(false));
    let collector = stuck_collector(&a, Arc::clone(&stop));
    a.start_evpnd("evpnd", &leaf(1, true));
    c.start_evpnd("evpnd", &leaf(2, false));
    b.start_evpnd("evpnd", &origin());
    for ns in [&a, &c] {
        wait_until(&format!("{} holds b's routes", ns.name), T, || {
            let n = loc_rib_routes(ns)?;
            if n as usize >= ROUTES {
                Ok(())
            } else {
                Err(format!("{n} routes\n{}", b.log("evpnd")))
            }
        });
    }
    // The feed overflowed: it dropped its queue and the connection.
    let closed = wait_until("a's BMP feed overflowed and reconnected", T, || {
        let log = a.log("evpnd");
        let n = log.matches("BMP connection closed").count();
        if n >= 1 { Ok(n) } else { Err(log) }
    });
    let (pa, pc) = (
        a.pid("evpnd").expect("a's pid"),
        c.pid("evpnd").expect("c's pid"),
    );
    let (ha, hc) = (peak_rss(pa), peak_rss(pc));
    stop.store(true, Ordering::SeqCst);
    let connections = collector.join().expect("collector thread");
    eprintln!(
        "{ROUTES} routes: peak RSS with a stuck collector {} KiB, without BMP {} KiB; \
         {closed} BMP connections closed, {connections} accepted",
        ha / 1024,
        hc / 1024
    );
    assert!(connections >= 1, "evpnd connected to the collector");
    assert!(
        ha <= hc + SLACK,
        "peak RSS {} KiB with a stuck collector vs {} KiB without BMP",
        ha / 1024,
        hc / 1024
    );
}
