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

use crate::inventory::{DEFAULT_VLAN, Inventory, Kind, Link, MAX_VNI, VXLAN_PORT};
use crate::op::{Op, VxlanSpec};
use crate::refusal::Refusal;

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

    /// A bridge: its VLANs that need a VXLAN device, or why it is left alone.
    fn bridge(&mut self, b: &Link, refused: &BTreeSet<u32>, new: &mut Vec<NewDomain>) {
        let ports: Vec<&Link> = self.inv.ports(&b.name).collect();
        let vxlans: Vec<(&Link, u32)> = ports
            .iter()
            .filter_map(|p| Some((*p, p.vxlan().filter(|x| !x.external)?.vni?)))
            .collect();
        if ports.iter().any(|p| p.vxlan().is_some_and(|x| x.external)) {
            self.notes.push(format!(
                "{}: single VXLAN device layout (external): already EVPN-ready, left alone",
                b.name
            ));
            return;
        }
        let vnis: BTreeSet<u32> = vxlans.iter().map(|(_, v)| *v).collect();
        if vnis.len() > 1 && !b.vlan_filtering() {
            self.refused_bridges.insert(b.name.clone());
            self.refusals.push(Refusal::BridgeWithTwoVnis {
                bridge: b.name.clone(),
                vnis: vnis.into_iter().collect(),
            });
            return;
        }
        if b.vlan_filtering() {
            // VLANs of the ports that are not VXLAN devices, less those a
            // VXLAN device already serves (its PVID).
            let served: BTreeSet<u16> = vxlans
                .iter()
                .filter_map(|(l, _)| l.port.as_ref()?.vlans.iter().find(|v| v.pvid))
                .map(|v| v.vid)
                .collect();
            let carried: BTreeSet<u16> = ports
                .iter()
                .filter(|p| p.vxlan().is_none())
                .filter_map(|p| p.port.as_ref())
                .flat_map(|p| p.vlans.iter().map(|v| v.vid))
                .filter(|v| *v != DEFAULT_VLAN && !served.contains(v))
                .collect();
            for vlan in carried {
                new.push(NewDomain {
                    vlan,
                    bridge: b.name.clone(),
                    aware: true,
                });
            }
            return;
        }
        let vids: BTreeSet<u16> = ports
            .iter()
            .filter_map(|p| match p.kind {
                Kind::Vlan { vid, .. } => Some(vid),
                _ => None,
            })
            .collect();
        if vids.len() > 1 {
            self.refused_bridges.insert(b.name.clone());
            self.refusals.push(Refusal::BridgeWithTwoVlans {
                bridge: b.name.clone(),
                vlans: vids.into_iter().collect(),
            });
            return;
        }
        match (vids.first(), vnis.first()) {
            (_, Some(v)) if refused.contains(v) => {}
            // The existing device is planned by `existing`.
            (_, Some(_)) => {}
            (Some(&vlan), None) => new.push(NewDomain {
                vlan,
                bridge: b.name.clone(),
                aware: false,
            }),
            (None, None) => self.notes.push(format!(
                "{}: no VLAN sub-interface and no VXLAN device: nothing to migrate",
                b.name
            )),
        }
    }

    /// The VLAN of an existing device's broadcast domain: its PVID on a
    /// VLAN-aware bridge, the bridge's VLAN sub-interface otherwise.
    fn vlan_of(&self, l: &Link) -> Option<u16> {
        let bridge = self.inv.link(l.master.as_deref()?)?;
        if bridge.vlan_filtering() {
            return l
                .port
                .as_ref()?
                .vlans
                .iter()
                .find(|v| v.pvid)
                .map(|v| v.vid);
        }
        self.inv.ports(&bridge.name).find_map(|p| match p.kind {
            Kind::Vlan { vid, .. } => Some(vid),
            _ => None,
        })
    }

    /// An existing VXLAN device: keeps its VNI.
    fn existing(&mut self, l: &Link, vni: u32) {
        let Some(x) = l.vxlan() else { return };
        let Some(bridge) = l.master.clone() else {
            self.notes.push(format!(
                "{}: VNI {vni} is on no bridge: not migrated (enslave it to a bridge first)",
                l.name
            ));
            return;
        };
        let mut m = Mapping {
            vlan: self.vlan_of(l),
            vni,
            bridge,
            vxlan_device: l.name.clone(),
            source: Source::Vxlan,
            static_vteps: Vec::new(),
            flood_group: None,
        };
        let port_ok = l
            .port
            .as_ref()
            .is_some_and(|p| p.neigh_suppress && !p.learning);
        if let Some(group) = x.group {
            m.source = Source::Multicast { group };
            match self.opts.flood {
                Flood::Keep => {
                    m.flood_group = Some(group);
                    self.notes.push(format!(
                        "{}: VNI {vni} keeps BUM on group {group} (type 3 with a multicast PMSI)",
                        l.name
                    ));
                }
                Flood::IngressReplication => self.recreate_without_group(l, vni),
            }
        } else if x.learning || !x.flood.is_empty() {
            m.source = Source::FloodAndLearn;
            m.static_vteps = x
                .flood
                .iter()
                .filter(|d| !self.opts.evpn_vteps.contains(d))
                .copied()
                .collect();
            if m.static_vteps.is_empty() {
                let why =
                    format!("VNI {vni}: every static VTEP speaks EVPN: stop data-plane learning");
                if x.learning {
                    self.step(
                        Op::SetVxlanLearning {
                            dev: l.name.clone(),
                            learning: false,
                        },
                        &why,
                    );
                }
                if !port_ok {
                    self.step(evpn_port(&l.name), &why);
                }
            } else {
                self.notes.push(format!(
                    "{}: VNI {vni} keeps learning on while static VTEPs {:?} remain; plan again with --evpn-vtep once they speak EVPN",
                    l.name, m.static_vteps
                ));
            }
        } else if !port_ok {
            self.step(
                evpn_port(&l.name),
                &format!("VNI {vni}: ARP/ND suppression, no learning on the VXLAN port"),
            );
        }
        self.mappings.push(m);
    }

    /// `--flood ingress-replication` on a group device: delete it and create
    /// it again without the group, with the same name, bridge and port.
    fn recreate_without_group(&mut self, l: &Link, vni: u32) {
        let Some(x) = l.vxlan() else { return };
        let Some(local) = x.local.or(self.vtep_ip()) else {
            self.refusals.push(Refusal::NoVtepIp {
                needed_by: l.name.clone(),
            });
            return;
        };
        let why = format!(
            "VNI {vni}: re-created without its group (ingress replication); traffic of VNI {vni} stops until step {{up}}"
        );
        let spec = VxlanSpec {
            name: l.name.clone(),
            vni,
            local: Some(local),
            group: None,
            dev: None,
            dstport: x.dstport,
            learning: false,
            address: l.mac.clone(),
        };
        let mut ops = vec![
            Op::DeleteLink {
                name: l.name.clone(),
                unless: Some(spec.clone()),
            },
            Op::CreateVxlan(spec),
        ];
        if let Some(m) = &l.master {
            ops.push(Op::SetMaster {
                dev: l.name.clone(),
                master: Some(m.clone()),
            });
            ops.push(evpn_port(&l.name));
            let vlans = l.port.as_ref().map(|p| p.vlans.clone()).unwrap_or_default();
            if self.inv.link(m).is_some_and(Link::vlan_filtering) {
                if !vlans.iter().any(|v| v.vid == DEFAULT_VLAN) {
                    ops.push(Op::VlanDel {
                        dev: l.name.clone(),
                        vid: DEFAULT_VLAN,
                    });
                }
                for v in vlans {
                    ops.push(Op::VlanAdd {
                        dev: l.name.clone(),
                        vid: v.vid,
                        pvid: v.pvid,
                        untagged: v.untagged,
                    });
                }
            }
        }
        ops.push(Op::SetUp {
            dev: l.name.clone(),
            up: true,
        });
        let up = self.steps.len() + ops.len();
        let why = why.replace("{up}", &up.to_string());
        for op in ops {
            self.steps.push(Pending {
                op,
                why: why.clone(),
                disruptive: true,
            });
        }
    }

    fn vtep_ip(&self) -> Option<IpAddr> {
        self.opts
            .vtep_ip
            .or_else(|| self.inv.vxlans().find_map(|(_, x)| x.local))
    }

    /// VLANs that get a new device: checked for collisions, then planned.
    fn new_domains(&mut self, new: &[NewDomain]) {
        let mut by_vni: BTreeMap<u64, Vec<&NewDomain>> = BTreeMap::new();
        for d in new {
            by_vni
                .entry(u64::from(self.opts.vni_base) + u64::from(d.vlan))
                .or_default()
                .push(d);
        }
        for (vni, ds) in by_vni {
            let d = ds[0];
            if ds.len() > 1 {
                self.refusals.push(Refusal::VlanInTwoBridges {
                    vlan: d.vlan,
                    vni: u32::try_from(vni).unwrap_or(u32::MAX),
                    bridges: ds.iter().map(|d| d.bridge.clone()).collect(),
                });
                continue;
            }
            let vni = match u32::try_from(vni) {
                Ok(v) if (1..=MAX_VNI).contains(&v) => v,
                _ => {
                    self.refusals.push(Refusal::VniOutOfRange {
                        vlan: d.vlan,
                        bridge: d.bridge.clone(),
                        vni,
                    });
                    continue;
                }
            };
            if let Some((l, _)) = self.inv.vxlans().find(|(_, x)| x.vni == Some(vni)) {
                self.refusals.push(Refusal::VniInUse {
                    vlan: d.vlan,
                    bridge: d.bridge.clone(),
                    vni,
                    used_by: l.name.clone(),
                });
                continue;
            }
            let name = vxlan_name(vni);
            if self.inv.link(&name).is_some() {
                self.refusals.push(Refusal::NameTaken { name, vni });
                continue;
            }
            let Some(local) = self.vtep_ip() else {
                self.refusals.push(Refusal::NoVtepIp { needed_by: name });
                continue;
            };
            self.new_device(d, vni, name, local);
        }
    }

    fn new_device(&mut self, d: &NewDomain, vni: u32, name: String, local: IpAddr) {
        let why = format!("VLAN {} on {} → VNI {vni}", d.vlan, d.bridge);
        self.step(
            Op::CreateVxlan(VxlanSpec {
                name: name.clone(),
                vni,
                local: Some(local),
                group: None,
                dev: None,
                dstport: VXLAN_PORT,
                learning: false,
                address: None,
            }),
            &why,
        );
        self.step(
            Op::SetMaster {
                dev: name.clone(),
                master: Some(d.bridge.clone()),
            },
            &why,
        );
        self.step(evpn_port(&name), &why);
        if d.aware {
            self.step(
                Op::VlanDel {
                    dev: name.clone(),
                    vid: DEFAULT_VLAN,
                },
                &why,
            );
            self.step(
                Op::VlanAdd {
                    dev: name.clone(),
                    vid: d.vlan,
                    pvid: true,
                    untagged: true,
                },
                &why,
            );
        }
        self.step(
            Op::SetUp {
                dev: name.clone(),
                up: true,
            },
            &why,
        );
        self.mappings.push(Mapping {
            vlan: Some(d.vlan),
            vni,
            bridge: d.bridge.clone(),
            vxlan_device: name,
            source: Source::Vlan,
            static_vteps: Vec::new(),
            flood_group: None,
        });
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
