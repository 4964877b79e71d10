//! evpnd ⇄ gobgpd over eBGP in two namespaces: AS_PATH prepend with the EVPN
//! next hop unchanged,
//! max-prefix ending the session with Cease / Maximum Number of Prefixes
//! (RFC 4486) or only warning.

mod lab;

use std::time::Duration;

use lab::{Netns, link, wait_until};

const T: Duration = Duration::from_secs(30);

fn evpnd_conf(max_prefix: &str) -> String {
    format!(
        r#"
[bgp]
asn = 65001
router_id = "10.1.1.1"
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.2"
remote_asn = 65002
{max_prefix}

[evpn]
vtep_ip = "10.1.1.1"
learn_from_kernel = false

[[evpn.vni]]
vni = 100
macs = [{{ mac = "02:00:00:00:01:01" }}]
"#
    )
}

const GOBGP: &str = r#"
[global.config]
as = 65002
router-id = "10.1.1.2"
port = 179

[[neighbors]]
[neighbors.config]
neighbor-address = "10.1.1.1"
peer-as = 65001
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
"#;

fn setup(tag: &str, max_prefix: &str) -> (Netns, Netns) {
    let mut ev = Netns::new(&format!("{tag}e"));
    let mut gob = Netns::new(&format!("{tag}g"));
    link(&ev, "togob", "10.1.1.1/30", &gob, "toev", "10.1.1.2/30");
    ev.start_evpnd("evpnd", &evpnd_conf(max_prefix));
    gob.start_gobgp(GOBGP);
    wait_until("eBGP session Established", T, || {
        let out = gob.gobgp(&["neighbor"])?;
        if out.contains("Establ") {
            Ok(())
        } else {
            Err(format!("{out}\n{}", ev.log("evpnd")))
        }
    });
    (ev, gob)
}

fn add_mac(gob: &Netns, mac: &str) {
    gob.gobgp_macadv(
        true,
        mac,
        "0.0.0.0",
        "10.1.1.2:100",
        "65002:100",
        "10.1.1.2",
    );
}

#[test]
fn ebgp_prepends_as_and_keeps_the_vtep_next_hop() {
    let (_ev, gob) = setup("eb", "");
    let rib = wait_until("evpnd's routes at GoBGP", T, || {
        let rib = gob.gobgp(&["global", "rib", "-a", "evpn"])?;
        if rib.contains("[mac:02:00:00:00:01:01]") {
            Ok(rib)
        } else {
            Err(rib)
        }
    });
    let line = rib
        .lines()
        .find(|l| l.contains("[mac:02:00:00:00:01:01]"))
        .expect("route line");
    assert!(
        line.contains("10.1.1.1") && line.contains("65001"),
        "next hop = VTEP and AS_PATH 65001: {line}"
    );
}

#[test]
fn max_prefix_closes_the_session_with_cease_1() {
    let (ev, gob) = setup("mp", "max_prefix = { limit = 2 }");
    for m in ["02:00:00:00:02:01", "02:00:00:00:02:02"] {
        add_mac(&gob, m);
    }
    wait_until("two routes accepted", T, || {
        let log = ev.log("evpnd");
        if log.matches("best path changed route=10.1.1.2:100").count() >= 2 {
            Ok(())
        } else {
            Err(log)
        }
    });
    add_mac(&gob, "02:00:00:00:02:03");
    wait_until(
        "evpnd sends Cease / Maximum Number of Prefixes Reached",
        T,
        || {
            let log = ev.log("evpnd");
            if log.contains("maximum prefix limit exceeded") && log.contains("code=6 subcode=1") {
                Ok(())
            } else {
                Err(log)
            }
        },
    );
    wait_until("GoBGP saw the NOTIFICATION", T, || {
        let log = gob.log("gobgpd");
        if log.contains("Code=6") && log.contains("Subcode=1") {
            Ok(())
        } else {
            Err(log)
        }
    });
    // No restart_after: the session stays down.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !gob.gobgp(&["neighbor"])
            .expect("neighbor")
            .contains("Establ"),
        "session must stay down"
    );
}

#[test]
fn max_prefix_warning_only_keeps_the_session() {
    let (ev, gob) = setup("mw", "max_prefix = { limit = 1, warning_only = true }");
    for m in ["02:00:00:00:03:01", "02:00:00:00:03:02"] {
        add_mac(&gob, m);
    }
    wait_until("warning logged", T, || {
        let log = ev.log("evpnd");
        if log.contains("maximum prefix limit exceeded") {
            Ok(())
        } else {
            Err(log)
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        gob.gobgp(&["neighbor"])
            .expect("neighbor")
            .contains("Establ"),
        "warning_only keeps the session"
    );
    assert!(!ev.log("evpnd").contains("subcode=1"));
}
