//! The planner: an [`Inventory`] and [`Options`] in, a [`Plan`] out — the
//! VLAN→VNI map, the proposed `fabric.toml` and the ordered kernel steps,
//! each with its command and inverse. Pure: the same input gives the same
//! plan.
//!
//! ```text
//! per-VLAN bridge  br100 ─ eth0.100, access ports      → + vxlan<base+100> (nolearning,
//!                                                          neigh_suppress on, learning off)
//! VLAN-aware br0   ports with VLANs 10, 20             → + vxlan<base+10> pvid 10 untagged, ...
//! flood-and-learn  vxlanN learning, flood 10.0.0.2 ... → VNI N kept, static_vteps = [...]
//!                  (all of them speak EVPN: --evpn-vtep)  → nolearning, learning off
//! multicast        vxlanN group G                      → kept (--flood keep) or
//!                                                          re-created without G (ingress-replication)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::inventory::{DEFAULT_VLAN, Inventory, Link, MAX_VNI, VXLAN_PORT};
use crate::op::{Op, VxlanSpec};
use crate::refusal::Refusal;

mod existing;
mod vlans;

/// The default `--vni-base`: VLAN 100 → VNI 10100.
pub const DEFAULT_VNI_BASE: u32 = 10000;

/// How BUM traffic of multicast-group VNIs is carried after the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flood {
    /// Re-create group devices without the group: head-end replication
    /// to the VTEPs of the type-3 routes.
    #[default]
    IngressReplication,
    /// Keep the group: evpnd advertises a multicast PMSI for it.
    Keep,
}

/// The planner's options (`evpnctl migrate plan` flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// VLAN V becomes VNI `vni_base + V`.
    pub vni_base: u32,
    /// Source address of new VXLAN devices and `[evpn] vtep_ip`.
    pub vtep_ip: Option<IpAddr>,
    pub asn: Option<u32>,
    pub router_id: Option<Ipv4Addr>,
    pub flood: Flood,
    /// VTEPs that already speak EVPN: their static flood entries are redundant.
    pub evpn_vteps: Vec<IpAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            vni_base: DEFAULT_VNI_BASE,
            vtep_ip: None,
            asn: None,
            router_id: None,
            flood: Flood::default(),
            evpn_vteps: Vec::new(),
        }
    }
}

/// Where a VNI's broadcast domain comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Source {
    /// A VLAN: a new VXLAN device joins its bridge (layer-2 gateway).
    Vlan,
    /// A flood-and-learn VXLAN device with static head-end entries.
    FloodAndLearn,
    /// A VXLAN device flooding to an underlay multicast group.
    Multicast { group: IpAddr },
    /// A VXLAN device already set up for EVPN (no learning).
    Vxlan,
}

/// One line of the VLAN→VNI map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    pub vni: u32,
    pub bridge: String,
    pub vxlan_device: String,
    #[serde(flatten)]
    pub source: Source,
    /// `[[evpn.vni]] static_vteps`: flood-and-learn VTEPs that speak no BGP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_vteps: Vec<IpAddr>,
    /// The group BUM keeps going to (`--flood keep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood_group: Option<IpAddr>,
}

/// One kernel step, for review and for `apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// 1-based.
    pub number: usize,
    pub op: Op,
    pub command: String,
    /// What undoes it (from the inventory the plan was made from; `apply`
    /// journals the inverse of the live state).
    pub inverse: Vec<String>,
    pub why: String,
    /// Interrupts traffic of the VNI (a device is re-created).
    #[serde(default)]
    pub disruptive: bool,
}

/// What `plan` proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub options: Options,
    pub mappings: Vec<Mapping>,
    /// The whole proposed `fabric.toml`.
    pub fabric_toml: String,
    /// A unified diff of it against `--config`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_diff: Option<String>,
    pub steps: Vec<Step>,
    pub refusals: Vec<Refusal>,
    /// What was looked at and left alone, and why.
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether it may be applied.
    pub fn ok(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// A step before numbering.
struct Pending {
    op: Op,
    why: String,
    disruptive: bool,
}

struct Planner<'a> {
    inv: &'a Inventory,
    opts: &'a Options,
    mappings: Vec<Mapping>,
    steps: Vec<Pending>,
    refusals: Vec<Refusal>,
    notes: Vec<String>,
    /// Bridges refused as a whole: their VXLAN devices are left alone too.
    refused_bridges: BTreeSet<String>,
}

/// A VLAN that needs a new VXLAN device.
struct NewDomain {
    vlan: u16,
    bridge: String,
    aware: bool,
}

/// Plans the migration of `inv`. `config` is the current `fabric.toml`
/// (file name, text), if any: the proposal is merged into it.
pub fn plan(inv: &Inventory, opts: &Options, config: Option<(&str, &str)>) -> Plan {
    let mut p = Planner {
        inv,
        opts,
        mappings: Vec::new(),
        steps: Vec::new(),
        refusals: Vec::new(),
        notes: Vec::new(),
        refused_bridges: BTreeSet::new(),
    };
    let refused_vnis = p.duplicate_vnis();
    let mut new = Vec::new();
    for b in inv.bridges() {
        p.bridge(b, &refused_vnis, &mut new);
    }
    for (l, x) in inv.vxlans() {
        if x.external {
            continue;
        }
        if let Some(vni) = x.vni
            && !refused_vnis.contains(&vni)
            && !l
                .master
                .as_ref()
                .is_some_and(|m| p.refused_bridges.contains(m))
        {
            p.existing(l, vni);
        }
    }
    p.new_domains(&new);
    let steps = p.number();
    p.mappings.sort_by_key(|m| m.vni);
    let proposal = crate::fabric::propose(opts, &p.mappings, config);
    match config {
        // The operator's file must stay valid.
        Some((file, _)) => p
            .refusals
            .extend(proposal.problems.into_iter().map(|error| Refusal::Config {
                file: file.to_string(),
                error,
            })),
        // A file from scratch still needs the neighbours.
        None => p.notes.extend(
            proposal
                .problems
                .into_iter()
                .map(|e| format!("the proposed fabric.toml is not complete yet: {e}")),
        ),
    }
    let (fabric_toml, config_diff) = (proposal.text, proposal.diff);
    Plan {
        options: opts.clone(),
        mappings: p.mappings,
        fabric_toml,
        config_diff,
        steps,
        refusals: p.refusals,
        notes: p.notes,
    }
}

/// The name of the device created for `vni`.
pub fn vxlan_name(vni: u32) -> String {
    format!("vxlan{vni}")
}

impl Planner<'_> {
    /// VNIs carried by several devices: refused, and left alone.
    fn duplicate_vnis(&mut self) -> BTreeSet<u32> {
        let mut by_vni: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (l, x) in self.inv.vxlans() {
            if let (Some(v), false) = (x.vni, x.external) {
                by_vni.entry(v).or_default().push(l.name.clone());
            }
        }
        let mut out = BTreeSet::new();
        for (vni, devices) in by_vni {
            if devices.len() > 1 {
                self.refusals
                    .push(Refusal::TwoVxlansOneVni { vni, devices });
                out.insert(vni);
            }
        }
        out
    }

    fn step(&mut self, op: Op, why: &str) {
        self.steps.push(Pending {
            op,
            why: why.to_string(),
            disruptive: false,
        });
    }

    /// Numbers the steps and works out their inverses by running them on a
    /// copy of the inventory; a step that does not apply is refused.
    fn number(&mut self) -> Vec<Step> {
        let mut model = self.inv.clone();
        let mut out = Vec::new();
        for (i, p) in self.steps.iter().enumerate() {
            let number = i + 1;
            let undo = p.op.undo(&model);
            let command = p.op.command_in(&model);
            if let Err(e) = p.op.apply(&mut model) {
                self.refusals.push(Refusal::unappliable(number, &e));
            }
            out.push(Step {
                number,
                command,
                inverse: undo.iter().map(|o| o.command_in(&model)).collect(),
                op: p.op.clone(),
                why: p.why.clone(),
                disruptive: p.disruptive,
            });
        }
        out
    }
}

/// Port flags of an EVPN VXLAN port: ARP/ND suppression, no learning.
fn evpn_port(dev: &str) -> Op {
    Op::SetPort {
        dev: dev.to_string(),
        neigh_suppress: true,
        learning: false,
    }
}
