//! Property: whatever the order of announcements and withdrawals, the best
//! path of a destination is one no other present path beats.

use std::cmp::Ordering;
use std::sync::Arc;

use evpnd_rib::{Path, PeerId, Rank, Table, compare};
use proptest::prelude::*;

fn rank() -> impl Strategy<Value = Rank> {
    (
        any::<bool>(),
        0u32..3,
        50u32..52,
        0u32..3,
        0u8..3,
        0u32..2,
        any::<bool>(),
        1u8..5,
    )
        .prop_map(|(sticky, seq, lp, aspl, origin, med, ebgp, last)| Rank {
            sticky,
            mobility_seq: seq,
            local_pref: lp,
            as_path_len: aspl,
            origin,
            med,
            ebgp,
            peer_addr: std::net::IpAddr::from([10, 0, 0, last]),
            ..Rank::default()
        })
}

#[derive(Debug, Clone)]
enum Op {
    Announce(u8, u32, Rank),
    Withdraw(u8, u32),
    PeerDown(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..4, 1u32..5, rank()).prop_map(|(k, p, r)| Op::Announce(k, p, r)),
        1 => (0u8..4, 1u32..5).prop_map(|(k, p)| Op::Withdraw(k, p)),
        1 => (1u32..5).prop_map(Op::PeerDown),
    ]
}

proptest! {
    #[test]
    fn best_is_never_beaten(ops in proptest::collection::vec(op(), 1..60)) {
        let mut t: Table<u8, (u8, u32)> = Table::new();
        let mut model: std::collections::HashMap<(u8, u32), Rank> = Default::default();
        for o in ops {
            match o {
                Op::Announce(k, p, r) => {
                    model.insert((k, p), r.clone());
                    t.insert(k, Path { peer: PeerId(p), path_id: 0, attrs: Arc::new((k, p)), rank: r.into() });
                }
                Op::Withdraw(k, p) => {
                    model.remove(&(k, p));
                    t.remove(&k, PeerId(p), 0);
                }
                Op::PeerDown(p) => {
                    model.retain(|(_, mp), _| *mp != p);
                    t.remove_peer(PeerId(p));
                }
            }
        }
        for k in 0u8..4 {
            let present: Vec<&Rank> = model.iter().filter(|((mk, _), _)| *mk == k).map(|(_, r)| r).collect();
            match t.best(&k) {
                None => prop_assert!(present.is_empty()),
                Some(b) => {
                    prop_assert_eq!(model.get(&(k, b.peer.0)), Some(&*b.rank));
                    for r in present {
                        prop_assert_ne!(compare(r, &b.rank).0, Ordering::Less);
                    }
                }
            }
        }
        prop_assert_eq!(t.path_count(), model.len());
        for p in 1u32..5 {
            let want = model.keys().filter(|(_, mp)| *mp == p).count();
            prop_assert_eq!(t.peer_path_count(PeerId(p)), want, "paths held from peer {}", p);
        }
    }
}
