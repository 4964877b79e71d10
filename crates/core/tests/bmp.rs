//! BMP events of the core (issue 14): built only with `[[bmp]]`; a session
//! up carries its OPENs and addresses, every received UPDATE is reported
//! as pre-policy Route Monitoring and every best-path change as Loc-RIB;
//! the table dump walks the RIBs in bounded pages from a cursor.

mod common;

use common::{Rig, leaf_routes, reach, test_negotiated};
use evpnd_bmp::{PeerDownReason, Source};
use evpnd_core::BmpEvent;
use evpnd_session::PeerEvent;
use evpnd_session::messages::{Notified, Transport};
use evpnd_wire::NotifyError;

const RR: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote_asn = 65000

[evpn]
learn_from_kernel = false
"#;

const LEAF: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.2"
[evpn]
learn_from_kernel = false
[[evpn.vni]]
vni = 100
macs = [{ mac = "02:00:00:00:00:0a" }, { mac = "02:00:00:00:00:0b" }, { mac = "02:00:00:00:00:0c" }]
"#;

fn with_bmp() -> String {
    format!("{RR}\n[[bmp]]\naddress = \"127.0.0.1:1790\"\n")
}

fn up(r: &mut Rig) {
    r.peer(PeerEvent::Up {
        peer: 0,
        negotiated: test_negotiated("10.0.0.2".parse().expect("ip"), None),
        transport: Some(Box::new(Transport {
            local: "10.0.0.1:179".parse().expect("addr"),
            remote: "10.0.0.2:40001".parse().expect("addr"),
            sent_open: vec![1, 2, 3],
            received_open: vec![4, 5],
        })),
    });
}

fn monitored(r: &mut Rig, source: Source) -> usize {
    std::mem::take(&mut r.bmp)
        .into_iter()
        .filter(|e| matches!(e, BmpEvent::RouteMonitoring { source: s, .. } if *s == source))
        .count()
}

#[test]
fn no_route_monitoring_is_built_without_collectors() {
    let mut r = Rig::new(RR);
    up(&mut r);
    r.update(0, reach(&leaf_routes(LEAF)));
    assert!(!r.core.monitoring());
    // Only the Peer Up (sessions are always reported).
    assert!(
        matches!(r.bmp.as_slice(), [BmpEvent::PeerUp(_)]),
        "{:?}",
        r.bmp
    );
}

#[test]
fn sessions_updates_and_best_paths_are_reported() {
    let mut r = Rig::new(&with_bmp());
    up(&mut r);
    match r.bmp.as_slice() {
        [BmpEvent::PeerUp(s)] => {
            assert_eq!(
                s.address,
                "10.0.0.2".parse::<std::net::IpAddr>().expect("ip")
            );
            assert_eq!((s.local_port, s.remote_port), (179, 40001));
            assert_eq!(
                (s.sent_open.as_slice(), s.received_open.as_slice()),
                (&[1u8, 2, 3][..], &[4u8, 5][..])
            );
            assert_eq!(
                s.bgp_id,
                "10.0.0.2".parse::<std::net::Ipv4Addr>().expect("ip")
            );
        }
        other => panic!("one Peer Up expected: {other:?}"),
    }
    // Outputs are recordable (serde), BMP events included.
    for ev in &r.bmp {
        let line = serde_json::to_string(&evpnd_core::Output::Bmp(ev.clone())).expect("json");
        assert!(line.contains("\"bmp\":\"peer_up\""), "{line}");
    }
    r.bmp.clear();
    let routes = leaf_routes(LEAF);
    let macs: Vec<_> = routes
        .iter()
        .filter(|x| matches!(x.route, evpnd_wire::nlri::evpn::EvpnRoute::MacIp(_)))
        .cloned()
        .collect();
    r.update(0, reach(&macs));
    let peer = Source::PrePolicy("10.0.0.2".parse().expect("ip"));
    let events = r.bmp.clone();
    assert_eq!(monitored(&mut r, peer), 1, "the UPDATE as received");
    r.bmp = events;
    assert_eq!(
        monitored(&mut r, Source::LocRib),
        3,
        "one per new best path"
    );

    // The dump, two routes a page.
    let mut after = None;
    let mut pages = Vec::new();
    loop {
        let p = r.core.bmp_page(Source::LocRib, after, 2);
        pages.push(p.updates.len());
        match p.next_after {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    assert_eq!(pages.iter().sum::<usize>(), 3, "{pages:?}");
    assert_eq!(pages[0], 2);
    let adj = r.core.bmp_page(peer, None, 100);
    assert_eq!((adj.updates.len(), adj.next_after), (3, None));
    assert_eq!(
        r.core.bmp_sources(),
        vec![
            Source::LocRib,
            peer,
            Source::PostPolicy("10.0.0.2".parse().expect("ip"))
        ]
    );
    let stats = r.core.bmp_stats(peer);
    assert_eq!(stats.len(), 3);

    // Down with a NOTIFICATION we received.
    r.peer(PeerEvent::Down {
        peer: 0,
        reason: "hold timer".into(),
        keep_routes: false,
        notification: Some(Notified {
            notify: NotifyError::new(6, 2, Vec::new(), "shutdown"),
            sent: false,
        }),
    });
    let down = r
        .bmp
        .iter()
        .find_map(|e| match e {
            BmpEvent::PeerDown { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .expect("a Peer Down");
    assert!(
        matches!(down, PeerDownReason::RemoteNotification(ref b) if b.len() == 21 && b[19] == 6 && b[20] == 2),
        "{down:?}"
    );
    assert_eq!(monitored(&mut r, Source::LocRib), 3, "the withdrawals");
}

#[test]
fn post_policy_monitoring_shows_what_the_import_policy_left() {
    let cfg = RR.replace(
        "remote_asn = 65000\n",
        "remote_asn = 65000\nimport_policy = \"in\"\n",
    ) + r#"
[[policy]]
name = "in"
default = "accept"
[[policy.term]]
name = "no-b"
action = "reject"
[policy.term.match]
mac = ["02:00:00:00:00:0b"]

[[bmp]]
address = "127.0.0.1:1790"
route_monitoring = ["post-policy"]
"#;
    let mut r = Rig::new(&cfg);
    up(&mut r);
    r.bmp.clear();
    let macs: Vec<_> = leaf_routes(LEAF)
        .into_iter()
        .filter(|x| matches!(x.route, evpnd_wire::nlri::evpn::EvpnRoute::MacIp(_)))
        .collect();
    r.update(0, reach(&macs));
    let post: Vec<evpnd_wire::update::Update> = r
        .bmp
        .iter()
        .filter_map(|e| match e {
            BmpEvent::RouteMonitoring {
                source: Source::PostPolicy(_),
                update,
            } => Some(update),
            _ => None,
        })
        .map(|b| {
            let ctx = evpnd_wire::Context {
                four_octet_as: true,
                extended_message: true,
                ..Default::default()
            };
            match evpnd_wire::message::decode_message(&b[..], &ctx) {
                Ok(evpnd_wire::message::Message::Update(u)) => u,
                other => panic!("an UPDATE: {other:?}"),
            }
        })
        .collect();
    let mut seen: Vec<(String, bool)> = post
        .iter()
        .flat_map(|u| u.evpn_routes())
        .filter_map(|(n, reach)| match &n.route {
            evpnd_wire::nlri::evpn::EvpnRoute::MacIp(m) => Some((m.mac.to_string(), reach)),
            _ => None,
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("02:00:00:00:00:0a".to_string(), true),
            ("02:00:00:00:00:0b".to_string(), false),
            ("02:00:00:00:00:0c".to_string(), true),
        ],
        "accepted announced, the rejected one withdrawn"
    );
}
