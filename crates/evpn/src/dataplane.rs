//! The dataplane model: what the core (through the EVPN domain) and the linux
//! task say to each other. The EVPN domain owns it; `linux` depends on it.
//! Plain data (serde), so runs can be recorded and replayed.

use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// One VNI as the kernel has it set up.
///
/// Per-VNI layout: one VXLAN device per VNI, enslaved to its own bridge.
/// Single-device layout: one `external` VXLAN device on a VLAN-aware bridge;
/// one `VniInfo` per VLAN→VNI `tunnel_info` mapping, with `vlan` set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VniInfo {
    pub vni: Vni,
    pub vxlan_ifindex: u32,
    pub vxlan_name: String,
    /// `local` of the VXLAN device: the VTEP address.
    pub local_ip: Option<IpAddr>,
    pub dstport: u16,
    /// Data-plane learning on the VXLAN device (should be off with EVPN).
    pub learning: bool,
    /// The device's default destination (`group` or `remote`): a multicast
    /// group when the device floods by multicast instead of ingress
    /// replication ([`VniInfo::multicast_group`]).
    pub group: Option<IpAddr>,
    pub bridge_ifindex: Option<u32>,
    pub bridge_name: Option<String>,
    /// The VNI's VLAN on a VLAN-aware bridge (single-device layout, or a
    /// per-VNI device's PVID); entries are written with `NDA_VLAN`.
    pub vlan: Option<u16>,
    /// Served by a single `external` VXLAN device: its entries also carry
    /// `NDA_SRC_VNI` (the VNI is not the device's own).
    #[serde(default)]
    pub single_device: bool,
    /// The SVI of this VNI (the bridge itself, or `bridge.VLAN`), if any.
    pub svi_ifindex: Option<u32>,
    pub svi_name: Option<String>,
    /// `neigh_suppress` on the VXLAN bridge port.
    pub neigh_suppress: bool,
    /// The SVI's MAC address (an L3VNI's SVI MAC is the default Router's
    /// MAC; an L2VNI's is the anycast gateway MAC, never a mobile host).
    #[serde(default)]
    pub svi_mac: Option<MacAddr>,
    /// The VRF device the SVI is enslaved to (VRF mode), if any.
    #[serde(default)]
    pub vrf_master: Option<VrfMaster>,
    /// The VXLAN device and its SVI (when there is one) are up. A tenant
    /// whose L3VNI is down holds its routes instead of installing them.
    #[serde(default = "yes")]
    pub up: bool,
}

fn yes() -> bool {
    true
}

impl VniInfo {
    /// The underlay multicast group BUM is flooded to, if the device has
    /// one. The kernel reports a unicast `remote` (a point-to-point
    /// default destination) in the same attribute: that is no group, and
    /// the VNI floods by ingress replication (ADR 0031).
    pub fn multicast_group(&self) -> Option<IpAddr> {
        self.group.filter(IpAddr::is_multicast)
    }
}

/// A Linux VRF device (an SVI's master) and the table it routes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrfMaster {
    pub ifindex: u32,
    pub name: String,
    pub table: u32,
}

/// Kernel → core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LocalEvent {
    /// A VNI appeared or one of its properties changed.
    Vni(VniInfo),
    VniGone(Vni),
    /// A MAC on an access (non-VXLAN) port of the VNI's bridge. `sticky` for
    /// static/sticky FDB entries (the operator pinned it).
    Mac {
        vni: Vni,
        mac: MacAddr,
        sticky: bool,
    },
    MacGone {
        vni: Vni,
        mac: MacAddr,
    },
    /// A local (not ours, not extern_learn) ARP/ND entry on the VNI's SVI.
    Neigh {
        vni: Vni,
        ip: IpAddr,
        mac: MacAddr,
    },
    NeighGone {
        vni: Vni,
        ip: IpAddr,
    },
    /// An address (with its prefix length, `192.168.100.1/24`) on a VNI's
    /// SVI: the subnet is connected in the tenant (type 5, table-mode
    /// connected route) and the address is ours (never a remote neighbour).
    SviAddr {
        vni: Vni,
        addr: IpNet,
    },
    SviAddrGone {
        vni: Vni,
        addr: IpNet,
    },
    /// A unicast route evpnd did not write, in the table of a tenant
    /// (what `[[evpn.vrf]] redistribute` advertises as type 5). `protocol`
    /// is the route's `rtm_protocol`. Reported again when it changes.
    TableRoute {
        table: u32,
        prefix: IpNet,
        protocol: u8,
    },
    TableRouteGone {
        table: u32,
        prefix: IpNet,
    },
    /// The initial dumps are done: every VNI, MAC and neighbour that exists
    /// has been reported once.
    Synced,
    /// A dataplane prerequisite is not met (learning on, no SVI, no
    /// neigh_suppress, ...). Reported, never silently fixed.
    Warning {
        vni: Option<Vni>,
        what: String,
    },
}

/// Core → kernel. Each is idempotent: the linux task keeps the desired table
/// and makes the kernel match it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DesiredChange {
    /// Remote MAC behind `vtep` (add or move). `sticky` for remote sticky /
    /// default-gateway MACs.
    RemoteMac {
        vni: Vni,
        mac: MacAddr,
        vtep: IpAddr,
        sticky: bool,
    },
    RemoteMacGone {
        vni: Vni,
        mac: MacAddr,
    },
    /// Flood (BUM) entry towards a remote VTEP: all-zero MAC, `append`.
    Flood {
        vni: Vni,
        vtep: IpAddr,
    },
    FloodGone {
        vni: Vni,
        vtep: IpAddr,
    },
    /// Remote neighbour on the VNI's SVI (what ARP/ND suppression answers from).
    RemoteNeigh {
        vni: Vni,
        ip: IpAddr,
        mac: MacAddr,
    },
    RemoteNeighGone {
        vni: Vni,
        ip: IpAddr,
    },
    /// A route in a tenant's table (`main` included). Replaces what the
    /// table had from us for the prefix.
    Route {
        table: u32,
        prefix: IpNet,
        via: RouteVia,
    },
    RouteGone {
        table: u32,
        prefix: IpNet,
    },
    /// Table mode: `ip rule iif <iif> lookup <table> pref <priority>`, one
    /// per SVI of the tenant (its L2VNI SVIs and L3 SVI).
    Rule {
        table: u32,
        iif: String,
        priority: u32,
    },
    RuleGone {
        table: u32,
        iif: String,
        priority: u32,
    },
    /// BGP has re-learned everything after a start (End-of-RIB from every
    /// peer, or a timer): entries of ours left over from a previous run and
    /// not re-confirmed since may now be deleted.
    Converged,
}

/// Where a tenant route leads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteVia {
    /// Remote VTEPs over the L3VNI (symmetric IRB, RFC 9135): `via VTEP dev
    /// <L3 SVI> onlink`, through kernel nexthop objects, a group when there
    /// are several (ECMP). `vteps` sorted, without duplicates. An IPv6
    /// prefix over IPv4 VTEPs goes via the IPv4-mapped address
    /// (`::ffff:a.b.c.d`), as FRR does; its neighbour entry is asked for
    /// with [`DesiredChange::RemoteNeigh`] on the L3VNI.
    Vteps { l3vni: Vni, vteps: Vec<IpAddr> },
    /// Table mode: an SVI's connected subnet (`dev <svi> scope link`), what
    /// the kernel puts into a VRF device's table by itself.
    Connected { vni: Vni },
    /// Table mode: `unreachable default` at the lowest preference, so a
    /// tenant's traffic never falls through to the main table (zebra puts
    /// the same into every VRF table).
    Unreachable,
    /// The underlay (issue 13): a route learned in IPv4/IPv6 unicast, via
    /// the BGP next hops of its multipath set (`via G [dev D]`, a nexthop
    /// object each, a group when there are several). `hops` sorted,
    /// without duplicates. An IPv4 prefix may go via an IPv6 (link-local)
    /// gateway (RFC 8950: `via inet6 fe80::… dev swp1`).
    Gateways { hops: Vec<Gateway> },
}

/// One next hop of an underlay route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gateway {
    /// The gateway address (a link-local one needs `dev`).
    pub ip: IpAddr,
    /// The interface to reach it by name (unnumbered and link-local next
    /// hops); `None`: the kernel resolves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
}
