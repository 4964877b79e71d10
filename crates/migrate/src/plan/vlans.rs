//! VLANs: per-VLAN bridges and VLAN-aware bridges, the VLANs that need a
//! new VXLAN device, their collisions, and the steps that add one.

use super::*;

impl Planner<'_> {
    /// A bridge: its VLANs that need a VXLAN device, or why it is left alone.
    pub(super) fn bridge(&mut self, b: &Link, refused: &BTreeSet<u32>, new: &mut Vec<NewDomain>) {
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
        let vids: BTreeSet<u16> = ports.iter().filter_map(|p| p.vlan_id()).collect();
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

    pub(super) fn vtep_ip(&self) -> Option<IpAddr> {
        self.opts
            .vtep_ip
            .or_else(|| self.inv.vxlans().find_map(|(_, x)| x.local))
    }

    /// VLANs that get a new device: checked for collisions, then planned.
    pub(super) fn new_domains(&mut self, new: &[NewDomain]) {
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

    pub(super) fn new_device(&mut self, d: &NewDomain, vni: u32, name: String, local: IpAddr) {
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
}
