//! The RFC 7938 fabric of `fabric_ipv4` with IPv6 VTEPs over an IPv6
//! underlay (`lab::clos`, `Vteps::V6`): each evpnd leaf originates its IPv6
//! loopback `fd00::1i/128` in IPv6 unicast over its unnumbered uplinks,
//! uses it as VTEP (`vxlan100` with an IPv6 `local`, `[evpn] vtep_ip`),
//! installs the other leaves' loopbacks over both spines (`via fe80::…
//! dev swp1/swp2`), and the hosts ping across VNI 100.
//!
//! Not here: an FRR leaf beside the evpnd leaves — FRR 8.4 has no IPv6
//! VTEPs (zebra takes no VNI from a VXLAN device with an IPv6 `local`;
//! single-homed IPv6 VTEPs arrived in FRR 10.6). The FRR spines only relay
//! the EVPN routes, with their IPv6 next hops unchanged.

mod lab;

use lab::clos::{Leaf, Vteps, clos, overlay_works};

#[test]
fn ipv6_vteps_over_an_unnumbered_ipv6_underlay() {
    let f = clos("c6", Vteps::V6, &[Leaf::Evpnd; 3]);
    overlay_works(&f);
    f.assert_no_static_route();
}
