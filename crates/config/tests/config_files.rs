//! The shipped examples parse and validate; each validation rule reports the
//! right file:line:col and message; defaults; reload diffs.

use evpnd_config::{AutoOr, Config, auto_rd, auto_rt, parse};
use evpnd_wire::Vni;

fn err(text: &str) -> String {
    parse(text, "fabric.toml")
        .expect_err("must be rejected")
        .to_string()
}

const BASE: &str = "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.11\"\n";

#[test]
fn shipped_examples_are_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("config dir") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) == Some("toml") {
            evpnd_config::load(&p).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 3, "expected the example configs, found {n}");
}

#[test]
fn defaults() {
    let c = parse(
        &format!("{BASE}[[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65001\n"),
        "f",
    )
    .expect("valid");
    let n = &c.neighbor[0];
    assert_eq!(c.hold_time(n), 90);
    assert_eq!(c.keepalive(n), None);
    assert!(c.is_ibgp(n) && n.enabled && !n.passive && n.port == 179);
    assert_eq!(n.families, vec![evpnd_wire::Family::L2VPN_EVPN]);
    assert_eq!(c.bgp.listen[0].to_string(), "0.0.0.0:179");
    assert_eq!(c.cluster_id().to_string(), "10.0.0.11");
    assert!(c.bgp.graceful_restart.enabled);
    assert_eq!(c.evpn.duplicate_detection.max_moves, 5);
    assert_eq!(c.api.socket, "/run/evpnd/evpnd.sock");
}

#[test]
fn auto_rd_and_rt() {
    let vni = Vni::new(100).expect("vni");
    assert_eq!(
        auto_rd("10.0.0.11".parse().expect("ip"), vni).to_string(),
        "10.0.0.11:100"
    );
    assert_eq!(
        auto_rt(4_200_000_001, vni, evpnd_config::AutoRt::AsVni).to_string(),
        format!("{}:100", 4_200_000_001u32 & 0xffff)
    );
    let r = auto_rt(65000, vni, evpnd_config::AutoRt::Rfc8365);
    assert_eq!(r.local_admin() & 0x00ff_ffff, 100);
    assert_eq!(r.local_admin() >> 28, 0b1001);
}

#[test]
fn syntax_and_type_errors_name_line_and_column() {
    assert_eq!(
        err("[bgp]\nasn = 65001\nrouter_id = \"10.0.0.300\"\n"),
        "fabric.toml:3:13: invalid IPv4 address syntax"
    );
    let e = err(&format!("{BASE}colour = \"blue\"\n"));
    assert!(
        e.starts_with("fabric.toml:4:1: unknown field `colour`"),
        "{e}"
    );
    let e = err(&format!(
        "{BASE}[[evpn.vni]]\nvni = 100\nroute_targets = {{ import = [\"65001\"] }}\n"
    ));
    assert!(
        e.starts_with("fabric.toml:6:28:") && e.contains("expected ASN:NN"),
        "{e}"
    );
    let e = err(&format!("{BASE}[[evpn.vni]]\nvni = 16777216\n"));
    assert!(
        e.starts_with("fabric.toml:5:7:") && e.contains("out of range"),
        "{e}"
    );
    let e = err("[bgp]\nasn = 65001\n");
    assert!(e.contains("missing field `router_id`"), "{e}");
}

#[test]
fn validation_rules_collect_every_error_in_file_order() {
    let text = format!(
        "{BASE}hold_time = 2\n\
         [[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65002\nttl_security = 1\nebgp_multihop = 2\n\
         [[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65002\nhold_time = 9\nkeepalive = 9\n\
         [[evpn.vni]]\nvni = 100\nmacs = [{{ mac = \"01:00:5e:00:00:01\" }}]\n\
         [[evpn.vni]]\nvni = 100\n\
         [[evpn.vni]]\nvni = 65636\n"
    );
    let e = err(&text);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(
        lines,
        [
            "fabric.toml:4:13: hold_time 2 is invalid (must be 0 or at least 3)",
            "fabric.toml:8:16: neighbor 10.0.0.1: ttl_security and ebgp_multihop cannot both be set (GTSM fixes the TTL at 255)",
            "fabric.toml:11:11: neighbor 10.0.0.1 is configured twice",
            "fabric.toml:14:13: neighbor 10.0.0.1: keepalive 9 must be less than the hold time 9",
            "fabric.toml:17:9: vni 100: 01:00:5e:00:00:01 is not a unicast MAC address",
            "fabric.toml:19:7: vni 100 is configured twice",
            "fabric.toml:21:7: vni 65636 and vni 100 would get the same auto RD (number 100): set rd explicitly",
        ]
    );
}

#[test]
fn reserved_asn() {
    assert_eq!(
        err("[bgp]\nasn = 23456\nrouter_id = \"10.0.0.1\"\n"),
        "fabric.toml:2:7: asn 23456 is reserved (RFC 7607 / RFC 6793 AS_TRANS)"
    );
}

#[test]
fn reload_diff_separates_resets_from_live_changes() {
    let old = parse(
        &format!("{BASE}[[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65001\n[[neighbor]]\naddress = \"10.0.0.2\"\nremote_asn = 65001\n[[neighbor]]\naddress = \"10.0.0.3\"\nremote_asn = 65001\n[[evpn.vni]]\nvni = 100\n"),
        "f",
    )
    .expect("old");
    let new = parse(
        &format!("{BASE}\n\n[[neighbor]]\naddress = \"10.0.0.1\"\nremote_asn = 65001\ndescription = \"spine\"\n[[neighbor]]\naddress = \"10.0.0.2\"\nremote_asn = 65009\n[[neighbor]]\naddress = \"10.0.0.4\"\nremote_asn = 65001\n[[evpn.vni]]\nvni = 100\n[[evpn.vni]]\nvni = 200\n"),
        "f",
    )
    .expect("new");
    let d = Config::diff(&old, &new);
    assert_eq!(
        d.neighbors_updated,
        vec!["10.0.0.1".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert_eq!(
        d.neighbors_reset,
        vec!["10.0.0.2".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert_eq!(
        d.neighbors_added,
        vec!["10.0.0.4".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert_eq!(
        d.neighbors_removed,
        vec!["10.0.0.3".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert_eq!(d.vnis_added.len(), 1);
    assert!(d.vnis_changed.is_empty(), "moving a block is not a change");
    assert!(d.restart_required.is_empty());
    assert_eq!(old.evpn.vni[0].rd, AutoOr::Auto);
}
