//! Property: the id-keyed Adj-RIB-Out behaves like a reference model. After
//! any sequence of announcements, withdrawals (with ids reused for other
//! destinations), route refreshes and partial batches, the routes the peer
//! ends up with — applying every batch as BGP would — are exactly the wished
//! ones, nothing is withdrawn that the peer does not have, and nothing is
//! announced twice without a change or a refresh.

use std::collections::HashMap;

use evpnd_rib::{AdjOut, OutValue};
use proptest::prelude::*;

/// A route as sent: (destination, attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct R {
    dest: u32,
    attrs: u8,
}

impl OutValue for R {
    fn same_destination(&self, other: &Self) -> bool {
        self.dest == other.dest
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Route id, generation of the destination using it, attributes.
    Announce(u32, u32, u8),
    Withdraw(u32),
    Refresh,
    Take(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..12, 0u32..3, 0u8..3).prop_map(|(i, g, a)| Op::Announce(i, g, a)),
        2 => (0u32..12).prop_map(Op::Withdraw),
        1 => Just(Op::Refresh),
        2 => (1usize..6).prop_map(Op::Take),
    ]
}

/// Applies a batch to the peer's view, checking it is a valid BGP sequence.
fn apply(
    view: &mut HashMap<u32, u8>,
    b: &evpnd_rib::Batch<R>,
    refreshed: bool,
) -> Result<(), TestCaseError> {
    for w in &b.withdraw {
        prop_assert_eq!(
            view.remove(&w.dest),
            Some(w.attrs),
            "withdrawn but not held: {:?}",
            w
        );
    }
    for a in &b.announce {
        let old = view.insert(a.dest, a.attrs);
        if !refreshed {
            prop_assert_ne!(old, Some(a.attrs), "announced twice unchanged: {:?}", a);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn matches_the_reference_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut out: AdjOut<R> = AdjOut::new();
        // What the core wishes per id now.
        let mut want: HashMap<u32, R> = HashMap::new();
        // What the peer holds, by destination.
        let mut view: HashMap<u32, u8> = HashMap::new();
        let mut refreshed = false;
        for o in ops {
            match o {
                Op::Announce(id, generation, attrs) => {
                    // One destination has one id: destinations are made unique per id.
                    want.insert(id, R { dest: id * 10 + generation, attrs });
                    out.mark(id);
                }
                Op::Withdraw(id) => {
                    want.remove(&id);
                    out.mark(id);
                }
                Op::Refresh => {
                    out.requeue_all();
                    refreshed = true;
                }
                Op::Take(n) => {
                    let b = out.take_batch(n, |id| want.get(&id).copied());
                    apply(&mut view, &b, refreshed)?;
                }
            }
        }
        // Drain everything.
        while out.pending_len() > 0 {
            let b = out.take_batch(3, |id| want.get(&id).copied());
            apply(&mut view, &b, refreshed)?;
        }
        let expect: HashMap<u32, u8> = want.values().map(|r| (r.dest, r.attrs)).collect();
        prop_assert_eq!(&view, &expect);
        prop_assert_eq!(out.sent_len(), expect.len());
        for (id, r) in &want {
            prop_assert_eq!(out.sent_value(*id), Some(r));
        }
        // Drained and unchanged: nothing more to send.
        for id in 0..12 {
            out.mark(id);
        }
        let b = out.take_batch(100, |id| want.get(&id).copied());
        prop_assert!(b.is_empty());
    }
}
