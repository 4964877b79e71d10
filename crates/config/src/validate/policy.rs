//! `[[policy]]` rules, the references to policies from `[[neighbor]]` and
//! `[[evpn.vni]]`, and `[evpn] vtep_allow`.

use std::collections::HashSet;

use evpnd_wire::Vni;
use ipnet::IpNet;

use super::Collector;
use crate::model::{Config, Policy, PrefixMatch};
use crate::path;
use crate::spans::Seg;

/// EVPN route types a term may name.
const ROUTE_TYPES: std::ops::RangeInclusive<u8> = 1..=5;

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let mut names = HashSet::new();
    for (i, p) in cfg.policy.iter().enumerate() {
        if p.name.trim().is_empty() {
            c.err(path!["policy", i, "name"], "policy name is empty");
        } else if !names.insert(p.name.as_str()) {
            c.err(
                path!["policy", i, "name"],
                format!("policy {:?} is defined twice", p.name),
            );
        }
        policy(i, p, c);
    }
    let defined = |n: &str| cfg.policy.iter().any(|p| p.name == n);
    let list = || {
        let v: Vec<String> = cfg.policy.iter().map(|p| format!("{:?}", p.name)).collect();
        if v.is_empty() {
            "no [[policy]] is defined".to_string()
        } else {
            format!("defined: {}", v.join(", "))
        }
    };
    for (i, n) in cfg.neighbor.iter().enumerate() {
        let who = format!("neighbor {}", n.key());
        for (key, name) in [
            ("import_policy", &n.import_policy),
            ("export_policy", &n.export_policy),
        ] {
            if let Some(name) = name
                && !defined(name)
            {
                c.err(
                    path!["neighbor", i, key],
                    format!("{who}: {key} {name:?} is not defined ({})", list()),
                );
            }
        }
    }
    for (i, v) in cfg.evpn.vni.iter().enumerate() {
        let who = format!("vni {}", v.vni.get_ref());
        for (key, name) in [
            ("import_policy", &v.import_policy),
            ("export_policy", &v.export_policy),
        ] {
            if let Some(name) = name
                && !defined(name)
            {
                c.err(
                    path!["evpn", "vni", i, key],
                    format!("{who}: {key} {name:?} is not defined ({})", list()),
                );
            }
        }
    }
    let mut seen = HashSet::new();
    for (i, net) in cfg.evpn.vtep_allow.iter().enumerate() {
        let at = path!["evpn", "vtep_allow", i];
        if net.trunc() != *net {
            c.err(
                at,
                format!("vtep_allow {net} has host bits set (write {})", net.trunc()),
            );
        }
        if !seen.insert(net.trunc()) {
            c.err(at, format!("vtep_allow {net} is listed twice"));
        }
    }
}

fn policy(i: usize, p: &Policy, c: &mut Collector<'_>) {
    let mut terms = HashSet::new();
    for (j, t) in p.term.iter().enumerate() {
        let who = format!("policy {:?} term {:?}: ", p.name, t.name);
        if t.name.trim().is_empty() {
            c.err(
                path!["policy", i, "term", j, "name"],
                format!("policy {:?}: term name is empty", p.name),
            );
        } else if !terms.insert(t.name.as_str()) {
            c.err(
                path!["policy", i, "term", j, "name"],
                format!("policy {:?}: term {:?} is defined twice", p.name, t.name),
            );
        }
        let m = &t.matches;
        for (k, rt) in m.route_type.iter().enumerate() {
            if !ROUTE_TYPES.contains(rt) {
                c.err(
                    path!["policy", i, "term", j, "match", "route_type", k],
                    format!("{who}route_type {rt} is not an EVPN route type (1 to 5)"),
                );
            }
        }
        for (k, v) in m.vni.iter().enumerate() {
            if *v == 0 || *v > Vni::MAX {
                c.err(
                    path!["policy", i, "term", j, "match", "vni", k],
                    format!("{who}vni {v} is out of range (1 to {})", Vni::MAX),
                );
            }
        }
        for (k, pm) in m.prefix.iter().enumerate() {
            if let Err(why) = prefix_range(pm) {
                c.err(
                    path!["policy", i, "term", j, "match", "prefix", k],
                    format!("{who}prefix {}: {why}", pm.prefix),
                );
            }
        }
        for (k, net) in m.next_hop.iter().enumerate() {
            host_bits(
                c,
                path!["policy", i, "term", j, "match", "next_hop", k],
                &who,
                net,
            );
        }
    }
}

fn host_bits(c: &mut Collector<'_>, at: &[Seg<'_>], who: &str, net: &IpNet) {
    if net.trunc() != *net {
        c.err(
            at,
            format!(
                "{who}next_hop {net} has host bits set (write {})",
                net.trunc()
            ),
        );
    }
}

/// The lengths a prefix match accepts, as FRR reads `ge`/`le`.
pub fn prefix_range(pm: &PrefixMatch) -> Result<(u8, u8), String> {
    let len = pm.prefix.prefix_len();
    let max = pm.prefix.max_prefix_len();
    if pm.prefix.trunc() != pm.prefix {
        return Err(format!("host bits set (write {})", pm.prefix.trunc()));
    }
    let lo = pm.ge.unwrap_or(len);
    let hi = pm.le.unwrap_or(if pm.ge.is_some() { max } else { len });
    if lo < len || hi > max || lo > hi {
        return Err(format!(
            "ge/le must satisfy {len} <= ge <= le <= {max} (got ge {lo}, le {hi})"
        ));
    }
    Ok((lo, hi))
}
