//! Each `[[evpn.vrf]]` validation rule: exact `file:line:col: message`.

mod common;
use common::check;

#[test]
fn table_mode_vrf_mode_and_main_are_accepted() {
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "blue""#,
            "l3vni = 4000",
            "table = 1000",
            r#"prefixes = ["10.201.2.1/32", "2001:db8:2::/64"]"#,
            r#"redistribute = ["static", 17]"#,
            r#"redistribute_prefixes = ["10.0.0.0/8"]"#,
            r#"router_mac = "02:00:00:00:40:00""#,
            "[[evpn.vrf]]",
            r#"name = "red""#,
            "l3vni = 4001",
            r#"vrf_device = "vrf-red""#,
            "[[evpn.vrf]]",
            r#"name = "default""#,
            "l3vni = 1000",
            r#"table = "main""#,
            "[[evpn.vni]]",
            "vni = 100",
            r#"vrf = "blue""#,
        ],
        &[],
    );
}

#[test]
fn one_of_table_or_vrf_device() {
    check(
        &["[[evpn.vrf]]", r#"name = "blue""#, "l3vni = 4000"],
        &[
            r#"fabric.toml:4:1: vrf blue: set either table (table mode: a number or "main") or vrf_device (VRF mode)"#,
        ],
    );
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "blue""#,
            "l3vni = 4000",
            "table = 10",
            r#"vrf_device = "vrf-blue""#,
        ],
        &[
            "fabric.toml:8:14: vrf blue: table and vrf_device exclude each other (VRF mode reads the table from the device)",
        ],
    );
}

#[test]
fn reserved_and_shared_tables() {
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "a""#,
            "l3vni = 4000",
            "table = 254",
        ],
        &[
            r#"fabric.toml:7:9: vrf a: table 254 is reserved by the kernel (write table = "main" for the default VRF)"#,
        ],
    );
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "a""#,
            "l3vni = 4000",
            "table = 10",
            "[[evpn.vrf]]",
            r#"name = "b""#,
            "l3vni = 4001",
            "table = 10",
        ],
        &["fabric.toml:11:9: vrf b: table 10 is also the table of vrf a"],
    );
}

#[test]
fn l3vni_clashes() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            "[[evpn.vrf]]",
            r#"name = "a""#,
            "l3vni = 100",
            "table = 10",
        ],
        &[
            "fabric.toml:8:9: vrf a: l3vni 100 is also an [[evpn.vni]] (a VNI is either a layer-2 VNI or a tenant's L3VNI)",
        ],
    );
}

#[test]
fn unknown_vrf_of_a_vni_and_bad_values() {
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "a b""#,
            "l3vni = 4000",
            "table = 10",
            r#"router_mac = "01:00:5e:00:00:01""#,
            r#"prefixes = ["10.0.0.1/8"]"#,
            "rule_priority = 40000",
            "[[evpn.vni]]",
            "vni = 100",
            r#"vrf = "green""#,
        ],
        &[
            r#"fabric.toml:5:8: vrf name "a b" is invalid (1 to 64 characters: letters, digits, '-', '_', '.')"#,
            "fabric.toml:8:14: vrf a b: router_mac 01:00:5e:00:00:01 is not a unicast MAC address (RFC 9135 §8.1)",
            "fabric.toml:9:13: vrf a b: prefixes: 10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)",
            "fabric.toml:10:17: vrf a b: rule_priority 40000 is out of range (1 to 32765: before the main table's rule 32766)",
            r#"fabric.toml:13:7: vni 100: vrf "green" is not an [[evpn.vrf]] name"#,
        ],
    );
}

#[test]
fn table_keyword_errors_name_the_value() {
    check(
        &[
            "[[evpn.vrf]]",
            r#"name = "a""#,
            "l3vni = 4000",
            r#"table = "mian""#,
        ],
        &[
            r#"fabric.toml:7:9: table "mian" is invalid: use a table number (1 to 4294967295) or "main""#,
        ],
    );
}
