//! Bytes of the EVPN domain's state per remote MAC (issue 16), measured by
//! counting the heap this test binary allocates. A bound, so a change that
//! brings back a per-MAC map or a per-route copy fails here.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use evpnd_evpn::{Evpn, LocalEvent, RemoteRoute, VniInfo};
use evpnd_wire::nlri::evpn::{EvpnRoute, MacIp};
use evpnd_wire::{Esi, Label3, MacAddr, Rd, RouteTarget, Vni};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is handed to the system allocator unchanged; only the
// live byte count is kept beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: allocated above with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: as allocated above.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const VNIS: u32 = 10;
/// Past a doubling of the hash tables (beyond 7/8 of 131,072 buckets), where
/// they are half empty as at 1,000,000: at 100,000 they are 76% full and a
/// table of large entries looks cheaper than it is (ADR 0035).
const MACS: u32 = 120_000;
/// The bound: what this measures now (255, see docs/benchmarks.md), with
/// room. It was 666 before held routes were keyed once and MAC states left
/// the hash table (ADR 0035).
const MAX_BYTES_PER_MAC: isize = 290;

fn info(n: u32) -> VniInfo {
    common::vni_info_no_svi(n, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), n, n + 10_000)
}

/// MAC `i` of leaf `i % 100`, in VNI 100 + i % VNIS.
fn route(i: u32) -> RemoteRoute {
    let vni = 100 + i % VNIS;
    let leaf = (i % 100) as u8 + 2;
    let b = i.to_be_bytes();
    RemoteRoute {
        route: EvpnRoute::MacIp(MacIp {
            rd: Rd::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, leaf),
                number: vni as u16,
            },
            esi: Esi::ZERO,
            ethernet_tag: 0,
            mac: MacAddr([2, 0, b[0], b[1], b[2], b[3]]),
            ip: None,
            label1: Label3::from_vni(Vni::new(vni).expect("vni")),
            label2: None,
        }),
        next_hop: IpAddr::V4(Ipv4Addr::new(10, 0, 0, leaf)),
        rts: vec![RouteTarget::As2 {
            asn: 65001,
            value: vni,
        }],
        seq: 0,
        sticky: false,
        tunnel: None,
        router_mac: None,
    }
}

#[test]
fn bytes_per_remote_mac() {
    let cfg = Arc::new(
        evpnd_config::parse(
            "[bgp]\nasn = 65001\nrouter_id = \"10.0.0.1\"\n",
            "test.toml",
        )
        .expect("config"),
    );
    let mut e = Evpn::new(cfg);
    for v in 0..VNIS {
        e.local_event(LocalEvent::Vni(info(100 + v)), 0);
    }
    drop(e.take_outputs());
    let routes: Vec<RemoteRoute> = (0..MACS).map(route).collect();
    let before = LIVE.load(Ordering::Relaxed);
    for r in &routes {
        e.remote_best(&r.route.key(), Some(r.clone()), 0);
        // The core takes the outputs after every batch.
        drop(e.take_outputs());
    }
    let per_mac = (LIVE.load(Ordering::Relaxed) - before) / MACS as isize;
    eprintln!("evpn domain: {per_mac} bytes per remote MAC ({MACS} over {VNIS} VNIs)");
    assert_eq!(e.macs().count(), MACS as usize);
    assert!(
        per_mac <= MAX_BYTES_PER_MAC,
        "{per_mac} bytes per remote MAC (bound {MAX_BYTES_PER_MAC})"
    );
}
