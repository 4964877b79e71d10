//! A host's layer-2 setup as the planner sees it: bridges, their ports and
//! VLANs, VLAN sub-interfaces, VXLAN devices with their static flood lists,
//! and the addresses of SVIs. `evpnctl migrate inventory` prints it (read
//! over netlink by `evpnd_linux::migrate`); `plan --from FILE` reads it back.
//!
//! It is also the planner's model of the kernel: [`crate::Op`]s apply to it,
//! so a plan can be run and rolled back in memory (`crate::apply::Model`).
//!
//! ```text
//! {"links": [
//!   {"name": "br100", "type": "bridge", "vlan_filtering": false, "up": true,
//!    "addresses": ["192.168.100.254/24"]},
//!   {"name": "eth0.100", "type": "vlan", "parent": "eth0", "vid": 100,
//!    "master": "br100", "port": {"learning": true, "neigh_suppress": false, "vlans": []}},
//!   {"name": "vxlan5000", "type": "vxlan", "vni": 5000, "local": "10.0.0.1",
//!    "dstport": 4789, "learning": true, "flood": ["10.0.0.2"], "master": "br5000", ...}
//! ]}
//! ```

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The IANA VXLAN port (RFC 7348 §5).
pub const VXLAN_PORT: u16 = 4789;
/// The largest VNI (24 bits).
pub const MAX_VNI: u32 = (1 << 24) - 1;
/// The VLAN every port of a VLAN-aware bridge gets by default
/// (`default_pvid`); the planner does not map it.
pub const DEFAULT_VLAN: u16 = 1;
/// The largest 802.1Q VLAN id.
pub const MAX_VLAN: u16 = 4094;

/// Every link of interest, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub links: Vec<Link>,
}

/// One network device. (No `deny_unknown_fields`: serde does not support
/// it beside `flatten`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    #[serde(flatten)]
    pub kind: Kind,
    /// Administratively up.
    #[serde(default)]
    pub up: bool,
    /// The bridge it is a port of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    /// Its bridge port settings, when `master` is a bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// The MAC address (`IFLA_ADDRESS`), kept so a re-created device
    /// gets its own back (a bridge takes the lowest port MAC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Addresses (kept for bridges and VLAN devices: the SVIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpNet>,
}

/// What kind of device a link is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    Bridge {
        #[serde(default)]
        vlan_filtering: bool,
        /// The bridge's own VLANs (`bridge vlan ... self`), VLAN-aware only.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        vlans: Vec<PortVlan>,
    },
    /// An 802.1Q sub-interface (`eth0.100`).
    Vlan {
        parent: String,
        vid: u16,
    },
    Vxlan(Vxlan),
    /// Anything else (veth, physical, bond ...), by its kernel kind.
    Other {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
}

/// A VXLAN device's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vxlan {
    /// `id`; none on an `external` (single) device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<IpAddr>,
    /// The underlay multicast group BUM goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<IpAddr>,
    /// The underlay device (`dev`), needed with a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(default = "vxlan_port")]
    pub dstport: u16,
    /// Data-plane learning of remote MACs (`learning` / `nolearning`).
    #[serde(default)]
    pub learning: bool,
    /// `external` (collect_metadata): the single-device layout.
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub vnifilter: bool,
    /// Destinations of the static all-zero flood entries (head-end list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flood: Vec<IpAddr>,
}

fn vxlan_port() -> u16 {
    VXLAN_PORT
}

/// A bridge port's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub learning: bool,
    pub neigh_suppress: bool,
    /// Its VLANs on a VLAN-aware bridge (empty on a plain one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vlans: Vec<PortVlan>,
}

impl Default for Port {
    /// What the kernel gives a new port: learning on, no suppression.
    fn default() -> Self {
        Port {
            learning: true,
            neigh_suppress: false,
            vlans: Vec::new(),
        }
    }
}

/// One VLAN of a port (`bridge vlan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortVlan {
    pub vid: u16,
    #[serde(default)]
    pub pvid: bool,
    #[serde(default)]
    pub untagged: bool,
}

impl Link {
    pub fn vxlan(&self) -> Option<&Vxlan> {
        match &self.kind {
            Kind::Vxlan(x) => Some(x),
            _ => None,
        }
    }

    /// The VLAN of a VLAN sub-interface.
    pub fn vlan_id(&self) -> Option<u16> {
        match self.kind {
            Kind::Vlan { vid, .. } => Some(vid),
            _ => None,
        }
    }

    pub fn is_bridge(&self) -> bool {
        matches!(self.kind, Kind::Bridge { .. })
    }

    pub fn vlan_filtering(&self) -> bool {
        matches!(
            self.kind,
            Kind::Bridge {
                vlan_filtering: true,
                ..
            }
        )
    }
}

impl Inventory {
    /// Sorts links by name and every list inside, so that two readings of
    /// the same kernel compare equal.
    pub fn normalise(&mut self) {
        self.links.sort_by(|a, b| a.name.cmp(&b.name));
        for l in &mut self.links {
            l.addresses.sort();
            if let Some(p) = &mut l.port {
                p.vlans.sort();
            }
            match &mut l.kind {
                Kind::Vxlan(x) => {
                    x.flood.sort();
                    x.flood.dedup();
                }
                Kind::Bridge { vlans, .. } => vlans.sort(),
                _ => {}
            }
        }
    }

    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn link_mut(&mut self, name: &str) -> Option<&mut Link> {
        self.links.iter_mut().find(|l| l.name == name)
    }

    /// The ports of `bridge`, in name order.
    pub fn ports<'a>(&'a self, bridge: &'a str) -> impl Iterator<Item = &'a Link> + 'a {
        self.links
            .iter()
            .filter(move |l| l.master.as_deref() == Some(bridge))
    }

    pub fn bridges(&self) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(|l| l.is_bridge())
    }

    /// VXLAN devices with their VNI, in name order.
    pub fn vxlans(&self) -> impl Iterator<Item = (&Link, &Vxlan)> {
        self.links.iter().filter_map(|l| Some((l, l.vxlan()?)))
    }
}
