//! L3 tenants against the kernel (root; each test in a network namespace of
//! its own thread, inherited by the linux task and the `ip` commands):
//! routes over VTEPs through nexthop objects and groups, connected and
//! unreachable routes, rules, ownership across a restart, and the SVI
//! addresses and tenant-table routes reported (issue 11).

mod netns;

use netns::in_netns;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evpnd_evpn::dataplane::RouteVia;
use evpnd_linux::{DesiredChange, LinuxConfig, LinuxHandle, LocalEvent, Redistribute};
use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;
use serde_json::Value;

const TABLE: u32 = 1000;

fn sh(cmd: &str) {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let o = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("command runs");
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The JSON list a command prints; empty when it fails (`ip route show
/// table N` of a table that holds nothing says "FIB table does not exist").
fn json(cmd: &str) -> Vec<Value> {
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let o = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("command runs");
    serde_json::from_slice::<Vec<Value>>(&o.stdout).unwrap_or_default()
}

fn vni(n: u32) -> Vni {
    Vni::new(n).expect("vni")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn net(s: &str) -> IpNet {
    s.parse().expect("prefix")
}

const ROUTER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0x50, 2]);

/// An underlay (u1, 10.9.0.1/24), the L3VNI 5000 (vx5000 on br5000, the L3
/// SVI) and an L2VNI 100 (vx100 on br100, 192.168.100.1/24).
fn setup() {
    sh("ip link set lo up");
    sh("ip link add u1 type veth peer name u1p");
    sh("ip addr add 10.9.0.1/24 dev u1");
    for (v, br) in [(5000, "br5000"), (100, "br100")] {
        sh(&format!("ip link add {br} type bridge"));
        sh(&format!(
            "ip link add vx{v} type vxlan id {v} local 10.9.0.1 dstport 4789 nolearning"
        ));
        sh(&format!("ip link set vx{v} master {br}"));
    }
    sh("ip addr add 192.168.100.1/24 dev br100");
    for d in ["u1", "u1p", "br5000", "vx5000", "br100", "vx100"] {
        sh(&format!("ip link set {d} up"));
    }
}

type Events = Arc<Mutex<Vec<LocalEvent>>>;

/// Starts the linux task and collects its events; returns once `Synced`.
async fn start(cfg: LinuxConfig) -> (mpsc_sender::Sender, Events) {
    let mut h: LinuxHandle = evpnd_linux::spawn(cfg).await.expect("linux task");
    let events: Events = Arc::default();
    let seen = Arc::clone(&events);
    tokio::spawn(async move {
        while let Some(e) = h.events.recv().await {
            seen.lock().expect("lock").push(e);
        }
    });
    let changes = h.changes;
    wait_for("Synced", 10, || has(&events, &LocalEvent::Synced)).await;
    (changes, events)
}

mod mpsc_sender {
    pub type Sender = tokio::sync::mpsc::Sender<Vec<evpnd_linux::DesiredChange>>;
}

fn has(events: &Events, e: &LocalEvent) -> bool {
    events.lock().expect("lock").contains(e)
}

async fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn vteps(l3vni: u32, v: &[&str]) -> RouteVia {
    RouteVia::Vteps {
        l3vni: vni(l3vni),
        vteps: v.iter().map(|s| ip(s)).collect(),
    }
}

fn route(prefix: &str, via: RouteVia) -> DesiredChange {
    DesiredChange::Route {
        table: TABLE,
        prefix: net(prefix),
        via,
    }
}

/// Our route for `dst` in table 1000 (protocol 245 shows as "evpnd" when
/// iproute2 knows the name, `interop/setup.sh`).
fn ours(v6: bool, dst: &str) -> Option<Value> {
    let cmd = if v6 {
        "ip -j -6 route show table 1000"
    } else {
        "ip -j route show table 1000"
    };
    json(cmd)
        .into_iter()
        .find(|r| r["dst"] == dst && (r["protocol"] == "evpnd" || r["protocol"] == "245"))
}

fn nexthops() -> Vec<Value> {
    json("ip -j nexthop show")
}

fn nexthop(id: &Value) -> Option<Value> {
    nexthops().into_iter().find(|n| n["id"] == *id)
}

/// The gateways of the nexthop object `id` (a group's members' gateways),
/// each checked to be onlink on br5000.
fn gateways(id: &Value) -> Vec<String> {
    let Some(n) = nexthop(id) else {
        return Vec::new();
    };
    let ids: Vec<Value> = match n["group"].as_array() {
        Some(g) => g.iter().map(|m| m["id"].clone()).collect(),
        None => vec![id.clone()],
    };
    let mut out = Vec::new();
    for i in ids {
        let Some(m) = nexthop(&i) else { continue };
        assert_eq!(m["dev"], "br5000", "{m}");
        assert!(
            m["flags"]
                .as_array()
                .is_some_and(|f| f.contains(&Value::from("onlink"))),
            "{m}"
        );
        out.push(m["gateway"].as_str().unwrap_or_default().to_string());
    }
    out.sort();
    out
}

#[test]
fn tenant_routes_go_through_nexthop_objects_and_leave_operator_routes_alone() {
    in_netns(|| async {
        setup();
        // The operator's route for the same prefix (metric 0) and a rule.
        sh("ip route add 10.1.0.0/16 via 10.9.0.254 table 1000 proto static");
        sh("ip rule add iif br100 lookup 1000 pref 2000");
        let (tx, events) = start(LinuxConfig::default()).await;
        // Discovery: the L3 SVI's MAC, up; a VXLAN device going down says so.
        let br_mac = json("ip -j link show br5000")[0]["address"]
            .as_str()
            .expect("br5000 has a MAC")
            .to_string();
        let l3 = |up: bool| {
            let events = Arc::clone(&events);
            let br_mac = br_mac.clone();
            move || {
                events.lock().expect("lock").iter().any(|e| {
                    matches!(e, LocalEvent::Vni(v) if v.vni == vni(5000)
                        && v.svi_name.as_deref() == Some("br5000")
                        && v.svi_mac.map(|m| m.to_string()) == Some(br_mac.clone())
                        && v.vrf_master.is_none()
                        && v.up == up)
                })
            }
        };
        wait_for("VNI 5000 with its SVI's MAC, up", 5, l3(true)).await;
        sh("ip link set vx5000 down");
        wait_for("VNI 5000 down", 5, l3(false)).await;
        sh("ip link set vx5000 up");
        events.lock().expect("lock").clear();
        wait_for("VNI 5000 up again", 5, l3(true)).await;

        let r = vni(5000);
        let changes = vec![
            DesiredChange::RemoteMac {
                vni: r,
                mac: ROUTER_MAC,
                vtep: ip("10.9.0.2"),
                sticky: false,
            },
            DesiredChange::RemoteNeigh {
                vni: r,
                ip: ip("10.9.0.2"),
                mac: ROUTER_MAC,
            },
            DesiredChange::RemoteNeigh {
                vni: r,
                ip: ip("::ffff:10.9.0.2"),
                mac: ROUTER_MAC,
            },
            route("10.1.0.0/16", vteps(5000, &["10.9.0.2", "10.9.0.3"])),
            route("2001:db8:1::/48", vteps(5000, &["10.9.0.2"])),
            route("192.168.100.0/24", RouteVia::Connected { vni: vni(100) }),
            route("0.0.0.0/0", RouteVia::Unreachable),
            route("::/0", RouteVia::Unreachable),
            DesiredChange::Rule {
                table: TABLE,
                iif: "br100".into(),
                priority: 1000,
            },
            DesiredChange::Rule {
                table: TABLE,
                iif: "br5000".into(),
                priority: 1000,
            },
            DesiredChange::Converged,
        ];
        tx.send(changes).await.expect("task alive");
        wait_for("10.1.0.0/16 via a group", 5, || {
            ours(false, "10.1.0.0/16")
                .is_some_and(|r| gateways(&r["nhid"]) == ["10.9.0.2", "10.9.0.3"])
        })
        .await;
        let r1 = ours(false, "10.1.0.0/16").expect("ours");
        assert_eq!(r1["metric"], 20);
        assert!(
            nexthop(&r1["nhid"]).is_some_and(|n| n["group"].is_array()),
            "a group: {:?}",
            nexthops()
        );
        let v6 = ours(true, "2001:db8:1::/48").expect("the IPv6 prefix");
        assert_eq!(gateways(&v6["nhid"]), ["::ffff:10.9.0.2"]);
        let conn = ours(false, "192.168.100.0/24").expect("connected copy");
        assert_eq!(
            (&conn["dev"], &conn["scope"]),
            (&"br100".into(), &"link".into())
        );
        for v6 in [false, true] {
            let u = ours(v6, "default").expect("unreachable default");
            assert_eq!(u["type"], "unreachable");
            assert_eq!(u["metric"], 4278198272u64);
        }
        let rules = json("ip -j rule show");
        for iif in ["br100", "br5000"] {
            assert!(
                rules
                    .iter()
                    .any(|r| r["iif"] == iif && r["table"] == "1000" && r["priority"] == 1000),
                "{rules:?}"
            );
        }
        assert_eq!(
            json("ip -j -6 rule show")
                .iter()
                .filter(|r| r["table"] == "1000")
                .count(),
            2
        );
        // The L3VNI's Router's MAC and neighbours (FDB, NOARP entries).
        let fdb = json("bridge -j fdb show dev vx5000");
        assert!(
            fdb.iter()
                .any(|e| e["mac"] == ROUTER_MAC.to_string() && e["dst"] == "10.9.0.2"),
            "{fdb:?}"
        );
        let neigh = json("ip -j neigh show nud all dev br5000");
        for n in ["10.9.0.2", "::ffff:10.9.0.2"] {
            assert!(
                neigh
                    .iter()
                    .any(|e| e["dst"] == n && e["lladdr"] == ROUTER_MAC.to_string()),
                "{neigh:?}"
            );
        }

        // The L3 SVI goes down: the kernel flushes the nexthops on it, the
        // routes using them and its neighbours. Back up, all is rewritten.
        sh("ip link set br5000 down");
        wait_for("the kernel's flush", 5, || nexthops().is_empty()).await;
        sh("ip link set br5000 up");
        wait_for("routes, nexthops and neighbours restored", 10, || {
            let neigh = json("ip -j neigh show nud all dev br5000");
            ours(false, "10.1.0.0/16")
                .is_some_and(|r| gateways(&r["nhid"]) == ["10.9.0.2", "10.9.0.3"])
                && ours(true, "2001:db8:1::/48")
                    .is_some_and(|r| gateways(&r["nhid"]) == ["::ffff:10.9.0.2"])
                && ["10.9.0.2", "::ffff:10.9.0.2"]
                    .iter()
                    .all(|n| neigh.iter().any(|e| e["dst"] == *n))
        })
        .await;

        // A VTEP leaves: a single nexthop; the group and 10.9.0.3's go.
        tx.send(vec![route("10.1.0.0/16", vteps(5000, &["10.9.0.2"]))])
            .await
            .expect("task alive");
        wait_for("10.1.0.0/16 via one nexthop", 5, || {
            ours(false, "10.1.0.0/16")
                .is_some_and(|r| nexthop(&r["nhid"]).is_some_and(|n| n["gateway"] == "10.9.0.2"))
        })
        .await;
        wait_for("the group deleted", 5, || {
            nexthops()
                .iter()
                .all(|n| n["group"].is_null() && n["gateway"] != "10.9.0.3")
        })
        .await;

        // Everything withdrawn: routes, rules and nexthops of ours go; the
        // operator's route stays.
        let mut gone: Vec<DesiredChange> = [
            "10.1.0.0/16",
            "2001:db8:1::/48",
            "192.168.100.0/24",
            "0.0.0.0/0",
            "::/0",
        ]
        .iter()
        .map(|p| DesiredChange::RouteGone {
            table: TABLE,
            prefix: net(p),
        })
        .collect();
        for iif in ["br100", "br5000"] {
            gone.push(DesiredChange::RuleGone {
                table: TABLE,
                iif: iif.into(),
                priority: 1000,
            });
        }
        tx.send(gone).await.expect("task alive");
        wait_for("nothing of ours left", 5, || {
            nexthops().is_empty()
                && json("ip -j rule show")
                    .iter()
                    .all(|r| r["table"] != "1000" || r["priority"] == 2000)
                && ours(false, "10.1.0.0/16").is_none()
                && ours(true, "default").is_none()
        })
        .await;
        let left = json("ip -j route show table 1000");
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0]["gateway"], "10.9.0.254");
        assert_eq!(left[0]["protocol"], "static");
        let rules = json("ip -j rule show");
        assert!(
            rules
                .iter()
                .any(|r| r["priority"] == 2000 && r["iif"] == "br100" && r["table"] == "1000"),
            "the operator's rule stays: {rules:?}"
        );
    });
}

/// `ip monitor`, killed (by its PID) however the test ends.
struct Monitor(Option<std::process::Child>);

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn a_restart_adopts_without_rewriting_and_sweeps_leftovers_after_convergence() {
    in_netns(|| async {
        setup();
        let a = || route("10.1.0.0/16", vteps(5000, &["10.9.0.2", "10.9.0.3"]));
        let b = || route("10.2.0.0/16", vteps(5000, &["10.9.0.4"]));
        let rule = || DesiredChange::Rule {
            table: TABLE,
            iif: "br100".into(),
            priority: 1000,
        };
        {
            let (tx, _events) = start(LinuxConfig::default()).await;
            tx.send(vec![a(), b(), rule(), DesiredChange::Converged])
                .await
                .expect("task alive");
            wait_for("both routes", 5, || {
                ours(false, "10.1.0.0/16").is_some() && ours(false, "10.2.0.0/16").is_some()
            })
            .await;
            // The task stops when the core goes; its entries stay.
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = ours(false, "10.1.0.0/16").expect("left in place")["nhid"].clone();
        let mut monitor = Monitor(Some(
            Command::new("ip")
                .args(["monitor", "route", "nexthop", "rule"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("ip monitor"),
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (tx, _events) = start(LinuxConfig::default()).await;
        tx.send(vec![a(), rule()]).await.expect("task alive");
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(
            ours(false, "10.2.0.0/16").is_some(),
            "a leftover stays until convergence"
        );
        assert_eq!(ours(false, "10.1.0.0/16").expect("adopted")["nhid"], before);
        tx.send(vec![DesiredChange::Converged])
            .await
            .expect("task alive");
        wait_for("the leftover swept", 5, || {
            ours(false, "10.2.0.0/16").is_none()
                && nexthops().iter().all(|n| n["gateway"] != "10.9.0.4")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut child = monitor.0.take().expect("ip monitor");
        child.kill().expect("kill ip monitor");
        let out = child.wait_with_output().expect("ip monitor output");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("10.2.0.0/16"),
            "the monitor saw the sweep: {text}"
        );
        for l in text.lines() {
            assert!(
                !l.contains("10.1.0.0/16") && !l.contains("iif br100"),
                "a re-desired entry was rewritten: {l}\n{text}"
            );
        }
        assert_eq!(ours(false, "10.1.0.0/16").expect("kept")["nhid"], before);
        assert!(json("ip -j rule show").iter().any(|r| r["iif"] == "br100"));
    });
}

#[test]
fn svi_addresses_and_redistributed_table_routes_are_reported() {
    in_netns(|| async {
        setup();
        sh("ip route add 10.60.0.0/16 dev u1 table 1000 proto static");
        let cfg = LinuxConfig {
            redistribute: vec![Redistribute::Table(TABLE)],
            ..LinuxConfig::default()
        };
        let (tx, events) = start(cfg).await;
        let ev = |e: LocalEvent| {
            let events = Arc::clone(&events);
            move || has(&events, &e)
        };
        assert!(has(
            &events,
            &LocalEvent::SviAddr {
                vni: vni(100),
                addr: net("192.168.100.1/24"),
            }
        ));
        assert!(has(
            &events,
            &LocalEvent::TableRoute {
                table: TABLE,
                prefix: net("10.60.0.0/16"),
                protocol: 4,
            }
        ));
        sh("ip addr add 2001:db8:100::1/64 dev br100");
        wait_for(
            "an IPv6 SVI address",
            5,
            ev(LocalEvent::SviAddr {
                vni: vni(100),
                addr: net("2001:db8:100::1/64"),
            }),
        )
        .await;
        sh("ip addr del 192.168.100.1/24 dev br100");
        wait_for(
            "an SVI address gone",
            5,
            ev(LocalEvent::SviAddrGone {
                vni: vni(100),
                addr: net("192.168.100.1/24"),
            }),
        )
        .await;
        // A VNI that appears later: its SVI's addresses come with it.
        sh("ip link add br300 type bridge");
        sh("ip addr add 192.168.30.1/24 dev br300");
        sh("ip link add vx300 type vxlan id 300 local 10.9.0.1 dstport 4789 nolearning");
        sh("ip link set vx300 master br300");
        wait_for(
            "the new VNI's SVI address",
            5,
            ev(LocalEvent::SviAddr {
                vni: vni(300),
                addr: net("192.168.30.1/24"),
            }),
        )
        .await;
        // Routes: the watched table only, never ours.
        tx.send(vec![route("0.0.0.0/0", RouteVia::Unreachable)])
            .await
            .expect("task alive");
        sh("ip route add 10.80.0.0/16 dev u1 table 2000 proto static");
        sh("ip route add 10.70.0.0/16 dev u1 table 1000 proto static");
        wait_for(
            "a route added to the table",
            5,
            ev(LocalEvent::TableRoute {
                table: TABLE,
                prefix: net("10.70.0.0/16"),
                protocol: 4,
            }),
        )
        .await;
        sh("ip route del 10.70.0.0/16 table 1000");
        wait_for(
            "the route gone",
            5,
            ev(LocalEvent::TableRouteGone {
                table: TABLE,
                prefix: net("10.70.0.0/16"),
            }),
        )
        .await;
        assert!(ours(false, "default").is_some(), "our unreachable route");
        // A device going down takes its IPv4 routes without a notification:
        // the watched table is re-read.
        sh("ip link add u2 type veth peer name u2p");
        sh("ip link set u2 up");
        sh("ip link set u2p up");
        sh("ip route add 10.90.0.0/16 dev u2 table 1000 proto static");
        wait_for(
            "a route over u2",
            5,
            ev(LocalEvent::TableRoute {
                table: TABLE,
                prefix: net("10.90.0.0/16"),
                protocol: 4,
            }),
        )
        .await;
        sh("ip link set u2 down");
        wait_for(
            "the route flushed with its device",
            5,
            ev(LocalEvent::TableRouteGone {
                table: TABLE,
                prefix: net("10.90.0.0/16"),
            }),
        )
        .await;
        let evs = events.lock().expect("lock").clone();
        for e in &evs {
            if let LocalEvent::TableRoute { table, prefix, .. } = e {
                assert_eq!(*table, TABLE, "{e:?}");
                assert_ne!(*prefix, net("0.0.0.0/0"), "ours reported: {e:?}");
            }
            if let LocalEvent::SviAddr { addr, .. } = e {
                assert!(
                    !matches!(addr, IpNet::V6(n) if n.addr().is_unicast_link_local()),
                    "{e:?}"
                );
            }
        }
    });
}

/// A route of ours deleted behind evpnd's back is unseen (its echo is
/// filtered) until notifications are lost: then the repair round re-reads
/// the tenant tables and writes it back.
#[test]
fn lost_notifications_re_read_the_tenant_tables() {
    in_netns(|| async {
        setup();
        sh("ip link add a1 type veth peer name a1p");
        sh("ip link set a1 master br100");
        sh("ip link set a1 up");
        sh("ip link set a1p up");
        let cfg = LinuxConfig {
            // A buffer the local MACs below overrun at once.
            notify_buffer: 4096,
            repair_gap: Duration::from_millis(10),
            ..LinuxConfig::default()
        };
        let (tx, _events) = start(cfg).await;
        tx.send(vec![
            route("10.1.0.0/16", vteps(5000, &["10.9.0.2", "10.9.0.3"])),
            DesiredChange::Converged,
        ])
        .await
        .expect("task alive");
        wait_for("the route", 5, || ours(false, "10.1.0.0/16").is_some()).await;
        sh("ip route del 10.1.0.0/16 table 1000 proto 245 metric 20");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            ours(false, "10.1.0.0/16").is_none(),
            "unseen, not rewritten"
        );
        let path = std::env::temp_dir().join(format!("evpnd-l3-{}.batch", std::process::id()));
        let batch: String = (0..2000u16)
            .map(|i| {
                let b = i.to_be_bytes();
                format!(
                    "fdb add 02:00:00:02:{:02x}:{:02x} dev a1 master static\n",
                    b[0], b[1]
                )
            })
            .collect();
        std::fs::write(&path, batch).expect("batch file");
        sh(&format!("bridge -batch {}", path.display()));
        let _ = std::fs::remove_file(&path);
        wait_for("the route rewritten by the repair", 20, || {
            ours(false, "10.1.0.0/16")
                .is_some_and(|r| gateways(&r["nhid"]) == ["10.9.0.2", "10.9.0.3"])
        })
        .await;
    });
}
