//! The RFC 7938 fabric of `lab::clos` with FRR 8.4 on every box: two
//! spines and three FRR leaves, all unnumbered eBGP, no static route. It is
//! the reference for the evpnd fabric tests (`fabric_*.rs`): the same
//! cabling, spine configuration and assertions hold with FRR leaves, and
//! the figures of a spine link failure printed here are FRR's, for
//! comparison with evpnd's.

mod lab;

use lab::clos::{Leaf, Vteps, clos, overlay_works, spine_link_failure};

#[test]
fn frr_leaves_ecmp_overlay_and_a_spine_link_failure() {
    let f = clos("cf", Vteps::V4, &[Leaf::Frr; 3]);
    overlay_works(&f);
    spine_link_failure(&f, 1);
}
