//! NLRI round-trip properties and the RFC 7606 verdicts for malformed EVPN NLRI.

mod common;

use std::net::IpAddr;

use bytes::BytesMut;
use evpnd_wire::nlri::evpn::*;
use evpnd_wire::nlri::prefix::{Prefix, decode_prefixes, encode_prefixes};
use evpnd_wire::types::{Afi, Esi, Label3, MacAddr, Rd};
use evpnd_wire::{Action, NlriReason};
use ipnet::IpNet;
use proptest::prelude::*;

fn rd() -> impl Strategy<Value = Rd> {
    prop_oneof![
        (any::<u16>(), any::<u32>()).prop_map(|(asn, number)| Rd::As2 { asn, number }),
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, number)| Rd::Ipv4 {
            addr: a.into(),
            number
        }),
        (any::<u32>(), any::<u16>()).prop_map(|(asn, number)| Rd::As4 { asn, number }),
        (3u8..=255, any::<[u8; 7]>()).prop_map(|(t, v)| {
            let mut b = [0u8; 8];
            b[1] = t;
            b[2..].copy_from_slice(&v[1..]);
            Rd::Raw(b)
        }),
    ]
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from)
    ]
}

fn label() -> impl Strategy<Value = Label3> {
    any::<[u8; 3]>().prop_map(Label3)
}

fn route() -> impl Strategy<Value = EvpnRoute> {
    prop_oneof![
        (rd(), any::<[u8; 10]>(), any::<u32>(), label()).prop_map(|(rd, e, t, l)| {
            EvpnRoute::EthernetAd(EthernetAd {
                rd,
                esi: Esi(e),
                ethernet_tag: t,
                label: l,
            })
        }),
        (
            rd(),
            any::<[u8; 10]>(),
            any::<u32>(),
            any::<[u8; 6]>(),
            proptest::option::of(ip()),
            label(),
            proptest::option::of(label())
        )
            .prop_map(|(rd, e, t, m, ip, l1, l2)| EvpnRoute::MacIp(MacIp {
                rd,
                esi: Esi(e),
                ethernet_tag: t,
                mac: MacAddr(m),
                ip,
                label1: l1,
                label2: l2
            })),
        (rd(), any::<u32>(), ip()).prop_map(|(rd, t, o)| EvpnRoute::Imet(Imet {
            rd,
            ethernet_tag: t,
            originator: o
        })),
        (rd(), any::<[u8; 10]>(), ip()).prop_map(|(rd, e, o)| EvpnRoute::EthernetSegment(
            EthernetSegment {
                rd,
                esi: Esi(e),
                originator: o
            }
        )),
        (
            rd(),
            any::<u32>(),
            any::<bool>(),
            any::<[u8; 16]>(),
            0u8..=128,
            any::<bool>(),
            label()
        )
            .prop_map(|(rd, t, v6, a, plen, esi_index, l)| {
                let (prefix, gateway) = if v6 {
                    let p: IpNet = ipnet::Ipv6Net::new(a.into(), plen).expect("plen").into();
                    (
                        p,
                        if esi_index {
                            IpAddr::from([0u8; 16])
                        } else {
                            IpAddr::from(a)
                        },
                    )
                } else {
                    let b = [a[0], a[1], a[2], a[3]];
                    let p: IpNet = ipnet::Ipv4Net::new(b.into(), plen % 33)
                        .expect("plen")
                        .into();
                    (
                        p,
                        if esi_index {
                            IpAddr::from([0u8; 4])
                        } else {
                            IpAddr::from(b)
                        },
                    )
                };
                let esi = if esi_index {
                    Esi([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
                } else {
                    Esi::ZERO
                };
                EvpnRoute::IpPrefix(IpPrefix {
                    rd,
                    esi,
                    ethernet_tag: t,
                    prefix,
                    gateway,
                    label: l,
                })
            }),
        (6u8..=255, proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(route_type, value)| EvpnRoute::Unknown { route_type, value }),
    ]
}

proptest! {
    #[test]
    fn evpn_round_trip(routes in proptest::collection::vec((proptest::option::of(any::<u32>()), route()), 0..8), add_path in any::<bool>()) {
        let nlris: Vec<EvpnNlri> = routes
            .into_iter()
            .map(|(id, route)| EvpnNlri { path_id: if add_path { Some(id.unwrap_or(0)) } else { None }, route })
            .collect();
        let mut buf = BytesMut::new();
        encode_evpn_nlris(&nlris, &mut buf);
        prop_assert_eq!(buf.len(), nlris.iter().map(evpn_nlri_len).sum::<usize>());
        // Known types come back as they were; unknown ones are discarded,
        // one issue each (RFC 7606 §5.4).
        let (back, issues) = decode_evpn_nlris_lenient(&buf, add_path).expect("decodes");
        let (unknown, known): (Vec<EvpnNlri>, Vec<EvpnNlri>) = nlris
            .into_iter()
            .partition(|n| matches!(n.route, EvpnRoute::Unknown { .. }));
        prop_assert_eq!(back, known);
        prop_assert_eq!(issues.len(), unknown.len());
        prop_assert!(issues.iter().all(|i| i.error.kind == NlriReason::UnknownRouteType));
    }

    #[test]
    fn evpn_arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300), add_path in any::<bool>()) {
        let _ = decode_evpn_nlris_lenient(&b, add_path);
    }

    #[test]
    fn prefix_round_trip(v in proptest::collection::vec((any::<[u8; 16]>(), 0u8..=128, proptest::option::of(any::<u32>())), 0..10), v6 in any::<bool>(), add_path in any::<bool>()) {
        let ps: Vec<Prefix> = v.into_iter().map(|(a, l, id)| {
            // Only the octets the length covers are on the wire: zero the rest.
            let net: IpNet = if v6 {
                ipnet::Ipv6Net::new(a.into(), l).expect("len").trunc().into()
            } else {
                ipnet::Ipv4Net::new([a[0], a[1], a[2], a[3]].into(), l % 33).expect("len").trunc().into()
            };
            Prefix { path_id: if add_path { Some(id.unwrap_or(1)) } else { None }, net }
        }).collect();
        let mut buf = BytesMut::new();
        encode_prefixes(&ps, &mut buf);
        let back = decode_prefixes(&buf, if v6 { Afi::IPV6 } else { Afi::IPV4 }, add_path).expect("decodes");
        prop_assert_eq!(back, ps);
    }

    #[test]
    fn prefix_arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..100)) {
        let _ = decode_prefixes(&b, Afi::IPV4, false);
        let _ = decode_prefixes(&b, Afi::IPV6, true);
    }
}

fn with_len(route_type: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![route_type, value.len() as u8];
    v.extend_from_slice(value);
    v
}

/// ADR 0017 (RFC 7606 §5.3): a known route type that does not parse is a
/// syntax error of the NLRI, the whole run fails with `SessionReset` and the
/// reason says which kind. Before, it was dropped alone and the previous
/// route with that key stayed.
#[test]
fn malformed_known_routes_reset_the_session_with_their_reason() {
    // A valid type-3 route to sit beside each bad one.
    let good = common::unhex("0311000000c8000000320000000020ac1f6506");
    let t2 = common::unhex(
        "000000c800000032000000000000000000000000000030", /* rd esi tag mac_len=0x30 */
    );
    let mut bad_mac_len = t2.clone();
    *bad_mac_len.last_mut().expect("nonempty") = 40;
    bad_mac_len.extend_from_slice(&[0, 1, 2, 3, 4, 5, 0, 0, 0, 1]);
    let mut bad_ip_len = t2.clone();
    bad_ip_len.extend_from_slice(&[0, 1, 2, 3, 4, 5, 24, 10, 0, 0, 0, 0, 1]);
    let mut no_label = t2.clone();
    no_label.extend_from_slice(&[0, 1, 2, 3, 4, 5, 0]);
    let cases: Vec<(&str, Vec<u8>, NlriReason)> = vec![
        (
            "type 2 MAC length 40",
            with_len(2, &bad_mac_len),
            NlriReason::MacLength,
        ),
        (
            "type 2 IP length 24",
            with_len(2, &bad_ip_len),
            NlriReason::IpLength,
        ),
        (
            "type 2 without a label",
            with_len(2, &no_label),
            NlriReason::LabelMissing,
        ),
        (
            "type 1 length 24",
            with_len(1, &[0; 24]),
            NlriReason::RouteLength,
        ),
        (
            "type 3 IP length 24",
            with_len(3, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 1, 2, 3]),
            NlriReason::IpLength,
        ),
        (
            "type 5 length 35",
            with_len(5, &[0; 35]),
            NlriReason::RouteLength,
        ),
        (
            "type 5 prefix /33",
            {
                let mut v = vec![0u8; 34];
                v[22] = 33;
                with_len(5, &v)
            },
            NlriReason::PrefixLength,
        ),
        (
            "type 5 prefix /129",
            {
                let mut v = vec![0u8; 58];
                v[22] = 129;
                with_len(5, &v)
            },
            NlriReason::PrefixLength,
        ),
    ];
    for (what, bad, kind) in cases {
        let mut buf = good.clone();
        buf.extend_from_slice(&bad);
        buf.extend_from_slice(&good);
        let e = decode_evpn_nlris_lenient(&buf, false).expect_err(what);
        assert_eq!(e.action, Action::SessionReset, "{what}: {e}");
        assert_eq!(e.kind, kind, "{what}: {e}");
        let strict = decode_evpn_nlris(&buf, false).expect_err(what);
        assert_eq!(strict.kind, kind);
    }
}

/// RFC 9136 §3.2: a type 5 with both overlay indexes is treated as
/// withdrawn; the issue carries the route so its key can be withdrawn.
#[test]
fn type_5_with_esi_and_gateway_is_treated_as_withdrawn() {
    let good = common::unhex("0311000000c8000000320000000020ac1f6506");
    let mut v = vec![0u8; 34];
    v[8] = 1; // ESI type byte
    v[22] = 24;
    v[27] = 10; // gateway 10.0.0.0 (non-zero)
    let mut buf = good.clone();
    buf.extend_from_slice(&with_len(5, &v));
    buf.extend_from_slice(&good);
    let (routes, issues) = decode_evpn_nlris_lenient(&buf, false).expect("delimited");
    assert_eq!(routes.len(), 2, "good routes kept");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].error.action, Action::TreatAsWithdraw);
    assert_eq!(issues[0].error.kind, NlriReason::EsiAndGateway);
    let w = issues[0].withdraw.as_ref().expect("route to withdraw");
    assert_eq!(w.route.route_type(), 5);
}

#[test]
fn overrun_loses_boundaries_and_unknown_types_are_discarded() {
    let e = decode_evpn_nlris(&[2, 33, 0, 0, 0], false).expect_err("overrun");
    assert_eq!(e.action, Action::SessionReset);
    assert_eq!(e.kind, NlriReason::BoundaryLost);
    let e = decode_evpn_nlris(&[2], false).expect_err("truncated header");
    assert_eq!(e.action, Action::SessionReset);
    // RFC 7606 §5.4: type 254 is skipped by its length and discarded, the
    // type 3 after it is kept; the unknown one is an issue, never a route.
    let (routes, issues) = decode_evpn_nlris_lenient(
        &common::unhex("fe03aabbcc0311000000c8000000320000000020ac1f6506"),
        false,
    )
    .expect("ok");
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].route.route_type(), 3);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].error.action, Action::RouteDiscard);
    assert_eq!(issues[0].error.kind, NlriReason::UnknownRouteType);
    assert!(issues[0].withdraw.is_none());
}

#[test]
fn keys_ignore_labels_and_esi_and_display_like_frr() {
    let b = common::unhex(
        "02250001ac1100030002000000000000000000000000006c30001122334455200b0b0b01000000",
    );
    let mut r = decode_evpn_nlris(&b, false).expect("ok").remove(0).route;
    let k = r.key();
    if let EvpnRoute::MacIp(m) = &mut r {
        m.label1 = Label3([0, 0, 100]);
        m.esi = Esi([1; 10]);
    }
    assert_eq!(r.key(), k);
    assert_eq!(
        r.to_string(),
        "172.17.0.3:2 [2]:[108]:[48]:[00:11:22:33:44:55]:[32]:[11.11.11.1]"
    );
    let imet = decode_evpn_nlris(
        &common::unhex("0311000000c8000000320000000020ac1f6506"),
        false,
    )
    .expect("ok");
    assert_eq!(
        imet[0].route.to_string(),
        "200:50 [3]:[0]:[32]:[172.31.101.6]"
    );
}
