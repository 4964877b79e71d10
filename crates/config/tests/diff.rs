//! `Config::diff` for SIGHUP reload: what to reset, what to apply live, what
//! needs a restart.

mod common;
use common::valid;

use std::net::IpAddr;

use evpnd_config::{Config, NeighborChange};
use evpnd_wire::Vni;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn vni(n: u32) -> Vni {
    Vni::new(n).expect("vni")
}

fn nb(addr: &str, extra: &[&'static str]) -> Vec<String> {
    let mut v = vec![
        "[[neighbor]]".to_string(),
        format!(r#"address = "{addr}""#),
        "remote_asn = 65001".to_string(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn cfg(parts: &[Vec<String>]) -> Config {
    let lines: Vec<String> = parts.concat();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    valid(&refs)
}

#[test]
fn identical_and_reordered_configs_have_no_diff() {
    let a = cfg(&[nb("10.0.0.1", &[]), nb("10.0.0.2", &[])]);
    let b = cfg(&[
        vec![String::new(), "# moved around".into()],
        nb("10.0.0.2", &[]),
        nb("10.0.0.1", &[]),
    ]);
    assert!(Config::diff(&a, &b).is_empty());
}

#[test]
fn neighbors_added_removed_reset_updated() {
    let old = cfg(&[
        nb("10.0.0.1", &[]),
        nb("10.0.0.2", &[]),
        nb("10.0.0.3", &[]),
    ]);
    let new = cfg(&[
        nb(
            "10.0.0.1",
            &[r#"description = "spine""#, "max_prefix = { limit = 1000 }"],
        ),
        nb(
            "10.0.0.2",
            &[r#"password = "s3cret""#, r#"description = "x""#],
        ),
        nb("10.0.0.4", &[]),
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.neighbors_added, [ip("10.0.0.4")]);
    assert_eq!(d.neighbors_removed, [ip("10.0.0.3")]);
    assert_eq!(d.neighbors_updated, [ip("10.0.0.1")]);
    assert_eq!(d.neighbors_reset, [ip("10.0.0.2")]);
    assert_eq!(
        d.neighbor_changes,
        [
            NeighborChange {
                peer: ip("10.0.0.1").into(),
                keys: vec!["description", "max_prefix"],
                reset: false
            },
            NeighborChange {
                peer: ip("10.0.0.2").into(),
                keys: vec!["password", "description"],
                reset: true
            },
        ]
    );
    assert!(d.restart_required.is_empty() && d.global_changed.is_empty());
}

#[test]
fn remote_asn_change_resets() {
    let old = cfg(&[nb("10.0.0.1", &[])]);
    let mut lines = nb("10.0.0.1", &[]);
    lines[2] = "remote_asn = 65009".into();
    let d = Config::diff(&old, &cfg(&[lines]));
    assert_eq!(d.neighbors_reset, [ip("10.0.0.1")]);
    assert_eq!(d.neighbor_changes[0].keys, ["remote_asn"]);
}

#[test]
fn global_hold_time_resets_only_neighbors_that_inherit_it() {
    let old = cfg(&[nb("10.0.0.1", &[]), nb("10.0.0.2", &["hold_time = 30"])]);
    let new = cfg(&[
        vec!["hold_time = 60".into()],
        nb("10.0.0.1", &[]),
        nb("10.0.0.2", &["hold_time = 30"]),
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.neighbors_reset, [ip("10.0.0.1")]);
    assert_eq!(d.neighbor_changes[0].keys, ["hold_time", "keepalive"]);
    assert_eq!(d.global_changed, ["bgp.hold_time"]);
    assert!(d.restart_required.is_empty());
}

#[test]
fn route_reflector_client_and_max_prefix_apply_live() {
    let old = cfg(&[nb("10.0.0.1", &[])]);
    let new = cfg(&[nb(
        "10.0.0.1",
        &[
            "route_reflector_client = true",
            "max_prefix = { limit = 10 }",
        ],
    )]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.neighbors_updated, [ip("10.0.0.1")]);
    assert!(d.neighbors_reset.is_empty());
}

#[test]
fn restart_required_keys() {
    let old = valid(&[]);
    let new = common::valid_whole(&[
        "[bgp]",
        "asn = 65002",
        r#"router_id = "10.0.0.12""#,
        r#"listen = ["10.0.0.12:179"]"#,
        "[api]",
        r#"socket = "/run/evpnd.sock""#,
        "[metrics]",
        r#"listen = "127.0.0.1:9100""#,
        "[log]",
        r#"format = "json""#,
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(
        d.restart_required,
        [
            "bgp.asn",
            "bgp.router_id",
            "bgp.listen",
            "bgp.cluster_id",
            "api.socket",
            "metrics.listen",
            "log.format"
        ]
    );
}

#[test]
fn vnis_added_removed_changed() {
    let old = valid(&[
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        "[[evpn.vni]]",
        "vni = 300",
    ]);
    let new = valid(&[
        "[[evpn.vni]]",
        "vni = 300",
        "[[evpn.vni]]",
        "vni = 200",
        r#"macs = [{ mac = "02:00:00:00:00:01" }]"#,
        "[[evpn.vni]]",
        "vni = 400",
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.vnis_added, [vni(400)]);
    assert_eq!(d.vnis_removed, [vni(100)]);
    assert_eq!(d.vnis_changed, [vni(200)]);
}

#[test]
fn evpn_globals_change_the_vnis_they_affect() {
    let old = valid(&[
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        r#"route_targets = { both = ["65001:200"] }"#,
        r#"macs = [{ mac = "00:00:5e:00:01:01" }]"#,
    ]);
    // auto_rt only changes the VNI using auto RTs.
    let new = valid(&[
        "[evpn]",
        r#"auto_rt = "rfc8365""#,
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        r#"route_targets = { both = ["65001:200"] }"#,
        r#"macs = [{ mac = "00:00:5e:00:01:01" }]"#,
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.vnis_changed, [vni(100)]);
    assert_eq!(d.global_changed, ["evpn.auto_rt"]);
    // A gateway MAC only changes the VNI that advertises it.
    let new = valid(&[
        "[evpn]",
        r#"default_gateway_macs = ["00:00:5e:00:01:01"]"#,
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        r#"route_targets = { both = ["65001:200"] }"#,
        r#"macs = [{ mac = "00:00:5e:00:01:01" }]"#,
    ]);
    assert_eq!(Config::diff(&old, &new).vnis_changed, [vni(200)]);
    // The VTEP address changes every VNI.
    let new = valid(&[
        "[evpn]",
        r#"vtep_ip = "10.0.1.11""#,
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        r#"route_targets = { both = ["65001:200"] }"#,
        r#"macs = [{ mac = "00:00:5e:00:01:01" }]"#,
    ]);
    assert_eq!(Config::diff(&old, &new).vnis_changed, [vni(100), vni(200)]);
}

#[test]
fn graceful_restart_time_resets_gr_neighbors_only() {
    let old = cfg(&[
        nb("10.0.0.1", &[]),
        nb("10.0.0.2", &["graceful_restart = false"]),
    ]);
    let new = cfg(&[
        vec!["[bgp.graceful_restart]".into(), "restart_time = 60".into()],
        nb("10.0.0.1", &[]),
        nb("10.0.0.2", &["graceful_restart = false"]),
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(d.neighbors_reset, [ip("10.0.0.1")]);
    assert_eq!(d.global_changed, ["bgp.graceful_restart.restart_time"]);
}

#[test]
fn device_pins_and_the_flood_ledger_need_a_restart() {
    let old = valid(&["[[evpn.vni]]", "vni = 100"]);
    let new = valid(&[
        "[evpn]",
        r#"flood_state_file = "/var/run/evpnd/x.flood""#,
        "[[evpn.vni]]",
        "vni = 100",
        r#"vxlan_device = "vxlan100""#,
    ]);
    let d = Config::diff(&old, &new);
    assert_eq!(
        d.restart_required,
        [
            "evpn.vni.bridge, vxlan_device, svi",
            "evpn.flood_state_file"
        ]
    );
    assert!(
        d.vnis_changed.is_empty(),
        "a pin changes no route: {:?}",
        d.vnis_changed
    );
}

/// `[[evpn.vrf]]` (and `[[evpn.vni]] vrf`) are built into the EVPN domain
/// once: a change is reported as needing a restart, never silently ignored.
#[test]
fn tenant_changes_need_a_restart_and_moving_a_block_is_no_change() {
    let blue = [
        "[[evpn.vrf]]",
        r#"name = "blue""#,
        "l3vni = 4000",
        "table = 1000",
    ];
    let red = [
        "[[evpn.vrf]]",
        r#"name = "red""#,
        "l3vni = 4001",
        "table = 1001",
    ];
    let old = valid(&[&blue[..], &red[..]].concat());
    let moved = valid(&[&red[..], &blue[..]].concat());
    assert!(Config::diff(&old, &moved).restart_required.is_empty());
    let mut changed = blue.to_vec();
    changed.push(r#"prefixes = ["10.201.0.0/16"]"#);
    let new = valid(&[&changed[..], &red[..]].concat());
    assert_eq!(Config::diff(&old, &new).restart_required, ["evpn.vrf"]);
    let mut joined = [&blue[..], &red[..]].concat();
    joined.extend(["[[evpn.vni]]", "vni = 100", r#"vrf = "blue""#]);
    let mut plain = [&blue[..], &red[..]].concat();
    plain.extend(["[[evpn.vni]]", "vni = 100"]);
    let d = Config::diff(&valid(&plain), &valid(&joined));
    assert_eq!(d.restart_required, ["evpn.vni.vrf"]);
}

#[test]
fn static_vteps_apply_live_and_ethernet_tag_needs_a_restart() {
    let base = ["[[evpn.vni]]", "vni = 100"];
    let old = valid(&base);
    let mut statics = base.to_vec();
    statics.push(r#"static_vteps = ["10.0.0.9"]"#);
    let d = Config::diff(&old, &valid(&statics));
    assert_eq!(d.global_changed, ["evpn.vni.static_vteps"]);
    assert!(d.restart_required.is_empty() && d.vnis_changed.is_empty());
    let mut tagged = base.to_vec();
    tagged.push(r#"ethernet_tag = "vni""#);
    let d = Config::diff(&old, &valid(&tagged));
    assert_eq!(d.restart_required, ["evpn.vni.ethernet_tag"]);
    // An explicit `ethernet_tag = 0` is the default: no change.
    let mut zero = base.to_vec();
    zero.push("ethernet_tag = 0");
    assert!(Config::diff(&old, &valid(&zero)).is_empty());
}
