//! An RFC 7938 fabric in network namespaces (issue 13): two FRR 8.4 spines
//! and three leaves, eBGP on every link, every link unnumbered (IPv6
//! link-local only, no address configured anywhere but the loopbacks), no
//! static route. Leaf `i` (1..=3) has AS 6500`i`, loopback = VTEP
//! [`loopback`]`(i)` on `lo`, VNI 100 (`vxlan100` in `br100`) and a host
//! (192.168.100.`i`, MAC [`host_mac`]`(i)`) behind an access port; its
//! `swp1` goes to spine 1, `swp2` to spine 2. Spine `s` (1..=2) reaches leaf
//! `i` on its `swp<i>`.
//!
//! The spines share AS 65100 (RFC 7938 §5.2.1: "all Tier-1 devices share
//! the same ASN"): a path leaf → spine 1 → leaf → spine 2 carries 65100
//! twice and is dropped by loop detection, so the leaves never become
//! transit between spines, and a leaf's two paths to another leaf
//! (`65100 6500j` via either spine) are equal. `multipath-relax` is set on
//! the spines anyway, as RFC 7938 deployments do.
//!
//! Leaves are evpnd or FRR ([`Leaf`]); with [`Vteps::V6`] the loopbacks,
//! VTEPs and the unicast family are IPv6 (FRR 8.4 has no IPv6 VTEPs, so
//! that fabric's leaves are all evpnd).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::l3::{is_ours, nexthop, route, router_sysctls};
use super::{Netns, sh, vtep_at};
pub use super::{host_mac, wait_until};

/// The spines' AS (one for both, RFC 7938 §5.2.1).
pub const SPINE_ASN: u32 = 65100;
/// Leaves and spines.
pub const LEAVES: u8 = 3;
pub const SPINES: u8 = 2;
/// Session and convergence waits.
pub const T: Duration = Duration::from_secs(60);

/// Which daemon runs on a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    Evpnd,
    Frr,
}

/// Which daemon runs on the spines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spine {
    /// FRR 8.4: IPv4 VTEPs only — its bgpd refuses an EVPN route whose PMSI
    /// tunnel endpoint is IPv6 ("Bad PMSI tunnel attribute length 21 for
    /// IR") with NOTIFICATION 3/1, so it cannot even relay IPv6 VTEPs.
    Frr,
    /// evpnd as an eBGP spine: no VNI (no VXLAN device), EVPN
    /// next hops unchanged, unicast next hop self.
    Evpnd,
}

/// The family of the loopbacks, VTEPs and the unicast routes between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vteps {
    V4,
    V6,
}

/// How the leaf–spine links are addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// No address but the kernel's IPv6 link-local ones; BGP over them
    /// (`neighbor swpN interface`), IPv4 routes with IPv6 next hops.
    Unnumbered,
    /// A /30 per link ([`link_addr`]), BGP between those addresses: the
    /// classic numbered RFC 7938 fabric.
    Numbered,
}

/// The address of leaf `i` (`leaf_side`) or spine `s` on their link,
/// numbered: 10.1`s`.`i`.1 and .2 in 10.1`s`.`i`.0/30, or fd01:`s`:`i`::1
/// and ::2 in fd01:`s`:`i`::/64.
pub fn link_addr(v: Vteps, s: u8, i: u8, leaf_side: bool) -> String {
    let end = if leaf_side { 1 } else { 2 };
    match v {
        Vteps::V4 => format!("10.1{s}.{i}.{end}"),
        Vteps::V6 => format!("fd01:{s}:{i}::{end}"),
    }
}

/// The prefix length of a numbered link.
fn link_len(v: Vteps) -> u8 {
    match v {
        Vteps::V4 => 30,
        Vteps::V6 => 64,
    }
}

/// Leaf `i`'s AS.
pub fn leaf_asn(i: u8) -> u32 {
    65000 + u32::from(i)
}

/// Leaf `i`'s loopback, which is its VTEP: 10.0.0.1`i` or fd00::1`i`.
pub fn loopback(v: Vteps, i: u8) -> String {
    match v {
        Vteps::V4 => format!("10.0.0.1{i}"),
        Vteps::V6 => format!("fd00::1{i}"),
    }
}

/// The loopback as a host prefix.
pub fn loopback_prefix(v: Vteps, i: u8) -> String {
    match v {
        Vteps::V4 => format!("{}/32", loopback(v, i)),
        Vteps::V6 => format!("{}/128", loopback(v, i)),
    }
}

/// Spine `s`'s loopback (it advertises it: the fabric's other routes).
pub fn spine_loopback(v: Vteps, s: u8) -> String {
    match v {
        Vteps::V4 => format!("10.0.0.{s}/32"),
        Vteps::V6 => format!("fd00::{s}/128"),
    }
}

/// Host `i`'s overlay address.
pub fn host_ip(i: u8) -> String {
    format!("192.168.100.{i}")
}

/// Spine `s`'s bgpd configuration: one peer group for the three leaf
/// links, `remote-as external`, IPv4 + IPv6 unicast and EVPN activated
/// (FRR keeps EVPN next hops unchanged towards eBGP peers by default:
/// the VTEP survives the spine).
pub fn spine_conf(v: Vteps, s: u8, links: Links) -> String {
    let mut c = vec![
        "frr defaults datacenter".to_string(),
        format!("hostname spine{s}"),
        "log stdout".into(),
        format!("router bgp {SPINE_ASN}"),
        format!(" bgp router-id 10.0.0.{s}"),
        " no bgp ebgp-requires-policy".into(),
        " no bgp default ipv4-unicast".into(),
        " bgp bestpath as-path multipath-relax".into(),
        " neighbor LEAVES peer-group".into(),
        " neighbor LEAVES remote-as external".into(),
    ];
    for i in 1..=LEAVES {
        c.push(match links {
            Links::Unnumbered => format!(" neighbor swp{i} interface peer-group LEAVES"),
            Links::Numbered => format!(" neighbor {} peer-group LEAVES", link_addr(v, s, i, true)),
        });
    }
    for (af, lo) in [
        ("ipv4", format!("10.0.0.{s}/32")),
        ("ipv6", format!("fd00::{s}/128")),
    ] {
        c.extend([
            format!(" address-family {af} unicast"),
            format!("  network {lo}"),
            "  neighbor LEAVES activate".into(),
            "  maximum-paths 16".into(),
            " exit-address-family".into(),
        ]);
    }
    c.extend([
        " address-family l2vpn evpn".into(),
        "  neighbor LEAVES activate".into(),
        " exit-address-family".into(),
    ]);
    c.join("\n") + "\n"
}

/// An evpnd spine's configuration: one unnumbered (or numbered) eBGP
/// neighbour per leaf, the family of the loopbacks and EVPN, its own
/// loopback originated, no VNI of its own.
pub fn evpnd_spine_conf(v: Vteps, s: u8, links: Links) -> String {
    let family = match v {
        Vteps::V4 => "ipv4-unicast",
        Vteps::V6 => "ipv6-unicast",
    };
    let mut c = format!(
        "[bgp]\nasn = {SPINE_ASN}\nrouter_id = \"10.0.0.{s}\"\nlisten = [\"[::]:179\"]\n\
         hold_time = 9\nconnect_retry = 1\nnetworks = [\"{}\"]\nadvertise_vtep = false\n",
        spine_loopback(v, s)
    );
    for i in 1..=LEAVES {
        let peer = match links {
            Links::Unnumbered => format!("interface = \"swp{i}\"\nremote_asn = \"external\""),
            Links::Numbered => format!(
                "address = \"{}\"\nremote_asn = {}",
                link_addr(v, s, i, true),
                leaf_asn(i)
            ),
        };
        c += &format!("\n[[neighbor]]\n{peer}\nfamilies = [\"{family}\", \"l2vpn-evpn\"]\n");
    }
    // `learn_from_kernel` stays on: with it off evpnd starts no netlink
    // dataplane and would install no unicast route (the spine has no VXLAN
    // device, so there is nothing EVPN to learn anyway).
    c
}

/// An FRR leaf's bgpd configuration (IPv4 VTEP only: FRR 8.4 has no IPv6
/// VTEPs): its loopback in IPv4 unicast, every VNI of the kernel in EVPN.
pub fn frr_leaf_conf(i: u8, links: Links) -> String {
    let lo = loopback_prefix(Vteps::V4, i);
    let (up1, up2) = match links {
        Links::Unnumbered => ("swp1 interface".to_string(), "swp2 interface".to_string()),
        Links::Numbered => (
            link_addr(Vteps::V4, 1, i, false),
            link_addr(Vteps::V4, 2, i, false),
        ),
    };
    [
        "frr defaults datacenter".to_string(),
        format!("hostname leaf{i}"),
        "log stdout".into(),
        format!("router bgp {}", leaf_asn(i)),
        format!(" bgp router-id {}", loopback(Vteps::V4, i)),
        " no bgp ebgp-requires-policy".into(),
        " no bgp default ipv4-unicast".into(),
        " bgp bestpath as-path multipath-relax".into(),
        " neighbor SPINES peer-group".into(),
        " neighbor SPINES remote-as external".into(),
        format!(" neighbor {up1} peer-group SPINES"),
        format!(" neighbor {up2} peer-group SPINES"),
        " address-family ipv4 unicast".into(),
        format!("  network {lo}"),
        "  neighbor SPINES activate".into(),
        "  maximum-paths 16".into(),
        " exit-address-family".into(),
        " address-family l2vpn evpn".into(),
        "  neighbor SPINES activate".into(),
        "  advertise-all-vni".into(),
        " exit-address-family".into(),
    ]
    .join("\n")
        + "\n"
}

/// An evpnd leaf's configuration: two unnumbered eBGP uplinks carrying
/// the loopback's unicast family and EVPN, the loopback originated
/// (`[bgp] networks`) and used as VTEP. Hold time 9 s as FRR's
/// `datacenter` profile; the short connect retry brings a session back
/// quickly after a link flap.
pub fn evpnd_leaf_conf(v: Vteps, i: u8, links: Links) -> String {
    let family = match v {
        Vteps::V4 => "ipv4-unicast",
        Vteps::V6 => "ipv6-unicast",
    };
    let mut c = format!(
        "[bgp]\nasn = {asn}\nrouter_id = \"10.0.0.1{i}\"\nlisten = [\"[::]:179\"]\n\
         hold_time = 9\nconnect_retry = 1\nnetworks = [\"{lo}\"]\n",
        asn = leaf_asn(i),
        lo = loopback_prefix(v, i),
    );
    for s in 1..=SPINES {
        let peer = match links {
            Links::Unnumbered => format!("interface = \"swp{s}\"\nremote_asn = \"external\""),
            Links::Numbered => format!(
                "address = \"{}\"\nremote_asn = {SPINE_ASN}",
                link_addr(v, s, i, false)
            ),
        };
        c += &format!("\n[[neighbor]]\n{peer}\nfamilies = [\"{family}\", \"l2vpn-evpn\"]\n");
    }
    c + &format!("\n[evpn]\nvtep_ip = \"{}\"\n", loopback(v, i))
}

/// The fabric: spines first in drop order last (leaves stop first).
pub struct Clos {
    pub vteps: Vteps,
    pub spine: Spine,
    pub links: Links,
    pub kinds: Vec<Leaf>,
    pub leaves: Vec<Netns>,
    pub hosts: Vec<Netns>,
    pub spines: Vec<Netns>,
}

/// The namespaces, cabling, loopbacks, VNI 100 and hosts, no daemon.
/// Kernel defaults otherwise (duplicate address detection runs on the
/// link-local addresses, as on a real box), forwarding on everywhere.
pub fn topology(tag: &str, vteps: Vteps, links: Links, spine: Spine, kinds: &[Leaf]) -> Clos {
    assert_eq!(kinds.len(), usize::from(LEAVES), "one kind per leaf");
    assert!(
        vteps == Vteps::V4 || spine == Spine::Evpnd,
        "FRR 8.4 spines cannot relay IPv6 VTEPs (they reset the session on an IPv6 PMSI endpoint)"
    );
    assert!(
        vteps == Vteps::V4 || !kinds.contains(&Leaf::Frr),
        "FRR 8.4 has no IPv6 VTEPs (zebra ignores a vxlan device with an IPv6 local)"
    );
    let spines: Vec<Netns> = (1..=SPINES)
        .map(|s| {
            let n = Netns::new(&format!("{tag}s{s}"));
            router_sysctls(&n);
            // Its loopbacks (FRR's `network` needs them in its RIB).
            n.add_lo_addr(&spine_loopback(Vteps::V4, s));
            n.exec(&[
                "ip",
                "addr",
                "add",
                &spine_loopback(Vteps::V6, s),
                "dev",
                "lo",
                "nodad",
            ])
            .expect("spine IPv6 loopback");
            n
        })
        .collect();
    let mut leaves = Vec::new();
    let mut hosts = Vec::new();
    for i in 1..=LEAVES {
        let l = Netns::new(&format!("{tag}l{i}"));
        let h = Netns::new(&format!("{tag}h{i}"));
        router_sysctls(&l);
        for (s, spine) in spines.iter().enumerate() {
            let s = s as u8 + 1;
            cable(&l, &format!("swp{s}"), spine, &format!("swp{i}"));
            if links == Links::Numbered {
                for (ns, dev, leaf_side) in [
                    (&l, format!("swp{s}"), true),
                    (spine, format!("swp{i}"), false),
                ] {
                    let a = format!("{}/{}", link_addr(vteps, s, i, leaf_side), link_len(vteps));
                    let mut args = vec!["ip", "addr", "add", &a, "dev", &dev];
                    if vteps == Vteps::V6 {
                        args.push("nodad");
                    }
                    ns.exec(&args).expect("link address");
                }
            }
        }
        vtep_at(&l, &h, i, &loopback(vteps, i));
        leaves.push(l);
        hosts.push(h);
    }
    Clos {
        vteps,
        spine,
        links,
        kinds: kinds.to_vec(),
        leaves,
        hosts,
        spines,
    }
}

/// The fabric with every daemon started.
pub fn clos(tag: &str, vteps: Vteps, kinds: &[Leaf]) -> Clos {
    clos_with(tag, vteps, Links::Unnumbered, kinds)
}

/// [`clos`] with the links numbered or not.
pub fn clos_with(tag: &str, vteps: Vteps, links: Links, kinds: &[Leaf]) -> Clos {
    clos_spines(tag, vteps, links, Spine::Frr, kinds)
}

/// [`clos_with`] with the spines' daemon chosen.
pub fn clos_spines(tag: &str, vteps: Vteps, links: Links, spine: Spine, kinds: &[Leaf]) -> Clos {
    let mut f = topology(tag, vteps, links, spine, kinds);
    for (s, ns) in f.spines.iter_mut().enumerate() {
        let s = s as u8 + 1;
        match spine {
            Spine::Frr => ns.start_frr_any(&spine_conf(vteps, s, links)),
            Spine::Evpnd => ns.start_evpnd("evpnd", &evpnd_spine_conf(vteps, s, links)),
        }
    }
    for i in 1..=LEAVES {
        f.start_leaf(i);
    }
    f
}

/// An unnumbered veth pair: both ends up, no address (the kernel gives
/// each its link-local one).
pub fn cable(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    sh(&[
        "ip", "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ])
    .expect("veth pair");
    for (ns, ifn) in [(a, a_if), (b, b_if)] {
        ns.exec(&["ip", "link", "set", ifn, "up"]).expect("veth up");
    }
}

impl Clos {
    pub fn leaf(&self, i: u8) -> &Netns {
        &self.leaves[usize::from(i - 1)]
    }

    pub fn host(&self, i: u8) -> &Netns {
        &self.hosts[usize::from(i - 1)]
    }

    pub fn kind(&self, i: u8) -> Leaf {
        self.kinds[usize::from(i - 1)]
    }

    /// The label of leaf `i`'s routing daemon log.
    pub fn daemon(&self, i: u8) -> &'static str {
        match self.kind(i) {
            Leaf::Evpnd => "evpnd",
            Leaf::Frr => "bgpd",
        }
    }

    /// Starts leaf `i`'s daemon on its configuration.
    pub fn start_leaf(&mut self, i: u8) {
        let (kind, v, links) = (self.kind(i), self.vteps, self.links);
        let l = &mut self.leaves[usize::from(i - 1)];
        match kind {
            Leaf::Evpnd => l.start_evpnd("evpnd", &evpnd_leaf_conf(v, i, links)),
            Leaf::Frr => l.start_frr_any(&frr_leaf_conf(i, links)),
        }
    }

    /// Every leaf's and spine's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for i in 1..=LEAVES {
            let d = self.daemon(i);
            s += &format!("\n--- leaf {i} {d} ---\n{}", self.leaf(i).log(d));
        }
        let d = match self.spine {
            Spine::Frr => "bgpd",
            Spine::Evpnd => "evpnd",
        };
        for (n, sp) in self.spines.iter().enumerate() {
            s += &format!("\n--- spine {} {d} ---\n{}", n + 1, sp.log(d));
        }
        s
    }

    /// `Ok` when leaf `i` has leaf `j`'s loopback installed by its BGP
    /// daemon over exactly the uplinks `devs`, each via the spine's IPv6
    /// link-local address (RFC 8950 for IPv4), through a nexthop object.
    pub fn underlay_route(&self, i: u8, j: u8, devs: &[&str]) -> Result<UnderlayRoute, String> {
        self.route_to(i, &loopback_prefix(self.vteps, j), devs)
    }

    /// [`Clos::underlay_route`] for any prefix.
    pub fn route_to(&self, i: u8, prefix: &str, devs: &[&str]) -> Result<UnderlayRoute, String> {
        let r = underlay_route(self.leaf(i), prefix, devs, self.links)?;
        let by = &r.json["protocol"];
        match self.kind(i) {
            Leaf::Evpnd if !is_ours(by) => Err(format!("leaf {i}: {} is not evpnd's", r.json)),
            Leaf::Frr if *by != "bgp" => Err(format!("leaf {i}: {} is not FRR's", r.json)),
            _ => Ok(r),
        }
    }

    /// Every namespace of the fabric.
    pub fn all(&self) -> impl Iterator<Item = &Netns> {
        self.leaves.iter().chain(&self.spines).chain(&self.hosts)
    }

    /// No route in any main table but the kernel's own (connected,
    /// link-local, multicast) and BGP's: nothing static, nothing by hand.
    pub fn assert_no_static_route(&self) {
        for ns in self.all() {
            for fam in ["-4", "-6"] {
                let out = ns
                    .exec(&["ip", "-j", fam, "route", "show", "table", "main"])
                    .unwrap_or_else(|e| panic!("{e}"));
                let v: Vec<Value> = serde_json::from_str(&out).unwrap_or_default();
                for r in &v {
                    let p = &r["protocol"];
                    assert!(
                        *p == "kernel" || is_bgp(p),
                        "{}: a route neither the kernel's nor BGP's: {r}",
                        ns.name
                    );
                }
            }
        }
    }

    /// Waits until every leaf has every other leaf's loopback over both
    /// spines.
    pub fn wait_ecmp_everywhere(&self) {
        for i in 1..=LEAVES {
            for j in (1..=LEAVES).filter(|j| *j != i) {
                wait_until(
                    &format!("leaf {i}: leaf {j}'s loopback over both spines"),
                    T,
                    || {
                        self.underlay_route(i, j, &["swp1", "swp2"])
                            .map_err(|e| format!("{e}{}", self.logs()))
                    },
                );
            }
        }
    }
}

/// What [`underlay_route`] found.
#[derive(Clone, Debug)]
pub struct UnderlayRoute {
    /// The route's nexthop object (a group with ECMP).
    pub nhid: u64,
    /// (gateway, dev) per next hop, sorted by dev.
    pub hops: Vec<(String, String)>,
    pub json: Value,
}

/// A route's next hops as (gateway, dev): `gateway` (same family) or
/// `via.host` (an IPv4 route via an IPv6 gateway), of the route or of
/// each member of a multipath route; sorted by dev.
pub fn hops(r: &Value) -> Vec<(String, String)> {
    let one = |x: &Value| {
        let gw = x["gateway"]
            .as_str()
            .or_else(|| x["via"]["host"].as_str())
            .unwrap_or("")
            .to_string();
        (gw, x["dev"].as_str().unwrap_or("").to_string())
    };
    let mut v: Vec<_> = match r["nexthops"].as_array() {
        Some(h) => h.iter().map(one).collect(),
        None => vec![one(r)],
    };
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

/// Whether an `ip -j` protocol is a BGP daemon's: evpnd's 245 or FRR's `bgp`.
pub fn is_bgp(p: &Value) -> bool {
    is_ours(p) || *p == "bgp" || *p == 186
}

/// See [`Clos::underlay_route`]; `prefix` in `ns`'s main table.
pub fn underlay_route(
    ns: &Netns,
    prefix: &str,
    devs: &[&str],
    links: Links,
) -> Result<UnderlayRoute, String> {
    let r = route(ns, "main", prefix).ok_or_else(|| {
        let all = ns
            .exec(&[
                "ip",
                if prefix.contains(':') { "-6" } else { "-4" },
                "route",
            ])
            .unwrap_or_default();
        format!("{}: no {prefix} in main; it has:\n{all}", ns.name)
    })?;
    let h = hops(&r);
    let got: Vec<&str> = h.iter().map(|(_, d)| d.as_str()).collect();
    // Unnumbered: the spine's link-local address; numbered: its /30 address.
    let link_local = h.iter().all(|(gw, _)| match links {
        Links::Unnumbered => gw.starts_with("fe80:"),
        // (an IPv6 route may use the spine's link-local next hop)
        Links::Numbered => ["10.1", "fd01:", "fe80:"].iter().any(|p| gw.starts_with(p)),
    });
    let nhid = r["nhid"].as_u64();
    match nhid {
        Some(nhid) if is_bgp(&r["protocol"]) && got == devs && link_local => {
            let members = nexthop(ns, nhid)
                .and_then(|n| n["group"].as_array().map(Vec::len))
                .unwrap_or(1);
            if members == devs.len() {
                Ok(UnderlayRoute {
                    nhid,
                    hops: h,
                    json: r,
                })
            } else {
                Err(format!(
                    "{}: {prefix}'s nexthop {nhid} has {members} members, want {}",
                    ns.name,
                    devs.len()
                ))
            }
        }
        _ => Err(format!(
            "{}: {prefix} is {r}; want a BGP route with a nexthop object via fe80::… on {devs:?}",
            ns.name
        )),
    }
}

/// `bridge -j fdb show dev vxlan100`: the VXLAN (`self`) entry's dst for `mac`.
pub fn vxlan_dst(ns: &Netns, mac: &str) -> Option<String> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .ok()?;
    let v: Vec<Value> = serde_json::from_str(&out).ok()?;
    v.iter()
        .find(|e| {
            e["mac"] == mac
                && e["flags"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|x| x == "self"))
        })
        .and_then(|e| e["dst"].as_str().map(str::to_string))
}

/// The flood list of vxlan100 (all-zero MAC entries' dst), sorted.
pub fn flood_list(ns: &Netns) -> Vec<String> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "dev", "vxlan100"])
        .unwrap_or_default();
    let v: Vec<Value> = serde_json::from_str(&out).unwrap_or_default();
    let mut l: Vec<String> = v
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .filter_map(|e| e["dst"].as_str().map(str::to_string))
        .collect();
    l.sort();
    l
}

/// A few pings from host `from` to `to`.
pub fn ping(from: &Netns, to: &str) -> Result<String, String> {
    from.exec(&["ping", "-c", "3", "-i", "0.2", "-W", "1", to])
}

/// The counts of one `ping` run.
#[derive(Clone, Copy, Debug, Default)]
pub struct PingRun {
    pub sent: u32,
    pub received: u32,
}

impl PingRun {
    pub fn lost(&self) -> u32 {
        self.sent.saturating_sub(self.received)
    }
}

/// Reads "N packets transmitted, M received" from ping's summary.
pub fn ping_counts(out: &str) -> PingRun {
    let mut r = PingRun::default();
    for line in out.lines().filter(|l| l.contains("packets transmitted")) {
        for part in line.split(", ") {
            let mut w = part.split_whitespace();
            let n = w.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            match w.next() {
                Some("packets") => r.sent = n,
                Some("received") => r.received = n,
                _ => {}
            }
        }
    }
    r
}

/// `count` pings `interval` apart from `from` to `to`, in a thread.
pub fn ping_in_background(
    from: &Netns,
    to: &str,
    count: u32,
    interval: &str,
) -> std::thread::JoinHandle<String> {
    let (ns, to, interval) = (from.name.clone(), to.to_string(), interval.to_string());
    std::thread::spawn(move || {
        let count = count.to_string();
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, "ping", "-c", &count, "-i", &interval])
            .args(["-W", "1", &to])
            .output();
        match out {
            Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
            Err(e) => format!("ping: {e}"),
        }
    })
}

/// Polls `f` every 5 ms until it is `Ok`; the time it took.
pub fn time_until(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Result<(), String>,
) -> Duration {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        match f() {
            Ok(()) => return start.elapsed(),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out after {timeout:?} waiting for {what}; last: {last}");
}

/// The overlay on a converged fabric: every leaf has every other leaf's
/// loopback over both spines; the hosts ping each other across VNI 100
/// (ARP floods through the type-3 flood lists, the answers are learned
/// and advertised as type 2); each leaf's flood list holds the other two
/// VTEPs and its FDB the other hosts' MACs behind their leaves' VTEPs.
pub fn overlay_works(f: &Clos) {
    f.wait_ecmp_everywhere();
    for i in 1..=LEAVES {
        let mut want: Vec<String> = (1..=LEAVES)
            .filter(|j| *j != i)
            .map(|j| loopback(f.vteps, j))
            .collect();
        want.sort();
        wait_until(&format!("leaf {i}'s flood list"), T, || {
            let got = flood_list(f.leaf(i));
            (got == want)
                .then_some(())
                .ok_or_else(|| format!("{got:?}, want {want:?}{}", f.logs()))
        });
    }
    for (a, b) in [(1, 2), (1, 3), (2, 3)] {
        wait_until(&format!("host {a} pings host {b}"), T, || {
            ping(f.host(a), &host_ip(b)).map_err(|e| format!("{e}{}", f.logs()))
        });
    }
    for i in 1..=LEAVES {
        for j in (1..=LEAVES).filter(|j| *j != i) {
            let want = loopback(f.vteps, j);
            wait_until(
                &format!("leaf {i}: host {j}'s MAC behind {want}"),
                T,
                || match vxlan_dst(f.leaf(i), &host_mac(j)) {
                    Some(d) if d == want => Ok(()),
                    other => Err(format!("{other:?}{}", f.logs())),
                },
            );
            // The type 2 behind it: learned over a spine with the VTEP as
            // next hop (the spine left it unchanged), AS path spine, leaf.
            if f.kind(i) == Leaf::Evpnd {
                let (nh, path) = evpnd_type2(f.leaf(i), &host_mac(j))
                    .unwrap_or_else(|e| panic!("{e}{}", f.logs()));
                assert_eq!(nh, want, "leaf {i}: host {j}'s type 2");
                assert_eq!(
                    path,
                    [SPINE_ASN, leaf_asn(j)],
                    "leaf {i}: host {j}'s type 2"
                );
            }
        }
    }
}

/// The figures of one spine-link failure and recovery.
#[derive(Clone, Copy, Debug)]
pub struct LinkFailure {
    /// Link down → the failing leaf's routes use the other spine only.
    pub local_converged: Duration,
    /// Link down → the other leaves reach the failing leaf via the other spine only.
    pub remote_converged: Duration,
    /// The 20 ms ping across the failure.
    pub down: PingRun,
    /// Link up → both spines again, on the leaf and at the others.
    pub restored: Duration,
    /// The 20 ms ping across the recovery.
    pub up: PingRun,
}

/// Pings at 20 ms during a failure or recovery: 8 s.
pub const FAILURE_PINGS: u32 = 400;
/// The bound on echoes lost to a spine link going down or coming back:
/// the link state is seen at once (netlink), so detection costs nothing
/// and what is lost is the withdrawal's trip through the fabric; 50 echoes
/// is one second at 20 ms, generous on a loaded 2-core CI machine.
pub const MAX_LOST: u32 = 50;

/// Takes down the uplink of leaf `i` that carries a 20 ms ping from host
/// `i` to the next host (ECMP hashes the one VXLAN flow onto one spine),
/// waits for the routes to converge on the other spine alone (on leaf `i`
/// and on the others), then brings it back and waits for both spines
/// again; prints what it measured and returns it.
pub fn spine_link_failure(f: &Clos, i: u8) -> LinkFailure {
    let j = i % LEAVES + 1;
    let others: Vec<u8> = (1..=LEAVES).filter(|k| *k != i).collect();
    let local = |devs: &[&str]| -> Result<(), String> {
        for k in &others {
            f.underlay_route(i, *k, devs)?;
        }
        Ok(())
    };
    let remote = |devs: &[&str]| -> Result<(), String> {
        for k in &others {
            f.underlay_route(*k, i, devs)?;
        }
        Ok(())
    };
    f.wait_ecmp_everywhere();
    wait_until("the ping before the failure", T, || {
        ping(f.host(i), &host_ip(j))
    });

    let (fail, keep) = busy_uplink(f, i, j);
    let pinger = ping_in_background(f.host(i), &host_ip(j), FAILURE_PINGS, "0.02");
    std::thread::sleep(Duration::from_secs(1));
    let t0 = Instant::now();
    f.leaf(i)
        .exec(&["ip", "link", "set", fail, "down"])
        .expect("uplink down");
    time_until("leaf routes on the other spine alone", T, || local(&[keep]));
    let local_converged = t0.elapsed();
    time_until(
        "the other leaves reach leaf i via the other spine alone",
        T,
        || remote(&[keep]),
    );
    let remote_converged = t0.elapsed();
    let down = ping_counts(&pinger.join().expect("ping thread"));

    let pinger = ping_in_background(f.host(i), &host_ip(j), FAILURE_PINGS, "0.02");
    std::thread::sleep(Duration::from_secs(1));
    let t1 = Instant::now();
    f.leaf(i)
        .exec(&["ip", "link", "set", fail, "up"])
        .expect("uplink up");
    time_until("both spines again", T, || {
        match f.kind(i) {
            Leaf::Evpnd => local(&["swp1", "swp2"])?,
            // FRR 8.4's zebra selects both paths again but leaves the
            // kernel's nexthop group with the member that survived the
            // flap (fixed after 8.4: FRRouting/frr#13413): its RIB is
            // checked instead, its kernel reported below.
            Leaf::Frr => {
                for k in &others {
                    let n = frr_rib_paths(f.leaf(i), &loopback_prefix(f.vteps, *k))?;
                    if n != 2 {
                        return Err(format!("FRR leaf {i}: {n} active paths to leaf {k}"));
                    }
                }
            }
        }
        remote(&["swp1", "swp2"])
    });
    let restored = t1.elapsed();
    let up = ping_counts(&pinger.join().expect("ping thread"));
    let r = LinkFailure {
        local_converged,
        remote_converged,
        down,
        restored,
        up,
    };
    println!(
        "{:?} leaf {i} {fail} down: routes on {keep} after {:?} (leaf), {:?} (other leaves); \
         20 ms ping h{i}→h{j}: {}/{} lost ({} ms); {fail} up: both spines after {:?}, {}/{} lost",
        f.kind(i),
        r.local_converged,
        r.remote_converged,
        r.down.lost(),
        r.down.sent,
        r.down.lost() * 20,
        r.restored,
        r.up.lost(),
        r.up.sent,
    );
    if f.kind(i) == Leaf::Frr {
        let k = others[0];
        println!(
            "FRR leaf {i}'s kernel after the recovery: {:?}",
            underlay_route(
                f.leaf(i),
                &loopback_prefix(f.vteps, k),
                &["swp1", "swp2"],
                f.links
            )
            .map(|r| r.hops)
        );
    }
    assert!(r.down.sent > 0 && r.up.sent > 0, "ping did not run: {r:?}");
    assert!(
        r.down.lost() <= MAX_LOST && r.up.lost() <= MAX_LOST,
        "too many echoes lost: {r:?}{}",
        f.logs()
    );
    // Clean again.
    let after = ping_in_background(f.host(i), &host_ip(j), 50, "0.02");
    let after = ping_counts(&after.join().expect("ping thread"));
    assert_eq!(after.lost(), 0, "ping after the recovery: {after:?}");
    r
}

/// The uplink of leaf `i` that carries host `i`'s ping to host `j` (the
/// one whose transmit counter grows by the pings), and the other one.
pub fn busy_uplink(f: &Clos, i: u8, j: u8) -> (&'static str, &'static str) {
    let tx = |dev: &str| -> u64 {
        let out = f
            .leaf(i)
            .exec(&["ip", "-j", "-s", "link", "show", dev])
            .unwrap_or_default();
        let v: Vec<Value> = serde_json::from_str(&out).unwrap_or_default();
        v.first()
            .and_then(|l| l["stats64"]["tx"]["packets"].as_u64())
            .unwrap_or(0)
    };
    let before = (tx("swp1"), tx("swp2"));
    let run = ping_in_background(f.host(i), &host_ip(j), 50, "0.01");
    let _ = run.join();
    let grew = (
        tx("swp1").saturating_sub(before.0),
        tx("swp2").saturating_sub(before.1),
    );
    if grew.0 >= grew.1 {
        ("swp1", "swp2")
    } else {
        ("swp2", "swp1")
    }
}

/// How many active next hops FRR's RIB (`show ip route P json`) has for `prefix`.
pub fn frr_rib_paths(ns: &Netns, prefix: &str) -> Result<usize, String> {
    let v = ns.vtysh_json(&format!("show ip route {prefix} json"))?;
    let hops = v[prefix][0]["nexthops"]
        .as_array()
        .ok_or_else(|| format!("FRR has no {prefix}: {v}"))?;
    Ok(hops.iter().filter(|h| h["active"] == true).count())
}

/// The nexthop objects `ids` and every member of those that are groups.
pub fn nexthop_ids(ns: &Netns, ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut all = Vec::new();
    for id in ids {
        all.push(id);
        if let Some(nh) = nexthop(ns, id) {
            for m in nh["group"].as_array().into_iter().flatten() {
                if let Some(m) = m["id"].as_u64() {
                    all.push(m);
                }
            }
        }
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// The best type-2 path evpnd (started as `evpnd` in `ns`) holds for
/// `mac`: (next hop, AS path), from its management API (`ListRoutes`).
pub fn evpnd_type2(ns: &Netns, mac: &str) -> Result<(String, Vec<u32>), String> {
    use evpnd_api::pb;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async {
        let ch = evpnd_api::client::connect_unix(ns.api_socket("evpnd"))
            .await
            .map_err(|e| format!("API socket: {e}"))?;
        let mut routes = pb::route_service_client::RouteServiceClient::new(ch);
        let filter = pb::RouteFilter {
            route_type: pb::RouteType::MacIp as i32,
            mac: mac.to_string(),
            best_only: true,
            ..Default::default()
        };
        let list = routes
            .list_routes(pb::ListRoutesRequest {
                filter: Some(filter),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("ListRoutes: {e}"))?
            .into_inner()
            .routes;
        list.iter()
            .flat_map(|r| r.paths.iter())
            .find(|p| p.best)
            .map(|p| (p.next_hop.clone(), p.as_path.clone()))
            .ok_or_else(|| format!("{}: no best type 2 for {mac}: {list:?}", ns.name))
    })
}
