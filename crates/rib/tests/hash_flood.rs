//! Hash flooding of the route index (issue 15 item 8, ADR 0016).
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
//! `cargo test -p evpnd-rib --release --test hash_flood -- --nocapture`
//! prints the figures docs/benchmarks.md quotes.

use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evpnd_rib::{Keyed, Path, PeerId, Rank, Table};
use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Rd};

#[derive(Debug, Clone, PartialEq)]
struct Attrs(EvpnKey);

impl Keyed<EvpnKey> for Attrs {
    fn key(&self) -> EvpnKey {
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
        rank: Rank::default(),
    }
}

/// Time to insert every key into an empty table, per key.
fn per_insert(keys: &[EvpnKey]) -> Duration {
    let mut t: Table<EvpnKey, Attrs> = Table::new();
    let start = Instant::now();
    for k in keys {
        t.insert(k.clone(), path(Attrs(k.clone())));
    }
    assert_eq!(t.len(), keys.len(), "keys are distinct");
    start.elapsed() / keys.len() as u32
}

#[test]
fn blind_crafted_floods_cost_what_random_keys_cost() {
    const SMALL: usize = 20_000;
    const LARGE: usize = 100_000;
    // Warm up the allocator, then the baseline.
    let _ = per_insert(&random_keys(SMALL));
    let base = per_insert(&random_keys(LARGE));
    println!("random keys: {base:?} per insert at {LARGE}");
    for shape in ["sequential", "high_bits", "zeros", "rd_sweep"] {
        let small = per_insert(&crafted(shape, SMALL));
        let large = per_insert(&crafted(shape, LARGE));
        println!("{shape}: {small:?} per insert at {SMALL}, {large:?} at {LARGE}");
        // Loose: a shared CI machine. A collision flood is 100x and more.
        assert!(large < base * 4, "{shape}: {large:?} vs random {base:?}");
        assert!(
            large < small * 4 + Duration::from_micros(1),
            "{shape} grows with the table"
        );
    }
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
        self.0.clone()
    }
}

fn colliding_per_insert(n: u32) -> Duration {
    let mut t: Table<Colliding, CollidingAttrs> = Table::new();
    let start = Instant::now();
    for i in 0..n {
        t.insert(Colliding(i), path(CollidingAttrs(Colliding(i))));
    }
    start.elapsed() / n
}

#[test]
fn full_collisions_go_quadratic_which_the_seed_prevents() {
    let small = colliding_per_insert(500);
    let large = colliding_per_insert(4_000);
    println!("all keys colliding: {small:?} per insert at 500, {large:?} at 4000");
    // Linear probing over every earlier key: 8x the keys, ~8x the cost per insert.
    assert!(large > small * 3, "{small:?} -> {large:?}");
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
