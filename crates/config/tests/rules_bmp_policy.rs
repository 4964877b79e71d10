//! `[[bmp]]`, `[[policy]]`, policy references, `[evpn] vtep_allow`:
//! exact `file:line:col: message`.

mod common;
use common::{check, valid};
use evpnd_config::{BmpRib, Disposition, TermAction};

#[test]
fn bmp_defaults() {
    let c = valid(&["[[bmp]]", r#"address = "collector.example:1790""#]);
    let b = &c.bmp[0];
    assert_eq!(b.address.get_ref(), "collector.example:1790");
    assert_eq!(b.route_monitoring, [BmpRib::PrePolicy, BmpRib::LocRib]);
    assert_eq!(b.stats_interval, 60);
    assert_eq!(b.queue_bytes, 16 * 1024 * 1024);
}

#[test]
fn bmp_address_must_be_host_port() {
    check(
        &["[[bmp]]", r#"address = "10.0.0.9""#],
        &[r#"fabric.toml:5:11: bmp address "10.0.0.9" is not HOST:PORT (the port is required)"#],
    );
    check(
        &["[[bmp]]", r#"address = "2001:db8::9:1790""#],
        &[
            r#"fabric.toml:5:11: bmp address "2001:db8::9:1790": write an IPv6 address in brackets, "[2001:db8::9]:1790""#,
        ],
    );
    check(
        &["[[bmp]]", r#"address = "c:0""#],
        &[r#"fabric.toml:5:11: bmp address "c:0": port 0 is invalid"#],
    );
    let c = valid(&["[[bmp]]", r#"address = "[2001:db8::9]:1790""#]);
    assert_eq!(c.bmp.len(), 1);
}

#[test]
fn bmp_keys_are_checked() {
    check(
        &[
            "[[bmp]]",
            r#"address = "c:1790""#,
            r#"route_monitoring = ["loc-rib", "loc-rib"]"#,
            "stats_interval = 100000",
            "queue_bytes = 1000",
            "[[bmp]]",
            r#"address = "c:1790""#,
        ],
        &[
            r#"fabric.toml:6:32: bmp "c:1790": route_monitoring lists "loc-rib" twice"#,
            r#"fabric.toml:7:18: bmp "c:1790": stats_interval 100000 is out of range (0 for none, or 1 to 86400 seconds)"#,
            r#"fabric.toml:8:15: bmp "c:1790": queue_bytes 1000 is out of range (262144 to 1073741824)"#,
            r#"fabric.toml:10:11: bmp "c:1790" is configured twice"#,
        ],
    );
    check(
        &[
            "[[bmp]]",
            r#"address = "c:1790""#,
            r#"route_monitoring = ["adj-rib-out"]"#,
        ],
        &[
            "fabric.toml:6:21: unknown variant `adj-rib-out`, expected one of `pre-policy`, `post-policy`, `loc-rib`",
        ],
    );
    check(
        &["[[bmp]]", r#"address = "c:1790""#, "port = 1"],
        &[
            "fabric.toml:6:1: unknown field `port`, expected one of `address`, `route_monitoring`, `stats_interval`, `queue_bytes`",
        ],
    );
}

const POLICY: [&str; 12] = [
    "[[policy]]",
    r#"name = "p""#,
    "[[policy.term]]",
    r#"name = "t""#,
    r#"action = "next""#,
    "[policy.term.match]",
    "route_type = [2, 5]",
    r#"route_target = ["65000:100", "*:200"]"#,
    r#"prefix = [{ prefix = "10.0.0.0/8", ge = 16, le = 24 }]"#,
    r#"community = ["no-export"]"#,
    "[policy.term.set]",
    "local_pref = 200",
];

#[test]
fn a_policy_parses() {
    let c = valid(&POLICY);
    let p = &c.policy[0];
    assert_eq!(p.default, Disposition::Reject);
    assert_eq!(p.term[0].action, TermAction::Next);
    assert_eq!(p.term[0].matches.route_type, [2, 5]);
    assert_eq!(p.term[0].set.local_pref, Some(200));
    // And survives serialization.
    let text = toml::to_string(&c).expect("serialize");
    let back = evpnd_config::parse(&text, "again.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, c);
}

#[test]
fn policy_values_are_checked() {
    check(
        &[
            "[[policy]]",
            r#"name = "p""#,
            "[[policy.term]]",
            r#"name = "t""#,
            "[policy.term.match]",
            "route_type = [6]",
            "vni = [0]",
            r#"prefix = [{ prefix = "10.0.0.0/8", ge = 4 }, { prefix = "10.0.0.1/8" }]"#,
            r#"next_hop = ["10.0.0.1/24"]"#,
            "[[policy.term]]",
            r#"name = "t""#,
            "[[policy]]",
            r#"name = "p""#,
        ],
        &[
            r#"fabric.toml:9:15: policy "p" term "t": route_type 6 is not an EVPN route type (1 to 5)"#,
            r#"fabric.toml:10:8: policy "p" term "t": vni 0 is out of range (1 to 16777215)"#,
            r#"fabric.toml:11:11: policy "p" term "t": prefix 10.0.0.0/8: ge/le must satisfy 8 <= ge <= le <= 32 (got ge 4, le 32)"#,
            r#"fabric.toml:11:46: policy "p" term "t": prefix 10.0.0.1/8: host bits set (write 10.0.0.0/8)"#,
            r#"fabric.toml:12:13: policy "p" term "t": next_hop 10.0.0.1/24 has host bits set (write 10.0.0.0/24)"#,
            r#"fabric.toml:14:8: policy "p": term "t" is defined twice"#,
            r#"fabric.toml:16:8: policy "p" is defined twice"#,
        ],
    );
}

#[test]
fn policy_value_syntax_errors_point_at_the_value() {
    check(
        &[
            "[[policy]]",
            r#"name = "p""#,
            "[[policy.term]]",
            r#"name = "t""#,
            "[policy.term.match]",
            r#"community = ["65000:1", "65536:1"]"#,
        ],
        &[
            r#"fabric.toml:9:25: community "65536:1" is not AS:VALUE (two numbers up to 65535) or a well-known name"#,
        ],
    );
    check(
        &[
            "[[policy]]",
            r#"name = "p""#,
            "[[policy.term]]",
            r#"name = "t""#,
            "[policy.term.set]",
            r#"add_ext_community = ["color 1"]"#,
        ],
        &[
            r#"fabric.toml:9:22: extended community "color 1": expected one of "rt ASN:NN", "soo ASN:NN", "encap vxlan", "default-gateway" or "router-mac MAC""#,
        ],
    );
}

#[test]
fn undefined_policies_are_errors_with_position() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65000",
            r#"import_policy = "from-spine""#,
            "[[evpn.vni]]",
            "vni = 100",
            r#"export_policy = "p""#,
            "[[policy]]",
            r#"name = "p""#,
        ],
        &[
            r#"fabric.toml:7:17: neighbor 10.0.0.1: import_policy "from-spine" is not defined (defined: "p")"#,
        ],
    );
    check(
        &["[[evpn.vni]]", "vni = 100", r#"import_policy = "x""#],
        &[
            r#"fabric.toml:6:17: vni 100: import_policy "x" is not defined (no [[policy]] is defined)"#,
        ],
    );
}

#[test]
fn vtep_allow_is_checked() {
    check(
        &[
            "[evpn]",
            r#"vtep_allow = ["10.0.0.0/24", "10.0.0.5/24", "10.0.0.0/24"]"#,
        ],
        &[
            "fabric.toml:5:30: vtep_allow 10.0.0.5/24 has host bits set (write 10.0.0.0/24)",
            "fabric.toml:5:30: vtep_allow 10.0.0.5/24 is listed twice",
            "fabric.toml:5:45: vtep_allow 10.0.0.0/24 is listed twice",
        ],
    );
}

#[test]
fn policy_and_bmp_changes_are_live_on_reload() {
    let a = valid(&[
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65000",
    ]);
    let mut b = a.clone();
    b.neighbor[0].import_policy = Some("p".into());
    b.evpn.vtep_allow = vec!["10.0.0.0/24".parse().expect("net")];
    b.evpn.strict_rt_import = true;
    let d = evpnd_config::Config::diff(&a, &b);
    assert_eq!(d.neighbors_updated, [a.neighbor[0].key()]);
    assert!(d.neighbors_reset.is_empty());
    assert_eq!(
        d.global_changed,
        ["evpn.vtep_allow", "evpn.strict_rt_import"]
    );
    assert!(d.restart_required.is_empty());
}

/// Every `[[bmp]]`/`[[policy]]` key and the new `[[neighbor]]`, `[evpn]`
/// and `[[evpn.vni]]` keys, set.
const FULL: &[&str] = &[
    "[[neighbor]]",
    r#"address = "10.0.0.1""#,
    "remote_asn = 65000",
    r#"import_policy = "p""#,
    r#"export_policy = "p""#,
    "[evpn]",
    r#"vtep_allow = ["10.0.0.0/24"]"#,
    "strict_rt_import = true",
    "[[evpn.vni]]",
    "vni = 100",
    r#"import_policy = "p""#,
    r#"export_policy = "p""#,
    "[[bmp]]",
    r#"address = "c:1790""#,
    r#"route_monitoring = ["post-policy"]"#,
    "stats_interval = 5",
    "queue_bytes = 1048576",
    "[[policy]]",
    r#"name = "p""#,
    r#"default = "accept""#,
    "[[policy.term]]",
    r#"name = "t""#,
    r#"action = "reject""#,
    "[policy.term.match]",
    "route_type = [2]",
    r#"route_target = ["*:100"]"#,
    "vni = [100]",
    r#"rd = ["10.0.0.1:100"]"#,
    r#"mac = ["02:00:00:00:00:01"]"#,
    r#"prefix = [{ prefix = "10.0.0.0/8", ge = 16, le = 24 }]"#,
    r#"community = ["1:1"]"#,
    r#"large_community = ["1:1:1"]"#,
    r#"ext_community = ["soo 1:1"]"#,
    r#"next_hop = ["10.0.0.0/24"]"#,
    "[policy.term.set]",
    r#"add_community = ["1:2"]"#,
    r#"remove_community = ["1:1"]"#,
    r#"add_large_community = ["1:1:2"]"#,
    r#"remove_large_community = ["1:1:1"]"#,
    r#"add_ext_community = ["soo 1:2"]"#,
    r#"remove_ext_community = ["soo 1:1"]"#,
    "local_pref = 10",
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
fn docs_describe_every_bmp_and_policy_key() {
    let c = valid(FULL);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let docs = std::fs::read_to_string(path).expect("docs/configuration.md");
    let v = toml::Value::try_from(&c).expect("to value");
    let mut all = Vec::new();
    keys(&v, &mut all);
    all.sort();
    all.dedup();
    let missing: Vec<&String> = all
        .iter()
        .filter(|k| {
            !(docs.contains(&format!("| `{k}` |"))
                || docs.contains(&format!("## `[{k}]`"))
                || docs.contains(&format!("## `[[{k}]]`")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "keys without a row in docs/configuration.md: {missing:?}"
    );
    // And the whole of it survives serialization.
    let text = toml::to_string(&c).expect("serialize");
    assert_eq!(evpnd_config::parse(&text, "again.toml").ok(), Some(c));
}
