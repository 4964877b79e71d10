//! Interop with FRR 8.4's BGP unnumbered (`neighbor veth1 interface
//! remote-as external`) over a veth pair, both directions of discovery:
//! our discoverer learns FRR's link-local from FRR's RAs, and FRR learns
//! ours from our RAs — proven by FRR's BGP connection attempt arriving at a
//! TCP listener on [our fe80::…%veth0]:179. A control phase first runs
//! our discoverer listen-only: FRR is learnt, and FRR must not connect.

mod common;

use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6, TcpListener};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::frr::Frr;
use common::{Discoverer, Netns, enter, is_found, is_lost, veth};
use evpnd_ndisc::{DiscoveryConfig, LossReason, PeerEvent};

/// The BGP port FRR connects to.
const BGP_PORT: u16 = 179;
/// FRR sends RAs every 10 s on unnumbered interfaces, its first at once;
/// allow two of its intervals plus daemon start-up.
const FRR_WITHIN: Duration = Duration::from_secs(30);

/// How long FRR must not connect while we only listen: more than one of
/// its 10 s RA intervals.
const CONTROL: Duration = Duration::from_secs(12);

/// FRR's router lifetime on unnumbered interfaces (3 × its 10 s interval).
const FRR_LIFETIME: Duration = Duration::from_secs(30);

const FRR_CONF: &str = "frr defaults datacenter
hostname frrunnum
log stdout informational
router bgp 65002
 bgp router-id 10.0.0.2
 no bgp ebgp-requires-policy
 neighbor veth1 interface remote-as external
";

/// Listens on [addr%dev]:179 inside `ns` and reports the first peer that
/// connects (or nothing within `timeout`).
fn listen_for_bgp(
    ns: &str,
    dev: &str,
    addr: Ipv6Addr,
    timeout: Duration,
) -> mpsc::Receiver<SocketAddr> {
    let (tx, rx) = mpsc::channel();
    let ns = ns.to_string();
    let name = std::ffi::CString::new(dev).expect("name");
    std::thread::spawn(move || {
        enter(&ns);
        // SAFETY: if_nametoindex reads a NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        assert!(ifindex > 0, "no interface {name:?}");
        let l = TcpListener::bind(SocketAddrV6::new(addr, BGP_PORT, 0, ifindex))
            .expect("bind [fe80::…%dev]:179");
        l.set_nonblocking(true).expect("nonblocking");
        let start = Instant::now();
        while start.elapsed() < timeout {
            match l.accept() {
                Ok((_s, peer)) => {
                    let _ = tx.send(peer);
                    return;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    });
    rx
}

#[test]
fn frr_and_evpnd_discover_each_other_over_an_unnumbered_link() {
    let ours = Netns::new("fo");
    let theirs = Netns::new("ff");
    ours.router();
    theirs.router();
    veth(&ours, "veth0", &theirs, "veth1");
    let ll_ours = ours.link_local("veth0");
    let ll_frr = theirs.link_local("veth1");

    let accepted = listen_for_bgp(&ours.name, "veth0", ll_ours, CONTROL + FRR_WITHIN * 2);
    let t0 = Instant::now();
    let frr = Frr::start(&theirs.name, FRR_CONF);
    let cfg = DiscoveryConfig {
        ra_interval: Duration::from_secs(1),
        ..DiscoveryConfig::default()
    };

    // Control: listening only, we learn FRR but FRR cannot learn us, so
    // it never connects (otherwise the proof below would prove nothing).
    let listener_only = Discoverer::start(
        &ours,
        &["veth0"],
        DiscoveryConfig {
            send_ra: false,
            ..cfg
        },
    );
    // FRR → us: its RAs name its link-local.
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        listener_only.expect("FRR's link-local", FRR_WITHIN, is_found(ll_frr))
    }));
    if found.is_err() {
        panic!(
            "we did not learn FRR's {ll_frr}\n{}\n{}",
            frr.vtysh("show interface veth1"),
            frr.logs()
        );
    }
    eprintln!(
        "learned FRR's {ll_frr} {:?} after FRR started",
        t0.elapsed()
    );
    let c = listener_only.counters("veth0");
    assert!(c.ra_received >= 1 && c.ra_sent == 0, "{c:?}");
    if let Ok(peer) = accepted.recv_timeout(CONTROL) {
        panic!("FRR connected to {peer} before we sent any RA");
    }
    drop(listener_only);

    let t1 = Instant::now();
    let d = Discoverer::start(&ours, &["veth0"], cfg);
    d.expect("FRR's link-local again", FRR_WITHIN, is_found(ll_frr));

    // Us → FRR: FRR connects to the peer it learned from our RAs.
    match accepted.recv_timeout(FRR_WITHIN) {
        Ok(SocketAddr::V6(peer)) => {
            assert_eq!(*peer.ip(), ll_frr, "connection from {peer}");
            eprintln!(
                "FRR connected from {peer} {:?} after our first RA",
                t1.elapsed()
            );
        }
        other => panic!(
            "FRR never connected to [{ll_ours}%veth0]:179 ({other:?})\n{}\n{}\n{}",
            frr.vtysh("show bgp neighbors json"),
            frr.vtysh("show interface veth1"),
            frr.logs()
        ),
    }
    // FRR's own view names our address as the neighbour.
    let nbr = frr.vtysh("show bgp neighbors json");
    assert!(
        nbr.contains(&ll_ours.to_string()),
        "FRR's neighbours: {nbr}"
    );

    // FRR stops: on SIGTERM it sends a final RA with router lifetime
    // 0, and we lose FRR at once (Withdrawn) rather than after its 30 s
    // lifetime.
    let t2 = Instant::now();
    drop(frr);
    let (e, _) = d.expect(
        "FRR lost",
        FRR_LIFETIME + Duration::from_secs(5),
        is_lost(ll_frr),
    );
    eprintln!("FRR lost {:?} after SIGTERM: {:?}", t2.elapsed(), e.event);
    assert_eq!(
        e.event,
        PeerEvent::Lost {
            peer: ll_frr,
            reason: LossReason::Withdrawn
        }
    );
}
