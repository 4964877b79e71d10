//! Hash flooding of the route index (issue 15 item 8, ADR 0023).
//!
//! Route keys come from peers. The index hashes them with foldhash under a
//! random seed per table, keeping 32 bits. Two questions, measured here:
//!
//! 1. Can a peer that does not know the seed slow the index down with keys
//!    chosen to collide (sequential MACs, one bit of difference, zero-heavy
//!    keys that defeat plain multiply hashes)? The per-insert cost of such
//!    floods must stay that of random keys, and grow not with the table.
//! 2. What would a peer that *knew* the seed get? Modelled by a key whose
//!    hash ignores its content (every key collides): inserts go quadratic.
//!    This is what the per-table seed prevents.
//!
//! The assertions count key comparisons (every probe of the index that
//! reaches a destination reads its key through `Keyed::key`), which does not
//! depend on the machine's load; the timings are printed:
//! `cargo test -p evpnd-rib --release --test hash_flood -- --nocapture
//! --test-threads 1` gives the figures docs/benchmarks.md quotes.

use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use evpnd_rib::{Keyed, Path, PeerId, Rank, Table};
use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Rd};

/// Key reads by the index (probes that reached a destination), per test
/// thread: run with `--test-threads 1` or read it around one table only.
static KEY_READS: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, PartialEq)]
struct Attrs(EvpnKey);

impl Keyed<EvpnKey> for Attrs {
    fn key(&self) -> EvpnKey {
        KEY_READS.fetch_add(1, Ordering::Relaxed);
        self.0.clone()
    }
}

fn mac_ip(rd_number: u16, mac: [u8; 6], ip: Option<IpAddr>) -> EvpnKey {
    EvpnKey::MacIp {
        rd: Rd::Ipv4 {
            addr: Ipv4Addr::new(10, 0, 0, 2),
            number: rd_number,
        },
        ethernet_tag: 0,
        mac: MacAddr(mac),
        ip,
    }
}

/// A small xorshift: random keys without a dependency.
fn random_keys(n: usize) -> Vec<EvpnKey> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_be_bytes();
            mac_ip(b[0] as u16, [b[1], b[2], b[3], b[4], b[5], b[6]], None)
        })
        .collect()
}

/// Crafted without the seed: what a hostile peer can try blind.
fn crafted(shape: &str, n: usize) -> Vec<EvpnKey> {
    (0..n)
        .map(|i| {
            let i64 = i as u64;
            match shape {
                // MACs counting up in the last octets, as a simple generator sends.
                "sequential" => {
                    let b = i64.to_be_bytes();
                    mac_ip(100, [2, 0, b[4], b[5], b[6], b[7]], None)
                }
                // Only the high bits vary (low bits all zero): defeats
                // hashes that take their bucket from the low bits unmixed.
                "high_bits" => {
                    let b = (i64 << 28).to_be_bytes();
                    mac_ip(0, [b[2], b[3], b[4], b[5], 0, 0], None)
                }
                // Zero everywhere but one varying word: a zero half makes an
                // unkeyed folded multiply output zero.
                "zeros" => mac_ip(0, [0; 6], Some(IpAddr::V4(Ipv4Addr::from(i as u32)))),
                // Same MAC and IP under RDs counting up.
                _ => mac_ip(
                    i as u16,
                    [2, 0, 0, 0, 0, 1],
                    Some(IpAddr::V4(Ipv4Addr::from(i as u32 >> 16))),
                ),
            }
        })
        .collect()
}

fn path<A>(attrs: A) -> Path<A> {
    Path {
        peer: PeerId(1),
        path_id: 0,
        attrs: Arc::new(attrs),
        rank: Arc::new(Rank::default()),
    }
}

/// Inserts every key into an empty table: time per key, key reads per key.
fn per_insert(keys: &[EvpnKey]) -> (Duration, f64) {
    let mut t: Table<EvpnKey, Attrs> = Table::new();
    let reads = KEY_READS.load(Ordering::Relaxed);
    let start = Instant::now();
    for k in keys {
        t.insert(k.clone(), path(Attrs(k.clone())));
    }
    let took = start.elapsed() / keys.len() as u32;
    let reads = KEY_READS.load(Ordering::Relaxed) - reads;
    assert_eq!(t.len(), keys.len(), "keys are distinct");
    (took, reads as f64 / keys.len() as f64)
}

#[test]
fn blind_crafted_floods_cost_what_random_keys_cost() {
    const N: usize = 100_000;
    let (base, base_reads) = per_insert(&random_keys(N));
    println!("random keys: {base:?}, {base_reads:.3} key reads per insert at {N}");
    for shape in ["sequential", "high_bits", "zeros", "rd_sweep"] {
        let (took, reads) = per_insert(&crafted(shape, N));
        println!("{shape}: {took:?}, {reads:.3} key reads per insert at {N}");
        // A new key is read only on a 32-bit hash match: about never (plus
        // the one read of insert's debug assertion, in random keys' count
        // too). A collision flood reads thousands per insert.
        assert!(
            reads < base_reads + 0.01,
            "{shape}: {reads} key reads per insert, random keys {base_reads}"
        );
    }
    assert!(base_reads < 1.01, "random: {base_reads}");
}

/// A key whose hash ignores its content: what a peer that knew the seed
/// could produce for any hash, keyed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Colliding(u32);

impl Hash for Colliding {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(0);
    }
}

#[derive(Debug, Clone, PartialEq)]
struct CollidingAttrs(Colliding);

impl Keyed<Colliding> for CollidingAttrs {
    fn key(&self) -> Colliding {
        COLLIDING_READS.fetch_add(1, Ordering::Relaxed);
        self.0.clone()
    }
}

static COLLIDING_READS: AtomicU64 = AtomicU64::new(0);

fn colliding_per_insert(n: u32) -> (Duration, f64) {
    let mut t: Table<Colliding, CollidingAttrs> = Table::new();
    let reads = COLLIDING_READS.load(Ordering::Relaxed);
    let start = Instant::now();
    for i in 0..n {
        t.insert(Colliding(i), path(CollidingAttrs(Colliding(i))));
    }
    let took = start.elapsed() / n;
    let reads = COLLIDING_READS.load(Ordering::Relaxed) - reads;
    (took, reads as f64 / f64::from(n))
}

#[test]
fn full_collisions_go_quadratic_which_the_seed_prevents() {
    let (small, small_reads) = colliding_per_insert(500);
    let (large, large_reads) = colliding_per_insert(4_000);
    println!(
        "all keys colliding: {small:?} ({small_reads:.0} key reads) per insert at 500, \
         {large:?} ({large_reads:.0} key reads) at 4000"
    );
    // Every insert reads every earlier key: n/2 on average.
    assert!(
        small_reads > 200.0 && large_reads > 1_800.0,
        "{small_reads} {large_reads}"
    );
}

/// The price of a keyed cryptographic-strength hash instead: SipHash-1-3
/// (std's RandomState) against foldhash on the same keys.
#[test]
fn hash_cost_foldhash_and_siphash() {
    let keys = random_keys(200_000);
    let fold = foldhash::fast::RandomState::default();
    let sip = std::collections::hash_map::RandomState::new();
    let time = |f: &dyn Fn(&EvpnKey) -> u64| {
        let start = Instant::now();
        let mut acc = 0u64;
        for _ in 0..5 {
            for k in &keys {
                acc = acc.wrapping_add(f(k));
            }
        }
        (start.elapsed() / (5 * keys.len() as u32), acc)
    };
    let (f, a) = time(&|k| fold.hash_one(k));
    let (s, b) = time(&|k| sip.hash_one(k));
    println!("hash_one(EvpnKey): foldhash {f:?}, SipHash-1-3 {s:?} (acc {a} {b})");
    assert!(a != b, "two different keyed hashes");
}
