//! Each `[bgp]` / `[[neighbor]]` validation rule: exact `file:line:col: message`.

mod common;
use common::{check, check_whole};

#[test]
fn reserved_local_asn() {
    check_whole(
        &["[bgp]", "asn = 0", r#"router_id = "10.0.0.11""#],
        &["fabric.toml:2:7: asn 0 is reserved (RFC 7607)"],
    );
    check_whole(
        &["[bgp]", "asn = 23456", r#"router_id = "10.0.0.11""#],
        &["fabric.toml:2:7: asn 23456 is reserved (AS_TRANS, RFC 6793)"],
    );
}

#[test]
fn zero_router_id_and_cluster_id() {
    check_whole(
        &[
            "[bgp]",
            "asn = 65001",
            r#"router_id = "0.0.0.0""#,
            r#"cluster_id = "0.0.0.0""#,
        ],
        &[
            "fabric.toml:3:13: router_id 0.0.0.0 is invalid (the BGP identifier must be non-zero, RFC 6286)",
            "fabric.toml:4:14: cluster_id 0.0.0.0 is invalid (must be non-zero)",
        ],
    );
}

#[test]
fn listen_duplicates_and_port_zero() {
    check(
        &[r#"listen = ["0.0.0.0:179", "0.0.0.0:179", "10.0.0.11:0"]"#],
        &[
            "fabric.toml:4:26: listen 0.0.0.0:179 is listed twice",
            "fabric.toml:4:41: listen 10.0.0.11:0: port 0 is invalid",
        ],
    );
}

#[test]
fn hold_time_one_or_two() {
    check(
        &["hold_time = 2"],
        &["fabric.toml:4:13: hold_time 2 is invalid (must be 0 or at least 3)"],
    );
}

#[test]
fn keepalive_against_hold_time() {
    check(
        &["hold_time = 9", "keepalive = 9"],
        &["fabric.toml:5:13: keepalive 9 must be less than the hold time 9"],
    );
    check(
        &["keepalive = 0"],
        &[
            "fabric.toml:4:13: keepalive 0 with hold_time 90: the peer would expire the session (use at most 30)",
        ],
    );
    check(
        &["hold_time = 0", "keepalive = 30"],
        &[
            "fabric.toml:5:13: keepalive 30 with hold_time 0: no keepalives are sent when the hold time is 0 (remove keepalive or set it to 0)",
        ],
    );
}

#[test]
fn connect_retry_zero() {
    check(
        &["connect_retry = 0"],
        &["fabric.toml:4:17: connect_retry 0 is invalid (at least 1 second)"],
    );
}

#[test]
fn graceful_restart_ranges() {
    check(
        &[
            "[bgp.graceful_restart]",
            "restart_time = 5000",
            "stale_routes_time = 0",
        ],
        &[
            "fabric.toml:5:16: graceful_restart.restart_time 5000 does not fit the 12-bit field (at most 4095 seconds)",
            "fabric.toml:6:21: graceful_restart.stale_routes_time 0 is out of range (1 to 4095 seconds)",
        ],
    );
}

#[test]
fn restarting_speaker_keys() {
    check(
        &[
            "[bgp.graceful_restart]",
            "select_defer_time = 4000",
            r#"state_file = "run/evpnd.restart""#,
        ],
        &[
            "fabric.toml:5:21: graceful_restart.select_defer_time 4000 is out of range (0 to 3600 seconds)",
            r#"fabric.toml:6:14: graceful_restart.state_file "run/evpnd.restart" must be an absolute path"#,
        ],
    );
    let errs = common::errors(
        "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.11\"\n[bgp.graceful_restart]\non_shutdown = \"flush\"\n",
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("fabric.toml:5:15:") && errs[0].contains("hard-reset"),
        "{errs:?}"
    );
}

#[test]
fn duplicate_neighbor() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
        ],
        &["fabric.toml:8:11: neighbor 10.0.0.1 is configured twice"],
    );
}

#[test]
fn neighbor_address_must_be_usable() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "224.0.0.1""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "fe80::1""#,
            "remote_asn = 65001",
        ],
        &[
            "fabric.toml:5:11: neighbor 224.0.0.1: not a unicast address",
            r#"fabric.toml:8:11: neighbor fe80::1: a link-local address has no meaning without its link; for a peer on a link write `interface = "<name>"` instead (its link-local address is discovered)"#,
        ],
    );
}

#[test]
fn reserved_remote_asn() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 23456",
        ],
        &["fabric.toml:6:14: neighbor 10.0.0.1: remote_asn 23456 is reserved (AS_TRANS, RFC 6793)"],
    );
}

#[test]
fn ttl_security_excludes_ebgp_multihop() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65002",
            "ttl_security = 1",
            "ebgp_multihop = 2",
        ],
        &[
            "fabric.toml:7:16: neighbor 10.0.0.1: ttl_security and ebgp_multihop cannot both be set (GTSM fixes the TTL at 255)",
        ],
    );
}

#[test]
fn ttl_security_range() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65002",
            "ttl_security = 255",
        ],
        &["fabric.toml:7:16: neighbor 10.0.0.1: ttl_security 255 is out of range (1 to 254 hops)"],
    );
}

#[test]
fn ebgp_multihop_is_ebgp_only_and_nonzero() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "ebgp_multihop = 2",
        ],
        &[
            "fabric.toml:7:17: neighbor 10.0.0.1: ebgp_multihop applies to eBGP only (remote_asn 65001 is our AS)",
        ],
    );
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65002",
            "ebgp_multihop = 0",
        ],
        &["fabric.toml:7:17: neighbor 10.0.0.1: ebgp_multihop 0 is out of range (1 to 255 hops)"],
    );
}

#[test]
fn route_reflector_client_is_ibgp_only() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65002",
            "route_reflector_client = true",
        ],
        &[
            "fabric.toml:7:26: neighbor 10.0.0.1: route_reflector_client needs an iBGP peer (remote_asn 65002 is not our AS 65001)",
        ],
    );
}

#[test]
fn neighbor_timers() {
    // The example from the issue: a neighbour's own hold time.
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.1.0.0""#,
            "remote_asn = 65000",
            "hold_time = 2",
        ],
        &["fabric.toml:7:13: neighbor 10.1.0.0: hold_time 2 is invalid (must be 0 or at least 3)"],
    );
    // Own keepalive against the inherited hold time.
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "keepalive = 90",
        ],
        &["fabric.toml:7:13: neighbor 10.0.0.1: keepalive 90 must be less than the hold time 90"],
    );
    // Inherited keepalive against an own hold time: reported at the hold time.
    check(
        &[
            "keepalive = 30",
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "hold_time = 20",
        ],
        &[
            "fabric.toml:8:13: neighbor 10.0.0.1: keepalive 30 (from [bgp]) must be less than the hold time 20",
        ],
    );
}

#[test]
fn global_timer_error_is_not_repeated_per_neighbor() {
    check(
        &[
            "hold_time = 1",
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
        ],
        &["fabric.toml:4:13: hold_time 1 is invalid (must be 0 or at least 3)"],
    );
}

#[test]
fn password_length() {
    let long = format!("password = \"{}\"", "x".repeat(81));
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"password = """#,
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            &long,
        ],
        &[
            "fabric.toml:7:12: neighbor 10.0.0.1: password is empty (leave it out to disable TCP MD5)",
            "fabric.toml:11:12: neighbor 10.0.0.2: password is 81 bytes long; TCP MD5 keys are at most 80",
        ],
    );
}

#[test]
fn neighbor_port_zero() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "port = 0",
        ],
        &["fabric.toml:7:8: neighbor 10.0.0.1: port 0 is invalid"],
    );
}

#[test]
fn update_source() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"update_source = "2001:db8::1""#,
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            r#"update_source = "0.0.0.0""#,
        ],
        &[
            "fabric.toml:7:17: neighbor 10.0.0.1: update_source 2001:db8::1 and the neighbour address are of different IP versions",
            "fabric.toml:11:17: neighbor 10.0.0.2: update_source 0.0.0.0 is not a unicast address",
        ],
    );
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"update_source = "lo""#,
        ],
        &[
            r#"fabric.toml:7:17: update_source "lo" is not an IP address (interface names are not supported yet: give the interface's address)"#,
        ],
    );
}

#[test]
fn max_prefix() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "max_prefix = { limit = 0 }",
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            "max_prefix = { limit = 10, restart_after = 30, warning_only = true }",
            "[[neighbor]]",
            r#"address = "10.0.0.3""#,
            "remote_asn = 65001",
            "max_prefix = { limit = 10, restart_after = 0 }",
        ],
        &[
            "fabric.toml:7:24: neighbor 10.0.0.1: max_prefix limit 0 is invalid (at least 1)",
            "fabric.toml:11:44: neighbor 10.0.0.2: max_prefix restart_after has no effect with warning_only (the session is never closed)",
            "fabric.toml:15:44: neighbor 10.0.0.3: max_prefix restart_after 0 is invalid (at least 1 second; leave it out to stay down)",
        ],
    );
}

#[test]
fn families() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "families = []",
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            r#"families = ["l2vpn-evpn", "evpn"]"#,
        ],
        &[
            "fabric.toml:7:12: neighbor 10.0.0.1: families is empty: the session would carry nothing",
            "fabric.toml:11:27: neighbor 10.0.0.2: family l2vpn-evpn is listed twice",
        ],
    );
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"families = ["vpnv4"]"#,
        ],
        &[
            r#"fabric.toml:7:13: unknown address family "vpnv4" (expected ipv4-unicast, ipv6-unicast or l2vpn-evpn)"#,
        ],
    );
}

#[test]
fn unicast_families_are_carried() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"families = ["l2vpn-evpn", "ipv4-unicast", "ipv6"]"#,
        ],
        &[],
    );
}

#[test]
fn networks_without_host_bits_or_repeats() {
    check(
        &[
            r#"networks = ["10.0.0.11/32", "10.0.1.1/24", "2001:db8::11/128", "10.0.0.11/32", "224.0.0.0/4"]"#,
            "max_paths = 0",
        ],
        &[
            "fabric.toml:4:29: networks: 10.0.1.1/24 has host bits set (did you mean 10.0.1.0/24?)",
            "fabric.toml:4:64: networks lists 10.0.0.11/32 twice",
            "fabric.toml:4:80: networks: 224.0.0.0/4 is a multicast prefix, not a unicast destination",
            "fabric.toml:5:13: max_paths 0 is invalid (1 = no multipath)",
        ],
    );
}

#[test]
fn unicast_families_are_accepted() {
    // Issue 13: the underlay families ride the same session as EVPN.
    let c = common::valid(&[
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65001",
        r#"families = ["l2vpn-evpn", "ipv4-unicast", "ipv6"]"#,
    ]);
    assert_eq!(c.neighbor[0].families.len(), 3);
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            r#"families = ["ipv4-unicast", "ipv4"]"#,
        ],
        &["fabric.toml:7:29: neighbor 10.0.0.1: family ipv4-unicast is listed twice"],
    );
}

#[test]
fn passive_needs_a_listener() {
    check(
        &[
            "listen = []",
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            "remote_asn = 65001",
            "passive = true",
        ],
        &[
            "fabric.toml:8:11: neighbor 10.0.0.1: passive, but [bgp].listen is empty: the session can never come up",
        ],
    );
}

#[test]
fn ipv4_mapped_neighbour_is_a_duplicate() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.2""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "::ffff:10.0.0.2""#,
            "remote_asn = 65001",
        ],
        &["fabric.toml:8:11: neighbor ::ffff:10.0.0.2 is configured twice (also as 10.0.0.2)"],
    );
}

#[test]
fn neighbour_equal_to_our_own_address() {
    check_whole(
        &[
            "[bgp]",
            "asn = 65001",
            r#"router_id = "10.0.0.11""#,
            r#"listen = ["10.0.0.12:179"]"#,
            "[evpn]",
            r#"vtep_ip = "10.0.0.13""#,
            "[[neighbor]]",
            r#"address = "10.0.0.11""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "::ffff:10.0.0.12""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.13""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.14""#,
            r#"update_source = "10.0.0.14""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.20""#,
            r#"update_source = "10.0.0.15""#,
            "remote_asn = 65001",
            "[[neighbor]]",
            r#"address = "10.0.0.15""#,
            "remote_asn = 65001",
        ],
        &[
            "fabric.toml:8:11: neighbor 10.0.0.11 is our own router_id: a session with ourselves is refused",
            "fabric.toml:11:11: neighbor ::ffff:10.0.0.12 is our own listen address: a session with ourselves is refused",
            "fabric.toml:14:11: neighbor 10.0.0.13 is our own vtep_ip: a session with ourselves is refused",
            "fabric.toml:18:17: neighbor 10.0.0.14: update_source 10.0.0.14 is the neighbour's own address",
            "fabric.toml:25:11: neighbor 10.0.0.15 is our own update_source: a session with ourselves is refused",
        ],
    );
}
