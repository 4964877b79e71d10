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
    /// present), then the local preference. Added values keep their order
    /// and are not repeated.
    pub fn apply(&mut self, set: &Set) {
        self.communities
            .retain(|c| !set.remove_community.iter().any(|x| x.0 == *c));
        for c in &set.add_community {
            push_new(&mut self.communities, c.0);
        }
        self.large_communities
            .retain(|c| !set.remove_large_community.iter().any(|x| x.0 == *c));
        for c in &set.add_large_community {
            push_new(&mut self.large_communities, c.0);
        }
        self.ext_communities
            .retain(|c| !set.remove_ext_community.iter().any(|x| x.0 == *c));
        for c in &set.add_ext_community {
            push_new(&mut self.ext_communities, c.0);
        }
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

fn push_new<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
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
