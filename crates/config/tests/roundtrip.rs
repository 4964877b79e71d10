//! Properties: any valid configuration validates, serializes to TOML (what the
//! API shows) and parses back equal, and diffs to nothing against itself;
//! any text, however broken, gives errors with positions and never a panic.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use evpnd_config::{
    Api, AutoOr, AutoRt, Bgp, Config, DuplicateDetection, EthernetTag, Evpn, Freeze,
    GracefulRestart, Log, LogFormat, MaxPrefix, Metrics, Neighbor, RouteTargets, StaticMac,
    VniConfig,
};
use evpnd_wire::{Family, MacAddr, RouteTarget, Vni};
use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use toml::Spanned;

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(0..0, v)
}

const LOCAL_AS: u32 = 65001;

fn hold_and_keepalive() -> impl Strategy<Value = (u16, Option<u16>)> {
    prop_oneof![
        Just((0u16, None)),
        Just((0u16, Some(0u16))),
        (3u16..=600).prop_flat_map(|h| (Just(h), proptest::option::of(1..h))),
    ]
}

fn route_target() -> impl Strategy<Value = RouteTarget> {
    prop_oneof![
        (any::<u16>(), any::<u32>()).prop_map(|(asn, value)| RouteTarget::As2 { asn, value }),
        (any::<u32>(), any::<u16>()).prop_map(|(a, value)| RouteTarget::Ipv4 {
            addr: Ipv4Addr::from(a),
            value
        }),
        (65536u32.., any::<u16>()).prop_map(|(asn, value)| RouteTarget::As4 { asn, value }),
    ]
}

/// Disjoint import / export / both lists, each without repeats.
fn route_targets() -> impl Strategy<Value = RouteTargets> {
    (
        proptest::collection::btree_set(route_target(), 0..6),
        any::<bool>(),
        0usize..3,
        0usize..3,
    )
        .prop_map(|(set, auto, ni, ne)| {
            let all: Vec<RouteTarget> = set.into_iter().collect();
            let (import, rest) = all.split_at(ni.min(all.len()));
            let (export, both) = rest.split_at(ne.min(rest.len()));
            let wrap = |v: &[RouteTarget]| v.iter().copied().map(AutoOr::Value).collect::<Vec<_>>();
            let mut import = wrap(import);
            if auto {
                import.push(AutoOr::Auto);
            }
            RouteTargets {
                import,
                export: wrap(export),
                both: wrap(both),
            }
        })
}

fn unicast_mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(|mut m| {
        m[0] &= 0xfe;
        m[5] |= 1;
        MacAddr(m)
    })
}

fn vni_config(vni: u32, index: u32) -> impl Strategy<Value = VniConfig> {
    (
        any::<bool>(),
        route_targets(),
        proptest::option::of("[a-z][a-z0-9]{0,6}"),
        proptest::collection::btree_set(
            (
                unicast_mac(),
                proptest::option::of(0x0100_0000u32..0x7f00_0000),
            ),
            0..4,
        ),
        proptest::collection::btree_set((1u32..0xdfff_ffff, 8u8..=32), 0..4),
        // Unicast, not loopback, not 10.0.0.0/8 (where vtep_ip may be).
        proptest::collection::btree_set(0x0b00_0000u32..0x7f00_0000, 0..3),
        any::<bool>(),
    )
        .prop_map(
            move |(auto_rd, route_targets, bridge, macs, prefixes, statics, bundle)| VniConfig {
                vni: sp(Vni::new(vni).expect("24 bits")),
                // Explicit RDs are type 0 with numbers no auto RD (type 1) can equal.
                rd: if auto_rd {
                    AutoOr::Auto
                } else {
                    AutoOr::Value(evpnd_wire::Rd::As2 {
                        asn: 65001,
                        number: 100_000 + index,
                    })
                },
                route_targets,
                bridge: bridge.map(|b| format!("br{b}")),
                vxlan_device: Some(format!("vx{vni}")),
                svi: Some(format!("sv{vni}")),
                macs: macs
                    .into_iter()
                    .map(|(mac, ip)| {
                        sp(StaticMac {
                            mac,
                            ip: ip.map(|i| IpAddr::V4(Ipv4Addr::from(i))),
                        })
                    })
                    .collect(),
                prefixes: prefixes
                    .into_iter()
                    .map(|(a, len)| {
                        IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).expect("len").trunc())
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                vrf: None,
                import_policy: None,
                export_policy: None,
                static_vteps: statics
                    .into_iter()
                    .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
                    .collect(),
                ethernet_tag: if bundle {
                    EthernetTag::Vni
                } else {
                    EthernetTag::Zero
                },
            },
        )
}

fn neighbor(addr: Ipv4Addr) -> impl Strategy<Value = Neighbor> {
    (
        prop_oneof![Just(LOCAL_AS), 1u32..23456, 23457u32..],
        proptest::option::of("[ -~]{0,20}"),
        proptest::option::of("[!-~]{1,80}"),
        0u8..4,
        hold_and_keepalive(),
        any::<bool>(),
        (any::<[bool; 4]>(), proptest::option::of(any::<bool>())),
        proptest::option::of((1u32.., proptest::option::of(1u32..3600), any::<bool>())),
        Just(vec![Family::L2VPN_EVPN]),
    )
        .prop_map(
            move |(
                remote_asn,
                description,
                password,
                ttl,
                (hold, ka),
                own_timers,
                (flags, gr),
                mp,
                families,
            )| {
                let ibgp = remote_asn == LOCAL_AS;
                // 0: none, 1: GTSM, 2: multihop (eBGP only), 3: none.
                let (ttl_security, ebgp_multihop) = match ttl {
                    1 => (Some(sp(2u8)), None),
                    2 if !ibgp => (None, Some(5u8)),
                    _ => (None, None),
                };
                Neighbor {
                    address: Some(sp(IpAddr::V4(addr))),
                    interface: None,
                    remote_asn: remote_asn.into(),
                    extended_nexthop: None,
                    description,
                    password,
                    ttl_security,
                    ebgp_multihop,
                    passive: flags[0],
                    hold_time: own_timers.then(|| sp(hold)),
                    // An own hold time comes with an own keepalive: an inherited one may not fit.
                    keepalive: own_timers.then(|| sp(ka.unwrap_or(hold / 3))),
                    route_reflector_client: flags[1] && ibgp,
                    update_source: flags[2].then(|| IpAddr::V4(Ipv4Addr::new(10, 0, 0, 11))),
                    port: if flags[3] { 179 } else { 1179 },
                    max_prefix: mp.map(|(limit, restart_after, warning_only)| MaxPrefix {
                        limit,
                        restart_after: if warning_only { None } else { restart_after },
                        warning_only,
                    }),
                    families,
                    add_path_receive: flags[0] ^ flags[1],
                    graceful_restart: gr,
                    enabled: !flags[3],
                    import_policy: None,
                    export_policy: None,
                }
            },
        )
}

fn config() -> impl Strategy<Value = Config> {
    let neighbors = proptest::collection::btree_set(1u32..0xdfff_ffff, 0..4).prop_flat_map(|a| {
        a.into_iter()
            .map(|x| neighbor(Ipv4Addr::from(x)))
            .collect::<Vec<_>>()
    });
    let vnis = proptest::collection::btree_set(1u32..65536, 0..4).prop_flat_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, vni)| vni_config(vni, i as u32))
            .collect::<Vec<_>>()
    });
    (
        (1u32..=u32::MAX).prop_filter("router id", |r| *r != 0),
        proptest::collection::btree_set(1u16..10000, 1..3),
        hold_and_keepalive(),
        (1u16.., 0u16..=4095, 1u16..=4095, any::<bool>()),
        neighbors,
        vnis,
        (
            any::<bool>(),
            any::<bool>(),
            2u32..=1000,
            2u32..=1800,
            0u8..3,
            30u32..=3600,
        ),
        (
            proptest::option::of(20000u16..30000),
            proptest::option::of(30000u16..40000),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                rid,
                ports,
                (hold, ka),
                (retry, rt, st, gr),
                neighbor,
                mut vni,
                e,
                (api, met, json),
            )| {
                let (kernel, rfc, max_moves, window, freeze, secs) = e;
                if rfc {
                    // An IPv6 vtep_ip: static VTEPs of its family.
                    for v in &mut vni {
                        for ip in &mut v.static_vteps {
                            if let IpAddr::V4(a) = *ip {
                                let [_, _, x, y] = a.octets();
                                *ip = IpAddr::V6(std::net::Ipv6Addr::new(
                                    0x2001,
                                    0xdb8,
                                    1,
                                    0,
                                    0,
                                    0,
                                    u16::from(x),
                                    u16::from(y) + 1,
                                ));
                            }
                        }
                        v.static_vteps.sort();
                        v.static_vteps.dedup();
                    }
                }
                Config {
                    bgp: Bgp {
                        asn: sp(LOCAL_AS),
                        router_id: Ipv4Addr::from(rid),
                        listen: ports
                            .into_iter()
                            .map(|p| SocketAddr::from(([0, 0, 0, 0], p)))
                            .collect(),
                        cluster_id: None,
                        hold_time: sp(hold),
                        keepalive: ka.map(sp),
                        connect_retry: retry,
                        graceful_restart: GracefulRestart {
                            enabled: gr,
                            restart_time: rt,
                            stale_routes_time: st,
                            ..GracefulRestart::default()
                        },
                        networks: if rfc {
                            vec![
                                "10.0.0.11/32".parse().expect("net"),
                                "2001:db8::/64".parse().expect("net"),
                            ]
                        } else {
                            Vec::new()
                        },
                        advertise_vtep: !rfc,
                        max_paths: if rfc { 1 } else { 64 },
                        multipath_relax: !kernel,
                    },
                    neighbor,
                    evpn: Evpn {
                        // Both families of VTEP round-trip.
                        vtep_ip: Some(if rfc {
                            IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x11))
                        } else {
                            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 11))
                        }),
                        learn_from_kernel: kernel,
                        auto_rt: if rfc { AutoRt::Rfc8365 } else { AutoRt::AsVni },
                        default_gateway_macs: Vec::new(),
                        flush_on_shutdown: rfc,
                        flood_state_file: rfc.then(|| "/run/evpnd/x.flood".into()),
                        duplicate_detection: DuplicateDetection {
                            enabled: true,
                            max_moves,
                            window,
                            freeze: match freeze {
                                0 => Freeze::Off,
                                1 => Freeze::Seconds(secs),
                                _ => Freeze::Permanent,
                            },
                        },
                        vni,
                        vrf: Vec::new(),
                        vtep_allow: Vec::new(),
                        strict_rt_import: false,
                        netlink_buffer: 1 << 20,
                    },
                    api: Api {
                        listen: api.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
                        ..Api::default()
                    },
                    metrics: Metrics {
                        listen: met.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
                    },
                    log: Log {
                        level: if json {
                            "debug".into()
                        } else {
                            "info,evpnd_session=trace".into()
                        },
                        format: if json {
                            LogFormat::Json
                        } else {
                            LogFormat::Human
                        },
                    },
                    bmp: Vec::new(),
                    policy: Vec::new(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_configs_round_trip_through_toml(c in config()) {
        prop_assert_eq!(c.validate(), Ok(()));
        let text = toml::to_string(&c).expect("serialize");
        let back = evpnd_config::parse(&text, "shown.toml");
        prop_assert_eq!(back.as_ref(), Ok(&c), "{}", text);
        prop_assert!(Config::diff(&c, &c).is_empty());
    }

    #[test]
    fn any_text_gives_positioned_errors_or_a_config(text in "[\\[\\]a-z_=\"0-9. \n{}:,#]{0,200}") {
        if let Err(errors) = evpnd_config::parse(&text, "f.toml") {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(e.line >= 1 && e.col >= 1, "{}", e);
                prop_assert!(e.line <= text.lines().count() + 1, "{}", e);
            }
        }
    }

    #[test]
    fn damaged_examples_never_panic(cut in 0usize..2000, junk in "[ -~\n]{0,8}") {
        let leaf = include_str!("../../../config/leaf.toml");
        let at = (cut % leaf.len().max(1)).min(leaf.len());
        let mut at = at;
        while !leaf.is_char_boundary(at) {
            at -= 1;
        }
        let text = format!("{}{}{}", &leaf[..at], junk, &leaf[(at + 3).min(leaf.len())..]);
        if let Err(errors) = evpnd_config::parse(&text, "leaf.toml") {
            for e in &errors {
                prop_assert!(e.line >= 1, "{}", e);
            }
        }
    }
}
