//! The simulated fabric (`evpnd_core::sim`): leaves and route reflectors in
//! one process, sessions in memory, virtual time. Wall-clock and inputs
//! handled until every core is quiet:
//!
//! * `cold_start`: every leaf reports its VNIs and MACs, every session
//!   comes up, until all is quiet (every leaf has every other leaf's MACs);
//! * `reflector_failure`: from a converged fabric, reflector 0's sessions
//!   all go down (no graceful restart), until all is quiet.
//!
//! Scale (defaults: the 64 leaves, 2 reflectors, 100 VNIs, 100 MACs
//! per VNI per leaf) from `EVPND_FABRIC_LEAVES`, `EVPND_FABRIC_VNIS`,
//! `EVPND_FABRIC_MACS`. Run: `cargo bench -p evpnd-bench --bench fabric`
//! (ten samples; the input counts of one run are printed to stderr), or
//! with `EVPND_FABRIC_ONCE=1` for one timed run of each, outside criterion.
//! See docs/benchmarks.md for the figures and what fits in memory.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use evpnd_core::sim::{Clos, Fabric, vni_info};
use evpnd_evpn::LocalEvent;
use evpnd_wire::{MacAddr, Vni};

const REFLECTORS: usize = 2;
/// The VNIs are numbered from here.
const FIRST_VNI: u32 = 10_000;

struct Scale {
    leaves: usize,
    vnis: u32,
    macs: u32,
}

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Scale {
    fn from_env() -> Scale {
        Scale {
            leaves: env_or("EVPND_FABRIC_LEAVES", 64) as usize,
            vnis: env_or("EVPND_FABRIC_VNIS", 100),
            macs: env_or("EVPND_FABRIC_MACS", 100),
        }
    }

    fn clos(&self) -> Clos {
        Clos {
            leaves: self.leaves,
            reflectors: REFLECTORS,
            dad: true,
        }
    }
}

/// MAC `n` of leaf `leaf`: unique across the fabric.
fn mac(leaf: usize, n: u32) -> MacAddr {
    let [_, a, b, c] = n.to_be_bytes();
    MacAddr([0x02, (leaf >> 8) as u8, leaf as u8, a, b, c])
}

/// A fabric with every leaf's kernel state queued and every session up
/// (nothing handled yet).
fn cold(s: &Scale) -> Fabric {
    let c = s.clos();
    let mut f = c.build().expect("fabric");
    for l in 0..s.leaves {
        let node = c.leaf(l);
        let vtep: Ipv4Addr = Clos::leaf_id(l);
        for v in 0..s.vnis {
            let vni = Vni::new(FIRST_VNI + v).expect("vni");
            f.local(node, LocalEvent::Vni(vni_info(vni, vtep)));
            for m in 0..s.macs {
                f.local(
                    node,
                    LocalEvent::Mac {
                        vni,
                        mac: mac(l, v * s.macs + m),
                        sticky: false,
                    },
                );
            }
        }
        f.local(node, LocalEvent::Synced);
    }
    f.all_links_up();
    f
}

/// Every leaf has every other leaf's MACs (a run that did not converge
/// measures nothing).
fn assert_converged(f: &Fabric, s: &Scale) {
    let c = s.clos();
    let want = (s.leaves - 1) * (s.vnis * s.macs) as usize;
    for l in 0..s.leaves {
        let fdb = &f.nodes[c.leaf(l)].fdb;
        assert_eq!(fdb.macs.len(), want, "leaf {l}: remote MACs");
        assert!(fdb.converged, "leaf {l}: not converged");
    }
}

fn bench(c: &mut Criterion) {
    let s = Scale::from_env();
    eprintln!(
        "fabric: {} leaves, {REFLECTORS} reflectors, {} VNIs, {} MACs per VNI per leaf",
        s.leaves, s.vnis, s.macs
    );
    let mut g = c.benchmark_group("fabric");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(1));

    let mut reported = false;
    g.bench_function("cold_start", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut f = cold(&s);
                let t = Instant::now();
                let n = f.settle().expect("quiet");
                total += t.elapsed();
                assert_converged(&f, &s);
                if !reported {
                    eprintln!("cold_start: {n} inputs, {:?}", t.elapsed());
                    reported = true;
                }
                black_box(f);
            }
            total
        })
    });

    let mut reported = false;
    g.bench_function("reflector_failure", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut f = cold(&s);
                f.settle().expect("quiet");
                let clos = s.clos();
                let t = Instant::now();
                for l in 0..s.leaves {
                    f.link_down(clos.leaf(l), 0, false).expect("link");
                }
                let n = f.settle().expect("quiet");
                total += t.elapsed();
                assert_converged(&f, &s);
                if !reported {
                    eprintln!("reflector_failure: {n} inputs, {:?}", t.elapsed());
                    reported = true;
                }
                black_box(f);
            }
            total
        })
    });
    g.finish();
}

/// One cold start and one reflector failure, timed once, with the inputs
/// handled: for scales where criterion's ten samples would take hours.
fn once(s: &Scale) {
    let clos = s.clos();
    let t = Instant::now();
    let mut f = cold(s);
    eprintln!("build: {:?}", t.elapsed());
    let t = Instant::now();
    let n = f.settle().expect("quiet");
    eprintln!("cold_start: {n} inputs, {:?}", t.elapsed());
    assert_converged(&f, s);
    let t = Instant::now();
    for l in 0..s.leaves {
        f.link_down(clos.leaf(l), 0, false).expect("link");
    }
    let n = f.settle().expect("quiet");
    eprintln!("reflector_failure: {n} inputs, {:?}", t.elapsed());
    assert_converged(&f, s);
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("EVPND_FABRIC_ONCE").is_some() {
        once(&Scale::from_env());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
