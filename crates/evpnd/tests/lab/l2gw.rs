//! The layer-2 gateway lab (issue 12, VM stage): a legacy VLAN switch
//! trunked to an evpnd border leaf that bridges VLAN 100 with VNI 100, and
//! two EVPN leaves behind it, one evpnd, one FRR 8.4.
//!
//! ```text
//!  h11 (VLAN 100)  h12 (VLAN 100)  h13 (VLAN 200)
//!     │ a1            │ a2            │ a3        access ports, pvid untagged
//!   ┌─┴───────────────┴───────────────┴─┐
//!   │ switch: br0 vlan_filtering 1      │  a plain Linux bridge, no EVPN
//!   └────────────────┬──────────────────┘
//!                    │ trunk (VLAN 100, 200 tagged)
//!                    │ eth0
//!   border leaf (evpnd, VTEP 10.0.0.1): VLAN 100 ↔ VNI 100, [`Gateway`]
//!      u2 │ 10.0.12.0/30              u3 │ 10.0.13.0/30
//!   leaf 2 (evpnd, 10.0.0.2) ──────── leaf 3 (FRR, 10.0.0.3)
//!   br100/vxlan100, host 2  10.0.23.0/30  br100/vxlan100, host 3
//! ```
//!
//! Full-mesh iBGP (AS 65000) over the three links, static underlay
//! routes. The VLAN 100 hosts are 192.168.100.11/.12 (MAC
//! [`host_mac`]`(11/12)`), hosts 2 and 3 192.168.100.2/.3; each leaf's SVI
//! is 192.168.100.25`i`. VLAN 200 is trunked but mapped to no VNI: its host
//! (192.168.200.13) must stay out of EVPN.

use serde_json::Value;

use super::vlan::{has_flag, run, vlan_bridge};
use super::{Netns, host_mac, link, veth, vtep};

/// The VLAN bridged with VNI 100, and one trunked that maps to no VNI.
pub const VID: u16 = 100;
pub const UNMAPPED_VID: u16 = 200;
/// The VLAN 100 hosts behind the switch (host number = last octet), and
/// the VLAN 200 one.
pub const LEGACY: [u8; 2] = [11, 12];
pub const STRAY: u8 = 13;

/// How the border leaf bridges the trunk with VNI 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    /// `eth0.100` (802.1Q sub-interface of the trunk) in `br100` beside
    /// `vxlan100`; SVI `br100`.
    PerVlan,
    /// The trunk `eth0` in the VLAN-aware `br0` (VLANs 100, 200 tagged),
    /// `vxlan100` with PVID 100 on the same bridge; SVI `br0.100`.
    VlanAware,
    /// As [`Gateway::VlanAware`] with one `external` `vxlan0` (VLAN 100
    /// `tunnel_info id 100`) instead of `vxlan100`.
    SingleDevice,
}

impl Gateway {
    /// The bridge port the trunk's VLAN 100 frames arrive on, and the VLAN
    /// the bridge learns them in (`None`: a bridge without VLANs).
    pub fn trunk_port(self) -> (&'static str, Option<u16>) {
        match self {
            Gateway::PerVlan => ("eth0.100", None),
            Gateway::VlanAware | Gateway::SingleDevice => ("eth0", Some(VID)),
        }
    }

    pub fn bridge(self) -> &'static str {
        match self {
            Gateway::PerVlan => "br100",
            Gateway::VlanAware | Gateway::SingleDevice => "br0",
        }
    }

    pub fn vxlan(self) -> &'static str {
        match self {
            Gateway::PerVlan | Gateway::VlanAware => "vxlan100",
            Gateway::SingleDevice => "vxlan0",
        }
    }

    pub fn svi(self) -> &'static str {
        match self {
            Gateway::PerVlan => "br100",
            Gateway::VlanAware | Gateway::SingleDevice => "br0.100",
        }
    }
}

pub struct L2gw {
    pub gateway: Gateway,
    pub border: Netns,
    /// Leaf 2 (evpnd) and leaf 3 (FRR).
    pub evpnd_leaf: Netns,
    pub frr_leaf: Netns,
    /// Hosts 2 and 3, behind the EVPN leaves.
    pub evpn_hosts: Vec<Netns>,
    pub switch: Netns,
    /// The VLAN 100 hosts ([`LEGACY`]) and the VLAN 200 one ([`STRAY`]).
    pub legacy: Vec<Netns>,
    pub stray: Netns,
}

pub fn host_ip(i: u8) -> String {
    format!("192.168.100.{i}")
}

const BORDER_CONF: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.1\"\nhold_time = 9\nconnect_retry = 1\n\
    [[neighbor]]\naddress = \"10.0.12.2\"\nremote_asn = 65000\n\
    [[neighbor]]\naddress = \"10.0.13.2\"\nremote_asn = 65000\n";

const LEAF_CONF: &str = "[bgp]\nasn = 65000\nrouter_id = \"10.0.0.2\"\nhold_time = 9\nconnect_retry = 1\n\
    [[neighbor]]\naddress = \"10.0.12.1\"\nremote_asn = 65000\n\
    [[neighbor]]\naddress = \"10.0.23.2\"\nremote_asn = 65000\n";

const FRR_CONF: &str = "frr defaults datacenter
hostname leaf3
log stdout
router bgp 65000
 bgp router-id 10.0.0.3
 no bgp default ipv4-unicast
 neighbor 10.0.13.1 remote-as 65000
 neighbor 10.0.23.1 remote-as 65000
 neighbor 10.0.13.1 timers connect 1
 neighbor 10.0.23.1 timers connect 1
 address-family l2vpn evpn
  neighbor 10.0.13.1 activate
  neighbor 10.0.23.1 activate
  advertise-all-vni
 exit-address-family
";

/// Builds the lab with the border leaf in `gateway` layout and starts the
/// three daemons.
pub fn l2gw(tag: &str, gateway: Gateway) -> L2gw {
    let mut border = Netns::new(&format!("{tag}b"));
    let mut evpnd_leaf = Netns::new(&format!("{tag}l2"));
    let mut frr_leaf = Netns::new(&format!("{tag}l3"));
    let switch = Netns::new(&format!("{tag}sw"));
    let mut evpn_hosts = Vec::new();
    for (i, leaf) in [(2u8, &evpnd_leaf), (3, &frr_leaf)] {
        let h = Netns::new(&format!("{tag}h{i}"));
        link(
            &border,
            &format!("u{i}"),
            &format!("10.0.1{i}.1/30"),
            leaf,
            "u0",
            &format!("10.0.1{i}.2/30"),
        );
        vtep(leaf, &h, i);
        run(
            leaf,
            &[&format!("ip route add 10.0.0.1/32 via 10.0.1{i}.1")],
        );
        run(
            &border,
            &[&format!("ip route add 10.0.0.{i}/32 via 10.0.1{i}.2")],
        );
        evpn_hosts.push(h);
    }
    link(
        &evpnd_leaf,
        "u3",
        "10.0.23.1/30",
        &frr_leaf,
        "u2",
        "10.0.23.2/30",
    );
    run(&evpnd_leaf, &["ip route add 10.0.0.3/32 via 10.0.23.2"]);
    run(&frr_leaf, &["ip route add 10.0.0.2/32 via 10.0.23.1"]);
    let (legacy, stray) = legacy_switch(tag, &switch);
    veth(&switch, "trunk", &border, "eth0").expect("trunk veth");
    run(
        &switch,
        &[
            "ip link set trunk master br0",
            "bridge vlan del dev trunk vid 1",
            &format!("bridge vlan add dev trunk vid {VID}"),
            &format!("bridge vlan add dev trunk vid {UNMAPPED_VID}"),
            "ip link set trunk up",
        ],
    );
    border_leaf(&border, gateway);
    frr_leaf.start_frr_any(FRR_CONF);
    border.start_evpnd("evpnd", BORDER_CONF);
    evpnd_leaf.start_evpnd("evpnd", LEAF_CONF);
    L2gw {
        gateway,
        border,
        evpnd_leaf,
        frr_leaf,
        evpn_hosts,
        switch,
        legacy,
        stray,
    }
}

/// The legacy switch: `br0` (VLAN-aware) with an access port per host.
fn legacy_switch(tag: &str, switch: &Netns) -> (Vec<Netns>, Netns) {
    vlan_bridge(switch);
    run(switch, &["ip link set br0 up"]);
    let host = |i: u8, port: &str, vid: u16, ip: &str| {
        let h = Netns::new(&format!("{tag}h{i}"));
        cable_to_switch(switch, &h, port, vid, i, ip);
        h
    };
    let legacy = LEGACY
        .iter()
        .zip(["a1", "a2"])
        .map(|(&i, port)| host(i, port, VID, &host_ip(i)))
        .collect();
    let stray = host(STRAY, "a3", UNMAPPED_VID, &format!("192.168.200.{STRAY}"));
    (legacy, stray)
}

/// Host `i` (address `ip`) on a new access port `port` of the legacy
/// switch in VLAN `vid` (pvid, untagged).
fn cable_to_switch(switch: &Netns, h: &Netns, port: &str, vid: u16, i: u8, ip: &str) {
    veth(switch, port, h, "eth0").expect("access veth");
    run(
        switch,
        &[
            &format!("ip link set {port} master br0"),
            &format!("bridge vlan del dev {port} vid 1"),
            &format!("bridge vlan add dev {port} vid {vid} pvid untagged"),
            &format!("ip link set {port} up"),
        ],
    );
    host_eth0(h, i, ip);
}

/// Host `i`'s `eth0`: its MAC ([`host_mac`]), address `ip`/24, up.
fn host_eth0(h: &Netns, i: u8, ip: &str) {
    run(
        h,
        &[
            &format!("ip link set eth0 address {}", host_mac(i)),
            &format!("ip addr add {ip}/24 dev eth0"),
            "ip link set eth0 up",
        ],
    );
}

/// Undoes [`move_to_evpnd_leaf`]: host `legacy[k]` back on a new access
/// port of the legacy switch in VLAN 100 (its port on leaf 2 goes away).
pub fn move_back_to_switch(l: &L2gw, k: usize) {
    let h = &l.legacy[k];
    let i = LEGACY[k];
    run(h, &["ip link del eth0"]);
    cable_to_switch(&l.switch, h, &format!("b{i}"), VID, i, &host_ip(i));
}

/// The border leaf's VTEP, bridge and SVI in `gateway` layout, the trunk
/// `eth0` already there.
fn border_leaf(b: &Netns, gateway: Gateway) {
    run(
        b,
        &["ip addr add 10.0.0.1/32 dev lo", "ip link set eth0 up"],
    );
    let vxlan100 = "ip link add vxlan100 type vxlan id 100 dstport 4789 local 10.0.0.1 nolearning";
    match gateway {
        Gateway::PerVlan => run(
            b,
            &[
                &format!("ip link add link eth0 name eth0.{VID} type vlan id {VID}"),
                "ip link add br100 type bridge",
                vxlan100,
                "ip link set vxlan100 master br100",
                "bridge link set dev vxlan100 neigh_suppress on learning off",
                &format!("ip link set eth0.{VID} master br100"),
                "ip link set br100 up",
                "ip link set vxlan100 up",
                &format!("ip link set eth0.{VID} up"),
                "ip addr add 192.168.100.251/24 dev br100",
            ],
        ),
        Gateway::VlanAware | Gateway::SingleDevice => {
            vlan_bridge(b);
            if gateway == Gateway::VlanAware {
                run(
                    b,
                    &[
                        vxlan100,
                        "ip link set vxlan100 master br0",
                        "bridge link set dev vxlan100 neigh_suppress on learning off",
                        "bridge vlan del dev vxlan100 vid 1",
                        &format!("bridge vlan add dev vxlan100 vid {VID} pvid untagged"),
                    ],
                );
            } else {
                run(
                    b,
                    &[
                        "ip link add vxlan0 type vxlan dstport 4789 local 10.0.0.1 nolearning external",
                        "ip link set vxlan0 master br0",
                        "bridge link set dev vxlan0 vlan_tunnel on neigh_suppress on learning off",
                        "bridge vlan del dev vxlan0 vid 1",
                        &format!("bridge vlan add dev vxlan0 vid {VID}"),
                        &format!("bridge vlan add dev vxlan0 vid {VID} tunnel_info id 100"),
                    ],
                );
            }
            let dev = gateway.vxlan();
            run(
                b,
                &[
                    &format!("bridge vlan add dev br0 vid {VID} self"),
                    "ip link set eth0 master br0",
                    "bridge vlan del dev eth0 vid 1",
                    &format!("bridge vlan add dev eth0 vid {VID}"),
                    &format!("bridge vlan add dev eth0 vid {UNMAPPED_VID}"),
                    &format!("ip link add link br0 name br0.{VID} type vlan id {VID}"),
                    "ip link set br0 up",
                    &format!("ip link set {dev} up"),
                    &format!("ip link set br0.{VID} up"),
                    &format!("ip addr add 192.168.100.251/24 dev br0.{VID}"),
                ],
            );
        }
    }
}

/// Recables VLAN 100 host `legacy[k]` from the legacy switch to a new
/// access port `acc<i>` of leaf 2's `br100`, keeping its MAC and address:
/// the old cable and its switch port go away (the switch forgets the MAC).
pub fn move_to_evpnd_leaf(l: &L2gw, k: usize) {
    let h = &l.legacy[k];
    let i = LEGACY[k];
    run(h, &["ip link del eth0"]);
    let port = format!("acc{i}");
    veth(&l.evpnd_leaf, &port, h, "eth0").expect("new cable");
    run(
        &l.evpnd_leaf,
        &[
            &format!("ip link set {port} master br100"),
            &format!("ip link set {port} up"),
        ],
    );
    host_eth0(h, i, &host_ip(i));
}

/// Every FDB entry of bridge `br` (master entries of its ports, the
/// ports' own entries) in `ns`.
pub fn bridge_fdb(ns: &Netns, br: &str) -> Vec<Value> {
    let out = ns
        .exec(&["bridge", "-j", "fdb", "show", "br", br])
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&out).unwrap_or_default()
}

/// `Ok` when the border leaf's bridge has `mac` learned on the trunk port
/// as any local host: dynamic, not extern_learn, in VLAN 100 on a
/// VLAN-aware bridge, and nowhere else.
pub fn learned_on_trunk(l: &L2gw, mac: &str) -> Result<(), String> {
    let (port, vlan) = l.gateway.trunk_port();
    let all = bridge_fdb(&l.border, l.gateway.bridge());
    let mine: Vec<&Value> = all.iter().filter(|e| e["mac"] == mac).collect();
    let ok = mine.len() == 1
        && mine.iter().all(|e| {
            e["ifname"] == port
                && e["vlan"].as_u64() == vlan.map(u64::from)
                && !has_flag(e, "extern_learn")
                && !has_flag(e, "self")
                && e["state"] != "permanent"
        });
    ok.then_some(()).ok_or_else(|| format!("{mac}: {mine:?}"))
}

/// `Ok` when the border leaf holds `mac` as evpnd installs a remote MAC:
/// the VXLAN (`self`) entry towards `dst` with extern_learn (and
/// `src_vni` 100 on the single device), and on a VLAN-aware bridge the
/// bridge entry on the VXLAN port in VLAN 100.
pub fn remote_on_border(l: &L2gw, mac: &str, dst: &str) -> Result<(), String> {
    let dev = l.gateway.vxlan();
    let all = super::vlan::fdb(&l.border, dev);
    let mine: Vec<&Value> = all.iter().filter(|e| e["mac"] == mac).collect();
    let vxlan_ok = mine.iter().any(|e| {
        has_flag(e, "self")
            && has_flag(e, "extern_learn")
            && e["dst"] == dst
            && match l.gateway {
                Gateway::SingleDevice => e["src_vni"].as_u64() == Some(100),
                _ => e.get("src_vni").is_none(),
            }
    });
    let bridge_ok = match l.gateway.trunk_port().1 {
        None => true,
        Some(vid) => mine.iter().any(|e| {
            e["master"] == "br0"
                && e["vlan"].as_u64() == Some(u64::from(vid))
                && has_flag(e, "extern_learn")
        }),
    };
    (vxlan_ok && bridge_ok)
        .then_some(())
        .ok_or_else(|| format!("{mac} on {dev}: {mine:?}"))
}

/// `Ok` when a per-VNI leaf (`br100`/`vxlan100`) holds `mac` as a remote
/// MAC behind `dst`: the VXLAN entry, extern_learn.
pub fn remote_on_leaf(ns: &Netns, mac: &str, dst: &str) -> Result<(), String> {
    let all = super::vlan::fdb(ns, "vxlan100");
    all.iter()
        .find(|e| {
            e["mac"] == mac && has_flag(e, "self") && has_flag(e, "extern_learn") && e["dst"] == dst
        })
        .map(|_| ())
        .ok_or_else(|| format!("{}: {mac} not behind {dst}: {all:?}", ns.name))
}

/// `Ok` when `ns` has the neighbour `ip` → `mac` on `dev` as a remote
/// (extern_learn) entry, as EVPN installs a MAC+IP route.
pub fn remote_neigh(ns: &Netns, dev: &str, ip: &str, mac: &str) -> Result<(), String> {
    let out = ns.exec(&["ip", "-j", "neigh", "show", "dev", dev])?;
    let v: Vec<Value> = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    v.iter()
        .find(|n| n["dst"] == ip && n["lladdr"] == mac && n.get("extern_learn").is_some())
        .map(|_| ())
        .ok_or_else(|| format!("{}: no remote {ip} on {dev}: {out}", ns.name))
}

/// Two pings from `from` to `to`.
pub fn ping(from: &Netns, to: &str) -> Result<String, String> {
    from.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", to])
}
