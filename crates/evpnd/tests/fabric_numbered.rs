//! The RFC 7938 fabric of `lab::clos` with numbered links (a /30 per
//! leaf–spine link, `[[neighbor]] address` = the spine's end): two evpnd
//! leaves and an FRR leaf learn each other's loopbacks over both FRR spines
//! and install them with ECMP via IPv4 next hops, the hosts ping across VNI
//! 100, and a spine link failure of evpnd leaf 1 under a 20 ms ping
//! converges on the other spine and back. The unicast core and the
//! main-table install without BGP unnumbered; `fabric_ipv4` and
//! `fabric_frr_leaf` are the same fabric unnumbered.

mod lab;

use lab::clos::{
    Leaf, Links, Spine, Vteps, clos_spines, clos_with, overlay_works, spine_link_failure,
};

#[test]
fn numbered_evpnd_fabric_ecmp_overlay_and_a_spine_link_failure() {
    let f = clos_with(
        "cn",
        Vteps::V4,
        Links::Numbered,
        &[Leaf::Evpnd, Leaf::Evpnd, Leaf::Frr],
    );
    overlay_works(&f);
    f.assert_no_static_route();
    spine_link_failure(&f, 1);
}

/// IPv6 VTEPs over numbered IPv6 links (fd01:`s`:`i`::/64), evpnd on every
/// box: FRR 8.4 spines refuse EVPN routes with an IPv6 PMSI tunnel endpoint
/// (NOTIFICATION 3/1), so the spines are evpnd too (no VNI, EVPN next hops
/// unchanged, IPv6 unicast next hop self).
#[test]
fn numbered_ipv6_evpnd_fabric_ecmp_and_overlay() {
    let f = clos_spines(
        "cn6",
        Vteps::V6,
        Links::Numbered,
        Spine::Evpnd,
        &[Leaf::Evpnd; 3],
    );
    overlay_works(&f);
    f.assert_no_static_route();
}
