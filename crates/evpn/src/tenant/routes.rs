//! What a tenant asks of the kernel, decided per prefix.
//!
//! For a prefix, in order:
//! 1. a local source (connected, configured, redistributed) wins: no remote
//!    route; in table mode a connected subnet is copied into the table
//!    ([`RouteVia::Connected`]);
//! 2. else, with the L3VNI up and the table known, every usable remote
//!    path (ECMP): [`RouteVia::Vteps`], VTEPs sorted without duplicates;
//! 3. else, in table mode while a rule exists, the defaults
//!    (`0.0.0.0/0`, `::/0`) are [`RouteVia::Unreachable`].
//!
//! Each VTEP in use has its Router's MAC entries (FDB on the L3VNI,
//! neighbour on the L3 SVI, `::ffff:V` for IPv6 over an IPv4 VTEP),
//! refcounted by the installed routes through it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;
use tracing::warn;

use super::{Local, Path, Tenant, Vtep};
use crate::Output;
use crate::dataplane::{DesiredChange, RouteVia};

/// The two defaults of a table-mode tenant.
pub fn defaults() -> [IpNet; 2] {
    [
        IpNet::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0).unwrap_or_default(),
        IpNet::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0).unwrap_or_default(),
    ]
}

/// `::ffff:a.b.c.d`: the gateway of an IPv6 route over an IPv4 VTEP.
pub fn mapped(vtep: IpAddr) -> Option<IpAddr> {
    match vtep {
        IpAddr::V4(a) => Some(IpAddr::V6(a.to_ipv6_mapped())),
        IpAddr::V6(_) => None,
    }
}

/// A VTEP's Router's MAC entries, as FRR writes them: the MAC in the
/// L3VNI's FDB towards the VTEP, and VTEP → MAC on the L3 SVI.
fn rmac_entries(out: &mut Vec<Output>, l3vni: Vni, vtep: IpAddr, rmac: MacAddr) {
    push(
        out,
        DesiredChange::RemoteMac {
            vni: l3vni,
            mac: rmac,
            vtep,
            sticky: false,
        },
    );
    push(
        out,
        DesiredChange::RemoteNeigh {
            vni: l3vni,
            ip: vtep,
            mac: rmac,
        },
    );
}

fn push(out: &mut Vec<Output>, d: DesiredChange) {
    out.push(Output::Dataplane(d));
}

impl Tenant {
    /// A remote path for `prefix` arrived (or replaced the one of `key`).
    pub fn add_path(&mut self, prefix: IpNet, key: &EvpnKey, p: Path, out: &mut Vec<Output>) {
        let old = self.paths.entry(prefix).or_default().insert(key.clone(), p);
        if let Some(o) = old {
            self.forget_vtep_path(&o, out);
        }
        if p.usable()
            && let Some(rmac) = p.rmac
        {
            let v = self.vteps.entry(p.vtep).or_insert(Vtep {
                rmac,
                by_rmac: BTreeMap::new(),
                routes: 0,
                mapped: 0,
            });
            *v.by_rmac.entry(rmac).or_default() += 1;
            if v.rmac != rmac && v.by_rmac.contains_key(&v.rmac) {
                warn!(vrf = %self.name, vtep = %p.vtep, first = %v.rmac, other = %rmac,
                    "two Router's MACs from one VTEP in one tenant: the first is kept");
            }
            self.reselect_rmac(p.vtep, out);
        }
        self.settle(prefix, out);
    }

    /// The path of `key` for `prefix` is gone.
    pub fn remove_path(&mut self, prefix: IpNet, key: &EvpnKey, out: &mut Vec<Output>) {
        let Some(ps) = self.paths.get_mut(&prefix) else {
            return;
        };
        let Some(p) = ps.remove(key) else { return };
        if ps.is_empty() {
            self.paths.remove(&prefix);
        }
        self.settle(prefix, out);
        self.forget_vtep_path(&p, out);
    }

    fn forget_vtep_path(&mut self, p: &Path, out: &mut Vec<Output>) {
        let (true, Some(rmac)) = (p.usable(), p.rmac) else {
            return;
        };
        if let Some(v) = self.vteps.get_mut(&p.vtep)
            && let Some(n) = v.by_rmac.get_mut(&rmac)
        {
            *n -= 1;
            if *n == 0 {
                v.by_rmac.remove(&rmac);
            }
            self.reselect_rmac(p.vtep, out);
        }
    }

    /// The Router's MAC in use for `vtep` is carried by no path any more:
    /// another one takes over (its entries rewritten while routes use the
    /// VTEP); without paths or routes the VTEP is forgotten.
    fn reselect_rmac(&mut self, vtep: IpAddr, out: &mut Vec<Output>) {
        let l3vni = self.l3vni;
        let Some(v) = self.vteps.get_mut(&vtep) else {
            return;
        };
        if v.by_rmac.contains_key(&v.rmac) {
            return;
        }
        let Some(new) = v.by_rmac.keys().next().copied() else {
            if v.routes == 0 {
                self.vteps.remove(&vtep);
            }
            return;
        };
        let old = std::mem::replace(&mut v.rmac, new);
        if v.routes == 0 {
            return;
        }
        push(
            out,
            DesiredChange::RemoteMacGone {
                vni: l3vni,
                mac: old,
            },
        );
        rmac_entries(out, l3vni, vtep, new);
        if v.mapped > 0
            && let Some(m) = mapped(vtep)
        {
            push(
                out,
                DesiredChange::RemoteNeigh {
                    vni: l3vni,
                    ip: m,
                    mac: new,
                },
            );
        }
    }

    /// A local source of `prefix` appears (`on`) or goes.
    pub fn set_local(&mut self, prefix: IpNet, src: Local, on: bool, out: &mut Vec<Output>) {
        let set = self.local.entry(prefix).or_default();
        let changed = if on {
            set.insert(src)
        } else {
            set.remove(&src)
        };
        if set.is_empty() {
            self.local.remove(&prefix);
        }
        if changed {
            self.settle(prefix, out);
            self.settle_advertised(prefix, out);
        }
    }

    /// The VTEPs of the usable paths of `prefix`, sorted, no duplicates.
    fn usable_vteps(&self, prefix: &IpNet) -> Vec<IpAddr> {
        let set: BTreeSet<IpAddr> = self
            .paths
            .get(prefix)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|p| p.usable())
            .map(|p| p.vtep)
            .collect();
        set.into_iter().collect()
    }

    /// What the kernel should have for `prefix` (module comment).
    pub(crate) fn want(&self, prefix: &IpNet) -> Option<RouteVia> {
        if self.draining || !self.synced {
            return None;
        }
        self.table()?;
        if let Some(srcs) = self.local.get(prefix) {
            if self.table_mode() {
                // A connected copy; an SVI address's host route: nothing.
                return srcs.iter().find_map(|s| match s {
                    Local::Connected(vni) => Some(RouteVia::Connected { vni: *vni }),
                    _ => None,
                });
            }
            return None;
        }
        if self.up() {
            let vteps = self.usable_vteps(prefix);
            if !vteps.is_empty() {
                return Some(RouteVia::Vteps {
                    l3vni: self.l3vni,
                    vteps,
                });
            }
        }
        if self.table_mode() && !self.rules.is_empty() && defaults().contains(prefix) {
            return Some(RouteVia::Unreachable);
        }
        None
    }

    /// Makes the kernel's route for `prefix` what [`Tenant::want`] says.
    pub(crate) fn settle(&mut self, prefix: IpNet, out: &mut Vec<Output>) {
        let want = self.want(&prefix);
        let have = self.installed.get(&prefix).cloned();
        if want == have {
            return;
        }
        let v6 = prefix.addr().is_ipv6();
        if let Some(RouteVia::Vteps { vteps, .. }) = &want {
            for v in vteps {
                let had = matches!(&have, Some(RouteVia::Vteps { vteps: o, .. }) if o.contains(v));
                if !had {
                    self.vtep_ref(*v, v6, out);
                }
            }
        }
        match &want {
            Some(via) => {
                let Some(table) = self.table() else { return };
                self.installed_table = Some(table);
                self.installed.insert(prefix, via.clone());
                push(
                    out,
                    DesiredChange::Route {
                        table,
                        prefix,
                        via: via.clone(),
                    },
                );
            }
            None => {
                self.installed.remove(&prefix);
                if let Some(table) = self.installed_table {
                    push(out, DesiredChange::RouteGone { table, prefix });
                }
            }
        }
        if let Some(RouteVia::Vteps { vteps, .. }) = &have {
            for v in vteps {
                let keeps =
                    matches!(&want, Some(RouteVia::Vteps { vteps: n, .. }) if n.contains(v));
                if !keeps {
                    self.vtep_unref(*v, v6, out);
                }
            }
        }
    }

    /// One more installed route through `vtep`: its Router's MAC entries
    /// appear with the first.
    fn vtep_ref(&mut self, vtep: IpAddr, v6: bool, out: &mut Vec<Output>) {
        let l3vni = self.l3vni;
        let Some(v) = self.vteps.get_mut(&vtep) else {
            return;
        };
        v.routes += 1;
        if v.routes == 1 {
            rmac_entries(out, l3vni, vtep, v.rmac);
        }
        if v6 && let Some(m) = mapped(vtep) {
            v.mapped += 1;
            if v.mapped == 1 {
                push(
                    out,
                    DesiredChange::RemoteNeigh {
                        vni: l3vni,
                        ip: m,
                        mac: v.rmac,
                    },
                );
            }
        }
    }

    fn vtep_unref(&mut self, vtep: IpAddr, v6: bool, out: &mut Vec<Output>) {
        let l3vni = self.l3vni;
        let Some(v) = self.vteps.get_mut(&vtep) else {
            return;
        };
        if v6 && let Some(m) = mapped(vtep) {
            v.mapped = v.mapped.saturating_sub(1);
            if v.mapped == 0 {
                push(out, DesiredChange::RemoteNeighGone { vni: l3vni, ip: m });
            }
        }
        v.routes = v.routes.saturating_sub(1);
        if v.routes == 0 {
            push(
                out,
                DesiredChange::RemoteNeighGone {
                    vni: l3vni,
                    ip: vtep,
                },
            );
            push(
                out,
                DesiredChange::RemoteMacGone {
                    vni: l3vni,
                    mac: v.rmac,
                },
            );
            if v.by_rmac.is_empty() {
                self.vteps.remove(&vtep);
            }
        }
    }

    /// Table mode: the SVIs that get a rule (L2VNI SVIs and the L3 SVI,
    /// while they exist).
    fn want_rules(&self) -> BTreeSet<String> {
        if !self.table_mode() || !self.synced {
            return BTreeSet::new();
        }
        let mut s: BTreeSet<String> = self.l2.values().flatten().cloned().collect();
        if self.l3.is_some()
            && let Some(svi) = self.svi()
        {
            s.insert(svi);
        }
        s
    }

    /// Table mode: the rules of the SVIs that exist, and the unreachable
    /// defaults while there is one (an L2VNI joining or leaving costs this,
    /// not the tenant's routes).
    pub(crate) fn settle_rules(&mut self, out: &mut Vec<Output>) {
        let want = self.want_rules();
        if let Some(table) = self.table() {
            let priority = self.cfg.rule_priority;
            for iif in self.rules.difference(&want) {
                push(
                    out,
                    DesiredChange::RuleGone {
                        table,
                        iif: iif.clone(),
                        priority,
                    },
                );
            }
            for iif in want.difference(&self.rules) {
                push(
                    out,
                    DesiredChange::Rule {
                        table,
                        iif: iif.clone(),
                        priority,
                    },
                );
            }
        }
        self.rules = want;
        for p in defaults() {
            self.settle(p, out);
        }
    }

    /// Re-decides everything (the L3VNI, its table or the L2VNIs changed):
    /// rules, every prefix, what we advertise. Proportional to the tenant.
    pub(crate) fn refresh(&mut self, out: &mut Vec<Output>) {
        // A new table: what is in the old one goes first.
        if self.installed_table.is_some() && self.installed_table != self.table() {
            let prefixes: Vec<IpNet> = self.installed.keys().copied().collect();
            self.draining = true;
            for p in prefixes {
                self.settle(p, out);
            }
            self.draining = false;
            self.installed_table = self.table();
        }
        self.settle_rules(out);
        let mut prefixes: BTreeSet<IpNet> = self.paths.keys().copied().collect();
        prefixes.extend(self.local.keys().copied());
        prefixes.extend(self.installed.keys().copied());
        prefixes.extend(defaults());
        for p in prefixes {
            self.settle(p, out);
        }
        self.settle_all_advertised(out);
    }
}
