//! Repair scans of the linux task: which units to re-read after lost
//! notifications, and the scan's start, items and end (ADR 0016).

use super::*;

impl Task {
    /// What a full re-read takes, in units of bounded size: each VXLAN
    /// device (our remote MACs and flood entries), each bridge's access
    /// ports (local MACs), each SVI (neighbours).
    pub(super) fn units(&self) -> Vec<Unit> {
        let mut ours: HashMap<Vni, usize> = HashMap::new();
        let mut neigh: HashMap<Vni, usize> = HashMap::new();
        for k in self.rec.actual().keys() {
            let n = if matches!(k, Key::Neigh { .. }) {
                &mut neigh
            } else {
                &mut ours
            };
            *n.entry(k.vni()).or_default() += 1;
        }
        let mut local: HashMap<Vni, usize> = HashMap::new();
        for (v, _) in self.local_macs.keys() {
            *local.entry(*v).or_default() += 1;
        }
        let mut by_vxlan: BTreeMap<u32, BTreeSet<Vni>> = BTreeMap::new();
        let mut by_bridge: BTreeMap<u32, BTreeSet<Vni>> = BTreeMap::new();
        let mut by_svi: BTreeMap<u32, BTreeSet<Vni>> = BTreeMap::new();
        for (vni, info) in &self.layout.vnis {
            by_vxlan.entry(info.vxlan_ifindex).or_default().insert(*vni);
            if let Some(b) = info.bridge_ifindex {
                by_bridge.entry(b).or_default().insert(*vni);
            }
            if let Some(s) = info.svi_ifindex {
                by_svi.entry(s).or_default().insert(*vni);
            }
        }
        let sum = |m: &HashMap<Vni, usize>, vnis: &BTreeSet<Vni>| {
            vnis.iter()
                .map(|v| m.get(v).copied().unwrap_or(0))
                .sum::<usize>()
        };
        let mut items = Vec::new();
        for (dev, vnis) in &by_vxlan {
            let n = sum(&ours, vnis);
            let scope = Scope {
                vnis: vnis.clone(),
                ours_fdb: true,
                ..Scope::default()
            };
            items.push((
                Unit {
                    fdb_ports: vec![*dev],
                    neigh_devs: Vec::new(),
                    scope,
                    tables: false,
                },
                n,
            ));
        }
        for (bridge, vnis) in &by_bridge {
            let ports: Vec<u32> = self
                .links
                .values()
                .filter(|l| l.master == Some(*bridge) && !by_vxlan.contains_key(&l.index))
                .map(|l| l.index)
                .collect();
            let scope = Scope {
                vnis: vnis.clone(),
                local_macs: true,
                ..Scope::default()
            };
            items.push((
                Unit {
                    fdb_ports: ports,
                    neigh_devs: Vec::new(),
                    scope,
                    tables: false,
                },
                sum(&local, vnis),
            ));
        }
        for (svi, vnis) in &by_svi {
            let scope = Scope {
                vnis: vnis.clone(),
                neigh: true,
                ..Scope::default()
            };
            items.push((
                Unit {
                    fdb_ports: Vec::new(),
                    neigh_devs: vec![*svi],
                    scope,
                    tables: false,
                },
                sum(&neigh, vnis),
            ));
        }
        crate::repair::group(items)
    }

    /// A scan of `unit` starts: its dumps, as a stream.
    pub(super) fn scan_begin(&mut self, unit: Unit) -> ScanStream {
        debug!(?unit, "scan");
        self.rec.scan_begin(unit.scope.clone());
        self.local_scan = Some(LocalScan {
            scope: unit.scope.clone(),
            macs: Sweep::default(),
            neigh: Sweep::default(),
        });
        crate::dumps::scan(&self.dumps, &unit)
    }

    /// One message of the scan's dumps; `Err` when a dump failed.
    pub(super) async fn scanned(&mut self, item: Scanned) -> Result<(), String> {
        match item {
            Scanned::Neigh(m) => {
                self.neighbour(&m, true, true).await;
                Ok(())
            }
            Scanned::Failed(e) => {
                self.scan_abort();
                Err(e)
            }
        }
    }

    /// The scan's dumps are complete: what they did not show is gone.
    pub(super) async fn scan_end(&mut self) {
        let gone = self.rec.scan_end();
        if gone > 0 {
            info!(
                entries = gone,
                "repair scan: entries of ours were gone from the kernel"
            );
        }
        let Some(scan) = self.local_scan.take() else {
            return;
        };
        let covered = |v: &Vni| scan.scope.vnis.contains(v);
        if scan.scope.local_macs {
            let stale = scan
                .macs
                .stale(self.local_macs.keys().filter(|(v, _)| covered(v)));
            for (vni, mac) in stale {
                self.local_macs.remove(&(vni, mac));
                self.emit(LocalEvent::MacGone { vni, mac }).await;
            }
        }
        if scan.scope.neigh {
            let stale = scan
                .neigh
                .stale(self.local_neigh.keys().filter(|(v, _)| covered(v)));
            for (vni, ip) in stale {
                self.local_neigh.remove(&(vni, ip));
                self.emit(LocalEvent::NeighGone { vni, ip }).await;
            }
        }
    }

    pub(super) fn scan_abort(&mut self) {
        self.rec.scan_abort();
        self.local_scan = None;
    }
}
