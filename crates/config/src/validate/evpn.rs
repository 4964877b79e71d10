//! `[evpn]` and `[[evpn.vni]]` rules.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use evpnd_wire::{Rd, RouteTarget};

use super::{Collector, is_ifname, is_unicast};
use crate::derive::auto_rd_number;
use crate::model::{AutoOr, Config, EthernetTag, Freeze, VniConfig};
use crate::path;

/// `[evpn] vtep_ip`, either family: a unicast, non-loopback address; an
/// IPv6 one global (a link-local address names no VTEP beyond one link, and
/// a VXLAN device cannot use it as `local`); an IPv4-mapped IPv6 address is
/// refused in favour of its IPv4 spelling (the kernel's VXLAN device and the
/// peers would see two different families).
fn vtep_ip(ip: IpAddr, c: &mut Collector<'_>) {
    let at = path!["evpn", "vtep_ip"];
    if !is_unicast(ip) || ip.is_loopback() {
        c.err(
            at,
            format!("vtep_ip {ip} is not a usable VTEP address (must be a unicast, non-loopback address)"),
        );
    } else if let IpAddr::V6(v6) = ip {
        if v6.is_unicast_link_local() {
            c.err(
                at,
                format!("vtep_ip {ip} is an IPv6 link-local address: a VTEP needs a global (or unique local) address that other leaves can route to"),
            );
        } else if let Some(v4) = v6.to_ipv4_mapped() {
            c.err(
                at,
                format!("vtep_ip {ip} is an IPv4-mapped IPv6 address: write the IPv4 address {v4}"),
            );
        }
    }
}

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let e = &cfg.evpn;
    if let Some(ip) = e.vtep_ip {
        vtep_ip(ip, c);
    }
    if let Some(p) = &e.flood_state_file {
        c.absolute(path!["evpn", "flood_state_file"], "flood_state_file", p);
    }
    let range = crate::model::NETLINK_BUFFER_RANGE;
    if !range.contains(&e.netlink_buffer) {
        c.err(
            path!["evpn", "netlink_buffer"],
            format!(
                "netlink_buffer {} is outside {}..={} bytes (64 KiB to 1 GiB)",
                e.netlink_buffer,
                range.start(),
                range.end()
            ),
        );
    }
    let mut gw = HashSet::new();
    let static_macs: HashSet<_> = e
        .vni
        .iter()
        .flat_map(|v| v.macs.iter().map(|s| s.get_ref().mac))
        .collect();
    for (i, m) in e.default_gateway_macs.iter().enumerate() {
        let at = path!["evpn", "default_gateway_macs", i];
        if m.is_multicast() || m.is_zero() {
            c.err(
                at,
                format!("default_gateway_macs: {m} is not a unicast MAC address"),
            );
        } else if !gw.insert(*m) {
            c.err(at, format!("default_gateway_macs: {m} is listed twice"));
        } else if !e.learn_from_kernel && !static_macs.contains(m) {
            c.err(
                at,
                format!("default_gateway_macs: {m} is in no [[evpn.vni]] macs and learn_from_kernel is false: it would never be advertised"),
            );
        }
    }
    let d = &e.duplicate_detection;
    if !d.enabled {
        for key in ["max_moves", "window", "freeze"] {
            if c.written(path!["evpn", "duplicate_detection", key]) {
                c.err(
                    path!["evpn", "duplicate_detection", key],
                    format!("duplicate_detection.{key} has no effect with enabled = false"),
                );
            }
        }
    }
    if !(2..=1000).contains(&d.max_moves) {
        c.err(
            path!["evpn", "duplicate_detection", "max_moves"],
            format!(
                "duplicate_detection.max_moves {} is out of range (2 to 1000)",
                d.max_moves
            ),
        );
    }
    if !(2..=1800).contains(&d.window) {
        c.err(
            path!["evpn", "duplicate_detection", "window"],
            format!(
                "duplicate_detection.window {} is out of range (2 to 1800 seconds)",
                d.window
            ),
        );
    }
    if let Freeze::Seconds(s) = d.freeze
        && !(30..=3600).contains(&s)
    {
        c.err(
            path!["evpn", "duplicate_detection", "freeze"],
            format!("duplicate_detection.freeze {s} is out of range (30 to 3600 seconds, false or \"permanent\")"),
        );
    }

    let mut vnis: HashMap<u32, usize> = HashMap::new();
    // RD → the first VNI that has it, whether that RD is auto and whether
    // that VNI is a VLAN-aware bundle member, for auto and explicit RDs alike.
    let mut rds: HashMap<Rd, (u32, bool, bool)> = HashMap::new();
    let mut svis: HashMap<&str, u32> = HashMap::new();
    let mut roles: HashMap<&str, &'static str> = HashMap::new();
    for (i, v) in e.vni.iter().enumerate() {
        let vni = v.vni.get_ref().get();
        if vni == 0 {
            c.err(
                path!["evpn", "vni", i, "vni"],
                "vni 0 is not a valid VXLAN network identifier (1 to 16777215)",
            );
            continue;
        }
        if vnis.insert(vni, i).is_some() {
            c.err(
                path!["evpn", "vni", i, "vni"],
                format!("vni {vni} is configured twice"),
            );
            continue;
        }
        let rd = cfg.rd(v);
        let bundle = v.ethernet_tag == EthernetTag::Vni;
        if let Some(&(other, other_auto, other_bundle)) = rds.get(&rd) {
            match (v.rd.is_auto(), other_auto) {
                // RFC 7432 §6.3: the broadcast domains of one VLAN-aware
                // bundle share the EVI's RD; their routes differ by tag.
                (false, false) if bundle && other_bundle => {}
                (false, false) => c.err(
                    path!["evpn", "vni", i, "rd"],
                    format!("vni {vni}: rd {rd} is also the RD of vni {other}: VNIs share an RD only in a VLAN-aware bundle, where their routes differ by Ethernet tag; set ethernet_tag = \"vni\" on both vni {other} and vni {vni}, or give each its own rd"),
                ),
                (true, true) => c.err(
                    path!["evpn", "vni", i, "vni"],
                    format!(
                        "vni {vni} and vni {other} would get the same auto RD (number {}): set rd explicitly",
                        auto_rd_number(*v.vni.get_ref())
                    ),
                ),
                (true, false) => c.err(
                    path!["evpn", "vni", i, "vni"],
                    format!("vni {vni}: its auto RD {rd} is also the RD of vni {other}: set rd explicitly"),
                ),
                (false, _) => c.err(
                    path!["evpn", "vni", i, "rd"],
                    format!("vni {vni}: rd {rd} is also the RD of vni {other}"),
                ),
            }
        } else {
            rds.insert(rd, (vni, v.rd.is_auto(), bundle));
        }
        route_targets(i, vni, v, c);
        static_vteps(i, vni, v, e.vtep_ip, c);
        devices(i, vni, v, &mut svis, &mut roles, c);
        macs(i, vni, v, c);
        prefixes(i, vni, v, c);
    }
}

/// `static_vteps`: VTEPs the kernel floods to, so addresses a VXLAN
/// device can send to (the rules of `vtep_ip`), each once, never our own
/// VTEP, and of our VTEP's family (a device sends over one family).
fn static_vteps(i: usize, vni: u32, v: &VniConfig, ours: Option<IpAddr>, c: &mut Collector<'_>) {
    let mut seen = HashSet::new();
    for (j, ip) in v.static_vteps.iter().enumerate() {
        let at = path!["evpn", "vni", i, "static_vteps", j];
        let ip = *ip;
        let unusable = if !is_unicast(ip) || ip.is_loopback() {
            Some("not a unicast, non-loopback address")
        } else if let IpAddr::V6(v6) = ip {
            if v6.is_unicast_link_local() {
                Some("an IPv6 link-local address")
            } else if v6.to_ipv4_mapped().is_some() {
                Some("an IPv4-mapped IPv6 address (write the IPv4 address)")
            } else {
                None
            }
        } else {
            None
        };
        if let Some(why) = unusable {
            c.err(
                at,
                format!("vni {vni}: static_vteps: {ip} is {why}: it cannot be a VTEP"),
            );
        } else if !seen.insert(ip) {
            c.err(at, format!("vni {vni}: static_vteps: {ip} is listed twice"));
        } else if ours == Some(ip) {
            c.err(
                at,
                format!("vni {vni}: static_vteps: {ip} is our own vtep_ip"),
            );
        } else if let Some(o) = ours
            && o.is_ipv4() != ip.is_ipv4()
        {
            c.err(
                at,
                format!("vni {vni}: static_vteps: {ip} is not of the family of vtep_ip {o} (a VXLAN device sends over one family)"),
            );
        }
    }
}

fn route_targets(i: usize, vni: u32, v: &VniConfig, c: &mut Collector<'_>) {
    let rts = &v.route_targets;
    let lists: [(&str, &[AutoOr<RouteTarget>]); 3] = [
        ("import", &rts.import),
        ("export", &rts.export),
        ("both", &rts.both),
    ];
    let both: HashSet<_> = rts.both.iter().collect();
    for (name, list) in lists {
        let mut seen = HashSet::new();
        for (j, rt) in list.iter().enumerate() {
            let at = path!["evpn", "vni", i, "route_targets", name, j];
            if !seen.insert(rt) {
                c.err(
                    at,
                    format!("vni {vni}: route_targets.{name} lists {rt} twice"),
                );
            } else if name != "both" && both.contains(rt) {
                c.err(
                    at,
                    format!("vni {vni}: {rt} is in route_targets.both and route_targets.{name} (both already imports and exports it)"),
                );
            }
        }
    }
}

fn devices<'a>(
    i: usize,
    vni: u32,
    v: &'a VniConfig,
    svis: &mut HashMap<&'a str, u32>,
    roles: &mut HashMap<&'a str, &'static str>,
    c: &mut Collector<'_>,
) {
    let devs = [
        ("bridge", v.bridge.as_deref()),
        ("vxlan_device", v.vxlan_device.as_deref()),
        ("svi", v.svi.as_deref()),
    ];
    for (role, name) in devs {
        let Some(name) = name else { continue };
        let at = path!["evpn", "vni", i, role];
        if !is_ifname(name) {
            c.err(
                at,
                format!("vni {vni}: {role} {name:?} is not a valid interface name (1 to 15 characters, no '/', ':' or whitespace)"),
            );
            continue;
        }
        let first = *roles.entry(name).or_insert(role);
        if first != role {
            c.err(
                at,
                format!("vni {vni}: {name} cannot be both the {first} and the {role}"),
            );
            continue;
        }
        if role == "svi"
            && let Some(other) = svis.insert(name, vni)
        {
            c.err(
                at,
                format!("vni {vni}: svi {name} is also the SVI of vni {other}"),
            );
        }
    }
}

fn macs(i: usize, vni: u32, v: &VniConfig, c: &mut Collector<'_>) {
    let mut seen = HashSet::new();
    for (j, m) in v.macs.iter().enumerate() {
        let sm = m.get_ref();
        if sm.mac.is_multicast() || sm.mac.is_zero() {
            c.err(
                path!["evpn", "vni", i, "macs", j, "mac"],
                format!("vni {vni}: {} is not a unicast MAC address", sm.mac),
            );
        }
        if let Some(ip) = sm.ip
            && !host_ip(ip)
        {
            c.err(
                path!["evpn", "vni", i, "macs", j, "ip"],
                format!("vni {vni}: {ip} is not a unicast host address"),
            );
        }
        if !seen.insert((sm.mac, sm.ip)) {
            c.err(
                path!["evpn", "vni", i, "macs", j],
                format!("vni {vni}: static MAC {} listed twice", sm.mac),
            );
        }
    }
}

fn host_ip(ip: IpAddr) -> bool {
    is_unicast(ip) && !ip.is_loopback()
}

fn prefixes(i: usize, vni: u32, v: &VniConfig, c: &mut Collector<'_>) {
    let mut seen = HashSet::new();
    for (j, p) in v.prefixes.iter().enumerate() {
        let at = path!["evpn", "vni", i, "prefixes", j];
        if p.trunc() != *p {
            c.err(
                at,
                format!(
                    "vni {vni}: prefix {p} has host bits set (did you mean {}?)",
                    p.trunc()
                ),
            );
        } else if !seen.insert(*p) {
            c.err(at, format!("vni {vni}: prefix {p} is listed twice"));
        }
    }
}
