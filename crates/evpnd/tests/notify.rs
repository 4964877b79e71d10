//! systemd supervision of a running evpnd, against a `NOTIFY_SOCKET` this
//! test owns (a datagram socket in the lab directory): READY=1 only once
//! the API answers (and the kernel's initial dump is in), WATCHDOG=1 every
//! loop tick, RELOADING=1 then READY=1 around SIGHUP, and a wedged core —
//! stalled on a reload that reads a FIFO nobody writes yet — stops the
//! watchdog pings until it is released. STOPPING=1 on SIGTERM.

mod lab;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use evpnd_api::pb;
use lab::{Netns, sh};

/// WATCHDOG_USEC handed to the daemon (it pings every 1 s tick regardless).
const WATCHDOG_USEC: &str = "2000000";
/// How long the core is held: more than two ticks.
const STALL: Duration = Duration::from_secs(3);

fn conf(api: &str) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\nlisten = [\"10.0.0.1:179\"]\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"10.0.0.2\"\nremote_asn = 65000\nupdate_source = \"10.0.0.1\"\n\
         [evpn]\nvtep_ip = \"10.0.0.1\"\nlearn_from_kernel = true\n\
         [api]\nsocket = \"{api}\"\n"
    )
}

/// The next notification, or `None` after `wait`.
fn next(m: &UnixDatagram, wait: Duration) -> Option<String> {
    m.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 4096];
    m.recv(&mut buf)
        .ok()
        .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Waits for a notification whose first line is `first`; returns it and
/// every one before it.
fn until(m: &UnixDatagram, first: &str, within: Duration, ns: &Netns) -> (String, Vec<String>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < within {
        if let Some(msg) = next(m, Duration::from_millis(200)) {
            if msg.lines().next() == Some(first) {
                return (msg, seen);
            }
            seen.push(msg);
        }
    }
    panic!(
        "no {first} within {within:?}; got {seen:?}\nlog:\n{}",
        ns.log("a")
    );
}

/// Whether GetStatus answers within a second.
fn api_answers(rt: &tokio::runtime::Runtime, sock: &std::path::Path) -> Result<u32, String> {
    rt.block_on(async {
        let fut = async {
            let ch = evpnd_api::client::connect_unix(sock)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let mut c = pb::daemon_service_client::DaemonServiceClient::new(ch);
            c.get_status(pb::GetStatusRequest {})
                .await
                .map(|r| r.into_inner().asn)
                .map_err(|e| format!("GetStatus: {e}"))
        };
        tokio::time::timeout(Duration::from_secs(1), fut)
            .await
            .map_err(|_| "GetStatus took more than 1 s".to_string())?
    })
}

#[test]
fn ready_after_the_api_watchdog_reload_and_a_stalled_core() {
    let mut ns = Netns::new("ntfy");
    ns.add_lo_addr("10.0.0.1/32");
    let manager_path = ns.dir.join("notify.sock");
    let manager = UnixDatagram::bind(&manager_path).expect("bind the notify socket");
    let api = ns.api_socket("a");
    let conf_path = ns.dir.join("a.toml");
    let text = conf(api.to_str().expect("utf-8"));
    std::fs::write(&conf_path, &text).expect("config");
    let notify_env = format!("NOTIFY_SOCKET={}", manager_path.display());
    let watchdog_env = format!("WATCHDOG_USEC={WATCHDOG_USEC}");
    let conf_arg = conf_path.to_str().expect("utf-8").to_string();
    ns.spawn(
        "a",
        &[
            "env",
            &notify_env,
            &watchdog_env,
            "RUST_LOG=info",
            env!("CARGO_BIN_EXE_evpnd"),
            "-c",
            &conf_arg,
        ],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // READY: the API answers at once, and the status line counts the peer.
    let (ready, _) = until(&manager, "READY=1", Duration::from_secs(20), &ns);
    let asn = api_answers(&rt, &api).unwrap_or_else(|e| panic!("READY before the API: {e}"));
    assert_eq!(asn, 65000);
    assert!(
        ready.contains("\nSTATUS=0/1 peers established, 0 routes"),
        "{ready:?}"
    );

    // The watchdog: a ping per tick.
    let start = Instant::now();
    let mut pings = 0;
    while start.elapsed() < Duration::from_millis(2500) {
        if next(&manager, Duration::from_millis(200)).as_deref() == Some("WATCHDOG=1") {
            pings += 1;
        }
    }
    assert!(pings >= 2, "{pings} WATCHDOG=1 in 2.5 s");

    // SIGHUP: RELOADING=1 with its time, then READY=1.
    let pid = ns.pid("a").expect("pid").to_string();
    sh(&["kill", "-HUP", &pid]).expect("SIGHUP");
    let (reloading, _) = until(&manager, "RELOADING=1", Duration::from_secs(5), &ns);
    assert!(reloading.contains("\nMONOTONIC_USEC="), "{reloading:?}");
    until(&manager, "READY=1", Duration::from_secs(5), &ns);

    // A wedged core: the reload blocks reading a FIFO, no pings while it does.
    std::fs::remove_file(&conf_path).expect("remove the config");
    sh(&["mkfifo", &conf_arg]).expect("mkfifo");
    sh(&["kill", "-HUP", &pid]).expect("SIGHUP");
    until(&manager, "RELOADING=1", Duration::from_secs(5), &ns);
    let stalled = Instant::now();
    let mut during = Vec::new();
    while stalled.elapsed() < STALL {
        if let Some(m) = next(&manager, Duration::from_millis(200)) {
            during.push(m);
        }
    }
    assert!(
        !during.iter().any(|m| m == "WATCHDOG=1"),
        "a stalled core must not ping: {during:?}"
    );
    assert!(api_answers(&rt, &api).is_err(), "the core is wedged");
    // Release it: the reload reads the same file and the loop runs again.
    std::fs::write(&conf_path, &text).expect("write into the FIFO");
    until(&manager, "READY=1", Duration::from_secs(5), &ns);
    until(&manager, "WATCHDOG=1", Duration::from_secs(3), &ns);
    assert_eq!(api_answers(&rt, &api), Ok(65000));

    sh(&["kill", "-TERM", &pid]).expect("SIGTERM");
    until(&manager, "STOPPING=1", Duration::from_secs(5), &ns);
}

/// `CapabilityBoundingSet=` of packaging/evpnd.service, as setpriv's list
/// (`+net_admin,+net_bind_service`).
fn unit_capabilities() -> String {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/evpnd.service");
    let text = std::fs::read_to_string(unit).unwrap_or_else(|e| panic!("{unit}: {e}"));
    let caps = text
        .lines()
        .find_map(|l| l.strip_prefix("CapabilityBoundingSet="))
        .expect("CapabilityBoundingSet= in the unit");
    caps.split_whitespace()
        .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Starts evpnd in `ns` as `nobody` with only `caps` (setpriv, as systemd's
/// User= + AmbientCapabilities= would); returns the notify socket.
fn start_unprivileged(ns: &mut Netns, label: &str, caps: &str) -> UnixDatagram {
    // A directory nobody may write: the API socket, marker and ledger.
    let run = ns.dir.join(format!("{label}-run"));
    std::fs::create_dir_all(&run).expect("run dir");
    sh(&["chown", "nobody:nogroup", run.to_str().expect("utf-8")]).expect("chown");
    let manager_path = ns.dir.join(format!("{label}-notify.sock"));
    let manager = UnixDatagram::bind(&manager_path).expect("bind the notify socket");
    sh(&["chmod", "0666", manager_path.to_str().expect("utf-8")]).expect("chmod");
    let api = run.join("evpnd.sock");
    let conf_path = ns.dir.join(format!("{label}.toml"));
    std::fs::write(&conf_path, conf(api.to_str().expect("utf-8"))).expect("config");
    let notify_env = format!("NOTIFY_SOCKET={}", manager_path.display());
    let conf_arg = conf_path.to_str().expect("utf-8").to_string();
    let inh = format!("--inh-caps=-all,{caps}");
    let amb = format!("--ambient-caps=-all,{caps}");
    let bound = format!("--bounding-set=-all,{caps}");
    ns.spawn(
        label,
        &[
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            &inh,
            &amb,
            &bound,
            "--",
            "env",
            &notify_env,
            env!("CARGO_BIN_EXE_evpnd"),
            "-c",
            &conf_arg,
        ],
    );
    manager
}

#[test]
fn the_units_capabilities_are_enough_and_needed() {
    let caps = unit_capabilities();
    assert_eq!(caps, "+net_admin,+net_bind_service");
    let mut ns = Netns::new("caps");
    ns.add_lo_addr("10.0.0.1/32");
    // With the unit's capabilities: port 179, netlink's initial dump, the API.
    let manager = start_unprivileged(&mut ns, "a", &caps);
    until(&manager, "READY=1", Duration::from_secs(20), &ns);
    let listening = ns.exec(&["ss", "-Hltn", "sport = :179"]).expect("ss");
    assert!(listening.contains("10.0.0.1:179"), "{listening}");
    let api = ns.dir.join("a-run/evpnd.sock");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    assert_eq!(api_answers(&rt, &api), Ok(65000));
    let pid = ns.pid("a").expect("pid").to_string();
    sh(&["kill", "-TERM", &pid]).expect("SIGTERM");
    until(&manager, "STOPPING=1", Duration::from_secs(5), &ns);

    // Without CAP_NET_BIND_SERVICE port 179 is refused: the capability is needed.
    let manager = start_unprivileged(&mut ns, "b", "+net_admin");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) && !ns.log("b").contains("cannot listen") {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        ns.log("b")
            .contains("cannot listen on 10.0.0.1:179: Permission denied"),
        "{}",
        ns.log("b")
    );
    assert_eq!(next(&manager, Duration::from_millis(200)), None, "no READY");
}
