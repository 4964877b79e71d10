//! The layer-2 gateway (issue 12, VM stage): a legacy switch (a plain
//! VLAN-aware Linux bridge) trunks VLAN 100 to an evpnd border leaf that
//! bridges it with VNI 100 — per-VLAN bridges (`eth0.100` in `br100` beside
//! `vxlan100`), per-VNI device on a VLAN-aware bridge, single VXLAN device
//! (`lab::l2gw`). Hosts on VLAN 100 behind the trunk ping hosts on VNI 100
//! behind an evpnd leaf and an FRR 8.4 leaf. The border leaf learns them on
//! the trunk like any local host and advertises them as type 2; both
//! leaves install them behind the border leaf's VTEP; their MAC+IP reaches
//! the leaves' SVIs, and the leaves' hosts reach the border leaf's. A host
//! on VLAN 200, trunked but mapped to no VNI, stays out of EVPN.
//!
//! The CI machine's kernel has no 802.1Q and no bridge VLAN filtering, so
//! these tests are `#[ignore]`d in the plain `cargo test` run and run in
//! the VM stage of `tests/run.sh` (`interop/vm/tests.txt`); on a kernel
//! without them they fail saying so, they never skip. Needs `evpnctl`
//! built beside evpnd (`cargo build -p evpnctl`).

mod lab;

use std::time::Duration;

use lab::l2gw::{
    Gateway, L2gw, LEGACY, STRAY, bridge_fdb, host_ip, l2gw, learned_on_trunk, move_back_to_switch,
    move_to_evpnd_leaf, ping, remote_neigh, remote_on_border, remote_on_leaf,
};
use lab::{host_mac, wait_until};
use serde_json::Value;

/// TCG is slow: generous, bounded waits.
const T: Duration = Duration::from_secs(150);
const BORDER_VTEP: &str = "10.0.0.1";

/// The MACs evpnd on the border leaf holds for VNI 100 as (MAC, origin,
/// VTEP), from `evpnctl --json macs`.
fn border_macs(l: &L2gw) -> Result<Vec<(String, String, String)>, String> {
    let v = lab::l3::evpnctl_json(&l.border, "evpnd", &["macs"])?;
    let macs = v["macs"].as_array().ok_or(format!("{v}"))?;
    Ok(macs
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (
                format!("{}/{}", m["vni"], s("mac")),
                s("origin"),
                s("vtep_ip"),
            )
        })
        .collect())
}

fn logs(l: &L2gw) -> String {
    format!(
        "border evpnd:\n{}\nleaf 2 evpnd:\n{}",
        l.border.log("evpnd"),
        l.evpnd_leaf.log("evpnd")
    )
}

/// The whole check for one layout: traffic both ways with both leaves,
/// then the kernel and control-plane state that carries it.
fn gateway_bridges_vlan_100_with_vni_100(tag: &str, gateway: Gateway) {
    let l = l2gw(tag, gateway);
    // The VLAN 200 host speaks first (its ARP crosses the trunk tagged 200).
    let _ = l
        .stray
        .exec(&["ping", "-c", "1", "-W", "1", "192.168.200.1"]);

    // Traffic: each VLAN 100 host with each EVPN leaf's host, both ways.
    let (h11, h12) = (&l.legacy[0], &l.legacy[1]);
    let (h2, h3) = (&l.evpn_hosts[0], &l.evpn_hosts[1]);
    wait_until("VLAN 100 host → evpnd leaf's host", T, || {
        ping(h11, &host_ip(2)).map_err(|e| format!("{e}\n{}", logs(&l)))
    });
    wait_until("VLAN 100 host → FRR leaf's host", T, || {
        ping(h12, &host_ip(3)).map_err(|e| format!("{e}\n{}", l.frr_leaf.log("bgpd")))
    });
    for (from, to) in [(h2, 12), (h3, 11), (h11, 3), (h12, 2)] {
        wait_until("EVPN host ↔ VLAN 100 host", T, || {
            ping(from, &host_ip(to))
        });
    }

    // Border leaf, kernel: the VLAN 100 hosts are local, on the trunk port
    // (the sub-interface, or the trunk in VLAN 100), dynamic; the leaves'
    // hosts are remote MACs behind their VTEPs.
    for i in LEGACY {
        wait_until("VLAN 100 host learned on the trunk", T, || {
            learned_on_trunk(&l, &host_mac(i))
        });
    }
    wait_until("leaf hosts remote on the border leaf", T, || {
        remote_on_border(&l, &host_mac(2), "10.0.0.2")?;
        remote_on_border(&l, &host_mac(3), "10.0.0.3")
    });
    // Border leaf, evpnd: the VLAN 100 hosts are local MACs of VNI 100
    // (advertised as type 2), the VLAN 200 host is in no VNI.
    wait_until("evpnd on the border leaf lists the hosts", T, || {
        let macs = border_macs(&l)?;
        let want = |i: u8, origin: &str, vtep: &str| {
            (
                format!("100/{}", host_mac(i)),
                origin.to_string(),
                vtep.to_string(),
            )
        };
        let all = [
            want(11, "local", ""),
            want(12, "local", ""),
            want(2, "remote", "10.0.0.2"),
            want(3, "remote", "10.0.0.3"),
        ];
        all.iter()
            .all(|w| macs.contains(w))
            .then_some(())
            .ok_or(format!("{macs:?}"))
    });
    let stray = host_mac(STRAY);
    if gateway.trunk_port().1.is_some() {
        // VLAN 200 is allowed on the border leaf's trunk port: the bridge
        // learns the VLAN 200 host there, in a VLAN that maps to no VNI.
        wait_until("the VLAN 200 host learned in VLAN 200", T, || {
            let _ = l
                .stray
                .exec(&["ping", "-c", "1", "-W", "1", "192.168.200.1"]);
            let fdb = bridge_fdb(&l.border, "br0");
            fdb.iter()
                .find(|e| e["mac"] == stray.as_str() && e["vlan"] == 200 && e["ifname"] == "eth0")
                .map(|_| ())
                .ok_or(format!("{fdb:?}"))
        });
    }
    let macs = border_macs(&l).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !macs.iter().any(|(m, _, _)| m.ends_with(&stray)),
        "the VLAN 200 host (no VNI) is in evpnd's MAC table: {macs:?}"
    );

    // Both leaves hold the VLAN 100 hosts behind the border leaf's VTEP.
    for i in LEGACY {
        wait_until("VLAN 100 host remote on the evpnd leaf", T, || {
            remote_on_leaf(&l.evpnd_leaf, &host_mac(i), BORDER_VTEP)
        });
        wait_until("VLAN 100 host remote on the FRR leaf", T, || {
            remote_on_leaf(&l.frr_leaf, &host_mac(i), BORDER_VTEP)
        });
    }
    wait_until("FRR lists the VLAN 100 hosts as remote", T, || {
        let v = l.frr_leaf.vtysh_json("show evpn mac vni 100 json")?;
        LEGACY
            .iter()
            .all(|&i| {
                let m = &v["macs"][host_mac(i).as_str()];
                m["type"] == "remote" && m["remoteVtep"] == BORDER_VTEP
            })
            .then_some(())
            .ok_or(v.to_string())
    });
    for leaf in [&l.evpnd_leaf, &l.frr_leaf] {
        let fdb = lab::vlan::fdb(leaf, "vxlan100");
        assert!(
            !fdb.iter().any(|e| e["mac"] == stray.as_str()),
            "{}: the VLAN 200 host crossed into VNI 100: {fdb:?}",
            leaf.name
        );
    }

    // MAC+IP: the border leaf's SVI resolves a VLAN 100 host, the leaves
    // install that neighbour on theirs; the evpnd leaf's SVI resolves its
    // host, and the border leaf installs it on its SVI (ARP suppression).
    wait_until("border leaf's SVI → VLAN 100 host", T, || {
        l.border.exec(&["ping", "-c", "1", "-W", "2", &host_ip(11)])
    });
    for leaf in [&l.evpnd_leaf, &l.frr_leaf] {
        wait_until("VLAN 100 host's MAC+IP on a leaf's SVI", T, || {
            remote_neigh(leaf, "br100", &host_ip(11), &host_mac(11))
        });
    }
    wait_until("leaf 2's SVI → host 2", T, || {
        l.evpnd_leaf
            .exec(&["ping", "-c", "1", "-W", "2", &host_ip(2)])
    });
    wait_until("host 2's MAC+IP on the border leaf's SVI", T, || {
        remote_neigh(&l.border, gateway.svi(), &host_ip(2), &host_mac(2))
    });
    arp_for_host_2_is_answered_by_the_border_leaf(&l);
    let neigh = lab::l3::evpnctl_json(&l.border, "evpnd", &["neigh", "--vni", "100"])
        .unwrap_or_else(|e| panic!("{e}"));
    let local_11 = neigh["neighbors"].as_array().is_some_and(|ns| {
        ns.iter().any(|n: &Value| {
            n["ip"] == host_ip(11).as_str()
                && n["mac"] == host_mac(11).as_str()
                && n["origin"] == "local"
        })
    });
    assert!(
        local_11,
        "the VLAN 100 host's MAC+IP is not local on the border leaf: {neigh}"
    );
    host_moves_from_the_trunk_to_the_evpnd_leaf(&l);
    host_moves_back_to_the_trunk(&l);
}

/// ARP suppression towards the trunk: host 2 stops answering ARP
/// (`arp_ignore` 8); a VLAN 100 host that forgets host 2's MAC still
/// resolves it, because the border leaf's bridge answers from the
/// neighbour evpnd installed on its SVI (the VXLAN port has
/// `neigh_suppress` on). Without that neighbour the request would reach
/// host 2 and stay unanswered.
fn arp_for_host_2_is_answered_by_the_border_leaf(l: &L2gw) {
    let h2 = &l.evpn_hosts[0];
    let h12 = &l.legacy[1];
    let arp_ignore = |v: &str| {
        h2.exec(&[
            "sysctl",
            "-qw",
            &format!("net.ipv4.conf.eth0.arp_ignore={v}"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    };
    arp_ignore("8");
    wait_until("host 2's MAC resolved through the border leaf", T, || {
        h12.exec(&["ip", "neigh", "flush", "dev", "eth0"])?;
        let _ = h12.exec(&["ping", "-c", "1", "-W", "1", &host_ip(2)]);
        let out = h12.exec(&["ip", "-j", "neigh", "show", "dev", "eth0"])?;
        let v: Vec<Value> = serde_json::from_str(&out).map_err(|e| e.to_string())?;
        v.iter()
            .find(|n| {
                n["dst"] == host_ip(2).as_str()
                    && n["lladdr"] == host_mac(2).as_str()
                    && n["state"]
                        .as_array()
                        .is_some_and(|s| !s.iter().any(|x| x == "FAILED" || x == "INCOMPLETE"))
            })
            .map(|_| ())
            .ok_or(out)
    });
    arp_ignore("0");
}

/// A migration step: host 11 is recabled from the legacy switch to leaf 2
/// (same MAC and address). Leaf 2 learns it and advertises it with a
/// higher sequence number (RFC 7432 §15); the border leaf must replace the
/// entry it had learned on the trunk with the remote one behind leaf 2, or
/// the VLAN 100 host's replies, which the switch floods to the trunk, die
/// there. Afterwards host 11 reaches the host that stayed on VLAN 100 and
/// the FRR leaf's host, and every leaf has it behind leaf 2.
fn host_moves_from_the_trunk_to_the_evpnd_leaf(l: &L2gw) {
    let mac = host_mac(11);
    move_to_evpnd_leaf(l, 0);
    let h11 = &l.legacy[0];
    wait_until("moved host → VLAN 100 host", T, || {
        ping(h11, &host_ip(12)).map_err(|e| format!("{e}\n{}", logs(l)))
    });
    wait_until("VLAN 100 host → moved host", T, || {
        ping(&l.legacy[1], &host_ip(11))
    });
    wait_until("moved host → FRR leaf's host", T, || {
        ping(h11, &host_ip(3))
    });
    wait_until(
        "the border leaf has the moved host behind leaf 2",
        T,
        || {
            remote_on_border(l, &mac, "10.0.0.2")?;
            match learned_on_trunk(l, &mac) {
                Ok(()) => Err(format!("{mac} still learned on the trunk")),
                Err(_) => Ok(()),
            }
        },
    );
    wait_until(
        "evpnd on the border leaf: the moved host is remote",
        T,
        || {
            let macs = border_macs(l)?;
            let want = (
                format!("100/{mac}"),
                "remote".to_string(),
                "10.0.0.2".to_string(),
            );
            macs.contains(&want)
                .then_some(())
                .ok_or(format!("{macs:?}"))
        },
    );
    wait_until("the FRR leaf has the moved host behind leaf 2", T, || {
        remote_on_leaf(&l.frr_leaf, &mac, "10.0.0.2")
    });
}

#[test]
#[ignore = "needs 802.1Q and bridge VLAN filtering: runs in the VM stage (bash interop/vm/run.sh)"]
fn per_vlan_bridge_eth0_100_in_br100_beside_vxlan100() {
    gateway_bridges_vlan_100_with_vni_100("gp", Gateway::PerVlan);
}

#[test]
#[ignore = "needs 802.1Q and bridge VLAN filtering: runs in the VM stage (bash interop/vm/run.sh)"]
fn vlan_aware_bridge_trunk_in_vlan_100_beside_a_per_vni_device() {
    gateway_bridges_vlan_100_with_vni_100("ga", Gateway::VlanAware);
}

#[test]
#[ignore = "needs 802.1Q and bridge VLAN filtering: runs in the VM stage (bash interop/vm/run.sh)"]
fn vlan_aware_bridge_trunk_in_vlan_100_beside_the_single_vxlan_device() {
    gateway_bridges_vlan_100_with_vni_100("gs", Gateway::SingleDevice);
}

/// The rollback of that step: host 11 back on the legacy switch. Leaf 2
/// loses its port (and withdraws the MAC); the border leaf's bridge learns
/// it on the trunk again — the kernel takes over the remote entry — and
/// evpnd advertises it as local once more: everyone has it behind the
/// border leaf, and it reaches everyone.
fn host_moves_back_to_the_trunk(l: &L2gw) {
    let mac = host_mac(11);
    move_back_to_switch(l, 0);
    let h11 = &l.legacy[0];
    wait_until("host back on VLAN 100 → evpnd leaf's host", T, || {
        ping(h11, &host_ip(2)).map_err(|e| format!("{e}\n{}", logs(l)))
    });
    for (from, to) in [(h11, 3), (&l.legacy[1], 11), (&l.evpn_hosts[0], 11)] {
        wait_until("host back on VLAN 100 ↔ everyone", T, || {
            ping(from, &host_ip(to))
        });
    }
    wait_until("the border leaf learned it on the trunk again", T, || {
        learned_on_trunk(l, &mac)
    });
    wait_until("evpnd on the border leaf: local again", T, || {
        let macs = border_macs(l)?;
        let want = (format!("100/{mac}"), "local".to_string(), String::new());
        macs.contains(&want)
            .then_some(())
            .ok_or(format!("{macs:?}"))
    });
    for leaf in [&l.evpnd_leaf, &l.frr_leaf] {
        wait_until("the leaves have it behind the border leaf again", T, || {
            remote_on_leaf(leaf, &mac, BORDER_VTEP)
        });
    }
}
