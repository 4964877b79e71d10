//! Property: route ids. Whatever the order of announcements, withdrawals,
//! peer downs and recycling, every destination with a path has exactly one
//! id, distinct from every other's, that leads back to it and stays the same
//! while the destination has paths; the table's counts match a model.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use evpnd_rib::{Path, PeerId, Rank, Table};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Announce(u8, u32),
    Withdraw(u8, u32),
    PeerDown(u32),
    Recycle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..8, 1u32..4).prop_map(|(k, p)| Op::Announce(k, p)),
        2 => (0u8..8, 1u32..4).prop_map(|(k, p)| Op::Withdraw(k, p)),
        1 => (1u32..4).prop_map(Op::PeerDown),
        1 => Just(Op::Recycle),
    ]
}

proptest! {
    #[test]
    fn ids_are_unique_and_stable(ops in proptest::collection::vec(op(), 1..80)) {
        let mut t: Table<u8, (u8, u32)> = Table::new();
        let mut model: HashSet<(u8, u32)> = HashSet::new();
        let mut ids: HashMap<u8, u32> = HashMap::new();
        for o in ops {
            match o {
                Op::Announce(k, p) => {
                    model.insert((k, p));
                    let rank = Rank { local_pref: p, ..Rank::default() };
                    t.insert(k, Path { peer: PeerId(p), path_id: 0, attrs: Arc::new((k, p)), rank: rank.into() });
                }
                Op::Withdraw(k, p) => {
                    model.remove(&(k, p));
                    t.remove(&k, PeerId(p), 0);
                }
                Op::PeerDown(p) => {
                    model.retain(|(_, mp)| *mp != p);
                    t.remove_peer(PeerId(p));
                }
                Op::Recycle => t.recycle(),
            }
            let live: HashSet<u8> = model.iter().map(|(k, _)| *k).collect();
            ids.retain(|k, _| live.contains(k));
            let mut seen = HashSet::new();
            for k in &live {
                let id = t.id(k);
                prop_assert!(id.is_some(), "no id for live key {}", k);
                let id = id.unwrap_or_default();
                prop_assert!(seen.insert(id), "id {} given twice", id);
                prop_assert_eq!(t.key_of(id), Some(*k));
                prop_assert!(t.best_by_id(id).is_some());
                prop_assert_eq!(*ids.entry(*k).or_insert(id), id, "id of {} changed", k);
            }
            prop_assert_eq!(t.len(), live.len());
            prop_assert_eq!(t.ids().count(), live.len());
            prop_assert_eq!(t.path_count(), model.len());
        }
    }
}
