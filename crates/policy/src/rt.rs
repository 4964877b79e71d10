//! Which import rule let a route into a VNI. The rules come from
//! `Config::import_rts`: an explicit RT matches exactly; the auto RT
//! matches any AS with the same local administrator (`*:VNI`, as FRR), or
//! exactly `OUR-AS:VNI` with `[evpn] strict_rt_import = true`.

use evpnd_config::RtMatch;
use evpnd_wire::RouteTarget;

use crate::route::RouteView;

/// The first (rule, RT of the route) pair that matches, if any.
pub fn imported_by(rules: &[RtMatch], r: &RouteView<'_>) -> Option<(RtMatch, RouteTarget)> {
    r.route_targets()
        .find_map(|rt| rules.iter().find(|m| m.matches(&rt)).map(|m| (*m, rt)))
}

/// `route explain`'s words for a rule.
pub fn describe(rule: &RtMatch) -> String {
    match rule {
        RtMatch::Exact(rt) => format!("route target {rt}"),
        RtMatch::LocalAdmin(v) => format!("route target *:{v} (any AS)"),
    }
}
