//! Errors of the TOML layer (syntax, types, unknown keys, missing keys) carry
//! file:line:col too, and as many are reported as can be found.

mod common;
use common::{check, check_whole, doc, errors};

#[test]
fn syntax_errors_one_per_line() {
    check_whole(
        &[
            "[bgp]",
            "asn = 65001",
            r#"router_id = "10.0.0.11"#,
            "hold_time = = 3",
            "[[neighbor]",
        ],
        &[
            "fabric.toml:3:23: invalid basic string, expected `\"`",
            "fabric.toml:4:13: extra `=`, expected nothing",
            "fabric.toml:5:12: unclosed array table, expected `]`",
        ],
    );
}

#[test]
fn duplicate_key_is_a_syntax_error() {
    check(&["asn = 65002"], &["fabric.toml:4:1: duplicate key"]);
}

#[test]
fn type_errors_point_at_the_value() {
    check_whole(
        &["[bgp]", r#"asn = "65001""#, r#"router_id = "10.0.0.300""#],
        &["fabric.toml:2:7: invalid type: string \"65001\", expected u32"],
    );
    check_whole(
        &["[bgp]", "asn = 4294967296", r#"router_id = "10.0.0.11""#],
        &["fabric.toml:2:7: invalid value: integer `4294967296`, expected u32"],
    );
    check_whole(
        &["[bgp]", "asn = 65001", r#"router_id = "10.0.0.300""#],
        &["fabric.toml:3:13: invalid IPv4 address syntax"],
    );
}

#[test]
fn unknown_keys_name_the_key_and_list_the_allowed_ones() {
    check(
        &[r#"colour = "blue""#],
        &[
            "fabric.toml:4:1: unknown field `colour`, expected one of `asn`, `router_id`, `listen`, `cluster_id`, `hold_time`, `keepalive`, `connect_retry`, `graceful_restart`, `networks`, `advertise_vtep`, `max_paths`, `multipath_relax`",
        ],
    );
    check(
        &["[colour]", "x = 1"],
        &[
            "fabric.toml:4:2: unknown field `colour`, expected one of `bgp`, `neighbor`, `evpn`, `api`, `metrics`, `log`, `bmp`, `policy`",
        ],
    );
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_as = 65001",
        ],
        &[
            "fabric.toml:6:1: unknown field `remote_as`, expected one of `address`, `interface`, `remote_asn`, `extended_nexthop`, `description`, `password`, `ttl_security`, `ebgp_multihop`, `passive`, `hold_time`, `keepalive`, `route_reflector_client`, `update_source`, `port`, `max_prefix`, `families`, `add_path_receive`, `graceful_restart`, `enabled`, `import_policy`, `export_policy`",
        ],
    );
}

#[test]
fn missing_keys_point_at_their_table() {
    check_whole(
        &["[bgp]", "asn = 65001"],
        &["fabric.toml:1:1: missing field `router_id`"],
    );
    check_whole(
        &["[log]", r#"level = "info""#],
        &["fabric.toml:1:1: missing field `bgp`"],
    );
    check(
        &["", "[[neighbor]]", "remote_asn = 65001"],
        &[
            "fabric.toml:5:1: neighbor: needs `address` (a numbered peer) or `interface` (BGP unnumbered)",
        ],
    );
}

#[test]
fn every_section_and_block_reports_its_own_type_error() {
    // Serde stops at the first error; evpnd reports one per block.
    check_whole(
        &[
            "[bgp]",
            "asn = 65001",
            r#"router_id = "10.0.0.11""#,
            "hold_time = -1",
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            "passive = 1",
            "[evpn]",
            "learn_from_kernel = 1",
            "[[evpn.vni]]",
            "vni = 100",
            r#"rd = "auto-ish""#,
            "[[evpn.vni]]",
            "vni = 200",
            "macs = 3",
            "[log]",
            "levle = 1",
        ],
        &[
            "fabric.toml:4:13: invalid value: integer `-1`, expected u16",
            "fabric.toml:11:11: invalid type: integer `1`, expected a boolean",
            "fabric.toml:13:21: invalid type: integer `1`, expected a boolean",
            r#"fabric.toml:16:6: invalid route distinguisher "auto-ish": expected ASN:NN or A.B.C.D:NN (e.g. 65001:100 or 10.0.0.1:100)"#,
            "fabric.toml:19:8: invalid type: integer `3`, expected a sequence",
            "fabric.toml:21:1: unknown field `levle`, expected `level` or `format`",
        ],
    );
}

#[test]
fn every_validation_error_is_reported_in_file_order() {
    let text = doc(&[
        "hold_time = 2",
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65002",
        "ttl_security = 1",
        "ebgp_multihop = 2",
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65002",
        "hold_time = 9",
        "keepalive = 9",
        "[evpn]",
        r#"vtep_ip = "0.0.0.0""#,
        "[[evpn.vni]]",
        "vni = 100",
        r#"macs = [{ mac = "01:00:5e:00:00:01" }]"#,
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 65636",
        "[log]",
        r#"level = "loud""#,
    ]);
    assert_eq!(
        errors(&text),
        [
            "fabric.toml:4:13: hold_time 2 is invalid (must be 0 or at least 3)",
            "fabric.toml:8:16: neighbor 10.0.0.1: ttl_security and ebgp_multihop cannot both be set (GTSM fixes the TTL at 255)",
            "fabric.toml:11:11: neighbor 10.0.0.1 is configured twice",
            "fabric.toml:14:13: neighbor 10.0.0.1: keepalive 9 must be less than the hold time 9",
            "fabric.toml:16:11: vtep_ip 0.0.0.0 is not a usable VTEP address (must be a unicast, non-loopback address)",
            "fabric.toml:19:17: vni 100: 01:00:5e:00:00:01 is not a unicast MAC address",
            "fabric.toml:21:7: vni 100 is configured twice",
            "fabric.toml:23:7: vni 65636 and vni 100 would get the same auto RD (number 100): set rd explicitly",
            r#"fabric.toml:25:9: log.level "loud" is invalid: "loud" is not a level (expected one of off, error, warn, info, debug, trace, or target=level)"#,
        ]
    );
}

#[test]
fn unreadable_file_names_the_file() {
    let e = evpnd_config::load("/nonexistent/fabric.toml").expect_err("no such file");
    assert_eq!(
        e.to_string(),
        "/nonexistent/fabric.toml: cannot read: No such file or directory (os error 2)"
    );
    assert_eq!((e.0[0].line, e.0[0].col), (0, 0));
}

#[test]
fn load_reports_the_path_as_given() {
    let dir = std::env::temp_dir().join(format!("evpnd-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("bad.toml");
    std::fs::write(&p, doc(&["hold_time = 1"])).expect("write");
    let e = evpnd_config::load(&p).expect_err("invalid");
    assert_eq!(
        e.to_string(),
        format!(
            "{}:4:13: hold_time 1 is invalid (must be 0 or at least 3)",
            p.display()
        )
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn windows_line_endings_count_the_same() {
    let text = doc(&["hold_time = 2"]).replace('\n', "\r\n");
    assert_eq!(
        errors(&text),
        ["fabric.toml:4:13: hold_time 2 is invalid (must be 0 or at least 3)"]
    );
}
