//! Property test: every message decodes to what was encoded, and a stream of
//! them splits back into the same messages whatever the chunking.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use evpnd_bmp::header::{PeerHeader, Timestamp, flags};
use evpnd_bmp::initiation::Initiation;
use evpnd_bmp::message::{Message, decode_stream};
use evpnd_bmp::peer_down::{PeerDown, PeerDownReason};
use evpnd_bmp::peer_up::PeerUp;
use evpnd_bmp::route_monitoring::RouteMonitoring;
use evpnd_bmp::stats::{Stat, StatValue, StatisticsReport};
use evpnd_bmp::termination::Termination;
use evpnd_bmp::tlv::Tlv;
use proptest::prelude::*;

/// A whole BGP message of `msg_type` with `body`.
fn bgp(msg_type: u8, body: Vec<u8>) -> Vec<u8> {
    let mut v = vec![0xff; 16];
    v.extend(((19 + body.len()) as u16).to_be_bytes());
    v.push(msg_type);
    v.extend(body);
    v
}

fn bgp_msg(msg_type: u8) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(move |b| bgp(msg_type, b))
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

fn peer() -> impl Strategy<Value = PeerHeader> {
    let global = (
        addr(),
        any::<u32>(),
        any::<[u8; 4]>(),
        prop::sample::select(vec![0, flags::L, flags::A, flags::L | flags::A, flags::O]),
        any::<(u32, u32)>(),
        any::<u64>(),
    )
        .prop_map(|(a, asn, id, fl, (s, us), rd)| {
            let mut h = PeerHeader::global(
                a,
                asn,
                Ipv4Addr::from(id),
                fl,
                Timestamp {
                    secs: s,
                    micros: us,
                },
            );
            h.distinguisher = rd;
            h
        });
    let loc = (any::<u32>(), any::<[u8; 4]>(), any::<bool>()).prop_map(|(asn, id, f)| {
        let mut h = PeerHeader::loc_rib(asn, Ipv4Addr::from(id), Timestamp::ZERO);
        if f {
            h.flags = flags::F;
        }
        h
    });
    prop_oneof![global, loc]
}

fn tlvs() -> impl Strategy<Value = Vec<Tlv>> {
    proptest::collection::vec(
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..32))
            .prop_map(|(kind, value)| Tlv { kind, value }),
        0..4,
    )
}

fn stat() -> impl Strategy<Value = Stat> {
    prop_oneof![
        (
            prop::sample::select(vec![0u16, 1, 2, 3, 4, 5, 6, 11, 12, 13]),
            any::<u32>()
        )
            .prop_map(|(k, v)| Stat::counter(k, v)),
        (prop::sample::select(vec![7u16, 8, 14, 15]), any::<u64>())
            .prop_map(|(k, v)| Stat::gauge(k, v)),
        (
            prop::sample::select(vec![9u16, 10, 16, 17]),
            any::<(u16, u8, u64)>()
        )
            .prop_map(|(kind, (afi, safi, value))| Stat {
                kind,
                value: StatValue::AfiSafiGauge { afi, safi, value },
            }),
        (100u16..1000, proptest::collection::vec(any::<u8>(), 0..16)).prop_map(|(kind, d)| Stat {
            kind,
            value: StatValue::Raw(d),
        }),
    ]
}

fn reason() -> impl Strategy<Value = PeerDownReason> {
    prop_oneof![
        bgp_msg(3).prop_map(PeerDownReason::LocalNotification),
        any::<u16>().prop_map(PeerDownReason::LocalNoNotification),
        bgp_msg(3).prop_map(PeerDownReason::RemoteNotification),
        Just(PeerDownReason::RemoteNoData),
        Just(PeerDownReason::Deconfigured),
        (6u8..=255, proptest::collection::vec(any::<u8>(), 0..16))
            .prop_map(|(code, data)| PeerDownReason::Other { code, data }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (peer(), bgp_msg(2))
            .prop_map(|(peer, update)| Message::RouteMonitoring(RouteMonitoring { peer, update })),
        (peer(), proptest::collection::vec(stat(), 0..6)).prop_map(|(peer, stats)| {
            Message::StatisticsReport(StatisticsReport { peer, stats })
        }),
        (peer(), reason()).prop_map(|(peer, reason)| Message::PeerDown(PeerDown { peer, reason })),
        (
            peer(),
            addr(),
            any::<(u16, u16)>(),
            bgp_msg(1),
            bgp_msg(1),
            tlvs()
        )
            .prop_map(|(peer, la, (lp, rp), s, r, info)| {
                // The local address has the peer's family (V flag).
                let local_address = match (peer.is_v6(), la) {
                    (true, IpAddr::V4(a)) => IpAddr::V6(a.to_ipv6_mapped()),
                    (false, IpAddr::V6(a)) => IpAddr::V4(Ipv4Addr::from(
                        <[u8; 4]>::try_from(&a.octets()[12..]).unwrap_or([0; 4]),
                    )),
                    (_, a) => a,
                };
                Message::PeerUp(PeerUp {
                    peer,
                    local_address,
                    local_port: lp,
                    remote_port: rp,
                    sent_open: s,
                    received_open: r,
                    info,
                })
            }),
        tlvs().prop_map(|tlvs| Message::Initiation(Initiation { tlvs })),
        tlvs().prop_map(|tlvs| Message::Termination(Termination { tlvs })),
    ]
}

proptest! {
    #[test]
    fn every_message_round_trips(m in message()) {
        let b = m.to_bytes();
        let (back, used) = Message::decode(&b).expect("decodes");
        prop_assert_eq!(used, b.len());
        prop_assert_eq!(back.to_bytes(), b);
        prop_assert_eq!(back, m);
    }

    #[test]
    fn a_stream_splits_back_into_its_messages(
        ms in proptest::collection::vec(message(), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut all = Vec::new();
        for m in &ms {
            all.extend_from_slice(&m.to_bytes());
        }
        // A prefix of the stream yields whole messages only.
        let at = cut.index(all.len() + 1);
        let (first, used) = decode_stream(&all[..at]).expect("a prefix decodes");
        let (rest, used2) = decode_stream(&all[used..]).expect("the rest decodes");
        prop_assert_eq!(used + used2, all.len());
        let again: Vec<Message> = first.into_iter().chain(rest).collect();
        prop_assert_eq!(again.len(), ms.len());
    }
}
