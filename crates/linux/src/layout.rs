//! Which links make which VNI: the two VXLAN layouts a leaf may use, turned
//! into [`VniInfo`]s and the lookups that classify kernel entries.
//!
//! ```text
//! per-VNI ("traditional")              single VXLAN device (SVD)
//!
//!   br100 (SVI)     br200 (SVI)          br0  vlan_filtering 1
//!    │  └ vxlan100   │  └ vxlan200        ├ vxlan0  external, vlan_tunnel on
//!    └ eth1          └ eth2               │    vid 10 tunnel_info id 100
//!                                         │    vid 20 tunnel_info id 200
//!   VNI = IFLA_VXLAN_ID of the device     ├ eth1 (access, vid 10)
//!   MAC → VNI by the port's bridge        └ br0.10, br0.20 (802.1Q SVIs)
//!
//!                                       VNI = the port's tunnel_info for the
//!                                       entry's VLAN (NDA_VLAN), or the VXLAN
//!                                       entry's NDA_SRC_VNI
//! ```
//!
//! Problems are reported as warnings, never fixed or guessed at: a device
//! that fits neither layout contributes no VNI.
//!
//! A VNI may be pinned to its devices (`[[evpn.vni]]` `vxlan_device`,
//! `bridge`, `svi`): then only the named VXLAN device, on the named bridge,
//! serves it, and the named interface is its SVI. A kernel that disagrees
//! is reported and the VNI stays unprogrammed until it matches; evpnd does
//! not fall back to what discovery would pick.

use std::collections::{BTreeMap, HashMap, HashSet};

use evpnd_wire::Vni;

use crate::VniInfo;
use crate::kernel::Link;
use evpnd_evpn::dataplane::VrfMaster;

/// A dataplane prerequisite not met, per VNI (or for a device with none).
pub type Warnings = Vec<(Option<Vni>, String)>;

/// The devices the configuration names for a VNI (`None`: discovered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    pub vxlan_device: Option<String>,
    pub bridge: Option<String>,
    pub svi: Option<String>,
}

/// The VNIs the kernel's links describe, indexed for classification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub vnis: HashMap<Vni, VniInfo>,
    /// Per-VNI VXLAN devices and their VNI.
    per_vni_device: HashMap<u32, Vni>,
    /// Single VXLAN devices (their VNIs come from the entry's `src_vni`).
    single_device: HashSet<u32>,
    /// Per-VNI bridges and their VNI.
    bridge: HashMap<u32, Vni>,
    /// VLAN-aware bridges: (bridge, VLAN) → VNI.
    bridge_vlan: HashMap<(u32, u16), Vni>,
    svi: HashMap<u32, Vni>,
}

impl Layout {
    /// Reads the links. Deterministic: links are visited by ifindex, and the
    /// first device to claim a VNI keeps it.
    pub fn from_links(links: &HashMap<u32, Link>, pins: &HashMap<Vni, Pins>) -> (Layout, Warnings) {
        Self::from_links_learning(links, pins, &HashSet::new())
    }

    /// [`Self::from_links`], where the VNIs of `learning` expect data-plane
    /// learning (they have `static_vteps`: MACs behind VTEPs that speak no
    /// BGP are learned by the kernel) and the others do not.
    pub fn from_links_learning(
        links: &HashMap<u32, Link>,
        pins: &HashMap<Vni, Pins>,
        learning: &HashSet<Vni>,
    ) -> (Layout, Warnings) {
        let sorted: BTreeMap<u32, &Link> = links.iter().map(|(i, l)| (*i, l)).collect();
        let mut b = Builder {
            links,
            pins,
            learning,
            layout: Layout::default(),
            warnings: Vec::new(),
        };
        for l in sorted.values() {
            let Some(x) = &l.vxlan else { continue };
            if x.external {
                b.single_device(l);
            } else if let Some(vni) = x.vni.and_then(|v| Vni::try_from(v).ok()) {
                b.per_vni(l, vni);
            }
        }
        b.missing_pins();
        (b.layout, b.warnings)
    }

    /// A VXLAN device that carries VNIs of ours.
    pub fn is_vxlan(&self, ifindex: u32) -> bool {
        self.per_vni_device.contains_key(&ifindex) || self.single_device.contains(&ifindex)
    }

    /// The VNI of an entry on a VXLAN device: the device's own (per-VNI), or
    /// the entry's `NDA_SRC_VNI` (single device).
    pub fn vxlan_vni(&self, ifindex: u32, src_vni: Option<u32>) -> Option<&VniInfo> {
        let vni = match self.per_vni_device.get(&ifindex) {
            Some(v) => *v,
            None if self.single_device.contains(&ifindex) => Vni::try_from(src_vni?).ok()?,
            None => return None,
        };
        self.vnis.get(&vni).filter(|v| v.vxlan_ifindex == ifindex)
    }

    /// The VNI of a bridge FDB entry on a port of `bridge`: by the entry's
    /// VLAN on a VLAN-aware bridge, by the bridge otherwise.
    pub fn port_vni(&self, bridge: u32, vlan: Option<u16>) -> Option<&VniInfo> {
        let vni = match self.bridge.get(&bridge) {
            Some(v) => v,
            None => self.bridge_vlan.get(&(bridge, vlan?))?,
        };
        self.vnis.get(vni)
    }

    pub fn svi_vni(&self, ifindex: u32) -> Option<&VniInfo> {
        self.svi.get(&ifindex).and_then(|v| self.vnis.get(v))
    }
}

struct Builder<'a> {
    links: &'a HashMap<u32, Link>,
    pins: &'a HashMap<Vni, Pins>,
    learning: &'a HashSet<Vni>,
    layout: Layout,
    warnings: Warnings,
}

impl<'a> Builder<'a> {
    fn warn(&mut self, vni: Option<Vni>, device: &str, what: &str) {
        self.warnings.push((vni, format!("{device}: {what}")));
    }

    /// Whether `vxlan` on `bridge` may serve `vni` by its pins; a mismatch is
    /// reported (as a device warning: the VNI itself never appears).
    fn pinned_ok(&mut self, vni: Vni, vxlan: &Link, bridge: Option<&Link>) -> bool {
        let Some(p) = self.pins.get(&vni) else {
            return true;
        };
        if let Some(want) = &p.vxlan_device
            && *want != vxlan.name
        {
            // Only worth saying when the pinned device is not there to take it.
            if !self.links.values().any(|l| l.name == *want) {
                let what = format!(
                    "has VNI {vni}, which [[evpn.vni]] pins to vxlan_device {want}; ignored for it"
                );
                self.warn(None, &vxlan.name, &what);
            }
            return false;
        }
        if let Some(want) = &p.bridge
            && bridge.is_none_or(|b| b.name != *want)
        {
            let on = bridge.map_or("no bridge".to_string(), |b| format!("bridge {}", b.name));
            let what = format!(
                "VNI {vni} is on {on}, but [[evpn.vni]] pins it to bridge {want}: not programmed until they match"
            );
            self.warn(None, &vxlan.name, &what);
            return false;
        }
        true
    }

    /// The SVI of a VNI: the pinned interface if any, else what discovery found.
    fn pinned_svi(&mut self, vni: Vni, found: Option<&'a Link>) -> Option<&'a Link> {
        let Some(want) = self.pins.get(&vni).and_then(|p| p.svi.clone()) else {
            return found;
        };
        let links = self.links;
        match links.values().find(|l| l.name == want) {
            Some(l) => Some(l),
            None => {
                let what = format!(
                    "VNI {vni}: pinned svi {want} does not exist: MAC+IP routes are neither learned nor installed"
                );
                self.warn(None, &want, &what);
                None
            }
        }
    }

    /// Pinned VXLAN devices that serve no VNI.
    fn missing_pins(&mut self) {
        let mut missing: Vec<(Vni, String)> = self
            .pins
            .iter()
            .filter(|(v, _)| !self.layout.vnis.contains_key(v))
            .filter_map(|(v, p)| Some((*v, p.vxlan_device.clone()?)))
            .collect();
        missing.sort();
        for (vni, dev) in missing {
            let what = match self.links.values().find(|l| l.name == dev) {
                None => "does not exist".to_string(),
                Some(l) if l.vxlan.is_none() => "is not a VXLAN device".to_string(),
                Some(_) => "does not carry this VNI".to_string(),
            };
            let what =
                format!("pinned by [[evpn.vni]] vni = {vni}, {what}: VNI {vni} is not programmed");
            self.warn(None, &dev, &what);
        }
    }

    /// One VXLAN device per VNI. On a plain bridge, the bridge is the VNI's
    /// own and its SVI. On a VLAN-aware bridge (FRR's "traditional VLAN-aware"
    /// mode, several per-VNI devices on one bridge) the device's PVID is the
    /// VNI's VLAN and the SVI is the 802.1Q device for that VLAN.
    fn per_vni(&mut self, l: &Link, vni: Vni) {
        let Some(x) = &l.vxlan else { return };
        if self.layout.vnis.contains_key(&vni) {
            self.warn(
                Some(vni),
                &l.name,
                "another VXLAN device already has this VNI; ignored",
            );
            return;
        }
        let bridge = l.master.and_then(|m| self.links.get(&m));
        if !self.pinned_ok(vni, l, bridge) {
            return;
        }
        let vlan_aware = bridge.filter(|b| b.vlan_filtering);
        let (vlan, found_svi) = match vlan_aware {
            Some(b) => {
                let Some(pvid) = l.pvid else {
                    let what = format!(
                        "per-VNI device on VLAN-aware bridge {} without a PVID: its VLAN is the port's PVID (`bridge vlan add dev {} vid VID pvid untagged`); VNI {vni} ignored",
                        b.name, l.name
                    );
                    self.warn(None, &l.name, &what);
                    return;
                };
                if let Some(other) = self.layout.bridge_vlan.get(&(b.index, pvid)) {
                    let what = format!(
                        "VLAN {pvid} of bridge {} already maps to VNI {other}; VNI {vni} ignored",
                        b.name
                    );
                    self.warn(None, &l.name, &what);
                    return;
                }
                (Some(pvid), self.vlan_svi(b, pvid))
            }
            None => {
                if let Some(b) = bridge
                    && let Some(other) = self.layout.bridge.get(&b.index)
                {
                    let what = format!(
                        "bridge {} already holds VNI {other}: one VNI per bridge in the per-VNI layout (or make the bridge VLAN-aware); ignored",
                        b.name
                    );
                    self.warn(Some(vni), &l.name, &what);
                    return;
                }
                (None, bridge)
            }
        };
        let svi = self.pinned_svi(vni, found_svi);
        if let (Some(b), Some(vid), None) = (vlan_aware, vlan, svi) {
            let what = format!(
                "vlan {vid}: no SVI (an 802.1Q device on {} with id {vid}): MAC+IP routes are neither learned nor installed",
                b.name
            );
            self.warn(Some(vni), &l.name, &what);
        }
        let info = VniInfo {
            vni,
            vxlan_ifindex: l.index,
            vxlan_name: l.name.clone(),
            local_ip: x.local,
            dstport: x.port,
            learning: x.learning,
            group: x.group,
            bridge_ifindex: bridge.map(|b| b.index),
            bridge_name: bridge.map(|b| b.name.clone()),
            vlan,
            single_device: false,
            svi_ifindex: svi.map(|s| s.index),
            svi_name: svi.map(|s| s.name.clone()),
            neigh_suppress: l.neigh_suppress,
            svi_mac: svi.and_then(|s| s.mac),
            vrf_master: self.vrf_master(svi),
            up: l.up && svi.is_none_or(|s| s.up),
        };
        self.device_warnings(l, Some(vni));
        match bridge {
            None => self.warn(
                Some(vni),
                &l.name,
                "not a port of a bridge: no MACs can be learned or installed",
            ),
            Some(b) => match vlan {
                Some(vid) => {
                    self.layout.bridge_vlan.insert((b.index, vid), vni);
                }
                None => {
                    self.layout.bridge.insert(b.index, vni);
                }
            },
        }
        if let Some(s) = svi {
            self.layout.svi.insert(s.index, vni);
        }
        self.layout.per_vni_device.insert(l.index, vni);
        self.layout.vnis.insert(vni, info);
    }

    /// One `external` VXLAN device on a VLAN-aware bridge: a VNI per
    /// `tunnel_info` mapping of its port, the SVI an 802.1Q device
    /// `BRIDGE.VID` (any name) on top of the bridge.
    fn single_device(&mut self, l: &Link) {
        let Some(x) = &l.vxlan else { return };
        let Some(bridge) = l.master.and_then(|m| self.links.get(&m)) else {
            self.warn(
                None,
                &l.name,
                "external (single-device) VXLAN device is not a port of a bridge; ignored",
            );
            return;
        };
        if !bridge.vlan_filtering {
            let what = format!(
                "external (single-device) VXLAN device on bridge {} without vlan_filtering: the single-device layout needs a VLAN-aware bridge; ignored",
                bridge.name
            );
            self.warn(None, &l.name, &what);
            return;
        }
        if !l.vlan_tunnel {
            self.warn(None, &l.name, "vlan_tunnel is off on this bridge port: no VLAN→VNI mapping (`bridge link set dev DEV vlan_tunnel on`); ignored");
            return;
        }
        if l.tunnels.is_empty() {
            self.warn(
                None,
                &l.name,
                "no VLAN→VNI mapping yet (`bridge vlan add dev DEV vid VID tunnel_info id VNI`)",
            );
        }
        self.layout.single_device.insert(l.index);
        self.device_warnings(l, None);
        if x.vnifilter {
            self.warn(None, &l.name, "vnifilter is on and evpnd does not read its `bridge vni` list: every VNI mapped by tunnel_info must be in it (`bridge vni add dev DEV vni N`), or the device drops that VNI's traffic");
        }
        for &(vid, id) in &l.tunnels {
            let Ok(vni) = Vni::try_from(id) else { continue };
            if !self.pinned_ok(vni, l, Some(bridge)) {
                continue;
            }
            if self.layout.vnis.contains_key(&vni) {
                self.warn(
                    Some(vni),
                    &l.name,
                    "another VXLAN device already has this VNI; ignored",
                );
                continue;
            }
            if let Some(other) = self.layout.bridge_vlan.get(&(bridge.index, vid)) {
                let what = format!(
                    "VLAN {vid} of bridge {} already maps to VNI {other}; VNI {vni} ignored",
                    bridge.name
                );
                self.warn(None, &l.name, &what);
                continue;
            }
            let found = self.vlan_svi(bridge, vid);
            let svi = self.pinned_svi(vni, found);
            if svi.is_none() {
                let what = format!(
                    "vlan {vid}: no SVI (an 802.1Q device on {} with id {vid}): MAC+IP routes are neither learned nor installed",
                    bridge.name
                );
                self.warn(Some(vni), &l.name, &what);
            }
            if !l.neigh_suppress {
                self.warn(
                    Some(vni),
                    &l.name,
                    "neigh_suppress is off: ARP/ND is flooded instead of answered locally",
                );
            }
            self.layout.bridge_vlan.insert((bridge.index, vid), vni);
            if let Some(s) = svi {
                self.layout.svi.insert(s.index, vni);
            }
            self.layout.vnis.insert(
                vni,
                VniInfo {
                    vni,
                    vxlan_ifindex: l.index,
                    vxlan_name: l.name.clone(),
                    local_ip: x.local,
                    dstport: x.port,
                    learning: x.learning,
                    group: x.group,
                    bridge_ifindex: Some(bridge.index),
                    bridge_name: Some(bridge.name.clone()),
                    vlan: Some(vid),
                    single_device: true,
                    svi_ifindex: svi.map(|s| s.index),
                    svi_name: svi.map(|s| s.name.clone()),
                    neigh_suppress: l.neigh_suppress,
                    svi_mac: svi.and_then(|s| s.mac),
                    vrf_master: self.vrf_master(svi),
                    up: l.up && svi.is_none_or(|s| s.up),
                },
            );
        }
    }

    /// The VRF device an SVI is enslaved to (VRF mode): its master, when
    /// that master is a VRF device (`IFLA_VRF_TABLE` read).
    fn vrf_master(&self, svi: Option<&Link>) -> Option<VrfMaster> {
        let m = self.links.get(&svi?.master?)?;
        Some(VrfMaster {
            ifindex: m.index,
            name: m.name.clone(),
            table: m.vrf_table?,
        })
    }

    /// The SVI of VLAN `vid` on a VLAN-aware bridge: an 802.1Q device on top
    /// of it with that id (any name; the lowest ifindex if several).
    fn vlan_svi(&self, bridge: &Link, vid: u16) -> Option<&'a Link> {
        self.links
            .values()
            .filter(|s| s.lower == Some(bridge.index) && s.vlan_id == Some(vid))
            .min_by_key(|s| s.index)
    }

    /// What both layouts want of the VXLAN device itself. Per-VNI devices
    /// report against their VNI; a single device once for all its VNIs.
    fn device_warnings(&mut self, l: &Link, vni: Option<Vni>) {
        let Some(x) = &l.vxlan else { return };
        // The VNIs this device serves that have static VTEPs (flood and
        // learn): learning is what they need.
        let learners: Vec<Vni> = match vni {
            Some(v) => vec![v],
            None => l
                .tunnels
                .iter()
                .filter_map(|(_, id)| Vni::try_from(*id).ok())
                .collect(),
        }
        .into_iter()
        .filter(|v| self.learning.contains(v))
        .collect();
        if x.learning && learners.is_empty() {
            self.warn(
                vni,
                &l.name,
                "data-plane learning is on; EVPN wants `nolearning` (remote MACs come from BGP)",
            );
        }
        if !x.learning {
            for v in learners {
                self.warn(
                    Some(v),
                    &l.name,
                    "data-plane learning is off, but [[evpn.vni]] static_vteps is set: MACs behind the static VTEPs are not learned and reach them only by flooding (`ip link set DEV type vxlan learning`)",
                );
            }
        }
        if x.local.is_none() {
            self.warn(vni, &l.name, "no `local` address: the VTEP address is taken from [evpn].vtep_ip or the router id");
        }
        if vni.is_some() && l.master.is_some() && !l.neigh_suppress {
            self.warn(
                vni,
                &l.name,
                "neigh_suppress is off: ARP/ND is flooded instead of answered locally",
            );
        }
    }
}
