//! BMP from a running evpnd to a real collector (issue 14): evpnd "a" has
//! an iBGP peer, evpnd "b", which originates a type-2, a type-3 and a
//! type-5 route; pmacct's `pmbmpd` (Debian package `pmacct`, installed by
//! `interop/setup.sh`) listens on a's loopback. Once the routes are in, the
//! collector starts: evpnd connects (after its backoff) and sends
//! Initiation, the Peer Ups (the Loc-RIB and b, with both OPENs) and the
//! table dump, then statistics every second.
//!
//! pmacct 1.7.7 does not decode EVPN NLRI: for every Route Monitoring
//! message with L2VPN EVPN routes its debug log says "Received unsupported
//! NLRI afi=25 safi=70", attributed to the peer (`[10.1.1.2]`) or the
//! Loc-RIB (`[0.0.0.0]`). The dump sends one route per message, so b's
//! three routes are three such lines for the peer, and the Statistics
//! Reports count three routes in b's Adj-RIB-In. A reload that changes
//! `[[bmp]]` ends the feed (Termination) and starts a new one; b stopping
//! is a Peer Down with b's NOTIFICATION (reason 3). Fails
//! (never skips) without pmbmpd.

mod lab;

use std::path::Path;
use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, wait_until};
use serde_json::Value;

const PMBMPD: &str = "/usr/sbin/pmbmpd";
const PORT: u16 = 1790;
const T: Duration = Duration::from_secs(60);

fn evpnd_a() -> String {
    format!(
        r#"
[bgp]
asn = 65000
router_id = "10.1.1.1"
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.2"
remote_asn = 65000

[evpn]
vtep_ip = "10.1.1.1"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{{ mac = "02:00:00:00:01:01" }}]

[[bmp]]
address = "127.0.0.1:{PORT}"
stats_interval = 1
"#
    )
}

const EVPND_B: &str = r#"
[bgp]
asn = 65000
router_id = "10.1.1.2"
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.1"
remote_asn = 65000

[evpn]
vtep_ip = "10.1.1.2"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:02:01" }]
prefixes = ["192.168.200.0/24"]
"#;

/// Route types evpnd `a` holds from its peer, via the API.
fn peer_route_types(ns: &Netns) -> Result<Vec<i32>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| e.to_string())?;
        let routes = pb::route_service_client::RouteServiceClient::new(ch)
            .list_routes(pb::ListRoutesRequest::default())
            .await
            .map_err(|e| e.to_string())?
            .into_inner()
            .routes;
        let mut types: Vec<i32> = routes
            .iter()
            .filter(|r| r.paths.iter().any(|p| p.peer == "10.1.1.2"))
            .filter_map(|r| r.key.as_ref().map(|k| k.route_type))
            .collect();
        types.sort();
        Ok(types)
    })
}

fn json_log(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn pmbmpd_shows_evpnds_peer_and_its_evpn_routes() {
    let mut a = Netns::new("bma");
    let mut b = Netns::new("bmb");
    link(&a, "tob", "10.1.1.1/30", &b, "toa", "10.1.1.2/30");
    a.start_evpnd("evpnd", &evpnd_a());
    b.start_evpnd("evpnd", EVPND_B);
    wait_until("a holds b's routes of types 2, 3 and 5", T, || {
        let t = peer_route_types(&a)?;
        if t == [2, 3, 5] {
            Ok(())
        } else {
            Err(format!("{t:?}\n{}", a.log("evpnd")))
        }
    });

    assert!(
        Path::new(PMBMPD).exists(),
        "{PMBMPD} is missing: run interop/setup.sh (installs pmacct)"
    );
    let json = a.dir.join("bmp.json");
    let debug = a.dir.join("pmbmpd-debug.log");
    let conf = a.dir.join("pmbmpd.conf");
    std::fs::write(
        &conf,
        format!(
            "daemonize: false\ndebug: true\nlogfile: {}\n\
             bmp_daemon_ip: 127.0.0.1\nbmp_daemon_port: {PORT}\n\
             bmp_daemon_msglog_file: {}\nbmp_daemon_msglog_output: json\n",
            debug.display(),
            json.display()
        ),
    )
    .expect("pmbmpd.conf");
    a.spawn(
        "pmbmpd",
        &[PMBMPD, "-f", conf.to_str().expect("utf-8 path")],
    );

    // evpnd connects after its backoff and dumps; the statistics follow.
    let entries = wait_until("pmbmpd logs the peer up and statistics", T, || {
        let e = json_log(&json);
        let peer_up = e
            .iter()
            .any(|v| v["bmp_msg_type"] == "peer_up" && v["peer_ip"] == "10.1.1.2");
        let stats = e
            .iter()
            .any(|v| v["bmp_msg_type"] == "stats" && v["peer_ip"] == "10.1.1.2");
        if peer_up && stats {
            Ok(e)
        } else {
            Err(format!("{e:?}\n{}", a.log("evpnd")))
        }
    });
    let of =
        |t: &str| -> Vec<&Value> { entries.iter().filter(|v| v["bmp_msg_type"] == t).collect() };

    let init = of("init");
    assert_eq!(init.len(), 1, "{entries:#?}");
    assert_eq!(init[0]["bmp_init_info_sysname"], "10.1.1.1");

    // The neighbour, with what both OPENs say, and the Loc-RIB.
    let ups = of("peer_up");
    let peer = ups
        .iter()
        .find(|v| v["peer_type"] == 0)
        .expect("b's Peer Up");
    assert_eq!(peer["peer_ip"], "10.1.1.2");
    assert_eq!(peer["peer_asn"], 65000);
    assert_eq!(peer["bgp_id"], "10.1.1.2");
    assert_eq!(peer["local_ip"], "10.1.1.1");
    let ports = (peer["local_port"].as_u64(), peer["remote_port"].as_u64());
    assert!(
        ports.0 == Some(179) || ports.1 == Some(179),
        "one side is port 179: {ports:?}"
    );
    let loc = ups
        .iter()
        .find(|v| v["peer_type"] == 3)
        .expect("the Loc-RIB's Peer Up");
    assert_eq!(loc["bgp_id"], "10.1.1.1");

    // Statistics: b's three routes in its Adj-RIB-In; the Loc-RIB has
    // them and a's own two (type 2 and type 3).
    let stat = |peer_type: u64, counter: u64| {
        entries
            .iter()
            .filter(|v| v["bmp_msg_type"] == "stats")
            .find(|v| v["peer_type"] == peer_type && v["counter_type"] == counter)
            .map(|v| v["counter_value"].clone())
    };
    assert_eq!(stat(0, 7), Some(3.into()), "{entries:#?}");
    assert_eq!(stat(3, 8), Some(5.into()), "{entries:#?}");

    // The EVPN Route Monitoring messages, as pmbmpd 1.7.7 reports them.
    let log = std::fs::read_to_string(&debug).unwrap_or_default();
    let unsupported = |who: &str| {
        log.lines()
            .filter(|l| {
                l.contains(&format!(
                    "[{who}] bgp_parse_update_msg() Received unsupported NLRI afi=25 safi=70"
                ))
            })
            .count()
    };
    assert_eq!(unsupported("10.1.1.2"), 3, "b's types 2, 3, 5:\n{log}");
    assert_eq!(
        unsupported("0.0.0.0"),
        5,
        "the Loc-RIB's five routes:\n{log}"
    );

    // A reload that changes [[bmp]]: Termination, then a new feed from
    // scratch (Initiation, the session's Peer Up again).
    let path = a.dir.join("evpnd.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("stats_interval = 1", "stats_interval = 2"),
    )
    .expect("rewrite config");
    let pid = a.pid("evpnd").expect("evpnd pid");
    lab::sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
    wait_until(
        "a Termination and a second feed after the reload",
        T,
        || {
            let e = json_log(&json);
            let count = |t: &str| e.iter().filter(|v| v["bmp_msg_type"] == t).count();
            let peer_ups = e
                .iter()
                .filter(|v| v["bmp_msg_type"] == "peer_up" && v["peer_ip"] == "10.1.1.2")
                .count();
            if count("term") == 1 && count("init") == 2 && peer_ups == 2 {
                Ok(())
            } else {
                Err(format!("{e:?}\n{}", a.log("evpnd")))
            }
        },
    );

    // b stops (Cease NOTIFICATION): the collector is told the peer is down.
    let b_pid = b.pid("evpnd").expect("b's pid");
    lab::sh(&["kill", "-TERM", &b_pid.to_string()]).expect("stop b");
    let down = wait_until("pmbmpd logs b's Peer Down", T, || {
        let e = json_log(&json);
        match e
            .iter()
            .find(|v| v["bmp_msg_type"] == "peer_down" && v["peer_ip"] == "10.1.1.2")
        {
            Some(d) => Ok(d.clone()),
            None => Err(format!("{e:?}\n{}", a.log("evpnd"))),
        }
    });
    // Reason 3: the peer sent a NOTIFICATION (its Cease), carried along.
    assert_eq!(down["reason_type"], 3, "{down}");
}
