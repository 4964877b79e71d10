//! One term's `[policy.term.match]` against a route: every condition given
//! must hold; within a condition's list, any entry may.

use evpnd_config::model::{Match, PrefixMatch, RtPattern};
use evpnd_config::validate::prefix_range;
use evpnd_wire::RouteTarget;
use ipnet::IpNet;

use crate::route::RouteView;

/// Whether `r` meets every condition of `m` (an empty match meets all).
pub fn matches(m: &Match, r: &RouteView<'_>) -> bool {
    first_failure(m, r).is_none()
}

/// The first condition of `m` that `r` fails, by its key name.
pub fn first_failure(m: &Match, r: &RouteView<'_>) -> Option<&'static str> {
    let any = |empty: bool, hit: bool| empty || hit;
    let checks: [(&'static str, bool); 10] = [
        (
            "route_type",
            any(
                m.route_type.is_empty(),
                m.route_type.contains(&r.route_type),
            ),
        ),
        (
            "route_target",
            any(
                m.route_target.is_empty(),
                r.route_targets()
                    .any(|rt| m.route_target.iter().any(|p| rt_matches(p, &rt))),
            ),
        ),
        (
            "vni",
            any(
                m.vni.is_empty(),
                r.vni.is_some_and(|v| m.vni.contains(&v.get())),
            ),
        ),
        (
            "rd",
            any(m.rd.is_empty(), r.rd.is_some_and(|rd| m.rd.contains(&rd))),
        ),
        (
            "mac",
            any(m.mac.is_empty(), r.mac.is_some_and(|x| m.mac.contains(&x))),
        ),
        (
            "prefix",
            any(
                m.prefix.is_empty(),
                r.match_prefix()
                    .is_some_and(|p| m.prefix.iter().any(|pm| prefix_matches(pm, &p))),
            ),
        ),
        (
            "community",
            any(
                m.community.is_empty(),
                m.community.iter().any(|c| r.communities.contains(&c.0)),
            ),
        ),
        (
            "large_community",
            any(
                m.large_community.is_empty(),
                m.large_community
                    .iter()
                    .any(|c| r.large_communities.contains(&c.0)),
            ),
        ),
        (
            "ext_community",
            any(
                m.ext_community.is_empty(),
                m.ext_community
                    .iter()
                    .any(|c| r.ext_communities.contains(&c.0)),
            ),
        ),
        (
            "next_hop",
            any(
                m.next_hop.is_empty(),
                r.next_hop
                    .is_some_and(|nh| m.next_hop.iter().any(|n| n.contains(&nh))),
            ),
        ),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(k, _)| *k)
}

/// An RT pattern: exact, or `*:N` on the local administrator.
pub fn rt_matches(p: &RtPattern, rt: &RouteTarget) -> bool {
    match p {
        RtPattern::Exact(x) => x == rt,
        RtPattern::AnyAs(n) => rt.local_admin() == *n,
    }
}

/// A prefix-list entry: `p` inside `pm.prefix`, its length within `ge`/`le`.
pub fn prefix_matches(pm: &PrefixMatch, p: &IpNet) -> bool {
    let Ok((lo, hi)) = prefix_range(pm) else {
        return false;
    };
    let len = p.prefix_len();
    pm.prefix.contains(p) && (lo..=hi).contains(&len)
}
