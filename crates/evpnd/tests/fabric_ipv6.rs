//! The RFC 7938 fabric of `fabric_ipv4` with IPv6 VTEPs over an IPv6
//! underlay (`lab::clos`, `Vteps::V6`): each evpnd leaf originates its IPv6
//! loopback `fd00::1i/128` in IPv6 unicast over its unnumbered uplinks,
//! uses it as VTEP (`vxlan100` with an IPv6 `local`, `[evpn] vtep_ip`),
//! installs the other leaves' loopbacks over both spines (`via fe80::…
//! dev swp1/swp2`), and the hosts ping across VNI 100.
//!
//! The spines run evpnd too: FRR 8.4's bgpd refuses an EVPN route whose PMSI
//! tunnel endpoint is IPv6 ("Bad PMSI tunnel attribute length 21 for IR",
//! NOTIFICATION 3/1 — checked in this fabric), so an FRR 8.4 spine cannot
//! even relay IPv6 VTEPs, and FRR 8.4 has no IPv6 VTEP leaf either (zebra
//! takes no VNI from a VXLAN device with an IPv6 `local`; single-homed IPv6
//! VTEPs arrived in FRR 10.6). No FRR box here.

mod lab;

use lab::clos::{Leaf, Links, Spine, Vteps, clos_spines, overlay_works};

#[test]
fn ipv6_vteps_over_an_unnumbered_ipv6_underlay() {
    let f = clos_spines(
        "c6",
        Vteps::V6,
        Links::Unnumbered,
        Spine::Evpnd,
        &[Leaf::Evpnd; 3],
    );
    overlay_works(&f);
    f.assert_no_static_route();
}
