//! Properties of evaluation and of the set actions, over generated routes
//! and actions.

use evpnd_config::model::{Community, Disposition, Policy, Set, Term, TermAction};
use evpnd_policy::{Attributes, RouteView, evaluate};
use evpnd_wire::attr::{AttrValue, PathAttribute};
use proptest::prelude::*;

fn set() -> impl Strategy<Value = Set> {
    (
        proptest::collection::vec(0u32..8, 0..4),
        proptest::collection::vec(0u32..8, 0..4),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(add, remove, lp)| Set {
            add_community: add.into_iter().map(Community).collect(),
            remove_community: remove.into_iter().map(Community).collect(),
            local_pref: lp,
            ..Set::default()
        })
}

fn next_term(i: usize, set: Set) -> Term {
    Term {
        name: format!("t{i}"),
        matches: Default::default(),
        set,
        action: TermAction::Next,
    }
}

proptest! {
    #[test]
    fn applying_a_set_twice_is_applying_it_once(
        comms in proptest::collection::vec(0u32..8, 0..6),
        s in set(),
    ) {
        let view = RouteView { communities: &comms, ..RouteView::default() };
        let mut once = Attributes::of(&view);
        once.apply(&s);
        let mut twice = once.clone();
        twice.apply(&s);
        prop_assert_eq!(&once, &twice);
        for c in &s.add_community {
            prop_assert!(once.communities.contains(&c.0));
        }
        for c in &s.remove_community {
            prop_assert!(
                !once.communities.contains(&c.0) || s.add_community.contains(c)
            );
        }
    }

    #[test]
    fn next_terms_leave_the_verdict_to_the_default_and_their_sets_add_up(
        comms in proptest::collection::vec(0u32..8, 0..6),
        sets in proptest::collection::vec(set(), 0..4),
        accept in any::<bool>(),
    ) {
        let default = if accept { Disposition::Accept } else { Disposition::Reject };
        let policy = Policy {
            name: "p".into(),
            default,
            term: sets.iter().cloned().enumerate().map(|(i, s)| next_term(i, s)).collect(),
        };
        let view = RouteView { communities: &comms, local_pref: Some(100), ..RouteView::default() };
        let o = evaluate(&policy, &view);
        prop_assert_eq!(o.verdict, default);
        prop_assert_eq!(o.term(), None);
        let mut want = Attributes::of(&view);
        for s in &sets {
            want.apply(s);
        }
        let changed = want != Attributes::of(&view);
        match (&o.attributes, accept && changed) {
            (Some(a), true) => prop_assert_eq!(a, &want),
            (None, false) => {}
            (got, _) => prop_assert!(false, "attributes {:?}, expected change {}", got, accept && changed),
        }
    }

    #[test]
    fn attributes_written_into_a_path_read_back(
        comms in proptest::collection::vec(any::<u32>(), 0..6),
        lp in proptest::option::of(any::<u32>()),
        had in any::<bool>(),
    ) {
        let a = Attributes { communities: comms.clone(), local_pref: lp, ..Attributes::default() };
        let mut attrs = vec![PathAttribute::new(AttrValue::Med(7))];
        if had {
            attrs.push(PathAttribute::new(AttrValue::Communities(vec![1, 2, 3])));
        }
        a.write_to(&mut attrs);
        let got_comms = attrs.iter().find_map(|x| match &x.value {
            AttrValue::Communities(c) => Some(c.clone()),
            _ => None,
        });
        prop_assert_eq!(got_comms.unwrap_or_default(), comms);
        let got_lp = attrs.iter().find_map(|x| match x.value {
            AttrValue::LocalPref(v) => Some(v),
            _ => None,
        });
        prop_assert_eq!(got_lp, lp);
        prop_assert_eq!(&attrs[0].value, &AttrValue::Med(7));
    }
}
