//! Whole-message properties: `decode(encode(x)) == x` for generated OPEN,
//! UPDATE, NOTIFICATION, ROUTE-REFRESH and KEEPALIVE; no panic on any input;
//! stream framing across arbitrary read boundaries.

use std::net::{IpAddr, Ipv4Addr};

use bytes::BytesMut;
use evpnd_wire::attr::{AsPath, AttrValue, ExtCommunity, PathAttribute, PmsiTunnel};
use evpnd_wire::capability::{AddPathFamily, AddPathMode, Capability, GrFamily, GracefulRestart};
use evpnd_wire::framing::{Framer, decode_frame};
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, Imet, MacIp};
use evpnd_wire::notification::Notification;
use evpnd_wire::open::Open;
use evpnd_wire::route_refresh::RouteRefresh;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Esi, Family, Label3, MacAddr, Rd, RouteTarget, Vni};
use proptest::prelude::*;

fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        Just(Family::L2VPN_EVPN),
        Just(Family::IPV4_UNICAST),
        Just(Family::IPV6_UNICAST)
    ]
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        family().prop_map(Capability::multiprotocol),
        Just(Capability::RouteRefresh),
        Just(Capability::EnhancedRouteRefresh),
        Just(Capability::ExtendedMessage),
        any::<u32>().prop_map(|asn| Capability::FourOctetAs { asn }),
        (0u8..5).prop_map(|role| Capability::Role { role }),
        (
            any::<bool>(),
            any::<bool>(),
            0u16..4096,
            proptest::collection::vec((family(), any::<bool>()), 0..3)
        )
            .prop_map(|(r, n, t, f)| Capability::GracefulRestart(GracefulRestart {
                restarting: r,
                notification: n,
                restart_time: t,
                flags: (u8::from(r) << 3) | (u8::from(n) << 2),
                families: f
                    .into_iter()
                    .map(|(family, fw)| GrFamily {
                        family,
                        forwarding: fw,
                        flags: if fw { 0x80 } else { 0 }
                    })
                    .collect(),
            })),
        proptest::collection::vec((family(), 0u8..3), 1..3).prop_map(|v| Capability::AddPath {
            families: v
                .into_iter()
                .map(|(family, m)| AddPathFamily {
                    family,
                    mode: [AddPathMode::Receive, AddPathMode::Send, AddPathMode::Both]
                        [usize::from(m)]
                })
                .collect()
        }),
        ("[a-z]{0,20}", "[a-z.]{0,20}")
            .prop_map(|(hostname, domain)| Capability::Fqdn { hostname, domain }),
        (100u8..=127, proptest::collection::vec(any::<u8>(), 0..10))
            .prop_map(|(code, value)| Capability::Raw { code, value }),
    ]
}

fn open() -> impl Strategy<Value = Open> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<[u8; 4]>(),
        proptest::collection::vec(capability(), 0..8),
    )
        .prop_map(|(asn, hold, id, caps)| Open::new(asn, hold, Ipv4Addr::from(id), caps))
}

fn mac_ip() -> impl Strategy<Value = EvpnNlri> {
    (
        any::<[u8; 4]>(),
        1u16..1000,
        any::<[u8; 6]>(),
        proptest::option::of(any::<[u8; 4]>()),
        1u32..0xffffff,
    )
        .prop_map(|(rid, n, mac, ip, vni)| EvpnNlri {
            path_id: None,
            route: EvpnRoute::MacIp(MacIp {
                rd: Rd::Ipv4 {
                    addr: Ipv4Addr::from(rid),
                    number: n,
                },
                esi: Esi::ZERO,
                ethernet_tag: 0,
                mac: MacAddr(mac),
                ip: ip.map(|a| IpAddr::V4(Ipv4Addr::from(a))),
                label1: Label3::from_raw(vni),
                label2: None,
            }),
        })
}

fn evpn_update() -> impl Strategy<Value = Update> {
    (
        proptest::collection::vec(mac_ip(), 1..20),
        any::<[u8; 4]>(),
        proptest::collection::vec(any::<u32>().prop_map(|a| a.max(1)), 0..5),
        any::<u16>(),
        proptest::option::of(any::<u32>()),
        any::<bool>(),
    )
        .prop_map(|(routes, nh, path, rt, seq, imet)| {
            let vtep = IpAddr::V4(Ipv4Addr::from(nh));
            let mut ecs = vec![
                ExtCommunity::RouteTarget {
                    value: RouteTarget::As2 {
                        asn: rt,
                        value: 100,
                    },
                },
                ExtCommunity::VXLAN,
            ];
            if let Some(s) = seq {
                ecs.push(ExtCommunity::MacMobility {
                    sticky: s % 2 == 0,
                    sequence: s,
                });
            }
            let mut attrs = vec![
                PathAttribute::new(AttrValue::Origin(evpnd_wire::attr::Origin::Igp)),
                PathAttribute::new(AttrValue::AsPath(AsPath::sequence(path))),
                PathAttribute::new(AttrValue::ExtCommunities(ecs)),
            ];
            let mut routes = routes;
            if imet {
                let vni = Vni::new(100).expect("vni");
                attrs.push(PathAttribute::new(AttrValue::PmsiTunnel(
                    PmsiTunnel::ingress_replication(vni, vtep),
                )));
                routes.push(EvpnNlri {
                    path_id: None,
                    route: EvpnRoute::Imet(Imet {
                        rd: Rd::Ipv4 {
                            addr: Ipv4Addr::from(nh),
                            number: 100,
                        },
                        ethernet_tag: 0,
                        originator: vtep,
                    }),
                });
            }
            Update::evpn_reach(vtep, routes, attrs)
        })
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        open().prop_map(Message::Open),
        evpn_update().prop_map(Message::Update),
        proptest::collection::vec(mac_ip(), 0..10)
            .prop_map(|r| Message::Update(Update::evpn_withdraw(r))),
        (
            1u8..8,
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(c, s, d)| Message::Notification(Notification::new(c, s, d))),
        (family(), 0u8..3).prop_map(|(f, st)| Message::RouteRefresh(RouteRefresh {
            family: f,
            subtype: st
        })),
        Just(Message::Keepalive),
    ]
}

proptest! {
    #[test]
    fn messages_round_trip(m in message()) {
        let ctx = Context::default();
        let bytes = m.to_bytes(&ctx);
        let back = decode_message(&bytes, &ctx).expect("own encoding decodes");
        prop_assert_eq!(&back, &m);
        if let Message::Update(u) = &back {
            prop_assert_eq!(u.verdict(), None);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600), t in 1u8..6, as4 in any::<bool>()) {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
        m.push(t);
        m.extend_from_slice(&body);
        let ctx = Context { four_octet_as: as4, add_path: vec![Family::L2VPN_EVPN], ..Context::default() };
        let _ = decode_message(&m, &ctx);
        let _ = decode_message(&m[..m.len() / 2], &ctx);
    }

    /// A valid UPDATE with any single byte changed never panics and never
    /// yields an UPDATE the encoder cannot write back.
    #[test]
    fn mutated_updates_never_panic(u in evpn_update(), pos in any::<prop::sample::Index>(), val in any::<u8>()) {
        let ctx = Context::default();
        let mut b = Message::Update(u).to_bytes(&ctx).to_vec();
        let i = 19 + pos.index(b.len() - 19);
        b[i] = val;
        if let Ok(m) = decode_message(&b, &ctx) {
            let _ = m.to_bytes(&ctx);
        }
    }

    #[test]
    fn framing_survives_any_split(msgs in proptest::collection::vec(message(), 1..5), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let ctx = Context::default();
        let mut stream = BytesMut::new();
        for m in &msgs {
            m.encode(&ctx, &mut stream);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len())).collect();
        points.sort();
        let mut framer = Framer::new(4096);
        let mut out = Vec::new();
        let mut last = 0;
        for p in points.into_iter().chain([stream.len()]) {
            framer.push(&stream[last..p]);
            last = p;
            while let Some(f) = framer.next_frame().expect("valid stream") {
                out.push(decode_message(&f, &ctx).expect("frame decodes"));
            }
        }
        prop_assert_eq!(out, msgs);
        prop_assert_eq!(framer.pending(), 0);
    }
}

#[test]
fn framing_rejects_bad_headers_before_buffering() {
    let mut b = BytesMut::from(&[0xffu8; 16][..]);
    b.extend_from_slice(&[0x10, 0x01, 2]); // length 4097
    let e = decode_frame(&mut b, 4096).expect_err("too long");
    assert_eq!(
        (e.code, e.subcode, e.data.as_slice()),
        (1, 2, &[0x10, 0x01][..])
    );
    assert!(
        decode_frame(&mut b.clone(), 65535)
            .expect("extended ok")
            .is_none(),
        "waits for the rest"
    );
    let mut b = BytesMut::from(&[0u8; 19][..]);
    assert_eq!(decode_frame(&mut b, 4096).expect_err("marker").subcode, 1);
    let mut k = BytesMut::from(&[0xffu8; 16][..]);
    k.extend_from_slice(&[0, 20, 4, 0]); // KEEPALIVE of 20 octets
    assert_eq!(
        decode_frame(&mut k, 4096)
            .expect_err("keepalive len")
            .subcode,
        2
    );
    let mut t = BytesMut::from(&[0xffu8; 16][..]);
    t.extend_from_slice(&[0, 19, 9]);
    let e = decode_frame(&mut t, 4096).expect_err("type");
    assert_eq!((e.subcode, e.data), (3, vec![9]));
}

#[test]
fn open_rejects_version_and_unknown_parameters() {
    let ctx = Context::default();
    let mut b = Message::Open(Open::new(65001, 90, Ipv4Addr::new(10, 0, 0, 1), vec![]))
        .to_bytes(&ctx)
        .to_vec();
    b[19] = 3;
    let e = decode_message(&b, &ctx).expect_err("version 3");
    assert_eq!((e.code, e.subcode, e.data), (2, 1, vec![0, 4]));
    // One optional parameter of type 1 (deprecated authentication).
    let bare = Open {
        params: vec![],
        ..Open::new(65001, 90, Ipv4Addr::new(10, 0, 0, 1), vec![])
    };
    let mut b = Message::Open(bare).to_bytes(&ctx).to_vec();
    let l = b.len();
    b[l - 1] = 3; // optional parameters length
    b.extend_from_slice(&[1, 1, 0]);
    b[17] = b.len() as u8;
    assert_eq!(decode_message(&b, &ctx).expect_err("param").subcode, 4);
}
