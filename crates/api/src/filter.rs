//! Matching routes against a [`RouteFilter`], for backends that hold routes
//! as `pb::Route` or can build them cheaply (and for the test fakes).

use std::net::IpAddr;
use std::str::FromStr;

use evpnd_wire::{MacAddr, Rd, RouteTarget};
use ipnet::IpNet;

use crate::pb::{self, route_key::Key};
use crate::types::RouteFilter;

impl RouteFilter {
    /// The route with only the paths this filter keeps, or `None` when the
    /// key does not match or no path is left.
    pub fn apply(&self, route: &pb::Route) -> Option<pb::Route> {
        let key = route.key.as_ref()?;
        if !self.key_matches(key) {
            return None;
        }
        let paths: Vec<pb::Path> = route
            .paths
            .iter()
            .filter(|p| self.path_matches(p))
            .cloned()
            .collect();
        if paths.is_empty() {
            return None;
        }
        Some(pb::Route {
            key: route.key.clone(),
            paths,
        })
    }

    /// True when the key fields (type, RD, MAC, IP) match.
    pub fn key_matches(&self, key: &pb::RouteKey) -> bool {
        if let Some(t) = self.route_type
            && key.route_type != i32::from(t)
        {
            return false;
        }
        if let Some(rd) = &self.rd
            && Rd::from_str(&key.rd).ok().as_ref() != Some(rd)
        {
            return false;
        }
        if let Some(mac) = self.mac {
            match &key.key {
                Some(Key::MacIp(k)) if MacAddr::from_str(&k.mac).ok() == Some(mac) => {}
                _ => return false,
            }
        }
        if let Some(net) = &self.ip {
            let inside = match &key.key {
                Some(Key::MacIp(k)) => ip_in(net, &k.ip),
                Some(Key::Imet(k)) => ip_in(net, &k.originator_ip),
                Some(Key::IpPrefix(k)) => {
                    IpNet::from_str(&k.prefix).is_ok_and(|p| net.contains(&p))
                }
                None => false,
            };
            if !inside {
                return false;
            }
        }
        true
    }

    /// True when one path matches (route target, VNI, peer, best).
    pub fn path_matches(&self, path: &pb::Path) -> bool {
        if self.best_only && !path.best {
            return false;
        }
        if let Some(vni) = self.vni
            && path.vni != vni.get()
            && path.l3_vni != vni.get()
        {
            return false;
        }
        if let Some(peer) = self.peer
            && IpAddr::from_str(&path.peer).ok() != Some(peer)
        {
            return false;
        }
        if let Some(rt) = &self.route_target
            && !path
                .route_targets
                .iter()
                .any(|s| RouteTarget::from_str(s).ok().as_ref() == Some(rt))
        {
            return false;
        }
        true
    }
}

fn ip_in(net: &IpNet, ip: &str) -> bool {
    IpAddr::from_str(ip).is_ok_and(|a| net.contains(&a))
}
