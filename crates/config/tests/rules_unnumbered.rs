//! `[[neighbor]] interface` (BGP unnumbered) and `remote_asn = "external" /
//! "internal"`: exact `file:line:col: message`, the model's helpers and the
//! reload diff.

mod common;
use common::{check, valid};

use evpnd_config::{Config, PeerKey, RemoteAs};
use evpnd_wire::Family;

#[test]
fn an_interface_neighbour_with_external_as_is_valid() {
    let c = valid(&[
        "[[neighbor]]",
        r#"interface = "swp1""#,
        r#"remote_asn = "external""#,
        "[[neighbor]]",
        r#"interface = "swp2""#,
        r#"remote_asn = "internal""#,
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        r#"remote_asn = "external""#,
    ]);
    let [a, b, n] = &c.neighbor[..] else {
        panic!("three neighbours")
    };
    assert_eq!(a.key(), PeerKey::Interface("swp1".into()));
    assert_eq!(a.key().to_string(), "swp1");
    assert_eq!(a.ip(), None);
    assert_eq!(a.remote_asn, RemoteAs::External);
    assert!(!c.is_ibgp(a));
    assert!(c.is_ibgp(b));
    assert_eq!(n.key().to_string(), "10.0.0.1");
    assert!(!c.is_ibgp(n));
    assert_eq!(
        c.neighbor_by_key(&"swp2".parse().unwrap_or_else(|e| match e {})),
        Some(b)
    );
    // EVPN only: no IPv4 unicast, no extended next hop.
    assert!(c.extended_next_hop(a).is_empty());
}

#[test]
fn exactly_one_of_address_and_interface() {
    check(
        &["[[neighbor]]", "remote_asn = 65001"],
        &[
            "fabric.toml:4:1: neighbor: needs `address` (a numbered peer) or `interface` (BGP unnumbered)",
        ],
    );
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            r#"interface = "swp1""#,
            "remote_asn = 65002",
        ],
        &[
            "fabric.toml:6:13: neighbor swp1: `address` and `interface` exclude each other: an interface neighbour's address is discovered on the link (remove one)",
        ],
    );
}

#[test]
fn interface_names_follow_the_kernel_rules() {
    for bad in ["swp1234567890123", "a/b", "sw p1", ""] {
        let line = format!("interface = {bad:?}");
        let col = "interface = ".len() + 1;
        check(
            &["[[neighbor]]", &line, "remote_asn = 65002"],
            &[&format!(
                "fabric.toml:5:{col}: neighbor: interface {bad:?} is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)"
            )],
        );
    }
    // 15 bytes is the limit, and fine.
    valid(&[
        "[[neighbor]]",
        r#"interface = "swp123456789012""#,
        "remote_asn = 65002",
    ]);
}

#[test]
fn one_neighbour_per_interface() {
    check(
        &[
            "[[neighbor]]",
            r#"interface = "swp1""#,
            r#"remote_asn = "external""#,
            "[[neighbor]]",
            r#"interface = "swp1""#,
            "remote_asn = 65003",
        ],
        &[
            r#"fabric.toml:8:13: neighbor swp1: interface "swp1" already has a neighbour (neighbor #1): one BGP peer per unnumbered link"#,
        ],
    );
}

#[test]
fn what_an_interface_neighbour_cannot_have() {
    check(
        &[
            "[[neighbor]]",
            r#"interface = "swp1""#,
            r#"remote_asn = "external""#,
            "ebgp_multihop = 2",
            r#"update_source = "10.0.0.11""#,
            r#"password = "secret""#,
        ],
        &[
            "fabric.toml:7:17: neighbor swp1: ebgp_multihop does not apply to an interface neighbour (the peer is on the link: single hop)",
            "fabric.toml:8:17: neighbor swp1: update_source does not apply to an interface neighbour (the session runs between the link's link-local addresses)",
            "fabric.toml:9:12: neighbor swp1: password is not supported on an interface neighbour yet (the TCP MD5 key is per address, and the address is discovered)",
        ],
    );
}

#[test]
fn remote_asn_words_and_their_rules() {
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            r#"remote_asn = "externel""#,
        ],
        &[
            r#"fabric.toml:6:14: remote_asn "externel" is neither an AS number nor "external" / "internal""#,
        ],
    );
    // internal is iBGP: no multihop, but a route-reflector client is fine.
    check(
        &[
            "[[neighbor]]",
            r#"address = "10.0.0.1""#,
            r#"remote_asn = "internal""#,
            "ebgp_multihop = 2",
        ],
        &[
            "fabric.toml:7:17: neighbor 10.0.0.1: ebgp_multihop applies to eBGP only (remote_asn internal is our AS)",
        ],
    );
    valid(&[
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        r#"remote_asn = "internal""#,
        "route_reflector_client = true",
    ]);
    check(
        &[
            "[[neighbor]]",
            r#"interface = "swp1""#,
            r#"remote_asn = "external""#,
            "route_reflector_client = true",
        ],
        &[
            "fabric.toml:7:26: neighbor swp1: route_reflector_client needs an iBGP peer (remote_asn external is not our AS 65001)",
        ],
    );
}

#[test]
fn extended_nexthop_needs_ipv4_unicast() {
    check(
        &[
            "[[neighbor]]",
            r#"interface = "swp1""#,
            r#"remote_asn = "external""#,
            "extended_nexthop = true",
        ],
        &[
            "fabric.toml:7:20: neighbor swp1: extended_nexthop applies to ipv4-unicast, which families does not list",
        ],
    );
}

#[test]
fn extended_next_hop_defaults_on_for_interfaces_with_ipv4_unicast() {
    // Built in code: the unicast families' own rules are the core's.
    let mut c = valid(&[
        "[[neighbor]]",
        r#"interface = "swp1""#,
        r#"remote_asn = "external""#,
        "[[neighbor]]",
        r#"address = "10.0.0.1""#,
        "remote_asn = 65002",
    ]);
    for n in &mut c.neighbor {
        n.families = vec![Family::IPV4_UNICAST, Family::L2VPN_EVPN];
    }
    assert_eq!(c.extended_next_hop(&c.neighbor[0]), [Family::IPV4_UNICAST]);
    assert!(c.extended_next_hop(&c.neighbor[1]).is_empty());
    c.neighbor[1].extended_nexthop = Some(true);
    c.neighbor[0].extended_nexthop = Some(false);
    assert_eq!(c.extended_next_hop(&c.neighbor[1]), [Family::IPV4_UNICAST]);
    assert!(c.extended_next_hop(&c.neighbor[0]).is_empty());
}

fn unnumbered(iface: &str, asn: &str, extra: &[&str]) -> Config {
    let i = format!("interface = {iface:?}");
    let a = format!("remote_asn = {asn}");
    let mut lines = vec!["[[neighbor]]", &i, &a];
    lines.extend_from_slice(extra);
    valid(&lines)
}

#[test]
fn reload_resets_on_as_and_moves_on_interface_changes() {
    let a = unnumbered("swp1", r#""external""#, &[]);
    let same = unnumbered("swp1", r#""external""#, &[r#"description = "spine1""#]);
    let d = Config::diff(&a, &same);
    assert!(d.neighbors_reset.is_empty());
    assert_eq!(d.neighbors_updated, [PeerKey::Interface("swp1".into())]);

    let d = Config::diff(&a, &unnumbered("swp1", "65002", &[]));
    assert_eq!(d.neighbors_reset, [PeerKey::Interface("swp1".into())]);
    assert_eq!(d.neighbor_changes[0].keys, ["remote_asn"]);

    let d = Config::diff(&a, &unnumbered("swp2", r#""external""#, &[]));
    assert_eq!(d.neighbors_removed, [PeerKey::Interface("swp1".into())]);
    assert_eq!(d.neighbors_added, [PeerKey::Interface("swp2".into())]);

    let mut with_v4 = a.clone();
    with_v4.neighbor[0].families = vec![Family::IPV4_UNICAST, Family::L2VPN_EVPN];
    let mut without_enh = with_v4.clone();
    without_enh.neighbor[0].extended_nexthop = Some(false);
    let d = Config::diff(&with_v4, &without_enh);
    assert_eq!(d.neighbors_reset, [PeerKey::Interface("swp1".into())]);
    assert_eq!(d.neighbor_changes[0].keys, ["extended_nexthop"]);
}
