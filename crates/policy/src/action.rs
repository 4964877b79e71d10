//! `[policy.term.set]`: the attribute changes a matching term makes, on an
//! owned copy of the attributes a policy can change.

use evpnd_config::model::Set;
use evpnd_wire::attr::{AttrValue, ExtCommunity, LargeCommunity, PathAttribute, code};
use serde::Serialize;

use crate::route::RouteView;

/// The attributes policies change: communities of the three kinds and the
/// local preference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Attributes {
    pub communities: Vec<u32>,
    pub large_communities: Vec<LargeCommunity>,
    pub ext_communities: Vec<ExtCommunity>,
    pub local_pref: Option<u32>,
}

impl Attributes {
    pub fn of(r: &RouteView<'_>) -> Attributes {
        Attributes {
            communities: r.communities.to_vec(),
            large_communities: r.large_communities.to_vec(),
            ext_communities: r.ext_communities.to_vec(),
            local_pref: r.local_pref,
        }
    }

    /// `r` with these attributes in place of its own.
    pub fn view<'a>(&'a self, r: &RouteView<'_>) -> RouteView<'a> {
        RouteView {
            communities: &self.communities,
            large_communities: &self.large_communities,
            ext_communities: &self.ext_communities,
            local_pref: self.local_pref,
            route_type: r.route_type,
            rd: r.rd,
            vni: r.vni,
            mac: r.mac,
            ip: r.ip,
            prefix: r.prefix,
            next_hop: r.next_hop,
            pmsi_endpoint: r.pmsi_endpoint,
        }
    }

    /// Applies `set`: removals, then additions (an entry in both ends up
    /// present, where it was), then the local preference. Added values keep
    /// their order and are not repeated. Applying a set twice changes
    /// nothing the second time.
    pub fn apply(&mut self, set: &Set) {
        edit(
            &mut self.communities,
            set.remove_community.iter().map(|c| c.0),
            set.add_community.iter().map(|c| c.0),
        );
        edit(
            &mut self.large_communities,
            set.remove_large_community.iter().map(|c| c.0),
            set.add_large_community.iter().map(|c| c.0),
        );
        edit(
            &mut self.ext_communities,
            set.remove_ext_community.iter().map(|c| c.0),
            set.add_ext_community.iter().map(|c| c.0),
        );
        if let Some(lp) = set.local_pref {
            self.local_pref = Some(lp);
        }
    }

    /// Writes these values into a path's attribute list: each kind replaced,
    /// added at the end when new, removed when empty. Other attributes are
    /// left as they are.
    pub fn write_to(&self, attrs: &mut Vec<PathAttribute>) {
        put(
            attrs,
            code::COMMUNITIES,
            (!self.communities.is_empty())
                .then(|| AttrValue::Communities(self.communities.clone())),
        );
        put(
            attrs,
            code::LARGE_COMMUNITY,
            (!self.large_communities.is_empty())
                .then(|| AttrValue::LargeCommunities(self.large_communities.clone())),
        );
        put(
            attrs,
            code::EXTENDED_COMMUNITIES,
            (!self.ext_communities.is_empty())
                .then(|| AttrValue::ExtCommunities(self.ext_communities.clone())),
        );
        put(
            attrs,
            code::LOCAL_PREF,
            self.local_pref.map(AttrValue::LocalPref),
        );
    }
}

/// Removes `remove` (except what `add` puts back), then appends the new
/// values of `add`.
fn edit<T: PartialEq + Copy>(
    v: &mut Vec<T>,
    remove: impl Iterator<Item = T>,
    add: impl Iterator<Item = T> + Clone,
) {
    let remove: Vec<T> = remove.collect();
    v.retain(|c| !remove.contains(c) || add.clone().any(|a| a == *c));
    for a in add {
        if !v.contains(&a) {
            v.push(a);
        }
    }
}

fn put(attrs: &mut Vec<PathAttribute>, type_code: u8, value: Option<AttrValue>) {
    let at = attrs.iter().position(|a| a.type_code() == type_code);
    match (at, value) {
        (Some(i), Some(v)) => attrs[i] = PathAttribute::new(v),
        (None, Some(v)) => attrs.push(PathAttribute::new(v)),
        (Some(i), None) => {
            attrs.remove(i);
        }
        (None, None) => {}
    }
}
