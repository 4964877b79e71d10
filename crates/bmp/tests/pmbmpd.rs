//! BMP against a real collector: pmacct's `pmbmpd` (Debian package
//! `pmacct`, installed by `interop/setup.sh`) on 127.0.0.1 with a free port
//! receives a feed made by this crate's driver: Initiation, the Loc-RIB and
//! a peer's Peer Up, Route Monitoring of EVPN routes of types 2, 3 and 5
//! (pre-policy Adj-RIB-In and Loc-RIB), statistics, Termination. The test
//! reads pmbmpd's JSON message log and its debug log: pmacct 1.7.7 does not
//! decode EVPN NLRI (it logs "unsupported NLRI afi=25 safi=70" per EVPN
//! UPDATE), so the EVPN routes are asserted from that, and an IPv4 unicast
//! control route shows the Route Monitoring framing decoded in the JSON log.
//! It fails (never skips) without pmbmpd.

mod common;

use std::io::Read;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use evpnd_bmp::driver::{Client, Notice};
use evpnd_bmp::feed::{Feed, FeedConfig, Request, Rib, Source};
use evpnd_bmp::header::Timestamp;
use evpnd_bmp::stats::{Stat, stat_type};
use evpnd_bmp::termination::reason;
use serde_json::Value;
use tokio::sync::mpsc;

use common::*;

const PMBMPD: &str = "/usr/sbin/pmbmpd";
/// How long pmbmpd may take to start listening / to log what it got.
const WAIT: Duration = Duration::from_secs(20);

/// pmbmpd, killed by PID when dropped.
struct Collector {
    child: Child,
    dir: PathBuf,
}

impl Drop for Collector {
    fn drop(&mut self) {
        // By PID: SIGTERM, then reap.
        let pid = self.child.id() as libc::pid_t;
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

fn start_pmbmpd(port: u16) -> (Collector, PathBuf) {
    assert!(
        Path::new(PMBMPD).exists(),
        "{PMBMPD} is missing: run interop/setup.sh (installs pmacct)"
    );
    let dir = std::env::temp_dir().join(format!("evpnd-bmp-pmbmpd-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("bmp.json");
    let conf = dir.join("pmbmpd.conf");
    std::fs::write(
        &conf,
        format!(
            "daemonize: false\n\
             debug: true\n\
             logfile: {}\n\
             bmp_daemon_ip: 127.0.0.1\n\
             bmp_daemon_port: {port}\n\
             bmp_daemon_msglog_file: {}\n\
             bmp_daemon_msglog_output: json\n",
            dir.join("pmbmpd.log").display(),
            log.display()
        ),
    )
    .expect("write pmbmpd.conf");
    let child = Command::new(PMBMPD)
        .arg("-f")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pmbmpd");
    let c = Collector { child, dir };
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "pmbmpd never listened on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    (c, log)
}

fn log_entries(path: &Path) -> Vec<Value> {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    s.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn now_ts() -> Timestamp {
    Timestamp::from_system(SystemTime::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pmbmpd_shows_the_peer_and_the_evpn_routes() {
    let port = free_port();
    let (collector, log) = start_pmbmpd(port);

    let mut cfg = FeedConfig::new("leaf1", LOCAL_AS, LOCAL);
    cfg.monitor = vec![Rib::PrePolicy, Rib::LocRib];
    cfg.stats_interval = Some(Duration::from_secs(1));
    let (tx, mut rx) = mpsc::unbounded_channel::<Notice>();
    let mut feed = Feed::new(cfg, Instant::now());
    // The peer is up before the collector connects: its Peer Up goes out
    // with the connection, as after any reconnect.
    feed.peer_up(Instant::now(), session(PEER));
    let client = Client::spawn(0, format!("127.0.0.1:{port}"), feed, tx);

    // EVPN types 2, 3, 5, and an IPv4 unicast route as a control.
    let routes = [type2(), type3(), type5(), ipv4_unicast()];
    let peer = IpAddr::V4(PEER);
    let mut dumped = false;
    let mut stats_sent = false;
    let deadline = Instant::now() + WAIT;
    while !(dumped && stats_sent) {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, rx.recv())
            .await
            .expect("the feed asked for a dump and statistics")
            .expect("notices channel open");
        match n.request {
            Request::Dump { epoch } => {
                client.with(|f| {
                    let now = Instant::now();
                    for u in &routes {
                        assert!(f.dump_room() > u.len());
                        f.route_monitoring(now, Source::PrePolicy(peer), now_ts(), u);
                        f.route_monitoring(now, Source::LocRib, now_ts(), u);
                    }
                    f.dump_done(now, epoch, now_ts());
                });
                dumped = true;
            }
            Request::Stats if dumped => {
                client.with(|f| {
                    let now = Instant::now();
                    f.statistics(
                        now,
                        Source::PrePolicy(peer),
                        now_ts(),
                        &[
                            Stat::counter(stat_type::REJECTED_PREFIXES, 1),
                            Stat::gauge(stat_type::ADJ_RIB_IN_ROUTES, 3),
                        ],
                    );
                    f.statistics(
                        now,
                        Source::LocRib,
                        now_ts(),
                        &[Stat::gauge(stat_type::LOC_RIB_ROUTES, 3)],
                    );
                });
                stats_sent = true;
            }
            _ => {}
        }
    }

    // Wait for pmbmpd to log the control route in both RIBs and the stats.
    let wanted = |e: &[Value]| {
        e.iter()
            .filter(|v| v["bmp_msg_type"] == "route_monitor")
            .count()
            >= 2
            && e.iter().filter(|v| v["bmp_msg_type"] == "stats").count() >= 3
    };
    let deadline = Instant::now() + WAIT;
    while !wanted(&log_entries(&log)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counters = client
        .shutdown(reason::ADMIN_CLOSE, "test over", Duration::from_secs(5))
        .await;
    let deadline = Instant::now() + WAIT;
    while !log_entries(&log)
        .iter()
        .any(|v| v["bmp_msg_type"] == "term")
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entries = log_entries(&log);
    // The debug log: read once it shows the Termination (written last).
    let debug_log = collector.dir.join("pmbmpd.log");
    let mut debug = String::new();
    while Instant::now() < deadline {
        debug = std::fs::read_to_string(&debug_log).unwrap_or_default();
        if debug.contains("Term message received") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(collector);
    eprintln!("feed counters: {counters:?}");
    let of =
        |t: &str| -> Vec<&Value> { entries.iter().filter(|v| v["bmp_msg_type"] == t).collect() };

    // Initiation.
    let init = of("init");
    assert_eq!(init.len(), 1, "{entries:#?}");
    assert_eq!(init[0]["bmp_init_info_sysname"], "leaf1");
    assert!(
        init[0]["bmp_init_info_sysdescr"]
            .as_str()
            .is_some_and(|d| d.starts_with("evpnd"))
    );

    // Peer Up: the neighbour (type 0, with both OPENs decoded: ASN, BGP ID,
    // ports) and the Loc-RIB (type 3, RFC 9069, table name "global").
    let ups = of("peer_up");
    assert_eq!(ups.len(), 2, "{entries:#?}");
    let peer_up = ups
        .iter()
        .find(|v| v["peer_type"] == 0)
        .expect("a global peer up");
    assert_eq!(peer_up["peer_ip"], "10.0.0.2");
    assert_eq!(peer_up["peer_asn"], PEER_AS);
    assert_eq!(peer_up["bgp_id"], "10.0.0.2");
    assert_eq!(peer_up["local_ip"], "10.0.0.1");
    assert_eq!(
        (
            peer_up["local_port"].as_u64(),
            peer_up["remote_port"].as_u64()
        ),
        (Some(179), Some(40000))
    );
    assert_eq!(peer_up["is_post"], 0);
    let loc = ups
        .iter()
        .find(|v| v["peer_type"] == 3)
        .expect("a Loc-RIB peer up");
    assert_eq!(loc["is_loc"], 1);
    assert_eq!(loc["peer_asn"], LOCAL_AS);
    assert_eq!(loc["bgp_id"], "10.0.0.1");
    assert_eq!(loc["bmp_peer_up_info_3"], "67-6C-6F-62-61-6C"); // "global"

    // Route Monitoring. pmacct 1.7.7 (Debian bookworm) does not decode
    // L2VPN EVPN NLRI: it receives the messages and says so in its debug
    // log ("Received unsupported NLRI afi=25 safi=70"), one line per EVPN
    // UPDATE, attributed to the peer (10.0.0.2) or the Loc-RIB (0.0.0.0).
    // The IPv4 unicast control route shows the same framing decoded.
    let rm = of("route_monitor");
    assert_eq!(rm.len(), 2, "{entries:#?}");
    for r in &rm {
        assert_eq!(r["ip_prefix"], "198.51.100.0/24");
        assert_eq!(r["bgp_nexthop"], "10.0.0.2");
        assert_eq!(r["as_path"], "65002");
    }
    assert!(
        rm.iter()
            .any(|r| r["peer_ip"] == "10.0.0.2" && r["is_in"] == 1 && r["is_post"] == 0)
    );
    assert!(
        rm.iter()
            .any(|r| r["peer_ip"] == "0.0.0.0" && r["is_loc"] == 1)
    );
    let unsupported = |who: &str| {
        debug
            .lines()
            .filter(|l| {
                l.contains(&format!(
                    "[{who}] bgp_parse_update_msg() Received unsupported NLRI afi=25 safi=70"
                ))
            })
            .count()
    };
    // Types 2, 3 and 5 from the peer and in the Loc-RIB.
    assert_eq!(unsupported("10.0.0.2"), 3, "{debug}");
    assert_eq!(unsupported("0.0.0.0"), 3, "{debug}");
    // 3 EVPN + 1 IPv4 route + the End-of-RIB, per RIB.
    let monitoring = debug
        .lines()
        .filter(|l| l.contains("type: Route Monitoring (0)"))
        .count();
    assert_eq!(monitoring, 10, "{debug}");

    // Statistics: rejected prefixes and Adj-RIB-In routes for the peer,
    // Loc-RIB routes for the Loc-RIB.
    let stats = of("stats");
    let stat = |peer_type: u64, counter: u64| {
        stats
            .iter()
            .find(|v| v["peer_type"] == peer_type && v["counter_type"] == counter)
            .map(|v| v["counter_value"].clone())
    };
    assert_eq!(stat(0, 0), Some(1.into()), "{entries:#?}");
    assert_eq!(stat(0, 7), Some(3.into()));
    assert_eq!(stat(3, 8), Some(3.into()));

    // Termination.
    let term = of("term");
    assert_eq!(term.len(), 1, "{entries:#?}");
    assert_eq!(
        term[0]["bmp_term_info_reason"],
        "Session administratively closed"
    );
    assert_eq!(term[0]["bmp_term_info_string"], "test over");
    assert_eq!(counters.overflows, 0);
    assert_eq!(counters.connects, 1);
}
