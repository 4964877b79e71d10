//! Policy and the VTEP allow-list end to end (issue 14): a GoBGP peer sends
//! evpnd (a leaf with a real `vxlan100`) three type-2 routes: one whose next
//! hop is inside `[evpn] vtep_allow`, one outside, one the neighbour's
//! import policy rejects. Only the first reaches the kernel's FDB; the
//! ExplainRoute API (what `evpnctl route explain` prints) says why the
//! other two do not. Then a reload that drops the policy's term and widens
//! the allow-list programs both without resetting the session (the import
//! policy change is applied by a route refresh to GoBGP).

mod lab;

use std::time::Duration;

use evpnd_api::pb;
use lab::{Netns, link, vtep, wait_until};
use serde_json::Value;

const T: Duration = Duration::from_secs(30);

const EVPND: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"
hold_time = 9
connect_retry = 2

[[neighbor]]
address = "10.1.1.2"
remote_asn = 65000
import_policy = "from-gobgp"

[evpn]
vtep_allow = ["10.0.0.0/24"]

[[policy]]
name = "from-gobgp"
default = "accept"

[[policy.term]]
name = "no-quarantined-mac"
action = "reject"
[policy.term.match]
mac = ["02:00:00:00:09:03"]
"#;

const GOBGP: &str = r#"
[global.config]
as = 65000
router-id = "10.1.1.2"
port = 179

[[neighbors]]
[neighbors.config]
neighbor-address = "10.1.1.1"
peer-as = 65000
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
"#;

const RD: &str = "10.1.1.2:100";
const INSIDE: &str = "02:00:00:00:09:01";
const OUTSIDE: &str = "02:00:00:00:09:02";
const REJECTED: &str = "02:00:00:00:09:03";

/// The remote (VXLAN, `self`) FDB entries: (MAC, dst).
fn fdb(ns: &Netns) -> Vec<(String, String)> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .unwrap_or_else(|e| panic!("{e}"));
    let v: Vec<Value> = serde_json::from_str(&out).unwrap_or_default();
    v.iter()
        .filter_map(|e| {
            Some((
                e["mac"].as_str()?.to_string(),
                e["dst"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// ExplainRoute for a type-2 route of GoBGP's: each path's detail.
fn explain(ns: &Netns, mac: &str) -> Result<Vec<String>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| e.to_string())?;
        let r = pb::route_service_client::RouteServiceClient::new(ch)
            .explain_route(pb::ExplainRouteRequest {
                rd: RD.into(),
                prefix: format!("[2]:[0]:[48]:[{mac}]"),
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(r.into_inner().paths.into_iter().map(|p| p.detail).collect())
    })
}

fn explained(ns: &Netns, mac: &str, wanted: &str) -> Vec<String> {
    wait_until(&format!("explain {mac}: {wanted}"), T, || {
        let details = explain(ns, mac)?;
        if details.iter().any(|d| d.contains(wanted)) {
            Ok(details)
        } else {
            Err(format!("{details:?}\n{}", ns.log("evpnd")))
        }
    })
}

#[test]
fn a_next_hop_outside_the_allow_list_never_reaches_the_kernel_and_is_explained() {
    let mut leaf = Netns::new("pvl");
    let host = Netns::new("pvh");
    let mut gob = Netns::new("pvg");
    vtep(&leaf, &host, 1);
    link(&leaf, "togob", "10.1.1.1/30", &gob, "toleaf", "10.1.1.2/30");
    leaf.start_evpnd("evpnd", EVPND);
    gob.start_gobgp(GOBGP);
    wait_until("iBGP session Established", T, || {
        let out = gob.gobgp(&["neighbor"])?;
        if out.contains("Establ") {
            Ok(())
        } else {
            Err(format!("{out}\n{}", leaf.log("evpnd")))
        }
    });
    // Outside and rejected first: by the time the inside one is in the
    // FDB, the other two UPDATEs have been handled (one session, in order).
    for (mac, next_hop) in [
        (OUTSIDE, "192.0.2.9"),
        (REJECTED, "10.0.0.2"),
        (INSIDE, "10.0.0.2"),
    ] {
        gob.gobgp_macadv(true, mac, "0.0.0.0", RD, "65000:100", next_hop);
    }
    wait_until("the MAC inside the allow-list in the FDB", T, || {
        let f = fdb(&leaf);
        if f.iter().any(|(m, d)| m == INSIDE && d == "10.0.0.2") {
            Ok(())
        } else {
            Err(format!("{f:?}\n{}", leaf.log("evpnd")))
        }
    });
    // The route outside is kept (it is the best path) but not programmed.
    let d = explained(
        &leaf,
        OUTSIDE,
        "kept, not programmed: next hop 192.0.2.9 is outside evpn.vtep_allow",
    );
    assert!(d[0].starts_with("best path"), "{d:?}");
    // The rejected one is not in the RIB; the deciding term is named.
    explained(
        &leaf,
        REJECTED,
        r#"rejected by policy "from-gobgp" term "no-quarantined-mac""#,
    );
    // Give the kernel side time to have written anything it was going to.
    std::thread::sleep(Duration::from_secs(2));
    let f = fdb(&leaf);
    assert!(
        !f.iter().any(|(m, _)| m == OUTSIDE || m == REJECTED),
        "only the allowed route may reach the kernel: {f:?}"
    );
    assert!(
        !f.iter().any(|(_, d)| d == "192.0.2.9"),
        "nothing points at the address outside: {f:?}"
    );

    // Reload: no term rejects any more, and 192.0.2.0/24 is allowed.
    let path = leaf.dir.join("evpnd.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text
        .replace(
            r#"mac = ["02:00:00:00:09:03"]"#,
            r#"mac = ["02:00:00:00:09:ff"]"#,
        )
        .replace(
            r#"vtep_allow = ["10.0.0.0/24"]"#,
            r#"vtep_allow = ["10.0.0.0/24", "192.0.2.0/24"]"#,
        );
    std::fs::write(&path, text).expect("rewrite config");
    let pid = leaf.pid("evpnd").expect("evpnd pid");
    lab::sh(&["kill", "-HUP", &pid.to_string()]).expect("SIGHUP");
    wait_until("both routes programmed after the reload", T, || {
        let f = fdb(&leaf);
        let outside = f.iter().any(|(m, d)| m == OUTSIDE && d == "192.0.2.9");
        let rejected = f.iter().any(|(m, d)| m == REJECTED && d == "10.0.0.2");
        if outside && rejected {
            Ok(())
        } else {
            Err(format!("{f:?}\n{}", leaf.log("evpnd")))
        }
    });
    let log = leaf.log("evpnd");
    assert!(
        log.contains("import policy changed: asking the peer for its routes again"),
        "{log}"
    );
    assert!(
        !log.contains("session down"),
        "the session was not reset: {log}"
    );
}
