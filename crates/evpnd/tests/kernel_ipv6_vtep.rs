//! Kernel test: IPv6 VTEPs over an IPv6 underlay. An evpnd route reflector
//! and two evpnd leaves in their own namespaces, linked by IPv6-only veths;
//! the BGP sessions run over IPv6 too. Each leaf's `vxlan100` has an IPv6
//! `local` (leaf 1 also sets `[evpn] vtep_ip`, leaf 2 takes the device's).
//! The hosts ping across VNI 100 because evpnd programs the remote MACs and
//! the flood list with IPv6 destinations. A VXLAN device of the other
//! family than `vtep_ip` is refused with a warning, never programmed.
//! Needs `evpnctl` built beside evpnd (`cargo build -p evpnctl`).

mod lab;

use std::time::Duration;

use lab::fabric::{fdb, has_flag, ping};
use lab::{Netns, host_mac, sh, vtep_at, wait_until};

/// Leaf `i`'s VTEP address.
fn vtep6(i: u8) -> String {
    format!("2001:db8::{i}")
}

/// Leaf `i`'s end of its underlay link (the reflector's is `::2`).
fn uplink6(i: u8) -> String {
    format!("2001:db8:0:{i}::1")
}

fn rr_side6(i: u8) -> String {
    format!("2001:db8:0:{i}::2")
}

/// Leaf 1 states its VTEP; leaf 2 leaves it to the VXLAN device's `local`.
/// A short connect retry: after a kill -9 the reflector refuses the new
/// connection until its hold timer ends the old session.
fn leaf_conf(i: u8) -> String {
    let vtep_ip = if i == 1 {
        format!("[evpn]\nvtep_ip = \"{}\"\n", vtep6(i))
    } else {
        String::new()
    };
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.{i}\"\nhold_time = 9\nconnect_retry = 1\n\
         [[neighbor]]\naddress = \"{}\"\nremote_asn = 65000\n{vtep_ip}",
        rr_side6(i)
    )
}

fn rr_conf() -> String {
    let mut c =
        String::from("[bgp]\nasn = 65000\nrouter_id = \"10.0.0.254\"\nlisten = [\"[::]:179\"]\n");
    for i in 1..=2u8 {
        c += &format!(
            "[[neighbor]]\naddress = \"{}\"\nremote_asn = 65000\nroute_reflector_client = true\n",
            uplink6(i)
        );
    }
    c + "[evpn]\nlearn_from_kernel = false\n"
}

/// An IPv6-only veth pair (no duplicate address detection: usable at once).
fn link6(a: &Netns, a_if: &str, a_addr: &str, b: &Netns, b_if: &str, b_addr: &str) {
    sh(&[
        "ip", "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ])
    .expect("veth pair");
    for (ns, ifn, addr) in [(a, a_if, a_addr), (b, b_if, b_addr)] {
        ns.exec(&["ip", "-6", "addr", "add", addr, "dev", ifn, "nodad"])
            .expect("veth address");
        ns.exec(&["ip", "link", "set", ifn, "up"]).expect("veth up");
    }
}

struct Fabric6 {
    // Dropped last: the leaves' daemons go before the reflector's.
    leaves: Vec<Netns>,
    hosts: Vec<Netns>,
    _rr: Netns,
}

fn fabric6(tag: &str) -> Fabric6 {
    let mut rr = Netns::new(&format!("{tag}r"));
    rr.exec(&["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
        .expect("forwarding");
    let mut leaves = Vec::new();
    let mut hosts = Vec::new();
    for i in 1..=2u8 {
        let l = Netns::new(&format!("{tag}l{i}"));
        let h = Netns::new(&format!("{tag}h{i}"));
        link6(
            &l,
            "u0",
            &format!("{}/64", uplink6(i)),
            &rr,
            &format!("d{i}"),
            &format!("{}/64", rr_side6(i)),
        );
        rr.exec(&[
            "ip",
            "-6",
            "route",
            "add",
            &format!("{}/128", vtep6(i)),
            "via",
            &uplink6(i),
        ])
        .expect("rr route");
        vtep_at(&l, &h, i, &vtep6(i));
        l.exec(&[
            "ip",
            "-6",
            "route",
            "add",
            "2001:db8::/64",
            "via",
            &rr_side6(i),
        ])
        .expect("underlay route");
        leaves.push(l);
        hosts.push(h);
    }
    rr.start_evpnd("evpnd", &rr_conf());
    for (i, l) in leaves.iter_mut().enumerate() {
        l.start_evpnd("evpnd", &leaf_conf(i as u8 + 1));
    }
    Fabric6 {
        leaves,
        hosts,
        _rr: rr,
    }
}

fn flood_list(ns: &Netns) -> Vec<String> {
    fdb(ns)
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect()
}

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

#[test]
fn hosts_ping_across_ipv6_vteps_over_an_ipv6_underlay() {
    let mut f = fabric6("k6");
    let (l1, l2) = (&f.leaves[0], &f.leaves[1]);
    // Type 3 with IPv6 PMSI endpoints → flood entries with IPv6 dst.
    wait_until("IPv6 flood lists", Duration::from_secs(30), || {
        match (flood_list(l1), flood_list(l2)) {
            (a, b) if a == [vtep6(2)] && b == [vtep6(1)] => Ok(()),
            other => Err(format!("{other:?}\nleaf1 log:\n{}", l1.log("evpnd"))),
        }
    });
    wait_until("ping h1 → h2", Duration::from_secs(20), || {
        ping(&f.hosts[0], "192.168.100.2")
    });
    // Type 2 with IPv6 next hops → remote MACs with IPv6 dst.
    for (ns, mac, dst) in [(l1, host_mac(2), vtep6(2)), (l2, host_mac(1), vtep6(1))] {
        wait_until(
            &format!("{mac} via {dst} in {}", ns.name),
            Duration::from_secs(20),
            || match vxlan_entry(ns, &mac) {
                Some((d, true)) if d == dst => Ok(()),
                other => Err(format!("{other:?}; log:\n{}", ns.log("evpnd"))),
            },
        );
    }
    ping(&f.hosts[1], "192.168.100.1").expect("h2 → h1");
    api_shows_ipv6_vteps(l1);
    evpnctl_shows_ipv6_vteps(l1);
    a_device_of_the_other_family_is_refused(l1);
    ipv6_entries_survive_a_restart(&mut f.leaves[1]);
    ping(&f.hosts[1], "192.168.100.1").expect("h2 → h1 after the restart");
}

/// kill -9 leaf 2's evpnd and start it again on the same flood ledger: its
/// IPv6 flood entry and remote MAC are adopted (the ledger reads IPv6
/// keys), neither swept nor duplicated.
fn ipv6_entries_survive_a_restart(l2: &mut Netns) {
    let ledger = l2.dir.join("evpnd.flood");
    let recorded = std::fs::read_to_string(&ledger).unwrap_or_default();
    assert!(
        recorded.contains(&format!("100 {}", vtep6(1))),
        "the flood ledger records the IPv6 entry: {recorded:?}"
    );
    let pid = l2.pid("evpnd").expect("evpnd pid");
    sh(&["kill", "-9", &pid.to_string()]).expect("kill -9");
    std::thread::sleep(Duration::from_millis(300));
    let conf = format!(
        "{}[evpn]\nflood_state_file = \"{}\"\n",
        leaf_conf(2),
        ledger.display()
    );
    l2.start_evpnd("evpnd2", &conf);
    // Back: the kernel dumped, the session up again.
    wait_until("leaf 2 back", Duration::from_secs(45), || {
        let log = l2.log("evpnd2");
        if log.contains("kernel state learned") && log.contains("session established") {
            Ok(())
        } else {
            Err(log)
        }
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(flood_list(l2), [vtep6(1)], "{}", l2.log("evpnd2"));
    assert_eq!(
        vxlan_entry(l2, &host_mac(1)),
        Some((vtep6(1), true)),
        "{}",
        l2.log("evpnd2")
    );
}

/// Leaf 1's API: VNI 100 with our IPv6 VTEP, the flood list and the remote
/// MAC with leaf 2's.
fn api_shows_ipv6_vteps(l1: &Netns) {
    use evpnd_api::pb;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(l1.api_socket("evpnd"))
            .await
            .expect("API socket");
        let mut evpn = pb::evpn_service_client::EvpnServiceClient::new(ch);
        let vnis = evpn
            .list_vnis(pb::ListVnisRequest { vni: None })
            .await
            .expect("vnis")
            .into_inner()
            .vnis;
        assert_eq!(vnis.len(), 1, "{vnis:?}");
        assert_eq!(vnis[0].vtep_ip, vtep6(1));
        assert_eq!(vnis[0].flood_list, [vtep6(2)]);
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
        assert_eq!(remote.vtep_ip, vtep6(2));
    });
}

/// `evpnctl --json vnis` on leaf 1: VNI 100 with both IPv6 VTEPs.
fn evpnctl_shows_ipv6_vteps(l1: &Netns) {
    let v = lab::l3::evpnctl_json(l1, "evpnd", &["vnis"]).unwrap_or_else(|e| panic!("{e}"));
    let list = v.as_array().or_else(|| v["vnis"].as_array());
    let vni100 = list
        .and_then(|l| l.iter().find(|x| x["vni"] == 100))
        .unwrap_or_else(|| panic!("no VNI 100 in {v}"));
    assert_eq!(vni100["vtep_ip"], vtep6(1).as_str(), "{v}");
    assert_eq!(vni100["flood_list"], serde_json::json!([vtep6(2)]), "{v}");
}

/// Leaf 1 (`vtep_ip` IPv6) gets a VXLAN device with an IPv4 `local`: a
/// warning names both addresses; the VNI gets no instance and no type 3.
fn a_device_of_the_other_family_is_refused(l1: &Netns) {
    let x = |args: &[&str]| l1.exec(args).unwrap_or_else(|e| panic!("{e}"));
    x(&["ip", "addr", "add", "10.0.0.1/32", "dev", "lo"]);
    x(&["ip", "link", "add", "br200", "type", "bridge"]);
    x(&[
        "ip",
        "link",
        "add",
        "vxlan200",
        "type",
        "vxlan",
        "id",
        "200",
        "local",
        "10.0.0.1",
        "dstport",
        "4789",
        "nolearning",
    ]);
    x(&["ip", "link", "set", "vxlan200", "master", "br200"]);
    x(&["ip", "link", "set", "br200", "up"]);
    x(&["ip", "link", "set", "vxlan200", "up"]);
    let expected = "the VXLAN device's local 10.0.0.1 is IPv4 but [evpn] vtep_ip 2001:db8::1 is IPv6: the VNI is not programmed";
    wait_until("the family warning", Duration::from_secs(10), || {
        let log = l1.log("evpnd");
        if log.contains(expected) {
            Ok(())
        } else {
            Err(log)
        }
    });
    let vnis: Vec<u32> = lab::api_vnis(l1, "evpnd")
        .into_iter()
        .map(|(v, ..)| v)
        .collect();
    assert_eq!(vnis, [100], "VNI 200 must not be an EVPN instance");
}
