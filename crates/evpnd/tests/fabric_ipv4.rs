//! Issue 13's proof: an RFC 7938 fabric in network namespaces with no
//! static route anywhere (`lab::clos`). Two FRR 8.4 spines (AS 65100), three
//! leaves each running only evpnd: unnumbered eBGP uplinks to both spines
//! (`[[neighbor]] interface = "swp1"`, `remote_asn = "external"`), own AS,
//! loopback = VTEP originated in IPv4 unicast (`[bgp] networks`), VNI 100
//! with a host behind each leaf.
//!
//! Each leaf installs the other two loopbacks over both spines (proto 245,
//! a nexthop group of two, `via inet6 fe80::… dev swp1/swp2`: RFC 8950);
//! hosts ping across VNI 100 with ARP-driven learning (type 2 and 3 routes
//! become FDB entries towards the other VTEPs). Leaf 1's link to spine 1
//! goes down under a 20 ms ping: the routes converge to spine 2 (a group
//! of one) and the loss is measured and bounded; the link comes back, both
//! spines are used again and the ping is clean.

mod lab;

use lab::clos::{Leaf, Vteps, clos, overlay_works, spine_link_failure};

#[test]
fn evpnd_leaves_ecmp_overlay_and_a_spine_link_failure() {
    let f = clos("c4", Vteps::V4, &[Leaf::Evpnd; 3]);
    overlay_works(&f);
    f.assert_no_static_route();
    spine_link_failure(&f, 1);
}
