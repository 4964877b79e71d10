//! VTEP address families: a VXLAN device sends and receives over one
//! family, the one of its `local` address (IPv4 without one). Its FDB
//! entries must name remote VTEPs of that family; the kernel would accept
//! an entry of the other family and then drop every frame sent to it.
//!
//! The domain refuses what cannot work instead, with its reason:
//! * a VXLAN device whose `local` is of the other family than
//!   `[evpn] vtep_ip` (we would advertise a VTEP the device does not send
//!   from): the VNI gets no EVPN instance, an L3VNI anchors no tenant
//!   ([`DeviceMismatch`]);
//! * a remote type 2 / type 5 (next hop) or type 3 (PMSI tunnel endpoint)
//!   whose VTEP is of the other family than the device of the VNI (or
//!   L3VNI) it is imported into: kept, imported, never programmed
//!   ([`VtepMismatch`]), and `explain` says why;
//! * a device that changes family: what it refuses from now on is taken
//!   out before anything is installed through the new one, then what it
//!   no longer refuses is put in.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;

use evpnd_wire::nlri::evpn::EvpnKey;
use evpnd_wire::{RouteTarget, Vni};
use tracing::{debug, warn};

use crate::Evpn;
use crate::flood::Tunnel;
use crate::import::What;

/// `IPv4` or `IPv6`, as the messages spell it.
pub fn name(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

/// Whether two addresses are of one family (an IPv4-mapped IPv6 address
/// counts as IPv6: that is how the kernel would use it).
pub fn same(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// A VXLAN device whose `local` is not of `[evpn] vtep_ip`'s family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceMismatch {
    pub local: IpAddr,
    pub vtep_ip: IpAddr,
}

impl DeviceMismatch {
    /// The mismatch, if `local` and `vtep_ip` are both known and differ in
    /// family.
    pub fn check(vtep_ip: Option<IpAddr>, local: Option<IpAddr>) -> Option<DeviceMismatch> {
        match (vtep_ip, local) {
            (Some(v), Some(l)) if !same(v, l) => Some(DeviceMismatch {
                local: l,
                vtep_ip: v,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for DeviceMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the VXLAN device's local {} is {} but [evpn] vtep_ip {} is {}: the VNI is not programmed (set vtep_ip to an address of the device's family, or the device's local to vtep_ip)",
            self.local,
            name(self.local),
            self.vtep_ip,
            name(self.vtep_ip)
        )
    }
}

/// A remote route's VTEP of the other family than the VNI's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VtepMismatch {
    pub vni: Vni,
    /// The route's next hop (type 2) or PMSI tunnel endpoint (type 3).
    pub remote: IpAddr,
    /// Our VTEP address in that VNI (the device's family).
    pub local: IpAddr,
}

impl fmt::Display for VtepMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VNI {}: remote VTEP {} is {}, the VNI's VXLAN device is {} ({})",
            self.vni,
            self.remote,
            name(self.remote),
            name(self.local),
            self.local
        )
    }
}

/// The remote routes refused per VNI for their VTEP's family, and how many
/// times one was.
#[derive(Debug, Default)]
pub struct Refused {
    routes: HashMap<EvpnKey, BTreeMap<Vni, VtepMismatch>>,
    count: u64,
}

impl Refused {
    /// Records a refusal; true when it is new (for logging).
    pub fn insert(&mut self, key: &EvpnKey, m: VtepMismatch) -> bool {
        let per = self.routes.entry(key.clone()).or_default();
        let new = per.insert(m.vni, m).is_none();
        if new {
            self.count += 1;
        }
        new
    }

    /// Forgets the refusal of `key` in `vni`; true when there was one (the
    /// route gave the dataplane nothing there).
    pub fn remove(&mut self, key: &EvpnKey, vni: Vni) -> bool {
        let Some(per) = self.routes.get_mut(key) else {
            return false;
        };
        let had = per.remove(&vni).is_some();
        if per.is_empty() {
            self.routes.remove(key);
        }
        had
    }

    /// Whether `key` is refused in `vni`.
    pub fn contains(&self, key: &EvpnKey, vni: Vni) -> bool {
        self.routes
            .get(key)
            .is_some_and(|per| per.contains_key(&vni))
    }

    /// Why `key` is not programmed, in the VNIs that refused it.
    pub fn why(&self, key: &EvpnKey) -> Option<String> {
        let per = self.routes.get(key)?;
        let all: Vec<String> = per.values().map(|m| m.to_string()).collect();
        Some(all.join("; "))
    }

    /// Routes refused now (in at least one VNI).
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Refusals since the start.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The VNI is gone: its refusals with it.
    pub fn forget_vni(&mut self, vni: Vni) {
        self.routes.retain(|_, per| {
            per.remove(&vni);
            !per.is_empty()
        });
    }
}

impl Evpn {
    /// Our VTEP address in `vni` as far as its family is known: an L2VNI's
    /// instance VTEP; a tenant's L3VNI `local`, else `[evpn] vtep_ip`.
    pub(crate) fn local_vtep(&self, vni: Vni) -> Option<IpAddr> {
        match self.tenant_of_l3(vni) {
            Some(ti) => self.tenants[ti]
                .l3
                .as_ref()
                .and_then(|i| i.local_ip)
                .or(self.cfg.evpn.vtep_ip),
            None => self.instances.get(&vni).map(|i| i.vtep),
        }
    }

    /// A remote route's VTEP (type 2/5 next hop, type 3 PMSI endpoint) of
    /// the other family than `local`, our VTEP in `vni`.
    fn mismatch_with(vni: Vni, local: IpAddr, what: &What) -> Option<VtepMismatch> {
        let remote = match *what {
            What::Mac { remote, .. } => remote.vtep,
            What::Imet {
                tunnel: Some(Tunnel::IngressReplication { endpoint }),
            } => endpoint,
            What::Imet {
                tunnel: Some(Tunnel::Multicast { sender, .. }),
            } => sender,
            What::Prefix { vtep, .. } => vtep,
            What::Imet { .. } => return None,
        };
        (!same(remote, local)).then_some(VtepMismatch { vni, remote, local })
    }

    /// [`Self::mismatch_with`] our VTEP in `vni` as known now.
    fn family_mismatch(&self, vni: Vni, what: &What) -> Option<VtepMismatch> {
        Self::mismatch_with(vni, self.local_vtep(vni)?, what)
    }

    /// The routes imported into `vni` (found by `imports`).
    fn imported(&self, vni: Vni, imports: impl Fn(&[RouteTarget]) -> bool) -> Vec<(EvpnKey, What)> {
        self.routes
            .sets_matching(imports)
            .iter()
            .filter(|set| self.routes.vnis(set).is_some_and(|v| v.contains(&vni)))
            .flat_map(|set| self.routes.of_set(set))
            .filter(|(key, _)| self.lands(key, vni))
            .collect()
    }

    /// `vni`'s device is about to be of `local`'s family: the routes it
    /// refuses from now on are taken out first (before the new device
    /// state installs anything through them).
    pub(crate) fn family_out(
        &mut self,
        vni: Vni,
        imports: impl Fn(&[RouteTarget]) -> bool,
        local: IpAddr,
        now: u64,
    ) {
        for (key, what) in self.imported(vni, imports) {
            if self.family_refused.contains(&key, vni) {
                continue;
            }
            if let Some(m) = Self::mismatch_with(vni, local, &what) {
                self.unapply(vni, &key, &what, now);
                self.family_refused.insert(&key, m);
            }
        }
    }

    /// `vni`'s device changed family: the routes it no longer refuses are
    /// put in.
    pub(crate) fn family_in(
        &mut self,
        vni: Vni,
        imports: impl Fn(&[RouteTarget]) -> bool,
        now: u64,
    ) {
        for (key, what) in self.imported(vni, imports) {
            if self.family_refused.contains(&key, vni) && self.family_mismatch(vni, &what).is_none()
            {
                self.family_refused.remove(&key, vni);
                self.apply(vni, &key, &what, now);
            }
        }
    }

    /// A remote route whose VTEP is of the other family than the VNI's
    /// VXLAN device: recorded (for `explain`) and not applied. True when
    /// refused.
    pub(crate) fn refuse_family(&mut self, vni: Vni, key: &EvpnKey, what: &What) -> bool {
        let Some(m) = self.family_mismatch(vni, what) else {
            return false;
        };
        if self.family_refused.insert(key, m) {
            // Once at warn while none is refused, then at debug: a peer
            // with many such routes does not flood the log.
            if self.family_refused.len() == 1 {
                warn!(route = ?key, "remote route kept, not programmed: {m} (further ones logged at debug)");
            } else {
                debug!(route = ?key, "remote route kept, not programmed: {m}");
            }
        }
        true
    }
}
