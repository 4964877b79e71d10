//! Routes a receiver must refuse although the UPDATE is well-formed: a loop
//! or a next hop that cannot be right. The codec names the reason; the core
//! drops the routes (as withdrawn from that peer), counts the reason and logs
//! it (issue 15 item 4).
//!
//! * our AS in the AS_PATH (RFC 4271 §9.1.2: the route has looped; on iBGP
//!   too, where it can only come back through a confederation or a
//!   misconfigured peer);
//! * an MP_REACH next hop that is the unspecified address (0.0.0.0, ::):
//!   no VTEP to send traffic to (RFC 4271 §5.1.3 by analogy, RFC 7606 §7.11
//!   semantic);
//! * an MP_REACH next hop that is one of our own addresses (RFC 4271 §5.1.3:
//!   "a route whose NEXT_HOP is the receiving speaker's own address" is not
//!   installed): we would tunnel to ourselves.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::update::Update;

/// Why the routes of an UPDATE are refused, one value per counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Our AS is in the AS_PATH.
    AsPathLoop,
    /// The MP_REACH next hop is 0.0.0.0 or ::.
    NextHopUnspecified,
    /// The MP_REACH next hop is one of our addresses.
    NextHopSelf,
}

impl Refusal {
    /// Every reason, in counter order.
    pub const ALL: [Refusal; 3] = [
        Refusal::AsPathLoop,
        Refusal::NextHopUnspecified,
        Refusal::NextHopSelf,
    ];

    /// A stable name for metrics labels, logs and `route explain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::AsPathLoop => "as_path_loop",
            Refusal::NextHopUnspecified => "next_hop_unspecified",
            Refusal::NextHopSelf => "next_hop_self",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the routes announced in `u` must be refused, if they must.
/// `own_asn` is our AS; `own_addrs` our addresses (router id, VTEP, local
/// session addresses). IPv4-mapped IPv6 next hops compare as IPv4.
pub fn refusal(u: &Update, own_asn: u32, own_addrs: &[IpAddr]) -> Option<Refusal> {
    if u.as_path().is_some_and(|p| p.contains(own_asn)) {
        return Some(Refusal::AsPathLoop);
    }
    let nh = u.mp_reach().and_then(|m| m.next_hop.ip())?;
    if nh.is_unspecified() {
        return Some(Refusal::NextHopUnspecified);
    }
    let nh = nh.to_canonical();
    if own_addrs.iter().any(|a| a.to_canonical() == nh) {
        return Some(Refusal::NextHopSelf);
    }
    None
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::attr::{AsPath, AttrValue, Origin, PathAttribute};

    fn update(path: Vec<u32>, nh: Ipv4Addr) -> Update {
        let attrs = vec![
            PathAttribute::new(AttrValue::Origin(Origin::Igp)),
            PathAttribute::new(AttrValue::AsPath(AsPath::sequence(path))),
        ];
        Update::evpn_reach(IpAddr::V4(nh), Vec::new(), attrs)
    }

    #[test]
    fn loops_and_impossible_next_hops_are_named() {
        let me = [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))];
        let peer = Ipv4Addr::new(10, 0, 0, 2);
        assert_eq!(refusal(&update(vec![], peer), 65000, &me), None);
        assert_eq!(refusal(&update(vec![65001], peer), 65000, &me), None);
        assert_eq!(
            refusal(&update(vec![65001, 65000], peer), 65000, &me),
            Some(Refusal::AsPathLoop)
        );
        assert_eq!(
            refusal(&update(vec![], Ipv4Addr::UNSPECIFIED), 65000, &me),
            Some(Refusal::NextHopUnspecified)
        );
        assert_eq!(
            refusal(&update(vec![], Ipv4Addr::new(10, 0, 0, 1)), 65000, &me),
            Some(Refusal::NextHopSelf)
        );
        let mapped = [IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped())];
        assert_eq!(
            refusal(&update(vec![], Ipv4Addr::new(10, 0, 0, 1)), 65000, &mapped),
            Some(Refusal::NextHopSelf)
        );
        assert_eq!(Refusal::ALL.len(), 3);
        assert_eq!(Refusal::NextHopSelf.to_string(), "next_hop_self");
    }
}
