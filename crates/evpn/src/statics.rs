//! `static_vteps` (ADR 0031): the flood entries of VTEPs that speak no BGP,
//! held while the VNI's instance exists and changed by a reload. The
//! entries themselves, shared with the type-3 routes, are [`crate::flood`]'s.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use evpnd_config::Config;
use evpnd_wire::Vni;
use tracing::warn;

use crate::{Evpn, family};

/// The configured VNIs' static VTEPs.
pub(crate) fn configured(cfg: &Config) -> HashMap<Vni, BTreeSet<IpAddr>> {
    cfg.evpn
        .vni
        .iter()
        .filter(|v| !v.static_vteps.is_empty())
        .map(|v| (*v.vni.get_ref(), v.static_vteps.iter().copied().collect()))
        .collect()
}

impl Evpn {
    /// Puts `vni`'s static flood entries in line with the configuration and
    /// its instance: those of the device's family, not our own address.
    pub(crate) fn apply_statics(&mut self, vni: Vni) {
        let Some(inst) = self.instances.get(&vni) else {
            return;
        };
        let local = inst.vtep;
        let configured = self.static_vteps.get(&vni).cloned().unwrap_or_default();
        let (want, refused): (BTreeSet<IpAddr>, Vec<IpAddr>) = {
            let (ok, bad): (Vec<IpAddr>, Vec<IpAddr>) = configured
                .iter()
                .partition(|ip| family::same(**ip, local) && **ip != local);
            (ok.into_iter().collect(), bad)
        };
        if want.iter().copied().eq(self.flood.statics(vni)) {
            return;
        }
        for ip in refused {
            warn!(%vni, static_vtep = %ip, local = %local,
                "static VTEP is our own VTEP or not of the VXLAN device's family: no flood entry");
        }
        self.flood.set_static(vni, want, &mut self.out);
    }

    /// Reload: the configuration's `static_vteps` now (added VTEPs get
    /// their entry, removed ones lose it unless a type 3 still asks for it).
    pub fn set_static_vteps(&mut self, cfg: &Config) {
        self.static_vteps = configured(cfg);
        let vnis: Vec<Vni> = self.instances.keys().copied().collect();
        for vni in vnis {
            self.apply_statics(vni);
        }
    }
}
