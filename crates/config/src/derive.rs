//! Values derived from the configuration: effective per-neighbour timers,
//! auto RD / RT (DESIGN.md "Best path and EVPN rules"), the RTs a VNI exports
//! and imports. The daemon and the EVPN core use these rather than re-deriving.

use std::net::{IpAddr, Ipv4Addr};

use evpnd_wire::{Rd, RouteTarget, Vni};
use serde::Serialize;

use crate::model::{AutoOr, AutoRt, Config, Neighbor, RouteTargets, VniConfig, VrfConfig};

/// Auto RD: `router-id:index`, the index derived from the VNI (not from
/// creation order, as FRR does), so it is the same after every restart and on
/// every reload. A type-1 RD has a 16-bit number: VNIs below 65536 are used
/// as-is; larger VNIs are folded (`vni mod 65536`). Validation rejects two
/// configured VNIs that fold to the same number (set `rd` explicitly for one
/// of them); VNIs found in the kernel without a `[[evpn.vni]]` entry take
/// their number from [`crate::AutoRds`], which never hands out one in use.
pub fn auto_rd(router_id: Ipv4Addr, vni: Vni) -> Rd {
    Rd::Ipv4 {
        addr: router_id,
        number: auto_rd_number(vni),
    }
}

/// The number part of [`auto_rd`].
pub fn auto_rd_number(vni: Vni) -> u16 {
    (vni.get() & 0xffff) as u16
}

/// Auto RT, always a 2-octet-AS route target with the low 16 bits of the AS
/// (so a 4-byte AS such as 4200000000 gives `59904:VNI`, as FRR):
/// * [`AutoRt::AsVni`]: local administrator = VNI;
/// * [`AutoRt::Rfc8365`]: local administrator = `0x10000000 | VNI` (RFC 8365
///   §5.1.2.1: A = 0 auto-derived, type = 1 VXLAN, D-ID = 0, service id = VNI).
pub fn auto_rt(asn: u32, vni: Vni, style: AutoRt) -> RouteTarget {
    let value = match style {
        AutoRt::AsVni => vni.get(),
        AutoRt::Rfc8365 => RFC8365_VXLAN | vni.get(),
    };
    RouteTarget::As2 {
        asn: (asn & 0xffff) as u16,
        value,
    }
}

/// RFC 8365 §5.1.2.1 type field 1 (VXLAN) in the local administrator.
const RFC8365_VXLAN: u32 = 0x1000_0000;

/// An import rule of a VNI: an exact route target, or the auto RT's wildcard
/// (any RT whose local administrator equals the value, whatever its AS — how
/// FRR imports auto RTs, so leaves with different ASNs import each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RtMatch {
    Exact(RouteTarget),
    LocalAdmin(u32),
}

impl RtMatch {
    pub fn matches(&self, rt: &RouteTarget) -> bool {
        match self {
            RtMatch::Exact(x) => x == rt,
            RtMatch::LocalAdmin(v) => rt.local_admin() == *v,
        }
    }
}

impl Config {
    pub fn asn(&self) -> u32 {
        *self.bgp.asn.get_ref()
    }

    /// `[bgp].cluster_id`, else the router id.
    pub fn cluster_id(&self) -> Ipv4Addr {
        self.bgp.cluster_id.unwrap_or(self.bgp.router_id)
    }

    /// iBGP: `remote_asn` is our AS or `"internal"`.
    pub fn is_ibgp(&self, n: &Neighbor) -> bool {
        n.remote_asn.is_ibgp(self.asn())
    }

    /// The neighbour with this address.
    pub fn neighbor(&self, addr: IpAddr) -> Option<&Neighbor> {
        self.neighbor.iter().find(|n| n.ip() == Some(addr))
    }

    /// The neighbour with this key (address or interface).
    pub fn neighbor_by_key(&self, key: &crate::PeerKey) -> Option<&Neighbor> {
        self.neighbor.iter().find(|n| n.key() == *key)
    }

    /// The families we send the RFC 8950 Extended Next Hop capability for
    /// (next-hop AFI IPv6): IPv4 unicast, when the neighbour carries it and
    /// `extended_nexthop` is on (default: on for interface neighbours).
    pub fn extended_next_hop(&self, n: &Neighbor) -> Vec<evpnd_wire::Family> {
        let on = n.extended_nexthop.unwrap_or(n.interface.is_some());
        let v4 = evpnd_wire::Family::IPV4_UNICAST;
        if on && n.families.contains(&v4) {
            vec![v4]
        } else {
            Vec::new()
        }
    }

    /// The configured VNI.
    pub fn vni(&self, vni: Vni) -> Option<&VniConfig> {
        self.evpn.vni.iter().find(|v| *v.vni.get_ref() == vni)
    }

    /// Hold time for a neighbour: its own, else `[bgp].hold_time`.
    pub fn hold_time(&self, n: &Neighbor) -> u16 {
        *n.hold_time
            .as_ref()
            .unwrap_or(&self.bgp.hold_time)
            .get_ref()
    }

    /// The configured keepalive for a neighbour (its own, else `[bgp]`), if
    /// any; `None` means "a third of the negotiated hold time".
    pub fn keepalive(&self, n: &Neighbor) -> Option<u16> {
        n.keepalive
            .as_ref()
            .or(self.bgp.keepalive.as_ref())
            .map(|k| *k.get_ref())
    }

    /// The keepalive interval proposed to a neighbour: configured, else a
    /// third of its hold time (0 when the hold time is 0: no keepalives).
    pub fn effective_keepalive(&self, n: &Neighbor) -> u16 {
        self.keepalive(n).unwrap_or(self.hold_time(n) / 3)
    }

    /// Whether graceful restart is negotiated with a neighbour.
    pub fn graceful_restart(&self, n: &Neighbor) -> bool {
        n.graceful_restart
            .unwrap_or(self.bgp.graceful_restart.enabled)
    }

    /// The restart marker (ADR 0011): `[bgp.graceful_restart].state_file`,
    /// else `api.socket` with the extension `.restart`.
    pub fn restart_state_file(&self) -> std::path::PathBuf {
        match &self.bgp.graceful_restart.state_file {
            Some(p) => p.clone(),
            None => self.api.socket.with_extension("restart"),
        }
    }

    /// The file recording the flood entries evpnd wrote (ADR 0008).
    pub fn flood_state_file(&self) -> std::path::PathBuf {
        match &self.evpn.flood_state_file {
            Some(p) => p.clone(),
            None => self.api.socket.with_extension("flood"),
        }
    }

    /// The VTEP address when `[evpn].vtep_ip` is set (IPv4 or IPv6), else
    /// the router id (until the kernel reports the VXLAN devices' local
    /// address).
    pub fn vtep_ip(&self) -> IpAddr {
        self.evpn.vtep_ip.unwrap_or(IpAddr::V4(self.bgp.router_id))
    }

    /// The RD of a configured VNI.
    pub fn rd(&self, v: &VniConfig) -> Rd {
        match v.rd {
            AutoOr::Auto => auto_rd(self.bgp.router_id, *v.vni.get_ref()),
            AutoOr::Value(rd) => rd,
        }
    }

    /// The auto RT of a VNI under this configuration.
    pub fn auto_rt(&self, vni: Vni) -> RouteTarget {
        auto_rt(self.asn(), vni, self.evpn.auto_rt)
    }

    /// RTs attached to routes of a VNI: `export` + `both`, or the auto RT when
    /// neither lists anything. Duplicates removed, order kept.
    pub fn export_rts(&self, v: &VniConfig) -> Vec<RouteTarget> {
        self.export_rts_of(*v.vni.get_ref(), &v.route_targets)
    }

    /// What a VNI imports: `import` + `both`, or the auto RT when neither lists
    /// anything. The auto RT imports by local administrator ([`RtMatch::LocalAdmin`]),
    /// or exactly with `[evpn] strict_rt_import`.
    pub fn import_rts(&self, v: &VniConfig) -> Vec<RtMatch> {
        self.import_rts_of(*v.vni.get_ref(), &v.route_targets)
    }

    /// The `[[evpn.vrf]]` of this name.
    pub fn vrf(&self, name: &str) -> Option<&VrfConfig> {
        self.evpn.vrf.iter().find(|v| v.name == name)
    }

    /// The `[[evpn.vrf]]` whose L3VNI this is.
    pub fn vrf_of_l3vni(&self, vni: Vni) -> Option<&VrfConfig> {
        self.evpn.vrf.iter().find(|v| *v.l3vni.get_ref() == vni)
    }

    /// The RD of a tenant: like a VNI's, from its L3VNI.
    pub fn vrf_rd(&self, v: &VrfConfig) -> Rd {
        match v.rd {
            AutoOr::Auto => auto_rd(self.bgp.router_id, *v.l3vni.get_ref()),
            AutoOr::Value(rd) => rd,
        }
    }

    /// The export RTs of a tenant (type 5, and MAC+IP routes of its hosts):
    /// as a VNI's, the auto RT being the L3VNI's.
    pub fn vrf_export_rts(&self, v: &VrfConfig) -> Vec<RouteTarget> {
        self.export_rts_of(*v.l3vni.get_ref(), &v.route_targets)
    }

    /// What a tenant imports (as a VNI, from its L3VNI).
    pub fn vrf_import_rts(&self, v: &VrfConfig) -> Vec<RtMatch> {
        self.import_rts_of(*v.l3vni.get_ref(), &v.route_targets)
    }

    fn export_rts_of(&self, vni: Vni, rts: &RouteTargets) -> Vec<RouteTarget> {
        let mut out: Vec<RouteTarget> = Vec::new();
        for r in rts.export.iter().chain(&rts.both) {
            let rt = match r {
                AutoOr::Auto => self.auto_rt(vni),
                AutoOr::Value(rt) => *rt,
            };
            if !out.contains(&rt) {
                out.push(rt);
            }
        }
        if out.is_empty() {
            out.push(self.auto_rt(vni));
        }
        out
    }

    fn import_rts_of(&self, vni: Vni, rts: &RouteTargets) -> Vec<RtMatch> {
        let auto = if self.evpn.strict_rt_import {
            RtMatch::Exact(self.auto_rt(vni))
        } else {
            RtMatch::LocalAdmin(self.auto_rt(vni).local_admin())
        };
        let mut out: Vec<RtMatch> = Vec::new();
        for r in rts.import.iter().chain(&rts.both) {
            let m = match r {
                AutoOr::Auto => auto,
                AutoOr::Value(rt) => RtMatch::Exact(*rt),
            };
            if !out.contains(&m) {
                out.push(m);
            }
        }
        if out.is_empty() {
            out.push(auto);
        }
        out
    }

    /// A copy safe to show (API, logs): neighbour passwords replaced.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        for n in &mut c.neighbor {
            if n.password.is_some() {
                n.password = Some(REDACTED.into());
            }
        }
        c
    }
}

/// What [`Config::redacted`] puts in place of a password.
pub const REDACTED: &str = "<redacted>";
