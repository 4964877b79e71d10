//! Bytes of the table's own state per route (issue 16): the destination
//! slots and the index, with the attributes allocated by the caller beforehand
//! and not counted. Measured by counting the heap this test binary
//! allocates, and bounded, so a change that brings the ranking facts back
//! into every path (56 octets each) fails here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use evpnd_rib::{Path, PeerId, Rank, Table};

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

/// Just past a doubling of the index (it grows beyond 7/8 of a power of
/// two), as at 1,000,000 routes: the worst case, not the best.
const ROUTES: u32 = 120_000;
/// The bound: what this measures now (40 octets per destination slot, 9 per
/// index bucket, both at this fill), with room. With its `Rank` inline a
/// slot was 80 octets: 107 per route here.
const MAX_BYTES_PER_ROUTE: isize = 72;

#[test]
fn bytes_per_route_and_ranks_shared() {
    let mut t: Table<u32, (u32, ())> = Table::new();
    let peer = PeerId(1);
    let rank = Rank {
        peer_addr: "10.0.0.2".parse().expect("ip"),
        ..Rank::default()
    };
    let attrs: Vec<Arc<(u32, ())>> = (0..ROUTES).map(|k| Arc::new((k, ()))).collect();
    let before = LIVE.load(Ordering::Relaxed);
    for (k, a) in attrs.iter().enumerate() {
        // A rank of its own per route, as the core hands them over.
        t.insert(
            k as u32,
            Path {
                peer,
                path_id: 0,
                attrs: Arc::clone(a),
                rank: Arc::new(rank.clone()),
            },
        );
    }
    let per_route = (LIVE.load(Ordering::Relaxed) - before) / ROUTES as isize;
    eprintln!("rib table: {per_route} bytes per route ({ROUTES} routes, one peer)");
    assert_eq!(t.len(), ROUTES as usize);
    assert_eq!(t.rank_count(), 1, "one rank shared by every path");
    assert!(
        per_route <= MAX_BYTES_PER_ROUTE,
        "{per_route} bytes per route (bound {MAX_BYTES_PER_ROUTE})"
    );

    // Graceful restart: the stale paths share one stale twin.
    let before = LIVE.load(Ordering::Relaxed);
    t.mark_stale(peer);
    assert!(t.iter_paths().all(|(_, p, _)| p.rank.stale));
    assert_eq!(t.rank_count(), 2);
    assert!(
        LIVE.load(Ordering::Relaxed) - before < 4096,
        "marking stale allocates no rank per path"
    );
}
