//! The kernel changes a plan is made of. Each [`Op`] knows
//!
//! * whether the kernel already has it ([`Op::done`]: apply skips it),
//! * what it does, on the model of the kernel ([`Op::apply`]),
//! * how to undo it from the state before it ([`Op::undo`]),
//! * the `ip` / `bridge` command that does the same ([`Op::command`]), for review.
//!
//! `evpnd_linux::migrate` carries each one out over netlink.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::inventory::{DEFAULT_VLAN, Inventory, Kind, Link, Port, PortVlan, VXLAN_PORT, Vxlan};

mod undo;
pub use undo::{recreate, spec_of};

/// A VXLAN device to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxlanSpec {
    pub name: String,
    pub vni: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    pub dstport: u16,
    pub learning: bool,
    /// The MAC address to give it (a re-created device keeps its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// One kernel change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    CreateVxlan(VxlanSpec),
    /// Delete a device; done when it is gone, or when it already is
    /// `unless` (the device a re-creation replaces it with: a second run
    /// must not delete the new one).
    DeleteLink {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unless: Option<VxlanSpec>,
    },
    /// Enslave to a bridge (`None`: release).
    SetMaster {
        dev: String,
        master: Option<String>,
    },
    /// Bridge port flags.
    SetPort {
        dev: String,
        neigh_suppress: bool,
        learning: bool,
    },
    /// The VXLAN device's own data-plane learning.
    SetVxlanLearning {
        dev: String,
        learning: bool,
    },
    SetUp {
        dev: String,
        up: bool,
    },
    /// `bridge vlan add`: the VLAN with exactly these flags (on the bridge
    /// itself when `dev` is the bridge).
    VlanAdd {
        dev: String,
        vid: u16,
        pvid: bool,
        untagged: bool,
    },
    VlanDel {
        dev: String,
        vid: u16,
    },
    /// A static all-zero flood entry (head-end replication to `dst`).
    FloodAdd {
        dev: String,
        dst: IpAddr,
    },
    FloodDel {
        dev: String,
        dst: IpAddr,
    },
}

/// The model cannot take an op: the kernel would refuse it too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{0}: no such device")]
    NoSuchLink(String),
    #[error("{0}: not a bridge port")]
    NotAPort(String),
    #[error("{0}: not a VXLAN device")]
    NotVxlan(String),
    #[error("{0}: not a bridge")]
    NotABridge(String),
    #[error("{name}: exists and differs from what the plan creates ({what})")]
    Conflict { name: String, what: String },
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.command())
    }
}

impl Op {
    /// The device the op acts on.
    pub fn device(&self) -> &str {
        match self {
            Op::CreateVxlan(s) => &s.name,
            Op::DeleteLink { name, .. } => name,
            Op::SetMaster { dev, .. }
            | Op::SetPort { dev, .. }
            | Op::SetVxlanLearning { dev, .. }
            | Op::SetUp { dev, .. }
            | Op::VlanAdd { dev, .. }
            | Op::VlanDel { dev, .. }
            | Op::FloodAdd { dev, .. }
            | Op::FloodDel { dev, .. } => dev,
        }
    }

    /// The iproute2 command with the same effect. VLAN ops on a bridge
    /// itself need to know it is one: `bridge_self`.
    pub fn command_on(&self, bridge_self: bool) -> String {
        let me = if bridge_self { " self" } else { "" };
        match self {
            Op::CreateVxlan(s) => {
                let mut c = format!("ip link add {} type vxlan id {}", s.name, s.vni);
                if let Some(l) = s.local {
                    c += &format!(" local {l}");
                }
                if let Some(g) = s.group {
                    c += &format!(" group {g}");
                }
                if let Some(d) = &s.dev {
                    c += &format!(" dev {d}");
                }
                if let Some(a) = &s.address {
                    c += &format!(" address {a}");
                }
                c += &format!(" dstport {}", s.dstport);
                c += if s.learning {
                    " learning"
                } else {
                    " nolearning"
                };
                c
            }
            Op::DeleteLink { name, .. } => format!("ip link del {name}"),
            Op::SetMaster {
                dev,
                master: Some(m),
            } => format!("ip link set {dev} master {m}"),
            Op::SetMaster { dev, master: None } => format!("ip link set {dev} nomaster"),
            Op::SetPort {
                dev,
                neigh_suppress,
                learning,
            } => format!(
                "bridge link set dev {dev} neigh_suppress {} learning {}",
                on_off(*neigh_suppress),
                on_off(*learning)
            ),
            Op::SetVxlanLearning { dev, learning } => format!(
                "ip link set {dev} type vxlan {}",
                if *learning { "learning" } else { "nolearning" }
            ),
            Op::SetUp { dev, up } => {
                format!("ip link set {dev} {}", if *up { "up" } else { "down" })
            }
            Op::VlanAdd {
                dev,
                vid,
                pvid,
                untagged,
            } => format!(
                "bridge vlan add dev {dev} vid {vid}{}{}{me}",
                if *pvid { " pvid" } else { "" },
                if *untagged { " untagged" } else { "" }
            ),
            Op::VlanDel { dev, vid } => format!("bridge vlan del dev {dev} vid {vid}{me}"),
            Op::FloodAdd { dev, dst } => {
                format!("bridge fdb append 00:00:00:00:00:00 dev {dev} dst {dst} self permanent")
            }
            Op::FloodDel { dev, dst } => {
                format!("bridge fdb del 00:00:00:00:00:00 dev {dev} dst {dst} self")
            }
        }
    }

    /// The command, for a port (see [`Op::command_on`]).
    pub fn command(&self) -> String {
        self.command_on(false)
    }

    /// The command, knowing from `inv` whether a VLAN op is on a bridge.
    pub fn command_in(&self, inv: &Inventory) -> String {
        self.command_on(inv.link(self.device()).is_some_and(Link::is_bridge))
    }

    /// Whether `inv` already has what the op makes.
    pub fn done(&self, inv: &Inventory) -> bool {
        let link = inv.link(self.device());
        match self {
            Op::CreateVxlan(s) => link.and_then(Link::vxlan).is_some_and(|x| matches(s, x)),
            Op::DeleteLink { unless, .. } => {
                link.is_none_or(|l| unless.as_ref().is_some_and(|s| is_spec(l, s)))
            }
            // Releasing or downing a device that is gone is moot (rollback
            // after the operator deleted it).
            Op::SetMaster { master: None, .. } => link.is_none_or(|l| l.master.is_none()),
            Op::SetMaster { master, .. } => link.is_some_and(|l| l.master == *master),
            Op::SetUp { up: false, .. } => link.is_none_or(|l| !l.up),
            Op::SetPort {
                neigh_suppress,
                learning,
                ..
            } => link
                .and_then(|l| l.port.as_ref())
                .is_some_and(|p| p.neigh_suppress == *neigh_suppress && p.learning == *learning),
            Op::SetVxlanLearning { learning, .. } => link
                .and_then(Link::vxlan)
                .is_some_and(|x| x.learning == *learning),
            Op::SetUp { up, .. } => link.is_some_and(|l| l.up == *up),
            Op::VlanAdd {
                vid,
                pvid,
                untagged,
                ..
            } => link.and_then(vlans).is_some_and(|v| {
                v.contains(&PortVlan {
                    vid: *vid,
                    pvid: *pvid,
                    untagged: *untagged,
                })
            }),
            Op::VlanDel { vid, .. } => link
                .and_then(vlans)
                .is_none_or(|v| !v.iter().any(|x| x.vid == *vid)),
            Op::FloodAdd { dst, .. } => link
                .and_then(Link::vxlan)
                .is_some_and(|x| x.flood.contains(dst)),
            Op::FloodDel { dst, .. } => link
                .and_then(Link::vxlan)
                .is_none_or(|x| !x.flood.contains(dst)),
        }
    }

    /// Makes the change on the model, as the kernel would.
    pub fn apply(&self, inv: &mut Inventory) -> Result<(), ModelError> {
        let name = self.device().to_string();
        if let Op::CreateVxlan(s) = self {
            return match inv.link(&s.name) {
                Some(l) if l.vxlan().is_some_and(|x| matches(s, x)) => Ok(()),
                Some(l) => Err(ModelError::Conflict {
                    name,
                    what: format!("{:?}", l.kind),
                }),
                None => {
                    inv.links.push(created(s));
                    inv.normalise();
                    Ok(())
                }
            };
        }
        if let Op::SetMaster {
            master: Some(m), ..
        } = self
        {
            let aware = match inv.link(m) {
                Some(b) if b.is_bridge() => b.vlan_filtering(),
                Some(_) => return Err(ModelError::NotABridge(m.clone())),
                None => return Err(ModelError::NoSuchLink(m.clone())),
            };
            let l = inv.link_mut(&name).ok_or(ModelError::NoSuchLink(name))?;
            if l.master.as_ref() != Some(m) {
                l.master = Some(m.clone());
                let mut port = Port::default();
                if aware {
                    port.vlans.push(PortVlan {
                        vid: DEFAULT_VLAN,
                        pvid: true,
                        untagged: true,
                    });
                }
                l.port = Some(port);
            }
            return Ok(());
        }
        if let Op::DeleteLink { .. } = self {
            if !self.done(inv) {
                inv.links.retain(|l| l.name != name);
            }
            return Ok(());
        }
        let l = inv
            .link_mut(&name)
            .ok_or(ModelError::NoSuchLink(name.clone()))?;
        match self {
            Op::SetMaster { master: None, .. } => {
                l.master = None;
                l.port = None;
            }
            Op::SetPort {
                neigh_suppress,
                learning,
                ..
            } => {
                let p = l.port.as_mut().ok_or(ModelError::NotAPort(name))?;
                p.neigh_suppress = *neigh_suppress;
                p.learning = *learning;
            }
            Op::SetVxlanLearning { learning, .. } => {
                vxlan_mut(l, &name)?.learning = *learning;
            }
            Op::SetUp { up, .. } => l.up = *up,
            Op::VlanAdd {
                vid,
                pvid,
                untagged,
                ..
            } => {
                let v = vlans_mut(l).ok_or(ModelError::NotAPort(name))?;
                v.retain(|x| x.vid != *vid);
                if *pvid {
                    for x in v.iter_mut() {
                        x.pvid = false;
                    }
                }
                v.push(PortVlan {
                    vid: *vid,
                    pvid: *pvid,
                    untagged: *untagged,
                });
                v.sort();
            }
            Op::VlanDel { vid, .. } => {
                if let Some(v) = vlans_mut(l) {
                    v.retain(|x| x.vid != *vid);
                }
            }
            Op::FloodAdd { dst, .. } => {
                let x = vxlan_mut(l, &name)?;
                if !x.flood.contains(dst) {
                    x.flood.push(*dst);
                    x.flood.sort();
                }
            }
            Op::FloodDel { dst, .. } => vxlan_mut(l, &name)?.flood.retain(|d| d != dst),
            Op::CreateVxlan(_) | Op::DeleteLink { .. } | Op::SetMaster { .. } => {}
        }
        Ok(())
    }
}

fn is_spec(l: &Link, s: &VxlanSpec) -> bool {
    l.vxlan().is_some_and(|x| matches(s, x))
}

/// Whether an existing device is the one `s` describes.
fn matches(s: &VxlanSpec, x: &Vxlan) -> bool {
    x.vni == Some(s.vni)
        && x.local == s.local
        && x.group == s.group
        && x.dstport == s.dstport
        && x.learning == s.learning
        && !x.external
}

/// The model of a device `s` creates: down, no port, no flood entries.
fn created(s: &VxlanSpec) -> Link {
    Link {
        name: s.name.clone(),
        kind: Kind::Vxlan(Vxlan {
            vni: Some(s.vni),
            local: s.local,
            group: s.group,
            dev: s.dev.clone(),
            dstport: s.dstport,
            learning: s.learning,
            external: false,
            vnifilter: false,
            flood: Vec::new(),
        }),
        up: false,
        master: None,
        port: None,
        mac: s.address.clone(),
        addresses: Vec::new(),
    }
}

fn vlans(l: &Link) -> Option<&Vec<PortVlan>> {
    match &l.kind {
        Kind::Bridge { vlans, .. } => Some(vlans),
        _ => l.port.as_ref().map(|p| &p.vlans),
    }
}

fn vlans_mut(l: &mut Link) -> Option<&mut Vec<PortVlan>> {
    match &mut l.kind {
        Kind::Bridge { vlans, .. } => Some(vlans),
        _ => l.port.as_mut().map(|p| &mut p.vlans),
    }
}

fn vxlan_mut<'a>(l: &'a mut Link, name: &str) -> Result<&'a mut Vxlan, ModelError> {
    match &mut l.kind {
        Kind::Vxlan(x) => Ok(x),
        _ => Err(ModelError::NotVxlan(name.to_string())),
    }
}
