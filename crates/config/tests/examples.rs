//! The shipped examples in `config/` parse and validate, say what their
//! comments claim, and `docs/configuration.md` documents every key.

mod common;

use std::path::PathBuf;

use evpnd_config::{Config, load};

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn example(name: &str) -> Config {
    let p = repo("config").join(name);
    load(&p).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_is_valid() {
    let mut n = 0;
    for e in std::fs::read_dir(repo("config")).expect("config dir") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) == Some("toml") {
            load(&p).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 3, "expected the example configs, found {n}");
}

#[test]
fn leaf_has_two_vnis_and_two_ibgp_reflectors() {
    let c = example("leaf.toml");
    assert_eq!(c.neighbor.len(), 2);
    assert!(
        c.neighbor
            .iter()
            .all(|n| c.is_ibgp(n) && !n.route_reflector_client)
    );
    assert_eq!(c.evpn.vni.len(), 2);
    let v100 = &c.evpn.vni[0];
    assert_eq!(c.rd(v100).to_string(), "10.0.0.11:100");
    assert_eq!(c.export_rts(v100)[0].to_string(), "65000:100");
    assert!(c.evpn.learn_from_kernel);
}

#[test]
fn unnumbered_leaf_peers_by_interface_with_any_external_as() {
    let c = example("leaf-unnumbered.toml");
    let keys: Vec<String> = c.neighbor.iter().map(|n| n.key().to_string()).collect();
    assert_eq!(keys, ["swp1", "swp2"]);
    for n in &c.neighbor {
        assert_eq!(n.remote_asn, evpnd_config::RemoteAs::External);
        assert!(!c.is_ibgp(n));
        assert_eq!(c.extended_next_hop(n), [evpnd_wire::Family::IPV4_UNICAST]);
    }
}

#[test]
fn route_reflector_reflects_to_its_leaves() {
    let c = example("route-reflector.toml");
    let clients = c
        .neighbor
        .iter()
        .filter(|n| n.route_reflector_client)
        .count();
    assert_eq!(clients, 2);
    assert!(!c.evpn.learn_from_kernel);
    assert_eq!(c.cluster_id(), c.bgp.router_id);
}

#[test]
fn ebgp_leaf_peers_with_another_as() {
    let c = example("ebgp-leaf.toml");
    assert!(c.neighbor.iter().all(|n| !c.is_ibgp(n)));
    assert_eq!(c.effective_keepalive(&c.neighbor[0]), 3);
    assert_eq!(c.evpn.vni[0].prefixes.len(), 1);
}

/// A configuration with every optional key set.
const FULL: &[&str] = &[
    r#"listen = ["0.0.0.0:179", "[::1]:1179"]"#,
    r#"cluster_id = "10.0.0.1""#,
    "hold_time = 30",
    "keepalive = 10",
    "connect_retry = 5",
    "[bgp.graceful_restart]",
    "enabled = true",
    "restart_time = 90",
    "stale_routes_time = 300",
    "[[neighbor]]",
    r#"address = "10.0.0.1""#,
    "remote_asn = 65002",
    r#"description = "spine""#,
    r#"password = "pw""#,
    "ttl_security = 1",
    "passive = true",
    "hold_time = 9",
    "keepalive = 3",
    r#"update_source = "10.0.0.11""#,
    "port = 1179",
    "max_prefix = { limit = 10, restart_after = 5, warning_only = false }",
    r#"families = ["l2vpn-evpn"]"#,
    "add_path_receive = true",
    "graceful_restart = false",
    "enabled = false",
    "[[neighbor]]",
    r#"address = "10.0.0.2""#,
    "remote_asn = 65001",
    "route_reflector_client = true",
    "[[neighbor]]",
    r#"address = "10.0.0.3""#,
    "remote_asn = 65003",
    "ebgp_multihop = 3",
    "[evpn]",
    r#"vtep_ip = "10.0.0.11""#,
    "learn_from_kernel = true",
    r#"auto_rt = "rfc8365""#,
    r#"default_gateway_macs = ["00:00:5e:00:01:01"]"#,
    "flush_on_shutdown = true",
    "[evpn.duplicate_detection]",
    "enabled = true",
    "max_moves = 3",
    "window = 60",
    r#"freeze = "permanent""#,
    "[[evpn.vni]]",
    "vni = 100",
    r#"rd = "10.0.0.11:1""#,
    r#"route_targets = { import = ["auto"], export = ["65001:100"], both = ["10.0.0.11:5"] }"#,
    r#"bridge = "br100""#,
    r#"vxlan_device = "vxlan100""#,
    r#"svi = "vlan100""#,
    r#"macs = [{ mac = "02:00:00:00:00:01", ip = "192.168.1.1" }]"#,
    r#"prefixes = ["192.168.1.0/24"]"#,
    r#"vrf = "tenant1""#,
    r#"static_vteps = ["10.0.0.21"]"#,
    r#"ethernet_tag = "vni""#,
    "[[evpn.vrf]]",
    r#"name = "tenant1""#,
    "l3vni = 4000",
    "table = 1000",
    r#"prefixes = ["10.201.2.0/24", "2001:db8:201::/64"]"#,
    r#"rd = "10.0.0.11:4000""#,
    r#"route_targets = { both = ["65001:4000"] }"#,
    r#"router_mac = "02:00:00:00:40:00""#,
    r#"svi = "br4000""#,
    "advertise_connected = false",
    r#"redistribute = ["static", "kernel"]"#,
    r#"redistribute_prefixes = ["10.0.0.0/8"]"#,
    "rule_priority = 2000",
    "[[evpn.vrf]]",
    r#"name = "tenant2""#,
    "l3vni = 4001",
    r#"vrf_device = "vrf-t2""#,
    "[api]",
    r#"socket = "/run/evpnd.sock""#,
    r#"listen = "10.0.0.11:50051""#,
    r#"tls_cert = "/etc/evpnd/cert.pem""#,
    r#"tls_key = "/etc/evpnd/key.pem""#,
    r#"client_ca = "/etc/evpnd/ca.pem""#,
    "[metrics]",
    r#"listen = "127.0.0.1:9101""#,
    "[log]",
    r#"level = "info,evpnd_session=debug""#,
    r#"format = "json""#,
];

fn keys(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                out.push(k.clone());
                keys(v, out);
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn docs_describe_every_key() {
    let c = common::valid(FULL);
    let docs = std::fs::read_to_string(repo("docs/configuration.md")).expect("docs");
    let v = toml::Value::try_from(&c).expect("to value");
    let mut all = Vec::new();
    keys(&v, &mut all);
    all.sort();
    all.dedup();
    let documented = |k: &str| {
        docs.contains(&format!("| `{k}` |"))
            || docs.contains(&format!("## `[{k}]`"))
            || docs.contains(&format!("## `[[{k}]]`"))
    };
    let missing: Vec<&String> = all.iter().filter(|k| !documented(k)).collect();
    assert!(
        missing.is_empty(),
        "keys without a row in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn a_full_config_survives_serialization() {
    let c = common::valid(FULL);
    let text = toml::to_string(&c).expect("serialize");
    let back = evpnd_config::parse(&text, "shown.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, c);
}
