//! The domain's tenant glue: the L3VNI and the L2VNIs coming and going,
//! SVI addresses, tenant-table routes, imports into tenants, and the L3
//! attributes of our hosts' MAC+IP routes.

use std::collections::BTreeSet;
use std::net::IpAddr;

use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{MacAddr, Vni};
use ipnet::IpNet;
use tracing::{info, warn};

use super::{Local, Path, RouteSource, Tenant, host, link_local};
use crate::family::DeviceMismatch;
use crate::import::What;
use crate::{Evpn, VniInfo, origin};

/// `rtm_protocol` of the routes evpnd writes: never redistributed.
pub const OUR_PROTOCOL: u8 = 245;

impl Evpn {
    /// The tenant whose L3VNI this is.
    pub(crate) fn tenant_of_l3(&self, vni: Vni) -> Option<usize> {
        self.tenant_by_l3.get(&vni).copied()
    }

    /// The tenant an L2VNI routes in: its SVI's VRF master (by the
    /// tenant's `vrf_device`), else `[[evpn.vni]] vrf`.
    fn tenant_for_l2(&self, info: &VniInfo) -> Option<usize> {
        let by_master = info.vrf_master.as_ref().and_then(|m| {
            self.tenants
                .iter()
                .position(|t| t.cfg.vrf_device.as_deref() == Some(m.name.as_str()))
        });
        by_master.or_else(|| {
            let name = self.cfg.vni(info.vni)?.vrf.as_deref()?;
            self.tenants.iter().position(|t| t.name == name)
        })
    }

    /// An SVI MAC of ours (anycast gateway) or a configured gateway MAC:
    /// never a remote FDB entry, never a move.
    pub(crate) fn is_gateway_mac(&self, mac: &MacAddr) -> bool {
        self.svi_macs.contains_key(mac) || self.cfg.evpn.default_gateway_macs.contains(mac)
    }

    /// One of the VNI's SVI addresses: never a remote neighbour.
    pub(crate) fn is_svi_addr(&self, vni: Vni, ip: IpAddr) -> bool {
        self.svi_addrs
            .get(&vni)
            .is_some_and(|s| s.iter().any(|a| a.addr() == ip))
    }

    /// Counts SVI MACs (a VNI's changed from `old` to `new`).
    pub(crate) fn note_svi_mac(&mut self, old: Option<MacAddr>, new: Option<MacAddr>) {
        if old == new {
            return;
        }
        if let Some(m) = old
            && let Some(n) = self.svi_macs.get_mut(&m)
        {
            *n -= 1;
            if *n == 0 {
                self.svi_macs.remove(&m);
            }
        }
        if let Some(m) = new {
            *self.svi_macs.entry(m).or_default() += 1;
        }
    }

    /// The L3VNI of a tenant appeared or changed. False: not an L3VNI.
    pub(crate) fn l3vni_up(&mut self, info: &VniInfo) -> bool {
        let Some(ti) = self.tenant_of_l3(info.vni) else {
            return false;
        };
        if let Some(m) = DeviceMismatch::check(self.cfg.evpn.vtep_ip, info.local_ip) {
            warn!(vrf = %self.tenants[ti].name, l3vni = %info.vni, "dataplane: {m}");
            if self.tenants[ti].l3.is_some() {
                self.l3vni_down(info.vni);
            }
            return true;
        }
        // A device changing family: what it refuses from now on goes first.
        let old_local = self.local_vtep(info.vni);
        let new_local = info.local_ip.or(self.cfg.evpn.vtep_ip);
        let refamily = old_local.map(|a| a.is_ipv4()) != new_local.map(|a| a.is_ipv4());
        let import = self.tenants[ti].import.clone();
        let imports = |rts: &[evpnd_wire::RouteTarget]| {
            rts.iter().any(|rt| import.iter().any(|m| m.matches(rt)))
        };
        if refamily && let Some(local) = new_local {
            self.family_out(info.vni, imports, local, 0);
        }
        let old_mac = self.tenants[ti].l3.as_ref().and_then(|i| i.svi_mac);
        self.note_svi_mac(old_mac, info.svi_mac);
        if self.tenants[ti].l3.as_ref() == Some(info) {
            return true;
        }
        if self.tenants[ti].l3.is_none() {
            info!(vrf = %self.tenants[ti].name, l3vni = %info.vni, up = info.up,
                "L3VNI found in the kernel: tenant anchored");
        }
        self.l3vni_changed(ti, Some(info.clone()));
        if refamily {
            self.family_in(info.vni, imports, 0);
        }
        true
    }

    /// The L3VNI of a tenant is gone. False: not an L3VNI.
    pub(crate) fn l3vni_down(&mut self, vni: Vni) -> bool {
        let Some(ti) = self.tenant_of_l3(vni) else {
            return false;
        };
        let old_mac = self.tenants[ti].l3.as_ref().and_then(|i| i.svi_mac);
        self.note_svi_mac(old_mac, None);
        info!(vrf = %self.tenants[ti].name, l3vni = %vni, "L3VNI gone from the kernel: tenant routes held");
        self.l3vni_changed(ti, None);
        true
    }

    fn l3vni_changed(&mut self, ti: usize, l3: Option<VniInfo>) {
        let t = &mut self.tenants[ti];
        let (orig, table) = (t.originating(), t.table());
        t.l3 = l3;
        let table_now = t.table();
        if table != table_now {
            self.redistribute_table(ti, table, false);
            self.redistribute_table(ti, table_now, true);
        }
        self.tenants[ti].refresh(&mut self.out);
        if orig != self.tenants[ti].originating() {
            let l2: BTreeSet<Vni> = self.tenants[ti].l2.keys().copied().collect();
            self.reoriginate_hosts_of(&l2);
        }
    }

    /// Adds (or removes) the redistributed routes of `table` to tenant `ti`.
    fn redistribute_table(&mut self, ti: usize, table: Option<u32>, on: bool) {
        let Some(table) = table else { return };
        let routes: Vec<(IpNet, u8)> = self
            .table_routes
            .range((table, IpNet::default())..)
            .take_while(|((t, _), _)| *t == table)
            .map(|((_, p), proto)| (*p, *proto))
            .collect();
        for (prefix, proto) in routes {
            let take = on && redistributes(&self.tenants[ti], prefix, proto);
            self.tenants[ti].set_local(prefix, Local::Redistributed, take, &mut self.out);
        }
    }

    /// An L2VNI's instance was created or its kernel details changed:
    /// which tenant it belongs to now.
    pub(crate) fn l2vni_joined(&mut self, info: &VniInfo) {
        let vni = info.vni;
        let now = self.tenant_for_l2(info);
        let before = self.l2_tenant.get(&vni).copied();
        if before != now {
            if before.is_some() {
                self.l2vni_left(vni, true);
            }
            let Some(ti) = now else { return };
            self.l2_tenant.insert(vni, ti);
            let t = &mut self.tenants[ti];
            info!(vrf = %t.name, %vni, "L2VNI routes in the tenant");
            t.l2.insert(vni, info.svi_name.clone());
            for a in self.svi_addrs.get(&vni).into_iter().flatten() {
                if !link_local(a.addr()) {
                    t.set_local(a.trunc(), Local::Connected(vni), true, &mut self.out);
                    t.set_local(host(a.addr()), Local::Address(vni), true, &mut self.out);
                }
            }
            t.settle_rules(&mut self.out);
            self.reoriginate_hosts(vni);
        } else if let Some(ti) = now
            && self.tenants[ti].l2.get(&vni) != Some(&info.svi_name)
        {
            self.tenants[ti].l2.insert(vni, info.svi_name.clone());
            self.tenants[ti].settle_rules(&mut self.out);
        }
    }

    /// An L2VNI leaves its tenant (`exists`: its instance stays, its
    /// hosts' routes are re-originated without the L3 attributes).
    pub(crate) fn l2vni_left(&mut self, vni: Vni, exists: bool) {
        let Some(ti) = self.l2_tenant.remove(&vni) else {
            return;
        };
        let t = &mut self.tenants[ti];
        t.l2.remove(&vni);
        for a in self.svi_addrs.get(&vni).into_iter().flatten() {
            t.set_local(a.trunc(), Local::Connected(vni), false, &mut self.out);
            t.set_local(host(a.addr()), Local::Address(vni), false, &mut self.out);
        }
        t.settle_rules(&mut self.out);
        if exists {
            self.reoriginate_hosts(vni);
        }
    }

    /// An address on a VNI's SVI appeared (`on`) or went.
    pub(crate) fn svi_addr(&mut self, vni: Vni, addr: IpNet, on: bool) {
        let set = self.svi_addrs.entry(vni).or_default();
        let changed = if on {
            set.insert(addr)
        } else {
            set.remove(&addr)
        };
        if set.is_empty() {
            self.svi_addrs.remove(&vni);
        }
        if !changed {
            return;
        }
        if let Some(ti) = self.l2_tenant.get(&vni).copied()
            && !link_local(addr.addr())
        {
            // Another address of the VNI in the same subnet keeps it.
            let subnet = addr.trunc();
            let still = self
                .svi_addrs
                .get(&vni)
                .is_some_and(|s| s.iter().any(|a| a.trunc() == subnet));
            let t = &mut self.tenants[ti];
            t.set_local(subnet, Local::Connected(vni), still, &mut self.out);
            t.set_local(host(addr.addr()), Local::Address(vni), on, &mut self.out);
        }
        self.settle_neigh(vni, addr.addr());
    }

    /// A route of some table (not ours) appeared, changed (`Some`) or went.
    pub(crate) fn table_route(&mut self, table: u32, prefix: IpNet, protocol: Option<u8>) {
        match protocol {
            Some(p) => self.table_routes.insert((table, prefix), p),
            None => self.table_routes.remove(&(table, prefix)),
        };
        for ti in 0..self.tenants.len() {
            if self.tenants[ti].table() != Some(table) {
                continue;
            }
            let take = protocol.is_some_and(|p| redistributes(&self.tenants[ti], prefix, p));
            self.tenants[ti].set_local(prefix, Local::Redistributed, take, &mut self.out);
        }
    }

    /// Whether the route of a key changing from `old` to `new` (with
    /// route targets `rts`) stays in the tenant of L3VNI `vni` for the same
    /// prefix: its path is then replaced, not withdrawn and added.
    pub(crate) fn tenant_replaces(
        &self,
        vni: Vni,
        old: &What,
        new: &What,
        rts: &[evpnd_wire::RouteTarget],
    ) -> bool {
        self.tenant_of_l3(vni)
            .is_some_and(|ti| self.tenants[ti].imports(rts))
            && tenant_prefix(old).is_some()
            && tenant_prefix(old) == tenant_prefix(new)
    }

    /// A route imported into tenant `ti` (`add`) or no longer.
    pub(crate) fn tenant_apply(&mut self, ti: usize, key: &EvpnKey, what: &What, add: bool) {
        let (prefix, path) = match *what {
            What::Prefix {
                prefix,
                vtep,
                rmac,
                overlay,
            } => {
                let path = Path {
                    vtep,
                    rmac,
                    source: RouteSource::IpPrefix,
                    overlay,
                };
                (prefix.trunc(), path)
            }
            What::Mac {
                ip: Some(ip),
                remote,
                rmac,
                ..
            } if !link_local(ip) => {
                let path = Path {
                    vtep: remote.vtep,
                    rmac,
                    source: RouteSource::MacIp,
                    overlay: None,
                };
                (host(ip), path)
            }
            _ => return,
        };
        self.applied += 1;
        let t = &mut self.tenants[ti];
        if add {
            t.add_path(prefix, key, path, &mut self.out);
        } else {
            t.remove_path(prefix, key, &mut self.out);
        }
    }

    /// The L3 attributes the MAC+IP routes of this L2VNI's hosts carry.
    pub(crate) fn l3_attrs(&self, vni: Vni) -> Option<super::origin::L3Attrs> {
        let ti = self.l2_tenant.get(&vni)?;
        self.tenants[*ti].l3_attrs()
    }

    /// Our MAC+IP routes in `vni`, again (their L3 attributes changed).
    pub(crate) fn reoriginate_hosts(&mut self, vni: Vni) {
        self.reoriginate_hosts_of(&BTreeSet::from([vni]));
    }

    /// Our MAC+IP routes in these VNIs, again: one pass over what we
    /// advertise, whatever the number of VNIs.
    fn reoriginate_hosts_of(&mut self, vnis: &BTreeSet<Vni>) {
        let mut hosts: Vec<((Vni, MacAddr), crate::Advertised)> = self
            .advertised
            .iter()
            .filter(|((v, _), (_, ips))| vnis.contains(v) && !ips.is_empty())
            .map(|(k, a)| (*k, a.clone()))
            .collect();
        hosts.sort_by_key(|h| h.0);
        for ((vni, mac), (s, ips)) in hosts {
            let Some(inst) = self.instances.get(&vni) else {
                continue;
            };
            let l3 = self.l3_attrs(vni);
            for ip in ips {
                let o = origin::mac_ip(&self.cfg, inst, mac, Some(ip), s, l3.as_ref());
                self.out.push(crate::Output::Originate(o));
            }
        }
    }
}

/// The tenant prefix a route gives: a type 5's prefix, a MAC+IP's host
/// route (not link-local); `None` for the rest.
pub(crate) fn tenant_prefix(what: &What) -> Option<IpNet> {
    match *what {
        What::Prefix { prefix, .. } => Some(prefix.trunc()),
        What::Mac { ip: Some(ip), .. } if !link_local(ip) => Some(host(ip)),
        _ => None,
    }
}

/// Whether tenant `t` advertises a route of its table: a protocol it
/// redistributes, inside `redistribute_prefixes` (when any), not ours,
/// not link-local.
fn redistributes(t: &Tenant, prefix: IpNet, protocol: u8) -> bool {
    protocol != OUR_PROTOCOL
        && !link_local(prefix.addr())
        && t.cfg.redistribute.iter().any(|p| p.0 == protocol)
        && (t.cfg.redistribute_prefixes.is_empty()
            || t.cfg
                .redistribute_prefixes
                .iter()
                .any(|r| r.contains(&prefix)))
}
