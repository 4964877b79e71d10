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

/// interop/fabric-7938 (the containerlab variant) holds exactly the spine
/// and leaf configurations the namespace tests generate.
#[test]
fn the_containerlab_fabric_uses_the_lab_configs() {
    use lab::clos::{Links, evpnd_leaf_conf, spine_conf};
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../interop/fabric-7938");
    let read = |p: String| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    for s in 1..=2u8 {
        let want = spine_conf(Vteps::V4, s, Links::Unnumbered);
        assert_eq!(read(format!("{root}/spine{s}/frr.conf")), want, "spine {s}");
    }
    for i in 1..=3u8 {
        let want = evpnd_leaf_conf(Vteps::V4, i, Links::Unnumbered);
        assert_eq!(
            read(format!("{root}/leaf{i}/fabric.toml")),
            want,
            "leaf {i}"
        );
    }
}
