//! Each `[evpn]` / `[[evpn.vni]]` validation rule: exact `file:line:col: message`.

mod common;
use common::check;

#[test]
fn vtep_ip_must_be_usable() {
    check(
        &["[evpn]", r#"vtep_ip = "127.0.0.1""#],
        &[
            "fabric.toml:5:11: vtep_ip 127.0.0.1 is not a usable VTEP address (must be a unicast, non-loopback address)",
        ],
    );
}

#[test]
fn vtep_ip_ipv6_rules() {
    // A global IPv6 VTEP is accepted, like an IPv4 one.
    check(&["[evpn]", r#"vtep_ip = "2001:db8::11""#], &[]);
    check(&["[evpn]", r#"vtep_ip = "fd00::11""#], &[]);
    check(
        &["[evpn]", r#"vtep_ip = "::1""#],
        &[
            "fabric.toml:5:11: vtep_ip ::1 is not a usable VTEP address (must be a unicast, non-loopback address)",
        ],
    );
    check(
        &["[evpn]", r#"vtep_ip = "::""#],
        &[
            "fabric.toml:5:11: vtep_ip :: is not a usable VTEP address (must be a unicast, non-loopback address)",
        ],
    );
    check(
        &["[evpn]", r#"vtep_ip = "ff02::1""#],
        &[
            "fabric.toml:5:11: vtep_ip ff02::1 is not a usable VTEP address (must be a unicast, non-loopback address)",
        ],
    );
    check(
        &["[evpn]", r#"vtep_ip = "fe80::1""#],
        &[
            "fabric.toml:5:11: vtep_ip fe80::1 is an IPv6 link-local address: a VTEP needs a global (or unique local) address that other leaves can route to",
        ],
    );
    check(
        &["[evpn]", r#"vtep_ip = "::ffff:10.0.0.11""#],
        &[
            "fabric.toml:5:11: vtep_ip ::ffff:10.0.0.11 is an IPv4-mapped IPv6 address: write the IPv4 address 10.0.0.11",
        ],
    );
}

#[test]
fn vtep_ip_ipv6_is_the_vtep() {
    let c = common::valid(&["[evpn]", r#"vtep_ip = "2001:db8::11""#]);
    assert_eq!(c.vtep_ip().to_string(), "2001:db8::11");
}

#[test]
fn netlink_buffer_range() {
    check(
        &["[evpn]", "netlink_buffer = 1024"],
        &[
            "fabric.toml:5:18: netlink_buffer 1024 is outside 65536..=1073741824 bytes (64 KiB to 1 GiB)",
        ],
    );
    check(&["[evpn]", "netlink_buffer = 262144"], &[]);
}

#[test]
fn default_gateway_macs() {
    check(
        &[
            "[evpn]",
            r#"default_gateway_macs = ["01:00:5e:00:00:01", "00:00:5e:00:01:01", "00:00:5e:00:01:01"]"#,
        ],
        &[
            "fabric.toml:5:25: default_gateway_macs: 01:00:5e:00:00:01 is not a unicast MAC address",
            "fabric.toml:5:67: default_gateway_macs: 00:00:5e:00:01:01 is listed twice",
        ],
    );
    check(
        &[
            "[evpn]",
            r#"default_gateway_macs = ["00:00:5e:00:01:01", "zz"]"#,
        ],
        &[
            r#"fabric.toml:5:46: invalid MAC address "zz": expected six hex octets like 02:00:00:00:00:01"#,
        ],
    );
}

#[test]
fn gateway_mac_in_no_vni_without_kernel() {
    // A static MAC in no VNI: nothing would ever advertise it.
    check(
        &[
            "[evpn]",
            "learn_from_kernel = false",
            r#"default_gateway_macs = ["00:00:5e:00:01:01"]"#,
            "[[evpn.vni]]",
            "vni = 100",
            r#"macs = [{ mac = "02:00:00:00:00:01" }]"#,
        ],
        &[
            "fabric.toml:6:25: default_gateway_macs: 00:00:5e:00:01:01 is in no [[evpn.vni]] macs and learn_from_kernel is false: it would never be advertised",
        ],
    );
}

#[test]
fn duplicate_detection_ranges() {
    check(
        &[
            "[evpn.duplicate_detection]",
            "max_moves = 1",
            "window = 3600",
            "freeze = 10",
        ],
        &[
            "fabric.toml:5:13: duplicate_detection.max_moves 1 is out of range (2 to 1000)",
            "fabric.toml:6:10: duplicate_detection.window 3600 is out of range (2 to 1800 seconds)",
            r#"fabric.toml:7:10: duplicate_detection.freeze 10 is out of range (30 to 3600 seconds, false or "permanent")"#,
        ],
    );
    check(
        &["[evpn.duplicate_detection]", "freeze = true"],
        &[
            r#"fabric.toml:5:10: freeze = true needs a duration: use false, a number of seconds or "permanent""#,
        ],
    );
    check(
        &["[evpn.duplicate_detection]", r#"freeze = "forever""#],
        &[
            r#"fabric.toml:5:10: freeze "forever" is invalid: use false, a number of seconds or "permanent""#,
        ],
    );
}

#[test]
fn duplicate_detection_keys_without_effect() {
    check(
        &[
            "[evpn.duplicate_detection]",
            "enabled = false",
            "max_moves = 3",
        ],
        &["fabric.toml:6:13: duplicate_detection.max_moves has no effect with enabled = false"],
    );
}

#[test]
fn vni_zero_range_and_duplicates() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 0",
            "[[evpn.vni]]",
            "vni = 100",
            "[[evpn.vni]]",
            "vni = 100",
        ],
        &[
            "fabric.toml:5:7: vni 0 is not a valid VXLAN network identifier (1 to 16777215)",
            "fabric.toml:9:7: vni 100 is configured twice",
        ],
    );
    check(
        &["[[evpn.vni]]", "vni = 16777216"],
        &["fabric.toml:5:7: VNI 16777216 out of range (1..=16777215)"],
    );
}

#[test]
fn auto_rd_collisions() {
    // 65636 mod 65536 = 100.
    check(
        &["[[evpn.vni]]", "vni = 100", "[[evpn.vni]]", "vni = 65636"],
        &[
            "fabric.toml:7:7: vni 65636 and vni 100 would get the same auto RD (number 100): set rd explicitly",
        ],
    );
    // An explicit RD equal to another VNI's auto RD.
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"rd = "10.0.0.11:200""#,
            "[[evpn.vni]]",
            "vni = 200",
        ],
        &[
            "fabric.toml:8:7: vni 200: its auto RD 10.0.0.11:200 is also the RD of vni 100: set rd explicitly",
        ],
    );
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            "[[evpn.vni]]",
            "vni = 200",
            r#"rd = "10.0.0.11:100""#,
        ],
        &["fabric.toml:8:6: vni 200: rd 10.0.0.11:100 is also the RD of vni 100"],
    );
}

#[test]
fn route_targets() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"route_targets = { import = ["65001:100", "65001"] }"#,
        ],
        &[
            r#"fabric.toml:6:42: invalid route target "65001": expected ASN:NN or A.B.C.D:NN (e.g. 65001:100 or 10.0.0.1:100)"#,
        ],
    );
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"route_targets = { import = ["65001:100", "auto", "65001:100"], both = ["65001:7"], export = ["65001:7"] }"#,
        ],
        &[
            "fabric.toml:6:50: vni 100: route_targets.import lists 65001:100 twice",
            "fabric.toml:6:94: vni 100: 65001:7 is in route_targets.both and route_targets.export (both already imports and exports it)",
        ],
    );
    check(
        &["[[evpn.vni]]", "vni = 100", r#"rd = "10.0.0.11:70000""#],
        &[
            r#"fabric.toml:6:6: invalid route distinguisher "10.0.0.11:70000": number 70000 exceeds 65535"#,
        ],
    );
}

#[test]
fn device_names() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"bridge = "br/100""#,
            r#"svi = "vlan100""#,
            "[[evpn.vni]]",
            "vni = 200",
            r#"svi = "vlan100""#,
            r#"vxlan_device = "vlan100""#,
        ],
        &[
            r#"fabric.toml:6:10: vni 100: bridge "br/100" is not a valid interface name (1 to 15 characters, no '/', ':' or whitespace)"#,
            "fabric.toml:10:7: vni 200: svi vlan100 is also the SVI of vni 100",
            "fabric.toml:11:16: vni 200: vlan100 cannot be both the svi and the vxlan_device",
        ],
    );
}

#[test]
fn shared_bridge_and_vxlan_device_are_fine() {
    // One VLAN-aware bridge with a single VXLAN device carries many VNIs.
    common::valid(&[
        "[[evpn.vni]]",
        "vni = 100",
        r#"bridge = "br0""#,
        r#"vxlan_device = "vxlan0""#,
        "[[evpn.vni]]",
        "vni = 200",
        r#"bridge = "br0""#,
        r#"vxlan_device = "vxlan0""#,
    ]);
}

#[test]
fn static_macs() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"macs = [{ mac = "01:00:5e:00:00:01" }, { mac = "02:00:00:00:00:01", ip = "224.0.0.5" }, { mac = "02:00:00:00:00:02" }, { mac = "02:00:00:00:00:02" }]"#,
        ],
        &[
            "fabric.toml:6:17: vni 100: 01:00:5e:00:00:01 is not a unicast MAC address",
            "fabric.toml:6:74: vni 100: 224.0.0.5 is not a unicast host address",
            "fabric.toml:6:120: vni 100: static MAC 02:00:00:00:00:02 listed twice",
        ],
    );
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"macs = [{ mac = "02:00:00:00:00" }]"#,
        ],
        &[
            r#"fabric.toml:6:17: invalid MAC address "02:00:00:00:00": expected six hex octets like 02:00:00:00:00:01"#,
        ],
    );
}

#[test]
fn prefixes() {
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"prefixes = ["192.168.100.1/24", "10.1.0.0/16", "10.1.0.0/16"]"#,
        ],
        &[
            "fabric.toml:6:13: vni 100: prefix 192.168.100.1/24 has host bits set (did you mean 192.168.100.0/24?)",
            "fabric.toml:6:48: vni 100: prefix 10.1.0.0/16 is listed twice",
        ],
    );
}

#[test]
fn flood_state_file_must_be_absolute() {
    check(
        &["[evpn]", r#"flood_state_file = "evpnd.flood""#],
        &[r#"fabric.toml:5:20: flood_state_file "evpnd.flood" must be an absolute path"#],
    );
}

#[test]
fn static_vteps_rules() {
    check(
        &[
            "[evpn]",
            r#"vtep_ip = "10.0.0.11""#,
            "[[evpn.vni]]",
            "vni = 100",
            r#"static_vteps = ["10.0.0.9", "10.0.0.9", "10.0.0.11", "224.0.0.1", "2001:db8::9", "127.0.0.2"]"#,
        ],
        &[
            "fabric.toml:8:29: vni 100: static_vteps: 10.0.0.9 is listed twice",
            "fabric.toml:8:41: vni 100: static_vteps: 10.0.0.11 is our own vtep_ip",
            "fabric.toml:8:54: vni 100: static_vteps: 224.0.0.1 is not a unicast, non-loopback address: it cannot be a VTEP",
            "fabric.toml:8:67: vni 100: static_vteps: 2001:db8::9 is not of the family of vtep_ip 10.0.0.11 (a VXLAN device sends over one family)",
            "fabric.toml:8:82: vni 100: static_vteps: 127.0.0.2 is not a unicast, non-loopback address: it cannot be a VTEP",
        ],
    );
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"static_vteps = ["fe80::1", "::ffff:10.0.0.9", "2001:db8::9"]"#,
        ],
        &[
            "fabric.toml:6:17: vni 100: static_vteps: fe80::1 is an IPv6 link-local address: it cannot be a VTEP",
            "fabric.toml:6:28: vni 100: static_vteps: ::ffff:10.0.0.9 is an IPv4-mapped IPv6 address (write the IPv4 address): it cannot be a VTEP",
        ],
    );
    check(
        &[
            "[[evpn.vni]]",
            "vni = 100",
            r#"static_vteps = ["10.0.0.300"]"#,
        ],
        &["fabric.toml:6:17: invalid IP address syntax"],
    );
    let c = common::valid(&[
        "[[evpn.vni]]",
        "vni = 100",
        r#"static_vteps = ["10.0.0.9", "10.0.0.10"]"#,
    ]);
    assert_eq!(
        c.evpn.vni[0].static_vteps,
        vec![
            "10.0.0.9".parse::<std::net::IpAddr>().unwrap(),
            "10.0.0.10".parse().unwrap()
        ]
    );
}

#[test]
fn ethernet_tag_values() {
    use evpnd_config::EthernetTag;
    let c = common::valid(&[
        "[[evpn.vni]]",
        "vni = 100",
        "[[evpn.vni]]",
        "vni = 200",
        "ethernet_tag = 0",
        "[[evpn.vni]]",
        "vni = 300",
        r#"ethernet_tag = "vni""#,
    ]);
    let tags: Vec<EthernetTag> = c.evpn.vni.iter().map(|v| v.ethernet_tag).collect();
    assert_eq!(
        tags,
        [EthernetTag::Zero, EthernetTag::Zero, EthernetTag::Vni]
    );
    assert_eq!(EthernetTag::Vni.of(evpnd_wire::Vni::new(300).unwrap()), 300);
    check(
        &["[[evpn.vni]]", "vni = 100", "ethernet_tag = 100"],
        &[
            r#"fabric.toml:6:16: ethernet_tag 100 is not supported: use 0 (VLAN-based service) or "vni" (VLAN-aware bundle: the tag is the VNI)"#,
        ],
    );
    check(
        &["[[evpn.vni]]", "vni = 100", r#"ethernet_tag = "auto""#],
        &[
            r#"fabric.toml:6:16: ethernet_tag "auto" is invalid: use 0 (VLAN-based service) or "vni" (VLAN-aware bundle: the tag is the VNI)"#,
        ],
    );
}

#[test]
fn shared_rd_needs_a_vlan_aware_bundle() {
    // Both members of the bundle: one RD, routes told apart by tag.
    let bundle = [
        "[[evpn.vni]]",
        "vni = 100",
        r#"rd = "65001:1""#,
        r#"ethernet_tag = "vni""#,
        "[[evpn.vni]]",
        "vni = 200",
        r#"rd = "65001:1""#,
        r#"ethernet_tag = "vni""#,
    ];
    let c = common::valid(&bundle);
    assert_eq!(c.rd(&c.evpn.vni[0]), c.rd(&c.evpn.vni[1]));
    // Only one of them: their type-3 routes (tag 0) would be one route.
    check(
        &bundle[..7],
        &[
            r#"fabric.toml:10:6: vni 200: rd 65001:1 is also the RD of vni 100: VNIs share an RD only in a VLAN-aware bundle, where their routes differ by Ethernet tag; set ethernet_tag = "vni" on both vni 100 and vni 200, or give each its own rd"#,
        ],
    );
    check(
        &[&bundle[..3], &bundle[4..]].concat(),
        &[
            r#"fabric.toml:9:6: vni 200: rd 65001:1 is also the RD of vni 100: VNIs share an RD only in a VLAN-aware bundle, where their routes differ by Ethernet tag; set ethernet_tag = "vni" on both vni 100 and vni 200, or give each its own rd"#,
        ],
    );
}
