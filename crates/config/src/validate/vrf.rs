//! `[[evpn.vrf]]` rules, and `[[evpn.vni]] vrf`.

use std::collections::{HashMap, HashSet};

use super::{Collector, is_ifname};
use crate::model::{Config, RESERVED_TABLES, VrfTable};
use crate::path;

/// Longest tenant name (it appears in logs, the API and as a CLI argument).
pub const MAX_VRF_NAME: usize = 64;
/// `ip rule` preferences evpnd may use: before the main table's rule (32766).
const RULE_PRIORITIES: std::ops::RangeInclusive<u32> = 1..=32765;

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let e = &cfg.evpn;
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut l3vnis: HashMap<u32, &str> = HashMap::new();
    let mut tables: HashMap<u32, &str> = HashMap::new();
    let mut devices: HashMap<&str, &str> = HashMap::new();
    let l2vnis: HashSet<u32> = e.vni.iter().map(|v| v.vni.get_ref().get()).collect();
    let vni_rds: HashMap<_, u32> = e
        .vni
        .iter()
        .map(|v| (cfg.rd(v), v.vni.get_ref().get()))
        .collect();
    for (i, v) in e.vrf.iter().enumerate() {
        let name = v.name.as_str();
        let valid_name = !name.is_empty()
            && name.len() <= MAX_VRF_NAME
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !valid_name {
            c.err(
                path!["evpn", "vrf", i, "name"],
                format!("vrf name {name:?} is invalid (1 to {MAX_VRF_NAME} characters: letters, digits, '-', '_', '.')"),
            );
        } else if names.insert(name, i).is_some() {
            c.err(
                path!["evpn", "vrf", i, "name"],
                format!("vrf {name} is configured twice"),
            );
        }
        let l3vni = v.l3vni.get_ref().get();
        if l3vni == 0 {
            c.err(
                path!["evpn", "vrf", i, "l3vni"],
                format!(
                    "vrf {name}: l3vni 0 is not a valid VXLAN network identifier (1 to 16777215)"
                ),
            );
        } else if l2vnis.contains(&l3vni) {
            c.err(
                path!["evpn", "vrf", i, "l3vni"],
                format!("vrf {name}: l3vni {l3vni} is also an [[evpn.vni]] (a VNI is either a layer-2 VNI or a tenant's L3VNI)"),
            );
        } else if let Some(other) = l3vnis.insert(l3vni, name) {
            c.err(
                path!["evpn", "vrf", i, "l3vni"],
                format!("vrf {name}: l3vni {l3vni} is also the L3VNI of vrf {other}"),
            );
        }
        match (&v.table, &v.vrf_device) {
            (None, None) => c.err(
                path!["evpn", "vrf", i],
                format!("vrf {name}: set either table (table mode: a number or \"main\") or vrf_device (VRF mode)"),
            ),
            (Some(_), Some(_)) => c.err(
                path!["evpn", "vrf", i, "vrf_device"],
                format!("vrf {name}: table and vrf_device exclude each other (VRF mode reads the table from the device)"),
            ),
            (Some(t), None) => {
                if let VrfTable::Id(n) = t
                    && RESERVED_TABLES.contains(n)
                {
                    let hint = if *n == crate::model::TABLE_MAIN {
                        " (write table = \"main\" for the default VRF)"
                    } else {
                        ""
                    };
                    c.err(
                        path!["evpn", "vrf", i, "table"],
                        format!("vrf {name}: table {n} is reserved by the kernel{hint}"),
                    );
                } else if let Some(other) = tables.insert(t.id(), name) {
                    c.err(
                        path!["evpn", "vrf", i, "table"],
                        format!("vrf {name}: table {t} is also the table of vrf {other}"),
                    );
                }
                if *t == VrfTable::Main && c.written(path!["evpn", "vrf", i, "rule_priority"]) {
                    c.err(
                        path!["evpn", "vrf", i, "rule_priority"],
                        format!("vrf {name}: rule_priority has no effect with table = \"main\" (no ip rule is needed)"),
                    );
                }
            }
            (None, Some(dev)) => {
                if !is_ifname(dev) {
                    c.err(
                        path!["evpn", "vrf", i, "vrf_device"],
                        format!("vrf {name}: vrf_device {dev:?} is not a valid interface name (1 to 15 characters, no '/', ':' or whitespace)"),
                    );
                } else if let Some(other) = devices.insert(dev, name) {
                    c.err(
                        path!["evpn", "vrf", i, "vrf_device"],
                        format!("vrf {name}: vrf_device {dev} is also the device of vrf {other}"),
                    );
                }
                if c.written(path!["evpn", "vrf", i, "rule_priority"]) {
                    c.err(
                        path!["evpn", "vrf", i, "rule_priority"],
                        format!("vrf {name}: rule_priority has no effect in VRF mode (the VRF device selects the table)"),
                    );
                }
            }
        }
        if !RULE_PRIORITIES.contains(&v.rule_priority) {
            c.err(
                path!["evpn", "vrf", i, "rule_priority"],
                format!(
                    "vrf {name}: rule_priority {} is out of range ({} to {}: before the main table's rule 32766)",
                    v.rule_priority,
                    RULE_PRIORITIES.start(),
                    RULE_PRIORITIES.end()
                ),
            );
        }
        if let Some(svi) = &v.svi
            && !is_ifname(svi)
        {
            c.err(
                path!["evpn", "vrf", i, "svi"],
                format!("vrf {name}: svi {svi:?} is not a valid interface name"),
            );
        }
        if let Some(m) = v.router_mac
            && (m.is_multicast() || m.is_zero())
        {
            c.err(
                path!["evpn", "vrf", i, "router_mac"],
                format!("vrf {name}: router_mac {m} is not a unicast MAC address (RFC 9135 §8.1)"),
            );
        }
        let rd = cfg.vrf_rd(v);
        if let Some(other) = vni_rds.get(&rd)
            && !l2vnis.contains(&l3vni)
        {
            let key = if v.rd.is_auto() { "l3vni" } else { "rd" };
            c.err(
                path!["evpn", "vrf", i, key],
                format!("vrf {name}: rd {rd} is also the RD of vni {other}: set rd explicitly"),
            );
        }
        for (key, list) in [
            ("prefixes", &v.prefixes),
            ("redistribute_prefixes", &v.redistribute_prefixes),
        ] {
            let mut seen = HashSet::new();
            for (j, p) in list.iter().enumerate() {
                let at = path!["evpn", "vrf", i, key, j];
                if p.trunc() != *p {
                    c.err(
                        at,
                        format!(
                            "vrf {name}: {key}: {p} has host bits set (did you mean {}?)",
                            p.trunc()
                        ),
                    );
                } else if !seen.insert(p) {
                    c.err(at, format!("vrf {name}: {key} lists {p} twice"));
                }
            }
        }
        if v.redistribute.is_empty() && !v.redistribute_prefixes.is_empty() {
            c.err(
                path!["evpn", "vrf", i, "redistribute_prefixes"],
                format!("vrf {name}: redistribute_prefixes has no effect without redistribute"),
            );
        }
        let mut protos = HashSet::new();
        for (j, p) in v.redistribute.iter().enumerate() {
            if !protos.insert(p.0) {
                c.err(
                    path!["evpn", "vrf", i, "redistribute", j],
                    format!("vrf {name}: redistribute lists {p} twice"),
                );
            }
        }
        let rts = &v.route_targets;
        for (list, key) in [
            (&rts.import, "import"),
            (&rts.export, "export"),
            (&rts.both, "both"),
        ] {
            let mut seen = HashSet::new();
            for (j, rt) in list.iter().enumerate() {
                if !seen.insert(rt) {
                    c.err(
                        path!["evpn", "vrf", i, "route_targets", key, j],
                        format!("vrf {name}: route_targets.{key} lists {rt} twice"),
                    );
                }
            }
        }
    }
    for (i, v) in e.vni.iter().enumerate() {
        if let Some(name) = &v.vrf
            && !names.contains_key(name.as_str())
        {
            c.err(
                path!["evpn", "vni", i, "vrf"],
                format!(
                    "vni {}: vrf {name:?} is not an [[evpn.vrf]] name",
                    v.vni.get_ref()
                ),
            );
        }
    }
}
