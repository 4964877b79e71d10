//! Building IPv4/IPv6 unicast UPDATEs (`Update::unicast_reach` /
//! `unicast_withdraw`) and reading them back through the real codec; the
//! RFC 8950 link-local next hop against FRR's captured UPDATE.

mod common;

use bytes::BytesMut;
use evpnd_wire::attr::{AsPath, AttrValue, NextHop, Origin, PathAttribute};
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::nlri::prefix::Prefix;
use evpnd_wire::update::Update;
use evpnd_wire::{Context, Family};

fn roundtrip(u: &Update) -> Update {
    let ctx = Context::default();
    let mut out = BytesMut::new();
    Message::Update(u.clone()).encode(&ctx, &mut out);
    match decode_message(&out, &ctx).expect("decodes") {
        Message::Update(u) => u,
        other => panic!("not an UPDATE: {other:?}"),
    }
}

fn prefix(s: &str) -> Prefix {
    Prefix {
        path_id: None,
        net: s.parse().expect("prefix"),
    }
}

fn attrs(asns: Vec<u32>) -> Vec<PathAttribute> {
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Incomplete)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(asns))),
    ]
}

#[test]
fn rfc8950_link_local_next_hop_as_frr_sends_it() {
    let (_, bytes, _) = common::all_vectors()
        .into_iter()
        .find(|(n, _, _)| n == "ipv4-unicast-rfc8950-linklocal-nexthop-frr")
        .expect("vector present");
    let ctx = Context::default();
    let Message::Update(frr) = decode_message(&bytes, &ctx).expect("vector decodes") else {
        panic!("not an UPDATE");
    };
    let ll = "fe80::1eea:bff:fe6a:39de".parse().expect("ll");
    let ours = Update::unicast_reach(
        Family::IPV4_UNICAST,
        NextHop::V6LinkLocal {
            global: ll,
            link_local: ll,
        },
        vec![prefix("172.21.64.17/32")],
        attrs(vec![4200005792, 4200004867]),
    );
    let back = roundtrip(&ours);
    assert_eq!(back.mp_reach(), frr.mp_reach(), "MP_REACH as FRR's");
    assert_eq!(back.origin(), frr.origin());
    assert_eq!(back.as_path(), frr.as_path());
    assert!(back.nlri.is_empty() && back.next_hop().is_none());
    assert!(back.issues.is_empty(), "{:?}", back.issues);
}

#[test]
fn ipv4_next_hop_goes_classic_ipv6_goes_mp() {
    let v4 = Update::unicast_reach(
        Family::IPV4_UNICAST,
        NextHop::V4("192.0.2.1".parse().expect("ip")),
        vec![prefix("10.0.0.11/32"), prefix("10.1.0.0/16")],
        attrs(vec![65011]),
    );
    let back = roundtrip(&v4);
    assert_eq!(
        back.nlri,
        vec![prefix("10.0.0.11/32"), prefix("10.1.0.0/16")]
    );
    assert_eq!(back.next_hop(), Some("192.0.2.1".parse().expect("ip")));
    assert!(back.mp_reach().is_none() && back.issues.is_empty());
    // Attributes in type-code order: ORIGIN, AS_PATH, NEXT_HOP.
    let codes: Vec<u8> = back.attributes.iter().map(|a| a.type_code()).collect();
    assert_eq!(codes, vec![1, 2, 3]);

    let v6 = Update::unicast_reach(
        Family::IPV6_UNICAST,
        NextHop::V6("2001:db8::1".parse().expect("ip")),
        vec![prefix("2001:db8::11/128")],
        attrs(vec![65011]),
    );
    let back = roundtrip(&v6);
    let mp = back.mp_reach().expect("MP_REACH");
    assert_eq!(mp.family, Family::IPV6_UNICAST);
    assert_eq!(mp.next_hop, NextHop::V6("2001:db8::1".parse().expect("ip")));
    assert!(back.issues.is_empty(), "{:?}", back.issues);

    let w4 = roundtrip(&Update::unicast_withdraw(
        Family::IPV4_UNICAST,
        vec![prefix("10.1.0.0/16")],
    ));
    assert_eq!(w4.withdrawn, vec![prefix("10.1.0.0/16")]);
    let w6 = roundtrip(&Update::unicast_withdraw(
        Family::IPV6_UNICAST,
        vec![prefix("2001:db8::11/128")],
    ));
    assert_eq!(
        w6.mp_unreach().map(|m| m.family),
        Some(Family::IPV6_UNICAST)
    );
}
