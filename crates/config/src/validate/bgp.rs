//! `[bgp]` and `[[neighbor]]` rules.

use evpnd_wire::Family;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use super::{Collector, is_ifname, is_unicast, reserved_asn};
use crate::model::{Config, Neighbor};
use crate::path;
use evpnd_session::RemoteAs;

pub(super) fn check(cfg: &Config, c: &mut Collector<'_>) {
    let b = &cfg.bgp;
    let asn = cfg.asn();
    if let Some(why) = reserved_asn(asn) {
        c.err(
            path!["bgp", "asn"],
            format!("asn {asn} is reserved ({why})"),
        );
    }
    if b.router_id.is_unspecified() {
        c.err(
            path!["bgp", "router_id"],
            "router_id 0.0.0.0 is invalid (the BGP identifier must be non-zero, RFC 6286)",
        );
    }
    if b.cluster_id.is_some_and(|id| id.is_unspecified()) {
        c.err(
            path!["bgp", "cluster_id"],
            "cluster_id 0.0.0.0 is invalid (must be non-zero)",
        );
    }
    let mut seen = HashSet::new();
    for (i, l) in b.listen.iter().enumerate() {
        if l.port() == 0 {
            c.err(
                path!["bgp", "listen", i],
                format!("listen {l}: port 0 is invalid"),
            );
        }
        if !seen.insert(l) {
            c.err(
                path!["bgp", "listen", i],
                format!("listen {l} is listed twice"),
            );
        }
    }
    let hold = *b.hold_time.get_ref();
    if hold == 1 || hold == 2 {
        c.err(
            path!["bgp", "hold_time"],
            format!("hold_time {hold} is invalid (must be 0 or at least 3)"),
        );
    } else if let Some(k) = &b.keepalive {
        keepalive_vs_hold(c, path!["bgp", "keepalive"], "", *k.get_ref(), hold, "");
    }
    if b.connect_retry == 0 {
        c.err(
            path!["bgp", "connect_retry"],
            "connect_retry 0 is invalid (at least 1 second)",
        );
    }
    let gr = &b.graceful_restart;
    if gr.restart_time > 4095 {
        c.err(
            path!["bgp", "graceful_restart", "restart_time"],
            format!(
                "graceful_restart.restart_time {} does not fit the 12-bit field (at most 4095 seconds)",
                gr.restart_time
            ),
        );
    }
    if gr.stale_routes_time == 0 || gr.stale_routes_time > 4095 {
        c.err(
            path!["bgp", "graceful_restart", "stale_routes_time"],
            format!(
                "graceful_restart.stale_routes_time {} is out of range (1 to 4095 seconds)",
                gr.stale_routes_time
            ),
        );
    }
    if gr.select_defer_time > 3600 {
        c.err(
            path!["bgp", "graceful_restart", "select_defer_time"],
            format!(
                "graceful_restart.select_defer_time {} is out of range (0 to 3600 seconds)",
                gr.select_defer_time
            ),
        );
    }
    if let Some(p) = &gr.state_file {
        let at = path!["bgp", "graceful_restart", "state_file"];
        c.absolute(at, "graceful_restart.state_file", p);
    }

    networks(cfg, c);

    // Keyed by the canonical address, so `::ffff:10.0.0.2` and `10.0.0.2`
    // are the same peer (a dual-stack listener sees the mapped form).
    let mut addrs: HashMap<IpAddr, IpAddr> = HashMap::new();
    let mut ifaces: HashMap<&str, usize> = HashMap::new();
    let own = own_addresses(cfg);
    for (i, n) in cfg.neighbor.iter().enumerate() {
        if let Some(ifname) = n.ifname()
            && let Some(first) = ifaces.insert(ifname, i)
        {
            c.err(
                path!["neighbor", i, "interface"],
                format!(
                    "neighbor {ifname}: interface {ifname:?} already has a neighbour (neighbor #{}): one BGP peer per unnumbered link",
                    first + 1
                ),
            );
        }
        let Some(addr) = n.ip() else {
            neighbor(cfg, i, n, c);
            continue;
        };
        let canonical = addr.to_canonical();
        match addrs.insert(canonical, addr) {
            Some(first) if first == addr => c.err(
                path!["neighbor", i, "address"],
                format!("neighbor {addr} is configured twice"),
            ),
            Some(first) => c.err(
                path!["neighbor", i, "address"],
                format!("neighbor {addr} is configured twice (also as {first})"),
            ),
            None => {}
        }
        if let Some((what, from)) = own.get(&canonical)
            && *from != Some(i)
        {
            c.err(
                path!["neighbor", i, "address"],
                format!("neighbor {addr} is our own {what}: a session with ourselves is refused"),
            );
        }
        neighbor(cfg, i, n, c);
    }
}

/// The addresses that are ours, canonical, with the key that says so: the
/// router id, the VTEP address, the specific listen addresses and the
/// neighbours' `update_source`s (with the neighbour that names it: its own
/// update_source is checked against its address separately).
fn own_addresses(cfg: &Config) -> HashMap<IpAddr, (&'static str, Option<usize>)> {
    let mut own = HashMap::new();
    for (i, n) in cfg.neighbor.iter().enumerate() {
        if let Some(src) = n.update_source {
            own.insert(src.to_canonical(), ("update_source", Some(i)));
        }
    }
    for l in &cfg.bgp.listen {
        if !l.ip().is_unspecified() {
            own.insert(l.ip().to_canonical(), ("listen address", None));
        }
    }
    if let Some(v) = cfg.evpn.vtep_ip {
        own.insert(v.to_canonical(), ("vtep_ip", None));
    }
    own.insert(IpAddr::V4(cfg.bgp.router_id), ("router_id", None));
    own
}

/// `[bgp] networks` (no host bits, no repeats) and the multipath keys.
fn networks(cfg: &Config, c: &mut Collector<'_>) {
    let b = &cfg.bgp;
    let mut seen = HashSet::new();
    for (i, p) in b.networks.iter().enumerate() {
        let at = path!["bgp", "networks", i];
        if p.trunc() != *p {
            c.err(
                at,
                format!(
                    "networks: {p} has host bits set (did you mean {}?)",
                    p.trunc()
                ),
            );
        } else if !seen.insert(*p) {
            c.err(at, format!("networks lists {p} twice"));
        } else if p.addr().is_multicast() {
            c.err(
                at,
                format!("networks: {p} is a multicast prefix, not a unicast destination"),
            );
        }
    }
    if b.max_paths == 0 {
        c.err(
            path!["bgp", "max_paths"],
            "max_paths 0 is invalid (1 = no multipath)",
        );
    }
}

/// `keepalive` against the hold time it runs under. `from` says where an
/// inherited value came from (" (from [bgp])").
fn keepalive_vs_hold(
    c: &mut Collector<'_>,
    at: &[crate::spans::Seg<'_>],
    who: &str,
    k: u16,
    hold: u16,
    from: &str,
) {
    if hold == 0 && k != 0 {
        c.err(
            at,
            format!(
                "{who}keepalive {k}{from} with hold_time 0: no keepalives are sent when the hold time is 0 (remove keepalive or set it to 0)"
            ),
        );
    } else if hold != 0 && k == 0 {
        c.err(
            at,
            format!(
                "{who}keepalive 0{from} with hold_time {hold}: the peer would expire the session (use at most {})",
                hold / 3
            ),
        );
    } else if hold != 0 && k >= hold {
        c.err(
            at,
            format!("{who}keepalive {k}{from} must be less than the hold time {hold}"),
        );
    }
}

fn neighbor(cfg: &Config, i: usize, n: &Neighbor, c: &mut Collector<'_>) {
    let who = format!("neighbor {}: ", n.key());
    let ibgp = cfg.is_ibgp(n);
    identity(i, n, &who, c);
    if let RemoteAs::Asn(asn) = n.remote_asn
        && let Some(why) = reserved_asn(asn)
    {
        c.err(
            path!["neighbor", i, "remote_asn"],
            format!("{who}remote_asn {asn} is reserved ({why})"),
        );
    }
    if n.interface.is_some() {
        unnumbered(i, n, &who, c);
    }
    if n.extended_nexthop == Some(true) && !n.families.contains(&Family::IPV4_UNICAST) {
        c.err(
            path!["neighbor", i, "extended_nexthop"],
            format!("{who}extended_nexthop applies to ipv4-unicast, which families does not list"),
        );
    }
    if let Some(t) = &n.ttl_security {
        let t = *t.get_ref();
        if n.ebgp_multihop.is_some() {
            c.err(
                path!["neighbor", i, "ttl_security"],
                format!("{who}ttl_security and ebgp_multihop cannot both be set (GTSM fixes the TTL at 255)"),
            );
        }
        if t == 0 || t == 255 {
            c.err(
                path!["neighbor", i, "ttl_security"],
                format!("{who}ttl_security {t} is out of range (1 to 254 hops)"),
            );
        }
    }
    if let Some(h) = n.ebgp_multihop {
        if ibgp {
            c.err(
                path!["neighbor", i, "ebgp_multihop"],
                format!(
                    "{who}ebgp_multihop applies to eBGP only (remote_asn {} is our AS)",
                    n.remote_asn
                ),
            );
        } else if h == 0 {
            c.err(
                path!["neighbor", i, "ebgp_multihop"],
                format!("{who}ebgp_multihop 0 is out of range (1 to 255 hops)"),
            );
        }
    }
    if n.route_reflector_client && !ibgp {
        c.err(
            path!["neighbor", i, "route_reflector_client"],
            format!(
                "{who}route_reflector_client needs an iBGP peer (remote_asn {} is not our AS {})",
                n.remote_asn,
                cfg.asn()
            ),
        );
    }
    timers(cfg, i, n, &who, c);
    if let Some(p) = &n.password {
        if p.is_empty() {
            c.err(
                path!["neighbor", i, "password"],
                format!("{who}password is empty (leave it out to disable TCP MD5)"),
            );
        } else if p.len() > 80 {
            c.err(
                path!["neighbor", i, "password"],
                format!(
                    "{who}password is {} bytes long; TCP MD5 keys are at most 80",
                    p.len()
                ),
            );
        }
    }
    if n.port == 0 {
        c.err(
            path!["neighbor", i, "port"],
            format!("{who}port 0 is invalid"),
        );
    }
    if let (Some(src), Some(addr)) = (n.update_source, n.ip()) {
        if src.to_canonical() == addr.to_canonical() {
            c.err(
                path!["neighbor", i, "update_source"],
                format!("{who}update_source {src} is the neighbour's own address"),
            );
        } else if !is_unicast(src) {
            c.err(
                path!["neighbor", i, "update_source"],
                format!("{who}update_source {src} is not a unicast address"),
            );
        } else if src.is_ipv4() != addr.is_ipv4() {
            c.err(
                path!["neighbor", i, "update_source"],
                format!("{who}update_source {src} and the neighbour address are of different IP versions"),
            );
        }
    }
    if let Some(mp) = &n.max_prefix {
        if mp.limit == 0 {
            c.err(
                path!["neighbor", i, "max_prefix", "limit"],
                format!("{who}max_prefix limit 0 is invalid (at least 1)"),
            );
        }
        match mp.restart_after {
            Some(_) if mp.warning_only => c.err(
                path!["neighbor", i, "max_prefix", "restart_after"],
                format!("{who}max_prefix restart_after has no effect with warning_only (the session is never closed)"),
            ),
            Some(0) => c.err(
                path!["neighbor", i, "max_prefix", "restart_after"],
                format!("{who}max_prefix restart_after 0 is invalid (at least 1 second; leave it out to stay down)"),
            ),
            _ => {}
        }
    }
    if n.families.is_empty() {
        c.err(
            path!["neighbor", i, "families"],
            format!("{who}families is empty: the session would carry nothing"),
        );
    }
    let mut fams = HashSet::new();
    for (j, f) in n.families.iter().enumerate() {
        if !fams.insert(f) {
            c.err(
                path!["neighbor", i, "families", j],
                format!("{who}family {f} is listed twice"),
            );
        }
    }
    if n.passive && cfg.bgp.listen.is_empty() {
        c.err(
            path!["neighbor", i, "passive"],
            format!("{who}passive, but [bgp].listen is empty: the session can never come up"),
        );
    }
}

fn timers(cfg: &Config, i: usize, n: &Neighbor, who: &str, c: &mut Collector<'_>) {
    let global_hold = *cfg.bgp.hold_time.get_ref();
    if global_hold == 1 || global_hold == 2 {
        // Already reported at [bgp]; every inheriting neighbour would repeat it.
        if n.hold_time.is_none() {
            return;
        }
    }
    let hold = cfg.hold_time(n);
    if let Some(h) = &n.hold_time
        && (hold == 1 || hold == 2)
    {
        c.err(
            path!["neighbor", i, "hold_time"],
            format!(
                "{who}hold_time {} is invalid (must be 0 or at least 3)",
                h.get_ref()
            ),
        );
        return;
    }
    match (&n.keepalive, &cfg.bgp.keepalive, &n.hold_time) {
        // Own keepalive: checked against the hold time it runs under.
        (Some(k), _, _) => {
            keepalive_vs_hold(
                c,
                path!["neighbor", i, "keepalive"],
                who,
                *k.get_ref(),
                hold,
                "",
            );
        }
        // Inherited keepalive under an own hold time: the pair is new here.
        (None, Some(k), Some(_)) => {
            keepalive_vs_hold(
                c,
                path!["neighbor", i, "hold_time"],
                who,
                *k.get_ref(),
                hold,
                " (from [bgp])",
            );
        }
        // Both inherited: [bgp] already checked them.
        _ => {}
    }
}

/// Exactly one of `address` and `interface`, each well formed.
fn identity(i: usize, n: &Neighbor, who: &str, c: &mut Collector<'_>) {
    match (&n.address, &n.interface) {
        (None, None) => c.err(
            path!["neighbor", i],
            "neighbor: needs `address` (a numbered peer) or `interface` (BGP unnumbered)",
        ),
        (Some(_), Some(_)) => c.err(
            path!["neighbor", i, "interface"],
            format!("{who}`address` and `interface` exclude each other: an interface neighbour's address is discovered on the link (remove one)"),
        ),
        _ => {}
    }
    if let Some(addr) = n.ip() {
        if !is_unicast(addr) {
            c.err(
                path!["neighbor", i, "address"],
                format!("neighbor {addr}: not a unicast address"),
            );
        } else if let IpAddr::V6(a) = addr
            && a.is_unicast_link_local()
        {
            c.err(
                path!["neighbor", i, "address"],
                format!("neighbor {addr}: a link-local address has no meaning without its link; for a peer on a link write `interface = \"<name>\"` instead (its link-local address is discovered)"),
            );
        }
    }
    if let Some(ifname) = n.ifname()
        && !is_ifname(ifname)
    {
        c.err(
            path!["neighbor", i, "interface"],
            format!("neighbor: interface {ifname:?} is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)"),
        );
    }
}

/// What an interface (unnumbered) neighbour cannot have.
fn unnumbered(i: usize, n: &Neighbor, who: &str, c: &mut Collector<'_>) {
    let refuse = |c: &mut Collector<'_>, key: &'static str, why: &str| {
        c.err(path!["neighbor", i, key], format!("{who}{key} {why}"));
    };
    if n.ebgp_multihop.is_some() {
        refuse(
            c,
            "ebgp_multihop",
            "does not apply to an interface neighbour (the peer is on the link: single hop)",
        );
    }
    if n.update_source.is_some() {
        refuse(
            c,
            "update_source",
            "does not apply to an interface neighbour (the session runs between the link's link-local addresses)",
        );
    }
    if n.password.is_some() {
        refuse(
            c,
            "password",
            "is not supported on an interface neighbour yet (the TCP MD5 key is per address, and the address is discovered)",
        );
    }
    if n.import_policy.is_some() {
        refuse(
            c,
            "import_policy",
            "is not supported on an interface neighbour yet (policies bind to neighbour addresses)",
        );
    }
    if n.export_policy.is_some() {
        refuse(
            c,
            "export_policy",
            "is not supported on an interface neighbour yet (policies bind to neighbour addresses)",
        );
    }
}
