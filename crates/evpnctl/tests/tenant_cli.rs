//! `evpnctl vrfs`, `vrf-routes` and `rmacs` against the fake backend's two
//! tenants (blue: table 100, up, 3 remote prefixes + 1 host route + 1
//! connected subnet; red: VRF device, down, 1 held route): the JSON, the
//! tables, paging through every route, and the daemon's refusals.

mod common;

use common::{evpnctl, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vrfs_json_and_table() {
    let s = start().await;
    let p = s.socket.as_path();
    let v = json(p, &["vrfs"]).await;
    let vrfs = v["vrfs"].as_array().expect("vrfs");
    assert_eq!(vrfs.len(), 2);
    let blue = &vrfs[0];
    assert_eq!(
        (
            blue["name"].as_str(),
            blue["l3vni"].as_u64(),
            blue["mode"].as_str()
        ),
        (Some("blue"), Some(5000), Some("table"))
    );
    assert_eq!(blue["table"], 100);
    assert_eq!(blue["import_rts"][0], "*:5000");
    assert_eq!(blue["router_mac"], "02:00:00:00:00:01");
    assert_eq!(blue["l2vnis"][0], 100);
    assert_eq!(
        (blue["up"].as_bool(), blue["routes_installed"].as_u64()),
        (Some(true), Some(4))
    );
    assert_eq!(
        (vrfs[1]["mode"].as_str(), vrfs[1]["vrf_device"].as_str()),
        (Some("device"), Some("vrf-red"))
    );
    let v = json(p, &["vrfs", "red"]).await;
    assert_eq!(v["vrfs"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["vrfs"][0]["up"], false);

    let (code, out, err) = evpnctl(p, &["vrfs"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "VRF   L3VNI  TABLE         RD             IMPORT      EXPORT      ROUTER MAC         L2VNIS  STATE  INSTALLED  HELD  ORIGINATED\n\
         blue  5000   100           10.0.0.1:5000  *:5000      65000:5000  02:00:00:00:00:01  100     up     4          0     1\n\
         red   5001   vrf-red:1001  10.0.0.1:5001  65000:5001  65000:5001                             down   0          1     0\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vrf_routes_page_through_everything() {
    let s = start().await;
    let p = s.socket.as_path();
    // Pages of 2 over 6 routes: evpnctl follows the tokens to the end.
    let all = json(p, &["vrf-routes", "--page-size", "2"]).await;
    let routes = all["routes"].as_array().expect("routes");
    let keys: Vec<String> = routes
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["vrf"].as_str().unwrap_or(""),
                r["prefix"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "blue 10.5.0.0/32",
            "blue 10.5.0.1/32",
            "blue 10.5.0.2/32",
            "blue 10.100.0.0/24",
            "blue 10.100.0.7/32",
            "red 192.168.0.0/16",
        ]
    );
    assert_eq!(
        json(p, &["vrf-routes"]).await,
        all,
        "one page or three: the same"
    );
    let ecmp = &routes[0];
    assert_eq!(ecmp["next_hops"].as_array().map(Vec::len), Some(2));
    assert_eq!(ecmp["next_hops"][1]["vtep_ip"], "10.0.0.3");
    assert_eq!(ecmp["next_hops"][0]["source"], "ip_prefix");
    assert_eq!(ecmp["local_source"], serde_json::Value::Null);
    assert_eq!(routes[3]["local_source"], "connected");
    assert_eq!(routes[4]["next_hops"][0]["source"], "mac_ip");
    assert_eq!(
        (
            routes[5]["installed"].as_bool(),
            routes[5]["not_installed_reason"].as_str()
        ),
        (Some(false), Some("L3VNI down"))
    );

    let one = json(p, &["vrf-routes", "blue", "--prefix", "10.100.0.7"]).await;
    assert_eq!(one["routes"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["routes"][0]["prefix"], "10.100.0.7/32");
    let red = json(p, &["vrf-routes", "red"]).await;
    assert_eq!(red["routes"].as_array().map(Vec::len), Some(1));

    let (code, out, err) = evpnctl(p, &["vrf-routes"]).await;
    assert_eq!(code, 0, "{err}");
    // One row per next hop (the ECMP route has two), one per local route.
    assert_eq!(
        out,
        "VRF   PREFIX          SOURCE           VTEP      ROUTER MAC         INSTALLED\n\
         blue  10.5.0.0/32     ip_prefix        10.0.0.2  02:00:00:00:00:02  yes\n\
         blue  10.5.0.0/32     ip_prefix        10.0.0.3  02:00:00:00:00:03  yes\n\
         blue  10.5.0.1/32     ip_prefix        10.0.0.2  02:00:00:00:00:02  yes\n\
         blue  10.5.0.2/32     ip_prefix        10.0.0.2  02:00:00:00:00:02  yes\n\
         blue  10.100.0.0/24   local connected                               yes\n\
         blue  10.100.0.7/32   mac_ip           10.0.0.3  02:00:00:00:00:03  yes\n\
         red   192.168.0.0/16  ip_prefix        10.0.0.2  02:00:00:00:00:02  no (L3VNI down)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmacs_json_and_table() {
    let s = start().await;
    let p = s.socket.as_path();
    let v = json(p, &["rmacs"]).await;
    let ms = v["router_macs"].as_array().expect("router_macs");
    assert_eq!(ms.len(), 2);
    assert_eq!(
        (
            ms[0]["vrf"].as_str(),
            ms[0]["vtep_ip"].as_str(),
            ms[0]["router_mac"].as_str(),
            ms[0]["routes"].as_u64()
        ),
        (
            Some("blue"),
            Some("10.0.0.2"),
            Some("02:00:00:00:00:02"),
            Some(3)
        )
    );
    let red = json(p, &["rmacs", "red"]).await;
    assert_eq!(red["router_macs"].as_array().map(Vec::len), Some(0));
    let (code, out, _) = evpnctl(p, &["rmacs", "blue"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "VRF   VTEP      ROUTER MAC         ROUTES\n\
         blue  10.0.0.2  02:00:00:00:00:02  3\n\
         blue  10.0.0.3  02:00:00:00:00:03  2\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_one_line_and_exit_1() {
    let s = start().await;
    let p = s.socket.as_path();
    for (args, want) in [
        (
            &["vrfs", "green"][..],
            "evpnctl: not_found: name: no vrf green in the configuration",
        ),
        (
            &["vrf-routes", "green"][..],
            "evpnctl: not_found: vrf: no vrf green in the configuration",
        ),
        (
            &["rmacs", "green"][..],
            "evpnctl: not_found: vrf: no vrf green in the configuration",
        ),
        (
            &["vrf-routes", "bad name"][..],
            "evpnctl: invalid_argument: vrf: \"bad name\" is not a vrf name",
        ),
        (
            &["vrf-routes", "--prefix", "10.1.0.5/24"][..],
            "evpnctl: invalid_argument: prefix: \"10.1.0.5/24\" has host bits set",
        ),
    ] {
        let (code, out, err) = evpnctl(p, args).await;
        assert_eq!((code, out.as_str()), (1, ""), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(want), "{args:?}: {err}");
    }
    // Clap refuses a page size the daemon would refuse, before connecting.
    let (code, _, err) = evpnctl(p, &["vrf-routes", "--page-size", "1001"]).await;
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = evpnctl(p, &["completions", "bash"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("vrf-routes") && out.contains("rmacs"));
}
