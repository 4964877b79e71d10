//! Two discoverers in two namespaces joined by a veth pair: each finds the
//! other's link-local address from its RAs within two RA intervals; link
//! down loses the peer on both sides, link up finds it again; a third
//! party's RA with IPv6 hop limit 64 is refused (RFC 4861 §6.1.2) while the
//! same RA with 255 is heard (a conflict); and, with no RAs at all, a
//! router in the neighbour table is the peer.

mod common;

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use common::sender::send_ra;
use common::{Discoverer, Netns, is_found, is_lost, veth, wait_until};
use evpnd_ndisc::{
    DiscoveryConfig, Input, LossReason, PeerEvent, RouterAdvertisement, RouterSolicitation, Source,
};

/// The RA interval of these tests (the minimum the config accepts).
const INTERVAL: Duration = Duration::from_secs(1);
/// Two RA intervals, plus one poll of the link state (100 ms here).
const FIND_WITHIN: Duration = Duration::from_millis(2100);

fn cfg() -> DiscoveryConfig {
    DiscoveryConfig {
        ra_interval: INTERVAL,
        peer_timeout: Duration::from_secs(3),
        ..DiscoveryConfig::default()
    }
}

#[test]
fn two_discoverers_find_each_other_and_follow_the_link() {
    let a = Netns::new("a");
    let b = Netns::new("b");
    a.router();
    b.router();
    veth(&a, "va", &b, "vb");
    let ll_a = a.link_local("va");
    let ll_b = b.link_local("vb");

    let t0 = Instant::now();
    let da = Discoverer::start(&a, &["va"], cfg());
    let db = Discoverer::start(&b, &["vb"], cfg());
    let (ea, in_a) = da.expect("a finds b", FIND_WITHIN * 2, is_found(ll_b));
    let (eb, in_b) = db.expect("b finds a", FIND_WITHIN * 2, is_found(ll_a));
    eprintln!(
        "found: a→b after {in_a:?}, b→a after {in_b:?} (waits overlap; interval {INTERVAL:?})"
    );
    assert!(in_a <= FIND_WITHIN, "a found b after {in_a:?}");
    assert!(
        t0.elapsed() <= FIND_WITHIN,
        "b found a {:?} after start",
        t0.elapsed()
    );
    // The kernel also turns every RA it hears into a STALE NTF_ROUTER
    // neighbour entry, so the first report may name either source; the
    // address is what matters, and both sides did hear RAs.
    for (e, d, i) in [(&ea.event, &da, "va"), (&eb.event, &db, "vb")] {
        assert!(matches!(e, PeerEvent::Found { .. }), "{e:?}");
        wait_until(&format!("{i} hears an RA"), FIND_WITHIN, || {
            let c = d.counters(i);
            (c.ra_received >= 1 && c.ra_sent >= 1)
                .then_some(())
                .ok_or(format!("{c:?}"))
        });
    }
    assert_eq!(ea.interface, "va");

    // Link down on a's side: a loses b at once (link down), b loses a
    // (carrier gone).
    a.exec(&["ip", "link", "set", "va", "down"]).expect("down");
    let (e, t) = da.expect("a loses b", Duration::from_secs(2), is_lost(ll_b));
    assert_eq!(
        e.event,
        PeerEvent::Lost {
            peer: ll_b,
            reason: LossReason::LinkDown
        }
    );
    let (e, _) = db.expect("b loses a", Duration::from_secs(2), is_lost(ll_a));
    assert_eq!(
        e.event,
        PeerEvent::Lost {
            peer: ll_a,
            reason: LossReason::LinkDown
        }
    );
    eprintln!("lost after link down: {t:?}");

    // Up again: found again once the link-locals are usable (DAD).
    let up = Instant::now();
    a.exec(&["ip", "link", "set", "va", "up"]).expect("up");
    da.expect("a finds b again", Duration::from_secs(6), is_found(ll_b));
    db.expect("b finds a again", Duration::from_secs(6), is_found(ll_a));
    eprintln!(
        "found again {:?} after link up (includes DAD)",
        up.elapsed()
    );
    // RAs flow again after the bounce (the first report may have come
    // from the kernel's neighbour entry for b's RA).
    wait_until("RAs heard after the bounce", FIND_WITHIN, || {
        let c = da.counters("va");
        (c.ra_sent >= 2 && c.ra_received >= 2 && c.rejected_hop_limit == 0)
            .then_some(())
            .ok_or(format!("{c:?}"))
    });

    // A link-down the daemon saw first (its own netlink events) is taken
    // at once; the driver's next poll finds the link up again and the peer
    // comes back with the next RA.
    da.feed("va", Input::LinkDown);
    let (e, _) = da.expect(
        "a loses b on a fed link-down",
        Duration::from_secs(1),
        is_lost(ll_b),
    );
    assert_eq!(
        e.event,
        PeerEvent::Lost {
            peer: ll_b,
            reason: LossReason::LinkDown
        }
    );
    da.expect("a finds b after the poll", FIND_WITHIN, is_found(ll_b));
}

#[test]
fn a_third_party_ra_with_hop_limit_64_is_ignored() {
    let a = Netns::new("ha");
    let b = Netns::new("hb");
    a.router();
    b.router();
    veth(&a, "va", &b, "vb");
    let ll_b = b.link_local("vb");
    // The third party's address sits on b's side of the link, deprecated
    // (preferred_lft 0) so that b's own RAs keep ll_b as their source.
    let third: Ipv6Addr = "fe80::bad".parse().expect("address");
    b.exec(&[
        "ip",
        "addr",
        "add",
        "fe80::bad/64",
        "dev",
        "vb",
        "nodad",
        "preferred_lft",
        "0",
    ])
    .expect("third party's address");

    let da = Discoverer::start(&a, &["va"], cfg());
    // b's kernel sends no RAs; b's "router" is a discoverer there.
    let db = Discoverer::start(&b, &["vb"], cfg());
    da.expect("a finds b", FIND_WITHIN * 2, is_found(ll_b));
    drop(db.drain(Duration::ZERO));

    let ra = RouterAdvertisement {
        cur_hop_limit: 64,
        router_lifetime: 30,
        ..RouterAdvertisement::default()
    };
    for _ in 0..3 {
        send_ra(&b.name, "vb", third, 64, ra.encode());
    }
    let after = da.drain(Duration::from_millis(1500));
    assert!(
        after.is_empty(),
        "hop-limit-64 RAs changed something: {after:?}"
    );
    let c = da.counters("va");
    assert_eq!(c.rejected_hop_limit, 3, "{c:?}");

    // The same RA with hop limit 255 is heard: two routers on the link.
    send_ra(&b.name, "vb", third, 255, ra.encode());
    let (e, _) = da.expect("a conflict", Duration::from_secs(2), |e| {
        matches!(e.event, PeerEvent::Conflict { .. })
    });
    let mut both = vec![ll_b, third];
    both.sort();
    assert_eq!(e.event, PeerEvent::Conflict { sources: both });
    // The third party leaves (lifetime 0): b is the peer again.
    let bye = RouterAdvertisement {
        router_lifetime: 0,
        ..ra
    };
    send_ra(&b.name, "vb", third, 255, bye.encode());
    da.expect("b again", Duration::from_secs(2), is_found(ll_b));
}

#[test]
fn without_ras_a_router_in_the_neighbour_table_is_the_peer() {
    let a = Netns::new("na");
    let b = Netns::new("nb");
    veth(&a, "va", &b, "vb");
    // a routes, so its Neighbor Advertisements carry the R flag and b's
    // kernel marks it NTF_ROUTER; nobody sends RAs.
    a.router();
    let ll_a = a.link_local("va");
    let _ = b.link_local("vb");
    let db = Discoverer::start(
        &b,
        &["vb"],
        DiscoveryConfig {
            send_ra: false,
            ..cfg()
        },
    );
    let quiet = db.drain(Duration::from_millis(500));
    assert!(quiet.is_empty(), "{quiet:?}");
    let target = format!("{ll_a}%vb");
    b.exec(&["ping", "-6", "-c", "1", "-W", "2", &target])
        .expect("ping a's link-local");
    let (e, _) = db.expect(
        "b finds a in its neighbour table",
        Duration::from_secs(3),
        is_found(ll_a),
    );
    assert_eq!(
        e.event,
        PeerEvent::Found {
            peer: ll_a,
            source: Source::NeighbourTable
        }
    );
    let c = db.counters("vb");
    assert_eq!((c.ra_sent, c.ra_received), (0, 0), "{c:?}");
}

#[test]
fn interfaces_come_and_go_at_run_time() {
    let a = Netns::new("ra");
    let b = Netns::new("rb");
    a.router();
    b.router();
    // a serves nothing yet; b serves an interface that does not exist yet.
    let da = Discoverer::start(&a, &[], cfg());
    let db = Discoverer::start(&b, &["vb"], cfg());
    assert!(da.add("va", cfg()).is_ok());
    assert!(
        da.add("va", cfg()).is_err(),
        "a second add of one interface"
    );
    let bad = DiscoveryConfig {
        ra_interval: Duration::from_millis(100),
        ..cfg()
    };
    assert!(da.add("vz", bad).is_err(), "an interval below the minimum");
    assert!(da.remove("vz").is_err(), "removing what is not served");

    // The link appears: both sides find each other.
    veth(&a, "va", &b, "vb");
    let ll_a = a.link_local("va");
    let ll_b = b.link_local("vb");
    da.expect("a finds b", Duration::from_secs(4), is_found(ll_b));
    db.expect("b finds a", Duration::from_secs(4), is_found(ll_a));

    // a stops serving va: its goodbye RA (lifetime 0) makes b lose it at
    // once, long before b's 3 s timeout.
    let t = Instant::now();
    da.remove("va").expect("remove");
    let (e, took) = db.expect("b loses a", Duration::from_secs(2), is_lost(ll_a));
    assert_eq!(
        e.event,
        PeerEvent::Lost {
            peer: ll_a,
            reason: LossReason::Withdrawn
        }
    );
    // Withdrawn (not timed out) within the 2 s bound, below b's 3 s timeout.
    eprintln!("goodbye seen {took:?} ({:?} after remove)", t.elapsed());

    // The link is deleted and recreated under the same name (new index):
    // b follows it.
    b.exec(&["ip", "link", "del", "vb"]).expect("delete");
    veth(&a, "va", &b, "vb");
    let ll_a = a.link_local("va");
    da.add("va", cfg()).expect("add again");
    db.expect("b finds the new a", Duration::from_secs(6), is_found(ll_a));
}

#[test]
fn a_solicitation_is_answered_long_before_the_interval() {
    let a = Netns::new("sa");
    let b = Netns::new("sb");
    a.router();
    b.router();
    veth(&a, "va", &b, "vb");
    let _ = a.link_local("va");
    let ll_b = b.link_local("vb");
    let slow = DiscoveryConfig {
        ra_interval: Duration::from_secs(60),
        router_lifetime: None,
        peer_timeout: Duration::from_secs(180),
        ..DiscoveryConfig::default()
    };
    let da = Discoverer::start(&a, &["va"], slow);
    wait_until("a's first RA", Duration::from_secs(3), || {
        let c = da.counters("va");
        (c.ra_sent == 1).then_some(()).ok_or(format!("{c:?}"))
    });
    // MIN_DELAY_BETWEEN_RAS after the first RA, a solicitation from b.
    std::thread::sleep(Duration::from_secs(3));
    let t = Instant::now();
    send_ra(
        &b.name,
        "vb",
        ll_b,
        255,
        RouterSolicitation::default().encode(),
    );
    wait_until("a answers the solicitation", Duration::from_secs(2), || {
        let c = da.counters("va");
        (c.rs_received == 1 && c.ra_sent == 2)
            .then_some(())
            .ok_or(format!("{c:?}"))
    });
    eprintln!("solicited RA after {:?} (interval 60 s)", t.elapsed());
    // A solicitation with hop limit 64 is refused like an RA.
    send_ra(
        &b.name,
        "vb",
        ll_b,
        64,
        RouterSolicitation::default().encode(),
    );
    wait_until(
        "the hop-limit-64 solicitation refused",
        Duration::from_secs(2),
        || {
            let c = da.counters("va");
            (c.rejected_hop_limit == 1 && c.rs_received == 1)
                .then_some(())
                .ok_or(format!("{c:?}"))
        },
    );
}

/// A daemon that stops reading events stalls an interface task; removing
/// the interface or asking it still returns (Busy / abort), never hangs.
#[test]
fn an_unread_event_channel_does_not_hang_the_daemon() {
    use evpnd_ndisc::driver::{Driver, DriverError};

    let a = Netns::new("ua");
    let b = Netns::new("ub");
    a.router();
    b.router();
    veth(&a, "va", &b, "vb");
    let _ = a.link_local("va");
    let _ = b.link_local("vb");
    let db = Discoverer::start(&b, &["vb"], cfg());
    let ns = a.name.clone();
    let bname = b.name.clone();
    let t = std::thread::spawn(move || {
        common::enter(&ns);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            // Capacity 1, never read: Found fills it, the next event blocks.
            let (tx, _rx) = tokio::sync::mpsc::channel(1);
            let mut d = Driver::with_poll_interval(tx, Duration::from_millis(100)).expect("driver");
            d.add_interface("va", cfg()).expect("add");
            tokio::time::sleep(Duration::from_secs(2)).await;
            common::sh(&[
                "ip", "netns", "exec", &bname, "ip", "link", "set", "vb", "down",
            ])
            .expect("down");
            tokio::time::sleep(Duration::from_millis(500)).await;
            let asked = Instant::now();
            let c = d.counters("va").await;
            assert!(matches!(c, Err(DriverError::Busy(_))), "{c:?}");
            assert!(asked.elapsed() < Duration::from_secs(3));
            let removing = Instant::now();
            d.remove_interface("va").await.expect("remove");
            let took = removing.elapsed();
            assert!(took < Duration::from_secs(2), "remove took {took:?}");
            took
        })
    });
    let took = t.join().expect("driver thread");
    eprintln!("remove of a stalled interface took {took:?}");
    drop(db);
}

/// With the link poll made very slow (30 s), link and address
/// notifications alone carry the link's changes: down is seen in
/// milliseconds, and after up the first RA leaves as DAD finishes.
#[test]
fn link_changes_are_seen_from_notifications_not_the_poll() {
    let a = Netns::new("wa");
    let b = Netns::new("wb");
    a.router();
    b.router();
    veth(&a, "va", &b, "vb");
    let ll_a = a.link_local("va");
    let ll_b = b.link_local("vb");
    let slow_poll = Duration::from_secs(30);
    let da = Discoverer::start_with_poll(&a, &["va"], cfg(), slow_poll);
    let db = Discoverer::start_with_poll(&b, &["vb"], cfg(), slow_poll);
    da.expect("a finds b", FIND_WITHIN, is_found(ll_b));
    db.expect("b finds a", FIND_WITHIN, is_found(ll_a));
    let down = Instant::now();
    b.exec(&["ip", "link", "set", "vb", "down"]).expect("down");
    da.expect("a loses b", Duration::from_secs(5), is_lost(ll_b));
    let took = down.elapsed();
    // Far below the 30 s poll: the notification carried it (milliseconds
    // on a quiet machine; a loaded CI host may take a second).
    assert!(took < Duration::from_secs(5), "{took:?}");
    eprintln!("link down seen by the far side {took:?} after `ip link set down` started");
    let up = Instant::now();
    b.exec(&["ip", "link", "set", "vb", "up"]).expect("up");
    da.expect("a finds b again", Duration::from_secs(6), is_found(ll_b));
    db.expect("b finds a again", Duration::from_secs(6), is_found(ll_a));
    eprintln!(
        "found again {:?} after link up (DAD included)",
        up.elapsed()
    );
    assert!(up.elapsed() < Duration::from_secs(6));
}
