//! `evpnd-evpn`: the EVPN domain, without I/O (events in, outputs out).
//!
//! * Instances ([`instance`]): one MAC-VRF per VNI the kernel has.
//! * Local learning → origination: type 3 per VNI, type 2 MAC-only per local
//!   MAC and MAC+IP per local neighbour, with MAC mobility and sticky
//!   ([`mobility`]).
//! * Remote best paths → import by route target → the desired dataplane:
//!   remote MACs, flood entries (one per remote VTEP per VNI, refcounted over
//!   type-3 routes and the VNI's `static_vteps`, decided by their PMSI
//!   tunnel: [`flood`]), remote neighbours on the SVI. A route with a
//!   non-zero Ethernet Tag lands only in the VNI equal to it (VLAN-aware
//!   bundle, ADR 0032).
//!
//! * L3 tenants ([`tenant`], `[[evpn.vrf]]`): type-5 and host routes
//!   into tenant tables (ECMP over VTEPs), the Router's MAC entries, table
//!   mode's rules; type 5 and the L3 attributes of MAC+IP routes out.
//!
//! The core feeds it; the linux task receives its [`DesiredChange`]s.

mod bundle;
pub mod dataplane;
mod dense;
pub mod family;
pub mod flood;
mod import;
pub mod instance;
pub mod mobility;
pub mod origin;
mod statics;
pub mod tenant;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

pub use dataplane::{DesiredChange, LocalEvent, VniInfo};
use evpnd_config::{Config, Freeze};
use evpnd_wire::attr::PathAttribute;
use evpnd_wire::nlri::evpn::{EvpnKey, EvpnRoute};
use evpnd_wire::{MacAddr, RouteTarget, Vni};
pub use flood::{FloodSource, NoEntry, Tunnel};
use tracing::{info, warn};

pub use instance::Instance;
pub use mobility::{DadPolicy, MacState, Owner, RemoteMac, RemoteRoutes, RouteId};
pub use tenant::Tenant;

use import::{Routes, Stored, What};

/// A remote best path, as the core hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRoute {
    pub route: EvpnRoute,
    pub next_hop: IpAddr,
    pub rts: Vec<RouteTarget>,
    /// MAC mobility (sequence, sticky); (0, false) without the community.
    pub seq: u32,
    pub sticky: bool,
    /// Type 3: its PMSI tunnel attribute (`None`: absent), which decides
    /// the flood entry it gives each VNI ([`flood`]).
    pub tunnel: Option<Tunnel>,
    /// The Router's MAC extended community (RFC 9135 §8.1), when present:
    /// what a tenant route through this path's VTEP needs.
    pub router_mac: Option<MacAddr>,
}

/// A route this leaf originates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originated {
    pub route: EvpnRoute,
    pub next_hop: IpAddr,
    pub attrs: Vec<PathAttribute>,
    /// For best path: the MAC mobility sequence and sticky flag it carries.
    pub seq: u32,
    pub sticky: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Originate(Originated),
    Withdraw(EvpnKey),
    Dataplane(DesiredChange),
    /// The first VNI appeared: the core should hand over every remote best
    /// path so it can be imported (without instances it hands over none).
    /// Later VNIs import what the domain already holds, by route target.
    Reimport,
}

/// What we advertise for one local MAC: (sequence, sticky) and its IPs.
type Advertised = ((u32, bool), BTreeSet<IpAddr>);

/// Remote neighbour candidates for one (VNI, IP): route key → (MAC, rank).
type NeighCands = BTreeMap<EvpnKey, (MacAddr, RemoteMac)>;

pub struct Evpn {
    cfg: Arc<Config>,
    dad: DadPolicy,
    instances: BTreeMap<Vni, Instance>,
    /// Every remote best path handed over while instances exist, indexed
    /// by route targets (`import`).
    routes: Routes,
    /// Route imports into a VNI carried out (a diagnostic, and what the
    /// tests count: a VNI added must not re-import other VNIs' routes).
    applied: u64,
    /// Auto RD numbers of VNIs the configuration does not list (collision-free).
    auto_rds: evpnd_config::AutoRds,
    macs: dense::Dense<(Vni, MacAddr), MacState>,
    /// MACs frozen for a time (duplicate detection): what [`Evpn::tick`]
    /// looks at, instead of every MAC every second.
    frozen: HashSet<(Vni, MacAddr)>,
    /// What we advertise per MAC: (seq, sticky) and the IPs with it.
    advertised: HashMap<(Vni, MacAddr), Advertised>,
    local_neigh: HashMap<(Vni, IpAddr), MacAddr>,
    remote_neigh: HashMap<(Vni, IpAddr), NeighCands>,
    installed_neigh: HashMap<(Vni, IpAddr), MacAddr>,
    /// Flood entries and their sources (type 3s, `static_vteps`).
    flood: flood::Flood,
    /// `static_vteps` of the configured VNIs (the configuration's, kept
    /// apart so that a reload can change them).
    static_vteps: HashMap<Vni, BTreeSet<IpAddr>>,
    /// L3 tenants, in configuration order; by L3VNI; the L2VNIs' tenants.
    tenants: Vec<Tenant>,
    tenant_by_l3: HashMap<Vni, usize>,
    l2_tenant: HashMap<Vni, usize>,
    /// SVI addresses per VNI (connected subnets; never remote neighbours).
    svi_addrs: HashMap<Vni, BTreeSet<ipnet::IpNet>>,
    /// SVI MACs of our VNIs (anycast gateway), counted.
    svi_macs: HashMap<MacAddr, u32>,
    /// Routes of the kernel's tables not ours: (table, prefix) → protocol.
    table_routes: BTreeMap<(u32, ipnet::IpNet), u8>,
    /// Remote routes whose VTEP is of the other family than the VNI's
    /// VXLAN device: imported, never programmed.
    family_refused: family::Refused,
    out: Vec<Output>,
}

fn dad_policy(cfg: &Config) -> DadPolicy {
    let d = &cfg.evpn.duplicate_detection;
    DadPolicy {
        enabled: d.enabled,
        max_moves: d.max_moves,
        window_secs: u64::from(d.window),
        freeze: match d.freeze {
            Freeze::Off => None,
            Freeze::Seconds(s) => Some(Some(u64::from(s))),
            Freeze::Permanent => Some(None),
        },
    }
}

impl Evpn {
    pub fn new(cfg: Arc<Config>) -> Evpn {
        let tenants: Vec<Tenant> = cfg.evpn.vrf.iter().map(|v| Tenant::new(&cfg, v)).collect();
        let tenant_by_l3 = tenants
            .iter()
            .enumerate()
            .map(|(i, t)| (t.l3vni, i))
            .collect();
        Evpn {
            dad: dad_policy(&cfg),
            auto_rds: evpnd_config::AutoRds::new(&cfg),
            static_vteps: statics::configured(&cfg),
            cfg,
            instances: BTreeMap::new(),
            routes: Routes::default(),
            applied: 0,
            macs: dense::Dense::new(),
            frozen: HashSet::new(),
            advertised: HashMap::new(),
            local_neigh: HashMap::new(),
            remote_neigh: HashMap::new(),
            installed_neigh: HashMap::new(),
            flood: flood::Flood::default(),
            tenants,
            tenant_by_l3,
            l2_tenant: HashMap::new(),
            svi_addrs: HashMap::new(),
            svi_macs: HashMap::new(),
            table_routes: BTreeMap::new(),
            family_refused: family::Refused::default(),
            out: Vec::new(),
        }
    }

    /// The L3 tenants, in configuration order.
    pub fn tenants(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.iter()
    }

    /// What the last calls produced.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.instances.values()
    }

    pub fn macs(&self) -> impl Iterator<Item = (&(Vni, MacAddr), &MacState)> {
        self.macs.iter()
    }

    /// Remote VTEPs in each VNI's flood list, sorted.
    pub fn flood_list(&self) -> impl Iterator<Item = (Vni, IpAddr)> {
        self.flood.entries().into_iter()
    }

    /// Each remote VTEP of `vni` with the source of its flood entry, or
    /// why it has none (`evpnctl vnis`).
    pub fn flood_sources(&self, vni: Vni) -> Vec<(IpAddr, FloodSource)> {
        self.flood.sources(vni)
    }

    /// The static VTEPs in effect in `vni` (configured, of its family).
    pub fn static_vteps(&self, vni: Vni) -> Vec<IpAddr> {
        self.flood.statics(vni).collect()
    }

    /// Why a type 3 gives no flood entry, in the VNIs where it gives none
    /// (`VNI 100: same multicast group 239.1.1.1: no head-end entry`).
    pub fn flood_refusal(&self, key: &EvpnKey) -> Option<String> {
        let all: Vec<String> = self
            .instances
            .keys()
            .filter_map(|v| {
                self.flood
                    .no_entry(*v, key)
                    .map(|w| format!("VNI {v}: {w}"))
            })
            .collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    pub fn remote_neighbours(&self) -> impl Iterator<Item = (&(Vni, IpAddr), &MacAddr)> {
        self.installed_neigh.iter()
    }

    pub fn local_neighbours(&self) -> impl Iterator<Item = (&(Vni, IpAddr), &MacAddr)> {
        self.local_neigh.iter()
    }

    /// Imports of a route into a VNI carried out so far.
    pub fn imports_applied(&self) -> u64 {
        self.applied
    }

    /// Why a remote best path gives the kernel nothing in some VNI: its
    /// VTEP is of the other address family than the VNI's VXLAN device.
    pub fn family_refused(&self, key: &EvpnKey) -> Option<String> {
        self.family_refused.why(key)
    }

    /// Remote best paths refused now for their VTEP's family, and such
    /// refusals since the start.
    pub fn family_refusals(&self) -> (usize, u64) {
        (self.family_refused.len(), self.family_refused.count())
    }

    /// Remote best paths held (imported or waiting for a VNI).
    pub fn remote_routes_held(&self) -> usize {
        self.routes.len()
    }

    /// Whether the core needs to tell us about remote routes at all (no
    /// instance and no tenant: nothing is imported, a route reflector
    /// keeps no copy). A configured tenant holds its routes even while its
    /// L3VNI is absent.
    pub fn has_instances(&self) -> bool {
        !self.instances.is_empty() || !self.tenants.is_empty()
    }

    /// Kernel → us. `now` in seconds (monotonic).
    pub fn local_event(&mut self, ev: LocalEvent, now: u64) {
        match ev {
            LocalEvent::Vni(info) => {
                if !self.l3vni_up(&info) {
                    self.vni_up(info, now);
                }
            }
            LocalEvent::VniGone(vni) => {
                if !self.l3vni_down(vni) {
                    self.vni_down(vni, now);
                }
            }
            LocalEvent::Mac { vni, mac, sticky } => {
                if !self.instances.contains_key(&vni) {
                    return;
                }
                let m = self.macs.get_or_default((vni, mac));
                if !m.learn_local(sticky) {
                    warn!(%vni, %mac, "local learn of a MAC that is sticky on a remote VTEP: ignored");
                }
                self.settle_mac(vni, mac, now);
            }
            LocalEvent::MacGone { vni, mac } => {
                if let Some(m) = self.macs.get_mut(&(vni, mac)) {
                    m.local = None;
                    self.settle_mac(vni, mac, now);
                }
            }
            LocalEvent::Neigh { vni, ip, mac } => {
                if !self.instances.contains_key(&vni) {
                    return;
                }
                if let Some(old) = self.local_neigh.insert((vni, ip), mac)
                    && old != mac
                    && let Some(m) = self.macs.get_mut(&(vni, old))
                {
                    m.remove_local_ip(&ip);
                    self.settle_mac(vni, old, now);
                }
                self.macs.get_or_default((vni, mac)).add_local_ip(ip);
                self.settle_mac(vni, mac, now);
                self.settle_neigh(vni, ip);
            }
            LocalEvent::NeighGone { vni, ip } => {
                if let Some(mac) = self.local_neigh.remove(&(vni, ip)) {
                    if let Some(m) = self.macs.get_mut(&(vni, mac)) {
                        m.remove_local_ip(&ip);
                    }
                    self.settle_mac(vni, mac, now);
                    self.settle_neigh(vni, ip);
                }
            }
            LocalEvent::SviAddr { vni, addr } => self.svi_addr(vni, addr, true),
            LocalEvent::SviAddrGone { vni, addr } => self.svi_addr(vni, addr, false),
            LocalEvent::TableRoute {
                table,
                prefix,
                protocol,
            } => self.table_route(table, prefix, Some(protocol)),
            LocalEvent::TableRouteGone { table, prefix } => self.table_route(table, prefix, None),
            LocalEvent::Synced => {
                info!("kernel state learned");
                for t in self.tenants.iter_mut().filter(|t| !t.synced) {
                    t.synced = true;
                    t.refresh(&mut self.out);
                }
            }
            LocalEvent::Warning { vni, what } => match vni {
                Some(v) => warn!(vni = %v, "dataplane: {what}"),
                None => warn!("dataplane: {what}"),
            },
        }
    }

    fn vni_up(&mut self, info: VniInfo, now: u64) {
        if let Some(m) = family::DeviceMismatch::check(self.cfg.evpn.vtep_ip, info.local_ip) {
            warn!(vni = %info.vni, "dataplane: {m}");
            // A device that changed family: what it had goes.
            self.vni_down(info.vni, now);
            return;
        }
        let mut inst = Instance::new(&self.cfg, info);
        let vni = inst.vni;
        if self.cfg.vni(vni).is_none() {
            let Some(rd) = self.auto_rds.assign(vni) else {
                warn!(%vni, "no free auto RD number left under our router id: VNI ignored");
                return;
            };
            inst.rd = rd;
        }
        let old = self.instances.insert(vni, inst.clone());
        // Static VTEPs first: a type 3 of the same VTEP then finds its entry.
        self.apply_statics(vni);
        self.note_svi_mac(
            old.as_ref().and_then(|o| o.kernel.svi_mac),
            inst.kernel.svi_mac,
        );
        self.l2vni_joined(&inst.kernel);
        if let Some(o) = &old {
            if !family::same(o.vtep, inst.vtep) {
                // The device changed family: its routes are judged again.
                self.family_out(vni, |rts| inst.imports(rts), inst.vtep, now);
                self.family_in(vni, |rts| inst.imports(rts), now);
            }
            let group = inst.kernel.multicast_group();
            let regrouped = o.kernel.multicast_group() != group;
            if regrouped {
                info!(%vni, ?group, "the VXLAN device's multicast group changed: flooding decided again");
                self.flood.regroup(vni, group, &mut self.out);
            }
            if o.rd == inst.rd
                && o.vtep == inst.vtep
                && o.export_rts == inst.export_rts
                && o.ethernet_tag == inst.ethernet_tag
            {
                if regrouped {
                    // The same type 3 with the PMSI of the new flood mode.
                    self.out.push(Output::Originate(origin::imet(&inst)));
                }
                return; // only kernel details changed
            }
            self.out.push(Output::Withdraw(origin::imet(o).route.key()));
            // Re-advertise the local MACs under the new RD/VTEP.
            let macs: Vec<MacAddr> = self
                .advertised
                .keys()
                .filter(|(v, _)| *v == vni)
                .map(|(_, m)| *m)
                .collect();
            for mac in macs {
                if let Some((_, ips)) = self.advertised.remove(&(vni, mac)) {
                    self.withdraw_local(o, mac, &ips);
                }
                self.settle_mac(vni, mac, now);
            }
        } else {
            info!(%vni, rd = %inst.rd, vtep = %inst.vtep, "VNI found in the kernel: EVPN instance created");
            if self.instances.len() == 1 && self.tenants.is_empty() {
                // The core held back remote routes until now.
                self.out.push(Output::Reimport);
            } else {
                // Only the routes of the RT sets this instance imports.
                for set in self.routes.sets_matching(|rts| inst.imports(rts)) {
                    for (key, what) in self.routes.set_vni(&set, vni, true) {
                        if self.lands(&key, vni) {
                            self.apply(vni, &key, &what, now);
                        }
                    }
                }
            }
        }
        self.out.push(Output::Originate(origin::imet(&inst)));
    }

    fn vni_down(&mut self, vni: Vni, now: u64) {
        let Some(inst) = self.instances.remove(&vni) else {
            return;
        };
        self.auto_rds.release(vni);
        self.note_svi_mac(inst.kernel.svi_mac, None);
        self.l2vni_left(vni, false);
        info!(%vni, "VNI gone from the kernel: EVPN instance removed");
        self.out
            .push(Output::Withdraw(origin::imet(&inst).route.key()));
        let adv: Vec<MacAddr> = self
            .advertised
            .keys()
            .filter(|(v, _)| *v == vni)
            .map(|(_, m)| *m)
            .collect();
        for mac in adv {
            if let Some((_, ips)) = self.advertised.remove(&(vni, mac)) {
                self.withdraw_local(&inst, mac, &ips);
            }
        }
        // Un-import this VNI's routes (found by route target); the kernel
        // device is gone, so the desired entries go too.
        for set in self.routes.sets_matching(|rts| inst.imports(rts)) {
            for (key, what) in self.routes.set_vni(&set, vni, false) {
                if self.lands(&key, vni) {
                    self.unapply(vni, &key, &what, now);
                }
            }
        }
        // The device is gone: its static flood entries with it.
        self.flood.set_static(vni, BTreeSet::new(), &mut self.out);
        if !self.has_instances() {
            // The core hands over no routes without instances: what is
            // held would go stale. The next first VNI asks for them again.
            self.routes.clear();
        }
        self.family_refused.forget_vni(vni);
        self.macs.retain(|(v, _), _| *v != vni);
        self.frozen.retain(|(v, _)| *v != vni);
        self.local_neigh.retain(|(v, _), _| *v != vni);
    }

    /// The RIB's best path for `key` changed: `Some` when it is a remote
    /// path, `None` when it was withdrawn or the best is now local.
    pub fn remote_best(&mut self, key: &EvpnKey, route: Option<RemoteRoute>, now: u64) {
        let new = route.and_then(|r| What::of(&r).map(|w| (w, r.rts)));
        if let (Some(old), Some((what, rts))) = (self.routes.get(key), &new)
            && old.what == *what
            && *old.rts == rts[..]
        {
            return; // handed over again unchanged (a re-import): nothing to do
        }
        // Un-applied while still held (its MACs name it by its handle).
        let held = self
            .routes
            .imported_into(key)
            .map(|(old, vnis)| (old, vnis.to_vec()));
        if let Some((old, vnis)) = held {
            for vni in &vnis {
                if !self.lands(key, *vni) {
                    continue; // another member of its VLAN-aware bundle
                }
                if self.family_refused.remove(key, *vni) {
                    continue; // it gave the dataplane nothing
                }
                // A tenant keeping the route for the same prefix takes the
                // new path in place (no route flap on an attribute change).
                if let Some((what, rts)) = &new
                    && self.tenant_replaces(*vni, &old.what, what, rts)
                {
                    continue;
                }
                self.unapply(*vni, key, &old.what, now);
            }
            self.routes.remove(key);
        }
        let Some((what, rts)) = new else { return };
        let rts = self.routes.intern(&rts);
        // Routes of one RT set are imported into the same VNIs.
        let vnis: Vec<Vni> = match self.routes.vnis(&rts) {
            Some(v) => v.to_vec(),
            None => self
                .instances
                .values()
                .filter(|i| i.imports(&rts))
                .map(|i| i.vni)
                .chain(
                    self.tenants
                        .iter()
                        .filter(|t| t.imports(&rts))
                        .map(|t| t.l3vni),
                )
                .collect(),
        };
        // Held before it is applied: its MACs name it by its handle.
        self.routes
            .insert(key.clone(), Stored { rts, what }, vnis.clone());
        for vni in &vnis {
            if self.lands(key, *vni) {
                self.apply(*vni, key, &what, now);
            }
        }
    }

    fn apply(&mut self, vni: Vni, key: &EvpnKey, what: &What, now: u64) {
        if self.refuse_family(vni, key, what) {
            // A tenant may still hold the path this one replaces in place.
            if let Some(ti) = self.tenant_of_l3(vni) {
                self.tenant_apply(ti, key, what, false);
            }
            return;
        }
        if let Some(ti) = self.tenant_of_l3(vni) {
            self.tenant_apply(ti, key, what, true);
            return;
        }
        self.applied += 1;
        match *what {
            What::Mac {
                mac, ip, remote, ..
            } => {
                // Our anycast gateway MAC: never a remote entry, never a
                // move. Only a held route is applied, so it has a handle.
                if !self.is_gateway_mac(&mac)
                    && let Some(id) = self.routes.slot(key)
                {
                    self.macs
                        .get_or_default((vni, mac))
                        .remote
                        .insert(id, remote);
                    self.settle_mac(vni, mac, now);
                }
                if let Some(ip) = ip {
                    self.remote_neigh
                        .entry((vni, ip))
                        .or_default()
                        .insert(key.clone(), (mac, remote));
                    self.settle_neigh(vni, ip);
                }
            }
            What::Imet { tunnel } => {
                if let EvpnKey::Imet { originator, .. } = key {
                    let group = self
                        .instances
                        .get(&vni)
                        .and_then(|i| i.kernel.multicast_group());
                    self.flood
                        .add_route(vni, key, tunnel, *originator, group, &mut self.out);
                }
            }
            // Type 5 is for tenants only.
            What::Prefix { .. } => {}
        }
    }

    fn unapply(&mut self, vni: Vni, key: &EvpnKey, what: &What, now: u64) {
        if self.family_refused.remove(key, vni) {
            return; // it gave the dataplane nothing
        }
        if let Some(ti) = self.tenant_of_l3(vni) {
            self.tenant_apply(ti, key, what, false);
            return;
        }
        match *what {
            What::Mac { mac, ip, .. } => {
                // Un-applied while still held: it has its handle.
                if let Some(id) = self.routes.slot(key)
                    && let Some(s) = self.macs.get_mut(&(vni, mac))
                {
                    s.remote.remove(id);
                    self.settle_mac(vni, mac, now);
                }
                if let Some(ip) = ip
                    && let Some(c) = self.remote_neigh.get_mut(&(vni, ip))
                {
                    c.remove(key);
                    if c.is_empty() {
                        self.remote_neigh.remove(&(vni, ip));
                    }
                    self.settle_neigh(vni, ip);
                }
            }
            What::Imet { .. } => self.flood.remove_route(vni, key, &mut self.out),
            What::Prefix { .. } => {}
        }
    }

    /// Re-decides one MAC: what we advertise for it, what the kernel gets.
    fn settle_mac(&mut self, vni: Vni, mac: MacAddr, now: u64) {
        let Some(state) = self.macs.get_mut(&(vni, mac)) else {
            return;
        };
        let was_dup = state.duplicate;
        let owner = state.settle(now, &self.dad);
        if state.frozen_until().is_some_and(|t| t != u64::MAX) {
            self.frozen.insert((vni, mac));
        }
        if state.duplicate && !was_dup {
            warn!(%vni, %mac, max_moves = self.dad.max_moves, window = self.dad.window_secs,
                frozen = state.frozen_until().is_some(), "duplicate MAC detected (RFC 7432 §15.1)");
        }
        let local_ips = state.local_ips().clone();
        let empty = state.is_empty();
        // Advertisement.
        let want_adv = match owner {
            Some(Owner::Local { seq, sticky }) => Some(((seq, sticky), local_ips)),
            _ => None,
        };
        let have = self.advertised.get(&(vni, mac)).cloned();
        if want_adv != have
            && let Some(inst) = self.instances.get(&vni).cloned()
        {
            let l3 = self.l3_attrs(vni);
            match (&have, &want_adv) {
                (Some((hs, hips)), Some((ws, wips))) if hs == ws => {
                    let gone: BTreeSet<IpAddr> = hips.difference(wips).copied().collect();
                    self.withdraw_ips(&inst, mac, &gone);
                    for ip in wips.difference(hips) {
                        self.out.push(Output::Originate(origin::mac_ip(
                            &self.cfg,
                            &inst,
                            mac,
                            Some(*ip),
                            *ws,
                            l3.as_ref(),
                        )));
                    }
                }
                _ => {
                    if let Some((_, hips)) = &have {
                        if want_adv.is_none() {
                            self.withdraw_local(&inst, mac, hips);
                        } else {
                            let gone: BTreeSet<IpAddr> = hips
                                .difference(
                                    &want_adv.as_ref().map(|w| w.1.clone()).unwrap_or_default(),
                                )
                                .copied()
                                .collect();
                            self.withdraw_ips(&inst, mac, &gone);
                        }
                    }
                    if let Some((s, ips)) = &want_adv {
                        self.out.push(Output::Originate(origin::mac_ip(
                            &self.cfg, &inst, mac, None, *s, None,
                        )));
                        for ip in ips {
                            self.out.push(Output::Originate(origin::mac_ip(
                                &self.cfg,
                                &inst,
                                mac,
                                Some(*ip),
                                *s,
                                l3.as_ref(),
                            )));
                        }
                    }
                }
            }
            match want_adv {
                Some(w) => self.advertised.insert((vni, mac), w),
                None => self.advertised.remove(&(vni, mac)),
            };
        }
        // Kernel.
        let want_fdb = match owner {
            Some(Owner::Remote(r)) => Some((r.vtep, r.sticky)),
            _ => None,
        };
        let installed = self.macs.get_mut(&(vni, mac)).map(|m| &mut m.installed);
        if let Some(installed) = installed
            && *installed != want_fdb
        {
            *installed = want_fdb;
            let change = match want_fdb {
                Some((vtep, sticky)) => DesiredChange::RemoteMac {
                    vni,
                    mac,
                    vtep,
                    sticky,
                },
                None => DesiredChange::RemoteMacGone { vni, mac },
            };
            self.out.push(Output::Dataplane(change));
        }
        if empty && self.macs.get(&(vni, mac)).is_some_and(|m| !m.duplicate) {
            self.macs.remove(&(vni, mac));
        }
    }

    fn withdraw_local(&mut self, inst: &Instance, mac: MacAddr, ips: &BTreeSet<IpAddr>) {
        self.out.push(Output::Withdraw(
            origin::mac_ip(&self.cfg, inst, mac, None, (0, false), None)
                .route
                .key(),
        ));
        self.withdraw_ips(inst, mac, ips);
    }

    fn withdraw_ips(&mut self, inst: &Instance, mac: MacAddr, ips: &BTreeSet<IpAddr>) {
        for ip in ips {
            self.out.push(Output::Withdraw(
                origin::mac_ip(&self.cfg, inst, mac, Some(*ip), (0, false), None)
                    .route
                    .key(),
            ));
        }
    }

    /// Re-decides the remote neighbour for one IP on a VNI's SVI. A local
    /// neighbour for the IP wins, and an address of the SVI is never a
    /// remote neighbour; otherwise the best remote MAC+IP route.
    fn settle_neigh(&mut self, vni: Vni, ip: IpAddr) {
        let want = if self.local_neigh.contains_key(&(vni, ip)) || self.is_svi_addr(vni, ip) {
            None
        } else {
            self.remote_neigh.get(&(vni, ip)).and_then(|c| {
                c.values()
                    .max_by_key(|(_, r)| (r.sticky, r.seq, std::cmp::Reverse(r.vtep)))
                    .map(|(m, _)| *m)
            })
        };
        if self.installed_neigh.get(&(vni, ip)).copied() == want {
            return;
        }
        let change = match want {
            Some(mac) => {
                self.installed_neigh.insert((vni, ip), mac);
                DesiredChange::RemoteNeigh { vni, ip, mac }
            }
            None => {
                self.installed_neigh.remove(&(vni, ip));
                DesiredChange::RemoteNeighGone { vni, ip }
            }
        };
        self.out.push(Output::Dataplane(change));
    }

    /// Ends freezes whose time has come.
    pub fn tick(&mut self, now: u64) {
        let mut expired = Vec::new();
        self.frozen
            .retain(|k| match self.macs.get(k).and_then(|m| m.frozen_until()) {
                Some(t) if t <= now => {
                    expired.push(*k);
                    false
                }
                Some(_) => true,
                None => false,
            });
        expired.sort();
        for (vni, mac) in expired {
            info!(%vni, %mac, "duplicate MAC freeze over");
            self.clear_duplicate(vni, mac, now);
        }
    }

    /// The operator clears a duplicate (API). False if there is none.
    pub fn clear_duplicate(&mut self, vni: Vni, mac: MacAddr, now: u64) -> bool {
        match self.macs.get_mut(&(vni, mac)) {
            Some(m) if m.duplicate => {
                m.clear_duplicate();
                self.settle_mac(vni, mac, now);
                true
            }
            _ => false,
        }
    }
}
