//! The dataplane model: what the core (through the EVPN domain) and the linux
//! task say to each other. The EVPN domain owns it; `linux` depends on it.
//! Plain data (serde), so runs can be recorded and replayed.

use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};
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
    /// Multicast group, when the device floods by multicast instead of
    /// ingress replication.
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
    /// BGP has re-learned everything after a start (End-of-RIB from every
    /// peer, or a timer): entries of ours left over from a previous run and
    /// not re-confirmed since may now be deleted.
    Converged,
}
