//! Existing VXLAN devices: they keep their VNI; flood-and-learn ones get
//! `static_vteps`, group ones keep the group or are re-created for
//! ingress replication.

use super::*;

impl Planner<'_> {
    /// The VLAN of an existing device's broadcast domain: its PVID on a
    /// VLAN-aware bridge, the bridge's VLAN sub-interface otherwise.
    pub(super) fn vlan_of(&self, l: &Link) -> Option<u16> {
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
        self.inv.ports(&bridge.name).find_map(Link::vlan_id)
    }

    /// An existing VXLAN device: keeps its VNI.
    pub(super) fn existing(&mut self, l: &Link, vni: u32) {
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
        } else if x.learning {
            // Flood-and-learn. (Flood entries on a device that does not
            // learn are EVPN's: evpnd programs them too, and the kernel
            // keeps no owner mark on them, ADR 0008.)
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
    pub(super) fn recreate_without_group(&mut self, l: &Link, vni: u32) {
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
}
