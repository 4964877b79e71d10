//! Bytes of the reconciler's state per remote MAC (issue 16): the desired
//! and the programmed (actual) table, measured by counting the heap this
//! test binary allocates, and bounded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicIsize, Ordering};

use evpnd_linux::DesiredChange;
use evpnd_linux::reconcile::Reconciler;
use evpnd_wire::{MacAddr, Vni};
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
/// Just past a doubling of the hash tables (they grow beyond 7/8 of a power
/// of two: 114,688 of 131,072 buckets), so their buckets are half empty, as
/// at 1,000,000 MACs (2,097,152 buckets): the worst case, not the best.
const MACS: u32 = 120_000;
/// The bound: what this measures now (37 octets per table at this load
/// factor, see docs/benchmarks.md), with room. The tables of `Key` and
/// `Value` it replaced took 196 here (issue 16).
const MAX_BYTES_PER_MAC: isize = 90;

#[test]
fn bytes_per_remote_mac() {
    let mut r = Reconciler::new();
    for v in 0..VNIS {
        r.vni_present(Vni::new(100 + v).expect("vni"), true);
    }
    r.desire(DesiredChange::Converged);
    let changes: Vec<DesiredChange> = (0..MACS)
        .map(|i| {
            let b = i.to_be_bytes();
            DesiredChange::RemoteMac {
                vni: Vni::new(100 + i % VNIS).expect("vni"),
                mac: MacAddr([2, 0, b[0], b[1], b[2], b[3]]),
                vtep: IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i % 100) as u8 + 2)),
                sticky: false,
            }
        })
        .collect();
    let before = LIVE.load(Ordering::Relaxed);
    for c in changes.iter().cloned() {
        r.desire(c);
    }
    // Written in chunks, as the linux task does; all succeed.
    loop {
        let ops = r.next_ops(0, 4096);
        if ops.is_empty() {
            break;
        }
        for op in ops {
            r.result(op, None, 0);
        }
    }
    let per_mac = (LIVE.load(Ordering::Relaxed) - before) / MACS as isize;
    drop(changes);
    eprintln!("linux reconciler: {per_mac} bytes per remote MAC ({MACS} over {VNIS} VNIs)");
    assert_eq!(r.actual().len(), MACS as usize);
    assert!(
        per_mac <= MAX_BYTES_PER_MAC,
        "{per_mac} bytes per remote MAC (bound {MAX_BYTES_PER_MAC})"
    );
}
