//! Daemon-level session tests in a network namespace: two evpnd that both
//! connect to each other (connection collision), exchange and withdraw
//! routes, survive a peer restart; a wrong AS ends in the right
//! NOTIFICATION; `--check-config` validates without starting.

mod lab;

use std::process::Command;
use std::time::Duration;

use lab::{Netns, sh, wait_until};

const T: Duration = Duration::from_secs(30);

fn evpnd_conf(me: &str, peer: &str, peer_asn: u32, vni_mac: &str) -> String {
    evpnd_conf_with(me, peer, peer_asn, vni_mac, "")
}

/// `extra` is appended to the `[[neighbor]]` table (password, ttl_security...).
fn evpnd_conf_with(me: &str, peer: &str, peer_asn: u32, vni_mac: &str, extra: &str) -> String {
    format!(
        r#"
[bgp]
asn = 65000
router_id = "{me}"
listen = ["{me}:179"]
hold_time = 9
connect_retry = 1

[[neighbor]]
address = "{peer}"
remote_asn = {peer_asn}
update_source = "{me}"
{extra}

[evpn]
vtep_ip = "{me}"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{{ mac = "{vni_mac}" }}]
"#
    )
}

/// A namespace with evpnd `a` (10.0.0.1, expecting its peer in `a_expects`)
/// and `b` (10.0.0.2, AS 65000), each with one MAC, connecting to each other.
fn a_and_b(tag: &str, a_expects: u32) -> Netns {
    let mut ns = Netns::new(tag);
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    ns.start_evpnd(
        "a",
        &evpnd_conf("10.0.0.1", "10.0.0.2", a_expects, "02:00:00:00:00:0a"),
    );
    ns.start_evpnd(
        "b",
        &evpnd_conf("10.0.0.2", "10.0.0.1", 65000, "02:00:00:00:00:0b"),
    );
    ns
}

/// Waits until the log of `label` contains `needle`.
fn wait_log(ns: &Netns, label: &str, what: &str, needle: &str) {
    wait_until(what, T, || {
        let log = ns.log(label);
        if log.contains(needle) {
            Ok(())
        } else {
            Err(log)
        }
    });
}

fn count(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

#[test]
fn two_evpnd_collide_then_exchange_and_withdraw() {
    // Both sides are active: their connections collide; RFC 4271 6.8 keeps one.
    let ns = a_and_b("co", 65000);
    wait_until("b learns a's MAC route", T, || {
        let log = ns.log("b");
        if log.contains("[2]:[0]:[48]:[02:00:00:00:00:0a]") && log.contains("best path changed") {
            Ok(())
        } else {
            Err(log)
        }
    });
    wait_until("a learns b's MAC route and type 3", T, || {
        let log = ns.log("a");
        if log.contains("[2]:[0]:[48]:[02:00:00:00:00:0b]")
            && log.contains("10.0.0.2:100 [3]:[0]:[32]:[10.0.0.2]")
        {
            Ok(())
        } else {
            Err(log)
        }
    });
    // The session stays up: exactly one establishment each, no flapping.
    std::thread::sleep(Duration::from_secs(3));
    let (a, b) = (ns.log("a"), ns.log("b"));
    assert_eq!(count(&a, "session established"), 1, "a:\n{a}");
    assert_eq!(count(&b, "session established"), 1, "b:\n{b}");
    assert_eq!(count(&a, "session down"), 0, "a:\n{a}");

    // b goes away cleanly: a withdraws b's routes (no graceful restart after Cease).
    let pid = ns.pid("b").expect("b pid");
    sh(&["kill", "-TERM", &pid.to_string()]).expect("stop b");
    wait_until("a withdraws b's routes", T, || {
        let log = ns.log("a");
        if log.contains("session down") && count(&log, "route withdrawn") >= 2 {
            Ok(())
        } else {
            Err(log)
        }
    });
}

#[test]
fn wrong_remote_as_is_refused_with_bad_peer_as() {
    // a expects AS 65009 but b is in 65000.
    let ns = a_and_b("as", 65009);
    wait_log(
        &ns,
        "a",
        "a sends OPEN error Bad Peer AS",
        "peer AS is 65000, configured remote_asn is 65009",
    );
    wait_log(
        &ns,
        "b",
        "b receives the NOTIFICATION 2/2",
        "OPEN Message Error / Bad Peer AS (2/2)",
    );
    assert!(!ns.log("a").contains("session established"));
}

#[test]
fn check_config_validates_without_starting() {
    let dir = std::env::temp_dir().join(format!("evpnd-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        evpnd_conf("10.0.0.1", "10.0.0.2", 65000, "02:00:00:00:00:0a"),
    )
    .expect("write");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\nhold_time = 1\n",
    )
    .expect("write");
    let run = |p: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_evpnd"))
            .arg("--check-config")
            .arg("-c")
            .arg(p)
            .output()
            .expect("run")
    };
    let ok = run(&good);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let no = run(&bad);
    assert_eq!(no.status.code(), Some(1));
    let err = String::from_utf8_lossy(&no.stderr);
    assert!(
        err.contains("bad.toml:4:13: hold_time 1 is invalid"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Two evpnd with the given neighbour options on each side; returns the lab.
fn pair(tag: &str, a_extra: &str, b_extra: &str) -> Netns {
    let mut ns = Netns::new(tag);
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    ns.start_evpnd(
        "a",
        &evpnd_conf_with("10.0.0.1", "10.0.0.2", 65000, "02:00:00:00:00:0a", a_extra),
    );
    ns.start_evpnd(
        "b",
        &evpnd_conf_with("10.0.0.2", "10.0.0.1", 65000, "02:00:00:00:00:0b", b_extra),
    );
    ns
}

fn established_within(ns: &Netns, secs: u64) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if ns.log("a").contains("session established") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn tcp_md5_matching_keys_establish_wrong_key_never_does() {
    let ok = pair("m5", "password = \"s3cret\"", "password = \"s3cret\"");
    assert!(
        established_within(&ok, 20),
        "matching MD5 keys must establish:\n{}",
        ok.log("a")
    );
    drop(ok);
    let bad = pair("mx", "password = \"s3cret\"", "password = \"other\"");
    assert!(
        !established_within(&bad, 6),
        "mismatched MD5 keys must not establish:\n{}",
        bad.log("a")
    );
    drop(bad);
    let none = pair("mn", "password = \"s3cret\"", "");
    assert!(
        !established_within(&none, 4),
        "a peer without the key must not establish:\n{}",
        none.log("a")
    );
}

#[test]
fn gtsm_accepts_ttl_255_and_drops_lower() {
    let ok = pair("gt", "ttl_security = 1", "ttl_security = 1");
    assert!(
        established_within(&ok, 20),
        "GTSM on both sides must establish:\n{}",
        ok.log("a")
    );
    drop(ok);
    // b sends with the default iBGP TTL (64): a's IP_MINTTL 255 drops it, and a's
    // own SYNs are answered with TTL 64 too.
    let bad = pair("gx", "ttl_security = 1", "");
    assert!(
        !established_within(&bad, 6),
        "GTSM must drop TTL < 255:\n{}",
        bad.log("a")
    );
}

#[test]
fn sighup_applies_changes_without_resetting_unaffected_sessions() {
    let mut ns = Netns::new("hu");
    for a in ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"] {
        ns.add_lo_addr(a);
    }
    let with_c = |desc: &str| {
        evpnd_conf_with(
            "10.0.0.1",
            "10.0.0.2",
            65000,
            "02:00:00:00:00:0a",
            &format!("description = \"{desc}\""),
        ) + "\n[[neighbor]]\naddress = \"10.0.0.3\"\nremote_asn = 65000\nupdate_source = \"10.0.0.1\"\n"
    };
    ns.start_evpnd(
        "a",
        &evpnd_conf("10.0.0.1", "10.0.0.2", 65000, "02:00:00:00:00:0a"),
    );
    ns.start_evpnd(
        "b",
        &evpnd_conf("10.0.0.2", "10.0.0.1", 65000, "02:00:00:00:00:0b"),
    );
    ns.start_evpnd(
        "c",
        &evpnd_conf("10.0.0.3", "10.0.0.1", 65000, "02:00:00:00:00:0c"),
    );
    wait_until("a-b up", T, || {
        if ns.log("a").contains("session established") {
            Ok(())
        } else {
            Err(ns.log("a"))
        }
    });
    let a_pid = ns.pid("a").expect("pid").to_string();
    let a_conf = ns.dir.join("a.toml");

    // Add neighbour c and change only b's description: c comes up, b is not reset.
    std::fs::write(&a_conf, with_c("leaf b")).expect("rewrite");
    sh(&["kill", "-HUP", &a_pid]).expect("HUP");
    wait_until("c established after reload", T, || {
        let log = ns.log("a");
        if log.contains("reload applied") && log.contains("session established peer=10.0.0.3:179") {
            Ok(())
        } else {
            Err(log)
        }
    });
    wait_log(
        &ns,
        "a",
        "a learns c's MAC",
        "[2]:[0]:[48]:[02:00:00:00:00:0c]",
    );
    assert_eq!(
        count(&ns.log("a"), "session established peer=10.0.0.2:179"),
        1,
        "b must not be reset:\n{}",
        ns.log("a")
    );

    // A broken file is rejected; nothing changes.
    std::fs::write(
        &a_conf,
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\nhold_time = 2\n",
    )
    .expect("rewrite");
    sh(&["kill", "-HUP", &a_pid]).expect("HUP");
    wait_until("broken reload rejected", T, || {
        let log = ns.log("a");
        if log.contains("reload rejected") && log.contains("hold_time 2 is invalid") {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert_eq!(
        count(&ns.log("a"), "session down"),
        0,
        "a rejected reload touches nothing:\n{}",
        ns.log("a")
    );

    // Remove c again: its session stops and its routes are withdrawn; b stays.
    std::fs::write(
        &a_conf,
        evpnd_conf_with(
            "10.0.0.1",
            "10.0.0.2",
            65000,
            "02:00:00:00:00:0a",
            "description = \"leaf b\"",
        ),
    )
    .expect("rewrite");
    sh(&["kill", "-HUP", &a_pid]).expect("HUP");
    wait_until("c removed", T, || {
        let log = ns.log("a");
        if log.contains("neighbor removed from the configuration")
            && log.contains("route withdrawn")
        {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert_eq!(
        count(&ns.log("a"), "session established peer=10.0.0.2:179"),
        1,
        "b still not reset"
    );
}

#[test]
fn graceful_restart_helper_keeps_routes_across_a_crash_and_sweeps_after_the_timer() {
    let mut ns = Netns::new("gr");
    ns.add_lo_addr("10.0.0.1/32");
    ns.add_lo_addr("10.0.0.2/32");
    // b advertises a 3 s restart time, which a honours as helper.
    let b_conf = evpnd_conf("10.0.0.2", "10.0.0.1", 65000, "02:00:00:00:00:0b").replace(
        "connect_retry = 1\n",
        "connect_retry = 1\n\n[bgp.graceful_restart]\nrestart_time = 3\n",
    );
    ns.start_evpnd(
        "a",
        &evpnd_conf("10.0.0.1", "10.0.0.2", 65000, "02:00:00:00:00:0a"),
    );
    ns.start_evpnd("b", &b_conf);
    wait_log(
        &ns,
        "a",
        "a learns b's MAC",
        "[2]:[0]:[48]:[02:00:00:00:00:0b]",
    );
    // b crashes: a keeps its routes as stale instead of withdrawing them.
    ns.kill_9("b");
    wait_log(
        &ns,
        "a",
        "a sees the session drop in helper mode",
        "keep_routes=true",
    );
    assert_eq!(
        count(&ns.log("a"), "route withdrawn"),
        0,
        "routes must survive the crash:\n{}",
        ns.log("a")
    );
    // b comes back within its restart time: it re-sends and ends with End-of-RIB; nothing is withdrawn.
    ns.start_evpnd("b2", &b_conf);
    wait_until("b back with End-of-RIB", T, || {
        let log = ns.log("a");
        if count(&log, "session established") >= 2 && count(&log, "End-of-RIB") >= 2 {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert_eq!(
        count(&ns.log("a"), "route withdrawn"),
        0,
        "re-sent routes are kept:\n{}",
        ns.log("a")
    );
    // b crashes for good: after its 3 s restart time a removes the stale routes.
    ns.kill_9("b2");
    wait_until(
        "stale routes swept when the restart timer expires",
        T,
        || {
            let log = ns.log("a");
            if log.contains("graceful restart timer expired") && count(&log, "route withdrawn") >= 2
            {
                Ok(())
            } else {
                Err(log)
            }
        },
    );
}

/// RFC 4724 §4.2: a restarting peer that comes back without graceful restart
/// (so without the Forwarding State bit for L2VPN/EVPN) kept no forwarding
/// state: its stale routes go the moment the session is up, before any of
/// its new routes, not at its End-of-RIB or when the timer runs out.
#[test]
fn a_peer_back_without_graceful_restart_loses_its_stale_routes_at_once() {
    let mut ns = a_and_b("gn", 65000);
    wait_log(
        &ns,
        "a",
        "a learns b's MAC",
        "[2]:[0]:[48]:[02:00:00:00:00:0b]",
    );
    ns.kill_9("b");
    wait_log(&ns, "a", "a keeps b's routes as stale", "keep_routes=true");
    // b returns without graceful restart, and with another MAC.
    let b2 = evpnd_conf("10.0.0.2", "10.0.0.1", 65000, "02:00:00:00:00:0c").replace(
        "connect_retry = 1\n",
        "connect_retry = 1\n\n[bgp.graceful_restart]\nenabled = false\n",
    );
    ns.start_evpnd("b2", &b2);
    wait_log(
        &ns,
        "a",
        "a learns b2's MAC",
        "[2]:[0]:[48]:[02:00:00:00:00:0c]",
    );
    let whole = ns.log("a");
    // What happened after b's crash.
    let log = &whole[whole.find("keep_routes=true").unwrap_or(0)..];
    let at = |needle: &str| log.find(needle).unwrap_or(usize::MAX);
    let swept = at("stale routes removed");
    assert!(
        swept < at("[2]:[0]:[48]:[02:00:00:00:00:0c]") && swept < at("End-of-RIB peer=10.0.0.2"),
        "the stale routes go as the session comes up, before b2's routes:\n{log}"
    );
    assert!(
        log[swept..].contains("route withdrawn"),
        "b's old MAC is withdrawn:\n{log}"
    );
}
