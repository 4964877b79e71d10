//! Undoing an op: the ops that take the state after it back to the state
//! before it, worked out from the state before it.

use super::*;

impl Op {
    /// The ops that take `before` (the state just before this op) back from
    /// the state after it, in order.
    pub fn undo(&self, before: &Inventory) -> Vec<Op> {
        let name = self.device().to_string();
        let link = before.link(&name);
        match self {
            Op::CreateVxlan(_) => match link {
                // It was there already: nothing to undo.
                Some(_) => vec![],
                None => vec![Op::DeleteLink { name, unless: None }],
            },
            Op::DeleteLink { .. } => link.map(|l| recreate(l, before)).unwrap_or_default(),
            Op::SetMaster { .. } => {
                let Some(l) = link else { return vec![] };
                let mut out = vec![Op::SetMaster {
                    dev: name,
                    master: l.master.clone(),
                }];
                if l.port.is_some() {
                    out.extend(restore_port(l, before));
                }
                out
            }
            Op::SetPort { .. } => link
                .and_then(|l| l.port.as_ref())
                .map(|p| Op::SetPort {
                    dev: name,
                    neigh_suppress: p.neigh_suppress,
                    learning: p.learning,
                })
                .into_iter()
                .collect(),
            Op::SetVxlanLearning { .. } => link
                .and_then(Link::vxlan)
                .map(|x| Op::SetVxlanLearning {
                    dev: name,
                    learning: x.learning,
                })
                .into_iter()
                .collect(),
            Op::SetUp { .. } => link
                .map(|l| Op::SetUp {
                    dev: name,
                    up: l.up,
                })
                .into_iter()
                .collect(),
            Op::VlanAdd { vid, pvid, .. } => {
                let old = link.and_then(vlans).cloned().unwrap_or_default();
                let mut out = match old.iter().find(|x| x.vid == *vid) {
                    Some(x) => vec![vlan_add(&name, x)],
                    None => vec![Op::VlanDel {
                        dev: name.clone(),
                        vid: *vid,
                    }],
                };
                // Setting a PVID takes it from the VLAN that had it.
                if *pvid && let Some(x) = old.iter().find(|x| x.pvid && x.vid != *vid) {
                    out.push(vlan_add(&name, x));
                }
                out
            }
            Op::VlanDel { vid, .. } => link
                .and_then(vlans)
                .and_then(|v| v.iter().find(|x| x.vid == *vid))
                .map(|x| vlan_add(&name, x))
                .into_iter()
                .collect(),
            Op::FloodAdd { dst, .. } => vec![Op::FloodDel {
                dev: name,
                dst: *dst,
            }],
            Op::FloodDel { dst, .. } => vec![Op::FloodAdd {
                dev: name,
                dst: *dst,
            }],
        }
    }
}

fn vlan_add(dev: &str, x: &PortVlan) -> Op {
    Op::VlanAdd {
        dev: dev.to_string(),
        vid: x.vid,
        pvid: x.pvid,
        untagged: x.untagged,
    }
}

/// The spec that re-creates `x` as `name` with MAC `address`.
pub fn spec_of(name: &str, x: &Vxlan, address: Option<String>) -> Option<VxlanSpec> {
    Some(VxlanSpec {
        address,
        name: name.to_string(),
        vni: x.vni?,
        local: x.local,
        group: x.group,
        dev: x.dev.clone(),
        dstport: if x.dstport == 0 {
            VXLAN_PORT
        } else {
            x.dstport
        },
        learning: x.learning,
    })
}

/// The ops that bring a deleted VXLAN device back as it was: create,
/// enslave, port flags and VLANs, flood entries, up.
pub fn recreate(l: &Link, before: &Inventory) -> Vec<Op> {
    let Some(spec) = l.vxlan().and_then(|x| spec_of(&l.name, x, l.mac.clone())) else {
        return vec![];
    };
    let mut out = vec![Op::CreateVxlan(spec)];
    if l.master.is_some() {
        out.push(Op::SetMaster {
            dev: l.name.clone(),
            master: l.master.clone(),
        });
        out.extend(restore_port(l, before));
    }
    for dst in l.vxlan().map(|x| x.flood.clone()).unwrap_or_default() {
        out.push(Op::FloodAdd {
            dev: l.name.clone(),
            dst,
        });
    }
    if l.up {
        out.push(Op::SetUp {
            dev: l.name.clone(),
            up: true,
        });
    }
    out
}

/// Port flags and VLANs of `l` as they were, after it is enslaved again
/// (which gives it the defaults).
fn restore_port(l: &Link, before: &Inventory) -> Vec<Op> {
    let Some(p) = &l.port else { return vec![] };
    let mut out = vec![Op::SetPort {
        dev: l.name.clone(),
        neigh_suppress: p.neigh_suppress,
        learning: p.learning,
    }];
    let aware = l
        .master
        .as_deref()
        .and_then(|m| before.link(m))
        .is_some_and(Link::vlan_filtering);
    if aware {
        if !p.vlans.iter().any(|x| x.vid == DEFAULT_VLAN) {
            out.push(Op::VlanDel {
                dev: l.name.clone(),
                vid: DEFAULT_VLAN,
            });
        }
        out.extend(p.vlans.iter().map(|x| vlan_add(&l.name, x)));
    }
    out
}
