//! Kernel tests of `[[evpn.vni]]` device pins (`vxlan_device`, `bridge`,
//! `svi`): a pinned VNI is served by the named devices even where discovery
//! would pick others, and a kernel that disagrees with the pins is reported
//! and left unprogrammed, never guessed around.

mod lab;

use std::time::Duration;

use lab::{Netns, vtep, wait_until};

/// A leaf with two VXLAN devices for VNI 100: `vxlan100` on `br100` (made
/// first, so discovery alone takes it) and `vxb` on `brb` (UDP port 4790),
/// plus an interface `irb0` to pin as the SVI.
fn two_devices_for_one_vni(tag: &str) -> (Netns, Netns) {
    let l = Netns::new(&format!("{tag}l"));
    let h = Netns::new(&format!("{tag}h"));
    vtep(&l, &h, 1);
    for cmd in [
        "ip link add brb type bridge",
        "ip link add vxb type vxlan id 100 local 10.0.0.1 dstport 4790 nolearning",
        "ip link set vxb master brb",
        "ip link add irb0 type bridge",
        "ip link set brb up",
        "ip link set vxb up",
        "ip link set irb0 up",
    ] {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        l.exec(&args).unwrap_or_else(|e| panic!("{e}"));
    }
    (l, h)
}

fn conf(pins: &str) -> String {
    format!(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\n\
         [[evpn.vni]]\nvni = 100\n{pins}"
    )
}

#[test]
fn pinned_devices_are_used_instead_of_the_discovered_ones() {
    let (mut l, _h) = two_devices_for_one_vni("pn");
    l.start_evpnd(
        "evpnd",
        &conf("vxlan_device = \"vxb\"\nbridge = \"brb\"\nsvi = \"irb0\"\n"),
    );
    wait_until("the API socket", Duration::from_secs(20), || {
        if l.api_socket("evpnd").exists() {
            Ok(())
        } else {
            Err(l.log("evpnd"))
        }
    });
    wait_until(
        "VNI 100 on the pinned devices",
        Duration::from_secs(20),
        || {
            let v = lab::api_vnis(&l, "evpnd");
            if v == [(100, "vxb".to_string(), 0, "irb0".to_string())] {
                Ok(())
            } else {
                Err(format!("{v:?}\n{}", l.log("evpnd")))
            }
        },
    );
}

#[test]
fn a_kernel_that_disagrees_with_the_pins_is_reported_and_not_programmed() {
    let (mut l, _h) = two_devices_for_one_vni("pm");
    // vxlan100 exists but is on br100, not on the pinned bridge brb.
    l.start_evpnd(
        "evpnd",
        &conf("vxlan_device = \"vxlan100\"\nbridge = \"brb\"\n"),
    );
    wait_until("the mismatch is reported", Duration::from_secs(20), || {
        let log = l.log("evpnd");
        if log.contains(
            "vxlan100: VNI 100 is on bridge br100, but [[evpn.vni]] pins it to bridge brb: not programmed until they match",
        ) {
            Ok(())
        } else {
            Err(log)
        }
    });
    let v = lab::api_vnis(&l, "evpnd");
    assert!(
        v.iter().all(|(_, dev, _, _)| dev.is_empty()),
        "no kernel device serves VNI 100: {v:?}"
    );
    // Fixing the kernel to match the pins brings the VNI up.
    for cmd in [
        "ip link set vxb nomaster",
        "ip link set vxlan100 master brb",
    ] {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        l.exec(&args).unwrap_or_else(|e| panic!("{e}"));
    }
    wait_until(
        "VNI 100 once the kernel matches",
        Duration::from_secs(20),
        || {
            let v = lab::api_vnis(&l, "evpnd");
            if v.first()
                .is_some_and(|x| x.0 == 100 && x.1 == "vxlan100" && x.3 == "brb")
            {
                Ok(())
            } else {
                Err(format!("{v:?}\n{}", l.log("evpnd")))
            }
        },
    );
}
