//! 100,000 IPv4 unicast routes through one core as a transit speaker
//! (eBGP in from a generator, eBGP out to a receiver), the core alone:
//! decoded UPDATEs in, packed UPDATEs out. Prints the time (no timing
//! assertion); asserts every route came out, packed.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::Rig;
use evpnd_core::{Core, Time};
use evpnd_session::{PeerEvent, Transport};
use evpnd_wire::Family;
use evpnd_wire::attr::{AsPath, AttrValue, NextHop, Origin, PathAttribute};
use evpnd_wire::nlri::prefix::Prefix;
use evpnd_wire::update::Update;

const SPEAKER: &str = r#"
[bgp]
asn = 65000
router_id = "10.0.0.1"
advertise_vtep = false

[[neighbor]]
address = "10.0.1.2"
remote_asn = 65001
families = ["ipv4-unicast"]

[[neighbor]]
address = "10.0.2.2"
remote_asn = 65002
families = ["ipv4-unicast"]

[evpn]
learn_from_kernel = false
"#;

const ROUTES: u32 = 100_000;
/// Prefixes per generated UPDATE (/24s: about 1000 fit in 4096 octets).
const PER_UPDATE: u32 = 800;

fn up(r: &mut Rig, peer: u32, asn: u32, local: &str) {
    let mut n = common::test_negotiated(format!("10.0.{}.2", peer + 1).parse().expect("rid"), None);
    n.peer_asn = asn;
    n.ibgp = false;
    n.families = vec![Family::IPV4_UNICAST];
    r.peer(PeerEvent::Up {
        peer,
        negotiated: n,
        transport: Some(Box::new(Transport {
            local: local.parse().expect("local"),
            remote: local.parse().expect("remote"),
            sent_open: Vec::new(),
            received_open: Vec::new(),
        })),
    });
}

#[test]
fn hundred_thousand_routes_through_a_transit_speaker() {
    let cfg = evpnd_config::parse(SPEAKER, "speaker.toml").expect("config");
    let mut r = Rig {
        core: Core::new(Arc::new(cfg), Time::ZERO),
        now: Time::ZERO,
        sent: vec![Vec::new(); 2],
        bmp: Vec::new(),
    };
    up(&mut r, 0, 65001, "10.0.1.1:179");
    up(&mut r, 1, 65002, "10.0.2.1:179");
    for p in 0..2 {
        r.drained(p);
        r.batches(p);
    }
    let attrs = vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(vec![65001, 64512]))),
    ];
    let updates: Vec<Update> = (0..ROUTES / PER_UPDATE)
        .map(|u| {
            let prefixes = (0..PER_UPDATE)
                .map(|i| {
                    let n = u * PER_UPDATE + i;
                    Prefix {
                        path_id: None,
                        net: format!("{}.{}.{}.0/24", 20 + n / 65536, (n / 256) % 256, n % 256)
                            .parse()
                            .expect("prefix"),
                    }
                })
                .collect();
            Update::unicast_reach(
                Family::IPV4_UNICAST,
                NextHop::V4("10.0.1.2".parse().expect("nh")),
                prefixes,
                attrs.clone(),
            )
        })
        .collect();
    let start = Instant::now();
    let mut out_routes = 0usize;
    let mut out_messages = 0usize;
    for u in updates {
        r.update(0, u);
        for b in r.batches(1) {
            out_messages += b.len();
            out_routes += b.iter().map(|u| u.nlri.len()).sum::<usize>();
            r.drained(1);
        }
    }
    loop {
        let bs = r.batches(1);
        if bs.is_empty() {
            break;
        }
        for b in bs {
            out_messages += b.len();
            out_routes += b.iter().map(|u| u.nlri.len()).sum::<usize>();
        }
        r.drained(1);
    }
    let took = start.elapsed();
    println!(
        "{ROUTES} routes in, {out_routes} out in {out_messages} UPDATEs: {:.1} ms in the core",
        took.as_secs_f64() * 1000.0
    );
    assert_eq!(out_routes, ROUTES as usize);
    // Drained after each input: at most one UPDATE per generated one (+ rests).
    assert!(
        out_messages <= (ROUTES / PER_UPDATE) as usize + 10,
        "{out_messages} UPDATEs"
    );
}
