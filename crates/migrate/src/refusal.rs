//! What the planner will not migrate, and why. A plan with any refusal is
//! shown but cannot be applied; `evpnctl migrate plan` exits non-zero.

use serde::{Deserialize, Serialize};

use crate::op::ModelError;

/// One thing the planner refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// The same VLAN id in several bridges would become one VNI: their
    /// broadcast domains would be merged.
    #[error(
        "VLAN {vlan} is in bridges {bridges:?}: all would map to VNI {vni} and merge; give each its own VNI by hand or merge the bridges first"
    )]
    VlanInTwoBridges {
        vlan: u16,
        vni: u32,
        bridges: Vec<String>,
    },
    /// The VNI a VLAN maps to is already another device's.
    #[error(
        "VLAN {vlan} on {bridge} maps to VNI {vni}, which {used_by} already carries: choose another --vni-base"
    )]
    VniInUse {
        vlan: u16,
        bridge: String,
        vni: u32,
        used_by: String,
    },
    /// Several VXLAN devices carry one VNI.
    #[error("VNI {vni} is carried by several VXLAN devices {devices:?}: keep one")]
    TwoVxlansOneVni { vni: u32, devices: Vec<String> },
    /// One bridge holds several VNIs: one broadcast domain, several VNIs.
    #[error("bridge {bridge} holds VXLAN devices of several VNIs {vnis:?}: one VNI per bridge")]
    BridgeWithTwoVnis { bridge: String, vnis: Vec<u32> },
    /// A plain bridge with sub-interfaces of different VLANs.
    #[error(
        "bridge {bridge} joins VLANs {vlans:?} into one broadcast domain: which VNI it gets is ambiguous"
    )]
    BridgeWithTwoVlans { bridge: String, vlans: Vec<u16> },
    /// base + VLAN is not a VNI.
    #[error(
        "VLAN {vlan} on {bridge} maps to {vni}, past the largest VNI 16777215: lower --vni-base"
    )]
    VniOutOfRange { vlan: u16, bridge: String, vni: u64 },
    /// The name of the device to create is taken.
    #[error("{name} (the VXLAN device for VNI {vni}) exists and is something else")]
    NameTaken { name: String, vni: u32 },
    /// New VXLAN devices need a source address.
    #[error(
        "no VTEP address for the new VXLAN devices ({needed_by}): give --vtep-ip (no existing device has a local address)"
    )]
    NoVtepIp { needed_by: String },
    /// The steps do not apply to the inventory (a planner or inventory bug).
    #[error("step {step} does not apply: {error}")]
    Unappliable { step: usize, error: String },
    /// The existing configuration cannot be merged into.
    #[error("--config {file}: {error}")]
    Config { file: String, error: String },
}

impl Refusal {
    pub fn unappliable(step: usize, e: &ModelError) -> Refusal {
        Refusal::Unappliable {
            step,
            error: e.to_string(),
        }
    }
}
