//! Interop in the RFC 7938 fabric (`lab::clos`): two evpnd leaves and an
//! FRR 8.4 leaf (`neighbor swpN interface`, `advertise-all-vni`, IPv4 VTEP),
//! each in its own AS behind the two FRR spines. Every leaf installs the
//! others' loopbacks over both spines, EVPN routes cross AS boundaries with
//! their next hops unchanged and their auto route targets (`AS:100` with
//! three different ASes) imported, and the hosts of all three ping each other.

mod lab;

use lab::clos::{Leaf, Vteps, clos, overlay_works};

#[test]
fn evpnd_and_frr_leaves_share_the_fabric() {
    let f = clos("cx", Vteps::V4, &[Leaf::Evpnd, Leaf::Evpnd, Leaf::Frr]);
    overlay_works(&f);
    f.assert_no_static_route();
}
