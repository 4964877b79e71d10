//! The IPv4 unicast transit workload (issue 13), shaped like the published
//! "ze-perf" benchmark: N distinct /24 prefixes scattered over the public
//! IPv4 space, announced by an eBGP sender in classic NLRI packed into
//! UPDATEs of up to 4096 octets, and counted by an eBGP receiver on the far
//! side of the speaker under test.
//!
//! An UPDATE of the workload (RFC 4271 §4.3), one attribute set each:
//!
//! ```text
//! +--------------------------------------+
//! | Withdrawn Routes Length = 0 (2)      |
//! +--------------------------------------+
//! | Total Path Attribute Length (2)      |
//! +--------------------------------------+
//! | ORIGIN IGP                           |
//! | AS_PATH  AS_SEQUENCE [sender, (tag)] |  4-octet ASNs (RFC 6793)
//! | NEXT_HOP sender                      |
//! +--------------------------------------+
//! | NLRI: /24, /24, …  (4 octets each:   |
//! |       length 24 + 3 address octets)  |
//! +--------------------------------------+
//! ```
//!
//! Attribute set 0 is ze-perf's (ORIGIN IGP, AS_PATH [sender], NEXT_HOP);
//! set k > 0 appends the private ASN `TAG_ASN_BASE + k` to the path, so a
//! speaker has k distinct paths to group its own UPDATEs by. UPDATE j uses
//! set `j % sets`. Withdrawals are UPDATEs with only the Withdrawn Routes
//! field, packed the same way.

use std::net::Ipv4Addr;

use bytes::BytesMut;
use evpnd_wire::Context;
use evpnd_wire::attr::{AsPath, AttrValue, Origin, PathAttribute};
use evpnd_wire::message::Message;
use evpnd_wire::nlri::prefix::Prefix;
use evpnd_wire::update::Update;
use ipnet::{IpNet, Ipv4Net};

/// Bits of a /24 index: the space of IPv4 /24 prefixes.
const INDEX_BITS: u32 = 24;
/// Number of /24 prefixes in IPv4.
const INDEX_SPACE: u32 = 1 << INDEX_BITS;
const INDEX_MASK: u32 = INDEX_SPACE - 1;
/// Length of every prefix of the workload.
pub const PREFIX_LEN: u8 = 24;
/// Octets of one /24 in an NLRI field: the length octet and three of address.
const NLRI_OCTETS: usize = 4;
/// BGP message header (marker, length, type).
const HEADER_OCTETS: usize = 19;
/// RFC 4271 §4.1: the largest message without RFC 8654.
pub const MAX_MESSAGE: usize = 4096;
/// Attribute set k > 0 appends this + k to the AS path (RFC 6996 private range).
pub const TAG_ASN_BASE: u32 = 64_600;

/// The workload's prefixes as /24 indexes (the top 24 bits of the address).
///
/// A deterministic walk over the whole /24 space through a bijection seeded
/// by `seed` (so the prefixes are distinct and scattered, not a counting
/// run), skipping what a router would not carry: 0/8, 10/8, 127/8, 100.64/10,
/// 169.254/16, 172.16/12, 192.168/16 and 224/3. `count` is capped at the
/// usable /24s (about 14 million).
pub fn prefixes(count: u32, seed: u64) -> Vec<u32> {
    let mut out = Vec::with_capacity(count as usize);
    let mut i = 0u32;
    while (out.len() as u32) < count && i < INDEX_SPACE {
        let idx = scramble(i, seed);
        if usable(idx) {
            out.push(idx);
        }
        i += 1;
    }
    out
}

/// A bijection of the 24-bit space: xor-shifts and odd multipliers are each
/// invertible modulo 2^24, so distinct inputs give distinct /24s.
fn scramble(i: u32, seed: u64) -> u32 {
    let k = (seed ^ (seed >> 29)) as u32;
    let mut x = (i ^ k) & INDEX_MASK;
    x ^= x >> 12;
    x = x.wrapping_mul(0x9E_3779 | 1) & INDEX_MASK;
    x ^= x >> 11;
    x = x.wrapping_mul(0x5B_D1E9 | 1) & INDEX_MASK;
    x ^= x >> 13;
    x
}

/// Whether /24 number `idx` is in routable unicast space.
fn usable(idx: u32) -> bool {
    let [a, b, _, _] = (idx << 8).to_be_bytes();
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168))
}

/// The /24 whose index is `idx`.
pub fn net(idx: u32) -> Ipv4Net {
    // PREFIX_LEN is a valid IPv4 length.
    Ipv4Net::new(Ipv4Addr::from(idx << 8), PREFIX_LEN).unwrap_or_default()
}

fn prefix(idx: u32) -> Prefix {
    Prefix {
        path_id: None,
        net: IpNet::V4(net(idx)),
    }
}

/// Attribute set `k` of a sender in `asn` with next hop `next_hop`.
pub fn attr_set(k: u32, asn: u32, next_hop: Ipv4Addr) -> Vec<PathAttribute> {
    let mut path = vec![asn];
    if k > 0 {
        path.push(TAG_ASN_BASE + k);
    }
    vec![
        PathAttribute::new(AttrValue::Origin(Origin::Igp)),
        PathAttribute::new(AttrValue::AsPath(AsPath::sequence(path))),
        PathAttribute::new(AttrValue::NextHop(next_hop)),
    ]
}

/// The context the workload is encoded in: eBGP, 4-octet AS, 4096 octets.
pub fn ebgp_context() -> Context {
    Context {
        ibgp: false,
        ..Context::default()
    }
}

/// Announcements of `prefixes`, each UPDATE as full as [`MAX_MESSAGE`]
/// allows, UPDATE j with attribute set `j % sets`; encoded back to back as on
/// the wire. Returns the bytes and the number of UPDATEs.
pub fn announcements(
    prefixes: &[u32],
    sets: u32,
    asn: u32,
    next_hop: Ipv4Addr,
) -> (BytesMut, usize) {
    let ctx = ebgp_context();
    let sets: Vec<Vec<PathAttribute>> = (0..sets.max(1))
        .map(|k| attr_set(k, asn, next_hop))
        .collect();
    let mut out = BytesMut::new();
    let mut messages = 0;
    let mut rest = prefixes;
    while !rest.is_empty() {
        let attributes = sets[messages % sets.len()].clone();
        let mut u = Update {
            attributes,
            ..Update::default()
        };
        let fit = (MAX_MESSAGE - HEADER_OCTETS - u.body_len(&ctx)) / NLRI_OCTETS;
        let (now, later) = rest.split_at(fit.min(rest.len()));
        u.nlri = now.iter().map(|&i| prefix(i)).collect();
        Message::Update(u).encode(&ctx, &mut out);
        messages += 1;
        rest = later;
    }
    (out, messages)
}

/// Withdrawals of `prefixes` in the classic field, as many per UPDATE as fit.
pub fn withdrawals(prefixes: &[u32]) -> (BytesMut, usize) {
    let ctx = ebgp_context();
    let empty = Update::default().body_len(&ctx);
    let fit = (MAX_MESSAGE - HEADER_OCTETS - empty) / NLRI_OCTETS;
    let mut out = BytesMut::new();
    let mut messages = 0;
    for chunk in prefixes.chunks(fit) {
        let u = Update {
            withdrawn: chunk.iter().map(|&i| prefix(i)).collect(),
            ..Update::default()
        };
        Message::Update(u).encode(&ctx, &mut out);
        messages += 1;
    }
    (out, messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use evpnd_wire::framing::decode_frame;
    use evpnd_wire::message::decode_message;
    use std::collections::HashSet;

    #[test]
    fn prefixes_are_distinct_routable_and_repeatable() {
        let p = prefixes(100_000, 42);
        assert_eq!(p.len(), 100_000);
        assert_eq!(p.iter().collect::<HashSet<_>>().len(), 100_000);
        assert!(p.iter().all(|&i| usable(i)));
        assert_eq!(p, prefixes(100_000, 42));
        assert_ne!(p[..100], prefixes(100, 7)[..]);
        // Scattered: the first thousand span most first octets, not a run.
        let firsts: HashSet<u8> = p[..1000].iter().map(|&i| (i >> 16) as u8).collect();
        assert!(firsts.len() > 150, "{} first octets", firsts.len());
    }

    #[test]
    fn usable_space_excludes_reserved_blocks() {
        let idx = |a: u8, b: u8, c: u8| u32::from_be_bytes([0, a, b, c]);
        for (a, b) in [
            (0, 1),
            (10, 0),
            (127, 0),
            (100, 64),
            (169, 254),
            (172, 16),
            (192, 168),
            (224, 0),
            (255, 1),
        ] {
            assert!(!usable(idx(a, b, 0)), "{a}.{b}");
        }
        for (a, b) in [(1, 0), (100, 63), (172, 32), (192, 169), (223, 255)] {
            assert!(usable(idx(a, b, 0)), "{a}.{b}");
        }
        assert_eq!(net(idx(203, 0, 113)).to_string(), "203.0.113.0/24");
    }

    #[test]
    fn announcements_fill_messages_and_decode_back() {
        let p = prefixes(10_000, 3);
        let nh = Ipv4Addr::new(10, 3, 0, 2);
        let (mut stream, messages) = announcements(&p, 4, 65001, nh);
        let ctx = ebgp_context();
        let mut seen = Vec::new();
        let mut n = 0;
        while let Some(f) = decode_frame(&mut stream, MAX_MESSAGE).expect("frame") {
            assert!(f.len() <= MAX_MESSAGE);
            let Message::Update(u) = decode_message(&f, &ctx).expect("decode") else {
                panic!("not an UPDATE");
            };
            assert!(u.issues.is_empty(), "{:?}", u.issues);
            assert_eq!(u.next_hop(), Some(nh));
            let k = (n % 4) as u32;
            let want = if k == 0 {
                vec![65001]
            } else {
                vec![65001, TAG_ASN_BASE + k]
            };
            assert_eq!(u.as_path().map(|a| a.segments[0].asns.clone()), Some(want));
            if seen.len() + u.nlri.len() < p.len() {
                // Every UPDATE but the last is full: one more prefix would not fit.
                assert!(f.len() + NLRI_OCTETS > MAX_MESSAGE, "{} octets", f.len());
            }
            seen.extend(u.nlri.iter().map(|x| x.net));
            n += 1;
        }
        assert_eq!(n, messages);
        let want: Vec<IpNet> = p.iter().map(|&i| IpNet::V4(net(i))).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn withdrawals_list_every_prefix_once() {
        let p = prefixes(3000, 9);
        let (mut stream, messages) = withdrawals(&p);
        let mut seen = Vec::new();
        while let Some(f) = decode_frame(&mut stream, MAX_MESSAGE).expect("frame") {
            let Message::Update(u) = decode_message(&f, &ebgp_context()).expect("decode") else {
                panic!("not an UPDATE");
            };
            assert!(u.nlri.is_empty() && u.attributes.is_empty());
            seen.extend(u.withdrawn.iter().map(|x| x.net));
        }
        assert_eq!(messages, 3);
        assert_eq!(
            seen,
            p.iter().map(|&i| IpNet::V4(net(i))).collect::<Vec<_>>()
        );
    }
}
