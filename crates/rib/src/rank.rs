//! The BGP decision process (RFC 4271 §9.1.2.2), with the route-reflection
//! tie-breaks of RFC 4456 §9 and the EVPN MAC mobility rules of RFC 7432 §15
//! for paths of the same route key.
//!
//! Order applied (first difference decides):
//!
//! | step | rule | source |
//! |---|---|---|
//! | 1 | non-stale over stale (graceful restart) | RFC 4724 §4.2 |
//! | 2 | sticky (static) MAC over non-sticky | RFC 7432 §15.2 |
//! | 3 | higher MAC mobility sequence | RFC 7432 §15.1 |
//! | 4 | locally originated over learned | common practice (weight) |
//! | 5 | higher LOCAL_PREF | RFC 4271 §9.1.1 |
//! | 6 | shorter AS_PATH (AS_SET counts 1, confed 0) | §9.1.2.2 a |
//! | 7 | lower ORIGIN | §9.1.2.2 b |
//! | 8 | lower MED, only between paths from the same neighbour AS | §9.1.2.2 c |
//! | 9 | eBGP-learned over iBGP-learned | §9.1.2.2 d |
//! | 10 | shorter CLUSTER_LIST | RFC 4456 §9 |
//! | 11 | lower BGP identifier (ORIGINATOR_ID when present) | §9.1.2.2 f, RFC 4456 §9 |
//! | 12 | lower peer address | §9.1.2.2 g |
//!
//! IGP cost to the next hop (§9.1.2.2 e) is not used: an EVPN leaf has no IGP
//! view of VTEP reachability, and FRR ties it on VXLAN fabrics too.

use std::cmp::Ordering;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

/// What best path needs to know about one path, extracted once on receipt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Rank {
    pub stale: bool,
    pub sticky: bool,
    /// MAC mobility sequence number (absent community = 0).
    pub mobility_seq: u32,
    pub local: bool,
    pub local_pref: u32,
    pub as_path_len: u32,
    /// 0 IGP, 1 EGP, 2 INCOMPLETE.
    pub origin: u8,
    pub med: u32,
    /// First AS of the AS_PATH (the neighbouring AS); `None` for local/empty paths.
    pub neighbor_as: Option<u32>,
    pub ebgp: bool,
    pub cluster_list_len: u32,
    /// ORIGINATOR_ID when present, else the peer's BGP identifier.
    pub originator_id: Ipv4Addr,
    pub peer_addr: IpAddr,
}

impl Default for Rank {
    fn default() -> Self {
        Rank {
            stale: false,
            sticky: false,
            mobility_seq: 0,
            local: false,
            local_pref: 100,
            as_path_len: 0,
            origin: 0,
            med: 0,
            neighbor_as: None,
            ebgp: false,
            cluster_list_len: 0,
            originator_id: Ipv4Addr::UNSPECIFIED,
            peer_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

/// Why a path lost against the best one: the first rule that told them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossReason {
    Stale,
    NotSticky,
    LowerMobilitySequence,
    NotLocal,
    LowerLocalPref,
    LongerAsPath,
    HigherOrigin,
    HigherMed,
    IbgpVsEbgp,
    LongerClusterList,
    HigherRouterId,
    HigherPeerAddress,
    /// Every rule tied (same peer address: e.g. two ADD-PATH ids of one peer);
    /// the older path is kept.
    Tie,
}

impl LossReason {
    /// Its name in views (the serde name).
    pub fn name(self) -> &'static str {
        use LossReason::*;
        match self {
            Stale => "stale",
            NotSticky => "not_sticky",
            LowerMobilitySequence => "lower_mobility_sequence",
            NotLocal => "not_local",
            LowerLocalPref => "lower_local_pref",
            LongerAsPath => "longer_as_path",
            HigherOrigin => "higher_origin",
            HigherMed => "higher_med",
            IbgpVsEbgp => "ibgp_vs_ebgp",
            LongerClusterList => "longer_cluster_list",
            HigherRouterId => "higher_router_id",
            HigherPeerAddress => "higher_peer_address",
            Tie => "tie",
        }
    }
}

/// Compares `a` against `b`. `Ordering::Less` means `a` is preferred. The
/// reason names the rule that decided, from the loser's point of view.
pub fn compare(a: &Rank, b: &Rank) -> (Ordering, LossReason) {
    use LossReason::*;
    // `true` is better for these, so compare b to a.
    let steps: [(Ordering, LossReason); 12] = [
        (a.stale.cmp(&b.stale), Stale),
        (b.sticky.cmp(&a.sticky), NotSticky),
        (b.mobility_seq.cmp(&a.mobility_seq), LowerMobilitySequence),
        (b.local.cmp(&a.local), NotLocal),
        (b.local_pref.cmp(&a.local_pref), LowerLocalPref),
        (a.as_path_len.cmp(&b.as_path_len), LongerAsPath),
        (a.origin.cmp(&b.origin), HigherOrigin),
        (med_order(a, b), HigherMed),
        (b.ebgp.cmp(&a.ebgp), IbgpVsEbgp),
        (
            a.cluster_list_len.cmp(&b.cluster_list_len),
            LongerClusterList,
        ),
        (a.originator_id.cmp(&b.originator_id), HigherRouterId),
        (a.peer_addr.cmp(&b.peer_addr), HigherPeerAddress),
    ];
    steps
        .into_iter()
        .find(|(o, _)| o.is_ne())
        .unwrap_or((Ordering::Equal, Tie))
}

/// Which paths may share forwarding with the best one (ECMP): the
/// [`multipath`](crate::Table::multipath) rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multipath {
    /// At most this many paths, the best included (1: the best alone).
    pub max_paths: usize,
    /// eBGP paths from different neighbour ASes may share (RFC 7938 §5.2.4,
    /// "multipath relax"); otherwise the neighbour AS must be the same.
    pub relax: bool,
}

/// Whether `p` is equal to the best path `best` for multipath: the decision
/// process ties down to and including MED and the eBGP/iBGP step (IGP cost
/// is not used, see the table above). Neither may be local; iBGP paths only
/// join iBGP paths, eBGP only eBGP; the neighbour AS must match unless
/// `relax` (then only the AS_PATH length counts, as in FRR).
pub fn multipath_equal(best: &Rank, p: &Rank, relax: bool) -> bool {
    !best.local
        && !p.local
        && best.stale == p.stale
        && best.sticky == p.sticky
        && best.mobility_seq == p.mobility_seq
        && best.local_pref == p.local_pref
        && best.as_path_len == p.as_path_len
        && best.origin == p.origin
        && med_order(best, p) == Ordering::Equal
        && best.ebgp == p.ebgp
        && (relax || best.neighbor_as == p.neighbor_as)
}

/// MED is only comparable between paths from the same neighbouring AS.
fn med_order(a: &Rank, b: &Rank) -> Ordering {
    if a.neighbor_as == b.neighbor_as {
        a.med.cmp(&b.med)
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Rank {
        Rank::default()
    }

    #[test]
    fn each_rule_decides_in_order() {
        let base = r();
        let cases: Vec<(Rank, LossReason)> = vec![
            (Rank { stale: true, ..r() }, LossReason::Stale),
            (
                Rank {
                    sticky: false,
                    ..r()
                },
                LossReason::NotSticky,
            ),
            (
                Rank {
                    local_pref: 50,
                    ..r()
                },
                LossReason::LowerLocalPref,
            ),
            (
                Rank {
                    as_path_len: 3,
                    ..r()
                },
                LossReason::LongerAsPath,
            ),
            (Rank { origin: 2, ..r() }, LossReason::HigherOrigin),
            (Rank { med: 10, ..r() }, LossReason::HigherMed),
            (
                Rank {
                    cluster_list_len: 1,
                    ..r()
                },
                LossReason::LongerClusterList,
            ),
            (
                Rank {
                    originator_id: Ipv4Addr::new(10, 0, 0, 9),
                    ..r()
                },
                LossReason::HigherRouterId,
            ),
            (
                Rank {
                    peer_addr: "10.0.0.9".parse().expect("ip"),
                    ..r()
                },
                LossReason::HigherPeerAddress,
            ),
        ];
        for (loser, reason) in cases {
            let winner = if reason == LossReason::NotSticky {
                Rank {
                    sticky: true,
                    ..base.clone()
                }
            } else {
                base.clone()
            };
            assert_eq!(
                compare(&winner, &loser),
                (Ordering::Less, reason),
                "{reason:?}"
            );
            assert_eq!(compare(&loser, &winner).0, Ordering::Greater, "{reason:?}");
        }
    }

    #[test]
    fn mobility_sequence_beats_local_pref_and_sticky_beats_sequence() {
        let moved = Rank {
            mobility_seq: 1,
            local_pref: 50,
            ..r()
        };
        let old = Rank {
            mobility_seq: 0,
            local_pref: 200,
            ..r()
        };
        assert_eq!(
            compare(&moved, &old),
            (Ordering::Less, LossReason::LowerMobilitySequence)
        );
        let sticky = Rank {
            sticky: true,
            mobility_seq: 0,
            ..r()
        };
        assert_eq!(
            compare(&sticky, &moved),
            (Ordering::Less, LossReason::NotSticky)
        );
    }

    #[test]
    fn med_ignored_across_neighbor_as() {
        let a = Rank {
            med: 100,
            neighbor_as: Some(65001),
            peer_addr: "10.0.0.1".parse().expect("ip"),
            ..r()
        };
        let b = Rank {
            med: 1,
            neighbor_as: Some(65002),
            peer_addr: "10.0.0.2".parse().expect("ip"),
            ..r()
        };
        assert_eq!(
            compare(&a, &b),
            (Ordering::Less, LossReason::HigherPeerAddress)
        );
        let b_same = Rank {
            neighbor_as: Some(65001),
            ..b
        };
        assert_eq!(
            compare(&b_same, &a),
            (Ordering::Less, LossReason::HigherMed)
        );
    }

    #[test]
    fn multipath_ties_down_to_med_and_relaxes_the_neighbour_as() {
        let a = Rank {
            ebgp: true,
            neighbor_as: Some(65101),
            as_path_len: 2,
            peer_addr: "10.0.0.1".parse().expect("ip"),
            ..r()
        };
        let b = Rank {
            neighbor_as: Some(65102),
            peer_addr: "10.0.0.2".parse().expect("ip"),
            originator_id: Ipv4Addr::new(10, 0, 0, 2),
            ..a.clone()
        };
        assert!(multipath_equal(&a, &b, true), "different AS, relaxed");
        assert!(!multipath_equal(&a, &b, false), "different AS, strict");
        let same_as = Rank {
            neighbor_as: Some(65101),
            ..b.clone()
        };
        assert!(multipath_equal(&a, &same_as, false));
        let longer = Rank {
            as_path_len: 3,
            ..b.clone()
        };
        assert!(!multipath_equal(&a, &longer, true), "longer AS_PATH");
        let higher_med = Rank {
            med: 5,
            ..same_as.clone()
        };
        assert!(!multipath_equal(&a, &higher_med, true), "MED, same AS");
        let ibgp = Rank {
            ebgp: false,
            ..b.clone()
        };
        assert!(!multipath_equal(&a, &ibgp, true), "iBGP never joins eBGP");
        let local = Rank {
            local: true,
            ..a.clone()
        };
        assert!(
            !multipath_equal(&local, &b, true),
            "a local best installs nothing"
        );
    }

    #[test]
    fn ebgp_over_ibgp_and_identical_ties() {
        let e = Rank { ebgp: true, ..r() };
        assert_eq!(compare(&e, &r()), (Ordering::Less, LossReason::IbgpVsEbgp));
        assert_eq!(compare(&r(), &r()), (Ordering::Equal, LossReason::Tie));
    }
}
