//! evpnd ⇄ FRR 8.4 on a multicast-group VNI (issue 12). Both leaves'
//! `vxlan100` flood to the group 239.1.1.100 on one underlay segment
//! (`lab::legacy`: a bridge in the underlay namespace, multicast snooping
//! off); iBGP between them on the segment. FRR then originates no type 3
//! for the VNI and installs no head-end entry for a received PIM-SM PMSI
//! (/work/shared/reference/frr-evpn.md, Type-3 IMET and BUM rows); evpnd
//! advertises its type 3 with the group's PMSI and installs no head-end
//! entry towards a VTEP on its own group. Shown: BUM between the hosts goes
//! through the group both ways (seen on the segment), neither FDB holds a
//! head-end entry, FRR holds evpnd's type 3 as valid, and unicast flows
//! VTEP to VTEP via type 2.

mod lab;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab::legacy::{Bum, GROUP, T, fdb, flood_list, host_ip, segment, vtep_ip, vxlan_vtep};
use lab::{Netns, host_mac, wait_until};
use serde_json::Value;

const EVPND: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.9.0.1\"\nhold_time = 9\n\
    connect_retry = 1\n[[neighbor]]\naddress = \"10.9.0.2\"\nremote_asn = 65000\n";

const FRR: &str = "frr defaults datacenter
hostname frrleaf
log stdout
router bgp 65000
 bgp router-id 10.9.0.2
 no bgp default ipv4-unicast
 neighbor 10.9.0.1 remote-as 65000
 address-family l2vpn evpn
  neighbor 10.9.0.1 activate
  advertise-all-vni
 exit-address-family
";

/// `tcpdump -n -l` on the segment's bridge with `filter`, until stopped.
struct Capture(Option<Child>);

impl Capture {
    fn start(ns: &Netns, filter: &str) -> Capture {
        assert!(
            ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"]
                .iter()
                .any(|p| std::path::Path::new(p).exists()),
            "tcpdump is missing: run `bash interop/setup.sh`"
        );
        let mut args = vec![
            "netns", "exec", &ns.name, "tcpdump", "-i", "seg", "-n", "-l",
        ];
        args.extend(filter.split_whitespace());
        let c = Command::new("ip")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("tcpdump: {e}"));
        // tcpdump needs a moment before it captures.
        std::thread::sleep(Duration::from_secs(1));
        Capture(Some(c))
    }

    fn stop(mut self) -> String {
        let mut c = self.0.take().expect("running");
        std::thread::sleep(Duration::from_millis(300));
        let _ = c.kill();
        let out = c.wait_with_output().expect("tcpdump output");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// FRR's `show bgp l2vpn evpn route type multicast json` as (RD, prefix,
/// path) triples.
fn frr_type3(frr: &Netns) -> Result<Vec<(String, String, Value)>, String> {
    let v = frr.vtysh_json("show bgp l2vpn evpn route type multicast json")?;
    let mut out = Vec::new();
    for (rd, body) in v.as_object().into_iter().flatten() {
        for (prefix, p) in body.as_object().into_iter().flatten() {
            let Some(paths) = p.get("paths").and_then(Value::as_array) else {
                continue;
            };
            for path in paths {
                match path {
                    Value::Array(inner) => inner
                        .iter()
                        .for_each(|x| out.push((rd.clone(), prefix.clone(), x.clone()))),
                    x => out.push((rd.clone(), prefix.clone(), x.clone())),
                }
            }
        }
    }
    Ok(out)
}

/// The `self` entry of `mac` on `ns`'s vxlan100: (dst, extern_learn).
fn vxlan_entry(ns: &Netns, mac: &str) -> Option<(String, bool)> {
    fdb(ns)
        .iter()
        .find(|e| e["mac"] == mac && e["dst"].is_string())
        .map(|e| {
            (
                e["dst"].as_str().unwrap_or_default().to_string(),
                e["flags"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|x| x == "extern_learn")),
            )
        })
}

/// A broadcast ping from host `from` answered by host `to`.
fn broadcast_reaches(seg: &lab::legacy::Segment, from: u8, to: u8) -> Result<(), String> {
    let out = seg
        .host(from)
        .exec(&[
            "ping",
            "-n",
            "-b",
            "-c",
            "2",
            "-i",
            "0.2",
            "-W",
            "1",
            "192.168.100.255",
        ])
        .unwrap_or_else(|e| e);
    if out.contains(&format!("from {}", host_ip(to))) {
        Ok(())
    } else {
        Err(out)
    }
}

#[test]
fn evpnd_and_frr_flood_through_one_group_and_accept_each_other() {
    let mut seg = segment("fm", 2);
    for i in 1..=2 {
        vxlan_vtep(&seg, i, Bum::Group, false);
        // Broadcast pings are answered (the BUM probe).
        seg.host(i)
            .exec(&["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_broadcasts=0"])
            .expect("sysctl");
    }
    // The BGP updates on the segment, decoded (PMSI attribute included).
    let bgp = Capture::start(&seg.underlay, "-vv tcp port 179");
    seg.vtep_mut(2).start_frr(FRR, &vtep_ip(2));
    seg.vtep_mut(1).start_evpnd("evpnd", EVPND);

    // FRR holds evpnd's type 3 for VNI 100, valid; FRR originates none.
    let evpnd_rd = format!("{}:100", vtep_ip(1));
    wait_until("FRR accepts evpnd's type 3", T, || {
        let routes = frr_type3(seg.vtep(2))?;
        let ours = routes
            .iter()
            .find(|(rd, p, _)| *rd == evpnd_rd && p.contains(&vtep_ip(1)))
            .ok_or_else(|| format!("{routes:?}\nevpnd:\n{}", seg.vtep(1).log("evpnd")))?;
        if ours.2["valid"] == true {
            Ok(())
        } else {
            Err(format!("not valid: {}", ours.2))
        }
    });
    // evpnd's type 3 carries the group: PMSI tunnel type 4, PIM-SM tree
    // (RFC 6514 §5), tunnel id <sender = its VTEP, group>.
    let updates = bgp.stop();
    assert!(
        updates.contains("Tunnel-type PIM-SM Tree (4)")
            && updates.contains(&format!("Sender {}, P-Group {GROUP}", vtep_ip(1))),
        "no PIM-SM PMSI with the group in evpnd's updates:\n{updates}"
    );
    let routes = frr_type3(seg.vtep(2)).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        routes.iter().all(|(_, p, _)| !p.contains(&vtep_ip(2))),
        "FRR originated a type 3 for a multicast VNI: {routes:?}"
    );

    // BUM both ways, through the group.
    let cap = Capture::start(
        &seg.underlay,
        &format!("udp port 4789 and dst host {GROUP}"),
    );
    wait_until("a broadcast from host 1 reaches host 2", T, || {
        broadcast_reaches(&seg, 1, 2)
    });
    wait_until("a broadcast from host 2 reaches host 1", T, || {
        broadcast_reaches(&seg, 2, 1)
    });
    let bum = cap.stop();
    for i in 1..=2 {
        assert!(
            bum.contains(&format!("IP {}.", vtep_ip(i))),
            "no VXLAN packet from VTEP {i} to the group on the segment:\n{bum}"
        );
    }
    // Neither installed a head-end entry towards the other.
    for i in 1..=2 {
        assert_eq!(
            flood_list(seg.vtep(i)),
            [GROUP],
            "VTEP {i} holds a head-end entry: {:?}",
            fdb(seg.vtep(i))
        );
    }

    // Unicast via type 2: each kernel holds the other's host behind its VTEP.
    for (on, of, ext) in [(1u8, 2u8, true), (2, 1, true)] {
        wait_until(
            &format!("host {of}'s MAC on VTEP {on}"),
            T,
            || match vxlan_entry(seg.vtep(on), &host_mac(of)) {
                Some((d, e)) if d == vtep_ip(of) && e == ext => Ok(()),
                other => Err(format!(
                    "{other:?}\nevpnd:\n{}\nFRR: {:?}",
                    seg.vtep(1).log("evpnd"),
                    seg.vtep(2).vtysh_json("show evpn mac vni 100 json")
                )),
            },
        );
    }
    let cap = Capture::start(&seg.underlay, "udp port 4789 and not dst host 239.1.1.100");
    for (a, b) in [(1, 2), (2, 1)] {
        seg.host(a)
            .exec(&["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", &host_ip(b)])
            .unwrap_or_else(|e| panic!("host {a} → host {b}: {e}"));
    }
    let unicast = cap.stop();
    for (a, b) in [(1, 2), (2, 1)] {
        assert!(
            unicast.contains(&format!("IP {}.", vtep_ip(a)))
                && unicast.contains(&format!("> {}.4789", vtep_ip(b))),
            "no unicast VXLAN from VTEP {a} to VTEP {b}:\n{unicast}"
        );
    }
    for i in 1..=2 {
        assert_eq!(flood_list(seg.vtep(i)), [GROUP], "VTEP {i} after unicast");
    }
}
