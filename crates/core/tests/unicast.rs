//! IPv4/IPv6 unicast through the sans-IO core: decoded UPDATEs in, UPDATEs
//! to peers and main-table changes out. A leaf (AS 65011) with two eBGP
//! spines (AS 65101, 65102) and, where said, an unnumbered peer on swp1.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use common::Rig;
use evpnd_core::{Core, Input, Time};
use evpnd_evpn::dataplane::{Gateway, RouteVia};
use evpnd_evpn::{DesiredChange, LocalEvent};
use evpnd_session::{Negotiated, PeerEvent, Transport};
use evpnd_wire::attr::{AsPath, AttrValue, NextHop, Origin, PathAttribute};
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::nlri::prefix::Prefix;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};
use ipnet::IpNet;

const LEAF: &str = r#"
[bgp]
asn = 65011
router_id = "10.0.0.11"
networks = ["10.11.0.0/24", "2001:db8:11::/64"]

[[neighbor]]
address = "10.1.1.1"
remote_asn = 65101
families = ["ipv4-unicast", "ipv6-unicast", "l2vpn-evpn"]

[[neighbor]]
address = "10.1.2.1"
remote_asn = 65102
families = ["ipv4-unicast", "ipv6-unicast", "l2vpn-evpn"]

[[neighbor]]
address = "10.0.0.99"
remote_asn = 65011
families = ["l2vpn-evpn"]

[evpn]
learn_from_kernel = true
vtep_ip = "10.0.0.11"
"#;

const ALL: [Family; 3] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family::L2VPN_EVPN,
];

/// A rig for `config`; `interface`: peer 0 is unnumbered on that interface.
fn rig(config: &str, interface: Option<&str>) -> Rig {
    let mut cfg = evpnd_config::parse(config, "test.toml").expect("test config");
    if let Some(i) = interface {
        cfg.neighbor[0].interface = Some(toml::Spanned::new(0..0, i.to_string()));
    }
    let peers = cfg.neighbor.len();
    Rig {
        core: Core::new(Arc::new(cfg), Time::ZERO),
        now: Time::ZERO,
        sent: vec![Vec::new(); peers],
        bmp: Vec::new(),
    }
}

fn negotiated(asn: u32, rid: &str, families: &[Family], extended: bool) -> Negotiated {
    let mut n = common::test_negotiated(rid.parse().expect("rid"), None);
    n.peer_asn = asn;
    n.ibgp = asn == 65011;
    n.families = families.to_vec();
    if extended {
        n.extended_next_hop = vec![Family::IPV4_UNICAST];
    }
    n
}

/// Peer `peer` comes up with `n`, our end of the TCP connection at `local`.
fn up(r: &mut Rig, peer: u32, n: Negotiated, local: &str) {
    let local: SocketAddr = local.parse().expect("socket address");
    r.peer(PeerEvent::Up {
        peer,
        negotiated: n,
        transport: Some(Box::new(Transport {
            local,
            remote: local,
            sent_open: Vec::new(),
            received_open: Vec::new(),
        })),
    });
}

fn synced(r: &mut Rig) {
    r.input(Input::Local(LocalEvent::Synced));
}

fn prefix(s: &str) -> Prefix {
    Prefix {
        path_id: None,
        net: s.parse().expect("prefix"),
    }
}

fn attrs(asns: &[u32]) -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(asns.to_vec()))),
    ]
}

/// An IPv4 announcement in the classic fields, through the real codec.
fn v4(nh: &str, asns: &[u32], prefixes: &[&str]) -> Update {
    let u = Update::unicast_reach(
        Family::IPV4_UNICAST,
        NextHop::V4(nh.parse().expect("nh")),
        prefixes.iter().map(|p| prefix(p)).collect(),
        attrs(asns),
    );
    codec(&u)
}

/// Encodes and decodes `u` as a whole message.
fn codec(u: &Update) -> Update {
    let ctx = Context::default();
    let mut out = BytesMut::new();
    Message::Update(u.clone()).encode(&ctx, &mut out);
    match decode_message(&out, &ctx).expect("decodes") {
        Message::Update(u) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

/// The main-table changes since the last look.
fn main_table(r: &mut Rig) -> Vec<DesiredChange> {
    r.core
        .take_dataplane()
        .into_iter()
        .filter(|d| {
            matches!(
                d,
                DesiredChange::Route { table: 254, .. }
                    | DesiredChange::RouteGone { table: 254, .. }
            )
        })
        .collect()
}

fn gw(ip: &str, dev: Option<&str>) -> Gateway {
    Gateway {
        ip: ip.parse().expect("gateway"),
        dev: dev.map(str::to_string),
    }
}

fn route(prefix: &str, hops: Vec<Gateway>) -> DesiredChange {
    DesiredChange::Route {
        table: 254,
        prefix: prefix.parse().expect("prefix"),
        via: RouteVia::Gateways { hops },
    }
}

/// Every UPDATE peer `peer` was handed since the last look, each batch
/// acknowledged as written so the next one comes.
fn updates(r: &mut Rig, peer: u32) -> Vec<Update> {
    let mut out = Vec::new();
    loop {
        let b = r.batches(peer);
        if b.is_empty() {
            return out;
        }
        out.extend(b.into_iter().flatten());
        r.drained(peer);
    }
}

/// (family, next hop, prefixes) of every unicast announcement.
fn announced(us: &[Update]) -> Vec<(Family, NextHop, Vec<IpNet>)> {
    let mut out = Vec::new();
    for u in us {
        if !u.nlri.is_empty() {
            let nh = NextHop::V4(u.next_hop().expect("NEXT_HOP"));
            out.push((
                Family::IPV4_UNICAST,
                nh,
                u.nlri.iter().map(|p| p.net).collect(),
            ));
        }
        if let Some(m) = u.mp_reach()
            && let evpnd_wire::attr::MpNlri::Prefixes(p) = &m.nlri
        {
            out.push((
                m.family,
                m.next_hop.clone(),
                p.iter().map(|p| p.net).collect(),
            ));
        }
    }
    out
}

/// Both eBGP spines (AS 65101, 65102) come up with every family.
fn spines_up(r: &mut Rig) {
    up(
        r,
        0,
        negotiated(65101, "10.0.1.1", &ALL, false),
        "10.1.1.2:40000",
    );
    up(
        r,
        1,
        negotiated(65102, "10.0.1.2", &ALL, false),
        "10.1.2.2:40001",
    );
}

fn leaf_with_spines() -> Rig {
    let mut r = rig(LEAF, None);
    spines_up(&mut r);
    synced(&mut r);
    r
}

#[test]
fn ecmp_over_two_ebgp_spines_then_withdraw_then_peer_down() {
    let mut r = leaf_with_spines();
    main_table(&mut r);
    r.update(0, v4("10.1.1.1", &[65101, 65012], &["10.0.0.12/32"]));
    assert_eq!(
        main_table(&mut r),
        vec![route("10.0.0.12/32", vec![gw("10.1.1.1", None)])]
    );
    // Same length through the other spine (another AS): multipath relax.
    r.update(1, v4("10.1.2.1", &[65102, 65012], &["10.0.0.12/32"]));
    assert_eq!(
        main_table(&mut r),
        vec![route(
            "10.0.0.12/32",
            vec![gw("10.1.1.1", None), gw("10.1.2.1", None)]
        )]
    );
    let v = r
        .core
        .unicast_route(&"10.0.0.12/32".parse().expect("p"))
        .expect("view");
    assert_eq!((v.multipath, v.paths.len(), v.installed.len()), (2, 2, 2));
    // A re-announcement changes nothing: nothing re-sent.
    r.update(1, v4("10.1.2.1", &[65102, 65012], &["10.0.0.12/32"]));
    assert_eq!(main_table(&mut r), vec![]);
    // Spine 1 withdraws: one hop left.
    r.update(
        0,
        codec(&Update::unicast_withdraw(
            Family::IPV4_UNICAST,
            vec![prefix("10.0.0.12/32")],
        )),
    );
    assert_eq!(
        main_table(&mut r),
        vec![route("10.0.0.12/32", vec![gw("10.1.2.1", None)])]
    );
    // Spine 2's session goes: the route goes at once.
    r.down(1, false);
    assert_eq!(
        main_table(&mut r),
        vec![DesiredChange::RouteGone {
            table: 254,
            prefix: "10.0.0.12/32".parse().expect("p")
        }]
    );
}

#[test]
fn longer_as_path_or_strict_multipath_installs_one_hop() {
    let strict = LEAF.replace("networks =", "multipath_relax = false\nnetworks =");
    for (config, path2, hops) in [
        (LEAF, vec![65102, 65099, 65012], 1),     // longer
        (strict.as_str(), vec![65102, 65012], 1), // other AS, no relax
        (LEAF, vec![65102, 65012], 2),
    ] {
        let mut r = rig(config, None);
        spines_up(&mut r);
        synced(&mut r);
        r.update(0, v4("10.1.1.1", &[65101, 65012], &["10.0.0.12/32"]));
        r.update(1, v4("10.1.2.1", &path2, &["10.0.0.12/32"]));
        let last = main_table(&mut r).pop().expect("a route");
        let DesiredChange::Route {
            via: RouteVia::Gateways { hops: h },
            ..
        } = last
        else {
            panic!("not a gateway route: {last:?}");
        };
        assert_eq!(h.len(), hops, "{path2:?}");
    }
}

#[test]
fn nothing_installed_before_the_kernel_dump_then_everything() {
    let mut r = rig(LEAF, None);
    up(
        &mut r,
        0,
        negotiated(65101, "10.0.1.1", &ALL, false),
        "10.1.1.2:40000",
    );
    r.update(
        0,
        v4("10.1.1.1", &[65101], &["10.0.0.12/32", "10.0.0.13/32"]),
    );
    assert_eq!(main_table(&mut r), vec![]);
    synced(&mut r);
    assert_eq!(main_table(&mut r).len(), 2);
}

/// FRR's UPDATE over an unnumbered link (shared/vectors), decoded by the codec.
fn frr_unnumbered_update() -> Update {
    let dir = std::env::var_os("EVPND_VECTORS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    let hex = std::fs::read_to_string(dir.join("ipv4-unicast-rfc8950-linklocal-nexthop-frr.hex"))
        .expect("the RFC 8950 vector (set EVPND_VECTORS to shared/vectors)");
    let hex: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    match decode_message(&bytes, &Context::default()).expect("vector decodes") {
        Message::Update(u) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

#[test]
fn rfc8950_next_hop_in_from_frr_installs_via_the_link_local_on_the_interface() {
    let config = LEAF.replace("remote_asn = 65101", "remote_asn = 4200005792");
    let mut r = rig(&config, Some("swp1"));
    up(
        &mut r,
        0,
        negotiated(4200005792, "10.0.1.1", &ALL, true),
        "[fe80::2]:179",
    );
    synced(&mut r);
    main_table(&mut r);
    r.update(0, frr_unnumbered_update());
    assert_eq!(
        main_table(&mut r),
        vec![route(
            "172.21.64.17/32",
            vec![gw("fe80::1eea:bff:fe6a:39de", Some("swp1"))]
        )]
    );
}

#[test]
fn ipv6_next_hop_for_ipv4_without_extended_next_hop_is_treated_as_withdraw() {
    let config = LEAF.replace("remote_asn = 65101", "remote_asn = 4200005792");
    let mut r = rig(&config, Some("swp1"));
    up(
        &mut r,
        0,
        negotiated(4200005792, "10.0.1.1", &ALL, false),
        "[fe80::2]:179",
    );
    synced(&mut r);
    main_table(&mut r);
    r.update(0, frr_unnumbered_update());
    assert_eq!(main_table(&mut r), vec![]);
    assert!(
        r.core
            .unicast_routes(None)
            .iter()
            .all(|v| v.paths.iter().all(|p| p.peer.is_none()))
    );
    let refused = r.core.status().refused;
    assert!(
        refused
            .iter()
            .any(|(why, n)| why.name() == "extended_next_hop" && *n == 1),
        "{refused:?}"
    );
}

#[test]
fn ipv6_link_local_pair_uses_the_link_local_on_an_interface_else_the_global() {
    let ll_pair = |global: &str| {
        codec(&Update::unicast_reach(
            Family::IPV6_UNICAST,
            NextHop::V6LinkLocal {
                global: global.parse().expect("g"),
                link_local: "fe80::1".parse().expect("ll"),
            },
            vec![prefix("2001:db8:12::/64")],
            attrs(&[65101, 65012]),
        ))
    };
    let mut r = rig(LEAF, Some("swp1"));
    up(
        &mut r,
        0,
        negotiated(65101, "10.0.1.1", &ALL, false),
        "[fe80::2]:179",
    );
    synced(&mut r);
    main_table(&mut r);
    r.update(0, ll_pair("2001:db8:ff::1"));
    assert_eq!(
        main_table(&mut r),
        vec![route("2001:db8:12::/64", vec![gw("fe80::1", Some("swp1"))])]
    );
    // A zero global half: the link-local alone.
    r.update(0, ll_pair("::"));
    assert_eq!(main_table(&mut r), vec![], "same gateway: nothing re-sent");
    let v = r
        .core
        .unicast_route(&"2001:db8:12::/64".parse().expect("p"))
        .expect("view");
    assert_eq!(
        v.paths[0].next_hop,
        "fe80::1".parse::<std::net::IpAddr>().expect("ip")
    );
    // Not an interface peer: the global half.
    let mut r = leaf_with_spines();
    main_table(&mut r);
    r.update(0, ll_pair("2001:db8:ff::1"));
    assert_eq!(
        main_table(&mut r),
        vec![route("2001:db8:12::/64", vec![gw("2001:db8:ff::1", None)])]
    );
}

#[test]
fn as_loop_and_first_as_mismatch_are_refused() {
    let mut r = leaf_with_spines();
    main_table(&mut r);
    r.update(0, v4("10.1.1.1", &[65101, 65011], &["10.0.0.12/32"]));
    r.update(0, v4("10.1.1.1", &[65999, 65012], &["10.0.0.13/32"]));
    assert_eq!(main_table(&mut r), vec![]);
    let refused = r.core.status().refused;
    for name in ["as_path_loop", "first_as_mismatch"] {
        assert!(
            refused.iter().any(|(w, n)| w.name() == name && *n == 1),
            "{name}: {refused:?}"
        );
    }
}

#[test]
fn originated_networks_and_vtep_go_to_unicast_peers_with_end_of_rib_per_family() {
    let mut r = leaf_with_spines();
    let us = updates(&mut r, 0);
    let mut got = announced(&us);
    got.sort_by_key(|(f, _, _)| f.afi.0);
    assert_eq!(
        got,
        vec![
            (
                Family::IPV4_UNICAST,
                NextHop::V4("10.1.1.2".parse().expect("ip")),
                vec![
                    "10.11.0.0/24".parse().expect("p"),
                    "10.0.0.11/32".parse().expect("p")
                ]
            ),
            // No IPv6 address of ours on an IPv4 session: none of the
            // fallbacks (update_source, vtep_ip, a /128 network) is IPv6.
        ],
    );
    let eors: Vec<Family> = us.iter().filter_map(|u| u.is_end_of_rib()).collect();
    assert_eq!(
        eors,
        vec![
            Family::L2VPN_EVPN,
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST
        ]
    );
    // The EVPN-only iBGP peer gets no unicast, and only the EVPN End-of-RIB.
    up(
        &mut r,
        2,
        negotiated(65011, "10.0.0.99", &[Family::L2VPN_EVPN], false),
        "10.0.0.11:179",
    );
    let us = updates(&mut r, 2);
    assert!(announced(&us).is_empty(), "{us:?}");
    assert_eq!(
        us.iter()
            .filter_map(|u| u.is_end_of_rib())
            .collect::<Vec<_>>(),
        vec![Family::L2VPN_EVPN]
    );
    // Our own prefixes are never installed.
    assert_eq!(main_table(&mut r), vec![]);
}

#[test]
fn ebgp_export_prepends_sets_next_hop_self_and_skips_the_peers_own_as() {
    let mut r = leaf_with_spines_settled();
    let mut a = attrs(&[65101, 65012]);
    a.push(PathAttribute::new(AttrValue::Med(50)));
    let u = codec(&Update::unicast_reach(
        Family::IPV4_UNICAST,
        NextHop::V4("10.1.1.1".parse().expect("nh")),
        vec![prefix("10.0.0.12/32"), prefix("10.0.0.13/32")],
        a,
    ));
    r.update(0, u);
    // Through AS 65102 already: not sent to spine 2.
    r.update(0, v4("10.1.1.1", &[65101, 65102], &["10.0.0.14/32"]));
    let us = updates(&mut r, 1);
    assert_eq!(
        announced(&us),
        vec![(
            Family::IPV4_UNICAST,
            NextHop::V4("10.1.2.2".parse().expect("ip")),
            vec![
                "10.0.0.12/32".parse().expect("p"),
                "10.0.0.13/32".parse().expect("p")
            ]
        )]
    );
    let u = &us[0];
    assert_eq!(
        u.as_path(),
        Some(&AsPath::sequence(vec![65011, 65101, 65012]))
    );
    assert_eq!(u.med(), None, "MED not passed between neighbouring ASes");
    assert_eq!(u.local_pref(), None, "no LOCAL_PREF to eBGP");
    // Never back to the spine it came from.
    assert!(announced(&updates(&mut r, 0)).is_empty());
}

#[test]
fn rfc8950_next_hop_out_on_an_unnumbered_session_as_frr_sends_it() {
    let mut r = rig(LEAF, Some("swp1"));
    up(
        &mut r,
        0,
        negotiated(65101, "10.0.1.1", &ALL, true),
        "[fe80::2]:179",
    );
    synced(&mut r);
    let us = updates(&mut r, 0);
    let ll: std::net::Ipv6Addr = "fe80::2".parse().expect("ll");
    let pair = NextHop::V6LinkLocal {
        global: ll,
        link_local: ll,
    };
    let got = announced(&us);
    assert!(
        got.contains(&(
            Family::IPV4_UNICAST,
            pair.clone(),
            vec![
                "10.11.0.0/24".parse().expect("p"),
                "10.0.0.11/32".parse().expect("p")
            ]
        )),
        "{got:?}"
    );
    assert!(got.contains(&(
        Family::IPV6_UNICAST,
        pair,
        vec!["2001:db8:11::/64".parse().expect("p")]
    )));
    // Through the real codec: FRR's form (MP_REACH AFI 1, 32-octet next hop).
    let v4u = us
        .iter()
        .find(|u| {
            u.mp_reach()
                .is_some_and(|m| m.family == Family::IPV4_UNICAST)
        })
        .expect("IPv4 in MP_REACH");
    let back = codec(v4u);
    assert!(back.nlri.is_empty() && back.next_hop().is_none() && back.issues.is_empty());
    assert_eq!(back.mp_reach(), v4u.mp_reach());
}

#[test]
fn export_packs_many_prefixes_per_update() {
    let mut r = leaf_with_spines();
    updates(&mut r, 1);
    updates(&mut r, 0);
    let prefixes: Vec<String> = (0..3000u32)
        .map(|i| format!("10.{}.{}.0/24", 100 + i / 256, i % 256))
        .collect();
    for chunk in prefixes.chunks(500) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        r.update(0, v4("10.1.1.1", &[65101, 65012], &refs));
    }
    let us = updates(&mut r, 1);
    let mut sent = 0;
    let mut messages = 0;
    for u in &us {
        messages += 1;
        sent += u.nlri.len();
        let mut out = BytesMut::new();
        Message::Update(u.clone()).encode(&Context::default(), &mut out);
        assert!(out.len() <= 4096, "message of {} octets", out.len());
    }
    println!("{sent} prefixes in {messages} UPDATEs");
    assert_eq!(sent, 3000);
    // 3000 /24s at 4 octets each fit in 3 or 4 messages of 4096 octets.
    assert!(messages <= 5, "{messages} UPDATEs for 3000 prefixes");
}

#[test]
fn converged_waits_for_every_families_end_of_rib() {
    let mut r = leaf_with_spines();
    let converged = |r: &mut Rig| r.core.take_dataplane().contains(&DesiredChange::Converged);
    r.update(0, Update::end_of_rib(Family::L2VPN_EVPN));
    r.update(1, Update::end_of_rib(Family::L2VPN_EVPN));
    r.update(0, Update::end_of_rib(Family::IPV4_UNICAST));
    r.update(1, Update::end_of_rib(Family::IPV4_UNICAST));
    r.update(0, Update::end_of_rib(Family::IPV6_UNICAST));
    assert!(!converged(&mut r), "spine 2 owes IPv6");
    r.update(1, Update::end_of_rib(Family::IPV6_UNICAST));
    // Peer 2 (iBGP, EVPN) is configured but never came up: the deadline.
    assert!(!converged(&mut r));
    r.now = r.now + evpnd_core::CONVERGE_DEADLINE;
    r.input(Input::Tick);
    assert!(converged(&mut r));
}

#[test]
fn graceful_restart_keeps_unicast_routes_until_end_of_rib() {
    let mut r = leaf_with_spines();
    r.update(
        0,
        v4(
            "10.1.1.1",
            &[65101, 65012],
            &["10.0.0.12/32", "10.0.0.13/32"],
        ),
    );
    main_table(&mut r);
    r.down(0, true);
    assert_eq!(main_table(&mut r), vec![], "kept while the peer restarts");
    let mut n = negotiated(65101, "10.0.1.1", &ALL, false);
    n.graceful_restart = Some(evpnd_session::negotiate::PeerGr {
        restart_time: 120,
        restarting: true,
        notification: true,
        families: ALL.iter().map(|f| (*f, true)).collect(),
    });
    up(&mut r, 0, n, "10.1.1.2:40000");
    r.update(0, v4("10.1.1.1", &[65101, 65012], &["10.0.0.12/32"]));
    r.update(0, Update::end_of_rib(Family::IPV4_UNICAST));
    let gone = main_table(&mut r);
    assert_eq!(
        gone,
        vec![DesiredChange::RouteGone {
            table: 254,
            prefix: "10.0.0.13/32".parse().expect("p")
        }]
    );
}

/// The leaf with both spines up and past our initial table.
fn leaf_with_spines_settled() -> Rig {
    let mut r = leaf_with_spines();
    updates(&mut r, 0);
    updates(&mut r, 1);
    r
}

/// A leaf with an IPv6 VTEP whose spine session runs over IPv6.
const LEAF6: &str = r#"
[bgp]
asn = 65011
router_id = "10.0.0.11"

[[neighbor]]
address = "2001:db8:1::1"
remote_asn = 65101
families = ["ipv6-unicast", "l2vpn-evpn"]

[[neighbor]]
address = "10.1.2.1"
remote_asn = 65102
families = ["ipv4-unicast", "ipv6-unicast"]
max_prefix = { limit = 2 }

[evpn]
learn_from_kernel = true
vtep_ip = "2001:db8::11"
"#;

#[test]
fn ipv6_vtep_goes_to_ipv6_unicast_with_the_session_or_vtep_address_as_next_hop() {
    let mut r = rig(LEAF6, None);
    let v6 = [Family::IPV6_UNICAST, Family::L2VPN_EVPN];
    up(
        &mut r,
        0,
        negotiated(65101, "10.0.1.1", &v6, false),
        "[2001:db8:1::2]:179",
    );
    let v4v6 = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    up(
        &mut r,
        1,
        negotiated(65102, "10.0.1.2", &v4v6, false),
        "10.1.2.2:179",
    );
    synced(&mut r);
    let loopback: IpNet = "2001:db8::11/128".parse().expect("p");
    assert_eq!(
        announced(&updates(&mut r, 0)),
        vec![(
            Family::IPV6_UNICAST,
            NextHop::V6("2001:db8:1::2".parse().expect("ip")),
            vec![loopback]
        )]
    );
    // Over IPv4: the IPv6 VTEP is our IPv6 next hop; no IPv4 prefix of ours.
    let us = updates(&mut r, 1);
    assert_eq!(
        announced(&us),
        vec![(
            Family::IPV6_UNICAST,
            NextHop::V6("2001:db8::11".parse().expect("ip")),
            vec![loopback]
        )]
    );
    assert_eq!(
        us.iter()
            .filter_map(|u| u.is_end_of_rib())
            .collect::<Vec<_>>(),
        vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    // Route refresh for IPv6 unicast: the Adj-RIB-Out goes again.
    r.peer(PeerEvent::RouteRefresh {
        peer: 1,
        family: Family::IPV6_UNICAST,
        subtype: 0,
    });
    assert_eq!(announced(&updates(&mut r, 1)).len(), 1, "re-sent");
}

#[test]
fn unicast_routes_count_against_max_prefix() {
    let mut r = rig(LEAF6, None);
    let v4v6 = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    up(
        &mut r,
        1,
        negotiated(65102, "10.0.1.2", &v4v6, false),
        "10.1.2.2:179",
    );
    updates(&mut r, 1);
    r.update(1, v4("10.1.2.1", &[65102], &["10.9.0.0/24", "10.9.1.0/24"]));
    assert!(r.batches(1).is_empty(), "at the limit: nothing happens");
    r.update(1, v4("10.1.2.1", &[65102], &["10.9.2.0/24"]));
    let shut = std::mem::take(&mut r.sent[1]);
    assert!(
        shut.iter().any(|c| matches!(
            c,
            evpnd_session::PeerCommand::Shutdown { notify, .. }
                if notify.data[..3] == [0, 1, 1]
        )),
        "Cease / max prefixes with AFI 1 SAFI 1: {shut:?}"
    );
}

#[test]
fn reload_replaces_the_originated_networks() {
    let mut r = leaf_with_spines_settled();
    let text = LEAF.replace(
        r#"networks = ["10.11.0.0/24", "2001:db8:11::/64"]"#,
        r#"networks = ["10.12.0.0/24"]"#,
    );
    let cfg = evpnd_config::parse(&text, "test.toml").expect("config");
    r.input(Input::Command(evpnd_core::Command::Reconfigure {
        config: Box::new(cfg),
    }));
    let us = updates(&mut r, 0);
    assert_eq!(
        announced(&us),
        vec![(
            Family::IPV4_UNICAST,
            NextHop::V4("10.1.1.2".parse().expect("ip")),
            vec!["10.12.0.0/24".parse().expect("p")]
        )]
    );
    let withdrawn: Vec<IpNet> = us
        .iter()
        .flat_map(|u| u.withdrawn.iter().map(|p| p.net))
        .collect();
    assert_eq!(withdrawn, vec!["10.11.0.0/24".parse::<IpNet>().expect("p")]);
}

#[test]
fn after_a_restart_routes_wait_for_convergence_then_go_in_whole() {
    // The kernel side adopted the previous run's two-hop route: installing
    // spine 1's path alone first would flap it to one hop and back.
    let mut r = rig(LEAF, None);
    r.input(Input::Command(evpnd_core::Command::BeginRestart {
        defer: std::time::Duration::ZERO,
    }));
    synced(&mut r);
    spines_up(&mut r);
    r.update(0, v4("10.1.1.1", &[65101, 65012], &["10.0.0.12/32"]));
    assert_eq!(
        main_table(&mut r),
        vec![],
        "one spine's path is not the table"
    );
    r.update(1, v4("10.1.2.1", &[65102, 65012], &["10.0.0.12/32"]));
    for peer in [0, 1] {
        for f in ALL {
            r.update(peer, Update::end_of_rib(f));
        }
    }
    assert_eq!(main_table(&mut r), vec![], "peer 2 has not converged yet");
    r.now = r.now + evpnd_core::CONVERGE_DEADLINE;
    r.input(Input::Tick);
    let out = r.core.take_dataplane();
    let installed = route(
        "10.0.0.12/32",
        vec![gw("10.1.1.1", None), gw("10.1.2.1", None)],
    );
    let at = |d: &DesiredChange| out.iter().position(|o| o == d);
    assert!(
        at(&installed) < at(&DesiredChange::Converged) && at(&installed).is_some(),
        "the whole route, before the sweep: {out:?}"
    );
}
