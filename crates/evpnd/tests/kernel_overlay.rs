//! Kernel tests: evpnd as a real VTEP. Two leaves and a route reflector in
//! their own namespaces, each leaf with a bridge `br100`, a VXLAN device
//! `vxlan100` (nolearning, neigh_suppress) and a host namespace behind an
//! access port. Nothing static is configured: hosts ping across the overlay
//! because evpnd programs the remote MACs, the flood list and the SVI
//! neighbours from BGP.

mod lab;

use std::time::Duration;

use lab::fabric::{Fabric, fabric, fdb, has_flag, leaf_conf, ping};
use lab::{Netns, host_mac, wait_until};
use serde_json::Value;

/// The VXLAN (`self`) entry for `mac`: (dst, extern_learn).
fn vxlan_entry(ns: &Netns, mac: &str) -> Option<(String, bool)> {
    fdb(ns)
        .iter()
        .find(|e| e["mac"] == mac && has_flag(e, "self"))
        .map(|e| {
            (
                e["dst"].as_str().unwrap_or("").to_string(),
                has_flag(e, "extern_learn"),
            )
        })
}

fn flood_list(ns: &Netns) -> Vec<String> {
    fdb(ns)
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect()
}

/// Rewrites the config of the evpnd started as `label` and reloads it (SIGHUP).
fn reconfigure(ns: &Netns, label: &str, edit: impl Fn(&str) -> String) {
    let path = ns.dir.join(format!("{label}.toml"));
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(&path, edit(&text)).expect("rewrite config");
    let pid = ns.pid(label).expect("pid");
    lab::sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
}

/// Waits for the remote MAC `mac` behind `dst`: extern_learn, or sticky (a
/// remote sticky MAC is installed with NTF_STICKY instead, as FRR does).
fn wait_fdb(ns: &Netns, mac: &str, dst: &str) {
    wait_until(
        &format!("{mac} via {dst} in {}", ns.name),
        Duration::from_secs(20),
        || {
            let sticky = fdb(ns)
                .iter()
                .any(|e| e["mac"] == mac && has_flag(e, "sticky"));
            match vxlan_entry(ns, mac) {
                Some((d, el)) if d == dst && (el || sticky) => Ok(()),
                other => Err(format!("{other:?}; log:\n{}", ns.log("evpnd"))),
            }
        },
    );
}

#[test]
fn hosts_ping_across_the_overlay_with_nothing_static() {
    let f = fabric("ko");
    let (l1, l2) = (&f.leaves[0], &f.leaves[1]);
    // Type 3 → one flood entry per remote VTEP.
    wait_until("flood lists", Duration::from_secs(30), || {
        match (flood_list(l1), flood_list(l2)) {
            (a, b) if a == ["10.0.0.2"] && b == ["10.0.0.1"] => Ok(()),
            other => Err(format!("{other:?}\nleaf1 log:\n{}", l1.log("evpnd"))),
        }
    });
    // ARP goes through the flood list; the hosts' MACs are learned locally,
    // advertised, and installed on the other leaf.
    wait_until("ping h1 → h2", Duration::from_secs(20), || {
        ping(&f.hosts[0], "192.168.100.2")
    });
    wait_fdb(l1, &host_mac(2), "10.0.0.2");
    wait_fdb(l2, &host_mac(1), "10.0.0.1");
    // The bridge side of the same entry points at the VXLAN port.
    let bridge_side = fdb(l1)
        .into_iter()
        .find(|e| e["mac"] == host_mac(2).as_str() && e["master"] == "br100");
    assert!(bridge_side.is_some_and(|e| has_flag(&e, "extern_learn")));
    // MAC+IP: a neighbour on the SVI is advertised and becomes a remote
    // neighbour (what ARP suppression answers from) on the other leaf.
    l2.exec(&["ping", "-c", "1", "-W", "1", "192.168.100.2"])
        .expect("svi → host");
    wait_until(
        "remote neighbour on leaf1's SVI",
        Duration::from_secs(20),
        || {
            let out = l1.exec(&["ip", "-j", "neigh", "show", "dev", "br100"])?;
            let v: Vec<Value> = serde_json::from_str(&out).map_err(|e| e.to_string())?;
            v.iter()
                .find(|n| {
                    n["dst"] == "192.168.100.2"
                        && n["lladdr"] == host_mac(2).as_str()
                        && n.get("extern_learn").is_some()
                })
                .map(|_| ())
                .ok_or(out)
        },
    );
    // Bridge port changes (as when a port starts forwarding after the
    // forward delay) come as AF_BRIDGE link messages: the VNI must stay.
    for port in ["vxlan100", "acc"] {
        l1.exec(&["bridge", "link", "set", "dev", port, "cost", "7"])
            .expect("port cost");
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        flood_list(l2),
        ["10.0.0.1"],
        "leaf1's type 3 must survive a port change"
    );
    // The same state through the management API of leaf 1.
    api_view_of_leaf1(l1);
    drop(f.rr);
}

/// VNIs, MACs and the dataplane as leaf 1's API reports them.
fn api_view_of_leaf1(l1: &Netns) {
    use evpnd_api::pb;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(l1.api_socket("evpnd"))
            .await
            .expect("API socket");
        let mut evpn = pb::evpn_service_client::EvpnServiceClient::new(ch.clone());
        let vnis = evpn
            .list_vnis(pb::ListVnisRequest { vni: None })
            .await
            .expect("vnis")
            .into_inner()
            .vnis;
        assert_eq!(vnis.len(), 1);
        assert_eq!(
            (vnis[0].vni, vnis[0].vxlan_device.as_str()),
            (100, "vxlan100")
        );
        assert_eq!(vnis[0].flood_list, ["10.0.0.2"]);
        let macs = evpn
            .list_macs(pb::ListMacsRequest {
                vni: Some(100),
                ..Default::default()
            })
            .await
            .expect("macs")
            .into_inner()
            .macs;
        let remote = macs
            .iter()
            .find(|m| m.mac == host_mac(2))
            .expect("host 2's MAC");
        assert_eq!(remote.origin, pb::EntryOrigin::Remote as i32);
        assert_eq!(remote.vtep_ip, "10.0.0.2");
        let local = macs
            .iter()
            .find(|m| m.mac == host_mac(1))
            .expect("host 1's MAC");
        assert_eq!(local.origin, pb::EntryOrigin::Local as i32);
        let mut dp = pb::dataplane_service_client::DataplaneServiceClient::new(ch);
        // The linux task publishes its status once a second.
        let mut last = None;
        for _ in 0..20 {
            let v = dp
                .get_dataplane(pb::GetDataplaneRequest { vni: Some(100) })
                .await
                .expect("dataplane")
                .into_inner()
                .vnis;
            if v.first().is_some_and(|v| {
                !v.drift && v.programmed.is_some_and(|p| p.fdb >= 1 && p.flood == 1)
            }) {
                return;
            }
            last = Some(v);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("dataplane never in sync: {last:?}");
    });
}

#[test]
fn restart_keeps_forwarding_sweeps_the_stale_and_spares_the_operator() {
    let mut f = fabric("kr");
    wait_until("ping h1 → h2", Duration::from_secs(30), || {
        ping(&f.hosts[0], "192.168.100.2")
    });
    wait_fdb(&f.leaves[0], &host_mac(2), "10.0.0.2");
    // A static (sticky) MAC on leaf2's access port: advertised, installed on leaf1.
    let gone_mac = "02:00:00:00:01:33";
    f.leaves[1]
        .exec(&[
            "bridge", "fdb", "add", gone_mac, "dev", "acc", "master", "static",
        ])
        .expect("static mac on leaf2");
    wait_fdb(&f.leaves[0], gone_mac, "10.0.0.2");
    // A third VTEP (the reflector, with VNI 100 configured) that will be
    // gone by the time leaf1 is back: its flood entry on leaf1 is stale then.
    reconfigure(&f.rr, "evpnd", |c| format!("{c}[[evpn.vni]]\nvni = 100\n"));
    wait_until(
        "flood entry to the reflector's VTEP",
        Duration::from_secs(20),
        || {
            let l = flood_list(&f.leaves[0]);
            if l.iter().any(|d| d == "10.0.0.254") {
                Ok(())
            } else {
                Err(format!("{l:?}"))
            }
        },
    );
    // The operator's own flood entry (BUM to a VTEP evpnd knows nothing of).
    f.leaves[0]
        .exec(&[
            "bridge",
            "fdb",
            "append",
            "00:00:00:00:00:00",
            "dev",
            "vxlan100",
            "dst",
            "10.0.0.8",
            "self",
            "permanent",
        ])
        .expect("operator flood entry");
    // A neighbour zebra installed on the SVI (FRR's protocol): never ours.
    f.leaves[0]
        .exec(&[
            "ip",
            "neigh",
            "add",
            "192.168.100.77",
            "lladdr",
            "02:00:00:00:09:77",
            "dev",
            "br100",
            "nud",
            "noarp",
            "extern_learn",
            "protocol",
            "zebra",
        ])
        .expect("zebra's neighbour");
    // The operator's own static entry on leaf1's VXLAN device.
    f.leaves[0]
        .exec(&[
            "bridge",
            "fdb",
            "add",
            "02:00:00:00:09:09",
            "dev",
            "vxlan100",
            "dst",
            "10.0.0.9",
            "self",
            "static",
        ])
        .expect("operator entry");
    // kill -9 leaf1's evpnd during a continuous ping, then start it again.
    let h1 = f.hosts[0].name.clone();
    let ping_thread = std::thread::spawn(move || {
        lab::sh(&[
            "ip",
            "netns",
            "exec",
            &h1,
            "ping",
            "-c",
            "50",
            "-i",
            "0.1",
            "-W",
            "1",
            "192.168.100.2",
        ])
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = f.leaves[0].pid("evpnd").expect("evpnd pid");
    lab::sh(&["kill", "-9", &pid.to_string()]).expect("kill -9");
    // While it is down the static MAC leaves leaf2: withdrawn, so leaf1's
    // entry for it is a leftover that nobody re-confirms.
    f.leaves[1]
        .exec(&["bridge", "fdb", "del", gone_mac, "dev", "acc", "master"])
        .expect("remove static mac");
    reconfigure(&f.rr, "evpnd", |c| {
        c.replace("[[evpn.vni]]\nvni = 100\n", "")
    });
    std::thread::sleep(Duration::from_millis(500));
    // The same flood ledger as the first run (its default path, from its API socket).
    let ledger = f.leaves[0].dir.join("evpnd.flood");
    assert!(
        std::fs::read_to_string(&ledger).is_ok_and(|t| t.contains("100 10.0.0.254")),
        "the first run recorded its flood entries in {}",
        ledger.display()
    );
    let conf = format!(
        "{}[evpn]\nflood_state_file = \"{}\"\n",
        leaf_conf(1),
        ledger.display()
    );
    f.leaves[0].start_evpnd("evpnd2", &conf);
    let out = ping_thread
        .join()
        .expect("ping thread")
        .unwrap_or_else(|e| e);
    // 50 pings 100 ms apart across kill -9 + restart: none may be lost.
    // (One was, in some runs, while End-of-RIB went out before the kernel's
    // MACs were re-advertised and the reflector swept them meanwhile.)
    let received = out
        .lines()
        .find_map(|l| {
            l.split(" received")
                .next()?
                .rsplit(", ")
                .next()?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    assert!(received >= 50, "traffic interrupted by the restart:\n{out}");
    // Once BGP has converged the leftover goes, the rest stays.
    wait_until(
        "stale MAC swept on leaf1",
        Duration::from_secs(40),
        || match vxlan_entry(&f.leaves[0], gone_mac) {
            None => Ok(()),
            Some(e) => Err(format!("{e:?}\n{}", f.leaves[0].log("evpnd2"))),
        },
    );
    wait_fdb(&f.leaves[0], &host_mac(2), "10.0.0.2");
    // The stale flood entry goes too (the ledger named it ours); the
    // operator's stays, and the live one is not duplicated.
    wait_until(
        "stale flood entry swept on leaf1",
        Duration::from_secs(20),
        || {
            let mut l = flood_list(&f.leaves[0]);
            l.sort();
            if l == ["10.0.0.2", "10.0.0.8"] {
                Ok(())
            } else {
                Err(format!("{l:?}"))
            }
        },
    );
    assert_eq!(
        vxlan_entry(&f.leaves[0], "02:00:00:00:09:09"),
        Some(("10.0.0.9".to_string(), false)),
        "the operator's static entry is untouched"
    );
    let neigh = f.leaves[0]
        .exec(&[
            "ip",
            "-j",
            "neigh",
            "show",
            "dev",
            "br100",
            "192.168.100.77",
        ])
        .expect("ip neigh");
    assert!(
        neigh.contains("\"protocol\":\"zebra\""),
        "zebra's neighbour is untouched: {neigh}"
    );
    ping(&f.hosts[0], "192.168.100.2").expect("ping after the restart");
}

/// Host 3 has one leg on each leaf with the same MAC (no IP, no ARP, no
/// IPv6: it only speaks when told), like a VM that migrates: it announces
/// itself on the new leg while the old leaf still has it as local.
fn dual_homed_host(f: &Fabric, h3: &Netns) {
    for k in ["all", "default"] {
        h3.exec(&[
            "sysctl",
            "-qw",
            &format!("net.ipv6.conf.{k}.disable_ipv6=1"),
        ])
        .expect("no ipv6");
    }
    for (i, leaf) in f.leaves.iter().enumerate() {
        let (port, leg) = (format!("m{i}"), format!("eth{i}"));
        lab::sh(&[
            "ip", "link", "add", &port, "netns", &leaf.name, "type", "veth", "peer", "name", &leg,
            "netns", &h3.name,
        ])
        .expect("veth to host 3");
        leaf.exec(&["ip", "link", "set", &port, "master", "br100"])
            .expect("bridge port");
        leaf.exec(&["ip", "link", "set", &port, "up"])
            .expect("port up");
        h3.exec(&[
            "ip", "link", "set", &leg, "address", MOVER, "arp", "off", "up",
        ])
        .expect("leg up");
    }
}

const MOVER: &str = "02:00:00:00:01:03";

/// Host 3 announces itself out of its leg on leaf `to` (0 or 1): one
/// broadcast frame with its MAC as source, as a migrated VM does.
fn move_host(h3: &Netns, to: usize) {
    let script = format!(
        "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); \
         s.bind(('eth{to}', 0)); \
         s.send(b'\\xff' * 6 + bytes.fromhex('{}') + b'\\x88\\xb5' + bytes(46))",
        MOVER.replace(':', "")
    );
    h3.exec(&["python3", "-c", &script])
        .expect("announce host 3");
}

/// Host 3 is local on leaf `to` (its port `m{to}`) and remote on the other
/// leaf (bridge entry on the VXLAN port, VXLAN entry towards leaf `to`).
fn wait_moved(f: &Fabric, to: usize) {
    let vtep = format!("10.0.0.{}", to + 1);
    wait_until(
        &format!("host 3 behind leaf {}", to + 1),
        Duration::from_secs(20),
        || {
            let here = f.leaves[to].exec(&["bridge", "-j", "fdb", "show", "br", "br100"])?;
            let there = f.leaves[1 - to].exec(&["bridge", "-j", "fdb", "show", "br", "br100"])?;
            let here: Vec<Value> = serde_json::from_str(&here).map_err(|e| e.to_string())?;
            let there: Vec<Value> = serde_json::from_str(&there).map_err(|e| e.to_string())?;
            let local = here
                .iter()
                .any(|e| e["mac"] == MOVER && e["ifname"] == format!("m{to}").as_str());
            let bridged = there
                .iter()
                .any(|e| e["mac"] == MOVER && e["ifname"] == "vxlan100" && e["master"] == "br100");
            let tunnel = vxlan_entry(&f.leaves[1 - to], MOVER).is_some_and(|(d, _)| d == vtep);
            (local && bridged && tunnel)
                .then_some(())
                .ok_or(format!("local {local} bridged {bridged} tunnel {tunnel}"))
        },
    );
}

#[test]
fn a_moving_mac_bumps_the_sequence_moves_everywhere_and_trips_duplicate_detection() {
    let f = fabric("km");
    let h3 = Netns::new("kmh3");
    dual_homed_host(&f, &h3);
    move_host(&h3, 1);
    wait_moved(&f, 1);
    // The host moves to leaf 1 while leaf 2 still has it as local: leaf 1
    // advertises sequence 1 and leaf 2 replaces its entry by the remote one.
    move_host(&h3, 0);
    wait_moved(&f, 0);
    wait_until("sequence 1 seen by leaf 2", Duration::from_secs(10), || {
        let log = f.leaves[1].log("evpnd");
        log.lines()
            .any(|l| l.contains("best path changed") && l.contains(MOVER) && l.contains("seq=1"))
            .then_some(())
            .ok_or("no route with seq=1".to_string())
    });
    // Back and forth within the window: the fifth move marks it duplicate.
    for to in [1, 0, 1, 0] {
        move_host(&h3, to);
        wait_moved(&f, to);
    }
    wait_until("duplicate detection", Duration::from_secs(10), || {
        let logs = f.leaves[0].log("evpnd") + &f.leaves[1].log("evpnd");
        logs.contains("duplicate MAC detected")
            .then_some(())
            .ok_or("not detected".to_string())
    });
}

/// Attaches host `hm` (192.168.100.3, MAC [`MOVER`]) to `leaf` by a new
/// veth pair: the leaf's port `mv`, the host's `eth0`.
fn attach(leaf: &Netns, hm: &Netns) {
    lab::sh(&[
        "ip", "link", "add", "mv", "netns", &leaf.name, "type", "veth", "peer", "name", "eth0",
        "netns", &hm.name,
    ])
    .expect("veth to the moving host");
    leaf.exec(&["ip", "link", "set", "mv", "master", "br100"])
        .expect("bridge port");
    leaf.exec(&["ip", "link", "set", "mv", "up"])
        .expect("port up");
    for args in [
        vec!["ip", "link", "set", "eth0", "address", MOVER],
        vec!["ip", "addr", "add", "192.168.100.3/24", "dev", "eth0"],
        vec!["ip", "link", "set", "eth0", "up"],
    ] {
        hm.exec(&args).expect("host leg");
    }
}

/// A host re-attached from leaf 2 to leaf 1 (its namespace's link moved, as
/// when a VM migrates): pings across the overlay resume from the new leaf,
/// and both leaves replace their entry for it (local ↔ remote).
#[test]
fn a_re_attached_host_is_reachable_again_across_the_overlay() {
    let f = fabric("ka");
    let hm = Netns::new("kahm");
    attach(&f.leaves[1], &hm);
    // From leaf 2 to host 1 behind leaf 1.
    wait_until(
        "ping hm → h1 from leaf 2",
        Duration::from_secs(30),
        || ping(&hm, "192.168.100.1"),
    );
    wait_fdb(&f.leaves[0], MOVER, "10.0.0.2");
    // Re-attach: the link on leaf 2 goes, a new one on leaf 1 comes.
    f.leaves[1]
        .exec(&["ip", "link", "del", "mv"])
        .expect("detach from leaf 2");
    attach(&f.leaves[0], &hm);
    // Now to host 2 behind leaf 2: leaf 2 must point the MAC at leaf 1.
    wait_until(
        "ping hm → h2 from leaf 1",
        Duration::from_secs(30),
        || ping(&hm, "192.168.100.2"),
    );
    wait_fdb(&f.leaves[1], MOVER, "10.0.0.1");
    assert_eq!(
        vxlan_entry(&f.leaves[0], MOVER),
        None,
        "leaf 1 has the host as local: no VXLAN entry left for it"
    );
}
