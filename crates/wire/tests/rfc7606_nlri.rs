//! RFC 7606 §5.3/§5.4 for EVPN NLRI at the UPDATE level (ADR 0017): an
//! unknown route type is discarded and the others used; a known route type
//! that does not parse resets the session with NOTIFICATION 3/9 and says
//! which reason, so the previous route with that key cannot silently stay.

use std::net::{IpAddr, Ipv4Addr};

use evpnd_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::nlri::evpn::{EvpnNlri, EvpnRoute, IpPrefix, MacIp};
use evpnd_wire::update::Update;
use evpnd_wire::{Action, Context, Esi, Label3, MacAddr, NlriReason, Rd};

fn ctx() -> Context {
    Context {
        four_octet_as: true,
        add_path: vec![],
        extended_message: false,
        ibgp: true,
    }
}

fn rd() -> Rd {
    Rd::Ipv4 {
        addr: Ipv4Addr::new(10, 0, 0, 2),
        number: 100,
    }
}

fn good() -> EvpnNlri {
    EvpnNlri {
        path_id: None,
        route: EvpnRoute::MacIp(MacIp {
            rd: rd(),
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: MacAddr([2, 0, 0, 0, 0, 1]),
            ip: None,
            label1: Label3::from_raw(100),
            label2: None,
        }),
    }
}

/// Raw bytes under a route type: how a hostile peer's route looks.
fn raw(route_type: u8, value: Vec<u8>) -> EvpnNlri {
    EvpnNlri {
        path_id: None,
        route: EvpnRoute::Unknown { route_type, value },
    }
}

fn wire(routes: Vec<EvpnNlri>) -> Vec<u8> {
    let attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![]))),
    ];
    let vtep = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    Message::Update(Update::evpn_reach(vtep, routes, attrs))
        .to_bytes(&ctx())
        .to_vec()
}

/// RD, ESI, Ethernet Tag of a type-2 route, then what follows.
fn type2(rest: &[u8]) -> Vec<u8> {
    let mut v = rd().to_bytes().to_vec();
    v.extend_from_slice(&[0; 14]);
    v.extend_from_slice(rest);
    v
}

#[test]
fn an_unknown_route_type_is_discarded_and_the_others_kept() {
    let bytes = wire(vec![raw(9, vec![1, 2, 3]), good()]);
    let Ok(Message::Update(u)) = decode_message(&bytes, &ctx()) else {
        panic!("expected an UPDATE");
    };
    let routes: Vec<_> = u.evpn_routes().map(|(n, _)| n.clone()).collect();
    assert_eq!(routes, vec![good()], "only the known route is handed on");
    assert_eq!(u.verdict(), None, "the rest of the UPDATE is used");
    assert_eq!(u.issues.len(), 1);
    let i = &u.issues[0];
    assert!(i.route_only);
    assert_eq!(i.action, Action::RouteDiscard);
    assert_eq!(i.nlri, Some(NlriReason::UnknownRouteType));
}

#[test]
fn malformed_evpn_fields_reset_the_session_with_3_9_and_their_reason() {
    let mac = [2, 0, 0, 0, 0, 9];
    let cases: Vec<(&str, Vec<u8>, NlriReason)> = vec![
        (
            "MAC length 40",
            type2(&[&[40][..], &mac, &[0], &[0, 0, 100]].concat()),
            NlriReason::MacLength,
        ),
        (
            "IP length 24",
            type2(&[&[48][..], &mac, &[24, 10, 0, 0], &[0, 0, 100]].concat()),
            NlriReason::IpLength,
        ),
        (
            "no label",
            type2(&[&[48][..], &mac, &[0]].concat()),
            NlriReason::LabelMissing,
        ),
    ];
    for (what, value, kind) in cases {
        let bytes = wire(vec![good(), raw(2, value)]);
        let e = decode_message(&bytes, &ctx()).expect_err(what);
        assert_eq!((e.code, e.subcode), (3, 9), "{what}: {e}");
        assert_eq!(e.nlri, Some(kind), "{what}: {e}");
        // The data is the MP_REACH_NLRI attribute (RFC 4271 §6.3).
        assert_eq!(e.data.get(1), Some(&14), "{what}");
    }
    // Type 5 with prefix length 33.
    let mut t5 = vec![0u8; 34];
    t5[22] = 33;
    let e = decode_message(&wire(vec![raw(5, t5)]), &ctx()).expect_err("/33");
    assert_eq!(e.nlri, Some(NlriReason::PrefixLength));
}

#[test]
fn a_type_5_with_esi_and_gateway_is_treated_as_withdrawn() {
    let p = EvpnNlri {
        path_id: None,
        route: EvpnRoute::IpPrefix(IpPrefix {
            rd: rd(),
            esi: Esi([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            ethernet_tag: 0,
            prefix: "10.1.0.0/16".parse().expect("net"),
            gateway: IpAddr::V4(Ipv4Addr::new(10, 1, 0, 1)),
            label: Label3::from_raw(100),
        }),
    };
    let bytes = wire(vec![good(), p.clone()]);
    let Ok(Message::Update(u)) = decode_message(&bytes, &ctx()) else {
        panic!("expected an UPDATE");
    };
    assert_eq!(u.evpn_routes().count(), 1);
    assert_eq!(u.issues.len(), 1);
    assert_eq!(u.issues[0].action, Action::TreatAsWithdraw);
    assert_eq!(u.issues[0].nlri, Some(NlriReason::EsiAndGateway));
    assert_eq!(u.issues[0].withdraw.as_ref(), Some(&p));
}
